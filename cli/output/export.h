/*
 * export.h - what the exports of `memtrack report` share (--format folded,
 * speedscope, massif: one file each): the figure each weighs an allocation
 * site by (--metric), a frame's name, and the frames of a stack a person
 * sees.  Every export reads the sites the analyses filled (analyse/sites.c),
 * the figures the JSON report and the page's flame graph show: none sums
 * the trace again.
 */
#ifndef MEMTRACK_OUTPUT_EXPORT_H
#define MEMTRACK_OUTPUT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyse/model.h"

/* --metric: which figure of a site an export weighs it by. */
enum export_metric {
    EXPORT_ALLOCATIONS, /* allocations made there (report_site.allocations) */
    EXPORT_BYTES,       /* bytes allocated there (bytes) */
    EXPORT_LEAKED,      /* bytes of its blocks still allocated at the end, every leak kind (leaked_bytes) */
    EXPORT_PEAK,        /* its bytes live at the process's heap peak (peak_bytes) */
    EXPORT_TEMPORARY,   /* its temporary allocations (temporary) */
    EXPORT_METRIC_COUNT
};

/* --metric's spelling of each metric, indexed by value. */
extern const char *const EXPORT_METRIC_NAMES[EXPORT_METRIC_COUNT];

/* SITE's figure for METRIC. */
int64_t export_site_figure(const struct report_site *site, enum export_metric metric);
/* Whether METRIC counts bytes (else it counts allocations). */
bool export_metric_in_bytes(enum export_metric metric);

/* A frame's name as the text report names it: its function, printable
 * (printable.h), or "??? (in MODULE)" when only its module is known, with
 * each character of UNSAFE (the format's separators) also written as '?'.
 * A malloc'd string, or NULL when memory runs out. */
char *export_frame_name(const struct report_frame *frame, const char *unsafe);
/* A process's name in a profile: its program's last path component and its
 * pid, as "leaky (pid 8199)".  Malloc'd, or NULL when memory runs out. */
char *export_process_name(const struct report_process *process);

/* The frames of a stack a person sees (report_stack_shown_frames),
 * innermost first, in a buffer reused from one stack to the next.  A stack
 * with none shows one frame named "(no stack recorded)" or "(empty stack)",
 * as the text report says, so that every site has a place in a profile. */
struct shown_frames {
    size_t count;
    size_t room;
    const struct report_frame **frames;
};
/* Fills SHOWN with STACK's frames; 0, or -1 when memory runs out. */
int shown_frames_of(struct shown_frames *shown, const struct report_stack *stack);
void shown_frames_free(struct shown_frames *shown);

#endif
