/*
 * test_exports.c - the exports of `memtrack report` on report models built
 * here: names a format could misread made safe, frames a person does not
 * see left out, several processes told apart, massif's threshold.  The
 * figures of a real run are checked end to end (tests/e2e/check_exports.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/render.h"

/* Frames innermost first: an unsafe name, a frame with only its module,
 * main, then libc's start-up below main (never shown). */
static struct report_frame frames[] = {
    {.address = 0x10, .function = (char *)"libmemtrack_hook", .module = (char *)"/lib/libmemtrack.so"},
    {.address = 0x11, .function = (char *)"odd;name\nhere", .file = (char *)"odd.c", .line = {true, 3}},
    {.address = 0x12, .module = (char *)"/lib/libplugin.so"},
    {.address = 0x13, .function = (char *)"main", .file = (char *)"main.c", .line = {true, 9}},
    {.address = 0x14, .function = (char *)"__libc_start_main"},
};

static struct report_site site(int64_t id, size_t first, int64_t allocations, int64_t bytes)
{
    return (struct report_site){.stack = {true, id, sizeof frames / sizeof *frames - first, frames + first},
                                .allocations = allocations, .bytes = bytes, .temporary = 1, .peak_bytes = bytes,
                                .leaked_bytes = 0};
}

/* Renders with RENDER into a string the caller frees. */
static char *rendered(int (*render)(FILE *, const struct report *, enum export_metric), const struct report *report,
                      enum export_metric metric)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    assert_non_null(out);
    assert_int_equal(render(out, report, metric), 0);
    fclose(out);
    return text;
}

static void test_folded_names_are_safe_and_people_frames_only(void **state)
{
    (void)state;
    struct report_site sites[] = {site(1, 0, 2, 64), site(2, 2, 1, 32), site(3, 3, 5, 0)};
    struct report_process process = {.pid = 7, .argc = 0, .executable = (char *)"/bin/prog", .site_count = 3,
                                     .sites = sites};
    struct report report = {1, &process};
    char *text = rendered(render_folded, &report, EXPORT_BYTES);
    assert_string_equal(text, "main;??? (in /lib/libplugin.so) 32\n"
                              "main;??? (in /lib/libplugin.so);odd?name?here 64\n");
    free(text);
    text = rendered(render_folded, &report, EXPORT_ALLOCATIONS);
    assert_string_equal(text, "main 5\nmain;??? (in /lib/libplugin.so) 1\n"
                              "main;??? (in /lib/libplugin.so);odd?name?here 2\n");
    free(text);
}

static void test_folded_merges_equal_names_and_names_processes(void **state)
{
    (void)state;
    struct report_site first[] = {site(1, 3, 1, 10), site(2, 3, 1, 20)};
    struct report_site second[] = {site(1, 3, 1, 5)};
    char *argv[] = {(char *)"/usr/bin/tool;x", (char *)"arg"};
    struct report_process processes[] = {
        {.pid = 7, .argc = 2, .argv = argv, .site_count = 2, .sites = first},
        {.pid = 8, .executable = (char *)"/bin/other", .site_count = 1, .sites = second},
    };
    struct report report = {2, processes};
    char *text = rendered(render_folded, &report, EXPORT_BYTES);
    assert_string_equal(text, "other (pid 8);main 5\ntool?x (pid 7);main 30\n");
    free(text);
}

static void test_speedscope_frames_by_name(void **state)
{
    (void)state;
    struct report_site sites[] = {site(1, 1, 2, 64), site(2, 3, 1, 32)};
    struct report_process process = {.pid = 7, .executable = (char *)"/bin/prog", .site_count = 2, .sites = sites};
    struct report report = {1, &process};
    char *text = rendered(render_speedscope, &report, EXPORT_ALLOCATIONS);
    assert_non_null(strstr(text, "\"unit\":\"none\",\"startValue\":0,\"endValue\":3,\"samples\":[[0,1,2],[0]],"
                                 "\"weights\":[2,1]}"));
    assert_non_null(strstr(text, "{\"name\":\"main\",\"file\":\"main.c\"},\n{\"name\":\"??? (in /lib/libplugin.so)\"},"
                                 "\n{\"name\":\"odd;name?here\",\"file\":\"odd.c\"}]}}\n"));
    assert_non_null(strstr(text, "\"name\":\"prog (pid 7)\""));
    free(text);
}

static void test_massif_sums_callers_below_the_threshold(void **state)
{
    (void)state;
    struct report_site sites[] = {site(1, 3, 1, 1000), site(2, 2, 1, 5), site(3, 1, 1, 4)};
    sites[0].peak_bytes = 1000;
    struct report_process process = {.pid = 7, .executable = (char *)"/bin/prog", .site_count = 3, .sites = sites};
    struct heap_sample samples[] = {{.time_ns = 1000000, .heap_bytes = 10}, {.time_ns = 4000000, .heap_bytes = 1009},
                                    {.time_ns = 9000000, .heap_bytes = 1}};
    struct process_timeline timeline = {.sample_count = 3, .samples = samples};
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    assert_int_equal(render_massif(out, &process, &timeline, EXPORT_PEAK), 0);
    fclose(out);
    assert_non_null(strstr(text, "cmd: /bin/prog\ntime_unit: ms\n"));
    assert_non_null(strstr(text, "time=3\nmem_heap_B=1009\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=peak\n"
                                 "n2: 1009 (heap allocation functions) malloc/new/new[], --alloc-fns, etc.\n"
                                 " n0: 1000 0x13: main (main.c:9)\n"
                                 " n0: 9 in 2 places, below massif's threshold (1.00%)\n"));
    assert_non_null(strstr(text, "time=8\nmem_heap_B=1\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folded_names_are_safe_and_people_frames_only),
        cmocka_unit_test(test_folded_merges_equal_names_and_names_processes),
        cmocka_unit_test(test_speedscope_frames_by_name),
        cmocka_unit_test(test_massif_sums_callers_below_the_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
