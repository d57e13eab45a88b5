/*
 * growth.c - per-site growth between two reports: every site of both is
 * keyed by its signature, the keys are sorted, and equal keys are merged.
 */
#include "analyse/growth.h"

#include <stdlib.h>
#include <string.h>

#include "analyse/signature.h"

/* One site of one report, before merging. */
struct keyed_site {
    char *signature;
    enum growth_side side;
    const struct report_site *site;
};

struct keyed_sites {
    size_t count;
    struct keyed_site *items;
};

/* Appends every site of REPORT, keyed, to KEYED.  Returns 0 or -1. */
static int add_sites(struct keyed_sites *keyed, const struct report *report, enum growth_side side)
{
    for (size_t p = 0; p < report->process_count; p++) {
        const struct report_process *process = &report->processes[p];
        for (size_t s = 0; s < process->site_count; s++) {
            struct keyed_site *items = make_room(keyed->items, keyed->count, sizeof *items);
            if (items == NULL)
                return -1;
            keyed->items = items;
            char *signature = stack_signature(&process->sites[s].stack);
            if (signature == NULL)
                return -1;
            items[keyed->count++] = (struct keyed_site){signature, side, &process->sites[s]};
        }
    }
    return 0;
}

/* Orders keyed sites by signature, so equal sites end up next to each other. */
static int compare_keyed(const void *left, const void *right)
{
    return strcmp(((const struct keyed_site *)left)->signature, ((const struct keyed_site *)right)->signature);
}

/* Adds SITE's counters to TOTALS; sums past 2^63 saturate (only damage gets there). */
static void add_totals(int64_t totals[GROWTH_FIELDS], const struct report_site *site)
{
    const int64_t values[GROWTH_FIELDS] = {site->allocations, site->bytes, site->peak_bytes, site->leaked_bytes};
    for (size_t i = 0; i < GROWTH_FIELDS; i++)
        if (__builtin_add_overflow(totals[i], values[i], &totals[i]))
            totals[i] = INT64_MAX;
}

/* The newer trace's FIELD minus the older's, saturated. */
int64_t site_delta(const struct site_growth *site, enum growth_field field)
{
    int64_t old_value = site->totals[GROWTH_OLD][field], new_value = site->totals[GROWTH_NEW][field], delta;
    if (__builtin_sub_overflow(new_value, old_value, &delta))
        delta = new_value > old_value ? INT64_MAX : INT64_MIN;
    return delta;
}

/* Orders merged sites: most grown bytes first, then most grown leaks, then
 * signature, so the output is the same every time. */
static int compare_growth(const void *left_pointer, const void *right_pointer)
{
    const struct site_growth *left = left_pointer, *right = right_pointer;
    static const enum growth_field ORDER[] = {GROWTH_BYTES, GROWTH_LEAKED_BYTES};
    for (size_t i = 0; i < sizeof ORDER / sizeof *ORDER; i++) {
        int64_t a = site_delta(left, ORDER[i]), b = site_delta(right, ORDER[i]);
        if (a != b)
            return a > b ? -1 : 1;
    }
    return strcmp(left->signature, right->signature);
}

/* Merges runs of equal signatures in sorted KEYED into GROWTH, which takes
 * the signatures over. */
static int merge(struct keyed_sites *keyed, struct growth *growth)
{
    for (size_t i = 0; i < keyed->count; i++) {
        struct keyed_site *item = &keyed->items[i];
        struct site_growth *site = growth->count > 0 ? &growth->sites[growth->count - 1] : NULL;
        if (site == NULL || strcmp(site->signature, item->signature) != 0) {
            struct site_growth *sites = make_room(growth->sites, growth->count, sizeof *sites);
            if (sites == NULL)
                return -1;
            growth->sites = sites;
            site = &sites[growth->count++];
            *site = (struct site_growth){.signature = item->signature};
        } else {
            free(item->signature);
        }
        item->signature = NULL;
        if (site->stack == NULL || item->side == GROWTH_NEW)
            site->stack = &item->site->stack;
        site->present[item->side] = true;
        add_totals(site->totals[item->side], item->site);
    }
    return 0;
}

/* Fills GROWTH with every site of either report and its totals in each.
 * Returns 0, or -1 when memory ran out (GROWTH still needs growth_free). */
int growth_compare(const struct report *old_report, const struct report *new_report, struct growth *growth)
{
    *growth = (struct growth){0};
    struct keyed_sites keyed = {0};
    int result = add_sites(&keyed, old_report, GROWTH_OLD) == 0 && add_sites(&keyed, new_report, GROWTH_NEW) == 0
                     ? 0
                     : -1;
    /* traces without sites leave the arrays NULL, which qsort may not be given */
    if (result == 0 && keyed.count > 1)
        qsort(keyed.items, keyed.count, sizeof *keyed.items, compare_keyed);
    if (result == 0)
        result = merge(&keyed, growth);
    if (result == 0 && growth->count > 1)
        qsort(growth->sites, growth->count, sizeof *growth->sites, compare_growth);
    for (size_t i = 0; i < keyed.count; i++)
        free(keyed.items[i].signature);
    free(keyed.items);
    return result;
}

/* Frees GROWTH's signatures and array; leaves it empty. */
void growth_free(struct growth *growth)
{
    for (size_t i = 0; i < growth->count; i++)
        free(growth->sites[i].signature);
    free(growth->sites);
    *growth = (struct growth){0};
}
