/*
 * writer.c - the only code that writes trace files.  The schema comes from
 * trace/schema.sql (compiled in); the meta table says which schema version
 * wrote the file and whether the run finished ("complete").
 *
 * Each process is stored in one transaction, so a trace cut short (memtrack
 * killed, disk full) still holds every process committed before.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/array.h"
#include "collect/stored.h"
#include "heuristics.h"
#include "schema_sql.h"
#include "symbolize/symbolize.h"
#include "trace/names.h"
#include "trace/objects.h"
#include "trace/stack_trie.h"
#include "trace/writer.h"

#define MAX_INLINE 16

struct trace_writer {
    sqlite3 *db;
    sqlite3_stmt *frame, *stack, *site, *block, *error, *mark, *module, *sample;
    struct object_table objects;
    sqlite3_int64 next_stack; /* stacks.id of the next stacks row */
    sqlite3_int64 next_block; /* blocks.id of the next blocks row */
    char failure[256];        /* the first failure of the store under way; "" when none */
    trace_progress *progress; /* told after each site stored, or NULL */
    void *progress_context;
};

void trace_writer_on_progress(struct trace_writer *w, trace_progress *progress, void *context)
{
    w->progress = progress;
    w->progress_context = context;
}

const char *trace_writer_error(struct trace_writer *w)
{
    if (!w || !w->db)
        return "out of memory";
    return w->failure[0] ? w->failure : sqlite3_errmsg(w->db);
}

/* Keeps the first failure of a store, for trace_writer_error: what fails
 * after it only follows from it (once a full disk has made SQLite give up
 * the transaction, COMMIT and ROLLBACK fail with "no transaction is
 * active"). */
static void fail(struct trace_writer *w, const char *why)
{
    if (!w->failure[0])
        snprintf(w->failure, sizeof w->failure, "%s", why);
}

/* fail() with SQLite's reason for the call that just failed. */
static void fail_sql(struct trace_writer *w)
{
    fail(w, sqlite3_errmsg(w->db));
}

