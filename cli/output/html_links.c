/*
 * html_links.c - the tree of a process's whole stacks built from the
 * trace's stacks rows, and the shown part of each found in the page's stack
 * tree (html_links.h).
 */
#include "output/html_links.h"

#include <stdlib.h>
#include <string.h>

#include "analyse/model.h"
#include "analyse/stacks.h"
#include "util/array.h"

/* A stacks row the tree holds. */
struct link_row {
    uint32_t node;  /* the node of the row's whole stack */
    uint32_t depth; /* the frames the row holds itself */
    uint32_t links; /* rows in its chain, itself included */
};

/* What reading the rows needs besides the tree. */
struct link_reader {
    struct link_tree *tree;
    struct trace *trace;
    struct frame_table *frames;
};

void link_tree_init(struct link_tree *tree)
{
    *tree = (struct link_tree){0};
    u64map_init(&tree->node_by_row, sizeof(struct link_row));
}

/* Makes room for ADDED more nodes; false when memory runs out. */
static bool room_for_nodes(struct link_tree *tree, size_t added)
{
    if (tree->count + added <= tree->room)
        return true;
    size_t wanted = tree->room > 0 ? tree->room : 1024;
    while (wanted < tree->count + added)
        wanted *= 2;
    if (wanted > UINT32_MAX)
        return false;
    uint32_t *parents = realloc(tree->parents, wanted * sizeof *parents);
    if (parents != NULL)
        tree->parents = parents;
    uint32_t *frames = parents != NULL ? realloc(tree->frames, wanted * sizeof *frames) : NULL;
    if (frames != NULL)
        tree->frames = frames;
    unsigned char *roles = frames != NULL ? realloc(tree->roles, wanted * sizeof *roles) : NULL;
    if (roles == NULL)
        return false;
    tree->roles = roles;
    tree->room = wanted;
    return true;
}

/* The frame table's index of the trace's frame NUMBER, found once; -1 when
 * memory runs out. */
static int64_t frame_index(struct link_reader *reader, uint32_t number)
{
    struct link_tree *tree = reader->tree;
    if (tree->frame_index[number] < 0) {
        const struct report_frame *frame = stacks_frame(reader->trace, number);
        tree->frame_index[number] = frame_table_index(reader->frames, frame);
        tree->frame_roles[number] = (unsigned char)report_frame_roles(frame, FRAME_EVERY_ROLE);
    }
    return tree->frame_index[number];
}

/* Sizes the per-frame arrays once the trace's frames are read (before the
 * first row).  False when memory runs out. */
static bool frames_known(struct link_reader *reader)
{
    struct link_tree *tree = reader->tree;
    if (tree->frame_index != NULL)
        return true;
    tree->trace_frames = stacks_frame_count(reader->trace);
    size_t count = tree->trace_frames > 0 ? tree->trace_frames : 1;
    tree->frame_index = malloc(count * sizeof *tree->frame_index);
    tree->frame_roles = malloc(count);
    if (tree->frame_index == NULL || tree->frame_roles == NULL)
        return false;
    memset(tree->frame_index, 0xff, count * sizeof *tree->frame_index); /* all -1 */
    if (!room_for_nodes(tree, 1))
        return false;
    tree->parents[0] = tree->frames[0] = tree->roles[0] = 0;
    tree->count = 1; /* the root */
    return true;
}

/* Adds LINK's frames below the node of the part of its outer row's stack
 * that is its own too.  A row whose outer row the tree does not hold (not
 * read whole, later in id order, another process's), or whose chain is
 * longer than load_stack follows, is left out: load_stack reads its stacks,
 * saying what is wrong, if anything. */
