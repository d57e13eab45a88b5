/*
 * diff.c - `memtrack diff OLD NEW`: how each allocation site grew or shrank
 * between two traces (analyse/growth.h): allocations, bytes, peak and leaked
 * bytes, most grown first.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyse/analyse.h"
#include "analyse/growth.h"
#include "commands.h"
#include "gate/describe.h"
#include "help/help.h"
#include "util/printable.h"

#define DIFF_DEFAULT_TOP 20
#define DIFF_SITE_FRAMES 3

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

/* Writes a delta with its sign, "+120", "-8", "0". */
static void write_delta(FILE *out, int64_t delta)
{
    fprintf(out, delta > 0 ? " %+14" PRId64 : " %14" PRId64, delta);
}

/* Writes where a site allocates: its innermost frames, "f file:line < g ...". */
static void write_site(FILE *out, const struct site_growth *site)
{
    const struct report_stack *stack = site->stack;
    size_t shown = stack->depth < DIFF_SITE_FRAMES ? stack->depth : DIFF_SITE_FRAMES;
    for (size_t i = 0; i < shown; i++) {
        char *label = frame_label(&stack->frames[i]); /* printable already */
        fputs(i > 0 ? " < " : "", out);
        fputs(label != NULL ? label : "?", out);
        free(label);
    }
    if (stack->depth == 0)
        fputs("(no stack)", out);
    if (!site->present[GROWTH_OLD])
        fputs("  [new]", out);
    else if (!site->present[GROWTH_NEW])
        fputs("  [gone]", out);
    fputc('\n', out);
}

/* Tells whether any of SITE's counters changed. */
static bool site_changed(const struct site_growth *site)
{
    for (int field = 0; field < GROWTH_FIELDS; field++)
        if (site_delta(site, field) != 0)
            return true;
    return false;
}

/* Prints the changed sites (at most TOP, unless 0) and the totals. */
static int print_growth(FILE *out, const struct growth *growth, const struct diff_options *options)
{
    fputs("memtrack diff: ", out);
    write_printable(out, options->paths[GROWTH_OLD]);
    fputs(" -> ", out);
    write_printable(out, options->paths[GROWTH_NEW]);
    fprintf(out, "\n %14s %14s %14s %14s  site\n", "allocations", "bytes", "peak bytes", "leaked bytes");
    struct site_growth total = {.signature = ""};
    size_t changed = 0;
    for (size_t i = 0; i < growth->count; i++) {
        const struct site_growth *site = &growth->sites[i];
        for (int side = 0; side < GROWTH_SIDES; side++)
            for (int field = 0; field < GROWTH_FIELDS; field++)
                if (__builtin_add_overflow(total.totals[side][field], site->totals[side][field],
                                           &total.totals[side][field]))
                    total.totals[side][field] = INT64_MAX;
        bool is_changed = site_changed(site);
        changed += is_changed;
        if (!is_changed || (options->top > 0 && changed > options->top))
            continue;
        for (int field = 0; field < GROWTH_FIELDS; field++)
            write_delta(out, site_delta(site, field));
        fputs("  ", out);
        write_site(out, site);
    }
    for (int field = 0; field < GROWTH_FIELDS; field++)
        write_delta(out, site_delta(&total, field));
    fprintf(out, "  total over %zu sites, %zu changed", growth->count, changed);
    if (options->top > 0 && changed > options->top)
        fprintf(out, " (the top %zu shown; --top 0 shows all)", options->top);
    fputc('\n', out);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
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
            fprintf(stderr, "memtrack diff: %s: %s\n", options.paths[side], traces[side].problem);
            status = MT_EXIT_USAGE;
        } else {
            command_warn_incomplete("diff", &traces[side]);
        }
    }
    if (status == 0 && growth_compare(&reports[GROWTH_OLD], &reports[GROWTH_NEW], &growth) != 0) {
        fprintf(stderr, "memtrack diff: out of memory\n");
        status = MT_EXIT_USAGE;
    }
    if (status == 0 && print_growth(stdout, &growth, &options) != 0) {
        fprintf(stderr, "memtrack diff: cannot write: %s\n", strerror(errno));
        status = 1;
    }
    growth_free(&growth);
    for (int side = 0; side < GROWTH_SIDES; side++) {
        report_free(&reports[side]);
        trace_close(&traces[side]);
    }
    return status;
}
