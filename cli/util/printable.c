/*
 * printable.c - see printable.h.
 */
#include "util/printable.h"

/* Shows control character C as '?'. */
static int printable(unsigned char c)
{
    return c < 0x20 || c == 0x7f ? '?' : c;
}

void write_printable(FILE *out, const char *text)
{
    for (const unsigned char *at = (const unsigned char *)text; *at != '\0'; at++)
        fputc(printable(*at), out);
}

void make_printable(char *text)
{
    for (char *at = text; *at != '\0'; at++)
        *at = (char)printable((unsigned char)*at);
}
