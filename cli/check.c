/*
 * check.c - `memtrack check`: judge traces against a CI gate (gate/gate.h)
 * and exit 0 (pass), 1 (a finding fails the gate) or 2 (bad usage, or an
 * input that cannot be used).  This file only reads the command line and
 * wires the gate to its outputs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "gate/gate.h"
#include "help/help.h"
#include "output/gate_formats.h"
#include "output_file.h"

#define EXIT_GATE_FAILED 1

struct check_options {
    unsigned fail_on;
    bool use_default_suppressions;
    bool print_default_suppressions;
    size_t suppression_file_count;
    const char **suppression_files;
    bool has_leak_budget;
    int64_t max_leaked_bytes;
    const char *baseline;
    const char *junit;
    const char *sarif;
    bool github;
    bool show_below_main;
    int first_trace; /* index in argv */
};

#define usage_error(...) command_error("check", __VA_ARGS__)

/* Reads a --max-leaked-bytes value: a whole number of bytes, 0 or more. */
static int parse_byte_count(const char *text, int64_t *bytes)
{
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0)
        return usage_error("--max-leaked-bytes takes a number of bytes, not '%s'", text);
    *bytes = value;
    return 0;
}

/* Applies one option (getopt_long's code C and its argument VALUE). */
static int apply_option(int c, const char *value, struct check_options *options)
{
    char error[512];
    switch (c) {
    case 'k':
        if (gate_parse_kinds(value, &options->fail_on, error, sizeof error) != 0)
            return usage_error("--fail-on: %s", error);
        return 0;
    case 's': {
        const char **files = make_room(options->suppression_files, options->suppression_file_count,
                                       sizeof *files);
        if (files == NULL)
            return usage_error("out of memory");
        options->suppression_files = files;
        files[options->suppression_file_count++] = value;
        return 0;
    }
    case 'n': options->use_default_suppressions = false; return 0;
    case 'p': options->print_default_suppressions = true; return 0;
    case 'm': options->has_leak_budget = true; return parse_byte_count(value, &options->max_leaked_bytes);
    case 'b': options->baseline = value; return 0;
    case 'j': options->junit = value; return 0;
    case 'r': options->sarif = value; return 0;
    case 'g': options->github = true; return 0;
    default: options->show_below_main = true; return 0; /* 'B' */
    }
}

/* Reads the command line into OPTIONS.  Returns 0, 1 for --help (usage
 * printed), or -1 after naming the mistake on stderr. */
static int parse_options(int argc, char **argv, struct check_options *options)
{
    static const struct option long_options[] = {
        {"fail-on", required_argument, 0, 'k'}, {"suppressions", required_argument, 0, 's'},
        {"no-default-suppressions", no_argument, 0, 'n'}, {"print-default-suppressions", no_argument, 0, 'p'},
        {"max-leaked-bytes", required_argument, 0, 'm'}, {"baseline", required_argument, 0, 'b'},
        {"junit", required_argument, 0, 'j'}, {"sarif", required_argument, 0, 'r'},
        {"github", no_argument, 0, 'g'}, {"show-below-main", no_argument, 0, 'B'},
        {"help", no_argument, 0, 'h'},   {0, 0, 0, 0}};
    *options = (struct check_options){.fail_on = KINDS_DEFAULT, .use_default_suppressions = true};
    struct option_reader reader = {.command = "check", .argc = argc, .argv = argv, .short_options = ":h",
                                   .long_options = long_options};
    int c;
    while ((c = next_option(&reader)) != -1) {
        if (c == 'h') {
            fputs(HELP_CHECK, stdout);
            return 1;
        }
        if (c == '?')
            return -1;
        if (apply_option(c, reader.value, options) != 0)
            return -1;
    }
    options->first_trace = optind;
    if (optind == argc && !options->print_default_suppressions)
        return usage_error("no trace given");
    return 0;
}

/* Loads suppressions, the baseline and every trace into GATE, then judges.
 * Returns 0, or -1 after saying on stderr which input is unusable. */
