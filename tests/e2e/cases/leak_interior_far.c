/* Blocks reachable only through pointers far into them, in the places the
 * leak scan's index of 4 KiB granules treats apart: a huge block (past the
 * 16 MiB the index covers granule by granule), a large block (its own
 * mapping) and a medium one pointed to where no other block starts, and a
 * small block pointed to past the granule boundary it straddles, in a
 * granule where a later block starts.  All four possibly lost, as memcheck
 * says; the block after the straddling one is still reachable. */
#include <stdint.h>
#include <stdlib.h>
#include "case.h"

char *into_huge, *into_large, *into_medium, *into_straddling;
void *after_straddling;

#define SMALL 40 /* a 48-byte chunk: 4096 is no multiple of it, so some straddle */
#define TRIES 300 /* as many under every allocator: the figures compare */

/* Keeps only interior pointers to the huge, the large and the medium block. */
static __attribute__((noinline)) void keep_far_interiors(void)
{
    char *volatile huge = calloc(1, 20 << 20); /* its pages are never touched */
    char *volatile large = calloc(1, 256 << 10); /* above the mmap threshold */
    char *volatile medium = calloc(1, 10000);
    into_huge = huge + (18 << 20);
    into_large = large + (200 << 10);
    into_medium = medium + 9000;
    huge = large = medium = NULL;
}

/* Allocates TRIES small blocks, keeps a pointer to the first byte past the
 * 4 KiB boundary that the first straddling one crosses, and the block after
 * it by its start, and frees the rest. */
static __attribute__((noinline)) void keep_straddling(void)
{
    char *tried[TRIES];
    int found = -1;
    for (int i = 0; i < TRIES; i++) {
        tried[i] = malloc(SMALL);
        uintptr_t boundary = ((uintptr_t)tried[i] | 4095) + 1;
        if (found < 0 && i + 1 < TRIES && boundary - (uintptr_t)tried[i] < SMALL - 8)
            found = i;
    }
    if (found < 0)
        fail("no block straddled a 4 KiB boundary");
    into_straddling = (char *)(((uintptr_t)tried[found] | 4095) + 1);
    after_straddling = tried[found + 1];
    for (int i = 0; i < TRIES; i++)
        if (i != found && i != found + 1)
            free(tried[i]);
}

int main(void)
{
    keep_far_interiors();
    keep_straddling();
    clobber_stack();
    say("done");
    return 0;
}
