/*
 * stacks.c - backtraces, and sending each distinct one only once.
 *
 * A stack is identified in the target by a 64-bit hash of its return addresses;
 * a lock-free open-addressing table maps the hash to a small id (its slot).  The
 * thread whose compare-and-swap claims the slot sends the STACK record; other
 * threads may use the id before that record reaches the collector, which is why
 * the collector resolves stack ids only when it writes the trace.
 *
 * Two different stacks with the same 64-bit hash would share an id: with a
 * million distinct stacks the chance is about 3e-8, accepted and documented.
 * When the table is full, new stacks get ids past the table and are sent every
 * time (correct, only less compact).
 */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <string.h>
#include <sys/mman.h>
#include "huge_pages.h"
#include "internal.h"

#define TABLE_BITS 20
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_PROBES 64

static _Atomic uint64_t *table;
static atomic_uint overflow_next = TABLE_SIZE + 1;

void mt_stacks_init(void)
{
    if (table)
        return;
    /* On huge pages: probes read a slot before they claim it, and on 4 KiB
     * pages each first read mapped the zero page, which the claim then
     * replaced with a copy-on-write fault and a TLB flush on every CPU the
     * program runs on (node's start-up: a third of its kernel samples). */
    size_t mapped;
    table = mt_map_table(TABLE_SIZE * sizeof(uint64_t), &mapped);
    mt_unwind_init();
    mt_in_unwinder = 1; /* libunwind initialises itself here: see descriptors.c */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    mt_in_unwinder = 0;
}

/* Returns the id for hash h, and *is_new = 1 when this call created it. */
static uint32_t intern(uint64_t h, int *is_new)
{
    *is_new = 0;
    if (table) {
        uint32_t slot = (uint32_t)h & (TABLE_SIZE - 1);
        for (int probe = 0; probe < MAX_PROBES; probe++, slot = (slot + 1) & (TABLE_SIZE - 1)) {
            uint64_t seen = atomic_load_explicit(&table[slot], memory_order_acquire);
            if (seen == h)
                return slot + 1;
            if (seen == 0) {
                if (atomic_compare_exchange_strong(&table[slot], &seen, h)) {
                    *is_new = 1;
                    return slot + 1;
                }
                if (seen == h)
                    return slot + 1;
            }
        }
    }
    *is_new = 1;
    return atomic_fetch_add(&overflow_next, 1);
}

/* The id of the stack frames[0..depth), sending its STACK record the first
 * time any thread sees it. */
uint32_t mt_stack_intern(struct mt_thread *t, void *const *frames, int depth, int truncated)
{
    return mt_stack_intern_hashed(t, frames, depth, truncated, mt_stack_hash(frames, depth));
}

/* mt_stack_intern for a caller that has the hash already; `frames` NULL
 * means the thread's last walk (mt_unwind_frames), copied only if the stack
 * is new.  A program allocates from a few hot stacks, and releases from a
 * few call sites (the one-frame stacks releases record by default), over and
 * over; each thread remembers the ids of its recent ones, so most calls skip
 * the shared table, whose megabytes are probed at random (a cache and TLB
 * miss each time).  The table knows a stack by its hash alone, so a hash
 * remembered here names the same id it would find there. */
static uint32_t intern_uncached(struct mt_thread *t, void *const *frames, int depth, int truncated, uint64_t hash,
                                unsigned k);

uint32_t mt_stack_intern_hashed(struct mt_thread *t, void *const *frames, int depth, int truncated, uint64_t hash)
{
    hash = hash ? hash : 1;
    unsigned k = (unsigned)(hash >> (64 - MT_STACK_CACHE_BITS));
    if (t->stack_hash[k] == hash)
        return t->stack_id[k];
    return intern_uncached(t, frames, depth, truncated, hash, k);
}

/* mt_stack_intern_hashed for a stack the thread's cache does not hold (in
 * its entry k): the shared table, and the STACK record if the stack is new.
 * Out of line, so that a cache hit pays for no more registers than it uses. */
static __attribute__((noinline)) uint32_t intern_uncached(struct mt_thread *t, void *const *frames, int depth,
                                                         int truncated, uint64_t hash, unsigned k)
{
    int is_new;
    uint32_t id = intern(hash, &is_new);
    t->stack_hash[k] = hash;
    t->stack_id[k] = id;
    if (is_new) {
        unsigned size = (unsigned)(sizeof(struct mt_rec_stack) + (size_t)depth * sizeof(uint64_t));
        struct mt_rec_stack *r = mt_record_begin(t, MT_REC_STACK, size, (uint32_t)depth);
        r->id = id;
        r->truncated = (uint32_t)truncated;
        if (frames)
            memcpy(r + 1, frames, (size_t)depth * sizeof(uint64_t));
        else
            mt_unwind_frames(t, (void **)(r + 1), depth);
        mt_record_end(t);
    }
    return id;
}

/* The return addresses of the calling thread from the first frame outside
 * libtrack, up to max of them, by libunwind. */
static int libunwind_backtrace(void **ips, int max)
{
    void *all[MT_MAX_DEPTH + 16];
    int want = max + 8; /* room for our own frames */
    mt_in_unwinder = 1;
    int n = unw_backtrace(all, want);
    mt_in_unwinder = 0;
    int skip = 0;
    while (skip < n && (uintptr_t)all[skip] >= mt_self_text_start && (uintptr_t)all[skip] < mt_self_text_end)
        skip++;
    n -= skip;
    if (n > max)
        n = max;
    memcpy(ips, all + skip, (size_t)(n > 0 ? n : 0) * sizeof *ips);
    return n;
}

/* Unwinds the calling thread and returns the id of its stack, starting at the
 * first frame outside libtrack (the caller of the allocation function), at
 * most max_depth frames deep.  unwind.c walks it when it can, libunwind
 * otherwise; one frame past max_depth tells whether the stack was cut. */
static uint32_t capture_by_libunwind(struct mt_thread *t, unsigned max_depth);

uint32_t mt_stack_capture(struct mt_thread *t, unsigned max_depth)
{
    int truncated;
    uint64_t hash;
    int depth = mt_options.libunwind_only ? -1 : mt_unwind(t, (int)max_depth, &truncated, &hash);
    mt_count(t, MT_COUNT_BACKTRACES);
    if (depth > 0)
        return mt_stack_intern_hashed(t, NULL, depth, truncated, hash);
    if (depth == 0)
        return 0;
    mt_count(t, MT_COUNT_BY_LIBUNWIND);
    return capture_by_libunwind(t, max_depth);
}

/* mt_stack_capture's backtrace when unwind.c cannot walk the stack.  Out of
 * line: its arrays would otherwise make every capture's frame 4 KiB. */
static __attribute__((noinline)) uint32_t capture_by_libunwind(struct mt_thread *t, unsigned max_depth)
{
    void *ips[MT_MAX_DEPTH + 1];
    int truncated;
    int want = (int)max_depth + 1;
    int depth = libunwind_backtrace(ips, want);
    truncated = depth == want;
    if (truncated)
        depth = (int)max_depth;
    if (depth <= 0)
        return 0;
    return mt_stack_intern(t, ips, depth, truncated);
}

void mt_stacks_own_ranges(mt_range_fn fn, void *arg)
{
    if (table)
        fn((uintptr_t)table, (uintptr_t)(table + TABLE_SIZE), arg);
}
