/*
 * analyse.h - filling the report model from a validated trace.  analyse_trace()
 * runs every analysis; the others are its parts, one file each.  All return 0,
 * or -1 with the reason recorded on the trace (trace->problem); the report may
 * then be partly filled and still needs report_free().
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

/* Which stacks analyse_trace loads: a big trace's take hundreds of megabytes
 * that a text report never prints. */
struct analyse_scope {
    size_t site_stacks;         /* sites that get their stack, most allocations first (report_site_by_allocations) */
    unsigned leak_stack_kinds;  /* leak groups that get theirs: a bit per enum leak_kind */
    int64_t pid;                /* only the processes with this pid; 0: any */
    const char *exe;            /* only those running this program (report_process_runs); NULL: any */
    analyse_progress *progress; /* told how the reading goes; NULL: no one */
    void *progress_context;
};
/* Who analyse_sites tells of its progress: SCOPE's progress, for the
 * INDEX-th of COUNT processes. */
struct sites_progress {
    const struct analyse_scope *scope;
    size_t index, count;
};
#define ANALYSE_EVERY_KIND ((1u << LEAK_KIND_COUNT) - 1)
/* SCOPE NULL: every process, every stack, no progress told.  The processes
 * SCOPE leaves out are not in REPORT, and none of their rows is read past
 * the process list. */
int analyse_trace(struct trace *trace, struct report *report, const struct analyse_scope *scope);

int analyse_summary(struct trace *trace, struct report *report);            /* summary.c */
int analyse_leaks(struct trace *trace, struct report_process *process, unsigned stack_kinds); /* leaks.c */
int analyse_errors(struct trace *trace, struct report_process *process);    /* errors.c */
int analyse_sites(struct trace *trace, struct report_process *process, size_t site_stacks,
                  const struct sites_progress *progress); /* sites.c */

#endif
