/*
 * memtrack.h - the client API: a program may call these whether or not it runs
 * under `memtrack run`.  Under memtrack they reach libmemtrack.so; without it
 * each is a test of a null pointer and returns at once.
 *
 * The entry points are weak references resolved by the dynamic loader, so the
 * program needs no extra library at link time.  Build it as a position-
 * independent executable (the default on Debian); in a non-PIE executable the
 * static linker resolves an undefined weak reference to null and the calls are
 * always no-ops.
 *
 * Example:
 *     #include <memtrack.h>
 *     for (each test case) {
 *         run_case();
 *         memtrack_mark(case_name);
 *         if (memtrack_check_leaks() > 0)
 *             printf("%s leaks\n", case_name);
 *     }
 */
#ifndef MEMTRACK_H
#define MEMTRACK_H

#ifdef __cplusplus
extern "C" {
#endif

struct memtrack_counters {
    unsigned long long allocations; /* successful allocating calls so far */
    unsigned long long frees;
    unsigned long long current_bytes; /* live heap bytes */
    unsigned long long peak_bytes;
};

extern int __memtrack_counters(struct memtrack_counters *out) __attribute__((weak));
extern void __memtrack_mark(const char *label) __attribute__((weak));
extern long __memtrack_check_leaks(void) __attribute__((weak));

/* Fills *out with the process's counters; 0 under memtrack, -1 (and zeros) without. */
static inline int memtrack_counters(struct memtrack_counters *out)
{
    if (__memtrack_counters)
        return __memtrack_counters(out);
    out->allocations = out->frees = out->current_bytes = out->peak_bytes = 0;
    return -1;
}

/* Puts a named point on the trace's timeline (shown by memtrack view). */
static inline void memtrack_mark(const char *label)
{
    if (__memtrack_mark)
        __memtrack_mark(label);
}

/* Runs a leak scan now and records what it finds in the trace; returns the
 * number of definite leaks not reported by an earlier call, -1 without memtrack. */
static inline long memtrack_check_leaks(void)
{
    return __memtrack_check_leaks ? __memtrack_check_leaks() : -1;
}

#ifdef __cplusplus
}
#endif

#endif
