/*
 * stacks.h - turning a stacks.id into the frames it stands for.
 */
#ifndef MEMTRACK_ANALYSE_STACKS_H
#define MEMTRACK_ANALYSE_STACKS_H

#include "analyse/model.h"
#include "trace/reader.h"

int load_stack(struct trace *trace, struct maybe_int stack_id, struct report_stack *stack);
int stacks_preload(struct trace *trace, int64_t process_id);

#endif
