/*
 * protocol.h - the wire format between libtrack (inside the traced program) and
 * the collector (inside `memtrack run`).  This is the only header the two sides
 * share; docs/protocol.md explains it in prose.
 *
 * Transport: one AF_UNIX SOCK_SEQPACKET connection per traced process, path in
 * the environment variable MEMTRACK_SOCKET.  Every message is one *batch*: a
 * mt_batch_header followed by whole records.
 *
 * Each thread fills its batch in a *slot* of a shared-memory segment (a memfd
 * whose descriptor travels with a SEGMENT record, SCM_RIGHTS).  A slot's header
 * (struct mt_slot_header) counts the bytes committed so far; when the process
 * dies without sending them (a crash, SIGKILL, _exit, exec) the collector
 * reads them from the segment.  A batch names its slot and sequence number so
 * that a batch both sent and still in its slot is counted once.
 *
 * A batch is filled by exactly one thread, so records inside a batch are in
 * that thread's program order; batches
 * of different threads may arrive in any order.  Nothing in the format relies on
 * cross-thread order: a free names the block it releases by block id (not by
 * address), and stacks may be referred to before their definition arrives.
 *
 * Invariants:
 *  - Every record starts with mt_record_header; `size` covers the whole record
 *    and is a multiple of 8, so records stay naturally aligned.
 *  - Integers are the native (little-endian x86-64) byte order.
 *  - block ids are unique within a process: (thread number << 40) | sequence.
 *  - stack id 0 means "no stack".
 */
#ifndef MEMTRACK_PROTOCOL_H
#define MEMTRACK_PROTOCOL_H

#include <fcntl.h> /* F_SEAL_*: MT_SEGMENT_SEALS */
#include <stdint.h>

#define MT_PROTOCOL_VERSION 5
#define MT_BATCH_MAGIC 0x4d544231u /* "MTB1" */
#define MT_BATCH_MAX 65536u        /* bytes; fits the default socket send buffer */
/* Batches a connection's send buffer asks room for before a send blocks:
 * room for the collector to take several per wake-up (cli/collect/pacing.h)
 * and to fall behind for a while.  The kernel caps the request at
 * net.core.wmem_max and doubles it; with 8, a Python workload still waited
 * up to 9-30 ms in one send under a 4 MiB cap, with 32 at most 1-4 ms. */
#define MT_SEND_QUEUE_BATCHES 32u
#define MT_MAX_DEPTH 256u
#define MT_TEMP_WINDOW_MAX 16 /* the largest --temporary-window: each thread keeps that many block ids */
#define MT_ENV_SOCKET "MEMTRACK_SOCKET"
#define MT_ENV_DEPTH "MEMTRACK_DEPTH"
#define MT_ENV_OPTIONS "MEMTRACK_OPTIONS"

enum mt_record_type {
    MT_REC_HELLO = 1,   /* first record of a connection */
    MT_REC_MODULE,      /* a loaded object (executable, library) */
    MT_REC_MODULE_GONE, /* dlclose unmapped an object */
    MT_REC_STACK,       /* defines a stack id */
    MT_REC_ALLOC,       /* a block came into existence */
    MT_REC_FREE,        /* a block was released */
    MT_REC_ERROR,       /* a bad deallocation, caught before it reached libc */
    MT_REC_VERDICT,     /* leak-scan verdict for a block alive at exit */
    MT_REC_EXIT,        /* the process ran its exit handlers */
    MT_REC_MARK,        /* a user label on the timeline */
    MT_REC_SEGMENT,     /* a shared-memory segment of slots; its descriptor rides along */
    MT_REC_INHERIT,     /* a fork child's copy of a parent's live block (struct mt_rec_alloc) */
    MT_REC_EXEC_FAILED, /* the exec an untraceable HELLO announced failed (header only; extra: errno) */
    MT_REC_TYPE_END
};

