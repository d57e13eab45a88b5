/*
 * diff_table.h - how each allocation site grew or shrank between two traces
 * (analyse/growth.h), as `memtrack diff` prints it.
 */
#ifndef MEMTRACK_OUTPUT_DIFF_TABLE_H
#define MEMTRACK_OUTPUT_DIFF_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "analyse/growth.h"

/* Writes the header naming PATHS (old, new), the changed sites (at most TOP,
 * unless 0) with their frames, and the totals; 0, or -1 when writing failed. */
int diff_table_write(FILE *out, const struct growth *growth, const char *const paths[GROWTH_SIDES], size_t top);

#endif
