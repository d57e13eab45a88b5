/*
 * json_string.c - a JSON string escaper that always yields valid JSON, even
 * from the arbitrary bytes a damaged or hostile trace can hold.
 */
#include "output/json_string.h"

#include <stddef.h>

#include "output/utf8.h"

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
