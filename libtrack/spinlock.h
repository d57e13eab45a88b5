/*
 * spinlock.h - the spin locks of libtrack's hot path: the shards of the
 * live-block table and of the quarantine, and each thread's record buffer.
 *
 * A holder never makes a system call: a waiter spins, then yields.
 *
 * In a window of solo mode (solo.h) the calling thread is alone: no lock is
 * taken at all.
 */
#ifndef MEMTRACK_SPINLOCK_H
#define MEMTRACK_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>
#include "solo.h"

typedef atomic_bool mt_spinlock;

static inline void mt_spin_lock(mt_spinlock *l)
{
    if (mt_solo)
        return;
    for (unsigned spins = 0; atomic_exchange_explicit(l, 1, memory_order_acquire); spins++)
        if (spins > 64)
            sched_yield(); /* the holder may be preempted */
}

/* Takes the lock unless it stays held for `max_spins` tries (a holder stuck,
 * e.g. stopped in a signal handler); 1 when taken. */
static inline int mt_spin_trylock(mt_spinlock *l, unsigned max_spins)
{
    if (mt_solo)
        return 1;
    for (unsigned spins = 0; atomic_exchange_explicit(l, 1, memory_order_acquire); spins++)
        if (spins >= max_spins)
            return 0;
    return 1;
}

static inline void mt_spin_unlock(mt_spinlock *l)
{
    if (mt_solo)
        return;
    atomic_store_explicit(l, 0, memory_order_release);
}

#endif
