/*
 * html_data.c - the data the page shows, as one JSON document (docs/viewer.md).
 * Unlike the JSON report it is built for size: frames are written once, in a
 * table; stacks are nodes of one stack tree (html_stacks.h), named by id; table
 * rows are arrays.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "output/html.h"
#include "output/html_fold.h"
#include "output/html_frames.h"
#include "output/html_memory.h"
#include "output/html_stacks.h"
#include "output/json_string.h"

struct data_writer {
    FILE *out;
    struct frame_table frames; /* of the page: the frames of the nodes written */
    struct stack_tree stacks;  /* of the page: the stacks written */
    const struct page_process *page; /* the process being written */
    int64_t *node_in_page;     /* per node of its stack tree: the page's node, or -1 before it is written */
    bool out_of_memory;        /* sticky: checked once at the end */
};

/* Writes an integer the trace may not know, as a number or null. */
static void write_maybe_int(FILE *out, struct maybe_int number)
{
    if (number.present)
        fprintf(out, "%" PRId64, number.value);
    else
        fputs("null", out);
}

/* The page's node for NODE of the process's stack tree, made with its
 * callers' when new; -1 when memory runs out.  Each process node is looked
 * up once: its callers' page nodes are remembered. */
static int64_t page_node(struct data_writer *writer, uint32_t node)
{
    const struct page_process *page = writer->page;
    if (node == 0 || writer->node_in_page[node] >= 0)
        return node == 0 ? 0 : writer->node_in_page[node];
    int64_t caller = page_node(writer, page->stacks.parents[node - 1]); /* depth: at most one stack's frames */
    const struct report_frame *frame = &page->frames.frames[page->stacks.frames[node - 1]];
    int64_t made = caller < 0 ? -1 : stack_tree_frame_child(&writer->stacks, &writer->frames, caller, frame);
    writer->node_in_page[node] = made;
    return made;
}

/* Writes the page's node for NODE of the process's stack tree, or null for NO_STACK. */
static void write_stack(struct data_writer *writer, int64_t node)
{
    if (node == NO_STACK) {
        fputs("null", writer->out);
        return;
    }
    int64_t written = page_node(writer, (uint32_t)node);
    writer->out_of_memory |= written < 0;
    fprintf(writer->out, "%" PRId64, written);
}

/* Writes the stack tree as one string: for node 1, 2, ... in turn, how many
 * ids back its parent is, then its frame, each number followed by ','.  A
 * path's nodes are usually made one after another, so most parents are 1
 * back; and one long string is far quicker for the page to read than a
 * million-number array. */
static void write_stack_tree(struct data_writer *writer)
{
    fputc('"', writer->out);
    for (size_t i = 0; i < writer->stacks.count; i++)
        fprintf(writer->out, "%zu,%" PRIu32 ",", i + 1 - writer->stacks.parents[i], writer->stacks.frames[i]);
    fputc('"', writer->out);
}

/* Writes the frame table: [function, file, line, module, address] each. */
static void write_frames(struct data_writer *writer)
{
    FILE *out = writer->out;
    fputc('[', out);
    for (size_t i = 0; i < writer->frames.count; i++) {
        const struct report_frame *frame = &writer->frames.frames[i];
        fputs(i > 0 ? ",\n[" : "[", out);
        json_write_string(out, frame->function);
        fputc(',', out);
        json_write_string(out, frame->file);
        fputc(',', out);
        write_maybe_int(out, frame->line);
        fputc(',', out);
        json_write_string(out, frame->module);
        fprintf(out, ",\"0x%" PRIx64 "\"]", frame->address);
    }
    fputc(']', out);
}

/* Writes the process's identity, how it ended, its times and its summary. */
static void write_identity(FILE *out, const struct report_process *process, const struct process_timeline *timeline)
{
    fprintf(out, "\"pid\":%" PRId64 ",\"parent_pid\":%" PRId64 ",\"argv\":[", process->pid, process->parent_pid);
    for (size_t i = 0; i < process->argc; i++) {
        fputs(i > 0 ? "," : "", out);
        json_write_string(out, process->argv[i]);
    }
    fputs("],\"executable\":", out);
    json_write_string(out, process->executable);
    fputs(",\"exit_code\":", out);
    write_maybe_int(out, process->exit_code);
    fputs(",\"exit_signal\":", out);
    write_maybe_int(out, process->exit_signal);
    fprintf(out, ",\"end_reason\":\"%s\",\"leak_scan\":%s,\"start_ns\":", END_REASON_NAMES[process->end_reason],
            process->leak_scan ? "true" : "false");
    write_maybe_int(out, timeline->start_ns);
    fputs(",\"end_ns\":", out);
    write_maybe_int(out, timeline->end_ns);
    fputs(",\"peak_ns\":", out);
    write_maybe_int(out, timeline->peak_ns);
    const struct report_summary *summary = &process->summary;
    fprintf(out,
            ",\"summary\":{\"allocations\":%" PRId64 ",\"frees\":%" PRId64 ",\"allocated_bytes\":%" PRId64
            ",\"peak_bytes\":%" PRId64 ",\"leaked_bytes\":%" PRId64 ",\"leaked_blocks\":%" PRId64
            ",\"temporary_allocations\":%" PRId64 "}",
            summary->allocations, summary->frees, summary->allocated_bytes, summary->peak_bytes,
            summary->leaked_bytes, summary->leaked_blocks, summary->temporary_allocations);
}

