/*
 * test_blocks.c - libtrack's table of live blocks (libtrack/blocks.c),
 * compiled into this test from its source: lookups by start and by interior
 * address, growth, backward-shift deletion under random churn checked against
 * a plain array, threads inserting and removing disjoint blocks at once, the
 * blocks too large for a slot, and the table's bytes per live block.
 *
 * The table is one global; every test leaves it empty.  It never shrinks, so
 * the churn test runs first, while the shards are small and their load high,
 * and the test of bytes per block next, from more blocks than churn's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A block whose every field derives from its index, so any slot mix-up shows. */
static struct mt_block block_at(uintptr_t base, uint64_t index)
{
    return (struct mt_block){.address = base + index * 16, .size = 16 + index % 7, .id = index + 1,
                             .stack = (uint32_t)(index % 1000) + 1, .function = (uint16_t)(index % MT_FN_END),
                             .align_log2 = (uint16_t)(index % 5)};
}

static void assert_same_block(const struct mt_block *a, const struct mt_block *b)
{
    assert_int_equal(a->address, b->address);
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->stack, b->stack);
    assert_int_equal(a->function, b->function);
    assert_int_equal(a->align_log2, b->align_log2);
}

/* splitmix64: the same pseudo-random sequence on every run. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define CHURN_BASE 0x100000000ull
#define UNIVERSE 170000 /* half live on average: about 1300 per shard, load near 0.65 in 2048 slots */
#define CHURN_STEPS 1000000

/* Counts the blocks for_each visits and checks each against the reference. */
struct visit {
    const unsigned char *live; /* indexed by block index; NULL: nothing expected */
    uintptr_t base;
    size_t universe;
    size_t visits;
    int stray;
};

static void visit_block(const struct mt_block *b, void *arg)
{
    struct visit *v = arg;
    v->visits++;
    uint64_t index = (b->address - v->base) / 16;
    struct mt_block expected = block_at(v->base, index);
    if (!v->live || b->address < v->base || index >= v->universe || !v->live[index] ||
        memcmp(b, &expected, sizeof expected) != 0)
        v->stray++;
}

static void test_random_churn_matches_a_reference(void **state)
{
    static unsigned char live[UNIVERSE];
    size_t n_live = 0;
    uint64_t rng = 42;
    for (long step = 0; step < CHURN_STEPS; step++) {
        uint64_t index = next_random(&rng) % UNIVERSE;
        struct mt_block b = block_at(CHURN_BASE, index), out;
        if (live[index]) {
            assert_int_equal(mt_blocks_remove(b.address, &out), 1);
            assert_same_block(&out, &b);
            live[index] = 0;
            n_live--;
        } else {
            assert_int_equal(mt_blocks_remove(b.address, &out), 0);
            mt_blocks_insert(&b);
            live[index] = 1;
            n_live++;
        }
        if (step % 100000 == 0)
            assert_int_equal(mt_blocks_count(), n_live);
    }
    assert_int_equal(mt_blocks_count(), n_live);
    struct visit v = {.live = live, .base = CHURN_BASE, .universe = UNIVERSE};
    mt_blocks_for_each(visit_block, &v);
    assert_int_equal(v.visits, n_live);
    assert_int_equal(v.stray, 0);
    for (uint64_t index = 0; index < UNIVERSE; index++) {
        struct mt_block b = block_at(CHURN_BASE, index), out;
        assert_int_equal(mt_blocks_remove(b.address, &out), live[index]);
        if (live[index])
            assert_same_block(&out, &b);
    }
    assert_int_equal(mt_blocks_count(), 0);
}

static void test_insert_find_remove(void **state)
{
    const struct mt_block b = {.address = 0x50000000, .size = 64, .id = 7, .stack = 3, .function = MT_FN_NEW,
                               .align_log2 = 4};
    struct mt_block out;
    mt_blocks_insert(&b);
    assert_int_equal(mt_blocks_count(), 1);

    memset(&out, 0, sizeof out);
    assert_int_equal(mt_blocks_find_containing(0x50000010, &out), 1);
    assert_same_block(&out, &b);
    assert_int_equal(mt_blocks_find_containing(0x5000003f, &out), 1);
    assert_int_equal(mt_blocks_find_containing(0x50000000, &out), 0); /* the start is not "inside" */
    assert_int_equal(mt_blocks_find_containing(0x50000040, &out), 0); /* one past the end */
    assert_int_equal(mt_blocks_find_containing(0x4ffffff0, &out), 0);

    assert_int_equal(mt_blocks_remove(0x50000010, &out), 0); /* only the start names a block */
    memset(&out, 0, sizeof out);
    assert_int_equal(mt_blocks_remove(0x50000000, &out), 1);
    assert_same_block(&out, &b);
    assert_int_equal(mt_blocks_remove(0x50000000, &out), 0);
    assert_int_equal(mt_blocks_count(), 0);
    assert_int_equal(mt_blocks_find_containing(0x50000010, &out), 0);
}

