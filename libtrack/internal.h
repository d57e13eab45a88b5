/*
 * internal.h - what libtrack's files share.  Nothing here is visible outside
 * libmemtrack.so (built with -fvisibility=hidden); the interposed entry points
 * in hooks_*.c are the only exported symbols.
 *
 * Hot-path rules, for every function reachable from an allocation hook:
 *  - never call the traced program's malloc (use the real_* pointers or mmap);
 *  - never hold a lock across a system call;
 *  - never block on the collector for longer than one socket write.
 */
#ifndef MEMTRACK_INTERNAL_H
#define MEMTRACK_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "arch.h"
#include "protocol.h"
#include "spinlock.h"

#define MT_EXPORT __attribute__((visibility("default")))
typedef void (*mt_range_fn)(uintptr_t lo, uintptr_t hi, void *arg);
#define MT_LIKELY(x) __builtin_expect(!!(x), 1)
#define MT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- bootstrap.c: the allocator underneath us ---- */
struct mt_real {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
    void *(*new_nothrow)(size_t, const void *);
    void *(*new_array_nothrow)(size_t, const void *);
    void *(*new_aligned_nothrow)(size_t, size_t, const void *);
    void *(*new_array_aligned_nothrow)(size_t, size_t, const void *);
    void *(*get_new_handler)(void);
    void (*throw_bad_alloc)(void) __attribute__((noreturn));
};
extern struct mt_real mt_real;
/* 0 until every real_* pointer is resolved; until then memory comes from a static arena. */
extern atomic_int mt_real_ready;
void mt_resolve_real(void);
void *mt_bootstrap_alloc(size_t size, size_t align);
#define MT_BOOTSTRAP_BYTES (64 * 1024)
extern char mt_bootstrap_arena[MT_BOOTSTRAP_BYTES];
/* Whether p came from the arena (inline: every free asks). */
static inline int mt_is_bootstrap(const void *p)
{
    return (const char *)p >= mt_bootstrap_arena && (const char *)p < mt_bootstrap_arena + MT_BOOTSTRAP_BYTES;
}
size_t mt_bootstrap_room(const void *p);

/* ---- thread_state.c: per-thread state, reachable without malloc ---- */
#define MT_UNTRACKED_MAX 64
#define MT_HOLD_MAX 64
/* Per-thread caches of stack ids and unwind rules, direct-mapped: a
 * Python workload walks a few thousand distinct return addresses afresh and
 * allocates from thousands of stacks; at 256 entries each, 6-15% of lookups
 * missed and went to the shared tables (megabytes probed at random). */
#define MT_STACK_CACHE_BITS 10
#define MT_STACK_CACHE (1u << MT_STACK_CACHE_BITS)
#define MT_RULE_CACHE_BITS 10
#define MT_RULE_CACHE (1u << MT_RULE_CACHE_BITS)
/* What each thread counts for the process (mt_count, mt_threads_sum). */
enum mt_count { MT_COUNT_ALLOCATIONS, MT_COUNT_FREES, MT_COUNT_BACKTRACES, MT_COUNT_BY_LIBUNWIND, MT_COUNTS };
/* One frame of a walk (unwind.c): its state on entry, and what stepping out
 * of it read.  ra_slot 0: the outermost frame by its unwind rule. */
struct mt_frame_state {
    uintptr_t ra, sp, bp;     /* return address into the frame's code; stack and frame pointers */
    uintptr_t ra_slot;        /* where the caller's return address was read */
    uintptr_t bp_slot;        /* where the caller's rbp was read; 0: rbp unchanged */
    uint32_t cfa_from_bp;     /* stepping out computes the CFA from rbp */
};
/* A stack slot a cached walk read, and what it held. */
struct mt_slot_check {
    uintptr_t slot, value;
};
/* A thread's last complete walk, outermost frame first, as parallel arrays:
 * a walk reads sp[] to find where it meets the cached one and then only the
 * slot checks below that frame, a few dense cache lines rather than a
 * 64-byte state per frame (on an interpreter's stack, 20 frames on average). */