static int add_link(void *context, const struct stack_link *link)
{
    struct link_reader *reader = context;
    struct link_tree *tree = reader->tree;
    if (!frames_known(reader))
        return -1;
    uint32_t node = 0, links = 1;
    if (link->outer_id.present) {
        const struct link_row *outer =
            link->outer_id.value != 0 ? u64map_get(&tree->node_by_row, (uint64_t)link->outer_id.value) : NULL;
        if (outer == NULL || outer->links >= STACK_MAX_LINKS)
            return 0;
        node = outer->node;
        links = outer->links + 1;
        for (int64_t skip = link->outer_skip < outer->depth ? link->outer_skip : outer->depth; skip > 0; skip--)
            node = tree->parents[node];
    }
    if (link->depth > UINT32_MAX || !room_for_nodes(tree, link->depth))
        return -1;
    for (size_t i = link->depth; i-- > 0;) {
        int64_t index = frame_index(reader, link->frames[i]);
        if (index < 0 || index > UINT32_MAX)
            return -1;
        size_t added = tree->count++;
        tree->parents[added] = node;
        tree->frames[added] = (uint32_t)index;
        tree->roles[added] = tree->frame_roles[link->frames[i]];
        node = (uint32_t)added;
    }
    int created = 0;
    struct link_row *row = u64map_put(&tree->node_by_row, (uint64_t)link->id, &created);
    if (row == NULL)
        return -1;
    *row = (struct link_row){node, (uint32_t)link->depth, links};
    return 0;
}

int link_tree_read(struct link_tree *tree, struct trace *trace, int64_t process_id, struct frame_table *frames)
{
    struct link_reader reader = {tree, trace, frames};
    int result = stacks_each_link(trace, process_id, add_link, &reader);
    if (result > 0) /* add_link stopped: memory ran out */
        return trace_fail(trace, "out of memory");
    if (result == 0 && tree->count > 0) {
        tree->shown = calloc(tree->count, sizeof *tree->shown);
        tree->shown_top = calloc(tree->count, sizeof *tree->shown_top);
        if (tree->shown == NULL || tree->shown_top == NULL)
            return trace_fail(trace, "out of memory");
    }
    return result;
}

/* frame_roles_of for the path being looked at. */
static unsigned path_roles(const void *tree_pointer, size_t index, unsigned wanted)
{
    const struct link_tree *tree = tree_pointer;
    return tree->roles[tree->path[index]] & wanted;
}

/* Puts NODE's path, innermost first, in tree->path; its length, or -1 when
 * memory runs out. */
static int64_t walk_path(struct link_tree *tree, uint32_t node)
{
    size_t depth = 0;
    for (; node != 0; node = tree->parents[node]) {
        uint32_t *step = array_push((void **)&tree->path, &depth, &tree->path_room, sizeof *tree->path);
        if (step == NULL)
            return -1;
        *step = node;
    }
    return (int64_t)depth;
}

int64_t link_tree_shown(struct link_tree *tree, int64_t stack_id, struct stack_tree *shown, bool show_below_main)
{
    const struct link_row *row = stack_id != 0 ? u64map_get(&tree->node_by_row, (uint64_t)stack_id) : NULL;
    if (row == NULL)
        return LINK_TREE_UNKNOWN;
    int64_t depth = walk_path(tree, row->node);
    if (depth < 0)
        return -1;
    size_t first = report_roles_first_shown((size_t)depth, path_roles, tree);
    size_t end = report_roles_shown_depth((size_t)depth, path_roles, tree, show_below_main);
    if (end <= first)
        return 0;
    /* the shown part runs from path[end - 1], its outermost frame, to
     * path[first]; the nodes nearest it already found under that top need
     * no lookup */
    uint32_t top = tree->path[end - 1];
    size_t known = first;
    while (known < end && tree->shown_top[tree->path[known]] != top)
        known++;
    int64_t node = known < end ? tree->shown[tree->path[known]] : 0;
    while (known-- > first) {
        uint32_t at = tree->path[known];
        node = stack_tree_child(shown, (uint32_t)node, tree->frames[at]);
        if (node < 0)
            return -1;
        tree->shown[at] = (uint32_t)node;
        tree->shown_top[at] = top;
    }
    return node;
}

void link_tree_free(struct link_tree *tree)
{
    u64map_free(&tree->node_by_row);
    free(tree->parents);
    free(tree->frames);
    free(tree->roles);
    free(tree->shown);
    free(tree->shown_top);
    free(tree->frame_index);
    free(tree->frame_roles);
    free(tree->path);
    *tree = (struct link_tree){0};
}
