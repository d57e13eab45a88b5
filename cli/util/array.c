/* array.c - see array.h. */
#include "util/array.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The room that follows a full room of CAPACITY elements: 8 at first, then twice as many. */
static size_t grown_capacity(size_t capacity)
{
    return capacity == 0 ? 8 : capacity * 2;
}

void *array_push(void **array, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t grown = grown_capacity(*cap);
        void *a = realloc(*array, grown * size);
        if (!a)
            return NULL;
        *array = a;
        *cap = grown;
    }
    void *slot = (char *)*array + (*n)++ * size;
    memset(slot, 0, size);
    return slot;
}

void *make_room(void *array, size_t count, size_t element_size)
{
    bool full = count == 0 || (count >= 8 && (count & (count - 1)) == 0);
    if (!full)
        return array;
    size_t wanted = grown_capacity(count);
    if (wanted > SIZE_MAX / element_size)
        return NULL;
    return realloc(array, wanted * element_size);
}