struct mt_walk_cache {
    unsigned n;
    unsigned generation; /* unwind.c's rule generation it was walked under */
    uintptr_t ra[MT_MAX_DEPTH], sp[MT_MAX_DEPTH], bp[MT_MAX_DEPTH];
    uint64_t hash[MT_MAX_DEPTH];       /* mt_stack_hash of frame k and every outer one */
    uint8_t needs_bp[MT_MAX_DEPTH];    /* the walk from frame k on depends on its rbp on entry */
    uint16_t checks_to[MT_MAX_DEPTH];  /* check[0, checks_to[k]) are frames 0..k's reads */
    struct mt_slot_check check[2 * MT_MAX_DEPTH];
};

struct mt_thread {
    /* What every allocation and release reads or writes comes first, in two
     * cache lines: between two allocations of a program that works in a
     * large heap, the state's lines are out of the cache. */
    int guard;               /* >0 while libtrack's own code runs on this thread */
    int dying;               /* thread-exit destructors ran: send each record at once */
    uint64_t number;         /* process-unique thread number, high bits of block ids */
    uint64_t next_block;     /* sequence for block ids */
    void *caller;            /* return address into the caller of the current hook */
    const void *hook_frame;  /* frame of the function that entered libtrack (mt_thread_get); the walk starts there */
    unsigned recent_pos;
    mt_spinlock busy;        /* held while the buffer is appended to or flushed */
    uint32_t used;           /* bytes in buf, committed or being written */
    char *buf;               /* MT_BATCH_MAX bytes: in the slot, or private when no slot */
    struct mt_slot_header *slot; /* shared with the collector; NULL when none could be had */
    int walk_fresh, walk_kept; /* the last walk: fresh_walk[0, walk_fresh) on top of walk's frames [0, walk_kept) */
    unsigned held_head, held_count; /* the thread's hold of released blocks (quarantine.c) */
    uint64_t held_bytes;
    _Atomic uint64_t counts[MT_COUNTS]; /* enum mt_count; written by the owner only (relaxed), read by anyone */
    uint64_t recent[MT_TEMP_WINDOW_MAX]; /* last allocated block ids (temporary detection) */
    uint32_t tid;
    uint32_t slot_id;
    uint32_t seq;            /* batches sent from this buffer */
    struct mt_thread *next_all; /* registry of every thread's state, for flushing at exit */
    uintptr_t untracked[MT_UNTRACKED_MAX]; /* blocks a signal handler got while libtrack was busy */
    unsigned untracked_pos;
    uint64_t stack_hash[MT_STACK_CACHE]; /* stacks.c: recent stack hashes and their ids */
    uint32_t stack_id[MT_STACK_CACHE];
    uint64_t rule_key[MT_RULE_CACHE];   /* unwind.c: recent return addresses (with generation) */
    uint64_t rule_value[MT_RULE_CACHE]; /* and their rules */
    struct mt_walk_cache walk;  /* unwind.c */
    struct mt_frame_state fresh_walk[MT_MAX_DEPTH];
    struct mt_held {
        uintptr_t address;
        uint64_t size;
    } held[MT_HOLD_MAX];
};
extern __thread struct mt_thread *mt_self; /* the calling thread's state; NULL before its first hook */
extern atomic_int mt_tracking_off;          /* lifecycle.c: no collector, every hook passes through */
/* Makes the calling thread's state the first time it enters libtrack (a dead
 * thread's, or a new one) and sets mt_self; NULL when none can be had. */
struct mt_thread *mt_thread_make(void);
/* lifecycle.c: mt_thread_get for a thread without state yet. */
struct mt_thread *mt_thread_first_get(const void *hook_frame);
/* Enters libtrack on this thread: returns its state with the guard taken, or
 * NULL when the call must pass straight to libc (re-entry, or not ready).
 * Inline because every hook starts here; a thread's first call, which makes
 * its state, is out of line.  Always inline, too, because it keeps the frame
 * of the function it is written in (the hook): a backtrace taken before that
 * function returns starts from there instead of walking out of libtrack's
 * own frames one by one. */
/* Zero in a child of a raw fork or clone system call until its first call
 * into libtrack, which makes it a process of its own (lifecycle.c); 0 when
 * the child is traced, -1 when it is not (--no-follow). */
