/*
 * blocks.c - the table of live blocks: address -> size, allocating function,
 * alignment, stack and block id.  Every free is checked against it.
 *
 * Sharded by address hash into SHARDS open-addressing tables (linear probing,
 * backward-shift deletion, so no tombstones), each behind its own spinlock:
 * two threads contend only when they touch the same shard at the same moment.
 * The shards' tables lie side by side in one mapping (shard k's slots start at
 * table.slots + k * table.capacity), so the table is one piece large enough
 * for huge pages (huge_pages.h).  Memory comes from mmap, never from the
 * traced program's malloc.
 *
 * Growth is lazy per shard.  When a shard would be more than 3/4 full, a
 * mapping twice as large becomes the table and the current one becomes
 * `old`; each shard moves its own entries across the next time it is used
 * (settle).  Moving all of them at once held every allocating thread for
 * 0.7 s at four million live blocks; a shard moves 1/64 of them.
 *
 * Invariants: table.slots, table.capacity, table.old* and table.generation
 * change only while every shard's lock is held, so holding any one lock
 * makes them stable.  Shard k's entries are in table.slots when its
 * generation is table.generation, else in table.old; table.unsettled counts
 * the shards still in table.old, and the one that brings it to 0 unmaps it.
 * A lock is never held across a system call (mappings are made before the
 * locks are taken and unmapped after they are dropped).  A shard's count <
 * capacity * 3/4 after every insert.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include "huge_pages.h"
#include "internal.h"

#define SHARDS 64
#define INITIAL_CAPACITY 64        /* slots per shard: the first table is 128 KiB */

struct shard {
    mt_spinlock lock;
    unsigned generation;    /* the table generation whose mapping holds its entries */
    size_t count;
    char pad[64 - sizeof(mt_spinlock) - sizeof(unsigned) - sizeof(size_t)];
};

static struct shard shards[SHARDS] __attribute__((aligned(64)));

static struct {
    struct mt_block *slots; /* SHARDS * capacity slots; address 0 marks an empty slot */
    size_t capacity;        /* slots per shard: a power of two, 0 before first use */
    size_t mapped;          /* bytes mapped at slots */
    struct mt_block *old;   /* the previous table, while shards are still in it */
    size_t old_capacity, old_mapped;
    unsigned generation;    /* grows by one with each new table */
    atomic_uint unsettled;  /* shards whose entries are still in old */
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

static inline size_t home_slot(uintptr_t a, size_t mask)
{
    return mix(a) & mask;
}

/* The slot where `address` is, or the empty slot where it would go, in shard k
 * of a table of `capacity` slots per shard. */
static struct mt_block *probe(struct mt_block *slots, size_t capacity, unsigned k, uintptr_t address)
{
    struct mt_block *shard_slots = slots + (size_t)k * capacity;
    size_t i = home_slot(address, capacity - 1);
    while (shard_slots[i].address && shard_slots[i].address != address)
        i = (i + 1) & (capacity - 1);
    return &shard_slots[i];
}

/* Where shard k's entries are now: *slots gets its first slot, and the
 * result is its number of slots (0 before the first table). */
static size_t region_of(unsigned k, struct mt_block **slots)
{
    int moved = shards[k].generation == table.generation;
    struct mt_block *base = moved ? table.slots : table.old;
    size_t capacity = base ? (moved ? table.capacity : table.old_capacity) : 0;
    *slots = base ? base + (size_t)k * capacity : NULL;
    return capacity;
}

/* Moves shard k's entries from the previous table into the current one;
 * k's lock is held and they are still there.  Returns the previous table when
 * k was the last shard in it, for the caller to unmap (*bytes long) once it
 * holds no lock; else NULL.  Out of line: it runs once per shard and table,
 * and inlined its registers would cost every lock_settled. */
static __attribute__((noinline)) struct mt_block *move_shard(unsigned k, size_t *bytes)
{
    struct mt_block *from;
    size_t n = region_of(k, &from);
    for (size_t i = 0; i < n; i++)
        if (from[i].address)
            *probe(table.slots, table.capacity, k, from[i].address) = from[i];
    shards[k].generation = table.generation;
    if (atomic_fetch_sub(&table.unsettled, 1) != 1)
        return NULL;
    *bytes = table.old_mapped;
    return table.old;
}

/* move_shard if shard k's entries are still in the previous table. */
static inline struct mt_block *settle(unsigned k, size_t *bytes)
{
    return shards[k].generation == table.generation ? NULL : move_shard(k, bytes);
}

/* Takes shard k's lock and brings its entries into the current table; *stale
 * gets what the caller must unmap after unlocking (NULL for nothing). */
static inline void lock_settled(unsigned k, struct mt_block **stale, size_t *bytes)
{
    mt_spin_lock(&shards[k].lock);
    *stale = table.capacity ? settle(k, bytes) : NULL;
}

static void unlock_and_unmap(unsigned k, struct mt_block *stale, size_t bytes)
{
    mt_spin_unlock(&shards[k].lock);
    if (stale)
        munmap(stale, bytes);
}

/* Makes a table twice as large the current one, unless another thread
 * already did since the caller saw `seen_capacity`.  Called holding no lock.
 * Shards still in the table before are moved first, so there are never more
 * than two. */
static void grow(size_t seen_capacity)
{
    size_t capacity = seen_capacity ? seen_capacity * 2 : INITIAL_CAPACITY, mapped;
    struct mt_block *fresh = mt_map_table(SHARDS * capacity * sizeof(struct mt_block), &mapped);
    if (!fresh)
        return; /* out of memory: inserts use what room is left */
    mt_blocks_lock_all();
    struct mt_block *stale = NULL;
    size_t stale_bytes = 0;
    if (table.capacity != seen_capacity) {
        stale = fresh;
        stale_bytes = mapped;
    } else {
        for (unsigned k = 0; k < SHARDS && atomic_load(&table.unsettled); k++) {
            struct mt_block *last = settle(k, &stale_bytes);
            if (last)
                stale = last;
        }
        table.old = table.slots;
        table.old_capacity = table.capacity;
        table.old_mapped = table.mapped;
        __atomic_store_n(&table.slots, fresh, __ATOMIC_RELAXED);
        __atomic_store_n(&table.capacity, capacity, __ATOMIC_RELAXED);
        table.mapped = mapped;
        table.generation++;
        atomic_store(&table.unsettled, SHARDS);
    }
    mt_blocks_unlock_all();
    if (stale)
        munmap(stale, stale_bytes);
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
    if (capacity && slots) {
        const char *home = (const char *)&slots[(size_t)k * capacity + home_slot(address, capacity - 1)];
        __builtin_prefetch(home, 1);
        __builtin_prefetch(home + 64, 1); /* a release's backward shift reads the slots after it */
    }
}

void mt_blocks_insert(const struct mt_block *b)
{
    unsigned k = shard_index(b->address);
    struct shard *s = &shards[k];
    struct mt_block *stale;
    size_t stale_bytes;
    lock_settled(k, &stale, &stale_bytes);
    while (table.capacity == 0 || (s->count + 1) * 4 > table.capacity * 3) {
        size_t seen = table.capacity;
        unlock_and_unmap(k, stale, stale_bytes);
        grow(seen);
        lock_settled(k, &stale, &stale_bytes);
        if (table.capacity == seen)
            break; /* it could not grow */
    }
    if (table.capacity && s->count + 1 < table.capacity) {
        struct mt_block *slot = probe(table.slots, table.capacity, k, b->address);
        if (!slot->address)
            s->count++;
        *slot = *b;
    }
    unlock_and_unmap(k, stale, stale_bytes);
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
        size_t home = home_slot(slots[j].address, mask);
        /* move j into the hole at i unless its home lies cyclically in (i, j] */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            slots[i] = slots[j];
            i = j;
        }
    }
    slots[i].address = 0;
    shards[k].count--;
}

