/*
 * stack_trie.h - sharing the outer frames of one process's stacks between
 * its rows of the stacks table (trace/schema.sql).  The stacks, read
 * outermost address first, are the paths of a trie; each node of it (one
 * return address at the end of one outer part) is stored once, in the row
 * of the earliest stack that has it.  A row then holds only its stack's
 * innermost addresses that no earlier stack had, and names by outer_id and
 * outer_skip where the rest is, in an earlier row.  Most stacks start in
 * main, and many share much more: the frames stored shrink to a fraction.
 *
 * The trie is never built.  Sorted outermost address first, the stacks
 * that share an outer part lie side by side, and how much two of them
 * share is the least that the neighbours between them share.  So the
 * earlier stack a stack shares most with is the nearest earlier one on
 * either side of it in that order, which one pass each way finds.  A map of
 * the trie's nodes, looked up level by level, had been a third of the time
 * a compiler's trace took to store after the program ended, and its
 * doublings zeroed 72 MiB.
 */
#ifndef MEMTRACK_TRACE_STACK_TRIE_H
#define MEMTRACK_TRACE_STACK_TRIE_H

#include <stddef.h>
#include <stdint.h>

#define SHARED_NONE UINT32_MAX

/* One stack of a process, to be stored as one stacks row. */
struct shared_stack {
    const uint32_t *addresses; /* the numbers of its return addresses, innermost first */
    uint32_t depth;
    /* filled by stack_trie_share: */
    uint32_t fresh;      /* addresses[0..fresh) are this row's own */
    uint32_t outer;      /* the earlier stack (its index in the array) whose row holds addresses[fresh], or SHARED_NONE */
    uint32_t outer_skip; /* how many of that row's own addresses lie further in than addresses[fresh] */
};

/* Decides which addresses each of STACKS[0..n), in the order their rows
 * are stored, keeps in its own row and where each finds the rest.  Equal
 * addresses are one node only where all the addresses outside them are
 * equal too.  0, or -1 when out of memory (every stack then keeps all its
 * addresses). */
int stack_trie_share(struct shared_stack *stacks, size_t n);

#endif
