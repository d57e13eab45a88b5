/*
 * test_writer.c - the trace writer (cli/trace/writer.c) round trip: processes
 * built from records are stored, then read back twice, with plain SQL against
 * cli/trace/schema.sql and through the report's reader and analyses.  Return
 * addresses lie outside every module or in one whose file is missing, so
 * every symbol is NULL.  Also: an existing file is never overwritten, and a
 * trace that cannot be created says why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyse/analyse.h"
#include "collect/decoder.h"
#include "collect/process.h"
#include "record_encoder.h"
#include "symbolize/symbolize.h"
#include "trace/names.h"
#include "trace/reader.h"
#include "trace/writer.h"

#define MS 1000000ull
#define MISSING_MODULE "/nonexistent/libfoo.so"

/* The return addresses of the stacks below; HIGH is stored as a negative integer. */
#define CALLER 0x401000ull
#define MAIN 0x402000ull
#define IN_MODULE 0x7f0000001234ull
#define HIGH 0xffffffffff600400ull
#define BAD_FREE 0x403000ull
enum { STACK_A = 1, STACK_B = 2, STACK_C = 3, STACK_ERROR = 4 };

static char temp_dir[] = "/tmp/memtrack-test-writer-XXXXXX";
static char trace_path[sizeof temp_dir + 16];

static int make_temp_dir(void **state)
{
    if (!mkdtemp(temp_dir))
        return -1;
    snprintf(trace_path, sizeof trace_path, "%s/t.trace", temp_dir);
    return 0;
}

static int remove_temp_dir(void **state)
{
    return rmdir(temp_dir);
}

/* Each test leaves no trace behind, even when it fails half-way. */
static int remove_trace(void **state)
{
    unlink(trace_path);
    return 0;
}

/* Stores P as the storer does: through the view the collector hands over. */
static int write_process(struct trace_writer *w, const struct mt_process *p, struct symbolizer *sym)
{
    struct stored_process stored = process_stored(p);
    return trace_write_process(w, &stored, sym);
}

static int apply_record(void *ctx, uint32_t tid, const struct mt_record_header *rec)
{
    process_apply(ctx, rec);
    return 0;
}

/* A process that exited after a leak scan: three allocation sites, where A
 * peaks before the process's peak, B makes it and C holds steady; two live
 * blocks, two bad frees, a mark.  The heap: 110, 170, 60 in three 10 ms
 * intervals.  libtrack's own counters (EXIT) saw one allocation and free more
 * than the records: a lost batch. */
static struct mt_process *sample_process(void)
{
    static struct batch_encoder e;
    encoder_start(&e, 100);
    const char *argv[] = {"./prog", "a b", NULL};
    struct mt_rec_hello *hello = encode_hello(&e, 100, 1, argv, "/abs/prog");
    hello->start_ns = 1700000000000000000ull;
    struct mt_process *p = process_new(hello);
    assert_non_null(p);

    encoder_start(&e, 100);
    const unsigned char build_id[] = {0xab, 0xcd};
    encode_module(&e, 0x7f0000000000, 0x7f0000001000, 0x7f0000002000, build_id, sizeof build_id, MISSING_MODULE);
    encode_stack(&e, STACK_A, (const uint64_t[]){CALLER, MAIN}, 2);
    encode_stack(&e, STACK_B, (const uint64_t[]){IN_MODULE, MAIN}, 2);
    encode_stack(&e, STACK_C, (const uint64_t[]){HIGH}, 1)->truncated = 1;
    encode_stack(&e, STACK_ERROR, (const uint64_t[]){BAD_FREE}, 1);
    encode_alloc(&e, 1, 0x1000, 100, 1 * MS, STACK_A);
    encode_alloc(&e, 2, 0x2000, 10, 2 * MS, STACK_C);
    encode_free(&e, 1, 13 * MS, 1);
    encode_mark(&e, 13 * MS, "phase two");
    encode_alloc(&e, 3, 0x3000, 160, 14 * MS, STACK_B)->h.extra = MT_FN_NEW;
    encode_free(&e, 3, 25 * MS, 0);
    encode_alloc(&e, 4, 0x4000, 50, 26 * MS, STACK_A);
    encode_fixed(&e, struct mt_rec_error, .h = {.type = MT_REC_ERROR, .extra = MT_ERR_DOUBLE_FREE},
                 .address = 0x1000, .size = 100, .offset = 0, .time_ns = 27 * MS, .stack = STACK_ERROR,
                 .alloc_stack = STACK_A, .alloc_function = MT_FN_MALLOC, .free_function = MT_FN_FREE, .block = 1);
    encode_fixed(&e, struct mt_rec_error, .h = {.type = MT_REC_ERROR, .extra = MT_ERR_INVALID_FREE},
                 .address = 0x9999, .size = UINT64_MAX, .offset = UINT64_MAX, .time_ns = 28 * MS,
                 .stack = STACK_ERROR, .free_function = MT_FN_DELETE);
    encode_fixed(&e, struct mt_rec_verdict, .h = {.type = MT_REC_VERDICT, .extra = MT_LEAK_DEFINITE}, .block = 4);
    encode_fixed(&e, struct mt_rec_verdict, .h = {.type = MT_REC_VERDICT, .extra = MT_LEAK_REACHABLE}, .block = 2,
                 .heuristic = MT_HEURISTIC_NEWARRAY);
    encode_fixed(&e, struct mt_rec_exit, .h = {.type = MT_REC_EXIT, .extra = 1}, .status = 3, .allocations = 5,
                 .frees = 3, .current_bytes = 60, .peak_bytes = 170, .peak_ns = 14 * MS);
    const char *why = NULL;
    assert_int_equal(mt_decode_batch(e.bytes, e.len, apply_record, p, &why), 0);
    process_sample_from_outside(p, 15 * MS, 1228800); /* the RSS read in interval 1 */
    process_sample_from_outside(p, 45 * MS, 1331200); /* and in interval 4, which had no sample */
    p->end_ns = 1700000000900000000ull;
    p->ordinal = 1;
    process_add_note(p, "first note");
    process_add_note(p, "second note");
    return p;
}

