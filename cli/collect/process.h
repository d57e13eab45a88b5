/*
 * process.h - what the collector knows of one traced process image while the
 * run lasts: its identity, modules, stacks, live blocks and per-site figures,
 * and beside them the state each later stage keeps of it (its slots for the
 * harvest, its RSS readings, how it ended, its way through the storer).
 * Records are applied in arrival order; nothing here depends on the order of
 * batches from different threads (see common/protocol.h).
 */
#ifndef MEMTRACK_PROCESS_H
#define MEMTRACK_PROCESS_H

#include <stdint.h>
#include "collect/harvest.h"
#include "collect/live_blocks.h"
#include "collect/stored.h"
#include "protocol.h"
#include "util/u64map.h"

/* What arrived for a block before the block itself: another thread's batch
 * with the release (or the exit verdict) can overtake the allocating one. */
struct mt_early {
    struct mt_rec_free free; /* free.h.type == 0 when no release came */
    uint8_t kind;            /* MT_LEAK_END when no verdict came */
    uint8_t heuristic;       /* the verdict's enum mt_heuristic */
};

/* rss.c's: when the process's resident set size was last read. */
struct rss_reading {
    uint64_t interval;       /* 1 + the timeline interval of its last RSS reading; 0 before any */
    int exit_sampled;        /* the sample taken when its exit was seen is on its timeline */
};

/* run/storer.c's: the process's way through the storer. */
struct process_storing {
    int handed_over;         /* given to the storer: the collector changes it no more */
    struct mt_process *next; /* the storer's queue */
    size_t presymbolized;    /* addresses[0..presymbolized) went to symbolizing ahead */
};

/* One traced process image.  Each part has one writer: the collector's
 * thread fills the first two (who the process is and who speaks for it,
 * what its records said) until the process is handed over to the storer;
 * each later stage has a struct of its own, written by it alone.  The trace
 * writer sees only the view process_stored makes (stored.h). */
struct mt_process {
    /* who it is, set when it is made (process_new, process_stand_in), and
     * who speaks for it, kept by server.c (connections, order, exec, end) */
    uint64_t token;
    uint32_t pid, parent_pid;
    int argc;
    char **argv;
    char *executable;
    uint64_t start_ns, end_ns;
    uint32_t hello_flags;
    int connections;        /* open connections speaking for it */
    int replaced_by_exec;   /* a later image of the same pid said hello */
    int ordinal;             /* 1, 2, ... in order of hello: its processes.id */
    int stand_in;            /* known only from outside: it never said hello */
    const char *untraced;    /* why its allocations went unseen (a static string), or NULL */
    struct mt_process *announced_over; /* the image an MT_HELLO_UNTRACEABLE announcement took as
                                          replaced by exec: given back its life if the exec fails */
    struct mt_process *next; /* the server's list, in order of hello */

    /* process.c's: what its records said */
    int exited;             /* its EXIT record arrived */
    struct mt_rec_exit exit;
    struct u64map stacks;   /* stack id -> struct mt_stack_def */
    uint32_t *frames;       /* every stack's frames, each the number of its return address */
    size_t n_frames, cap_frames;
    uint64_t *addresses;    /* the distinct return addresses of its stacks, by number, in order of arrival */
    size_t n_addresses, cap_addresses;
    struct u64map address_numbers; /* ~address (never 0 for a real one) -> uint32_t number */
    struct live_blocks blocks; /* block id -> struct mt_live_block */
    struct u64map early;    /* block id -> struct mt_early: its FREE or VERDICT came before its ALLOC */
    struct u64map owners;   /* block id -> uint64_t: an indirectly lost block's definite owner's address */
    struct u64map sites;    /* stack id + 1 -> struct mt_site (stack id 0 is a real key here) */
    struct mt_module *modules;
    size_t n_modules, cap_modules;
    struct mt_rec_error *errors;
    size_t n_errors, cap_errors;
    struct mt_mark *marks;
    size_t n_marks, cap_marks;
    struct mt_sample *timeline; /* one sample per interval: the highest heap in it */
    size_t n_timeline, cap_timeline;
    uint64_t dropped_records; /* well-formed records whose fields were out of range (decoder.h) */
    char *note;              /* notes for people, kept in the trace (process_add_note) */
    /* the collector's own running figures, used when no EXIT record came */
    uint64_t allocations, frees, allocated_bytes, current_bytes, peak_bytes, peak_ns, peak_seq, temporary;

    /* the later stages' own */
    struct harvest harvest;         /* harvest.c's: its shared-memory slots */
    struct rss_reading rss;         /* rss.c's */
    struct process_ending ending;   /* run/finish.c's: how it ended */
    struct process_storing storing; /* run/storer.c's */
};

/* Why a process that defines its own malloc is untraced (MT_HELLO_FOREIGN_MALLOC). */
#define MT_UNTRACED_FOREIGN_MALLOC "the program defines its own malloc: its allocations never reach memtrack"
/* Why a program that never said hello is untraced, unless the launcher knew better. */
#define MT_UNTRACED_SILENT "the program sent no events"

struct mt_process *process_new(const struct mt_rec_hello *hello);
/* A process known only from outside (no hello came: a static or setuid
 * program), untraced for the reason WHY (a static string).  One a traced
 * process announced (MT_HELLO_UNTRACEABLE) is made by process_new. */
struct mt_process *process_stand_in(uint32_t pid, uint32_t parent_pid, char **argv, const char *executable,
                                    const char *why);
void process_free(struct mt_process *p);
/* What the trace stores of P, which has ended and been handed over. */
struct stored_process process_stored(const struct mt_process *p);
/* The return address of frame i of stack s (innermost first). */
static inline uint64_t process_frame_address(const struct mt_process *p, const struct mt_stack_def *s, uint32_t i)
{
    return p->addresses[p->frames[s->first + i]];
}
/* Looks at a record of a batch before the batch is applied: starts loading
 * what applying it will touch (process.c). */
void process_preview(struct mt_process *p, const struct mt_record_header *rec);
/* Applies one record (already validated by the decoder) to p. */
void process_apply(struct mt_process *p, const struct mt_record_header *rec);
/* Puts on the timeline what the collector saw from outside the program at
 * TIME_NS (CLOCK_MONOTONIC): RSS_BYTES, its resident set size (0 when none was
 * read), with the collector's current heap when the interval has no sample. */
void process_sample_from_outside(struct mt_process *p, uint64_t time_ns, uint64_t rss_bytes);
/* Adds `note` to the process's notes for people (kept in the trace). */
void process_add_note(struct mt_process *p, const char *note);
/* A fork child knows its parent's stacks and modules: its inherited blocks
 * refer to them.  Called when the child says hello. */
void process_inherit_from(struct mt_process *child, const struct mt_process *parent);
/* Takes ownership of a segment descriptor announced by a SEGMENT record. */
void process_add_segment(struct mt_process *p, const struct mt_rec_segment *rec, int fd);
/* Applies, from the segments, every committed batch that never arrived: what a
 * process that died (crash, SIGKILL, _exit, exec) could not send.  Once. */
void process_harvest(struct mt_process *p);
/* A raw fork's child: its parent, still running, did not send its batch
 * before the fork, so stacks the child's inherited blocks name may be only
 * in the parent's slots.  Takes the STACK records found there into child. */
void process_take_unsent_stacks(struct mt_process *child, const struct mt_process *parent);

/* The module containing address, or NULL. */
static inline const struct mt_module *process_module_of(const struct mt_process *p, uint64_t address)
{
    return mt_module_of(p->modules, p->n_modules, address);
}

#endif
