/*
 * process.c - applying records to a process's state.  All figures are kept as
 * per-stack aggregates and live blocks: the event history itself is not kept,
 * so the collector's memory grows with distinct stacks and live blocks, not
 * with run time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collect/decoder.h"
#include "collect/process.h"
#include "untraceable.h"
#include "util/array.h"

/* An empty process with room for argc arguments (argc is 0 when there is no
 * memory for them). */
static struct mt_process *process_alloc(uint32_t pid, uint32_t parent_pid, size_t argc)
{
    struct mt_process *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->pid = pid;
    p->parent_pid = parent_pid;
    p->argv = calloc(argc + 1, sizeof *p->argv);
    p->argc = p->argv ? (int)argc : 0;
    u64map_init(&p->stacks, sizeof(struct mt_stack_def));
    u64map_init(&p->address_numbers, sizeof(uint32_t));
    live_blocks_init(&p->blocks);
    u64map_init(&p->early, sizeof(struct mt_early));
    u64map_init(&p->owners, sizeof(uint64_t));
    u64map_init(&p->sites, sizeof(struct mt_site));
    harvest_init(&p->harvest);
    return p;
}

struct mt_process *process_new(const struct mt_rec_hello *hello)
{
    struct mt_process *p = process_alloc(hello->pid, hello->parent_pid, hello->argc);
    if (!p)
        return NULL;
    p->token = hello->token;
    p->start_ns = hello->start_ns;
    p->hello_flags = hello->flags;
    if (hello->flags & MT_HELLO_UNTRACEABLE) {
        p->untraced = mt_untraceable_reason(hello->untraceable); /* the decoder checked it is known */
        p->stand_in = 1;
    } else if (hello->flags & MT_HELLO_FOREIGN_MALLOC) {
        p->untraced = MT_UNTRACED_FOREIGN_MALLOC;
    }
    const char *s = mt_record_tail(&hello->h, sizeof *hello);
    for (uint32_t i = 0; i < hello->argc; i++) {
        if (p->argv && i < (uint32_t)p->argc)
            p->argv[i] = strdup(s);
        s += strlen(s) + 1;
    }
    p->executable = strdup(s);
    return p;
}

void process_free(struct mt_process *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->argc; i++)
        free(p->argv[i]);
    free(p->argv);
    free(p->executable);
    free(p->note);
    u64map_free(&p->stacks);
    free(p->frames);
    free(p->addresses);
    u64map_free(&p->address_numbers);
    live_blocks_free(&p->blocks);
    u64map_free(&p->early);
    u64map_free(&p->owners);
    u64map_free(&p->sites);
    for (size_t i = 0; i < p->n_modules; i++) {
        free(p->modules[i].path);
        free(p->modules[i].build_id);
    }
    free(p->modules);
    free(p->errors);
    for (size_t i = 0; i < p->n_marks; i++)
        free(p->marks[i].label);
    free(p->marks);
    free(p->timeline);
    harvest_free(&p->harvest);
    free(p);
}

struct stored_process process_stored(const struct mt_process *p)
{
    return (struct stored_process){
        .pid = p->pid, .parent_pid = p->parent_pid, .ordinal = p->ordinal,
        .argc = p->argc, .argv = p->argv, .executable = p->executable,
        .start_ns = p->start_ns, .end_ns = p->end_ns,
        .untraced = p->untraced, .note = p->note, .dropped_records = p->dropped_records,
        .stand_in = p->stand_in, .replaced_by_exec = p->replaced_by_exec,
        .exit = p->exited ? &p->exit : NULL, .ending = p->ending,
        .allocations = p->allocations, .frees = p->frees, .allocated_bytes = p->allocated_bytes,
        .peak_bytes = p->peak_bytes, .peak_ns = p->peak_ns, .temporary = p->temporary, .peak_seq = p->peak_seq,
        .stacks = &p->stacks, .frames = p->frames, .addresses = p->addresses, .n_addresses = p->n_addresses,
        .modules = p->modules, .n_modules = p->n_modules,
        .sites = &p->sites, .blocks = &p->blocks, .owners = &p->owners,
        .errors = p->errors, .n_errors = p->n_errors,
        .marks = p->marks, .n_marks = p->n_marks,
        .timeline = p->timeline, .n_timeline = p->n_timeline,
    };
}

