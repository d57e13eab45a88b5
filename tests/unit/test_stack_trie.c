/*
 * test_stack_trie.c - which addresses each stack keeps in its own row and
 * where it finds the rest (cli/trace/stack_trie.c): the shared outer part,
 * which row holds it (always an earlier stack's) and where in that row,
 * whatever order the stacks come in; equal addresses are shared only under
 * equal outer parts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "trace/stack_trie.h"

#define STACK(...) ((struct shared_stack){.addresses = (const uint32_t[]){__VA_ARGS__}, \
                                          .depth = sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t)})

/* Asserts what stack s keeps and where the rest of it is. */
static void assert_shared(const struct shared_stack *s, uint32_t fresh, uint32_t outer, uint32_t outer_skip)
{
    assert_int_equal(s->fresh, fresh);
    assert_int_equal(s->outer, outer);
    if (outer != SHARED_NONE)
        assert_int_equal(s->outer_skip, outer_skip);
}

/* The addresses of stack i, innermost first, as the chain of rows gives
 * them back: its own, then from its outer row on. */
static void assert_whole(const struct shared_stack *stacks, uint32_t i)
{
    const struct shared_stack *s = &stacks[i];
    if (s->outer != SHARED_NONE)
        assert_true(s->outer < i); /* rows share only what earlier stacks stored */
    uint32_t at = 0;
    for (uint32_t k = 0; k < s->fresh; k++)
        assert_int_equal(s->addresses[at++], s->addresses[k]);
    uint32_t skip = s->outer_skip;
    for (uint32_t link = s->outer; link != SHARED_NONE; link = stacks[link].outer) {
        const struct shared_stack *row = &stacks[link];
        assert_true(skip <= row->fresh);
        for (uint32_t k = skip; k < row->fresh; k++) {
            assert_true(at < s->depth);
            assert_int_equal(row->addresses[k], s->addresses[at++]);
        }
        skip = row->outer_skip;
    }
    assert_int_equal(at, s->depth);
}

/* A stack shares its outer addresses with the row that has them, and
 * names where in that row they start. */
static void test_shares_outer_addresses(void **state)
{
    (void)state;
    /* innermost first: f g main; h g main; h g main again; e g main; g x */
    struct shared_stack stacks[] = {STACK(3, 2, 1), STACK(4, 2, 1), STACK(4, 2, 1), STACK(5, 2, 1), STACK(2, 7),
                                    STACK(9, 3, 2, 1)};
    assert_int_equal(stack_trie_share(stacks, 6), 0);
    uint32_t owners = 0;
    for (int i = 0; i < 6; i++)
        owners += stacks[i].outer == SHARED_NONE;
    assert_int_equal(owners, 2); /* the main stacks' outermost row, and g x */
    assert_shared(&stacks[4], 2, SHARED_NONE, 0);
    /* one of the main stacks holds g and main; every other holds only its inner part */
    uint32_t stored = 0;
    for (int i = 0; i < 6; i++)
        stored += stacks[i].fresh;
    assert_int_equal(stored, 3 + 1 + 0 + 1 + 2 + 1); /* main g f, h, (h g main again), e, g x, 9 */
    /* the repeated stack is found whole */
    assert_true(stacks[1].fresh == 0 || stacks[2].fresh == 0);
    /* f's stack with 9 inside it keeps only 9, in f's row after no address */
    assert_shared(&stacks[5], 1, 0, 0);
    for (uint32_t i = 0; i < 6; i++)
        assert_whole(stacks, i);
}

/* Equal addresses under different outer parts are different nodes; an
 * empty stack shares nothing and is shared by none. */
static void test_same_address_elsewhere_is_not_shared(void **state)
{
    (void)state;
    struct shared_stack stacks[] = {STACK(5, 2, 1), STACK(5, 2, 8), STACK(5, 2), {.depth = 0}, STACK(2, 1)};
    assert_int_equal(stack_trie_share(stacks, 5), 0);
    assert_shared(&stacks[3], 0, SHARED_NONE, 0);
    /* 5 2 1 and 2 1 share 2 1; 5 2 8 shares nothing with either */
    assert_shared(&stacks[1], 3, SHARED_NONE, 0);
    assert_shared(&stacks[2], 2, SHARED_NONE, 0);
    assert_int_equal(stacks[0].fresh + stacks[4].fresh, 3);
    for (uint32_t i = 0; i < 5; i++)
        assert_whole(stacks, i);
}

/* Deep stacks branching at every level: every row holds one address, and
 * every chain gives its stack back. */
static void test_branching_stacks_keep_one_address_each(void **state)
{
    (void)state;
    enum { DEPTH = 40 };
    static uint32_t frames[DEPTH][DEPTH];
    struct shared_stack stacks[DEPTH];
    /* stack k: DEPTH - k addresses: 100 + k innermost, then 1 .. under it from the outside */
    for (uint32_t k = 0; k < DEPTH; k++) {
        uint32_t depth = k + 1;
        for (uint32_t d = 0; d < depth; d++)
            frames[k][depth - 1 - d] = d + 1; /* outermost 1, then 2, ... */
        frames[k][0] = 1000 + k;
        stacks[DEPTH - 1 - k] = (struct shared_stack){.addresses = frames[k], .depth = depth};
    }
    assert_int_equal(stack_trie_share(stacks, DEPTH), 0);
    uint32_t stored = 0;
    for (uint32_t i = 0; i < DEPTH; i++) {
        stored += stacks[i].fresh;
        assert_whole(stacks, i);
    }
    assert_int_equal(stored, DEPTH + DEPTH - 1); /* 1 .. DEPTH-1 once, and each stack's own innermost */
}

/* Many stacks drawn from a few addresses, some equal, some empty: every
 * chain gives its stack back, and the addresses stored are exactly the
 * trie's nodes, each distinct outer part once. */
static void test_many_stacks_store_each_node_once(void **state)
{
    (void)state;
    enum { STACKS = 3000, DEEPEST = 12 };
    static uint32_t frames[STACKS][DEEPEST];
    static struct shared_stack stacks[STACKS];
    uint64_t seed = 42;
    for (uint32_t i = 0; i < STACKS; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t depth = (uint32_t)(seed >> 33) % (DEEPEST + 1);
        for (uint32_t k = 0; k < depth; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            frames[i][k] = (uint32_t)(seed >> 33) % 3; /* few addresses: long shared outer parts */
        }
        stacks[i] = (struct shared_stack){.addresses = frames[i], .depth = depth};
    }
    assert_int_equal(stack_trie_share(stacks, STACKS), 0);
    /* the trie's nodes: distinct (depth from the outside, outer part) pairs */
    size_t nodes = 0, stored = 0;
    for (uint32_t i = 0; i < STACKS; i++) {
        stored += stacks[i].fresh;
        assert_whole(stacks, i);
        for (uint32_t d = 1; d <= stacks[i].depth; d++) {
            int seen = 0;
            for (uint32_t j = 0; j < i && !seen; j++) {
                if (stacks[j].depth < d)
                    continue;
                seen = 1;
                for (uint32_t k = 1; k <= d && seen; k++)
                    seen = frames[i][stacks[i].depth - k] == frames[j][stacks[j].depth - k];
            }
            nodes += !seen;
        }
    }
    assert_int_equal(stored, nodes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shares_outer_addresses),
        cmocka_unit_test(test_same_address_elsewhere_is_not_shared),
        cmocka_unit_test(test_branching_stacks_keep_one_address_each),
        cmocka_unit_test(test_many_stacks_store_each_node_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
