/* free() of addresses that are not blocks: a global, a stack variable, a
 * pointer 8 bytes into a live block (reported with that offset) and garbage.
 * None reaches libc, so the program survives them all. */
#include <stdint.h>
#include <stdlib.h>
#include "case.h"

static long a_global;

int main(void)
{
    long on_stack = 0;
    char *block = malloc(48);
    free(&a_global);
    free(&on_stack);
    free(block + 8);
    free((void *)(uintptr_t)0x1234560);
    free(block); /* the block itself is still live and freed correctly */
    say("done");
    return 0;
}
