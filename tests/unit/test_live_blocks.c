/*
 * test_live_blocks.c - the collector's table of live blocks
 * (cli/collect/live_blocks.c) against a plain reference array, under the
 * shapes libtrack's ids take: threads numbering their blocks in order, most
 * blocks dying young and some living long, chunks thinning until their
 * survivors move to the hash map, ids arriving below a thread's first chunk
 * (a fork child's inherited blocks), and several threads at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "collect/live_blocks.h"

#define ID(thread, sequence) ((uint64_t)(thread) << 40 | (uint64_t)(sequence))

/* splitmix64: a fixed sequence of well-mixed numbers, the same on every run. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Adds block ID with its address and size derived from it. */
static void add(struct live_blocks *lb, uint64_t id)
{
    struct mt_live_block *b = live_blocks_put(lb, id);
    assert_non_null(b);
    *b = (struct mt_live_block){.function = 1, .stack = (uint32_t)id};
    assert_int_equal(live_block_set_extent(lb, id, b, id * 16 + 1, id & 0xffff), 0);
}

/* The block ID is there with what add() gave it. */
static void assert_live(struct live_blocks *lb, uint64_t id)
{
    const struct mt_live_block *b = live_blocks_get(lb, id);
    assert_non_null(b);
    assert_int_equal(live_block_address(lb, id, b), id * 16 + 1);
    assert_int_equal(live_block_size(lb, id, b), id & 0xffff);
    assert_int_equal(b->stack, (uint32_t)id);
}

struct seen {
    const struct live_blocks *lb;
    size_t count;
    uint64_t sum;
};

static void tally(uint64_t id, const struct mt_live_block *b, void *arg)
{
    struct seen *seen = arg;
    assert_int_equal(live_block_address(seen->lb, id, b), id * 16 + 1);
    seen->count++;
    seen->sum += id;
}

static void test_put_get_remove(void **state)
{
    (void)state;
    struct live_blocks lb;
    live_blocks_init(&lb);
    assert_null(live_blocks_get(&lb, ID(1, 1)));
    add(&lb, ID(1, 1));
    add(&lb, ID(1, 2));
    add(&lb, ID(2, 1));
    assert_int_equal(lb.count, 3);
    assert_live(&lb, ID(1, 2));
    assert_ptr_equal(live_blocks_put(&lb, ID(1, 2)), live_blocks_get(&lb, ID(1, 2))); /* an existing id */
    assert_int_equal(lb.count, 3);
    live_blocks_remove(&lb, ID(1, 2));
    live_blocks_remove(&lb, ID(1, 2)); /* twice: nothing more happens */
    live_blocks_remove(&lb, ID(7, 7)); /* never there */
    assert_null(live_blocks_get(&lb, ID(1, 2)));
    assert_int_equal(lb.count, 2);
    struct seen seen = {.lb = &lb};
    live_blocks_for_each(&lb, tally, &seen);
    assert_int_equal(seen.count, 2);
    assert_int_equal(seen.sum, ID(1, 1) + ID(2, 1));
    live_blocks_free(&lb);
}

/* Three threads allocate in order; each block dies soon or lives long; the
 * table must always agree with a reference of which ids are live, through
 * chunks emptying, thinning into the hash map and being freed. */
static void test_mixed_lifetimes_match_reference(void **state)
{
    (void)state;
    enum { THREADS = 3, PER_THREAD = 60000 };
    struct live_blocks lb;
    live_blocks_init(&lb);
    uint8_t *live = calloc((size_t)THREADS * PER_THREAD, 1);
    uint64_t next[THREADS] = {0}, random = 7;
    size_t count = 0;
    for (size_t step = 0; step < 3 * (size_t)THREADS * PER_THREAD; step++) {
        unsigned t = (unsigned)(next_random(&random) % THREADS);
        uint64_t r = next_random(&random);
        if (r % 3 != 0 && next[t] < PER_THREAD) { /* allocate the thread's next block */
            uint64_t seq = next[t]++;
            add(&lb, ID(t + 1, seq + 1));
            live[t * PER_THREAD + seq] = 1;
            count++;
        } else if (next[t] > 0) { /* release a recent block most of the time, an old one sometimes */
            uint64_t back = r % 8 == 0 ? (r >> 8) % next[t] : (r >> 8) % (next[t] < 64 ? next[t] : 64);
            uint64_t seq = next[t] - 1 - back;
            if (live[t * PER_THREAD + seq]) {
                live_blocks_remove(&lb, ID(t + 1, seq + 1));
                live[t * PER_THREAD + seq] = 0;
                count--;
            }
        }
        assert_int_equal(lb.count, count);
    }
    struct seen seen = {.lb = &lb};
    live_blocks_for_each(&lb, tally, &seen);
    assert_int_equal(seen.count, count);
    for (unsigned t = 0; t < THREADS; t++)
        for (uint64_t seq = 0; seq < next[t]; seq++) {
            if (live[t * PER_THREAD + seq])
                assert_live(&lb, ID(t + 1, seq + 1));
            else
                assert_null(live_blocks_get(&lb, ID(t + 1, seq + 1)));
        }
    free(live);
    live_blocks_free(&lb);
}

/* Ids below a thread's first chunk and in chunks never made (a fork child's
 * inherited blocks arrive in the parent's table order) are kept all the
 * same, and the thread's own later blocks still go to chunks. */
