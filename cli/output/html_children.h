/*
 * html_children.h - the children of each node of a big tree, found by label
 * (a frame, a name): the page's stack tree and its flame graph, a million
 * nodes each for a compiler's trace.  Most nodes have a child or two, and
 * a new node's parent is most often the node made just before it, so each
 * node lists its children, the newest first, and only a node with more
 * than a few keeps them in a hash map.  One hash map of every node was a
 * random access into 32 MiB per node made, and a fifth of `memtrack
 * view`'s time with the memory it faulted in.
 */
#ifndef MEMTRACK_OUTPUT_HTML_CHILDREN_H
#define MEMTRACK_OUTPUT_HTML_CHILDREN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/u64map.h"

/* One node's part: its label, its next older sibling and its newest child
 * (0: none; node 0, the root, is nobody's child). */
struct child_links {
    uint32_t label, next, first;
};

struct tree_children {
    struct child_links *nodes;
    size_t room;          /* nodes there is room for */
    struct u64map many;   /* (parent, label) + 1 -> child, of parents with more than CHILDREN_LISTED children */
};

void tree_children_init(struct tree_children *children);
/* Makes room for NODES nodes, the root included: 0, or -1 when memory runs out. */
int tree_children_reserve(struct tree_children *children, size_t nodes);
/* The child of PARENT labelled LABEL.  When it has none, NEW_NODE (a node
 * not yet in the tree) becomes that child, with *CREATED set.  -1 when
 * memory runs out. */
int64_t tree_children_child(struct tree_children *children, uint32_t parent, uint32_t label, uint32_t new_node,
                            bool *created);
void tree_children_free(struct tree_children *children);

#endif
