/* A block pointed to only from an anonymous mapping that starts on a 64 MiB
 * boundary, as the heaps of glibc's thread arenas do, with the rest of its
 * reservation left PROT_NONE after it, as theirs is: still reachable, as
 * memcheck says.  Only glibc's own heaps are left out of the roots, not every
 * mapping on that boundary: with address randomization, a program's mapping
 * (an arena of Python's allocator) started on one in about a run in a hundred,
 * and the blocks it held came out definitely lost. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "case.h"

#define BOUNDARY ((uintptr_t)64 << 20)

void **region;

/* Stores a fresh block in the mapped region. */
static __attribute__((noinline)) void keep_in_mapping(void)
{
    region[5] = malloc(91);
}

int main(void)
{
    char *reserved = mmap(NULL, 2 * BOUNDARY, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reserved == MAP_FAILED)
        fail("mmap of the reservation failed");
    uintptr_t aligned = ((uintptr_t)reserved + BOUNDARY - 1) & ~(BOUNDARY - 1);
    region = mmap((void *)aligned, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (region == MAP_FAILED)
        fail("mmap on the boundary failed");
    keep_in_mapping();
    clobber_stack();
    say("done");
    return 0;
}
