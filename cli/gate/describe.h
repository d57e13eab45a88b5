/*
 * describe.h - findings and processes in words, shared by every gate output
 * (text, JUnit, SARIF, GitHub annotations).  The strings are raw trace text:
 * each output escapes them its own way.  All return a string the caller frees,
 * or NULL when memory runs out.
 */
#ifndef MEMTRACK_GATE_DESCRIBE_H
#define MEMTRACK_GATE_DESCRIBE_H

#include <stddef.h>
#include <stdio.h>

#include "gate/findings.h"

char *process_label(const struct report_process *process);
char *finding_headline(const struct finding *finding);
char *finding_stacks(const struct finding *finding, size_t max_frames);
char *frame_label(const struct report_frame *frame);
void write_printable(FILE *out, const char *text);

#endif
