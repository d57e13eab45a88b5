/* A block lost by a thread whose address is left only in freed memory of the
 * thread's malloc arena (a heap glibc maps on a 64 MiB boundary): definitely
 * lost, as memcheck says (it never reads freed memory).  An arena heap is not
 * a root: glibc's own header at its start tells it from the program's
 * mappings.  The freed block leaves the thread's hold (its last 64 releases)
 * before the thread ends, so its memory is glibc's again.  pthread_create's
 * own block (the thread's DTV) has 16 bytes per module with thread-local
 * storage, and libmemtrack.so and libunwind.so.8 add two such modules:
 * memcheck-differs: allocated_bytes+32: the DTV is 2 * 16 bytes larger under memtrack */
#include <pthread.h>
#include <stdlib.h>
#include "case.h"

#define RELEASES 100

/* Allocates the block to lose; its only pointer is returned. */
static __attribute__((noinline)) void *make_lost(void)
{
    return malloc(67);
}

/* Leaves the address of a new block in a freed one, then releases enough
 * other blocks that the freed one goes back to glibc. */
static void *lose_in_arena(void *arg)
{
    void **holder = malloc(216);
    holder[10] = make_lost(); /* past the words glibc writes into a freed chunk */
    free(holder);
    for (int i = 0; i < RELEASES; i++) {
        char *volatile p = malloc(40);
        p[0] = 1;
        free(p);
    }
    holder = NULL;
    clobber_stack();
    return arg;
}

int main(void)
{
    pthread_t thread;
    if (pthread_create(&thread, NULL, lose_in_arena, NULL) || pthread_join(thread, NULL))
        fail("the thread could not run");
    /* the heap's peak, reached after the thread: it does not depend on the
     * order in which the two threads' records reach the collector */
    char *volatile peak = malloc(2000);
    peak[0] = 1;
    free(peak);
    clobber_stack();
    say("done");
    return 0;
}
