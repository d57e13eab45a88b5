/*
 * tracker.c - what happens on every allocation and release.  The life of the
 * library (options, start-up, fork, exit) is lifecycle.c's.
 *
 * The hooks (hooks_*.c) call the real allocator and hand the outcome here.
 * Releases are checked against the live-block table *before* libc sees them: a
 * double or invalid free is reported and never reaches libc (the program goes
 * on instead of aborting), a mismatched one is reported and then released.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "heuristics.h"
#include "internal.h"

/* Defined here, though lifecycle.c sets the options and the flag: the hooks'
 * paths below read them on every call, and a variable defined in another
 * file is reached through the GOT, one more instruction at each read. */
struct mt_counters mt_counters;
struct mt_options mt_options = {.depth = 64, .temporary_window = 1, .quarantine_bytes = 1u << 20, .free_depth = 1,
                                .follow = 1, .leak_check_heuristics = MT_HEURISTICS_ALL};
atomic_int mt_inherit_pending;

/* The family of each entry point (MT_FAMILY_MALLOC, 0, where none is
 * given): one load per release instead of a chain of range checks. */
static const uint8_t family_of_function[MT_FN_END] = {
    [MT_FN_NEW ... MT_FN_NEW_ALIGNED_NOTHROW] = MT_FAMILY_NEW,
    [MT_FN_NEW_ARRAY ... MT_FN_NEW_ARRAY_ALIGNED_NOTHROW] = MT_FAMILY_NEW_ARRAY,
    [MT_FN_DELETE ... MT_FN_DELETE_ALIGNED_NOTHROW] = MT_FAMILY_NEW,
    [MT_FN_DELETE_ARRAY ... MT_FN_DELETE_ARRAY_ALIGNED_NOTHROW] = MT_FAMILY_NEW_ARRAY,
};

int mt_family_of(unsigned function)
{
    return function < MT_FN_END ? family_of_function[function] : MT_FAMILY_MALLOC;
}

static int is_aligned_cxx(unsigned f)
{
    switch (f) {
    case MT_FN_NEW_ALIGNED: case MT_FN_NEW_ALIGNED_NOTHROW: case MT_FN_NEW_ARRAY_ALIGNED:
    case MT_FN_NEW_ARRAY_ALIGNED_NOTHROW: case MT_FN_DELETE_ALIGNED: case MT_FN_DELETE_SIZED_ALIGNED:
    case MT_FN_DELETE_ALIGNED_NOTHROW: case MT_FN_DELETE_ARRAY_ALIGNED: case MT_FN_DELETE_ARRAY_SIZED_ALIGNED:
    case MT_FN_DELETE_ARRAY_ALIGNED_NOTHROW:
        return 1;
    default:
        return 0;
    }
}

static int is_sized_delete(unsigned f)
{
    return f == MT_FN_DELETE_SIZED || f == MT_FN_DELETE_SIZED_ALIGNED || f == MT_FN_DELETE_ARRAY_SIZED ||
           f == MT_FN_DELETE_ARRAY_SIZED_ALIGNED;
}

/* Records a new block: stack, table entry, counters, ALLOC record. */
void mt_on_alloc(struct mt_thread *t, void *p, size_t size, size_t align, unsigned function)
{
    if (!p)
        return;
    if (MT_UNLIKELY(atomic_load_explicit(&mt_inherit_pending, memory_order_relaxed)))
        mt_send_inherited(t);
    mt_blocks_prefetch((uintptr_t)p);
    uint64_t now = mt_now_ns();
    struct mt_block b = {.address = (uintptr_t)p, .size = size, .id = mt_new_block_id(t),
                         .stack = mt_stack_capture(t, mt_options.depth), .function = (uint16_t)function,
                         .align_log2 = align ? (uint16_t)__builtin_ctzl(align) : 0};
    mt_blocks_insert(&b);
    mt_count(t, MT_COUNT_ALLOCATIONS);
    if (mt_shared_raise(&mt_counters.peak_bytes, mt_shared_add(&mt_counters.current_bytes, size)))
        atomic_store_explicit(&mt_counters.peak_ns, now, memory_order_relaxed);
    t->recent[t->recent_pos] = b.id;
    t->recent_pos = t->recent_pos + 1 >= mt_options.temporary_window ? 0 : t->recent_pos + 1; /* no division */
    struct mt_rec_alloc *r = mt_record_begin(t, MT_REC_ALLOC, sizeof *r, function);
    r->block = b.id;
    r->address = b.address;
    r->size = size;
    r->time_ns = now;
    r->stack = b.stack;
    r->alignment = (uint32_t)align;
    mt_record_end(t);
}

