/*
 * live_blocks.h - the collector's table of a process's live blocks, by block
 * id (live_blocks.c says how it is laid out and why).
 */
#ifndef MEMTRACK_COLLECT_LIVE_BLOCKS_H
#define MEMTRACK_COLLECT_LIVE_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "collect/u64map.h"

/* A block the collector knows to be live.  `function` is never 0 (MT_FN_NONE:
 * the decoder drops such records), which marks a used slot of a chunk. */
struct mt_live_block {
    uint64_t address, size, time_ns;
    uint32_t stack;
    uint16_t function;
    uint8_t kind;      /* enum mt_leak_kind */
    uint8_t heuristic; /* enum mt_heuristic: how a reachable block was found through an interior pointer */
};

struct live_blocks {
    struct u64map threads; /* thread number + 1 -> struct live_run: its chunks */
    struct u64map sparse;  /* block id -> struct mt_live_block: ids outside every chunk */
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
/* Forgets block ID; other blocks' addresses may change. */
void live_blocks_remove(struct live_blocks *lb, uint64_t id);
/* Starts loading where block ID is or would go. */
void live_blocks_prefetch(struct live_blocks *lb, uint64_t id);
/* Calls FN with every live block, in no particular order. */
void live_blocks_for_each(const struct live_blocks *lb,
                          void (*fn)(uint64_t id, const struct mt_live_block *b, void *arg), void *arg);

#endif
