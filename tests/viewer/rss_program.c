/*
 * rss_program.c - a program whose resident memory is far above its heap,
 * for the viewer's RSS curve: it maps 64 MiB without malloc, writes every
 * page, and holds them for a while so the collector reads its RSS then.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAPPED (64u << 20)

int main(void)
{
    free(malloc(4096)); /* a heap sample of its own */
    char *mapped = mmap(NULL, MAPPED, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED)
        return 1;
    memset(mapped, 1, MAPPED);
    usleep(100000);
    munmap(mapped, MAPPED);
    return 0;
}
