/*
 * test_rss.c - the collector's readings of the traced processes' resident
 * set size (cli/collect/rss.c): read from /proc for a live process, nothing
 * for a process that is gone, and the sample taken once when an exit is seen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <unistd.h>

#include "collect/process.h"
#include "collect/rss.h"

/* A process known to the collector as PID, speaking over one connection. */
static struct mt_process *process_of(uint32_t pid)
{
    struct mt_process *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->pid = pid;
    p->connections = 1;
    return p;
}

static void test_the_rss_of_a_live_process_is_read_and_of_a_gone_one_is_not(void **state)
{
    (void)state;
    uint64_t own = rss_read((uint32_t)getpid());
    assert_true(own > 0);
    assert_int_equal(own % (uint64_t)sysconf(_SC_PAGESIZE), 0);
    assert_int_equal(rss_read(UINT32_MAX), 0);
}

/* A live process gets a reading; one whose exit was seen
 * gets one sample of its final heap, and no reading (its pid may be another's). */
static void test_live_processes_are_read_and_ended_ones_dated_once(void **state)
{
    (void)state;
    struct mt_process *live = process_of((uint32_t)getpid()), *ended = process_of((uint32_t)getpid());
    ended->exited = 1;
    ended->current_bytes = 42;
    live->next = ended;
    rss_sample_processes(live);
    assert_int_equal(live->n_timeline, 1);
    assert_true(live->timeline[0].rss_bytes > 0);
    assert_int_equal(ended->n_timeline, 1);
    assert_int_equal(ended->timeline[0].heap_bytes, 42);
    assert_int_equal(ended->timeline[0].rss_bytes, 0);
    ended->n_timeline = 0;
    rss_sample_processes(live);
    assert_int_equal(ended->n_timeline, 0);
    free(live->timeline);
    free(ended->timeline);
    free(live);
    free(ended);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_rss_of_a_live_process_is_read_and_of_a_gone_one_is_not),
        cmocka_unit_test(test_live_processes_are_read_and_ended_ones_dated_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
