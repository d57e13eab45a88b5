/*
 * html_links.h - the shown stack of a record found without expanding its
 * stack.  The trace keeps a process's stacks as a trie of rows (schema.sql:
 * each row holds only the frames no earlier stack had, and names the row
 * further out); read in id order, outer rows first, they become a tree of
 * whole stacks, outermost frame first, one node per frame a row holds, with
 * no lookup: a row's frames hang below the node of its outer row's path.
 * A record's stack id then names a node, and the part of its path the page
 * shows (page_shown_stack) is found in the page's stack tree once per node,
 * each node remembering its own.  A compiler's 146,000 stacks, expanded one
 * by one and looked up frame by frame, were most of `memtrack view`'s time.
 */
#ifndef MEMTRACK_OUTPUT_HTML_LINKS_H
#define MEMTRACK_OUTPUT_HTML_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/html_frames.h"
#include "output/html_stacks.h"
#include "trace/reader.h"

/* A stacks row the tree holds; links 0 for a row it does not. */
struct link_row {
    uint32_t node;  /* the node of the row's whole stack */
    uint32_t depth; /* the frames the row holds itself */
    uint32_t links; /* rows in its chain, itself included */
};

/* Node 0 is the root (the empty stack); node N > 0 is frame frames[N] called
 * from node parents[N] < N. */
struct link_tree {
    /* The rows, by stacks.id less first_row: a process's rows are stored
     * together, so their ids are dense, and an array indexed by id takes
     * no hashing (row_span ids from first_row, room for row_room). */
    struct link_row *rows;
    int64_t first_row;
    size_t row_span, row_room;
    size_t count, room;        /* nodes, the root included, and room for them */
    uint32_t *parents;
    uint32_t *frames;          /* indexes in the page's frame table */
    unsigned char *roles;      /* report_frame_roles of each node's frame */
    /* Where the part of each node's path that the page shows ends, outermost
     * (page_shown_stack), found as the node is added from its parent's:
     * the outermost main on its path, or else its outermost node; and the
     * node just inside the nearest Rust start-up frame above it, past that
     * frame's call_once closures (0: none).  link_tree_shown then walks
     * no path but the shown part's innermost nodes not found yet. */
    uint32_t *outer;
    uint32_t *rust_top;
    bool show_below_main;      /* the shown part goes on to the outermost frame */
    uint32_t *shown;           /* the page's stack tree node of the shown part of the node's path... */
    uint32_t *shown_top;       /* ...when that part starts at this node (0: not found yet) */
    int64_t *frame_index;      /* per frame of the trace (stacks_frame): its index in the frame table, or -1 */
    unsigned char *frame_roles;
    size_t trace_frames;
    uint32_t *path;            /* the nodes whose shown node link_tree_shown adds, innermost first */
    size_t path_room;
};

/* What link_tree_shown returns for a stack whose row the tree does not
 * hold: damaged, or of a trace older than the trie; load_stack reads it. */
#define LINK_TREE_UNKNOWN (-3)

/* Starts a tree whose stacks are shown below main when SHOW_BELOW_MAIN. */
void link_tree_init(struct link_tree *tree, bool show_below_main);
/* Reads the stacks rows of the process whose processes.id is PROCESS_ID,
 * adding their frames to FRAMES.  0, or -1 with the reason on the trace. */
int link_tree_read(struct link_tree *tree, struct trace *trace, int64_t process_id, struct frame_table *frames);
/* Whether the tree holds the stack STACK_ID. */
bool link_tree_holds(const struct link_tree *tree, int64_t stack_id);
/* The node of SHOWN (the page's stack tree) for the part of stack STACK_ID
 * the page shows (page_shown_stack), added as needed; LINK_TREE_UNKNOWN
 * when the tree does not hold that stack, -1 when memory runs out. */
int64_t link_tree_shown(struct link_tree *tree, int64_t stack_id, struct stack_tree *shown);
void link_tree_free(struct link_tree *tree);

#endif
