/*
 * writer.h - creating a trace file and storing processes in it.
 */
#ifndef MEMTRACK_WRITER_H
#define MEMTRACK_WRITER_H

#include <stddef.h>

struct stored_process;
struct symbolizer;
struct trace_writer;

/* Creates a new trace at path (which must not exist), with the schema and the
 * meta rows.  NULL on failure, with a message for people in ERROR. */
struct trace_writer *trace_writer_open(const char *path, const char *command_line, char *error, size_t error_size);
/* Symbolizes p's stacks and stores p whole, in one transaction; 0 on success.
 * P is what the collector handed over (collect/stored.h): the writer sees
 * no more of the collector's state. */
int trace_write_process(struct trace_writer *w, const struct stored_process *p, struct symbolizer *sym);
/* Told, while a process is stored, once before its stacks are symbolized
 * and stored (DONE 0), then after each of its allocation sites: DONE of the
 * process's TOTAL sites are stored.  Called on the storing thread. */
typedef void trace_progress(void *context, const struct stored_process *process, size_t done, size_t total);
/* Has PROGRESS (NULL: none) told with CONTEXT from now on. */
void trace_writer_on_progress(struct trace_writer *w, trace_progress *progress, void *context);
/* Marks the trace complete (or not) and closes it; 0 on success. */
int trace_writer_close(struct trace_writer *w, int complete);
/* The last SQLite error, for messages. */
const char *trace_writer_error(struct trace_writer *w);

#endif
