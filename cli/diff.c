/*
 * diff.c - `memtrack diff OLD NEW`: how each allocation site grew or shrank
 * between two traces (analyse/growth.h): allocations, bytes, peak and leaked
 * bytes, most grown first, in the table of output/diff_table.c.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "analyse/analyse.h"
#include "analyse/growth.h"
#include "commands.h"
#include "help/help.h"
#include "output/diff_table.h"

#define DIFF_DEFAULT_TOP 20

struct diff_options {
    size_t top;
    const char *paths[GROWTH_SIDES];
};

/* Reads the command line.  Returns 0, 1 for --help, or -1 after naming the
 * mistake on stderr.  "--" ends the options. */
static int parse_options(int argc, char **argv, struct diff_options *options)
{
    static const struct option long_options[] = {
        {"top", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    *options = (struct diff_options){.top = DIFF_DEFAULT_TOP};
    struct option_reader reader = {.command = "diff", .argc = argc, .argv = argv, .short_options = ":h",
                                   .long_options = long_options};
    int code;
    while ((code = next_option(&reader)) != -1) {
        if (code == 'h')
            return 1;
        if (code == '?')
            return -1;
        if (option_count("diff", "--top", reader.value, 0, SIZE_MAX, &options->top) != 0)
            return -1;
    }
    if (argc - optind > GROWTH_SIDES)
        return command_error("diff", "unexpected argument '%s' (give OLD and NEW)", argv[optind + GROWTH_SIDES]);
    if (argc - optind != GROWTH_SIDES)
        return command_error("diff", "give two traces, OLD and NEW");
    for (int side = 0; side < GROWTH_SIDES; side++)
        options->paths[side] = argv[optind + side];
    return 0;
}

/* Runs `memtrack diff`. */
int cmd_diff(int argc, char **argv)
{
    struct diff_options options;
    int parsed = parse_options(argc, argv, &options);
    if (parsed != 0) {
        fputs(HELP_DIFF, parsed > 0 ? stdout : stderr);
        return parsed > 0 ? 0 : MT_EXIT_USAGE;
    }
    struct trace traces[GROWTH_SIDES] = {0};
    struct report reports[GROWTH_SIDES] = {0};
    struct growth growth = {0};
    int status = 0;
    for (int side = 0; side < GROWTH_SIDES && status == 0; side++) {
        if (trace_open(&traces[side], options.paths[side]) != 0 || analyse_trace(&traces[side], &reports[side], NULL) != 0) {
            command_error("diff", "%s: %s", options.paths[side], traces[side].problem);
            status = MT_EXIT_USAGE;
        } else {
            command_warn_incomplete("diff", &traces[side]);
        }
    }
    if (status == 0 && growth_compare(&reports[GROWTH_OLD], &reports[GROWTH_NEW], &growth) != 0) {
        command_error("diff", "out of memory");
        status = MT_EXIT_USAGE;
    }
    if (status == 0 && diff_table_write(stdout, &growth, options.paths, options.top) != 0) {
        command_error("diff", "cannot write: %s", strerror(errno));
        status = 1;
    }
    growth_free(&growth);
    for (int side = 0; side < GROWTH_SIDES; side++) {
        report_free(&reports[side]);
        trace_close(&traces[side]);
    }
    return status;
}
