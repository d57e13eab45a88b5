/*
 * spinlock.h - the spin locks of libtrack's hot path: the shards of the
 * live-block table and of the quarantine, and each thread's record buffer.
 *
 * A holder never makes a system call: a waiter spins, then yields.
 *
 * Always a locked instruction, even in a process with one thread: glibc's
 * __libc_single_threaded stays true while threads started from a dlmopen'd
 * namespace (LD_AUDIT modules among them) or by a raw clone run, and two
 * threads taking a lock with plain stores crashed a test program that way.
 * A handshake of libtrack's own (the first thread works without locks until
 * another one arrives, revokes with membarrier and waits for the first to
 * leave its hook) was safe in memory but not in time: a signal handler
 * that stalls the first thread inside its hook stalled every new thread's
 * first allocation (docs/performance.md).
 */
#ifndef MEMTRACK_SPINLOCK_H
#define MEMTRACK_SPINLOCK_H

#include <stdatomic.h>

typedef atomic_bool mt_spinlock;

void mt_spin_lock_contended(mt_spinlock *l); /* spinlock.c */

/* One exchange when the lock is free; the waiting is out of line, so that a
 * lock taken on every allocation costs its caller no loop and no call. */
static inline void mt_spin_lock(mt_spinlock *l)
{
    if (__builtin_expect(!atomic_exchange_explicit(l, 1, memory_order_acquire), 1))
        return;
    mt_spin_lock_contended(l);
}

/* Takes the lock unless it stays held for `max_spins` tries (a holder stuck,
 * e.g. stopped in a signal handler); 1 when taken. */
static inline int mt_spin_trylock(mt_spinlock *l, unsigned max_spins)
{
    for (unsigned spins = 0; atomic_exchange_explicit(l, 1, memory_order_acquire); spins++)
        if (spins >= max_spins)
            return 0;
    return 1;
}

static inline void mt_spin_unlock(mt_spinlock *l)
{
    atomic_store_explicit(l, 0, memory_order_release);
}

#endif
