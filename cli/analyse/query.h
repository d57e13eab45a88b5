/*
 * query.h - running the analyses' SQL and reading result columns without
 * trusting them.  SQLite stores any value in any column, so every read checks
 * the type (and sign, for counts) and records "damaged: CONTEXT: COLUMN ..." on
 * the trace instead of returning nonsense.  Reads are sticky: after a failure
 * they return zero/NULL and the caller checks `failed` once per row.
 */
#ifndef MEMTRACK_ANALYSE_QUERY_H
#define MEMTRACK_ANALYSE_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "analyse/model.h"
#include "trace/reader.h"

/* Handles one result row, usually by appending to TARGET; 0 or -1 to stop. */
typedef int row_handler(struct trace *trace, sqlite3_stmt *statement, void *target);

int query_each_row(struct trace *trace, const char *sql, int64_t parameter, const char *context,
                   row_handler *handle, void *target);
/* The same, binding LIMIT to ?2 for SQL that reads only its first rows. */
int query_first_rows(struct trace *trace, const char *sql, int64_t parameter, int64_t limit, const char *context,
                     row_handler *handle, void *target);

struct row_reader {
    struct trace *trace;
    sqlite3_stmt *statement;
    char context[80]; /* which row, for messages: "errors row 7" */
    bool failed;
};

void row_start(struct row_reader *row, struct trace *trace, sqlite3_stmt *statement, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
int64_t row_integer(struct row_reader *row, int column);
int64_t row_count(struct row_reader *row, int column);
struct maybe_int row_maybe_integer(struct row_reader *row, int column);
struct maybe_int row_maybe_count(struct row_reader *row, int column);
char *row_maybe_text(struct row_reader *row, int column);
char *row_text(struct row_reader *row, int column);
int row_name(struct row_reader *row, int column, const char *const names[], size_t count);
int row_maybe_name(struct row_reader *row, int column, const char *const names[], size_t count);

#endif
