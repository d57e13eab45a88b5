/*
 * test_quarantine.c - libtrack's quarantine of released blocks
 * (libtrack/quarantine.c): a thread's hold gives blocks back to libc oldest
 * first, within its byte budget and MT_HOLD_MAX blocks, never a block twice,
 * and a block over the budget at once; the ring of remembered releases
 * forgets its oldest entries and a lookup finds the newest release.
 *
 * The ring is per shard, so those tests need addresses of one shard: this
 * file includes quarantine.c itself to use its own shard_of and RING rather
 * than copies.  Each test works in a shard of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "quarantine.c"

#define BUDGET 1000 /* bytes a thread may hold */

struct mt_options mt_options;
static struct mt_thread thread;

static int set_budget(void **state)
{
    mt_options.quarantine_bytes = BUDGET;
    return 0;
}

/* The next address after *cursor (16-byte steps) that quarantine.c files under shard k. */
static uintptr_t next_in_shard(unsigned k, uintptr_t *cursor)
{
    do
        *cursor += 16;
    while (shard_of(*cursor) != &shards[k]);
    return *cursor;
}

static struct mt_freed released(uintptr_t address, uint64_t size, uint32_t free_stack)
{
    return (struct mt_freed){.address = address, .size = size, .alloc_stack = 1, .free_stack = free_stack,
                             .alloc_function = MT_FN_MALLOC, .free_function = MT_FN_FREE};
}

static void remember(uintptr_t address, uint64_t size, uint32_t free_stack)
{
    struct mt_freed f = released(address, size, free_stack);
    mt_quarantine_remember(&f);
}

/* Holds one block; returns how many blocks came back (into back[]: the
 * block itself first, when it could not be held). */
static size_t hold(uintptr_t address, uint64_t size, void **back)
{
    size_t n;
    void *now = mt_quarantine_hold(&thread, (void *)address, size, back + 1, &n);
    if (now) {
        back[0] = now;
        return 1 + n;
    }
    for (size_t i = 0; i < n; i++)
        back[i] = back[i + 1];
    return n;
}

static void test_eviction_follows_the_byte_budget(void **state)
{
    uintptr_t a[10];
    for (int i = 0; i < 10; i++)
        a[i] = 0x10000000 + 0x1000 * (uintptr_t)i;
    void *back[MT_HOLD_MAX + 2];
    memset(&thread, 0, sizeof thread);

    assert_int_equal(hold(a[0], 300, back), 0);
    assert_int_equal(hold(a[1], 300, back), 0);
    assert_int_equal(hold(a[2], 300, back), 0); /* 900 held */
    assert_int_equal(hold(a[3], 300, back), 1); /* 1200 > 1000: the oldest goes */
    assert_ptr_equal(back[0], (void *)a[0]);
    assert_int_equal(hold(a[4], 600, back), 2); /* 900 + 600: two go, oldest first; 900 held */
    assert_ptr_equal(back[0], (void *)a[1]);
    assert_ptr_equal(back[1], (void *)a[2]);
    assert_int_equal(hold(a[6], 100, back), 0); /* exactly the budget */
    assert_int_equal(hold(a[7], 1, back), 1);   /* one byte over: the oldest, a[3], goes */
    assert_ptr_equal(back[0], (void *)a[3]);
    assert_int_equal(thread.held_bytes, 701);
}

static void test_a_block_larger_than_the_budget_is_released_at_once(void **state)
{
    void *back[MT_HOLD_MAX + 2];
    memset(&thread, 0, sizeof thread);
    assert_int_equal(hold(0x50000000, 100, back), 0);
    assert_int_equal(hold(0x50001000, BUDGET + 1, back), 1); /* back at once; the held block stays */
    assert_ptr_equal(back[0], (void *)0x50001000);
    assert_int_equal(thread.held_count, 1);
    assert_int_equal(hold(0x50002000, BUDGET - 100, back), 0); /* the big block took no room */
}

