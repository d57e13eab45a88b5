/*
 * json_string.c - a JSON string escaper that always yields valid JSON, even
 * from the arbitrary bytes a damaged or hostile trace can hold.
 */
#include "output/json_string.h"

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at TEXT (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0 when it is not one. */
static size_t utf8_sequence_length(const unsigned char *text)
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
            return 0; /* also stops at the terminating NUL */
    return length;
}

/* Writes TEXT as a JSON string: '"' and '\' backslash-escaped, control
 * characters as \u00XX, valid UTF-8 copied as is, and every byte that is not
 * part of valid UTF-8 replaced by U+FFFD.  NULL is written as null. */
void json_write_string(FILE *out, const char *text)
{
    if (text == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *at = (const unsigned char *)text; *at != '\0';) {
        if (*at == '"' || *at == '\\') {
            fputc('\\', out);
            fputc(*at++, out);
        } else if (*at < 0x20) {
            fprintf(out, "\\u%04x", *at++);
        } else if (*at < 0x80) {
            fputc(*at++, out);
        } else {
            size_t length = utf8_sequence_length(at);
            if (length == 0) {
                fputs("\xEF\xBF\xBD", out);
                at++;
            } else {
                fwrite(at, 1, length, out);
                at += length;
            }
        }
    }
    fputc('"', out);
}
