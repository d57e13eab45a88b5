# generate.cmake - makes both the --help texts and the man pages from the one
# source of each: cli/help/COMMAND.txt is exactly what `memtrack COMMAND
# --help` prints (memtrack.txt what `memtrack --help` prints), so the two
# cannot drift.  Writes:
#   OUTPUT_DIR/help_text.c         HELP_MEMTRACK, HELP_RUN, ... (cli/help/help.h)
#   OUTPUT_DIR/man/memtrack.1      the overview: man-sections.txt, whose @HELP@ line
#                                  becomes memtrack.txt and @THIRD_PARTY@ line
#                                  THIRD-PARTY's table
#   OUTPUT_DIR/man/memtrack-COMMAND.1  one page per command
#
# Usage: cmake -DHELP_DIR=DIR -DOUTPUT_DIR=DIR -DVERSION=X.Y.Z -DCOMMANDS="run;report;..."
#              -DTHIRD_PARTY=FILE -P generate.cmake
#
# The text's layout is what the man pages are made from (anything else stops
# the build, naming the line):
# - the first line is "Usage: memtrack ...", the synopsis;
# - paragraphs are separated by blank lines; a line starting at column 0 is
#   prose, and consecutive prose lines are one paragraph;
# - a line indented by fewer than 8 spaces starts a list entry: its term, then
#   two or more spaces, then its description (or the term alone); a line
#   indented by 8 or more continues the entry's description;
# - in man-sections.txt, a line of capitals alone starts a section.
cmake_minimum_required(VERSION 3.18)
foreach(required HELP_DIR OUTPUT_DIR VERSION COMMANDS THIRD_PARTY)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "generate.cmake needs -D${required}=...")
  endif()
endforeach()

# CMake lists split at ';' and treat '[' ']' specially: lines carry those
# characters as placeholders until they are written out.
string(ASCII 1 semicolon_mark)
string(ASCII 2 open_mark)
string(ASCII 3 close_mark)