static void test_no_budget_holds_nothing(void **state)
{
    void *back[MT_HOLD_MAX + 2];
    memset(&thread, 0, sizeof thread);
    mt_options.quarantine_bytes = 0;
    assert_int_equal(hold(0x60000000, 0, back), 1);
    assert_int_equal(hold(0x60001000, 8, back), 1);
    mt_options.quarantine_bytes = BUDGET;
    assert_int_equal(thread.held_count, 0);
}

/* splitmix64: the same pseudo-random sequence on every run. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define RANDOM_HOLDS 20000

/* Random sizes: every held block comes back exactly once, in the order it
 * was held (or at once when over the budget), and neither the bytes nor the
 * blocks held ever exceed the limits. */
static void test_every_held_block_comes_back_once_oldest_first(void **state)
{
    static uintptr_t held[RANDOM_HOLDS];
    static uint64_t held_size[RANDOM_HOLDS];
    size_t n_held = 0, next_back = 0; /* held[next_back] is the oldest still held */
    uint64_t held_bytes = 0, rng = 7;
    void *back[MT_HOLD_MAX + 2];
    memset(&thread, 0, sizeof thread);
    for (long i = 0; i < RANDOM_HOLDS; i++) {
        uintptr_t address = 0x20000000 + 0x2000 * (uintptr_t)i;
        /* mostly small blocks, so that the block limit is reached as well as the byte budget */
        uint64_t size = next_random(&rng) % 4 ? 1 + next_random(&rng) % 20 : 1 + next_random(&rng) % 1100;
        size_t n = hold(address, size, back);
        size_t k = 0;
        if (size > BUDGET) {
            assert_true(n >= 1);
            assert_ptr_equal(back[k++], (void *)address);
        }
        for (; k < n; k++) {
            assert_true(next_back < n_held);
            assert_ptr_equal(back[k], (void *)held[next_back]);
            held_bytes -= held_size[next_back++];
        }
        if (size <= BUDGET) {
            held[n_held] = address;
            held_size[n_held++] = size;
            held_bytes += size;
        }
        assert_true(held_bytes <= BUDGET);
        assert_true(n_held - next_back <= MT_HOLD_MAX);
        assert_int_equal(thread.held_count, n_held - next_back);
    }
}

static void test_the_ring_wraps_forgetting_the_oldest(void **state)
{
    uintptr_t cursor = 0x30000000, a[RING + 44];
    struct mt_freed found;
    for (int i = 0; i < RING + 44; i++) {
        a[i] = next_in_shard(3, &cursor);
        remember(a[i], 8, 0);
    }
    assert_int_equal(shards[3].count, RING);
    for (int i = 0; i < RING + 44; i++)
        assert_int_equal(mt_quarantine_find(a[i], &found), i >= 44);
}

/* An address released, reused and released again: the report needs the
 * latest release. */
static void test_lookup_finds_the_newest_release_first(void **state)
{
    uintptr_t cursor = 0x40000000;
    uintptr_t x = next_in_shard(4, &cursor), y = next_in_shard(4, &cursor);
    struct mt_freed found;
    remember(x, 8, 11);
    remember(y, 8, 12);
    remember(x, 24, 13);
    assert_int_equal(mt_quarantine_find(x, &found), 1);
    assert_int_equal(found.free_stack, 13);
    assert_int_equal(found.size, 24);
    assert_int_equal(found.free_function, MT_FN_FREE);
    assert_int_equal(mt_quarantine_find(y, &found), 1);
    assert_int_equal(found.free_stack, 12);
    assert_int_equal(mt_quarantine_find(next_in_shard(4, &cursor), &found), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eviction_follows_the_byte_budget),
        cmocka_unit_test(test_a_block_larger_than_the_budget_is_released_at_once),
        cmocka_unit_test(test_no_budget_holds_nothing),
        cmocka_unit_test(test_every_held_block_comes_back_once_oldest_first),
        cmocka_unit_test(test_the_ring_wraps_forgetting_the_oldest),
        cmocka_unit_test(test_lookup_finds_the_newest_release_first),
    };
    return cmocka_run_group_tests(tests, set_budget, NULL);
}
