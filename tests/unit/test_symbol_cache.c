/* Unit tests for cli/symbolize/symbol_cache and the symbolizer's use of it: a second symbolizer answers
 * from the cache without reading the object (shown with a copy of the object without its line table, which
 * has the same build-id but no debug information left), a cache file of another layout is left alone, two
 * symbolizers saving into one cache both succeed, saves in steps each store what is new, a run answered by
 * the cache writes nothing, and the size limit drops the least recently used objects. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture_files.h"
#include <sqlite3.h>

#include "symbolize/symbol_cache.h"
#include "symbolize/symbolize.h"

static char tmpdir[] = "/tmp/mt_symbol_cache_XXXXXX";
static char exe[PATH_MAX], stripped[PATH_MAX], no_lines[PATH_MAX], cache_dir[PATH_MAX];
static unsigned long exe_address;
static int exe_line;

/* Builds the non-PIE fixture (its return address is a fixed address) and a copy stripped of everything
 * but its build-id; a fresh cache directory for each test. */
static int group_setup(void **state)
{
    (void)state;
    char src[PATH_MAX], cmd[8 * PATH_MAX];
    if (!mkdtemp(tmpdir))
        return -1;
    fixture_source(src, sizeof src, "symbolize_exec.c");
    snprintf(exe, sizeof exe, "%s/exec", tmpdir);
    snprintf(stripped, sizeof stripped, "%s/exec_stripped", tmpdir);
    snprintf(no_lines, sizeof no_lines, "%s/exec_no_lines", tmpdir);
    snprintf(cmd, sizeof cmd,
             "gcc -g -O1 -no-pie -Wl,--build-id '%s' -o '%s' && objcopy --strip-all '%s' '%s'"
             " && objcopy --remove-section .debug_line '%s' '%s'",
             src, exe, exe, stripped, exe, no_lines);
    if (system(cmd) != 0)
        return -1;
    FILE *p = popen(exe, "r");
    int ok = p && fscanf(p, "%lx %d", &exe_address, &exe_line) == 2;
    return p && pclose(p) == 0 && ok ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return remove_tree(tmpdir);
}

static int setup(void **state)
{
    (void)state;
    static int n;
    snprintf(cache_dir, sizeof cache_dir, "%s/cache%d/memtrack", tmpdir, ++n);
    return 0;
}

/* Resolves the fixture's call site in path, with the cache or without; returns the frame's line. */
static int resolve_line(const char *path, int cached, const char **function)
{
    struct symbolizer *s = symbolizer_new();
    assert_non_null(s);
    if (cached)
        assert_int_equal(symbolizer_use_cache(s, cache_dir), 0);
    struct symbol_frame f[4];
    assert_int_equal(symbolizer_resolve(s, path, 0, exe_address, f, 4), 1);
    int line = f[0].line;
    static char name[64];
    snprintf(name, sizeof name, "%s", f[0].function ? f[0].function : "");
    *function = name;
    if (cached)
        assert_int_equal(symbolizer_save(s), 0);
    symbolizer_free(s);
    return line;
}

static void test_second_run_reads_the_cache(void **state)
{
    (void)state;
    const char *function;
    /* A copy without its line table, same build-id, still with DWARF: alone, it names no line. */
    assert_int_equal(resolve_line(no_lines, 0, &function), 0);
    assert_int_equal(resolve_line(exe, 1, &function), exe_line);
    assert_string_equal(function, "exec_caller");
    /* Its key is the object's: the cache answers, with the line the copy no longer has. */
    assert_int_equal(resolve_line(no_lines, 1, &function), exe_line);
    assert_string_equal(function, "exec_caller");
}

static void test_a_stripped_copy_has_its_own_answers(void **state)
{
    /* The same build-id without any debug information is another key: the stripped copy's answers are not
     * served for the build with DWARF, whichever of the two runs first. */
    (void)state;
    const char *function;
    assert_int_equal(resolve_line(stripped, 1, &function), 0);
    assert_int_equal(resolve_line(exe, 1, &function), exe_line);
    assert_int_equal(resolve_line(stripped, 1, &function), 0);
}

