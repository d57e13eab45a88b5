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
#include "output/html_memory.h"
#include "util/array.h"

/* What reading the rows needs besides the tree. */
struct link_reader {
    struct link_tree *tree;
    struct trace *trace;
    struct frame_table *frames;
};

/* Ids further from the first row than this many per node held (and a few
 * more) are not indexed: an array by id would hold mostly nothing.  A
 * trace memtrack wrote never has them; load_stack reads their stacks. */
#define ROW_SPAN_PER_NODE 4
#define ROW_SPAN_SPARE 4096

void link_tree_init(struct link_tree *tree, bool show_below_main)
{
    *tree = (struct link_tree){.show_below_main = show_below_main};
}

/* The row of stacks.id ID, or NULL when the tree holds none. */
static const struct link_row *row_of(const struct link_tree *tree, int64_t id)
{
    uint64_t offset = (uint64_t)id - (uint64_t)tree->first_row; /* ids below the first wrap to beyond the span */
    if (id == 0 || offset >= tree->row_span || tree->rows[offset].links == 0)
        return NULL;
    return &tree->rows[offset];
}

bool link_tree_holds(const struct link_tree *tree, int64_t stack_id)
{
    return row_of(tree, stack_id) != NULL;
}

/* The slot for the row of stacks.id ID, which comes after every row held
 * so far (stacks_each_link hands them out in id order); NULL when the row
 * is not to be indexed (see ROW_SPAN_PER_NODE), or memory runs out (then
 * *FAILED). */
static struct link_row *new_row(struct link_tree *tree, int64_t id, bool *failed)
{
    if (tree->row_span == 0)
        tree->first_row = id;
    uint64_t offset = (uint64_t)id - (uint64_t)tree->first_row;
    if (offset >= (uint64_t)ROW_SPAN_PER_NODE * tree->count + ROW_SPAN_SPARE)
        return NULL;
    if (offset >= tree->row_room) {
        size_t wanted = tree->row_room > 0 ? tree->row_room : 1024;
        while (wanted <= offset)
            wanted *= 2;
        struct link_row *rows = page_array_realloc(tree->rows, wanted * sizeof *rows);
        if (rows == NULL)
            return *failed = true, NULL;
        tree->rows = rows;
        tree->row_room = wanted;
    }
    if (offset >= tree->row_span) {
        memset(tree->rows + tree->row_span, 0, (offset + 1 - tree->row_span) * sizeof *tree->rows);
        tree->row_span = offset + 1;
    }
    return &tree->rows[offset];
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
    uint32_t *parents = page_array_realloc(tree->parents, wanted * sizeof *parents);
    if (parents != NULL)
        tree->parents = parents;
    uint32_t *frames = parents != NULL ? page_array_realloc(tree->frames, wanted * sizeof *frames) : NULL;
    if (frames != NULL)
        tree->frames = frames;
    unsigned char *roles = frames != NULL ? page_array_realloc(tree->roles, wanted * sizeof *roles) : NULL;
    if (roles != NULL)
        tree->roles = roles;
    uint32_t *outer = roles != NULL ? page_array_realloc(tree->outer, wanted * sizeof *outer) : NULL;
    if (outer != NULL)
        tree->outer = outer;
    uint32_t *rust_top = outer != NULL ? page_array_realloc(tree->rust_top, wanted * sizeof *rust_top) : NULL;
    if (rust_top == NULL)
        return false;
    tree->rust_top = rust_top;
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
    tree->parents[0] = tree->frames[0] = tree->roles[0] = tree->outer[0] = tree->rust_top[0] = 0;
    tree->count = 1; /* the root */
    return true;
}

/* Adds node ADDED, frame INDEX with ROLES called from node PARENT, and
 * where the shown part of its path ends (struct link_tree's outer and
 * rust_top, the rules of report_roles_shown_depth, which scans whole
 * paths): a main found further out stays the outermost, and the node
 * inside a Rust start-up frame moves inward past call_once frames until
 * it reaches the node. */
