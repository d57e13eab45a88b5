/* A block whose only pointer is dropped: 40 bytes definitely lost. */
#include <stdlib.h>
#include "case.h"

/* Allocates and forgets. */
static __attribute__((noinline)) void lose_block(void)
{
    void *volatile p = malloc(40);
    p = NULL;
}

int main(void)
{
    lose_block();
    clobber_stack();
    say("done");
    return 0;
}
