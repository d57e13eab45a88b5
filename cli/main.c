/*
 * main.c - the memtrack command: dispatches to a subcommand.  The help
 * texts are cli/help/COMMAND.txt (help.h), which the man pages are made from too.
 */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "help/help.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

static const struct command commands[] = {
    {"run", cmd_run, HELP_RUN},    {"report", cmd_report, HELP_REPORT}, {"check", cmd_check, HELP_CHECK},
    {"diff", cmd_diff, HELP_DIFF}, {"view", cmd_view, HELP_VIEW},
};

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(HELP_MEMTRACK, stderr);
        return MT_EXIT_USAGE;
    }
    const char *name = argv[1];
    const struct command *c = find(name);
    if (c)
        return c->run(argc - 1, argv + 1);
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("memtrack %s\n", MEMTRACK_VERSION);
        return 0;
    }
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || (!strcmp(name, "help") && argc == 2)) {
        fputs(HELP_MEMTRACK, stdout);
        return 0;
    }
    if (!strcmp(name, "help")) {
        c = find(argv[2]);
        if (!c) {
            fprintf(stderr, "memtrack: no command '%s'\n", argv[2]);
            fputs(HELP_MEMTRACK, stderr);
            return MT_EXIT_USAGE;
        }
        fputs(c->help, stdout);
        return 0;
    }
    fprintf(stderr, "memtrack: unknown command or option '%s'\n", name);
    fputs(HELP_MEMTRACK, stderr);
    return MT_EXIT_USAGE;
}
