/*
 * stack_trie.c - which addresses each stack of a process keeps in its own
 * row, and where it finds the rest (stack_trie.h): the stacks sorted
 * outermost address first, each sharing what it can with the nearest
 * earlier stack on either side.
 */
#include "trace/stack_trie.h"

#include <stdlib.h>

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

/* The stack before each, and how many outer addresses it shares with it. */
struct neighbour {
    uint32_t stack; /* SHARED_NONE: none */
    uint32_t shared;
};

/* For each position k of ORDER, the nearest position on one side (STEP -1:
 * before k, +1: after) whose stack came earlier, and the outer addresses
 * the two share (the least of the neighbours' shares between them: SHARED
 * [k] is what positions k-1 and k share).  A stack of positions nearer to
 * k came later, so it was the earlier stacks' rows that held what they
 * share.  Positions kept on a stack from the nearest: their stacks came in
 * ever later, each with the least share from it to k. */
static void nearest_earlier(const uint32_t *order, const uint32_t *shared, size_t n, int step,
                            struct neighbour *out, struct neighbour *pending)
{
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = step > 0 ? i : n - 1 - i;
        if (depth > 0) {
            uint32_t between = shared[step > 0 ? k : k + 1];
            if (between < pending[depth - 1].shared)
                pending[depth - 1].shared = between;
        }
        while (depth > 0 && pending[depth - 1].stack > order[k]) {
            depth--;
            if (depth > 0 && pending[depth].shared < pending[depth - 1].shared)
                pending[depth - 1].shared = pending[depth].shared;
        }
        out[order[k]] = depth > 0 ? pending[depth - 1] : (struct neighbour){SHARED_NONE, 0};
        pending[depth++] = (struct neighbour){order[k], UINT32_MAX};
    }
}

int stack_trie_share(struct shared_stack *stacks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        stacks[i] = (struct shared_stack){.addresses = stacks[i].addresses, .depth = stacks[i].depth,
                                          .fresh = stacks[i].depth, .outer = SHARED_NONE};
    uint32_t *order = malloc((n + 1) * sizeof *order), *shared = malloc((n + 1) * sizeof *shared);
    struct neighbour *before = malloc((n + 1) * sizeof *before), *after = malloc((n + 1) * sizeof *after);
    struct neighbour *pending = malloc((n + 1) * sizeof *pending);
    int ok = order && shared && before && after && pending && n < SHARED_NONE;
    if (ok) {
        for (size_t i = 0; i < n; i++)
            order[i] = (uint32_t)i;
        sort_from(stacks, order, n, 0);
        shared[0] = 0;
        for (size_t k = 1; k < n; k++)
            shared[k] = common_outer(&stacks[order[k - 1]], &stacks[order[k]]);
        nearest_earlier(order, shared, n, 1, before, pending);
        nearest_earlier(order, shared, n, -1, after, pending);
    }
    /* in order of arrival: each takes the rest of itself from the rows of
     * the earlier stack it shares most with, found through that one's chain */
    for (size_t i = 0; ok && i < n; i++) {
        struct neighbour best = before[i].shared >= after[i].shared ? before[i] : after[i];
        struct shared_stack *s = &stacks[i];
        if (best.stack == SHARED_NONE || best.shared == 0)
            continue;
        uint32_t at = best.shared - 1; /* the innermost shared address, counted from the outermost */
        uint32_t holder = best.stack;
        while (at < stacks[holder].depth - stacks[holder].fresh)
            holder = stacks[holder].outer;
        s->fresh = s->depth - best.shared;
        s->outer = holder;
        s->outer_skip = stacks[holder].depth - 1 - at;
    }
    free(order);
    free(shared);
    free(before);
    free(after);
    free(pending);
    return ok ? 0 : -1;
}
