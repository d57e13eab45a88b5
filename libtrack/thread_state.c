/*
 * thread_state.c - per-thread state without malloc.
 *
 * Each thread owns one struct mt_thread, taken from an mmap'd pool and reached
 * through an initial-exec TLS pointer (no allocation on first access).  Every
 * struct ever handed out stays on a lock-free registry list so that the exit
 * path can flush threads that are still running.  A struct is handed to a new
 * thread only when its previous owner is gone (tgkill(…, 0) answers ESRCH).
 *
 * Invariant: only the owning thread appends to t->buf; any other thread that
 * flushes it (exit, fatal signal) first takes t->busy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "internal.h"

#define STATE_BYTES ((sizeof(struct mt_thread) + 4095) & ~(size_t)4095) /* buffer follows */

__thread struct mt_thread *mt_self;
static _Atomic(struct mt_thread *) registry;
static atomic_uint_fast64_t next_number = 1;
static pthread_key_t exit_key;
static atomic_int exit_key_state; /* 0 none, 1 creating, 2 ready */

static uint32_t current_tid(void)
{
    return (uint32_t)syscall(SYS_gettid);
}

static int owner_is_gone(const struct mt_thread *t, uint32_t me)
{
    return t->tid == me || (syscall(SYS_tgkill, getpid(), t->tid, 0) < 0 && errno == ESRCH);
}

/* Runs at thread exit: sends what the thread buffered.  Later records of this
 * thread (other TLS destructors that free) are sent one by one. */
static void on_thread_exit(void *arg)
{
    struct mt_thread *t = arg;
    mt_flush(t);
    t->dying = 1;
}

/* Registers the thread-exit destructor once per process. */
static void ensure_exit_key(void)
{
    int expected = 0;
    if (atomic_load(&exit_key_state) == 2)
        return;
    if (atomic_compare_exchange_strong(&exit_key_state, &expected, 1)) {
        pthread_key_create(&exit_key, on_thread_exit);
        atomic_store(&exit_key_state, 2);
    }
}

/* Finds a struct whose thread has ended, or maps a new one. */
static struct mt_thread *claim_state(uint32_t tid)
{
    int saved_errno = errno;
    for (struct mt_thread *t = atomic_load(&registry); t; t = t->next_all) {
        if (t->dying && owner_is_gone(t, tid) && mt_spin_trylock(&t->busy, 0)) {
            if (t->dying) {
                errno = saved_errno;
                return t; /* returned with busy held; caller resets it */
            }
            mt_spin_unlock(&t->busy);
        }
    }
    errno = saved_errno;
    size_t size = STATE_BYTES;
    void *mem = mmap(NULL, size + MT_BATCH_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return NULL;
    struct mt_thread *t = mem;
    t->slot = mt_slot_claim(&t->slot_id);
    t->buf = t->slot ? (char *)(t->slot + 1) : (char *)mem + size;
    if (!t->slot)
        t->slot_id = MT_NO_SLOT;
    mt_spin_lock(&t->busy);
    struct mt_thread *head = atomic_load(&registry);
    do
        t->next_all = head;
    while (!atomic_compare_exchange_weak(&registry, &head, t));
    errno = saved_errno;
    return t;
}

struct mt_thread *mt_thread_make(void)
{
    uint32_t tid = current_tid();
    struct mt_thread *t = claim_state(tid);
    if (!t)
        return NULL;
    t->guard = 1; /* pthread_setspecific below may allocate */
    t->dying = 0;
    t->tid = tid;
    t->number = atomic_fetch_add(&next_number, 1);
    t->next_block = 1;
    memset(t->recent, 0, sizeof t->recent);
    t->recent_pos = 0;
    t->used = 0;
    mt_spin_unlock(&t->busy);
    mt_self = t;
    ensure_exit_key();
    if (atomic_load(&exit_key_state) == 2)
        pthread_setspecific(exit_key, t);
    return t;
}

void mt_thread_release(struct mt_thread *t)
{
    t->guard = 0;
}

/* A new block id: unique in the process without any shared counter. */
uint64_t mt_new_block_id(struct mt_thread *t)
{
    return (t->number << 40) | t->next_block++;
}

/* Sends every thread's buffered records; used at exit and on fatal signals. */
void mt_threads_flush_all(void)
{
    for (struct mt_thread *t = atomic_load(&registry); t; t = t->next_all) {
        if (t == mt_self)
            continue;
        if (!mt_spin_trylock(&t->busy, 1000))
            continue; /* its owner is stuck mid-record (e.g. stopped in a signal); skip it */
        if (t->used)
            mt_flush_locked(t);
        mt_spin_unlock(&t->busy);
    }
    if (mt_self)
        mt_flush(mt_self);
}

/* In a fork child only the forking thread lives on: every other state is free
 * for reuse, and buffered records belong to the parent, which sends them. */
void mt_threads_after_fork(void)
{
    uint32_t tid = current_tid();
    mt_segments_after_fork();
    for (struct mt_thread *t = atomic_load(&registry); t; t = t->next_all) {
        t->used = 0;
        t->seq = 0;
        if (t->slot)
            memset(t->slot, 0, sizeof *t->slot);
        mt_spin_unlock(&t->busy);
        if (t != mt_self)
            t->dying = 1;
    }
    if (mt_self)
        mt_self->tid = tid;
}

void mt_threads_own_ranges(mt_range_fn fn, void *arg)
{
    size_t size = STATE_BYTES;
    for (struct mt_thread *t = atomic_load(&registry); t; t = t->next_all)
        fn((uintptr_t)t, (uintptr_t)t + size + MT_BATCH_MAX, arg);
}

void mt_threads_sum(uint64_t *sums)
{
    for (int k = 0; k < MT_COUNTS; k++)
        sums[k] = 0;
    for (struct mt_thread *t = atomic_load(&registry); t; t = t->next_all)
        for (int k = 0; k < MT_COUNTS; k++)
            sums[k] += atomic_load_explicit(&t->counts[k], memory_order_relaxed);
}

/* A fork child counts from zero. */
void mt_threads_reset_counts(void)
{
    for (struct mt_thread *t = atomic_load(&registry); t; t = t->next_all) {
        for (int k = 0; k < MT_COUNTS; k++)
            atomic_store(&t->counts[k], 0);
    }
}

/* Memory the threads hold back from libc (quarantine.c), freed by the program. */
void mt_threads_held_ranges(mt_range_fn fn, void *arg)
{
    for (struct mt_thread *t = atomic_load(&registry); t; t = t->next_all)
        mt_quarantine_held_ranges(t, fn, arg);
}

void mt_note_untracked(void *p)
{
    struct mt_thread *t = mt_self;
    if (p && t && t->guard && !mt_in_unwinder)
        t->untracked[t->untracked_pos++ % MT_UNTRACKED_MAX] = (uintptr_t)p;
}

int mt_take_untracked(void *p)
{
    struct mt_thread *t = mt_self;
    for (unsigned i = 0; t && i < MT_UNTRACKED_MAX; i++)
        if (t->untracked[i] == (uintptr_t)p) {
            t->untracked[i] = 0;
            return 1;
        }
    return 0;
}
