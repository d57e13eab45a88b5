/*
 * signature.h - a stack as text that survives ASLR and rebuilds: each frame's
 * function and the name (not the directory) of its source file, or of its
 * module when neither function nor source is known.  No addresses and no line numbers, so the
 * same code path matches across runs, machines and edits elsewhere in a file.
 */
#ifndef MEMTRACK_ANALYSE_SIGNATURE_H
#define MEMTRACK_ANALYSE_SIGNATURE_H

#include "analyse/model.h"

char *stack_signature(const struct report_stack *stack);

#endif
