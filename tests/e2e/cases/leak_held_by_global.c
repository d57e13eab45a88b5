/* A block still pointed to by a global at exit: still reachable. */
#include <stdlib.h>
#include "case.h"

void *kept_by_global;

/* Stores the block in a global. */
static __attribute__((noinline)) void keep_in_global(void)
{
    kept_by_global = malloc(64);
}

int main(void)
{
    keep_in_global();
    clobber_stack();
    say("done");
    return 0;
}
