/*
 * interior.h - memcheck's leak-check heuristics: whether a pointer into the
 * middle of a block is one that C++ runtimes and allocators keep on purpose
 * (std::string's characters, a length or element count before the data, a
 * base-class subobject), so that the block is still reachable through it.
 */
#ifndef MEMTRACK_INTERIOR_H
#define MEMTRACK_INTERIOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Copies BYTES of the process's own memory at FROM to TO, as far as it is
 * readable: the bytes copied, or -1 (or fewer) where a page faults (a
 * mapping past the end of its file, one unmapped meanwhile) instead of a
 * crash.  Shared by the leak scan's readers: its roots, the heuristics'
 * vtables and roots.c's test of arena heaps.  The memory is named by the
 * calling thread's id, not the process's: that is the main thread's, which
 * has no memory left once it called pthread_exit. */
ssize_t mt_read_memory(void *to, uintptr_t from, size_t bytes); /* interior.c */

/* A file-backed mapping of the process (/proc/self/maps), as the
 * multipleinheritance heuristic needs them: vtables lie in readable mapped
 * files, the functions they point to in executable ones. */
struct mt_mapping {
    uintptr_t lo, hi;
    unsigned prot; /* MT_MAPPING_READ | MT_MAPPING_EXEC */
};
#define MT_MAPPING_READ 1u
#define MT_MAPPING_EXEC 2u

#define MT_VTABLE_CACHE 64

/* What the heuristics work with during one scan: the enabled set, the
 * file-backed mappings (sorted by address, not overlapping) and the verdicts
 * on addresses already judged as vtables.  Zeroed, then filled, per scan. */
struct mt_interior {
    unsigned set; /* bit h for each enum mt_heuristic h that is on (heuristics.h) */
    const struct mt_mapping *files;
    size_t n_files;
    struct {
        uintptr_t address;
        uint8_t judged, vtable;
    } cache[MT_VTABLE_CACHE];
};

/* The heuristic (enum mt_heuristic) by which PTR, a pointer strictly inside
 * the SIZE-byte block at START, makes the block reachable; MT_HEURISTIC_NONE
 * when none of the enabled ones matches.  Reads the block's own words
 * directly (the scan reads reached blocks anyway) and any other memory
 * through mt_read_memory, so an unmapped page gives "no", not a fault. */
unsigned mt_interior_heuristic(struct mt_interior *in, uintptr_t start, uint64_t size, uintptr_t ptr);

#endif