extern volatile uint8_t *mt_fork_mark;
int mt_adopt_raw_fork(void);
static inline __attribute__((always_inline)) struct mt_thread *mt_thread_get(void)
{
    struct mt_thread *t = mt_self;
    if (MT_UNLIKELY(atomic_load_explicit(&mt_tracking_off, memory_order_relaxed)))
        return NULL;
    if (MT_UNLIKELY(t == NULL))
        return mt_thread_first_get(__builtin_frame_address(0));
    if (t->guard)
        return NULL;
    t->guard = 1;
    /* the guard first: a signal handler's hook that came in between would
     * leave its own, soon dead, frame here for this one to walk from */
    atomic_signal_fence(memory_order_seq_cst);
    t->hook_frame = __builtin_frame_address(0);
    if (MT_UNLIKELY(!*mt_fork_mark) && mt_adopt_raw_fork() != 0) {
        t->guard = 0;
        return NULL;
    }
    return t;
}
void mt_thread_release(struct mt_thread *t);
/* A block handed out while the guard was held and libunwind was not running:
 * a signal handler that interrupted libtrack allocated it. */
void mt_note_untracked(void *p);
/* 1 when p was such a block (and forgets it): its release is no error. */
int mt_take_untracked(void *p);
void mt_threads_flush_all(void);
void mt_threads_after_fork(void);
uint64_t mt_new_block_id(struct mt_thread *t);

/* ---- descriptors.c: libtrack's descriptors stay out of the program's way ---- */
#define MT_FD_FLOOR 1000
extern __thread int mt_in_unwinder; /* set while libunwind runs on this thread */
int mt_fd_move_high(int fd);

/* ---- segments.c: shared memory holding the thread buffers ---- */
struct mt_slot_header *mt_slot_claim(uint32_t *slot_id);
void mt_segments_send_all(int sock);
void mt_segments_after_fork(void);

/* ---- transport.c: records to the collector ---- */
/* Sends one message on the connection, if it still is ours (see transport.c). */
void mt_transport_sendmsg(const struct msghdr *mh);
void mt_flush(struct mt_thread *t);        /* takes t->busy */
void mt_flush_locked(struct mt_thread *t); /* t->busy already held */
void mt_record_make_room(struct mt_thread *t, unsigned size);
/* Reserves `size` bytes (a multiple of 8) for one record in the thread's
 * batch and fills its header; the caller fills the body and calls
 * mt_record_end.  Inline, as is mt_record_end, because every hook writes a
 * record; starting a batch (and sending the last) is out of line. */
static inline void *mt_record_begin(struct mt_thread *t, unsigned type, unsigned size, uint32_t extra)
{
    mt_spin_lock(&t->busy);
    if (MT_UNLIKELY(t->used == 0 || t->used + size > MT_BATCH_MAX))
        mt_record_make_room(t, size);
    struct mt_record_header *h = (void *)(t->buf + t->used);
    h->type = (uint16_t)type;
    h->size = (uint16_t)size;
    h->extra = extra;
    t->used += size;
    return h;
}
/* Commits the record: from here on the collector can read it from the slot
 * even if the process dies before sending it. */
static inline void mt_record_end(struct mt_thread *t)
{
    if (t->slot)
        atomic_store_explicit((_Atomic uint32_t *)&t->slot->used, t->used, memory_order_release);
    if (MT_UNLIKELY(t->dying))
        mt_flush_locked(t);
    mt_spin_unlock(&t->busy);
}
int mt_transport_connect(uint32_t hello_flags);
int mt_transport_connected(void); /* 1 when a send would reach the collector */
/* Tells the collector, over a connection of its own, that process PID (child
 * of PARENT_PID) runs, or is about to run, PATH with ARGV: a program libtrack
 * cannot trace, for the reason WHY (enum mt_untraceable).  Returns that
 * connection, close-on-exec so that a successful exec closes it, or -1.  It
 * allocates nothing and touches no thread state: it may run in a vfork child. */
int mt_transport_announce_untraceable(uint32_t pid, uint32_t parent_pid, const char *path, char *const argv[],
                                      unsigned why);
