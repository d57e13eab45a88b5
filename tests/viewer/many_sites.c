/*
 * many_sites.c - a program with 100,000 distinct allocation stacks, for the
 * viewer's performance check: left() and right() call each other along the
 * bits of a path (17 levels deep), and each path ends in one allocation,
 * half of them leaked.
 */
#include <stdlib.h>

#define DEPTH 17
#define SITES 100000

static void *kept[SITES];

__attribute__((noinline)) void left(unsigned path, int depth);
__attribute__((noinline)) void right(unsigned path, int depth);

/* Allocates at the end of the path; keeps (leaks) odd paths. */
__attribute__((noinline)) void allocate_at_leaf(unsigned path)
{
    void *block = malloc(16 + path % 64);
    if (path & 1)
        kept[path] = block;
    else
        free(block);
}

/* Goes one level deeper through left() or right(), by the next bit of PATH. */
__attribute__((noinline)) void step(unsigned path, int depth)
{
    if (depth == DEPTH)
        allocate_at_leaf(path);
    else if (path >> depth & 1)
        right(path, depth + 1);
    else
        left(path, depth + 1);
}

__attribute__((noinline)) void left(unsigned path, int depth)
{
    step(path, depth);
    __asm__ volatile("" ::: "memory"); /* not a tail call: keeps this frame on the stack */
}

__attribute__((noinline)) void right(unsigned path, int depth)
{
    step(path, depth);
    __asm__ volatile("" ::: "memory");
}

int main(void)
{
    for (unsigned path = 0; path < SITES; path++)
        step(path, 0);
    for (unsigned path = 0; path < SITES; path++)
        kept[path] = NULL; /* leaked: no pointer left */
    return 0;
}
