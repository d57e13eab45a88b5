# MemtrackTest.cmake - run tests under memtrack and fail them on leaks and bad
# frees.  See docs/ci.md.
#
#   include(MemtrackTest)            # with this directory in CMAKE_MODULE_PATH
#   memtrack_add_test(NAME <name> COMMAND <program-or-target> [<arg>...]
#                     [FAIL_ON <kinds>]            # default leaks,errors
#                     [SUPPRESSIONS <file>...]
#                     [NO_DEFAULT_SUPPRESSIONS]
#                     [MAX_LEAKED_BYTES <n>]
#                     [BASELINE <old-trace>]
#                     [JUNIT <file>] [SARIF <file>]
#                     [TRACE <file>]               # default <build dir>/memtrack/<name>.db
#                     [WORKING_DIRECTORY <dir>])
#
# The test runs the program under `memtrack run`, then `memtrack check` on the
# trace: it fails when the program fails, or when a finding fails the gate
# (the findings and their stacks are in the test's output).  The memtrack
# executable is MEMTRACK_EXECUTABLE, found on PATH when not set.  Arguments may
# use generator expressions; a COMMAND naming an executable target runs that
# target's file.
#
# This same file is the test driver: ctest runs it with `cmake -P`.

if(CMAKE_SCRIPT_MODE_FILE AND DEFINED MEMTRACK_TEST_SPEC)
  # Driver: run the program under memtrack, then gate its trace.
  include("${MEMTRACK_TEST_SPEC}")
  get_filename_component(trace_directory "${MEMTRACK_TRACE}" DIRECTORY)
  file(MAKE_DIRECTORY "${trace_directory}")
  execute_process(COMMAND "${MEMTRACK_EXECUTABLE}" run -f -o "${MEMTRACK_TRACE}" -- ${MEMTRACK_PROGRAM}
                  WORKING_DIRECTORY "${MEMTRACK_WORKING_DIRECTORY}" RESULT_VARIABLE program_status)
  execute_process(COMMAND "${MEMTRACK_EXECUTABLE}" check ${MEMTRACK_CHECK_OPTIONS} "${MEMTRACK_TRACE}"
                  RESULT_VARIABLE check_status)
  if(NOT program_status STREQUAL "0")
    message(FATAL_ERROR "memtrack_add_test: the program failed (${program_status})")
  elseif(check_status STREQUAL "1")
    message(FATAL_ERROR "memtrack_add_test: leaks or bad frees fail the gate (trace: ${MEMTRACK_TRACE})")
  elseif(NOT check_status STREQUAL "0")
    message(FATAL_ERROR "memtrack_add_test: memtrack check could not judge ${MEMTRACK_TRACE} (${check_status})")
  endif()
  return()
endif()

# Quotes each element of a list as a CMake bracket argument, for the spec file.
function(_memtrack_bracket_list out_var)
  set(quoted "")
  foreach(item IN LISTS ARGN)
    string(APPEND quoted " [==[${item}]==]")
  endforeach()
  set(${out_var} "${quoted}" PARENT_SCOPE)
endfunction()

function(memtrack_add_test)
  cmake_parse_arguments(PARSE_ARGV 0 MT "NO_DEFAULT_SUPPRESSIONS"
                        "NAME;FAIL_ON;MAX_LEAKED_BYTES;BASELINE;JUNIT;SARIF;TRACE;WORKING_DIRECTORY"
                        "COMMAND;SUPPRESSIONS")
  if(NOT MT_NAME OR NOT MT_COMMAND)
    message(FATAL_ERROR "memtrack_add_test: NAME and COMMAND are required")
  endif()
  if(MT_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "memtrack_add_test: unknown arguments: ${MT_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT MEMTRACK_EXECUTABLE)
    find_program(MEMTRACK_EXECUTABLE memtrack REQUIRED)
  endif()
  if(NOT MT_TRACE)
    set(MT_TRACE "${CMAKE_CURRENT_BINARY_DIR}/memtrack/${MT_NAME}.db")
  endif()
  if(NOT MT_WORKING_DIRECTORY)
    set(MT_WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  list(GET MT_COMMAND 0 program)
  if(TARGET "${program}")
    list(REMOVE_AT MT_COMMAND 0)
    list(PREPEND MT_COMMAND "$<TARGET_FILE:${program}>")
  endif()

  set(check_options "")
  if(MT_FAIL_ON)
    list(APPEND check_options "--fail-on=${MT_FAIL_ON}")
  endif()
  foreach(file IN LISTS MT_SUPPRESSIONS)
    get_filename_component(file "${file}" ABSOLUTE)
    list(APPEND check_options --suppressions "${file}")
  endforeach()
  if(MT_NO_DEFAULT_SUPPRESSIONS)
    list(APPEND check_options --no-default-suppressions)
  endif()
  if(DEFINED MT_MAX_LEAKED_BYTES)
    list(APPEND check_options --max-leaked-bytes "${MT_MAX_LEAKED_BYTES}")
  endif()
  foreach(option BASELINE JUNIT SARIF)
    if(MT_${option})
      string(TOLOWER "${option}" flag)
      list(APPEND check_options "--${flag}" "${MT_${option}}")
    endif()
  endforeach()

  _memtrack_bracket_list(program_quoted ${MT_COMMAND})
  _memtrack_bracket_list(options_quoted ${check_options})
  set(spec "${CMAKE_CURRENT_BINARY_DIR}/memtrack/${MT_NAME}.$<CONFIG>.cmake")
  file(GENERATE OUTPUT "${spec}" CONTENT
"set(MEMTRACK_EXECUTABLE [==[${MEMTRACK_EXECUTABLE}]==])
set(MEMTRACK_TRACE [==[${MT_TRACE}]==])
set(MEMTRACK_WORKING_DIRECTORY [==[${MT_WORKING_DIRECTORY}]==])
set(MEMTRACK_PROGRAM${program_quoted})
set(MEMTRACK_CHECK_OPTIONS${options_quoted})
")
  add_test(NAME "${MT_NAME}"
           COMMAND "${CMAKE_COMMAND}" "-DMEMTRACK_TEST_SPEC=${spec}" -P "${CMAKE_CURRENT_FUNCTION_LIST_FILE}")
endfunction()
