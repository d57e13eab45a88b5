/*
 * case.h - helpers shared by the end-to-end case programs.
 *
 * Cases print with write(2), never stdio: a stdio buffer is a heap block of a
 * size that depends on where stdout goes, and it would blur exact figures.
 */
#ifndef E2E_CASE_H
#define E2E_CASE_H
#include <string.h>
#include <unistd.h>

/* Prints one line on stdout without allocating. */
static inline void say(const char *line)
{
    ssize_t ignored = write(1, line, strlen(line));
    ignored = write(1, "\n", 1);
    (void)ignored;
}

/* Prints "FAIL: what" on stdout unless ok, and goes on, so that the heap
 * figures stay comparable; the runner rejects any output but "done". */
static inline void check(int ok, const char *what)
{
    if (!ok) {
        ssize_t ignored = write(1, "FAIL: ", 6);
        (void)ignored;
        say(what);
    }
}

/* Prints why a case cannot go on and ends it with status 1. */
static inline void fail(const char *why)
{
    check(0, why);
    _exit(1);
}

/* Overwrites the dead part of the stack, so that stale copies of pointers
 * left there by -O0 code do not keep "lost" blocks reachable. */
static __attribute__((noinline, unused)) void clobber_stack(void)
{
    volatile char area[16384];
    for (size_t i = 0; i < sizeof area; i++)
        area[i] = 0;
}

#endif