void process_add_note(struct mt_process *p, const char *note)
{
    size_t old = p->note ? strlen(p->note) : 0, add = strlen(note);
    char *n = realloc(p->note, old + add + 3);
    if (!n)
        return;
    if (old)
        memcpy(n + old, "; ", 2), old += 2;
    memcpy(n + old, note, add + 1);
    p->note = n;
}

/* The number of return address `address` in p, numbered on first sight;
 * -1 when out of memory, or for the one address whose key would be 0 (all
 * bits set: no return address is). */
static int64_t address_number(struct mt_process *p, uint64_t address)
{
    int created;
    uint32_t *number = u64map_put(&p->address_numbers, ~address, &created);
    if (!number)
        return -1;
    if (created) {
        uint64_t *slot = array_push((void **)&p->addresses, &p->n_addresses, &p->cap_addresses, sizeof *slot);
        if (!slot || p->n_addresses > UINT32_MAX) {
            u64map_remove(&p->address_numbers, ~address);
            return -1;
        }
        *slot = address;
        *number = (uint32_t)(p->n_addresses - 1);
    }
    return *number;
}

/* Defines stack `id` of p with no frames yet, room made for `depth`; NULL
 * when it is defined already (the first definition stands) or out of
 * memory. */
static struct mt_stack_def *new_stack(struct mt_process *p, uint64_t id, uint32_t depth, uint32_t truncated)
{
    if (p->cap_frames - p->n_frames < depth) {
        size_t cap = p->cap_frames ? p->cap_frames : 4096;
        while (cap - p->n_frames < depth)
            cap *= 2;
        uint32_t *grown = realloc(p->frames, cap * sizeof *grown);
        if (!grown)
            return NULL;
        p->frames = grown;
        p->cap_frames = cap;
    }
    int created;
    struct mt_stack_def *s = u64map_put(&p->stacks, id, &created);
    if (!s || !created)
        return NULL;
    *s = (struct mt_stack_def){.truncated = truncated, .first = p->n_frames};
    return s;
}

/* Appends the frame at `address` to s, p's newest stack (new_stack made
 * room); -1 when out of memory, which cuts the stack there. */
static int add_frame(struct mt_process *p, struct mt_stack_def *s, uint64_t address)
{
    int64_t number = address_number(p, address);
    if (number < 0)
        return -1;
    p->frames[p->n_frames++] = (uint32_t)number;
    s->depth++;
    return 0;
}

void process_inherit_from(struct mt_process *child, const struct mt_process *parent)
{
    uint64_t key;
    void *v;
    for (size_t i = 0; u64map_next(&parent->stacks, &i, &key, &v);) {
        const struct mt_stack_def *from = v;
        struct mt_stack_def *to = new_stack(child, key, from->depth, from->truncated);
        for (uint32_t f = 0; to && f < from->depth; f++)
            if (add_frame(child, to, process_frame_address(parent, from, f)) != 0)
                break;
    }
    for (size_t i = 0; i < parent->n_modules; i++) {
        struct mt_module *m = array_push((void **)&child->modules, &child->n_modules, &child->cap_modules, sizeof *m);
        if (!m)
            break;
        *m = parent->modules[i];
        m->path = strdup(m->path);
        m->build_id = m->build_id ? strdup(m->build_id) : NULL;
    }
}

const struct mt_module *mt_module_of(const struct mt_module *modules, size_t n, uint64_t address)
{
    for (size_t i = n; i-- > 0;)
        if (address >= modules[i].start && address < modules[i].end)
            return &modules[i];
    return NULL;
}

static void add_module(struct mt_process *p, const struct mt_rec_module *r)
{
    const char *tail = mt_record_tail(&r->h, sizeof *r);
    const char *path = tail + r->h.extra;
    for (size_t i = 0; i < p->n_modules; i++)
        if (p->modules[i].base == r->base && p->modules[i].start == r->start && !strcmp(p->modules[i].path, path))
            return;
    struct mt_module *m = array_push((void **)&p->modules, &p->n_modules, &p->cap_modules, sizeof *m);
    if (!m)
        return;
    m->path = strdup(path);
    m->base = r->base;
    m->start = r->start;
    m->end = r->end;
    if (r->h.extra) {
        m->build_id = malloc(r->h.extra * 2u + 1);
        for (unsigned i = 0; m->build_id && i < r->h.extra; i++)
            snprintf(m->build_id + 2 * i, 3, "%02x", (unsigned char)tail[i]);
    }
}

