/*
 * tracker.c - what happens on every allocation and release, and the life of
 * the library: start-up, fork, exit.
 *
 * The hooks (hooks_*.c) call the real allocator and hand the outcome here.
 * Releases are checked against the live-block table *before* libc sees them: a
 * double or invalid free is reported and never reaches libc (the program goes
 * on instead of aborting), a mismatched one is reported and then released.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "heuristics.h"
#include "internal.h"
#include "roots.h"

struct mt_counters mt_counters;
struct mt_options mt_options = {.depth = 64, .temporary_window = 1, .quarantine_bytes = 1u << 20, .free_depth = 1,
                                .follow = 1, .leak_check_heuristics = MT_HEURISTICS_ALL};
static atomic_int init_state; /* 0 not started, 1 running, 2 done */
static int tracking_enabled;
atomic_int mt_tracking_off; /* set once start-up found no collector: every hook passes through */
uint32_t mt_hello_standing_flags;

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

/* The end of the value of leak_check_heuristics that starts at VALUE: its
 * list is comma-separated like the options, so the items after it that hold
 * no '=' are more of its names. */
static const char *heuristics_end(const char *value)
{
    const char *end = strchr(value, ',');
    while (end) {
        const char *next = strchr(end + 1, ','), *eq = strchr(end + 1, '=');
        if (eq && (!next || eq < next))
            return end;
        end = next;
    }
    return value + strlen(value);
}

/* Parses MEMTRACK_OPTIONS ("depth=32,temporary_window=4,quarantine=0,free_depth=8,on_error=abort",
 * "unwinder=libunwind", "leak_check_heuristics=stdstring,newarray").  A list of
 * heuristics that does not parse changes nothing (all are on by default, as in
 * memcheck). */
static void read_options(void)
{
    const char *s = getenv(MT_ENV_OPTIONS);
    while (s && *s) {
        const char *eq = strchr(s, '='), *end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        if (eq && eq < end) {
            size_t klen = (size_t)(eq - s);
            unsigned long v = strtoul(eq + 1, NULL, 10);
            if (klen == 5 && !memcmp(s, "depth", 5))
                mt_options.depth = v < 1 ? 1 : v > MT_MAX_DEPTH ? MT_MAX_DEPTH : (unsigned)v;
            else if (klen == 16 && !memcmp(s, "temporary_window", 16))
                mt_options.temporary_window = v < 1 ? 1 : v > MT_TEMP_WINDOW_MAX ? MT_TEMP_WINDOW_MAX : (unsigned)v;
            else if (klen == 10 && !memcmp(s, "quarantine", 10))
                mt_options.quarantine_bytes = v;
            else if (klen == 10 && !memcmp(s, "free_depth", 10))
                mt_options.free_depth = v > MT_MAX_DEPTH ? MT_MAX_DEPTH : (unsigned)v;
            else if (klen == 6 && !memcmp(s, "follow", 6))
                mt_options.follow = v != 0;
            else if (klen == 8 && !memcmp(s, "unwinder", 8))
                mt_options.libunwind_only = !strncmp(eq + 1, "libunwind", 9);
            else if (klen == 8 && !memcmp(s, "on_error", 8))
                mt_options.abort_on_error = !strncmp(eq + 1, "abort", 5);
            else if (klen == 21 && !memcmp(s, "leak_check_heuristics", 21)) {
                end = heuristics_end(eq + 1);
                mt_heuristics_parse(eq + 1, (size_t)(end - eq - 1), &mt_options.leak_check_heuristics);
            }
        }
        s = *end ? end + 1 : end;
    }
}

/* Set in a fork child until it has told the collector which blocks it got
 * from its parent: done lazily, so a child that only execs sends nothing. */
static atomic_int inherit_pending;

/* The forking thread's state, its guard held from the prepare handler to
 * the parent's or child's (glibc runs them under its atfork lock, one fork
 * at a time): a signal handler that allocates meanwhile passes through
 * untracked instead of spinning for ever on a shard lock this thread holds,
 * or appending to the buffer being flushed.  NULL when it was not taken. */
static struct mt_thread *forking;

/* The process libtrack's state belongs to (set at start-up and in a fork
 * child): a vfork or clone child shares that state without being it. */
static pid_t known_pid;

/* The parent's buffered records (stacks above all) must reach the collector
 * before the child's hello, which copies the parent's stacks.  The table's
 * and the quarantine's locks are held across fork, so that no other thread
 * holds one in the child's copy (its next release there would spin for ever). */
static void before_fork(void)
{
    forking = mt_thread_get();
    mt_threads_flush_all();
    mt_blocks_lock_all();
    mt_quarantine_lock_all();
}

