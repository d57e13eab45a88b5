/*
 * test_stacks.c - libtrack's stack capture and interning (libtrack/stacks.c),
 * through the probe library (stacks_probe.h): a call site captured twice has
 * one id and one STACK record, different sites have different ids, frames
 * start at the caller of the allocation function, and a stack deeper than the
 * limit is cut and marked.
 *
 * The sites are the functions below, exported (the executable is linked with
 * its symbols dynamic) so that dladdr can name the function a frame is in.
 * The stack table is one global: each test uses sites of its own.
 */
#define _GNU_SOURCE /* dladdr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>

#include "stacks_probe.h"

#define DEPTH_LIMIT 64

/* Each site keeps its id in a variable of its own, read after the capture:
 * so no site ends in a tail call (its frame would vanish) and no two sites
 * have the same code (the compiler would fold them into one). */
#define CALL_SITE(name)                                   \
    static volatile uint32_t name##_id;                    \
    __attribute__((noinline)) uint32_t name(void);         \
    __attribute__((noinline)) uint32_t name(void)          \
    {                                                      \
        name##_id = probe_allocation_hook();               \
        return name##_id;                                  \
    }

CALL_SITE(allocate_at_site_a)
CALL_SITE(allocate_at_site_b)
CALL_SITE(allocate_at_site_c)
CALL_SITE(allocate_at_site_d)
CALL_SITE(allocate_at_site_e)
CALL_SITE(allocate_at_site_f)

/* Calls `site` under `levels` more frames of its own. */
__attribute__((noinline)) uint32_t allocate_deep(int levels, uint32_t (*site)(void));
static volatile uint32_t deep_id;
__attribute__((noinline)) uint32_t allocate_deep(int levels, uint32_t (*site)(void))
{
    deep_id = levels > 0 ? allocate_deep(levels - 1, site) : site();
    return deep_id;
}

/* The name of the function containing `address`, or "?". */
static const char *function_at(uint64_t address)
{
    Dl_info info;
    if (!dladdr((void *)(uintptr_t)address, &info) || !info.dli_sname)
        return "?";
    return info.dli_sname;
}

static int start_probe(void **state)
{
    probe_start(DEPTH_LIMIT);
    return 0;
}

static void test_frames_start_at_the_caller_of_the_allocation_function(void **state)
{
    size_t before = probe_stack_count();
    uint32_t id = allocate_at_site_a();
    assert_int_not_equal(id, 0);
    assert_int_equal(probe_stack_count(), before + 1);
    const struct probe_stack *s = probe_stack_at(before);
    assert_int_equal(s->id, id);
    assert_int_equal(s->truncated, 0);
    assert_true(s->depth >= 2);
    assert_string_equal(function_at(s->frames[0]), "allocate_at_site_a");
    for (uint32_t i = 0; i < s->depth; i++)
        assert_false(probe_owns(s->frames[i]));
}

static void test_the_same_call_site_gives_the_same_id_and_one_record(void **state)
{
    size_t before = probe_stack_count();
    uint32_t ids[3];
    volatile int rounds = 3; /* a loop the compiler cannot unroll into three call sites */
    for (int i = 0; i < rounds; i++)
        ids[i] = allocate_at_site_b();
    assert_int_equal(ids[0], ids[1]);
    assert_int_equal(ids[1], ids[2]);
    assert_int_equal(probe_stack_count(), before + 1);
    assert_int_equal(probe_stack_at(before)->id, ids[0]);
}

static void test_different_call_sites_give_different_ids(void **state)
{
    size_t before = probe_stack_count();
    uint32_t c = allocate_at_site_c(), d = allocate_at_site_d();
    assert_int_not_equal(c, d);
    /* the same function reached from another line is another stack */
    uint32_t e_here = allocate_at_site_e();
    uint32_t e_there = allocate_at_site_e();
    assert_int_not_equal(e_here, e_there);
    assert_int_equal(probe_stack_count(), before + 4);
    assert_string_equal(function_at(probe_stack_at(before)->frames[0]), "allocate_at_site_c");
    assert_string_equal(function_at(probe_stack_at(before + 1)->frames[0]), "allocate_at_site_d");
    assert_int_equal(probe_stack_at(before + 2)->frames[0], probe_stack_at(before + 3)->frames[0]);
    assert_int_not_equal(probe_stack_at(before + 2)->frames[1], probe_stack_at(before + 3)->frames[1]);
}

static void test_a_stack_deeper_than_the_limit_is_cut_and_marked(void **state)
{
    size_t before = probe_stack_count();
    probe_set_depth_limit(3);
    uint32_t id = allocate_deep(10, allocate_at_site_f);
    probe_set_depth_limit(DEPTH_LIMIT);
    assert_int_equal(probe_stack_count(), before + 1);
    const struct probe_stack *s = probe_stack_at(before);
    assert_int_equal(s->id, id);
    assert_int_equal(s->truncated, 1);
    assert_int_equal(s->depth, 3);
    assert_string_equal(function_at(s->frames[0]), "allocate_at_site_f");
    assert_string_equal(function_at(s->frames[1]), "allocate_deep");
    assert_string_equal(function_at(s->frames[2]), "allocate_deep");
}

/* The collector resolves addresses while the program runs once it knows
 * their modules; a worker thread's stacks must not reach it first while the
 * list waits in the main thread's buffer. */
static void test_the_list_of_modules_is_sent_at_once(void **state)
{
    size_t sent, still_buffered;
    probe_announce_modules(1, &sent, &still_buffered);
    assert_true(sent > 0);
    assert_int_equal(still_buffered, 0);
}

/* A send before the connection exists would drop the batch: the list waits. */
static void test_the_list_of_modules_waits_for_the_connection(void **state)
{
    size_t sent, still_buffered;
    probe_announce_modules(0, &sent, &still_buffered);
    assert_int_equal(sent, 0);
    assert_true(still_buffered > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_start_at_the_caller_of_the_allocation_function),
        cmocka_unit_test(test_the_same_call_site_gives_the_same_id_and_one_record),
        cmocka_unit_test(test_different_call_sites_give_different_ids),
        cmocka_unit_test(test_a_stack_deeper_than_the_limit_is_cut_and_marked),
        cmocka_unit_test(test_the_list_of_modules_is_sent_at_once),
        cmocka_unit_test(test_the_list_of_modules_waits_for_the_connection),
    };
    return cmocka_run_group_tests(tests, start_probe, NULL);
}
