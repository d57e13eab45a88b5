/*
 * json_string.h - writing arbitrary C strings as JSON string literals.
 */
#ifndef MEMTRACK_OUTPUT_JSON_STRING_H
#define MEMTRACK_OUTPUT_JSON_STRING_H

#include <stdio.h>

void json_write_string(FILE *out, const char *text);

#endif