/* Which allocator entry point made or released a block. */
enum mt_function {
    MT_FN_NONE = 0,
    MT_FN_MALLOC, MT_FN_CALLOC, MT_FN_REALLOC, MT_FN_REALLOCARRAY,
    MT_FN_POSIX_MEMALIGN, MT_FN_ALIGNED_ALLOC, MT_FN_MEMALIGN, MT_FN_VALLOC, MT_FN_PVALLOC,
    MT_FN_NEW, MT_FN_NEW_NOTHROW, MT_FN_NEW_ALIGNED, MT_FN_NEW_ALIGNED_NOTHROW,
    MT_FN_NEW_ARRAY, MT_FN_NEW_ARRAY_NOTHROW, MT_FN_NEW_ARRAY_ALIGNED, MT_FN_NEW_ARRAY_ALIGNED_NOTHROW,
    MT_FN_FREE,
    MT_FN_DELETE, MT_FN_DELETE_SIZED, MT_FN_DELETE_ALIGNED, MT_FN_DELETE_SIZED_ALIGNED, MT_FN_DELETE_NOTHROW,
    MT_FN_DELETE_ALIGNED_NOTHROW,
    MT_FN_DELETE_ARRAY, MT_FN_DELETE_ARRAY_SIZED, MT_FN_DELETE_ARRAY_ALIGNED, MT_FN_DELETE_ARRAY_SIZED_ALIGNED,
    MT_FN_DELETE_ARRAY_NOTHROW, MT_FN_DELETE_ARRAY_ALIGNED_NOTHROW,
    MT_FN_END
};

/* Families that must pair up: a block is released by the family that made it. */
enum mt_family { MT_FAMILY_MALLOC, MT_FAMILY_NEW, MT_FAMILY_NEW_ARRAY };

enum mt_error_type { MT_ERR_DOUBLE_FREE = 1, MT_ERR_INVALID_FREE, MT_ERR_MISMATCHED_FREE, MT_ERR_END };

/* Leak kinds, memcheck's vocabulary; UNCLASSIFIED when no scan could run. */
enum mt_leak_kind {
    MT_LEAK_UNCLASSIFIED = 0, MT_LEAK_DEFINITE, MT_LEAK_INDIRECT, MT_LEAK_POSSIBLE, MT_LEAK_REACHABLE, MT_LEAK_END
};

/* memcheck's leak-check heuristics: how a block reached only through an
 * interior pointer was still found reachable (heuristics.h names them). */
enum mt_heuristic {
    MT_HEURISTIC_NONE = 0, MT_HEURISTIC_STDSTRING, MT_HEURISTIC_LENGTH64, MT_HEURISTIC_NEWARRAY,
    MT_HEURISTIC_MULTIPLE_INHERITANCE, MT_HEURISTIC_END
};

struct mt_batch_header {
    uint32_t magic;
    uint32_t tid;   /* kernel thread id of the thread that filled the batch */
    uint32_t slot;  /* segment index << 16 | slot index; MT_NO_SLOT for a batch made outside a slot */
    uint32_t seq;   /* how many batches this slot sent before this one */
};
#define MT_NO_SLOT 0xffffffffu

/* At the start of every slot; the batch being filled follows it. */
struct mt_slot_header {
    uint32_t used;  /* bytes of the batch committed (whole records only); 0 = empty */
    uint32_t seq;   /* sequence number of the batch being filled */
    uint32_t pad[14];
};
#define MT_SLOT_SIZE (sizeof(struct mt_slot_header) + MT_BATCH_MAX)
#define MT_SLOTS_PER_SEGMENT 64u
/* The seals every segment carries (fcntl F_ADD_SEALS): its size can change
 * no more, nor its seals.  The collector refuses a segment without them. */
#define MT_SEGMENT_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

struct mt_record_header {
    uint16_t type;
    uint16_t size;  /* bytes, including this header; multiple of 8 */
    uint32_t extra; /* type-specific small field, see each record */
};

/* extra: protocol version.  Followed by argv and the executable path, each a
 * NUL-terminated string; argc strings then the path, padded to 8. */
struct mt_rec_hello {
    struct mt_record_header h;
    uint32_t pid, parent_pid;
    uint32_t argc;
    uint32_t depth_limit;
    uint64_t start_ns; /* CLOCK_REALTIME at library start */
    uint64_t token;    /* random per process image; a reconnection repeats it */
    uint32_t flags;    /* MT_HELLO_* */
    uint32_t untraceable; /* enum mt_untraceable (untraceable.h) with MT_HELLO_UNTRACEABLE, else 0 */
};
#define MT_HELLO_RESUMED 1u /* the process lost its connection and came back */
#define MT_HELLO_FORKED 2u  /* a fork child: starts with its parent's live blocks */
#define MT_HELLO_FOREIGN_MALLOC 4u /* the program's malloc is not libtrack's: its allocations go unseen */
/* Not the process's own voice: a traced process announcing a program it
 * execs or spawned that cannot be traced (static, setuid). */
