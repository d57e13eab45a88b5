/* A block reachable only through a pointer 10 bytes into it: possibly lost. */
#include <stdlib.h>
#include "case.h"

char *into_the_middle;

/* Keeps only a pointer into the block's middle. */
static __attribute__((noinline)) void keep_interior(void)
{
    char *volatile p = calloc(1, 100);
    into_the_middle = p + 10;
    p = NULL;
}

int main(void)
{
    keep_interior();
    clobber_stack();
    say("done");
    return 0;
}
