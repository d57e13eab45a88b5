/*
 * html_memory.c - the page's big arrays on huge pages (html_memory.h).
 */
#include "output/html_memory.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "huge_pages.h"

void *page_array_realloc(void *array, size_t bytes)
{
    unsigned char *room = realloc(array, bytes);
    if (room == NULL || bytes < MT_HUGE_PAGE)
        return room;
    /* whole small pages inside the room: the kernel maps a huge page where
     * an aligned 2 MiB of them lies in an advised range */
    const uintptr_t page = 4096;
    uintptr_t lo = ((uintptr_t)room + page - 1) & ~(page - 1), hi = ((uintptr_t)room + bytes) & ~(page - 1);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    return room;
}
