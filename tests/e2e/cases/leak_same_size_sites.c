/* Four sites each losing one 32-byte block: four definite leak records with
 * equal bytes and blocks, which the report orders by stack.  The order must
 * be the same in every run (the case is run 20 times); the expected file has
 * them in allocation order. */
#include <stdlib.h>
#include "case.h"

/* Each loses one 32-byte block from its own call site. */
static __attribute__((noinline)) void lose_first(void)
{
    void *volatile p = malloc(32);
    p = NULL;
}

static __attribute__((noinline)) void lose_second(void)
{
    void *volatile p = malloc(32);
    p = NULL;
}

static __attribute__((noinline)) void lose_third(void)
{
    void *volatile p = malloc(32);
    p = NULL;
}

static __attribute__((noinline)) void lose_fourth(void)
{
    void *volatile p = malloc(32);
    p = NULL;
}

int main(void)
{
    lose_first();
    lose_second();
    lose_third();
    lose_fourth();
    clobber_stack();
    say("done");
    return 0;
}
