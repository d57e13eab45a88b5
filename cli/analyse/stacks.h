/*
 * stacks.h - turning a stacks.id into the frames it stands for.
 */
#ifndef MEMTRACK_ANALYSE_STACKS_H
#define MEMTRACK_ANALYSE_STACKS_H

#include "analyse/model.h"
#include "trace/reader.h"

/* More rows than this in one chain mean the chain goes round in a circle:
 * every row but the first holds at least one of the stack's return
 * addresses, and a stack has at most MT_MAX_DEPTH (256) of them. */
#define STACK_MAX_LINKS 1024

int load_stack(struct trace *trace, struct maybe_int stack_id, struct report_stack *stack);
int stacks_preload(struct trace *trace, int64_t process_id);

/* One stacks row as the trace keeps it (schema.sql): its own frames,
 * innermost first, as numbers in the trace's frame list (stacks_frame), and
 * the row further out where the stack goes on. */
struct stack_link {
    int64_t id;               /* never 0 */
    struct maybe_int outer_id;
    int64_t outer_skip;       /* how many of the outer row's own frames, innermost first, are not this stack's */
    size_t depth;
    const uint32_t *frames;
};
/* Hands VISIT every stacks row of the process whose processes.id is
 * PROCESS_ID in id order, each whole row once (schema 3 and later: none
 * for older traces).  A row it cannot take whole (damage of any kind) is
 * not handed out: load_stack says what is wrong with it, if a stack needs
 * it.  Returns 0, -1 when memory ran out (recorded), or 1 when VISIT
 * stopped it by returning nonzero. */
int stacks_each_link(struct trace *trace, int64_t process_id,
                     int (*visit)(void *context, const struct stack_link *link), void *context);
/* The frame numbered NUMBER by stacks_each_link, of the STACKS_FRAME_COUNT
 * it read; its strings are pooled, like every report_frame's. */
const struct report_frame *stacks_frame(const struct trace *trace, uint32_t number);
size_t stacks_frame_count(const struct trace *trace);

#endif