/* Says on CONNECTION (from mt_transport_announce_untraceable) that the exec
 * failed after all, with errno ERROR, and closes it. */
void mt_transport_exec_failed(int connection, int error);
/* The longest send and all sends' time so far, in ns: a send copies its batch, and waits while the
 * collector's queue is full. */
void mt_transport_waits(uint64_t *max_ns, uint64_t *total_ns);
void mt_transport_after_fork(uint32_t hello_flags);

/* ---- unwind.c and eh_frame.c: backtraces by cached per-address rules ---- */
/* A rule packs how to step out of one frame: bits 0-1 its kind, bit 2 CFA =
 * rbp (else rsp) + bits 32-63, bit 3 rbp saved at CFA + bits 8-23 (signed),
 * return address at CFA + bits 24-31 (signed). */
#define MT_RULE_KIND_MASK 3ull
#define MT_RULE_STEP 1ull        /* an ordinary frame: step to the caller */
#define MT_RULE_TERMINAL 2ull    /* the outermost frame: the return address is undefined */
#define MT_RULE_UNSUPPORTED 3ull /* only libunwind can step out of this frame */
/* Unsupported because no unwind information covers the address (bit 2 set):
 * with rbp 0 there, libunwind's frame-pointer fallback ends the stack, and so
 * does the walk (the dynamic loader's _dl_start_user, below every static
 * constructor, is such a frame). */
#define MT_RULE_NO_INFO (MT_RULE_UNSUPPORTED | 4ull)
#define MT_RULE_CFA_FROM_RBP 4ull
#define MT_RULE_RBP_SAVED 8ull
uint64_t mt_eh_frame_rule(uintptr_t return_address);
void mt_unwind_init(void);
int mt_unwind(struct mt_thread *t, int max, int *truncated, uint64_t *hash);
void mt_unwind_frames(const struct mt_thread *t, void **ips, int count);
/* dlopen and dlclose run between these: cached rules may describe unloaded code */
void mt_unwind_loader_enter(void);
void mt_unwind_loader_leave(void);

/* ---- clock.c: timestamps (CLOCK_MONOTONIC nanoseconds) ---- */
void mt_clock_init(void);
/* The line that turns the time-stamp counter into nanoseconds (clock.c
 * says how it is kept). */
struct mt_clock {
    uint64_t tsc0, ns0;                /* the anchor */
    _Atomic uint64_t slope;            /* ns per tick << 32; 0 until measured */
    _Atomic uint64_t next_measure_tsc; /* measure the slope again past this count */
};
extern struct mt_clock mt_clock;
uint64_t mt_now_ns_measuring(uint64_t slope, uint64_t next_measure);
/* The time now.  Inline because every hook reads it: the counter and a
 * multiplication, except when a measurement of the slope is due.  No slope
 * yet (or a counter that is not invariant, which never gets one): the
 * counter is not read at all, since where it is not invariant a hypervisor
 * may trap it, or the program may have made it fault (PR_SET_TSC). */
static inline uint64_t mt_now_ns(void)
{
    uint64_t s = atomic_load_explicit(&mt_clock.slope, memory_order_relaxed);
    uint64_t next = atomic_load_explicit(&mt_clock.next_measure_tsc, memory_order_relaxed);
    if (MT_UNLIKELY(s == 0))
        return mt_now_ns_measuring(0, next);
    uint64_t tsc = mt_arch_counter();
    if (MT_UNLIKELY(tsc >= next))
        return mt_now_ns_measuring(s, next);
    return mt_clock.ns0 + (uint64_t)(((unsigned __int128)(tsc - mt_clock.tsc0) * s) >> 32);
}

/* ---- stacks.c: backtrace capture and interning ---- */
uint32_t mt_stack_capture(struct mt_thread *t, unsigned max_depth);
uint32_t mt_stack_intern(struct mt_thread *t, void *const *frames, int depth, int truncated);
uint32_t mt_stack_intern_hashed(struct mt_thread *t, void *const *frames, int depth, int truncated, uint64_t hash);
/* A stack's hash, folded from its outermost frame in, so that a walk can
 * extend the hash of a cached outer part (unwind.c). */
