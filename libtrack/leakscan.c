/*
 * leakscan.c - classifying the blocks alive at exit, with memcheck's rules.
 *
 *  - A block pointed to at its start from a root, or from a reachable block,
 *    is "reachable"; one reached only through some interior pointer is
 *    "possible".  Zero-size blocks count as one byte wide.
 *  - An interior pointer from a root or a reachable block that one of the
 *    enabled heuristics recognises (interior.c) makes its block "reachable"
 *    too, remembering the heuristic; a start pointer found to it later
 *    clears that (memcheck clears it on any start pointer, and so does this).
 *  - Of the blocks never reached, a block that no other unreached block points
 *    to leads a clique and is "definite"; the blocks reachable from it are
 *    "indirect" (in a pure cycle one block is definite, the rest indirect).
 *
 * The scan runs on a stack of its own (so its frames and the exiting thread's
 * dead frames are not mistaken for roots) with the other threads stopped.
 * Every structure here is mmap'd: the heap must not change under the scan.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <stdatomic.h>
#include "huge_pages.h"
#include "internal.h"
#include "table_arena.h"
#include "interior.h"
#include "roots.h"

enum { UNREACHED, INDIRECT, DEFINITE, POSSIBLE, REACHABLE };

struct node {
    uintptr_t address;
    uint64_t size;
    uint64_t id;
    uint32_t clique; /* index + 1 of the clique leader, for unreached blocks */
    uint8_t state;
    uint8_t heuristic; /* enum mt_heuristic that made it REACHABLE through an interior pointer */
};

/* One 4 KiB granule of the address space in the index: the blocks that
 * start in it, nodes[first, first + count); or with count 0, a granule
 * that no block starts in but block `first` covers (a block reaching past
 * its first granule, of at most COVERED_MAX granules).  number 0: an empty
 * slot (no block lies in the first 4 KiB of the address space). */
struct granule {
    uintptr_t number; /* address >> GRANULE_SHIFT */
    uint32_t first, count;
};

#define GRANULE_SHIFT 12
#define COVERED_MAX 4096 /* granules past its first a block may have in the index (16 MiB) */

struct scan {
    struct node *nodes;
    size_t n, cap;
    struct granule *granules; /* open addressing by granule number; NULL: find searches all nodes */
    size_t granule_mask;      /* slots - 1, a power of two less one */
    uint32_t *crossing;       /* indexes of the blocks that reach more than COVERED_MAX granules past their
                                 first, in address order */
    size_t n_crossing;
    uint32_t *work;
    size_t n_work, cap_work;
    struct mt_range *holes;
    size_t n_holes, cap_holes;
    uintptr_t own_sp;
    uintptr_t heap_hi; /* end of the highest block: most words of memory point nowhere near */
    struct mt_interior interior; /* the heuristics' set and mappings */
    int ok;
};

static struct scan scan;

/* Maps an array of the scan, NULL when it cannot.  From 2 MiB on it is on
 * huge pages (mt_map_table): a compiler's 160,000 blocks at exit filled 5 MB
 * of nodes and 2.5 MB of holes a 4 KiB fault at a time.  Its length to
 * unmap is BYTES, as mt_map_table maps whole small pages. */
static void *map_array(size_t bytes)
{
    size_t mapped;
    void *volatile m = mt_map_table(bytes ? bytes : 1, &mapped);
    return m;
}

static void collect_block(const struct mt_block *b, void *arg)
{
    if (scan.n < scan.cap)
        scan.nodes[scan.n++] = (struct node){b->address, b->size, b->id, 0, UNREACHED, MT_HEURISTIC_NONE};
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = ((const struct node *)a)->address, y = ((const struct node *)b)->address;
    return x < y ? -1 : x > y;
}

static uintptr_t end_of(const struct node *n)
{
    return n->address + (n->size ? n->size : 1);
}

/* The last of nodes[lo, hi) that starts at or below w, or lo - 1 when none
 * does (nodes are sorted by address). */
static long last_at_or_below(uintptr_t w, size_t lo, size_t hi)
{
    if (lo == hi || w < scan.nodes[lo].address)
        return (long)lo - 1;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (scan.nodes[mid].address <= w)
            lo = mid;
        else
            hi = mid;
    }
    return (long)lo;
}

