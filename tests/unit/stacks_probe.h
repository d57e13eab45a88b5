/*
 * stacks_probe.h - libtrack's stack capture (libtrack/stacks.c) packaged in a
 * shared object of its own, as it is inside libmemtrack.so, for test_stacks.c.
 * The rest of libtrack is replaced by stand-ins that keep the STACK records
 * the capture emits.
 */
#ifndef MEMTRACK_TESTS_STACKS_PROBE_H
#define MEMTRACK_TESTS_STACKS_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include "protocol.h"

/* One STACK record as the collector would receive it. */
struct probe_stack {
    uint32_t id, truncated, depth;
    uint64_t frames[MT_MAX_DEPTH];
};

/* Finds the probe's own text (frames the capture leaves out) and sets up the
 * stack table; `depth_limit` is MEMTRACK_DEPTH's part. */
void probe_start(unsigned depth_limit);
void probe_set_depth_limit(unsigned depth_limit);
/* Plays an interposed malloc: captures the caller's stack, returns its id. */
uint32_t probe_allocation_hook(void);
/* The STACK records emitted so far, oldest first. */
size_t probe_stack_count(void);
const struct probe_stack *probe_stack_at(size_t i);
/* Whether `address` lies in the probe's own text. */
int probe_owns(uint64_t address);

#endif
