/*
 * unwind.c - the backtrace of an allocation, walked with one cached rule per
 * return address.
 *
 * Why not libunwind for every backtrace: unw_backtrace saves every register
 * and initialises a cursor of several hundred bytes on each call, which cost
 * more than the walk itself at the depths programs allocate from.  Here a
 * backtrace is a loop over return addresses, each a lookup in a lock-free
 * table of rules computed once from .eh_frame (eh_frame.c).  Whenever a frame
 * has a rule this walk cannot follow (signal frames, CFA expressions, code
 * without unwind tables, an address the loader does not know) mt_unwind
 * returns -1 and the caller takes the whole backtrace from libunwind, so a
 * stack is either walked by the same rules libunwind would apply or walked by
 * libunwind itself.  tests/e2e compares the two on real programs.
 *
 * libtrack's own frames are walked by their frame pointers (libtrack is built
 * with -fno-omit-frame-pointer), down to the first return address outside it,
 * starting at the frame of the hook that entered libtrack (mt_thread_get keeps
 * it), so the frames between the hook and the walk are not visited.
 *
 * Invariants of the rule table:
 *  - a key is (return address | generation << 48), written last with release
 *    order; a reader checks the key again after reading the rule (seqlock), so
 *    it never uses a rule that was being replaced;
 *  - the generation changes after every dlopen and dlclose, so a rule read
 *    from an object that has since gone never matches again;
 *  - while a dlopen or dlclose runs, no rule is read or added at all.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include "huge_pages.h"
#include "internal.h"

#define TABLE_BITS 17
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_PROBES 16
#define KEY_BUSY (1ull << 63)
#define ADDRESS_BITS 48
#define GENERATION_MASK 0x7fffull
/* A frame larger than this means the rules went wrong (or libunwind should judge). */
#define MAX_FRAME_SIZE (1ull << 28)

struct entry {
    _Atomic uint64_t key;
    _Atomic uint64_t rule;
};

static struct entry *table;
static atomic_uint generation_now = 1;
static atomic_int loader_busy;

/* Maps the rule table once per process (a fork child keeps its parent's). */
void mt_unwind_init(void)
{
    if (table)
        return;
    size_t mapped; /* on huge pages, as the stack table (stacks.c) and for the same reason */
    table = mt_map_table(TABLE_SIZE * sizeof(struct entry), &mapped);
}

void mt_unwind_loader_enter(void)
{
    atomic_fetch_add(&loader_busy, 1);
}

void mt_unwind_loader_leave(void)
{
    unsigned g = atomic_load(&generation_now);
    unsigned next = (g + 1) & GENERATION_MASK;
    atomic_store(&generation_now, next ? next : 1);
    atomic_fetch_sub(&loader_busy, 1);
}

/* Where the rule table's probe for a return address starts (Fibonacci hashing). */
static uint32_t slot_of(uintptr_t ra)
{
    uint64_t h = (uint64_t)ra * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> (64 - TABLE_BITS));
}

/* The rule for ra as the walk may follow it.  A rule whose CFA is rsp +
 * offset reads its slots at fixed distances from the frame's stack pointer,
 * so whether they lie within the frame (what step() checks of a frame whose
 * CFA comes from rbp) is decided here, once per rule; one whose slots do not
 * is left to libunwind. */
static uint64_t walkable_rule(uintptr_t ra)
{
    uint64_t rule = mt_eh_frame_rule(ra);
    if ((rule & MT_RULE_KIND_MASK) != MT_RULE_STEP || (rule & MT_RULE_CFA_FROM_RBP))
        return rule;
    int64_t size = (uint32_t)(rule >> 32), ra_at = size + (int8_t)(rule >> 24), bp_at = size + (int16_t)(rule >> 8);
    int inside = size > 0 && size <= (int64_t)MAX_FRAME_SIZE && ra_at >= 0 && ra_at + 8 <= size &&
                 (!(rule & MT_RULE_RBP_SAVED) || (bp_at >= 0 && bp_at + 8 <= size));
    return inside ? rule : MT_RULE_UNSUPPORTED;
}

/* The rule for ra under generation key bits `tag` from the shared table,
 * computing and caching it on a miss. */
