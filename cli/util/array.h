/* array_push.h - appending to a growable array (pointer, count, capacity). */
#ifndef MEMTRACK_ARRAY_PUSH_H
#define MEMTRACK_ARRAY_PUSH_H

#include <stddef.h>

/* Appends one zero-filled element of `size` bytes to *array, which holds *n
 * of a room for *cap, doubling the room when full; returns the new element,
 * or NULL when out of memory (the array is then unchanged). */
void *array_push(void **array, size_t *n, size_t *cap, size_t size);

#endif
