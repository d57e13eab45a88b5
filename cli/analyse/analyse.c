/*
 * analyse.c - run every analysis over a trace, process by process.
 */
#include "analyse/analyse.h"

/* Builds the whole report: the process list first, then each process's leaks
 * (which also complete its summary), errors and allocation sites. */
int analyse_trace(struct trace *trace, struct report *report)
{
    *report = (struct report){0};
    if (analyse_summary(trace, report) != 0)
        return -1;
    for (size_t i = 0; i < report->process_count; i++) {
        struct report_process *process = &report->processes[i];
        if (analyse_leaks(trace, process) != 0 || analyse_errors(trace, process) != 0 ||
            analyse_sites(trace, process) != 0)
            return -1;
    }
    return 0;
}
