/*
 * html_frames.h - the viewer's frame table: every distinct frame of a trace
 * once, so the page refers to frames by index instead of repeating them in
 * each of up to hundreds of thousands of stacks.  The speedscope export
 * keeps one too, by name: a flame graph's frame is a function, wherever in
 * it the calls are.
 */
#ifndef MEMTRACK_OUTPUT_HTML_FRAMES_H
#define MEMTRACK_OUTPUT_HTML_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyse/model.h"
#include "util/u64map.h"

struct frame_table {
    bool by_name;                       /* frames of one function (its name and file; its module when the
                                           name is unknown) are one, whatever their address and line */
    struct u64map index_by_hash;        /* content hash -> index in frames */
    size_t count;
    struct report_frame *frames;        /* copies: the strings are shared, never freed (model.h) */
};

void frame_table_init(struct frame_table *table, bool by_name);
int64_t frame_table_index(struct frame_table *table, const struct report_frame *frame);
void frame_table_free(struct frame_table *table);

#endif
