/* One function loses a block for each of two callers, each called through
 * the same function from two paths out of main: four stacks that share
 * their innermost call site, pairwise their next two, and differ in the
 * one after.  memcheck's --leak-resolution merges them into 1 record (low:
 * 2 entries, malloc's and lose's), 2 (med: 4 entries, up to via's) or 4
 * (high). */
#include <stdlib.h>
#include "case.h"

#define NO_TAIL_CALL() __asm__ volatile("" ::: "memory")

static __attribute__((noinline)) void lose(size_t size)
{
    void *volatile p = malloc(size);
    p = NULL;
}

static __attribute__((noinline)) void from_a(size_t size)
{
    lose(size);
    NO_TAIL_CALL();
}

static __attribute__((noinline)) void from_b(size_t size)
{
    lose(size);
    NO_TAIL_CALL();
}

static __attribute__((noinline)) void via(void (*from)(size_t), size_t size)
{
    from(size);
    NO_TAIL_CALL();
}

static __attribute__((noinline)) void path_one(void)
{
    via(from_a, 16);
    via(from_b, 32);
    NO_TAIL_CALL();
}

static __attribute__((noinline)) void path_two(void)
{
    via(from_a, 48);
    via(from_b, 64);
    NO_TAIL_CALL();
}

int main(void)
{
    path_one();
    path_two();
    clobber_stack();
    say("done");
    return 0;
}
