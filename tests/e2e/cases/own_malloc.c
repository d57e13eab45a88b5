/* A program with an allocator of its own: malloc, calloc, realloc and free
 * defined by the executable (a bump arena that never gives memory back), so
 * every caller, libc included, binds to them and libtrack's hooks never run.
 * It leaks a block and exits 4; memtrack must say it could not see that. */
#include <stdio.h>
#include <string.h>

static _Alignas(16) char arena[1 << 20];
static size_t used;

void *malloc(size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size > sizeof arena - used)
        return NULL;
    used += size;
    return arena + used - size;
}

void free(void *block)
{
    (void)block;
}

void *calloc(size_t count, size_t size)
{
    void *block = count && size > sizeof arena / count ? NULL : malloc(count * size);
    return block ? memset(block, 0, count * size) : NULL;
}

void *realloc(void *old, size_t size)
{
    void *block = malloc(size);
    if (block && old)
        memcpy(block, old, size); /* the arena is contiguous: reading past a smaller old block stays inside */
    return block;
}

int main(void)
{
    char *volatile leaked = malloc(64);
    strcpy(leaked, "own malloc");
    printf("%s\n", leaked);
    return 4;
}
