/*
 * test_heuristics.c - memcheck's leak-check heuristics in libtrack: the
 * option's words (common/heuristics.h: all, none, a comma list) and each
 * heuristic's judgement of an interior pointer (libtrack/interior.c) on
 * blocks laid out by hand, with made-up file-backed mappings over this
 * test's own arrays standing for a vtable's file and the code it points to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "heuristics.h"
#include "interior.h"

#define BIT(h) (1u << (h))

/* Judges PTR into the block at START with the heuristics of SET, and no
 * file-backed mappings at all. */
static unsigned judge(unsigned set, const void *start, uint64_t size, const void *ptr)
{
    struct mt_interior in = {.set = set};
    return mt_interior_heuristic(&in, (uintptr_t)start, size, (uintptr_t)ptr);
}

static void test_the_option_takes_all_none_and_lists(void **state)
{
    unsigned set = 12345;
    assert_int_equal(mt_heuristics_parse("all", 3, &set), 0);
    assert_int_equal(set, MT_HEURISTICS_ALL);
    assert_int_equal(mt_heuristics_parse("none", 4, &set), 0);
    assert_int_equal(set, 0);
    assert_int_equal(mt_heuristics_parse("length64", 8, &set), 0);
    assert_int_equal(set, BIT(MT_HEURISTIC_LENGTH64));
    const char *list = "multipleinheritance,stdstring,newarray";
    assert_int_equal(mt_heuristics_parse(list, strlen(list), &set), 0);
    assert_int_equal(set, BIT(MT_HEURISTIC_MULTIPLE_INHERITANCE) | BIT(MT_HEURISTIC_STDSTRING) |
                              BIT(MT_HEURISTIC_NEWARRAY));
    /* only LEN bytes count: what follows is the next option's */
    assert_int_equal(mt_heuristics_parse("stdstring,depth=8", 9, &set), 0);
    assert_int_equal(set, BIT(MT_HEURISTIC_STDSTRING));
}

static void test_the_option_refuses_unknown_and_empty_words(void **state)
{
    const char *bad[] = {"", "stdstring,", ",newarray", "stdstring,,newarray", "std", "ALL", "none,stdstring",
                         "length64,bogus"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned set = 777;
        assert_int_equal(mt_heuristics_parse(bad[i], strlen(bad[i]), &set), -1);
        assert_int_equal(set, 777); /* left alone */
    }
}

static void test_stdstring_wants_three_words_capacity_and_length(void **state)
{
    uint64_t rep[9] = {10, 40, 0}; /* length 10, capacity 40: 24 + 40 + 1 = 65 bytes */
    char *chars = (char *)rep + 24;
    assert_int_equal(judge(MT_HEURISTICS_ALL, rep, 65, chars), MT_HEURISTIC_STDSTRING);
    assert_int_equal(judge(MT_HEURISTICS_ALL, rep, 64, chars), MT_HEURISTIC_NONE);     /* size and capacity disagree */
    assert_int_equal(judge(MT_HEURISTICS_ALL, rep, 65, chars - 8), MT_HEURISTIC_NONE); /* not 3 words in */
    rep[0] = 41; /* longer than its capacity */
    assert_int_equal(judge(MT_HEURISTICS_ALL, rep, 65, chars), MT_HEURISTIC_NONE);
    rep[0] = 40;
    assert_int_equal(judge(MT_HEURISTICS_ALL & ~BIT(MT_HEURISTIC_STDSTRING), rep, 65, chars), MT_HEURISTIC_NONE);
}

static void test_length64_counts_the_bytes_after_the_first_word(void **state)
{
    uint64_t block[10] = {72};
    assert_int_equal(judge(MT_HEURISTICS_ALL, block, 80, block + 1), MT_HEURISTIC_LENGTH64);
    assert_int_equal(judge(MT_HEURISTICS_ALL, block, 80, block + 2), MT_HEURISTIC_NONE); /* not 8 bytes in */
    /* as in memcheck, a length64 block is a newarray of 72 one-byte elements too */
    assert_int_equal(judge(BIT(MT_HEURISTIC_NEWARRAY), block, 80, block + 1), MT_HEURISTIC_NEWARRAY);
    block[0] = 0;
    assert_int_equal(judge(MT_HEURISTICS_ALL, block, 80, block + 1), MT_HEURISTIC_NONE);
}

static void test_newarray_wants_a_count_that_divides_the_rest(void **state)
{
    uint64_t block[9] = {5}; /* five 12-byte elements after the count: 68 bytes */
    assert_int_equal(judge(MT_HEURISTICS_ALL, block, 68, block + 1), MT_HEURISTIC_NEWARRAY);
    assert_int_equal(judge(MT_HEURISTICS_ALL, block, 69, block + 1), MT_HEURISTIC_NONE); /* 61 is not 5 * n */
    assert_int_equal(judge(MT_HEURISTICS_ALL & ~BIT(MT_HEURISTIC_NEWARRAY), block, 68, block + 1),
                     MT_HEURISTIC_NONE);
}

/* Made-up memory for the multipleinheritance heuristic: `code` stands for an
 * executable mapped file, the first TABLE_WORDS words of `tables` for a
 * readable one holding vtables (each 4 words; the words after them lie
 * outside it), and `data` for anonymous memory. */
#define TABLE_WORDS 48
static char code[256];
static uint64_t tables[64];
static uint64_t data[8];

