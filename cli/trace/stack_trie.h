/*
 * stack_trie.h - sharing the outer frames of one process's stacks between
 * its rows of the stacks table (trace/schema.sql).  Stacks are added as
 * paths of a trie, outermost address first; each trie node remembers the row
 * and the place in that row's frames where its address was stored.  A new
 * stack's row then holds only the frames no stack before it had, and names by
 * outer_id and outer_skip where the rest already is.  Most stacks start in
 * main, and many share much more: the frames stored shrink to a fraction.
 *
 * A node is found by a hash of its whole path rather than by its parent's
 * number and its address: every node of a stack then has a key known before
 * any lookup, so a stack's lookups go to memory together instead of one
 * after another.  A compiler's 168,000 stacks walked tens of levels of a map
 * of millions of nodes, each level waiting for the one before; that was a
 * third of the time its trace took to store, after the program had ended.
 * A node keeps its parent's number, and a lookup uses it only when that
 * matches: two paths whose hashes collide just share less.
 */
#ifndef MEMTRACK_TRACE_STACK_TRIE_H
#define MEMTRACK_TRACE_STACK_TRIE_H

#include <stddef.h>
#include <stdint.h>
#include "util/u64map.h"

/* The frames rows of one return address: consecutive ids, innermost first. */
struct frame_span {
    int64_t first;    /* frames.id of the innermost frame */
    uint32_t count;   /* 0 when the address could not be stored */
    uint32_t ordinal; /* 1, 2, ... per process: names the address in the trie */
};

struct stack_trie {
    struct u64map nodes; /* hash of a node's path (outermost address first) -> struct trie_node */
    uint32_t n_nodes;    /* node numbers given so far; the root is 0 */
    int64_t first_row;   /* the row of the first stack committed: a process's rows follow it, fewer than 2^32 */
};

/* Where a new stack's outer frames are stored already. */
struct stack_match {
    size_t fresh;        /* spans[0..fresh) (innermost first) are not: the new row holds them */
    uint32_t outer;      /* the trie node of the rest (0, the root, when none) */
    uint64_t outer_path; /* that node's key: the hash of its path */
    int64_t outer_id;    /* the row holding the outer frames; 0 when none */
    uint32_t outer_skip; /* how many of outer_id's frames are not this stack's */
};

void stack_trie_init(struct stack_trie *trie);
void stack_trie_free(struct stack_trie *trie);
/* Follows a stack, given as the spans of its return addresses innermost
 * first, in from its outermost address as far as the trie has it. */
void stack_trie_match(const struct stack_trie *trie, const struct frame_span *spans, size_t depth,
                      struct stack_match *match);
/* Records that row ROW, now stored, holds spans[0..match->fresh).  0, or -1
 * when out of memory: the nodes added by then are right, the stacks after
 * just share less. */
int stack_trie_commit(struct stack_trie *trie, const struct frame_span *spans, const struct stack_match *match,
                      int64_t row);

#endif
