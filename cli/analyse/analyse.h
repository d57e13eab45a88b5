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

int analyse_trace(struct trace *trace, struct report *report);

int analyse_summary(struct trace *trace, struct report *report);            /* summary.c */
int analyse_leaks(struct trace *trace, struct report_process *process);     /* leaks.c */
int analyse_errors(struct trace *trace, struct report_process *process);    /* errors.c */
int analyse_sites(struct trace *trace, struct report_process *process);     /* sites.c */

#endif