/* Runs SQL without results; 0, or -1 with the failure kept. */
static int exec(struct trace_writer *w, const char *sql)
{
    if (sqlite3_exec(w->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    fail_sql(w);
    return -1;
}

/* Prepares SQL; NULL with the failure kept. */
static sqlite3_stmt *prepare(struct trace_writer *w, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(w->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        fail_sql(w);
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
    if (rc)
        fail_sql(w);
    sqlite3_finalize(st);
    return rc;
}

/* Creates the tables and the meta rows of a new trace, in one transaction:
 * one statement at a time, each its own transaction with its own journal
 * file, took tens of milliseconds before the program could start. */
static int create_schema(struct trace_writer *w, const char *command_line)
{
    return exec(w, "BEGIN") || exec(w, MT_SCHEMA_SQL) || set_meta(w, "schema_version", MT_SCHEMA_VERSION_TEXT) ||
                   set_meta(w, "memtrack_version", MEMTRACK_VERSION) || set_meta(w, "complete", "0") ||
                   set_meta(w, "command", command_line) || exec(w, "COMMIT")
               ? -1
               : 0;
}

struct trace_writer *trace_writer_open(const char *path, const char *command_line, char *error, size_t error_size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(error, error_size, "cannot create trace %s: %m", path);
        return NULL;
    }
    close(fd);
    struct trace_writer *w = calloc(1, sizeof *w);
    /* no SQLite mutexes: one thread at a time writes (the storer's, then,
     * once storer_close has joined it, the caller's) */
    if (!w || sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        exec(w, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF") ||
        create_schema(w, command_line) || object_table_open(&w->objects, w->db)) {
        snprintf(error, error_size, "cannot write trace %s: %s", path, trace_writer_error(w));
        if (w) {
            object_table_close(&w->objects);
            sqlite3_close(w->db);
        }
        free(w);
        unlink(path);
        return NULL;
    }
    w->next_stack = w->next_block = 1;
    w->frame = prepare(w, "INSERT INTO frames(address, object_id, function, file, line, inlined) VALUES (?,?,?,?,?,?)");
    w->stack = prepare(w, "INSERT INTO stacks(id, process_id, truncated, frames, outer_id, outer_skip) "
                          "VALUES (?,?,?,?,?,?)");
    w->site = prepare(w, "INSERT INTO sites(stack_id, process_id, allocations, bytes, temporary, peak_bytes, "
                         "freed_before_1us, freed_before_10us, freed_before_100us, freed_before_1ms, "
                         "freed_before_10ms, freed_before_100ms, freed_before_1s, freed_before_10s, freed_later) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    w->block = prepare(w, "INSERT INTO blocks(process_id, stack_id, address, size, function_code, time_ns, "
                          "kind_code, heuristic, owner_address, id) VALUES (?,?,?,?,?,?,?,?,?,?)");
    w->error = prepare(w, "INSERT INTO errors(process_id, type, address, size, offset, alloc_function, "
                          "free_function, stack_id, alloc_stack_id, first_free_stack_id, time_ns, data_symbol, "
                          "data_symbol_offset) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    w->mark = prepare(w, "INSERT INTO marks(process_id, time_ns, label) VALUES (?,?,?)");
    w->sample = prepare(w, "INSERT OR IGNORE INTO timeline(process_id, time_ns, heap_bytes, rss_bytes) "
                           "VALUES (?,?,?,?)");
    w->module = prepare(w, "INSERT INTO modules(process_id, object_id, base, start, end) VALUES (?,?,?,?,?)");
    return w;
}

/* Runs a prepared insert and resets it; returns the new rowid, or -1 with
 * the failure kept (which makes the whole store fail: a process is stored
 * whole or not at all). */
static sqlite3_int64 step(struct trace_writer *w, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        fail_sql(w);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? sqlite3_last_insert_rowid(w->db) : -1;
}

/* Binds a count or a sum of sizes, saturated at the largest integer the
 * trace holds: sizes that each fit can still add up past 2^63, and the
 * reader refuses a negative count. */
static void bind_count(sqlite3_stmt *st, int i, uint64_t v)
{
    sqlite3_bind_int64(st, i, v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* The process's note with how many of its records were dropped for fields
 * out of range appended (the reader would refuse the rows they made), or
 * NULL when none was (or when out of memory: the plain note is stored). */
static char *note_with_drops(const struct stored_process *p)
{
    if (!p->dropped_records)
        return NULL;
    char *note = NULL;
    if (asprintf(&note, "%s%s%llu records with fields out of range were dropped", p->note ? p->note : "",
                 p->note ? "; " : "", (unsigned long long)p->dropped_records) < 0)
        return NULL;
    return note;
}

/* The frames rows of one return address: consecutive ids, innermost first. */
struct frame_span {
    int64_t first;  /* frames.id of the innermost frame */
    uint32_t count; /* 0 until stored */
    uint32_t uses;  /* how many stacks rows list it */
};

struct site_ref {
    uint64_t first_ns; /* its site's, copied: sorting then reads no site */
    uint64_t key;
    const struct mt_site *site;
};

/* What storing one process needs: the stacks to store and where their
 * frames are. */
struct process_writer {
    struct trace_writer *w;
    const struct stored_process *p;
    struct symbolizer *sym;
    sqlite3_int64 process_id;
    sqlite3_int64 *module_objects; /* objects.id of each of p->modules */
    struct site_ref *sites;        /* p's sites, in the order of their first allocation */
    size_t n_sites;
    struct u64map stacks;          /* stack id -> stacks.id */
    struct shared_stack *rows;     /* the stacks rows to store, in id order from w->next_stack */
    uint32_t *row_truncated;       /* by row: 1 when libtrack cut its stack short */
    size_t n_rows, cap_rows, cap_truncated;
    struct frame_span *spans;      /* by address number (stored_process.addresses) */
    size_t n_blocks;               /* blocks rows stored, with ids from w->next_block */
    char *json;                    /* frames_json's text, reused from row to row */
    size_t json_room;
};

/* Stores the frames of return address number NUMBER (inlined frames
 * expanded) into its span. */
static void store_address(struct process_writer *pw, uint32_t number)
{
    struct trace_writer *w = pw->w;
    uint64_t address = pw->p->addresses[number];
    const struct mt_module *m = mt_module_of(pw->p->modules, pw->p->n_modules, address);
    struct symbol_frame f[MAX_INLINE];
    int n = 1;
    memset(f, 0, sizeof f);
    if (m && pw->sym)
        n = symbolizer_resolve(pw->sym, m->path, m->base, address, f, MAX_INLINE);
    struct frame_span *span = &pw->spans[number];
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int64(w->frame, 1, (sqlite3_int64)address);
        if (m && pw->module_objects[m - pw->p->modules] > 0)
            sqlite3_bind_int64(w->frame, 2, pw->module_objects[m - pw->p->modules]);
        bind_text_or_null(w->frame, 3, f[i].function);
        bind_text_or_null(w->frame, 4, f[i].file);
        if (f[i].line > 0)
            sqlite3_bind_int(w->frame, 5, f[i].line);
        sqlite3_bind_int(w->frame, 6, f[i].inlined);
        sqlite3_int64 id = step(w, w->frame);
        if (id < 0)
            return;
        if (!span->count)
            span->first = id;
        span->count++;
    }
}

/* Adds stack ID (not 0, not planned yet) as the next row to store. */
static void plan_stack(struct process_writer *pw, uint32_t id)
{
    int created;
    sqlite3_int64 *row = id ? u64map_put(&pw->stacks, id, &created) : NULL;
    if (!row || !created) {
        if (id && !row)
            fail(pw->w, "out of memory");
        return;
    }
    struct shared_stack *s = array_push((void **)&pw->rows, &pw->n_rows, &pw->cap_rows, sizeof *s);
    size_t n_truncated = pw->n_rows - 1;
    uint32_t *truncated =
        s ? array_push((void **)&pw->row_truncated, &n_truncated, &pw->cap_truncated, sizeof *truncated) : NULL;
    if (!truncated) {
        if (s)
            pw->n_rows--;
        u64map_remove(&pw->stacks, id);
        fail(pw->w, "out of memory");
        return;
    }
    *row = pw->w->next_stack + (sqlite3_int64)(pw->n_rows - 1);
    const struct mt_stack_def *def = u64map_get(pw->p->stacks, id);
    if (def) {
        *s = (struct shared_stack){.addresses = pw->p->frames + def->first, .depth = def->depth};
        *truncated = def->truncated != 0;
    }
}

static int by_first_allocation(const void *a, const void *b)
{
    const struct site_ref *x = a, *y = b;
    if (x->first_ns != y->first_ns)
        return x->first_ns < y->first_ns ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* Orders the sites by their first allocation and plans their stacks in that
 * order, so stack ids (the report's last tie-breaker) follow the program,
 * not the hash table. */
static void plan_sites(struct process_writer *pw)
{
    pw->sites = malloc((pw->p->sites->count + 1) * sizeof *pw->sites);
    if (!pw->sites) {
        fail(pw->w, "out of memory");
        return;
    }
    /* every site has a stacks row, and most other rows are a site's too: room
     * for them all at once spares the doublings (moves and fresh pages) */
    size_t rows = pw->p->sites->count + 3 * pw->p->n_errors;
    pw->rows = malloc(rows * sizeof *pw->rows);
    pw->row_truncated = malloc(rows * sizeof *pw->row_truncated);
    pw->cap_rows = pw->rows ? rows : 0;
    pw->cap_truncated = pw->row_truncated ? rows : 0;
    u64map_reserve(&pw->stacks, rows); /* when it fails, the map grows as it goes */
    void *v;
    for (size_t i = 0; u64map_next(pw->p->sites, &i, &pw->sites[pw->n_sites].key, &v);) {
        pw->sites[pw->n_sites].site = v;
        pw->sites[pw->n_sites++].first_ns = ((const struct mt_site *)v)->first_ns;
    }
    qsort(pw->sites, pw->n_sites, sizeof *pw->sites, by_first_allocation);
    for (size_t k = 0; k < pw->n_sites; k++)
        plan_stack(pw, (uint32_t)(pw->sites[k].key - 1));
}

static void plan_block_stack(uint64_t id, const struct mt_live_block *b, void *arg)
{
    plan_stack(arg, b->stack);
}

/* Plans every stack the process's rows name: the sites', then those of
 * blocks and errors that no site has. */
static void plan_stacks(struct process_writer *pw)
{
    plan_sites(pw);
    live_blocks_for_each(pw->p->blocks, plan_block_stack, pw);
    for (size_t i = 0; i < pw->p->n_errors; i++) {
        plan_stack(pw, pw->p->errors[i].stack);
        plan_stack(pw, pw->p->errors[i].alloc_stack);
        plan_stack(pw, pw->p->errors[i].first_free_stack);
    }
}

/* Address numbers by how many rows list them, most first. */
static int by_uses(const void *a, const void *b, void *context)
{
    const struct frame_span *spans = context;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (spans[x].uses != spans[y].uses)
        return spans[x].uses > spans[y].uses ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Stores the frames of every address a row lists, those listed most first:
 * their ids are then the shortest in the rows' text (a compiler's stacks
 * list 1.4 million ids of 24,000 frames: 5.3 MB of text instead of 7.5). */
static void store_frames(struct process_writer *pw)
{
    uint32_t *order = malloc((pw->p->n_addresses + 1) * sizeof *order);
    if (!order) {
        fail(pw->w, "out of memory");
        return;
    }
    for (size_t r = 0; r < pw->n_rows; r++)
        for (uint32_t i = 0; i < pw->rows[r].fresh; i++)
            pw->spans[pw->rows[r].addresses[i]].uses++;
    size_t n = 0;
    for (uint32_t a = 0; a < pw->p->n_addresses; a++)
        if (pw->spans[a].uses)
            order[n++] = a;
    qsort_r(order, n, sizeof *order, by_uses, pw->spans);
    for (size_t k = 0; k < n && !pw->w->failure[0]; k++)
        store_address(pw, order[k]);
    free(order);
}

/* Writes V in decimal at OUT; returns the end. */
static char *put_decimal(char *out, int64_t v)
{
    char digits[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        digits[n++] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *out++ = '-';
    while (n)
        *out++ = digits[--n];
    return out;
}

/* The JSON array of the frames.id of ROW's own addresses (innermost
 * first), in pw->json until the next call; NULL when out of memory.
 * Written into one reused buffer: a stdio stream per stack was a tenth of
 * the time pyjson's 14,000 stacks took to store. */
static const char *frames_json(struct process_writer *pw, const struct shared_stack *row)
{
    size_t ids = 0;
    for (uint32_t i = 0; i < row->fresh; i++)
        ids += pw->spans[row->addresses[i]].count;
    size_t room = 3 + ids * 21; /* brackets, NUL, and each id with its comma */
    if (room > pw->json_room) {
        char *grown = realloc(pw->json, room);
        if (!grown)
            return NULL;
        pw->json = grown;
        pw->json_room = room;
    }
    char *out = pw->json;
    *out++ = '[';
    for (uint32_t i = 0; i < row->fresh; i++) {
        const struct frame_span *span = &pw->spans[row->addresses[i]];
        for (uint32_t k = 0; k < span->count; k++) {
            if (out > pw->json + 1)
                *out++ = ',';
            out = put_decimal(out, span->first + k);
        }
    }
    strcpy(out, "]");
    return pw->json;
}

/* How many frames of ROW's own come before its own address number SKIP. */
static uint32_t frames_before(const struct process_writer *pw, const struct shared_stack *row, uint32_t skip)
{
    uint32_t frames = 0;
    for (uint32_t i = 0; i < skip; i++)
        frames += pw->spans[row->addresses[i]].count;
    return frames;
}

/* Stores the planned rows, in id order. */
static void store_stacks(struct process_writer *pw)
{
    struct trace_writer *w = pw->w;
    for (size_t r = 0; r < pw->n_rows && !w->failure[0]; r++) {
        const struct shared_stack *row = &pw->rows[r];
        const char *frames = frames_json(pw, row);
        if (!frames) {
            fail(w, "out of memory");
            return;
        }
        sqlite3_bind_int64(w->stack, 1, w->next_stack + (sqlite3_int64)r);
        sqlite3_bind_int64(w->stack, 2, pw->process_id);
        sqlite3_bind_int(w->stack, 3, (int)pw->row_truncated[r]);
        sqlite3_bind_text(w->stack, 4, frames, -1, SQLITE_STATIC);
        if (row->outer != SHARED_NONE) {
            sqlite3_bind_int64(w->stack, 5, w->next_stack + (sqlite3_int64)row->outer);
            sqlite3_bind_int64(w->stack, 6, frames_before(pw, &pw->rows[row->outer], row->outer_skip));
        }
        step(w, w->stack);
    }
}

/* The stacks.id of stack ID, planned before; 0 for none. */
static sqlite3_int64 stored_stack(const struct process_writer *pw, uint32_t id)
{
    const sqlite3_int64 *row = id ? u64map_get(&pw->stacks, id) : NULL;
    return row ? *row : 0;
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
static const char *end_reason(const struct stored_process *p)
{
    int handlers = p->stand_in || (p->exit && p->exit->how == MT_EXIT_HANDLERS);
    if (p->ending.wait_status_known)
        return WIFSIGNALED(p->ending.wait_status) ? "signal" : handlers ? "exit" : "_exit";
    if (p->replaced_by_exec)
        return "exec";
    if (p->exit)
        return handlers ? "exit" : "_exit";
    /* no word from it: killed by a signal (which one, only its parent knows) */
    return p->ending.still_running ? "running" : "signal";
}

/* argv as a JSON array, built by SQLite's own JSON functions. */
static char *argv_json(struct trace_writer *w, const struct stored_process *p)
{
    char *json = strdup("[]");
    sqlite3_stmt *st = prepare(w, "SELECT json_insert(?1, '$[#]', ?2)");
    for (int i = 0; st && json && i < p->argc; i++) {
        sqlite3_bind_text(st, 1, json, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, p->argv[i] ? p->argv[i] : "", -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            fail_sql(w);
        char *next = rc == SQLITE_ROW ? strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
        sqlite3_reset(st);
        free(json);
        json = next;
    }
    sqlite3_finalize(st);
    return json;
}

/* Inserts the processes row; returns its id or -1. */
static sqlite3_int64 insert_process(struct trace_writer *w, const struct stored_process *p)
{
    sqlite3_stmt *st = prepare(w,
        "INSERT INTO processes(pid, parent_pid, argv, executable, start_ns, end_ns, exit_code, exit_signal, "
        "end_reason, leak_scan, allocations, frees, allocated_bytes, peak_bytes, peak_ns, "
        "temporary_allocations, note, id, send_wait_max_ns, send_wait_total_ns, backtraces, "
        "backtraces_by_libunwind, untraced) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    char *argv = argv_json(w, p);
    if (!st || !argv) {
        fail(w, "out of memory"); /* unless prepare() or argv_json() kept SQLite's reason first */
        sqlite3_finalize(st);
        free(argv);
        return -1;
    }
    const struct mt_rec_exit *exit = p->exit;
    int signaled = p->ending.wait_status_known && WIFSIGNALED(p->ending.wait_status);
    sqlite3_bind_int64(st, 1, p->pid);
    sqlite3_bind_int64(st, 2, p->parent_pid);
    sqlite3_bind_text(st, 3, argv, -1, SQLITE_STATIC);
    bind_text_or_null(st, 4, p->executable);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)p->start_ns);
    if (p->end_ns)
        sqlite3_bind_int64(st, 6, (sqlite3_int64)p->end_ns);
    if (p->ending.wait_status_known && WIFEXITED(p->ending.wait_status))
        sqlite3_bind_int(st, 7, WEXITSTATUS(p->ending.wait_status));
    else if (exit)
        sqlite3_bind_int(st, 7, exit->status & 0xff);
    if (signaled)
        sqlite3_bind_int(st, 8, WTERMSIG(p->ending.wait_status));
    sqlite3_bind_text(st, 9, end_reason(p), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, exit && exit->h.extra);
    /* libtrack's atomic counters are exact; the collector's own are the fallback */
    bind_count(st, 11, exit ? exit->allocations : p->allocations);
    bind_count(st, 12, exit ? exit->frees : p->frees);
    bind_count(st, 13, p->allocated_bytes);
    bind_count(st, 14, exit ? exit->peak_bytes : p->peak_bytes);
    sqlite3_bind_int64(st, 15, (sqlite3_int64)(exit ? exit->peak_ns : p->peak_ns));
    bind_count(st, 16, p->temporary);
    char *note = note_with_drops(p);
    bind_text_or_null(st, 17, note ? note : p->note);
    sqlite3_bind_int(st, 18, p->ordinal); /* ids follow the order processes started, not ended */
    if (exit) {
        sqlite3_bind_int64(st, 19, (sqlite3_int64)exit->send_wait_max_ns);
        sqlite3_bind_int64(st, 20, (sqlite3_int64)exit->send_wait_total_ns);
        sqlite3_bind_int64(st, 21, (sqlite3_int64)exit->backtraces);
        sqlite3_bind_int64(st, 22, (sqlite3_int64)exit->backtraces_by_libunwind);
    }
    bind_text_or_null(st, 23, p->untraced);
    sqlite3_int64 id = step(w, st);
    sqlite3_finalize(st);
    free(argv);
    free(note);
    return id;
}

/* Stores the process's mappings, each naming its object, and keeps the
 * objects' ids for the frames. */
static int store_modules(struct process_writer *pw)
{
    struct trace_writer *w = pw->w;
    pw->module_objects = calloc(pw->p->n_modules + 1, sizeof *pw->module_objects);
    if (!pw->module_objects) {
        fail(w, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < pw->p->n_modules; i++) {
        const struct mt_module *m = &pw->p->modules[i];
        sqlite3_int64 object = object_table_id(&w->objects, m->path, m->build_id);
        if (object < 0) {
            fail_sql(w);
            return -1;
        }
        pw->module_objects[i] = object;
        sqlite3_bind_int64(w->module, 1, pw->process_id);
        sqlite3_bind_int64(w->module, 2, object);
        sqlite3_bind_int64(w->module, 3, (sqlite3_int64)m->base);
        sqlite3_bind_int64(w->module, 4, (sqlite3_int64)m->start);
        sqlite3_bind_int64(w->module, 5, (sqlite3_int64)m->end);
        step(w, w->module);
    }
    return 0;
}

/* Stores the sites, in the order their stacks were planned. */
static void store_sites(struct process_writer *pw)
{
    struct trace_writer *w = pw->w;
    for (size_t k = 0; k < pw->n_sites; k++) {
        const struct mt_site *s = pw->sites[k].site;
        sqlite3_int64 stack = stored_stack(pw, (uint32_t)(pw->sites[k].key - 1));
        if (!stack)
            continue;
        /* a peak reached since the site last changed found its live bytes as they are now */
        uint64_t at_peak = s->seen_peak_seq != pw->p->peak_seq ? s->live_bytes : s->at_peak;
        sqlite3_bind_int64(w->site, 1, stack);
        sqlite3_bind_int64(w->site, 2, pw->process_id);
        bind_count(w->site, 3, s->allocations);
        bind_count(w->site, 4, s->bytes);
        bind_count(w->site, 5, s->temporary);
        bind_count(w->site, 6, at_peak);
        for (int b = 0; b < MT_LIFETIME_BUCKETS; b++)
            bind_count(w->site, 7 + b, s->lifetimes[b]);
        step(w, w->site);
        if (w->progress != NULL)
            w->progress(w->progress_context, pw->p, k + 1, pw->n_sites);
    }
}

/* A live block to store, with the row of its stack. */
struct block_ref {
    sqlite3_int64 stack;
    uint64_t id;
    const struct mt_live_block *block;
};

/* What gather_block fills. */
struct block_refs {
    const struct process_writer *pw;
    struct block_ref *refs;
    size_t n, cap;
    int failed;
};

/* Keeps one live block for store_blocks (live_blocks_for_each); one
 * without a stack is left out, since blocks.stack_id is NOT NULL. */
static void gather_block(uint64_t id, const struct mt_live_block *b, void *arg)
{
    struct block_refs *all = arg;
    sqlite3_int64 stack = stored_stack(all->pw, b->stack);
    if (!stack || all->failed)
        return;
    struct block_ref *ref = array_push((void **)&all->refs, &all->n, &all->cap, sizeof *ref);
    if (ref)
        *ref = (struct block_ref){stack, id, b};
    all->failed |= !ref;
}

static int by_stack(const void *a, const void *b)
{
    const struct block_ref *x = a, *y = b;
    if (x->stack != y->stack)
        return x->stack < y->stack ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Gathers the live blocks to store into ALL, in the order of their stacks,
 * the table's order: each row then goes at its end instead of at a random
 * place in it.  Reads the plan only (no SQLite): it may run beside the
 * storing of the sites. */
static void gather_blocks(const struct process_writer *pw, struct block_refs *all)
{
    *all = (struct block_refs){.pw = pw};
    live_blocks_for_each(pw->p->blocks, gather_block, all);
    if (all->n > 1) /* refs is NULL when no block is live */
        qsort(all->refs, all->n, sizeof *all->refs, by_stack);
}

/* Stores the blocks gather_blocks gathered, and frees them. */
static void store_blocks(struct process_writer *pw, struct block_refs all)
{
    struct trace_writer *w = pw->w;
    if (all.failed)
        fail(w, "out of memory");
    for (size_t i = 0; i < all.n && !w->failure[0]; i++) {
        const struct mt_live_block *b = all.refs[i].block;
        uint64_t id = all.refs[i].id;
        sqlite3_bind_int64(w->block, 1, pw->process_id);
        sqlite3_bind_int64(w->block, 2, all.refs[i].stack);
        sqlite3_bind_int64(w->block, 3, (sqlite3_int64)live_block_address(pw->p->blocks, id, b));
        sqlite3_bind_int64(w->block, 4, (sqlite3_int64)live_block_size(pw->p->blocks, id, b));
        sqlite3_bind_int(w->block, 5, b->function < MT_FN_END ? (int)b->function : MT_FN_NONE);
        sqlite3_bind_int64(w->block, 6, (sqlite3_int64)b->time_ns);
        sqlite3_bind_int(w->block, 7, b->kind < MT_LEAK_END ? (int)b->kind : MT_LEAK_UNCLASSIFIED);
        sqlite3_bind_text(w->block, 8, mt_heuristic_name(b->heuristic), -1, SQLITE_STATIC); /* NULL: none */
        const uint64_t *owner = b->kind == MT_LEAK_INDIRECT ? u64map_get(pw->p->owners, id) : NULL;
        if (owner)
            sqlite3_bind_int64(w->block, 9, (sqlite3_int64)*owner);
        sqlite3_bind_int64(w->block, 10, w->next_block + (sqlite3_int64)i);
        step(w, w->block);
    }
    pw->n_blocks = all.n;
    free(all.refs);
}

/* Binds the variable an invalid free of no block points into (memcheck's
 * "Address 0x... is 0 bytes inside data symbol \"global_int\""), when an
 * object's symbols name one; the columns stay NULL otherwise. */
static void bind_data_symbol(struct process_writer *pw, const struct mt_rec_error *e)
{
    if (e->h.extra != MT_ERR_INVALID_FREE || e->size != UINT64_MAX || pw->sym == NULL)
        return;
    const struct mt_module *m = mt_module_of(pw->p->modules, pw->p->n_modules, e->address);
    uint64_t offset = 0;
    const char *name = m ? symbolizer_data_symbol(pw->sym, m->path, m->base, e->address, &offset) : NULL;
    if (name == NULL)
        return;
    sqlite3_bind_text(pw->w->error, 12, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(pw->w->error, 13, (sqlite3_int64)offset);
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
        bind_stack(w->error, 8, stored_stack(pw, e->stack));
        bind_stack(w->error, 9, stored_stack(pw, e->alloc_stack));
        bind_stack(w->error, 10, stored_stack(pw, e->first_free_stack));
        sqlite3_bind_int64(w->error, 11, (sqlite3_int64)e->time_ns);
        bind_data_symbol(pw, e);
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
        if (pw->p->timeline[i].rss_bytes != 0) /* 0: no reading in its interval */
            sqlite3_bind_int64(w->sample, 4, (sqlite3_int64)pw->p->timeline[i].rss_bytes);
        else
            sqlite3_bind_null(w->sample, 4);
        step(w, w->sample);
    }
}

/* What a process's store prepares beside the storing of its sites: the
 * sharing of its stacks rows (stack_trie_share) and its blocks in order. */
struct preparation {
    const struct process_writer *pw;
    int sharing_rc;
    struct block_refs blocks;
};

static void *prepare_beside_sites(void *arg)
{
    struct preparation *job = arg;
    job->sharing_rc = stack_trie_share(job->pw->rows, job->pw->n_rows);
    gather_blocks(job->pw, &job->blocks);
    return NULL;
}

/* Plans the process's stacks rows and stores its sites, blocks, frames and
 * stacks.  Sharing the rows' outer frames and putting the blocks in order
 * need the plan and nothing stored, and the sites need only the plan: from
 * THREADED_PREPARATION_FROM rows on, that preparation runs on a thread of
 * its own while the sites are stored (the program has ended; its CPU is
 * idle).  A compiler's 146,000 stacks take 80 to 120 ms to share. */
#define THREADED_PREPARATION_FROM 4096

static void store_contents(struct process_writer *pw)
{
    plan_stacks(pw);
    if (pw->w->progress != NULL)
        pw->w->progress(pw->w->progress_context, pw->p, 0, pw->n_sites);
    if (pw->w->failure[0])
        return;
    struct preparation job = {.pw = pw};
    pthread_t thread;
    int threaded =
        pw->n_rows >= THREADED_PREPARATION_FROM && pthread_create(&thread, NULL, prepare_beside_sites, &job) == 0;
    if (!threaded)
        prepare_beside_sites(&job);
    store_sites(pw);
    if (threaded)
        pthread_join(thread, NULL);
    if (!pw->w->failure[0] && job.sharing_rc != 0)
        fail(pw->w, "out of memory");
    store_blocks(pw, job.blocks); /* frees them, stored or not */
    if (!pw->w->failure[0])
        store_frames(pw);
    if (!pw->w->failure[0])
        store_stacks(pw);
}

int trace_write_process(struct trace_writer *w, const struct stored_process *p, struct symbolizer *sym)
{
    struct process_writer pw = {.w = w, .p = p, .sym = sym};
    u64map_init(&pw.stacks, sizeof(sqlite3_int64));
    w->failure[0] = '\0';
    pw.spans = calloc(p->n_addresses + 1, sizeof *pw.spans);
    if (!pw.spans)
        fail(w, "out of memory");
    else if (exec(w, "BEGIN") == 0 && (pw.process_id = insert_process(w, p)) > 0 && store_modules(&pw) == 0) {
        store_contents(&pw);
        store_errors(&pw);
        store_marks(&pw);
        store_timeline(&pw);
        if (!w->failure[0])
            exec(w, "COMMIT");
    }
    int rc = w->failure[0] ? -1 : 0;
    if (rc) /* its own failure ("no transaction is active") would only repeat the first one */
        sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    else {
        w->next_stack += (sqlite3_int64)pw.n_rows;
        w->next_block += (sqlite3_int64)pw.n_blocks;
    }
    u64map_free(&pw.stacks);
    free(pw.spans);
    free(pw.sites);
    free(pw.rows);
    free(pw.row_truncated);
    free(pw.json);
    free(pw.module_objects);
    return rc;
}

int trace_writer_close(struct trace_writer *w, int complete)
{
    int rc = set_meta(w, "complete", complete ? "1" : "0");
    sqlite3_stmt *all[] = {w->frame, w->stack, w->site, w->block, w->error, w->mark, w->module, w->sample};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        sqlite3_finalize(all[i]);
    object_table_close(&w->objects);
    if (sqlite3_close(w->db) != SQLITE_OK)
        rc = -1;
    free(w);
    return rc;
}
