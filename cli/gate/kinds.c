/*
 * kinds.c - finding kinds: their names, and parsing --fail-on lists.
 */
#include "gate/gate.h"

#include <stdio.h>
#include <string.h>

_Static_assert(FINDING_UNCLASSIFIED - FINDING_DEFINITE == LEAK_UNCLASSIFIED - LEAK_DEFINITE,
               "finding kinds start with the leak kinds, in their order");
_Static_assert(FINDING_MISMATCH - FINDING_DOUBLE_FREE == ERROR_MISMATCHED_FREE - ERROR_DOUBLE_FREE,
               "finding kinds end with the error types, in their order");

const struct kind_names KIND_NAMES[FINDING_KIND_COUNT] = {
    [FINDING_DEFINITE] = {"definite", "definite-leak", "definitely lost",
                          "A block no pointer points to any more: it can never be freed."},
    [FINDING_INDIRECT] = {"indirect", "indirect-leak", "indirectly lost",
                          "A block only reachable from lost blocks: it is lost with them."},
    [FINDING_POSSIBLE] = {"possible", "possible-leak", "possibly lost",
                          "A block only pointed to from its inside: probably lost."},
    [FINDING_REACHABLE] = {"reachable", "reachable-leak", "still reachable",
                           "A block still pointed to when the program ended, but never freed."},
    [FINDING_UNCLASSIFIED] = {"unclassified", "unclassified-leak", "not freed (unclassified)",
                              "A block never freed, in a process whose leak scan could not run."},
    [FINDING_DOUBLE_FREE] = {"double-free", "double-free", "double free",
                             "A block freed a second time."},
    [FINDING_INVALID_FREE] = {"invalid-free", "invalid-free", "invalid free",
                              "A free of an address that is not the start of a live block."},
    [FINDING_MISMATCH] = {"mismatch", "mismatched-free", "mismatched free",
                          "A block freed by a function that does not match its allocation, "
                          "such as delete for malloc."},
    [FINDING_UNTRACED] = {"untraced", "untraced-process", "not traced",
                          "A process whose allocations memtrack could not see (a static or setuid program, or one "
                          "that defines its own malloc): whether it leaks or frees wrongly is unknown."},
};

/* Named groups of kinds that --fail-on also accepts. */
static const struct {
    const char *name;
    unsigned mask;
} KIND_GROUPS[] = {
    {"leaks", KINDS_LEAKS},
    {"errors", KINDS_ERRORS},
    {"all", (1u << FINDING_KIND_COUNT) - 1},
    {"none", 0},
};

/* The finding kind of a leak group of kind KIND. */
enum finding_kind kind_of_leak(enum leak_kind kind)
{
    return (enum finding_kind)(FINDING_DEFINITE + kind);
}

/* The finding kind of a deallocation error of type TYPE. */
enum finding_kind kind_of_error(enum error_type type)
{
    return (enum finding_kind)(FINDING_DOUBLE_FREE + type);
}

/* Tells whether KIND is about blocks never freed, rather than a bad free. */
bool kind_is_leak(enum finding_kind kind)
{
    return kind <= FINDING_UNCLASSIFIED;
}

/* Looks up one --fail-on item of LENGTH bytes: its mask, or -1 when unknown. */
static long item_mask(const char *item, size_t length)
{
    for (int kind = 0; kind < FINDING_KIND_COUNT; kind++)
        if (strlen(KIND_NAMES[kind].option) == length && strncmp(item, KIND_NAMES[kind].option, length) == 0)
            return KIND_BIT(kind);
    for (size_t i = 0; i < sizeof KIND_GROUPS / sizeof *KIND_GROUPS; i++)
        if (strlen(KIND_GROUPS[i].name) == length && strncmp(item, KIND_GROUPS[i].name, length) == 0)
            return KIND_GROUPS[i].mask;
    return -1;
}

/* Parses a --fail-on value, a comma-separated list of kinds and groups, into
 * MASK.  Returns 0, or -1 with a sentence for people in ERROR: called while
 * options are parsed, so a typo is reported before anything runs. */
int gate_parse_kinds(const char *text, unsigned *mask, char *error, size_t error_size)
{
    *mask = 0;
    const char *item = text;
    for (;;) {
        size_t length = strcspn(item, ",");
        long bits = item_mask(item, length);
        if (bits < 0) {
            snprintf(error, error_size,
                     "unknown kind '%.*s' in '%s' (a comma list of definite, indirect, possible, reachable, "
                     "unclassified, double-free, invalid-free, mismatch, untraced, leaks, errors, all or none)",
                     (int)length, item, text);
            return -1;
        }
        *mask |= (unsigned)bits;
        if (item[length] == '\0')
            return 0;
        item += length + 1;
    }
}

/* Writes MASK as a --fail-on value ("definite,indirect"; "none" when empty),
 * for messages that say what was gated. */
void kinds_format(unsigned mask, char *buffer, size_t size)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (int kind = 0; kind < FINDING_KIND_COUNT && used < size; kind++)
        if (mask & KIND_BIT(kind))
            used += (size_t)snprintf(buffer + used, size - used, "%s%s", used ? "," : "", KIND_NAMES[kind].option);
    if (used == 0)
        snprintf(buffer, size, "none");
}
