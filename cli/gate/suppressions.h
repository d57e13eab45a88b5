/*
 * suppressions.h - LeakSanitizer-compatible suppression lists: lines of
 * TYPE:PATTERN (types leak, double_free, invalid_free, mismatch) and # comments.
 *
 * A suppression matches a finding of its type when its pattern (gate/pattern.h)
 * matches the function, source file or module of a frame of the finding's
 * stack: any frame for the user's suppressions, as in LSan; only the runtime
 * frames the stack starts with for the built-in defaults (gate/runtime.h).
 * Each suppression counts the findings and bytes it matched, for the report.
 */
#ifndef MEMTRACK_GATE_SUPPRESSIONS_H
#define MEMTRACK_GATE_SUPPRESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate/findings.h"

enum suppression_type { SUPPRESS_LEAK, SUPPRESS_DOUBLE_FREE, SUPPRESS_INVALID_FREE, SUPPRESS_MISMATCH,
                        SUPPRESSION_TYPE_COUNT };

extern const char *const SUPPRESSION_TYPE_NAMES[SUPPRESSION_TYPE_COUNT];

struct suppression {
    enum suppression_type type;
    char *pattern;
    const char *file; /* where it was written (not owned); NULL for a built-in one */
    size_t line;
    size_t matched;   /* findings it suppressed */
    int64_t matched_bytes;
};

struct suppression_list {
    size_t count;
    struct suppression *items;
};

/* The built-in list (default_suppressions.c), as --print-default-suppressions shows it. */
extern const char DEFAULT_SUPPRESSIONS[];

int suppressions_load(struct suppression_list *list, const char *path, char *error, size_t error_size);
int suppressions_add_defaults(struct suppression_list *list, char *error, size_t error_size);
struct suppression *suppressions_find(struct suppression_list *list, const struct finding *finding);
void suppressions_free(struct suppression_list *list);

#endif