static size_t granule_slot(uintptr_t number)
{
    return (size_t)((number * 0x9e3779b97f4a7c15ull) >> 32) & scan.granule_mask;
}

/* The index entry of granule `number`, or NULL when it has none: no block
 * starts in it, and none but the largest covers it. */
static const struct granule *granule_of(uintptr_t number)
{
    for (size_t i = granule_slot(number);; i = (i + 1) & scan.granule_mask) {
        const struct granule *g = &scan.granules[i];
        if (!g->number)
            return NULL;
        if (g->number == number)
            return g;
    }
}

/* The block containing address w (start or interior), or -1.  Blocks never
 * overlap, so only the last block starting at or below w can hold it.
 * Every word of every root and reached block comes here, most of them
 * pointers: a binary search of all the blocks missed the cache at nearly
 * every step (a compiler holding 160,000 blocks at exit spent a tenth of its
 * traced run's end here).  The granule index narrows the search to the
 * blocks starting in w's 4 KiB, which lie together, or names the block that
 * covers it; a w whose granule has no entry can only be inside one of the
 * few blocks too large for the index.  Most such words point into no block
 * at all (a compiler's heap is full of pointers to its code and vtables,
 * between its heap and its largest blocks): one probe answers them. */
static long find(uintptr_t w)
{
    if (!scan.n || w < scan.nodes[0].address || w >= scan.heap_hi)
        return -1;
    long i;
    if (!scan.granules) {
        i = last_at_or_below(w, 0, scan.n);
    } else {
        const struct granule *g = granule_of(w >> GRANULE_SHIFT);
        if (g && !g->count) {
            i = g->first;
        } else if (g) {
            /* below the granule's first start: the block before it, which may reach into it */
            i = last_at_or_below(w, g->first, g->first + g->count);
        } else {
            size_t lo = 0, hi = scan.n_crossing; /* the crossing blocks starting at or below w: [0, lo) */
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (scan.nodes[scan.crossing[mid]].address <= w)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            i = lo ? (long)scan.crossing[lo - 1] : -1;
        }
    }
    return i >= 0 && w < end_of(&scan.nodes[i]) ? i : -1;
}

/* The number of granules past its first that node n reaches into. */
static uintptr_t granules_past_first(const struct node *n)
{
    return ((end_of(n) - 1) >> GRANULE_SHIFT) - (n->address >> GRANULE_SHIFT);
}

/* Puts granule `number` in the index (there is room), and returns its entry. */
static struct granule *add_granule(uintptr_t number, uint32_t first, uint32_t count)
{
    size_t k = granule_slot(number);
    while (scan.granules[k].number)
        k = (k + 1) & scan.granule_mask;
    scan.granules[k] = (struct granule){number, first, count};
    return &scan.granules[k];
}

/* Builds the granule index and the crossing list over the sorted nodes.
 * Their memory is mapped here and left out of the roots by build_holes.  When
 * it cannot be mapped, find searches every node, as slowly as before. */
static void build_granules(void)
{
    size_t entries = 0, crossing = 0;
    for (size_t i = 0; i < scan.n; i++) {
        uintptr_t number = scan.nodes[i].address >> GRANULE_SHIFT;
        if (!i || number != scan.nodes[i - 1].address >> GRANULE_SHIFT)
            entries++;
        uintptr_t past = granules_past_first(&scan.nodes[i]);
        if (past > COVERED_MAX)
            crossing++;
        else
            entries += past; /* at most: the last may turn out to be a start's entry */
    }
    size_t slots = 16;
    while (slots < entries + entries / 3) /* at most 3/4 full: short probe runs */
        slots *= 2;
    scan.granules = map_array(slots * sizeof *scan.granules);
    scan.crossing = map_array(crossing * sizeof *scan.crossing);
    if (!scan.granules || !scan.crossing) {
        if (scan.granules)
            munmap(scan.granules, slots * sizeof *scan.granules);
        if (scan.crossing)
            munmap(scan.crossing, crossing * sizeof *scan.crossing);
        scan.granules = NULL;
        scan.crossing = NULL;
        return;
    }
    scan.granule_mask = slots - 1;
    struct granule *g = NULL; /* the entry of the highest granule indexed so far */
    for (size_t i = 0; i < scan.n; i++) {
        uintptr_t number = scan.nodes[i].address >> GRANULE_SHIFT;
        if (g && g->number == number && !g->count) /* covered by the block before: now it starts one */
            *g = (struct granule){number, (uint32_t)i, 0};
        else if (!g || g->number != number)
            g = add_granule(number, (uint32_t)i, 0);
        g->count++;
        uintptr_t past = granules_past_first(&scan.nodes[i]);
        if (past > COVERED_MAX)
            scan.crossing[scan.n_crossing++] = (uint32_t)i;
        else
            for (uintptr_t k = 1; k <= past; k++)
                g = add_granule(number + k, (uint32_t)i, 0);
    }
}

