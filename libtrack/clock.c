/*
 * clock.c - timestamps for every allocation and release, on the
 * CLOCK_MONOTONIC scale, read from the CPU's time-stamp counter.
 *
 * Why not clock_gettime for each: under a hypervisor's clock (kvm-clock) the
 * vDSO read costs tens of nanoseconds, as much as the rest of a hook's own
 * work; rdtsc costs a few.  The counter is turned into nanoseconds by a line
 * through the anchor (tsc0, ns0), read once at start, whose slope is measured
 * against clock_gettime: first after about a millisecond, then each time the
 * run has doubled in length, so the error shrinks as the run grows (measured
 * over T seconds, a 100 ns jitter of clock_gettime is 1e-7/T of the slope).
 * Until the first measurement, and wherever the counter is not invariant
 * (arch.h), every timestamp comes from clock_gettime.
 *
 * Invariant: mt_clock.slope (nanoseconds per tick, 32.32 fixed point) only
 * moves from 0 to its first measurement and then to better ones; tsc0 and ns0 are
 * written once, before the first slope, and never again.
 */
#define _GNU_SOURCE
#include <time.h>
#include "internal.h"

#define FIRST_MEASUREMENT_NS 1000000ull

struct mt_clock mt_clock; /* read inline by mt_now_ns (internal.h) */
static int tsc_usable;
static _Atomic uint64_t first_measure_ns; /* clock time of the first measurement */

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads the counter and the clock at one moment: the clock on both sides of
 * the counter, again while a preemption or an interrupt fell between them
 * (the two reads more than 2 us apart), and the middle of the two. */
static void read_pair(uint64_t *tsc, uint64_t *ns)
{
    uint64_t before = 0, after = 0;
    for (int attempt = 0; attempt < 8; attempt++) {
        before = monotonic_ns();
        *tsc = mt_arch_counter();
        after = monotonic_ns();
        if (after - before < 2000)
            break;
    }
    *ns = before + (after - before) / 2;
}

/* Anchors the counter to the clock, when the CPU says its counter is invariant. */
void mt_clock_init(void)
{
    if (!mt_arch_counter_is_invariant())
        return;
    read_pair(&mt_clock.tsc0, &mt_clock.ns0);
    atomic_store(&first_measure_ns, mt_clock.ns0 + FIRST_MEASUREMENT_NS);
    tsc_usable = 1;
}

/* Measures the slope over [tsc0, now] and schedules the next measurement at
 * twice the distance; one thread wins each measurement.  Returns the time now. */
static uint64_t measure(uint64_t expected_next)
{
    uint64_t tsc, ns;
    read_pair(&tsc, &ns);
    uint64_t ticks = tsc - mt_clock.tsc0;
    if (ticks == 0 || ns <= mt_clock.ns0)
        return ns;
    if (atomic_compare_exchange_strong(&mt_clock.next_measure_tsc, &expected_next, mt_clock.tsc0 + 2 * ticks))
        atomic_store_explicit(&mt_clock.slope, (uint64_t)(((unsigned __int128)(ns - mt_clock.ns0) << 32) / ticks),
                              memory_order_relaxed);
    return ns;
}

/* mt_now_ns when the counter alone does not tell the time: it is not
 * usable, the slope is not measured yet, or a measurement is due (the counter
 * reached `next_measure`). */
uint64_t mt_now_ns_measuring(uint64_t slope, uint64_t next_measure)
{
    if (!tsc_usable)
        return monotonic_ns();
    if (slope == 0) {
        uint64_t ns = monotonic_ns();
        if (ns >= atomic_load_explicit(&first_measure_ns, memory_order_relaxed))
            measure(next_measure);
        return ns;
    }
    return measure(next_measure);
}
