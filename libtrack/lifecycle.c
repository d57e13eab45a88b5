/*
 * lifecycle.c - the life of the library in a process: its options, start-up
 * (from whichever hook runs first, on whichever thread), fork, and exit.
 *
 * Start-up is lazy: the first call into libtrack of a thread without state
 * (mt_thread_first_get) starts the library if no thread has, then makes the
 * thread's state.  A fork child becomes a process of its own in the fork
 * handlers, or at its first call when a raw fork ran none; at exit the blocks
 * left are classified and everything is sent.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "heuristics.h"
#include "internal.h"
#include "roots.h"

static atomic_int init_state; /* 0 not started, 1 running, 2 done */
static int tracking_enabled;
atomic_int mt_tracking_off; /* set once start-up found no collector: every hook passes through */
uint32_t mt_hello_standing_flags;
static __thread int self_guard_early; /* guard for the time before `mt_self` exists */

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
        atomic_store(&mt_inherit_pending, 1);
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

/* First event of a fork child: describe the blocks it inherited, once. */
void mt_send_inherited(struct mt_thread *t)
{
    if (atomic_exchange(&mt_inherit_pending, 0))
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

/* mt_thread_get for a thread without state yet: starts the library if it
 * is the first, and makes the thread's state. */
struct mt_thread *mt_thread_first_get(const void *hook_frame)
{
    if (self_guard_early)
        return NULL;
    self_guard_early = 1;
    mt_init();
    if (!*mt_fork_mark)
        mt_adopt_raw_fork(); /* before mt_thread_make claims a slot: the parent's, until then */
    struct mt_thread *t = atomic_load(&mt_tracking_off) ? NULL : mt_thread_make();
    self_guard_early = 0;
    if (t)
        t->hook_frame = hook_frame;
    return t;
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
    int scanned = atomic_load(&mt_inherit_pending) ? 0 : mt_leakscan_run(t, 0, NULL, caller_sp);
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
