/*
 * baseline.c - loading a baseline trace's findings and looking findings up.
 */
#include "gate/gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse/signature.h"

/* The key a finding is matched by: its family, a newline, its signature.
 * The caller frees it; NULL when memory runs out. */
static char *finding_key(const struct finding *finding)
{
    char *signature = stack_signature(finding->stack);
    if (signature == NULL)
        return NULL;
    const char *family = kind_is_leak(finding->kind) ? "leak" : KIND_NAMES[finding->kind].option;
    char *key = NULL;
    if (asprintf(&key, "%s\n%s", family, signature) < 0)
        key = NULL;
    free(signature);
    return key;
}

/* Orders keys for qsort and bsearch. */
static int compare_keys(const void *left, const void *right)
{
    return strcmp(*(char *const *)left, *(char *const *)right);
}

/* Adds the keys of FINDINGS to BASELINE and sorts them.  Returns 0 or -1. */
static int add_keys(struct baseline *baseline, const struct finding_list *findings)
{
    baseline->keys = calloc(findings->count + 1, sizeof *baseline->keys);
    if (baseline->keys == NULL)
        return -1;
    for (size_t i = 0; i < findings->count; i++) {
        char *key = finding_key(&findings->items[i]);
        if (key == NULL)
            return -1;
        baseline->keys[baseline->count++] = key;
    }
    qsort(baseline->keys, baseline->count, sizeof *baseline->keys, compare_keys);
    return 0;
}

/* Reads the findings of the trace at PATH into BASELINE (every finding,
 * suppressed or not: a suppressed one never reaches the baseline check).
 * Returns 0, or -1 with "PATH: why" in ERROR. */
int baseline_load(struct baseline *baseline, const char *path, char *error, size_t error_size)
{
    *baseline = (struct baseline){0};
    struct gate_input input;
    struct finding_list findings = {0};
    int result = 0;
    if (gate_input_open(&input, path) != 0) {
        snprintf(error, error_size, "%s: %s", path, input.trace.problem);
        result = -1;
    } else if (findings_collect(&findings, &input.report, 0) != 0 || add_keys(baseline, &findings) != 0) {
        snprintf(error, error_size, "%s: out of memory", path);
        result = -1;
    }
    findings_free(&findings);
    gate_input_close(&input);
    return result;
}

/* Tells whether BASELINE has FINDING: 1 yes, 0 no, -1 out of memory. */
int baseline_contains(const struct baseline *baseline, const struct finding *finding)
{
    char *key = finding_key(finding);
    if (key == NULL)
        return -1;
    int found = baseline->count > 0 &&
                bsearch(&key, baseline->keys, baseline->count, sizeof *baseline->keys, compare_keys) != NULL;
    free(key);
    return found;
}

/* Frees BASELINE's keys; leaves it empty. */
void baseline_free(struct baseline *baseline)
{
    for (size_t i = 0; i < baseline->count; i++)
        free(baseline->keys[i]);
    free(baseline->keys);
    *baseline = (struct baseline){0};
}