static uint64_t shared_rule_for(uintptr_t ra, uint64_t tag)
{
    uint64_t want = ra | tag;
    uint32_t slot = slot_of(ra);
    for (int probe = 0; probe < MAX_PROBES; probe++, slot = (slot + 1) & (TABLE_SIZE - 1)) {
        struct entry *e = &table[slot];
        uint64_t key = atomic_load_explicit(&e->key, memory_order_acquire);
        if (key == want) {
            uint64_t rule = atomic_load_explicit(&e->rule, memory_order_relaxed);
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(&e->key, memory_order_relaxed) == want)
                return rule;
            break;
        }
        if (key != 0 && ((key & ~KEY_BUSY) >> ADDRESS_BITS) == (tag >> ADDRESS_BITS))
            continue; /* another address of this generation */
        if (key & KEY_BUSY)
            break; /* being written: compute without caching */
        /* empty, or left from an earlier generation: claim it */
        uint64_t rule = walkable_rule(ra);
        if (atomic_compare_exchange_strong(&e->key, &key, want | KEY_BUSY)) {
            atomic_store_explicit(&e->rule, rule, memory_order_relaxed);
            atomic_store_explicit(&e->key, want, memory_order_release);
        }
        return rule;
    }
    return walkable_rule(ra);
}

/* The rule for ra: from the thread's own small cache when it was looked up
 * lately, else from the shared table.  The table's 2 MiB are probed at
 * random, a cache (and, under a hypervisor, costly TLB) miss per frame: on a
 * Python workload that was a sixth of the walk's time, while the frames a
 * thread walks afresh come from a few thousand return addresses.  The key
 * carries the generation, so a dlopen or dlclose retires these entries too. */
static uint64_t rule_for(struct mt_thread *t, uintptr_t ra, uint64_t tag)
{
    uint64_t want = ra | tag;
    unsigned k = (unsigned)(((uint64_t)ra * 0x9e3779b97f4a7c15ull) >> (64 - MT_RULE_CACHE_BITS));
    if (t->rule_key[k] == want)
        return t->rule_value[k];
    uint64_t rule = shared_rule_for(ra, tag);
    t->rule_key[k] = want;
    t->rule_value[k] = rule;
    return rule;
}

/* Whether every slot the cached walk read from frame b out to the outermost
 * frame still holds what it held (an rbp only where the rest of the walk
 * depends on it): then the walk from b on would be the cached one. */
static int cached_reads_hold(const struct mt_walk_cache *c, int b)
{
    const struct mt_slot_check *k = c->check, *end = c->check + c->checks_to[b];
    /* two at a time, one branch for both: a deep stack has dozens, all
     * checked on every allocation that hits the cache */
    for (; end - k >= 2; k += 2)
        if ((*(const uintptr_t *)k[0].slot ^ k[0].value) | (*(const uintptr_t *)k[1].slot ^ k[1].value))
            return 0;
    return k == end || *(const uintptr_t *)k->slot == k->value;
}

/* Steps out of the frame in state (*ra, *sp, *bp) by the rule for its
 * return address: records that state in f, with the slots it reads and
 * whether its CFA comes from rbp, and leaves the caller's state in *ra, *sp,
 * *bp (ra 0 at the end of the stack).  The state travels in scalars, not in
 * a struct copied into f: gcc copied such a struct with 16-byte loads of
 * fields just stored 8 bytes at a time (a store-forwarding stall per frame).
 * Returns 1 when the frame is the outermost, 0 after a step, -1 when
 * libunwind must walk. */
