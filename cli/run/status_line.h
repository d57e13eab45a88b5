/*
 * status_line.h - what `memtrack run` shows on a terminal while it works: one
 * line on memtrack's own stderr, redrawn at most every STATUS_LINE_PERIOD_MS,
 * with the time since the start, the processes traced, their allocations,
 * live heap and allocation rate as the collector counted them; once the
 * program has ended, how far storing (symbolizing and writing) has got.
 * Nothing at all when stderr is not a terminal or with --quiet.  The line
 * is erased before memtrack says anything else, and at the end, so that
 * memtrack's messages and the summary read as without it.
 *
 * The collector's thread draws the running figures; the storer's thread
 * (run/storer.h) draws its progress and says its failures through it: a
 * lock keeps their writes whole.
 */
#ifndef MEMTRACK_RUN_STATUS_LINE_H
#define MEMTRACK_RUN_STATUS_LINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define STATUS_LINE_PERIOD_MS 250

struct mt_process;
struct mt_server;

struct status_line {
    bool on;                    /* stderr is a terminal and --quiet was not given; nothing else is used when off */
    pthread_mutex_t lock;       /* guards what follows and the writes */
    bool shown;                 /* a line is on the terminal */
    bool program_ended;         /* storing's progress is shown from now on */
    struct timespec start;      /* of the run */
    struct timespec drawn_at;   /* the last time a line was drawn */
    uint64_t drawn_allocations; /* allocations counted then: the rate */
};

/* Starts the line's clock; it is on only when stderr is a terminal (not a
 * dumb one) and QUIET is false. */
void status_line_init(struct status_line *line, bool quiet);
/* Redraws the running figures from SERVER's processes, when the last line
 * is STATUS_LINE_PERIOD_MS old.  On the collector's thread. */
void status_line_running(struct status_line *line, const struct mt_server *server);
/* The program and its descendants have ended: what is left is storing. */
void status_line_program_ended(struct status_line *line);
/* Redraws storing's progress after the program ended: DONE of PROCESS's
 * TOTAL allocation sites stored (each symbolized first).  A trace_progress
 * (trace/writer.h) taking the line as its context. */
void status_line_storing(void *line, const struct mt_process *process, size_t done, size_t total);
/* Says MESSAGE (a whole line) on stderr, the status line erased first;
 * LINE may be NULL. */
void status_line_say(struct status_line *line, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Erases the line for good. */
void status_line_close(struct status_line *line);

#endif
