/*
 * export.h - what the exports of `memtrack report` share (--format folded,
 * speedscope, massif: one file each): the figure each weighs an allocation
 * site by (--metric), a frame's name, the frames of a stack a person sees,
 * and the writer every export is: handed a report's sites one at a time.  Every export reads the sites the analyses read (analyse/sites.c),
 * the figures the JSON report and the page's flame graph show: none sums
 * the trace again.
 */
#ifndef MEMTRACK_OUTPUT_EXPORT_H
#define MEMTRACK_OUTPUT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyse/analyse.h"
#include "analyse/timeline.h"

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

/* An export is written while a report's sites are handed to it one at a
 * time (export_writer_visitor), as the JSON report is: by
 * analyse_process_stream from the trace (memtrack report), or by
 * report_visit from a report in memory (render.h's render_folded,
 * render_speedscope, render_massif).  Memory holds what the format must
 * sort or sum before it writes (folded's lines, speedscope's samples,
 * massif's tree), never the sites' stacks. */
struct export_writer;
/* One format's steps: START makes the writer's state (0, or -1 when memory
 * runs out); then a process, each of its sites and its end, as
 * report_visitor's (-1 when memory runs out or writing failed, errno saying
 * which); FINISH writes what is left, unless a step failed, and frees the
 * state (0, or -1 when memory ran out; export_writer_finish checks the
 * writes). */
struct export_format {
    int (*start)(struct export_writer *writer);
    int (*process)(struct export_writer *writer, const struct report_process *process);
    int (*site)(struct export_writer *writer, const struct report_site *site);
    int (*process_end)(struct export_writer *writer, const struct report_process *process);
    int (*finish)(struct export_writer *writer);
};
extern const struct export_format EXPORT_FOLDED;     /* folded.c */
extern const struct export_format EXPORT_SPEEDSCOPE; /* speedscope.c */
extern const struct export_format EXPORT_MASSIF;     /* massif.c: one process; needs timeline */

struct export_writer {
    const struct export_format *format;
    FILE *out;
    enum export_metric metric;
    size_t process_count;                     /* in the report: folded names the processes of several */
    const struct process_timeline *timeline;  /* massif's process's heap over time, set before finishing */
    struct shown_frames shown;                /* the frames of the site being handed */
    void *state;                              /* the format's own */
    bool failed;                              /* a step failed: finishing only frees the state */
};

/* Starts WRITER, its fields above shown set; 0, or -1 (errno ENOMEM). */
int export_writer_start(struct export_writer *writer);
/* The visitor that hands the sites to WRITER's format; no leak or error is read. */
struct report_visitor export_writer_visitor(struct export_writer *writer);
/* Writes what is left and frees WRITER's state; 0, or -1 (errno says why). */
int export_writer_finish(struct export_writer *writer);
/* Writes COUNT PROCESSES kept in memory in FORMAT, by METRIC, to OUT
 * (TIMELINE: massif's); 0, or -1 (errno says why). */
int export_processes(const struct export_format *format, FILE *out, enum export_metric metric,
                     const struct report_process *processes, size_t count, const struct process_timeline *timeline);

#endif
