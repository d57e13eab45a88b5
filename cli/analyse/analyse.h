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

/* SITE_STACKS: how many sites get their stack, those with most allocations
 * first (report_site_by_allocations); SIZE_MAX for every site.  A big trace's
 * site stacks take hundreds of megabytes a text report never prints. */
int analyse_trace(struct trace *trace, struct report *report, size_t site_stacks);

int analyse_summary(struct trace *trace, struct report *report);            /* summary.c */
int analyse_leaks(struct trace *trace, struct report_process *process);     /* leaks.c */
int analyse_errors(struct trace *trace, struct report_process *process);    /* errors.c */
int analyse_sites(struct trace *trace, struct report_process *process, size_t site_stacks); /* sites.c */

#endif
