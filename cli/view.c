/*
 * view.c - `memtrack view TRACE [-o FILE.html] [--open]`: write one
 * self-contained HTML page showing the trace (output/html.c) and print its
 * path.  The page needs no network: script, style and data are all inside.
 */
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "analyse/analyse.h"
#include "analyse/timeline.h"
#include "commands.h"
#include "help/help.h"
#include "output/html.h"
#include "output/html_fold.h"
#include "output_file.h"
#include "reading_progress.h"
#include "trace/reader.h"

extern char **environ;

struct view_options {
    const char *trace_path;
    const char *page_path; /* NULL: next to the trace */
    bool open;
    bool show_below_main;
    bool full;
    bool help;
};

#define usage_error(...) command_error("view", __VA_ARGS__)

/* Reads the command line into OPTIONS.  Returns 0, or -1 after naming the
 * mistake on stderr. */
static int parse_options(int argc, char **argv, struct view_options *options)
{
    static const struct option long_options[] = {
        {"output", required_argument, 0, 'o'}, {"open", no_argument, 0, 'O'},
        {"show-below-main", no_argument, 0, 'B'}, {"full", no_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    *options = (struct view_options){0};
    struct option_reader reader = {.command = "view", .argc = argc, .argv = argv, .short_options = ":o:h",
                                   .long_options = long_options, .value_name = "a file name"};
    int code;
    while ((code = next_option(&reader)) != -1) {
        switch (code) {
        case '?': return -1;
        case 'O': options->open = true; break;
        case 'B': options->show_below_main = true; break;
        case 'f': options->full = true; break;
        case 'h': options->help = true; break;
        default: /* 'o' */
            if (reader.value[0] == '\0')
                return usage_error("%s needs a file name", reader.word[1] == '-' ? "--output" : "-o");
            options->page_path = reader.value;
        }
    }
    return options->help ? 0 : one_trace(&reader, &options->trace_path);
}

/* Returns TRACE_PATH with its extension (if its file name has one) replaced
 * by ".html", newly allocated; NULL when memory runs out. */
static char *page_path_next_to(const char *trace_path)
{
    const char *name = strrchr(trace_path, '/');
    name = name != NULL ? name + 1 : trace_path;
    const char *dot = strrchr(name, '.');
    size_t kept = dot != NULL && dot != name ? (size_t)(dot - trace_path) : strlen(trace_path);
    char *page_path = malloc(kept + sizeof ".html");
    if (page_path != NULL) {
        memcpy(page_path, trace_path, kept);
        memcpy(page_path + kept, ".html", sizeof ".html");
    }
    return page_path;
}

/* What the page is made of, read from the trace: the processes, and for
 * each what the page shows of it and its timeline. */
struct view_data {
    struct report report;
    struct page_process *pages;
    struct process_timeline *timelines;
};

/* Reads everything the page shows, as OPTIONS asks, into DATA, telling
 * READING how it goes.  Returns 0, or -1 with the reason on the trace; DATA
 * then holds what was read, for view_data_free. */
static int read_view(struct trace *trace, const struct view_options *options, struct view_data *data,
                     struct reading_progress *reading)
{
    *data = (struct view_data){0};
    if (analyse_processes(trace, &data->report, NULL) != 0)
        return -1;
    data->pages = calloc(data->report.process_count + 1, sizeof *data->pages);
    data->timelines = calloc(data->report.process_count + 1, sizeof *data->timelines);
    if (data->pages == NULL || data->timelines == NULL)
        return trace_fail(trace, "out of memory");
    for (size_t i = 0; i < data->report.process_count; i++) {
        const struct sites_progress progress = {reading_progress_told, reading, i, data->report.process_count};
        if (page_process_read(&data->pages[i], trace, &data->report.processes[i], options->show_below_main,
                              options->full ? SIZE_MAX : PAGE_LEAKS_PER_KIND, &progress) != 0 ||
            analyse_timeline(trace, data->report.processes[i].row_id, &data->timelines[i]) != 0)
            return -1;
    }
    return 0;
}

/* Frees what read_view read. */
static void view_data_free(struct view_data *data)
{
    for (size_t i = 0; i < data->report.process_count; i++) {
        if (data->pages != NULL)
            page_process_free(&data->pages[i]);
        if (data->timelines != NULL)
            process_timeline_free(&data->timelines[i]);
    }
    free(data->pages);
    free(data->timelines);
    report_free(&data->report);
}

/* Renders the page (output_renderer). */
static int render_page(FILE *out, const void *view)
{
    return render_html(out, view);
}

/* Writes the page to PAGE_PATH, never onto the trace nor through a symlink
 * (output_file.h).  Returns 0, 1 when it could not be written, or
 * MT_EXIT_USAGE when PAGE_PATH is the trace; either after saying why. */
static int write_page(const char *page_path, const struct view *view)
{
    char error[1024];
    const char *trace_path = view->trace_path;
    switch (output_file_write(page_path, &trace_path, 1, render_page, view, error, sizeof error)) {
    case OUTPUT_FILE_WRITTEN:
        return 0;
    case OUTPUT_FILE_REFUSED:
        usage_error("the page would overwrite the trace %s; name it with -o", trace_path);
        return MT_EXIT_USAGE;
    default:
        usage_error("cannot write %s: %s", page_path, error);
        return 1;
    }
}

/* Hands the page to xdg-open, the desktop's way to open a file in the
 * browser the user chose.  Returns 0, or -1 after saying why not. */
static int open_page(const char *page_path)
{
    char *const arguments[] = {"xdg-open", (char *)page_path, NULL};
    pid_t child;
    int error = posix_spawnp(&child, "xdg-open", NULL, NULL, arguments, environ);
    if (error != 0) {
        return command_error("view", "cannot run xdg-open: %s%s", strerror(error),
                             error == ENOENT ? " (it comes with the xdg-utils package)" : "");
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        continue;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return command_error("view", "xdg-open could not open %s", page_path);
    }
    return 0;
}

/* Writes the page, prints its path, and opens it when OPEN: 0, or
 * write_page's status, or 1 when it could not be opened, after saying why. */
static int show_page(const char *page_path, const struct view *view, bool open)
{
    int written = write_page(page_path, view);
    if (written != 0)
        return written;
    printf("%s\n", page_path);
    fflush(stdout);
    return open && open_page(page_path) != 0 ? 1 : 0;
}

/* Runs `memtrack view`: 0 when the page was written (and opened, with
 * --open), 2 for bad usage or an unusable trace, 1 when the page could not be
 * written or opened. */
int cmd_view(int argc, char **argv)
{
    struct view_options options;
    if (parse_options(argc, argv, &options) != 0) {
        fputs(HELP_VIEW, stderr);
        return MT_EXIT_USAGE;
    }
    if (options.help) {
        fputs(HELP_VIEW, stdout);
        return 0;
    }
    char *default_page_path = options.page_path == NULL ? page_path_next_to(options.trace_path) : NULL;
    const char *page_path = options.page_path != NULL ? options.page_path : default_page_path;
    if (page_path == NULL) {
        command_error("view", "out of memory");
        return 1;
    }
    struct trace trace;
    struct view_data data = {0};
    int status = 0;
    struct reading_progress reading;
    reading_progress_start(&reading, "view", options.trace_path, false);
    bool read = trace_open_unchecked(&trace, options.trace_path) == 0 && read_view(&trace, &options, &data, &reading) == 0;
    reading_progress_end(&reading);
    if (!read) {
        command_error("view", "%s: %s", options.trace_path, trace.problem);
        status = MT_EXIT_USAGE;
    } else {
        command_warn_incomplete("view", &trace);
        struct view view = {options.trace_path, &data.report, data.pages, data.timelines, options.full};
        status = show_page(page_path, &view, options.open);
    }
    view_data_free(&data);
    trace_close(&trace);
    free(default_page_path);
    return status;
}