int mt_blocks_remove_then(uintptr_t address, struct mt_block *out,
                          void (*while_held)(const struct mt_block *, void *), void *arg)
{
    unsigned k = shard_index(address);
    struct mt_block *stale;
    size_t stale_bytes;
    lock_settled(k, &stale, &stale_bytes);
    int found = 0;
    if (table.capacity) {
        struct mt_block *slot = probe(table.slots, table.capacity, k, address);
        if (slot->address) {
            *out = *slot;
            erase(k, (size_t)(slot - table.slots) - (size_t)k * table.capacity);
            found = 1;
            if (while_held)
                while_held(out, arg);
        }
    }
    unlock_and_unmap(k, stale, stale_bytes);
    return found;
}

int mt_blocks_find_containing(uintptr_t address, struct mt_block *out)
{
    int found = 0;
    for (unsigned k = 0; k < SHARDS && !found; k++) {
        struct mt_block *stale, *slots;
        size_t stale_bytes;
        lock_settled(k, &stale, &stale_bytes);
        size_t n = table.capacity ? region_of(k, &slots) : 0;
        for (size_t i = 0; i < n; i++) {
            const struct mt_block *b = &slots[i];
            if (b->address && address > b->address && address < b->address + (b->size ? b->size : 1)) {
                *out = *b;
                found = 1;
                break;
            }
        }
        unlock_and_unmap(k, stale, stale_bytes);
    }
    return found;
}

void mt_blocks_for_each(void (*fn)(const struct mt_block *, void *), void *arg)
{
    for (unsigned k = 0; k < SHARDS && table.capacity; k++) {
        struct mt_block *slots;
        size_t n = region_of(k, &slots);
        for (size_t i = 0; i < n; i++)
            if (slots[i].address)
                fn(&slots[i], arg);
    }
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
        mt_spin_lock(&shards[k].lock);
}

void mt_blocks_unlock_all(void)
{
    for (int k = 0; k < SHARDS; k++)
        mt_spin_unlock(&shards[k].lock);
}

void mt_blocks_own_ranges(mt_range_fn fn, void *arg)
{
    if (table.slots)
        fn((uintptr_t)table.slots, (uintptr_t)table.slots + table.mapped, arg);
    if (table.old && atomic_load(&table.unsettled))
        fn((uintptr_t)table.old, (uintptr_t)table.old + table.old_mapped, arg);
}
