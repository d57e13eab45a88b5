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

#include <stdio.h>

#define MT_EXIT_USAGE 2

/* Says on stderr what is wrong, as "memtrack COMMAND: MESSAGE"; returns -1. */
int command_error(const char *command, const char *format, ...) __attribute__((format(printf, 2, 3)));

int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_view(int argc, char **argv);

void usage_run(FILE *stream);
void usage_report(FILE *stream);
void usage_check(FILE *stream);
void usage_diff(FILE *stream);
void usage_view(FILE *stream);

#endif
