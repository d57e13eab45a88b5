/*
 * analyse.h - filling the report model from a validated trace.  analyse_trace()
 * runs every analysis and keeps what it finds; analyse_process_stream() hands
 * a process's records out one at a time instead, for reports that hold every
 * record (JSON) and need not keep any.  The others are their parts, one file
 * each.  All return 0, or -1 with the reason recorded on the trace
 * (trace->problem); the report may then be partly filled and still needs
 * report_free().
 */
#ifndef MEMTRACK_ANALYSE_ANALYSE_H
#define MEMTRACK_ANALYSE_ANALYSE_H

#include "analyse/model.h"
#include "trace/reader.h"

/* Told while a trace is read, after each allocation site's stack is loaded
 * (the bulk of a big trace's reading): PROCESS, the INDEX-th (from 0) of
 * the COUNT processes read, has DONE of its SITES site stacks loaded. */
typedef void analyse_progress(void *context, const struct report_process *process, size_t index, size_t count,
                              size_t done, size_t sites);

/* What analyse_trace keeps: a big trace's records take hundreds of megabytes
 * that a text report never prints, so it keeps only what it will show. */
struct analyse_scope {
    size_t sites;         /* sites kept, with their stacks: SIZE_MAX all (largest bytes first); fewer: the
                             ones with most allocations, in report_site_by_allocations order */
    unsigned leak_kinds;  /* kinds whose leak groups are kept, with their stacks, a bit per enum leak_kind;
                             the others are only counted (report_process.leak_totals) */
    size_t leak_records;  /* groups kept per kind, in report order (most bytes first); SIZE_MAX: all */
    int64_t pid;          /* only the processes with this pid; 0: any */
    const char *exe;      /* only those running this program (report_process_runs); NULL: any */
    analyse_progress *progress; /* told how the reading goes; NULL: no one */
    void *progress_context;
};
/* Who the reading of a process's sites tells of its progress: TOLD (NULL:
 * no one) with CONTEXT, for the INDEX-th of COUNT processes. */
struct sites_progress {
    analyse_progress *told;
    void *context;
    size_t index, count;
};
#define ANALYSE_EVERY_KIND ((1u << LEAK_KIND_COUNT) - 1)
/* SCOPE NULL: every process, every record, no progress told.  The processes
 * SCOPE leaves out are not in REPORT, and none of their rows is read past
 * the process list. */
int analyse_trace(struct trace *trace, struct report *report, const struct analyse_scope *scope);
/* The process list alone (summary.c), without the processes SCOPE's pid and
 * exe leave out (SCOPE NULL: all). */
int analyse_processes(struct trace *trace, struct report *report, const struct analyse_scope *scope);

/* What analyse_process_stream hands out, in the report's order.  A record
 * and its stacks live only during the call.  Each returns 0, or -1 to stop
 * the stream (the visitor knows why: nothing is recorded on the trace).
 * leak and error may be NULL: those records are then not read. */
struct report_visitor {
    void *context;
    int (*process)(void *context, const struct report_process *process); /* summary complete, no records */
    int (*leak)(void *context, const struct report_leak *leak);
    int (*error)(void *context, const struct report_error *error);
    int (*site)(void *context, const struct report_site *site);
    int (*process_end)(void *context, const struct report_process *process);
};
/* Hands PROCESS (from analyse_processes), then every one of its leak groups,
 * errors and sites, to VISITOR.  Memory holds one record's stacks at a time
 * besides the process's leak groups without theirs.  Returns 0, -1 with the
 * reason on the trace, or 1 when the visitor stopped it. */
int analyse_process_stream(struct trace *trace, struct report_process *process, const struct report_visitor *visitor);
/* The same, telling PROGRESS after each site. */
int analyse_process_stream_told(struct trace *trace, struct report_process *process,
                                const struct report_visitor *visitor, const struct sites_progress *progress);
/* The same again, each record's stacks handed as their ids alone (present
 * and id, no frames): for a visitor that reads the process's stacks its own
 * way (stacks_each_link) and expands none. */
int analyse_process_stream_ids(struct trace *trace, struct report_process *process,
                               const struct report_visitor *visitor, const struct sites_progress *progress);
/* Hands every process of PROCESSES (COUNT of them, kept by analyse_trace or
 * built by hand) and its records to VISITOR, as analyse_process_stream
 * would from the trace.  Returns 0, or 1 when the visitor stopped. */
int report_visit(const struct report_process *processes, size_t count, const struct report_visitor *visitor);

int analyse_summary(struct trace *trace, struct report *report); /* summary.c */
/* leaks.c: counts every group of PROCESS in its leak_totals and summary, and
 * keeps the RECORDS largest of each kind of KINDS (bits per enum leak_kind),
 * loading the stacks of those of STACK_KINDS. */
int analyse_leaks(struct trace *trace, struct report_process *process, unsigned kinds, size_t records,
                  unsigned stack_kinds);
int analyse_errors(struct trace *trace, struct report_process *process); /* errors.c */
/* errors.c: hands each error, with its stacks (their ids alone unless
 * LOAD_STACKS), to VISIT, then frees it. */
int analyse_each_error(struct trace *trace, struct report_process *process,
                       int (*visit)(void *context, const struct report_error *error), void *context,
                       bool load_stacks);
/* sites.c: keeps PROCESS's sites as analyse_scope.sites says, and counts
 * them all (site_total), telling PROGRESS after each site kept. */
int analyse_sites(struct trace *trace, struct report_process *process, size_t sites,
                  const struct sites_progress *progress);
/* sites.c: hands each site, largest bytes first, with its stack (its id
 * alone unless LOAD_STACKS), to VISIT, then frees the stack, telling
 * PROGRESS after each; counts them in PROCESS's site_total. */
int analyse_each_site(struct trace *trace, struct report_process *process,
                      int (*visit)(void *context, const struct report_site *site), void *context,
                      const struct sites_progress *progress, bool load_stacks);

#endif
