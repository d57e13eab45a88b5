/*
 * hooks_malloc.c - the C allocator entry points, interposed by LD_PRELOAD.
 *
 * Each hook calls the real function and reports the outcome to tracker.c.  The
 * allocator contract stays libc's: zero sizes, alignment errors (EINVAL) and
 * overflow (ENOMEM) come from libc itself, except reallocarray, which we build
 * on realloc so that one call is one event.  errno is what libc left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include "internal.h"

/* 1 when the real allocator is known; 0 while it is being looked up, when the
 * caller must use the bootstrap arena. */
static inline int real_ready(void)
{
    if (MT_LIKELY(atomic_load_explicit(&mt_real_ready, memory_order_acquire)))
        return 1;
    static atomic_int resolving;
    if (atomic_exchange(&resolving, 1) == 0)
        mt_resolve_real();
    return atomic_load_explicit(&mt_real_ready, memory_order_acquire);
}

/* A block libtrack could not record (its guard was held): remembered so
 * that its release is not taken for an invalid free. */
static inline void *untracked(void *p)
{
    mt_note_untracked(p);
    return p;
}

/* Finishes an allocating hook: records p (if any) and restores libc's errno. */
static inline void *track_alloc(struct mt_thread *t, void *p, size_t size, size_t align, unsigned function)
{
    int saved = errno;
    mt_on_alloc(t, p, size, align, function);
    mt_thread_release(t);
    errno = saved;
    return p;
}

MT_EXPORT void *malloc(size_t size)
{
    if (MT_UNLIKELY(!real_ready()))
        return mt_bootstrap_alloc(size, 16);
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return untracked(mt_real.malloc(size));
    return track_alloc(t, mt_real.malloc(size), size, 0, MT_FN_MALLOC);
}

MT_EXPORT void *calloc(size_t n, size_t size)
{
    if (MT_UNLIKELY(!real_ready())) {
        size_t total;
        if (__builtin_mul_overflow(n, size, &total)) {
            errno = ENOMEM;
            return NULL;
        }
        return mt_bootstrap_alloc(total, 16);
    }
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return untracked(mt_real.calloc(n, size));
    return track_alloc(t, mt_real.calloc(n, size), n * size, 0, MT_FN_CALLOC);
}

MT_EXPORT void free(void *p)
{
    if (!p || mt_is_bootstrap(p) || !real_ready())
        return;
    struct mt_thread *t = mt_thread_get();
    if (!t) {
        mt_real.free(p);
        return;
    }
    int saved = errno;
    t->caller = __builtin_return_address(0);
    void *release = mt_on_free(t, p, MT_FN_FREE, 0, 0);
    mt_thread_release(t);
    if (release)
        mt_real.free(release);
    errno = saved;
}

/* realloc of a bootstrap block: a new tracked block with the old contents
 * (the old size is unknown, so copy what the arena holds past p, at most size). */
static void *move_from_bootstrap(void *p, size_t size)
{
    void *q = malloc(size);
    if (q) {
        size_t room = mt_bootstrap_room(p);
        memcpy(q, p, size < room ? size : room);
    }
    return q;
}

static void *realloc_as(void *p, size_t size, unsigned function)
{
    if (MT_UNLIKELY(!real_ready()))
        return p ? NULL : mt_bootstrap_alloc(size, 16);
    if (MT_UNLIKELY(p && mt_is_bootstrap(p)))
        return move_from_bootstrap(p, size);
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return untracked(mt_real.realloc(p, size));
    if (!p)
        return track_alloc(t, mt_real.malloc(size), size, 0, function);
    t->caller = NULL; /* realloc_as is not the hook itself: a release stack needs unwinding */
    void *q = mt_on_realloc(t, p, size, function);
    mt_thread_release(t);
    return q;
}

MT_EXPORT void *realloc(void *p, size_t size)
{
    return realloc_as(p, size, MT_FN_REALLOC);
}

MT_EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc_as(p, total, MT_FN_REALLOCARRAY);
}

MT_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (MT_UNLIKELY(!real_ready())) {
        *out = mt_bootstrap_alloc(size, align);
        return *out ? 0 : ENOMEM;
    }
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return mt_real.posix_memalign(out, align, size);
    int rc = mt_real.posix_memalign(out, align, size);
    track_alloc(t, rc == 0 ? *out : NULL, size, align, MT_FN_POSIX_MEMALIGN);
    return rc;
}

/* The real function behind an aligned or page-aligned entry point; asked only
 * once real_ready() said the table is filled. */
static void *(*real_aligned(unsigned function))(size_t, size_t)
{
    return function == MT_FN_ALIGNED_ALLOC ? mt_real.aligned_alloc : mt_real.memalign;
}

/* aligned_alloc and memalign: the block is returned, alignment first. */
static void *aligned_as(size_t align, size_t size, unsigned function)
{
    if (MT_UNLIKELY(!real_ready()))
        return mt_bootstrap_alloc(size, align);
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return real_aligned(function)(align, size);
    return track_alloc(t, real_aligned(function)(align, size), size, align, function);
}

MT_EXPORT void *aligned_alloc(size_t align, size_t size)
{
    return aligned_as(align, size, MT_FN_ALIGNED_ALLOC);
}

MT_EXPORT void *memalign(size_t align, size_t size)
{
    return aligned_as(align, size, MT_FN_MEMALIGN);
}

/* valloc and pvalloc: page-aligned, the rounding being libc's business. */
static void *page_aligned_as(size_t size, unsigned function)
{
    if (MT_UNLIKELY(!real_ready()))
        return mt_bootstrap_alloc(size, 4096);
    void *(*real)(size_t) = function == MT_FN_VALLOC ? mt_real.valloc : mt_real.pvalloc;
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return real(size);
    return track_alloc(t, real(size), size, 4096, function);
}

MT_EXPORT void *valloc(size_t size)
{
    return page_aligned_as(size, MT_FN_VALLOC);
}

MT_EXPORT void *pvalloc(size_t size)
{
    return page_aligned_as(size, MT_FN_PVALLOC);
}
