/*
 * command_error.c - the one way subcommands name a mistake on stderr.
 */
#include <stdarg.h>
#include <stdio.h>

#include "commands.h"

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
