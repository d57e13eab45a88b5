/*
 * command_error.c - the one way commands say on stderr what went wrong: a
 * mistake on the command line, a trace they cannot use, output they cannot
 * write.
 */
#include <stdarg.h>
#include <stdio.h>

#include "commands.h"
#include "trace/reader.h"

int command_error(const char *command, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "memtrack %s: ", command);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    return -1;
}

/* Warns that TRACE lacks processes, so that no one takes what is shown for
 * the whole run. */
void command_warn_incomplete(const char *command, const struct trace *trace)
{
    if (!trace->complete)
        fprintf(stderr, "memtrack %s: %s: %s; only the processes it stored are shown\n", command, trace->path,
                TRACE_INCOMPLETE);
}
