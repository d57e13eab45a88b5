/*
 * leaks.c - the blocks still allocated when a process ended, grouped by leak
 * kind, heuristic (for reachable blocks found through an interior pointer)
 * and allocation stack, most serious kind first and largest first within a
 * kind.  Every group is counted in the process's totals; only those the
 * caller shows are kept.
 */
#include <stdlib.h>

#include "analyse/analyse.h"
#include "analyse/query.h"
#include "analyse/stacks.h"

/* `size` is the smallest size in the group, NULL if any is NULL, so damage
 * hiding inside a group is still seen.  HEURISTIC is the column
 * blocks.heuristic, or NULL for a trace written before it existed; OWNED
 * gives the indirect bytes each definite block leads (blocks.owner_address),
 * or nothing for a trace written before that column. */
#define LEAKS_SELECT(HEURISTIC, OWNED)                                                                          \
    "WITH owned(address, bytes) AS (" OWNED ")"                                                                \
    " SELECT b.kind, " HEURISTIC " AS heuristic, b.stack_id,"                                                  \
    "        CASE WHEN count(b.size) = count(*) THEN min(b.size) END AS size, sum(b.size) AS bytes,"            \
    "        count(*) AS blocks, coalesce(sum(o.bytes), 0) AS indirect_bytes"                                              \
    " FROM blocks AS b LEFT JOIN owned AS o ON b.kind = 'definite' AND o.address = b.address"                \
    " WHERE b.process_id = ?1 GROUP BY b.kind, heuristic, b.stack_id"                                        \
    " ORDER BY " KIND_RANK ", bytes DESC, blocks DESC, b.stack_id, " HEURISTIC_RANK
/* The report's order of groups: kind (enum leak_kind's order), then bytes
 * and blocks descending, then stack id and heuristic (none first, then enum
 * leak_heuristic's order), so equal groups still come out the same way
 * every time. */
#define KIND_RANK                                                                                               \
    "CASE b.kind WHEN 'definite' THEN 0 WHEN 'indirect' THEN 1 WHEN 'possible' THEN 2 WHEN 'reachable' THEN 3"  \
    " ELSE 4 END"
#define HEURISTIC_RANK                                                                                          \
    "CASE heuristic WHEN 'stdstring' THEN 1 WHEN 'length64' THEN 2 WHEN 'newarray' THEN 3"                     \
    " WHEN 'multipleinheritance' THEN 4 ELSE 0 END"
#define OWNED_BYTES                                                                                             \
    "SELECT owner_address, sum(size) FROM blocks"                                                              \
    " WHERE process_id = ?1 AND kind = 'indirect' AND owner_address IS NOT NULL GROUP BY owner_address"
#define NOTHING_OWNED "SELECT NULL, NULL WHERE 0"
/* by [has blocks.heuristic][has blocks.owner_address] */
static const char *const LEAKS_SQL[2][2] = {
    {LEAKS_SELECT("NULL", NOTHING_OWNED), LEAKS_SELECT("NULL", OWNED_BYTES)},
    {LEAKS_SELECT("b.heuristic", NOTHING_OWNED), LEAKS_SELECT("b.heuristic", OWNED_BYTES)},
};

enum {
    COLUMN_KIND, COLUMN_HEURISTIC, COLUMN_STACK_ID, COLUMN_SMALLEST_SIZE, COLUMN_BYTES, COLUMN_BLOCKS,
    COLUMN_INDIRECT_BYTES
};

/* Adds a group's blocks to the process's leaked totals; an overflow can only
 * come from damaged sizes. */
static int add_to_totals(struct trace *trace, struct report_process *process, const struct report_leak *leak)
{
    struct report_summary *summary = &process->summary;
    struct report_leak_totals *totals = &process->leak_totals;
    if (__builtin_add_overflow(summary->leaked_bytes, leak->bytes, &summary->leaked_bytes) ||
        __builtin_add_overflow(summary->leaked_blocks, leak->blocks, &summary->leaked_blocks))
        return trace_fail(trace, "damaged: blocks: sizes add up beyond 2^63");
    /* each is a part of the sums just checked */
    totals->records[leak->kind]++;
    totals->bytes[leak->kind] += leak->bytes;
    totals->blocks[leak->kind] += leak->blocks;
    totals->heuristic_bytes[leak->heuristic] += leak->bytes;
    totals->heuristic_blocks[leak->heuristic] += leak->blocks;
    return 0;
}

/* What append_leak fills: the process, and which groups it keeps. */
struct leaks_target {
    struct report_process *process;
    unsigned kinds, stack_kinds;
    size_t records;
    size_t kept[LEAK_KIND_COUNT];
};

/* Counts the group in the current row of LEAKS_SQL and keeps it when its
 * kind is one of target->kinds and fewer than target->records of that kind
 * are kept, with its stack if its kind is one of target->stack_kinds. */
static int append_leak(struct trace *trace, sqlite3_stmt *statement, void *target_pointer)
{
    struct leaks_target *target = target_pointer;
    struct report_process *process = target->process;
    struct report_leak leak = {0};
    struct row_reader row;
    row_start(&row, trace, statement, "blocks with process_id %lld", (long long)process->row_id);
    leak.kind = row_name(&row, COLUMN_KIND, LEAK_KIND_NAMES, LEAK_KIND_COUNT);
    leak.heuristic = row_maybe_name(&row, COLUMN_HEURISTIC, HEURISTIC_NAMES, HEURISTIC_COUNT);
    if (leak.heuristic != HEURISTIC_NONE && leak.kind != LEAK_REACHABLE && !row.failed)
        return trace_fail(trace, "damaged: blocks with process_id %lld: a heuristic on blocks that are not "
                                 "reachable", (long long)process->row_id);
    struct maybe_int stack_id = {.present = true, .value = row_integer(&row, COLUMN_STACK_ID)};
    row_count(&row, COLUMN_SMALLEST_SIZE);
    leak.bytes = row_count(&row, COLUMN_BYTES);
    leak.blocks = row_count(&row, COLUMN_BLOCKS);
    leak.indirect_bytes = row_count(&row, COLUMN_INDIRECT_BYTES);
    if (row.failed || add_to_totals(trace, process, &leak) != 0)
        return -1;
    leak.stack.id = stack_id.value;
    if (!(target->kinds & (1u << leak.kind)) || target->kept[leak.kind] == target->records)
        return 0;
    struct report_leak *leaks = make_room(process->leaks, process->leak_count, sizeof *leaks);
    if (leaks == NULL)
        return trace_fail(trace, "out of memory");
    process->leaks = leaks;
    target->kept[leak.kind]++;
    struct report_leak *kept = &leaks[process->leak_count++];
    *kept = leak;
    return target->stack_kinds & (1u << leak.kind) ? load_stack(trace, stack_id, &kept->stack) : 0;
}

int analyse_leaks(struct trace *trace, struct report_process *process, unsigned kinds, size_t records,
                  unsigned stack_kinds)
{
    struct leaks_target target = {process, kinds, stack_kinds, records, {0}};
    int has_heuristic = trace_has_column(trace, "blocks", "heuristic");
    int has_owner = trace_has_column(trace, "blocks", "owner_address");
    if (has_heuristic < 0 || has_owner < 0)
        return -1;
    return query_each_row(trace, LEAKS_SQL[has_heuristic][has_owner], process->row_id, "reading blocks", append_leak,
                          &target);
}
