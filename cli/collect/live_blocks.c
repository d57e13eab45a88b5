/*
 * live_blocks.c - the collector's table of a process's live blocks, by id.
 *
 * libtrack numbers each thread's blocks in order (id = thread << 40 |
 * sequence, mt_new_block_id), so a thread's blocks are kept in chunks of
 * CHUNK_BLOCKS consecutive sequence numbers, each an array indexed by
 * sequence: a new block goes into its thread's newest chunk, which is in the
 * cache, and a release finds its block in one indexed access.  A hash map
 * of every live block (what this replaced) put each new block at a random
 * place in hundreds of MiB: on Python holding four million blocks, its
 * inserts, lookups and prefetches were a quarter of the run's samples.
 *
 * Lifetimes mix, so a chunk empties unevenly.  Once fewer than a quarter of
 * an older chunk's blocks are alive, they move to the hash map `sparse` and
 * the chunk is freed; a dense chunk costs 32 bytes a block.  A thread's
 * newest chunk is still being filled and is left alone, but a thread that
 * ended leaves its newest chunk behind for good, and a program may start
 * thousands of threads: when the chunks hold four times more slots than
 * there are live blocks (plus SWEEP_SLACK chunks), every chunk under a
 * quarter full, newest ones included, moves to the hash map.  So memory
 * stays within about four slots per live block however the program mixes
 * lifetimes and threads.  Ids that arrive below a thread's first chunk (a
 * fork child's inherited blocks, after its own) go to `sparse` too.
 *
 * Invariants: a live id is in exactly one place, a chunk slot (function !=
 * 0) or `sparse`; a run's chunks[i] holds chunk number first + i, or is NULL
 * when freed or never made; chunks are made only at number `newest` or
 * above, so an id whose chunk is gone or was never made stays in `sparse`
 * (a swept newest chunk moves `newest` past itself); `count` is the number
 * of live ids and `chunks` the number of chunks made and not freed.
 */
#include "collect/live_blocks.h"
#include "protocol.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_BITS 10
#define CHUNK_BLOCKS (1u << CHUNK_BITS)
#define SEQUENCE_BITS 40 /* libtrack's mt_new_block_id */
/* A chunk this sparse gives its blocks to the hash map. */
#define SPARSE_BELOW (CHUNK_BLOCKS / 4)
/* Chunks allowed beyond four slots per live block before a sweep. */
#define SWEEP_SLACK 256
/* A placeholder `function` marking a slot used until the caller fills it. */
#define SLOT_TAKEN 31
_Static_assert(MT_FN_END <= SLOT_TAKEN, "no function is SLOT_TAKEN");
_Static_assert(MT_LEAK_END <= 8 && MT_HEURISTIC_END <= 8, "kinds and heuristics fit in 3 bits");
_Static_assert(sizeof(struct mt_live_block) == 24, "a live block is 24 bytes");

#define ADDRESS_BITS 48
#define SIZE_BITS 36

/* The address and size of a wide block. */
struct wide_extent {
    uint64_t address, size;
};

struct chunk {
    uint32_t live;
    struct mt_live_block blocks[CHUNK_BLOCKS];
};

/* One thread's chunks. */
struct live_run {
    uint64_t thread;       /* the thread number of its ids */
    uint64_t first;        /* chunk number of chunks[0] */
    uint64_t newest;       /* the highest chunk number made: still filling, never retired */
    size_t count, cap;
    struct chunk **chunks;
};

void live_blocks_init(struct live_blocks *lb)
{
    u64map_init(&lb->threads, sizeof(struct live_run));
    u64map_init(&lb->sparse, sizeof(struct mt_live_block));
    u64map_init(&lb->wide, sizeof(struct wide_extent));
    lb->count = 0;
    lb->chunks = 0;
}

void live_blocks_free(struct live_blocks *lb)
{
    void *v;
    for (size_t i = 0; u64map_next(&lb->threads, &i, NULL, &v);) {
        struct live_run *run = v;
        for (size_t c = 0; c < run->count; c++)
            free(run->chunks[c]);
        free(run->chunks);
    }
    u64map_free(&lb->threads);
    u64map_free(&lb->sparse);
    u64map_free(&lb->wide);
    lb->count = 0;
    lb->chunks = 0;
}

static uint64_t thread_of(uint64_t id)
{
    return id >> SEQUENCE_BITS;
}

static uint64_t chunk_number(uint64_t id)
{
    return (id & (((uint64_t)1 << SEQUENCE_BITS) - 1)) >> CHUNK_BITS;
}

static struct mt_live_block *slot_of(struct chunk *chunk, uint64_t id)
{
    return &chunk->blocks[id & (CHUNK_BLOCKS - 1)];
}

