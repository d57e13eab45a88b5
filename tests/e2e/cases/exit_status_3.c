/* A program that leaks and exits with status 3: memtrack exits 3 too, and the
 * leak scan still runs (exit() runs the exit handlers). */
#include <stdlib.h>
#include "case.h"

/* Allocates and forgets. */
static __attribute__((noinline)) void lose_block(void)
{
    void *volatile p = malloc(12);
    p = NULL;
}

int main(void)
{
    lose_block();
    clobber_stack();
    say("done");
    exit(3);
}
