/*
 * html_fold.h - what the page keeps of a big process, so that it stays a few
 * megabytes and opens in seconds (docs/viewer.md, "Large traces"): the flame
 * graph as rows in which every frame below a share of each figure is folded
 * into one "other" frame under its caller, the sites largest by each figure
 * and the largest leak groups of each kind; every error.  `memtrack view
 * --full` keeps everything instead.
 */
#ifndef MEMTRACK_OUTPUT_HTML_FOLD_H
#define MEMTRACK_OUTPUT_HTML_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/html_page.h"

/* A frame smaller than this share of the whole, for every figure, is folded:
 * the viewer draws no frame smaller than it for the figure shown (its
 * flame_tree.js SMALLEST_SHARE), so the graph drawn is the same. */
#define PAGE_FOLD_SHARE (1.0 / 1000)
/* Sites kept: the largest this many by each figure (allocations, bytes,
 * temporaries, bytes at the peak, leaked bytes). */
#define PAGE_SITES_PER_FIGURE 500
/* Leak groups kept per kind, in report order (largest first). */
#define PAGE_LEAKS_PER_KIND 200

/* One row of the folded flame graph: the figures of the sites whose stacks
 * end at a frame the graph keeps, or of those folded under it. */
struct flame_row {
    int64_t stack;  /* a node of the process's stack tree standing for the frame; an "other" row's frame
                       (PAGE_FOLDED_FRAME) is that node's callee */
    int64_t figures[FIGURE_COUNT];
    size_t folded;  /* 0, or how many callee frames (of distinct names) the "other" row stands for */
};

/* What the page keeps of one process. */
struct page_fold {
    size_t row_count;
    struct flame_row *rows;
    size_t folded_frames; /* callee frames folded, under all callers */
    bool *site_kept;      /* one per site */
    size_t sites_kept;
};

/* The frame that stands for the frames folded under a caller. */
extern const struct report_frame PAGE_FOLDED_FRAME;

/* Folds PAGE into FOLD.  Returns 0, or -1 when memory runs out (FOLD then
 * holds what was made, for page_fold_free). */
int page_fold_process(struct page_fold *fold, const struct page_process *page);
void page_fold_free(struct page_fold *fold);

#endif