#define MT_STACK_HASH_SEED 0x9e3779b97f4a7c15ull
static inline uint64_t mt_stack_hash_step(uint64_t h, uintptr_t ra)
{
    h ^= (uint64_t)ra;
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}
static inline uint64_t mt_stack_hash(void *const *frames, int n)
{
    uint64_t h = MT_STACK_HASH_SEED;
    for (int i = n - 1; i >= 0; i--)
        h = mt_stack_hash_step(h, (uintptr_t)frames[i]);
    return h;
}
void mt_stacks_init(void);

/* ---- blocks.c: the table of live blocks ---- */
struct mt_block {
    uintptr_t address;
    uint64_t size;
    uint64_t id;
    uint32_t stack;
    uint16_t function;  /* enum mt_function */
    uint16_t align_log2;
};
void mt_blocks_insert(const struct mt_block *b);
void mt_blocks_prefetch(uintptr_t address);
/* Removes the block that starts at `address` into *out; 0 when none does.
 * When it does and while_held is not NULL, while_held(out, arg) runs before
 * the shard's lock is dropped: a release remembered there (the quarantine)
 * is seen by any other thread that then misses the block in the table. */
int mt_blocks_remove_then(uintptr_t address, struct mt_block *out,
                          void (*while_held)(const struct mt_block *, void *), void *arg);
static inline int mt_blocks_remove(uintptr_t address, struct mt_block *out)
{
    return mt_blocks_remove_then(address, out, NULL, NULL);
}
/* Finds a live block containing `address` (not at its start); 0 when none. Slow: error path only. */
int mt_blocks_find_containing(uintptr_t address, struct mt_block *out);
/* Calls fn for every live block; the table must not change meanwhile (exit, fork). */
void mt_blocks_for_each(void (*fn)(const struct mt_block *, void *), void *arg);
size_t mt_blocks_count(void);
void mt_blocks_lock_all(void);
void mt_blocks_unlock_all(void);

/* ---- quarantine.c: recently released blocks, for double-free reports ---- */
struct mt_freed {
    uintptr_t address;
    uint64_t size;
    uint32_t alloc_stack;
    uint32_t free_stack;
    uint16_t alloc_function;
    uint16_t free_function;
};
void mt_quarantine_remember(const struct mt_freed *f);
void mt_quarantine_prefetch(uintptr_t address);
int mt_quarantine_find(uintptr_t address, struct mt_freed *out);
/* Every shard's lock, for fork: taken after the block table's (a release
 * remembers itself under a table shard's lock, so that is the order). */
void mt_quarantine_lock_all(void);
void mt_quarantine_unlock_all(void);
/* Holds p (size bytes) in the thread's hold; returns what must go to libc now
 * (p, when it cannot be held) and stores older blocks leaving the hold in
 * also_evicted[] (room for MT_HOLD_MAX). */
void *mt_quarantine_hold(struct mt_thread *t, void *p, size_t size, void **also_evicted, size_t *n_also);
void mt_quarantine_held_ranges(struct mt_thread *t, mt_range_fn fn, void *arg);

/* ---- tracker.c: the logic of every hook (its variables set by lifecycle.c) ---- */
/* Process-wide figures.  Allocations and releases are counted per thread
 * (mt_thread.counts, summed by mt_threads_sum): a shared
 * counter would cost each hook one more locked instruction. */
struct mt_counters {
    atomic_uint_fast64_t current_bytes, peak_bytes, peak_ns;
};
/* Adds one to the calling thread's count; only the owner writes it, so no
 * locked instruction. */
static inline void mt_count(struct mt_thread *t, enum mt_count kind)
{
    atomic_store_explicit(&t->counts[kind], atomic_load_explicit(&t->counts[kind], memory_order_relaxed) + 1,
                          memory_order_relaxed);
}
/* Every thread's counts added up, into sums[MT_COUNTS]. */
void mt_threads_sum(uint64_t *sums);
void mt_threads_reset_counts(void);
extern struct mt_counters mt_counters;
/* Adds `delta` (two's complement for a decrease) to a counter shared by the
 * process's threads; returns the new value. */