/* A process of "./prog" that said hello, and E started on its next batch. */
static struct mt_process *plain_process(struct batch_encoder *e)
{
    encoder_start(e, 100);
    const char *argv[] = {"./prog", NULL};
    struct mt_process *p = process_new(encode_hello(e, 100, 1, argv, "/abs/prog"));
    assert_non_null(p);
    encoder_start(e, 100);
    return p;
}

/* A program memtrack could not preload into, killed by SIGKILL. */
static struct mt_process *killed_stand_in(void)
{
    char *argv[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
    struct mt_process *p = process_stand_in(101, 100, argv, "/bin/sh", MT_UNTRACED_SILENT);
    assert_non_null(p);
    p->ending.wait_status_known = 1;
    p->ending.wait_status = 9; /* as waitpid reports SIGKILL */
    p->ordinal = 2;
    return p;
}

/* Writes the two processes to trace_path, complete. */
static void write_sample_trace(void)
{
    char err[512] = "";
    struct trace_writer *w = trace_writer_open(trace_path, "memtrack run ./prog 'a b'", err, sizeof err);
    assert_non_null(w);
    assert_string_equal(err, "");
    struct symbolizer *sym = symbolizer_new();
    assert_non_null(sym);
    struct mt_process *p = sample_process(), *q = killed_stand_in();
    assert_int_equal(write_process(w, p, sym), 0);
    assert_int_equal(write_process(w, q, sym), 0);
    assert_int_equal(trace_writer_close(w, 1), 0);
    symbolizer_free(sym);
    process_free(p);
    process_free(q);
}

/* The first column of the first row of `sql`, as text ("NULL" for NULL). */
static char *sql_value(sqlite3 *db, const char *sql)
{
    static char value[4096];
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *text = (const char *)sqlite3_column_text(st, 0);
    snprintf(value, sizeof value, "%s", text ? text : "NULL");
    sqlite3_finalize(st);
    return value;
}

/* Each stack as the hex addresses of its frames, innermost first: the frames
 * of its chain of rows, each row's outer_skip leaving out the first frames of
 * the next. */
#define STACK_TEXT_SQL                                                                                      \
    "WITH RECURSIVE chain(start, link, skip, frames, outer_id, outer_skip) AS ("                            \
    " SELECT id, 0, 0, frames, outer_id, outer_skip FROM stacks UNION ALL"                                  \
    " SELECT c.start, c.link + 1, c.outer_skip, s.frames, s.outer_id, s.outer_skip"                         \
    " FROM chain AS c JOIN stacks AS s ON s.id = c.outer_id),"                                              \
    " stack_text(id, text) AS (SELECT s.id, (SELECT group_concat(address, ' ') FROM"                        \
    " (SELECT printf('%x', f.address) AS address FROM chain AS c, json_each(c.frames) AS j"                 \
    "  JOIN frames AS f ON f.id = j.value WHERE c.start = s.id AND j.key >= c.skip"                         \
    "  ORDER BY c.link, j.key)) FROM stacks AS s) "

static void test_the_trace_holds_every_row(void **state)
{
    write_sample_trace();
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(trace_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);

    assert_string_equal(sql_value(db, "SELECT group_concat(key || '=' || value, ';') FROM"
                                      " (SELECT * FROM meta WHERE key != 'memtrack_version' ORDER BY key)"),
                        "command=memtrack run ./prog 'a b';complete=1;schema_version=4");
    assert_string_equal(sql_value(db, "SELECT value FROM meta WHERE key = 'memtrack_version'"), MEMTRACK_VERSION);

    assert_string_equal(
        sql_value(db, "SELECT group_concat(printf('%d|%d|%s|%s|%s|%s|%s|%s|%s|%d|%d|%d|%d|%d|%s|%d|%s', pid,"
                      " parent_pid, argv, executable, quote(start_ns), quote(end_ns), quote(exit_code),"
                      " quote(exit_signal), end_reason, leak_scan, allocations, frees, allocated_bytes,"
                      " peak_bytes, quote(peak_ns), temporary_allocations, quote(note)), ';')"
                      " FROM (SELECT * FROM processes ORDER BY id)"),
        "100|1|[\"./prog\",\"a b\"]|/abs/prog|1700000000000000000|1700000000900000000|3|NULL|exit|1|5|3|320|170|"
        "14000000|1|'first note; second note';"
        "101|100|[\"/bin/sh\",\"-c\",\"kill -9 $$\"]|/bin/sh|0|NULL|NULL|9|signal|0|0|0|0|0|0|0|NULL");

    assert_string_equal(sql_value(db, "SELECT group_concat(printf('%s|%s|%x|%x|%x', path, build_id, base, start,"
                                      " end), ';') FROM modules JOIN objects ON objects.id = object_id"),
                        MISSING_MODULE "|abcd|7f0000000000|7f0000001000|7f0000002000");

    /* each return address once, whatever the number of stacks it is in; no symbols */
    assert_string_equal(sql_value(db, "SELECT group_concat(printf('%x|%s|%s|%s|%s|%d', address, quote(path),"
                                      " quote(function), quote(file), quote(line), inlined), ';')"
                                      " FROM (SELECT * FROM frames LEFT JOIN objects ON objects.id = object_id"
                                      "       ORDER BY address)"),
                        "ffffffffff600400|NULL|NULL|NULL|NULL|0;"
                        "401000|NULL|NULL|NULL|NULL|0;402000|NULL|NULL|NULL|NULL|0;403000|NULL|NULL|NULL|NULL|0;"
                        "7f0000001234|'" MISSING_MODULE "'|NULL|NULL|NULL|0");

    assert_string_equal(sql_value(db, STACK_TEXT_SQL "SELECT group_concat(text || '|' || truncated, ';') FROM"
                                      " (SELECT t.text, s.truncated FROM stack_text AS t JOIN stacks AS s"
                                      "  USING (id) ORDER BY t.text)"),
                        "401000 402000|0;403000|0;7f0000001234 402000|0;ffffffffff600400|1");
    /* stack ids in the order of first use (sites by first allocation: A, C,
     * B; then the error's stack); frame ids by how many rows list them, then
     * in the order the addresses came (each is listed once here: CALLER,
     * MAIN, IN_MODULE, HIGH, BAD_FREE); B's row holds only IN_MODULE, and
     * takes MAIN from A's */
    assert_string_equal(sql_value(db, "SELECT group_concat(printf('%d|%s|%s|%s', id, frames, quote(outer_id),"
                                      " quote(outer_skip)), ';') FROM (SELECT * FROM stacks ORDER BY id)"),
                        "1|[1,2]|NULL|NULL;2|[4]|NULL|NULL;3|[3]|1|1;4|[5]|NULL|NULL");

    /* A peaked before the process did (0 at the peak), B made the peak, C held steady */
    assert_string_equal(sql_value(db, STACK_TEXT_SQL "SELECT group_concat(printf('%s|%d|%d|%d|%d|"
                                      "%d,%d,%d,%d,%d,%d,%d,%d,%d', t.text, allocations, bytes, temporary,"
                                      " peak_bytes, freed_before_1us, freed_before_10us, freed_before_100us,"
                                      " freed_before_1ms, freed_before_10ms, freed_before_100ms, freed_before_1s,"
                                      " freed_before_10s, freed_later), ';') FROM"
                                      " (SELECT * FROM sites AS s JOIN stack_text AS t ON t.id = s.stack_id"
                                      "  ORDER BY t.text) AS t"),
                        "401000 402000|2|150|1|0|0,0,0,0,0,1,0,0,0;"
                        "7f0000001234 402000|1|160|0|160|0,0,0,0,0,1,0,0,0;"
                        "ffffffffff600400|1|10|0|10|0,0,0,0,0,0,0,0,0");

    assert_string_equal(sql_value(db, STACK_TEXT_SQL "SELECT group_concat(printf('%s|%x|%d|%s|%d|%s|%s', t.text,"
                                      " address, size, function, time_ns, kind, quote(heuristic)), ';') FROM"
                                      " (SELECT * FROM blocks AS b JOIN stack_text AS t ON t.id = b.stack_id"
                                      "  ORDER BY address) AS t"),
                        "ffffffffff600400|2000|10|malloc|2000000|reachable|'newarray';"
                        "401000 402000|4000|50|malloc|26000000|definite|NULL");

    assert_string_equal(
        sql_value(db, STACK_TEXT_SQL "SELECT group_concat(printf('%s|%x|%s|%s|%s|%s|%s|%s|%s|%d', type, address,"
                      " quote(size), quote(offset), quote(alloc_function), free_function,"
                      " quote((SELECT text FROM stack_text WHERE id = stack_id)),"
                      " quote((SELECT text FROM stack_text WHERE id = alloc_stack_id)),"
                      " quote(first_free_stack_id), time_ns), ';') FROM (SELECT * FROM errors ORDER BY id)"),
        "double_free|1000|100|0|'malloc'|free|'403000'|'401000 402000'|NULL|27000000;"
        "invalid_free|9999|NULL|NULL|NULL|operator delete|'403000'|NULL|NULL|28000000");

    assert_string_equal(sql_value(db, "SELECT group_concat(time_ns || '|' || label, ';') FROM marks"),
                        "13000000|phase two");
    assert_string_equal(sql_value(db, "SELECT group_concat(printf('%d|%d|%s', time_ns, heap_bytes,"
                                      " quote(rss_bytes)), ';') FROM (SELECT * FROM timeline ORDER BY time_ns)"),
                        "2000000|110|NULL;14000000|170|1228800;26000000|60|NULL;45000000|60|1331200");
    /* each at the time its interval's highest heap was reached; RSS where it was read */
    /* every reference points at a row of the same process */
    assert_string_equal(sql_value(db, "SELECT (SELECT count(*) FROM sites JOIN stacks ON stacks.id = stack_id"
                                      "         WHERE stacks.process_id != sites.process_id)"
                                      "     + (SELECT count(*) FROM blocks WHERE stack_id NOT IN"
                                      "         (SELECT id FROM stacks))"
                                      "     + (SELECT count(*) FROM stacks, json_each(stacks.frames) AS j"
                                      "         WHERE j.value NOT IN (SELECT id FROM frames))"
                                      "     + (SELECT count(*) FROM stacks AS s JOIN stacks AS o ON o.id = s.outer_id"
                                      "         WHERE o.process_id != s.process_id)"
                                      "     + (SELECT count(*) FROM frames WHERE object_id NOT IN (SELECT id FROM objects))"
                                      "     + (SELECT count(*) FROM modules WHERE object_id NOT IN (SELECT id FROM objects))"),
                        "0");
    sqlite3_close(db);
}

/* Asserts the stack's frames have these addresses and no symbols. */
static void assert_unsymbolized_stack(const struct report_stack *stack, const uint64_t *addresses, size_t depth)
{
    assert_true(stack->present);
    assert_int_equal(stack->depth, depth);
    for (size_t i = 0; i < depth; i++) {
        assert_int_equal(stack->frames[i].address, addresses[i]);
        assert_null(stack->frames[i].function);
        assert_null(stack->frames[i].file);
        assert_false(stack->frames[i].line.present);
    }
}

static void test_the_report_reads_what_was_written(void **state)
{
    write_sample_trace();
    struct trace trace;
    struct report report;
    assert_int_equal(trace_open(&trace, trace_path), 0);
    assert_int_equal(analyse_trace(&trace, &report, NULL), 0);
    assert_string_equal(trace.problem, "");
    assert_int_equal(report.process_count, 2);

    const struct report_process *p = &report.processes[0];
    assert_int_equal(p->pid, 100);
    assert_int_equal(p->argc, 2);
    assert_string_equal(p->argv[1], "a b");
    assert_true(p->exit_code.present);
    assert_int_equal(p->exit_code.value, 3);
    assert_false(p->exit_signal.present);
    assert_int_equal(p->end_reason, END_EXIT);
    assert_true(p->leak_scan);
    const struct report_summary expected = {.allocations = 5, .frees = 3, .allocated_bytes = 320,
                                            .peak_bytes = 170, .leaked_bytes = 60, .leaked_blocks = 2,
                                            .temporary_allocations = 1};
    assert_memory_equal(&p->summary, &expected, sizeof expected);

    assert_int_equal(p->leak_count, 2);
    assert_int_equal(p->leaks[0].kind, LEAK_DEFINITE);
    assert_int_equal(p->leaks[0].bytes, 50);
    assert_unsymbolized_stack(&p->leaks[0].stack, (const uint64_t[]){CALLER, MAIN}, 2);
    assert_null(p->leaks[0].stack.frames[0].module);
    assert_int_equal(p->leaks[1].kind, LEAK_REACHABLE);
    assert_int_equal(p->leaks[1].blocks, 1);
    assert_unsymbolized_stack(&p->leaks[1].stack, (const uint64_t[]){HIGH}, 1);

    assert_int_equal(p->error_count, 2);
    const struct report_error *double_free = &p->errors[0], *invalid = &p->errors[1];
    assert_int_equal(double_free->type, ERROR_DOUBLE_FREE);
    assert_int_equal(double_free->size.value, 100);
    assert_string_equal(double_free->alloc_function, "malloc");
    assert_unsymbolized_stack(&double_free->stack, (const uint64_t[]){BAD_FREE}, 1);
    assert_unsymbolized_stack(&double_free->alloc_stack, (const uint64_t[]){CALLER, MAIN}, 2);
    assert_false(double_free->first_free_stack.present);
    assert_int_equal(invalid->type, ERROR_INVALID_FREE);
    assert_int_equal(invalid->address, 0x9999);
    assert_false(invalid->size.present);
    assert_false(invalid->offset.present);
    assert_null(invalid->alloc_function);
    assert_string_equal(invalid->free_function, "operator delete");
    assert_false(invalid->alloc_stack.present);

    assert_int_equal(p->site_count, 3); /* largest first */
    assert_unsymbolized_stack(&p->sites[0].stack, (const uint64_t[]){IN_MODULE, MAIN}, 2);
    assert_string_equal(p->sites[0].stack.frames[0].module, MISSING_MODULE);
    assert_int_equal(p->sites[0].peak_bytes, 160);
    assert_int_equal(p->sites[0].leaked_bytes, 0);
    assert_int_equal(p->sites[1].bytes, 150);
    assert_int_equal(p->sites[1].temporary, 1);
    assert_int_equal(p->sites[1].peak_bytes, 0);
    assert_int_equal(p->sites[1].leaked_bytes, 50);
    assert_int_equal(p->sites[2].peak_bytes, 10);
    assert_int_equal(p->sites[2].leaked_bytes, 10);

    const struct report_process *killed = &report.processes[1];
    assert_int_equal(killed->pid, 101);
    assert_int_equal(killed->end_reason, END_SIGNAL);
    assert_int_equal(killed->exit_signal.value, 9);
    assert_false(killed->exit_code.present);
    assert_int_equal(killed->leak_count + killed->error_count + killed->site_count, 0);

    report_free(&report);
    trace_close(&trace);
}

/* A run cut short leaves a readable trace marked incomplete. */
static void test_a_trace_closed_incomplete_says_so(void **state)
{
    char err[512];
    struct trace_writer *w = trace_writer_open(trace_path, "memtrack run x", err, sizeof err);
    assert_non_null(w);
    assert_int_equal(trace_writer_close(w, 0), 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(trace_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_string_equal(sql_value(db, "SELECT value FROM meta WHERE key = 'complete'"), "0");
    assert_string_equal(sql_value(db, "SELECT count(*) FROM processes"), "0");
    sqlite3_close(db);
}

/* Stores P, freed after, as the only process of a new trace, and opens
 * that trace to read. */
static sqlite3 *store_alone(struct mt_process *p)
{
    p->ordinal = 1;
    char err[512];
    struct trace_writer *w = trace_writer_open(trace_path, "memtrack run ./prog", err, sizeof err);
    assert_non_null(w);
    assert_int_equal(write_process(w, p, NULL), 0);
    assert_int_equal(trace_writer_close(w, 1), 0);
    process_free(p);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(trace_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

/* The frame that most stacks rows list gets the smallest id, however late
 * its address came: ids are the bulk of the stacks rows' text.  F is in the
 * rows of B and C (their outer parts differ), X only in A's. */
static void test_frames_listed_most_have_the_smallest_ids(void **state)
{
    enum { F = 0x401100, X = 0x401200, M1 = 0x402100, M2 = 0x402200 };
    static struct batch_encoder e;
    struct mt_process *p = plain_process(&e);
    encode_stack(&e, STACK_A, (const uint64_t[]){X, M1}, 2);
    encode_stack(&e, STACK_B, (const uint64_t[]){F, M2}, 2);
    encode_stack(&e, STACK_C, (const uint64_t[]){F, M1}, 2);
    encode_alloc(&e, 1, 0x1000, 8, 1 * MS, STACK_A);
    encode_alloc(&e, 2, 0x2000, 8, 2 * MS, STACK_B);
    encode_alloc(&e, 3, 0x3000, 8, 3 * MS, STACK_C);
    const char *why = NULL;
    assert_int_equal(mt_decode_batch(e.bytes, e.len, apply_record, p, &why), 0);
    sqlite3 *db = store_alone(p);
    assert_string_equal(sql_value(db, "SELECT printf('%x', address) FROM frames WHERE id = 1"), "401100");
    assert_string_equal(sql_value(db, "SELECT count(*) FROM stacks, json_each(stacks.frames) AS j"
                                      " JOIN frames AS f ON f.id = j.value WHERE f.address = 4198656"),
                        "2");
    sqlite3_close(db);
}

/* A process with enough stacks for their rows to be shared on a thread of
 * their own while its sites and blocks are stored: every stack's row lists
 * only its own innermost frame and names the first row for the rest, and
 * every site and block is there.  Stacks {LEAF + i, MID, MAIN}, one block
 * each, 5,000 of them (the writer's threshold is 4,096). */
static void test_many_stacks_are_shared_beside_the_sites(void **state)
{
    enum { STACKS = 5000, LEAF = 0x410000, MID = 0x402100, MAIN_FRAME = 0x402200 };
    static struct batch_encoder e;
    struct mt_process *p = plain_process(&e);
    const char *why = NULL;
    for (uint32_t i = 0; i < STACKS; i++) {
        if (e.len > MT_BATCH_MAX - 256) {
            assert_int_equal(mt_decode_batch(e.bytes, e.len, apply_record, p, &why), 0);
            encoder_start(&e, 100);
        }
        encode_stack(&e, i + 1, (const uint64_t[]){LEAF + 16 * i, MID, MAIN_FRAME}, 3);
        encode_alloc(&e, i + 1, 0x100000 + 64 * i, 8, (i + 1) * MS, i + 1);
    }
    assert_int_equal(mt_decode_batch(e.bytes, e.len, apply_record, p, &why), 0);
    sqlite3 *db = store_alone(p);
    assert_string_equal(sql_value(db, "SELECT count(*) FROM stacks"), "5000");
    assert_string_equal(sql_value(db, "SELECT count(*) FROM sites"), "5000");
    assert_string_equal(sql_value(db, "SELECT count(*) FROM blocks"), "5000");
    assert_string_equal(sql_value(db, "SELECT count(*) FROM stacks WHERE id != (SELECT min(id) FROM stacks)"
                                      " AND json_array_length(frames) = 1 AND outer_id = (SELECT min(id) FROM stacks)"
                                      " AND outer_skip = 1"),
                        "4999");
    assert_string_equal(sql_value(db, "SELECT count(*) FROM frames"), "5002");
    sqlite3_close(db);
}

/* The words schema 4 computes for blocks.function and blocks.kind from the
 * numbers the writer stores are those of trace/names.c, for every number. */
static void test_block_words_are_the_collectors(void **state)
{
    char err[512];
    struct trace_writer *w = trace_writer_open(trace_path, "memtrack run x", err, sizeof err);
    assert_non_null(w);
    assert_int_equal(trace_writer_close(w, 1), 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(trace_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    for (unsigned f = 0; f < MT_FN_END; f++) {
        char sql[256];
        snprintf(sql, sizeof sql, "INSERT INTO blocks(id, process_id, stack_id, address, size, function_code,"
                                  " kind_code) VALUES (%u, 1, 1, 0, 0, %u, %u)", f + 1, f, f % MT_LEAK_END);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        snprintf(sql, sizeof sql, "SELECT function FROM blocks WHERE id = %u", f + 1);
        assert_string_equal(sql_value(db, sql), mt_function_name(f));
        snprintf(sql, sizeof sql, "SELECT kind FROM blocks WHERE id = %u", f + 1);
        assert_string_equal(sql_value(db, sql), mt_leak_kind_name(f % MT_LEAK_END));
    }
    sqlite3_close(db);
}

/* A process whose transaction is rolled back (its COMMIT refused while a
 * reader holds the file) takes its objects rows with it: the next process
 * loading the same object stores the row again and names it. */
static void test_a_rolled_back_process_leaves_no_object_behind(void **state)
{
    char err[512];
    struct trace_writer *w = trace_writer_open(trace_path, "memtrack run ./prog", err, sizeof err);
    assert_non_null(w);
    struct symbolizer *sym = symbolizer_new();
    assert_non_null(sym);
    sqlite3 *reader;
    assert_int_equal(sqlite3_open_v2(trace_path, &reader, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM meta", NULL, NULL, NULL), SQLITE_OK);
    struct mt_process *refused = sample_process();
    assert_int_equal(write_process(w, refused, sym), -1);
    assert_int_equal(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(reader);
    struct mt_process *stored = sample_process();
    assert_int_equal(write_process(w, stored, sym), 0);
    assert_int_equal(trace_writer_close(w, 1), 0);
    symbolizer_free(sym);
    process_free(refused);
    process_free(stored);

    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(trace_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_string_equal(sql_value(db, "SELECT count(*) FROM processes"), "1");
    assert_string_equal(sql_value(db, "SELECT group_concat(path || '|' || build_id, ';') FROM objects"),
                        MISSING_MODULE "|abcd");
    assert_string_equal(sql_value(db, "SELECT group_concat(path, ';') FROM modules JOIN objects"
                                      " ON objects.id = modules.object_id"),
                        MISSING_MODULE);
    sqlite3_close(db);
}

static void test_an_existing_file_is_never_overwritten(void **state)
{
    FILE *f = fopen(trace_path, "w");
    assert_non_null(f);
    fputs("precious", f);
    fclose(f);
    char err[512], expected[600], content[16] = "";
    assert_null(trace_writer_open(trace_path, "memtrack run x", err, sizeof err));
    snprintf(expected, sizeof expected, "cannot create trace %s: %s", trace_path, strerror(EEXIST));
    assert_string_equal(err, expected);
    f = fopen(trace_path, "r");
    assert_non_null(f);
    assert_non_null(fgets(content, sizeof content, f));
    fclose(f);
    assert_string_equal(content, "precious");
}

/* Permission bits do not stop root; sysfs refuses new files to everyone. */
static void test_an_unwritable_directory_gives_a_message(void **state)
{
    char dir[sizeof temp_dir + 16], path[sizeof dir + 16], err[512], expected[600];
    if (geteuid() == 0) {
        snprintf(dir, sizeof dir, "/sys");
    } else {
        snprintf(dir, sizeof dir, "%s/ro", temp_dir);
        assert_int_equal(mkdir(dir, 0555), 0);
    }
    snprintf(path, sizeof path, "%s/t.trace", dir);
    assert_null(trace_writer_open(path, "memtrack run x", err, sizeof err));
    snprintf(expected, sizeof expected, "cannot create trace %s: %s", path, strerror(EACCES));
    assert_string_equal(err, expected);
    assert_int_equal(access(path, F_OK), -1);
    if (geteuid() != 0)
        assert_int_equal(rmdir(dir), 0);
}


/* One record whose fields lie out of their range, as a buggy or hostile
 * program could send: what it spoils in a valid batch.  Each is dropped and
 * counted in the process's note, and the trace stays readable (before, five of
 * them made the reader refuse the whole trace). */
struct spoiled {
    const char *what;
    void (*spoil)(struct batch_encoder *e);
    int kept; /* stored as it is: the writer copes (a stack never defined is stored empty) */
};

static void huge_allocation(struct batch_encoder *e) { encode_alloc(e, 9, 0x9000, 1ull << 63, 3 * MS, STACK_A); }
static void unknown_allocator(struct batch_encoder *e) { encode_alloc(e, 9, 0x9000, 8, 3 * MS, STACK_A)->h.extra = 999; }
static void release_as_allocator(struct batch_encoder *e) { encode_alloc(e, 9, 0x9000, 8, 3 * MS, STACK_A)->h.extra = MT_FN_FREE; }
static void undefined_stack(struct batch_encoder *e) { encode_alloc(e, 9, 0x9000, 8, 3 * MS, 4242); }
static void unknown_error(struct batch_encoder *e)
{
    encode_fixed(e, struct mt_rec_error, .h = {.type = MT_REC_ERROR, .extra = 99}, .address = 0x1000, .size = 8,
                 .offset = 0, .stack = STACK_A, .free_function = MT_FN_FREE);
}
static void huge_error_size(struct batch_encoder *e)
{
    encode_fixed(e, struct mt_rec_error, .h = {.type = MT_REC_ERROR, .extra = MT_ERR_INVALID_FREE}, .address = 0x1000,
                 .size = 1ull << 63, .offset = 1ull << 63, .stack = STACK_A, .free_function = MT_FN_FREE);
}
static void unknown_release_function(struct batch_encoder *e)
{
    encode_fixed(e, struct mt_rec_error, .h = {.type = MT_REC_ERROR, .extra = MT_ERR_INVALID_FREE}, .address = 0x1000,
                 .size = UINT64_MAX, .offset = UINT64_MAX, .stack = STACK_A, .free_function = 999, .alloc_function = 998);
}
static void error_with_undefined_stack(struct batch_encoder *e)
{
    encode_fixed(e, struct mt_rec_error, .h = {.type = MT_REC_ERROR, .extra = MT_ERR_INVALID_FREE}, .address = 0x1000,
                 .size = UINT64_MAX, .offset = UINT64_MAX, .stack = 4343, .free_function = MT_FN_FREE);
}
static void unknown_verdict(struct batch_encoder *e)
{
    encode_alloc(e, 9, 0x9000, 8, 3 * MS, STACK_A);
    encode_fixed(e, struct mt_rec_verdict, .h = {.type = MT_REC_VERDICT, .extra = 77}, .block = 9);
}
static void unknown_heuristic(struct batch_encoder *e)
{
    encode_alloc(e, 9, 0x9000, 8, 3 * MS, STACK_A);
    encode_fixed(e, struct mt_rec_verdict, .h = {.type = MT_REC_VERDICT, .extra = MT_LEAK_REACHABLE}, .block = 9,
                 .heuristic = MT_HEURISTIC_END);
}
static void heuristic_on_a_lost_block(struct batch_encoder *e)
{
    encode_alloc(e, 9, 0x9000, 8, 3 * MS, STACK_A);
    encode_fixed(e, struct mt_rec_verdict, .h = {.type = MT_REC_VERDICT, .extra = MT_LEAK_POSSIBLE}, .block = 9,
                 .heuristic = MT_HEURISTIC_STDSTRING);
}
static void huge_exit_counts(struct batch_encoder *e)
{
    encode_fixed(e, struct mt_rec_exit, .h = {.type = MT_REC_EXIT, .extra = 1}, .status = 0,
                 .allocations = 1ull << 63, .frees = 1ull << 63, .current_bytes = 1ull << 63,
                 .peak_bytes = 1ull << 63, .peak_ns = 1ull << 63);
}
static void sizes_summing_past_2_63(struct batch_encoder *e)
{
    encode_alloc(e, 9, 0x9000, 3ull << 61, 3 * MS, STACK_A);
    encode_alloc(e, 10, 0xa000, 3ull << 61, 4 * MS, STACK_A);
}
static void huge_times(struct batch_encoder *e)
{
    encode_alloc(e, 9, 0x9000, 8, UINT64_MAX, STACK_A);
    encode_mark(e, UINT64_MAX, "late");
}

static void test_records_out_of_range_leave_the_trace_readable(void **state)
{
    static const struct spoiled cases[] = {
        {"an allocation of 2^63 bytes", huge_allocation, 0}, {"an unknown allocator", unknown_allocator, 0},
        {"free as an allocator", release_as_allocator, 0}, {"an undefined stack", undefined_stack, 1},
        {"an unknown error type", unknown_error, 0}, {"an error size of 2^63", huge_error_size, 0},
        {"unknown functions in an error", unknown_release_function, 0},
        {"an error on an undefined stack", error_with_undefined_stack, 1}, {"an unknown verdict", unknown_verdict, 0},
        {"an unknown heuristic", unknown_heuristic, 0}, {"a heuristic on a possible leak", heuristic_on_a_lost_block, 0},
        {"exit counts of 2^63", huge_exit_counts, 0}, {"times at the end of time", huge_times, 0},
        {"sizes that sum past 2^63", sizes_summing_past_2_63, 0},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static struct batch_encoder e;
        struct mt_process *p = plain_process(&e);
        encode_stack(&e, STACK_A, (const uint64_t[]){CALLER, MAIN}, 2);
        encode_alloc(&e, 1, 0x1000, 100, 1 * MS, STACK_A);
        cases[i].spoil(&e);
        const char *why = NULL;
        mt_decode_batch(e.bytes, e.len, apply_record, p, &why);
        p->ordinal = 1;
        char err[512] = "";
        struct trace_writer *w = trace_writer_open(trace_path, "memtrack run ./prog", err, sizeof err);
        assert_non_null(w);
        struct symbolizer *sym = symbolizer_new();
        int stored = write_process(w, p, sym);
        assert_int_equal(trace_writer_close(w, 1), 0);
        symbolizer_free(sym);
        process_free(p);
        struct trace trace;
        struct report report;
        int opened = trace_open(&trace, trace_path) == 0;
        int analysed = opened && analyse_trace(&trace, &report, NULL) == 0;
        if (stored != 0 || !analysed) {
            print_message("%s: stored %d, read %d: %s\n", cases[i].what, stored, analysed, opened ? trace.problem : "");
            failed++;
        }
        if (analysed)
            report_free(&report);
        if (opened)
            trace_close(&trace);
        sqlite3 *db;
        assert_int_equal(sqlite3_open(trace_path, &db), SQLITE_OK);
        const char *note = sql_value(db, "SELECT note FROM processes");
        int dropped = strstr(note, "records with fields out of range were dropped") != NULL;
        sqlite3_close(db);
        /* an unknown verdict or a time at the end of time is dropped as well: none of them passes unseen */
        if (dropped == cases[i].kept) {
            print_message("%s: the note says %s\n", cases[i].what, note);
            failed++;
        }
        unlink(trace_path);
    }
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_the_trace_holds_every_row, remove_trace),
        cmocka_unit_test_teardown(test_the_report_reads_what_was_written, remove_trace),
        cmocka_unit_test_teardown(test_a_trace_closed_incomplete_says_so, remove_trace),
        cmocka_unit_test_teardown(test_frames_listed_most_have_the_smallest_ids, remove_trace),
        cmocka_unit_test_teardown(test_many_stacks_are_shared_beside_the_sites, remove_trace),
        cmocka_unit_test_teardown(test_block_words_are_the_collectors, remove_trace),
        cmocka_unit_test_teardown(test_a_rolled_back_process_leaves_no_object_behind, remove_trace),
        cmocka_unit_test_teardown(test_an_existing_file_is_never_overwritten, remove_trace),
        cmocka_unit_test(test_an_unwritable_directory_gives_a_message),
        cmocka_unit_test_teardown(test_records_out_of_range_leave_the_trace_readable, remove_trace),
    };
    return cmocka_run_group_tests(tests, make_temp_dir, remove_temp_dir);
}
