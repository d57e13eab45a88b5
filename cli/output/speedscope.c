/*
 * speedscope.c - the report in speedscope's file format
 * (https://www.speedscope.app/file-format-schema.json): one "sampled"
 * profile per process, each site with a figure other than 0 one sample (its
 * shown frames, outermost first) weighing its figure, in bytes or, for the
 * counting metrics, unit "none".  Frames are shared by every profile, one
 * per function (html_frames.h, by name): speedscope then draws a function
 * once under its caller, as the page's flame graph does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#include "output/export.h"
#include "output/html_frames.h"
#include "output/json_string.h"
#include "output/render.h"

#define SPEEDSCOPE_SCHEMA "https://www.speedscope.app/file-format-schema.json"

/* Writes one sample: the indexes of its frames in FRAMES, outermost first;
 * -1 when memory runs out. */
static int write_sample(FILE *out, struct frame_table *frames, const struct shown_frames *shown)
{
    fputc('[', out);
    for (size_t i = shown->count; i-- > 0;) {
        int64_t index = frame_table_index(frames, shown->frames[i]);
        if (index < 0)
            return -1;
        fprintf(out, i + 1 < shown->count ? ",%" PRId64 : "%" PRId64, index);
    }
    fputc(']', out);
    return 0;
}

/* The format's state: the frames every profile shares; the document so
 * far, held until every process is read, so that a trace found damaged
 * part-way writes nothing; the current process's samples and weights, held
 * until its total is known (the profile's endValue comes before them). */
struct speedscope_state {
    struct frame_table frames;
    char *document;
    size_t document_length;
    FILE *document_stream;
    size_t profiles; /* written so far */
    int64_t total;
    size_t held;     /* samples of the current process */
    char *samples, *weights;
    size_t samples_length, weights_length;
    FILE *sample_stream, *weight_stream;
};

/* Starts the document: what made it, which metric. */
static int speedscope_start(struct export_writer *writer)
{
    struct speedscope_state *state = calloc(1, sizeof *state);
    if (state == NULL)
        return -1;
    state->document_stream = open_memstream(&state->document, &state->document_length);
    if (state->document_stream == NULL) {
        free(state);
        return -1;
    }
    frame_table_init(&state->frames, true);
    writer->state = state;
    fprintf(state->document_stream,
            "{\"$schema\":\"" SPEEDSCOPE_SCHEMA "\",\"exporter\":\"memtrack " MEMTRACK_VERSION
            "\",\"name\":\"memtrack: %s\",\"activeProfileIndex\":0,\"profiles\":[",
            EXPORT_METRIC_NAMES[writer->metric]);
    return 0;
}

/* Closes the current process's streams; -1 when one failed. */
static int close_process_streams(struct speedscope_state *state)
{
    int result = 0;
    if (state->sample_stream != NULL && fclose(state->sample_stream) != 0)
        result = -1;
    if (state->weight_stream != NULL && fclose(state->weight_stream) != 0)
        result = -1;
    state->sample_stream = state->weight_stream = NULL;
    return result;
}

/* Starts holding the process's samples and weights. */
static int speedscope_process(struct export_writer *writer, const struct report_process *process)
{
    struct speedscope_state *state = writer->state;
    (void)process;
    state->total = 0;
    state->held = 0;
    state->sample_stream = open_memstream(&state->samples, &state->samples_length);
    state->weight_stream = open_memstream(&state->weights, &state->weights_length);
    if (state->sample_stream == NULL || state->weight_stream == NULL) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* Holds the site's sample and weight when its figure is not 0. */
static int speedscope_site(struct export_writer *writer, const struct report_site *site)
{
    struct speedscope_state *state = writer->state;
    int64_t value = export_site_figure(site, writer->metric);
    state->total += value; /* within the process's own totals */
    if (value <= 0)
        return 0;
    bool first = state->held++ == 0;
    fputs(first ? "" : ",", state->sample_stream);
    fprintf(state->weight_stream, first ? "%" PRId64 : ",%" PRId64, value);
    if (shown_frames_of(&writer->shown, &site->stack) != 0 ||
        write_sample(state->sample_stream, &state->frames, &writer->shown) != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* Writes the process's profile: its name, unit, total, samples, weights. */
static int speedscope_process_end(struct export_writer *writer, const struct report_process *process)
{
    struct speedscope_state *state = writer->state;
    FILE *out = state->document_stream;
    char *name = export_process_name(process);
    if (close_process_streams(state) != 0 || name == NULL) {
        free(name);
        errno = ENOMEM;
        return -1;
    }
    fputs(state->profiles++ > 0 ? ",\n" : "\n", out);
    fputs("{\"type\":\"sampled\",\"name\":", out);
    json_write_string(out, name);
    free(name);
    fprintf(out, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%" PRId64 ",\"samples\":[%s],\"weights\":[%s]}",
            export_metric_in_bytes(writer->metric) ? "bytes" : "none", state->total, state->samples, state->weights);
    free(state->samples);
    free(state->weights);
    state->samples = state->weights = NULL;
    if (ferror(out)) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* Writes the shared frames: name, and file when known. */
static int write_frames(FILE *out, const struct frame_table *frames)
{
    fputs("\"shared\":{\"frames\":[", out);
    for (size_t i = 0; i < frames->count; i++) {
        char *name = export_frame_name(&frames->frames[i], "");
        if (name == NULL)
            return -1;
        fputs(i > 0 ? ",\n{\"name\":" : "{\"name\":", out);
        json_write_string(out, name);
        free(name);
        if (frames->frames[i].file != NULL) {
            fputs(",\"file\":", out);
            json_write_string(out, frames->frames[i].file);
        }
        fputc('}', out);
    }
    fputs("]}", out);
    return 0;
}

/* Writes the shared frames and the file's end, unless a step failed, and
 * frees the state. */
static int speedscope_finish(struct export_writer *writer)
{
    struct speedscope_state *state = writer->state;
    int result = 0;
    close_process_streams(state);
    bool held = state->document_stream != NULL && fclose(state->document_stream) == 0;
    if (!writer->failed && !held)
        result = -1;
    if (!writer->failed && held) {
        fwrite(state->document, 1, state->document_length, writer->out);
        fputs("],\n", writer->out);
        result = write_frames(writer->out, &state->frames);
        fputs("}\n", writer->out);
    }
    free(state->document);
    free(state->samples);
    free(state->weights);
    frame_table_free(&state->frames);
    free(state);
    return result;
}

const struct export_format EXPORT_SPEEDSCOPE = {speedscope_start, speedscope_process, speedscope_site,
                                                speedscope_process_end, speedscope_finish};

int render_speedscope(FILE *out, const struct report *report, enum export_metric metric)
{
    return export_processes(&EXPORT_SPEEDSCOPE, out, metric, report->processes, report->process_count, NULL);
}
