/*
 * utf8.h - recognising well-formed UTF-8, for outputs that must stay valid
 * (XML, JSON) whatever bytes a damaged or hostile trace holds.
 */
#ifndef MEMTRACK_OUTPUT_UTF8_H
#define MEMTRACK_OUTPUT_UTF8_H

#include <stddef.h>

size_t utf8_sequence_length(const unsigned char *text);

#endif
