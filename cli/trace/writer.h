/*
 * writer.h - creating a trace file and storing processes in it.
 */
#ifndef MEMTRACK_WRITER_H
#define MEMTRACK_WRITER_H

#include <stddef.h>

struct mt_process;
struct symbolizer;
struct trace_writer;

/* Creates a new trace at path (which must not exist), with the schema and the
 * meta rows.  NULL on failure, with a message for people in err. */
struct trace_writer *trace_writer_open(const char *path, const char *command_line, char *err, size_t errlen);
/* Symbolizes p's stacks and stores p whole, in one transaction; 0 on success. */
int trace_write_process(struct trace_writer *w, struct mt_process *p, struct symbolizer *sym);
/* Marks the trace complete (or not) and closes it; 0 on success. */
int trace_writer_close(struct trace_writer *w, int complete);
/* The last SQLite error, for messages. */
const char *trace_writer_error(struct trace_writer *w);

#endif
