/*
 * writer.c - the only code that writes trace files.  The schema comes from
 * trace/schema.sql (compiled in); the meta table says which schema version
 * wrote the file and whether the run finished ("complete").
 *
 * Each process is stored in one transaction, so a trace cut short (memtrack
 * killed, disk full) still holds every process committed before.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "collect/process.h"
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
    w->next_stack = 1;
    w->frame = prepare(w, "INSERT INTO frames(address, object_id, function, file, line, inlined) VALUES (?,?,?,?,?,?)");
    w->stack = prepare(w, "INSERT INTO stacks(id, process_id, truncated, frames, outer_id, outer_skip) "
                          "VALUES (?,?,?,?,?,?)");
    w->site = prepare(w, "INSERT INTO sites(stack_id, process_id, allocations, bytes, temporary, peak_bytes, "
                         "freed_before_1us, freed_before_10us, freed_before_100us, freed_before_1ms, "
                         "freed_before_10ms, freed_before_100ms, freed_before_1s, freed_before_10s, freed_later) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    w->block = prepare(w, "INSERT INTO blocks(process_id, stack_id, address, size, function, time_ns, kind, "
                          "heuristic, owner_address) VALUES (?,?,?,?,?,?,?,?,?)");
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
static char *note_with_drops(const struct mt_process *p)
{
    if (!p->dropped_records)
        return NULL;
    char *note = NULL;
    if (asprintf(&note, "%s%s%llu records with fields out of range were dropped", p->note ? p->note : "",
                 p->note ? "; " : "", (unsigned long long)p->dropped_records) < 0)
        return NULL;
    return note;
}

/* What storing one process needs: the stacks and addresses already stored. */
struct process_writer {
    struct trace_writer *w;
    struct mt_process *p;
    struct symbolizer *sym;
    sqlite3_int64 process_id;
    sqlite3_int64 *module_objects; /* objects.id of each of p->modules */
    struct u64map stacks;          /* stack id -> stacks.id */
    struct frame_span *spans;      /* by address number (mt_process.addresses); ordinal 0 until stored */
    struct stack_trie trie;        /* where the frames of the stacks stored are */
    char *json;                    /* frames_json's text, reused from stack to stack */
    size_t json_room;
};

/* Stores the frames of one return address (inlined frames expanded), whose
 * number in the process is ordinal - 1. */
static struct frame_span store_address(struct process_writer *pw, uint64_t address, uint32_t ordinal)
{
    struct trace_writer *w = pw->w;
    const struct mt_module *m = process_module_of(pw->p, address);
    struct symbol_frame f[MAX_INLINE];
    int n = 1;
    memset(f, 0, sizeof f);
    if (m && pw->sym)
        n = symbolizer_resolve(pw->sym, m->path, m->base, address, f, MAX_INLINE);
    struct frame_span span = {.first = -1, .ordinal = ordinal};
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
            break;
        if (!span.count)
            span.first = id;
        span.count++;
    }
    return span;
}

/* The JSON array of the frames.id of spans[0..n) (innermost first), in
 * pw->json until the next call; NULL when out of memory.  Written into one
 * reused buffer: a stdio stream per stack was a tenth of the time pyjson's
 * 14,000 stacks took to store. */
static const char *frames_json(struct process_writer *pw, const struct frame_span *spans, size_t n)
{
    size_t ids = 0;
    for (size_t i = 0; i < n; i++)
        ids += spans[i].count;
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
    for (size_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < spans[i].count; k++) {
            if (out > pw->json + 1)
                *out++ = ',';
            out += sprintf(out, "%" PRId64, spans[i].first + k);
        }
    strcpy(out, "]");
    return pw->json;
}

/* Stores stack `id` (once per process) and returns its stacks.id; 0 for
 * none.  Its row holds only the frames no stack stored before had. */
