/*
 * solo.h - plain operations instead of locked ones while one thread alone
 * uses libtrack (solo.c says how and why).
 *
 * While mt_solo is set, the calling thread is the only one inside libtrack's
 * shared structures and stays so until mt_solo_leave: spinlock.h's locks and
 * internal.h's shared counters then use plain loads and stores.
 */
#ifndef MEMTRACK_SOLO_H
#define MEMTRACK_SOLO_H

#include <stdatomic.h>
#include <stdint.h>

struct mt_thread;

enum mt_solo_phase {
    MT_SOLO_UNDECIDED = 0, /* no thread has entered libtrack yet */
    MT_SOLO_STARTING,      /* the first thread is being set up */
    MT_SOLO_ON,            /* mt_solo_owner may work alone */
    MT_SOLO_REVOKING,      /* another thread waits for the owner to leave */
    MT_SOLO_OFF            /* every thread locks, for good */
};

extern __thread int mt_solo;
extern _Atomic int mt_solo_phase;
extern _Atomic int mt_solo_busy; /* the owner is in a window */
extern struct mt_thread *mt_solo_owner;
extern uintptr_t mt_solo_stack_low, mt_solo_stack_high;

/* A thread entering libtrack for the first time, before it touches anything
 * shared: 1 when it is the first thread of the process, which must then call
 * mt_solo_begin once its state exists (NULL if none); else solo mode is over
 * when this returns. */
int mt_solo_arrive(void);
void mt_solo_begin(struct mt_thread *first);
/* Ends solo mode for good and waits until the owner is out of its window. */
void mt_solo_join(void);
/* In a fork child, whose only thread is the forking one. */
void mt_solo_after_fork_child(void);

static inline int mt_solo_on_owner_stack(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    return sp > mt_solo_stack_low && sp < mt_solo_stack_high;
}

/* Every entry into libtrack (mt_thread_get): a thread sharing the owner's
 * state but not its stack (a raw clone) joins before it does anything. */
static inline void mt_solo_check(const struct mt_thread *t)
{
    if (__builtin_expect(atomic_load_explicit(&mt_solo_phase, memory_order_acquire) != MT_SOLO_OFF, 0) &&
        (t != mt_solo_owner || !mt_solo_on_owner_stack()))
        mt_solo_join();
}

/* A window of plain operations: between them the owner may set mt_solo.
 * Nothing inside may wait for another thread of the program (a lock it may
 * hold, the loader's lock, a thread it must start): a joining thread waits
 * for the window to end, perhaps holding that lock. */
static inline void mt_solo_enter(const struct mt_thread *t)
{
    if (atomic_load_explicit(&mt_solo_phase, memory_order_relaxed) != MT_SOLO_ON || t != mt_solo_owner ||
        !mt_solo_on_owner_stack())
        return;
    atomic_store_explicit(&mt_solo_busy, 1, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst); /* the CPU's order is membarrier's business (solo.c) */
    if (__builtin_expect(atomic_load_explicit(&mt_solo_phase, memory_order_relaxed) == MT_SOLO_ON, 1))
        mt_solo = 1;
    else
        atomic_store_explicit(&mt_solo_busy, 0, memory_order_release);
}

static inline void mt_solo_leave(void)
{
    if (mt_solo) {
        mt_solo = 0;
        atomic_store_explicit(&mt_solo_busy, 0, memory_order_release);
    }
}

#endif
