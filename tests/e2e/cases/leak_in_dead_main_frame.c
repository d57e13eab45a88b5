/* Two blocks whose only pointers are locals of main, which then returns: one
 * from malloc, one a joined thread's result.  Once main has returned its frame
 * is dead, and exit's own frames lie where it was, some of their slots never
 * written: scanned from the exit handler's frame, a stale copy there kept a
 * block "still reachable" in some runs.  Scanned from the stack pointer main's
 * caller had when it called exit (LeakSanitizer's rule), both are definitely
 * lost in every run, as memcheck says.  pthread_create's DTV is one block
 * more, as in leak_after_main_thread_exit:
 * memcheck-differs: allocated_bytes+32: the DTV is 2 * 16 bytes larger under memtrack */
#include <pthread.h>
#include <stdlib.h>
#include "case.h"

static void *worker(void *arg)
{
    (void)arg;
    return malloc(24);
}

int main(void)
{
    void *volatile local = malloc(40);
    void *result = NULL;
    pthread_t thread;
    if (pthread_create(&thread, NULL, worker, NULL) != 0 || pthread_join(thread, &result) != 0)
        fail("pthread_create or pthread_join failed");
    (void)local;
    say("done");
    return 0;
}
