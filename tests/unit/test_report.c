/*
 * test_report.c - `memtrack report`: traces built here from cli/trace/schema.sql
 * are analysed and rendered, and the JSON compared byte for byte; then every
 * kind of unusable input (not a trace, damaged, newer, hostile values) must end
 * in exit status 2 with a one-line reason, never a crash.
 *
 * Built and run by hand from the repository root (the build generates
 * schema_sql.h the same way from schema.sql):
 *   mkdir -p /tmp/gen && { echo 'static const char MT_SCHEMA_SQL[] ='; sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' cli/trace/schema.sql; echo ';'; } > /tmp/gen/schema_sql.h
 *   gcc -std=gnu11 -Wall -Wextra -g -D_GNU_SOURCE -I cli -I libtrack -I /tmp/gen -o /tmp/test_report tests/unit/test_report.c cli/report.c cli/trace/reader.c cli/analyse/[a-z]*.c cli/output/[a-z]*.c -lsqlite3 -lcmocka
 *   /tmp/test_report && valgrind --leak-check=full --error-exitcode=1 /tmp/test_report
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw, open_memstream; the build defines it for every target */
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyse/analyse.h"
#include "analyse/stacks.h"
#include "commands.h"
#include "output/json_string.h"
#include "output/render.h"
#include "schema_sql.h"
#include "trace/reader.h"

static char temp_dir[] = "/tmp/memtrack-test-report-XXXXXX";

/* Three processes (stored out of id order): one with every leak kind, errors
 * and sites; one killed by a signal, so unclassified; one that did nothing.
 * Frame 4 has a high address (stored negative) and a name needing escapes.
 * The stacks, as frame ids innermost first: 1 [1,2], 2 [6,5,2], 3 [3],
 * 4 [4,1,2], 5 [3,2], 6 []; SAMPLE_ROWS_SQL stores them as schemas 3 and 4 do
 * (2 and 4 share the rows of 1, 4 through an empty row 7), SCHEMA_2_ROWS_SQL
 * as schemas 1 and 2 did, whole.  The other rows are the same. */
/* The numbers schema 4 stores for blocks.function and blocks.kind. */
#define MALLOC "1"
#define NEW "10"
#define NEW_ARRAY "14"
#define UNCLASSIFIED "0"
#define DEFINITE "1"
#define INDIRECT "2"
#define POSSIBLE "3"
#define REACHABLE "4"
#define PROCESSES_SITES_BLOCKS_ERRORS_SQL                                                                            \
    "INSERT INTO processes (id, pid, parent_pid, argv, executable, exit_code, exit_signal, end_reason, leak_scan,"   \
    "  allocations, frees, allocated_bytes, peak_bytes, temporary_allocations) VALUES"                               \
    " (2, 101, 100, '[\"/bin/sh\", \"-c\", \"x\"]', NULL, NULL, 9, 'signal', 0, 3, 0, 129, 129, 1),"                 \
    " (1, 100, 1, '[\"./prog\", \"a b\"]', '/abs/prog', 0, NULL, 'exit', 1, 10, 7, 1000, 600, 5),"                   \
    " (3, 102, 100, '[]', '/bin/true', NULL, NULL, 'running', 0, 0, 0, 0, 0, 0);"                                    \
    "INSERT INTO sites (stack_id, process_id, allocations, bytes, temporary, peak_bytes) VALUES"                     \
    " (1, 1, 3, 120, 0, 120), (2, 1, 5, 500, 4, 200), (4, 1, 2, 120, 1, 60),"                                        \
    " (5, 2, 2, 128, 0, 128), (6, 2, 1, 1, 1, 1);"                                                                   \
    "INSERT INTO blocks (id, process_id, stack_id, address, size, function_code, kind_code) VALUES"                  \
    " (1, 1, 1, 0x1000, 40, " MALLOC ", " DEFINITE "), (2, 1, 1, 0x1040, 0, " MALLOC ", " DEFINITE "),"              \
    " (3, 1, 4, 0x1080, 40, " MALLOC ", " DEFINITE "), (4, 1, 2, 0x10c0, 8, " MALLOC ", " INDIRECT "),"              \
    " (5, 1, 1, 0x1100, 16, " MALLOC ", " POSSIBLE "), (6, 1, 2, 0x1140, 100, " NEW ", " REACHABLE "),"              \
    " (7, 2, 5, 0x2000, 64, " MALLOC ", " UNCLASSIFIED "), (8, 2, 5, 0x2040, 64, " MALLOC ", " UNCLASSIFIED ");"    \
    "INSERT INTO errors (id, process_id, type, address, size, offset, alloc_function, free_function,"                \
    "  stack_id, alloc_stack_id, first_free_stack_id) VALUES"                                                        \
    " (7, 1, 'mismatched_free', 0x6000, 24, 0, 'operator new[]', 'free', NULL, 1, NULL),"                            \
    " (3, 1, 'double_free', 0x5000, 32, 0, 'calloc', 'free', 2, 1, 4),"                                              \
    " (5, 1, 'invalid_free', 0x5010, 32, 16, 'malloc', 'free', 3, NULL, NULL);"

#define FRAME_ROWS(prog, libc)                                                                                       \
    " (1, 0x4011d6, " prog ", 'leak_here', '/abs/src.c', 12, 0),"                                                    \
    " (2, 0x401200, " prog ", 'main', '/abs/src.c', 30, 0),"                                                         \
    " (3, 0x7f0000001000, " libc ", NULL, NULL, NULL, 0),"                                                           \
    " (4, -2, NULL, 'odd \"name\"' || char(10) || char(9) || 'é', NULL, NULL, 0),"                                   \
    " (5, 0x401300, " prog ", 'helper', '/abs/src.c', 20, 0),"                                                       \
    " (6, 0x401310, " prog ", 'inline_fn', '/abs/inl.h', 5, 1);"

static const char SAMPLE_ROWS_SQL[] =
    "INSERT INTO meta VALUES ('schema_version', '4'), ('complete', '1');"
    "INSERT INTO objects (id, path, build_id) VALUES (1, '/abs/prog', NULL), (2, '/lib/libc.so.6', 'abcd');"
    "INSERT INTO frames (id, address, object_id, function, file, line, inlined) VALUES" FRAME_ROWS("1", "2")
    "INSERT INTO stacks (id, process_id, frames, outer_id, outer_skip) VALUES"
    " (1, 1, '[1,2]', NULL, NULL), (2, 1, '[6,5]', 1, 1), (3, 1, '[3]', NULL, NULL), (4, 1, '[4]', 7, 0),"
    " (5, 2, '[3,2]', NULL, NULL), (6, 2, '[]', NULL, NULL), (7, 1, '[]', 1, 0);"
    PROCESSES_SITES_BLOCKS_ERRORS_SQL;

/* The same trace in the layout of schema 2: frames name their module, each
 * stack is one row, and blocks have no heuristic column. */
static const char SCHEMA_2_ROWS_SQL[] =
    "DROP TABLE objects; DROP TABLE frames; DROP TABLE stacks;"
    "CREATE TABLE frames (id INTEGER PRIMARY KEY, address INTEGER NOT NULL, module TEXT, function TEXT,"
    "  file TEXT, line INTEGER, inlined INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE stacks (id INTEGER PRIMARY KEY, process_id INTEGER NOT NULL,"
    "  truncated INTEGER NOT NULL DEFAULT 0, frames TEXT NOT NULL);"
    "INSERT INTO meta VALUES ('schema_version', '2'), ('complete', '1');"
    "INSERT INTO frames (id, address, module, function, file, line, inlined) VALUES"
    FRAME_ROWS("'/abs/prog'", "'/lib/libc.so.6'")
    "INSERT INTO stacks (id, process_id, frames) VALUES"
    " (1, 1, '[1,2]'), (2, 1, '[6,5,2]'), (3, 1, '[3]'), (4, 1, '[4,1,2]'), (5, 2, '[3,2]'), (6, 2, '[]');"
    "ALTER TABLE blocks DROP COLUMN heuristic;"
    "ALTER TABLE blocks DROP COLUMN owner_address;"
    "ALTER TABLE errors DROP COLUMN data_symbol; ALTER TABLE errors DROP COLUMN data_symbol_offset;"
    PROCESSES_SITES_BLOCKS_ERRORS_SQL;

/* Written independently of the renderer (Python's json.dumps of the expected
 * model), so this checks content, order and syntax at once. */
