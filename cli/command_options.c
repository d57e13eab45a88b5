/*
 * command_options.c - the one way every command reads its command line:
 * getopt_long, with the same messages for an unknown option, a missing
 * value or a value given to an option that takes none, "--" ending the options, and the readers of a number and of the one
 * trace that report and view take.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* Tells whether getopt's last mistake (an unknown option, a missing or
 * unwanted value) was in a long option: getopt then leaves optopt 0 or the
 * option's code, and the option is the argument before optind. */
static bool mistake_in_long_option(const struct option_reader *reader)
{
    const char *previous = optind >= 2 ? reader->argv[optind - 1] : "";
    if (strncmp(previous, "--", 2) != 0)
        return false;
    for (const struct option *option = reader->long_options; optopt != 0 && option->name != NULL; option++)
        if (option->val == optopt)
            return true;
    return optopt == 0;
}

int next_option(struct option_reader *reader)
{
    if (!reader->started) {
        optind = 0; /* glibc: start afresh, whatever ran getopt before */
        opterr = 0;
        reader->started = true;
        memcpy(reader->short_name, "-?", sizeof reader->short_name);
    }
    char **argv = reader->argv;
    optopt = 0;
    int code = getopt_long(reader->argc, argv, reader->short_options, reader->long_options, NULL);
    reader->value = optarg;
    if (code == -1)
        return -1;
    if (code == ':' || code == '?') {
        reader->short_name[1] = (char)optopt;
        bool long_option = mistake_in_long_option(reader);
        const char *option = long_option ? argv[optind - 1] : reader->short_name;
        const char *equals = long_option ? strchr(option, '=') : NULL;
        if (code == '?' && equals != NULL && optopt != 0) /* a known long option, given a value it does not take */
            command_error(reader->command, "%.*s takes no value", (int)(equals - option), option);
        else if (code == '?')
            command_error(reader->command, "unknown option '%s'", option);
        else
            command_error(reader->command, "%s needs %s", option,
                          reader->value_name != NULL ? reader->value_name : "a value");
        return '?';
    }
    /* optind is past the option, and past its value when that was the next argument */
    reader->word = argv[optind - (optarg != NULL && optarg == argv[optind - 1] ? 2 : 1)];
    return code;
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

int one_trace(const struct option_reader *reader, const char **trace_path)
{
    if (optind < reader->argc)
        *trace_path = reader->argv[optind];
    else
        return command_error(reader->command, "no trace given");
    if (optind + 1 < reader->argc)
        return command_error(reader->command, "unexpected argument '%s'", reader->argv[optind + 1]);
    return 0;
}
