/*
 * report.c - `memtrack report [--format text|json] [text options] TRACE`:
 * read a trace and print what it recorded.  Validation lives in trace/reader.c, the analyses in
 * analyse/, the formats in output/; this file only wires them to the command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
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
/* The codes (in parse_options) of the text format's own options. */
#define TEXT_OPTION_CODES "BknrtL"

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

/* Reads --leak-records' VALUE, a count or "all" (SIZE_MAX), into *RECORDS;
 * -1 after saying what is wrong. */
static int choose_leak_records(const char *value, size_t *records)
{
    char *end = NULL;
    errno = 0;
    unsigned long long number = strtoull(value, &end, 10);
    if (strcmp(value, "all") == 0)
        *records = SIZE_MAX;
    else if (value[0] >= '0' && value[0] <= '9' && *end == '\0' && errno == 0 && number < SIZE_MAX)
        *records = (size_t)number;
    else
        return usage_error("--leak-records takes a number or all, not '%s'", value);
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

/* Applies option CODE with VALUE (next_option's) to OPTIONS: 0, or -1 after
 * saying what is wrong with the value. */
static int apply_option(int code, const char *value, struct report_options *options)
{
    switch (code) {
    case 'F':
        if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0)
            return usage_error("unknown format '%s' (text or json)", value);
        options->json = strcmp(value, "json") == 0;
        return 0;
    case 'p': return option_count("report", "--pid", value, 1, INT32_MAX, &options->pid);
    case 'e': options->exe = value; return 0;
    case 'h': options->help = true; return 0;
    case 'B': options->text.show_below_main = true; return 0;
    case 'k': return choose_leak_kinds(value, &options->text.leak_kinds);
    case 'n': return option_count("report", "--num-callers", value, 1, MT_MAX_DEPTH, &options->text.frames);
    case 'r': return choose_leak_resolution(value, &options->text.leak_resolution);
    case 'L': return choose_leak_records(value, &options->text.leak_records);
    default: return option_count("report", "--top", value, 0, SIZE_MAX, &options->text.sites); /* 't' */
    }
}

/* Reads the command line into OPTIONS.  Returns 0, or -1 after naming the
 * mistake on stderr. */
static int parse_options(int argc, char **argv, struct report_options *options)
{
    static const struct option long_options[] = {
        {"format", required_argument, 0, 'F'},          {"pid", required_argument, 0, 'p'},
        {"exe", required_argument, 0, 'e'},             {"help", no_argument, 0, 'h'},
        {"show-below-main", no_argument, 0, 'B'},       {"show-leak-kinds", required_argument, 0, 'k'},
        {"num-callers", required_argument, 0, 'n'},     {"leak-resolution", required_argument, 0, 'r'},
        {"top", required_argument, 0, 't'},             {"leak-records", required_argument, 0, 'L'},
        {0, 0, 0, 0}};
    *options = (struct report_options){
        .text = {TEXT_LEAK_KINDS_DEFAULT, TEXT_FRAMES_DEFAULT, TEXT_SITES_DEFAULT, false, TEXT_LEAK_RESOLUTION_HIGH,
                 TEXT_LEAK_RECORDS_DEFAULT},
    };
    struct option_reader reader = {.command = "report", .argc = argc, .argv = argv, .short_options = ":h",
                                   .long_options = long_options};
    int code;
    while ((code = next_option(&reader)) != -1) {
        if (code == '?')
            return -1;
        if (apply_option(code, reader.value, options) != 0)
            return -1;
        if (strchr(TEXT_OPTION_CODES, code) != NULL && options->text_option == NULL)
            options->text_option = reader.word;
    }
    if (!options->help && one_trace(&reader, &options->trace_path) != 0)
        return -1;
    if (options->json && options->text_option != NULL)
        return usage_error("%s is an option of the text format (JSON holds every record and frame)",
                           options->text_option);
    return 0;
}

/* Writes the JSON report of REPORT's processes (analyse_processes) to
 * stdout while their records are read, so memory holds one record at a
 * time, not the report.  Returns 0; 1 when writing failed; MT_EXIT_USAGE
 * when the trace turned out damaged on the way, the JSON then ending there
 * unfinished; either after saying why. */
static int write_json_streamed(struct trace *trace, struct report *report, const char *trace_path)
{
    struct json_writer writer;
    json_writer_start(&writer, stdout);
    struct report_visitor visitor = json_writer_visitor(&writer);
    int result = 0;
    for (size_t i = 0; i < report->process_count && result == 0; i++)
        result = analyse_process_stream(trace, &report->processes[i], &visitor);
    if (result < 0) {
        fflush(stdout);
        fprintf(stderr, "memtrack report: %s: %s\n", trace_path, trace->problem);
        return MT_EXIT_USAGE;
    }
    if (result > 0 || json_writer_finish(&writer) != 0) {
        fprintf(stderr, "memtrack report: cannot write the report: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

/* Runs `memtrack report`: 0 when the report was printed, 2 for bad usage or
 * an unusable trace (one line on stderr says which file and why), 1 when the
 * report could not be written.  The text report reads only what it prints;
 * the JSON report is written as it is read. */
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
    bool merged = options.text.leak_resolution != TEXT_LEAK_RESOLUTION_HIGH; /* merging needs every record */
    const struct analyse_scope scope = {options.text.sites, options.text.leak_kinds,
                                        merged ? SIZE_MAX : options.text.leak_records, (int64_t)options.pid,
                                        options.exe};
    if (trace_open(&trace, options.trace_path) != 0 ||
        (options.json ? analyse_processes(&trace, &report, &scope) : analyse_trace(&trace, &report, &scope)) != 0) {
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
        if (options.json) {
            status = write_json_streamed(&trace, &report, options.trace_path);
        } else if (render_text_with(stdout, &report, &options.text) != 0) {
            fprintf(stderr, "memtrack report: cannot write the report: %s\n", strerror(errno));
            status = 1;
        }
    }
    report_free(&report);
    trace_close(&trace);
    return status;
}
