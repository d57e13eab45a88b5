/*
 * summary.c - the processes of a trace, in processes.id order, each with its
 * identity (pid, argv, how it ended) and the counters the collector kept.
 * The leaked totals are added by leaks.c, which groups the blocks anyway.
 */
#include <string.h>

#include "analyse/analyse.h"
#include "analyse/query.h"

/* UNTRACED is the column processes.untraced, or NULL for a trace written
 * before it existed. */
#define PROCESSES_SELECT(UNTRACED)                                                                              \
    "SELECT id, pid, parent_pid, CASE WHEN json_valid(argv) THEN json_type(argv) END AS argv,"                 \
    "       executable, exit_code, exit_signal, end_reason, leak_scan, allocations, frees,"                    \
    "       allocated_bytes, peak_bytes, temporary_allocations, note, " UNTRACED " AS untraced"               \
    " FROM processes ORDER BY id"
static const char PROCESSES_SQL[] = PROCESSES_SELECT("untraced");
static const char PROCESSES_WITHOUT_UNTRACED_SQL[] = PROCESSES_SELECT("NULL");

enum { COLUMN_ID, COLUMN_PID, COLUMN_PARENT_PID, COLUMN_ARGV_SHAPE, COLUMN_EXECUTABLE, COLUMN_EXIT_CODE,
       COLUMN_EXIT_SIGNAL, COLUMN_END_REASON, COLUMN_LEAK_SCAN, COLUMN_ALLOCATIONS, COLUMN_FREES,
       COLUMN_ALLOCATED_BYTES, COLUMN_PEAK_BYTES, COLUMN_TEMPORARY_ALLOCATIONS, COLUMN_NOTE, COLUMN_UNTRACED };

/* The elements of one process's argv, which is known to be a JSON array. */
static const char ARGV_SQL[] =
    "SELECT j.type AS argument_type, j.value AS argument"
    " FROM processes AS p, json_each(p.argv) AS j WHERE p.id = ?1 ORDER BY j.key";

enum { ARGV_COLUMN_TYPE, ARGV_COLUMN_VALUE };

/* Appends the argument in the current row of ARGV_SQL, which must be a string. */
static int append_argument(struct trace *trace, sqlite3_stmt *statement, void *target)
{
    struct report_process *process = target;
    const char *type = (const char *)sqlite3_column_text(statement, ARGV_COLUMN_TYPE);
    if (type == NULL || strcmp(type, "text") != 0)
        return trace_fail(trace, "damaged: processes row %lld: argv holds something other than strings",
                          (long long)process->row_id);
    char **argv = make_room(process->argv, process->argc, sizeof *argv);
    if (argv == NULL)
        return trace_fail(trace, "out of memory");
    process->argv = argv;
    struct row_reader row;
    row_start(&row, trace, statement, "processes row %lld", (long long)process->row_id);
    argv[process->argc] = row_text(&row, ARGV_COLUMN_VALUE);
    if (row.failed)
        return -1;
    process->argc++;
    return 0;
}

/* Fills PROCESS from the current row of PROCESSES_SQL. */
static int read_process(struct trace *trace, sqlite3_stmt *statement, struct report_process *process)
{
    struct row_reader row;
    process->row_id = sqlite3_column_int64(statement, COLUMN_ID);
    row_start(&row, trace, statement, "processes row %lld", (long long)process->row_id);
    process->pid = row_integer(&row, COLUMN_PID);
    process->parent_pid = row_integer(&row, COLUMN_PARENT_PID);
    process->executable = row_maybe_text(&row, COLUMN_EXECUTABLE);
    process->note = row_maybe_text(&row, COLUMN_NOTE);
    process->untraced = row_maybe_text(&row, COLUMN_UNTRACED);
    process->exit_code = row_maybe_integer(&row, COLUMN_EXIT_CODE);
    process->exit_signal = row_maybe_integer(&row, COLUMN_EXIT_SIGNAL);
    process->end_reason = row_name(&row, COLUMN_END_REASON, END_REASON_NAMES, END_REASON_COUNT);
    process->leak_scan = row_integer(&row, COLUMN_LEAK_SCAN) != 0;
    process->summary = (struct report_summary){
        .allocations = row_count(&row, COLUMN_ALLOCATIONS),
        .frees = row_count(&row, COLUMN_FREES),
        .allocated_bytes = row_count(&row, COLUMN_ALLOCATED_BYTES),
        .peak_bytes = row_count(&row, COLUMN_PEAK_BYTES),
        .temporary_allocations = row_count(&row, COLUMN_TEMPORARY_ALLOCATIONS),
    };
    if (row.failed)
        return -1;
    const char *argv_shape = (const char *)sqlite3_column_text(statement, COLUMN_ARGV_SHAPE);
    if (argv_shape == NULL || strcmp(argv_shape, "array") != 0)
        return trace_fail(trace, "damaged: processes row %lld: argv is not a JSON array",
                          (long long)process->row_id);
    return query_each_row(trace, ARGV_SQL, process->row_id, "reading argv", append_argument, process);
}

/* Appends the process in the current row of PROCESSES_SQL to REPORT. */
static int append_process(struct trace *trace, sqlite3_stmt *statement, void *target)
{
    struct report *report = target;
    struct report_process *processes = make_room(report->processes, report->process_count, sizeof *processes);
    if (processes == NULL)
        return trace_fail(trace, "out of memory");
    report->processes = processes;
    struct report_process *process = &processes[report->process_count++];
    *process = (struct report_process){0};
    return read_process(trace, statement, process);
}

/* Fills REPORT's process list, one entry per processes row. */
int analyse_summary(struct trace *trace, struct report *report)
{
    int has_untraced = trace_has_column(trace, "processes", "untraced");
    if (has_untraced < 0)
        return -1;
    return query_each_row(trace, has_untraced ? PROCESSES_SQL : PROCESSES_WITHOUT_UNTRACED_SQL, 0,
                          "reading processes", append_process, report);
}
