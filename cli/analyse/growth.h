/*
 * growth.h - how each allocation site changed between two traces: sites are
 * matched by stack signature (analyse/signature.h) and summed over every
 * process of a trace, so the comparison survives ASLR, rebuilds and changing
 * pids.
 */
#ifndef MEMTRACK_ANALYSE_GROWTH_H
#define MEMTRACK_ANALYSE_GROWTH_H

#include <stddef.h>
#include <stdint.h>

#include "analyse/model.h"

enum growth_side { GROWTH_OLD, GROWTH_NEW, GROWTH_SIDES };

/* What is compared for each site. */
enum growth_field { GROWTH_ALLOCATIONS, GROWTH_BYTES, GROWTH_PEAK_BYTES, GROWTH_LEAKED_BYTES, GROWTH_FIELDS };

struct site_growth {
    char *signature;
    const struct report_stack *stack; /* as the newer trace has it, else the older */
    bool present[GROWTH_SIDES];
    int64_t totals[GROWTH_SIDES][GROWTH_FIELDS]; /* zero where a trace lacks the site */
};

struct growth {
    size_t count;
    struct site_growth *sites; /* most grown bytes first */
};

int growth_compare(const struct report *old_report, const struct report *new_report, struct growth *growth);
int64_t site_delta(const struct site_growth *site, enum growth_field field);
void growth_free(struct growth *growth);

#endif
