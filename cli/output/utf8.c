/*
 * utf8.c - well-formed UTF-8 sequences (RFC 3629).
 */
#include "output/utf8.h"

/* Length of the well-formed multi-byte UTF-8 sequence at TEXT (no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0 when it is not one.
 * Never reads past a terminating NUL. */
size_t utf8_sequence_length(const unsigned char *text)
{
    unsigned char lead = text[0];
    size_t length;
    unsigned char second_min = 0x80, second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        second_min = lead == 0xE0 ? 0xA0 : 0x80;
        second_max = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        second_min = lead == 0xF0 ? 0x90 : 0x80;
        second_max = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (text[1] < second_min || text[1] > second_max)
        return 0;
    for (size_t i = 2; i < length; i++)
        if (text[i] < 0x80 || text[i] > 0xBF)
            return 0;
    return length;
}
