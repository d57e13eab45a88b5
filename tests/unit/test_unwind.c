/*
 * test_unwind.c - libtrack's own backtrace walk (libtrack/unwind.c, with rules
 * from libtrack/eh_frame.c) against libunwind, through the probe library
 * (stacks_probe.h): on every stack shape below, mt_unwind must walk the stack
 * itself (return >= 0) and give exactly libunwind's frames, outermost frame
 * and depth limit included.  Where a frame is beyond its rules (a signal
 * frame, code without unwind information) it must give up (-1) rather than
 * return other frames than libunwind's.
 *
 * The shapes come from unwind_shapes.c, built at -O0 and -O2 with and without
 * frame pointers; some tests also check the rule of the shaped frame, so that
 * a build which happened not to produce the shape cannot pass unnoticed.  The
 * walks follow each other on the same threads, as an allocating program's do,
 * so whatever mt_unwind keeps from one walk to the next is tested too (the
 * same frames reached from another caller, above all).
 */
#define _GNU_SOURCE /* dladdr */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <dlfcn.h>

#include "internal.h"
#include "stacks_probe.h"
#include "unwind_shapes.h"

#define MAX_CHAIN 8
#define DEEP_RECURSION 200 /* the whole stack fits in PROBE_MAX_WALK frames */
#define PRINTED_ROWS 24 /* of a failing walk, at each end */

static const struct shape_set *const all_builds[] = {&shapes_o0_fp, &shapes_o0_nofp, &shapes_o2_fp,
                                                     &shapes_o2_nofp};

/* The name of the function containing `address`, or "?". */
static const char *function_at(const void *address)
{
    Dl_info info;
    if (!dladdr(address, &info) || !info.dli_sname)
        return "?";
    return info.dli_sname;
}

/* `address` as "function" or, for a function dladdr cannot name (a static
 * one), "object+0xOFFSET" for addr2line; "" for no address. */
static const char *describe(const void *address, char *buf, size_t size)
{
    Dl_info info;
    if (!address)
        return "";
    if (!dladdr(address, &info) || !info.dli_fname)
        return "?";
    if (info.dli_sname)
        return info.dli_sname;
    const char *slash = strrchr(info.dli_fname, '/');
    snprintf(buf, size, "%s+%#lx", slash ? slash + 1 : info.dli_fname,
             (unsigned long)((uintptr_t)address - (uintptr_t)info.dli_fbase));
    return buf;
}

/* The last step of every chain: walks the stack both ways from here. */
__attribute__((noinline)) int walk_here(const struct shape_step *step);
__attribute__((noinline)) int walk_here(const struct shape_step *step)
{
    struct probe_walks *walks = step->data;
    probe_unwind_both(walks, step->arg);
    return walks->fast;
}

/* Runs shapes[0] -> ... -> shapes[n-1] -> walk_here, the walks at most max deep. */
__attribute__((noinline)) static void walk_through(struct probe_walks *walks, int max,
                                                   const struct shape_step *shapes, size_t n)
{
    struct shape_step chain[MAX_CHAIN + 1];
    assert_true(n <= MAX_CHAIN);
    for (size_t i = 0; i < n; i++) {
        chain[i] = shapes[i];
        chain[i].next = &chain[i + 1];
    }
    chain[n] = (struct shape_step){.fn = walk_here, .arg = max, .data = walks};
    volatile int result = chain[0].fn(&chain[0]);
    (void)result;
}

/* Prints both walks side by side, each frame with its function's name and
 * the rule eh_frame.c computes for it (the first and last rows of a deep stack). */
static void print_walks(const struct probe_walks *walks)
{
    int n = walks->fast > walks->slow ? walks->fast : walks->slow;
    char fast_name[64], slow_name[64];
    print_message("  #   mt_unwind (%d%s)                              libunwind (%d)                      rule\n",
                  walks->fast, walks->fast_hash_agrees ? "" : ", wrong hash", walks->slow);
    for (int i = 0; i < n; i++) {
        if (i == PRINTED_ROWS && n > 2 * PRINTED_ROWS) {
            print_message("  ...\n");
            i = n - PRINTED_ROWS;
        }
        const void *fast = i < walks->fast ? walks->fast_frames[i] : NULL;
        const void *slow = i < walks->slow ? walks->slow_frames[i] : NULL;
        print_message("  %-3d %-14p %-28s  %-14p %-28s %#llx%s\n", i, fast,
                      describe(fast, fast_name, sizeof fast_name), slow, describe(slow, slow_name, sizeof slow_name),
                      (unsigned long long)probe_eh_frame_rule((uint64_t)(uintptr_t)(slow ? slow : fast)),
                      fast == slow ? "" : "  <-- differs");
    }
}

