/*
 * baseline.h - the findings of an older trace, for failing only on new ones.
 *
 * Findings are matched by family (any leak kind, or one error type: a leak
 * that turns from definite to indirect is the same leak) and by stack
 * signature (analyse/signature.h), so the match survives ASLR and rebuilds.
 */
#ifndef MEMTRACK_GATE_BASELINE_H
#define MEMTRACK_GATE_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "gate/findings.h"

struct baseline {
    size_t count;
    char **keys; /* sorted */
};

int baseline_load(struct baseline *baseline, const char *path, char *error, size_t error_size);
int baseline_contains(const struct baseline *baseline, const struct finding *finding);
void baseline_free(struct baseline *baseline);

#endif
