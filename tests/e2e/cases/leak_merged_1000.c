/* 1000 blocks lost from one allocation site: one leak record of 1000 blocks. */
#include <stdlib.h>
#include "case.h"

/* Loses one 24-byte block. */
static __attribute__((noinline)) void lose_one(void)
{
    void *volatile p = malloc(24);
    p = NULL;
}

int main(void)
{
    for (int i = 0; i < 1000; i++)
        lose_one();
    clobber_stack();
    say("done");
    return 0;
}