/* Whether both walks gave the same number of frames, and the same frames,
 * and mt_unwind's hash is its frames' hash. */
static int walks_agree(const struct probe_walks *walks)
{
    return walks->fast == walks->slow && walks->fast_hash_agrees &&
           memcmp(walks->fast_frames, walks->slow_frames, (size_t)walks->fast * sizeof(void *)) == 0;
}

/* mt_unwind walked the stack itself and gave libunwind's frames, starting in walk_here. */
static void assert_walked_alike(const struct probe_walks *walks, const char *what)
{
    if (walks->fast < 0) {
        print_walks(walks);
        fail_msg("%s: mt_unwind returned -1 (left the stack to libunwind)", what);
    }
    if (!walks_agree(walks)) {
        print_walks(walks);
        fail_msg("%s: mt_unwind and libunwind disagree", what);
    }
    if (walks->slow < 1 || strcmp(function_at(walks->slow_frames[0]), "walk_here") != 0) {
        print_walks(walks);
        fail_msg("%s: the walks do not start in walk_here", what);
    }
}

/* mt_unwind gave up (-1) or gave libunwind's frames. */
static void assert_gave_up_or_walked_alike(const struct probe_walks *walks, const char *what)
{
    if (walks->fast >= 0 && !walks_agree(walks)) {
        print_walks(walks);
        fail_msg("%s: mt_unwind returned frames that are not libunwind's", what);
    }
}

/* The rule unwind.c follows out of the frame that frame `i` returns into. */
static uint64_t rule_of_frame(const struct probe_walks *walks, int i)
{
    assert_true(i < walks->slow);
    return probe_eh_frame_rule((uint64_t)(uintptr_t)walks->slow_frames[i]);
}

/* Locates the probe's own text and sets up its tables, once for every test. */
static int start_probe(void **state)
{
    probe_start(MT_MAX_DEPTH);
    return 0;
}

static struct probe_walks walks;

static void test_deep_recursion(void **state)
{
    for (size_t b = 0; b < sizeof all_builds / sizeof *all_builds; b++) {
        const struct shape_step deep = {.fn = all_builds[b]->recurse, .arg = DEEP_RECURSION};
        walk_through(&walks, PROBE_MAX_WALK, &deep, 1);
        assert_walked_alike(&walks, all_builds[b]->name);
        assert_true(walks.fast > DEEP_RECURSION);
        assert_true(walks.fast < PROBE_MAX_WALK); /* both reached the outermost frame */
    }
}

static void test_variable_length_array_frame_found_from_rbp(void **state)
{
    for (size_t b = 0; b < sizeof all_builds / sizeof *all_builds; b++) {
        const struct shape_step vla = {.fn = all_builds[b]->vla, .arg = 1000};
        walk_through(&walks, PROBE_MAX_WALK, &vla, 1);
        assert_walked_alike(&walks, all_builds[b]->name);
        assert_true(rule_of_frame(&walks, 1) & MT_RULE_CFA_FROM_RBP);
    }
}

static void test_frame_larger_than_a_mebibyte(void **state)
{
    for (size_t b = 0; b < sizeof all_builds / sizeof *all_builds; b++) {
        const struct shape_step big = {.fn = all_builds[b]->big_frame};
        walk_through(&walks, PROBE_MAX_WALK, &big, 1);
        assert_walked_alike(&walks, all_builds[b]->name);
        uint64_t rule = rule_of_frame(&walks, 1);
        if (all_builds[b]->omits_frame_pointer) {
            assert_false(rule & MT_RULE_CFA_FROM_RBP);
            assert_true((rule >> 32) > SHAPE_BIG_FRAME_BYTES);
        }
    }
}

/* Without frame pointers at -O2, `pressure` keeps a value in rbp and saves
 * the caller's rbp in its frame, under a frame whose CFA is rbp-based: the
 * walk must restore rbp from that slot to find the caller's CFA. */