static void test_other_layout_left_alone(void **state)
{
    (void)state;
    char cmd[2 * PATH_MAX], file[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", cache_dir);
    assert_int_equal(system(cmd), 0);
    snprintf(file, sizeof file, "%s/symbols.db", cache_dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99; CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct symbolizer *s = symbolizer_new();
    assert_int_equal(symbolizer_use_cache(s, cache_dir), -1);
    struct symbol_frame f[4];
    assert_int_equal(symbolizer_resolve(s, exe, 0, exe_address, f, 4), 1);
    assert_int_equal(f[0].line, exe_line);
    assert_int_equal(symbolizer_save(s), -1);
    symbolizer_free(s);
    assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "SELECT x FROM t", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_unusable_directory(void **state)
{
    (void)state;
    struct symbolizer *s = symbolizer_new();
    assert_int_equal(symbolizer_use_cache(s, "/dev/null/memtrack"), -1);
    struct symbol_frame f[4];
    assert_int_equal(symbolizer_resolve(s, exe, 0, exe_address, f, 4), 1);
    assert_int_equal(f[0].line, exe_line);
    symbolizer_free(s);
}

static void test_overlapping_savers(void **state)
{
    /* Two symbolizers read the cache before either saves, as two runs started together do. */
    (void)state;
    struct symbolizer *a = symbolizer_new(), *b = symbolizer_new();
    assert_int_equal(symbolizer_use_cache(a, cache_dir), 0);
    assert_int_equal(symbolizer_use_cache(b, cache_dir), 0);
    struct symbol_frame f[4];
    assert_int_equal(symbolizer_resolve(a, exe, 0, exe_address, f, 4), 1);
    assert_int_equal(symbolizer_resolve(b, exe, 0, exe_address, f, 4), 1);
    assert_int_equal(symbolizer_save(a), 0);
    assert_int_equal(symbolizer_save(b), 0);
    symbolizer_free(a);
    symbolizer_free(b);
    const char *function;
    assert_int_equal(resolve_line(no_lines, 1, &function), exe_line);
}

static void test_saves_in_steps(void **state)
{
    /* As the storer saves while the program runs: each save stores what was resolved since the one
     * before, and a later run finds both steps' answers (the copy without a line table has no lines of
     * its own).  Two call sites: the fixture's, and one instruction further. */
    (void)state;
    struct symbolizer *s = symbolizer_new();
    assert_int_equal(symbolizer_use_cache(s, cache_dir), 0);
    struct symbol_frame f[4];
    assert_int_equal(symbolizer_unsaved(s), 0);
    assert_int_equal(symbolizer_resolve(s, exe, 0, exe_address, f, 4), 1);
    int first = f[0].line;
    assert_int_equal(symbolizer_unsaved(s), 1);
    assert_int_equal(symbolizer_save(s), 0);
    assert_int_equal(symbolizer_unsaved(s), 0);
    assert_int_equal(symbolizer_resolve(s, exe, 0, exe_address + 1, f, 4), 1);
    int second = f[0].line;
    assert_int_equal(symbolizer_resolve(s, exe, 0, exe_address, f, 4), 1); /* known: nothing new */
    assert_int_equal(symbolizer_unsaved(s), 1);
    assert_int_equal(symbolizer_save(s), 0);
    assert_int_equal(symbolizer_save(s), 0); /* nothing left: writes nothing */
    symbolizer_free(s);
    assert_true(first > 0 && second > 0);

    struct symbolizer *later = symbolizer_new();
    assert_int_equal(symbolizer_use_cache(later, cache_dir), 0);
    assert_int_equal(symbolizer_resolve(later, no_lines, 0, exe_address, f, 4), 1);
    assert_int_equal(f[0].line, first);
    assert_int_equal(symbolizer_resolve(later, no_lines, 0, exe_address + 1, f, 4), 1);
    assert_int_equal(f[0].line, second);
    assert_int_equal(symbolizer_unsaved(later), 0); /* answered by the cache */
    symbolizer_free(later);
}

/* The `used` of every object in the cache, summed. */
static sqlite3_int64 used_sum(sqlite3 *db)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT total(used) FROM objects", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    sqlite3_int64 sum = (sqlite3_int64)sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return sum;
}

static void test_a_run_answered_by_the_cache_writes_nothing(void **state)
{
    /* While another connection holds the write lock, a run whose answers all came from the cache, of
     * objects marked used today, still saves at once: it writes nothing (a write would wait for the lock,
     * then fail).  An object last marked used long ago is marked again. */
    (void)state;
    const char *function;
    assert_int_equal(resolve_line(exe, 1, &function), exe_line);
    char file[PATH_MAX + 16];
    snprintf(file, sizeof file, "%s/symbols.db", cache_dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(resolve_line(exe, 1, &function), exe_line); /* resolve_line asserts that the save worked */
    assert_int_equal(sqlite3_exec(db, "UPDATE objects SET used = 1; COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(resolve_line(exe, 1, &function), exe_line);
    assert_true(used_sum(db) > 1);
    sqlite3_close(db);
}

/* symbol_cache_lookup's callback where only whether an address is held matters. */
static void count_frames(void *arg, const struct symbol_frame *frames, int n)
{
    (void)arg;
    (void)frames;
    assert_int_equal(n, 1);
}

static void test_size_limit_drops_least_recent(void **state)
{
    /* Four objects of about half a MiB each under a 1 MiB limit: the last one stored stays, the first goes. */
    (void)state;
    setenv("MEMTRACK_SYMBOL_CACHE_MB", "1", 1);
    struct symbol_cache *c = symbol_cache_open(cache_dir);
    assert_non_null(c);
    char name[200];
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = 0;
    for (int object = 0; object < 4; object++) {
        char key[32];
        snprintf(key, sizeof key, "file:%d", object);
        assert_int_equal(symbol_cache_begin(c), 0);
        for (uint64_t rel = 0; rel < 2000; rel++) {
            struct symbol_frame frame = {name, "/src/file.c", (int)rel, 0};
            assert_int_equal(symbol_cache_put(c, key, rel, &frame, 1), 0);
        }
        assert_int_equal(symbol_cache_commit(c), 0); /* in one second, the older id is the less recent */
    }
    assert_int_equal(symbol_cache_object(c, "file:0", NULL), 0);
    int64_t last = symbol_cache_object(c, "file:3", NULL);
    assert_true(last > 0);
    for (uint64_t rel = 0; rel < 2000; rel += 111)
        assert_int_equal(symbol_cache_lookup(c, last, rel, count_frames, NULL), 1);
    assert_int_equal(symbol_cache_lookup(c, last, 2000, count_frames, NULL), 0);
    symbol_cache_close(c);
    unsetenv("MEMTRACK_SYMBOL_CACHE_MB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_second_run_reads_the_cache, setup),
        cmocka_unit_test_setup(test_a_stripped_copy_has_its_own_answers, setup),
        cmocka_unit_test_setup(test_other_layout_left_alone, setup),
        cmocka_unit_test_setup(test_unusable_directory, setup),
        cmocka_unit_test_setup(test_overlapping_savers, setup),
        cmocka_unit_test_setup(test_saves_in_steps, setup),
        cmocka_unit_test_setup(test_a_run_answered_by_the_cache_writes_nothing, setup),
        cmocka_unit_test_setup(test_size_limit_drops_least_recent, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
