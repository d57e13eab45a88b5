/* A block freed twice: one double free, reported with the stacks of the
 * allocation, the first free and the second; the program goes on. */
#include <stdlib.h>
#include "case.h"

/* Frees p; a function of its own so that the two frees have distinct stacks. */
static __attribute__((noinline)) void release(void *p)
{
    free(p);
}

int main(void)
{
    char *p = malloc(32);
    release(p);
    free(p);
    say("done");
    return 0;
}
