/*
 * storer.c - see storer.h.
 *
 * The collector gathers addresses a little at a time: each call takes at most
 * ADDRESSES_PER_GATHER new return addresses (each process numbers its
 * addresses in order of arrival), so it never holds up the draining of
 * batches for long.
 * The thread stores queued processes first, in order; with none queued it
 * resolves gathered addresses, RESOLVE_SLICE at a time so that a process
 * that ends meanwhile waits for one slice at most; with none left, it
 * writes what it resolved to the symbol cache, SAVE_BATCH addresses or more
 * at a time.  A run that resolves a compiler's 24,000 addresses so writes
 * them while the compiler runs instead of after it (150 ms at the end of a
 * compile with an empty cache, on this project's machine).
 */
#include "run/storer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "collect/process.h"
#include "progress_line.h"
#include "symbolize/symbolize.h"
#include "trace/writer.h"
#include "util/array.h"

#define ADDRESSES_PER_GATHER 1024
#define RESOLVE_SLICE 256
#define FRAMES_PER_ADDRESS 64
#define SAVE_BATCH 1024 /* addresses resolved before the thread, when idle, writes them to the symbol cache */

/* Creates the symbolizer on first use, with the symbol cache when the run wants it; NULL when out of
 * memory. */
static struct symbolizer *symbolizer_of(struct storer *s)
{
    if (!s->symbolizer && (s->symbolizer = symbolizer_new()) && s->symbol_cache)
        symbolizer_use_cache(s->symbolizer, NULL);
    return s->symbolizer;
}

/* Stores p; returns 0, or -1 after saying why it could not. */
static int store(struct storer *s, struct mt_process *p)
{
    symbolizer_of(s);
    struct stored_process stored = process_stored(p);
    if (trace_write_process(s->writer, &stored, s->symbolizer) == 0)
        return 0;
    progress_line_say(s->line, "memtrack: cannot store process %u in the trace: %s\n", p->pid,
                    trace_writer_error(s->writer));
    return -1;
}

/* Resolves n addresses into the symbolizer's cache. */
static void resolve(struct storer *s, const struct storer_address *at, size_t n)
{
    struct symbol_frame frames[FRAMES_PER_ADDRESS];
    symbolizer_of(s);
    for (size_t i = 0; i < n && s->symbolizer; i++)
        symbolizer_resolve(s->symbolizer, at[i].path, at[i].base, at[i].address, frames, FRAMES_PER_ADDRESS);
}

/* Takes the first queued process off the queue (the lock is held). */
static struct mt_process *take_first(struct storer *s)
{
    struct mt_process *p = s->first;
    s->first = p->storing.next;
    if (!s->first)
        s->last = NULL;
    return p;
}

/* The thread: stores what is queued, resolves ahead when nothing is, and
 * ends as soon as it is closing.  What is still queued then is stored by
 * storer_close on the caller's thread, at the caller's priority rather than
 * this thread's nice 10: on a busy machine the last and largest store of a
 * run would otherwise get a tenth of the CPU it competes for.  Addresses
 * left are dropped: the writer resolves what it needs. */
