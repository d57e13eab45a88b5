/*
 * memcheck_text.h - memcheck's wording, for every text memtrack prints (the
 * report, the gate's findings, the CI formats that carry a finding as text:
 * JUnit, GitHub annotations), so a user reads a stack or a loss record the
 * same way in each, and as valgrind users already do.
 */
#ifndef MEMTRACK_MEMCHECK_TEXT_H
#define MEMTRACK_MEMCHECK_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "analyse/model.h"

/* Writes one frame without its address: "make_leak (src/leak.c:6)",
 * "??? (in /lib/libfoo.so)". */
void write_frame_label(FILE *out, const struct report_frame *frame);

/* Writes STACK innermost first, one frame a line after INDENT:
 * "at 0x4011d6: make_leak (src/leak.c:6)", then "by ..." for its callers,
 * "(in /lib/libfoo.so)" where only the module is known.  At most MAX_FRAMES
 * frames, then "... (N more)"; those below main only if BELOW_MAIN
 * (report_stack_shown_depth); none of memtrack's own. */
void write_stack_text(FILE *out, const struct report_stack *stack, const char *indent, size_t max_frames,
                      bool below_main);

/* Writes a leak group's size: "40 bytes", or for a definite group that
 * leads indirectly lost blocks "120 (24 direct, 96 indirect) bytes". */
void write_leak_size(FILE *out, const struct report_leak *leak);

/* Writes where a bad free's address lies in a variable, as memcheck does:
 * '0 bytes inside data symbol "a_global"'; nothing when no symbol is known. */
void write_data_symbol(FILE *out, const struct report_error *error);

#endif
