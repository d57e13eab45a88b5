/*
 * presymbolize.c - see presymbolize.h.
 *
 * The collector's thread gathers addresses a little at a time: each offer
 * takes at most STACKS_PER_OFFER newly arrived stacks (in each process's
 * order of arrival), so it never holds up the draining of the program's
 * batches for long; gathering whole stack maps at once held it for 10-20 ms
 * on a Python workload, and the program waited that long.  What is gathered
 * waits in `pending` until the thread is free, then becomes its job.
 *
 * A job is a plain array of (object path, load bias, address).  The paths
 * point into the processes' module lists, which live until the processes
 * are written, and writing a process first takes the symbolizer back
 * (presymbolize_take), which joins the thread: no path can go while a job
 * reads it, and pending addresses are dropped then (the writer resolves what
 * it still needs itself).
 */
#include "run/presymbolize.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include "collect/process.h"
#include "symbolize/symbolize.h"

#define STACKS_PER_OFFER 256 /* bounds the collector's time per offer */
#define MIN_LATER_JOB 256    /* addresses: after the first job, fewer wait for more */
#define FRAMES_PER_ADDRESS 64

struct presymbolize_address {
    const char *path;
    uint64_t base, address;
};

void presymbolize_init(struct presymbolizer *ps)
{
    *ps = (struct presymbolizer){0};
    u64map_init(&ps->offered, 0);
}

/* The thread: resolves each address of the job into the symbolizer's cache. */
static void *run_job(void *arg)
{
    struct presymbolizer *ps = arg;
    struct symbol_frame frames[FRAMES_PER_ADDRESS];
    /* idle time's work: the collector's thread, which the program may be
     * waiting for, and the program itself come first (nice applies per thread) */
    setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
    for (size_t i = 0; i < ps->job.n && !atomic_load_explicit(&ps->stop, memory_order_relaxed); i++)
        symbolizer_resolve(ps->symbolizer, ps->job.at[i].path, ps->job.at[i].base, ps->job.at[i].address, frames,
                           FRAMES_PER_ADDRESS);
    atomic_store_explicit(&ps->done, 1, memory_order_release);
    return NULL;
}

/* Joins the thread, if one was started, and empties its job. */
static void join(struct presymbolizer *ps)
{
    if (ps->running) {
        pthread_join(ps->thread, NULL);
        ps->running = 0;
    }
    ps->job.n = 0;
}

/* Appends one address to list l; 0, or -1 when out of memory. */
static int append(struct presymbolize_list *l, const char *path, uint64_t base, uint64_t address)
{
    if (l->n == l->cap) {
        size_t grown = l->cap ? l->cap * 2 : 1024;
        struct presymbolize_address *bigger = realloc(l->at, grown * sizeof *bigger);
        if (!bigger)
            return -1;
        l->at = bigger;
        l->cap = grown;
    }
    l->at[l->n++] = (struct presymbolize_address){path, base, address};
    return 0;
}

/* Adds to `pending` the addresses of p's next arrived stacks, at most
 * *budget stacks, that no job had yet.  The set of offered addresses spans
 * processes: an address two processes map to different objects is prepared
 * for the first one only, and the writer resolves it for the other. */
static void gather(struct presymbolizer *ps, struct mt_process *p, size_t *budget)
{
    for (; p->presymbolized < p->n_arrived_stacks && *budget; p->presymbolized++, (*budget)--) {
        const struct mt_stack_def *stack = u64map_get(&p->stacks, p->arrived_stacks[p->presymbolized]);
        for (uint32_t i = 0; stack && i < stack->depth; i++) {
            uint64_t address = stack->frames[i];
            int created;
            if (!address || !u64map_put(&ps->offered, address, &created) || !created)
                continue;
            const struct mt_module *m = process_module_of(p, address);
            if (m && append(&ps->pending, m->path, m->base, address) != 0)
                return;
        }
    }
}

void presymbolize_offer(struct presymbolizer *ps, struct mt_process *processes)
{
    size_t budget = STACKS_PER_OFFER;
    for (struct mt_process *p = processes; p && budget; p = p->next)
        if (!p->written)
            gather(ps, p, &budget);
    if (ps->running && !atomic_load_explicit(&ps->done, memory_order_acquire))
        return;
    join(ps);
    /* the first job starts at once: a short program's few addresses may need
     * the longest work, a large debug file inflated for one of them */
    if (!ps->pending.n || (ps->jobs && ps->pending.n < MIN_LATER_JOB))
        return;
    if (!ps->symbolizer && !(ps->symbolizer = symbolizer_new()))
        return;
    struct presymbolize_list next = ps->pending;
    ps->pending = ps->job; /* the finished job's room, emptied by join */
    ps->job = next;
    atomic_store(&ps->done, 0);
    atomic_store(&ps->stop, 0);
    ps->running = pthread_create(&ps->thread, NULL, run_job, ps) == 0;
    ps->jobs++;
    if (!ps->running)
        join(ps); /* no thread: the writer symbolizes it all, as without presymbolizing */
}

struct symbolizer *presymbolize_take(struct presymbolizer *ps)
{
    atomic_store(&ps->stop, 1);
    join(ps);
    ps->pending.n = 0; /* their paths may go with the process about to be written */
    if (!ps->symbolizer)
        ps->symbolizer = symbolizer_new();
    return ps->symbolizer;
}

void presymbolize_free(struct presymbolizer *ps)
{
    presymbolize_take(ps);
    if (ps->symbolizer)
        symbolizer_free(ps->symbolizer);
    free(ps->job.at);
    free(ps->pending.at);
    u64map_free(&ps->offered);
    *ps = (struct presymbolizer){0};
}