static void test_with_and_without_frame_pointers_at_o0_and_o2(void **state)
{
    for (size_t b = 0; b < sizeof all_builds / sizeof *all_builds; b++) {
        const struct shape_set *s = all_builds[b];
        const struct shape_step chain[] = {{.fn = s->recurse, .arg = 3}, {.fn = s->vla, .arg = 24},
                                           {.fn = s->pressure, .arg = 7}};
        walk_through(&walks, PROBE_MAX_WALK, chain, 3);
        assert_walked_alike(&walks, s->name);
        if (s == &shapes_o2_nofp) {
            uint64_t rule = rule_of_frame(&walks, 1);
            assert_true(rule & MT_RULE_RBP_SAVED);
            assert_false(rule & MT_RULE_CFA_FROM_RBP);
        }
    }
    /* every build calling into every other */
    const struct shape_step mixed[] = {
        {.fn = shapes_o0_fp.vla, .arg = 8},       {.fn = shapes_o2_nofp.pressure, .arg = 1},
        {.fn = shapes_o0_nofp.recurse, .arg = 2}, {.fn = shapes_o2_fp.big_frame},
        {.fn = shapes_o2_nofp.vla, .arg = 40},    {.fn = shapes_o0_nofp.pressure, .arg = 2},
        {.fn = shapes_o2_fp.recurse, .arg = 2},   {.fn = shapes_o2_nofp.pressure, .arg = 3},
    };
    walk_through(&walks, PROBE_MAX_WALK, mixed, sizeof mixed / sizeof *mixed);
    assert_walked_alike(&walks, "mixed builds");
}

static void test_callback_called_from_libc(void **state)
{
    for (size_t b = 0; b < sizeof all_builds / sizeof *all_builds; b++) {
        const struct shape_step sorted = {.fn = all_builds[b]->sorted_by_libc};
        walk_through(&walks, PROBE_MAX_WALK, &sorted, 1);
        assert_walked_alike(&walks, all_builds[b]->name);
    }
}

static void test_frame_with_a_personality_routine(void **state)
{
    for (size_t b = 0; b < sizeof all_builds / sizeof *all_builds; b++) {
        const struct shape_step cleaned = {.fn = all_builds[b]->cleaned_up};
        walk_through(&walks, PROBE_MAX_WALK, &cleaned, 1);
        assert_walked_alike(&walks, all_builds[b]->name);
    }
}

static volatile int first_caller_calls, second_caller_calls;

/* Two callers alike but for their code: a chain walked under one and then
 * under the other has the same frames at the same addresses, all but the
 * return address into the caller. */
__attribute__((noinline)) void walk_under_first_caller(const struct shape_step *chain, size_t n);
__attribute__((noinline)) void walk_under_first_caller(const struct shape_step *chain, size_t n)
{
    walk_through(&walks, PROBE_MAX_WALK, chain, n);
    first_caller_calls++;
}

__attribute__((noinline)) void walk_under_second_caller(const struct shape_step *chain, size_t n);
__attribute__((noinline)) void walk_under_second_caller(const struct shape_step *chain, size_t n)
{
    walk_through(&walks, PROBE_MAX_WALK, chain, n);
    second_caller_calls++;
}

/* Whether libunwind's walk passes through the function named `name`. */
static int walk_passes_through(const struct probe_walks *w, const char *name)
{
    for (int i = 0; i < w->slow; i++)
        if (strcmp(function_at(w->slow_frames[i]), name) == 0)
            return 1;
    return 0;
}

static void test_same_frames_under_another_caller(void **state)
{
    const struct shape_step chain[] = {{.fn = shapes_o2_nofp.pressure, .arg = 5},
                                       {.fn = shapes_o0_fp.recurse, .arg = 2}};
    for (int round = 0; round < 2; round++) {
        walk_under_first_caller(chain, 2);
        assert_walked_alike(&walks, "first caller");
        assert_true(walk_passes_through(&walks, "walk_under_first_caller"));
        walk_under_second_caller(chain, 2);
        assert_walked_alike(&walks, "second caller");
        assert_true(walk_passes_through(&walks, "walk_under_second_caller"));
    }
}

/* Walks in a thread of its own; `arg` is the struct probe_walks to fill. */
static void *walk_in_thread(void *arg)
{
    const struct shape_step chain[] = {{.fn = shapes_o2_nofp.recurse, .arg = 5},
                                       {.fn = shapes_o0_fp.vla, .arg = 16}};
    walk_through(arg, PROBE_MAX_WALK, chain, 2);
    return NULL;
}

static void test_second_thread_ends_where_libunwind_ends(void **state)
{
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, walk_in_thread, &walks), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_walked_alike(&walks, "second thread");
    assert_true(walks.fast < PROBE_MAX_WALK);
}

static void test_depth_limit_cuts_both_alike(void **state)
{
    static const int limits[] = {1, 2, 8, 30, PROBE_MAX_WALK};
    for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
        const struct shape_step deep = {.fn = shapes_o2_nofp.recurse, .arg = 2 * PROBE_MAX_WALK};
        walk_through(&walks, limits[l], &deep, 1);
        assert_walked_alike(&walks, "depth limit");
        assert_int_equal(walks.fast, limits[l]);
    }
}