static void test_ids_out_of_order(void **state)
{
    (void)state;
    struct live_blocks lb;
    live_blocks_init(&lb);
    add(&lb, ID(1, 50000));
    add(&lb, ID(1, 3));      /* below the first chunk */
    add(&lb, ID(1, 20000));  /* a chunk between, never made */
    add(&lb, ID(1, 90000));  /* a later chunk */
    add(&lb, ID(1, 50001));
    assert_int_equal(lb.count, 5);
    assert_ptr_equal(live_blocks_put(&lb, ID(1, 3)), live_blocks_get(&lb, ID(1, 3))); /* again: the same block */
    assert_ptr_equal(live_blocks_put(&lb, ID(1, 50001)), live_blocks_get(&lb, ID(1, 50001)));
    assert_int_equal(lb.count, 5);
    uint64_t ids[] = {ID(1, 50000), ID(1, 3), ID(1, 20000), ID(1, 90000), ID(1, 50001)};
    for (size_t i = 0; i < 5; i++)
        assert_live(&lb, ids[i]);
    for (size_t i = 0; i < 5; i++)
        live_blocks_remove(&lb, ids[i]);
    assert_int_equal(lb.count, 0);
    for (size_t i = 0; i < 5; i++)
        assert_null(live_blocks_get(&lb, ids[i]));
    live_blocks_free(&lb);
}

/* A chunk that thins below a quarter moves its survivors to the hash map:
 * they stay readable, removable, and listed. */
static void test_thinned_chunk_keeps_survivors(void **state)
{
    (void)state;
    struct live_blocks lb;
    live_blocks_init(&lb);
    for (uint64_t seq = 1; seq <= 3 * 4096; seq++) /* several chunks; the last is the newest */
        add(&lb, ID(1, seq));
    for (uint64_t seq = 1; seq <= 4096; seq++)
        if (seq % 8 != 0)
            live_blocks_remove(&lb, ID(1, seq));
    assert_int_equal(lb.count, 4096 / 8 + 2 * 4096);
    for (uint64_t seq = 8; seq <= 4096; seq += 8)
        assert_live(&lb, ID(1, seq));
    struct seen seen = {.lb = &lb};
    live_blocks_for_each(&lb, tally, &seen);
    assert_int_equal(seen.count, lb.count);
    for (uint64_t seq = 8; seq <= 4096; seq += 8)
        live_blocks_remove(&lb, ID(1, seq));
    assert_int_equal(lb.count, 2 * 4096);
    live_blocks_free(&lb);
}

/* Thousands of threads that each keep one block (threads that ended leave
 * their newest chunk behind) do not keep a chunk each: the chunks are swept
 * into the hash map, every block stays readable, and a thread that goes on
 * allocating after its chunk was swept still keeps every block. */
static void test_many_threads_swept(void **state)
{
    (void)state;
    struct live_blocks lb;
    live_blocks_init(&lb);
    for (uint64_t t = 1; t <= 5000; t++)
        add(&lb, ID(t, 1));
    assert_true(lb.chunks <= 300); /* SWEEP_SLACK (256) and what came since the last sweep */
    for (uint64_t seq = 2; seq <= 3000; seq++)
        add(&lb, ID(1, seq));
    assert_int_equal(lb.count, 5000 + 2999);
    for (uint64_t t = 1; t <= 5000; t++)
        assert_live(&lb, ID(t, 1));
    for (uint64_t seq = 1; seq <= 3000; seq++)
        assert_live(&lb, ID(1, seq));
    struct seen seen = {.lb = &lb};
    live_blocks_for_each(&lb, tally, &seen);
    assert_int_equal(seen.count, lb.count);
    for (uint64_t t = 1; t <= 5000; t++)
        live_blocks_remove(&lb, ID(t, 1));
    assert_int_equal(lb.count, 2999);
    live_blocks_free(&lb);
}

/* Blocks whose address or size a slot cannot hold keep them whole, in a
 * chunk and in the hash map alike, and leave nothing behind when they go;
 * the widest that fit stay in their slot. */
static void test_wide_blocks_keep_their_extent(void **state)
{
    (void)state;
    struct live_blocks lb;
    live_blocks_init(&lb);
    const struct {
        uint64_t id, address, size;
    } blocks[] = {
        {ID(1, 1), (uint64_t)1 << 48, 16},               /* an address above 48 bits (5-level paging) */
        {ID(1, 2), 0x7f0000001000, (uint64_t)1 << 36},   /* 64 GiB */
        {ID(1, 3), 0xffffffffffff, ((uint64_t)1 << 36) - 1}, /* the largest that fit */
        {ID(1, 4), UINT64_MAX, INT64_MAX},
        {ID(1, 100000), 0x123456789abcdef0, 5},          /* far from the others: the hash map */
    };
    size_t n = sizeof blocks / sizeof *blocks;
    for (size_t i = 0; i < n; i++) {
        struct mt_live_block *b = live_blocks_put(&lb, blocks[i].id);
        assert_non_null(b);
        *b = (struct mt_live_block){.function = 1};
        assert_int_equal(live_block_set_extent(&lb, blocks[i].id, b, blocks[i].address, blocks[i].size), 0);
    }
    assert_int_equal(lb.wide.count, 4);
    for (size_t i = 0; i < n; i++) {
        const struct mt_live_block *b = live_blocks_get(&lb, blocks[i].id);
        assert_non_null(b);
        assert_int_equal(live_block_address(&lb, blocks[i].id, b), blocks[i].address);
        assert_int_equal(live_block_size(&lb, blocks[i].id, b), blocks[i].size);
    }
    for (size_t i = 0; i < n; i++)
        live_blocks_remove(&lb, blocks[i].id);
    assert_int_equal(lb.wide.count, 0);
    assert_int_equal(lb.count, 0);
    live_blocks_free(&lb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_remove),
        cmocka_unit_test(test_mixed_lifetimes_match_reference),
        cmocka_unit_test(test_ids_out_of_order),
        cmocka_unit_test(test_thinned_chunk_keeps_survivors),
        cmocka_unit_test(test_many_threads_swept),
        cmocka_unit_test(test_wide_blocks_keep_their_extent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
