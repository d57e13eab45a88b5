/*
 * export_sites.c - three allocation sites with known figures, for the
 * exports of `memtrack report` (check_exports.py):
 *
 *   make_temporary  3 allocations of 100 bytes, each freed at once: 300 bytes, 3 temporary, none live at the
 *                   peak, none leaked
 *   make_kept       2 allocations of 200 bytes held in a global, one freed at the end: 400 bytes, 400 live at the
 *                   peak, 200 still reachable at exit
 *   make_lost       1 allocation of 300 bytes through an always-inlined helper (its own frame in every
 *                   stack), the pointer dropped: 300 bytes, 300 at the peak, 300 definitely lost
 *
 * The heap peaks at 700 bytes, after make_lost.  memcheck: 6 allocs, 4 frees, 2,100 bytes allocated; definitely
 * lost 300 in 1 block, still reachable 200 in 1 block.
 */
#include <stdlib.h>

#include "case.h"

static void *kept[2];

__attribute__((noinline)) static void make_temporary(void)
{
    free(malloc(100));
}

__attribute__((noinline)) static void make_kept(int i)
{
    kept[i] = malloc(200);
}

static inline __attribute__((always_inline)) void *inlined_allocation(size_t size)
{
    return malloc(size);
}

__attribute__((noinline)) static void make_lost(void)
{
    void *volatile lost = inlined_allocation(300);
    lost = NULL;
}

int main(void)
{
    for (int i = 0; i < 3; i++)
        make_temporary();
    make_kept(0);
    make_kept(1);
    make_lost();
    clobber_stack();
    free(kept[0]);
    kept[0] = NULL;
    say("done");
    return 0;
}