static void *run(void *arg)
{
    struct storer *s = arg;
    struct storer_address slice[RESOLVE_SLICE];
    /* the collector's thread, which the programs may be waiting for, comes
     * first (nice applies per thread) */
    setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (s->closing) {
            break;
        } else if (s->first) {
            struct mt_process *p = take_first(s);
            pthread_mutex_unlock(&s->lock);
            int rc = store(s, p);
            pthread_mutex_lock(&s->lock);
            s->failures += rc != 0;
        } else if (s->next_address < s->n_addresses) {
            size_t k = s->n_addresses - s->next_address < RESOLVE_SLICE ? s->n_addresses - s->next_address
                                                                           : RESOLVE_SLICE;
            memcpy(slice, s->addresses + s->next_address, k * sizeof *slice);
            s->next_address += k;
            if (s->next_address == s->n_addresses)
                s->next_address = s->n_addresses = 0;
            pthread_mutex_unlock(&s->lock);
            resolve(s, slice, k);
            pthread_mutex_lock(&s->lock);
        } else if (symbolizer_unsaved(s->symbolizer) >= SAVE_BATCH) {
            pthread_mutex_unlock(&s->lock);
            symbolizer_save(s->symbolizer); /* a cache that cannot be written is no failure */
            pthread_mutex_lock(&s->lock);
        } else {
            pthread_cond_wait(&s->wake, &s->lock);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

void storer_init(struct storer *s, struct trace_writer *writer, int symbol_cache, struct progress_line *line)
{
    *s = (struct storer){.writer = writer, .symbol_cache = symbol_cache, .line = line};
    u64map_init(&s->offered, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    s->started = pthread_create(&s->thread, NULL, run, s) == 0;
}

/* Appends one address for the thread; the lock is held.  0, or -1 when out
 * of memory. */
static int add_address(struct storer *s, const char *path, uint64_t base, uint64_t address)
{
    struct storer_address *a = array_push((void **)&s->addresses, &s->n_addresses, &s->cap_addresses, sizeof *a);
    if (!a)
        return -1;
    *a = (struct storer_address){path, base, address};
    return 0;
}

/* Adds p's addresses not offered yet, at most *budget of them.  The set of
 * offered addresses spans processes: an address two processes map to
 * different objects is resolved ahead for the first one only, and the writer
 * resolves it for the other, as it does an address whose module was not
 * known yet when it was offered.  The lock is held. */
static void gather_process(struct storer *s, struct mt_process *p, size_t *budget)
{
    for (; p->storing.presymbolized < p->n_addresses && *budget; p->storing.presymbolized++, (*budget)--) {
        uint64_t address = p->addresses[p->storing.presymbolized];
        int created;
        if (!address || !u64map_put(&s->offered, address, &created) || !created)
            continue;
        const struct mt_module *m = process_module_of(p, address);
        if (!m) /* another process may know its module */
            u64map_remove(&s->offered, address);
        else if (add_address(s, m->path, m->base, address) != 0)
            return;
    }
}

void storer_gather(struct storer *s, struct mt_process *processes)
{
    if (!s->started)
        return;
    size_t budget = ADDRESSES_PER_GATHER;
    pthread_mutex_lock(&s->lock);
    size_t before = s->n_addresses;
    for (struct mt_process *p = processes; p && budget; p = p->next)
        if (!p->storing.handed_over)
            gather_process(s, p, &budget);
    if (s->n_addresses != before)
        pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

void storer_store(struct storer *s, struct mt_process *p)
{
    p->storing.handed_over = 1;
    if (!s->started) {
        s->failures += store(s, p) != 0;
        return;
    }
    p->storing.next = NULL;
    pthread_mutex_lock(&s->lock);
    *(s->last ? &s->last->storing.next : &s->first) = p;
    s->last = p;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

void storer_store_at_close(struct storer *s, struct mt_process *p)
{
    p->storing.handed_over = 1;
    p->storing.next = NULL;
    *(s->last_at_close ? &s->last_at_close->storing.next : &s->at_close) = p;
    s->last_at_close = p;
}

int storer_close(struct storer *s)
{
    if (s->started) {
        pthread_mutex_lock(&s->lock);
        s->closing = 1;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    while (s->first)
        s->failures += store(s, take_first(s)) != 0;
    for (struct mt_process *p = s->at_close, *next; p; p = next) {
        next = p->storing.next;
        s->failures += store(s, p) != 0;
    }
    int failures = s->failures;
    if (s->symbolizer) {
        symbolizer_save(s->symbolizer); /* the trace is complete: a cache that cannot be written is no failure */
        symbolizer_free(s->symbolizer);
    }
    free(s->addresses);
    u64map_free(&s->offered);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    *s = (struct storer){0};
    return failures;
}
