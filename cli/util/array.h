/*
 * array.h - growable arrays: memtrack's one way to append to an array it does
 * not know the length of beforehand.  Room starts at 8 elements and doubles
 * each time it fills.  An array either keeps its capacity beside its count
 * (array_push: the collector's arrays, which empty and fill again) or lets
 * the count imply it (make_room: the report model's arrays, which only grow).
 */
#ifndef MEMTRACK_UTIL_ARRAY_H
#define MEMTRACK_UTIL_ARRAY_H

#include <stddef.h>

/* Appends one zero-filled element of `size` bytes to *array, which holds *n
 * of a room for *cap, doubling the room when full; returns the new element,
 * or NULL when out of memory (the array is then unchanged). */
void *array_push(void **array, size_t *n, size_t *cap, size_t size);

/* Makes room for one more element after COUNT, the capacity implied by the
 * count (8, then doubling at each power of two), so the array needs no
 * capacity field.  Returns the array, moved or not, or NULL with ARRAY
 * untouched (still the caller's) when memory runs out. */
void *make_room(void *array, size_t count, size_t element_size);

#endif