/* malloc(0) gives a block with no inside at all. */
static void test_a_zero_size_block_contains_nothing(void **state)
{
    const struct mt_block b = {.address = 0x60000000, .size = 0, .id = 9};
    struct mt_block out;
    mt_blocks_insert(&b);
    assert_int_equal(mt_blocks_find_containing(0x60000001, &out), 0);
    assert_int_equal(mt_blocks_remove(0x60000000, &out), 1);
    assert_int_equal(out.id, 9);
    assert_int_equal(mt_blocks_count(), 0);
}

static void test_reinserting_an_address_replaces_its_block(void **state)
{
    struct mt_block b = {.address = 0x70000000, .size = 8, .id = 1};
    struct mt_block out;
    mt_blocks_insert(&b);
    b.id = 2;
    b.size = 24;
    mt_blocks_insert(&b);
    assert_int_equal(mt_blocks_count(), 1);
    assert_int_equal(mt_blocks_remove(0x70000000, &out), 1);
    assert_same_block(&out, &b);
    assert_int_equal(mt_blocks_count(), 0);
}

#define GROWTH_BASE 0x200000000ull
#define GROWTH_BLOCKS 300000

static void test_growth_keeps_every_block(void **state)
{
    for (uint64_t index = 0; index < GROWTH_BLOCKS; index++) {
        struct mt_block b = block_at(GROWTH_BASE, index);
        mt_blocks_insert(&b);
    }
    assert_int_equal(mt_blocks_count(), GROWTH_BLOCKS);
    static unsigned char all[GROWTH_BLOCKS];
    memset(all, 1, sizeof all);
    struct visit v = {.live = all, .base = GROWTH_BASE, .universe = GROWTH_BLOCKS};
    mt_blocks_for_each(visit_block, &v);
    assert_int_equal(v.visits, GROWTH_BLOCKS);
    assert_int_equal(v.stray, 0);
    struct mt_block out;
    assert_int_equal(mt_blocks_find_containing(GROWTH_BASE + 12345 * 16 + 3, &out), 1);
    assert_int_equal(out.id, 12346);
    for (uint64_t index = 0; index < GROWTH_BLOCKS; index++) {
        struct mt_block b = block_at(GROWTH_BASE, index);
        assert_int_equal(mt_blocks_remove(b.address, &out), 1);
        assert_same_block(&out, &b);
    }
    assert_int_equal(mt_blocks_count(), 0);
}

/* What the table maps, in bytes: its shards' and side list's mappings. */
static void add_range(uintptr_t lo, uintptr_t hi, void *arg)
{
    *(size_t *)arg += hi - lo;
}

/* Slots are 24 bytes and a shard is 1/2 to 3/4 full (it grows by half when
 * it would pass 3/4): at most 48 bytes per live block, whatever the count. */
static void test_bytes_per_block_stay_below_48(void **state)
{
    static const uint64_t counts[] = {150000, 220000, 300000}; /* past the churn test's 90,000 */
    uint64_t inserted = 0;
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        for (; inserted < counts[c]; inserted++) {
            struct mt_block b = block_at(GROWTH_BASE, inserted);
            mt_blocks_insert(&b);
        }
        size_t bytes = 0;
        mt_blocks_own_ranges(add_range, &bytes);
        print_message("%llu blocks: %zu bytes mapped, %.1f per block\n", (unsigned long long)inserted, bytes,
                      (double)bytes / (double)inserted);
        assert_true(bytes <= 48 * inserted + 64 * 4096); /* each shard may round up to a page */
    }
    struct mt_block out;
    for (uint64_t index = 0; index < inserted; index++)
        assert_int_equal(mt_blocks_remove(block_at(GROWTH_BASE, index).address, &out), 1);
    assert_int_equal(mt_blocks_count(), 0);
}

/* A block of 4 GiB or more, or at an address above 52 bits, does not fit a
 * slot; it is kept whole beside the table, found, listed and removed alike. */
