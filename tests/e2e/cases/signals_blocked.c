/* A thread that blocks every signal while the program asks for a leak check
 * (memtrack.h), then unblocks them.  libtrack stops the other threads for a
 * scan with a signal: one sent to this thread would stay pending and, once the
 * scan had put the program's own action (the default: terminate) back, kill
 * the program when the thread unblocks it.  Then main itself blocks every
 * signal, keeping a block in a local, while another thread asks for a check:
 * main's stack is still a root (scanned whole), so the block is not lost.
 * Prints "first=N second=M" (1 and 0) and exits 0. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <memtrack.h>

static int to_thread[2];

static __attribute__((noinline)) void lose(size_t size)
{
    void *volatile p = malloc(size);
    p = NULL;
}

static void *blocker(void *arg)
{
    sigset_t all, none;
    char go;
    sigfillset(&all);
    sigemptyset(&none);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    write(*(int *)arg, "r", 1);
    if (read(to_thread[0], &go, 1) != 1)
        return NULL;
    pthread_sigmask(SIG_SETMASK, &none, NULL); /* a pending signal is delivered here */
    nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    return NULL;
}

static void *check_from_a_thread(void *arg)
{
    *(long *)arg = memtrack_check_leaks();
    return NULL;
}

int main(void)
{
    int ready[2];
    char r;
    pthread_t t;
    if (pipe(ready) != 0 || pipe(to_thread) != 0 || pthread_create(&t, NULL, blocker, &ready[1]) != 0)
        return 1;
    if (read(ready[0], &r, 1) != 1)
        return 1;
    lose(10);
    long first = memtrack_check_leaks();
    write(to_thread[1], "g", 1);
    pthread_join(t, NULL);

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    void *volatile kept = malloc(30);
    long second = -1;
    if (pthread_create(&t, NULL, check_from_a_thread, &second) != 0)
        return 1;
    pthread_join(t, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(kept);
    printf("first=%ld second=%ld\n", first, second);
    return 0;
}
