/*
 * main.c - the memtrack command: dispatches to a subcommand.
 */
#include <stdio.h>
#include <string.h>
#include "commands.h"

static void usage(FILE *out)
{
    fputs("usage: memtrack COMMAND [options]\n"
          "\n"
          "Commands:\n"
          "  run [-o TRACE] [--] PROGRAM [ARGS...]   trace every allocation of PROGRAM\n"
          "  report [--format text|json] TRACE       leaks, errors and allocation sites\n"
          "  help [COMMAND]                          this text, or a command's own\n"
          "\n"
          "Options: -h, --help; --version\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MT_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return cmd_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("memtrack %s\n", MEMTRACK_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || (!strcmp(cmd, "help") && argc == 2)) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "help")) {
        if (!strcmp(argv[2], "run"))
            usage_run(stdout);
        else if (!strcmp(argv[2], "report"))
            usage_report(stdout);
        else {
            fprintf(stderr, "memtrack: no command '%s'\n", argv[2]);
            usage(stderr);
            return MT_EXIT_USAGE;
        }
        return 0;
    }
    fprintf(stderr, "memtrack: unknown command or option '%s'\n", cmd);
    usage(stderr);
    return MT_EXIT_USAGE;
}
