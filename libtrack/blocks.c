/*
 * blocks.c - the table of live blocks: address -> size, allocating function,
 * alignment, stack and block id.  Every free is checked against it.
 *
 * Sharded by address hash into SHARDS open-addressing tables (linear probing,
 * backward-shift deletion, so no tombstones), each behind its own spinlock:
 * two threads contend only when they touch the same shard at the same moment.
 * Memory comes from mmap, never from the traced program's malloc.
 *
 * Invariants: a shard's lock is never held across a system call (growth maps
 * the new array before taking the lock, and unmaps the old one after dropping
 * it); count < capacity * 3/4 after every insert.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include "internal.h"

#define SHARDS 64
#define INITIAL_CAPACITY 64 /* small tables stay in cache; growth doubles */

struct shard {
    atomic_flag lock;
    size_t capacity; /* power of two, 0 before first use */
    size_t count;
    struct mt_block *slots; /* address 0 marks an empty slot */
    char pad[64 - sizeof(atomic_flag) - 2 * sizeof(size_t) - sizeof(void *)];
};

static struct shard shards[SHARDS] __attribute__((aligned(64)));

static inline uint64_t mix(uintptr_t a)
{
    uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

static inline struct shard *shard_of(uintptr_t a)
{
    return &shards[(mix(a) >> 58) & (SHARDS - 1)];
}

static void lock(struct shard *s)
{
    for (unsigned spins = 0; atomic_flag_test_and_set_explicit(&s->lock, memory_order_acquire); spins++)
        if (spins > 64)
            sched_yield(); /* the holder may be preempted; holding no lock ourselves */
}

static void unlock(struct shard *s)
{
    atomic_flag_clear_explicit(&s->lock, memory_order_release);
}

static void *map_slots(size_t capacity)
{
    void *m = mmap(NULL, capacity * sizeof(struct mt_block), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

static void put(struct mt_block *slots, size_t capacity, const struct mt_block *b)
{
    size_t i = mix(b->address) & (capacity - 1);
    while (slots[i].address && slots[i].address != b->address)
        i = (i + 1) & (capacity - 1);
    slots[i] = *b;
}

/* Makes room in `s` for one more block; returns with the lock held. */
static void reserve(struct shard *s)
{
    lock(s);
    while (s->capacity == 0 || (s->count + 1) * 4 > s->capacity * 3) {
        size_t old_capacity = s->capacity;
        size_t capacity = old_capacity ? old_capacity * 2 : INITIAL_CAPACITY;
        unlock(s);
        struct mt_block *fresh = map_slots(capacity);
        lock(s);
        if (!fresh)
            return; /* out of memory: insert into what we have while there is room */
        if (s->capacity != old_capacity) { /* another thread grew it meanwhile */
            unlock(s);
            munmap(fresh, capacity * sizeof *fresh);
            lock(s);
            continue;
        }
        struct mt_block *old = s->slots;
        for (size_t i = 0; i < old_capacity; i++)
            if (old[i].address)
                put(fresh, capacity, &old[i]);
        s->slots = fresh;
        s->capacity = capacity;
        if (old) {
            unlock(s);
            munmap(old, old_capacity * sizeof *old);
            lock(s);
        }
    }
}

/* Starts loading the cache lines an insert of `address` will touch, so the
 * miss overlaps the unwinding that comes before the insert. */
void mt_blocks_prefetch(uintptr_t address)
{
    struct shard *s = shard_of(address);
    __builtin_prefetch(s, 1);
    size_t capacity = s->capacity; /* a racy read: only a hint */
    if (capacity)
        __builtin_prefetch(&s->slots[mix(address) & (capacity - 1)], 1);
}

void mt_blocks_insert(const struct mt_block *b)
{
    struct shard *s = shard_of(b->address);
    reserve(s);
    if (s->capacity && s->count + 1 < s->capacity) {
        size_t i = mix(b->address) & (s->capacity - 1);
        while (s->slots[i].address && s->slots[i].address != b->address)
            i = (i + 1) & (s->capacity - 1);
        if (!s->slots[i].address)
            s->count++;
        s->slots[i] = *b;
    }
    unlock(s);
}

/* Deletes slot i, shifting later members of its probe run back (no tombstones). */
static void erase(struct shard *s, size_t i)
{
    size_t mask = s->capacity - 1;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!s->slots[j].address)
            break;
        size_t home = mix(s->slots[j].address) & mask;
        /* move j into the hole at i unless its home lies cyclically in (i, j] */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            s->slots[i] = s->slots[j];
            i = j;
        }
    }
    s->slots[i].address = 0;
    s->count--;
}

int mt_blocks_remove(uintptr_t address, struct mt_block *out)
{
    struct shard *s = shard_of(address);
    lock(s);
    int found = 0;
    if (s->capacity) {
        size_t i = mix(address) & (s->capacity - 1);
        while (s->slots[i].address) {
            if (s->slots[i].address == address) {
                *out = s->slots[i];
                erase(s, i);
                found = 1;
                break;
            }
            i = (i + 1) & (s->capacity - 1);
        }
    }
    unlock(s);
    return found;
}

int mt_blocks_find_containing(uintptr_t address, struct mt_block *out)
{
    int found = 0;
    for (int k = 0; k < SHARDS && !found; k++) {
        struct shard *s = &shards[k];
        lock(s);
        for (size_t i = 0; i < s->capacity; i++) {
            const struct mt_block *b = &s->slots[i];
            if (b->address && address > b->address && address < b->address + (b->size ? b->size : 1)) {
                *out = *b;
                found = 1;
                break;
            }
        }
        unlock(s);
    }
    return found;
}

void mt_blocks_for_each(void (*fn)(const struct mt_block *, void *), void *arg)
{
    for (int k = 0; k < SHARDS; k++)
        for (size_t i = 0; i < shards[k].capacity; i++)
            if (shards[k].slots[i].address)
                fn(&shards[k].slots[i], arg);
}

size_t mt_blocks_count(void)
{
    size_t n = 0;
    for (int k = 0; k < SHARDS; k++)
        n += shards[k].count;
    return n;
}

void mt_blocks_lock_all(void)
{
    for (int k = 0; k < SHARDS; k++)
        lock(&shards[k]);
}

void mt_blocks_unlock_all(void)
{
    for (int k = 0; k < SHARDS; k++)
        unlock(&shards[k]);
}

void mt_blocks_own_ranges(mt_range_fn fn, void *arg)
{
    for (int k = 0; k < SHARDS; k++)
        if (shards[k].slots)
            fn((uintptr_t)shards[k].slots, (uintptr_t)(shards[k].slots + shards[k].capacity), arg);
}
