/*
 * blocks.c - the table of live blocks: address -> size, allocating function,
 * alignment, stack and block id.  Every free is checked against it.
 *
 * Sharded by address hash into SHARDS open-addressing tables (linear probing,
 * backward-shift deletion, so no tombstones), each behind its own spinlock:
 * two threads contend only when they touch the same shard at the same moment.
 * Memory comes from mmap (the first, small tables from .bss), never from the
 * traced program's malloc.
 *
 * Bytes per live block are the program's cost of being traced (a Python
 * holding four million blocks carries the table beside its heap), so:
 *  - a slot is 24 bytes, not the 32 of struct mt_block: the address shares
 *    its word with the allocating function and the alignment (user-space
 *    addresses have 47 bits on x86-64; 52 are kept), and the size has 32
 *    bits.  The rare block that does not fit (4 GiB or more, or an address
 *    with bits above 52) lives in a small side list instead (`big`);
 *  - each shard grows on its own, by half, to a capacity that fills its
 *    mapping: the slots are 1/2 to 3/4 full, 32 to 48 bytes per block, and
 *    while a shard moves only that shard's old slots are mapped twice.  The
 *    new mapping is made and faulted in before the shard's lock is taken,
 *    so the move holds the lock for copying alone (1/64 of the blocks).
 *
 * Where a block's slot is: blocks in one 256-byte region of the heap go to
 * the same shard and to a window of 16 slots, one per 16 bytes, at a place
 * the region's hash picks.  Programs allocate and free runs of neighbouring
 * blocks (a Python building or dropping a list of objects), and those then
 * touch neighbouring slots instead of a cache line each in many MiB: with
 * every address hashed alone, a Python holding four million blocks spent a
 * third of its time waiting for the table's lines; its run took 7.4 s, now
 * 5.7 (`/usr/bin/time` inside `memtrack run`, PYTHONMALLOC=malloc
 * bench/workloads/pylive.py 250000).  Regions of 1 KiB gained a little more
 * there, but blocks packed every 8 or 16 bytes (allocators with such size
 * classes) then fill whole windows of 64 and their neighbours' probes run
 * long: random releases among them took 3 to 5 times as long, against 2 to
 * 3 times with 256 bytes, and the same as before at glibc's 32.
 *
 * Shards from 128 KiB on live in arenas on huge pages (table_arena.c).
 *
 * Invariants: a shard's slots, capacity and count change only under its
 * lock; count < capacity * 3/4 after every insert that found room; a slot
 * is empty when its key is 0 (no block starts at address 0).  An address is
 * in at most one place: its shard or the side list.  A lock is never held
 * across a system call.  Lock order: shards, then the side list's lock.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include "huge_pages.h"
#include "internal.h"
#include "table_arena.h"

#define SHARDS 64
#define INITIAL_CAPACITY 64 /* slots per shard, in .bss: 96 KiB in all, resident as used */

#define REGION_SHIFT 8 /* blocks within 256 bytes of each other share a window of slots */
#define WINDOW (1u << (REGION_SHIFT - 4)) /* slots: one per 16 bytes of a region */
#define ADDRESS_BITS 52
#define ADDRESS_MASK ((UINT64_C(1) << ADDRESS_BITS) - 1)
#define FUNCTION_SHIFT ADDRESS_BITS /* 5 bits: enum mt_function < 32 */
#define ALIGN_SHIFT (FUNCTION_SHIFT + 5) /* 6 bits: log2 of the alignment */

/* One live block as the table keeps it. */
struct slot {
    uint64_t key; /* address | function << FUNCTION_SHIFT | align_log2 << ALIGN_SHIFT; 0: empty */
    uint64_t id;
    uint32_t size;
    uint32_t stack;
};
_Static_assert(sizeof(struct slot) == 24, "a slot is 24 bytes");
_Static_assert(MT_FN_END <= 32, "functions fit in 5 bits");
_Static_assert(WINDOW <= INITIAL_CAPACITY, "a window wraps around a shard at most once");

struct shard {
    mt_spinlock lock;
    size_t count;
    size_t capacity;    /* slots at `slots`, never 0 */
    struct slot *slots;
    size_t mapped;      /* bytes mapped at slots; 0 while they are the .bss ones */
} __attribute__((aligned(64)));

static struct slot initial_slots[SHARDS][INITIAL_CAPACITY];

/* Every shard starts on its .bss slots, set at compile time: no first-use
 * initialisation for threads to race on. */
