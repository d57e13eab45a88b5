/*
 * model.h - the report as plain C data: what the analyses (cli/analyse) fill
 * from a trace and the renderers (cli/output) print.  Nothing here knows SQL
 * or output syntax.  Strings are owned (freed by report_free) and NULL when the
 * trace does not know them.
 */
#ifndef MEMTRACK_ANALYSE_MODEL_H
#define MEMTRACK_ANALYSE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The model's arrays keep no capacity: they and the arrays built from them
 * grow by make_room(). */
#include "util/array.h"

/* An integer the trace may leave unknown (SQL NULL). */
struct maybe_int {
    bool present;
    int64_t value;
};

/* The strings are shared between all frames of all stacks: never free them. */
struct report_frame {
    uint64_t address;
    char *function;
    char *file;
    struct maybe_int line;
    char *module;
};

/* Innermost frame first.  `present` is false for a stack the trace has no id for. */
struct report_stack {
    bool present;
    int64_t id;
    size_t depth;
    struct report_frame *frames;
};

/* Leak kinds in report order: most serious first. */
enum leak_kind { LEAK_DEFINITE, LEAK_INDIRECT, LEAK_POSSIBLE, LEAK_REACHABLE, LEAK_UNCLASSIFIED, LEAK_KIND_COUNT };

/* How a reachable block was found through an interior pointer: one of
 * memcheck's heuristics, or none (start pointers, and every other kind). */
enum leak_heuristic {
    HEURISTIC_NONE, HEURISTIC_STDSTRING, HEURISTIC_LENGTH64, HEURISTIC_NEWARRAY, HEURISTIC_MULTIPLE_INHERITANCE,
    HEURISTIC_COUNT
};

enum error_type { ERROR_DOUBLE_FREE, ERROR_INVALID_FREE, ERROR_MISMATCHED_FREE, ERROR_TYPE_COUNT };

enum end_reason { END_EXIT, END_UNDERSCORE_EXIT, END_SIGNAL, END_EXEC, END_RUNNING, END_REASON_COUNT };

/* The trace's spelling of each enumerator (schema.sql), indexed by value. */
extern const char *const LEAK_KIND_NAMES[LEAK_KIND_COUNT];
extern const char *const HEURISTIC_NAMES[HEURISTIC_COUNT]; /* [HEURISTIC_NONE] is NULL: the trace's NULL */
extern const char *const ERROR_TYPE_NAMES[ERROR_TYPE_COUNT];
extern const char *const END_REASON_NAMES[END_REASON_COUNT];

/* Blocks still allocated at the end, grouped by kind, heuristic and allocation stack. */
struct report_leak {
    enum leak_kind kind;
    enum leak_heuristic heuristic; /* HEURISTIC_NONE unless kind is LEAK_REACHABLE */
    int64_t bytes;
    int64_t blocks;
    int64_t indirect_bytes; /* definite: the indirectly lost bytes its blocks lead (memcheck's "y indirect") */
    struct report_stack stack;
};

struct report_error {
    enum error_type type;
    uint64_t address;
    struct maybe_int size;   /* of the block involved, when there is one */
    struct maybe_int offset; /* of address inside that block */
    char *alloc_function;
    char *free_function;
    struct report_stack stack;
    struct report_stack alloc_stack;
    struct report_stack first_free_stack;
    char *data_symbol;                 /* an invalid free of no block: the variable at address, or NULL */
    struct maybe_int data_symbol_offset; /* bytes from its start */
};

struct report_site {
    struct report_stack stack; /* not present when the caller asked for fewer site stacks (analyse_trace) */
    int64_t allocations;
    int64_t bytes;
    int64_t temporary;
    int64_t peak_bytes;
    int64_t leaked_bytes;
};
/* How many of STACK's frames, innermost first, are worth showing: all when
 * SHOW_BELOW_MAIN, else up to its outermost frame named main, as valgrind
 * shows stacks by default (--show-below-main=no): libc's start-up frames
 * below main say nothing about the program.  In a Rust program, up to the
 * frames of Rust's start-up below the program's main (where Rust's own
 * backtraces stop).  A stack without main (a thread's, a static
 * constructor's) is shown whole. */
size_t report_stack_shown_depth(const struct report_stack *stack, bool show_below_main);
/* The index of the first of STACK's frames worth showing: past the Rust
 * allocator's own innermost frames (__rust_alloc, alloc::alloc::*, RawVec's
 * growth...), which stand between the program and malloc in every Rust
 * allocation as libc's malloc internals would; never past the last frame.
 * A stack for people starts there; JSON, suppressions and baselines keep
 * every frame. */
