/*
 * sites.c - allocation sites (one per allocation stack) of a process, with
 * how much of what each allocated is still unfreed, largest first.
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

enum { COLUMN_STACK_ID, COLUMN_ALLOCATIONS, COLUMN_BYTES, COLUMN_TEMPORARY, COLUMN_PEAK_BYTES,
       COLUMN_LEAKED_BYTES };

/* Appends the site in the current row of SITES_SQL (its stack's id only). */
static int append_site(struct trace *trace, sqlite3_stmt *statement, void *target)
{
    struct report_process *process = target;
    struct report_site *sites = make_room(process->sites, process->site_count, sizeof *sites);
    if (sites == NULL)
        return trace_fail(trace, "out of memory");
    process->sites = sites;
    struct report_site *site = &sites[process->site_count++];
    *site = (struct report_site){0};
    struct row_reader row;
    row_start(&row, trace, statement, "sites row %lld", (long long)sqlite3_column_int64(statement, COLUMN_STACK_ID));
    struct maybe_int stack_id = {.present = true, .value = row_integer(&row, COLUMN_STACK_ID)};
    site->allocations = row_count(&row, COLUMN_ALLOCATIONS);
    site->bytes = row_count(&row, COLUMN_BYTES);
    site->temporary = row_count(&row, COLUMN_TEMPORARY);
    site->peak_bytes = row_count(&row, COLUMN_PEAK_BYTES);
    site->leaked_bytes = row_count(&row, COLUMN_LEAKED_BYTES);
    site->stack.id = stack_id.value;
    return row.failed ? -1 : 0;
}

/* Fills PROCESS's allocation sites, and the stacks of the SITE_STACKS of
 * them with most allocations (SIZE_MAX: all), telling PROGRESS's scope's
 * progress after each. */
int analyse_sites(struct trace *trace, struct report_process *process, size_t site_stacks,
                  const struct sites_progress *progress)
{
    if (query_each_row(trace, SITES_SQL, process->row_id, "reading sites", append_site, process) != 0)
        return -1;
    size_t count = process->site_count;
    struct report_site **order = malloc((count ? count : 1) * sizeof *order);
    if (order == NULL)
        return trace_fail(trace, "out of memory");
    for (size_t i = 0; i < count; i++)
        order[i] = &process->sites[i];
    if (site_stacks < count)
        qsort(order, count, sizeof *order, report_site_by_allocations);
    int result = 0;
    size_t loaded = count < site_stacks ? count : site_stacks;
    analyse_progress *told = progress->scope->progress;
    for (size_t i = 0; i < loaded && result == 0; i++) {
        result = load_stack(trace, (struct maybe_int){.present = true, .value = order[i]->stack.id}, &order[i]->stack);
        if (told != NULL)
            told(progress->scope->progress_context, process, progress->index, progress->count, i + 1, loaded);
    }
    free(order);
    return result;
}
