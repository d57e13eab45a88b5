/*
 * sites.c - allocation sites (one per allocation stack) of a process, with
 * how much of what each allocated is still unfreed: all of them largest
 * first, or only the few with most allocations (what the text report
 * prints), read by a query that stops there.
 */
#include <stdlib.h>

#include "analyse/analyse.h"
#include "analyse/query.h"
#include "analyse/stacks.h"

/* leaked_bytes is NULL when a block of the site has no size: damage.  The
 * process's blocks are summed by stack in one pass (a lookup per site was
 * a tenth of a compiler trace's report). */
static const char SITES_SQL[] =
    "SELECT s.stack_id AS stack_id, s.allocations AS allocations, s.bytes AS bytes,"
    "       s.temporary AS temporary, s.peak_bytes AS peak_bytes,"
    "       CASE WHEN l.stack_id IS NULL THEN 0 ELSE l.leaked_bytes END AS leaked_bytes"
    " FROM sites AS s"
    " LEFT JOIN (SELECT b.stack_id AS stack_id,"
    "                   CASE WHEN count(b.size) = count(*) THEN coalesce(sum(b.size), 0) END AS leaked_bytes"
    "            FROM blocks AS b WHERE b.process_id = ?1 GROUP BY b.stack_id) AS l ON l.stack_id = s.stack_id"
    " WHERE s.process_id = ?1 ORDER BY s.bytes DESC, s.stack_id";

/* The ?2 sites with most allocations (report_site_by_allocations' order),
 * their leaked bytes summed for them alone: the sort keeps only ?2 rows. */
static const char TOP_SITES_SQL[] =
    "SELECT s.stack_id AS stack_id, s.allocations AS allocations, s.bytes AS bytes,"
    "       s.temporary AS temporary, s.peak_bytes AS peak_bytes,"
    "       (SELECT CASE WHEN count(b.size) = count(*) THEN coalesce(sum(b.size), 0) END"
    "        FROM blocks AS b WHERE b.process_id = ?1 AND b.stack_id = s.stack_id) AS leaked_bytes"
    " FROM (SELECT stack_id, allocations, bytes, temporary, peak_bytes FROM sites WHERE process_id = ?1"
    "       ORDER BY allocations DESC, bytes DESC, stack_id LIMIT ?2) AS s";

static const char SITE_COUNT_SQL[] = "SELECT count(*) FROM sites WHERE process_id = ?1";

enum { COLUMN_STACK_ID, COLUMN_ALLOCATIONS, COLUMN_BYTES, COLUMN_TEMPORARY, COLUMN_PEAK_BYTES,
       COLUMN_LEAKED_BYTES };

/* Reads the site in the current row of SITES_SQL or TOP_SITES_SQL into
 * SITE, with its stack, or its id alone unless WITH_STACK; -1 with the
 * damage recorded. */
static int read_site(struct trace *trace, sqlite3_stmt *statement, struct report_site *site, bool with_stack)
{
    *site = (struct report_site){0};
    struct row_reader row;
    row_start(&row, trace, statement, "sites row %lld", (long long)sqlite3_column_int64(statement, COLUMN_STACK_ID));
    struct maybe_int stack_id = {.present = true, .value = row_integer(&row, COLUMN_STACK_ID)};
    site->allocations = row_count(&row, COLUMN_ALLOCATIONS);
    site->bytes = row_count(&row, COLUMN_BYTES);
    site->temporary = row_count(&row, COLUMN_TEMPORARY);
    site->peak_bytes = row_count(&row, COLUMN_PEAK_BYTES);
    site->leaked_bytes = row_count(&row, COLUMN_LEAKED_BYTES);
    if (!with_stack) {
        site->stack = (struct report_stack){.present = true, .id = stack_id.value};
        return row.failed ? -1 : 0;
    }
    return row.failed ? -1 : load_stack(trace, stack_id, &site->stack);
}

/* Tells PROGRESS that PROCESS has DONE of its SITES sites read. */
static void tell(const struct sites_progress *progress, const struct report_process *process, size_t done,
                 size_t sites)
{
    if (progress->told != NULL)
        progress->told(progress->context, process, progress->index, progress->count, done, sites);
}

/* Where the sites of a query go: kept in PROCESS's (VISIT NULL), or handed
 * to VISIT; LOADED of them are read in all, each told to PROGRESS. */
struct site_target {
    struct report_process *process;
    int (*visit)(void *context, const struct report_site *site);
    void *context;
    const struct sites_progress *progress;
    size_t loaded, done;
    bool load_stacks;
};

/* Appends the site in the current row, with its stack, to the process's. */
static int append_site(struct trace *trace, sqlite3_stmt *statement, void *target_pointer)
{
    struct site_target *target = target_pointer;
    struct report_process *process = target->process;
    struct report_site *sites = make_room(process->sites, process->site_count, sizeof *sites);
    if (sites == NULL)
        return trace_fail(trace, "out of memory");
    process->sites = sites;
    int result = read_site(trace, statement, &sites[process->site_count], true);
    process->site_count++; /* even when failed: the report frees what it holds */
    if (result == 0)
        tell(target->progress, process, ++target->done, target->loaded);
    return result;
}

/* Stores the count in the current row of SITE_COUNT_SQL as the process's site_total. */
static int take_site_total(struct trace *trace, sqlite3_stmt *statement, void *target)
{
    struct report_process *process = target;
    struct row_reader row;
    row_start(&row, trace, statement, "sites with process_id %lld", (long long)process->row_id);
    process->site_total = (size_t)row_count(&row, 0);
    return row.failed ? -1 : 0;
}

int analyse_sites(struct trace *trace, struct report_process *process, size_t sites,
                  const struct sites_progress *progress)
{
    if (query_each_row(trace, SITE_COUNT_SQL, process->row_id, "reading sites", take_site_total, process) != 0)
        return -1;
    size_t loaded = process->site_total < sites ? process->site_total : sites;
    struct site_target target = {process, NULL, NULL, progress, loaded, 0, true};
    if (sites == SIZE_MAX)
        return query_each_row(trace, SITES_SQL, process->row_id, "reading sites", append_site, &target);
    int64_t limit = sites < (size_t)INT64_MAX ? (int64_t)sites : INT64_MAX;
    return query_first_rows(trace, TOP_SITES_SQL, process->row_id, limit, "reading sites", append_site, &target);
}

/* Hands the site in the current row of SITES_SQL to the visitor; 1 when it
 * stopped. */
static int visit_site(struct trace *trace, sqlite3_stmt *statement, void *target_pointer)
{
    struct site_target *target = target_pointer;
    struct report_site site;
    int result = read_site(trace, statement, &site, target->load_stacks);
    if (result == 0 && target->visit(target->context, &site) != 0)
        result = 1;
    report_stack_free(&site.stack);
    if (result == 0)
        tell(target->progress, target->process, ++target->done, target->loaded);
    return result;
}

int analyse_each_site(struct trace *trace, struct report_process *process,
                      int (*visit)(void *context, const struct report_site *site), void *context,
                      const struct sites_progress *progress, bool load_stacks)
{
    if (query_each_row(trace, SITE_COUNT_SQL, process->row_id, "reading sites", take_site_total, process) != 0)
        return -1;
    struct site_target target = {process, visit, context, progress, process->site_total, 0, load_stacks};
    return query_each_row(trace, SITES_SQL, process->row_id, "reading sites", visit_site, &target);
}
