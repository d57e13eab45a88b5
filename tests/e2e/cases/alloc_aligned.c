/* posix_memalign (and its EINVAL for a bad alignment, which must reach the
 * program), aligned_alloc, memalign and valloc: all freed but the memalign
 * block, which is lost.  (pvalloc has a case of its own: memcheck cannot run
 * it.)  Sizes differ so that the sites' order does not depend on stack ids. */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include "case.h"

/* Reports unless p is non-NULL and aligned to align. */
static void check_aligned(void *p, size_t align, const char *what)
{
    check(p && (uintptr_t)p % align == 0, what);
}

/* Loses a memalign block. */
static __attribute__((noinline)) void lose_aligned(void)
{
    void *volatile m = memalign(32, 50);
    check_aligned(m, 32, "memalign misaligned");
    m = NULL;
}

int main(void)
{
    void *p = NULL;
    check(posix_memalign(&p, 64, 96) == 0, "posix_memalign(64, 96) failed");
    check_aligned(p, 64, "posix_memalign misaligned");
    free(p);
    void *untouched = &p;
    p = untouched;
    check(posix_memalign(&p, 24, 100) == EINVAL, "posix_memalign(24) did not return EINVAL");
    check(posix_memalign(&p, 2, 100) == EINVAL, "posix_memalign(2) did not return EINVAL");
    check(p == untouched, "posix_memalign changed *memptr on EINVAL");
    void *a = aligned_alloc(256, 512);
    check_aligned(a, 256, "aligned_alloc misaligned");
    void *v = valloc(104);
    check_aligned(v, 4096, "valloc misaligned");
    free(a);
    free(v);
    lose_aligned();
    clobber_stack();
    say("done");
    return 0;
}
