/*
 * stack_trie.c - which frames a new stack shares with the stacks stored
 * before it (stack_trie.h).  A node is one address at the end of one outer
 * part of a stack; it lives in the row of the first stack that had it.
 */
#include "trace/stack_trie.h"

struct trie_node {
    uint32_t number; /* names the node as the outer part of the nodes inside it */
    uint32_t index;  /* where its address's innermost frame is in the row's frames */
    int64_t row;     /* the stacks row holding its address */
};

/* Starts an empty trie: just the root, which stands for no frames. */
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

/* The key of the node for SPAN just inside node OUTER. */
static uint64_t node_key(uint32_t outer, const struct frame_span *span)
{
    return (uint64_t)outer << 32 | span->ordinal;
}

/* Walks in from the outermost address while the trie has the stack; an
 * address that yielded no frame is left out (the stack stays the same). */
void stack_trie_match(const struct stack_trie *trie, const struct frame_span *spans, size_t depth,
                      struct stack_match *match)
{
    *match = (struct stack_match){.fresh = depth};
    for (; match->fresh > 0; match->fresh--) {
        const struct frame_span *span = &spans[match->fresh - 1];
        if (!span->count)
            continue;
        const struct trie_node *node = u64map_get(&trie->nodes, node_key(match->outer, span));
        if (!node)
            break;
        match->outer = node->number;
        match->outer_id = node->row;
        match->outer_skip = node->index;
    }
}

/* The addresses further in than the match become nodes in row ROW, whose
 * frames they are, at their places in its frames. */
int stack_trie_commit(struct stack_trie *trie, const struct frame_span *spans, const struct stack_match *match,
                      int64_t row)
{
    uint32_t outer = match->outer, index = 0;
    for (size_t i = 0; i < match->fresh; i++)
        index += spans[i].count;
    for (size_t i = match->fresh; i-- > 0;) {
        if (!spans[i].count)
            continue;
        index -= spans[i].count;
        struct trie_node *node = u64map_put(&trie->nodes, node_key(outer, &spans[i]), NULL);
        if (!node)
            return -1;
        *node = (struct trie_node){.number = ++trie->n_nodes, .index = index, .row = row};
        outer = node->number;
    }
    return 0;
}