static void test_blocks_too_large_for_a_slot(void **state)
{
    const struct mt_block huge = {.address = 0x80000000, .size = (uint64_t)5 << 30, .id = 11, .stack = 4,
                                  .function = MT_FN_ALIGNED_ALLOC, .align_log2 = 12};
    const struct mt_block high = {.address = (uintptr_t)1 << 55, .size = 32, .id = 12, .stack = 5,
                                  .function = MT_FN_MALLOC};
    const struct mt_block small = {.address = 0x90000000, .size = 48, .id = 13, .stack = 6, .function = MT_FN_NEW};
    struct mt_block out;
    mt_blocks_insert(&huge);
    mt_blocks_insert(&high);
    mt_blocks_insert(&small);
    assert_int_equal(mt_blocks_count(), 3);
    assert_int_equal(mt_blocks_find_containing(0x80000000 + ((uint64_t)4 << 30), &out), 1);
    assert_same_block(&out, &huge);
    struct visit v = {0};
    mt_blocks_for_each(visit_block, &v);
    assert_int_equal(v.visits, 3);

    /* an address given again with a size that fits moves back into the table */
    struct mt_block shrunk = huge;
    shrunk.size = 64;
    mt_blocks_insert(&shrunk);
    assert_int_equal(mt_blocks_count(), 3);
    assert_int_equal(mt_blocks_remove(huge.address, &out), 1);
    assert_same_block(&out, &shrunk);
    assert_int_equal(mt_blocks_remove(huge.address, &out), 0);

    assert_int_equal(mt_blocks_remove(high.address, &out), 1);
    assert_same_block(&out, &high);
    assert_int_equal(mt_blocks_remove(small.address, &out), 1);
    assert_same_block(&out, &small);
    assert_int_equal(mt_blocks_count(), 0);
}

#define THREADS 4
#define PER_THREAD 100000

/* One thread's share: its own address range, so the final table is exact. */
struct worker {
    pthread_t thread;
    uintptr_t base;
    int keep_odd; /* first pass: remove the even blocks and keep the odd; second: remove the rest */
    long failures;
};

static void *insert_then_remove_evens(void *arg)
{
    struct worker *w = arg;
    struct mt_block out;
    for (uint64_t index = 0; index < PER_THREAD; index++) {
        struct mt_block b = block_at(w->base, index);
        mt_blocks_insert(&b);
        if (index % 2 == 1)
            continue;
        if (!mt_blocks_remove(b.address, &out) || memcmp(&out, &b, sizeof b) != 0)
            w->failures++;
    }
    return NULL;
}

static void *remove_odds(void *arg)
{
    struct worker *w = arg;
    struct mt_block out;
    for (uint64_t index = 1; index < PER_THREAD; index += 2) {
        struct mt_block b = block_at(w->base, index);
        if (!mt_blocks_remove(b.address, &out) || memcmp(&out, &b, sizeof b) != 0)
            w->failures++;
    }
    return NULL;
}

static void run_workers(struct worker *workers, void *(*fn)(void *))
{
    for (int k = 0; k < THREADS; k++)
        assert_int_equal(pthread_create(&workers[k].thread, NULL, fn, &workers[k]), 0);
    for (int k = 0; k < THREADS; k++) {
        assert_int_equal(pthread_join(workers[k].thread, NULL), 0);
        assert_int_equal(workers[k].failures, 0);
    }
}

static void test_threads_inserting_and_removing_leave_an_exact_table(void **state)
{
    struct worker workers[THREADS];
    for (int k = 0; k < THREADS; k++)
        workers[k] = (struct worker){.base = 0x1000000000ull * (uintptr_t)(k + 1)};
    run_workers(workers, insert_then_remove_evens);
    assert_int_equal(mt_blocks_count(), THREADS * PER_THREAD / 2);
    static unsigned char odd[PER_THREAD];
    for (size_t i = 1; i < PER_THREAD; i += 2)
        odd[i] = 1;
    for (int k = 0; k < THREADS; k++) {
        /* blocks of the other threads count as strays of this visit */
        struct visit v = {.live = odd, .base = workers[k].base, .universe = PER_THREAD};
        mt_blocks_for_each(visit_block, &v);
        assert_int_equal(v.visits - (size_t)v.stray, PER_THREAD / 2);
    }
    run_workers(workers, remove_odds);
    assert_int_equal(mt_blocks_count(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_churn_matches_a_reference),
        cmocka_unit_test(test_bytes_per_block_stay_below_48),
        cmocka_unit_test(test_insert_find_remove),
        cmocka_unit_test(test_a_zero_size_block_contains_nothing),
        cmocka_unit_test(test_reinserting_an_address_replaces_its_block),
        cmocka_unit_test(test_growth_keeps_every_block),
        cmocka_unit_test(test_threads_inserting_and_removing_leave_an_exact_table),
        cmocka_unit_test(test_blocks_too_large_for_a_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