/* Unmaps what build_granules mapped. */
static void free_granules(void)
{
    if (scan.granules)
        munmap(scan.granules, (scan.granule_mask + 1) * sizeof *scan.granules);
    if (scan.crossing)
        munmap(scan.crossing, (scan.n_crossing ? scan.n_crossing : 1) * sizeof *scan.crossing);
}

/* Appends a hole, doubling the array when full: a hole that did not fit
 * would turn libtrack's own memory into a root. */
static void add_hole(uintptr_t lo, uintptr_t hi, void *arg)
{
    if (scan.n_holes == scan.cap_holes) {
        struct mt_range *grown = map_array(2 * scan.cap_holes * sizeof *grown);
        if (!grown)
            return;
        memcpy(grown, scan.holes, scan.n_holes * sizeof *grown);
        munmap(scan.holes, scan.cap_holes * sizeof *grown);
        scan.holes = grown;
        scan.cap_holes *= 2;
        add_hole((uintptr_t)grown, (uintptr_t)(grown + scan.cap_holes), NULL);
    }
    scan.holes[scan.n_holes++] = (struct mt_range){lo, hi};
}

static int by_lo(const void *a, const void *b)
{
    uintptr_t x = ((const struct mt_range *)a)->lo, y = ((const struct mt_range *)b)->lo;
    return x < y ? -1 : x > y;
}

/* Everything cut out of the roots: live blocks (they are scanned as blocks,
 * when reached), quarantined memory, and libtrack's own memory, this scan's
 * included.  Sorted and merged so that no two holes overlap. */
static void build_holes(void *stack, size_t stack_size)
{
    for (size_t i = 0; i < scan.n; i++)
        add_hole(scan.nodes[i].address, end_of(&scan.nodes[i]), NULL);
    mt_threads_held_ranges(add_hole, NULL);
    mt_blocks_own_ranges(add_hole, NULL);
    mt_table_arenas_own_ranges(add_hole, NULL); /* with their unused and given-back parts */
    mt_stacks_own_ranges(add_hole, NULL);
    mt_unwind_own_ranges(add_hole, NULL);
    mt_threads_own_ranges(add_hole, NULL);
    mt_segments_own_ranges(add_hole, NULL);
    mt_self_own_ranges(add_hole, NULL);
    add_hole((uintptr_t)scan.nodes, (uintptr_t)(scan.nodes + scan.cap), NULL);
    add_hole((uintptr_t)scan.work, (uintptr_t)(scan.work + scan.cap_work), NULL);
    if (scan.granules) {
        add_hole((uintptr_t)scan.granules, (uintptr_t)(scan.granules + scan.granule_mask + 1), NULL);
        add_hole((uintptr_t)scan.crossing, (uintptr_t)(scan.crossing + scan.n_crossing), NULL);
    }
    add_hole((uintptr_t)stack, (uintptr_t)stack + stack_size, NULL);
    qsort(scan.holes, scan.n_holes, sizeof *scan.holes, by_lo);
    size_t kept = 0;
    for (size_t i = 0; i < scan.n_holes; i++) {
        if (kept && scan.holes[i].lo <= scan.holes[kept - 1].hi) {
            if (scan.holes[i].hi > scan.holes[kept - 1].hi)
                scan.holes[kept - 1].hi = scan.holes[i].hi;
        } else {
            scan.holes[kept++] = scan.holes[i];
        }
    }
    scan.n_holes = kept;
}

static void push(uint32_t i)
{
    if (scan.n_work < scan.cap_work)
        scan.work[scan.n_work++] = i;
}