/* Sends an ERROR record; in abort mode, makes sure it is out, then aborts. */
static void report_error(struct mt_thread *t, const struct mt_rec_error *e)
{
    struct mt_rec_error *r = mt_record_begin(t, MT_REC_ERROR, sizeof *r, e->h.extra);
    struct mt_record_header h = r->h;
    *r = *e;
    r->h = h;
    mt_record_end(t);
    if (mt_options.abort_on_error) {
        mt_threads_flush_all();
        signal(SIGABRT, SIG_DFL);
        abort();
    }
}

/* Why a release does not match its allocation, or 0 when it does. */
static int mismatch(const struct mt_block *b, unsigned function, size_t claimed_size, size_t claimed_align)
{
    if (mt_family_of(b->function) != mt_family_of(function))
        return 1;
    if (function == MT_FN_REALLOC || function == MT_FN_REALLOCARRAY || function == MT_FN_FREE)
        return 0;
    if (is_aligned_cxx(b->function) != is_aligned_cxx(function))
        return 1;
    if (is_aligned_cxx(function) && claimed_align != ((size_t)1 << b->align_log2))
        return 1;
    if (is_sized_delete(function) && claimed_size != b->size)
        return 1;
    return 0;
}

static int was_recent(const struct mt_thread *t, uint64_t id)
{
    for (unsigned i = 0; i < mt_options.temporary_window; i++)
        if (t->recent[i] == id)
            return 1;
    return 0;
}

/* A release of something that is not a live block: double or invalid free. */
static void on_bad_free(struct mt_thread *t, void *p, unsigned function)
{
    struct mt_rec_error e = {.address = (uintptr_t)p, .size = UINT64_MAX, .offset = UINT64_MAX,
                             .time_ns = mt_now_ns(), .free_function = (uint16_t)function};
    struct mt_freed f;
    struct mt_block inner;
    e.stack = mt_stack_capture(t, mt_options.depth);
    if (mt_quarantine_find((uintptr_t)p, &f)) {
        e.h.extra = MT_ERR_DOUBLE_FREE;
        e.offset = 0;
        e.size = f.size;
        e.alloc_stack = f.alloc_stack;
        e.first_free_stack = f.free_stack;
        e.alloc_function = f.alloc_function;
    } else {
        e.h.extra = MT_ERR_INVALID_FREE;
        if (mt_blocks_find_containing((uintptr_t)p, &inner)) {
            e.size = inner.size;
            e.offset = (uintptr_t)p - inner.address;
            e.alloc_stack = inner.stack;
            e.alloc_function = inner.function;
            e.block = inner.id;
        }
    }
    report_error(t, &e);
}

/* Reports the release of block b by the wrong function (`detail`: the size
 * or alignment the release claimed).  Out of line: the error record would
 * otherwise make every release's frame larger. */
static __attribute__((noinline)) void report_mismatch(struct mt_thread *t, const struct mt_block *b, uint64_t now,
                                                      unsigned function, uint32_t free_stack, size_t detail)
{
    struct mt_rec_error e = {.h.extra = MT_ERR_MISMATCHED_FREE, .address = b->address, .size = b->size,
                             .offset = 0, .time_ns = now, .stack = free_stack,
                             .alloc_stack = b->stack, .alloc_function = b->function,
                             .free_function = (uint16_t)function, .block = b->id, .detail = detail};
    report_error(t, &e);
}

/* What the quarantine remembers of a release besides the block itself. */
struct release_note {
    uint32_t free_stack;
    uint16_t function;
};

/* The stack of a release (--free-depth): by default the call site alone,
 * which needs no unwinding. */
static uint32_t release_stack(struct mt_thread *t)
{
    unsigned depth = mt_options.free_depth;
    return depth == 1 && t->caller ? mt_stack_intern(t, &t->caller, 1, 1) : depth ? mt_stack_capture(t, depth) : 0;
}

