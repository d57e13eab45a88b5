/*
 * gate.h - deciding whether traces pass a CI gate, and the entry points other
 * commands use: `memtrack check` (check.c) fills a struct gate from its
 * options; `memtrack run --fail-on` calls gate_parse_kinds() while parsing its
 * options and gate_after_run() once the trace is written.
 *
 * A finding fails the gate when no suppression matches it, the baseline (if
 * any) does not have it, its kind is in --fail-on, and, for leaks, the leaks
 * that got this far add up to more than --max-leaked-bytes (when given).
 */
#ifndef MEMTRACK_GATE_GATE_H
#define MEMTRACK_GATE_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gate/baseline.h"
#include "gate/findings.h"
#include "gate/input.h"
#include "gate/kinds.h"
#include "gate/suppressions.h"

/* `memtrack run --fail-on` exits with this when the gate fails and no
 * --error-exitcode is given: clear of 0-2, LeakSanitizer's 23, sysexits'
 * 64-78, the test harnesses' 77 and 99, the shell's 124-127 and 128+signal. */
#define GATE_DEFAULT_EXITCODE 86

struct gate {
    /* Set by the caller. */
    unsigned fail_on;               /* KIND_BIT()s */
    bool has_leak_budget;
    int64_t max_leaked_bytes;
    size_t input_count;
    struct gate_input *inputs;
    struct suppression_list suppressions;
    bool has_baseline;
    struct baseline baseline;
    /* Filled by gate_evaluate(). */
    struct finding_list findings;
    size_t by_status[STATUS_COUNT];
    int64_t budgeted_bytes;         /* leaks that were held against --max-leaked-bytes */
    size_t ungated_unclassified;    /* unclassified leaks not gated: worth a warning */
    size_t ungated_untraced;        /* untraced processes not gated: worth a warning too */
    size_t process_count;
    size_t failing_process_count;
    bool passed;
    bool show_below_main;           /* stacks printed with their frames below main */
};

int gate_evaluate(struct gate *gate);
bool gate_process_fails(const struct gate *gate, const struct report_process *process);
void gate_free(struct gate *gate);

int gate_parse_kinds(const char *text, unsigned *mask, char *error, size_t error_size);
int gate_parse_exitcode(const char *text, int *exitcode, char *error, size_t error_size);
int gate_after_run(const char *trace_path, unsigned fail_on, int error_exitcode, int program_status,
                   const char *program_untraced, FILE *err);

#endif
