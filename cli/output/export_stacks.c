/*
 * export_stacks.c - see export.h: the metric, frame and process names, the
 * frames of a stack the exports show, and the writer that drives each
 * format.
 */
#include "output/export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/printable.h"

const char *const EXPORT_METRIC_NAMES[EXPORT_METRIC_COUNT] = {"allocations", "bytes", "leaked", "peak",
                                                              "temporary"};

int64_t export_site_figure(const struct report_site *site, enum export_metric metric)
{
    switch (metric) {
    case EXPORT_ALLOCATIONS:
        return site->allocations;
    case EXPORT_BYTES:
        return site->bytes;
    case EXPORT_LEAKED:
        return site->leaked_bytes;
    case EXPORT_PEAK:
        return site->peak_bytes;
    case EXPORT_TEMPORARY:
    case EXPORT_METRIC_COUNT:
        break;
    }
    return site->temporary;
}

bool export_metric_in_bytes(enum export_metric metric)
{
    return metric == EXPORT_BYTES || metric == EXPORT_LEAKED || metric == EXPORT_PEAK;
}

/* Closes a memory stream and returns its text (*TEXT once closed), made
 * printable with each character of UNSAFE as '?'; NULL when writing it
 * failed. */
static char *close_name(FILE *stream, char **text_pointer, const char *unsafe)
{
    if (fclose(stream) != 0) {
        free(*text_pointer);
        return NULL;
    }
    char *text = *text_pointer;
    make_printable(text);
    for (char *at = text; *unsafe != '\0' && (at = strpbrk(at, unsafe)) != NULL; at++)
        *at = '?';
    return text;
}

char *export_frame_name(const struct report_frame *frame, const char *unsafe)
{
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream(&text, &length);
    if (stream == NULL)
        return NULL;
    if (frame->function != NULL)
        fputs(frame->function, stream);
    else if (frame->module != NULL)
        fprintf(stream, "??? (in %s)", frame->module);
    else
        fputs("???", stream);
    return close_name(stream, &text, unsafe);
}

char *export_process_name(const struct report_process *process)
{
    const char *path = process->argc > 0 ? process->argv[0] : process->executable;
    const char *slash = path != NULL ? strrchr(path, '/') : NULL;
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream(&text, &length);
    if (stream == NULL)
        return NULL;
    fprintf(stream, "%s (pid %lld)", slash != NULL ? slash + 1 : path != NULL ? path : "???",
            (long long)process->pid);
    return close_name(stream, &text, "");
}

int shown_frames_of(struct shown_frames *shown, const struct report_stack *stack)
{
    static const struct report_frame NO_STACK = {.function = "(no stack recorded)"};
    static const struct report_frame EMPTY_STACK = {.function = "(empty stack)"};
    size_t room = stack->depth > 0 ? stack->depth : 1;
    if (room > shown->room) {
        const struct report_frame **frames = realloc(shown->frames, room * sizeof *frames);
        if (frames == NULL)
            return -1;
        shown->frames = frames;
        shown->room = room;
    }
    shown->count = stack->present ? report_stack_shown_frames(stack, false, shown->frames) : 0;
    if (shown->count == 0)
        shown->frames[shown->count++] = stack->present ? &EMPTY_STACK : &NO_STACK;
    return 0;
}

void shown_frames_free(struct shown_frames *shown)
{
    free(shown->frames);
    *shown = (struct shown_frames){0};
}

int export_writer_start(struct export_writer *writer)
{
    writer->shown = (struct shown_frames){0};
    writer->state = NULL;
    writer->failed = false;
    if (writer->format->start(writer) != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* The visitor's steps: each hands its record to the format's, and marks
 * the writer failed when that fails. */
static int process_step(void *context, const struct report_process *process)
{
    struct export_writer *writer = context;
    writer->failed = writer->failed || writer->format->process(writer, process) != 0;
    return writer->failed ? -1 : 0;
}

static int site_step(void *context, const struct report_site *site)
{
    struct export_writer *writer = context;
    writer->failed = writer->failed || writer->format->site(writer, site) != 0;
    return writer->failed ? -1 : 0;
}

static int process_end_step(void *context, const struct report_process *process)
{
    struct export_writer *writer = context;
    writer->failed = writer->failed || writer->format->process_end(writer, process) != 0;
    return writer->failed ? -1 : 0;
}

struct report_visitor export_writer_visitor(struct export_writer *writer)
{
    return (struct report_visitor){writer, process_step, NULL, NULL, site_step, process_end_step};
}

int export_writer_finish(struct export_writer *writer)
{
    int result = writer->format->finish(writer);
    shown_frames_free(&writer->shown);
    if (result != 0) {
        errno = ENOMEM;
        return -1;
    }
    return fflush(writer->out) == 0 && !ferror(writer->out) ? 0 : -1;
}

int export_processes(const struct export_format *format, FILE *out, enum export_metric metric,
                     const struct report_process *processes, size_t count, const struct process_timeline *timeline)
{
    struct export_writer writer = {format, out, metric, count, timeline, {0}, NULL, false};
    if (export_writer_start(&writer) != 0)
        return -1;
    const struct report_visitor visitor = export_writer_visitor(&writer);
    int stopped = report_visit(processes, count, &visitor);
    int saved = errno;
    int finished = export_writer_finish(&writer);
    if (stopped != 0) {
        errno = saved;
        return -1;
    }
    return finished;
}
