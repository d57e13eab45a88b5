/*
 * stacks_probe.h - libtrack's stack capture (libtrack/stacks.c) packaged in a
 * shared object of its own, as it is inside libmemtrack.so, for test_stacks.c
 * and test_unwind.c.  The rest of libtrack is replaced by stand-ins that keep
 * the STACK records the capture emits.
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
/* Plays the start of a process: sends the list of loaded objects, with the
 * connection made or (is_connected 0) still being made by another thread;
 * says how many MODULE records were sent and how many were left in the
 * buffer (then read and forgotten). */
void probe_announce_modules(int is_connected, size_t *sent, size_t *still_buffered);
/* Whether `address` lies in the probe's own text. */
int probe_owns(uint64_t address);

#define PROBE_MAX_WALK 256 /* MT_MAX_DEPTH: libtrack never asks for more */

/* One stack walked by both of libtrack's unwinders. */
struct probe_walks {
    int fast; /* what mt_unwind returned: a count, or -1 (libunwind needed) */
    int slow; /* how many frames libunwind gave */
    void *fast_frames[PROBE_MAX_WALK]; /* mt_unwind's return addresses */
    int fast_hash_agrees; /* mt_unwind's hash is that of its frames (the cache's, when it came from there) */
    void *slow_frames[PROBE_MAX_WALK]; /* libunwind's, the probe's own frames left out */
};
/* Walks the caller's stack with mt_unwind and with libunwind (as stacks.c
 * does when mt_unwind gives up), at most `max` frames (<= PROBE_MAX_WALK) each. */
void probe_unwind_both(struct probe_walks *walks, int max);
/* mt_eh_frame_rule(return_address): the rule eh_frame.c computes for it (which unwind.c caches, unless it
 * is based on rsp and reads outside its frame: then libunwind walks). */
uint64_t probe_eh_frame_rule(uint64_t return_address);

#endif
