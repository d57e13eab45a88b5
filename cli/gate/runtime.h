/*
 * runtime.h - telling the C and C++ runtime's frames (the dynamic loader,
 * glibc, libstdc++, libgcc_s, and memtrack's own interposer) from the
 * program's, by the module a frame lies in.
 *
 * Two things need it: default suppressions, which may only look at the
 * runtime frames a stack starts with (so `main` being called from libc does not
 * make a program's own leak look like libc's), and SARIF/annotation locations,
 * which should point at the program's source rather than at glibc's strdup.c.
 */
#ifndef MEMTRACK_GATE_RUNTIME_H
#define MEMTRACK_GATE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include "analyse/model.h"

bool frame_in_runtime(const struct report_frame *frame);
size_t runtime_prefix_depth(const struct report_stack *stack);
const struct report_frame *source_frame(const struct report_stack *stack);

#endif
