/*
 * query.c - prepared statements and checked column reads for the analyses.
 */
#include "analyse/query.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The prepared statement for SQL (one of the analyses' static strings, so
 * its address identifies it), from the trace's cache or newly prepared.
 * *cached says whether it stays in the cache (it is reset, not finalized). */
static sqlite3_stmt *statement_for(struct trace *trace, const char *sql, bool *cached)
{
    int free_slot = -1;
    for (int i = 0; i < TRACE_STATEMENT_CACHE; i++) {
        if (trace->cache[i].sql == sql) {
            *cached = true;
            return trace->cache[i].statement;
        }
        if (free_slot < 0 && trace->cache[i].sql == NULL)
            free_slot = i;
    }
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v3(trace->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, NULL) != SQLITE_OK) {
        sqlite3_finalize(statement);
        return NULL;
    }
    *cached = free_slot >= 0;
    if (*cached) {
        trace->cache[free_slot].sql = sql;
        trace->cache[free_slot].statement = statement;
    }
    return statement;
}

/* Runs SQL (binding PARAMETER to ?1 and LIMIT to ?2, where it has them) and
 * hands every row to HANDLE.  Returns 0, or -1 with the failure recorded: an
 * unexpected table layout, malformed JSON, corruption found late, an
 * overflowing sum... */
int query_first_rows(struct trace *trace, const char *sql, int64_t parameter, int64_t limit, const char *context,
                     row_handler *handle, void *target)
{
    bool cached;
    sqlite3_stmt *statement = statement_for(trace, sql, &cached);
    if (statement == NULL)
        return trace_fail_sql(trace, context);
    if (sqlite3_bind_parameter_count(statement) > 0)
        sqlite3_bind_int64(statement, 1, parameter);
    if (sqlite3_bind_parameter_count(statement) > 1)
        sqlite3_bind_int64(statement, 2, limit);
    int step = SQLITE_DONE, result = 0;
    while (result == 0 && (step = sqlite3_step(statement)) == SQLITE_ROW)
        result = handle(trace, statement, target);
    if (result == 0 && step != SQLITE_DONE)
        result = trace_fail_sql(trace, context);
    if (cached) {
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
    } else {
        sqlite3_finalize(statement);
    }
    return result;
}

/* query_first_rows without a limit (SQLite reads LIMIT -1 as none). */
int query_each_row(struct trace *trace, const char *sql, int64_t parameter, const char *context,
                   row_handler *handle, void *target)
{
    return query_first_rows(trace, sql, parameter, -1, context, handle, target);
}

/* Begins reading one result row; FORMAT names the row in messages. */
void row_start(struct row_reader *row, struct trace *trace, sqlite3_stmt *statement, const char *format, ...)
{
    row->trace = trace;
    row->statement = statement;
    row->failed = false;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(row->context, sizeof row->context, format, arguments);
    va_end(arguments);
}

/* Records that COLUMN of the current row holds something unusable. */
static void row_reject(struct row_reader *row, int column, const char *why)
{
    if (!row->failed)
        trace_fail(row->trace, "damaged: %s: %s %s", row->context, sqlite3_column_name(row->statement, column), why);
    row->failed = true;
}

/* Reads an integer column that may be NULL. */
struct maybe_int row_maybe_integer(struct row_reader *row, int column)
{
    switch (sqlite3_column_type(row->statement, column)) {
    case SQLITE_NULL:
        return (struct maybe_int){0};
    case SQLITE_INTEGER:
        return (struct maybe_int){.present = true, .value = sqlite3_column_int64(row->statement, column)};
    default:
        row_reject(row, column, "is not an integer");
        return (struct maybe_int){0};
    }
}

/* Reads a count or size that may be NULL: an integer, never negative. */
struct maybe_int row_maybe_count(struct row_reader *row, int column)
{
    struct maybe_int count = row_maybe_integer(row, column);
    if (count.present && count.value < 0) {
        row_reject(row, column, "is negative");
        return (struct maybe_int){0};
    }
    return count;
}

/* Reads an integer column the schema declares NOT NULL. */
int64_t row_integer(struct row_reader *row, int column)
{
    if (sqlite3_column_type(row->statement, column) == SQLITE_NULL)
        row_reject(row, column, "is missing");
    return row_maybe_integer(row, column).value;
}

/* Reads a count or size the schema declares NOT NULL. */
int64_t row_count(struct row_reader *row, int column)
{
    if (sqlite3_column_type(row->statement, column) == SQLITE_NULL)
        row_reject(row, column, "is missing");
    return row_maybe_count(row, column).value;
}

/* Copies a text column that may be NULL.  Other types are shown as SQLite
 * converts them: harmless for names and paths, and more useful than nothing. */
char *row_maybe_text(struct row_reader *row, int column)
{
    if (sqlite3_column_type(row->statement, column) == SQLITE_NULL)
        return NULL;
    const char *text = (const char *)sqlite3_column_text(row->statement, column);
    char *copy = text != NULL ? strdup(text) : NULL;
    if (copy == NULL && !row->failed) {
        trace_fail(row->trace, "out of memory");
        row->failed = true;
    }
    return copy;
}

/* Copies a text column the schema declares NOT NULL. */
char *row_text(struct row_reader *row, int column)
{
    if (sqlite3_column_type(row->statement, column) == SQLITE_NULL) {
        row_reject(row, column, "is missing");
        return NULL;
    }
    return row_maybe_text(row, column);
}

/* Reads an enumeration stored as text: the index of its value in NAMES. */
int row_name(struct row_reader *row, int column, const char *const names[], size_t count)
{
    const char *text = sqlite3_column_type(row->statement, column) == SQLITE_TEXT
                           ? (const char *)sqlite3_column_text(row->statement, column)
                           : NULL;
    int index = name_to_index(names, count, text);
    if (index < 0)
        row_reject(row, column, "is not a known value");
    return index < 0 ? 0 : index;
}

/* Reads an enumeration stored as text or NULL, whose NAMES[0] is NULL: 0
 * for NULL, else the index of its value in NAMES. */
int row_maybe_name(struct row_reader *row, int column, const char *const names[], size_t count)
{
    if (sqlite3_column_type(row->statement, column) == SQLITE_NULL)
        return 0;
    return row_name(row, column, names, count);
}