static inline uint64_t mt_shared_add(atomic_uint_fast64_t *counter, uint64_t delta)
{
    return atomic_fetch_add_explicit(counter, delta, memory_order_relaxed) + delta;
}
/* Raises a shared maximum to `value`; 1 when it was below. */
static inline int mt_shared_raise(atomic_uint_fast64_t *max, uint64_t value)
{
    uint64_t seen = atomic_load_explicit(max, memory_order_relaxed);
    while (value > seen)
        if (atomic_compare_exchange_weak_explicit(max, &seen, value, memory_order_relaxed, memory_order_relaxed))
            return 1;
    return 0;
}
struct mt_options {
    unsigned depth;
    unsigned temporary_window;
    size_t quarantine_bytes;
    unsigned free_depth; /* frames recorded for a release: 0 none, 1 the caller only (no unwinding);
                            a bad release always gets mt_options.depth */
    int abort_on_error;
    int follow; /* trace fork children and exec'd programs */
    int libunwind_only; /* every backtrace by libunwind (unwind.c's rules unused) */
    unsigned leak_check_heuristics; /* the leak scan's heuristics: bit h for enum mt_heuristic h */
};
extern struct mt_options mt_options;
extern uintptr_t mt_self_text_start, mt_self_text_end;
/* MT_HELLO_FOREIGN_MALLOC or 0, found at start-up: every hello of the image says it. */
extern uint32_t mt_hello_standing_flags;
void mt_on_alloc(struct mt_thread *t, void *p, size_t size, size_t align, unsigned function);
/* Checks and records a release.  Returns what must be handed to libc now: `p`
 * itself, or NULL (a bad pointer, reported; or `p` kept in quarantine).  Blocks
 * leaving the quarantine are released inside. */
void *mt_on_free(struct mt_thread *t, void *p, unsigned function, size_t claimed_size, size_t claimed_align);
void *mt_on_realloc(struct mt_thread *t, void *p, size_t size, unsigned function);
int mt_family_of(unsigned function);

/* ---- lifecycle.c: options, start-up, fork, exit ---- */
/* Starts the library once per process, from whichever hook runs first. */
void mt_init(void);
void mt_on_immediate_exit(int status, uintptr_t caller_sp);
/* Set in a fork child until it has told the collector which blocks it got
 * from its parent: done lazily, at its first allocation (mt_send_inherited),
 * so a child that only execs sends nothing. */
extern atomic_int mt_inherit_pending;
/* Describes the blocks a fork child inherited, once: its first event. */
void mt_send_inherited(struct mt_thread *t);

/* ---- environment.c: what children inherit ---- */
void mt_environment_stop_following(void);

/* ---- modules.c: loaded objects ---- */
void mt_modules_send_all(struct mt_thread *t);
void mt_modules_locate_self(void);
/* 1 when the malloc the program's calls resolve to is not libtrack's (the
 * executable defines its own): none of its allocations reach libtrack. */
int mt_modules_malloc_is_foreign(void);

/* ---- libtrack's own memory, which the leak scan must not take for roots ---- */
void mt_blocks_own_ranges(mt_range_fn fn, void *arg);
void mt_stacks_own_ranges(mt_range_fn fn, void *arg);
void mt_unwind_own_ranges(mt_range_fn fn, void *arg);
void mt_threads_own_ranges(mt_range_fn fn, void *arg);
void mt_threads_held_ranges(mt_range_fn fn, void *arg);
void mt_segments_own_ranges(mt_range_fn fn, void *arg);
void mt_self_own_ranges(mt_range_fn fn, void *arg);

/* ---- leakscan.c: reachability at exit ---- */
/* Classifies every live block and sends VERDICT records: for every block, or
 * with only_new_definite for the definite leaks not reported by an earlier
 * call (their count goes to *new_definite).  Returns 1 when the scan ran. */
/* from_sp: where the calling thread's live stack begins, the stack pointer it
 * had when exit (or _exit) was called; 0: the caller's own frame. */
int mt_leakscan_run(struct mt_thread *t, int only_new_definite, uint64_t *new_definite, uintptr_t from_sp);

#endif
