/* realloc: grow, shrink, realloc(NULL, n), realloc(p, 0); the shrunk block is
 * lost, so its leak shows realloc's stack and the size after shrinking. */
#include <stdlib.h>
#include <string.h>
#include "case.h"

/* Grows then shrinks a block, checking its contents survive; returns it. */
static __attribute__((noinline)) char *grow_and_shrink(void)
{
    char *p = malloc(16);
    memcpy(p, "0123456789abcde", 16);
    p = realloc(p, 4000);
    check(p && !memcmp(p, "0123456789abcde", 16), "realloc grow lost the contents");
    p = realloc(p, 8);
    check(p && !memcmp(p, "01234567", 8), "realloc shrink lost the contents");
    return p;
}

/* Loses the shrunk block. */
static __attribute__((noinline)) void lose_shrunk(void)
{
    char *volatile p = grow_and_shrink();
    p = NULL;
}

int main(void)
{
    lose_shrunk();
    char *fresh = realloc(NULL, 50); /* same as malloc(50) */
    check(fresh != NULL, "realloc(NULL, 50) failed");
    free(fresh);
    char *gone = malloc(20);
    check(realloc(gone, 0) == NULL, "realloc(p, 0) did not free and return NULL");
    clobber_stack();
    say("done");
    return 0;
}
