/*
 * html_memory.c - the page's big arrays on huge pages (html_memory.h).
 */
#include "output/html_memory.h"

#include <stdlib.h>

#include "huge_pages.h"

void *page_array_realloc(void *array, size_t bytes)
{
    void *room = realloc(array, bytes);
    if (room != NULL)
        mt_advise_huge_pages(room, bytes);
    return room;
}
