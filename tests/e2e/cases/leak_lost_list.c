/* A 5-node list whose head pointer is dropped: the head is definitely lost,
 * the 4 nodes after it indirectly (only lost memory points to them). */
#include <stdlib.h>
#include "case.h"

struct node {
    struct node *next;
    long payload[2];
};

/* Builds the list and forgets its head. */
static __attribute__((noinline)) void lose_list(void)
{
    struct node *volatile head = NULL;
    for (int i = 0; i < 5; i++) {
        struct node *n = calloc(1, sizeof *n);
        n->next = head;
        head = n;
    }
    head = NULL;
}

int main(void)
{
    lose_list();
    clobber_stack();
    say("done");
    return 0;
}
