/*
 * html_page.h - what the page shows of one process, read record by record
 * (analyse_process_stream): each record's stack becomes a node of the
 * process's stack tree as it is read, and its frames are dropped, so memory
 * holds the tree of the process's stacks and a few numbers per record, not
 * the records' stacks (a compiler's 146,000 sites took 600 MB whole).
 */
#ifndef MEMTRACK_OUTPUT_HTML_PAGE_H
#define MEMTRACK_OUTPUT_HTML_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyse/analyse.h"
#include "output/html_frames.h"
#include "output/html_stacks.h"

/* A stack as a node of the process's stack tree; NO_STACK when the trace has none. */
#define NO_STACK (-1)

/* A site's figures, in the order of the page's site rows. */
enum page_figure { FIGURE_ALLOCATIONS, FIGURE_BYTES, FIGURE_TEMPORARY, FIGURE_PEAK_BYTES, FIGURE_LEAKED_BYTES,
                   FIGURE_COUNT };

struct page_site {
    int64_t stack;
    int64_t figures[FIGURE_COUNT];
};

struct page_leak {
    enum leak_kind kind;
    enum leak_heuristic heuristic;
    int64_t bytes, blocks;
    int64_t stack;
};

struct page_error {
    enum error_type type;
    uint64_t address;
    struct maybe_int size, offset;
    char *alloc_function, *free_function; /* owned */
    int64_t stack, alloc_stack, first_free_stack;
};

struct page_process {
    struct frame_table frames; /* the frames of the tree's nodes */
    struct stack_tree stacks;  /* the part of each stack the page shows (page_shown_stack) */
    size_t site_count;         /* every site, largest bytes first */
    struct page_site *sites;
    size_t leak_count;         /* the groups kept: the first LEAKS_PER_KIND of each kind, in report order */
    struct page_leak *leaks;
    size_t error_count;
    struct page_error *errors;
};

/* The part of STACK the page shows: from the first frame worth showing
 * (report_stack_first_shown) to main, or to the end when SHOW_BELOW_MAIN.
 * It points into STACK's frames. */
struct report_stack page_shown_stack(const struct report_stack *stack, bool show_below_main);

/* Reads PROCESS (from analyse_processes, whose summary it completes) into
 * PAGE, keeping LEAKS_PER_KIND leak groups of each kind (SIZE_MAX: all),
 * telling PROGRESS how the reading of its sites goes.
 * Returns 0, or -1 with the reason on the trace; PAGE then holds what was
 * read, for page_process_free. */
int page_process_read(struct page_process *page, struct trace *trace, struct report_process *process,
                      bool show_below_main, size_t leaks_per_kind, const struct sites_progress *progress);
void page_process_free(struct page_process *page);

#endif
