/*
 * test_html_children.c - finding a tree node's child by label
 * (cli/output/html_children.c): each child is made once and found again,
 * whether its parent lists its children or, past a few, keeps them in a
 * hash map; checked against a plain table of every (parent, label) made,
 * over a tree whose nodes have from none to hundreds of children.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>

#include "output/html_children.h"

/* The child a node asks for: a few labels under most parents, many under
 * every seventh, so that some parents go past the listed children. */
#define PARENTS 200
#define LABELS_OF_MANY 300
#define LABELS_OF_FEW 5

/* The first node made for each parent and label, 0 before: the reference. */
static uint32_t made[PARENTS][LABELS_OF_MANY];

static void test_children_are_made_once_and_found_again(void **state)
{
    (void)state;
    struct tree_children children;
    tree_children_init(&children);
    uint32_t nodes = 1; /* the root */
    for (int round = 0; round < 3; round++)
        for (uint32_t parent = 0; parent < PARENTS && parent < nodes; parent++) {
            uint32_t labels = parent % 7 == 0 ? LABELS_OF_MANY : LABELS_OF_FEW;
            /* labels in a different order each round */
            for (uint32_t i = 0; i < labels; i++) {
                uint32_t label = (i * 37 + (uint32_t)round * 11) % labels;
                bool created = false;
                int64_t child = tree_children_child(&children, parent, label, nodes, &created);
                assert_true(child > 0);
                if (made[parent][label] == 0) {
                    assert_true(created);
                    assert_int_equal(child, nodes);
                    made[parent][label] = nodes++;
                } else {
                    assert_false(created);
                    assert_int_equal(child, made[parent][label]);
                }
            }
        }
    tree_children_free(&children);
}

static void test_a_label_names_a_different_child_under_each_parent(void **state)
{
    (void)state;
    struct tree_children children;
    tree_children_init(&children);
    bool created = false;
    assert_int_equal(tree_children_child(&children, 0, 7, 1, &created), 1);
    assert_true(created);
    assert_int_equal(tree_children_child(&children, 1, 7, 2, &created), 2);
    assert_true(created);
    assert_int_equal(tree_children_child(&children, 0, 7, 3, &created), 1);
    assert_false(created);
    assert_int_equal(tree_children_child(&children, 1, 7, 3, &created), 2);
    assert_false(created);
    tree_children_free(&children);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_children_are_made_once_and_found_again),
        cmocka_unit_test(test_a_label_names_a_different_child_under_each_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
