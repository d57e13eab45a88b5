/*
 * stack_trie.c - which frames a new stack shares with the stacks stored
 * before it (stack_trie.h).  A node is one address at the end of one outer
 * part of a stack; it lives in the row of the first stack that had it.
 */
#include "trace/stack_trie.h"

/* 16 bytes, 24 with its key: a compiler's trace has a million or more. */
struct trie_node {
    uint32_t parent; /* the number of the node outside it (0: the root) */
    uint32_t number; /* names it as the parent of the nodes inside it */
    uint32_t index;  /* where its address's innermost frame is in the row's frames */
    uint32_t row;    /* the stacks row holding its address, counted from the trie's first_row */
};

/* The key of the root, which stands for no frames (never stored). */
#define ROOT_PATH UINT64_C(0x9e3779b97f4a7c15)

/* Starts an empty trie: just the root. */
void stack_trie_init(struct stack_trie *trie)
{
    *trie = (struct stack_trie){0};
    u64map_init(&trie->nodes, sizeof(struct trie_node));
}

/* Releases what the trie holds (the trie itself belongs to the caller). */
void stack_trie_free(struct stack_trie *trie)
{
    u64map_free(&trie->nodes);
}

/* The key of the node for SPAN just inside the node whose key is OUTER: a
 * hash of the path that spreads every bit of both (never 0, the map's empty
 * key).  For one OUTER it is a bijection of the ordinal (multiplying by an
 * odd number and xor-shifting are), so two nodes at one key with one parent
 * have one address: checking the parent is enough. */
static uint64_t path_step(uint64_t outer, const struct frame_span *span)
{
    uint64_t h = (outer ^ span->ordinal) * UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 32;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 29;
    return h ? h : 1;
}

/* Starts loading the map entries of the nodes for spans[0..n) inside the
 * node whose key is PATH, so that the lookups that follow overlap their
 * misses. */
static void prefetch_path(const struct stack_trie *trie, uint64_t path, const struct frame_span *spans, size_t n)
{
    for (size_t i = n; i-- > 0;)
        if (spans[i].count) {
            path = path_step(path, &spans[i]);
            u64map_prefetch(&trie->nodes, path);
        }
}

/* Walks in from the outermost address while the trie has the stack; an
 * address that yielded no frame is left out (the stack stays the same).  A
 * node whose key matches but whose parent does not is another path's, met
 * by a hash collision: the walk stops there. */
void stack_trie_match(const struct stack_trie *trie, const struct frame_span *spans, size_t depth,
                      struct stack_match *match)
{
    *match = (struct stack_match){.fresh = depth, .outer_path = ROOT_PATH};
    prefetch_path(trie, ROOT_PATH, spans, depth);
    for (; match->fresh > 0; match->fresh--) {
        const struct frame_span *span = &spans[match->fresh - 1];
        if (!span->count)
            continue;
        uint64_t path = path_step(match->outer_path, span);
        const struct trie_node *node = u64map_get(&trie->nodes, path);
        if (!node || node->parent != match->outer)
            break;
        match->outer = node->number;
        match->outer_path = path;
        match->outer_id = trie->first_row + node->row;
        match->outer_skip = node->index;
    }
}

/* The addresses further in than the match become nodes in row ROW, whose
 * frames they are, at their places in its frames.  A key taken by a
 * colliding path's node is given to the new node: lookups check the parent,
 * so the other path only shares less from then on.  Its keys are those
 * stack_trie_match started loading for the whole stack just before. */
int stack_trie_commit(struct stack_trie *trie, const struct frame_span *spans, const struct stack_match *match,
                      int64_t row)
{
    uint32_t outer = match->outer, index = 0;
    uint64_t path = match->outer_path;
    if (!trie->n_nodes)
        trie->first_row = row;
    for (size_t i = 0; i < match->fresh; i++)
        index += spans[i].count;
    for (size_t i = match->fresh; i-- > 0;) {
        if (!spans[i].count)
            continue;
        index -= spans[i].count;
        path = path_step(path, &spans[i]);
        struct trie_node *node = u64map_put(&trie->nodes, path, NULL);
        if (!node)
            return -1;
        *node = (struct trie_node){
            .parent = outer, .number = ++trie->n_nodes, .index = index, .row = (uint32_t)(row - trie->first_row)};
        outer = node->number;
    }
    return 0;
}
