/* 4 threads allocate and free in loops at the same time and each loses 3
 * blocks; afterwards main takes the heap to its peak with one big block, so
 * the peak does not depend on how the threads interleaved.  Every allocation
 * site has a different byte total, so the report's order is fixed.  The 4
 * DTV blocks of pthread_create have 16 bytes per module with thread-local
 * storage, and libmemtrack.so and libunwind.so.8 add two such modules:
 * memcheck-differs: allocated_bytes+128: each DTV is 2 * 16 bytes larger under memtrack */
#include <pthread.h>
#include <stdlib.h>
#include "case.h"

#define THREADS 4
#define ROUNDS 2000

/* Allocates and frees ROUNDS blocks, then loses 3 blocks of 100 bytes. */
static void *churn(void *arg)
{
    for (int i = 0; i < ROUNDS; i++) {
        char *volatile p = malloc(16 + i % 3);
        p[0] = 1;
        free(p);
    }
    for (int i = 0; i < 3; i++) {
        void *volatile lost = malloc(100);
        lost = NULL;
    }
    clobber_stack();
    return NULL;
}

/* Reaches the peak: a block bigger than everything else together. */
static __attribute__((noinline)) void peak(void)
{
    char *volatile big = malloc(1 << 20);
    big[0] = 1;
    free(big);
}

int main(void)
{
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&threads[i], NULL, churn, NULL))
            fail("pthread_create failed");
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    peak();
    clobber_stack();
    say("done");
    return 0;
}
