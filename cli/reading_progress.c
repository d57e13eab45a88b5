/*
 * reading_progress.c - see reading_progress.h.
 */
#include "reading_progress.h"

#include <inttypes.h>
#include <stdio.h>

void reading_progress_start(struct reading_progress *reading, const char *command, const char *trace_path,
                            bool quiet)
{
    *reading = (struct reading_progress){.command = command, .trace_path = trace_path};
    progress_line_init(&reading->line, quiet);
}

/* What reading_progress_told draws from. */
struct reading_step {
    const struct reading_progress *reading;
    const struct report_process *process;
    size_t index, count, done, sites;
};

/* The line (progress_text): "memtrack report: reading T.db: pid 8199 (1 of
 * 3), 45000 of 60001 allocation sites". */
static void reading_text(void *context, char *text, size_t size, int64_t elapsed_ms, int64_t interval_ms)
{
    const struct reading_step *step = context;
    (void)elapsed_ms;
    (void)interval_ms;
    snprintf(text, size, "memtrack %s: reading %s: pid %" PRId64 " (%zu of %zu), %zu of %zu allocation sites",
             step->reading->command, step->reading->trace_path, step->process->pid, step->index + 1, step->count,
             step->done, step->sites);
}

void reading_progress_told(void *context, const struct report_process *process, size_t index, size_t count,
                           size_t done, size_t sites)
{
    struct reading_progress *reading = context;
    struct reading_step step = {reading, process, index, count, done, sites};
    progress_line_update(&reading->line, reading_text, &step);
}

void reading_progress_end(struct reading_progress *reading)
{
    if (reading->ended)
        return;
    reading->ended = true;
    progress_line_close(&reading->line);
}
