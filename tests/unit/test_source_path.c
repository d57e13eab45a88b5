/*
 * test_source_path.c - source paths as the text outputs show them
 * (cli/output/source_path.c): folded, and relative to the working directory when
 * under it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/source_path.h"

/* What write_source_path writes for PATH. */
static char *shown(const char *path)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    write_source_path(out, path);
    fclose(out);
    return text;
}

static void assert_shown(const char *path, const char *expected)
{
    char *text = shown(path);
    if (strcmp(text, expected) != 0)
        fail_msg("'%s' shown as '%s', want '%s'", path, text, expected);
    free(text);
}

static void test_paths(void **state)
{
    (void)state;
    assert_int_equal(chdir("/usr/share"), 0); /* before the first call: the working directory is read once */
    assert_shown("./string/./string/strdup.c", "string/strdup.c"); /* glibc's relative directory, joined twice */
    assert_shown("./string/strdup.c", "string/strdup.c");
    assert_shown("stringx/string/a.c", "stringx/string/a.c");
    assert_shown("/usr/usr/a.c", "/usr/usr/a.c");                 /* an absolute path is what it says */
    assert_shown("/work/main/build/../examples/leaky.c", "/work/main/examples/leaky.c");
    assert_shown("/usr/share/doc/x.c", "doc/x.c");                /* under the working directory */
    assert_shown("/usr/share/../share/doc/x.c", "doc/x.c");
    assert_shown("/usr/shared/x.c", "/usr/shared/x.c");           /* a longer name is not under it */
    assert_shown("/usr/share", "/usr/share");
    assert_shown("../../a/./b//c.h", "../../a/b/c.h");            /* a relative path keeps its leading .. */
    assert_shown("a/../../b.c", "../b.c");
    assert_shown("/../../etc/x", "/etc/x");                       /* the root is its own parent */
    assert_shown("a/..", ".");
    assert_shown("//usr///lib//x.c", "/usr/lib/x.c");
    assert_shown("/", "/");
    assert_shown("x\nPASS.c", "x?PASS.c");                      /* printable, as every name from a trace */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
