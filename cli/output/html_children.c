/*
 * html_children.c - finding a node's child by label: a short list per node,
 * a hash map for the few nodes with many children (html_children.h).
 */
#include "output/html_children.h"

#include <stdlib.h>

#include "output/html_memory.h"

/* Children a node lists before they go into the hash map: a list of this
 * many is walked faster than the map's probe misses the cache. */
#define CHILDREN_LISTED 8
/* In a node's `first`: its children are in the hash map. */
#define CHILDREN_HASHED 0x80000000u

void tree_children_init(struct tree_children *children)
{
    *children = (struct tree_children){0};
    u64map_init(&children->many, sizeof(uint32_t));
}

int tree_children_reserve(struct tree_children *children, size_t nodes)
{
    if (nodes <= children->room)
        return 0;
    if (nodes > CHILDREN_HASHED)
        return -1;
    struct child_links *grown = page_array_realloc(children->nodes, nodes * sizeof *grown);
    if (grown == NULL)
        return -1;
    if (children->room == 0)
        grown[0] = (struct child_links){0}; /* the root; every other node is set as it is added */
    children->nodes = grown;
    children->room = nodes;
    return 0;
}

/* The hash map's key for PARENT's child labelled LABEL. */
static uint64_t child_key(uint32_t parent, uint32_t label)
{
    return ((uint64_t)parent << 32 | label) + 1;
}

/* Moves PARENT's listed children into the hash map; 0, or -1 when memory runs out. */
static int hash_children(struct tree_children *children, uint32_t parent)
{
    struct child_links *nodes = children->nodes;
    for (uint32_t child = nodes[parent].first; child != 0; child = nodes[child].next) {
        uint32_t *kept = u64map_put(&children->many, child_key(parent, nodes[child].label), NULL);
        if (kept == NULL)
            return -1;
        *kept = child;
    }
    nodes[parent].first = CHILDREN_HASHED;
    return 0;
}

int64_t tree_children_child(struct tree_children *children, uint32_t parent, uint32_t label, uint32_t new_node,
                            bool *created)
{
    *created = false;
    size_t wanted = (size_t)(new_node > parent ? new_node : parent) + 1;
    if (wanted > children->room &&
        tree_children_reserve(children, children->room * 2 > wanted ? children->room * 2 : wanted) != 0)
        return -1;
    struct child_links *nodes = children->nodes;
    if (nodes[parent].first == CHILDREN_HASHED) {
        int made = 0;
        uint32_t *child = u64map_put(&children->many, child_key(parent, label), &made);
        if (child == NULL)
            return -1;
        if (made) {
            *child = new_node;
            nodes[new_node] = (struct child_links){.label = label};
            *created = true;
        }
        return *child;
    }
    size_t listed = 0;
    for (uint32_t child = nodes[parent].first; child != 0; child = nodes[child].next, listed++)
        if (nodes[child].label == label)
            return child;
    if (listed == CHILDREN_LISTED) {
        if (hash_children(children, parent) != 0)
            return -1;
        return tree_children_child(children, parent, label, new_node, created);
    }
    nodes[new_node] = (struct child_links){.label = label, .next = nodes[parent].first};
    nodes[parent].first = new_node;
    *created = true;
    return new_node;
}

void tree_children_free(struct tree_children *children)
{
    free(children->nodes);
    u64map_free(&children->many);
    tree_children_init(children);
}