static void add_node(struct link_tree *tree, uint32_t added, uint32_t parent, uint32_t index, unsigned char roles)
{
    tree->parents[added] = parent;
    tree->frames[added] = index;
    tree->roles[added] = roles;
    if (parent == 0) {
        tree->outer[added] = added;
        tree->rust_top[added] = 0;
        return;
    }
    uint32_t outer = tree->outer[parent];
    bool main_added = !tree->show_below_main && !(tree->roles[outer] & FRAME_MAIN) && (roles & FRAME_MAIN);
    tree->outer[added] = main_added ? added : outer;
    uint32_t rust_top = tree->rust_top[parent];
    if (tree->roles[parent] & FRAME_RUST_START)
        rust_top = added;
    else if (rust_top == parent && (tree->roles[parent] & FRAME_RUST_CALL_ONCE))
        rust_top = added;
    tree->rust_top[added] = rust_top;
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
        const struct link_row *outer = row_of(tree, link->outer_id.value);
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
        uint32_t added = (uint32_t)tree->count++;
        add_node(tree, added, node, (uint32_t)index, tree->frame_roles[link->frames[i]]);
        node = added;
    }
    bool failed = false;
    struct link_row *row = new_row(tree, link->id, &failed);
    if (row != NULL)
        *row = (struct link_row){node, (uint32_t)link->depth, links};
    return failed ? -1 : 0;
}

int link_tree_read(struct link_tree *tree, struct trace *trace, int64_t process_id, struct frame_table *frames)
{
    struct link_reader reader = {tree, trace, frames};
    int result = stacks_each_link(trace, process_id, add_link, &reader);
    if (result > 0) /* add_link stopped: memory ran out */
        return trace_fail(trace, "out of memory");
    if (result == 0 && tree->count > 0) {
        /* written here, not calloc'd: link_tree_shown reads a node's
         * shown_top before it writes it, and a first read of fresh memory
         * maps the zero page, which the write then replaces, a second
         * fault and a TLB flush on every CPU */
        tree->shown = page_array_realloc(NULL, tree->count * sizeof *tree->shown);
        tree->shown_top = page_array_realloc(NULL, tree->count * sizeof *tree->shown_top);
        if (tree->shown == NULL || tree->shown_top == NULL)
            return trace_fail(trace, "out of memory");
        memset(tree->shown_top, 0, tree->count * sizeof *tree->shown_top);
    }
    return result;
}

/* The outermost node of the part of NODE's path the page shows, by the
 * rules of report_roles_shown_depth: all of it below main, else inside the
 * Rust start-up, else out to the outermost main, else all of it.  A node
 * that is itself a Rust start-up frame counts none above it, as
 * report_roles_shown_depth does. */
static uint32_t shown_top(const struct link_tree *tree, uint32_t node)
{
    if (!tree->show_below_main && tree->rust_top[node] != 0 && !(tree->roles[node] & FRAME_RUST_START))
        return tree->rust_top[node];
    return tree->outer[node];
}

int64_t link_tree_shown(struct link_tree *tree, int64_t stack_id, struct stack_tree *shown)
{
    const struct link_row *row = row_of(tree, stack_id);
    if (row == NULL)
        return LINK_TREE_UNKNOWN;
    /* the shown part runs from FIRST, past the Rust allocator's frames
     * (report_roles_first_shown), out to TOP; none when TOP lies inside
     * FIRST */
    uint32_t first = row->node, top = shown_top(tree, first);
    while (tree->parents[first] != 0 && (tree->roles[first] & FRAME_RUST_ALLOCATOR)) {
        if (first == top)
            return 0;
        first = tree->parents[first];
    }
    /* the nodes from FIRST outward not found yet under that top */
    size_t depth = 0;
    int64_t node = 0;
    for (uint32_t at = first;; at = tree->parents[at]) {
        if (tree->shown_top[at] == top) {
            node = tree->shown[at];
            break;
        }
        uint32_t *step = array_push((void **)&tree->path, &depth, &tree->path_room, sizeof *tree->path);
        if (step == NULL)
            return -1;
        *step = at;
        if (at == top)
            break;
    }
    while (depth-- > 0) {
        uint32_t at = tree->path[depth];
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
    free(tree->rows);
    free(tree->parents);
    free(tree->frames);
    free(tree->roles);
    free(tree->outer);
    free(tree->rust_top);
    free(tree->shown);
    free(tree->shown_top);
    free(tree->frame_index);
    free(tree->frame_roles);
    free(tree->path);
    *tree = (struct link_tree){0};
}
