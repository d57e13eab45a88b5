/*
 * describe.h - findings and processes in words, shared by every gate output
 * (text, JUnit, SARIF, GitHub annotations) and by diff's table.  Text from the trace is written
 * printable (printable.h), so in every output one frame is one line whatever
 * a name holds; the only newlines are finding_stacks' own, between frames.
 * Each output still escapes what its format needs.  All return a string the
 * caller frees, or NULL when memory runs out.
 */
#ifndef MEMTRACK_OUTPUT_DESCRIBE_H
#define MEMTRACK_OUTPUT_DESCRIBE_H

#include <stdbool.h>
#include <stddef.h>

#include "gate/gate.h"

char *process_label(const struct report_process *process);
char *finding_headline(const struct finding *finding);
char *finding_stacks(const struct finding *finding, size_t max_frames, bool below_main);
char *frame_label(const struct report_frame *frame);

#endif
