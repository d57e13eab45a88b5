/*
 * gate.c - the gate's verdict on every finding, and on the whole; opening and
 * analysing each trace it judges; and the gate as `memtrack run
 * --fail-on=KINDS [--error-exitcode=N]` uses it.
 */
#include "gate/gate.h"

#include <stdlib.h>
#include <string.h>

#include "analyse/analyse.h"
#include "output/gate_formats.h"
#include "util/printable.h"

/* Decides one finding's status, up to the leak budget (which needs the sum
 * of every leak that gets this far).  Returns 0, or -1 when memory ran out. */
static int judge(struct gate *gate, struct finding *finding)
{
    finding->suppressed_by = suppressions_find(&gate->suppressions, finding);
    if (finding->suppressed_by != NULL) {
        finding->status = STATUS_SUPPRESSED;
        return 0;
    }
    /* an untraced process has no stack to be known by in the baseline */
    if (gate->has_baseline && finding->kind != FINDING_UNTRACED) {
        int known = baseline_contains(&gate->baseline, finding);
        if (known < 0)
            return -1;
        if (known) {
            finding->status = STATUS_IN_BASELINE;
            return 0;
        }
    }
    finding->status = gate->fail_on & KIND_BIT(finding->kind) ? STATUS_FAILING : STATUS_NOT_GATED;
    return 0;
}

/* Lets leaks through when together they stay within --max-leaked-bytes. */
static void apply_leak_budget(struct gate *gate)
{
    int64_t total = 0;
    for (size_t i = 0; i < gate->findings.count; i++) {
        const struct finding *finding = &gate->findings.items[i];
        if (finding->status == STATUS_FAILING && kind_is_leak(finding->kind) &&
            __builtin_add_overflow(total, finding->bytes, &total))
            total = INT64_MAX;
    }
    gate->budgeted_bytes = total;
    if (total > gate->max_leaked_bytes)
        return;
    for (size_t i = 0; i < gate->findings.count; i++) {
        struct finding *finding = &gate->findings.items[i];
        if (finding->status == STATUS_FAILING && kind_is_leak(finding->kind))
            finding->status = STATUS_WITHIN_BUDGET;
    }
}

/* Tells whether PROCESS has a finding that fails the gate. */
bool gate_process_fails(const struct gate *gate, const struct report_process *process)
{
    for (size_t i = 0; i < gate->findings.count; i++)
        if (gate->findings.items[i].process == process && gate->findings.items[i].status == STATUS_FAILING)
            return true;
    return false;
}

/* Collects the findings of every input and judges them, filling the verdict
 * fields of GATE.  Returns 0, or -1 when memory ran out. */
int gate_evaluate(struct gate *gate)
{
    for (size_t i = 0; i < gate->input_count; i++)
        if (findings_collect(&gate->findings, &gate->inputs[i].report, i) != 0)
            return -1;
    for (size_t i = 0; i < gate->findings.count; i++)
        if (judge(gate, &gate->findings.items[i]) != 0)
            return -1;
    if (gate->has_leak_budget)
        apply_leak_budget(gate);
    for (size_t i = 0; i < gate->findings.count; i++) {
        const struct finding *finding = &gate->findings.items[i];
        gate->by_status[finding->status]++;
        if (finding->kind == FINDING_UNCLASSIFIED && finding->status == STATUS_NOT_GATED)
            gate->ungated_unclassified++;
        if (finding->kind == FINDING_UNTRACED && finding->status == STATUS_NOT_GATED)
            gate->ungated_untraced++;
    }
    for (size_t i = 0; i < gate->input_count; i++) {
        const struct report *report = &gate->inputs[i].report;
        gate->process_count += report->process_count;
        for (size_t p = 0; p < report->process_count; p++)
            gate->failing_process_count += gate_process_fails(gate, &report->processes[p]);
    }
    gate->passed = gate->by_status[STATUS_FAILING] == 0;
    return 0;
}

/* Frees what GATE holds: inputs, findings, suppressions, baseline. */
void gate_free(struct gate *gate)
{
    for (size_t i = 0; i < gate->input_count; i++)
        gate_input_close(&gate->inputs[i]);
    free(gate->inputs);
    findings_free(&gate->findings);
    suppressions_free(&gate->suppressions);
    baseline_free(&gate->baseline);
    *gate = (struct gate){0};
}

/*
 * Opening and analysing one trace for the gate.
 */

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

/*
 * The gate as `memtrack run --fail-on=KINDS [--error-exitcode=N]` uses it:
 * judge the trace just written, with the default suppressions, and choose
 * memtrack's exit status.
 */

/* Parses an --error-exitcode value: a whole number from 1 to 255 (0 would
 * hide the failure, and larger values are cut to 8 bits by the kernel).
 * Returns 0, or -1 with a sentence for people in ERROR. */
int gate_parse_exitcode(const char *text, int *exitcode, char *error, size_t error_size)
{
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || value < 1 || value > 255) {
        snprintf(error, error_size, "--error-exitcode takes a number from 1 to 255, not '%s'", text);
        return -1;
    }
    *exitcode = (int)value;
    return 0;
}

/* Judges the trace at TRACE_PATH against FAIL_ON (KIND_BIT()s, as parsed by
 * gate_parse_kinds) and returns the status memtrack should exit with:
 * PROGRAM_STATUS when the gate passes, ERROR_EXITCODE when a finding fails it
 * or the trace cannot be judged (a gate that cannot look must not pass): an
 * incomplete trace, or a started program that was not traced, for the reason
 * PROGRAM_UNTRACED (NULL when it was).  Says why on ERR, each line starting
 * "memtrack: ". */
int gate_after_run(const char *trace_path, unsigned fail_on, int error_exitcode, int program_status,
                   const char *program_untraced, FILE *err)
{
    struct gate gate = {.fail_on = fail_on, .inputs = calloc(1, sizeof *gate.inputs)};
    char error[512] = "out of memory";
    bool passed = false;
    if (program_untraced != NULL) {
        fputs("memtrack: cannot check the program: it was not traced (", err);
        write_printable(err, program_untraced);
        fputs("), so memtrack cannot tell whether it leaks\n", err);
    } else if (gate.inputs == NULL || suppressions_add_defaults(&gate.suppressions, error, sizeof error) != 0) {
        fprintf(err, "memtrack: cannot check the trace: %s\n", error);
    } else if (gate.input_count = 1, gate_input_open(&gate.inputs[0], trace_path) != 0) {
        fprintf(err, "memtrack: cannot check %s: %s\n", trace_path, gate.inputs[0].trace.problem);
    } else if (gate_evaluate(&gate) != 0) {
        fprintf(err, "memtrack: cannot check %s: out of memory\n", trace_path);
    } else {
        gate_write_text(err, &gate, "memtrack: ");
        passed = gate.passed;
    }
    if (!passed)
        fprintf(err,
                "memtrack: the gate failed: exiting with %d (--error-exitcode) instead of the program's status %d\n",
                error_exitcode, program_status);
    gate_free(&gate);
    return passed ? program_status : error_exitcode;
}
