/* finish.h - storing each traced process in the trace as soon as it is done. */
#ifndef MEMTRACK_FINISH_H
#define MEMTRACK_FINISH_H

#include <sys/types.h>
#include "run/storer.h"

struct mt_server;
struct progress_line;
struct trace_writer;

struct finisher {
    struct storer storer;          /* stores ended processes, symbolizes ahead */
    pid_t top;                     /* the program memtrack started */
    int top_status_known;
    int top_status;
    int failures;                  /* processes that could not be stored */
};

/* Harvests and stores every process that has ended; with at_end, every
 * process left, ended or not. */
void finish_processes(struct finisher *f, struct mt_server *server, int at_end);
/* Makes f ready to store the processes of `top` in `writer`, resolving their addresses through the
 * symbol cache unless symbol_cache is 0, and saying failures through LINE (may be NULL). */
void finisher_init(struct finisher *f, struct trace_writer *writer, pid_t top, int symbol_cache,
                   struct progress_line *line);
/* Waits until every process handed over is stored, and ends the storer. */
void finisher_close(struct finisher *f);

#endif