#define BATCH 64 /* words filtered and prefetched before any is looked up */

/* Copies to OUT the words of W[0, N) that lie between the lowest block's
 * start and the highest block's end, and starts loading their granules'
 * index slots.  Most words of memory lie outside (zeros, small numbers,
 * text), and are not looked up at all; the lookups of the rest, each a
 * probe at a random place of the index, then overlap their cache misses
 * instead of waiting for them one by one.  Returns how many it copied. */
static size_t candidates(const uintptr_t *w, size_t n, uintptr_t *out)
{
    size_t m = 0;
    if (!scan.n)
        return 0;
    uintptr_t lo = scan.nodes[0].address, span = scan.heap_hi - lo;
    for (size_t k = 0; k < n; k++)
        if (w[k] - lo < span) {
            out[m++] = w[k];
            if (scan.granules)
                __builtin_prefetch(&scan.granules[granule_slot(w[k] >> GRANULE_SHIFT)]);
        }
    return m;
}

/* A pointer w seen in memory whose own standing is `from` (REACHABLE for roots). */
static void mark(uintptr_t w, int from)
{
    long i = find(w);
    if (i < 0)
        return;
    struct node *n = &scan.nodes[i];
    if (w == n->address)
        n->heuristic = MT_HEURISTIC_NONE;
    if (n->state == REACHABLE)
        return;
    int state = POSSIBLE;
    if (from == REACHABLE && w == n->address) {
        state = REACHABLE;
    } else if (from == REACHABLE && scan.interior.set) {
        n->heuristic = (uint8_t)mt_interior_heuristic(&scan.interior, n->address, n->size, w);
        if (n->heuristic != MT_HEURISTIC_NONE)
            state = REACHABLE;
    }
    if (state > n->state) {
        n->state = (uint8_t)state;
        push((uint32_t)i);
    }
}

/* True when w, found outside the heap, is the allocator's own pointer to the
 * chunk that follows block n: glibc keeps such pointers in its arena (the top
 * chunk, bin heads), and since a block's last 8 usable bytes overlap the next
 * chunk's header, they look like an interior pointer into n.  memcheck never
 * sees them: it replaces the allocator. */
static int is_next_chunk_pointer(const struct node *n, uintptr_t w)
{
    if (!mt_real.malloc_usable_size || w == n->address)
        return 0;
    size_t usable = mt_real.malloc_usable_size((void *)n->address);
    return usable >= 8 && w == n->address + usable - 8;
}

/* A word of a root: a pointer unless it is allocator bookkeeping. */
static void mark_from_root(uintptr_t w)
{
    long i = find(w);
    if (i >= 0 && !is_next_chunk_pointer(&scan.nodes[i], w))
        mark(w, REACHABLE);
}

/* Scans [lo, hi) word by word through mt_read_memory, which answers a fault
 * with an error instead of a crash (a mapping past the end of its file). */
