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

/* Reads one of report's own options (trace_option_reader). */
static int read_report_option(int argc, char **argv, int *i, void *context)
{
    struct report_options *options = context;
    const char *argument = argv[*i];
    if (strncmp(argument, "--format=", 9) == 0)
        return choose_format(argument + 9, options) == 0 ? 1 : -1;
    if (strcmp(argument, "--format") != 0)
        return 0;
    if (*i + 1 == argc)
        return usage_error("--format needs a value (text or json)");
    return choose_format(argv[++*i], options) == 0 ? 1 : -1;
}

/* Reads the command line into OPTIONS.  Returns 0, or -1 after naming the
 * mistake on stderr. */
static int parse_options(int argc, char **argv, struct report_options *options)
{
    *options = (struct report_options){.render = render_text};
    struct trace_arguments common = {.command = "report"};
    if (read_trace_arguments(&common, argc, argv, read_report_option, options) != 0)
        return -1;
    options->trace_path = common.trace_path;
    options->help = common.help;
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
    size_t site_stacks = options.render == render_text ? TEXT_TOP_SITES : SIZE_MAX;
    if (trace_open(&trace, options.trace_path) != 0 || analyse_trace(&trace, &report, site_stacks) != 0) {
        fprintf(stderr, "memtrack report: %s: %s\n", options.trace_path, trace.problem);
        status = MT_EXIT_USAGE;
    } else {
        command_warn_incomplete("report", &trace);
        if (options.render(stdout, &report) != 0) {
            fprintf(stderr, "memtrack report: cannot write the report: %s\n", strerror(errno));
            status = 1;
        }
    }
    report_free(&report);
    trace_close(&trace);
    return status;
}