static const char SAMPLE_JSON[] =
    "{\"format\": \"memtrack-report\", \"version\": 1, \"processes\": [{\"pid\": 100, \"parent_pid\": 1, "
    "\"argv\": [\"./prog\", \"a b\"], \"executable\": \"/abs/prog\", \"exit_code\": 0, "
    "\"exit_signal\": null, \"end_reason\": \"exit\", \"leak_scan\": true, "
    "\"summary\": {\"allocations\": 10, \"frees\": 7, \"allocated_bytes\": 1000, \"peak_bytes\": 600, "
    "\"leaked_bytes\": 204, \"leaked_blocks\": 6, \"temporary_allocations\": 5}, "
    "\"leaks\": [{\"kind\": \"definite\", \"bytes\": 40, \"blocks\": 2, "
    "\"stack\": [{\"function\": \"leak_here\", \"file\": \"/abs/src.c\", \"line\": 12, "
    "\"module\": \"/abs/prog\", \"address\": \"0x4011d6\"}, {\"function\": \"main\", "
    "\"file\": \"/abs/src.c\", \"line\": 30, \"module\": \"/abs/prog\", \"address\": \"0x401200\"}], \"heuristic\": null, \"indirect_bytes\": 0}, "
    "{\"kind\": \"definite\", \"bytes\": 40, \"blocks\": 1, "
    "\"stack\": [{\"function\": \"odd \\\"name\\\"\\u000a\\u0009é\", \"file\": null, \"line\": null, "
    "\"module\": null, \"address\": \"0xfffffffffffffffe\"}, {\"function\": \"leak_here\", "
    "\"file\": \"/abs/src.c\", \"line\": 12, \"module\": \"/abs/prog\", \"address\": \"0x4011d6\"}, "
    "{\"function\": \"main\", \"file\": \"/abs/src.c\", \"line\": 30, \"module\": \"/abs/prog\", "
    "\"address\": \"0x401200\"}], \"heuristic\": null, \"indirect_bytes\": 0}, {\"kind\": \"indirect\", \"bytes\": 8, \"blocks\": 1, "
    "\"stack\": [{\"function\": \"inline_fn\", \"file\": \"/abs/inl.h\", \"line\": 5, "
    "\"module\": \"/abs/prog\", \"address\": \"0x401310\"}, {\"function\": \"helper\", "
    "\"file\": \"/abs/src.c\", \"line\": 20, \"module\": \"/abs/prog\", \"address\": \"0x401300\"}, "
    "{\"function\": \"main\", \"file\": \"/abs/src.c\", \"line\": 30, \"module\": \"/abs/prog\", "
    "\"address\": \"0x401200\"}], \"heuristic\": null, \"indirect_bytes\": 0}, {\"kind\": \"possible\", \"bytes\": 16, \"blocks\": 1, "
    "\"stack\": [{\"function\": \"leak_here\", \"file\": \"/abs/src.c\", \"line\": 12, "
    "\"module\": \"/abs/prog\", \"address\": \"0x4011d6\"}, {\"function\": \"main\", "
    "\"file\": \"/abs/src.c\", \"line\": 30, \"module\": \"/abs/prog\", \"address\": \"0x401200\"}], \"heuristic\": null, \"indirect_bytes\": 0}, "
    "{\"kind\": \"reachable\", \"bytes\": 100, \"blocks\": 1, \"stack\": [{\"function\": \"inline_fn\", "
    "\"file\": \"/abs/inl.h\", \"line\": 5, \"module\": \"/abs/prog\", \"address\": \"0x401310\"}, "
    "{\"function\": \"helper\", \"file\": \"/abs/src.c\", \"line\": 20, \"module\": \"/abs/prog\", "
    "\"address\": \"0x401300\"}, {\"function\": \"main\", \"file\": \"/abs/src.c\", \"line\": 30, "
    "\"module\": \"/abs/prog\", \"address\": \"0x401200\"}], \"heuristic\": null, \"indirect_bytes\": 0}], \"errors\": [{\"type\": \"double_free\", "
    "\"address\": \"0x5000\", \"size\": 32, \"offset\": 0, \"alloc_function\": \"calloc\", "
    "\"free_function\": \"free\", \"stack\": [{\"function\": \"inline_fn\", \"file\": \"/abs/inl.h\", "
    "\"line\": 5, \"module\": \"/abs/prog\", \"address\": \"0x401310\"}, {\"function\": \"helper\", "
    "\"file\": \"/abs/src.c\", \"line\": 20, \"module\": \"/abs/prog\", \"address\": \"0x401300\"}, "
    "{\"function\": \"main\", \"file\": \"/abs/src.c\", \"line\": 30, \"module\": \"/abs/prog\", "
    "\"address\": \"0x401200\"}], \"alloc_stack\": [{\"function\": \"leak_here\", "
    "\"file\": \"/abs/src.c\", \"line\": 12, \"module\": \"/abs/prog\", \"address\": \"0x4011d6\"}, "
    "{\"function\": \"main\", \"file\": \"/abs/src.c\", \"line\": 30, \"module\": \"/abs/prog\", "
    "\"address\": \"0x401200\"}], "
    "\"first_free_stack\": [{\"function\": \"odd \\\"name\\\"\\u000a\\u0009é\", \"file\": null, "
    "\"line\": null, \"module\": null, \"address\": \"0xfffffffffffffffe\"}, "
    "{\"function\": \"leak_here\", \"file\": \"/abs/src.c\", \"line\": 12, \"module\": \"/abs/prog\", "
    "\"address\": \"0x4011d6\"}, {\"function\": \"main\", \"file\": \"/abs/src.c\", \"line\": 30, "
    "\"module\": \"/abs/prog\", \"address\": \"0x401200\"}], \"data_symbol\": null, \"data_symbol_offset\": null}, "
    "{\"type\": \"invalid_free\", "
    "\"address\": \"0x5010\", \"size\": 32, \"offset\": 16, \"alloc_function\": \"malloc\", "
    "\"free_function\": \"free\", \"stack\": [{\"function\": null, \"file\": null, \"line\": null, "
    "\"module\": \"/lib/libc.so.6\", \"address\": \"0x7f0000001000\"}], \"alloc_stack\": null, "
    "\"first_free_stack\": null, \"data_symbol\": null, \"data_symbol_offset\": null}, {\"type\": \"mismatched_free\", \"address\": \"0x6000\", \"size\": 24, "
    "\"offset\": 0, \"alloc_function\": \"operator new[]\", \"free_function\": \"free\", "
    "\"stack\": null, \"alloc_stack\": [{\"function\": \"leak_here\", \"file\": \"/abs/src.c\", "
    "\"line\": 12, \"module\": \"/abs/prog\", \"address\": \"0x4011d6\"}, {\"function\": \"main\", "
    "\"file\": \"/abs/src.c\", \"line\": 30, \"module\": \"/abs/prog\", \"address\": \"0x401200\"}], "
    "\"first_free_stack\": null, \"data_symbol\": null, \"data_symbol_offset\": null}], \"sites\": [{\"stack\": [{\"function\": \"inline_fn\", "
    "\"file\": \"/abs/inl.h\", \"line\": 5, \"module\": \"/abs/prog\", \"address\": \"0x401310\"}, "
    "{\"function\": \"helper\", \"file\": \"/abs/src.c\", \"line\": 20, \"module\": \"/abs/prog\", "
    "\"address\": \"0x401300\"}, {\"function\": \"main\", \"file\": \"/abs/src.c\", \"line\": 30, "
    "\"module\": \"/abs/prog\", \"address\": \"0x401200\"}], \"allocations\": 5, \"bytes\": 500, "
    "\"temporary\": 4, \"peak_bytes\": 200, \"leaked_bytes\": 108}, "
    "{\"stack\": [{\"function\": \"leak_here\", \"file\": \"/abs/src.c\", \"line\": 12, "
    "\"module\": \"/abs/prog\", \"address\": \"0x4011d6\"}, {\"function\": \"main\", "
    "\"file\": \"/abs/src.c\", \"line\": 30, \"module\": \"/abs/prog\", \"address\": \"0x401200\"}], "
    "\"allocations\": 3, \"bytes\": 120, \"temporary\": 0, \"peak_bytes\": 120, \"leaked_bytes\": 56}, "
    "{\"stack\": [{\"function\": \"odd \\\"name\\\"\\u000a\\u0009é\", \"file\": null, \"line\": null, "
    "\"module\": null, \"address\": \"0xfffffffffffffffe\"}, {\"function\": \"leak_here\", "
    "\"file\": \"/abs/src.c\", \"line\": 12, \"module\": \"/abs/prog\", \"address\": \"0x4011d6\"}, "
    "{\"function\": \"main\", \"file\": \"/abs/src.c\", \"line\": 30, \"module\": \"/abs/prog\", "
    "\"address\": \"0x401200\"}], \"allocations\": 2, \"bytes\": 120, \"temporary\": 1, "
    "\"peak_bytes\": 60, \"leaked_bytes\": 40}], \"untraced\": null}, {\"pid\": 101, \"parent_pid\": 100, "
    "\"argv\": [\"/bin/sh\", \"-c\", \"x\"], \"executable\": null, \"exit_code\": null, "
    "\"exit_signal\": 9, \"end_reason\": \"signal\", \"leak_scan\": false, "
    "\"summary\": {\"allocations\": 3, \"frees\": 0, \"allocated_bytes\": 129, \"peak_bytes\": 129, "
    "\"leaked_bytes\": 128, \"leaked_blocks\": 2, \"temporary_allocations\": 1}, "
    "\"leaks\": [{\"kind\": \"unclassified\", \"bytes\": 128, \"blocks\": 2, "
    "\"stack\": [{\"function\": null, \"file\": null, \"line\": null, \"module\": \"/lib/libc.so.6\", "
    "\"address\": \"0x7f0000001000\"}, {\"function\": \"main\", \"file\": \"/abs/src.c\", \"line\": 30, "
    "\"module\": \"/abs/prog\", \"address\": \"0x401200\"}], \"heuristic\": null, \"indirect_bytes\": 0}], \"errors\": [], "
    "\"sites\": [{\"stack\": [{\"function\": null, \"file\": null, \"line\": null, "
    "\"module\": \"/lib/libc.so.6\", \"address\": \"0x7f0000001000\"}, {\"function\": \"main\", "
    "\"file\": \"/abs/src.c\", \"line\": 30, \"module\": \"/abs/prog\", \"address\": \"0x401200\"}], "
    "\"allocations\": 2, \"bytes\": 128, \"temporary\": 0, \"peak_bytes\": 128, \"leaked_bytes\": 128}, "
    "{\"stack\": [], \"allocations\": 1, \"bytes\": 1, \"temporary\": 1, \"peak_bytes\": 1, "
    "\"leaked_bytes\": 0}], \"untraced\": null}, {\"pid\": 102, \"parent_pid\": 100, \"argv\": [], "
    "\"executable\": \"/bin/true\", \"exit_code\": null, \"exit_signal\": null, "
    "\"end_reason\": \"running\", \"leak_scan\": false, \"summary\": {\"allocations\": 0, \"frees\": 0, "
    "\"allocated_bytes\": 0, \"peak_bytes\": 0, \"leaked_bytes\": 0, \"leaked_blocks\": 0, "
    "\"temporary_allocations\": 0}, \"leaks\": [], \"errors\": [], \"sites\": [], \"untraced\": null}]}\n";

