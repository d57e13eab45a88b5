/*
 * main.c - the memtrack command: dispatches to a subcommand.
 */
#include <stdio.h>
#include <string.h>
#include "commands.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    void (*usage)(FILE *out);
    const char *synopsis;
};

static const struct command commands[] = {
    {"run", cmd_run, usage_run, "run [-o TRACE] [--] PROGRAM [ARGS...]   trace every allocation of PROGRAM"},
    {"report", cmd_report, usage_report, "report [--format text|json] TRACE       leaks, errors and allocation sites"},
    {"check", cmd_check, usage_check, "check [--fail-on KINDS] TRACE...        gate CI on leaks and errors"},
    {"diff", cmd_diff, usage_diff, "diff OLD NEW                            per-site growth between two traces"},
    {"view", cmd_view, usage_view, "view TRACE [-o FILE.html]               one self-contained HTML page"},
};

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void usage(FILE *out)
{
    fputs("Usage: memtrack COMMAND [options]\n\nCommands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %s\n", commands[i].synopsis);
    fputs("  help [COMMAND]                          this text, or a command's own\n"
          "\nOptions: -h, --help; --version\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
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
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "help")) {
        c = find(argv[2]);
        if (!c) {
            fprintf(stderr, "memtrack: no command '%s'\n", argv[2]);
            usage(stderr);
            return MT_EXIT_USAGE;
        }
        c->usage(stdout);
        return 0;
    }
    fprintf(stderr, "memtrack: unknown command or option '%s'\n", name);
    usage(stderr);
    return MT_EXIT_USAGE;
}