# Reads FILE into OUT_VAR as a list of lines, with ';', '[' and ']' as placeholders.
function(read_lines file out_var)
  file(READ "${file}" text)
  string(REPLACE ";" "${semicolon_mark}" text "${text}")
  string(REPLACE "[" "${open_mark}" text "${text}")
  string(REPLACE "]" "${close_mark}" text "${text}")
  string(REGEX REPLACE "\n$" "" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(${out_var} "${lines}" PARENT_SCOPE)
endfunction()

# Gives back the placeholders' characters.
function(restore text out_var)
  string(REPLACE "${semicolon_mark}" ";" text "${text}")
  string(REPLACE "${open_mark}" "[" text "${text}")
  string(REPLACE "${close_mark}" "]" text "${text}")
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# TEXT as roff: backslashes and hyphens escaped, a leading '.' or ''' kept as text.
function(roff_text text out_var)
  restore("${text}" text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "^([.'])" "\\\\&\\1" text "${text}")
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# LINES (from FILE, for messages) as the body of a man page: prose paragraphs,
# list entries, and, when SECTIONS is set, section headings.
function(roff_body file lines sections out_var)
  set(roff "")
  set(state blank) # blank, prose or entry: what the previous line was
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(line STREQUAL "")
      set(state blank)
    elseif(sections AND line MATCHES "^[A-Z][A-Z ]+$")
      string(APPEND roff ".SH ${line}\n")
      set(state blank)
    elseif(line MATCHES "^( *)(.*)$")
      string(LENGTH "${CMAKE_MATCH_1}" indent)
      set(content "${CMAKE_MATCH_2}")
      if(indent EQUAL 0)
        roff_text("${content}" content)
        if(NOT state STREQUAL "prose")
          string(APPEND roff ".PP\n")
        endif()
        string(APPEND roff "${content}\n")
        set(state prose)
      elseif(indent LESS 8)
        if(content MATCHES "^(.*[^ ])  +([^ ].*)$")
          roff_text("${CMAKE_MATCH_1}" term)
          roff_text("${CMAKE_MATCH_2}" description)
          string(APPEND roff ".TP\n\\fB${term}\\fR\n${description}\n")
        else()
          roff_text("${content}" term)
          string(APPEND roff ".TP\n\\fB${term}\\fR\n")
        endif()
        set(state entry)
      elseif(state STREQUAL "entry")
        roff_text("${content}" content)
        string(APPEND roff "${content}\n")
      else()
        restore("${line}" line)
        message(FATAL_ERROR "${file}:${number}: an indented line continues no list entry: '${line}'")
      endif()
    endif()
  endforeach()
  set(${out_var} "${roff}" PARENT_SCOPE)
endfunction()

# The page's header: title, no hyphenation, ragged right.
function(roff_header name out_var)
  string(TOUPPER "${name}" title)
  set(${out_var} ".TH ${title} 1 \"\" \"memtrack ${VERSION}\" \"User Commands\"\n.nh\n.ad l\n" PARENT_SCOPE)
endfunction()

# Splits a help text's LINES into its synopsis (SYNOPSIS_VAR, without
# "Usage: ") and the rest (BODY_VAR).
function(split_usage file lines synopsis_var body_var)
  list(GET lines 0 first)
  if(NOT first MATCHES "^Usage: (memtrack.*)$")
    message(FATAL_ERROR "${file}:1: the first line must be 'Usage: memtrack ...'")
  endif()
  roff_text("${CMAKE_MATCH_1}" synopsis)
  list(REMOVE_AT lines 0)
  set(${synopsis_var} "${synopsis}" PARENT_SCOPE)
  set(${body_var} "${lines}" PARENT_SCOPE)
endfunction()

# LINES as a C string literal, one source line per text line.
function(c_string lines out_var)
  set(literal "")
  foreach(line IN LISTS lines)
    restore("${line}" line)
    string(REPLACE "\\" "\\\\" line "${line}")
    string(REPLACE "\"" "\\\"" line "${line}")
    string(REPLACE "?" "\\?" line "${line}")
    string(APPEND literal "\n    \"${line}\\n\"")
  endforeach()
  set(${out_var} "${literal}" PARENT_SCOPE)
endfunction()

file(MAKE_DIRECTORY "${OUTPUT_DIR}/man")
set(c_source "/* Generated by cli/help/generate.cmake from cli/help/COMMAND.txt: do not edit. */\n#include \"help/help.h\"\n")

# The overview: memtrack.txt, whose command list also names each command's page.
set(overview_file "${HELP_DIR}/memtrack.txt")
read_lines("${overview_file}" overview)
c_string("${overview}" literal)
string(APPEND c_source "\nconst char HELP_MEMTRACK[] =${literal};\n")
split_usage("${overview_file}" "${overview}" overview_synopsis overview_body)

# THIRD-PARTY's table ("Package Version License" up to the first blank line)
# as list entries for the credits.
file(STRINGS "${THIRD_PARTY}" third_party)
set(credits "")
set(in_table FALSE)
foreach(line IN LISTS third_party)
  if(line MATCHES "^Package +Version +License$")
    set(in_table TRUE)
  elseif(in_table AND line MATCHES "^([^ ]+) +([^ ]+) +([^ ].*)$")
    list(APPEND credits "  ${CMAKE_MATCH_1} ${CMAKE_MATCH_2}  ${CMAKE_MATCH_3}")
  elseif(in_table)
    break()
  endif()
endforeach()
if(NOT credits)
  message(FATAL_ERROR "${THIRD_PARTY}: no 'Package Version License' table")
endif()
# Replaces the line PLACEHOLDER of the list SECTIONS_VAR with the lines LINES.
function(fill_placeholder sections_var placeholder lines)
  set(sections "${${sections_var}}")
  list(FIND sections "${placeholder}" at)
  if(at LESS 0)
    message(FATAL_ERROR "${HELP_DIR}/man-sections.txt: no ${placeholder} line")
  endif()
  list(REMOVE_AT sections ${at})
  list(INSERT sections ${at} ${lines})
  set(${sections_var} "${sections}" PARENT_SCOPE)
endfunction()

read_lines("${HELP_DIR}/man-sections.txt" sections)
fill_placeholder(sections "@HELP@" "${overview_body}")
fill_placeholder(sections "@THIRD_PARTY@" "${credits}")
roff_body("${HELP_DIR}/man-sections.txt" "${sections}" TRUE sections_roff)
roff_header(memtrack page)
string(APPEND page ".SH NAME\nmemtrack \\- find memory leaks and bad frees in unmodified Linux programs\n"
       ".SH SYNOPSIS\n${overview_synopsis}\n${sections_roff}")
file(WRITE "${OUTPUT_DIR}/man/memtrack.1" "${page}")

foreach(command IN LISTS COMMANDS)
  set(file "${HELP_DIR}/${command}.txt")
  read_lines("${file}" lines)
  string(TOUPPER "${command}" upper)
  c_string("${lines}" literal)
  string(APPEND c_source "\nconst char HELP_${upper}[] =${literal};\n")
  # The page's one-line summary is the command's entry in memtrack.txt.
  set(summary "")
  foreach(line IN LISTS overview)
    if(line MATCHES "^  ${command} .*[^ ]  +([^ ].*)$")
      roff_text("${CMAKE_MATCH_1}" summary)
    endif()
  endforeach()
  if(summary STREQUAL "")
    message(FATAL_ERROR "${overview_file}: no entry for the command ${command}")
  endif()
  split_usage("${file}" "${lines}" synopsis body)
  roff_body("${file}" "${body}" FALSE body_roff)
  roff_header("memtrack-${command}" page)
  string(APPEND page ".SH NAME\nmemtrack\\-${command} \\- ${summary}\n.SH SYNOPSIS\n${synopsis}\n"
         ".SH DESCRIPTION\n${body_roff}.SH SEE ALSO\nmemtrack(1)\n")
  file(WRITE "${OUTPUT_DIR}/man/memtrack-${command}.1" "${page}")
endforeach()

file(WRITE "${OUTPUT_DIR}/help_text.c" "${c_source}")
