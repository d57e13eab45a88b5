/* A tree built from the leaves up and then forgotten: each block is
 * allocated before the block that points at it, so the leak scan, which
 * meets blocks in address order, first takes each leaf, then each inner
 * node, for a definitely lost block of its own, until the root takes them
 * all.  As memcheck says, one record is definitely lost, "168 (24 direct,
 * 144 indirect) bytes", and the other six blocks are indirectly lost. */
#include <stdlib.h>
#include "case.h"

struct node {
    struct node *left, *right;
    long payload;
};

static struct node *make_node(struct node *left, struct node *right)
{
    struct node *n = malloc(sizeof *n);
    n->left = left;
    n->right = right;
    n->payload = 0;
    return n;
}

/* A tree of depth 3, leaves first; returns nothing, so nothing points at it. */
static __attribute__((noinline)) void lose_tree(void)
{
    struct node *a = make_node(NULL, NULL), *b = make_node(NULL, NULL);
    struct node *left = make_node(a, b);
    struct node *c = make_node(NULL, NULL), *d = make_node(NULL, NULL);
    struct node *right = make_node(c, d);
    struct node *volatile root = make_node(left, right);
    root = NULL;
}

int main(void)
{
    lose_tree();
    clobber_stack();
    say("done");
    return 0;
}