#define SHARD(k) {.capacity = INITIAL_CAPACITY, .slots = initial_slots[k]}
#define SHARDS_8(k) SHARD(k), SHARD(k + 1), SHARD(k + 2), SHARD(k + 3), SHARD(k + 4), SHARD(k + 5), \
                    SHARD(k + 6), SHARD(k + 7)
static struct shard shards[SHARDS] = {SHARDS_8(0),  SHARDS_8(8),  SHARDS_8(16), SHARDS_8(24),
                                      SHARDS_8(32), SHARDS_8(40), SHARDS_8(48), SHARDS_8(56)};
_Static_assert(SHARDS == 64, "the initialiser above names 64 shards");

/* Blocks that do not fit a slot: an array searched from end to end, which
 * is enough for blocks of 4 GiB and more. */
static struct {
    mt_spinlock lock;
    atomic_size_t count;
    size_t capacity;
    struct mt_block *blocks;
    size_t mapped;
} big;

static inline uint64_t mix(uintptr_t a)
{
    uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

static inline unsigned shard_index(uintptr_t a)
{
    return (unsigned)(mix(a >> REGION_SHIFT) >> 58) & (SHARDS - 1);
}

/* The first slot to probe for a in `capacity` slots: its region's window,
 * placed by the hash bits below the shard's scaled to the capacity (which
 * need not be a power of two), then its 16 bytes within the region. */
static inline size_t home_slot(uintptr_t a, size_t capacity)
{
    size_t base = (size_t)(((unsigned __int128)(mix(a >> REGION_SHIFT) << 6) * capacity) >> 64);
    size_t i = base + ((a >> 4) & (WINDOW - 1)); /* < 2 * capacity: WINDOW <= INITIAL_CAPACITY */
    return i >= capacity ? i - capacity : i;
}

static inline uintptr_t address_of(uint64_t key)
{
    return (uintptr_t)(key & ADDRESS_MASK);
}

/* Whether b fits a slot; its function and alignment always do (the static
 * assertion above, and log2 of a size_t). */
static inline int fits(const struct mt_block *b)
{
    return b->address <= ADDRESS_MASK && b->size <= UINT32_MAX;
}

static inline struct slot pack(const struct mt_block *b)
{
    return (struct slot){.key = (uint64_t)b->address | (uint64_t)b->function << FUNCTION_SHIFT |
                                (uint64_t)b->align_log2 << ALIGN_SHIFT,
                         .id = b->id, .size = (uint32_t)b->size, .stack = b->stack};
}

static inline struct mt_block unpack(const struct slot *s)
{
    return (struct mt_block){.address = address_of(s->key), .size = s->size, .id = s->id, .stack = s->stack,
                             .function = (uint16_t)((s->key >> FUNCTION_SHIFT) & 31),
                             .align_log2 = (uint16_t)(s->key >> ALIGN_SHIFT & 63)};
}

/* The slot where `address` is, or the empty slot where it would go. */
static inline __attribute__((always_inline)) struct slot *probe(struct slot *slots, size_t capacity, uintptr_t address)
{
    size_t i = home_slot(address, capacity);
    while (slots[i].key && address_of(slots[i].key) != address)
        if (++i == capacity)
            i = 0;
    return &slots[i];
}

/* Gives shard k a table half as large again as the `seen_capacity` slots
 * the caller saw, unless another thread did meanwhile.  Called holding no
 * lock: the mapping is made and faulted in first, then the entries move
 * under the shard's lock, and the old mapping goes after it is dropped. */
static void grow(unsigned k, size_t seen_capacity)
{
    struct shard *s = &shards[k];
    size_t mapped;
    size_t bytes = (seen_capacity * 3 / 2 * sizeof(struct slot) + 4095) & ~(size_t)4095; /* whole pages */
    struct slot *fresh = mt_table_take(bytes, &mapped);
    if (!fresh)
        return; /* out of memory: inserts use what room is left */
    madvise(fresh, mapped, MADV_POPULATE_WRITE); /* advice: where refused, pages come one by one */
    size_t capacity = mapped / sizeof(struct slot);
    void *stale = fresh;
    size_t stale_bytes = mapped;
    mt_spin_lock(&s->lock);
    if (s->capacity == seen_capacity) {
        for (size_t i = 0; i < s->capacity; i++)
            if (s->slots[i].key)
                *probe(fresh, capacity, address_of(s->slots[i].key)) = s->slots[i];
        stale = s->mapped ? s->slots : NULL;
        stale_bytes = s->mapped;
        __atomic_store_n(&s->slots, fresh, __ATOMIC_RELAXED); /* mt_blocks_prefetch reads them unlocked */
        __atomic_store_n(&s->capacity, capacity, __ATOMIC_RELAXED);
        s->mapped = mapped;
    }
    mt_spin_unlock(&s->lock);
    if (stale)
        mt_table_give_back(stale, stale_bytes);
}

/* Starts loading the cache lines an insert or removal of `address` will
 * touch, so the miss overlaps the work that comes before it. */
void mt_blocks_prefetch(uintptr_t address)
{
    struct shard *s = &shards[shard_index(address)];
    __builtin_prefetch(s, 1);
    /* racy reads, only a hint: a stale pair at worst prefetches an address
     * no longer mapped, which is harmless */
    struct slot *slots = __atomic_load_n(&s->slots, __ATOMIC_RELAXED);
    size_t capacity = __atomic_load_n(&s->capacity, __ATOMIC_RELAXED);
    const char *home = (const char *)&slots[home_slot(address, capacity)];
    __builtin_prefetch(home, 1);
    __builtin_prefetch(home + 64, 1); /* a slot may straddle two lines; a removal reads those after it */
}

/* Takes the block at `address` out of the side list into *out; 1 when it
 * was there.  while_held as in mt_blocks_remove_then. */
static int big_remove(uintptr_t address, struct mt_block *out,
                      void (*while_held)(const struct mt_block *, void *), void *arg)
{
    int found = 0;
    mt_spin_lock(&big.lock);
    size_t n = atomic_load(&big.count);
    for (size_t i = 0; i < n; i++)
        if (big.blocks[i].address == address) {
            *out = big.blocks[i];
            big.blocks[i] = big.blocks[n - 1];
            atomic_store(&big.count, n - 1);
            found = 1;
            if (while_held)
                while_held(out, arg);
            break;
        }
    mt_spin_unlock(&big.lock);
    return found;
}

static void big_insert(const struct mt_block *b)
{
    struct mt_block ignored;
    big_remove(b->address, &ignored, NULL, NULL);
    for (;;) {
        mt_spin_lock(&big.lock);
        size_t n = atomic_load(&big.count);
        if (n < big.capacity) {
            big.blocks[n] = *b;
            atomic_store(&big.count, n + 1);
            mt_spin_unlock(&big.lock);
            return;
        }
        size_t seen = big.capacity;
        mt_spin_unlock(&big.lock);
        size_t mapped;
        struct mt_block *fresh = mt_map_table((seen ? seen * 2 : 64) * sizeof *fresh, &mapped);
        if (!fresh)
            return; /* out of memory: the block goes untracked, its release reads as invalid */
        void *stale = fresh;
        size_t stale_bytes = mapped;
        mt_spin_lock(&big.lock);
        if (big.capacity == seen) {
            if (big.blocks) /* NULL before the first: memcpy must not be given it even for 0 bytes */
                memcpy(fresh, big.blocks, atomic_load(&big.count) * sizeof *fresh);
            stale = big.blocks;
            stale_bytes = big.mapped;
            big.blocks = fresh;
            big.capacity = mapped / sizeof *fresh;
            big.mapped = mapped;
        }
        mt_spin_unlock(&big.lock);
        if (stale)
            munmap(stale, stale_bytes);
    }
}

/* Deletes slot i of shard s, shifting later members of its probe run back
 * (no tombstones). */
static void erase(struct shard *s, size_t i)
{
    size_t capacity = s->capacity;
    struct slot *slots = s->slots;
    size_t j = i;
    for (;;) {
        if (++j == capacity)
            j = 0;
        if (!slots[j].key)
            break;
        size_t home = home_slot(address_of(slots[j].key), capacity);
        size_t from_home = j >= home ? j - home : j + capacity - home;
        size_t from_hole = j >= i ? j - i : j + capacity - i;
        /* move j into the hole at i unless its home lies cyclically in (i, j] */
        if (from_home >= from_hole) {
            slots[i] = slots[j];
            i = j;
        }
    }
    slots[i].key = 0;
    s->count--;
}

/* Takes the block at `address` out of shard s, whose lock is held, into
 * *out; while_held as in mt_blocks_remove_then. */
static int shard_remove(struct shard *s, uintptr_t address, struct mt_block *out,
                        void (*while_held)(const struct mt_block *, void *), void *arg)
{
    struct slot *slot = probe(s->slots, s->capacity, address);
    if (!slot->key)
        return 0;
    *out = unpack(slot);
    erase(s, (size_t)(slot - s->slots));
    if (while_held)
        while_held(out, arg);
    return 1;
}

void mt_blocks_insert(const struct mt_block *b)
{
    if (MT_UNLIKELY(!fits(b))) {
        struct mt_block ignored;
        struct shard *s = &shards[shard_index(b->address)];
        mt_spin_lock(&s->lock);
        shard_remove(s, b->address, &ignored, NULL, NULL);
        mt_spin_unlock(&s->lock);
        big_insert(b);
        return;
    }
    if (MT_UNLIKELY(atomic_load_explicit(&big.count, memory_order_relaxed))) {
        struct mt_block ignored;
        big_remove(b->address, &ignored, NULL, NULL);
    }
    unsigned k = shard_index(b->address);
    struct shard *s = &shards[k];
    mt_spin_lock(&s->lock);
    while ((s->count + 1) * 4 > s->capacity * 3) {
        size_t seen = s->capacity;
        mt_spin_unlock(&s->lock);
        grow(k, seen);
        mt_spin_lock(&s->lock);
        if (s->capacity == seen)
            break; /* it could not grow */
    }
    struct slot *slot = probe(s->slots, s->capacity, b->address);
    if (slot->key || s->count + 1 < s->capacity) {
        if (!slot->key)
            s->count++;
        *slot = pack(b);
    }
    mt_spin_unlock(&s->lock);
}

int mt_blocks_remove_then(uintptr_t address, struct mt_block *out,
                          void (*while_held)(const struct mt_block *, void *), void *arg)
{
    struct shard *s = &shards[shard_index(address)];
    mt_spin_lock(&s->lock);
    int found = shard_remove(s, address, out, while_held, arg);
    mt_spin_unlock(&s->lock);
    if (!found && MT_UNLIKELY(atomic_load_explicit(&big.count, memory_order_relaxed)))
        found = big_remove(address, out, while_held, arg);
    return found;
}

static int contains(const struct mt_block *b, uintptr_t address)
{
    return address > b->address && address < b->address + (b->size ? b->size : 1);
}

int mt_blocks_find_containing(uintptr_t address, struct mt_block *out)
{
    int found = 0;
    for (unsigned k = 0; k < SHARDS && !found; k++) {
        struct shard *s = &shards[k];
        mt_spin_lock(&s->lock);
        for (size_t i = 0; i < s->capacity && !found; i++)
            if (s->slots[i].key) {
                struct mt_block b = unpack(&s->slots[i]);
                if (contains(&b, address)) {
                    *out = b;
                    found = 1;
                }
            }
        mt_spin_unlock(&s->lock);
    }
    mt_spin_lock(&big.lock);
    for (size_t i = 0; i < atomic_load(&big.count) && !found; i++)
        if (contains(&big.blocks[i], address)) {
            *out = big.blocks[i];
            found = 1;
        }
    mt_spin_unlock(&big.lock);
    return found;
}

void mt_blocks_for_each(void (*fn)(const struct mt_block *, void *), void *arg)
{
    for (unsigned k = 0; k < SHARDS; k++) {
        const struct shard *s = &shards[k];
        for (size_t i = 0; i < s->capacity; i++)
            if (s->slots[i].key) {
                struct mt_block b = unpack(&s->slots[i]);
                fn(&b, arg);
            }
    }
    for (size_t i = 0; i < atomic_load(&big.count); i++)
        fn(&big.blocks[i], arg);
}

size_t mt_blocks_count(void)
{
    size_t n = atomic_load(&big.count);
    for (int k = 0; k < SHARDS; k++)
        n += shards[k].count;
    return n;
}

void mt_blocks_lock_all(void)
{
    for (int k = 0; k < SHARDS; k++)
        mt_spin_lock(&shards[k].lock);
    mt_spin_lock(&big.lock);
    mt_table_arenas_lock();
}

void mt_blocks_unlock_all(void)
{
    mt_table_arenas_unlock();
    mt_spin_unlock(&big.lock);
    for (int k = 0; k < SHARDS; k++)
        mt_spin_unlock(&shards[k].lock);
}

void mt_blocks_own_ranges(mt_range_fn fn, void *arg)
{
    for (unsigned k = 0; k < SHARDS; k++)
        if (shards[k].mapped)
            fn((uintptr_t)shards[k].slots, (uintptr_t)shards[k].slots + shards[k].mapped, arg);
    if (big.blocks)
        fn((uintptr_t)big.blocks, (uintptr_t)big.blocks + big.mapped, arg);
}
