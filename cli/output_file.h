/*
 * output_file.h - writing the files commands produce (view's page, check's
 * JUnit and SARIF) without ever writing through what already stands at the
 * path: a planted symlink, or the trace being read.
 */
#ifndef MEMTRACK_OUTPUT_FILE_H
#define MEMTRACK_OUTPUT_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Writes one file's content to OUT for output_file_write; 0, or -1 with errno set. */
typedef int output_renderer(FILE *out, const void *context);

enum output_file_result {
    OUTPUT_FILE_WRITTEN = 0,
    OUTPUT_FILE_FAILED = -1,  /* it could not be written: ERROR says why (strerror) */
    OUTPUT_FILE_REFUSED = -2, /* PATH is one of the inputs, whose name ERROR gets: nothing was touched */
};

/* Writes PATH with RENDER(stream, CONTEXT): the content goes to a new file in
 * PATH's directory, which is then renamed over PATH, so a symlink at PATH is
 * replaced, never followed, and a failed write leaves PATH as it was.  PATH
 * must not be the same file as any of the INPUTS (symlinks and hard links
 * are seen through). */
enum output_file_result output_file_write(const char *path, const char *const *inputs, size_t input_count,
                                          output_renderer *render, const void *context, char *error,
                                          size_t error_size);

#endif