static void scan_root(uintptr_t lo, uintptr_t hi)
{
    static uintptr_t chunk[8192];
    lo = (lo + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
    while (lo + sizeof(uintptr_t) <= hi) {
        size_t want = hi - lo < sizeof chunk ? (size_t)(hi - lo) : sizeof chunk;
        ssize_t got = mt_read_memory(chunk, lo, want);
        if (got <= 0) {
            lo = (lo + 4096) & ~(uintptr_t)4095; /* skip the unreadable page */
            continue;
        }
        size_t words = (size_t)got / sizeof(uintptr_t);
        for (size_t k = 0; k < words; k += BATCH) {
            uintptr_t near[BATCH];
            size_t m = candidates(chunk + k, words - k < BATCH ? words - k : BATCH, near);
            for (size_t j = 0; j < m; j++)
                mark_from_root(near[j]);
        }
        lo += (uintptr_t)got;
    }
}

/* Follows pointers out of every block on the work list. */
static void propagate(void)
{
    while (scan.n_work) {
        const struct node *n = &scan.nodes[scan.work[--scan.n_work]];
        const uintptr_t *w = (const uintptr_t *)n->address;
        int from = n->state; /* constant meanwhile: a block's pointers to itself cannot raise it */
        for (uint64_t k = 0, words = n->size / sizeof(uintptr_t); k < words; k += BATCH) {
            uintptr_t near[BATCH];
            size_t m = candidates(w + k, words - k < BATCH ? (size_t)(words - k) : BATCH, near);
            for (size_t j = 0; j < m; j++)
                mark(near[j], from);
        }
    }
}

/* Leads a clique from unreached block `leader`: every unreached block it
 * reaches becomes indirect, including earlier leaders it reaches. */
static void flood(uint32_t leader)
{
    scan.nodes[leader].state = DEFINITE;
    scan.nodes[leader].clique = leader + 1;
    push(leader);
    while (scan.n_work) {
        const struct node *n = &scan.nodes[scan.work[--scan.n_work]];
        const uintptr_t *w = (const uintptr_t *)n->address;
        for (uint64_t k = 0, words = n->size / sizeof(uintptr_t); k < words; k += BATCH) {
            uintptr_t near[BATCH];
            size_t count = candidates(w + k, words - k < BATCH ? (size_t)(words - k) : BATCH, near);
            for (size_t j = 0; j < count; j++) {
                long i = find(near[j]);
                if (i < 0 || (uint32_t)i == leader)
                    continue;
                struct node *m = &scan.nodes[i];
                if (m->state == UNREACHED || (m->state == DEFINITE && m->clique == (uint32_t)i + 1)) {
                    int was_unreached = m->state == UNREACHED;
                    m->state = INDIRECT;
                    m->clique = leader + 1;
                    if (was_unreached)
                        push((uint32_t)i);
                }
            }
        }
    }
}

static void classify(void)
{
    struct mt_roots roots;
    if (mt_roots_collect(&roots, scan.own_sp, scan.holes, scan.n_holes) != 0)
        return;
    scan.interior.set = mt_options.leak_check_heuristics;
    scan.interior.files = roots.files;
    scan.interior.n_files = roots.n_files;
    for (size_t i = 0; i < roots.n; i++) {
        scan_root(roots.ranges[i].lo, roots.ranges[i].hi);
        propagate();
    }
    for (size_t i = 0; i < roots.n_registers; i++)
        mark(roots.registers[i], REACHABLE);
    propagate();
    mt_roots_free(&roots);
    for (size_t i = 0; i < scan.n; i++)
        if (scan.nodes[i].state == UNREACHED)
            flood((uint32_t)i);
    scan.ok = 1;
}

static ucontext_t caller_context, scan_context;

static void run_classify(void)
{
    classify();
}

static unsigned verdict_of(uint8_t state)
{
    switch (state) {
    case REACHABLE: return MT_LEAK_REACHABLE;
    case POSSIBLE: return MT_LEAK_POSSIBLE;
    case INDIRECT: return MT_LEAK_INDIRECT;
    default: return MT_LEAK_DEFINITE;
    }
}

/* Definite leaks already reported by a check while the program ran (sorted ids). */
static uint64_t *reported;
static size_t n_reported, cap_reported;

static int by_id(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The address of the definite block whose clique holds indirect block i.
 * A leader reached from a later leader's flood turned indirect and joined
 * that clique, but its own members still name it: follow the leaders to
 * the one still definite, as memcheck adds an absorbed clique's bytes to
 * the leader that absorbed it.  Leaders are only ever absorbed by later
 * ones, so the walk ends. */
static uintptr_t clique_owner(size_t i)
{
    uint32_t leader = scan.nodes[i].clique;
    while (leader && scan.nodes[leader - 1].state == INDIRECT && scan.nodes[leader - 1].clique != leader)
        leader = scan.nodes[leader - 1].clique;
    return leader && scan.nodes[leader - 1].state == DEFINITE ? scan.nodes[leader - 1].address : 0;
}

/* Sends a verdict per block (at exit), or only the definite leaks not
 * reported before (a check while the program runs); returns how many of the
 * latter there were. */
static uint64_t send_verdicts(struct mt_thread *t, int only_new_definite)
{
    uint64_t fresh = 0;
    uint64_t *now = NULL;
    size_t n_now = 0;
    if (only_new_definite)
        now = map_array(scan.n * sizeof *now);
    for (size_t i = 0; i < scan.n; i++) {
        unsigned kind = verdict_of(scan.nodes[i].state);
        if (only_new_definite) {
            if (kind != MT_LEAK_DEFINITE || !now)
                continue;
            now[n_now++] = scan.nodes[i].id;
            if (reported && bsearch(&scan.nodes[i].id, reported, n_reported, sizeof *reported, by_id))
                continue;
            fresh++;
        }
        struct mt_rec_verdict *r = mt_record_begin(t, MT_REC_VERDICT, sizeof *r, kind);
        r->block = scan.nodes[i].id;
        r->heuristic = kind == MT_LEAK_REACHABLE ? scan.nodes[i].heuristic : MT_HEURISTIC_NONE;
        r->pad = 0;
        r->owner = kind == MT_LEAK_INDIRECT ? clique_owner(i) : 0;
        mt_record_end(t);
    }
    if (only_new_definite && now) {
        qsort(now, n_now, sizeof *now, by_id);
        if (reported)
            munmap(reported, cap_reported * sizeof *reported);
        reported = now;
        n_reported = n_now;
        cap_reported = scan.n;
    }
    return fresh;
}

/* Set while a scan runs: its state (`scan`, roots.c's stopped threads) is
 * the process's.  memtrack_check_leaks() callers wait for each other (a mutex
 * in client_api.c); a scan at exit or _exit on another thread, which one that
 * blocks the scan's signal can reach while a check runs, finds it set and
 * does not scan. */
static atomic_int scanning;

static int scan_now(struct mt_thread *t, int only_new_definite, uint64_t *new_definite, uintptr_t from_sp);

int mt_leakscan_run(struct mt_thread *t, int only_new_definite, uint64_t *new_definite, uintptr_t from_sp)
{
    if (atomic_exchange(&scanning, 1))
        return 0;
    int ran = scan_now(t, only_new_definite, new_definite, from_sp);
    atomic_store(&scanning, 0);
    return ran;
}

/* mt_leakscan_run, with the scan to itself. */
static int scan_now(struct mt_thread *t, int only_new_definite, uint64_t *new_definite, uintptr_t from_sp)
{
    size_t stack_size = 1 << 20;
    memset(&scan, 0, sizeof scan);
    scan.own_sp = from_sp ? from_sp : (uintptr_t)__builtin_frame_address(0) + MT_ARCH_FRAME_RECORD;
    mt_threads_stop();
    scan.cap = mt_blocks_count() + 16;
    scan.nodes = map_array(scan.cap * sizeof *scan.nodes);
    scan.cap_work = 2 * scan.cap + 1;
    scan.work = map_array(scan.cap_work * sizeof *scan.work);
    scan.cap_holes = scan.cap + 4096;
    scan.holes = map_array(scan.cap_holes * sizeof *scan.holes);
    char *stack = map_array(stack_size);
    if (scan.nodes && scan.work && scan.holes && stack) {
        mt_blocks_for_each(collect_block, NULL);
        qsort(scan.nodes, scan.n, sizeof *scan.nodes, by_address);
        for (size_t i = 0; i < scan.n; i++)
            if (end_of(&scan.nodes[i]) > scan.heap_hi)
                scan.heap_hi = end_of(&scan.nodes[i]);
        build_granules();
        add_hole((uintptr_t)scan.holes, (uintptr_t)(scan.holes + scan.cap_holes), NULL);
        build_holes(stack, stack_size);
        getcontext(&scan_context);
        scan_context.uc_stack.ss_sp = stack;
        scan_context.uc_stack.ss_size = stack_size;
        scan_context.uc_link = &caller_context;
        makecontext(&scan_context, run_classify, 0);
        swapcontext(&caller_context, &scan_context);
    }
    mt_threads_resume();
    uint64_t fresh = scan.ok ? send_verdicts(t, only_new_definite) : 0;
    if (new_definite)
        *new_definite = fresh;
    if (stack)
        munmap(stack, stack_size);
    if (scan.nodes)
        munmap(scan.nodes, scan.cap * sizeof *scan.nodes);
    if (scan.work)
        munmap(scan.work, scan.cap_work * sizeof *scan.work);
    if (scan.holes)
        munmap(scan.holes, scan.cap_holes * sizeof *scan.holes);
    free_granules();
    return scan.ok;
}