static int step(struct mt_thread *t, struct mt_frame_state *f, uint64_t tag, uintptr_t *ra, uintptr_t *sp,
                uintptr_t *bp)
{
    uintptr_t here_sp = *sp, here_bp = *bp;
    f->ra = *ra;
    f->sp = here_sp;
    f->bp = here_bp;
    f->ra_slot = f->bp_slot = 0;
    f->cfa_from_bp = 0;
    if (*ra >> ADDRESS_BITS)
        return -1;
    uint64_t rule = rule_for(t, *ra, tag);
    uint64_t kind = rule & MT_RULE_KIND_MASK;
    if (kind == MT_RULE_TERMINAL)
        return 1;
    if (kind != MT_RULE_STEP) {
        /* the end of the stack as libunwind sees it; the outcome depends on
         * rbp, which a cached walk must then find the same */
        f->cfa_from_bp = rule == MT_RULE_NO_INFO && here_bp == 0;
        return f->cfa_from_bp ? 1 : -1;
    }
    uintptr_t cfa = ((rule & MT_RULE_CFA_FROM_RBP) ? here_bp : here_sp) + (uint32_t)(rule >> 32);
    uintptr_t ra_at = cfa + (int8_t)(rule >> 24), bp_at = cfa + (int16_t)(rule >> 8);
    /* every slot read lies in this frame, between its stack pointer and its
     * CFA: for a CFA from rsp walkable_rule made sure of it */
    if ((rule & MT_RULE_CFA_FROM_RBP) &&
        (cfa <= here_sp || cfa - here_sp > MAX_FRAME_SIZE || ra_at < here_sp || ra_at + 8 > cfa ||
         ((rule & MT_RULE_RBP_SAVED) && (bp_at < here_sp || bp_at + 8 > cfa))))
        return -1;
    f->ra_slot = ra_at;
    f->cfa_from_bp = (rule & MT_RULE_CFA_FROM_RBP) != 0;
    if (rule & MT_RULE_RBP_SAVED) {
        f->bp_slot = bp_at;
        *bp = *(const uintptr_t *)bp_at;
    }
    *ra = *(const uintptr_t *)ra_at;
    *sp = cfa;
    return *ra ? 0 : 1;
}

/* Copies the walk into the cache, outermost frame first: `fresh` frames
 * (innermost first) on top of cached frames [0, keep), with the reads a later
 * walk must find unchanged to reuse them. */
static void remember_walk(struct mt_walk_cache *c, const struct mt_frame_state *fresh, int n, int keep,
                          unsigned generation)
{
    if (keep + n > (int)MT_MAX_DEPTH) {
        c->n = 0;
        return;
    }
    uint64_t h = keep ? c->hash[keep - 1] : MT_STACK_HASH_SEED;
    unsigned checks = keep ? c->checks_to[keep - 1] : 0;
    /* the next outer frame's state, carried from one frame to the next */
    uintptr_t outer_ra = keep ? c->ra[keep - 1] : 0, outer_bp = keep ? c->bp[keep - 1] : 0;
    int outer_needs_bp = keep ? c->needs_bp[keep - 1] : 0;
    for (int k = keep; k < keep + n; k++) {
        const struct mt_frame_state *f = &fresh[keep + n - 1 - k];
        c->ra[k] = f->ra;
        c->sp[k] = f->sp;
        c->bp[k] = f->bp;
        h = c->hash[k] = mt_stack_hash_step(h, f->ra);
        if (f->ra_slot) { /* else the outermost frame by its rule: nothing is read */
            c->check[checks++] = (struct mt_slot_check){f->ra_slot, outer_ra};
            if (f->bp_slot && outer_needs_bp)
                c->check[checks++] = (struct mt_slot_check){f->bp_slot, outer_bp};
        }
        c->checks_to[k] = (uint16_t)checks;
        outer_needs_bp = c->needs_bp[k] = f->cfa_from_bp || (!f->bp_slot && outer_needs_bp);
        outer_ra = f->ra;
        outer_bp = f->bp;
    }
    c->n = (unsigned)(keep + n);
    c->generation = generation;
}

/* mt_stack_hash of the first `count` frames of the thread's last walk (as
 * mt_unwind_frames gives them), without copying them out: a stack cut at
 * the depth limit, whose hash the cache does not hold. */
static uint64_t hash_of_last_walk(const struct mt_thread *t, int count)
{
    int n = t->walk_fresh, keep = t->walk_kept;
    uint64_t h = MT_STACK_HASH_SEED;
    for (int i = count - 1; i >= 0; i--)
        h = mt_stack_hash_step(h, i < n ? t->fresh_walk[i].ra : t->walk.ra[keep + n - 1 - i]);
    return h;
}

