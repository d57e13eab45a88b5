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
 * with -fno-omit-frame-pointer), down to the first return address outside it.
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
#include "internal.h"

#define TABLE_BITS 17
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_PROBES 16
#define KEY_BUSY (1ull << 63)
#define ADDRESS_BITS 48
#define GENERATION_MASK 0x7fffull
/* A caller's frame lies above its callee's; one more than this far above the
 * first frame means the rules went wrong. */
#define MAX_STACK_SPAN (1ull << 30)

struct entry {
    _Atomic uint64_t key;
    _Atomic uint64_t rule;
};

static struct entry *table;
static atomic_uint generation = 1;
static atomic_int loader_busy;

void mt_unwind_init(void)
{
    if (table)
        return;
    void *mem = mmap(NULL, TABLE_SIZE * sizeof(struct entry), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem != MAP_FAILED)
        table = mem;
}

void mt_unwind_loader_enter(void)
{
    atomic_fetch_add(&loader_busy, 1);
}

void mt_unwind_loader_leave(void)
{
    unsigned g = atomic_load(&generation);
    unsigned next = (g + 1) & GENERATION_MASK;
    atomic_store(&generation, next ? next : 1);
    atomic_fetch_sub(&loader_busy, 1);
}

static uint32_t slot_of(uintptr_t ra)
{
    uint64_t h = (uint64_t)ra * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> (64 - TABLE_BITS));
}

/* The cached rule for ra under generation key bits `tag`, computing and
 * caching it on a miss. */
static uint64_t rule_for(uintptr_t ra, uint64_t tag)
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
        uint64_t rule = mt_eh_frame_rule(ra);
        if (atomic_compare_exchange_strong(&e->key, &key, want | KEY_BUSY)) {
            atomic_store_explicit(&e->rule, rule, memory_order_relaxed);
            atomic_store_explicit(&e->key, want, memory_order_release);
        }
        return rule;
    }
    return mt_eh_frame_rule(ra);
}

/* Stores in ips[] the return addresses of the calling thread, from the first
 * one outside libtrack, at most max of them; returns how many, or -1 when some
 * frame needs libunwind. */
__attribute__((noinline)) int mt_unwind(void **ips, int max)
{
    if (!table || atomic_load_explicit(&loader_busy, memory_order_acquire))
        return -1;
    uint64_t tag = (uint64_t)atomic_load_explicit(&generation, memory_order_relaxed) << ADDRESS_BITS;
    const uintptr_t *fp = __builtin_frame_address(0);
    uintptr_t ra = fp[1];
    while (ra >= mt_self_text_start && ra < mt_self_text_end) {
        fp = (const uintptr_t *)fp[0];
        ra = fp[1];
    }
    uintptr_t sp = (uintptr_t)(fp + 2), bp = fp[0];
    const uintptr_t first_sp = sp;
    int n = 0;
    while (n < max && ra) {
        if (ra >> ADDRESS_BITS)
            return -1;
        ips[n++] = (void *)ra;
        uint64_t rule = rule_for(ra, tag);
        uint64_t kind = rule & MT_RULE_KIND_MASK;
        if (kind == MT_RULE_TERMINAL)
            break;
        if (kind != MT_RULE_STEP)
            return -1;
        uintptr_t cfa = ((rule & MT_RULE_CFA_FROM_RBP) ? bp : sp) + (uint32_t)(rule >> 32);
        uintptr_t ra_at = cfa + (int8_t)(rule >> 24), bp_at = cfa + (int16_t)(rule >> 8);
        /* every slot read lies in this frame: between its stack pointer and its CFA */
        if (cfa <= sp || cfa - first_sp > MAX_STACK_SPAN || ra_at < sp || ra_at + 8 > cfa ||
            ((rule & MT_RULE_RBP_SAVED) && (bp_at < sp || bp_at + 8 > cfa)))
            return -1;
        if (rule & MT_RULE_RBP_SAVED)
            bp = *(const uintptr_t *)bp_at;
        ra = *(const uintptr_t *)ra_at;
        sp = cfa;
    }
    return n;
}

void mt_unwind_own_ranges(mt_range_fn fn, void *arg)
{
    if (table)
        fn((uintptr_t)table, (uintptr_t)(table + TABLE_SIZE), arg);
}
