/* Fifteen threads free one block at the same moment: one release is the
 * block's, the fourteen others are double frees, each reported with the
 * block's size and allocation stack.  A release that came between another
 * thread's taking the block out of the live-block table and its remembering
 * the release had found the block in neither, and was reported as an invalid
 * free with nothing known of the block.  Not compared with memcheck, which
 * counts the fourteen identical errors as one and runs one thread at a time
 * (its thread stacks and DTVs differ too). */
#include <pthread.h>
#include <stdlib.h>
#include "case.h"

#define THREADS 15

static pthread_barrier_t start;
static void *shared;

static __attribute__((noinline)) void *allocate(void)
{
    return malloc(48);
}

static void *release(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    free(shared);
    return NULL;
}

int main(void)
{
    pthread_t threads[THREADS];
    shared = allocate();
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&threads[i], NULL, release, NULL) != 0)
            fail("pthread_create failed");
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    say("done");
    return 0;
}
