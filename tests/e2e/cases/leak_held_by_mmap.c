/* A block pointed to only from an anonymous mmap'd region: still reachable. */
#include <stdlib.h>
#include <sys/mman.h>
#include "case.h"

void **region;

/* Stores a fresh block in the mapped region. */
static __attribute__((noinline)) void keep_in_mapping(void)
{
    region[5] = malloc(88);
}

int main(void)
{
    region = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        fail("mmap failed");
    keep_in_mapping();
    clobber_stack();
    say("done");
    return 0;
}
