# deb_layout.cmake - CPack runs this on the staged install before it packs the
# .deb, to give it Debian's layout: the zsh completion moves to
# share/zsh/vendor-completions (Debian's zsh does not look in site-functions
# under /usr), the man pages are compressed (gzip -9n) and
# share/doc/memtrack/copyright holds LICENSE then THIRD-PARTY, as Debian
# policy asks.  Other installs keep the plain layout.
set(share "${CPACK_TEMPORARY_INSTALL_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}/share")
if(NOT IS_DIRECTORY "${share}/zsh/site-functions")
  message(FATAL_ERROR "deb_layout.cmake: no ${share}/zsh/site-functions in the staged install")
endif()
file(RENAME "${share}/zsh/site-functions" "${share}/zsh/vendor-completions")
file(GLOB pages "${share}/man/man1/*.1")
foreach(page IN LISTS pages)
  execute_process(COMMAND gzip -9n "${page}" RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "gzip -9n ${page} failed (${status})")
  endif()
endforeach()
file(READ "${share}/doc/memtrack/LICENSE" license)
file(READ "${share}/doc/memtrack/THIRD-PARTY" third_party)
file(WRITE "${share}/doc/memtrack/copyright" "${license}\n${third_party}")