/* Remembers the release of block b in the quarantine while b leaves the
 * table, under its shard's lock (mt_blocks_remove_then): a thread that frees
 * the same block at the same moment then finds it in one or the other, and
 * reports a double free with the block's allocation, never an invalid free
 * of an unknown block. */
static void remember_release(const struct mt_block *b, void *arg)
{
    const struct release_note *note = arg;
    struct mt_freed f = {.address = b->address, .size = b->size, .alloc_stack = b->stack,
                         .free_stack = note->free_stack, .alloc_function = b->function,
                         .free_function = note->function};
    mt_quarantine_remember(&f);
}

/* Takes the block at p out of the table into *b, remembering its release;
 * 0 when p starts no live block. */
static int take_block(struct mt_thread *t, void *p, unsigned function, struct mt_block *b)
{
    struct release_note note = {release_stack(t), (uint16_t)function};
    return mt_blocks_remove_then((uintptr_t)p, b, remember_release, &note);
}

/* Records the release of live block b (already out of the table, its
 * release remembered) at time now: mismatch check, counters, FREE record,
 * the thread's hold.  Returns what libc must release now. */
static void *record_release(struct mt_thread *t, const struct mt_block *b, uint64_t now, unsigned function,
                            size_t claimed_size, size_t claimed_align, int keep)
{
    if (mismatch(b, function, claimed_size, claimed_align))
        report_mismatch(t, b, now, function, mt_stack_capture(t, mt_options.depth),
                        is_sized_delete(function) ? claimed_size : claimed_align);
    mt_count(t, MT_COUNT_FREES);
    mt_shared_add(&mt_counters.current_bytes, -(uint64_t)b->size);
    struct mt_rec_free *r = mt_record_begin(t, MT_REC_FREE, sizeof *r, function);
    r->block = b->id;
    r->time_ns = now;
    r->temporary = (uint32_t)was_recent(t, b->id);
    r->pad = 0;
    mt_record_end(t);
    if (!keep)
        return NULL;
    void *evicted[MT_HOLD_MAX];
    size_t n;
    void *release_now = mt_quarantine_hold(t, (void *)b->address, b->size, evicted, &n);
    for (size_t i = 0; i < n; i++)
        mt_real.free(evicted[i]);
    return release_now;
}

void *mt_on_free(struct mt_thread *t, void *p, unsigned function, size_t claimed_size, size_t claimed_align)
{
    if (MT_UNLIKELY(atomic_load_explicit(&mt_inherit_pending, memory_order_relaxed)))
        mt_send_inherited(t);
    /* the block's slot and the quarantine's entry are most likely cache
     * misses: the clock is read while they load */
    mt_blocks_prefetch((uintptr_t)p);
    mt_quarantine_prefetch((uintptr_t)p);
    uint64_t now = mt_now_ns();
    struct mt_block b;
    if (!take_block(t, p, function, &b)) {
        if (mt_take_untracked(p))
            return p;
        if (!mt_is_bootstrap(p))
            on_bad_free(t, p, function);
        return NULL;
    }
    return record_release(t, &b, now, function, claimed_size, claimed_align, 1);
}

/* realloc and reallocarray: the old block leaves the table before libc may
 * reuse its address, and comes back if libc fails. */
void *mt_on_realloc(struct mt_thread *t, void *p, size_t size, unsigned function)
{
    if (MT_UNLIKELY(atomic_load_explicit(&mt_inherit_pending, memory_order_relaxed)))
        mt_send_inherited(t);
    mt_blocks_prefetch((uintptr_t)p);
    uint64_t now = mt_now_ns();
    struct mt_block old;
    if (!take_block(t, p, function, &old)) { /* should libc fail, the block comes back; its release stays remembered */
        on_bad_free(t, p, function);
        errno = ENOMEM;
        return NULL;
    }
    void *q = mt_real.realloc(p, size);
    if (!q && size) {
        int saved = errno;
        mt_blocks_insert(&old);
        errno = saved;
        return NULL;
    }
    int saved = errno;
    record_release(t, &old, now, function, 0, 0, 0);
    mt_on_alloc(t, q, size, 0, function);
    errno = saved;
    return q;
}

