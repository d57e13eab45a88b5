/*
 * presymbolize.h - symbolizing while the program still runs.
 *
 * Symbolizing a stack's addresses is most of what memtrack does after the
 * program ends: opening each object and its debug file, inflating compressed
 * DWARF, reading symbol tables, then one lookup per address.  A run used to
 * spend a quarter of a second there after a one-second program.  A thread of
 * its own now resolves the addresses of the stacks received so far, into the
 * symbolizer the trace writer will use, while the collector goes on
 * receiving; what it has done by the end is done.
 *
 * The symbolizer (libdw) is not thread-safe: it belongs to the thread while
 * a job runs, and presymbolize_take stops and joins the thread before it
 * hands the symbolizer to anyone else.
 */
#ifndef MEMTRACK_PRESYMBOLIZE_H
#define MEMTRACK_PRESYMBOLIZE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include "collect/u64map.h"

struct mt_process;
struct presymbolize_address;
struct symbolizer;

/* A growable array of addresses to resolve. */
struct presymbolize_list {
    struct presymbolize_address *at;
    size_t n, cap;
};

struct presymbolizer {
    struct symbolizer *symbolizer; /* made on first need */
    pthread_t thread;
    int running;                   /* a thread was started and not joined yet */
    atomic_int done, stop;         /* the thread finished its job; asked to stop early */
    struct presymbolize_list job;  /* the thread's while it runs */
    struct presymbolize_list pending; /* gathered since, for the next job */
    unsigned jobs;                 /* jobs started */
    struct u64map offered;         /* addresses gathered already (a set) */
};

void presymbolize_init(struct presymbolizer *ps);
/* Called as batches come in: gathers the addresses of a few of the stacks
 * that arrived since the last call and, when the thread is free, makes what
 * was gathered its next job.  Its time is bounded: the collector calls it
 * between drains of the program's batches. */
void presymbolize_offer(struct presymbolizer *ps, struct mt_process *processes);
/* Stops the thread (it ends after the address at hand), drops what was
 * gathered, and returns the symbolizer, now the caller's until the next
 * offer; NULL when out of memory. */
struct symbolizer *presymbolize_take(struct presymbolizer *ps);
void presymbolize_free(struct presymbolizer *ps);

#endif