/* The same trace for people; reviewed by hand. */
static const char SAMPLE_TEXT[] =
    "== memtrack report: 3 processes (--pid N or --exe NAME reports on some)\n"
    "        pid   parent  allocations   leaked bytes  errors  command\n"
    "        100        1           10            204       3  ./prog a b (exit 0)\n"
    "        101      100            3            128       0  /bin/sh -c x (killed by signal 9)\n"
    "        102      100            0              0       0  /bin/true (still running when the trace ended)\n"
    "\n"
    "== memtrack report: pid 100: ./prog a b (exit 0)\n"
    "\n"
    "Invalid free() / double free of 0x5000 (block of 32 bytes allocated by calloc)\n"
    "   at 0x401310: inline_fn (/abs/inl.h:5)\n"
    "   by 0x401300: helper (/abs/src.c:20)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "  Block was allocated at:\n"
    "   at 0x4011d6: leak_here (/abs/src.c:12)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "  First freed at:\n"
    "   at 0xfffffffffffffffe: odd \"name\"??é\n"
    "   by 0x4011d6: leak_here (/abs/src.c:12)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "Invalid free() of 0x5010 (16 bytes inside a block of 32 bytes allocated by malloc)\n"
    "   at 0x7f0000001000: ??? (in /lib/libc.so.6)\n"
    "\n"
    "Mismatched free() of 0x6000 (block of 24 bytes allocated by operator new[])\n"
    "   (no stack recorded)\n"
    "  Block was allocated at:\n"
    "   at 0x4011d6: leak_here (/abs/src.c:12)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "40 bytes in 2 blocks are definitely lost\n"
    "   at 0x4011d6: leak_here (/abs/src.c:12)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "40 bytes in 1 blocks are definitely lost\n"
    "   at 0xfffffffffffffffe: odd \"name\"??é\n"
    "   by 0x4011d6: leak_here (/abs/src.c:12)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "8 bytes in 1 blocks are indirectly lost\n"
    "   at 0x401310: inline_fn (/abs/inl.h:5)\n"
    "   by 0x401300: helper (/abs/src.c:20)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "16 bytes in 1 blocks are possibly lost\n"
    "   at 0x4011d6: leak_here (/abs/src.c:12)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "100 bytes in 1 blocks are still reachable\n"
    "   at 0x401310: inline_fn (/abs/inl.h:5)\n"
    "   by 0x401300: helper (/abs/src.c:20)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "LEAK SUMMARY:\n"
    "   definitely lost: 80 bytes in 3 blocks\n"
    "   indirectly lost: 8 bytes in 1 blocks\n"
    "     possibly lost: 16 bytes in 1 blocks\n"
    "   still reachable: 100 bytes in 1 blocks\n"
    "\n"
    "Top allocation sites (3 of 3, by allocations):\n"
    "5 allocations (4 temporary), 500 bytes\n"
    "   at 0x401310: inline_fn (/abs/inl.h:5)\n"
    "   by 0x401300: helper (/abs/src.c:20)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "3 allocations (0 temporary), 120 bytes\n"
    "   at 0x4011d6: leak_here (/abs/src.c:12)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "2 allocations (1 temporary), 120 bytes\n"
    "   at 0xfffffffffffffffe: odd \"name\"??é\n"
    "   by 0x4011d6: leak_here (/abs/src.c:12)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "Heap: 10 allocations, 7 frees, 1000 bytes allocated, 5 temporary\n"
    "Peak heap: 600 bytes\n"
    "\n"
    "== memtrack report: pid 101: /bin/sh -c x (killed by signal 9)\n"
    "\n"
    "128 bytes in 2 blocks are unclassified\n"
    "   at 0x7f0000001000: ??? (in /lib/libc.so.6)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "LEAK SUMMARY:\n"
    "      unclassified: 128 bytes in 2 blocks\n"
    "   (not classified: the process was killed by signal 9, so no leak scan could run)\n"
    "\n"
    "Top allocation sites (2 of 2, by allocations):\n"
    "2 allocations (0 temporary), 128 bytes\n"
    "   at 0x7f0000001000: ??? (in /lib/libc.so.6)\n"
    "   by 0x401200: main (/abs/src.c:30)\n"
    "\n"
    "1 allocations (1 temporary), 1 bytes\n"
    "   (empty stack)\n"
    "\n"
    "Heap: 3 allocations, 0 frees, 129 bytes allocated, 1 temporary\n"
    "Peak heap: 129 bytes\n"
    "\n"
    "== memtrack report: pid 102: /bin/true (still running when the trace ended)\n"
    "\n"
    "No heap blocks were recorded as still allocated\n"
    "\n"
    "Heap: 0 allocations, 0 frees, 0 bytes allocated, 0 temporary\n"
    "Peak heap: 0 bytes\n";

/* Returns a path inside the test's temporary directory (static buffer). */
static const char *temp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", temp_dir, name);
    return path;
}

/* Runs SQL on the database at PATH, creating the file if needed. */
static void execute_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *error = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK)
        fail_msg("building %s: %s", path, error);
    sqlite3_close(db);
}

/* Creates a fresh trace at PATH from SCHEMA, then ROWS unless NULL. */
static void create_trace(const char *path, const char *schema, const char *rows)
{
    unlink(path);
    execute_sql(path, schema);
    if (rows != NULL)
        execute_sql(path, rows);
}

/* Returns a malloc'd copy of the schema without NOT NULL constraints, so the
 * tests can store the NULLs a hostile trace may hold. */
