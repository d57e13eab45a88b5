/*
 * stack_trie.c - which frames a new stack shares with the stacks stored
 * before it (stack_trie.h).  A node is one address at the end of one outer
 * part of a stack; it lives in the row of the first stack that had it.
 */
#include "trace/stack_trie.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Appends TEXT to the growable string *BUF; 0, or -1 when out of memory. */
static int append(char **buf, size_t *len, size_t *cap, const char *text)
{
    size_t add = strlen(text);
    if (*len + add + 1 > *cap) {
        size_t grown = (*len + add + 1) * 2;
        char *b = realloc(*buf, grown);
        if (!b)
            return -1;
        *buf = b;
        *cap = grown;
    }
    memcpy(*buf + *len, text, add + 1);
    *len += add;
    return 0;
}

/* Follows the stack in from its outermost address as far as the trie has it,
 * which gives the outer row; then the addresses further in become nodes in
 * row ROW, whose frames they are. */
int stack_trie_add(struct stack_trie *trie, const struct frame_span *spans, size_t depth, int64_t row,
                   struct stack_row *new_row)
{
    *new_row = (struct stack_row){0};
    uint32_t outer = 0;
    size_t stored = depth; /* spans[stored..] are in the trie */
    for (; stored > 0; stored--) {
        const struct trie_node *node = spans[stored - 1].count ? u64map_get(&trie->nodes,
                                                                           node_key(outer, &spans[stored - 1]))
                                                               : NULL;
        if (spans[stored - 1].count && !node)
            break;
        if (node) { /* an address that yielded no frame is left out: the stack stays the same */
            outer = node->number;
            new_row->outer_id = node->row;
            new_row->outer_skip = node->index;
        }
    }
    uint32_t index = 0;
    for (size_t i = 0; i < stored; i++)
        index += spans[i].count;
    for (size_t i = stored; i-- > 0;) {
        if (!spans[i].count)
            continue;
        index -= spans[i].count;
        struct trie_node *node = u64map_put(&trie->nodes, node_key(outer, &spans[i]), NULL);
        if (!node)
            return -1;
        *node = (struct trie_node){.number = ++trie->n_nodes, .index = index, .row = row};
        outer = node->number;
    }
    size_t len = 0, cap = 0;
    char number[32];
    int failed = append(&new_row->frames, &len, &cap, "[");
    for (size_t i = 0; i < stored; i++)
        for (uint32_t k = 0; k < spans[i].count; k++) {
            snprintf(number, sizeof number, "%s%lld", len > 1 ? "," : "", (long long)(spans[i].first + k));
            failed |= append(&new_row->frames, &len, &cap, number);
        }
    failed |= append(&new_row->frames, &len, &cap, "]");
    if (failed) {
        free(new_row->frames);
        new_row->frames = NULL;
    }
    return failed ? -1 : 0;
}
