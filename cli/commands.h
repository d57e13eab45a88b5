/*
 * commands.h - the subcommands of the memtrack executable.  Each returns the
 * process exit status; main.c only dispatches.
 *
 * Exit statuses shared by every command (docs/ci.md lists them all):
 *   0  success            2  bad usage or unusable input (not a trace, damaged, ...)
 * `memtrack run` returns the traced program's status instead (128+N for signal N).
 */
#ifndef MEMTRACK_COMMANDS_H
#define MEMTRACK_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#define MT_EXIT_USAGE 2

/* Says on stderr what is wrong, as "memtrack COMMAND: MESSAGE"; returns -1. */
int command_error(const char *command, const char *format, ...) __attribute__((format(printf, 2, 3)));

struct trace;
/* Says on stderr, when TRACE is incomplete, that what the command shows of it
 * lacks the processes `memtrack run` did not store (commands that only show
 * a trace go on; the gate refuses it). */
void command_warn_incomplete(const char *command, const struct trace *trace);

/* The command line of a command reading one trace (trace_arguments.c). */
struct trace_arguments {
    const char *command; /* names the command in messages */
    const char *trace_path;
    bool help;
};
/* Reads the option argv[*i] (and its value, advancing *i): 1 when it is one of
 * the command's, 0 when it is not, -1 after naming a mistake on stderr. */
typedef int trace_option_reader(int argc, char **argv, int *i, void *context);
/* Reads argv: the trace, "--" and -h/--help here, other options through
 * read_option.  Returns 0, or -1 after naming the mistake on stderr. */
int read_trace_arguments(struct trace_arguments *arguments, int argc, char **argv, trace_option_reader *read_option,
                         void *context);
/* Reads option NAME at argv[*i], as "NAME=VALUE" or "NAME VALUE" (advancing
 * *i): 1 with *VALUE set, 0 when argv[*i] is another option, -1 after saying
 * that the value is missing. */
int option_value(const char *command, int argc, char **argv, int *i, const char *name, const char **value);
/* Reads VALUE, the value of option NAME, as a whole number from MIN to MAX
 * in decimal digits: 0 with *COUNT set, or -1 after saying what is wrong. */
int option_count(const char *command, const char *name, const char *value, size_t min, size_t max, size_t *count);

int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_view(int argc, char **argv);

#endif