static void add_stack(struct mt_process *p, const struct mt_rec_stack *r)
{
    struct mt_stack_def *s = new_stack(p, r->id, r->h.extra, r->truncated);
    const unsigned char *frames = (const unsigned char *)(r + 1);
    for (uint32_t i = 0; s && i < r->h.extra; i++) {
        uint64_t address;
        memcpy(&address, frames + i * sizeof address, sizeof address);
        if (add_frame(p, s, address) != 0)
            break;
    }
}
/* Brings the site's "live bytes at the peak" up to date before it changes:
 * if a new peak was reached since the site last changed, its live bytes then
 * are its live bytes now. */
static struct mt_site *touch_site(struct mt_process *p, uint32_t stack)
{
    struct mt_site *s = u64map_put(&p->sites, (uint64_t)stack + 1, NULL);
    if (s && s->seen_peak_seq != p->peak_seq) {
        s->at_peak = s->live_bytes;
        s->seen_peak_seq = p->peak_seq;
    }
    return s;
}

/* Where the timeline's sample of INTERVAL is (*found) or goes (kept in time
 * order).  Batches of different threads (and batches read back after a crash)
 * arrive out of time order, so a sample may land before the last. */
static size_t interval_slot(const struct mt_process *p, uint64_t interval, int *found)
{
    size_t i = p->n_timeline;
    while (i > 0 && p->timeline[i - 1].time_ns / MT_TIMELINE_INTERVAL_NS > interval)
        i--;
    *found = i > 0 && p->timeline[i - 1].time_ns / MT_TIMELINE_INTERVAL_NS == interval;
    return *found ? i - 1 : i;
}

/* Inserts at I a sample of the collector's current heap at TIME_NS; NULL when out of memory. */
static struct mt_sample *insert_sample(struct mt_process *p, size_t i, uint64_t time_ns)
{
    if (!array_push((void **)&p->timeline, &p->n_timeline, &p->cap_timeline, sizeof *p->timeline))
        return NULL;
    memmove(&p->timeline[i + 1], &p->timeline[i], (p->n_timeline - 1 - i) * sizeof *p->timeline);
    p->timeline[i] = (struct mt_sample){.time_ns = time_ns, .heap_bytes = p->current_bytes};
    return &p->timeline[i];
}

/* Keeps the heap curve: one sample per interval, the highest heap in it and
 * the time it was reached (so the page draws a peak where it happened, not
 * at its interval's start), in time order.  The interval's RSS stays. */
static void sample(struct mt_process *p, uint64_t time_ns)
{
    int found;
    size_t i = interval_slot(p, time_ns / MT_TIMELINE_INTERVAL_NS, &found);
    if (!found) {
        insert_sample(p, i, time_ns);
    } else if (p->current_bytes > p->timeline[i].heap_bytes) {
        p->timeline[i].time_ns = time_ns;
        p->timeline[i].heap_bytes = p->current_bytes;
    }
}

/* A reading from outside adds no heap figure to an interval that has one:
 * the records already gave it its highest, at its time. */
void process_sample_from_outside(struct mt_process *p, uint64_t time_ns, uint64_t rss_bytes)
{
    int found;
    size_t i = interval_slot(p, time_ns / MT_TIMELINE_INTERVAL_NS, &found);
    struct mt_sample *s = found ? &p->timeline[i] : insert_sample(p, i, time_ns);
    if (s && rss_bytes > s->rss_bytes)
        s->rss_bytes = rss_bytes;
}

static void settle_early(struct mt_process *p, uint64_t block, struct mt_live_block *b);

/* A block copied from the parent at fork: live here, but not allocated here. */
static void on_inherit(struct mt_process *p, const struct mt_rec_alloc *r)
{
    struct mt_live_block *b = live_blocks_put(&p->blocks, r->block);
    if (!b)
        return;
    *b = (struct mt_live_block){.time_ns = r->time_ns, .stack = r->stack, .function = r->h.extra,
                                .kind = MT_LEAK_UNCLASSIFIED};
    if (live_block_set_extent(&p->blocks, r->block, b, r->address, r->size) != 0)
        return;
    struct mt_site *s = touch_site(p, r->stack);
    if (s)
        s->live_bytes += r->size;
    p->current_bytes += r->size;
    settle_early(p, r->block, b);
}

