/*
 * quarantine.c - recently released blocks, so that a second release is known
 * for what it is (a double free, with the stack of the first) and not taken
 * for a garbage pointer.
 *
 * Like memcheck's freed-blocks queue, blocks up to a byte budget are *held*:
 * their memory is not returned to libc until they are evicted, so the address
 * cannot be handed out again while we remember it.  A release that is not held
 * (a block larger than a shard's budget, or the old block of a realloc, which
 * libc releases itself) is still remembered, without its memory.
 *
 * Sharded like the block table; each shard is a ring, newest entry last.  A
 * lookup walks a ring newest first, so a reused and re-released address finds
 * its latest release.
 */
#include <string.h>
#include <sched.h>
#include "internal.h"

#define SHARDS 64
#define RING 256 /* callers pass room for RING + 1 evictions */

struct shard {
    atomic_flag lock;
    unsigned head;   /* next slot to write */
    unsigned count;
    size_t held_bytes;
    struct mt_freed ring[RING];
};

static struct shard shards[SHARDS];
static size_t budget_per_shard;

void mt_quarantine_init(size_t bytes)
{
    budget_per_shard = bytes / SHARDS;
}

static struct shard *shard_of(uintptr_t a)
{
    uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ull;
    return &shards[(h >> 40) & (SHARDS - 1)];
}

static void lock(struct shard *s)
{
    for (unsigned spins = 0; atomic_flag_test_and_set_explicit(&s->lock, memory_order_acquire); spins++)
        if (spins > 64)
            sched_yield();
}

static void unlock(struct shard *s)
{
    atomic_flag_clear_explicit(&s->lock, memory_order_release);
}

/* Drops the oldest entry, handing its memory to *evicted when it held some. */
static void drop_oldest(struct shard *s, void **evicted, size_t *n)
{
    struct mt_freed *old = &s->ring[(s->head + RING - s->count) % RING];
    if (old->holds_memory) {
        evicted[(*n)++] = (void *)old->address;
        s->held_bytes -= old->size;
    }
    s->count--;
}

size_t mt_quarantine_push(const struct mt_freed *f, void **evicted, size_t max)
{
    struct shard *s = shard_of(f->address);
    size_t n = 0;
    struct mt_freed entry = *f;
    if (entry.holds_memory && entry.size > budget_per_shard) {
        entry.holds_memory = 0;
        evicted[n++] = (void *)entry.address;
    }
    lock(s);
    while (s->count > 0 && n < max &&
           (s->count == RING || (entry.holds_memory && s->held_bytes + entry.size > budget_per_shard)))
        drop_oldest(s, evicted, &n);
    s->ring[s->head] = entry;
    s->head = (s->head + 1) % RING;
    s->count++;
    if (entry.holds_memory)
        s->held_bytes += entry.size;
    unlock(s);
    return n;
}

int mt_quarantine_find(uintptr_t address, struct mt_freed *out)
{
    struct shard *s = shard_of(address);
    int found = 0;
    lock(s);
    for (unsigned k = 1; k <= s->count; k++) {
        const struct mt_freed *f = &s->ring[(s->head + RING - k) % RING];
        if (f->address == address) {
            *out = *f;
            found = 1;
            break;
        }
    }
    unlock(s);
    return found;
}

/* Memory held back from libc: freed by the program, so never a root. */
void mt_quarantine_held_ranges(mt_range_fn fn, void *arg)
{
    for (int k = 0; k < SHARDS; k++)
        for (unsigned i = 1; i <= shards[k].count; i++) {
            const struct mt_freed *f = &shards[k].ring[(shards[k].head + RING - i) % RING];
            if (f->holds_memory)
                fn(f->address, f->address + (f->size ? f->size : 1), arg);
        }
}
