/*
 * reader.h - opening a trace for reading, and saying why it cannot be used.
 *
 * A trace is an SQLite file written by `memtrack run` (schema: trace/schema.sql).
 * Traces travel between machines and may be truncated, damaged or not traces at
 * all, so trace_open() validates before anything reads it, and every later read
 * reports trouble through trace_fail()/trace_fail_sql() instead of trusting it.
 */
#ifndef MEMTRACK_TRACE_READER_H
#define MEMTRACK_TRACE_READER_H

#include <sqlite3.h>
#include <stdbool.h>

/* The newest meta.schema_version this build understands is the one it
 * writes, MT_SCHEMA_VERSION (schema.sql's user_version, in schema_sql.h).
 * It reads older traces too: version 3 changed how stacks and modules are
 * stored, and analyse/stacks.c reads both layouts. */

#define TRACE_STATEMENT_CACHE 16

struct trace {
    sqlite3 *db;
    const char *path;
    long schema_version; /* meta.schema_version, once trace_open() has checked it */
    bool complete;       /* meta.complete is 1: `memtrack run` ended and stored every process */
    char problem[512]; /* the first failure, for people: "damaged: ..."; "" when none */
    /* Prepared statements kept by the text of their SQL (the analyses run the
     * same query once per stack: preparing it each time dominated big traces). */
    struct {
        const char *sql;
        sqlite3_stmt *statement;
    } cache[TRACE_STATEMENT_CACHE];
    /* The stacks rows analyse/stacks.c has read (stacks share rows), and how
     * to free them; both NULL until it reads one. */
    void *stack_rows;
    void (*free_stack_rows)(void *stack_rows);
};

/* Why a trace that is not complete cannot be judged, for messages: it holds
 * only the processes stored before the run stopped. */
#define TRACE_INCOMPLETE                                                                                         \
    "incomplete: memtrack run did not store every process (it was killed or is still running, or a process "     \
    "could not be written)"

int trace_open(struct trace *trace, const char *path);
/* trace_open without SQLite's structural check, for a command that reads
 * all it uses before it writes anything (`memtrack view`): the reading
 * meets damage where the check would, and says "damaged:" as it does, while
 * the check first read a compiler's trace once more (a tenth of the page's
 * time).  A part the command does not read is not judged. */
int trace_open_unchecked(struct trace *trace, const char *path);
void trace_close(struct trace *trace);

/* Tells whether TABLE has COLUMN (columns added by compatible schema changes
 * are absent from older traces): 1 yes, 0 no, -1 failure recorded. */
int trace_has_column(struct trace *trace, const char *table, const char *column);

int trace_fail(struct trace *trace, const char *format, ...) __attribute__((format(printf, 2, 3)));
int trace_fail_sql(struct trace *trace, const char *context);

#endif
