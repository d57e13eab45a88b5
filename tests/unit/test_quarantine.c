/*
 * test_quarantine.c - libtrack's quarantine of released blocks
 * (libtrack/quarantine.c): the byte budget, evictions handing back exactly
 * the held blocks, oldest first, the ring forgetting its oldest entries,
 * lookups finding the newest release, and blocks over the budget released at
 * once.
 *
 * The budget and the ring are per shard, so the tests need addresses of one
 * shard: this file includes quarantine.c itself to use its own shard_of and
 * RING rather than copies.  Each test works in a shard of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "quarantine.c"

#define BUDGET 1000 /* bytes per shard */

static int set_budget(void **state)
{
    mt_quarantine_init(BUDGET * SHARDS);
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

static struct mt_freed released(uintptr_t address, uint64_t size, int held, uint32_t free_stack)
{
    return (struct mt_freed){.address = address, .size = size, .alloc_stack = 1, .free_stack = free_stack,
                             .alloc_function = MT_FN_MALLOC, .free_function = MT_FN_FREE, .holds_memory = held};
}

/* Pushes one release and returns how many blocks came back, into evicted[]. */
static size_t push(uintptr_t address, uint64_t size, int held, void **evicted)
{
    struct mt_freed f = released(address, size, held, 0);
    return mt_quarantine_push(&f, evicted, MT_QUARANTINE_EVICT_MAX);
}

static void test_eviction_follows_the_byte_budget(void **state)
{
    uintptr_t cursor = 0x10000000, a[10];
    for (int i = 0; i < 10; i++)
        a[i] = next_in_shard(1, &cursor);
    void *evicted[MT_QUARANTINE_EVICT_MAX];
    struct mt_freed found;

    assert_int_equal(push(a[0], 300, 1, evicted), 0);
    assert_int_equal(push(a[1], 300, 1, evicted), 0);
    assert_int_equal(push(a[2], 300, 1, evicted), 0); /* 900 held */
    assert_int_equal(push(a[3], 300, 1, evicted), 1); /* 1200 > 1000: the oldest goes */
    assert_ptr_equal(evicted[0], (void *)a[0]);
    assert_int_equal(push(a[4], 600, 1, evicted), 2); /* 900 + 600: two go, oldest first; 900 held */
    assert_ptr_equal(evicted[0], (void *)a[1]);
    assert_ptr_equal(evicted[1], (void *)a[2]);
    assert_int_equal(push(a[5], 5000, 0, evicted), 0); /* remembered without its memory: costs nothing */
    assert_int_equal(push(a[6], 100, 1, evicted), 0);  /* exactly the budget */
    assert_int_equal(push(a[7], 1, 1, evicted), 1);    /* one byte over: the oldest, a[3], goes */
    assert_ptr_equal(evicted[0], (void *)a[3]);
    assert_int_equal(push(a[8], 400, 1, evicted), 1); /* 701 + 400: a[4] goes */
    assert_ptr_equal(evicted[0], (void *)a[4]);
    /* 501 + 600: a[5] goes first but holds nothing to hand back, then a[6] and a[7] */
    assert_int_equal(push(a[9], 600, 1, evicted), 2);
    assert_ptr_equal(evicted[0], (void *)a[6]);
    assert_ptr_equal(evicted[1], (void *)a[7]);
    assert_int_equal(shards[1].held_bytes, 1000);

    /* evicted entries are forgotten; the others are remembered as they were pushed */
    assert_int_equal(mt_quarantine_find(a[0], &found), 0);
    assert_int_equal(mt_quarantine_find(a[5], &found), 0);
    assert_int_equal(mt_quarantine_find(a[7], &found), 0);
    assert_int_equal(mt_quarantine_find(a[8], &found), 1);
    assert_int_equal(found.holds_memory, 1);
    assert_int_equal(found.size, 400);
    assert_int_equal(found.free_function, MT_FN_FREE);
}

/* splitmix64: the same pseudo-random sequence on every run. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define RANDOM_PUSHES 20000

/* Random sizes, some releases not held: every held block comes back exactly
 * once, in the order it was pushed (or at once when over the budget), never
 * a block that was not held, and the bytes held never exceed the budget. */
static void test_every_held_block_comes_back_once_oldest_first(void **state)
{
    static uintptr_t held[RANDOM_PUSHES + RING];
    static uint64_t held_size[RANDOM_PUSHES + RING];
    size_t n_held = 0, next_back = 0; /* held[next_back] is the oldest still in quarantine */
    uint64_t held_bytes = 0, rng = 7;
    uintptr_t cursor = 0x20000000;
    void *evicted[MT_QUARANTINE_EVICT_MAX];
    for (long i = 0; i < RANDOM_PUSHES + RING; i++) {
        uintptr_t address = next_in_shard(2, &cursor);
        uint64_t size = 1 + next_random(&rng) % 1100;
        /* the last RING pushes hold nothing: they flush the ring */
        int hold = i < RANDOM_PUSHES && next_random(&rng) % 5 != 0;
        size_t n = push(address, size, hold, evicted);
        size_t k = 0;
        if (hold && size > BUDGET) {
            assert_true(n >= 1);
            assert_ptr_equal(evicted[k++], (void *)address);
        }
        for (; k < n; k++) {
            assert_true(next_back < n_held);
            assert_ptr_equal(evicted[k], (void *)held[next_back]);
            held_bytes -= held_size[next_back++];
        }
        if (hold && size <= BUDGET) {
            held[n_held] = address;
            held_size[n_held++] = size;
            held_bytes += size;
        }
        assert_true(held_bytes <= BUDGET);
    }
    assert_int_equal(next_back, n_held);
    assert_int_equal(held_bytes, 0);
}

static void test_the_ring_wraps_forgetting_the_oldest(void **state)
{
    uintptr_t cursor = 0x30000000, a[RING + 44];
    void *evicted[MT_QUARANTINE_EVICT_MAX];
    struct mt_freed found;
    uintptr_t first = next_in_shard(3, &cursor);
    assert_int_equal(push(first, 8, 1, evicted), 0);
    for (int i = 0; i < RING + 44; i++) {
        a[i] = next_in_shard(3, &cursor);
        size_t n = push(a[i], 8, 0, evicted);
        if (i == RING - 1) { /* the ring was full: the held block falls out, and comes back */
            assert_int_equal(n, 1);
            assert_ptr_equal(evicted[0], (void *)first);
        } else {
            assert_int_equal(n, 0);
        }
    }
    assert_int_equal(shards[3].count, RING);
    assert_int_equal(mt_quarantine_find(first, &found), 0);
    for (int i = 0; i < RING + 44; i++)
        assert_int_equal(mt_quarantine_find(a[i], &found), i >= 44);
}

/* An address released, reused and released again: the report needs the
 * latest release. */
static void test_lookup_finds_the_newest_release_first(void **state)
{
    uintptr_t cursor = 0x40000000;
    uintptr_t x = next_in_shard(4, &cursor), y = next_in_shard(4, &cursor);
    void *evicted[MT_QUARANTINE_EVICT_MAX];
    struct mt_freed f = released(x, 8, 0, 11), found;
    assert_int_equal(mt_quarantine_push(&f, evicted, MT_QUARANTINE_EVICT_MAX), 0);
    f = released(y, 8, 0, 12);
    assert_int_equal(mt_quarantine_push(&f, evicted, MT_QUARANTINE_EVICT_MAX), 0);
    f = released(x, 24, 0, 13);
    assert_int_equal(mt_quarantine_push(&f, evicted, MT_QUARANTINE_EVICT_MAX), 0);
    assert_int_equal(mt_quarantine_find(x, &found), 1);
    assert_int_equal(found.free_stack, 13);
    assert_int_equal(found.size, 24);
    assert_int_equal(mt_quarantine_find(y, &found), 1);
    assert_int_equal(found.free_stack, 12);
    assert_int_equal(mt_quarantine_find(next_in_shard(4, &cursor), &found), 0);
}

static void test_a_block_larger_than_the_budget_is_released_at_once(void **state)
{
    uintptr_t cursor = 0x50000000;
    uintptr_t small = next_in_shard(5, &cursor), big = next_in_shard(5, &cursor), fits = next_in_shard(5, &cursor);
    void *evicted[MT_QUARANTINE_EVICT_MAX];
    struct mt_freed found;
    assert_int_equal(push(small, 100, 1, evicted), 0);
    assert_int_equal(push(big, BUDGET + 1, 1, evicted), 1); /* back at once; the held block stays */
    assert_ptr_equal(evicted[0], (void *)big);
    assert_int_equal(mt_quarantine_find(big, &found), 1); /* still known, for a double free */
    assert_int_equal(found.holds_memory, 0);
    assert_int_equal(found.size, BUDGET + 1);
    assert_int_equal(mt_quarantine_find(small, &found), 1);
    assert_int_equal(found.holds_memory, 1);
    assert_int_equal(push(fits, BUDGET - 100, 1, evicted), 0); /* the big block took no room */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eviction_follows_the_byte_budget),
        cmocka_unit_test(test_every_held_block_comes_back_once_oldest_first),
        cmocka_unit_test(test_the_ring_wraps_forgetting_the_oldest),
        cmocka_unit_test(test_lookup_finds_the_newest_release_first),
        cmocka_unit_test(test_a_block_larger_than_the_budget_is_released_at_once),
    };
    return cmocka_run_group_tests(tests, set_budget, NULL);
}
