/*
 * test_clock.c - libtrack's timestamps (libtrack/clock.c): every timestamp
 * lies between two clock_gettime(CLOCK_MONOTONIC) reads taken around it,
 * within the error the slope may still carry, from the first calls (before
 * the slope is measured) through several re-measurements; and one thread's
 * timestamps never go back by more than that error.
 *
 * No timing is asserted: the test only compares clocks, and waits by reading
 * them.  The error allowed is 1 us plus 0.1% of the time since start: the
 * slope is measured over at least 1 ms, so a 100 ns jitter of clock_gettime
 * is 1e-4 of it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <time.h>
#include "internal.h"

#define RUN_NS 60000000ull /* long enough for the first slope and a few re-measurements */

static uint64_t monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_timestamps_follow_clock_monotonic(void **state)
{
    mt_clock_init();
    uint64_t start = monotonic(), previous = 0;
    unsigned long samples = 0;
    for (uint64_t before = start; before - start < RUN_NS; samples++) {
        before = monotonic();
        uint64_t stamp = mt_now_ns();
        uint64_t after = monotonic();
        uint64_t error = 1000 + (after - start) / 1000;
        if (stamp + error < before || stamp > after + error)
            fail_msg("timestamp %llu outside [%llu, %llu] +- %llu ns, %llu ns after the start",
                     (unsigned long long)stamp, (unsigned long long)before, (unsigned long long)after,
                     (unsigned long long)error, (unsigned long long)(after - start));
        if (stamp + error < previous)
            fail_msg("timestamp %llu went back from %llu", (unsigned long long)stamp, (unsigned long long)previous);
        previous = stamp > previous ? stamp : previous;
    }
    assert_true(samples > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timestamps_follow_clock_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
