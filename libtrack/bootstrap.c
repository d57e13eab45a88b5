/*
 * bootstrap.c - finding the real allocator, and memory for the time before.
 *
 * dlsym() itself may call calloc (for its error buffer) before we know where the
 * real calloc is; threads may allocate while another thread resolves.  Until
 * mt_real_ready is set every request is served from a static arena with an
 * atomic bump pointer.  Arena blocks are never reused and a free of one is
 * ignored: they are few (a handful of dlsym buffers) and live for the process.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include "internal.h"

struct mt_real mt_real;
atomic_int mt_real_ready;

_Alignas(64) char mt_bootstrap_arena[MT_BOOTSTRAP_BYTES]; /* read inline by mt_is_bootstrap */
static atomic_size_t arena_used;

/* Serves an early request from the static arena; NULL when it is exhausted. */
void *mt_bootstrap_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    size_t old = atomic_load(&arena_used), start;
    do {
        start = (old + align - 1) & ~(align - 1);
        if (start + size > sizeof mt_bootstrap_arena || start + size < start)
            return NULL;
    } while (!atomic_compare_exchange_weak(&arena_used, &old, start + size));
    return mt_bootstrap_arena + start; /* static storage is zero, as calloc promises */
}

/* Bytes of the arena from p to its end: the most a realloc can copy out of it. */
size_t mt_bootstrap_room(const void *p)
{
    return (size_t)(mt_bootstrap_arena + sizeof mt_bootstrap_arena - (const char *)p);
}

/* Looks up the next definition of `name` after libtrack in the search order. */
static void *next_symbol(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

/* Resolves every real function once.  Racing callers may both resolve: the
 * pointers they store are the same, so the race is harmless. */
void mt_resolve_real(void)
{
    if (atomic_load_explicit(&mt_real_ready, memory_order_acquire))
        return;
    struct mt_real r;
    memset(&r, 0, sizeof r);
    r.malloc = next_symbol("malloc");
    r.free = next_symbol("free");
    r.calloc = next_symbol("calloc");
    r.realloc = next_symbol("realloc");
    r.posix_memalign = next_symbol("posix_memalign");
    r.aligned_alloc = next_symbol("aligned_alloc");
    r.memalign = next_symbol("memalign");
    r.valloc = next_symbol("valloc");
    r.pvalloc = next_symbol("pvalloc");
    r.malloc_usable_size = next_symbol("malloc_usable_size");
    /* The C++ runtime is present only in C++ programs; these stay NULL otherwise,
     * and then no C++ operator can have been called. */
    r.new_nothrow = next_symbol("_ZnwmRKSt9nothrow_t");
    r.new_array_nothrow = next_symbol("_ZnamRKSt9nothrow_t");
    r.new_aligned_nothrow = next_symbol("_ZnwmSt11align_val_tRKSt9nothrow_t");
    r.new_array_aligned_nothrow = next_symbol("_ZnamSt11align_val_tRKSt9nothrow_t");
    r.get_new_handler = next_symbol("_ZSt15get_new_handlerv");
    r.throw_bad_alloc = next_symbol("_ZSt17__throw_bad_allocv");
    mt_real = r;
    atomic_store_explicit(&mt_real_ready, 1, memory_order_release);
}
