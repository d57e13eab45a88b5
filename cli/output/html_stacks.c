/*
 * html_stacks.c - interning stacks into the stack tree, outermost frame first.
 */
#include "output/html_stacks.h"

#include <stdbool.h>
#include <stdlib.h>

#include "output/html_memory.h"

/* Starts a tree holding only the root. */
void stack_tree_init(struct stack_tree *tree)
{
    *tree = (struct stack_tree){0};
    tree_children_init(&tree->children);
}

/* Makes room for NODES nodes besides the root in the node arrays; false
 * when memory runs out. */
static bool room_for_nodes(struct stack_tree *tree, size_t nodes)
{
    if (nodes <= tree->room)
        return true;
    if (nodes >= UINT32_MAX - 1)
        return false;
    uint32_t *parents = page_array_realloc(tree->parents, nodes * sizeof *parents);
    if (parents != NULL)
        tree->parents = parents;
    uint32_t *frames = parents != NULL ? page_array_realloc(tree->frames, nodes * sizeof *frames) : NULL;
    if (frames == NULL)
        return false;
    tree->frames = frames;
    tree->room = nodes;
    return true;
}

int stack_tree_reserve(struct stack_tree *tree, size_t nodes)
{
    return room_for_nodes(tree, nodes) && tree_children_reserve(&tree->children, nodes + 1) == 0 ? 0 : -1;
}

int64_t stack_tree_child(struct stack_tree *tree, uint32_t parent, uint32_t frame)
{
    /* room first, so that a node the children know is one the tree holds */
    if (tree->count == tree->room && !room_for_nodes(tree, tree->room > 0 ? tree->room * 2 : 8))
        return -1;
    bool created = false;
    int64_t node = tree_children_child(&tree->children, parent, frame, (uint32_t)tree->count + 1, &created);
    if (created) {
        tree->parents[tree->count] = parent;
        tree->frames[tree->count] = frame;
        tree->count++;
    }
    return node;
}

/* Whether two frames are the same frame of the trace: the same address,
 * line and strings (the report's strings are shared, one copy per text). */
static bool same_frame_exactly(const struct report_frame *left, const struct report_frame *right)
{
    return left->address == right->address && left->line.present == right->line.present &&
           left->line.value == right->line.value && left->function == right->function && left->file == right->file &&
           left->module == right->module;
}

/* Makes room for a last path of DEPTH frames; false when memory runs out. */
static bool room_for_path(struct stack_tree *tree, size_t depth)
{
    if (depth <= tree->last_room)
        return true;
    struct report_frame *frames = realloc(tree->last_frames, depth * sizeof *frames);
    if (frames != NULL)
        tree->last_frames = frames;
    uint32_t *nodes = frames != NULL ? realloc(tree->last_nodes, depth * sizeof *nodes) : NULL;
    if (nodes == NULL)
        return false;
    tree->last_nodes = nodes;
    tree->last_room = depth;
    return true;
}

int64_t stack_tree_frame_child(struct stack_tree *tree, struct frame_table *frames, int64_t parent,
                               const struct report_frame *frame)
{
    int64_t index = frame_table_index(frames, frame);
    return index < 0 || index > UINT32_MAX ? -1 : stack_tree_child(tree, (uint32_t)parent, (uint32_t)index);
}

/* Returns the node standing for STACK (0 for an empty one), adding its frames
 * to FRAMES and its path to TREE as needed; -1 when memory runs out.  The
 * outer frames it shares with the last stack given are not looked up again. */
int64_t stack_tree_node(struct stack_tree *tree, struct frame_table *frames, const struct report_stack *stack)
{
    size_t depth = stack->depth, shared = 0;
    if (!room_for_path(tree, depth)) {
        tree->last_depth = 0;
        return -1;
    }
    while (shared < depth && shared < tree->last_depth &&
           same_frame_exactly(&stack->frames[depth - 1 - shared], &tree->last_frames[shared]))
        shared++;
    int64_t node = shared > 0 ? tree->last_nodes[shared - 1] : 0;
    for (size_t i = shared; i < depth && node >= 0; i++) {
        const struct report_frame *frame = &stack->frames[depth - 1 - i];
        node = stack_tree_frame_child(tree, frames, node, frame);
        tree->last_frames[i] = *frame;
        tree->last_nodes[i] = (uint32_t)node;
    }
    tree->last_depth = node >= 0 ? depth : 0;
    return node;
}

void stack_tree_done(struct stack_tree *tree)
{
    tree_children_free(&tree->children);
}

/* Frees the tree. */
void stack_tree_free(struct stack_tree *tree)
{
    tree_children_free(&tree->children);
    free(tree->parents);
    free(tree->frames);
    free(tree->last_frames);
    free(tree->last_nodes);
    *tree = (struct stack_tree){0};
}
