/*
 * test_pacing.c - the collector's nap between drains (cli/collect/pacing.c):
 * it grows while drains find one batch each, stops growing at its cap, shrinks
 * to none under a producer that fills several batches per turn, and is left alone
 * by drains that found nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "collect/pacing.h"

static void test_starts_without_nap(void **state)
{
    (void)state;
    struct pacing p = {0};
    assert_int_equal(pacing_after_drain(&p, 0), 0);
    assert_int_equal(pacing_after_drain(&p, 2), 0);
}

static void test_one_batch_per_wake_doubles_the_nap_up_to_its_cap(void **state)
{
    (void)state;
    struct pacing p = {0};
    unsigned naps[8];
    for (int i = 0; i < 8; i++)
        naps[i] = pacing_after_drain(&p, 1);
    assert_int_equal(naps[0], 100);
    assert_int_equal(naps[1], 200);
    assert_int_equal(naps[2], 400);
    assert_int_equal(naps[4], 1600);
    assert_int_equal(naps[5], 2000);
    assert_int_equal(naps[7], 2000);
}

static void test_busy_turns_halve_the_nap_down_to_none(void **state)
{
    (void)state;
    struct pacing p = {2000};
    assert_int_equal(pacing_after_drain(&p, PACING_BUSY_TURN), 1000);
    assert_int_equal(pacing_after_drain(&p, 2 * PACING_BUSY_TURN), 500);
    assert_int_equal(pacing_after_drain(&p, 2 * PACING_BUSY_TURN), 250);
    assert_int_equal(pacing_after_drain(&p, 2 * PACING_BUSY_TURN), 125);
    assert_int_equal(pacing_after_drain(&p, 2 * PACING_BUSY_TURN), 0);
    assert_int_equal(pacing_after_drain(&p, 2 * PACING_BUSY_TURN), 0);
}

static void test_drains_between_the_marks_keep_the_nap(void **state)
{
    (void)state;
    struct pacing p = {800};
    assert_int_equal(pacing_after_drain(&p, 0), 800);
    assert_int_equal(pacing_after_drain(&p, 2), 800);
    assert_int_equal(pacing_after_drain(&p, PACING_BUSY_TURN - 1), 800);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts_without_nap),
        cmocka_unit_test(test_one_batch_per_wake_doubles_the_nap_up_to_its_cap),
        cmocka_unit_test(test_busy_turns_halve_the_nap_down_to_none),
        cmocka_unit_test(test_drains_between_the_marks_keep_the_nap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
