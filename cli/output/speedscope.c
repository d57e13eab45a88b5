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

/* Writes PROCESS's profile; -1 when memory runs out. */
static int write_profile(FILE *out, struct frame_table *frames, struct shown_frames *shown,
                         const struct report_process *process, enum export_metric metric)
{
    int64_t total = 0;
    for (size_t i = 0; i < process->site_count; i++)
        total += export_site_figure(&process->sites[i], metric); /* within the process's own totals */
    char *name = export_process_name(process);
    if (name == NULL)
        return -1;
    fputs("{\"type\":\"sampled\",\"name\":", out);
    json_write_string(out, name);
    free(name);
    fprintf(out, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%" PRId64 ",\"samples\":[",
            export_metric_in_bytes(metric) ? "bytes" : "none", total);
    const char *separator = "";
    for (size_t i = 0; i < process->site_count; i++) {
        if (export_site_figure(&process->sites[i], metric) <= 0)
            continue;
        fputs(separator, out);
        separator = ",";
        if (shown_frames_of(shown, &process->sites[i].stack) != 0 || write_sample(out, frames, shown) != 0)
            return -1;
    }
    fputs("],\"weights\":[", out);
    separator = "";
    for (size_t i = 0; i < process->site_count; i++) {
        int64_t value = export_site_figure(&process->sites[i], metric);
        if (value > 0) {
            fprintf(out, "%s%" PRId64, separator, value);
            separator = ",";
        }
    }
    fputs("]}", out);
    return 0;
}

/* Writes the shared frames: name, and file when known. */
static int write_frames(FILE *out, const struct frame_table *frames)
{
    fputs("\"shared\":{\"frames\":[", out);
    for (size_t i = 0; i < frames->count; i++) {
        char *name = export_frame_name(frames->frames[i], "");
        if (name == NULL)
            return -1;
        fputs(i > 0 ? ",\n{\"name\":" : "{\"name\":", out);
        json_write_string(out, name);
        free(name);
        if (frames->frames[i]->file != NULL) {
            fputs(",\"file\":", out);
            json_write_string(out, frames->frames[i]->file);
        }
        fputc('}', out);
    }
    fputs("]}", out);
    return 0;
}

int render_speedscope(FILE *out, const struct report *report, enum export_metric metric)
{
    struct frame_table frames;
    frame_table_init(&frames, true);
    struct shown_frames shown = {0};
    fprintf(out, "{\"$schema\":\"" SPEEDSCOPE_SCHEMA "\",\"exporter\":\"memtrack " MEMTRACK_VERSION
            "\",\"name\":\"memtrack: %s\",\"activeProfileIndex\":0,\"profiles\":[", EXPORT_METRIC_NAMES[metric]);
    int result = 0;
    for (size_t i = 0; i < report->process_count && result == 0; i++) {
        fputs(i > 0 ? ",\n" : "\n", out);
        result = write_profile(out, &frames, &shown, &report->processes[i], metric);
    }
    if (result == 0) {
        fputs("],\n", out);
        result = write_frames(out, &frames);
        fputs("}\n", out);
    }
    frame_table_free(&frames);
    shown_frames_free(&shown);
    if (result != 0) {
        errno = ENOMEM;
        return -1;
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