static sqlite3_int64 store_stack(struct process_writer *pw, uint32_t id)
{
    if (!id)
        return 0;
    sqlite3_int64 *done = u64map_get(&pw->stacks, id);
    if (done)
        return *done;
    struct trace_writer *w = pw->w;
    const struct mt_stack_def *def = u64map_get(&pw->p->stacks, id);
    uint32_t depth = def ? def->depth : 0;
    struct frame_span *spans = malloc((depth + 1) * sizeof *spans);
    if (!spans) {
        fail(w, "out of memory");
        return 0;
    }
    for (uint32_t i = 0; i < depth; i++) {
        uint32_t number = pw->p->frames[def->first + i];
        struct frame_span *span = &pw->spans[number];
        if (!span->ordinal)
            *span = store_address(pw, pw->p->addresses[number], number + 1);
        spans[i] = *span;
    }
    struct stack_match match;
    stack_trie_match(&pw->trie, spans, depth, &match);
    const char *frames = frames_json(pw, spans, match.fresh);
    if (!frames) {
        fail(w, "out of memory");
        free(spans);
        return 0;
    }
    sqlite3_int64 row = w->next_stack;
    sqlite3_bind_int64(w->stack, 1, row);
    sqlite3_bind_int64(w->stack, 2, pw->process_id);
    sqlite3_bind_int(w->stack, 3, def ? (int)def->truncated : 0);
    sqlite3_bind_text(w->stack, 4, frames, -1, SQLITE_STATIC);
    if (match.outer_id) {
        sqlite3_bind_int64(w->stack, 5, match.outer_id);
        sqlite3_bind_int64(w->stack, 6, match.outer_skip);
    }
    /* the trie learns of the row only once it is stored: a failed insert
     * leaves no node naming a row that holds other frames */
    sqlite3_int64 *slot = NULL;
    if (step(w, w->stack) == row) {
        w->next_stack++;
        stack_trie_commit(&pw->trie, spans, &match, row);
        slot = u64map_put(&pw->stacks, id, NULL);
    }
    free(spans);
    return slot ? (*slot = row) : 0;
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
static sqlite3_int64 insert_process(struct trace_writer *w, const struct mt_process *p)
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
    bind_count(st, 11, exited ? p->exit.allocations : p->allocations);
    bind_count(st, 12, exited ? p->exit.frees : p->frees);
    bind_count(st, 13, p->allocated_bytes);
    bind_count(st, 14, exited ? p->exit.peak_bytes : p->peak_bytes);
    sqlite3_bind_int64(st, 15, (sqlite3_int64)(exited ? p->exit.peak_ns : p->peak_ns));
    bind_count(st, 16, p->temporary);
    char *note = note_with_drops(p);
    bind_text_or_null(st, 17, note ? note : p->note);
    sqlite3_bind_int(st, 18, p->ordinal); /* ids follow the order processes started, not ended */
    if (exited) {
        sqlite3_bind_int64(st, 19, (sqlite3_int64)p->exit.send_wait_max_ns);
        sqlite3_bind_int64(st, 20, (sqlite3_int64)p->exit.send_wait_total_ns);
        sqlite3_bind_int64(st, 21, (sqlite3_int64)p->exit.backtraces);
        sqlite3_bind_int64(st, 22, (sqlite3_int64)p->exit.backtraces_by_libunwind);
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
    if (!order) {
        fail(w, "out of memory");
        return;
    }
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
        sqlite3_bind_int64(w->site, 1, stack);
        sqlite3_bind_int64(w->site, 2, pw->process_id);
        bind_count(w->site, 3, s->allocations);
        bind_count(w->site, 4, s->bytes);
        bind_count(w->site, 5, s->temporary);
        bind_count(w->site, 6, s->at_peak);
        for (int b = 0; b < MT_LIFETIME_BUCKETS; b++)
            bind_count(w->site, 7 + b, s->lifetimes[b]);
        step(w, w->site);
        if (w->progress != NULL)
            w->progress(w->progress_context, pw->p, k + 1, n);
    }
    free(order);
}

/* Stores one live block (live_blocks_for_each). */
static void store_block(uint64_t id, const struct mt_live_block *b, void *arg)
{
    struct process_writer *pw = arg;
    struct trace_writer *w = pw->w;
    sqlite3_int64 stack = store_stack(pw, b->stack);
    if (!stack)
        return; /* blocks.stack_id is NOT NULL; a block without stack cannot be placed */
    sqlite3_bind_int64(w->block, 1, pw->process_id);
    sqlite3_bind_int64(w->block, 2, stack);
    sqlite3_bind_int64(w->block, 3, (sqlite3_int64)live_block_address(&pw->p->blocks, id, b));
    sqlite3_bind_int64(w->block, 4, (sqlite3_int64)live_block_size(&pw->p->blocks, id, b));
    sqlite3_bind_text(w->block, 5, mt_function_name(b->function), -1, SQLITE_STATIC);
    sqlite3_bind_int64(w->block, 6, (sqlite3_int64)b->time_ns);
    sqlite3_bind_text(w->block, 7, mt_leak_kind_name(b->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(w->block, 8, mt_heuristic_name(b->heuristic), -1, SQLITE_STATIC); /* NULL: none */
    const uint64_t *owner = b->kind == MT_LEAK_INDIRECT ? u64map_get(&pw->p->owners, id) : NULL;
    if (owner)
        sqlite3_bind_int64(w->block, 9, (sqlite3_int64)*owner);
    step(w, w->block);
}

static void store_blocks(struct process_writer *pw)
{
    live_blocks_for_each(&pw->p->blocks, store_block, pw);
}

/* Binds the variable an invalid free of no block points into (memcheck's
 * "Address 0x... is 0 bytes inside data symbol \"global_int\""), when an
 * object's symbols name one; the columns stay NULL otherwise. */
static void bind_data_symbol(struct process_writer *pw, const struct mt_rec_error *e)
{
    if (e->h.extra != MT_ERR_INVALID_FREE || e->size != UINT64_MAX || pw->sym == NULL)
        return;
    const struct mt_module *m = process_module_of(pw->p, e->address);
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
        bind_stack(w->error, 8, store_stack(pw, e->stack));
        bind_stack(w->error, 9, store_stack(pw, e->alloc_stack));
        bind_stack(w->error, 10, store_stack(pw, e->first_free_stack));
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

int trace_write_process(struct trace_writer *w, struct mt_process *p, struct symbolizer *sym)
{
    struct process_writer pw = {.w = w, .p = p, .sym = sym};
    u64map_init(&pw.stacks, sizeof(sqlite3_int64));
    stack_trie_init(&pw.trie);
    w->failure[0] = '\0';
    pw.spans = calloc(p->n_addresses + 1, sizeof *pw.spans);
    if (!pw.spans)
        fail(w, "out of memory");
    else if (exec(w, "BEGIN") == 0 && (pw.process_id = insert_process(w, p)) > 0 && store_modules(&pw) == 0) {
        store_sites(&pw);
        store_blocks(&pw);
        store_errors(&pw);
        store_marks(&pw);
        store_timeline(&pw);
        if (!w->failure[0])
            exec(w, "COMMIT");
    }
    int rc = w->failure[0] ? -1 : 0;
    if (rc) /* its own failure ("no transaction is active") would only repeat the first one */
        sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    u64map_free(&pw.stacks);
    free(pw.spans);
    stack_trie_free(&pw.trie);
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
