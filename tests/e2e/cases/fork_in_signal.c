/* A timer's signal handler allocates and frees while fork() runs (libtrack's
 * fork handlers hold its locks then), 200 times.  Each fork arms one signal,
 * 1-197 us after it starts, so the signal lands at a different point of the
 * fork each time; one at a time, because a fork that a signal interrupts
 * starts over, and a periodic timer faster than a fork never lets one end.
 * Prints on stdout how many blocks main allocated and how many the handler
 * did. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t in_fork;
static volatile long by_handler;

static void on_alarm(int sig)
{
    (void)sig;
    if (!in_fork)
        return;
    void *volatile p = malloc(24);
    free(p);
    by_handler++;
}

int main(void)
{
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    long by_main = 0;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 100; i++, by_main++) {
            void *volatile p = malloc(40);
            free(p);
        }
        struct itimerval once = {{0, 0}, {0, 1 + (round % 50) * 4}};
        setitimer(ITIMER_REAL, &once, NULL);
        in_fork = 1;
        pid_t child = fork();
        in_fork = 0;
        if (child == 0)
            _exit(0);
        waitpid(child, NULL, 0);
    }
    printf("main=%ld handler=%ld\n", by_main, (long)by_handler);
    return 0;
}
