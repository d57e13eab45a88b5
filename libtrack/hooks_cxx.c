/*
 * hooks_cxx.c - every C++ operator new and delete, by their mangled names.
 *
 * Written in C so that tracing a C program never loads the C++ runtime.  The
 * throwing operators allocate with the real malloc (so one `new` is one event,
 * not two), follow the standard's new-handler loop, and throw through
 * libstdc++'s own std::__throw_bad_alloc; this file is compiled with
 * -fexceptions so the exception unwinds through it.  The nothrow operators
 * call libstdc++'s nothrow operator with the guard held: the handler loop and
 * the try/catch it needs are there.  Every delete is a free underneath.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include "internal.h"

typedef void (*new_handler_fn)(void);

/* The C++ runtime may be loaded after start-up (a dlopen'ed C++ plugin). */
static void resolve_cxx(void)
{
    mt_resolve_real();
    if (!mt_real.get_new_handler) {
        mt_real.get_new_handler = dlsym(RTLD_DEFAULT, "_ZSt15get_new_handlerv");
        mt_real.throw_bad_alloc = dlsym(RTLD_DEFAULT, "_ZSt17__throw_bad_allocv");
        mt_real.new_nothrow = dlsym(RTLD_NEXT, "_ZnwmRKSt9nothrow_t");
        mt_real.new_array_nothrow = dlsym(RTLD_NEXT, "_ZnamRKSt9nothrow_t");
        mt_real.new_aligned_nothrow = dlsym(RTLD_NEXT, "_ZnwmSt11align_val_tRKSt9nothrow_t");
        mt_real.new_array_aligned_nothrow = dlsym(RTLD_NEXT, "_ZnamSt11align_val_tRKSt9nothrow_t");
    }
}

/* One attempt at the memory, as libstdc++ makes it: size 0 becomes 1, an
 * aligned request rounds the size up to the alignment. */
static void *attempt(size_t size, size_t align)
{
    if (size == 0)
        size = 1;
    if (!align)
        return mt_real.malloc(size);
    size_t rounded = (size + align - 1) & ~(align - 1);
    return mt_real.aligned_alloc(align, rounded < size ? size : rounded);
}

/* The throwing operators: allocate, or run the new-handler, or throw. */
static void *cxx_new(size_t size, size_t align, unsigned function)
{
    resolve_cxx();
    for (;;) {
        struct mt_thread *t = mt_thread_get();
        void *p = attempt(size, align);
        if (p) {
            if (t) {
                int saved = errno;
                mt_on_alloc(t, p, size, align, function);
                mt_thread_release(t);
                errno = saved;
            }
            return p;
        }
        if (t)
            mt_thread_release(t); /* the handler is the program's code: trace it */
        new_handler_fn handler = mt_real.get_new_handler ? ((new_handler_fn(*)(void))mt_real.get_new_handler)()
                                                         : NULL;
        if (!handler) {
            if (mt_real.throw_bad_alloc)
                mt_real.throw_bad_alloc();
            abort();
        }
        handler();
    }
}

/* The nothrow operators: libstdc++'s own, with our guard held inside it. */
static void *cxx_new_nothrow(size_t size, size_t align, unsigned function)
{
    resolve_cxx();
    struct mt_thread *t = mt_thread_get();
    void *p = attempt(size, align);
    if (!p) {
        void *nothrow_tag = NULL;
        switch (function) {
        case MT_FN_NEW_NOTHROW:
            p = mt_real.new_nothrow ? mt_real.new_nothrow(size, &nothrow_tag) : NULL;
            break;
        case MT_FN_NEW_ARRAY_NOTHROW:
            p = mt_real.new_array_nothrow ? mt_real.new_array_nothrow(size, &nothrow_tag) : NULL;
            break;
        case MT_FN_NEW_ALIGNED_NOTHROW:
            p = mt_real.new_aligned_nothrow ? mt_real.new_aligned_nothrow(size, align, &nothrow_tag) : NULL;
            break;
        default:
            p = mt_real.new_array_aligned_nothrow ? mt_real.new_array_aligned_nothrow(size, align, &nothrow_tag)
                                                  : NULL;
        }
    }
    if (t) {
        int saved = errno;
        mt_on_alloc(t, p, size, align, function);
        mt_thread_release(t);
        errno = saved;
    }
    return p;
}