static char *schema_allowing_nulls(void)
{
    char *schema = strdup(MT_SCHEMA_SQL);
    assert_non_null(schema);
    for (char *at; (at = strstr(schema, "NOT NULL")) != NULL;)
        memset(at, ' ', strlen("NOT NULL"));
    return schema;
}

/* Reads a whole file into a malloc'd string. */
static char *read_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    char *text = NULL;
    size_t length = 0;
    FILE *copy = open_memstream(&text, &length);
    for (int c; (c = fgetc(file)) != EOF;)
        fputc(c, copy);
    fclose(copy);
    fclose(file);
    return text;
}

/* Runs cmd_report on ARGV with stdout and stderr captured into *OUT and
 * *ERR (malloc'd); returns its exit status. */
static int run_report(char **argv, char **out, char **err)
{
    int argc = 0;
    while (argv[argc] != NULL)
        argc++;
    char out_path[300], err_path[300];
    snprintf(out_path, sizeof out_path, "%s/stdout", temp_dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", temp_dir);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    int out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    int status = cmd_report(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(out_fd);
    close(err_fd);
    *out = read_file(out_path);
    *err = read_file(err_path);
    return status;
}

/* Analyses the trace at PATH and renders it with RENDER into a malloc'd string. */
static char *render_trace(const char *path, int (*render)(FILE *, const struct report *))
{
    struct trace trace;
    struct report report = {0};
    if (trace_open(&trace, path) != 0 || analyse_trace(&trace, &report, NULL) != 0)
        fail_msg("%s: %s", path, trace.problem);
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    assert_int_equal(render(out, &report), 0);
    fclose(out);
    report_free(&report);
    trace_close(&trace);
    return text;
}

/* Removes one entry of the temporary directory, for nftw. */
static int remove_entry(const char *path, const struct stat *status, int type, struct FTW *walk)
{
    (void)status, (void)type, (void)walk;
    return remove(path);
}

/* Group setup: every file a test creates goes into one fresh directory. */
static int create_temp_dir(void **state)
{
    (void)state;
    return mkdtemp(temp_dir) == NULL ? -1 : 0;
}

/* Group teardown: removes that directory and everything in it. */
static int remove_temp_dir(void **state)
{
    (void)state;
    return nftw(temp_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Builds the sample trace at PATH from ROWS and compares its JSON report. */
static void assert_json_of_sample(const char *path, const char *rows)
{
    create_trace(path, MT_SCHEMA_SQL, rows);
    char *json = render_trace(path, render_json);
    assert_string_equal(json, SAMPLE_JSON);
    free(json);
}

/* The JSON of the sample trace is exactly the documented one. */
static void test_json_of_sample_trace(void **state)
{
    (void)state;
    assert_json_of_sample(temp_path("sample.db"), SAMPLE_ROWS_SQL);
}

/* A trace written before schema 3 (stacks whole, modules named in frames)
 * gives the same report. */
static void test_json_of_schema_2_trace(void **state)
{
    (void)state;
    assert_json_of_sample(temp_path("schema-2.db"), SCHEMA_2_ROWS_SQL);
}

/* The text of the sample trace, memcheck-like. */
static void test_text_of_sample_trace(void **state)
{
    (void)state;
    create_trace(temp_path("sample.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    char *text = render_trace(temp_path("sample.db"), render_text);
    assert_string_equal(text, SAMPLE_TEXT);
    free(text);
}

/* Two more reachable blocks on the stack of the sample's reachable one, each
 * found by a heuristic: three groups (none first, then the two heuristics in
 * memcheck's order, their size and count being equal), each named in the
 * JSON and the text, with memcheck's breakdown in the text's summary. */
static void test_heuristics_split_and_name_groups(void **state)
{
    (void)state;
    create_trace(temp_path("heuristics.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    execute_sql(temp_path("heuristics.db"),
                "INSERT INTO blocks (id, process_id, stack_id, address, size, function_code, kind_code, heuristic)"
                " VALUES (9, 1, 2, 0x1180, 32, " NEW_ARRAY ", " REACHABLE ", 'newarray'),"
                " (10, 1, 2, 0x11c0, 32, " NEW ", " REACHABLE ", 'stdstring')");
    char *json = render_trace(temp_path("heuristics.db"), render_json);
    const char *stack = "\"stack\": [{\"function\": \"inline_fn\", \"file\": \"/abs/inl.h\", \"line\": 5, "
                        "\"module\": \"/abs/prog\", \"address\": \"0x401310\"}, {\"function\": \"helper\", "
                        "\"file\": \"/abs/src.c\", \"line\": 20, \"module\": \"/abs/prog\", "
                        "\"address\": \"0x401300\"}, {\"function\": \"main\", \"file\": \"/abs/src.c\", "
                        "\"line\": 30, \"module\": \"/abs/prog\", \"address\": \"0x401200\"}]";
    char *groups = NULL;
    assert_true(asprintf(&groups,
                         "{\"kind\": \"reachable\", \"bytes\": 100, \"blocks\": 1, %s, \"heuristic\": null, \"indirect_bytes\": 0}, "
                         "{\"kind\": \"reachable\", \"bytes\": 32, \"blocks\": 1, %s, \"heuristic\": \"stdstring\", \"indirect_bytes\": 0}, "
                         "{\"kind\": \"reachable\", \"bytes\": 32, \"blocks\": 1, %s, \"heuristic\": \"newarray\", \"indirect_bytes\": 0}], ",
                         stack, stack, stack) > 0);
    assert_non_null(strstr(json, groups));
    free(groups);
    free(json);
    char *text = render_trace(temp_path("heuristics.db"), render_text);
    assert_non_null(strstr(text, "\n32 bytes in 1 blocks are still reachable (via heuristic stdstring)\n"));
    assert_non_null(strstr(text, "\n32 bytes in 1 blocks are still reachable (via heuristic newarray)\n"));
    assert_non_null(strstr(text, "   still reachable: 164 bytes in 3 blocks\n"
                                 "                      of which reachable via heuristic:\n"
                                 "                        stdstring          : 32 bytes in 1 blocks\n"
                                 "                        newarray           : 32 bytes in 1 blocks\n\n"));
    free(text);
}

/* Indirectly lost blocks name the definite block leading their clique
 * (blocks.owner_address): that block's group counts their bytes, in the
 * JSON and in memcheck's "N (x direct, y indirect) bytes" in the text and
 * the gate's headline; a group none names keeps 0. */
static void test_definite_groups_count_the_indirect_bytes_they_lead(void **state)
{
    (void)state;
    create_trace(temp_path("owners.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    execute_sql(temp_path("owners.db"),
                "UPDATE blocks SET owner_address = 0x1080 WHERE address = 0x10c0;"
                "INSERT INTO blocks (id, process_id, stack_id, address, size, function_code, kind_code,"
                " owner_address) VALUES (9, 1, 2, 0x1180, 24, " MALLOC ", " INDIRECT ", 0x1080);");
    char *json = render_trace(temp_path("owners.db"), render_json);
    assert_non_null(strstr(json, "{\"kind\": \"definite\", \"bytes\": 40, \"blocks\": 1, \"stack\": [{\"function\": "
                                 "\"odd"));
    assert_non_null(strstr(json, "\"heuristic\": null, \"indirect_bytes\": 32}"));
    assert_non_null(strstr(json, "\"kind\": \"definite\", \"bytes\": 40, \"blocks\": 2, "));
    free(json);
    char *text = render_trace(temp_path("owners.db"), render_text);
    assert_non_null(strstr(text, "\n72 (40 direct, 32 indirect) bytes in 1 blocks are definitely lost\n"));
    assert_non_null(strstr(text, "\n40 bytes in 2 blocks are definitely lost\n"));
    free(text);
}

/* Writes S through the JSON escaper into a malloc'd string. */
static char *escape(const char *s)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    json_write_string(out, s);
    fclose(out);
    return text;
}

/* Quotes, backslashes and control characters are escaped, valid UTF-8 passes,
 * anything else becomes U+FFFD, so the output is always valid JSON. */
static void test_json_string_escaping(void **state)
{
    (void)state;
    static const struct {
        const char *input, *expected;
    } cases[] = {
        {NULL, "null"},
        {"", "\"\""},
        {"a\"b\\c/d", "\"a\\\"b\\\\c/d\""},
        {"\x01\x1f\n\t\x7f", "\"\\u0001\\u001f\\u000a\\u0009\x7f\""},
        {"é€𝄞\xef\xbf\xbf", "\"é€𝄞\xef\xbf\xbf\""},
        {"\xff", "\"\xef\xbf\xbd\""},
        {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},             /* overlong '/' */
        {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* surrogate */
        {"a\xe2\x82", "\"a\xef\xbf\xbd\xef\xbf\xbd\""},             /* cut short */
        {"\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* past U+10FFFF */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *escaped = escape(cases[i].input);
        assert_string_equal(escaped, cases[i].expected);
        free(escaped);
    }
}

/* The command prints the same reports, in either spelling of --format. */
static void test_command_prints_both_formats(void **state)
{
    (void)state;
    create_trace(temp_path("sample.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    char path[300];
    snprintf(path, sizeof path, "%s", temp_path("sample.db"));
    char *argv_by_format[][6] = {
        {"report", "--format", "json", path, NULL},
        {"report", path, "--format=json", NULL},
        {"report", "--format=text", "--show-leak-kinds=all", "--", path, NULL},
        {"report", path, "--show-leak-kinds", "all", NULL},
    };
    const char *expected[] = {SAMPLE_JSON, SAMPLE_JSON, SAMPLE_TEXT, SAMPLE_TEXT};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        char *out, *err;
        assert_int_equal(run_report(argv_by_format[i], &out, &err), 0);
        assert_string_equal(out, expected[i]);
        assert_string_equal(err, "");
        free(out);
        free(err);
    }
}

/* The text report's defaults are memcheck's: records of definite and
 * possible leaks (the summary counts every kind, and a line says what was
 * left out), 12 frames, 10 sites; each option changes its own part. */
static void test_text_options(void **state)
{
    (void)state;
    create_trace(temp_path("options.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    char path[300];
    snprintf(path, sizeof path, "%s", temp_path("options.db"));
    struct {
        char *argv[6];
        const char *present, *absent;
    } cases[] = {
        {{"report", path, NULL}, "Not shown: 1 record of indirectly lost blocks, 1 record of still reachable blocks "
                                 "(--show-leak-kinds=all shows them)\n", "are still reachable"},
        {{"report", path, NULL}, "16 bytes in 1 blocks are possibly lost\n", "are indirectly lost"},
        {{"report", path, NULL}, "   still reachable: 100 bytes in 1 blocks\n", NULL},
        {{"report", "--show-leak-kinds=reachable,indirect", path, NULL}, "100 bytes in 1 blocks are still reachable",
         "are definitely lost"},
        {{"report", "--show-leak-kinds=none", path, NULL}, "Not shown: 2 records of definitely lost blocks", NULL},
        {{"report", "--num-callers=1", path, NULL},
         "5 allocations (4 temporary), 500 bytes\n   at 0x401310: inline_fn (/abs/inl.h:5)\n   ... (2 more)\n", NULL},
        {{"report", "--top", "1", path, NULL}, "Top allocation sites (1 of 3, by allocations):\n", NULL},
        {{"report", "--top=0", path, NULL}, "Heap: 10 allocations", "Top allocation sites"},
        {{"report", "--leak-records=1", path, NULL},
         "40 bytes in 2 blocks are definitely lost\n   at 0x4011d6: leak_here (/abs/src.c:12)\n"
         "   by 0x401200: main (/abs/src.c:30)\n\n16 bytes in 1 blocks are possibly lost\n",
         "40 bytes in 1 blocks are definitely lost"},
        {{"report", "--leak-records=1", path, NULL},
         "   still reachable: 100 bytes in 1 blocks\n\nNot shown: 1 record of indirectly lost blocks, 1 record of "
         "still reachable blocks (--show-leak-kinds=all shows them)\nNot shown: 1 smaller record of definitely lost "
         "blocks (--leak-records=all shows them)\n\nTop", NULL},
        {{"report", "--leak-records=0", "--show-leak-kinds=definite", path, NULL},
         "Not shown: 2 smaller records of definitely lost blocks (--leak-records=all shows them)\n", "are definitely"},
        {{"report", "--leak-records=1", "--leak-resolution=low", path, NULL},
         "Not shown: 1 smaller record of definitely lost blocks", "40 bytes in 1 blocks are definitely lost"},
        {{"report", "--leak-records=all", path, NULL}, "40 bytes in 1 blocks are definitely lost", "smaller record"},
        {{"report", path, "--leak-records", "0", "--show-leak-kinds=definite", NULL},
         "Not shown: 2 smaller records of definitely lost blocks (--leak-records=all shows them)\n", "are definitely"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out, *err;
        assert_int_equal(run_report(cases[i].argv, &out, &err), 0);
        if (strstr(out, cases[i].present) == NULL)
            fail_msg("case %zu: no '%s' in:\n%s", i, cases[i].present, out);
        if (cases[i].absent != NULL && strstr(out, cases[i].absent) != NULL)
            fail_msg("case %zu: '%s' in:\n%s", i, cases[i].absent, out);
        assert_string_equal(err, "");
        free(out);
        free(err);
    }
    struct {
        char *argv[6];
        const char *message;
    } refused[] = {
        {{"report", "--num-callers=0", path, NULL}, "memtrack report: --num-callers takes a number from 1 to 256, not '0'\n"},
        {{"report", "--top=-1", path, NULL}, "memtrack report: --top takes a number from 0 to "},
        {{"report", "--show-leak-kinds=lost", path, NULL}, "memtrack report: --show-leak-kinds takes all, none or "},
        {{"report", "--show-leak-kinds=definite,", path, NULL}, "not 'definite,'"},
        {{"report", "--num-callers", NULL}, "memtrack report: --num-callers needs a value\n"},
        {{"report", "--leak-records=some", path, NULL},
         "memtrack report: --leak-records takes a number or all, not 'some'\n"},
        {{"report", "--leak-records=-1", path, NULL}, "memtrack report: --leak-records takes a number or all, not '-1'\n"},
        {{"report", path, "--leak-records", NULL}, "memtrack report: --leak-records needs a value\n"},
        {{"report", "--format", "json", "--leak-records=all", path, NULL},
         "memtrack report: --leak-records=all is an option of the text format"},
        {{"report", "--format", "json", "--top=3", path, NULL},
         "memtrack report: --top=3 is an option of the text format (JSON holds every record and frame)\n"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char *out, *err;
        assert_int_equal(run_report(refused[i].argv, &out, &err), MT_EXIT_USAGE);
        if (strstr(err, refused[i].message) == NULL)
            fail_msg("refused %zu: no '%s' in '%s'", i, refused[i].message, err);
        assert_string_equal(out, "");
        free(out);
        free(err);
    }
}

/* A path holding URI syntax ('?', '#', '%') is still a plain file name. */
static void test_path_with_uri_characters(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s", temp_path("odd?name=1#frag%41 x.db"));
    create_trace(path, MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    char *out, *err;
    assert_int_equal(run_report((char *[]){"report", "--format=json", path, NULL}, &out, &err), 0);
    assert_string_equal(out, SAMPLE_JSON);
    free(out);
    free(err);
}

/* Help goes to stdout with status 0; mistakes print usage on stderr, status 2. */
static void test_usage(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(run_report((char *[]){"report", "--help", NULL}, &out, &err), 0);
    assert_non_null(strstr(out, "Usage: memtrack report"));
    assert_string_equal(err, "");
    free(out);
    free(err);
    char *mistakes[][5] = {
        {"report", NULL},
        {"report", "a.db", "b.db", NULL},
        {"report", "--colour", "a.db", NULL},
        {"report", "--format", "xml", "a.db", NULL},
        {"report", "a.db", "--format", NULL},
        {"report", "-x", NULL},
    };
    for (size_t i = 0; i < sizeof mistakes / sizeof mistakes[0]; i++) {
        assert_int_equal(run_report(mistakes[i], &out, &err), MT_EXIT_USAGE);
        assert_string_equal(out, "");
        assert_true(strncmp(err, "memtrack report: ", 17) == 0);
        assert_non_null(strstr(err, "Usage: memtrack report"));
        free(out);
        free(err);
    }
}

/* Runs the command on PATH and expects status 2, one line on stderr naming
 * the file and containing REASON, and on stdout nothing or the JSON written
 * before the damage was met (it is written as it is read), never a finished
 * document. */
static void expect_unusable(const char *path, const char *reason)
{
    char *out, *err, prefix[400];
    int status = run_report((char *[]){"report", "--format=json", (char *)path, NULL}, &out, &err);
    snprintf(prefix, sizeof prefix, "memtrack report: %s: ", path);
    static const char start[] = "{\"format\": \"memtrack-report\"";
    bool unfinished = out[0] == '\0' || (strncmp(out, start, strlen(start)) == 0 && strchr(out, '\n') == NULL);
    if (status != MT_EXIT_USAGE || strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, reason) == NULL ||
        strchr(err, '\n') != err + strlen(err) - 1 || !unfinished)
        fail_msg("%s: status %d, stderr \"%s\", expected \"%s\"", path, status, err, reason);
    free(out);
    free(err);
}

/* Writes CONTENT to PATH. */
static void write_file(const char *path, const char *content, size_t length)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(content, 1, length, file), length);
    fclose(file);
}

/* Files that are no trace, or no longer one, are refused with the reason. */
static void test_unusable_files(void **state)
{
    (void)state;
    expect_unusable(temp_path("missing.db"), "cannot open: No such file or directory");

    assert_int_equal(mkdir(temp_path("directory.db"), 0700), 0);
    expect_unusable(temp_path("directory.db"), "cannot open: Is a directory");

    write_file(temp_path("text.txt"), "hello, world\n", 13);
    expect_unusable(temp_path("text.txt"), "not a memtrack trace (not an SQLite database)");

    write_file(temp_path("empty.db"), "", 0);
    expect_unusable(temp_path("empty.db"), "not a memtrack trace (empty file)");

    create_trace(temp_path("truncated.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    struct stat status;
    assert_int_equal(stat(temp_path("truncated.db"), &status), 0);
    assert_int_equal(truncate(temp_path("truncated.db"), status.st_size / 2), 0);
    expect_unusable(temp_path("truncated.db"), "damaged: ");

    create_trace(temp_path("other.db"), "CREATE TABLE meta_data (key, value);", NULL);
    expect_unusable(temp_path("other.db"), "not a memtrack trace (no meta table)");

    create_trace(temp_path("no-version.db"), MT_SCHEMA_SQL, NULL);
    expect_unusable(temp_path("no-version.db"), "not a memtrack trace (meta has no schema_version)");
}

/* Values a hostile or damaged trace can hold, applied to the sample trace
 * (whose NOT NULL constraints are dropped so NULLs can be stored). */
static const struct {
    const char *sql, *reason;
} HOSTILE_VALUES[] = {
    {"UPDATE meta SET value = '99'", "written by a newer memtrack (schema 99 > 4)"},
    {"UPDATE meta SET value = '0'", "damaged: meta.schema_version is not a positive integer"},
    {"UPDATE meta SET value = 'one'", "damaged: meta.schema_version is not a positive integer"},
    {"UPDATE processes SET argv = NULL WHERE id = 1", "damaged: processes row 1: argv is not a JSON array"},
    {"UPDATE processes SET argv = '[\"a\"' WHERE id = 1", "damaged: processes row 1: argv is not a JSON array"},
    {"UPDATE processes SET argv = '[1]' WHERE id = 1", "processes row 1: argv holds something other than strings"},
    {"UPDATE processes SET pid = 'x' WHERE id = 1", "damaged: processes row 1: pid is not an integer"},
    {"UPDATE processes SET pid = NULL WHERE id = 1", "damaged: processes row 1: pid is missing"},
    {"UPDATE processes SET allocations = -1 WHERE id = 1", "damaged: processes row 1: allocations is negative"},
    {"UPDATE processes SET end_reason = NULL WHERE id = 1", "processes row 1: end_reason is not a known value"},
    {"UPDATE stacks SET frames = '[1,' WHERE id = 1", "damaged: stack 1: frames is not a JSON array"},
    {"UPDATE stacks SET frames = NULL WHERE id = 1", "damaged: stack 1: frames is not a JSON array"},
    {"UPDATE stacks SET frames = '{\"a\": 1}' WHERE id = 1", "damaged: stack 1: frames is not a JSON array"},
    {"UPDATE stacks SET frames = '[\"1\"]' WHERE id = 1", "stack 1: frames holds something other than frame ids"},
    {"UPDATE stacks SET frames = '[1, 99]' WHERE id = 1", "damaged: stack 1: frame 99 does not exist"},
    {"DELETE FROM stacks WHERE id = 4", "damaged: stack 4 does not exist"},
    {"DELETE FROM stacks WHERE id = 7", "damaged: stack 4: its outer stack 7 does not exist"},
    {"UPDATE stacks SET outer_id = 4 WHERE id = 7", "damaged: stack 4: its outer stacks go round in a circle"},
    {"UPDATE stacks SET outer_skip = 'one' WHERE id = 2", "damaged: stacks row 2: outer_skip is not an integer"},
    {"UPDATE stacks SET outer_skip = -1 WHERE id = 2", "damaged: stacks row 2: outer_skip is negative"},
    {"DELETE FROM objects WHERE id = 2", "damaged: frame 3: object 2 does not exist"},
    {"DROP TABLE objects", "damaged: no objects table"},
    {"UPDATE frames SET address = 1.5 WHERE id = 1", "damaged: frame 1: address is not an integer"},
    {"UPDATE frames SET line = -3 WHERE id = 1", "damaged: frame 1: line is negative"},
    {"UPDATE blocks SET kind_code = 9 WHERE size = 8", "blocks with process_id 1: kind is not a known value"},
    {"UPDATE blocks SET kind_code = NULL WHERE size = 8", "blocks with process_id 1: kind is not a known value"},
    {"UPDATE blocks SET heuristic = 'bogus' WHERE size = 100",
     "blocks with process_id 1: heuristic is not a known value"},
    {"UPDATE blocks SET heuristic = 'newarray' WHERE size = 8",
     "damaged: blocks with process_id 1: a heuristic on blocks that are not reachable"},
    {"UPDATE blocks SET size = 'big' WHERE size = 8", "blocks with process_id 1: size is not an integer"},
    {"UPDATE blocks SET size = -8 WHERE size = 8", "blocks with process_id 1: size is negative"},
    {"UPDATE blocks SET size = NULL WHERE size = 8", "blocks with process_id 1: size is missing"},
    {"UPDATE blocks SET stack_id = 'two' WHERE size = 8", "blocks with process_id 1: stack_id is not an integer"},
    {"UPDATE blocks SET size = 9223372036854775807 WHERE size IN (0, 40)", "damaged: integer overflow"},
    {"UPDATE blocks SET size = 9223372036854775807 WHERE size = 8", "damaged: blocks: sizes add up beyond 2^63"},
    {"UPDATE errors SET type = 'use_after_free' WHERE id = 3", "damaged: errors row 3: type is not a known value"},
    {"UPDATE errors SET free_function = NULL WHERE id = 3", "damaged: errors row 3: free_function is missing"},
    {"UPDATE errors SET stack_id = 'two' WHERE id = 3", "damaged: errors row 3: stack_id is not an integer"},
    {"UPDATE errors SET first_free_stack_id = 42 WHERE id = 3", "damaged: stack 42 does not exist"},
    {"UPDATE sites SET temporary = -1 WHERE stack_id = 1", "damaged: sites row 1: temporary is negative"},
    {"DROP TABLE blocks; CREATE VIEW blocks AS SELECT 1 AS id", "damaged: no blocks table"},
    {"DROP TABLE errors; CREATE TABLE errors (id INTEGER PRIMARY KEY, process_id)",
     "damaged: no such column: type (reading errors)"},
};

/* Each hostile value ends in status 2 with a reason, never a crash. */
static void test_hostile_values(void **state)
{
    (void)state;
    char *schema = schema_allowing_nulls();
    for (size_t i = 0; i < sizeof HOSTILE_VALUES / sizeof HOSTILE_VALUES[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "hostile-%zu.db", i);
        create_trace(temp_path(name), schema, SAMPLE_ROWS_SQL);
        execute_sql(temp_path(name), HOSTILE_VALUES[i].sql);
        expect_unusable(temp_path(name), HOSTILE_VALUES[i].reason);
    }
    free(schema);
}

/* A stack that failed to load half-way (its second frame missing) fails
 * again when asked for again, rather than coming back with the first frame. */
static void test_a_stack_that_failed_fails_again(void **state)
{
    (void)state;
    create_trace(temp_path("half.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    execute_sql(temp_path("half.db"), "UPDATE stacks SET frames = '[1, 99]' WHERE id = 1");
    struct trace trace;
    assert_int_equal(trace_open(&trace, temp_path("half.db")), 0);
    struct report_stack stack;
    for (int attempt = 0; attempt < 2; attempt++) {
        assert_int_equal(load_stack(&trace, (struct maybe_int){true, 1}, &stack), -1);
        free(stack.frames);
    }
    trace_close(&trace);
}

/* Loads stacks 1 to 7 of the trace at PATH into STACKS (index = id), after
 * reading processes 1 and 2 in one pass each when PRELOAD; returns how many
 * failed, the trace's problem (the first failure) copied to PROBLEM. */
static int load_sample_stacks(const char *path, bool preload, struct report_stack stacks[8], char problem[512])
{
    struct trace trace;
    assert_int_equal(trace_open(&trace, path), 0);
    if (preload) {
        assert_int_equal(stacks_preload(&trace, 1), 0);
        assert_int_equal(stacks_preload(&trace, 2), 0);
    }
    int failed = 0;
    for (int id = 1; id <= 7; id++)
        failed += load_stack(&trace, (struct maybe_int){true, id}, &stacks[id]) != 0;
    memcpy(problem, trace.problem, sizeof trace.problem);
    trace_close(&trace);
    return failed;
}

static int same_text(const char *left, const char *right)
{
    return left == right || (left && right && strcmp(left, right) == 0);
}

/* Reading a process's stacks in one pass gives what reading them one by one
 * gives, damage included: a row the pass cannot take whole is left to the
 * one-row query, which fails the same way. */
static void test_stacks_read_in_one_pass_match(void **state)
{
    (void)state;
    const char *damage[] = {NULL, "UPDATE stacks SET frames = '[1, 99]' WHERE id = 1",
                            "UPDATE stacks SET frames = '{}' WHERE id = 3",
                            "UPDATE frames SET object_id = 9 WHERE id = 6",
                            "UPDATE stacks SET outer_skip = -1 WHERE id = 2"};
    const int expected_failures[] = {0, 4 /* stacks 1, 2, 4 and 7 end in row 1 */, 1, 1, 1};
    for (size_t d = 0; d < sizeof damage / sizeof *damage; d++) {
        create_trace(temp_path("pass.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
        if (damage[d])
            execute_sql(temp_path("pass.db"), damage[d]);
        struct report_stack one_by_one[8], in_one_pass[8];
        char problem_one[512], problem_pass[512];
        int failed_one = load_sample_stacks(temp_path("pass.db"), false, one_by_one, problem_one);
        int failed_pass = load_sample_stacks(temp_path("pass.db"), true, in_one_pass, problem_pass);
        assert_int_equal(failed_one, failed_pass);
        assert_int_equal(failed_one, expected_failures[d]);
        assert_string_equal(problem_one, problem_pass);
        for (int id = 1; id <= 7; id++) {
            assert_int_equal(one_by_one[id].depth, in_one_pass[id].depth);
            for (size_t k = 0; k < one_by_one[id].depth; k++) {
                const struct report_frame *a = &one_by_one[id].frames[k], *b = &in_one_pass[id].frames[k];
                assert_true(a->address == b->address && same_text(a->function, b->function) &&
                            same_text(a->file, b->file) && same_text(a->module, b->module) &&
                            a->line.present == b->line.present && a->line.value == b->line.value);
            }
            free(one_by_one[id].frames);
            free(in_one_pass[id].frames);
        }
    }
}

/* Asked for one site and the definite leaks, the analysis keeps the site
 * with most allocations (and counts the others) and the definite groups
 * only, with their stacks, while counting every group by kind; the text
 * report of every kind and TEXT_SITES_DEFAULT sites reads the same with as
 * many as without the limit. */
static void test_site_stacks_only_where_asked(void **state)
{
    (void)state;
    create_trace(temp_path("sites.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    struct trace trace;
    struct report report = {0};
    assert_int_equal(trace_open(&trace, temp_path("sites.db")), 0);
    const struct analyse_scope one_site = {1, 1u << LEAK_DEFINITE, SIZE_MAX, 0, NULL, NULL, NULL};
    assert_int_equal(analyse_trace(&trace, &report, &one_site), 0);
    const struct report_process *process = NULL;
    for (size_t i = 0; i < report.process_count; i++)
        if (report.processes[i].pid == 100)
            process = &report.processes[i];
    assert_non_null(process);
    assert_int_equal(process->site_total, 3);
    assert_int_equal(process->site_count, 1);
    assert_int_equal(process->sites[0].stack.id, 2); /* 5 allocations: the most */
    assert_int_equal(process->sites[0].stack.depth, 3);
    size_t groups = 0;
    for (int kind = 0; kind < LEAK_KIND_COUNT; kind++)
        groups += process->leak_totals.records[kind];
    assert_true(process->leak_count < groups);
    assert_int_equal(process->leak_count, process->leak_totals.records[LEAK_DEFINITE]);
    for (size_t i = 0; i < process->leak_count; i++) {
        assert_int_equal(process->leaks[i].kind, LEAK_DEFINITE);
        assert_true(process->leaks[i].stack.present);
    }
    report_free(&report);
    trace_close(&trace);
    char *limited = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&limited, &length);
    assert_int_equal(trace_open(&trace, temp_path("sites.db")), 0);
    const struct analyse_scope shown = {TEXT_SITES_DEFAULT, TEXT_LEAK_KINDS_ALL, SIZE_MAX, 0, NULL, NULL, NULL};
    assert_int_equal(analyse_trace(&trace, &report, &shown), 0);
    assert_int_equal(render_text(out, &report), 0);
    fclose(out);
    report_free(&report);
    trace_close(&trace);
    char *whole = render_trace(temp_path("sites.db"), render_text);
    assert_string_equal(limited, whole);
    free(limited);
    free(whole);
}

/* What a stream's visitor was handed: how many records of each sort, and
 * the frames of their stacks. */
struct seen_records {
    size_t processes, leaks, errors, sites, frames;
    size_t stop_after_sites; /* the site visitor stops the stream after this many */
};

static int see_process(void *context, const struct report_process *process)
{
    (void)process;
    ((struct seen_records *)context)->processes++;
    return 0;
}

static int see_leak(void *context, const struct report_leak *leak)
{
    struct seen_records *seen = context;
    seen->leaks++;
    seen->frames += leak->stack.depth;
    return 0;
}

static int see_error(void *context, const struct report_error *error)
{
    struct seen_records *seen = context;
    seen->errors++;
    seen->frames += error->stack.depth + error->alloc_stack.depth + error->first_free_stack.depth;
    return 0;
}

static int see_site(void *context, const struct report_site *site)
{
    struct seen_records *seen = context;
    seen->frames += site->stack.depth;
    return ++seen->sites == seen->stop_after_sites ? -1 : 0;
}

static int see_process_end(void *context, const struct report_process *process)
{
    (void)context, (void)process;
    return 0;
}

/* A process streamed (the JSON report's way) hands every record out with
 * its stacks (as many frames as the whole report holds) and keeps none: no site, no error, and its leak groups without
 * their stacks; a visitor that stops ends the stream at once. */
static void test_stream_keeps_no_record(void **state)
{
    (void)state;
    create_trace(temp_path("stream.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    struct trace trace;
    struct report report = {0};
    assert_int_equal(trace_open(&trace, temp_path("stream.db")), 0);
    assert_int_equal(analyse_processes(&trace, &report, NULL), 0);
    assert_int_equal(report.process_count, 3);
    struct seen_records seen = {.stop_after_sites = SIZE_MAX};
    const struct report_visitor visitor = {&seen, see_process, see_leak, see_error, see_site, see_process_end};
    size_t groups = 0;
    for (size_t i = 0; i < report.process_count; i++) {
        struct report_process *process = &report.processes[i];
        assert_int_equal(analyse_process_stream(&trace, process, &visitor), 0);
        assert_int_equal(process->site_count, 0);
        assert_int_equal(process->error_count, 0);
        for (size_t j = 0; j < process->leak_count; j++)
            assert_null(process->leaks[j].stack.frames);
        groups += process->leak_count;
    }
    assert_int_equal(seen.processes, 3);
    assert_int_equal(seen.leaks, groups);
    assert_int_equal(seen.errors, 3);
    assert_int_equal(seen.sites, 5); /* pid 100's three and pid 101's two */
    report_free(&report);
    assert_int_equal(analyse_trace(&trace, &report, NULL), 0);
    size_t frames = 0;
    for (size_t i = 0; i < report.process_count; i++) {
        const struct report_process *process = &report.processes[i];
        for (size_t j = 0; j < process->leak_count; j++)
            frames += process->leaks[j].stack.depth;
        for (size_t j = 0; j < process->error_count; j++)
            frames += process->errors[j].stack.depth + process->errors[j].alloc_stack.depth +
                      process->errors[j].first_free_stack.depth;
        for (size_t j = 0; j < process->site_count; j++)
            frames += process->sites[j].stack.depth;
    }
    assert_true(frames > 0);
    assert_int_equal(seen.frames, frames);
    report_free(&report);
    assert_int_equal(analyse_processes(&trace, &report, NULL), 0);
    seen = (struct seen_records){.stop_after_sites = 1};
    assert_int_equal(analyse_process_stream(&trace, &report.processes[0], &visitor), 1);
    assert_int_equal(seen.sites, 1);
    report_free(&report);
    trace_close(&trace);
}

/* What analyse_trace told its progress callback, one line per call. */
struct told_progress {
    char lines[16][64];
    size_t count;
};

/* Records one call (analyse_progress). */
static void record_progress(void *context, const struct report_process *process, size_t index, size_t count,
                            size_t done, size_t sites)
{
    struct told_progress *told = context;
    assert_true(told->count < 16);
    snprintf(told->lines[told->count++], sizeof told->lines[0], "pid %lld, %zu of %zu: %zu of %zu",
             (long long)process->pid, index, count, done, sites);
}

/* The reading's progress is told after each site stack loaded, process by
 * process: what `memtrack report` and `view` show on a terminal. */
static void test_reading_progress_is_told(void **state)
{
    (void)state;
    create_trace(temp_path("told.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    struct trace trace;
    struct report report = {0};
    struct told_progress told = {0};
    assert_int_equal(trace_open(&trace, temp_path("told.db")), 0);
    const struct analyse_scope everything = {SIZE_MAX, ANALYSE_EVERY_KIND, SIZE_MAX, 0, NULL, record_progress, &told};
    assert_int_equal(analyse_trace(&trace, &report, &everything), 0);
    const char *expected[] = {"pid 100, 0 of 3: 1 of 3", "pid 100, 0 of 3: 2 of 3", "pid 100, 0 of 3: 3 of 3",
                              "pid 101, 1 of 3: 1 of 2", "pid 101, 1 of 3: 2 of 2"};
    assert_int_equal(told.count, sizeof expected / sizeof *expected);
    for (size_t i = 0; i < told.count; i++)
        assert_string_equal(told.lines[i], expected[i]);
    report_free(&report);
    trace_close(&trace);
}

/* A stream's progress is told as analyse_trace's is, process by process
 * (what `memtrack report --format json`, the exports and `view` show on a
 * terminal), and a visitor without leak and error steps is handed the
 * sites alone. */
static void test_stream_tells_progress(void **state)
{
    (void)state;
    create_trace(temp_path("told_stream.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    struct trace trace;
    struct report report = {0};
    struct told_progress kept = {0}, streamed = {0};
    assert_int_equal(trace_open(&trace, temp_path("told_stream.db")), 0);
    const struct analyse_scope everything = {SIZE_MAX, ANALYSE_EVERY_KIND, SIZE_MAX, 0, NULL, record_progress, &kept};
    assert_int_equal(analyse_trace(&trace, &report, &everything), 0);
    report_free(&report);
    assert_int_equal(analyse_processes(&trace, &report, NULL), 0);
    struct seen_records seen = {.stop_after_sites = SIZE_MAX};
    const struct report_visitor sites_only = {&seen, see_process, NULL, NULL, see_site, see_process_end};
    for (size_t i = 0; i < report.process_count; i++) {
        const struct sites_progress progress = {record_progress, &streamed, i, report.process_count};
        assert_int_equal(analyse_process_stream_told(&trace, &report.processes[i], &sites_only, &progress), 0);
    }
    assert_int_equal(streamed.count, 5); /* pid 100's three sites and pid 101's two */
    assert_int_equal(streamed.count, kept.count);
    for (size_t i = 0; i < streamed.count; i++)
        assert_string_equal(streamed.lines[i], kept.lines[i]);
    assert_int_equal(seen.processes, 3);
    assert_int_equal(seen.sites, 5);
    assert_int_equal(seen.leaks + seen.errors, 0);
    report_free(&report);
    trace_close(&trace);
}

/* memtrack's own frames (its dlopen wrapper, between the program and libc's
 * dlopen) are left out of the text, and out of the count of frames not
 * shown; JSON keeps them. */
static void test_text_leaves_out_memtracks_frames(void **state)
{
    (void)state;
    create_trace(temp_path("own.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    execute_sql(temp_path("own.db"),
                "INSERT INTO objects (id, path, build_id) VALUES (3, '/opt/m/lib/memtrack/libmemtrack.so', NULL);"
                "INSERT INTO frames (id, address, object_id, function, file, line, inlined)"
                " VALUES (7, 4096, 3, 'dlopen', '/src/libtrack/modules.c', 169, 0);"
                "UPDATE stacks SET frames = '[1,7,2]' WHERE id = 1");
    char *text = render_trace(temp_path("own.db"), render_text);
    assert_null(strstr(text, "dlopen"));
    assert_non_null(strstr(text, "40 bytes in 2 blocks are definitely lost\n"
                                 "   at 0x4011d6: leak_here (/abs/src.c:12)\n"
                                 "   by 0x401200: main (/abs/src.c:30)\n"));
    free(text);
    char path[300];
    snprintf(path, sizeof path, "%s", temp_path("own.db"));
    char *argv[] = {"report", "--num-callers=1", path, NULL}, *out, *err;
    assert_int_equal(run_report(argv, &out, &err), 0);
    assert_non_null(strstr(out, "   at 0x4011d6: leak_here (/abs/src.c:12)\n   ... (1 more)\n"));
    free(out);
    free(err);
    text = render_trace(temp_path("own.db"), render_json);
    assert_non_null(strstr(text, "\"function\": \"dlopen\""));
    free(text);
}

/* The text report shows at most 12 frames of a stack and counts the rest. */
static void test_text_shortens_deep_stacks(void **state)
{
    (void)state;
    create_trace(temp_path("deep.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    execute_sql(temp_path("deep.db"), "UPDATE stacks SET frames = '[5,5,5,5,5,5,5,5,5,5,5,1,2,2]' WHERE id = 6");
    char *text = render_trace(temp_path("deep.db"), render_text);
    assert_non_null(strstr(text, "   by 0x401300: helper (/abs/src.c:20)\n"
                                 "   by 0x4011d6: leak_here (/abs/src.c:12)\n"
                                 "   ... (2 more)\n"));
    free(text);
}

/* Odd but harmless values are reported, not refused: a version stored as an
 * integer, a function name that is not UTF-8 (shown as U+FFFD). */
static void test_odd_values_still_report(void **state)
{
    (void)state;
    create_trace(temp_path("odd.db"), MT_SCHEMA_SQL, SAMPLE_ROWS_SQL);
    execute_sql(temp_path("odd.db"),
                "UPDATE meta SET value = 3; UPDATE frames SET function = CAST(x'ff6100' AS TEXT) WHERE id = 3");
    char *json = render_trace(temp_path("odd.db"), render_json);
    assert_non_null(strstr(json, "{\"function\": \"\xef\xbf\xbd" "a\", \"file\": null"));
    free(json);
}

/* Runs every test, sharing one temporary directory. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_of_sample_trace),
        cmocka_unit_test(test_json_of_schema_2_trace),
        cmocka_unit_test(test_text_of_sample_trace),
        cmocka_unit_test(test_heuristics_split_and_name_groups),
        cmocka_unit_test(test_definite_groups_count_the_indirect_bytes_they_lead),
        cmocka_unit_test(test_json_string_escaping),
        cmocka_unit_test(test_command_prints_both_formats),
        cmocka_unit_test(test_text_options),
        cmocka_unit_test(test_path_with_uri_characters),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_unusable_files),
        cmocka_unit_test(test_hostile_values),
        cmocka_unit_test(test_a_stack_that_failed_fails_again),
        cmocka_unit_test(test_stacks_read_in_one_pass_match),
        cmocka_unit_test(test_site_stacks_only_where_asked),
        cmocka_unit_test(test_stream_keeps_no_record),
        cmocka_unit_test(test_reading_progress_is_told),
        cmocka_unit_test(test_stream_tells_progress),
        cmocka_unit_test(test_text_leaves_out_memtracks_frames),
        cmocka_unit_test(test_text_shortens_deep_stacks),
        cmocka_unit_test(test_odd_values_still_report),
    };
    return cmocka_run_group_tests(tests, create_temp_dir, remove_temp_dir);
}
