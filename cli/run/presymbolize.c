/*
 * presymbolize.c - see presymbolize.h.
 *
 * A job is a plain array of (object path, load bias, address), built by the
 * collector's thread from the processes' stacks and modules.  The paths point
 * into the processes' module lists, which live until the processes are
 * written, and writing a process first takes the symbolizer back
 * (presymbolize_take), which joins the thread: no path can go while a job
 * reads it.
 */
#include "run/presymbolize.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include "collect/process.h"
#include "symbolize/symbolize.h"

#define JOB_GROWTH 2 /* a next job once the stacks have doubled: all jobs sum to ~2x the last */
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
    for (size_t i = 0; i < ps->n_job && !atomic_load_explicit(&ps->stop, memory_order_relaxed); i++)
        symbolizer_resolve(ps->symbolizer, ps->job[i].path, ps->job[i].base, ps->job[i].address, frames,
                           FRAMES_PER_ADDRESS);
    atomic_store_explicit(&ps->done, 1, memory_order_release);
    return NULL;
}

/* Joins the thread, if one was started, and drops its job. */
static void join(struct presymbolizer *ps)
{
    if (ps->running) {
        pthread_join(ps->thread, NULL);
        ps->running = 0;
    }
    free(ps->job);
    ps->job = NULL;
    ps->n_job = 0;
}

/* Appends the addresses of p's stacks that no job had yet; 0, or -1 when out
 * of memory.  The set of offered addresses spans processes: an address two
 * processes map to different objects is prepared for the first one only,
 * and the writer resolves it for the other as it would without this. */
static int add_new_addresses(struct presymbolizer *ps, struct mt_process *p, size_t *cap)
{
    uint64_t id;
    void *value;
    for (size_t cursor = 0; u64map_next(&p->stacks, &cursor, &id, &value);) {
        const struct mt_stack_def *stack = value;
        for (uint32_t i = 0; i < stack->depth; i++) {
            uint64_t address = stack->frames[i];
            int created;
            if (!address || !u64map_put(&ps->offered, address, &created))
                continue;
            const struct mt_module *m = created ? process_module_of(p, address) : NULL;
            if (!m)
                continue;
            if (ps->n_job == *cap) {
                size_t grown = *cap ? *cap * 2 : 1024;
                struct presymbolize_address *bigger = realloc(ps->job, grown * sizeof *bigger);
                if (!bigger)
                    return -1;
                ps->job = bigger;
                *cap = grown;
            }
            ps->job[ps->n_job++] = (struct presymbolize_address){m->path, m->base, address};
        }
    }
    return 0;
}

void presymbolize_offer(struct presymbolizer *ps, struct mt_process *processes)
{
    if (ps->running && !atomic_load_explicit(&ps->done, memory_order_acquire))
        return;
    join(ps);
    size_t stacks = 0;
    for (struct mt_process *p = processes; p; p = p->next)
        if (!p->written)
            stacks += p->stacks.count;
    /* from the first stack on: a short program's few stacks may still need
     * the longest work, a large debug file inflated for one address */
    if (stacks == 0 || stacks < ps->stacks_offered * JOB_GROWTH)
        return;
    ps->stacks_offered = stacks;
    if (!ps->symbolizer && !(ps->symbolizer = symbolizer_new()))
        return;
    size_t cap = 0;
    for (struct mt_process *p = processes; p; p = p->next)
        if (!p->written && add_new_addresses(ps, p, &cap) != 0)
            break;
    if (!ps->n_job)
        return;
    atomic_store(&ps->done, 0);
    atomic_store(&ps->stop, 0);
    ps->running = pthread_create(&ps->thread, NULL, run_job, ps) == 0;
    if (!ps->running)
        join(ps); /* no thread: the end symbolizes it all, as without presymbolizing */
}

struct symbolizer *presymbolize_take(struct presymbolizer *ps)
{
    atomic_store(&ps->stop, 1);
    join(ps);
    if (!ps->symbolizer)
        ps->symbolizer = symbolizer_new();
    return ps->symbolizer;
}

void presymbolize_free(struct presymbolizer *ps)
{
    presymbolize_take(ps);
    if (ps->symbolizer)
        symbolizer_free(ps->symbolizer);
    u64map_free(&ps->offered);
    *ps = (struct presymbolizer){0};
}
