/*
 * report.c - `memtrack report [--format FORMAT] [--metric M] [text options] TRACE`:
 * read a trace and print what it recorded.  Validation lives in trace/reader.c, the analyses in
 * analyse/, the formats in output/; this file only wires them to the command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyse/analyse.h"
#include "commands.h"
#include "help/help.h"
#include "output/render.h"
#include "protocol.h"
#include "reading_progress.h"
#include "trace/reader.h"

/* --format's values, in its spelling order (FORMAT_NAMES). */
enum report_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_FOLDED, FORMAT_SPEEDSCOPE, FORMAT_MASSIF, FORMAT_COUNT };
static const char *const FORMAT_NAMES[FORMAT_COUNT] = {"text", "json", "folded", "speedscope", "massif"};

struct report_options {
    enum report_format format;
    int metric;              /* --metric: an enum export_metric, or -1 when not given */
    struct text_options text;
    const char *text_option; /* the first text-only option given, refused with any other format */
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
    int index;
    switch (code) {
    case 'F':
        if ((index = name_to_index(FORMAT_NAMES, FORMAT_COUNT, value)) < 0)
            return usage_error("unknown format '%s' (text, json, folded, speedscope or massif)", value);
        options->format = (enum report_format)index;
        return 0;
    case 'm':
        if ((options->metric = name_to_index(EXPORT_METRIC_NAMES, EXPORT_METRIC_COUNT, value)) < 0)
            return usage_error("--metric takes allocations, bytes, leaked, peak or temporary, not '%s'", value);
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
        {"metric", required_argument, 0, 'm'},          {0, 0, 0, 0}};
    *options = (struct report_options){
        .metric = -1,
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
    if (options->format == FORMAT_JSON && options->text_option != NULL)
        return usage_error("%s is an option of the text format (JSON holds every record and frame)",
                           options->text_option);
    if (options->format != FORMAT_TEXT && options->text_option != NULL)
        return usage_error("%s is an option of the text format (an export weighs every allocation stack)",
                           options->text_option);
    bool export = options->format != FORMAT_TEXT && options->format != FORMAT_JSON;
    if (!export && options->metric >= 0)
        return usage_error("--metric is an option of the exports (--format folded, speedscope or massif)");
    if (options->metric < 0)
        options->metric = options->format == FORMAT_MASSIF ? EXPORT_PEAK : EXPORT_BYTES;
    if (options->format == FORMAT_MASSIF && options->metric != EXPORT_PEAK && options->metric != EXPORT_LEAKED)
        return usage_error("massif draws the heap over time: --metric peak or leaked, not %s (a count over the "
                           "whole run)", EXPORT_METRIC_NAMES[options->metric]);
    return 0;
}

/* The writer of each export (export.h); NULL for text and JSON. */
static const struct export_format *const EXPORT_FORMATS[FORMAT_COUNT] = {
    [FORMAT_FOLDED] = &EXPORT_FOLDED, [FORMAT_SPEEDSCOPE] = &EXPORT_SPEEDSCOPE, [FORMAT_MASSIF] = &EXPORT_MASSIF};

/* Hands each of REPORT's processes (analyse_processes) to VISITOR as its
 * records are read, telling READING how it goes, and ends READING's line.
 * Returns 0, -1 with the reason on the trace, or 1 when the visitor
 * stopped (analyse_process_stream). */
static int stream_processes(struct trace *trace, struct report *report, const struct report_visitor *visitor,
                            struct reading_progress *reading)
{
    int result = 0;
    for (size_t i = 0; i < report->process_count && result == 0; i++) {
        const struct sites_progress progress = {reading_progress_told, reading, i, report->process_count};
        result = analyse_process_stream_told(trace, &report->processes[i], visitor, &progress);
    }
    reading_progress_end(reading);
    return result;
}

/* Writes REPORT's processes (analyse_processes) on stdout in OPTIONS'
 * format, JSON or an export, while their records are read, telling READING
 * how it goes: memory holds one record at a time and what the format must
 * sort or sum, not the report.  Returns 0; 1 when writing failed;
 * MT_EXIT_USAGE when the trace turned out damaged (JSON then ends there
 * unfinished; an export writes nothing more); each after saying why. */
static int write_streamed(struct trace *trace, struct report *report, const struct report_options *options,
                          struct reading_progress *reading)
{
    struct process_timeline timeline = {0};
    int result = 0, finished = 0;
    if (options->format == FORMAT_JSON) {
        struct json_writer writer;
        json_writer_start(&writer, stdout);
        struct report_visitor visitor = json_writer_visitor(&writer);
        result = stream_processes(trace, report, &visitor, reading);
        finished = result == 0 ? json_writer_finish(&writer) : 0;
    } else if (options->format == FORMAT_MASSIF &&
               analyse_timeline(trace, report->processes[0].row_id, &timeline) != 0) {
        reading_progress_end(reading);
        result = -1;
    } else {
        struct export_writer writer = {EXPORT_FORMATS[options->format], stdout, (enum export_metric)options->metric,
                                       report->process_count, &timeline, {0}, NULL, false};
        if (export_writer_start(&writer) != 0) {
            reading_progress_end(reading);
            result = 1;
        } else {
            struct report_visitor visitor = export_writer_visitor(&writer);
            result = stream_processes(trace, report, &visitor, reading);
            writer.failed = writer.failed || result != 0; /* nothing more is written */
            int saved = errno;
            finished = export_writer_finish(&writer);
            if (result != 0)
                errno = saved;
        }
    }
    process_timeline_free(&timeline);
    if (result < 0) {
        fflush(stdout);
        command_error("report", "%s: %s", options->trace_path, trace->problem);
        return MT_EXIT_USAGE;
    }
    if (result > 0 || finished != 0) {
        command_error("report", "cannot write the report: %s", strerror(errno));
        return 1;
    }
    return 0;
}

/* Runs `memtrack report`: 0 when the report was printed, 2 for bad usage or
 * an unusable trace (one line on stderr says which file and why), 1 when the
 * report could not be written.  The text report reads only what it prints;
 * the JSON report and the exports are written as the trace is read. */
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
    bool text = options.format == FORMAT_TEXT;
    /* Output written while the trace is read must not share a terminal with the line. */
    struct reading_progress reading;
    reading_progress_start(&reading, "report", options.trace_path, !text && isatty(STDOUT_FILENO));
    bool merged = options.text.leak_resolution != TEXT_LEAK_RESOLUTION_HIGH; /* merging needs every record */
    const struct analyse_scope scope = {options.text.sites, options.text.leak_kinds,
                                        merged ? SIZE_MAX : options.text.leak_records, (int64_t)options.pid,
                                        options.exe, reading_progress_told, &reading};
    bool read = trace_open(&trace, options.trace_path) == 0 &&
                (text ? analyse_trace(&trace, &report, &scope) : analyse_processes(&trace, &report, &scope)) == 0;
    if (text || !read)
        reading_progress_end(&reading); /* the other formats' reading goes on while they are written */
    if (!read) {
        command_error("report", "%s: %s", options.trace_path, trace.problem);
        status = MT_EXIT_USAGE;
    } else if (report.process_count == 0 && (options.pid != 0 || options.exe != NULL)) {
        char with_pid[64] = "";
        if (options.pid != 0)
            snprintf(with_pid, sizeof with_pid, " with pid %zu%s", options.pid, options.exe != NULL ? " and" : "");
        command_error("report", "%s: no process%s%s%s", options.trace_path, with_pid,
                      options.exe != NULL ? " running " : "", options.exe != NULL ? options.exe : "");
        status = MT_EXIT_USAGE;
    } else if (options.format == FORMAT_MASSIF && report.process_count != 1) {
        command_error("report", "%s: massif holds one process and the trace has %zu%s", options.trace_path,
                      report.process_count, report.process_count > 1 ? ": choose one with --pid or --exe" : "");
        status = MT_EXIT_USAGE;
    } else {
        command_warn_incomplete("report", &trace);
        if (!text) {
            status = write_streamed(&trace, &report, &options, &reading);
        } else if (render_text_with(stdout, &report, &options.text) != 0) {
            command_error("report", "cannot write the report: %s", strerror(errno));
            status = 1;
        }
    }
    reading_progress_end(&reading);
    report_free(&report);
    trace_close(&trace);
    return status;
}
