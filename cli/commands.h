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

#include <getopt.h>
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

/* Reads a command's options (command_options.c): getopt_long over ARGV,
 * permuting, so options may follow the operands, and "--" ends them. */
struct option_reader {
    const char *command;                /* names the command in messages */
    int argc;
    char **argv;                        /* argv[0] is the command's name */
    const char *short_options;          /* getopt's, starting with ':' (or "+:" to stop at the first operand) */
    const struct option *long_options;
    const char *value_name;             /* what a missing value is called: "a value" when NULL */
    const char *value;                  /* set by next_option: the option's value, NULL when it takes none */
    const char *word;                   /* set by next_option: the argument that held the option, as written
                                         * ("--top=3", or "--top" before its value) */
    bool started;
    char short_name[3];                 /* "-x", naming a short option in messages */
};
/* Reads the next option: its code (long_options' val, or the short option's
 * letter), -1 when no option is left (the operands are argv[optind] on), or
 * '?' after saying on stderr that the option is unknown or lacks its value. */
int next_option(struct option_reader *reader);
/* Reads VALUE, the value of option NAME, as a whole number from MIN to MAX
 * in decimal digits: 0 with *COUNT set, or -1 after saying what is wrong. */
int option_count(const char *command, const char *name, const char *value, size_t min, size_t max, size_t *count);
/* After the options: the one operand, the trace, in *TRACE_PATH; 0, or -1
 * after saying that there is none or more than one. */
int one_trace(const struct option_reader *reader, const char **trace_path);

int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_view(int argc, char **argv);

#endif