static void on_alloc(struct mt_process *p, const struct mt_rec_alloc *r)
{
    struct mt_live_block *b = live_blocks_put(&p->blocks, r->block);
    if (!b)
        return;
    b->time_ns = r->time_ns;
    b->stack = r->stack;
    b->function = r->h.extra;
    b->kind = MT_LEAK_UNCLASSIFIED;
    b->heuristic = MT_HEURISTIC_NONE;
    if (live_block_set_extent(&p->blocks, r->block, b, r->address, r->size) != 0)
        return;
    struct mt_site *s = touch_site(p, r->stack);
    if (s) {
        if (!s->allocations)
            s->first_ns = r->time_ns;
        s->allocations++;
        s->bytes += r->size;
        s->live_bytes += r->size;
    }
    p->allocations++;
    p->allocated_bytes += r->size;
    p->current_bytes += r->size;
    if (p->current_bytes > p->peak_bytes) {
        p->peak_bytes = p->current_bytes;
        p->peak_ns = r->time_ns;
        p->peak_seq++;
    }
    sample(p, r->time_ns);
    settle_early(p, r->block, b);
}

static unsigned lifetime_bucket(uint64_t ns)
{
    unsigned b = 0;
    for (uint64_t limit = 1000; b < MT_LIFETIME_BUCKETS - 1 && ns >= limit; limit *= 10)
        b++;
    return b;
}

/* The record for a block not (yet) known: kept until the block arrives. */
static struct mt_early *early_for(struct mt_process *p, uint64_t block)
{
    int created;
    struct mt_early *e = u64map_put(&p->early, block, &created);
    if (e && created)
        e->kind = MT_LEAK_END;
    return e;
}

static void apply_free(struct mt_process *p, struct mt_live_block *b, const struct mt_rec_free *r);

/* A block just became known: apply what arrived for it before. */
static void settle_early(struct mt_process *p, uint64_t block, struct mt_live_block *b)
{
    struct mt_early *e = p->early.count ? u64map_get(&p->early, block) : NULL;
    if (!e)
        return;
    struct mt_early copy = *e;
    u64map_remove(&p->early, block);
    if (copy.kind < MT_LEAK_END) {
        b->kind = copy.kind;
        b->heuristic = copy.heuristic;
    }
    if (copy.free.h.type)
        apply_free(p, b, &copy.free);
}

static void on_free(struct mt_process *p, const struct mt_rec_free *r)
{
    struct mt_live_block *b = live_blocks_get(&p->blocks, r->block);
    if (!b) {
        struct mt_early *e = early_for(p, r->block);
        if (e)
            e->free = *r;
        return;
    }
    apply_free(p, b, r);
}

static void apply_free(struct mt_process *p, struct mt_live_block *b, const struct mt_rec_free *r)
{
    uint64_t size = live_block_size(&p->blocks, r->block, b);
    struct mt_site *s = touch_site(p, b->stack);
    if (s) {
        s->live_bytes -= size;
        s->temporary += r->temporary != 0;
        s->lifetimes[lifetime_bucket(r->time_ns > b->time_ns ? r->time_ns - b->time_ns : 0)]++;
    }
    p->frees++;
    p->temporary += r->temporary != 0;
    p->current_bytes -= size;
    live_blocks_remove(&p->blocks, r->block); /* b is gone from here on */
    sample(p, r->time_ns);
}

/* A batch of ~1,500 records touches as many entries of maps too large for
 * the cache; asking for them all before applying any lets the misses overlap
 * instead of stalling one record at a time. */
void process_preview(struct mt_process *p, const struct mt_record_header *rec)
{
    if (rec->type == MT_REC_ALLOC) {
        const struct mt_rec_alloc *r = (const void *)rec;
        live_blocks_prefetch(&p->blocks, r->block);
        u64map_prefetch(&p->sites, (uint64_t)r->stack + 1);
    } else if (rec->type == MT_REC_FREE) {
        live_blocks_prefetch(&p->blocks, ((const struct mt_rec_free *)rec)->block);
    }
}

/* Whether an allocation would take the live bytes past 2^63 - 1, which no
 * address space holds: the trace's sums of live blocks (leaks) must fit its
 * integers, or its reader refuses it. */
