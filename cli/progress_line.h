/*
 * progress_line.h - one line on memtrack's own stderr telling how a long
 * step is going, redrawn at most every PROGRESS_LINE_PERIOD_MS: `memtrack
 * run`'s status line (run/status_line.h), the reading of a big trace by
 * `memtrack report` and `view`.  Only on a terminal (not a dumb one) and not
 * when the command was asked to be quiet; a step shorter than the period
 * shows nothing; nothing is drawn while memtrack is not in the terminal's
 * foreground or a full-screen program holds it (non-canonical mode).  The line is erased before the command says anything else
 * (progress_line_say) and at the end, so that its messages and output read
 * as without it.
 *
 * Any thread may update or say through the line: a lock keeps each write
 * whole.
 */
#ifndef MEMTRACK_PROGRESS_LINE_H
#define MEMTRACK_PROGRESS_LINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PROGRESS_LINE_PERIOD_MS 250

struct progress_line {
    bool on;                  /* stderr is a terminal and the command is not quiet; nothing else is used when off */
    pthread_mutex_t lock;     /* guards what follows, the caller's own state in progress_text, and the writes */
    bool shown;               /* a line is on the terminal */
    struct timespec start;    /* of the command */
    struct timespec drawn_at; /* the last time a line was drawn, or the step started */
};

/* Writes the line's text (without "\r" or a newline) into TEXT, of SIZE
 * bytes, from CONTEXT; ELAPSED_MS is the time since the command started,
 * INTERVAL_MS since the last line (or the step's start).  Called with the
 * line's lock held. */
typedef void progress_text(void *context, char *text, size_t size, int64_t elapsed_ms, int64_t interval_ms);

/* Starts the line's clock; it is on only when stderr is a terminal (not a
 * dumb one) and QUIET is false. */
void progress_line_init(struct progress_line *line, bool quiet);
/* Redraws the line with TEXT's text when the last one (or the step's start)
 * is PROGRESS_LINE_PERIOD_MS old. */
void progress_line_update(struct progress_line *line, progress_text *text, void *context);
/* Erases the line: a new step starts, shown after a period of its own. */
void progress_line_restart(struct progress_line *line);
/* Says FORMAT's message on stderr, the line erased first; LINE may be NULL. */
void progress_line_say(struct progress_line *line, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Erases the line for good. */
void progress_line_close(struct progress_line *line);

#endif
