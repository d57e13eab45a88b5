/* malloc(0) lost: memcheck and memtrack both report "0 bytes in 1 blocks"
 * definitely lost; a zero-size block counts 0 bytes, never 1. */
#include <stdlib.h>
#include "case.h"

/* Allocates a zero-size block and forgets it. */
static __attribute__((noinline)) void lose_empty_block(void)
{
    void *volatile p = malloc(0);
    if (!p)
        fail("malloc(0) returned NULL");
    p = NULL;
}

int main(void)
{
    lose_empty_block();
    clobber_stack();
    say("done");
    return 0;
}