#define MT_HELLO_UNTRACEABLE 8u
#define MT_HELLO_RAW_FORK 16u /* with MT_HELLO_FORKED: forked by a raw system call, parent's batch unsent */

/* extra: length of the build id in bytes (at most 32).  Followed by the build
 * id bytes, then the path (NUL-terminated), padded to 8. */
struct mt_rec_module {
    struct mt_record_header h;
    uint64_t base;  /* load bias (dlpi_addr) */
    uint64_t start; /* lowest mapped address of its PT_LOAD segments */
    uint64_t end;   /* one past the highest */
};

struct mt_rec_module_gone {
    struct mt_record_header h;
    uint64_t base;
};

/* extra: number of frames.  Followed by that many return addresses; the first
 * is the caller of the allocation function. */
struct mt_rec_stack {
    struct mt_record_header h;
    uint32_t id;
    uint32_t truncated; /* 1 when the stack was deeper than the depth limit */
};

/* extra: enum mt_function. */
struct mt_rec_alloc {
    struct mt_record_header h;
    uint64_t block;
    uint64_t address;
    uint64_t size;
    uint64_t time_ns; /* CLOCK_MONOTONIC */
    uint32_t stack;
    uint32_t alignment; /* 0 when the caller asked for none */
};

/* MT_REC_INHERIT has the same layout: the block was alive in the parent at
 * fork; it is live in the child without being one of its allocations. */

/* extra: enum mt_function.  `temporary`: freed by the same thread before that
 * thread's next N allocations (N = the temporary window). */
struct mt_rec_free {
    struct mt_record_header h;
    uint64_t block;
    uint64_t time_ns;
    uint32_t temporary;
    uint32_t pad;
};

/* extra: enum mt_error_type. */
struct mt_rec_error {
    struct mt_record_header h;
    uint64_t address;
    uint64_t size;   /* size of the block concerned, UINT64_MAX when none */
    uint64_t offset; /* for an interior pointer: its offset in that block, else UINT64_MAX */
    uint64_t time_ns;
    uint32_t stack;            /* the bad deallocation */
    uint32_t alloc_stack;      /* where the block was allocated, 0 when unknown */
    uint32_t first_free_stack; /* for a double free: the first release */
    uint16_t alloc_function;   /* enum mt_function */
    uint16_t free_function;
    uint64_t block;            /* the block concerned, 0 when none */
    uint64_t detail;           /* mismatch: size or alignment the release claimed */
};

/* extra: enum mt_leak_kind. */
struct mt_rec_verdict {
    struct mt_record_header h;
    uint64_t block;
    /* enum mt_heuristic: for a reachable block, the heuristic that found it
     * through an interior pointer; MT_HEURISTIC_NONE otherwise (version 4) */
    uint32_t heuristic;
    uint32_t pad;
    /* for an indirectly lost block, the address of the definitely lost block
     * that leads its clique (whose loss record counts it as "indirect"); 0
     * for every other verdict (version 5) */
    uint64_t owner;
};

/* extra: 1 when a leak scan ran (verdicts precede this record).
 * Followed by nothing; the counters are libtrack's atomic counters. */
struct mt_rec_exit {
    struct mt_record_header h;
    int32_t status;
    uint32_t how;      /* MT_EXIT_HANDLERS (exit, return from main) or MT_EXIT_IMMEDIATE (_exit) */
    uint64_t allocations, frees, current_bytes, peak_bytes, peak_ns;
    /* how long the process's threads were blocked handing batches to the
     * collector: the longest single send, and all sends together (version 2) */
    uint64_t send_wait_max_ns, send_wait_total_ns;
    /* backtraces taken, and how many of them libunwind walked (version 2) */
    uint64_t backtraces, backtraces_by_libunwind;
};

/* One SCM_RIGHTS descriptor accompanies the message holding this record. */
struct mt_rec_segment {
    struct mt_record_header h;
    uint32_t index;     /* segment number, from 0 */
    uint32_t slots;     /* MT_SLOTS_PER_SEGMENT */
    uint64_t slot_size; /* MT_SLOT_SIZE */
};

#define MT_EXIT_HANDLERS 0u
#define MT_EXIT_IMMEDIATE 1u

/* extra: label length; followed by the label, NUL-terminated, padded to 8. */
struct mt_rec_mark {
    struct mt_record_header h;
    uint64_t time_ns;
};

#define MT_ALIGN8(n) (((n) + 7u) & ~7u)

#endif
