/*
 * stacks_probe.c - the stand-ins for the rest of libtrack that stacks.c and
 * modules.c need, and the probe's entry points (stacks_probe.h).  The records
 * are kept here instead of going to a thread buffer (MODULE records only
 * counted, as buffered until mt_flush); there is no thread state,
 * so modules.c's dlopen/dlclose hooks find none and do nothing.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <string.h>
#include "internal.h"
#include "stacks_probe.h"

#define PROBE_MAX_RECORDS 64

struct mt_options mt_options;
__thread int mt_in_unwinder;

static struct mt_thread probe_thread;
/* room for the largest STACK record, and for a MODULE record (paths up to 2 KiB) */
static _Alignas(8) unsigned char record[sizeof(struct mt_rec_stack) + MT_MAX_DEPTH * sizeof(uint64_t) + 4096];
static struct probe_stack stacks[PROBE_MAX_RECORDS];
static size_t n_stacks;
static size_t modules_buffered, modules_flushed;

void *mt_record_begin(struct mt_thread *t, unsigned type, unsigned size, uint32_t extra)
{
    memset(record, 0, sizeof record);
    struct mt_record_header *h = (void *)record;
    h->type = (uint16_t)type;
    h->size = size <= sizeof record ? (uint16_t)size : 0;
    h->extra = extra;
    return record;
}

/* Keeps the record just written, when it is a well-formed STACK record;
 * counts MODULE records as buffered. */
void mt_record_end(struct mt_thread *t)
{
    const struct mt_rec_stack *r = (const void *)record;
    if (r->h.type == MT_REC_MODULE)
        modules_buffered++;
    if (r->h.type != MT_REC_STACK || n_stacks == PROBE_MAX_RECORDS || r->h.extra > MT_MAX_DEPTH ||
        r->h.size != sizeof *r + r->h.extra * sizeof(uint64_t))
        return;
    struct probe_stack *s = &stacks[n_stacks++];
    s->id = r->id;
    s->truncated = r->truncated;
    s->depth = r->h.extra;
    memcpy(s->frames, r + 1, s->depth * sizeof(uint64_t));
}

void mt_flush(struct mt_thread *t)
{
    modules_flushed += modules_buffered;
    modules_buffered = 0;
}

struct mt_thread *mt_thread_get(void)
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

__attribute__((noinline)) uint32_t probe_allocation_hook(void)
{
    return mt_stack_capture(&probe_thread, mt_options.depth);
}

size_t probe_stack_count(void)
{
    return n_stacks;
}

const struct probe_stack *probe_stack_at(size_t i)
{
    return i < n_stacks ? &stacks[i] : NULL;
}

void probe_announce_modules(size_t *sent, size_t *still_buffered)
{
    mt_modules_send_all(&probe_thread);
    *sent = modules_flushed;
    *still_buffered = modules_buffered;
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
    walks->fast = mt_unwind(&probe_thread, max, &truncated, &hash);
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
