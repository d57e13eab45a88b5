/*
 * writer.c - the only code that writes trace files.  The schema comes from
 * trace/schema.sql (compiled in); the meta table says which schema version
 * wrote the file and whether the run finished ("complete").
 *
 * Each process is stored in one transaction, so a trace cut short (memtrack
 * killed, disk full) still holds every process committed before.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "collect/names.h"
#include "collect/process.h"
#include "schema_sql.h"
#include "symbolize/symbolize.h"
#include "trace/writer.h"

#define MT_SCHEMA_VERSION_TEXT "2"
#define MAX_INLINE 16

struct trace_writer {
    sqlite3 *db;
    sqlite3_stmt *frame, *stack, *site, *block, *error, *mark, *module, *sample;
};

const char *trace_writer_error(struct trace_writer *w)
{
    return w && w->db ? sqlite3_errmsg(w->db) : "out of memory";
}

static int exec(struct trace_writer *w, const char *sql)
{
    return sqlite3_exec(w->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static sqlite3_stmt *prepare(struct trace_writer *w, const char *sql)
{
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v3(w->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    return st;
}

/* Sets a meta row. */
static int set_meta(struct trace_writer *w, const char *key, const char *value)
{
    sqlite3_stmt *st = prepare(w, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

struct trace_writer *trace_writer_open(const char *path, const char *command_line, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create trace %s: %m", path);
        return NULL;
    }
    close(fd);
    struct trace_writer *w = calloc(1, sizeof *w);
    if (!w || sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        exec(w, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF") ||
        exec(w, MT_SCHEMA_SQL) || set_meta(w, "schema_version", MT_SCHEMA_VERSION_TEXT) ||
        set_meta(w, "memtrack_version", MEMTRACK_VERSION) || set_meta(w, "complete", "0") ||
        set_meta(w, "command", command_line)) {
        snprintf(err, errlen, "cannot write trace %s: %s", path, trace_writer_error(w));
        if (w)
            sqlite3_close(w->db);
        free(w);
        unlink(path);
        return NULL;
    }
    w->frame = prepare(w, "INSERT INTO frames(address, module, function, file, line, inlined) VALUES (?,?,?,?,?,?)");
    w->stack = prepare(w, "INSERT INTO stacks(process_id, truncated, frames) VALUES (?,?,?)");
    w->site = prepare(w, "INSERT INTO sites(stack_id, process_id, allocations, bytes, temporary, peak_bytes, "
                         "lifetimes) VALUES (?,?,?,?,?,?,?)");
    w->block = prepare(w, "INSERT INTO blocks(process_id, stack_id, address, size, function, time_ns, kind) "
                          "VALUES (?,?,?,?,?,?,?)");
    w->error = prepare(w, "INSERT INTO errors(process_id, type, address, size, offset, alloc_function, "
                          "free_function, stack_id, alloc_stack_id, first_free_stack_id, time_ns) "
                          "VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    w->mark = prepare(w, "INSERT INTO marks(process_id, time_ns, label) VALUES (?,?,?)");
    w->sample = prepare(w, "INSERT INTO timeline(process_id, time_ns, heap_bytes) VALUES (?,?,?)");
    w->module = prepare(w, "INSERT INTO modules(process_id, path, build_id, base, start, end) VALUES (?,?,?,?,?,?)");
    return w;
}

/* Runs a prepared insert and resets it; returns the new rowid or -1. */
static sqlite3_int64 step(struct trace_writer *w, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? sqlite3_last_insert_rowid(w->db) : -1;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* What storing one process needs: the stacks and addresses already stored. */
struct process_writer {
    struct trace_writer *w;
    struct mt_process *p;
    struct symbolizer *sym;
    sqlite3_int64 process_id;
    struct u64map stacks;    /* stack id -> stacks.id */
    struct u64map addresses; /* return address -> struct frame_span */
};

struct frame_span {
    sqlite3_int64 first; /* frames.id of the innermost frame; the others follow it */
    int count;
};

/* Stores the frames of one return address (inlined frames expanded). */
static struct frame_span store_address(struct process_writer *pw, uint64_t address)
{
    struct trace_writer *w = pw->w;
    const struct mt_module *m = process_module_of(pw->p, address);
    struct symbol_frame f[MAX_INLINE];
    int n = 1;
    memset(f, 0, sizeof f);
    if (m && pw->sym)
        n = symbolizer_resolve(pw->sym, m->path, m->base, address, f, MAX_INLINE);
    struct frame_span span = {-1, 0};
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int64(w->frame, 1, (sqlite3_int64)address);
        bind_text_or_null(w->frame, 2, m ? m->path : NULL);
        bind_text_or_null(w->frame, 3, f[i].function);
        bind_text_or_null(w->frame, 4, f[i].file);
        if (f[i].line > 0)
            sqlite3_bind_int(w->frame, 5, f[i].line);
        sqlite3_bind_int(w->frame, 6, f[i].inlined);
        sqlite3_int64 id = step(w, w->frame);
        if (id < 0)
            break;
        if (!span.count)
            span.first = id;
        span.count++;
    }
    return span;
}

/* Appends text to a growable string; returns 0, or -1 when out of memory. */
static int append(char **buf, size_t *len, size_t *cap, const char *text)
{
    size_t add = strlen(text);
    if (*len + add + 1 > *cap) {
        size_t grown = (*len + add + 1) * 2;
        char *b = realloc(*buf, grown);
        if (!b)
            return -1;
        *buf = b;
        *cap = grown;
    }
    memcpy(*buf + *len, text, add + 1);
    *len += add;
    return 0;
}

/* Stores stack `id` (once per process) and returns its stacks.id; 0 for none. */
static sqlite3_int64 store_stack(struct process_writer *pw, uint32_t id)
{
    if (!id)
        return 0;
    sqlite3_int64 *done = u64map_get(&pw->stacks, id);
    if (done)
        return *done;
    const struct mt_stack_def *def = u64map_get(&pw->p->stacks, id);
    char *json = NULL, num[32];
    size_t len = 0, cap = 0;
    append(&json, &len, &cap, "[");
    for (uint32_t i = 0; def && i < def->depth; i++) {
        int created;
        struct frame_span *span = u64map_put(&pw->addresses, def->frames[i] ? def->frames[i] : 1, &created);
        if (!span)
            continue;
        if (created)
            *span = store_address(pw, def->frames[i]);
        for (int k = 0; k < span->count; k++) {
            snprintf(num, sizeof num, "%s%lld", len > 1 ? "," : "", (long long)(span->first + k));
            append(&json, &len, &cap, num);
        }
    }
    append(&json, &len, &cap, "]");
    struct trace_writer *w = pw->w;
    sqlite3_bind_int64(w->stack, 1, pw->process_id);
    sqlite3_bind_int(w->stack, 2, def ? (int)def->truncated : 0);
    sqlite3_bind_text(w->stack, 3, json ? json : "[]", -1, SQLITE_TRANSIENT);
    sqlite3_int64 row = step(w, w->stack);
    free(json);
    if (row < 0)
        return 0;
    sqlite3_int64 *slot = u64map_put(&pw->stacks, id, NULL);
    if (slot)
        *slot = row;
    return row;
}

/* Binds a stack reference: NULL when there is none. */
static void bind_stack(sqlite3_stmt *st, int i, sqlite3_int64 stack)
{
    if (stack)
        sqlite3_bind_int64(st, i, stack);
    else
        sqlite3_bind_null(st, i);
}

/* How the process ended, in the words of processes.end_reason. */
static const char *end_reason(const struct mt_process *p)
{
    int handlers = p->stand_in || (p->exited && p->exit.how == MT_EXIT_HANDLERS);
    if (p->wait_status_known)
        return WIFSIGNALED(p->wait_status) ? "signal" : handlers ? "exit" : "_exit";
    if (p->replaced_by_exec)
        return "exec";
    if (p->exited)
        return handlers ? "exit" : "_exit";
    /* no word from it: killed by a signal (which one, only its parent knows) */
    return p->still_running ? "running" : "signal";
}

/* argv as a JSON array, built by SQLite's own JSON functions. */
static char *argv_json(struct trace_writer *w, const struct mt_process *p)
{
    char *json = strdup("[]");
    sqlite3_stmt *st = prepare(w, "SELECT json_insert(?1, '$[#]', ?2)");
    for (int i = 0; st && json && i < p->argc; i++) {
        sqlite3_bind_text(st, 1, json, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, p->argv[i] ? p->argv[i] : "", -1, SQLITE_STATIC);
        char *next = sqlite3_step(st) == SQLITE_ROW ? strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
        sqlite3_reset(st);
        free(json);
        json = next;
    }
    sqlite3_finalize(st);
    return json;
}

/* Inserts the processes row; returns its id or -1. */
static sqlite3_int64 insert_process(struct trace_writer *w, const struct mt_process *p)
{
    sqlite3_stmt *st = prepare(w,
        "INSERT INTO processes(pid, parent_pid, argv, executable, start_ns, end_ns, exit_code, exit_signal, "
        "end_reason, leak_scan, allocations, frees, allocated_bytes, peak_bytes, peak_ns, "
        "temporary_allocations, note, id, send_wait_max_ns, send_wait_total_ns, backtraces, "
        "backtraces_by_libunwind) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    char *argv = argv_json(w, p);
    if (!st || !argv) {
        sqlite3_finalize(st);
        free(argv);
        return -1;
    }
    int exited = p->exited, signaled = p->wait_status_known && WIFSIGNALED(p->wait_status);
    sqlite3_bind_int64(st, 1, p->pid);
    sqlite3_bind_int64(st, 2, p->parent_pid);
    sqlite3_bind_text(st, 3, argv, -1, SQLITE_STATIC);
    bind_text_or_null(st, 4, p->executable);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)p->start_ns);
    if (p->end_ns)
        sqlite3_bind_int64(st, 6, (sqlite3_int64)p->end_ns);
    if (p->wait_status_known && WIFEXITED(p->wait_status))
        sqlite3_bind_int(st, 7, WEXITSTATUS(p->wait_status));
    else if (exited)
        sqlite3_bind_int(st, 7, p->exit.status & 0xff);
    if (signaled)
        sqlite3_bind_int(st, 8, WTERMSIG(p->wait_status));
    sqlite3_bind_text(st, 9, end_reason(p), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, exited && p->exit.h.extra);
    /* libtrack's atomic counters are exact; the collector's own are the fallback */
    sqlite3_bind_int64(st, 11, (sqlite3_int64)(exited ? p->exit.allocations : p->allocations));
    sqlite3_bind_int64(st, 12, (sqlite3_int64)(exited ? p->exit.frees : p->frees));
    sqlite3_bind_int64(st, 13, (sqlite3_int64)p->allocated_bytes);
    sqlite3_bind_int64(st, 14, (sqlite3_int64)(exited ? p->exit.peak_bytes : p->peak_bytes));
    sqlite3_bind_int64(st, 15, (sqlite3_int64)(exited ? p->exit.peak_ns : p->peak_ns));
    sqlite3_bind_int64(st, 16, (sqlite3_int64)p->temporary);
    bind_text_or_null(st, 17, p->note);
    sqlite3_bind_int(st, 18, p->ordinal); /* ids follow the order processes started, not ended */
    if (exited) {
        sqlite3_bind_int64(st, 19, (sqlite3_int64)p->exit.send_wait_max_ns);
        sqlite3_bind_int64(st, 20, (sqlite3_int64)p->exit.send_wait_total_ns);
        sqlite3_bind_int64(st, 21, (sqlite3_int64)p->exit.backtraces);
        sqlite3_bind_int64(st, 22, (sqlite3_int64)p->exit.backtraces_by_libunwind);
    }
    sqlite3_int64 id = step(w, st);
    sqlite3_finalize(st);
    free(argv);
    return id;
}

static void store_modules(struct process_writer *pw)
{
    struct trace_writer *w = pw->w;
    for (size_t i = 0; i < pw->p->n_modules; i++) {
        const struct mt_module *m = &pw->p->modules[i];
        sqlite3_bind_int64(w->module, 1, pw->process_id);
        sqlite3_bind_text(w->module, 2, m->path, -1, SQLITE_STATIC);
        bind_text_or_null(w->module, 3, m->build_id);
        sqlite3_bind_int64(w->module, 4, (sqlite3_int64)m->base);
        sqlite3_bind_int64(w->module, 5, (sqlite3_int64)m->start);
        sqlite3_bind_int64(w->module, 6, (sqlite3_int64)m->end);
        step(w, w->module);
    }
}

struct site_ref {
    uint64_t key;
    struct mt_site *site;
};

static int by_first_allocation(const void *a, const void *b)
{
    const struct site_ref *x = a, *y = b;
    if (x->site->first_ns != y->site->first_ns)
        return x->site->first_ns < y->site->first_ns ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* Sites are stored in the order of their first allocation, so stack ids (the
 * report's last tie-breaker) follow the program, not the hash table. */
static void store_sites(struct process_writer *pw)
{
    struct trace_writer *w = pw->w;
    size_t n = 0;
    struct site_ref *order = malloc((pw->p->sites.count + 1) * sizeof *order);
    if (!order)
        return;
    void *v;
    for (size_t i = 0; u64map_next(&pw->p->sites, &i, &order[n].key, &v);)
        order[n++].site = v;
    qsort(order, n, sizeof *order, by_first_allocation);
    for (size_t k = 0; k < n; k++) {
        struct mt_site *s = order[k].site;
        sqlite3_int64 stack = store_stack(pw, (uint32_t)(order[k].key - 1));
        if (!stack)
            continue;
        if (s->seen_peak_seq != pw->p->peak_seq)
            s->at_peak = s->live_bytes;
        char lifetimes[256];
        int len = 0;
        for (int b = 0; b < MT_LIFETIME_BUCKETS; b++)
            len += snprintf(lifetimes + len, sizeof lifetimes - (size_t)len, "%s%llu", b ? "," : "[",
                            (unsigned long long)s->lifetimes[b]);
        snprintf(lifetimes + len, sizeof lifetimes - (size_t)len, "]");
        sqlite3_bind_int64(w->site, 1, stack);
        sqlite3_bind_int64(w->site, 2, pw->process_id);
        sqlite3_bind_int64(w->site, 3, (sqlite3_int64)s->allocations);
        sqlite3_bind_int64(w->site, 4, (sqlite3_int64)s->bytes);
        sqlite3_bind_int64(w->site, 5, (sqlite3_int64)s->temporary);
        sqlite3_bind_int64(w->site, 6, (sqlite3_int64)s->at_peak);
        sqlite3_bind_text(w->site, 7, lifetimes, -1, SQLITE_TRANSIENT);
        step(w, w->site);
    }
    free(order);
}

static void store_blocks(struct process_writer *pw)
{
    struct trace_writer *w = pw->w;
    void *v;
    for (size_t i = 0; u64map_next(&pw->p->blocks, &i, NULL, &v);) {
        const struct mt_live_block *b = v;
        sqlite3_int64 stack = store_stack(pw, b->stack);
        if (!stack)
            continue; /* blocks.stack_id is NOT NULL; a block without stack cannot be placed */
        sqlite3_bind_int64(w->block, 1, pw->process_id);
        sqlite3_bind_int64(w->block, 2, stack);
        sqlite3_bind_int64(w->block, 3, (sqlite3_int64)b->address);
        sqlite3_bind_int64(w->block, 4, (sqlite3_int64)b->size);
        sqlite3_bind_text(w->block, 5, mt_function_name(b->function), -1, SQLITE_STATIC);
        sqlite3_bind_int64(w->block, 6, (sqlite3_int64)b->time_ns);
        sqlite3_bind_text(w->block, 7, mt_leak_kind_name(b->kind), -1, SQLITE_STATIC);
        step(w, w->block);
    }
}

static void store_errors(struct process_writer *pw)
{
    struct trace_writer *w = pw->w;
    for (size_t i = 0; i < pw->p->n_errors; i++) {
        const struct mt_rec_error *e = &pw->p->errors[i];
        sqlite3_bind_int64(w->error, 1, pw->process_id);
        sqlite3_bind_text(w->error, 2, mt_error_name(e->h.extra), -1, SQLITE_STATIC);
        sqlite3_bind_int64(w->error, 3, (sqlite3_int64)e->address);
        if (e->size != UINT64_MAX)
            sqlite3_bind_int64(w->error, 4, (sqlite3_int64)e->size);
        if (e->offset != UINT64_MAX)
            sqlite3_bind_int64(w->error, 5, (sqlite3_int64)e->offset);
        if (e->alloc_function)
            sqlite3_bind_text(w->error, 6, mt_function_name(e->alloc_function), -1, SQLITE_STATIC);
        sqlite3_bind_text(w->error, 7, mt_function_name(e->free_function), -1, SQLITE_STATIC);
        bind_stack(w->error, 8, store_stack(pw, e->stack));
        bind_stack(w->error, 9, store_stack(pw, e->alloc_stack));
        bind_stack(w->error, 10, store_stack(pw, e->first_free_stack));
        sqlite3_bind_int64(w->error, 11, (sqlite3_int64)e->time_ns);
        step(w, w->error);
    }
}

static void store_marks(struct process_writer *pw)
{
    struct trace_writer *w = pw->w;
    for (size_t i = 0; i < pw->p->n_marks; i++) {
        sqlite3_bind_int64(w->mark, 1, pw->process_id);
        sqlite3_bind_int64(w->mark, 2, (sqlite3_int64)pw->p->marks[i].time_ns);
        sqlite3_bind_text(w->mark, 3, pw->p->marks[i].label ? pw->p->marks[i].label : "", -1, SQLITE_STATIC);
        step(w, w->mark);
    }
}

static void store_timeline(struct process_writer *pw)
{
    struct trace_writer *w = pw->w;
    for (size_t i = 0; i < pw->p->n_timeline; i++) {
        sqlite3_bind_int64(w->sample, 1, pw->process_id);
        sqlite3_bind_int64(w->sample, 2, (sqlite3_int64)pw->p->timeline[i].time_ns);
        sqlite3_bind_int64(w->sample, 3, (sqlite3_int64)pw->p->timeline[i].heap_bytes);
        step(w, w->sample);
    }
}

int trace_write_process(struct trace_writer *w, struct mt_process *p, struct symbolizer *sym)
{
    struct process_writer pw = {.w = w, .p = p, .sym = sym};
    u64map_init(&pw.stacks, sizeof(sqlite3_int64));
    u64map_init(&pw.addresses, sizeof(struct frame_span));
    int rc = -1;
    if (exec(w, "BEGIN") == 0 && (pw.process_id = insert_process(w, p)) > 0) {
        store_modules(&pw);
        store_sites(&pw);
        store_blocks(&pw);
        store_errors(&pw);
        store_marks(&pw);
        store_timeline(&pw);
        rc = exec(w, "COMMIT");
    }
    if (rc)
        exec(w, "ROLLBACK");
    u64map_free(&pw.stacks);
    u64map_free(&pw.addresses);
    return rc;
}

int trace_writer_close(struct trace_writer *w, int complete)
{
    int rc = set_meta(w, "complete", complete ? "1" : "0");
    sqlite3_stmt *all[] = {w->frame, w->stack, w->site, w->block, w->error, w->mark, w->module, w->sample};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        sqlite3_finalize(all[i]);
    if (sqlite3_close(w->db) != SQLITE_OK)
        rc = -1;
    free(w);
    return rc;
}
