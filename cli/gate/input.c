/*
 * input.c - opening and analysing one trace for the gate.
 */
#include "gate/input.h"

#include "analyse/analyse.h"

/* Opens the trace at PATH and reads its processes, leaks and errors.  Returns
 * 0, or -1 with the reason in input->trace.problem.  An incomplete trace is
 * refused: the processes it lacks may be the ones that leak, so no verdict on
 * it can pass.  Either way gate_input_close() releases what was opened. */
int gate_input_open(struct gate_input *input, const char *path)
{
    *input = (struct gate_input){.path = path};
    if (trace_open(&input->trace, path) != 0)
        return -1;
    if (!input->trace.complete)
        return trace_fail(&input->trace, "%s", TRACE_INCOMPLETE);
    if (analyse_summary(&input->trace, &input->report) != 0)
        return -1;
    for (size_t i = 0; i < input->report.process_count; i++) {
        struct report_process *process = &input->report.processes[i];
        /* every finding names its stack, and suppressions match them */
        if (analyse_leaks(&input->trace, process, ANALYSE_EVERY_KIND, SIZE_MAX, ANALYSE_EVERY_KIND) != 0 ||
            analyse_errors(&input->trace, process) != 0)
            return -1;
    }
    return 0;
}

/* Frees the report and closes the trace. */
void gate_input_close(struct gate_input *input)
{
    report_free(&input->report);
    trace_close(&input->trace);
}
