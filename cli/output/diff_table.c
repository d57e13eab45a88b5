/*
 * diff_table.c - `memtrack diff`'s table: one line per allocation site whose
 * figures changed between the two traces, most grown first, then the totals.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "output/describe.h"
#include "output/diff_table.h"
#include "util/printable.h"

#define DIFF_SITE_FRAMES 3

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

int diff_table_write(FILE *out, const struct growth *growth, const char *const paths[GROWTH_SIDES], size_t top)
{
    fputs("memtrack diff: ", out);
    write_printable(out, paths[GROWTH_OLD]);
    fputs(" -> ", out);
    write_printable(out, paths[GROWTH_NEW]);
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
        if (!is_changed || (top > 0 && changed > top))
            continue;
        for (int field = 0; field < GROWTH_FIELDS; field++)
            write_delta(out, site_delta(site, field));
        fputs("  ", out);
        write_site(out, site);
    }
    for (int field = 0; field < GROWTH_FIELDS; field++)
        write_delta(out, site_delta(&total, field));
    fprintf(out, "  total over %zu sites, %zu changed", growth->count, changed);
    if (top > 0 && changed > top)
        fprintf(out, " (the top %zu shown; --top 0 shows all)", top);
    fputc('\n', out);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
