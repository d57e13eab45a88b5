/*
 * stored.h - what the trace stores of a process, as the collector hands it
 * over once the process has ended: the types of its sites, stacks, modules,
 * timeline and marks, filled by the collector (process.c) as records
 * arrive, and the read-only view of them (struct stored_process) that
 * trace/writer.c is given.  The writer sees nothing else of the collector:
 * not its maps of what is still to come (early releases, address numbers),
 * its connections, nor any other stage's state.
 */
#ifndef MEMTRACK_COLLECT_STORED_H
#define MEMTRACK_COLLECT_STORED_H

#include <stddef.h>
#include <stdint.h>
#include "collect/live_blocks.h"
#include "protocol.h"
#include "util/u64map.h"

#define MT_LIFETIME_BUCKETS 9 /* <1us, <10us, ..., <10s, >=10s */

struct mt_site {
    uint64_t first_ns; /* time of its first allocation: orders sites in the trace */
    uint64_t allocations, bytes, temporary;
    uint64_t live_bytes, at_peak, seen_peak_seq;
    uint64_t lifetimes[MT_LIFETIME_BUCKETS];
};

/* One stack.  Its frames are kept as numbers of the process's distinct
 * return addresses, end to end with every other stack's (mt_process.frames):
 * a compiler's 146,000 stacks of 48 frames each held 58 MB as one array of
 * addresses per stack, where a few hundred thousand distinct addresses
 * repeat. */
struct mt_stack_def {
    uint32_t depth, truncated;
    size_t first; /* its frames: frames[first .. first + depth), innermost first */
};

struct mt_module {
    char *path, *build_id;
    uint64_t base, start, end;
};

#define MT_TIMELINE_INTERVAL_NS 10000000ull

struct mt_sample {
    uint64_t time_ns, heap_bytes;
    uint64_t rss_bytes; /* the highest resident set size read in its interval; 0: none read */
};

struct mt_mark {
    uint64_t time_ns;
    char *label;
};

/* How a process ended, as far as seen from outside it: run/finish.c's,
 * set when it decides that the process has ended. */
struct process_ending {
    int wait_status_known; /* the collector reaped it (the top process) */
    int wait_status;
    int still_running;     /* alive when the run ended (a daemon) */
};

/* A process as the trace stores it: the collector's state, read only,
 * made by process_stored (process.h) when the process is handed over; the
 * collector changes none of it from then on.  Pointers lead into the
 * collector's process, which outlives the store. */
struct stored_process {
    /* who it was */
    uint32_t pid, parent_pid;
    int ordinal;                  /* 1, 2, ... in order of hello: its processes.id */
    int argc;
    char *const *argv;
    const char *executable;
    uint64_t start_ns, end_ns;
    const char *untraced;         /* why its allocations went unseen, or NULL */
    const char *note;             /* notes for people, or NULL */
    uint64_t dropped_records;     /* well-formed records whose fields were out of range */
    /* how it ended */
    int stand_in;                 /* known only from outside: it never said hello */
    int replaced_by_exec;
    const struct mt_rec_exit *exit; /* its EXIT record, or NULL when none came */
    struct process_ending ending;
    /* the collector's running figures, for when no EXIT record came */
    uint64_t allocations, frees, allocated_bytes, peak_bytes, peak_ns, temporary;
    uint64_t peak_seq;            /* the peak sites last saw (mt_site.seen_peak_seq) */
    /* what its records left */
    const struct u64map *stacks;  /* stack id -> struct mt_stack_def */
    const uint32_t *frames;       /* every stack's frames, each the number of its return address */
    const uint64_t *addresses;    /* return addresses by number */
    size_t n_addresses;
    const struct mt_module *modules;
    size_t n_modules;
    const struct u64map *sites;   /* stack id + 1 -> struct mt_site */
    const struct live_blocks *blocks;
    const struct u64map *owners;  /* block id -> an indirectly lost block's definite owner's address */
    const struct mt_rec_error *errors;
    size_t n_errors;
    const struct mt_mark *marks;
    size_t n_marks;
    const struct mt_sample *timeline; /* in time order, one sample per interval */
    size_t n_timeline;
};

/* The module of MODULES (N of them) containing ADDRESS, the latest loaded
 * first, or NULL. */
const struct mt_module *mt_module_of(const struct mt_module *modules, size_t n, uint64_t address);

#endif
