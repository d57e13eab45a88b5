/*
 * huge_pages.h - memory for large hash tables, backed by transparent huge
 * pages where the kernel allows.  Shared by libtrack's live-block table and
 * the collector's maps: both are probed at random addresses across many MiB,
 * where 4 KiB pages make nearly every probe miss the TLB as well as the cache.
 */
#ifndef MEMTRACK_HUGE_PAGES_H
#define MEMTRACK_HUGE_PAGES_H

#include <stddef.h>

#define MT_HUGE_PAGE ((size_t)2 << 20) /* x86-64's and arm64's (4 KiB granule) transparent huge page */

/* Maps at least `bytes` of zeroed memory, never through malloc; *mapped gets
 * the length to give munmap.  From 2 MiB on, the mapping starts on a huge
 * page, is sized to whole small pages and advised to use huge ones (MADV_HUGEPAGE: it matters
 * when /sys/kernel/mm/transparent_hugepage/enabled is "madvise", the Debian
 * default); it is address space only until its pages are touched
 * (MAP_NORESERVE), so a large mapping filled bit by bit is not charged
 * against the commit limit up front.  NULL when the system has no memory to give. */
void *mt_map_table(size_t bytes, size_t *mapped);

/* Advises the whole small pages inside [start, start + bytes) to use huge
 * pages, when they span one: for memory from malloc that is about to be
 * written from end to end.  A fault in an advised 2 MiB maps all of it at
 * once, where each 4 KiB page would fault on its own (about 11 us a fault
 * on this project's virtual machine).  Advice only: pages already touched
 * stay small, and where the kernel refuses, pages come one by one. */
void mt_advise_huge_pages(void *start, size_t bytes);

#endif
