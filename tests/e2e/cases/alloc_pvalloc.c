/* pvalloc: page-aligned, and counted with the size the program asked for
 * (100), as valloc is, not the page it rounds up to.  One block is freed, one
 * lost.  memcheck 3.19 aborts at pvalloc, so this case has no memcheck test:
 * its figures were worked out by hand. */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include "case.h"

/* Loses a pvalloc block. */
static __attribute__((noinline)) void lose_page(void)
{
    void *volatile p = pvalloc(200);
    check(p && (uintptr_t)p % 4096 == 0, "pvalloc(200) misaligned");
    p = NULL;
}

int main(void)
{
    void *p = pvalloc(100);
    check(p && (uintptr_t)p % 4096 == 0, "pvalloc(100) misaligned");
    free(p);
    lose_page();
    clobber_stack();
    say("done");
    return 0;
}
