/*
 * trace_arguments.c - the command line of a command reading one trace
 * (report, view): the trace itself, "--" ending the options so that a trace
 * may start with '-', and -h/--help, read here; each command reads its own
 * options through a callback.
 */
#include <string.h>

#include "commands.h"

int read_trace_arguments(struct trace_arguments *arguments, int argc, char **argv, trace_option_reader *read_option,
                         void *context)
{
    bool options_ended = false;
    for (int i = 1; i < argc; i++) {
        const char *argument = argv[i];
        if (options_ended || argument[0] != '-' || strcmp(argument, "-") == 0) {
            if (arguments->trace_path != NULL)
                return command_error(arguments->command, "unexpected argument '%s'", argument);
            arguments->trace_path = argument;
        } else if (strcmp(argument, "--") == 0) {
            options_ended = true;
        } else if (strcmp(argument, "-h") == 0 || strcmp(argument, "--help") == 0) {
            arguments->help = true;
        } else {
            int taken = read_option(argc, argv, &i, context);
            if (taken < 0)
                return -1;
            if (taken == 0)
                return command_error(arguments->command, "unknown option '%s'", argument);
        }
    }
    if (arguments->trace_path == NULL && !arguments->help)
        return command_error(arguments->command, "no trace given");
    return 0;
}
