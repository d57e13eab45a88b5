/*
 * printable.h - text from a trace or a traced program, shown to people.
 */
#ifndef MEMTRACK_PRINTABLE_H
#define MEMTRACK_PRINTABLE_H

#include <stdio.h>

/* Writes TEXT with every control character, newline included, as '?': a
 * name from a traced program or a hostile trace can neither drive the
 * terminal nor start a line of its own (a forged "memtrack check: PASS"). */
void write_printable(FILE *out, const char *text);
/* The same in place, for a message built before it is written. */
void make_printable(char *text);

#endif
