/*
 * reading_progress.h - the progress line (progress_line.h) of a command
 * reading a whole trace (report, view): a big trace's thousands of
 * allocation stacks take seconds to load, so the line says which process
 * is read and how many of its sites' stacks are loaded.
 */
#ifndef MEMTRACK_READING_PROGRESS_H
#define MEMTRACK_READING_PROGRESS_H

#include <stdbool.h>

#include "analyse/model.h"
#include "progress_line.h"

struct reading_progress {
    struct progress_line line;
    const char *command;    /* names the command on the line: "report" */
    const char *trace_path;
    bool ended;             /* reading_progress_end was called */
};

/* Starts the line of COMMAND reading TRACE_PATH (off when stderr is not a
 * terminal, or QUIET: the command writes its output while it reads, to a
 * terminal). */
void reading_progress_start(struct reading_progress *reading, const char *command, const char *trace_path,
                            bool quiet);
/* An analyse_progress (analyse/analyse.h) taking the reading_progress as its context. */
void reading_progress_told(void *reading, const struct report_process *process, size_t index, size_t count,
                           size_t done, size_t sites);
/* Erases the line for good: before the command's output or messages.
 * Once ended, ending again does nothing. */
void reading_progress_end(struct reading_progress *reading);

#endif
