/*
 * roots.h - where the leak scan looks for pointers: every readable and
 * writable mapping that is not heap and not libtrack's own, each thread's stack
 * from its live stack pointer up, and each stopped thread's registers.
 */
#ifndef MEMTRACK_ROOTS_H
#define MEMTRACK_ROOTS_H

#include <stddef.h>
#include <stdint.h>
#include "interior.h"

struct mt_range {
    uintptr_t lo, hi;
};

struct mt_roots {
    struct mt_range *ranges; /* mmap'd */
    size_t n, cap;
    uintptr_t *registers;    /* saved general registers of stopped threads */
    size_t n_registers, cap_registers;
    struct mt_mapping *files; /* every file-backed mapping, by address (for interior.c) */
    size_t n_files, cap_files;
};

/* Stops every other thread of the process in a signal handler, recording its
 * stack pointer and registers.  A thread that blocks the signal is not sent
 * it; such threads, and those that do not stop in time, are scanned whole. */
void mt_threads_stop(void);
void mt_threads_resume(void);

/* The stack pointer the calling thread had when it called libc's exit(), found
 * by walking out of the exit handlers (libunwind); 0 when exit is not on the
 * stack.  The frames below it are dead: main's locals after main returned,
 * and a joined thread's result kept in one of them. */
uintptr_t mt_roots_exit_caller_sp(void);

/* Fills roots, and the list of file-backed mappings.  `own_sp` is the stack
 * pointer of the exiting thread before the scan switched stacks.  `holes`
 * (sorted by lo, not overlapping) are cut out of every mapping: heap blocks,
 * quarantined memory, libtrack's own memory.  The kernel merges neighbouring
 * anonymous mappings, so a mapping can hold both the program's data and ours:
 * cutting, not skipping, keeps both right. */
int mt_roots_collect(struct mt_roots *roots, uintptr_t own_sp, const struct mt_range *holes, size_t n_holes);
void mt_roots_free(struct mt_roots *roots);

#endif
