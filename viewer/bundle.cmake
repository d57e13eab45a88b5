# bundle.cmake - rebuilds the viewer's page (viewer/page.c) from its sources
# with the npm packages package-lock.json pins.  The page is kept in the
# repository so that building memtrack needs no Node.js; this script is how it
# is remade when the viewer changes, and how CI proves the kept page is what
# the sources build (byte for byte).
#
# Usage: cmake -DNODE=node -DNPM=npm -DMODULES=DIR [-DOUTPUT=FILE.c [-DEXPECTED=FILE.c]] -P bundle.cmake
#   MODULES   where package.json and package-lock.json are copied and `npm ci` installs node_modules;
#             skipped when DIR already holds this lock's install
#   OUTPUT    where build.mjs writes the page as C source (none: install the packages only)
#   EXPECTED  fail unless OUTPUT is byte for byte this file
cmake_minimum_required(VERSION 3.18)
set(viewer ${CMAKE_CURRENT_LIST_DIR})
foreach(required NODE NPM MODULES)
  if(NOT ${required})
    message(FATAL_ERROR "bundle.cmake needs -D${required}=...")
  endif()
endforeach()

execute_process(COMMAND ${NODE} --version OUTPUT_VARIABLE node_version OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE status)
string(REGEX REPLACE "^v" "" node_version "${node_version}")
if(NOT status EQUAL 0 OR node_version VERSION_LESS 18)
  message(FATAL_ERROR "the viewer is built with Node.js 18 or newer; ${NODE} is '${node_version}'")
endif()

# npm ci installs exactly the locked versions; scripts are not run (esbuild's
# binary comes as a package of its own).
set(lock ${MODULES}/package-lock.json)
set(installed FALSE)
if(EXISTS ${MODULES}/node_modules/.package-lock.json AND EXISTS ${lock})
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${viewer}/package-lock.json ${lock}
                  RESULT_VARIABLE differs)
  if(differs EQUAL 0)
    set(installed TRUE)
  endif()
endif()
if(NOT installed)
  file(MAKE_DIRECTORY ${MODULES})
  file(COPY ${viewer}/package.json ${viewer}/package-lock.json DESTINATION ${MODULES})
  execute_process(COMMAND ${NPM} ci --ignore-scripts --no-audit --no-fund --prefer-offline
                  WORKING_DIRECTORY ${MODULES} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    file(REMOVE ${lock})
    message(FATAL_ERROR "npm ci failed (${status}) in ${MODULES}")
  endif()
endif()

if(NOT OUTPUT)
  return()
endif()
execute_process(COMMAND ${NODE} ${viewer}/build.mjs ${MODULES}/node_modules ${OUTPUT} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "viewer/build.mjs failed (${status})")
endif()
if(EXPECTED)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUTPUT} ${EXPECTED} RESULT_VARIABLE differs)
  if(NOT differs EQUAL 0)
    message(FATAL_ERROR "${EXPECTED} is not what viewer/src and viewer/package-lock.json build (${OUTPUT}): "
      "rebuild it with `cmake --build BUILD --target viewer_bundle` and commit it")
  endif()
endif()
