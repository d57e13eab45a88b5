/*
 * quarantine.c - recently released blocks, so that a second release is known
 * for what it is (a double free, with the stack of the first) and not taken
 * for a garbage pointer.
 *
 * Two parts.  The last 16,384 releases of the process are *remembered*
 * (address, size, stacks), sharded like the block table; each shard is a
 * ring, newest entry last, and a lookup walks it newest first, so a reused and
 * re-released address finds its latest release.
 *
 * The most recent releases of each thread are also *held*, like memcheck's
 * freed-blocks queue: their memory goes to libc only when they leave the
 * thread's hold (at most MT_HOLD_MAX blocks and --quarantine bytes), so a
 * released address cannot be handed out again at once, and a second release
 * soon after is always a double free, never the release of a new block.  The
 * hold is per thread and short because holding costs the program more than
 * the bytes: blocks held back miss libc's per-thread caches, and each one
 * returns to libc cold; with a 1 MiB hold of the whole process, a Python
 * workload spent a quarter of its time more in libc (docs/performance.md).
 */
#include <string.h>
#include "internal.h"

#define SHARDS 64
#define RING 256

struct shard {
    mt_spinlock lock;
    unsigned head;   /* next slot to write */
    unsigned count;
    struct mt_freed ring[RING];
};

static struct shard shards[SHARDS];

static struct shard *shard_of(uintptr_t a)
{
    uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ull;
    return &shards[(h >> 40) & (SHARDS - 1)];
}

/* Starts loading, for writing, the line where the release of `address`
 * will be remembered and its shard's lock: a release writes an entry in a
 * ring it last wrote 16,384 releases ago, long gone from the nearest caches,
 * and the table's lock and the counters after it would wait for that store. */
void mt_quarantine_prefetch(uintptr_t address)
{
    struct shard *s = shard_of(address);
    __builtin_prefetch(s, 1);
    /* a racy read, only a hint: another thread may move the head meanwhile */
    __builtin_prefetch(&s->ring[__atomic_load_n(&s->head, __ATOMIC_RELAXED)], 1);
}

void mt_quarantine_remember(const struct mt_freed *f)
{
    struct shard *s = shard_of(f->address);
    mt_spin_lock(&s->lock);
    s->ring[s->head] = *f;
    s->head = (s->head + 1) % RING;
    if (s->count < RING)
        s->count++;
    mt_spin_unlock(&s->lock);
}

void mt_quarantine_lock_all(void)
{
    for (unsigned k = 0; k < SHARDS; k++)
        mt_spin_lock(&shards[k].lock);
}

void mt_quarantine_unlock_all(void)
{
    for (unsigned k = 0; k < SHARDS; k++)
        mt_spin_unlock(&shards[k].lock);
}

int mt_quarantine_find(uintptr_t address, struct mt_freed *out)
{
    struct shard *s = shard_of(address);
    int found = 0;
    mt_spin_lock(&s->lock);
    for (unsigned k = 1; k <= s->count; k++) {
        const struct mt_freed *f = &s->ring[(s->head + RING - k) % RING];
        if (f->address == address) {
            *out = *f;
            found = 1;
            break;
        }
    }
    mt_spin_unlock(&s->lock);
    return found;
}

/* Holds the memory of a block the thread just released; returns the block
 * that leaves the hold to go to libc now (the oldest, or p itself when it is
 * larger than the budget), or NULL. */
void *mt_quarantine_hold(struct mt_thread *t, void *p, size_t size, void **also_evicted, size_t *n_also)
{
    *n_also = 0;
    if (mt_options.quarantine_bytes == 0 || size > mt_options.quarantine_bytes)
        return p;
    while (t->held_count == MT_HOLD_MAX ||
           (t->held_count && t->held_bytes + size > mt_options.quarantine_bytes)) {
        struct mt_held *old = &t->held[(t->held_head + MT_HOLD_MAX - t->held_count) % MT_HOLD_MAX];
        t->held_bytes -= old->size;
        t->held_count--;
        also_evicted[(*n_also)++] = (void *)old->address;
    }
    t->held[t->held_head] = (struct mt_held){(uintptr_t)p, size};
    t->held_head = (t->held_head + 1) % MT_HOLD_MAX;
    t->held_count++;
    t->held_bytes += size;
    /* the next block to leave goes back to libc cold: have its chunk header
     * (just before it, where libc reads its size) loaded meanwhile */
    const struct mt_held *next = &t->held[(t->held_head + MT_HOLD_MAX - t->held_count) % MT_HOLD_MAX];
    __builtin_prefetch((const char *)next->address - 16, 1);
    return NULL;
}

/* Memory a thread holds back from libc: freed by the program, so never a root. */
void mt_quarantine_held_ranges(struct mt_thread *t, mt_range_fn fn, void *arg)
{
    for (unsigned i = 1; i <= t->held_count; i++) {
        const struct mt_held *h = &t->held[(t->held_head + MT_HOLD_MAX - i) % MT_HOLD_MAX];
        fn(h->address, h->address + (h->size ? h->size : 1), arg);
    }
}
