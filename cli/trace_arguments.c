/*
 * trace_arguments.c - the command line of a command reading one trace
 * (report, view): the trace itself, "--" ending the options so that a trace
 * may start with '-', and -h/--help, read here; each command reads its own
 * options through a callback, with the two readers of an option's value
 * below (diff uses them too).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

int option_value(const char *command, int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *argument = argv[*i];
    size_t length = strlen(name);
    if (strncmp(argument, name, length) != 0 || (argument[length] != '\0' && argument[length] != '='))
        return 0;
    if (argument[length] == '=') {
        *value = argument + length + 1;
        return 1;
    }
    if (*i + 1 == argc)
        return command_error(command, "%s needs a value", name);
    *value = argv[++*i];
    return 1;
}

int option_count(const char *command, const char *name, const char *value, size_t min, size_t max, size_t *count)
{
    char *end = NULL;
    errno = 0;
    unsigned long long number = strtoull(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || number < min || number > max)
        return command_error(command, "%s takes a number from %zu to %zu, not '%s'", name, min, max, value);
    *count = (size_t)number;
    return 0;
}

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