/* The SIGUSR1 handler: walks from inside it, through one frame of -O2 code. */
static void walk_from_signal_handler(int signo)
{
    const struct shape_step chain[] = {{.fn = shapes_o2_nofp.pressure, .arg = 4}};
    walk_through(&walks, PROBE_MAX_WALK, chain, 1);
}

/* Raises SIGUSR1 here, so that libunwind's walk from the handler has this
 * function's frame above the signal frame. */
__attribute__((noinline)) void raise_walking_signal(void);
__attribute__((noinline)) void raise_walking_signal(void)
{
    volatile int raised = raise(SIGUSR1);
    assert_int_equal(raised, 0);
}

/* Walks from a SIGUSR1 handler installed with `flags`; checks the outcome. */
static void check_walk_from_signal_handler(int flags, const char *what)
{
    struct sigaction action = {.sa_handler = walk_from_signal_handler, .sa_flags = flags}, old;
    sigemptyset(&action.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &action, &old), 0);
    memset(&walks, 0, sizeof walks);
    raise_walking_signal();
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    assert_gave_up_or_walked_alike(&walks, what);
    /* libunwind went past the signal frame, so the comparison saw both stacks */
    if (!walk_passes_through(&walks, "raise_walking_signal")) {
        print_walks(&walks);
        fail_msg("%s: libunwind's walk does not reach the function that raised the signal", what);
    }
}

static void test_signal_handler_gives_up_or_agrees(void **state)
{
    check_walk_from_signal_handler(0, "signal handler");
}

static void test_signal_handler_on_alternate_stack_gives_up_or_agrees(void **state)
{
    size_t size = 256 * 1024;
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    stack_t alternate = {.ss_sp = mem, .ss_size = size}, old;
    assert_int_equal(sigaltstack(&alternate, &old), 0);
    check_walk_from_signal_handler(SA_ONSTACK, "signal handler on sigaltstack");
    assert_int_equal(sigaltstack(&old, NULL), 0);
    munmap(mem, size);
}

static void test_code_without_unwind_info_is_left_to_libunwind(void **state)
{
    /* Its rule says why: no unwind information.  With rbp not 0 there (mid-stack) only libunwind goes on;
     * with rbp 0 the walk ends there, as libunwind does (e2e.unwinder_clang: the dynamic loader's frame). */
    const struct shape_step chain[] = {{.fn = shapes_o2_nofp.recurse, .arg = 2},
                                       {.fn = shape_without_unwind_info}};
    walk_through(&walks, PROBE_MAX_WALK, chain, 2);
    assert_int_equal(walks.fast, -1);
    uintptr_t inside = (uintptr_t)shape_without_unwind_info + 2; /* as a return address: pc = ra - 1 */
    assert_int_equal(probe_eh_frame_rule(inside), MT_RULE_NO_INFO);
}

static void test_rule_of_an_address_outside_every_object_is_unsupported(void **state)
{
    size_t size = 4096;
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_int_equal(probe_eh_frame_rule((uintptr_t)mem + 16), MT_RULE_UNSUPPORTED);
    munmap(mem, size);
    void *block = malloc(64);
    assert_non_null(block);
    assert_int_equal(probe_eh_frame_rule((uintptr_t)block + 8), MT_RULE_UNSUPPORTED);
    free(block);
    assert_int_equal(probe_eh_frame_rule(1), MT_RULE_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_recursion),
        cmocka_unit_test(test_variable_length_array_frame_found_from_rbp),
        cmocka_unit_test(test_frame_larger_than_a_mebibyte),
        cmocka_unit_test(test_with_and_without_frame_pointers_at_o0_and_o2),
        cmocka_unit_test(test_callback_called_from_libc),
        cmocka_unit_test(test_frame_with_a_personality_routine),
        cmocka_unit_test(test_same_frames_under_another_caller),
        cmocka_unit_test(test_second_thread_ends_where_libunwind_ends),
        cmocka_unit_test(test_depth_limit_cuts_both_alike),
        cmocka_unit_test(test_signal_handler_gives_up_or_agrees),
        cmocka_unit_test(test_signal_handler_on_alternate_stack_gives_up_or_agrees),
        cmocka_unit_test(test_code_without_unwind_info_is_left_to_libunwind),
        cmocka_unit_test(test_rule_of_an_address_outside_every_object_is_unsupported),
    };
    return cmocka_run_group_tests(tests, start_probe, NULL);
}
