/*
 * huge_pages.c - see huge_pages.h.  Compiled into both libmemtrack.so and the
 * memtrack binary, hence its place in common/.  Plain system calls only:
 * libtrack calls it from inside the traced program's malloc.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* MADV_HUGEPAGE; the collector's build defines it already */
#endif
#include <stdint.h>
#include <sys/mman.h>
#include "huge_pages.h"

#define SMALL_PAGE ((size_t)4096)

void *mt_map_table(size_t bytes, size_t *mapped)
{
    int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
    if (bytes < MT_HUGE_PAGE) {
        void *m = mmap(NULL, bytes, prot, flags, -1, 0);
        *mapped = bytes;
        return m == MAP_FAILED ? NULL : m;
    }
    /* map one huge page more than needed, then trim to a window that starts
     * on a huge page: every whole 2 MiB of it can be one, and a tail of less
     * is left on small pages rather than rounded up to a huge page unused */
    bytes = (bytes + SMALL_PAGE - 1) & ~(SMALL_PAGE - 1);
    char *m = mmap(NULL, bytes + MT_HUGE_PAGE, prot, flags | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    char *aligned = (char *)(((uintptr_t)m + MT_HUGE_PAGE - 1) & ~(uintptr_t)(MT_HUGE_PAGE - 1));
    if (aligned > m)
        munmap(m, (size_t)(aligned - m));
    munmap(aligned + bytes, (size_t)(m + MT_HUGE_PAGE - aligned));
    madvise(aligned, bytes, MADV_HUGEPAGE); /* advice: refused, it is still memory */
    *mapped = bytes;
    return aligned;
}

void mt_advise_huge_pages(void *start, size_t bytes)
{
    if (bytes < MT_HUGE_PAGE)
        return;
    uintptr_t lo = ((uintptr_t)start + SMALL_PAGE - 1) & ~(SMALL_PAGE - 1);
    uintptr_t hi = ((uintptr_t)start + bytes) & ~(SMALL_PAGE - 1);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}
