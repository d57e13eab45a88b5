/* A ring of 3 nodes with no pointer from outside: one node is definitely
 * lost (the one the leak scan meets first), the other 2 indirectly. */
#include <stdlib.h>
#include "case.h"

struct node {
    struct node *next;
    long payload;
};

/* Builds the ring and forgets it. */
static __attribute__((noinline)) void lose_ring(void)
{
    struct node *volatile first = malloc(sizeof *first);
    struct node *n = first;
    for (int i = 1; i < 3; i++) {
        n->next = malloc(sizeof *n);
        n = n->next;
    }
    n->next = first;
    first = NULL;
    n = NULL;
}

int main(void)
{
    lose_ring();
    clobber_stack();
    say("done");
    return 0;
}
