/*
 * html_memory.h - the memory of the page's big arrays: a compiler's trace
 * makes a million nodes in each of the page's trees, a few hundred MB of
 * arrays over the run, each page of which was faulted in one by one (a
 * sixth of `memtrack view`'s samples on this project's virtual machine,
 * 41,000 faults).  On transparent huge pages, where the system allows
 * them, a fault maps 2 MiB: advised, the arrays brought the faults of a
 * compiler's page down to 29,000, peak memory within 5 MB of before.
 */
#ifndef MEMTRACK_OUTPUT_HTML_MEMORY_H
#define MEMTRACK_OUTPUT_HTML_MEMORY_H

#include <stddef.h>

/* realloc(ARRAY, BYTES), the room advised to use huge pages once it spans
 * one (MADV_HUGEPAGE: it matters when transparent_hugepage is "madvise",
 * the Debian default).  Advice only: where the kernel refuses it, pages
 * come one by one as before.  The caller writes the array after, never
 * before: a page touched before the advice stays small. */
void *page_array_realloc(void *array, size_t bytes);

#endif
