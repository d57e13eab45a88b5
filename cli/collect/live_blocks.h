/*
 * live_blocks.h - the collector's table of a process's live blocks, by block
 * id (live_blocks.c says how it is laid out and why).
 */
#ifndef MEMTRACK_COLLECT_LIVE_BLOCKS_H
#define MEMTRACK_COLLECT_LIVE_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "util/u64map.h"

/* A block the collector knows to be live, in 24 bytes: the collector of a
 * Python holding three million blocks kept 32 for each, 150 MB in all.  An
 * address takes 48 bits (x86-64's user space has 47) and a size 36 (64 GiB);
 * the rare block whose do not fit keeps them whole in live_blocks.wide, and
 * its slot says so.  Address and size are set and read through the
 * functions below, the rest directly.  `function` is never 0 (MT_FN_NONE: the
 * decoder drops such records), which marks a used slot of a chunk. */
struct mt_live_block {
    uint64_t address_low : 48; /* live_block_address() */
    uint64_t function : 5;     /* enum mt_function (< 32) */
    uint64_t kind : 3;         /* enum mt_leak_kind */
    uint64_t heuristic : 3;    /* enum mt_heuristic: how a reachable block was found through an interior pointer */
    uint64_t wide : 1;         /* its address and size are in live_blocks.wide */
    uint64_t size_high : 4;    /* size bits 32-35 (live_block_size()) */
    uint64_t time_ns;
    uint32_t size_low;
    uint32_t stack;
};

struct live_blocks {
    struct u64map threads; /* thread number + 1 -> struct live_run: its chunks */
    struct u64map sparse;  /* block id -> struct mt_live_block: ids outside every chunk */
    struct u64map wide;    /* block id -> struct wide_extent: blocks whose address or size a slot cannot hold */
    size_t count;
    size_t chunks; /* chunks made and not yet freed */
};

void live_blocks_init(struct live_blocks *lb);
void live_blocks_free(struct live_blocks *lb);
/* The block ID, made (zeroed but for `function`, which the caller sets before
 * anything else touches the table) when new; NULL when memory ran out. */
struct mt_live_block *live_blocks_put(struct live_blocks *lb, uint64_t id);
/* The block ID, or NULL. */
struct mt_live_block *live_blocks_get(struct live_blocks *lb, uint64_t id);
/* Sets the address and size of block ID, whose slot b is; 0, or -1 when a
 * block too wide for its slot finds no memory for them (then it is
 * forgotten, as one that finds no slot). */
int live_block_set_extent(struct live_blocks *lb, uint64_t id, struct mt_live_block *b, uint64_t address,
                          uint64_t size);
uint64_t live_block_address(const struct live_blocks *lb, uint64_t id, const struct mt_live_block *b);
uint64_t live_block_size(const struct live_blocks *lb, uint64_t id, const struct mt_live_block *b);
/* Forgets block ID; other blocks' addresses may change. */
void live_blocks_remove(struct live_blocks *lb, uint64_t id);
/* Starts loading where block ID is or would go. */
void live_blocks_prefetch(struct live_blocks *lb, uint64_t id);
/* Calls FN with every live block, in no particular order. */
void live_blocks_for_each(const struct live_blocks *lb,
                          void (*fn)(uint64_t id, const struct mt_live_block *b, void *arg), void *arg);

#endif
