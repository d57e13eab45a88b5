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

/* The address of S at distance D from its outermost, or -1 (before every
 * address) when S is no deeper. */
static int64_t address_at(const struct shared_stack *s, uint32_t d)
{
    return d < s->depth ? (int64_t)s->addresses[s->depth - 1 - d] : -1;
}

/* The order of stacks I and J, equal in their D outermost addresses:
 * outermost address first, then the index, so that equal stacks keep the
 * order they came in. */
static int compare_from(const struct shared_stack *stacks, uint32_t i, uint32_t j, uint32_t d)
{
    for (;; d++) {
        int64_t u = address_at(&stacks[i], d), v = address_at(&stacks[j], d);
        if (u != v)
            return u < v ? -1 : 1;
        if (u < 0)
            return i < j ? -1 : i > j;
    }
}

static int by_index(const void *a, const void *b)
{
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    return i < j ? -1 : i > j;
}

static void swap(uint32_t *a, uint32_t *b)
{
    uint32_t t = *a;
    *a = *b;
    *b = t;
}

/* Sorts the stack indexes ORDER[0..n), whose stacks are equal in their D
 * outermost addresses, by compare_from.  A three-way radix quicksort
 * (Bentley and Sedgewick's): each partition looks at one address of each
 * stack, so the long outer parts stacks share are not compared again for
 * every pair (qsort's comparisons were a tenth of a compiler's store). */
static void sort_from(const struct shared_stack *stacks, uint32_t *order, size_t n, uint32_t d)
{
    while (n > 8) {
        int64_t pivot = address_at(&stacks[order[n / 2]], d);
        size_t below = 0, i = 0, above = n;
        while (i < above) {
            int64_t a = address_at(&stacks[order[i]], d);
            if (a < pivot)
                swap(&order[below++], &order[i++]);
            else if (a > pivot)
                swap(&order[i], &order[--above]);
            else
                i++;
        }
        sort_from(stacks, order, below, d);
        sort_from(stacks, order + above, n - above, d);
        order += below;
        n = above - below;
        if (pivot < 0) { /* stacks ending here are equal: only their indexes order them */
            qsort(order, n, sizeof *order, by_index);
            return;
        }
        d++;
    }
    for (size_t k = 1; k < n; k++)
        for (size_t j = k; j > 0 && compare_from(stacks, order[j - 1], order[j], d) > 0; j--)
            swap(&order[j - 1], &order[j]);
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
    sort_from(stacks, order, n, 0);
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
