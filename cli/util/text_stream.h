/*
 * text_stream.h - building a string with stdio (open_memstream), for the
 * labels and descriptions reports and gates print.
 */
#ifndef MEMTRACK_TEXT_STREAM_H
#define MEMTRACK_TEXT_STREAM_H

#include <stdio.h>

struct text_stream {
    FILE *out;
    char *text;
    size_t size;
};

/* Starts a string; returns the FILE to write it with, or NULL when memory runs out. */
FILE *text_stream_open(struct text_stream *stream);
/* Ends it: the string (the caller frees it), or NULL when memory ran out. */
char *text_stream_close(struct text_stream *stream);

#endif
