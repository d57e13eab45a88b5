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

/* Prints the command's help to STREAM. */
void usage_report(FILE *stream)
{
    fputs("Usage: memtrack report [--format FORMAT] [--metric M] [--pid N] [--exe NAME] [TEXT OPTIONS] TRACE\n"
          "Print what a trace recorded: memory errors, leaks, allocation sites and peak heap.\n"
          "\n"
          "  --format text   for people, like valgrind memcheck (the default)\n"
          "  --format json   for programs, complete; the layout is described in docs/report-format.md\n"
          "  --format folded      the allocation stacks as folded stacks, for flamegraph.pl and inferno\n"
          "  --format speedscope  the allocation stacks as a speedscope profile, one per process\n"
          "  --format massif      one process as massif.out, for ms_print and massif-visualizer\n"
          "  --metric M      what the exports weigh each allocation stack by:\n"
          "                    allocations  allocations made there\n"
          "                    bytes        bytes allocated there (the default of folded and speedscope)\n"
          "                    leaked       bytes still allocated at the end, every leak kind\n"
          "                    peak         bytes live when the heap peaked (the default of massif)\n"
          "                    temporary    allocations freed before their thread's next allocation\n"
          "                  massif takes peak or leaked: it draws the heap over time\n"
          "  --pid N         only the process N (a trace of several lists them first)\n"
          "  --exe NAME      only the processes running NAME (a path, or its last part: python3)\n"
          "  -h, --help      show this help\n"
          "\n"
          "On a terminal, a line on stderr tells how the reading of a big trace goes.\n"
          "\n"
          "Text options (memcheck's names and defaults; the leak summary counts every kind):\n"
          "  --show-leak-kinds=LIST  leak records to print: all, none, or a comma-separated list of\n"
          "                          definite, indirect, possible, reachable, unclassified\n"
          "                          (default definite,possible,unclassified)\n"
          "  --num-callers=N         frames printed per stack, 1 to 256 (default 12)\n"
          "  --top=N                 allocation sites printed, most allocations first; 0 for none (default 10)\n"
          "  --show-below-main       frames below main too (libc's start-up; hidden by default)\n"
          "  --leak-resolution=R     low, med or high (default): records of one kind whose first 2, 4 or\n"
          "                          all stack entries match (memcheck counts malloc's own as the first)\n"
          "                          print as one\n"
          "  --leak-records=N        leak records printed per kind, largest first; all for every one\n"
          "                          (default 100; the leak summary and a line after it count the rest)\n",
          stream);
}

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

/* Reads one of report's own options (trace_option_reader). */
static int read_report_option(int argc, char **argv, int *i, void *context)
{
    struct report_options *options = context;
    const char *option = argv[*i], *value = NULL;
    int taken;
    if ((taken = option_value("report", argc, argv, i, "--format", &value)) != 0) {
        if (taken < 0)
            return -1;
        int format = name_to_index(FORMAT_NAMES, FORMAT_COUNT, value);
        if (format < 0)
            return usage_error("unknown format '%s' (text, json, folded, speedscope or massif)", value);
        options->format = (enum report_format)format;
        return 1;
    }
    if ((taken = option_value("report", argc, argv, i, "--metric", &value)) != 0) {
        if (taken < 0)
            return -1;
        options->metric = name_to_index(EXPORT_METRIC_NAMES, EXPORT_METRIC_COUNT, value);
        if (options->metric < 0)
            return usage_error("--metric takes allocations, bytes, leaked, peak or temporary, not '%s'", value);
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
    } else if ((taken = option_value("report", argc, argv, i, "--leak-records", &value)) != 0) {
        result = taken < 0 || choose_leak_records(value, &options->text.leak_records) != 0 ? -1 : 1;
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
        .metric = -1,
        .text = {TEXT_LEAK_KINDS_DEFAULT, TEXT_FRAMES_DEFAULT, TEXT_SITES_DEFAULT, false, TEXT_LEAK_RESOLUTION_HIGH,
                 TEXT_LEAK_RECORDS_DEFAULT},
    };
    struct trace_arguments common = {.command = "report"};
    if (read_trace_arguments(&common, argc, argv, read_report_option, options) != 0)
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
    options->trace_path = common.trace_path;
    options->help = common.help;
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
        fprintf(stderr, "memtrack report: %s: %s\n", options->trace_path, trace->problem);
        return MT_EXIT_USAGE;
    }
    if (result > 0 || finished != 0) {
        fprintf(stderr, "memtrack report: cannot write the report: %s\n", strerror(errno));
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
    } else if (options.format == FORMAT_MASSIF && report.process_count != 1) {
        fprintf(stderr, "memtrack report: %s: massif holds one process and the trace has %zu%s\n",
                options.trace_path, report.process_count,
                report.process_count > 1 ? ": choose one with --pid or --exe" : "");
        status = MT_EXIT_USAGE;
    } else {
        command_warn_incomplete("report", &trace);
        if (!text) {
            status = write_streamed(&trace, &report, &options, &reading);
        } else if (render_text_with(stdout, &report, &options.text) != 0) {
            fprintf(stderr, "memtrack report: cannot write the report: %s\n", strerror(errno));
            status = 1;
        }
    }
    reading_progress_end(&reading);
    report_free(&report);
    trace_close(&trace);
    return status;
}