/* Writes the heap and RSS curves as parallel arrays (an RSS of null: none
 * read in that stretch), and the marks. */
static void write_timeline(FILE *out, const struct process_timeline *timeline)
{
    fputs(",\"timeline\":{\"time_ns\":[", out);
    for (size_t i = 0; i < timeline->sample_count; i++)
        fprintf(out, i > 0 ? ",%" PRId64 : "%" PRId64, timeline->samples[i].time_ns);
    fputs("],\"heap_bytes\":[", out);
    for (size_t i = 0; i < timeline->sample_count; i++)
        fprintf(out, i > 0 ? ",%" PRId64 : "%" PRId64, timeline->samples[i].heap_bytes);
    fputs("],\"rss_bytes\":[", out);
    for (size_t i = 0; i < timeline->sample_count; i++) {
        if (i > 0)
            fputc(',', out);
        write_maybe_int(out, timeline->samples[i].rss_bytes);
    }
    fputs("]},\"marks\":[", out);
    for (size_t i = 0; i < timeline->mark_count; i++) {
        fprintf(out, i > 0 ? ",[%" PRId64 "," : "[%" PRId64 ",", timeline->marks[i].time_ns);
        json_write_string(out, timeline->marks[i].label);
        fputc(']', out);
    }
    fprintf(out, "],\"marks_dropped\":%" PRId64, timeline->marks_dropped);
}

/* Writes the sites as [stack, allocations, bytes, temporary, peak_bytes,
 * leaked_bytes]: those KEPT says (NULL: all). */
static void write_sites(struct data_writer *writer, const bool *kept)
{
    fputs(",\"sites\":[", writer->out);
    const char *separator = "[";
    for (size_t i = 0; i < writer->page->site_count; i++) {
        const struct page_site *site = &writer->page->sites[i];
        if (kept != NULL && !kept[i])
            continue;
        fputs(separator, writer->out);
        separator = ",\n[";
        write_stack(writer, site->stack);
        for (int figure = 0; figure < FIGURE_COUNT; figure++)
            fprintf(writer->out, ",%" PRId64, site->figures[figure]);
        fputc(']', writer->out);
    }
    fputc(']', writer->out);
}

/* Writes the leak groups the page keeps as [kind, bytes, blocks, stack,
 * heuristic]; the heuristic is null unless one found the blocks reachable. */
static void write_leaks(struct data_writer *writer)
{
    fputs(",\"leaks\":[", writer->out);
    for (size_t i = 0; i < writer->page->leak_count; i++) {
        const struct page_leak *leak = &writer->page->leaks[i];
        fprintf(writer->out, "%s[\"%s\",%" PRId64 ",%" PRId64 ",", i > 0 ? ",\n" : "", LEAK_KIND_NAMES[leak->kind],
                leak->bytes, leak->blocks);
        write_stack(writer, leak->stack);
        fputc(',', writer->out);
        json_write_string(writer->out, HEURISTIC_NAMES[leak->heuristic]);
        fputc(']', writer->out);
    }
    fputc(']', writer->out);
}

/* Writes the bytes, blocks and groups of each leak kind, all of them
 * whatever the page keeps. */
static void write_leak_totals(FILE *out, const struct report_process *process)
{
    const struct report_leak_totals *totals = &process->leak_totals;
    fputs(",\"leak_totals\":{", out);
    for (int kind = 0; kind < LEAK_KIND_COUNT; kind++)
        fprintf(out, "%s\"%s\":[%" PRId64 ",%" PRId64 ",%zu]", kind > 0 ? "," : "", LEAK_KIND_NAMES[kind],
                totals->bytes[kind], totals->blocks[kind], totals->records[kind]);
    fprintf(out, "},\"site_total\":%zu", process->site_total);
}

/* Writes the folded flame graph as rows [stack, allocations, bytes,
 * temporary, peak_bytes, leaked_bytes, folded], where an "other" row's stack
 * is its caller's with PAGE_FOLDED_FRAME added; then how many frames were
 * folded and under which share.  Both null when nothing is folded. */
