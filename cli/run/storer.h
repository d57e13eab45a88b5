/*
 * storer.h - storing ended processes and symbolizing ahead, on a thread of
 * their own.
 *
 * Storing a process means symbolizing its stacks (opening each object and
 * its debug file, inflating compressed DWARF, reading symbol tables, one
 * lookup per address) and writing it in one SQLite transaction.  Done on the
 * collector's thread, that held up the draining of every other process's
 * batches: a program started through `env` waited up to 96 ms for the
 * collector while `env`'s image was stored.  The storer's thread does it
 * instead, in the order the processes ended, and uses its idle time to
 * resolve the addresses of the stacks received so far, so that little is
 * left to do when the program ends.
 *
 * The thread alone uses the trace writer and the symbolizer (libdw serves
 * one thread at a time) until storer_close.  A process handed to it is not
 * changed by the collector any more (it has ended), and no process is freed
 * before storer_close, so the object paths of gathered addresses stay valid.
 */
#ifndef MEMTRACK_STORER_H
#define MEMTRACK_STORER_H

#include <pthread.h>
#include <stddef.h>
#include "util/u64map.h"

struct mt_process;
struct progress_line;
struct symbolizer;
struct trace_writer;

/* Addresses to resolve ahead: object path, load bias, address. */
struct storer_address {
    const char *path;
    uint64_t base, address;
};

struct storer {
    struct trace_writer *writer;
    struct symbolizer *symbolizer;
    int symbol_cache;               /* resolve through the symbol cache (symbolize.h) */
    struct progress_line *line;       /* says failures, its line erased first (progress_line.h); may be NULL */
    pthread_t thread;
    int started;                    /* the thread runs; otherwise storing happens in storer_store */
    pthread_mutex_t lock;           /* guards what follows, up to `offered` */
    pthread_cond_t wake;
    struct mt_process *first, *last; /* processes to store, linked by storing.next */
    struct mt_process *at_close, *last_at_close; /* to store in storer_close only, linked the same way */
    struct storer_address *addresses; /* to resolve, [next_address, n_addresses) still to do */
    size_t next_address, n_addresses, cap_addresses;
    int closing;
    int failures;                   /* processes that could not be stored */
    struct u64map offered;          /* the collector's: addresses gathered already (a set) */
};

/* Starts the thread; without one, storer_store stores on the caller's thread.  With symbol_cache, the
 * symbolizer reads and fills the symbol cache shared by runs.  Failures are said through LINE. */
void storer_init(struct storer *s, struct trace_writer *writer, int symbol_cache, struct progress_line *line);
/* Gathers the addresses of a few of the stacks that arrived since the last
 * call, for the thread to resolve when it has nothing to store.  Its time is
 * bounded: the collector calls it between drains of the programs' batches. */
void storer_gather(struct storer *s, struct mt_process *processes);
/* Hands an ended process over to be stored. */
void storer_store(struct storer *s, struct mt_process *p);
/* Hands over the run's last process, to be stored by storer_close on the
 * caller's thread, at the caller's priority: the thread's nice 10 had given
 * the last and largest store of a run a fraction of a busy machine's CPU
 * (a compiler's trace, 0.9 s of CPU, took 1.5 s after the compiler ended). */
void storer_store_at_close(struct storer *s, struct mt_process *p);
/* Ends the thread (after the store or the slice of addresses at hand),
 * stores what is still queued on the calling thread, then what was handed
 * over for it, and frees the storer; returns how many processes could not
 * be stored. */
int storer_close(struct storer *s);

#endif