static void end_fork(void)
{
    if (forking)
        mt_thread_release(forking);
    forking = NULL;
}

static void after_fork_parent(void)
{
    mt_quarantine_unlock_all();
    mt_blocks_unlock_all();
    end_fork();
}

/* The kernel zeroes this byte in every child it forks (MADV_WIPEONFORK),
 * whether or not libc's fork ran our handlers; each process libtrack knows
 * sets it again.  Until start-up maps it, mt_fork_mark names a constant 1. */
static uint8_t mark_before_start = 1;
static uint8_t *fork_mark_page;
volatile uint8_t *mt_fork_mark = &mark_before_start;

/* Maps the fork mark.  A kernel without MADV_WIPEONFORK (before 4.14) leaves
 * the mark at the constant 1: children of raw fork syscalls go unseen. */
static void map_fork_mark(void)
{
    uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return;
    if (madvise(page, 4096, MADV_WIPEONFORK) != 0) {
        munmap(page, 4096);
        return;
    }
    *page = 1;
    fork_mark_page = page;
    mt_fork_mark = page;
}

/* Makes the calling process, a fork child, a process of its own: its pid,
 * its own shared memory and connection (HELLO with `hello_flags`), counts from
 * zero, and its inherited blocks to describe on first use.  The caller holds
 * no lock of libtrack's, and no other thread of the process runs. */
static void become_child(uint32_t hello_flags)
{
    known_pid = (pid_t)syscall(SYS_getpid);
    if (fork_mark_page)
        *fork_mark_page = 1;
    if (!mt_options.follow) {
        atomic_store(&mt_tracking_off, 1);
        return;
    }
    mt_threads_after_fork();
    /* the child's own figures start here; its inherited bytes are its heap */
    mt_threads_reset_counts();
    atomic_store(&mt_counters.peak_bytes, atomic_load(&mt_counters.current_bytes));
    atomic_store(&mt_counters.peak_ns, mt_now_ns());
    if (tracking_enabled) {
        mt_transport_after_fork(hello_flags);
        atomic_store(&inherit_pending, 1);
    }
}

static void after_fork_child(void)
{
    mt_quarantine_unlock_all();
    mt_blocks_unlock_all();
    end_fork();
    become_child(MT_HELLO_FORKED);
}

/* The first call into libtrack of a child made by a raw fork or clone
 * system call (no CLONE_VM), which ran no fork handler: until now it shared
 * its parent's slots and connection, and its parent's records would have
 * carried its own.  The parent did not send its batch first, so the
 * collector looks in the parent's slots for the stacks this child's
 * inherited blocks name (MT_HELLO_RAW_FORK).  The locks are released by
 * force: the threads that held them at the fork do not exist here.  A lock
 * held mid-change leaves what it guarded as it was (libc's own allocator is
 * in the same state after a raw fork of a threaded program). */
int mt_adopt_raw_fork(void)
{
    if (atomic_load(&init_state) != 2)
        return 0;
    if (!atomic_load(&mt_tracking_off)) {
        mt_quarantine_unlock_all();
        mt_blocks_unlock_all();
        become_child(MT_HELLO_FORKED | MT_HELLO_RAW_FORK);
    }
    return atomic_load(&mt_tracking_off) ? -1 : 0;
}

static void send_one_inherited(const struct mt_block *b, void *arg)
{
    struct mt_thread *t = arg;
    struct mt_rec_alloc *r = mt_record_begin(t, MT_REC_INHERIT, sizeof *r, b->function);
    r->block = b->id;
    r->address = b->address;
    r->size = b->size;
    r->time_ns = 0;
    r->stack = b->stack;
    r->alignment = b->align_log2 ? 1u << b->align_log2 : 0;
    mt_record_end(t);
}

/* First event of a fork child: describe the blocks it inherited. */
static void send_inherited(struct mt_thread *t)
{
    if (atomic_exchange(&inherit_pending, 0))
        mt_blocks_for_each(send_one_inherited, t);
}

static void at_exit(int status, void *arg);

/* Weak references, not dlsym: a failed dlsym allocates an error message that
 * would then be released by __libc_freeres as an unknown block. */
extern void __libc_freeres(void) __attribute__((weak));
extern void _ZN9__gnu_cxx9__freeresEv(void) __attribute__((weak));

/* Starts the library once per process, from whichever hook runs first.  A
 * thread arriving while another initialises does not wait: its records are
 * buffered until the connection exists. */
