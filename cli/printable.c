/*
 * printable.c - see printable.h.
 */
#include "printable.h"

void write_printable(FILE *out, const char *text)
{
    for (const unsigned char *at = (const unsigned char *)text; *at != '\0'; at++)
        fputc(*at < 0x20 || *at == 0x7f ? '?' : *at, out);
}
