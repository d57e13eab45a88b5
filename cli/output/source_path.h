/*
 * source_path.h - a frame's source file as people read it.
 */
#ifndef MEMTRACK_SOURCE_PATH_H
#define MEMTRACK_SOURCE_PATH_H

#include <stdio.h>

/* Writes PATH tidied, printable (write_printable): "." components and empty
 * ones dropped, "dir/.." folded, and relative to the working directory when
 * under it; a relative path whose first two components are the same loses
 * the second.  DWARF paths are joined as the compiler saw them: glibc's come
 * out as "./string/./string/strdup.c" (shown "string/strdup.c"), a build
 * tree's as "/src/build/../lib/x.c".  The folding is by text (a symlinked
 * directory before ".." is not followed), as for display only. */
void write_source_path(FILE *out, const char *path);

#endif
