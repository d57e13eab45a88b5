/*
 * html_stacks.c - interning stacks into the stack tree, outermost frame first.
 */
#include "output/html_stacks.h"

#include <stdlib.h>

/* Starts a tree holding only the root. */
void stack_tree_init(struct stack_tree *tree)
{
    *tree = (struct stack_tree){0};
    u64map_init(&tree->node_by_edge, sizeof(uint32_t));
}

int64_t stack_tree_child(struct stack_tree *tree, uint32_t parent, uint32_t frame)
{
    int created = 0;
    uint32_t *node = u64map_put(&tree->node_by_edge, ((uint64_t)parent << 32 | frame) + 1, &created);
    if (node == NULL)
        return -1;
    if (!created)
        return *node;
    uint32_t *parents = make_room(tree->parents, tree->count, sizeof *parents);
    if (parents != NULL)
        tree->parents = parents;
    uint32_t *frames = parents != NULL ? make_room(tree->frames, tree->count, sizeof *frames) : NULL;
    if (frames == NULL || tree->count >= UINT32_MAX - 1) {
        u64map_remove(&tree->node_by_edge, ((uint64_t)parent << 32 | frame) + 1);
        return -1;
    }
    tree->frames = frames;
    tree->parents[tree->count] = parent;
    tree->frames[tree->count] = frame;
    *node = (uint32_t)++tree->count;
    return *node;
}

int64_t stack_tree_frame_child(struct stack_tree *tree, struct frame_table *frames, int64_t parent,
                               const struct report_frame *frame)
{
    int64_t index = frame_table_index(frames, frame);
    return index < 0 || index > UINT32_MAX ? -1 : stack_tree_child(tree, (uint32_t)parent, (uint32_t)index);
}

/* Returns the node standing for STACK (0 for an empty one), adding its frames
 * to FRAMES and its path to TREE as needed; -1 when memory runs out. */
int64_t stack_tree_node(struct stack_tree *tree, struct frame_table *frames, const struct report_stack *stack)
{
    int64_t node = 0;
    for (size_t i = stack->depth; i-- > 0 && node >= 0;)
        node = stack_tree_frame_child(tree, frames, node, &stack->frames[i]);
    return node;
}

/* Frees the tree. */
void stack_tree_free(struct stack_tree *tree)
{
    u64map_free(&tree->node_by_edge);
    free(tree->parents);
    free(tree->frames);
    *tree = (struct stack_tree){0};
}