/* Walks the calling thread's stack from the first return address outside
 * libtrack, at most max frames, with *truncated set when there were more and
 * *hash the mt_stack_hash of the frames kept.  Returns how many, or -1 when
 * some frame needs libunwind.  The return addresses stay in t until its next
 * walk, for mt_unwind_frames: most stacks are known already, and their hash
 * is all the caller needs (copying 64 frames out of the cache for each
 * allocation was about a sixth of the walk's time on a Python workload).
 *
 * Each thread keeps its last complete walk (t->walk).  When the walk reaches
 * a frame in the same state (return address, stack and frame pointers) as a
 * cached one, and every slot the cached walk read below it still holds what
 * it held, the rest of the walk is the cached one: the walk is a function of
 * that state and those slots.  A program allocating in a loop deep in its
 * stack thus pays for the frames that changed, not for the whole stack. */
__attribute__((noinline)) int mt_unwind(struct mt_thread *t, int max, int *truncated, uint64_t *hash)
{
    if (!table || atomic_load_explicit(&loader_busy, memory_order_acquire))
        return -1;
    unsigned generation = atomic_load_explicit(&generation_now, memory_order_relaxed);
    uint64_t tag = (uint64_t)generation << ADDRESS_BITS;
    const uintptr_t *fp = t->hook_frame ? t->hook_frame : __builtin_frame_address(0);
    while (fp[1] >= mt_self_text_start && fp[1] < mt_self_text_end)
        fp = (const uintptr_t *)fp[0];
    uintptr_t ra = fp[1], sp = (uintptr_t)(fp + 2), bp = fp[0]; /* the frame the walk is at */
    struct mt_walk_cache *c = &t->walk;
    struct mt_frame_state *fresh = t->fresh_walk;
    int j = c->generation == generation ? (int)c->n : 0; /* cached frames still to compare: [0, j) */
    int n = 0, keep = 0, end = ra == 0;
    while (!end && keep == 0) {
        if (n == (int)MT_MAX_DEPTH) {
            keep = -1; /* deeper than any walk kept: not cached, and cut */
            break;
        }
        while (j > 0 && c->sp[j - 1] < sp)
            j--;
        if (j > 0 && c->sp[j - 1] == sp && c->ra[j - 1] == ra && (!c->needs_bp[j - 1] || c->bp[j - 1] == bp)) {
            if (cached_reads_hold(c, j - 1)) {
                keep = j;
                break;
            }
            /* the same call site at the same depth, reached another way: the
             * rest is walked afresh (the cached frames' rbp may be stale where
             * it did not matter to them, and may matter to the new outer ones) */
            j = 0;
        }
        int r = step(t, &fresh[n++], tag, &ra, &sp, &bp);
        if (r < 0)
            return -1;
        end = r;
    }
    if (keep >= 0)
        remember_walk(c, fresh, n, keep, generation);
    else
        c->n = 0;
    t->walk_fresh = n;
    t->walk_kept = keep > 0 ? keep : 0;
    int cached = keep >= 0 && c->n == (unsigned)(keep + n);
    int total = keep >= 0 ? n + keep : n + 1; /* not cached: more than the n frames walked */
    int available = keep >= 0 ? total : n;
    int out = available < max ? available : max;
    *truncated = total > max;
    if (out == 0) {
        *hash = 0; /* no frame (the first return address is 0): no stack, and no cached frame to read */
    } else if (cached && !*truncated) {
        *hash = c->hash[c->n - 1];
    } else {
        *hash = hash_of_last_walk(t, out);
    }
    return out;
}

/* The first `count` return addresses of the thread's last walk, innermost
 * first: the frames walked afresh, then the cached ones it kept.  (When the
 * walk was remembered, the fresh frames were copied to the cache too; read
 * from fresh_walk they are the same.) */
void mt_unwind_frames(const struct mt_thread *t, void **ips, int count)
{
    int n = t->walk_fresh, keep = t->walk_kept;
    for (int i = 0; i < count; i++)
        ips[i] = (void *)(i < n ? t->fresh_walk[i].ra : t->walk.ra[keep + n - 1 - i]);
}

void mt_unwind_own_ranges(mt_range_fn fn, void *arg)
{
    if (table)
        fn((uintptr_t)table, (uintptr_t)(table + TABLE_SIZE), arg);
}
