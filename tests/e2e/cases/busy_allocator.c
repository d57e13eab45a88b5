/*
 * busy_allocator.c - allocates and frees for 1.5 seconds, long enough for
 * memtrack's status line to be drawn several times (check_status_line.py),
 * and prints known lines on stdout and stderr around it, which must reach
 * their descriptors unchanged.
 */
#include <stdlib.h>
#include <time.h>

#include "case.h"

#define BUSY_MS 1500

/* Milliseconds since START. */
static long since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int main(void)
{
    static void *held[64];
    ssize_t ignored = write(2, "busy: started\n", 14);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (unsigned long i = 0; since(&start) < BUSY_MS; i++) {
        free(held[i % 64]);
        held[i % 64] = malloc(16 + i % 64);
    }
    for (int i = 0; i < 64; i++)
        free(held[i]);
    ignored = write(2, "busy: finished\n", 15);
    (void)ignored;
    say("done");
    return 0;
}
