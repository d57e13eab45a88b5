/*
 * test_stack_trie.c - which outer frames a new stack finds stored already
 * (cli/trace/stack_trie.c): the shared part, where it is, and that a node
 * met through a hash collision is never taken for the stack's own.  Rows
 * start far above 2^32, as a process's may after many processes' rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "trace/stack_trie.h"

/* The first row of the process under test. */
#define BASE ((int64_t)1 << 33)

/* A span for address number `ordinal` whose frames are rows first..first+count-1. */
static struct frame_span span(uint32_t ordinal, int64_t first, uint32_t count)
{
    return (struct frame_span){.first = first, .count = count, .ordinal = ordinal};
}

/* Matches spans[0..depth) and commits them as row `row`; returns the match. */
static struct stack_match store(struct stack_trie *trie, const struct frame_span *spans, size_t depth, int64_t row)
{
    struct stack_match match;
    stack_trie_match(trie, spans, depth, &match);
    assert_int_equal(stack_trie_commit(trie, spans, &match, row), 0);
    return match;
}

/* A first stack shares nothing; a second one with the same outer addresses
 * names the first row and how many of its frames lie further in. */
static void test_shares_outer_frames(void **state)
{
    (void)state;
    struct stack_trie trie;
    stack_trie_init(&trie);
    /* innermost first: f (2 frames: one inlined), g, main */
    struct frame_span first[] = {span(3, 10, 2), span(2, 12, 1), span(1, 13, 1)};
    struct stack_match m = store(&trie, first, 3, BASE + 100);
    assert_int_equal(m.fresh, 3);
    assert_int_equal(m.outer_id, 0);

    /* h called from g from main: g and main are in row 100 after f's 2 frames */
    struct frame_span second[] = {span(4, 20, 1), span(2, 12, 1), span(1, 13, 1)};
    m = store(&trie, second, 3, BASE + 101);
    assert_int_equal(m.fresh, 1);
    assert_int_equal(m.outer_id, BASE + 100);
    assert_int_equal(m.outer_skip, 2);

    /* the same stack again is found whole, in its own row */
    m = store(&trie, second, 3, BASE + 102);
    assert_int_equal(m.fresh, 0);
    assert_int_equal(m.outer_id, BASE + 101);
    assert_int_equal(m.outer_skip, 0);

    /* an address that gave no frame is stepped over: the row holds only e */
    struct frame_span gap[] = {span(5, 30, 1), span(6, -1, 0), span(2, 12, 1), span(1, 13, 1)};
    m = store(&trie, gap, 4, BASE + 103);
    assert_int_equal(m.fresh, 1);
    assert_int_equal(m.outer_id, BASE + 100);
    assert_int_equal(m.outer_skip, 2);

    /* another outermost address shares nothing */
    struct frame_span other[] = {span(2, 12, 1), span(7, 40, 1)};
    m = store(&trie, other, 2, BASE + 104);
    assert_int_equal(m.fresh, 2);
    assert_int_equal(m.outer_id, 0);
    stack_trie_free(&trie);
}

/* A node whose key matches but whose parent or address do not (what a
 * collision of path hashes looks like) is not used: the stack shares less. */
static void test_collision_is_not_shared(void **state)
{
    (void)state;
    struct stack_trie trie;
    stack_trie_init(&trie);
    struct frame_span stack[] = {span(2, 11, 1), span(1, 10, 1)};
    store(&trie, stack, 2, BASE + 100);
    assert_int_equal(trie.nodes.count, 2);

    /* make the inner node (the one with a parent) look like another path's */
    struct {
        uint32_t parent, number, index, row;
    } *node;
    uint64_t key;
    void *value;
    for (size_t i = 0; u64map_next(&trie.nodes, &i, &key, &value);) {
        node = value;
        if (node->parent)
            node->parent = 99;
    }
    struct stack_match m;
    stack_trie_match(&trie, stack, 2, &m);
    assert_int_equal(m.fresh, 1); /* main is shared, f no longer */
    assert_int_equal(m.outer_id, BASE + 100);
    assert_int_equal(m.outer_skip, 1);

    /* storing it again takes the key back: the next match finds it whole */
    assert_int_equal(stack_trie_commit(&trie, stack, &m, BASE + 101), 0);
    stack_trie_match(&trie, stack, 2, &m);
    assert_int_equal(m.fresh, 0);
    assert_int_equal(m.outer_id, BASE + 101);
    stack_trie_free(&trie);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shares_outer_frames),
        cmocka_unit_test(test_collision_is_not_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