static struct live_run *run_of(struct live_blocks *lb, uint64_t id)
{
    return lb->threads.count ? u64map_get(&lb->threads, thread_of(id) + 1) : NULL;
}

/* The chunk of ID in RUN if it exists, else NULL. */
static struct chunk *chunk_of(const struct live_run *run, uint64_t id)
{
    uint64_t n = chunk_number(id);
    return run != NULL && n >= run->first && n - run->first < run->count ? run->chunks[n - run->first] : NULL;
}

/* Drops the retired chunks at the front of RUN (none is the newest). */
static void drop_retired(struct live_run *run)
{
    size_t dead = 0;
    while (dead < run->count && run->chunks[dead] == NULL && run->first + dead < run->newest)
        dead++;
    if (dead == 0)
        return;
    memmove(run->chunks, run->chunks + dead, (run->count - dead) * sizeof *run->chunks);
    run->count -= dead;
    run->first += dead;
}

/* Makes RUN's array reach chunk number N (>= run->first); 0, or -1 when
 * memory ran out. */
static int reach(struct live_run *run, uint64_t n)
{
    if (n - run->first < run->count)
        return 0;
    drop_retired(run);
    size_t need = (size_t)(n - run->first) + 1;
    if (need > run->cap) {
        size_t cap = run->cap ? run->cap * 2 : 16;
        while (cap < need)
            cap *= 2;
        struct chunk **grown = realloc(run->chunks, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        run->chunks = grown;
        run->cap = cap;
    }
    memset(run->chunks + run->count, 0, (need - run->count) * sizeof *run->chunks);
    run->count = need;
    return 0;
}

static void bound_chunks(struct live_blocks *lb);

/* The chunk that new block ID goes to, made if need be; NULL when ID belongs
 * in `sparse` (its chunk number is below the thread's first chunk, or was
 * retired) or memory ran out (*failed set). */
static struct chunk *chunk_for_new(struct live_blocks *lb, uint64_t id, int *failed)
{
    uint64_t n = chunk_number(id);
    struct live_run *run = run_of(lb, id);
    if (run == NULL) {
        run = u64map_put(&lb->threads, thread_of(id) + 1, NULL);
        if (run == NULL) {
            *failed = 1;
            return NULL;
        }
        *run = (struct live_run){.thread = thread_of(id), .first = n, .newest = n};
    }
    int made = n >= run->first && n - run->first < run->count && run->chunks[n - run->first] != NULL;
    if (!made && (n < run->first || n < run->newest))
        return NULL; /* retired, or older than the chunks kept: the hash map keeps it */
    if (!made) {
        bound_chunks(lb); /* before the new chunk exists: a sweep leaves n at or above newest */
        if (reach(run, n) != 0 || (run->chunks[n - run->first] = calloc(1, sizeof(struct chunk))) == NULL) {
            *failed = 1;
            return NULL;
        }
        run->newest = n;
        lb->chunks++;
    }
    return run->chunks[n - run->first];
}

/* An id has one place, whatever came before: the chunk slot chunk_for_new
 * gives, else the hash map (chunks are made only at a thread's newest end,
 * so an id once sent to the hash map never finds a chunk later).  So a
 * new block costs no lookup in the hash map unless it goes there. */
struct mt_live_block *live_blocks_put(struct live_blocks *lb, uint64_t id)
{
    int failed = 0, created = 1;
    struct chunk *chunk = chunk_for_new(lb, id, &failed);
    struct mt_live_block *b = NULL;
    if (chunk != NULL) {
        b = slot_of(chunk, id);
        created = b->function == 0;
        chunk->live += created;
    } else if (!failed) {
        b = u64map_put(&lb->sparse, id, &created);
    }
    if (b == NULL || !created)
        return b;
    *b = (struct mt_live_block){.function = SLOT_TAKEN};
    lb->count++;
    return b;
}

struct mt_live_block *live_blocks_get(struct live_blocks *lb, uint64_t id)
{
    struct chunk *chunk = chunk_of(run_of(lb, id), id);
    if (chunk != NULL && slot_of(chunk, id)->function != 0)
        return slot_of(chunk, id);
    return lb->sparse.count ? u64map_get(&lb->sparse, id) : NULL;
}

/* Moves the live blocks of RUN's chunk at index I to `sparse` and frees the
 * chunk.  A block that finds no room stays lost to the table, as one that
 * finds none when it arrives. */
static void make_sparse(struct live_blocks *lb, struct live_run *run, size_t i)
{
    struct chunk *chunk = run->chunks[i];
    uint64_t base = run->thread << SEQUENCE_BITS | (run->first + i) << CHUNK_BITS;
    for (size_t k = 0; k < CHUNK_BLOCKS && chunk->live > 0; k++) {
        if (chunk->blocks[k].function == 0)
            continue;
        chunk->live--;
        struct mt_live_block *moved = u64map_put(&lb->sparse, base | k, NULL);
        if (moved != NULL)
            *moved = chunk->blocks[k];
        else
            lb->count--;
    }
    free(chunk);
    run->chunks[i] = NULL;
    lb->chunks--;
}

/* Moves every chunk under a quarter full, a thread's newest included, to
 * `sparse`; a thread whose newest chunk goes starts a new chunk with its
 * next chunk number (ids still to come in this one go to `sparse`). */
static void sweep(struct live_blocks *lb)
{
    void *v;
    for (size_t i = 0; u64map_next(&lb->threads, &i, NULL, &v);) {
        struct live_run *run = v;
        for (size_t c = 0; c < run->count; c++) {
            if (run->chunks[c] == NULL || run->chunks[c]->live >= SPARSE_BELOW)
                continue;
            if (run->first + c == run->newest)
                run->newest++;
            make_sparse(lb, run, c);
        }
    }
}

/* Sweeps when the chunks hold too many empty slots (see the top). */
static void bound_chunks(struct live_blocks *lb)
{
    if (lb->chunks > SWEEP_SLACK && (lb->chunks - SWEEP_SLACK) * CHUNK_BLOCKS > 4 * lb->count)
        sweep(lb);
}

int live_block_set_extent(struct live_blocks *lb, uint64_t id, struct mt_live_block *b, uint64_t address,
                          uint64_t size)
{
    b->wide = address >> ADDRESS_BITS || size >> SIZE_BITS;
    if (b->wide) {
        struct wide_extent *e = u64map_put(&lb->wide, id, NULL);
        if (e == NULL) {
            live_blocks_remove(lb, id);
            return -1;
        }
        *e = (struct wide_extent){address, size};
    }
    b->address_low = address & (((uint64_t)1 << ADDRESS_BITS) - 1);
    b->size_low = (uint32_t)size;
    b->size_high = (size >> 32) & 15;
    return 0;
}

uint64_t live_block_address(const struct live_blocks *lb, uint64_t id, const struct mt_live_block *b)
{
    const struct wide_extent *e = b->wide ? u64map_get(&lb->wide, id) : NULL;
    return e ? e->address : b->address_low;
}

uint64_t live_block_size(const struct live_blocks *lb, uint64_t id, const struct mt_live_block *b)
{
    const struct wide_extent *e = b->wide ? u64map_get(&lb->wide, id) : NULL;
    return e ? e->size : (uint64_t)b->size_high << 32 | b->size_low;
}

void live_blocks_remove(struct live_blocks *lb, uint64_t id)
{
    if (lb->wide.count) /* rarely: only while a wide block lives */
        u64map_remove(&lb->wide, id);
    struct live_run *run = run_of(lb, id);
    struct chunk *chunk = chunk_of(run, id);
    if (chunk == NULL || slot_of(chunk, id)->function == 0) {
        if (lb->sparse.count && u64map_remove(&lb->sparse, id))
            lb->count--;
        return;
    }
    *slot_of(chunk, id) = (struct mt_live_block){0};
    lb->count--;
    chunk->live--;
    uint64_t n = chunk_number(id);
    if (n == run->newest || chunk->live >= SPARSE_BELOW)
        return;
    if (chunk->live == 0) {
        free(chunk);
        run->chunks[n - run->first] = NULL;
        lb->chunks--;
    } else {
        make_sparse(lb, run, (size_t)(n - run->first));
    }
}

void live_blocks_prefetch(struct live_blocks *lb, uint64_t id)
{
    struct chunk *chunk = chunk_of(run_of(lb, id), id);
    if (chunk != NULL)
        __builtin_prefetch(slot_of(chunk, id), 1, 2);
    else if (lb->sparse.count)
        u64map_prefetch(&lb->sparse, id);
}

void live_blocks_for_each(const struct live_blocks *lb,
                          void (*fn)(uint64_t id, const struct mt_live_block *b, void *arg), void *arg)
{
    void *v;
    for (size_t i = 0; u64map_next(&lb->threads, &i, NULL, &v);) {
        const struct live_run *run = v;
        for (size_t c = 0; c < run->count; c++) {
            struct chunk *chunk = run->chunks[c];
            uint64_t base = run->thread << SEQUENCE_BITS | (run->first + c) << CHUNK_BITS;
            for (size_t k = 0; chunk != NULL && k < CHUNK_BLOCKS; k++)
                if (chunk->blocks[k].function != 0)
                    fn(base | k, &chunk->blocks[k], arg);
        }
    }
    uint64_t id;
    for (size_t i = 0; u64map_next(&lb->sparse, &i, &id, &v);)
        fn(id, v, arg);
}