static void write_flame(struct data_writer *writer, const struct page_fold *fold)
{
    FILE *out = writer->out;
    if (fold == NULL) {
        fputs(",\"flame\":null,\"folded\":null", out);
        return;
    }
    fputs(",\"flame\":[", out);
    for (size_t i = 0; i < fold->row_count; i++) {
        const struct flame_row *row = &fold->rows[i];
        fputs(i > 0 ? ",\n[" : "[", out);
        int64_t node = page_node(writer, (uint32_t)row->stack);
        if (node >= 0 && row->folded > 0)
            node = stack_tree_frame_child(&writer->stacks, &writer->frames, node, &PAGE_FOLDED_FRAME);
        writer->out_of_memory |= node < 0;
        fprintf(out, "%" PRId64, node);
        for (int m = 0; m < FIGURE_COUNT; m++)
            fprintf(out, ",%" PRId64, row->figures[m]);
        fprintf(out, ",%zu]", row->folded);
    }
    fprintf(out, "],\"folded\":{\"share\":%g,\"frames\":%zu,\"sites_per_figure\":%d,\"leaks_per_kind\":%d}",
            PAGE_FOLD_SHARE, fold->folded_frames, PAGE_SITES_PER_FIGURE, PAGE_LEAKS_PER_KIND);
}

/* Writes the deallocation errors as objects: there are few, and they have
 * many optional parts. */
static void write_errors(struct data_writer *writer)
{
    FILE *out = writer->out;
    fputs(",\"errors\":[", out);
    for (size_t i = 0; i < writer->page->error_count; i++) {
        const struct page_error *error = &writer->page->errors[i];
        fprintf(out, "%s{\"type\":\"%s\",\"address\":\"0x%" PRIx64 "\",\"size\":", i > 0 ? ",\n" : "",
                ERROR_TYPE_NAMES[error->type], error->address);
        write_maybe_int(out, error->size);
        fputs(",\"offset\":", out);
        write_maybe_int(out, error->offset);
        fputs(",\"alloc_function\":", out);
        json_write_string(out, error->alloc_function);
        fputs(",\"free_function\":", out);
        json_write_string(out, error->free_function);
        fputs(",\"stack\":", out);
        write_stack(writer, error->stack);
        fputs(",\"alloc_stack\":", out);
        write_stack(writer, error->alloc_stack);
        fputs(",\"first_free_stack\":", out);
        write_stack(writer, error->first_free_stack);
        fputc('}', out);
    }
    fputc(']', out);
}

/* Writes one process: identity, timeline, sites, leaks and errors, its
 * leak totals, and unless the page keeps everything (FULL) its folded flame
 * graph (html_fold.h), keeping only the largest sites. */
static void write_process(struct data_writer *writer, const struct report_process *process,
                          const struct page_process *page, const struct process_timeline *timeline, bool full)
{
    writer->page = page;
    writer->node_in_page = page_array_realloc(NULL, (page->stacks.count + 1) * sizeof *writer->node_in_page);
    struct page_fold fold = {0};
    if (writer->node_in_page == NULL || (!full && page_fold_process(&fold, page) != 0)) {
        writer->out_of_memory = true;
        page_fold_free(&fold);
        free(writer->node_in_page);
        return;
    }
    memset(writer->node_in_page, 0xff, (page->stacks.count + 1) * sizeof *writer->node_in_page); /* all -1 */
    fputc('{', writer->out);
    write_identity(writer->out, process, timeline);
    write_timeline(writer->out, timeline);
    write_sites(writer, full ? NULL : fold.site_kept);
    write_leaks(writer);
    write_errors(writer);
    write_leak_totals(writer->out, process);
    write_flame(writer, full ? NULL : &fold);
    fputc('}', writer->out);
    page_fold_free(&fold);
    free(writer->node_in_page);
}

/* Writes the page's data document to OUT.  Returns 0, or -1 when memory ran
 * out (write errors are left on OUT for the caller). */
int write_view_data(FILE *out, const struct view *view)
{
    struct data_writer writer = {.out = out};
    frame_table_init(&writer.frames, false);
    stack_tree_init(&writer.stacks);
    fprintf(out, "{\"format\":\"memtrack-view\",\"version\":%d,\"trace\":", MT_VIEW_DATA_VERSION);
    json_write_string(out, view->trace_path);
    fputs(",\"processes\":[", out);
    for (size_t i = 0; i < view->report->process_count && !writer.out_of_memory; i++) {
        fputs(i > 0 ? ",\n" : "", out);
        write_process(&writer, &view->report->processes[i], &view->pages[i], &view->timelines[i], view->full);
    }
    fputs("],\n\"stacks\":", out);
    write_stack_tree(&writer);
    fputs(",\n\"frames\":", out);
    write_frames(&writer);
    fputs("}", out);
    bool out_of_memory = writer.out_of_memory;
    stack_tree_free(&writer.stacks);
    frame_table_free(&writer.frames);
    return out_of_memory ? -1 : 0;
}