size_t report_stack_first_shown(const struct report_stack *stack);
/* What a frame is to those two (bits): main, the Rust start-up frame its
 * backtraces stop at (__rust_begin_short_backtrace), the call_once frames
 * of the closure just above it, the Rust allocator's own frames. */
enum frame_role { FRAME_MAIN = 1, FRAME_RUST_START = 2, FRAME_RUST_CALL_ONCE = 4, FRAME_RUST_ALLOCATOR = 8,
                  FRAME_EVERY_ROLE = 15 };
/* FRAME's roles among WANTED. */
unsigned report_frame_roles(const struct report_frame *frame, unsigned wanted);
/* The roles among WANTED of frame INDEX (innermost first) of FRAMES. */
typedef unsigned frame_roles_of(const void *frames, size_t index, unsigned wanted);
/* report_stack_shown_depth and report_stack_first_shown of a stack of
 * DEPTH frames known by their roles alone (a stack tree's path). */
size_t report_roles_shown_depth(size_t depth, frame_roles_of *roles, const void *frames, bool show_below_main);
size_t report_roles_first_shown(size_t depth, frame_roles_of *roles, const void *frames);
/* Fills SHOWN, which has room for STACK's depth, with the frames a stack for
 * people shows, innermost first: from report_stack_first_shown to
 * report_stack_shown_depth, none of memtrack's own (report_frame_is_memtracks).
 * Returns how many. */
size_t report_stack_shown_frames(const struct report_stack *stack, bool show_below_main,
                                 const struct report_frame **shown);
/* Whether FRAME is memtrack's own (libmemtrack.so): its dlopen wrapper sits
 * between the program and libc's dlopen in every allocation dlopen makes,
 * and a stack for people leaves it out. */
bool report_frame_is_memtracks(const struct report_frame *frame);

/* qsort order of `const struct report_site *`: most allocations first, then
 * most bytes, then stack id.  The text report's top sites, and the sites
 * analyse_trace keeps when asked for only some (sites.c's SQL says the same). */
int report_site_by_allocations(const void *left, const void *right);


struct report_summary {
    int64_t allocations;
    int64_t frees;
    int64_t allocated_bytes;
    int64_t peak_bytes;
    int64_t leaked_bytes;  /* every block alive at the end, whatever its kind */
    int64_t leaked_blocks;
    int64_t temporary_allocations;
};

/* A process's leak groups counted by kind and by heuristic: all of them,
 * also those an analysis did not keep (analyse_scope), so the text report's
 * LEAK SUMMARY and its "Not shown" lines need no group in memory. */
struct report_leak_totals {
    size_t records[LEAK_KIND_COUNT]; /* groups */
    int64_t bytes[LEAK_KIND_COUNT];
    int64_t blocks[LEAK_KIND_COUNT];
    int64_t heuristic_bytes[HEURISTIC_COUNT]; /* [HEURISTIC_NONE]: every group no heuristic found */
    int64_t heuristic_blocks[HEURISTIC_COUNT];
};

struct report_process {
    int64_t row_id; /* processes.id: what the other tables refer to */
    int64_t pid;
    int64_t parent_pid;
    size_t argc;
    char **argv;
    char *executable;
    char *note; /* what the collector wants people to know (e.g. why nothing was traced), or NULL */
    char *untraced; /* why memtrack did not see its allocations, or NULL when it did */
    struct maybe_int exit_code;
    struct maybe_int exit_signal;
    enum end_reason end_reason;
    bool leak_scan;
    struct report_summary summary;
    struct report_leak_totals leak_totals;
    size_t leak_count; /* the groups kept (analyse_scope): leak_totals counts them all */
    struct report_leak *leaks;
    size_t error_count;
    struct report_error *errors;
    size_t site_total; /* the process's allocation sites */
    size_t site_count; /* those kept (analyse_scope): all, or the site_count with most allocations */
    struct report_site *sites;
};

struct report {
    size_t process_count;
    struct report_process *processes;
};

int name_to_index(const char *const names[], size_t count, const char *name);
void report_stack_free(struct report_stack *stack);
void report_free(struct report *report);
/* Frees what one error owns: its names and stacks. */
void report_error_free(struct report_error *error);
/* Frees everything one process owns. */
void report_process_free(struct report_process *process);
/* Whether PROCESS runs the program NAME: its executable or argv[0], as a
 * path or by its last component (`--exe python3` finds /usr/bin/python3). */
bool report_process_runs(const struct report_process *process, const char *name);

#endif