/* Every delete: check against the table, then free underneath.  Inlined into
 * each operator so that the return address is the caller of operator delete. */
static inline __attribute__((always_inline)) void cxx_delete(void *p, size_t size, size_t align, unsigned function)
{
    if (!p)
        return;
    mt_resolve_real();
    struct mt_thread *t = mt_thread_get();
    if (!t) {
        mt_real.free(p);
        return;
    }
    int saved = errno;
    t->caller = __builtin_return_address(0);
    void *release = mt_on_free(t, p, function, size, align);
    mt_thread_release(t);
    if (release)
        mt_real.free(release);
    errno = saved;
}

/* operator new and new[] */
MT_EXPORT void *_Znwm(size_t n) { return cxx_new(n, 0, MT_FN_NEW); }
MT_EXPORT void *_Znam(size_t n) { return cxx_new(n, 0, MT_FN_NEW_ARRAY); }
MT_EXPORT void *_ZnwmSt11align_val_t(size_t n, size_t al) { return cxx_new(n, al, MT_FN_NEW_ALIGNED); }
MT_EXPORT void *_ZnamSt11align_val_t(size_t n, size_t al) { return cxx_new(n, al, MT_FN_NEW_ARRAY_ALIGNED); }
MT_EXPORT void *_ZnwmRKSt9nothrow_t(size_t n, const void *tag) { return cxx_new_nothrow(n, 0, MT_FN_NEW_NOTHROW); }
MT_EXPORT void *_ZnamRKSt9nothrow_t(size_t n, const void *tag)
{
    return cxx_new_nothrow(n, 0, MT_FN_NEW_ARRAY_NOTHROW);
}
MT_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *tag)
{
    return cxx_new_nothrow(n, al, MT_FN_NEW_ALIGNED_NOTHROW);
}
MT_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *tag)
{
    return cxx_new_nothrow(n, al, MT_FN_NEW_ARRAY_ALIGNED_NOTHROW);
}

/* operator delete */
MT_EXPORT void _ZdlPv(void *p) { cxx_delete(p, 0, 0, MT_FN_DELETE); }
MT_EXPORT void _ZdlPvm(void *p, size_t n) { cxx_delete(p, n, 0, MT_FN_DELETE_SIZED); }
MT_EXPORT void _ZdlPvSt11align_val_t(void *p, size_t al) { cxx_delete(p, 0, al, MT_FN_DELETE_ALIGNED); }
MT_EXPORT void _ZdlPvmSt11align_val_t(void *p, size_t n, size_t al)
{
    cxx_delete(p, n, al, MT_FN_DELETE_SIZED_ALIGNED);
}
MT_EXPORT void _ZdlPvRKSt9nothrow_t(void *p, const void *tag) { cxx_delete(p, 0, 0, MT_FN_DELETE_NOTHROW); }
MT_EXPORT void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *tag)
{
    cxx_delete(p, 0, al, MT_FN_DELETE_ALIGNED_NOTHROW);
}

/* operator delete[] */
MT_EXPORT void _ZdaPv(void *p) { cxx_delete(p, 0, 0, MT_FN_DELETE_ARRAY); }
MT_EXPORT void _ZdaPvm(void *p, size_t n) { cxx_delete(p, n, 0, MT_FN_DELETE_ARRAY_SIZED); }
MT_EXPORT void _ZdaPvSt11align_val_t(void *p, size_t al) { cxx_delete(p, 0, al, MT_FN_DELETE_ARRAY_ALIGNED); }
MT_EXPORT void _ZdaPvmSt11align_val_t(void *p, size_t n, size_t al)
{
    cxx_delete(p, n, al, MT_FN_DELETE_ARRAY_SIZED_ALIGNED);
}
MT_EXPORT void _ZdaPvRKSt9nothrow_t(void *p, const void *tag) { cxx_delete(p, 0, 0, MT_FN_DELETE_ARRAY_NOTHROW); }
MT_EXPORT void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *tag)
{
    cxx_delete(p, 0, al, MT_FN_DELETE_ARRAY_ALIGNED_NOTHROW);
}
