/*
 * render.h - printing a report model, one function per format.  Each returns
 * 0, or -1 when writing failed (errno says why).
 */
#ifndef MEMTRACK_OUTPUT_RENDER_H
#define MEMTRACK_OUTPUT_RENDER_H

#include <stdio.h>

#include "analyse/analyse.h"
#include "analyse/timeline.h"
#include "output/export.h"

/* The JSON report's "version": bumped on any incompatible change of its layout. */
#define MT_REPORT_VERSION 1

/* What the text report shows (memtrack report's options; JSON shows all). */
struct text_options {
    unsigned leak_kinds; /* the kinds whose leak records are printed, a bit per enum leak_kind;
                            LEAK SUMMARY counts every kind */
    size_t frames;       /* frames per stack */
    size_t sites;        /* allocation sites, those with most allocations */
    bool show_below_main; /* frames below main too (report_stack_shown_depth) */
    size_t leak_resolution; /* memcheck's --leak-resolution: records of one kind whose first this many call
                               sites match print as one; 0 (high): every call site */
    size_t leak_records;  /* records printed per kind, largest first; SIZE_MAX: all */
};
/* memcheck's defaults: records of definite and possible leaks (and of
 * unclassified blocks, which memcheck has not), 12 frames, 10 sites, no
 * frames below main. */
#define TEXT_LEAK_KINDS_DEFAULT ((1u << LEAK_DEFINITE) | (1u << LEAK_POSSIBLE) | (1u << LEAK_UNCLASSIFIED))
#define TEXT_LEAK_KINDS_ALL ((1u << LEAK_KIND_COUNT) - 1)
#define TEXT_FRAMES_DEFAULT 12
#define TEXT_SITES_DEFAULT 10
/* A compiler's trace holds 13,000 records of possibly lost blocks; memcheck
 * prints them all, a person reads the first. */
#define TEXT_LEAK_RECORDS_DEFAULT 100
/* memcheck compares this many stack entries, its first being malloc's own,
 * which memtrack's stacks do not hold: low 2 and med 4 entries are 1 and 3
 * call sites here. */
#define TEXT_LEAK_RESOLUTION_LOW 1
#define TEXT_LEAK_RESOLUTION_MED 3
#define TEXT_LEAK_RESOLUTION_HIGH 0

int render_json(FILE *out, const struct report *report); /* json.c: docs/report-format.md */
/* json.c: the same document written as analyse_process_stream hands the
 * records out: start, then the visitor for each process, then finish (0,
 * or -1 when writing failed).  The visitor stops at a write error. */
struct json_writer {
    FILE *out;
    size_t processes; /* written so far */
    int part;         /* of the current process: json.c's enum json_part */
};
void json_writer_start(struct json_writer *writer, FILE *out);
struct report_visitor json_writer_visitor(struct json_writer *writer);
int json_writer_finish(struct json_writer *writer);
/* text.c: for people, memcheck-like; render_text shows every leak kind. */
int render_text_with(FILE *out, const struct report *report, const struct text_options *options);
int render_text(FILE *out, const struct report *report);

/* The exports (export.h), each weighing the sites by METRIC: folded.c for
 * flamegraph.pl and inferno, speedscope.c for speedscope, massif.c for
 * ms_print and massif-visualizer (one process, its heap timeline TIMELINE;
 * METRIC peak or leaked).  docs/report-format.md describes each.  These
 * write a report held in memory; `memtrack report` hands each format the
 * sites as they are read (export_writer). */
int render_folded(FILE *out, const struct report *report, enum export_metric metric);
int render_speedscope(FILE *out, const struct report *report, enum export_metric metric);
int render_massif(FILE *out, const struct report_process *process, const struct process_timeline *timeline,
                  enum export_metric metric);

#endif
