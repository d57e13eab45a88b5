/*
 * sites.c - allocation sites (one per allocation stack) of a process, with
 * how much of what each allocated is still unfreed, largest first.
 */
#include "analyse/analyse.h"
#include "analyse/query.h"
#include "analyse/stacks.h"

/* leaked_bytes is NULL when a block of the site has no size: damage. */
static const char SITES_SQL[] =
    "SELECT s.stack_id AS stack_id, s.allocations AS allocations, s.bytes AS bytes,"
    "       s.temporary AS temporary, s.peak_bytes AS peak_bytes,"
    "       (SELECT CASE WHEN count(b.size) = count(*) THEN coalesce(sum(b.size), 0) END FROM blocks AS b"
    "         WHERE b.process_id = s.process_id AND b.stack_id = s.stack_id) AS leaked_bytes"
    " FROM sites AS s WHERE s.process_id = ?1 ORDER BY s.bytes DESC, s.stack_id";

enum { COLUMN_STACK_ID, COLUMN_ALLOCATIONS, COLUMN_BYTES, COLUMN_TEMPORARY, COLUMN_PEAK_BYTES,
       COLUMN_LEAKED_BYTES };

/* Appends the site in the current row of SITES_SQL, with its stack. */
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
    if (row.failed)
        return -1;
    return load_stack(trace, stack_id, &site->stack);
}

/* Fills PROCESS's allocation sites. */
int analyse_sites(struct trace *trace, struct report_process *process)
{
    return query_each_row(trace, SITES_SQL, process->row_id, "reading sites", append_site, process);
}
