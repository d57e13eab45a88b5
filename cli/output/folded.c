/*
 * folded.c - the report as folded stacks, the input of flamegraph.pl and
 * inferno-flamegraph: one line per distinct stack, "frame;frame;frame
 * VALUE", outermost frame first, VALUE the sum of the metric over the sites
 * whose shown frames read the same.  Lines are sorted and merged, as the
 * stackcollapse scripts leave them, so that each frame is drawn once under
 * its caller; a site whose figure is 0 is left out.  In a report of several
 * processes each line starts with its process ("leaky (pid 8199)").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/export.h"
#include "output/render.h"

/* Separators of the format: a frame's name holds neither. */
#define FOLDED_UNSAFE ";"

struct folded_line {
    char *stack; /* the frames, outermost first, joined by ';' */
    int64_t value;
};

struct folded_lines {
    size_t count;
    struct folded_line *lines;
};

/* Writes NAME (NULL: memory ran out) to STREAM; -1 when it is NULL. */
static int put_name(FILE *stream, char *name)
{
    if (name == NULL)
        return -1;
    fputs(name, stream);
    free(name);
    return 0;
}

/* Appends SITE's line, its frames after PREFIX (a process's name, or
 * NULL); 0, or -1 when memory runs out. */
static int add_line(struct folded_lines *lines, struct shown_frames *shown, const char *prefix,
                    const struct report_site *site, int64_t value)
{
    struct folded_line line = {.value = value};
    size_t length = 0;
    FILE *stream = open_memstream(&line.stack, &length);
    if (stream == NULL || shown_frames_of(shown, &site->stack) != 0) {
        if (stream != NULL)
            fclose(stream);
        free(line.stack);
        return -1;
    }
    int failed = 0;
    if (prefix != NULL)
        fprintf(stream, "%s;", prefix);
    for (size_t i = shown->count; i-- > 0 && failed == 0;) {
        failed = put_name(stream, export_frame_name(shown->frames[i], FOLDED_UNSAFE));
        fputs(i > 0 ? ";" : "", stream);
    }
    struct folded_line *grown = make_room(lines->lines, lines->count, sizeof *grown);
    if (fclose(stream) != 0 || failed != 0 || grown == NULL) {
        free(line.stack);
        return -1;
    }
    lines->lines = grown;
    lines->lines[lines->count++] = line;
    return 0;
}

/* The format's state: every line so far, and the current process's name
 * when the report has several. */
struct folded_state {
    struct folded_lines lines;
    char *prefix;
};

static int folded_start(struct export_writer *writer)
{
    writer->state = calloc(1, sizeof(struct folded_state));
    return writer->state != NULL ? 0 : -1;
}

/* Names the process's lines when the report has several. */
static int folded_process(struct export_writer *writer, const struct report_process *process)
{
    struct folded_state *state = writer->state;
    if (writer->process_count <= 1)
        return 0;
    state->prefix = export_process_name(process);
    if (state->prefix == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (char *at = state->prefix; (at = strpbrk(at, FOLDED_UNSAFE)) != NULL; at++)
        *at = '?';
    return 0;
}

/* Appends the site's line when its figure is not 0. */
static int folded_site(struct export_writer *writer, const struct report_site *site)
{
    struct folded_state *state = writer->state;
    int64_t value = export_site_figure(site, writer->metric);
    if (value > 0 && add_line(&state->lines, &writer->shown, state->prefix, site, value) != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

static int folded_process_end(struct export_writer *writer, const struct report_process *process)
{
    struct folded_state *state = writer->state;
    (void)process;
    free(state->prefix);
    state->prefix = NULL;
    return 0;
}

/* qsort order of folded lines: by their stacks' bytes. */
static int by_stack(const void *left, const void *right)
{
    return strcmp(((const struct folded_line *)left)->stack, ((const struct folded_line *)right)->stack);
}

/* Writes the sorted lines, those of one stack merged into one. */
static void write_lines(FILE *out, struct folded_lines *lines)
{
    qsort(lines->lines, lines->count, sizeof *lines->lines, by_stack);
    for (size_t i = 0; i < lines->count;) {
        int64_t value = 0;
        size_t first = i;
        for (; i < lines->count && strcmp(lines->lines[i].stack, lines->lines[first].stack) == 0; i++)
            value += lines->lines[i].value; /* sums of one trace's site figures: within its own totals */
        fprintf(out, "%s %" PRId64 "\n", lines->lines[first].stack, value);
    }
}

/* Writes the lines, unless a step failed, and frees them. */
static int folded_finish(struct export_writer *writer)
{
    struct folded_state *state = writer->state;
    if (!writer->failed)
        write_lines(writer->out, &state->lines);
    for (size_t i = 0; i < state->lines.count; i++)
        free(state->lines.lines[i].stack);
    free(state->lines.lines);
    free(state->prefix);
    free(state);
    return 0;
}

const struct export_format EXPORT_FOLDED = {folded_start, folded_process, folded_site, folded_process_end,
                                            folded_finish};

int render_folded(FILE *out, const struct report *report, enum export_metric metric)
{
    return export_processes(&EXPORT_FOLDED, out, metric, report->processes, report->process_count, NULL);
}
