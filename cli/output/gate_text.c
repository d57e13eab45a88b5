/*
 * gate_text.c - the gate's verdict for people: each failing process with its
 * failing findings and their stacks, the suppressions used and unused, and a
 * last line that says PASS or FAIL and why.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "output/describe.h"
#include "output/gate_formats.h"
#include "util/printable.h"

#define TEXT_MAX_FRAMES 24

/* Writes a string from describe.c (printable already), or "?" when it could
 * not be made, and frees it. */
static void write_owned(FILE *out, char *text)
{
    fputs(text != NULL ? text : "?", out);
    free(text);
}

/* Writes PROCESS's failing findings under a line naming it and its trace. */
static void write_failing_process(FILE *out, const struct gate *gate, const struct report_process *process,
                                  const char *trace_path, const char *prefix)
{
    fputs(prefix, out);
    write_printable(out, trace_path);
    fputs(": ", out);
    write_owned(out, process_label(process));
    fputs(" fails the gate:\n", out);
    for (size_t i = 0; i < gate->findings.count; i++) {
        const struct finding *finding = &gate->findings.items[i];
        if (finding->process != process || finding->status != STATUS_FAILING)
            continue;
        fputs("  ", out);
        write_owned(out, finding_headline(finding));
        fputc('\n', out);
        write_owned(out, finding_stacks(finding, TEXT_MAX_FRAMES, gate->show_below_main));
    }
}

/* Writes "PATTERN (FILE:LINE)" or "PATTERN (default)". */
static void write_suppression(FILE *out, const struct suppression *suppression)
{
    fprintf(out, "%s:", SUPPRESSION_TYPE_NAMES[suppression->type]);
    write_printable(out, suppression->pattern);
    if (suppression->file == NULL) {
        fputs(" (default)", out);
    } else {
        fputs(" (", out);
        write_printable(out, suppression->file);
        fprintf(out, ":%zu)", suppression->line);
    }
    fputc('\n', out);
}

/* Lists the suppressions that matched, with counts, and the ones of the
 * user's that matched nothing (the built-in ones are only listed when used). */
static void write_suppressions(FILE *out, const struct suppression_list *list, const char *prefix)
{
    bool any_used = false, any_unused = false;
    for (size_t i = 0; i < list->count; i++) {
        any_used |= list->items[i].matched > 0;
        any_unused |= list->items[i].matched == 0 && list->items[i].file != NULL;
    }
    if (any_used) {
        fprintf(out, "%ssuppressions used:\n  %8s %12s  suppression\n", prefix, "findings", "bytes");
        for (size_t i = 0; i < list->count; i++) {
            const struct suppression *suppression = &list->items[i];
            if (suppression->matched == 0)
                continue;
            fprintf(out, "  %8zu %12" PRId64 "  ", suppression->matched, suppression->matched_bytes);
            write_suppression(out, suppression);
        }
    }
    if (any_unused) {
        fprintf(out, "%ssuppressions that matched nothing:\n", prefix);
        for (size_t i = 0; i < list->count; i++) {
            if (list->items[i].matched == 0 && list->items[i].file != NULL) {
                fputs("  ", out);
                write_suppression(out, &list->items[i]);
            }
        }
    }
}

/* Writes the closing verdict: PASS or FAIL, what was gated, where the other
 * findings went. */
static void write_verdict(FILE *out, const struct gate *gate, const char *prefix)
{
    char kinds[256];
    kinds_format(gate->fail_on, kinds, sizeof kinds);
    if (gate->ungated_unclassified > 0)
        fprintf(out,
                "%snote: %zu leak(s) of processes whose leak scan did not run are unclassified and not gated"
                " (add 'unclassified' to --fail-on to gate them)\n",
                prefix, gate->ungated_unclassified);
    if (gate->ungated_untraced > 0)
        fprintf(out,
                "%snote: %zu process(es) were not traced, so their leaks and bad frees are unknown and not gated"
                " (add 'untraced' to --fail-on to gate them)\n",
                prefix, gate->ungated_untraced);
    if (gate->has_leak_budget)
        fprintf(out, "%sleaks of the gated kinds: %" PRId64 " bytes (--max-leaked-bytes %" PRId64 ")\n", prefix,
                gate->budgeted_bytes, gate->max_leaked_bytes);
    if (gate->passed)
        fprintf(out, "%sPASS: no finding fails --fail-on=%s", prefix, kinds);
    else
        fprintf(out, "%sFAIL: %zu finding(s) in %zu of %zu process(es) fail --fail-on=%s", prefix,
                gate->by_status[STATUS_FAILING], gate->failing_process_count, gate->process_count, kinds);
    fprintf(out, " (%zu suppressed, %zu in the baseline, %zu of other kinds, %zu within the leak limit)\n",
            gate->by_status[STATUS_SUPPRESSED], gate->by_status[STATUS_IN_BASELINE],
            gate->by_status[STATUS_NOT_GATED], gate->by_status[STATUS_WITHIN_BUDGET]);
}

/* Writes the whole verdict of an evaluated GATE to OUT, each top-level line
 * starting with PREFIX ("memtrack check: ").  Returns 0, or -1 when writing
 * failed (errno says why). */
int gate_write_text(FILE *out, const struct gate *gate, const char *prefix)
{
    for (size_t i = 0; i < gate->input_count; i++) {
        const struct gate_input *input = &gate->inputs[i];
        for (size_t p = 0; p < input->report.process_count; p++)
            if (gate_process_fails(gate, &input->report.processes[p]))
                write_failing_process(out, gate, &input->report.processes[p], input->path, prefix);
    }
    write_suppressions(out, &gate->suppressions, prefix);
    write_verdict(out, gate, prefix);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
