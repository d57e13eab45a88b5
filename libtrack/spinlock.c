/*
 * spinlock.c - the waiting part of mt_spin_lock (spinlock.h): spins, then
 * yields, since the holder may have been preempted.
 */
#include <sched.h>
#include "spinlock.h"

void mt_spin_lock_contended(mt_spinlock *l)
{
    for (unsigned spins = 1; atomic_exchange_explicit(l, 1, memory_order_acquire); spins++)
        if (spins > 64)
            sched_yield();
}
