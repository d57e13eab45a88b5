/*
 * pattern.c - matching LeakSanitizer suppression patterns.  LSan's own matcher
 * takes the first occurrence of each literal piece and never backtracks, so
 * "a$" does not match "aba" there; this one is a true wildcard match, which
 * agrees with LSan wherever LSan gets it right.
 */
#include "gate/pattern.h"

#include <string.h>

/* Matches PATTERN[0, length), where '*' is any run of characters, against
 * TEXT.  OPEN_START and OPEN_END act as an implied '*' before and after it (an
 * unanchored side).  The classic walk: on a mismatch, let the last '*' swallow
 * one more character and retry from just after it. */
static bool glob_matches(const char *pattern, size_t length, const char *text, bool open_start, bool open_end)
{
    size_t p = 0;
    bool can_backtrack = open_start;
    size_t resume = 0; /* pattern position just after the last '*' */
    const char *resume_text = text;
    for (;;) {
        if (p == length && (open_end || *text == '\0'))
            return true;
        if (p < length && pattern[p] == '*') {
            can_backtrack = true;
            resume = ++p;
            resume_text = text;
        } else if (p < length && *text != '\0' && pattern[p] == *text) {
            p++;
            text++;
        } else if (can_backtrack && *resume_text != '\0') {
            p = resume;
            text = ++resume_text;
        } else {
            return false;
        }
    }
}

/* Tells whether PATTERN matches TEXT the LSan way (see pattern.h).  Unknown
 * text (NULL) and empty text never match, as in LSan.  Only a final '$' is an
 * anchor; elsewhere it is an ordinary character. */
bool pattern_matches(const char *pattern, const char *text)
{
    if (text == NULL || *text == '\0')
        return false;
    bool anchored_start = pattern[0] == '^';
    const char *body = pattern + anchored_start;
    size_t length = strlen(body);
    bool anchored_end = length > 0 && body[length - 1] == '$';
    return glob_matches(body, length - anchored_end, text, !anchored_start, !anchored_end);
}
