/*
 * evaluate.c - the gate's verdict on every finding, and on the whole.
 */
#include "gate/gate.h"

#include <stdlib.h>

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