void mt_init(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&init_state, &expected, 1))
        return;
    known_pid = (pid_t)syscall(SYS_getpid);
    map_fork_mark();
    mt_clock_init();
    read_options();
    mt_modules_locate_self();
    if (mt_modules_malloc_is_foreign())
        mt_hello_standing_flags = MT_HELLO_FOREIGN_MALLOC;
    mt_stacks_init();
    tracking_enabled = mt_transport_connect(0) == 0;
    if (!mt_options.follow)
        mt_environment_stop_following();
    if (tracking_enabled) {
        pthread_atfork(before_fork, after_fork_parent, after_fork_child);
        on_exit(at_exit, NULL);
    } else {
        atomic_store(&mt_tracking_off, 1);
    }
    atomic_store(&init_state, 2);
}

/* Records a new block: stack, table entry, counters, ALLOC record. */
void mt_on_alloc(struct mt_thread *t, void *p, size_t size, size_t align, unsigned function)
{
    if (!p)
        return;
    if (MT_UNLIKELY(atomic_load_explicit(&inherit_pending, memory_order_relaxed)))
        send_inherited(t);
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
    if (MT_UNLIKELY(atomic_load_explicit(&inherit_pending, memory_order_relaxed)))
        send_inherited(t);
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
    if (MT_UNLIKELY(atomic_load_explicit(&inherit_pending, memory_order_relaxed)))
        send_inherited(t);
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

/* Sends the EXIT record with the final counters. */
static void send_exit(struct mt_thread *t, int status, int scanned, unsigned how)
{
    struct mt_rec_exit *r = mt_record_begin(t, MT_REC_EXIT, sizeof *r, (uint32_t)scanned);
    r->status = status;
    r->how = how;
    uint64_t counts[MT_COUNTS];
    mt_threads_sum(counts);
    r->allocations = counts[MT_COUNT_ALLOCATIONS];
    r->frees = counts[MT_COUNT_FREES];
    r->backtraces = counts[MT_COUNT_BACKTRACES];
    r->backtraces_by_libunwind = counts[MT_COUNT_BY_LIBUNWIND];
    r->current_bytes = atomic_load(&mt_counters.current_bytes);
    r->peak_bytes = atomic_load(&mt_counters.peak_bytes);
    r->peak_ns = atomic_load(&mt_counters.peak_ns);
    mt_transport_waits(&r->send_wait_max_ns, &r->send_wait_total_ns);
    mt_record_end(t);
}

/* Runs after the program's own exit handlers (ours was registered first, so
 * runs last): frees libc's and libstdc++'s internal caches so they are not
 * reported, classifies what is left, and sends everything. */
static void at_exit(int status, void *arg)
{
    if (_ZN9__gnu_cxx9__freeresEv)
        _ZN9__gnu_cxx9__freeresEv();
    if (__libc_freeres)
        __libc_freeres();
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return;
    int scanned = mt_leakscan_run(t, 0, NULL, mt_roots_exit_caller_sp());
    send_exit(t, status, scanned, MT_EXIT_HANDLERS);
    mt_threads_flush_all(); /* guarded: a signal handler's records would be lost mid-flush */
    mt_thread_release(t);
}

/* _exit and _Exit: no exit handlers run, but the blocks are classified as
 * at exit (memcheck does the same), from caller_sp, the stack pointer _exit
 * was called with; say how it ended.  A fork child that has sent nothing yet
 * (it only closes descriptors before _exit, say) sends nothing now either;
 * nor does a child of vfork or clone with CLONE_VM, which runs on its
 * parent's memory and thread state: its pid is not the one libtrack knows
 * and its fork mark is set (a raw fork's child, with memory of its own, has
 * its mark cleared and becomes a process here). */
void mt_on_immediate_exit(int status, uintptr_t caller_sp)
{
    if ((pid_t)syscall(SYS_getpid) != known_pid && *mt_fork_mark)
        return;
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return;
    int scanned = atomic_load(&inherit_pending) ? 0 : mt_leakscan_run(t, 0, NULL, caller_sp);
    send_exit(t, status, scanned, MT_EXIT_IMMEDIATE);
    mt_threads_flush_all();
    mt_thread_release(t);
}

/* Runs once the program's initial objects are all loaded: describes them. */
__attribute__((constructor)) static void at_load(void)
{
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return;
    mt_modules_send_all(t);
    mt_thread_release(t);
}

/* Last chance for records made after the exit handlers (library destructors). */
__attribute__((destructor)) static void at_unload(void)
{
    if (atomic_load(&init_state) != 2)
        return;
    struct mt_thread *t = mt_thread_get(); /* NULL: this thread is inside a hook, whose buffer is not ours to send */
    if (!t)
        return;
    mt_threads_flush_all();
    mt_thread_release(t);
}
