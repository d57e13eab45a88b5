/* Uses the client API (memtrack.h).  Prints what it saw, one line:
 * "under=U first=N1 second=N2 allocations=A" - run directly, U is 0 and the
 * checks answer -1; under memtrack, the leak checks count new definite leaks. */
#include <stdio.h>
#include <stdlib.h>
#include <memtrack.h>

static __attribute__((noinline)) void lose(size_t size)
{
    void *volatile p = malloc(size);
    p = NULL;
}

int main(void)
{
    struct memtrack_counters c;
    int under = memtrack_counters(&c) == 0;
    lose(10);
    memtrack_mark("after the first leak");
    long first = memtrack_check_leaks();
    lose(20);
    lose(30);
    long second = memtrack_check_leaks();
    memtrack_counters(&c);
    printf("under=%d first=%ld second=%ld allocations=%llu\n", under, first, second, c.allocations);
    return 0;
}
