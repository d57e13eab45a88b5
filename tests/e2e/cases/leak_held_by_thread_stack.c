/* A block pointed to only from the stack of a thread that is still blocked in
 * pause() when main calls exit(): still reachable.  pthread_create's own block
 * (the thread's DTV, pointed to only past its start) is possibly lost, as
 * memcheck says.  That block has 16 bytes per module with thread-local
 * storage, and libmemtrack.so and libunwind.so.8 add two such modules:
 * memcheck-differs: allocated_bytes+32 possible_bytes+32: the DTV is 2 * 16 bytes larger under memtrack */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include "case.h"

static sem_t holding;

/* Holds a block on its own stack and waits forever. */
static void *hold_on_stack(void *arg)
{
    void *volatile held = malloc(77);
    sem_post(&holding);
    for (;;)
        pause();
    return held;
}

int main(void)
{
    pthread_t thread;
    sem_init(&holding, 0, 0);
    if (pthread_create(&thread, NULL, hold_on_stack, NULL))
        fail("pthread_create failed");
    while (sem_wait(&holding))
        ;
    clobber_stack();
    say("done");
    exit(0);
}
