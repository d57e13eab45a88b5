/*
 * test_gate.c - unit tests of the gate's building blocks: LeakSanitizer
 * patterns, --fail-on parsing, runtime frames and stack signatures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyse/signature.h"
#include "gate/gate.h"

/* Unanchored patterns match anywhere; '^' and a final '$' anchor. */
static void test_pattern_anchors(void **state)
{
    assert_true(pattern_matches("leak", "make_leak_now"));
    assert_true(pattern_matches("^make", "make_leak"));
    assert_false(pattern_matches("^leak", "make_leak"));
    assert_true(pattern_matches("leak$", "make_leak"));
    assert_false(pattern_matches("make$", "make_leak"));
    assert_true(pattern_matches("^make_leak$", "make_leak"));
    assert_false(pattern_matches("^make_leak$", "make_leak2"));
    assert_true(pattern_matches("a$b", "xa$by"));  /* a '$' inside is an ordinary character */
    assert_true(pattern_matches("a$", "aba"));     /* LSan's matcher misses this one */
}

/* '*' matches any run, including an empty one, with backtracking. */
static void test_pattern_wildcards(void **state)
{
    assert_true(pattern_matches("*", "x"));
    assert_true(pattern_matches("^std::*::push_back$", "std::vector<int>::push_back"));
    assert_true(pattern_matches("a*b*c", "xxaxxbxxbxxcxx"));
    assert_true(pattern_matches("^a*c$", "abcbc"));
    assert_false(pattern_matches("^a*c$", "abcb"));
    assert_true(pattern_matches("^*tls_get_addr*$", "__tls_get_addr"));
}

/* Unknown and empty text never match, as in LSan. */
static void test_pattern_unknown_text(void **state)
{
    assert_false(pattern_matches("*", NULL));
    assert_false(pattern_matches("*", ""));
    assert_true(pattern_matches("", "anything"));
}

/* --fail-on takes kinds and groups; the first bad item is named. */
static void test_parse_kinds(void **state)
{
    unsigned mask = 0;
    char error[256];
    assert_int_equal(gate_parse_kinds("leaks,errors", &mask, error, sizeof error), 0);
    assert_int_equal(mask, KINDS_DEFAULT);
    assert_int_equal(gate_parse_kinds("possible,mismatch", &mask, error, sizeof error), 0);
    assert_int_equal(mask, KIND_BIT(FINDING_POSSIBLE) | KIND_BIT(FINDING_MISMATCH));
    assert_int_equal(gate_parse_kinds("none", &mask, error, sizeof error), 0);
    assert_int_equal(mask, 0);
    assert_int_equal(gate_parse_kinds("definite,,indirect", &mask, error, sizeof error), -1);
    assert_non_null(strstr(error, "unknown kind ''"));
    assert_int_equal(gate_parse_kinds("definitely", &mask, error, sizeof error), -1);
    assert_non_null(strstr(error, "unknown kind 'definitely'"));
    char text[256];
    kinds_format(KINDS_LEAKS | KIND_BIT(FINDING_DOUBLE_FREE), text, sizeof text);
    assert_string_equal(text, "definite,indirect,double-free");
    kinds_format(0, text, sizeof text);
    assert_string_equal(text, "none");
}

/* The runtime is told by module file name; the runtime prefix stops at the
 * first frame of the program. */
static void test_runtime_frames(void **state)
{
    struct report_frame frames[] = {
        {.function = "_dl_allocate_tls", .module = "/lib64/ld-linux-x86-64.so.2"},
        {.function = "pthread_create", .module = "/lib/x86_64-linux-gnu/libc.so.6"},
        {.function = "start_workers", .file = "/src/pool.c", .module = "/src/app"},
        {.function = "__libc_start_call_main", .file = "libc_start_call_main.h",
         .module = "/lib/x86_64-linux-gnu/libc.so.6"},
    };
    struct report_stack stack = {.present = true, .depth = 4, .frames = frames};
    assert_int_equal(runtime_prefix_depth(&stack), 2);
    assert_ptr_equal(source_frame(&stack), &frames[2]);
    struct report_frame library = {.module = "/usr/lib/libc-helpers.so"};
    assert_false(frame_in_runtime(&library));
    struct report_frame unknown = {.function = "f"};
    assert_false(frame_in_runtime(&unknown));
}

/* Signatures keep functions and file names, drop directories, lines and
 * addresses, and use the module only for frames with no function. */
static void test_signature(void **state)
{
    struct report_frame frames[] = {
        {.address = 0x1234, .function = "make_leak", .file = "/build/a/leak.c", .line = {true, 6}},
        {.address = 0x99, .function = "_start", .module = "/build/a/leaky"},
        {.address = 0x77, .module = "/lib/libfoo.so.1"},
    };
    struct report_stack stack = {.present = true, .depth = 3, .frames = frames};
    char *signature = stack_signature(&stack);
    assert_string_equal(signature, "make_leak@leak.c\n_start@\n?@libfoo.so.1\n");
    free(signature);
    struct report_stack empty = {0};
    signature = stack_signature(&empty);
    assert_string_equal(signature, "");
    free(signature);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_anchors),  cmocka_unit_test(test_pattern_wildcards),
        cmocka_unit_test(test_pattern_unknown_text), cmocka_unit_test(test_parse_kinds),
        cmocka_unit_test(test_runtime_frames),   cmocka_unit_test(test_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
