/*
 * table_arena.h - memory for the live-block table's shards (table_arena.c):
 * tables from 128 KiB on share arenas on transparent huge pages.  Plain
 * system calls and one spin lock: called from inside the program's malloc.
 */
#ifndef MEMTRACK_TABLE_ARENA_H
#define MEMTRACK_TABLE_ARENA_H

#include <stddef.h>
#include "internal.h"

/* At least `bytes` of zeroed memory; *mapped gets the length to give back.
 * NULL when the system has no memory to give. */
void *mt_table_take(size_t bytes, size_t *mapped);
/* Returns a table mt_table_take gave, with the *mapped it reported, once. */
void mt_table_give_back(void *p, size_t mapped);
/* Calls fn for every arena: libtrack's memory, never a root of the leak scan. */
void mt_table_arenas_own_ranges(mt_range_fn fn, void *arg);
/* For fork: taken after every shard's lock. */
void mt_table_arenas_lock(void);
void mt_table_arenas_unlock(void);

#endif
