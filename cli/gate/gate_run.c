/*
 * gate_run.c - the gate as `memtrack run --fail-on=KINDS [--error-exitcode=N]`
 * uses it: judge the trace just written, with the default suppressions, and
 * choose memtrack's exit status.
 */
#include <stdlib.h>
#include <string.h>

#include "gate/gate.h"
#include "output/gate_formats.h"
#include "util/printable.h"

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
