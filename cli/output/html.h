/*
 * html.h - `memtrack view`'s page: one self-contained HTML file holding the
 * viewer's script and style (built from viewer/) and the trace's data as JSON
 * (layout in docs/viewer.md).
 */
#ifndef MEMTRACK_OUTPUT_HTML_H
#define MEMTRACK_OUTPUT_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "analyse/model.h"
#include "analyse/timeline.h"
#include "output/html_page.h"

/* The page before and after the data, generated from viewer/src/page.html and
 * the bundled viewer into viewer/page.c (kept in the repository; see
 * viewer/bundle.cmake).  The data goes between them, inside a <script type="application/json">. */
extern const char MT_VIEWER_PAGE_HEAD[];
extern const char MT_VIEWER_PAGE_TAIL[];

/* Everything the page shows: the processes (analyse_processes), and for
 * each what the page shows of it and its timeline. */
struct view {
    const char *trace_path;
    const struct report *report;
    const struct page_process *pages;
    const struct process_timeline *timelines;
    bool full; /* every site, nothing folded (html_fold.h) */
};

/* The version of the page's data layout, bumped on any incompatible change. */
#define MT_VIEW_DATA_VERSION 1

int render_html(FILE *out, const struct view *view);     /* html.c; 0, or -1 (errno set) */
int write_view_data(FILE *out, const struct view *view); /* html_data.c; 0, or -1 out of memory */

#endif