/* The mappings over them, sorted by address as /proc/self/maps lists them. */
static size_t file_mappings(struct mt_mapping *maps)
{
    struct mt_mapping code_map = {(uintptr_t)code, (uintptr_t)(code + sizeof code), MT_MAPPING_READ | MT_MAPPING_EXEC};
    struct mt_mapping table_map = {(uintptr_t)tables, (uintptr_t)(tables + TABLE_WORDS), MT_MAPPING_READ};
    int code_first = code_map.lo < table_map.lo;
    maps[0] = code_first ? code_map : table_map;
    maps[1] = code_first ? table_map : code_map;
    return 2;
}

/* Judges a pointer 16 bytes into a 40-byte object whose first word is the
 * vtable FIRST and whose word at 16 is the vtable INNER, with every heuristic. */
static unsigned judge_object(uint64_t first, uint64_t inner)
{
    struct mt_mapping maps[2];
    struct mt_interior in = {.set = MT_HEURISTICS_ALL, .files = maps, .n_files = file_mappings(maps)};
    uint64_t object[5] = {first, 1, inner, 2, 3};
    return mt_interior_heuristic(&in, (uintptr_t)object, sizeof object, (uintptr_t)(object + 2));
}

static void test_multipleinheritance_wants_two_vtables(void **state)
{
    uint64_t fn = (uint64_t)(uintptr_t)code;
    uint64_t *two = tables, *one = tables + 4, *gap = tables + 8, *stray = tables + 12;
    two[0] = fn + 16, two[1] = fn + 32;             /* two functions */
    one[0] = fn + 48, one[1] = 0, one[2] = 0, one[3] = (uint64_t)(uintptr_t)data; /* then data: no */
    gap[0] = 0, gap[1] = fn + 64, gap[2] = 0, gap[3] = fn + 80; /* null words are passed over */
    stray[0] = (uint64_t)(uintptr_t)tables, stray[1] = fn;      /* a pointer to no code first */
    uint64_t vt_two = (uint64_t)(uintptr_t)two, vt_gap = (uint64_t)(uintptr_t)gap;
    assert_int_equal(judge_object(vt_two, vt_gap), MT_HEURISTIC_MULTIPLE_INHERITANCE);
    assert_int_equal(judge_object(vt_gap, vt_two), MT_HEURISTIC_MULTIPLE_INHERITANCE);
    assert_int_equal(judge_object(vt_two, (uint64_t)(uintptr_t)one), MT_HEURISTIC_NONE);
    assert_int_equal(judge_object((uint64_t)(uintptr_t)stray, vt_two), MT_HEURISTIC_NONE);
    /* a table outside any mapped file is no vtable, whatever it holds */
    data[0] = fn, data[1] = fn + 8;
    assert_int_equal(judge_object(vt_two, (uint64_t)(uintptr_t)data), MT_HEURISTIC_NONE);
    /* nor is a misaligned or a small address */
    assert_int_equal(judge_object(vt_two, vt_gap + 1), MT_HEURISTIC_NONE);
    assert_int_equal(judge_object(vt_two, 64), MT_HEURISTIC_NONE);
}

static void test_a_vtable_is_read_only_within_its_mapping(void **state)
{
    uint64_t fn = (uint64_t)(uintptr_t)code;
    tables[0] = fn + 16, tables[1] = fn + 32;
    tables[TABLE_WORDS - 1] = fn + 96; /* the mapping's last word: one function */
    tables[TABLE_WORDS] = fn + 112;    /* outside the mapping: never looked at */
    uint64_t last = (uint64_t)(uintptr_t)(tables + TABLE_WORDS - 1);
    assert_int_equal(judge_object((uint64_t)(uintptr_t)tables, last), MT_HEURISTIC_NONE);
    tables[TABLE_WORDS - 2] = fn + 80; /* two functions within it */
    assert_int_equal(judge_object((uint64_t)(uintptr_t)tables, last - 8), MT_HEURISTIC_MULTIPLE_INHERITANCE);
}

static void test_multipleinheritance_wants_an_aligned_pointer_inside_the_block(void **state)
{
    uint64_t fn = (uint64_t)(uintptr_t)code;
    tables[0] = fn + 16, tables[1] = fn + 32;
    uint64_t vt = (uint64_t)(uintptr_t)tables;
    struct mt_mapping maps[2];
    struct mt_interior in = {.set = MT_HEURISTICS_ALL, .files = maps, .n_files = file_mappings(maps)};
    uint64_t object[4] = {vt, vt, vt, vt};
    uintptr_t start = (uintptr_t)object;
    assert_int_equal(mt_interior_heuristic(&in, start, 32, start + 16), MT_HEURISTIC_MULTIPLE_INHERITANCE);
    assert_int_equal(mt_interior_heuristic(&in, start, 32, start + 12), MT_HEURISTIC_NONE); /* misaligned */
    assert_int_equal(mt_interior_heuristic(&in, start, 28, start + 24), MT_HEURISTIC_NONE); /* word past the end */
    in.set = MT_HEURISTICS_ALL & ~BIT(MT_HEURISTIC_MULTIPLE_INHERITANCE);
    assert_int_equal(mt_interior_heuristic(&in, start, 32, start + 16), MT_HEURISTIC_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_option_takes_all_none_and_lists),
        cmocka_unit_test(test_the_option_refuses_unknown_and_empty_words),
        cmocka_unit_test(test_stdstring_wants_three_words_capacity_and_length),
        cmocka_unit_test(test_length64_counts_the_bytes_after_the_first_word),
        cmocka_unit_test(test_newarray_wants_a_count_that_divides_the_rest),
        cmocka_unit_test(test_multipleinheritance_wants_two_vtables),
        cmocka_unit_test(test_a_vtable_is_read_only_within_its_mapping),
        cmocka_unit_test(test_multipleinheritance_wants_an_aligned_pointer_inside_the_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
