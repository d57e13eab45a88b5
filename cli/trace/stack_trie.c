/*
 * stack_trie.c - which addresses each stack of a process keeps in its own
 * row, and where it finds the rest (stack_trie.h): the stacks sorted
 * outermost address first, each sharing what it can with the one before.
 */
#include "trace/stack_trie.h"

#include <stdlib.h>

/* Where one address of the stack just walked is stored: the stack whose row
 * holds it, and its place among that row's own addresses. */
struct place {
    uint32_t stack, index;
};

/* qsort_r order of stack indexes: outermost address first, then the index,
 * so that equal stacks keep the order they came in. */
static int outermost_first(const void *a, const void *b, void *context)
{
    const struct shared_stack *stacks = context;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    const struct shared_stack *x = &stacks[i], *y = &stacks[j];
    uint32_t common = x->depth < y->depth ? x->depth : y->depth;
    for (uint32_t k = 1; k <= common; k++) {
        uint32_t u = x->addresses[x->depth - k], v = y->addresses[y->depth - k];
        if (u != v)
            return u < v ? -1 : 1;
    }
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    return i < j ? -1 : i > j;
}

/* How many outer addresses X and Y have in common. */
static uint32_t common_outer(const struct shared_stack *x, const struct shared_stack *y)
{
    uint32_t common = x->depth < y->depth ? x->depth : y->depth, k = 0;
    while (k < common && x->addresses[x->depth - 1 - k] == y->addresses[y->depth - 1 - k])
        k++;
    return k;
}

int stack_trie_share(struct shared_stack *stacks, size_t n)
{
    uint32_t deepest = 0;
    for (size_t i = 0; i < n; i++) {
        stacks[i].fresh = stacks[i].depth;
        stacks[i].outer = SHARED_NONE;
        stacks[i].outer_skip = 0;
        if (stacks[i].depth > deepest)
            deepest = stacks[i].depth;
    }
    uint32_t *order = malloc((n + 1) * sizeof *order);
    struct place *places = malloc(((size_t)deepest + 1) * sizeof *places); /* by distance from the outermost */
    if (!order || !places || n > SHARED_NONE) {
        free(order);
        free(places);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, n, sizeof *order, outermost_first, stacks);
    const struct shared_stack *before = NULL;
    for (size_t k = 0; k < n; k++) {
        struct shared_stack *s = &stacks[order[k]];
        uint32_t shared = before ? common_outer(before, s) : 0;
        s->fresh = s->depth - shared;
        if (shared > 0) {
            s->outer = places[shared - 1].stack;
            s->outer_skip = places[shared - 1].index;
        }
        /* the places further out stay the neighbour's, which this stack shares */
        for (uint32_t d = shared; d < s->depth; d++)
            places[d] = (struct place){order[k], s->depth - 1 - d};
        before = s;
    }
    free(order);
    free(places);
    return 0;
}
