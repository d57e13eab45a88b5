/* main calls pthread_exit; the last thread then calls exit().  The leak scan
 * runs in that thread while the main thread is a zombie with no memory of its
 * own, so it must read memory and maps through its own thread.  A block held
 * on the thread's stack is still reachable, a block only ever pointed to by a
 * dead local is definitely lost, and pthread_create's DTV is possibly lost,
 * as memcheck says (the DTV has 16 bytes per module with thread-local storage,
 * and libmemtrack.so and libunwind.so.8 add two such modules):
 * memcheck-differs: allocated_bytes+32 possible_bytes+32: the DTV is 2 * 16 bytes larger under memtrack */
#include <pthread.h>
#include <stdlib.h>
#include "case.h"

/* Loses a block: its only pointer dies with this frame. */
static __attribute__((noinline)) void lose_one(void)
{
    void *volatile lost = malloc(24);
    (void)lost;
}

/* Waits until main has ended (the initial thread can be joined once it
 * called pthread_exit), then leaks and exits. */
static void *last_thread(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    if (pthread_join(main_thread, NULL))
        fail("pthread_join failed");
    void *volatile held = malloc(40);
    lose_one();
    clobber_stack();
    say("done");
    exit(held ? 0 : 1);
}

int main(void)
{
    static pthread_t self, thread;
    self = pthread_self();
    if (pthread_create(&thread, NULL, last_thread, &self))
        fail("pthread_create failed");
    pthread_exit(NULL);
}
