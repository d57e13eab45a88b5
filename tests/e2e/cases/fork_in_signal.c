/* A timer's signal handler allocates and frees while fork() runs (libtrack's
 * fork handlers hold its locks then), 300 times.  Prints on stdout how many
 * blocks main allocated and how many the handler did. */
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
    struct itimerval every_20us = {{0, 20}, {0, 20}};
    setitimer(ITIMER_REAL, &every_20us, NULL);
    long by_main = 0;
    for (int round = 0; round < 150; round++) {
        for (int i = 0; i < 100; i++, by_main++) {
            void *volatile p = malloc(40);
            free(p);
        }
        in_fork = 1;
        pid_t child = fork();
        in_fork = 0;
        if (child == 0)
            _exit(0);
        waitpid(child, NULL, 0);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("main=%ld handler=%ld\n", by_main, (long)by_handler);
    return 0;
}