static int past_live_limit(const struct mt_process *p, const struct mt_record_header *rec)
{
    if (rec->type != MT_REC_ALLOC && rec->type != MT_REC_INHERIT)
        return 0;
    uint64_t size = ((const struct mt_rec_alloc *)rec)->size;
    return p->current_bytes > (uint64_t)INT64_MAX - size;
}

void process_apply(struct mt_process *p, const struct mt_record_header *rec)
{
    if (mt_record_out_of_range(rec) || past_live_limit(p, rec)) {
        p->dropped_records++;
        return;
    }
    switch (rec->type) {
    case MT_REC_MODULE:
        add_module(p, (const void *)rec);
        break;
    case MT_REC_STACK:
        add_stack(p, (const void *)rec);
        break;
    case MT_REC_ALLOC:
        on_alloc(p, (const void *)rec);
        break;
    case MT_REC_FREE:
        on_free(p, (const void *)rec);
        break;
    case MT_REC_INHERIT:
        on_inherit(p, (const void *)rec);
        break;
    case MT_REC_ERROR: {
        struct mt_rec_error *e = array_push((void **)&p->errors, &p->n_errors, &p->cap_errors, sizeof *e);
        if (e)
            memcpy(e, rec, sizeof *e);
        break;
    }
    case MT_REC_VERDICT: {
        const struct mt_rec_verdict *v = (const void *)rec;
        struct mt_live_block *b = live_blocks_get(&p->blocks, v->block);
        struct mt_early *e = b || rec->extra >= MT_LEAK_END ? NULL : early_for(p, v->block);
        if (b && rec->extra < MT_LEAK_END) {
            b->kind = (uint8_t)rec->extra;
            b->heuristic = (uint8_t)v->heuristic;
        } else if (e) {
            e->kind = (uint8_t)rec->extra;
            e->heuristic = (uint8_t)v->heuristic;
        }
        uint64_t *owner = v->owner ? u64map_put(&p->owners, v->block, NULL) : NULL;
        if (owner)
            *owner = v->owner;
        break;
    }
    case MT_REC_EXIT:
        p->exited = 1;
        memcpy(&p->exit, rec, sizeof p->exit);
        break;
    case MT_REC_MARK: {
        const struct mt_rec_mark *m = (const void *)rec;
        struct mt_mark *k = array_push((void **)&p->marks, &p->n_marks, &p->cap_marks, sizeof *k);
        if (k) {
            k->time_ns = m->time_ns;
            k->label = strdup(mt_record_tail(rec, sizeof *m));
        }
        break;
    }
    default:
        break; /* HELLO is handled by the collector; MODULE_GONE needs no state */
    }
}

struct mt_process *process_stand_in(uint32_t pid, uint32_t parent_pid, char **argv, const char *executable,
                                    const char *why)
{
    size_t argc = 0;
    while (argv[argc])
        argc++;
    struct mt_process *p = process_alloc(pid, parent_pid, argc);
    if (!p)
        return NULL;
    p->stand_in = 1;
    p->untraced = why;
    for (int i = 0; i < p->argc; i++)
        p->argv[i] = strdup(argv[i]);
    p->executable = strdup(executable);
    return p;
}

void process_add_segment(struct mt_process *p, const struct mt_rec_segment *rec, int fd)
{
    const char *refused = harvest_add_segment(&p->harvest, rec, fd);
    if (refused)
        process_add_note(p, refused);
}

/* harvest_take's record function: what the slots hold, applied as if sent. */
static int apply_harvested(void *ctx, uint32_t tid, const struct mt_record_header *rec)
{
    if (rec->type != MT_REC_HELLO && rec->type != MT_REC_SEGMENT)
        process_apply(ctx, rec);
    return 0;
}

void process_harvest(struct mt_process *p)
{
    harvest_take(&p->harvest, apply_harvested, p);
}

/* harvest_peek's record function: only the stacks. */
static int apply_stack(void *ctx, uint32_t tid, const struct mt_record_header *rec)
{
    if (rec->type == MT_REC_STACK)
        process_apply(ctx, rec);
    return 0;
}

void process_take_unsent_stacks(struct mt_process *child, const struct mt_process *parent)
{
    harvest_peek(&parent->harvest, apply_stack, child);
}
