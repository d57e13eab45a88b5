/*
 * analyse.c - run every analysis over a trace, process by process.
 */
#include "analyse/analyse.h"
#include "analyse/stacks.h"

/* Whether SCOPE's --pid and --exe choice takes PROCESS. */
static bool in_scope(const struct report_process *process, const struct analyse_scope *scope)
{
    return (scope->pid == 0 || process->pid == scope->pid) &&
           (scope->exe == NULL || report_process_runs(process, scope->exe));
}

/* Keeps the processes of SCOPE, in their order. */
static void select_processes(struct report *report, const struct analyse_scope *scope)
{
    size_t kept = 0;
    for (size_t i = 0; i < report->process_count; i++) {
        if (in_scope(&report->processes[i], scope))
            report->processes[kept++] = report->processes[i];
        else
            report_process_free(&report->processes[i]);
    }
    report->process_count = kept;
}

/* Builds the whole report: the process list first, then each process's leaks
 * (which also complete its summary), errors and allocation sites.  When every
 * stack is wanted, the process's stacks are read in one pass first
 * (stacks.c); a text report needs a small share of them, read one by one. */
int analyse_trace(struct trace *trace, struct report *report, const struct analyse_scope *scope)
{
    const struct analyse_scope everything = {SIZE_MAX, ANALYSE_EVERY_KIND, 0, NULL, NULL, NULL};
    if (scope == NULL)
        scope = &everything;
    bool every_stack = scope->site_stacks == SIZE_MAX && scope->leak_stack_kinds == ANALYSE_EVERY_KIND;
    *report = (struct report){0};
    if (analyse_summary(trace, report) != 0)
        return -1;
    select_processes(report, scope);
    for (size_t i = 0; i < report->process_count; i++) {
        struct report_process *process = &report->processes[i];
        const struct sites_progress progress = {scope, i, report->process_count};
        if ((every_stack && stacks_preload(trace, process->row_id) != 0) ||
            analyse_leaks(trace, process, scope->leak_stack_kinds) != 0 || analyse_errors(trace, process) != 0 ||
            analyse_sites(trace, process, scope->site_stacks, &progress) != 0)
            return -1;
    }
    return 0;
}