static int load_and_evaluate(struct gate *gate, const struct check_options *options, int argc, char **argv)
{
    char error[1024];
    for (size_t i = 0; i < options->suppression_file_count; i++)
        if (suppressions_load(&gate->suppressions, options->suppression_files[i], error, sizeof error) != 0)
            return usage_error("%s", error);
    if (options->use_default_suppressions && suppressions_add_defaults(&gate->suppressions, error, sizeof error))
        return usage_error("%s", error);
    if (options->baseline != NULL) {
        gate->has_baseline = true;
        if (baseline_load(&gate->baseline, options->baseline, error, sizeof error) != 0)
            return usage_error("baseline %s", error);
    }
    gate->inputs = calloc((size_t)(argc - options->first_trace), sizeof *gate->inputs);
    if (gate->inputs == NULL)
        return usage_error("out of memory");
    for (int i = options->first_trace; i < argc; i++) {
        struct gate_input *input = &gate->inputs[gate->input_count++];
        if (gate_input_open(input, argv[i]) != 0)
            return usage_error("%s: %s", argv[i], input->trace.problem);
    }
    if (gate_evaluate(gate) != 0)
        return usage_error("out of memory");
    return 0;
}

/* Renders JUnit XML (output_renderer). */
static int junit_renderer(FILE *out, const void *gate)
{
    return render_junit(out, gate);
}

/* Renders SARIF (output_renderer). */
static int sarif_renderer(FILE *out, const void *gate)
{
    return render_sarif(out, gate);
}

/* Writes one output file with RENDER, never onto an input nor through a
 * symlink (output_file.h); -1 after saying why it failed. */
static int write_file(const char *path, output_renderer *render, const struct gate *gate, const char *const *inputs,
                      size_t input_count)
{
    char error[1024];
    switch (output_file_write(path, inputs, input_count, render, gate, error, sizeof error)) {
    case OUTPUT_FILE_WRITTEN:
        return 0;
    case OUTPUT_FILE_REFUSED:
        return usage_error("%s: writing it would overwrite the input %s", path, error);
    default:
        return usage_error("%s: cannot write: %s", path, error);
    }
}

/* Writes the requested outputs: annotations and the verdict on stdout, then
 * the JUnit and SARIF files.  INPUTS are the files they must not replace: the
 * traces (argv from options->first_trace on) and the baseline. */
static int write_outputs(const struct gate *gate, const struct check_options *options, int argc, char **argv)
{
    if (options->github && render_github(stdout, gate) != 0)
        return usage_error("cannot write annotations: %s", strerror(errno));
    if (gate_write_text(stdout, gate, "memtrack check: ") != 0)
        return usage_error("cannot write the verdict: %s", strerror(errno));
    const char *inputs[argc - options->first_trace + 1];
    size_t input_count = 0;
    for (int i = options->first_trace; i < argc; i++)
        inputs[input_count++] = argv[i];
    if (options->baseline != NULL)
        inputs[input_count++] = options->baseline;
    if (options->junit != NULL && write_file(options->junit, junit_renderer, gate, inputs, input_count) != 0)
        return -1;
    if (options->sarif != NULL && write_file(options->sarif, sarif_renderer, gate, inputs, input_count) != 0)
        return -1;
    return 0;
}

/* Runs `memtrack check`. */
int cmd_check(int argc, char **argv)
{
    struct check_options options;
    int parsed = parse_options(argc, argv, &options);
    if (parsed != 0) {
        free(options.suppression_files);
        if (parsed > 0)
            return 0;
        fputs(HELP_CHECK, stderr);
        return MT_EXIT_USAGE;
    }
    if (options.print_default_suppressions) {
        free(options.suppression_files);
        fputs(DEFAULT_SUPPRESSIONS, stdout);
        return fflush(stdout) == 0 ? 0 : MT_EXIT_USAGE;
    }
    struct gate gate = {.fail_on = options.fail_on, .has_leak_budget = options.has_leak_budget,
                        .max_leaked_bytes = options.max_leaked_bytes, .show_below_main = options.show_below_main};
    int status = MT_EXIT_USAGE;
    if (load_and_evaluate(&gate, &options, argc, argv) == 0 && write_outputs(&gate, &options, argc, argv) == 0)
        status = gate.passed ? 0 : EXIT_GATE_FAILED;
    gate_free(&gate);
    free(options.suppression_files);
    return status;
}
