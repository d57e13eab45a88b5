/*
 * reader.c - open a trace read-only and refuse anything that is not a trace
 * this build can read: missing or unreadable files, non-SQLite files, SQLite
 * files without memtrack's meta table, traces from a newer schema, damaged files.
 */
#include "trace/reader.h"
#include "trace/compressed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "schema_sql.h"

#include "util/printable.h"

/* The tables the report reads; meta is checked on its own, first.  Traces
 * of schema 3 and later name their frames' objects in a table of their own. */
static const char *const REPORTED_TABLES[] = {"processes", "frames", "stacks", "sites",
                                              "blocks",    "errors", "objects"};
#define TABLES_BEFORE_SCHEMA_3 6

/* Generous caps so a hostile file cannot make us hold gigabyte strings. */
#define TRACE_MAX_VALUE_BYTES (64 * 1024 * 1024)
#define TRACE_BUSY_TIMEOUT_MS 5000
#define TRACE_DECOMPRESSED_MAX ((size_t)16 << 30) /* a compressed trace larger than this once decompressed is refused */
#define TRACE_CACHE_KIB "262144" /* 256 MiB, as a PRAGMA cache_size (negative: KiB) */

/* Records the first failure in trace->problem (later ones are consequences)
 * and returns -1 so callers can `return trace_fail(...)`.  Control characters
 * (which SQLite messages can quote from a hostile file) become '?', so the
 * reason stays one line. */
int trace_fail(struct trace *trace, const char *format, ...)
{
    if (trace->problem[0] != '\0')
        return -1;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(trace->problem, sizeof trace->problem, format, arguments);
    va_end(arguments);
    make_printable(trace->problem);
    return -1;
}

/* Turns the connection's last SQLite error into a reason people understand:
 * a file that is not SQLite, a damaged one, or one we could not read. */
int trace_fail_sql(struct trace *trace, const char *context)
{
    const char *message = sqlite3_errmsg(trace->db);
    switch (sqlite3_errcode(trace->db)) {
    case SQLITE_NOTADB:
        return trace_fail(trace, "not a memtrack trace (not an SQLite database)");
    case SQLITE_CORRUPT:
    case SQLITE_ERROR:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
        return trace_fail(trace, "damaged: %s (%s)", message, context);
    default:
        return trace_fail(trace, "cannot read: %s (%s)", message, context);
    }
}

/* Opens the trace's file, checking with the operating system first, so a
 * missing file is reported as such (SQLite would only say "unable to open
 * database file").  The descriptor, or -1 with the reason recorded. */
