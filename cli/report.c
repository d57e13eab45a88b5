/*
 * report.c - `memtrack report [--format text|json] [text options] TRACE`:
 * read a trace and print what it recorded.  Validation lives in trace/reader.c, the analyses in
 * analyse/, the formats in output/; this file only wires them to the command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "analyse/analyse.h"
#include "commands.h"
#include "help/help.h"
#include "output/render.h"
#include "protocol.h"
#include "trace/reader.h"

struct report_options {
    bool json;
    struct text_options text;
    const char *text_option; /* the first text-only option given, refused with JSON */
    const char *trace_path;
    bool help;
    size_t pid;      /* --pid: only this process; 0: every one */
    const char *exe; /* --exe: only the processes running this program */
};

#define usage_error(...) command_error("report", __VA_ARGS__)

/* Reads --leak-resolution's VALUE into *SITES (text_options.leak_resolution);
 * -1 after saying what is wrong. */
static int choose_leak_resolution(const char *value, size_t *sites)
{
    if (strcmp(value, "low") == 0)
        *sites = TEXT_LEAK_RESOLUTION_LOW;
    else if (strcmp(value, "med") == 0)
        *sites = TEXT_LEAK_RESOLUTION_MED;
    else if (strcmp(value, "high") == 0)
        *sites = TEXT_LEAK_RESOLUTION_HIGH;
    else
        return usage_error("--leak-resolution takes low, med or high, not '%s'", value);
    return 0;
}

/* Reads --show-leak-kinds' VALUE into *KINDS (a bit per enum leak_kind); -1
 * after saying what is wrong. */
static int choose_leak_kinds(const char *value, unsigned *kinds)
{
    if (strcmp(value, "all") == 0) {
        *kinds = TEXT_LEAK_KINDS_ALL;
        return 0;
    }
    *kinds = 0;
    if (strcmp(value, "none") == 0)
        return 0;
    static const char *const WORDS[LEAK_KIND_COUNT] = {"definite", "indirect", "possible", "reachable",
                                                       "unclassified"};
    for (const char *word = value;;) {
        size_t length = strcspn(word, ",");
        int kind = 0;
        while (kind < LEAK_KIND_COUNT && (strlen(WORDS[kind]) != length || strncmp(word, WORDS[kind], length) != 0))
            kind++;
        if (kind == LEAK_KIND_COUNT)
            return usage_error("--show-leak-kinds takes all, none or a comma-separated list of definite, indirect, "
                               "possible, reachable, unclassified, not '%s'", value);
        *kinds |= 1u << kind;
        if (word[length] == '\0')
            return 0;
        word += length + 1;
    }
}

/* Reads one of report's own options (trace_option_reader). */
static int read_report_option(int argc, char **argv, int *i, void *context)
{
    struct report_options *options = context;
    const char *option = argv[*i], *value = NULL;
    int taken;
    if ((taken = option_value("report", argc, argv, i, "--format", &value)) != 0) {
        if (taken < 0)
            return -1;
        if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0)
            return usage_error("unknown format '%s' (text or json)", value);
        options->json = strcmp(value, "json") == 0;
        return 1;
    }
    if ((taken = option_value("report", argc, argv, i, "--pid", &value)) != 0)
        return taken < 0 || option_count("report", "--pid", value, 1, INT32_MAX, &options->pid) ? -1 : 1;
    if ((taken = option_value("report", argc, argv, i, "--exe", &value)) != 0) {
        options->exe = value;
        return taken < 0 ? -1 : 1;
    }
    int result = 0;
    if (strcmp(option, "--show-below-main") == 0) {
        options->text.show_below_main = true;
        result = 1;
    } else if ((taken = option_value("report", argc, argv, i, "--show-leak-kinds", &value)) != 0) {
        result = taken < 0 || choose_leak_kinds(value, &options->text.leak_kinds) != 0 ? -1 : 1;
    } else if ((taken = option_value("report", argc, argv, i, "--num-callers", &value)) != 0) {
        result = taken < 0 || option_count("report", "--num-callers", value, 1, MT_MAX_DEPTH, &options->text.frames)
                     ? -1 : 1;
    } else if ((taken = option_value("report", argc, argv, i, "--leak-resolution", &value)) != 0) {
        result = taken < 0 || choose_leak_resolution(value, &options->text.leak_resolution) != 0 ? -1 : 1;
    } else if ((taken = option_value("report", argc, argv, i, "--top", &value)) != 0) {
        result = taken < 0 || option_count("report", "--top", value, 0, SIZE_MAX, &options->text.sites) ? -1 : 1;
    }
    if (result > 0 && options->text_option == NULL)
        options->text_option = option;
    return result;
}

/* Reads the command line into OPTIONS.  Returns 0, or -1 after naming the
 * mistake on stderr. */
static int parse_options(int argc, char **argv, struct report_options *options)
{
    *options = (struct report_options){
        .text = {TEXT_LEAK_KINDS_DEFAULT, TEXT_FRAMES_DEFAULT, TEXT_SITES_DEFAULT, false, TEXT_LEAK_RESOLUTION_HIGH},
    };
    struct trace_arguments common = {.command = "report"};
    if (read_trace_arguments(&common, argc, argv, read_report_option, options) != 0)
        return -1;
    if (options->json && options->text_option != NULL)
        return usage_error("%s is an option of the text format (JSON holds every record and frame)",
                           options->text_option);
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
        fputs(HELP_REPORT, stderr);
        return MT_EXIT_USAGE;
    }
    if (options.help) {
        fputs(HELP_REPORT, stdout);
        return 0;
    }
    struct trace trace;
    struct report report = {0};
    int status = 0;
    const struct analyse_scope scope = {options.json ? SIZE_MAX : options.text.sites,
                                        options.json ? ANALYSE_EVERY_KIND : options.text.leak_kinds,
                                        (int64_t)options.pid, options.exe};
    if (trace_open(&trace, options.trace_path) != 0 || analyse_trace(&trace, &report, &scope) != 0) {
        fprintf(stderr, "memtrack report: %s: %s\n", options.trace_path, trace.problem);
        status = MT_EXIT_USAGE;
    } else if (report.process_count == 0 && (options.pid != 0 || options.exe != NULL)) {
        fprintf(stderr, "memtrack report: %s: no process", options.trace_path);
        if (options.pid != 0)
            fprintf(stderr, " with pid %zu%s", options.pid, options.exe != NULL ? " and" : "");
        if (options.exe != NULL)
            fprintf(stderr, " running %s", options.exe);
        fputc('\n', stderr);
        status = MT_EXIT_USAGE;
    } else {
        command_warn_incomplete("report", &trace);
        int written = options.json ? render_json(stdout, &report) : render_text_with(stdout, &report, &options.text);
        if (written != 0) {
            fprintf(stderr, "memtrack report: cannot write the report: %s\n", strerror(errno));
            status = 1;
        }
    }
    report_free(&report);
    trace_close(&trace);
    return status;
}
