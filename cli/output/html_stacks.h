/*
 * html_stacks.h - the viewer's stack tree: every stack of a trace as a path
 * from the outermost frame (a prefix tree), so the page names a stack by one
 * node id, stacks sharing their outer frames share their nodes, and the flame
 * graph is the same tree with frames of equal name merged.  The massif
 * export keeps one too, of paths from the innermost frame.
 */
#ifndef MEMTRACK_OUTPUT_HTML_STACKS_H
#define MEMTRACK_OUTPUT_HTML_STACKS_H

#include <stddef.h>
#include <stdint.h>

#include "analyse/model.h"
#include "output/html_children.h"
#include "output/html_frames.h"

/* Node 0 is the root (the empty stack); node N > 0 is frame frames[N - 1]
 * called from node parents[N - 1], so a parent's id is below its children's. */
struct stack_tree {
    struct tree_children children; /* each node's children by frame */
    size_t count, room;         /* nodes besides the root, and room for them */
    uint32_t *parents;
    uint32_t *frames;           /* indexes in the frame table */
    /* The path of the last stack stack_tree_node was given, outermost frame
     * first: the frames of the next that are the same need no lookup (a
     * compiler's sites, in the order read, share 22 of their 48 outer
     * frames with the one before). */
    struct report_frame *last_frames;
    uint32_t *last_nodes;
    size_t last_depth, last_room;
};

void stack_tree_init(struct stack_tree *tree);
/* Makes room for NODES nodes in all at once (a tree whose size is known
 * beforehand): 0, or -1 when memory runs out. */
int stack_tree_reserve(struct stack_tree *tree, size_t nodes);
int64_t stack_tree_node(struct stack_tree *tree, struct frame_table *frames, const struct report_stack *stack);
/* The child of PARENT for FRAME (an index in the frame table), added when
 * new; -1 when memory runs out (or the tree outgrows 32-bit ids). */
int64_t stack_tree_child(struct stack_tree *tree, uint32_t parent, uint32_t frame);
/* The same for a frame not yet in FRAMES, adding it there as needed: one
 * step of a path (the massif export's paths start at the innermost frame). */
int64_t stack_tree_frame_child(struct stack_tree *tree, struct frame_table *frames, int64_t parent,
                               const struct report_frame *frame);
/* Frees what finding a node's children takes, once the tree is whole: its
 * nodes stay, for reading, and no node may be added. */
void stack_tree_done(struct stack_tree *tree);
void stack_tree_free(struct stack_tree *tree);

#endif
