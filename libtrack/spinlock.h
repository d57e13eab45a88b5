/*
 * spinlock.h - the spin locks of libtrack's hot path: the shards of the
 * live-block table and of the quarantine, and each thread's record buffer.
 *
 * Taking a lock with a locked instruction (xchg) waits for the store buffer
 * to drain; on a Python workload the one in the block table's release path
 * alone was 3-4% of the program's time.  While the process has a single
 * thread nothing can contend, so the lock is set with a plain store instead.
 * The flag is glibc's __libc_single_threaded, on which glibc's own malloc
 * skips its arena lock: pthread_create clears it before the second thread
 * exists, in the thread that creates it, which holds none of these locks
 * then.  The lock's state stays exact either way (set and cleared in both
 * modes), so locks taken before the flag changes (a fork child's, taken by
 * the parent's atfork handler) are released as usual.  A hook never runs
 * inside another hook of the same thread (mt_thread_get's guard), so a signal
 * handler cannot meet a lock its own thread holds.
 *
 * A holder never makes a system call: a waiter spins, then yields.
 */
#ifndef MEMTRACK_SPINLOCK_H
#define MEMTRACK_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <sys/single_threaded.h>

typedef atomic_bool mt_spinlock;

static inline void mt_spin_lock(mt_spinlock *l)
{
    if (__libc_single_threaded) {
        atomic_store_explicit(l, 1, memory_order_relaxed);
        return;
    }
    for (unsigned spins = 0; atomic_exchange_explicit(l, 1, memory_order_acquire); spins++)
        if (spins > 64)
            sched_yield(); /* the holder may be preempted */
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
