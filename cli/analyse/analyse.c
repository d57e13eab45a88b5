/*
 * analyse.c - run every analysis over a trace, process by process: keeping
 * what they find (analyse_trace) or handing it out record by record
 * (analyse_process_stream); and handing out what was kept the same way
 * (report_visit), so one visitor writes either.
 */
#include "analyse/analyse.h"
#include "analyse/stacks.h"

/* Whether SCOPE's --pid and --exe choice takes PROCESS. */
static bool in_scope(const struct report_process *process, const struct analyse_scope *scope)
{
    return (scope->pid == 0 || process->pid == scope->pid) &&
           (scope->exe == NULL || report_process_runs(process, scope->exe));
}

int analyse_processes(struct trace *trace, struct report *report, const struct analyse_scope *scope)
{
    *report = (struct report){0};
    if (analyse_summary(trace, report) != 0)
        return -1;
    if (scope == NULL)
        return 0;
    size_t kept = 0;
    for (size_t i = 0; i < report->process_count; i++) {
        if (in_scope(&report->processes[i], scope))
            report->processes[kept++] = report->processes[i];
        else
            report_process_free(&report->processes[i]);
    }
    report->process_count = kept;
    return 0;
}

/* Builds the whole report: the process list first, then each process's leaks
 * (which also complete its summary), errors and allocation sites.  When every
 * stack is wanted, the process's stacks are read in one pass first
 * (stacks.c); a text report needs a small share of them, read one by one. */
int analyse_trace(struct trace *trace, struct report *report, const struct analyse_scope *scope)
{
    const struct analyse_scope everything = {SIZE_MAX, ANALYSE_EVERY_KIND, SIZE_MAX, 0, NULL, NULL, NULL};
    if (scope == NULL)
        scope = &everything;
    bool every_stack = scope->sites == SIZE_MAX && scope->leak_kinds == ANALYSE_EVERY_KIND &&
                       scope->leak_records == SIZE_MAX;
    if (analyse_processes(trace, report, scope) != 0)
        return -1;
    for (size_t i = 0; i < report->process_count; i++) {
        struct report_process *process = &report->processes[i];
        const struct sites_progress progress = {scope->progress, scope->progress_context, i, report->process_count};
        if ((every_stack && stacks_preload(trace, process->row_id) != 0) ||
            analyse_leaks(trace, process, scope->leak_kinds, scope->leak_records, scope->leak_kinds) != 0 ||
            analyse_errors(trace, process) != 0 || analyse_sites(trace, process, scope->sites, &progress) != 0)
            return -1;
    }
    return 0;
}

/* Hands each of PROCESS's kept leak groups (analyse_leaks) to VISITOR with
 * its stack, loaded for the call when LOAD_STACKS (else its id alone); 1
 * when the visitor stopped. */
static int visit_leaks(struct trace *trace, struct report_process *process, const struct report_visitor *visitor,
                       bool load_stacks)
{
    for (size_t i = 0; i < process->leak_count; i++) {
        struct report_leak *leak = &process->leaks[i];
        leak->stack.present = true;
        if (load_stacks &&
            load_stack(trace, (struct maybe_int){.present = true, .value = leak->stack.id}, &leak->stack) != 0)
            return -1;
        int stopped = visitor->leak(visitor->context, leak) != 0;
        report_stack_free(&leak->stack);
        if (stopped)
            return 1;
    }
    return 0;
}

int analyse_process_stream(struct trace *trace, struct report_process *process, const struct report_visitor *visitor)
{
    const struct sites_progress untold = {NULL, NULL, 0, 0};
    return analyse_process_stream_told(trace, process, visitor, &untold);
}

/* analyse_process_stream_told, with the records' stacks loaded when
 * LOAD_STACKS, else their ids alone. */
static int stream_process(struct trace *trace, struct report_process *process, const struct report_visitor *visitor,
                          const struct sites_progress *progress, bool load_stacks)
{
    int result = load_stacks ? stacks_preload(trace, process->row_id) : 0;
    if (result == 0)
        result = analyse_leaks(trace, process, ANALYSE_EVERY_KIND, SIZE_MAX, 0);
    if (result == 0 && visitor->process(visitor->context, process) != 0)
        result = 1;
    if (result == 0 && visitor->leak != NULL)
        result = visit_leaks(trace, process, visitor, load_stacks);
    if (result == 0 && visitor->error != NULL)
        result = analyse_each_error(trace, process, visitor->error, visitor->context, load_stacks);
    if (result == 0)
        result = analyse_each_site(trace, process, visitor->site, visitor->context, progress, load_stacks);
    if (result == 0 && visitor->process_end(visitor->context, process) != 0)
        result = 1;
    return result;
}

int analyse_process_stream_told(struct trace *trace, struct report_process *process,
                                const struct report_visitor *visitor, const struct sites_progress *progress)
{
    return stream_process(trace, process, visitor, progress, true);
}

int analyse_process_stream_ids(struct trace *trace, struct report_process *process,
                               const struct report_visitor *visitor, const struct sites_progress *progress)
{
    return stream_process(trace, process, visitor, progress, false);
}

/* Hands one kept process and its records to VISITOR; 1 when it stopped. */
static int visit_kept(const struct report_process *process, const struct report_visitor *visitor)
{
    void *context = visitor->context;
    if (visitor->process(context, process) != 0)
        return 1;
    for (size_t i = 0; visitor->leak != NULL && i < process->leak_count; i++)
        if (visitor->leak(context, &process->leaks[i]) != 0)
            return 1;
    for (size_t i = 0; visitor->error != NULL && i < process->error_count; i++)
        if (visitor->error(context, &process->errors[i]) != 0)
            return 1;
    for (size_t i = 0; i < process->site_count; i++)
        if (visitor->site(context, &process->sites[i]) != 0)
            return 1;
    return visitor->process_end(context, process) != 0;
}

int report_visit(const struct report_process *processes, size_t count, const struct report_visitor *visitor)
{
    int result = 0;
    for (size_t i = 0; i < count && result == 0; i++)
        result = visit_kept(&processes[i], visitor);
    return result;
}
