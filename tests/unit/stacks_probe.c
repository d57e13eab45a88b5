/*
 * stacks_probe.c - the stand-ins for the rest of libtrack that stacks.c and
 * modules.c need, and the probe's entry points (stacks_probe.h).  Records go
 * to the probe thread's buffer as in libtrack (mt_record_begin is inline);
 * instead of being sent, the buffer is read here: STACK records are kept,
 * MODULE records counted (as flushed when mt_flush read them, else as still
 * buffered).  No thread has a state, so modules.c's dlopen/dlclose hooks
 * find none and do nothing.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <string.h>
#include "internal.h"
#include "stacks_probe.h"

#define PROBE_MAX_RECORDS 64

struct mt_options mt_options;
__thread int mt_in_unwinder;

static _Alignas(8) char probe_buffer[MT_BATCH_MAX];
static struct mt_thread probe_thread = {.buf = probe_buffer};
static struct probe_stack stacks[PROBE_MAX_RECORDS];
static size_t n_stacks;
static size_t modules_flushed;
static int connected = 1;

/* Keeps a well-formed STACK record. */
static void keep_stack(const struct mt_rec_stack *r)
{
    if (n_stacks == PROBE_MAX_RECORDS || r->h.extra > MT_MAX_DEPTH ||
        r->h.size != sizeof *r + r->h.extra * sizeof(uint64_t))
        return;
    struct probe_stack *s = &stacks[n_stacks++];
    s->id = r->id;
    s->truncated = r->truncated;
    s->depth = r->h.extra;
    memcpy(s->frames, r + 1, s->depth * sizeof(uint64_t));
}

/* Reads the records buffered since the last read: keeps the stacks, and
 * returns how many MODULE records there were. */
static size_t read_buffer(struct mt_thread *t)
{
    size_t modules = 0;
    for (uint32_t at = sizeof(struct mt_batch_header); at < t->used;) {
        const struct mt_record_header *h = (const void *)(t->buf + at);
        if (h->size == 0)
            break;
        if (h->type == MT_REC_STACK)
            keep_stack((const void *)h);
        modules += h->type == MT_REC_MODULE;
        at += h->size;
    }
    t->used = sizeof(struct mt_batch_header);
    return modules;
}

/* A full batch is sent as libtrack would send it. */
void mt_record_make_room(struct mt_thread *t, unsigned size)
{
    if (t->used == 0 || t->used + size > MT_BATCH_MAX)
        modules_flushed += read_buffer(t);
}

void mt_flush_locked(struct mt_thread *t)
{
    modules_flushed += read_buffer(t);
}

void mt_flush(struct mt_thread *t)
{
    mt_flush_locked(t);
}

int mt_transport_connected(void)
{
    return connected;
}

__thread struct mt_thread *mt_self;
atomic_int mt_tracking_off;
static uint8_t never_forked = 1;
volatile uint8_t *mt_fork_mark = &never_forked;

int mt_adopt_raw_fork(void)
{
    return 0;
}

struct mt_thread *mt_thread_first_get(const void *hook_frame)
{
    return NULL;
}

void mt_thread_release(struct mt_thread *t)
{
}

void probe_start(unsigned depth_limit)
{
    mt_options.depth = depth_limit;
    mt_modules_locate_self();
    mt_stacks_init();
}

void probe_set_depth_limit(unsigned depth_limit)
{
    mt_options.depth = depth_limit;
}

/* Starts the walk at its own frame, as a hook's mt_thread_get does. */
__attribute__((noinline)) uint32_t probe_allocation_hook(void)
{
    probe_thread.hook_frame = __builtin_frame_address(0);
    uint32_t id = mt_stack_capture(&probe_thread, mt_options.depth);
    probe_thread.hook_frame = NULL;
    return id;
}

size_t probe_stack_count(void)
{
    read_buffer(&probe_thread);
    return n_stacks;
}

const struct probe_stack *probe_stack_at(size_t i)
{
    read_buffer(&probe_thread);
    return i < n_stacks ? &stacks[i] : NULL;
}

void probe_announce_modules(int is_connected, size_t *sent, size_t *still_buffered)
{
    connected = is_connected;
    modules_flushed = 0;
    mt_modules_send_all(&probe_thread);
    connected = 1;
    *sent = modules_flushed;
    *still_buffered = read_buffer(&probe_thread);
}

int probe_owns(uint64_t address)
{
    return address >= mt_self_text_start && address < mt_self_text_end;
}

/* Both walks are made from this one frame, so that the frames above it, the
 * ones compared, are the same stack.  libunwind's frames in the probe are left
 * out as stacks.c leaves out libtrack's. */
__attribute__((noinline)) void probe_unwind_both(struct probe_walks *walks, int max)
{
    void *all[PROBE_MAX_WALK + 16];
    if (max > PROBE_MAX_WALK)
        max = PROBE_MAX_WALK;
    int truncated;
    uint64_t hash;
    probe_thread.hook_frame = __builtin_frame_address(0);
    walks->fast = mt_unwind(&probe_thread, max, &truncated, &hash);
    probe_thread.hook_frame = NULL;
    if (walks->fast > 0)
        mt_unwind_frames(&probe_thread, walks->fast_frames, walks->fast);
    walks->fast_hash_agrees = walks->fast <= 0 || hash == mt_stack_hash((void *const *)walks->fast_frames, walks->fast);
    int n = unw_backtrace(all, max + 16);
    int skip = 0;
    while (skip < n && probe_owns((uint64_t)(uintptr_t)all[skip]))
        skip++;
    walks->slow = n - skip < max ? n - skip : max;
    memcpy(walks->slow_frames, all + skip, (size_t)walks->slow * sizeof *all);
}

/* The rule of one return address, computed afresh (not from unwind.c's cache). */
uint64_t probe_eh_frame_rule(uint64_t return_address)
{
    return mt_eh_frame_rule((uintptr_t)return_address);
}
