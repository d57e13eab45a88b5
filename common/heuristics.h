/*
 * heuristics.h - memcheck's leak-check heuristics by name: the words of
 * `memtrack run --leak-check-heuristics=all|none|LIST` (memcheck's spelling),
 * which `memtrack run` checks and libtrack reads from MEMTRACK_OPTIONS, and
 * the words the trace stores.  Header-only and without allocation: libtrack
 * parses the option before its allocator is known.
 */
#ifndef MEMTRACK_HEURISTICS_H
#define MEMTRACK_HEURISTICS_H

#include <stddef.h>
#include <string.h>
#include "protocol.h"

/* The set of every heuristic: bit h stands for enum mt_heuristic h. */
#define MT_HEURISTICS_ALL                                                                                      \
    ((1u << MT_HEURISTIC_STDSTRING) | (1u << MT_HEURISTIC_LENGTH64) | (1u << MT_HEURISTIC_NEWARRAY) |         \
     (1u << MT_HEURISTIC_MULTIPLE_INHERITANCE))

/* memcheck's name of heuristic H; NULL for MT_HEURISTIC_NONE or an unknown value. */
static inline const char *mt_heuristic_name(unsigned h)
{
    switch (h) {
    case MT_HEURISTIC_STDSTRING: return "stdstring";
    case MT_HEURISTIC_LENGTH64: return "length64";
    case MT_HEURISTIC_NEWARRAY: return "newarray";
    case MT_HEURISTIC_MULTIPLE_INHERITANCE: return "multipleinheritance";
    default: return NULL;
    }
}

/* Parses the LEN bytes at VALUE: "all", "none", or a comma-separated list of
 * heuristic names.  Stores the set in *SET and returns 0; returns -1 and
 * leaves *SET alone when a word is empty or not a heuristic's name. */
static inline int mt_heuristics_parse(const char *value, size_t len, unsigned *set)
{
    if (len == 3 && !memcmp(value, "all", 3)) {
        *set = MT_HEURISTICS_ALL;
        return 0;
    }
    if (len == 4 && !memcmp(value, "none", 4)) {
        *set = 0;
        return 0;
    }
    unsigned found = 0;
    const char *end = value + len;
    for (const char *word = value;; ) {
        const char *comma = memchr(word, ',', (size_t)(end - word));
        size_t word_len = (size_t)((comma ? comma : end) - word);
        unsigned h = MT_HEURISTIC_NONE + 1;
        for (; h < MT_HEURISTIC_END; h++)
            if (strlen(mt_heuristic_name(h)) == word_len && !memcmp(word, mt_heuristic_name(h), word_len))
                break;
        if (h == MT_HEURISTIC_END)
            return -1;
        found |= 1u << h;
        if (!comma)
            break;
        word = comma + 1;
    }
    *set = found;
    return 0;
}

#endif
