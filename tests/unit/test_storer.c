/*
 * test_storer.c - the storer (cli/run/storer.c): the run's last process,
 * handed over with storer_store_at_close, waits for storer_close and is
 * stored there, on the caller's thread (the storer's own runs at nice 10).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "collect/process.h"
#include "record_encoder.h"
#include "run/storer.h"
#include "trace/writer.h"

static char temp_dir[] = "/tmp/memtrack-test-storer-XXXXXX";
static char trace_path[sizeof temp_dir + 16];

/* The thread each process was stored on, told by the writer's progress. */
static pid_t storing_thread;

static void note_storing_thread(void *context, const struct stored_process *process, size_t done, size_t total)
{
    storing_thread = gettid();
}

static void test_the_last_process_is_stored_by_close_on_the_callers_thread(void **state)
{
    assert_non_null(mkdtemp(temp_dir));
    snprintf(trace_path, sizeof trace_path, "%s/t.trace", temp_dir);
    char err[512];
    struct trace_writer *w = trace_writer_open(trace_path, "memtrack run ./prog", err, sizeof err);
    assert_non_null(w);
    trace_writer_on_progress(w, note_storing_thread, NULL);
    static struct batch_encoder e;
    encoder_start(&e, 100);
    const char *argv[] = {"./prog", NULL};
    struct mt_process *p = process_new(encode_hello(&e, 100, 1, argv, "/abs/prog"));
    assert_non_null(p);
    p->ordinal = 1;

    struct storer s;
    storer_init(&s, w, 0, NULL);
    storer_store_at_close(&s, p);
    assert_true(p->storing.handed_over);
    assert_null(s.first); /* nothing for the thread to take */
    assert_int_equal(storer_close(&s), 0);
    assert_int_equal(storing_thread, gettid());
    assert_int_equal(trace_writer_close(w, 1), 0);
    process_free(p);

    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(trace_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM processes WHERE pid = 100", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
    unlink(trace_path);
    rmdir(temp_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_last_process_is_stored_by_close_on_the_callers_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
