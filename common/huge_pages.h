/*
 * huge_pages.h - memory for large hash tables, backed by transparent huge
 * pages where the kernel allows.  Shared by libtrack's live-block table and
 * the collector's maps: both are probed at random addresses across many MiB,
 * where 4 KiB pages make nearly every probe miss the TLB as well as the cache.
 */
#ifndef MEMTRACK_HUGE_PAGES_H
#define MEMTRACK_HUGE_PAGES_H

#include <stddef.h>

/* Maps at least `bytes` of zeroed memory, never through malloc; *mapped gets
 * the length to give munmap.  From 2 MiB on, the mapping starts on a huge
 * page, is sized to whole small pages and advised to use huge ones (MADV_HUGEPAGE: it matters
 * when /sys/kernel/mm/transparent_hugepage/enabled is "madvise", the Debian
 * default).  NULL when the system has no memory to give. */
void *mt_map_table(size_t bytes, size_t *mapped);

#endif
