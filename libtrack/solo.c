/*
 * solo.c - plain operations instead of locked ones while one thread alone
 * uses libtrack.
 *
 * Every allocation and release takes spin locks (a shard of the block table,
 * a shard of the quarantine, the thread's record buffer) and adds to shared
 * byte counters: about seven locked instructions per allocate/free pair,
 * each draining the store buffer.  On a Python workload they were an eighth
 * of libtrack's time.  Most programs allocate from one thread, so while only
 * one thread, the *owner*, has entered libtrack, it uses plain loads and
 * stores instead (mt_solo, read by spinlock.h and internal.h's counters).
 *
 * The owner's plain operations happen in *windows* (mt_solo_enter and
 * mt_solo_leave, around the table, quarantine, counter and record work of
 * one allocation or release), which never wait for another thread of the
 * program: no unwinding by libunwind, no loader call, no program code. Any
 * other thread revokes solo mode, for good, before it touches anything
 * shared (mt_solo_join, from its first entry into libtrack), and waits until
 * the owner's current window ends; since the window waits for nobody, that
 * wait is short whatever locks the joining thread holds. The handshake is an
 * asymmetric Dekker: the owner stores mt_solo_busy = 1 and then reads the
 * phase, with no fence between (a fence would cost what solo mode saves);
 * the revoker stores the phase, then calls
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which runs a full barrier on
 * every CPU running a thread of the process, then reads mt_solo_busy. So
 * either the owner sees the new phase and locks, or the revoker sees
 * mt_solo_busy and waits. Without that membarrier command (kernels before
 * 4.14, seccomp filters) solo mode never starts.
 *
 * glibc's __libc_single_threaded cannot replace this: it stays true while
 * threads made by a raw clone() or from a dlmopen'd namespace run.  The
 * handshake needs no such flag, but a raw clone() without CLONE_SETTLS
 * shares the owner's thread pointer, and so its struct mt_thread: a hook
 * counts as the owner's only on the owner's stack (the main stack, between
 * __libc_stack_end and the stack limit below it).  A signal handler on an
 * alternate stack, or a coroutine on a stack of its own, thus revokes too:
 * correct, just slower from then on.
 *
 * Invariants: plain operations happen only between mt_solo_enter setting
 * mt_solo and mt_solo_leave, on the owner, after it set mt_solo_busy and then
 * still saw the phase ON; a lock taken in a window is released in it; the
 * phase goes UNDECIDED -> STARTING (the first thread is being set up) -> ON
 * or OFF, ON -> REVOKING -> OFF, and never back (a fork child may also go
 * from ON or REVOKING straight to OFF); a thread that saw OFF never meets a plain operation again (the owner's last
 * plain writes are released by mt_solo_busy = 0, which the revoker acquires
 * before it publishes OFF).
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "internal.h"

__thread int mt_solo;
_Atomic int mt_solo_phase;
_Atomic int mt_solo_busy;
struct mt_thread *mt_solo_owner;
uintptr_t mt_solo_stack_low, mt_solo_stack_high;

extern void *__libc_stack_end;

static int membarrier(int command)
{
    return (int)syscall(SYS_membarrier, command, 0, 0);
}

/* The main stack's range: from __libc_stack_end down to its size limit
 * (1 GiB when there is none: no other stack is placed that close). */
static void find_main_stack(void)
{
    struct rlimit limit;
    uint64_t size = 1ull << 30;
    if (getrlimit(RLIMIT_STACK, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < size)
        size = limit.rlim_cur;
    mt_solo_stack_high = (uintptr_t)__libc_stack_end;
    mt_solo_stack_low = mt_solo_stack_high > size ? mt_solo_stack_high - size : 0;
}

int mt_solo_arrive(void)
{
    int expected = MT_SOLO_UNDECIDED;
    if (atomic_compare_exchange_strong(&mt_solo_phase, &expected, MT_SOLO_STARTING))
        return 1;
    mt_solo_join();
    return 0;
}

void mt_solo_begin(struct mt_thread *first)
{
    if (first && __libc_stack_end) {
        find_main_stack();
        if (mt_solo_on_owner_stack() && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
            mt_solo_owner = first;
            int expected = MT_SOLO_STARTING;
            if (atomic_compare_exchange_strong(&mt_solo_phase, &expected, MT_SOLO_ON))
                return;
        }
    }
    atomic_store(&mt_solo_phase, MT_SOLO_OFF);
}

void mt_solo_join(void)
{
    for (unsigned spins = 0;; spins++) {
        int phase = atomic_load_explicit(&mt_solo_phase, memory_order_acquire);
        if (phase == MT_SOLO_OFF)
            return;
        if ((phase == MT_SOLO_UNDECIDED || phase == MT_SOLO_STARTING) &&
            atomic_compare_exchange_strong(&mt_solo_phase, &phase, MT_SOLO_OFF))
            return; /* the first thread has not started a window: it never will */
        if (phase == MT_SOLO_ON && atomic_compare_exchange_strong(&mt_solo_phase, &phase, MT_SOLO_REVOKING)) {
            /* the owner's mt_solo_busy store, if it came before our phase store,
             * is visible once this returns; if it came after, the owner's
             * phase load sees REVOKING */
            membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
            for (unsigned waits = 0; atomic_load_explicit(&mt_solo_busy, memory_order_acquire); waits++)
                if (waits > 64)
                    sched_yield(); /* the owner may be preempted, or waiting to send */
            atomic_store_explicit(&mt_solo_phase, MT_SOLO_OFF, memory_order_release);
            return;
        }
        if (phase == MT_SOLO_REVOKING && spins > 64)
            sched_yield(); /* another thread waits for the owner's window to end */
    }
}

/* The thread revoking solo mode, if any, did not come along: the child's
 * one thread decides alone.  The owner keeps solo mode if the child may
 * still use the barrier. */
void mt_solo_after_fork_child(void)
{
    int phase = atomic_load(&mt_solo_phase);
    if (phase == MT_SOLO_REVOKING ||
        (phase == MT_SOLO_ON && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0))
        atomic_store(&mt_solo_phase, MT_SOLO_OFF);
}
