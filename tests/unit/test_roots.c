/* Unit tests for libtrack/roots.c: the roots the exit scan reads are all
 * mapped memory (no range over memory the collection itself unmapped, as
 * the buffer /proc/self/maps was read into once was), and a hole given is
 * left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "interior.h"
#include "roots.h"

__thread int mt_in_unwinder; /* descriptors.c's, which the test does not link */

/* Whether some root range overlaps [lo, hi). */
static int rooted(const struct mt_roots *roots, uintptr_t lo, uintptr_t hi)
{
    for (size_t i = 0; i < roots->n; i++)
        if (roots->ranges[i].lo < hi && lo < roots->ranges[i].hi)
            return 1;
    return 0;
}

static void test_every_root_is_readable(void **state)
{
    (void)state;
    struct mt_roots roots;
    assert_int_equal(mt_roots_collect(&roots, 0, NULL, 0), 0);
    assert_true(roots.n > 0);
    for (size_t i = 0; i < roots.n; i++) {
        uint64_t word;
        /* the first word of each range: a range over unmapped memory fails at once */
        assert_int_equal(mt_read_memory(&word, roots.ranges[i].lo, sizeof word), (ssize_t)sizeof word);
    }
    mt_roots_free(&roots);
}

static void test_a_hole_is_left_out(void **state)
{
    (void)state;
    size_t size = 1 << 16;
    char *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(data != MAP_FAILED);
    data[0] = 1;
    struct mt_range hole = {(uintptr_t)data, (uintptr_t)data + size};
    struct mt_roots roots;
    assert_int_equal(mt_roots_collect(&roots, 0, NULL, 0), 0);
    assert_true(rooted(&roots, hole.lo, hole.hi));
    mt_roots_free(&roots);
    assert_int_equal(mt_roots_collect(&roots, 0, &hole, 1), 0);
    assert_false(rooted(&roots, hole.lo, hole.hi));
    mt_roots_free(&roots);
    munmap(data, size);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_root_is_readable),
        cmocka_unit_test(test_a_hole_is_left_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