static int open_regular_file(struct trace *trace)
{
    int fd = open(trace->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return trace_fail(trace, "cannot open: %s", strerror(errno));
    struct stat status;
    int problem = 0;
    if (fstat(fd, &status) != 0)
        problem = trace_fail(trace, "cannot open: %s", strerror(errno));
    else if (S_ISDIR(status.st_mode))
        problem = trace_fail(trace, "cannot open: %s", strerror(EISDIR));
    else if (!S_ISREG(status.st_mode))
        problem = trace_fail(trace, "cannot open: not a regular file");
    else if (status.st_size == 0)
        problem = trace_fail(trace, "not a memtrack trace (empty file)");
    if (problem != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Builds "file:PATH?mode=ro" with every byte outside [A-Za-z0-9/._~-]
 * percent-escaped: this SQLite treats filenames as URIs, so a path holding
 * '?', '#' or '%' must not be read as query or fragment. Caller frees. */
static char *read_only_uri(const char *path)
{
    static const char HEX[] = "0123456789ABCDEF";
    size_t length = strlen(path);
    char *uri = malloc(sizeof "file://" + 3 * length + sizeof "?mode=ro");
    if (uri == NULL)
        return NULL;
    /* "file:" + "//" + "/abs" keeps an absolute path from being read as an authority. */
    char *out = stpcpy(uri, path[0] == '/' ? "file://" : "file:");
    for (const unsigned char *in = (const unsigned char *)path; *in != '\0'; in++) {
        bool plain = (*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') || (*in >= '0' && *in <= '9') ||
                     strchr("/._~-", *in) != NULL;
        if (plain) {
            *out++ = (char)*in;
        } else {
            *out++ = '%';
            *out++ = HEX[*in >> 4];
            *out++ = HEX[*in & 15];
        }
    }
    strcpy(out, "?mode=ro");
    return uri;
}

/* Hardens the connection against hostile files: bounded value sizes, no
 * functions with side effects reachable from the file's own schema, and a wait
 * instead of an immediate failure while `memtrack run` is still writing.  The
 * page cache may hold up to TRACE_CACHE_KIB: a report reads a compiler's
 * trace (tens of megabytes) several times over, and with SQLite's default
 * 2 MiB a fifth of its time went to reading the same pages again. */
static void configure_connection(sqlite3 *db)
{
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, TRACE_MAX_VALUE_BYTES);
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
    sqlite3_busy_timeout(db, TRACE_BUSY_TIMEOUT_MS);
    sqlite3_exec(db, "PRAGMA cache_size = -" TRACE_CACHE_KIB, NULL, NULL, NULL);
}

/* Runs SQL, a count(*) of rows matching the text parameters FIRST and
 * SECOND (NULL: none), and tells whether it counted any: 1 yes, 0 no, -1
 * failure recorded (while WHAT). */
static int counts_any(struct trace *trace, const char *sql, const char *first, const char *second, const char *what)
{
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(trace->db, sql, -1, &statement, NULL) != SQLITE_OK)
        return trace_fail_sql(trace, what);
    sqlite3_bind_text(statement, 1, first, -1, SQLITE_STATIC);
    if (second)
        sqlite3_bind_text(statement, 2, second, -1, SQLITE_STATIC);
    int result = -1;
    if (sqlite3_step(statement) == SQLITE_ROW)
        result = sqlite3_column_int(statement, 0) > 0;
    else
        trace_fail_sql(trace, what);
    sqlite3_finalize(statement);
    return result;
}

int trace_has_column(struct trace *trace, const char *table, const char *column)
{
    return counts_any(trace, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2", table, column,
                      "reading the column list");
}

/* Tells whether NAME is an ordinary table (not a view or virtual table, whose
 * contents a hostile file could compute): 1 yes, 0 no, -1 failure recorded. */
static int has_ordinary_table(struct trace *trace, const char *name)
{
    return counts_any(trace,
                      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1"
                      " AND sql LIKE 'CREATE TABLE%'",
                      name, NULL, "reading the table list");
}

/* Judges meta.schema_version, stored as text or integer: it must be a positive
 * integer, and one this build knows.  Keeps it in trace->schema_version. */
static int check_version_value(struct trace *trace, const unsigned char *value, int length)
{
    bool all_digits = value != NULL && length > 0;
    for (int i = 0; all_digits && i < length; i++)
        all_digits = value[i] >= '0' && value[i] <= '9';
    while (all_digits && length > 1 && value[0] == '0') {
        value++;
        length--;
    }
    if (!all_digits || value[0] == '0')
        return trace_fail(trace, "damaged: meta.schema_version is not a positive integer");
    long version = length <= 9 ? strtol((const char *)value, NULL, 10) : MT_SCHEMA_VERSION + 1;
    if (version > MT_SCHEMA_VERSION)
        return trace_fail(trace, "written by a newer memtrack (schema %.*s > %d)", length > 40 ? 40 : length,
                          (const char *)value, MT_SCHEMA_VERSION);
    trace->schema_version = version;
    return 0;
}

/* Reads meta.schema_version: its absence means the file is some other
 * program's database. */
static int check_schema_version(struct trace *trace)
{
    sqlite3_stmt *statement = NULL;
    const char *sql = "SELECT value FROM meta WHERE key = 'schema_version'";
    if (sqlite3_prepare_v2(trace->db, sql, -1, &statement, NULL) != SQLITE_OK)
        return trace_fail_sql(trace, "reading meta");
    int result;
    int step = sqlite3_step(statement);
    if (step == SQLITE_ROW) {
        const unsigned char *value = sqlite3_column_text(statement, 0);
        result = check_version_value(trace, value, sqlite3_column_bytes(statement, 0));
    } else if (step == SQLITE_DONE) {
        result = trace_fail(trace, "not a memtrack trace (meta has no schema_version)");
    } else {
        result = trace_fail_sql(trace, "reading meta");
    }
    sqlite3_finalize(statement);
    return result;
}

/* Reads meta.complete into trace->complete.  A trace without the key counts
 * as incomplete: every trace memtrack writes has it from the start. */
static int read_completeness(struct trace *trace)
{
    sqlite3_stmt *statement = NULL;
    const char *sql = "SELECT value = '1' FROM meta WHERE key = 'complete'";
    if (sqlite3_prepare_v2(trace->db, sql, -1, &statement, NULL) != SQLITE_OK)
        return trace_fail_sql(trace, "reading meta");
    int step = sqlite3_step(statement), result = 0;
    if (step == SQLITE_ROW || step == SQLITE_DONE)
        trace->complete = step == SQLITE_ROW && sqlite3_column_int(statement, 0) == 1;
    else
        result = trace_fail_sql(trace, "reading meta");
    sqlite3_finalize(statement);
    return result;
}

/* Runs SQLite's structural check, so a truncated or overwritten file is
 * reported as damaged up front rather than half-way through a report. */
static int check_integrity(struct trace *trace)
{
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(trace->db, "PRAGMA quick_check(1)", -1, &statement, NULL) != SQLITE_OK)
        return trace_fail_sql(trace, "checking integrity");
    int result;
    if (sqlite3_step(statement) == SQLITE_ROW) {
        const char *verdict = (const char *)sqlite3_column_text(statement, 0);
        if (verdict != NULL && strcmp(verdict, "ok") == 0)
            result = 0;
        else
            result = trace_fail(trace, "damaged: %.200s", verdict != NULL ? verdict : "integrity check failed");
    } else {
        result = trace_fail_sql(trace, "checking integrity");
    }
    sqlite3_finalize(statement);
    return result;
}

/* Validates an open connection: a memtrack trace, a version we read, intact
 * (unless not CHECK_STRUCTURE), with every table the report needs. */
static int check_trace(struct trace *trace, bool check_structure)
{
    int has_meta = has_ordinary_table(trace, "meta");
    if (has_meta <= 0)
        return has_meta < 0 ? -1 : trace_fail(trace, "not a memtrack trace (no meta table)");
    if (check_schema_version(trace) != 0 || (check_structure && check_integrity(trace) != 0) ||
        read_completeness(trace) != 0)
        return -1;
    size_t tables = sizeof REPORTED_TABLES / sizeof REPORTED_TABLES[0];
    if (trace->schema_version < 3)
        tables = TABLES_BEFORE_SCHEMA_3;
    for (size_t i = 0; i < tables; i++) {
        int present = has_ordinary_table(trace, REPORTED_TABLES[i]);
        if (present <= 0)
            return present < 0 ? -1 : trace_fail(trace, "damaged: no %s table", REPORTED_TABLES[i]);
    }
    return 0;
}

/* Opens the compressed trace open at FD: decompressed into memory, where
 * SQLite reads it read-only.  0, or -1 with the reason recorded. */
static int open_compressed(struct trace *trace, int fd)
{
    unsigned char *data = NULL;
    size_t size = 0;
    char why[sizeof trace->problem];
    if (trace_decompress(fd, TRACE_DECOMPRESSED_MAX, &data, &size, why, sizeof why) != 0)
        return trace_fail(trace, "%s", why);
    if (sqlite3_open_v2(":memory:", &trace->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_free(data);
        return trace_fail(trace, "cannot open: %s", trace->db ? sqlite3_errmsg(trace->db) : strerror(ENOMEM));
    }
    if (sqlite3_deserialize(trace->db, "main", data, (sqlite3_int64)size, (sqlite3_int64)size,
                            SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY) != SQLITE_OK)
        return trace_fail(trace, "cannot open: %s", sqlite3_errmsg(trace->db));
    /* pages are read where they lie instead of copied into the page cache:
     * the trace is in memory already (a report of a compiler's trace: 59 ->
     * 33 MB peak).  Memory, not a file, so no SIGBUS can come of it. */
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA mmap_size = %zu", size);
    sqlite3_exec(trace->db, pragma, NULL, NULL, NULL);
    return 0;
}

/* Opens the plain trace at trace->path read-only: 0, or -1 with the reason
 * recorded. */
static int open_plain(struct trace *trace)
{
    char *uri = read_only_uri(trace->path);
    if (uri == NULL)
        return trace_fail(trace, "cannot open: %s", strerror(ENOMEM));
    int opened = sqlite3_open_v2(uri, &trace->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (opened != SQLITE_OK)
        return trace_fail(trace, "cannot open: %s", trace->db ? sqlite3_errmsg(trace->db) : strerror(ENOMEM));
    return 0;
}

/* Opens PATH read-only, compressed or plain, and validates it, with
 * SQLite's structural check when CHECK_STRUCTURE.  Returns 0, or -1 with the
 * reason in trace->problem; either way trace_close() releases what was
 * opened. */
static int open_trace(struct trace *trace, const char *path, bool check_structure)
{
    *trace = (struct trace){.path = path};
    int fd = open_regular_file(trace);
    if (fd < 0)
        return -1;
    int opened = trace_file_is_compressed(fd) ? open_compressed(trace, fd) : open_plain(trace);
    close(fd);
    if (opened != 0)
        return -1;
    configure_connection(trace->db);
    return check_trace(trace, check_structure);
}

int trace_open(struct trace *trace, const char *path)
{
    return open_trace(trace, path, true);
}

int trace_open_unchecked(struct trace *trace, const char *path)
{
    return open_trace(trace, path, false);
}

/* Closes the connection, if any, and frees what was read from it; safe after
 * a failed trace_open(). */
void trace_close(struct trace *trace)
{
    if (trace->free_stack_rows != NULL)
        trace->free_stack_rows(trace->stack_rows);
    trace->stack_rows = NULL;
    trace->free_stack_rows = NULL;
    for (int i = 0; i < TRACE_STATEMENT_CACHE; i++) {
        sqlite3_finalize(trace->cache[i].statement);
        trace->cache[i].statement = NULL;
        trace->cache[i].sql = NULL;
    }
    sqlite3_close(trace->db);
    trace->db = NULL;
}
