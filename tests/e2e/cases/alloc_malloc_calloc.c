/* malloc and calloc, freed and leaked, free(NULL), and calloc's overflow
 * (NULL and ENOMEM, counted as nothing). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "case.h"

/* Loses one block of 33 bytes. */
static __attribute__((noinline)) void lose_block(void)
{
    void *volatile p = malloc(33);
    p = NULL;
}

int main(void)
{
    char *a = malloc(100);
    int *b = calloc(10, sizeof *b);
    check(a && b && b[0] == 0 && b[9] == 0, "malloc/calloc failed");
    volatile size_t huge = SIZE_MAX / 2;
    errno = 0;
    void *overflow = calloc(huge, 4);
    check(overflow == NULL && errno == ENOMEM, "calloc overflow did not give NULL/ENOMEM");
    free(a);
    free(b);
    free(NULL);
    lose_block();
    clobber_stack();
    say("done");
    return 0;
}
