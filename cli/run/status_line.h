/*
 * status_line.h - `memtrack run`'s progress line (progress_line.h) while it
 * works: the time since the start, the processes traced, their allocations
 * and allocation rate, and their live heap, as the collector counted them;
 * once the program and its descendants have ended, how far storing
 * (symbolizing each allocation site's stack, writing it) has got.  Nothing
 * with --quiet or when stderr is not a terminal.
 *
 * The collector's thread draws the running figures; the storer's thread
 * (run/storer.h) draws storing's progress and says its failures through
 * the line.
 */
#ifndef MEMTRACK_RUN_STATUS_LINE_H
#define MEMTRACK_RUN_STATUS_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "progress_line.h"

struct mt_server;
struct stored_process;

struct status_line {
    struct progress_line line;
    bool program_ended;         /* storing's progress is shown from now on: set once, read atomically */
    uint64_t drawn_allocations; /* allocations at the last line: the rate (the collector's, under line.lock) */
};

void status_line_init(struct status_line *status, bool quiet);
/* Redraws the running figures from SERVER's processes when a line is due:
 * STATUS is a struct status_line.  On the collector's thread, from its loop
 * and after each batch (the server's after_batch). */
void status_line_running(void *status, const struct mt_server *server);
/* The program and its descendants have ended: what is left is storing. */
void status_line_program_ended(struct status_line *status);
/* Redraws storing's progress after the program ended, when a line is due:
 * DONE of PROCESS's TOTAL allocation sites stored.  A trace_progress
 * (trace/writer.h) taking the status line as its context. */
void status_line_storing(void *status, const struct stored_process *process, size_t done, size_t total);
/* Erases the line for good. */
void status_line_close(struct status_line *status);

#endif
