/*
 * text_stream.c - building a string with stdio.
 */
#include "util/text_stream.h"

#include <stdlib.h>

FILE *text_stream_open(struct text_stream *stream)
{
    stream->text = NULL;
    stream->size = 0;
    stream->out = open_memstream(&stream->text, &stream->size);
    return stream->out;
}

char *text_stream_close(struct text_stream *stream)
{
    if (fclose(stream->out) != 0) {
        free(stream->text);
        return NULL;
    }
    return stream->text;
}
