/* main leaves the only pointer to a block in a dead frame deep in its stack,
 * then calls pthread_exit; the last thread ends the process.  The main thread
 * is gone, so no part of its stack is a root: the block is definitely lost,
 * as memcheck says (a scan that read the whole main stack found the stale
 * pointer and called the block reachable).  pthread_create's DTV is possibly
 * lost, as in leak_after_main_thread_exit:
 * memcheck-differs: allocated_bytes+32 possible_bytes+32: the DTV is 2 * 16 bytes larger under memtrack */
#include <pthread.h>
#include <stdlib.h>
#include "case.h"

/* Allocates a block whose only pointer stays in this frame, DEPTH frames of
 * 4 KiB below the caller, where main's later calls do not reach. */
static __attribute__((noinline)) void leave_pointer_deep(int depth)
{
    volatile char frame[4096];
    frame[0] = (char)depth;
    if (depth > 0) {
        leave_pointer_deep(depth - 1);
        return;
    }
    void *volatile stale = malloc(56);
    (void)stale;
}

/* Waits until main has ended, then ends the process. */
static void *last_thread(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    if (pthread_join(main_thread, NULL))
        fail("pthread_join failed");
    say("done");
    exit(0);
}

int main(void)
{
    static pthread_t self, thread;
    self = pthread_self();
    leave_pointer_deep(8);
    if (pthread_create(&thread, NULL, last_thread, &self))
        fail("pthread_create failed");
    pthread_exit(NULL);
}
