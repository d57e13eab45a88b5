/*
 * report.c - `memtrack report [--format text|json] TRACE`: read a trace and
 * print what it recorded.  Validation lives in trace/reader.c, the analyses in
 * analyse/, the formats in output/; this file only wires them to the command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "analyse/analyse.h"
#include "commands.h"
#include "output/render.h"
#include "trace/reader.h"

typedef int renderer(FILE *out, const struct report *report);

struct report_options {
    renderer *render;
    const char *trace_path;
    bool help;
};

/* Prints the command's help to STREAM. */
void usage_report(FILE *stream)
{
    fputs("Usage: memtrack report [--format text|json] TRACE\n"
          "Print what a trace recorded: memory errors, leaks, allocation sites and peak heap.\n"
          "\n"
          "  --format text   for people, like valgrind memcheck (the default)\n"
          "  --format json   for programs; the layout is described in docs/report-format.md\n"
          "  -h, --help      show this help\n",
          stream);
}

#define usage_error(...) command_error("report", __VA_ARGS__)

/* Sets the renderer named by VALUE; -1 (after saying why) when unknown. */
static int choose_format(const char *value, struct report_options *options)
{
    if (strcmp(value, "text") == 0)
        options->render = render_text;
    else if (strcmp(value, "json") == 0)
        options->render = render_json;
    else
        return usage_error("unknown format '%s' (text or json)", value);
    return 0;
}

/* Reads the command line into OPTIONS.  Returns 0, or -1 after naming the
 * mistake on stderr.  "--" ends the options, so a trace may start with '-'. */
static int parse_options(int argc, char **argv, struct report_options *options)
{
    *options = (struct report_options){.render = render_text};
    bool options_ended = false;
    for (int i = 1; i < argc; i++) {
        const char *argument = argv[i];
        if (options_ended || argument[0] != '-' || strcmp(argument, "-") == 0) {
            if (options->trace_path != NULL)
                return usage_error("unexpected argument '%s'", argument);
            options->trace_path = argument;
        } else if (strcmp(argument, "--") == 0) {
            options_ended = true;
        } else if (strcmp(argument, "-h") == 0 || strcmp(argument, "--help") == 0) {
            options->help = true;
        } else if (strncmp(argument, "--format=", 9) == 0) {
            if (choose_format(argument + 9, options) != 0)
                return -1;
        } else if (strcmp(argument, "--format") == 0) {
            if (i + 1 == argc)
                return usage_error("--format needs a value (text or json)");
            if (choose_format(argv[++i], options) != 0)
                return -1;
        } else {
            return usage_error("unknown option '%s'", argument);
        }
    }
    if (options->trace_path == NULL && !options->help)
        return usage_error("no trace given");
    return 0;
}

/* Runs `memtrack report`: 0 when the report was printed, 2 for bad usage or
 * an unusable trace (one line on stderr says which file and why), 1 when the
 * report could not be written. */
int cmd_report(int argc, char **argv)
{
    struct report_options options;
    if (parse_options(argc, argv, &options) != 0) {
        usage_report(stderr);
        return MT_EXIT_USAGE;
    }
    if (options.help) {
        usage_report(stdout);
        return 0;
    }
    struct trace trace;
    struct report report = {0};
    int status = 0;
    if (trace_open(&trace, options.trace_path) != 0 || analyse_trace(&trace, &report) != 0) {
        fprintf(stderr, "memtrack report: %s: %s\n", options.trace_path, trace.problem);
        status = MT_EXIT_USAGE;
    } else if (options.render(stdout, &report) != 0) {
        fprintf(stderr, "memtrack report: cannot write the report: %s\n", strerror(errno));
        status = 1;
    }
    report_free(&report);
    trace_close(&trace);
    return status;
}
