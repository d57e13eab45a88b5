/*
 * pattern.h - LeakSanitizer's suppression patterns: a pattern matches
 * anywhere in the text unless anchored, '^' anchors it at the start, '$' at
 * the end, and '*' matches any run of characters.
 */
#ifndef MEMTRACK_GATE_PATTERN_H
#define MEMTRACK_GATE_PATTERN_H

#include <stdbool.h>

bool pattern_matches(const char *pattern, const char *text);

#endif
