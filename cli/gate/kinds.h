/*
 * kinds.h - the kinds of finding a CI gate can fail on, and their names on
 * the command line (--fail-on), in suppression files and in SARIF.
 *
 * The first five follow enum leak_kind and the next three enum error_type, so
 * a finding's kind is computed, not looked up (kinds.c checks this).  The
 * last, untraced, is a process whose allocations memtrack could not see.
 */
#ifndef MEMTRACK_GATE_KINDS_H
#define MEMTRACK_GATE_KINDS_H

#include <stdbool.h>
#include <stddef.h>

#include "analyse/model.h"

enum finding_kind {
    FINDING_DEFINITE,
    FINDING_INDIRECT,
    FINDING_POSSIBLE,
    FINDING_REACHABLE,
    FINDING_UNCLASSIFIED,
    FINDING_DOUBLE_FREE,
    FINDING_INVALID_FREE,
    FINDING_MISMATCH,
    FINDING_UNTRACED,
    FINDING_KIND_COUNT
};

#define KIND_BIT(kind) (1u << (kind))
#define KINDS_LEAKS (KIND_BIT(FINDING_DEFINITE) | KIND_BIT(FINDING_INDIRECT))
#define KINDS_ERRORS (KIND_BIT(FINDING_DOUBLE_FREE) | KIND_BIT(FINDING_INVALID_FREE) | KIND_BIT(FINDING_MISMATCH))
#define KINDS_DEFAULT (KINDS_LEAKS | KINDS_ERRORS) /* `memtrack check` without --fail-on */

/* What every kind is called: --fail-on spelling, SARIF ruleId, and the phrase
 * people read ("definitely lost"). */
struct kind_names {
    const char *option;
    const char *rule_id;
    const char *phrase;
    const char *description;
};
extern const struct kind_names KIND_NAMES[FINDING_KIND_COUNT];

enum finding_kind kind_of_leak(enum leak_kind kind);
enum finding_kind kind_of_error(enum error_type type);
bool kind_is_leak(enum finding_kind kind);

int gate_parse_kinds(const char *text, unsigned *mask, char *error, size_t error_size);
void kinds_format(unsigned mask, char *buffer, size_t size);

#endif
