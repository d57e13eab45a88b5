/*
 * blocks.c - the table of live blocks: address -> size, allocating function,
 * alignment, stack and block id.  Every free is checked against it.
 *
 * Sharded by address hash into SHARDS open-addressing tables (linear probing,
 * backward-shift deletion, so no tombstones), each behind its own spinlock:
 * two threads contend only when they touch the same shard at the same moment.
 * The shards' tables lie side by side in one mapping (shard k's slots start at
 * table.slots + k * table.capacity), so the table is one piece large enough
 * for huge pages (huge_pages.h), and grows as a whole.  Memory comes from
 * mmap, never from the traced program's malloc.
 *
 * Invariants: table.slots and table.capacity change only while every shard's
 * lock is held, so holding any one lock makes them stable; a lock is never held
 * across a system call (growth maps the new array before taking the locks and
 * unmaps the old one after dropping them); a shard's count < capacity * 3/4
 * after every insert.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include "huge_pages.h"
#include "internal.h"

#define SHARDS 64
#define INITIAL_CAPACITY 64        /* slots per shard: the first table is 128 KiB */

struct shard {
    atomic_flag lock;
    size_t count;
    char pad[64 - sizeof(atomic_flag) - sizeof(size_t)];
};

static struct shard shards[SHARDS] __attribute__((aligned(64)));

static struct {
    struct mt_block *slots; /* SHARDS * capacity slots; address 0 marks an empty slot */
    size_t capacity;        /* slots per shard: a power of two, 0 before first use */
    size_t mapped;          /* bytes mapped at slots */
} table;

static inline uint64_t mix(uintptr_t a)
{
    uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

static inline unsigned shard_index(uintptr_t a)
{
    return (unsigned)(mix(a) >> 58) & (SHARDS - 1);
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

/* The slot where `address` is, or the empty slot where it would go, in shard k
 * of a table of `capacity` slots per shard. */
static struct mt_block *probe(struct mt_block *slots, size_t capacity, unsigned k, uintptr_t address)
{
    struct mt_block *shard_slots = slots + (size_t)k * capacity;
    size_t i = mix(address) & (capacity - 1);
    while (shard_slots[i].address && shard_slots[i].address != address)
        i = (i + 1) & (capacity - 1);
    return &shard_slots[i];
}

/* Doubles every shard's table, unless another thread already grew it past
 * `seen_capacity`.  Called holding no lock. */
static void grow(size_t seen_capacity)
{
    size_t capacity = seen_capacity ? seen_capacity * 2 : INITIAL_CAPACITY, mapped;
    struct mt_block *fresh = mt_map_table(SHARDS * capacity * sizeof(struct mt_block), &mapped);
    if (!fresh)
        return; /* out of memory: inserts use what room is left */
    mt_blocks_lock_all();
    struct mt_block *old = table.slots;
    size_t old_mapped = table.mapped;
    if (table.capacity != seen_capacity) {
        old = fresh;
        old_mapped = mapped;
    } else {
        for (unsigned k = 0; k < SHARDS; k++)
            for (size_t i = 0; i < seen_capacity; i++) {
                const struct mt_block *b = &old[(size_t)k * seen_capacity + i];
                if (b->address)
                    *probe(fresh, capacity, k, b->address) = *b;
            }
        __atomic_store_n(&table.slots, fresh, __ATOMIC_RELAXED);
        __atomic_store_n(&table.capacity, capacity, __ATOMIC_RELAXED);
        table.mapped = mapped;
    }
    mt_blocks_unlock_all();
    if (old)
        munmap(old, old_mapped);
}

/* Starts loading the cache lines an insert of `address` will touch, so the
 * miss overlaps the unwinding that comes before the insert. */
void mt_blocks_prefetch(uintptr_t address)
{
    unsigned k = shard_index(address);
    __builtin_prefetch(&shards[k], 1);
    /* racy reads, only a hint: a stale pair points into a table still mapped
     * or at worst makes a prefetch of an unmapped address, which is harmless */
    size_t capacity = __atomic_load_n(&table.capacity, __ATOMIC_RELAXED);
    struct mt_block *slots = __atomic_load_n(&table.slots, __ATOMIC_RELAXED);
    if (capacity && slots)
        __builtin_prefetch(&slots[(size_t)k * capacity + (mix(address) & (capacity - 1))], 1);
}

void mt_blocks_insert(const struct mt_block *b)
{
    unsigned k = shard_index(b->address);
    struct shard *s = &shards[k];
    lock(s);
    while (table.capacity == 0 || (s->count + 1) * 4 > table.capacity * 3) {
        size_t seen = table.capacity;
        unlock(s);
        grow(seen);
        lock(s);
        if (table.capacity == seen)
            break; /* it could not grow */
    }
    if (table.capacity && s->count + 1 < table.capacity) {
        struct mt_block *slot = probe(table.slots, table.capacity, k, b->address);
        if (!slot->address)
            s->count++;
        *slot = *b;
    }
    unlock(s);
}

/* Deletes slot i of shard k, shifting later members of its probe run back
 * (no tombstones). */
static void erase(unsigned k, size_t i)
{
    size_t mask = table.capacity - 1;
    struct mt_block *slots = table.slots + (size_t)k * table.capacity;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!slots[j].address)
            break;
        size_t home = mix(slots[j].address) & mask;
        /* move j into the hole at i unless its home lies cyclically in (i, j] */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            slots[i] = slots[j];
            i = j;
        }
    }
    slots[i].address = 0;
    shards[k].count--;
}

int mt_blocks_remove(uintptr_t address, struct mt_block *out)
{
    unsigned k = shard_index(address);
    lock(&shards[k]);
    int found = 0;
    if (table.capacity) {
        struct mt_block *slot = probe(table.slots, table.capacity, k, address);
        if (slot->address) {
            *out = *slot;
            erase(k, (size_t)(slot - table.slots) - (size_t)k * table.capacity);
            found = 1;
        }
    }
    unlock(&shards[k]);
    return found;
}

int mt_blocks_find_containing(uintptr_t address, struct mt_block *out)
{
    int found = 0;
    for (unsigned k = 0; k < SHARDS && !found; k++) {
        lock(&shards[k]);
        const struct mt_block *slots = table.slots + (size_t)k * table.capacity;
        for (size_t i = 0; i < table.capacity; i++) {
            const struct mt_block *b = &slots[i];
            if (b->address && address > b->address && address < b->address + (b->size ? b->size : 1)) {
                *out = *b;
                found = 1;
                break;
            }
        }
        unlock(&shards[k]);
    }
    return found;
}

void mt_blocks_for_each(void (*fn)(const struct mt_block *, void *), void *arg)
{
    for (size_t i = 0; i < SHARDS * table.capacity; i++)
        if (table.slots[i].address)
            fn(&table.slots[i], arg);
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
    if (table.slots)
        fn((uintptr_t)table.slots, (uintptr_t)table.slots + table.mapped, arg);
}
