/*
 * test_table_arena.c - the memory of libtrack's live-block table
 * (libtrack/table_arena.c): tables from 128 KiB on are carved side by side
 * from arenas that start on a huge page, a table given back reads as zeroes
 * (its memory went back to the kernel), an arena is unmapped once every table
 * it gave came back and another is current, the arenas are reported as
 * libtrack's own memory, and small tables keep mappings of their own.
 *
 * The arenas are globals: the tests run in order, each on what the one
 * before left (nothing, or one current arena).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "table_arena.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

/* Whether [p, p + bytes) is mapped at all: mincore fails with ENOMEM on a hole. */
static int is_mapped(const void *p, size_t bytes)
{
    unsigned char pages[1024];
    return mincore((void *)p, bytes < 1024 * 4096 ? bytes : 1024 * 4096, pages) == 0 || errno != ENOMEM;
}

struct ranges {
    uintptr_t lo[8], hi[8];
    int n;
};

static void add_range(uintptr_t lo, uintptr_t hi, void *arg)
{
    struct ranges *r = arg;
    if (r->n < 8) {
        r->lo[r->n] = lo;
        r->hi[r->n] = hi;
    }
    r->n++;
}

static int reported(const void *p, size_t bytes)
{
    struct ranges r = {.n = 0};
    mt_table_arenas_own_ranges(add_range, &r);
    for (int i = 0; i < r.n && i < 8; i++)
        if ((uintptr_t)p >= r.lo[i] && (uintptr_t)p + bytes <= r.hi[i])
            return 1;
    return 0;
}

static void test_small_tables_are_mappings_of_their_own(void **state)
{
    size_t mapped;
    char *t = mt_table_take(96 * KIB, &mapped);
    assert_non_null(t);
    assert_int_equal(mapped, 96 * KIB);
    assert_false(reported(t, mapped));
    memset(t, 0xab, mapped);
    mt_table_give_back(t, mapped);
    assert_false(is_mapped(t, mapped));
}

static void test_tables_are_carved_side_by_side_on_huge_pages(void **state)
{
    size_t a_bytes, b_bytes;
    char *a = mt_table_take(300 * KIB + 5, &a_bytes);
    char *b = mt_table_take(1 * MIB, &b_bytes);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a_bytes, 304 * KIB); /* whole pages */
    assert_int_equal(b_bytes, 1 * MIB);
    assert_int_equal((uintptr_t)a % (2 * MIB), 0); /* the first table of a fresh arena */
    assert_ptr_equal(b, a + a_bytes);
    assert_true(reported(a, a_bytes));
    assert_true(reported(b, b_bytes));
    for (size_t i = 0; i < a_bytes; i++)
        assert_int_equal(a[i], 0);
    memset(a, 0x5a, a_bytes);
    memset(b, 0x5a, b_bytes);
    mt_table_give_back(a, a_bytes);
    assert_true(is_mapped(a, a_bytes)); /* the arena stays: b is in it, and it is current */
    for (size_t i = 0; i < a_bytes; i += 4096)
        assert_int_equal(a[i], 0);
    assert_int_equal(b[0], 0x5a);
    mt_table_give_back(b, b_bytes);
}

/* A table larger than what the current arena has left starts a new arena;
 * the old one goes once its last table comes back. */
static void test_an_arena_is_unmapped_when_its_tables_came_back(void **state)
{
    size_t first_bytes, big_bytes;
    char *first = mt_table_take(512 * KIB, &first_bytes);
    assert_non_null(first);
    char *big = mt_table_take(100 * MIB, &big_bytes); /* more than any arena has left */
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % (2 * MIB), 0);
    assert_true(reported(big, big_bytes));
    assert_true(reported(first, first_bytes));
    mt_table_give_back(first, first_bytes);
    assert_false(is_mapped(first, first_bytes));
    assert_false(reported(first, first_bytes));
    mt_table_give_back(big, big_bytes);
    assert_true(is_mapped(big, big_bytes)); /* current: kept for the next table */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_tables_are_mappings_of_their_own),
        cmocka_unit_test(test_tables_are_carved_side_by_side_on_huge_pages),
        cmocka_unit_test(test_an_arena_is_unmapped_when_its_tables_came_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
