/* array_push.c - see array_push.h. */
#include "array_push.h"

#include <stdlib.h>
#include <string.h>

void *array_push(void **array, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t grown = *cap ? *cap * 2 : 8;
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
