/*
 * html_data.c - the data the page shows, as one JSON document (docs/viewer.md).
 * Unlike the JSON report it is built for size: frames are written once, in a
 * table; stacks are nodes of one stack tree (html_stacks.h), named by id; table
 * rows are arrays.
 */
#include <inttypes.h>
#include <stdbool.h>

#include "output/html.h"
#include "output/html_frames.h"
#include "output/html_stacks.h"
#include "output/json_string.h"

struct data_writer {
    FILE *out;
    struct frame_table frames;
    struct stack_tree stacks;
    bool show_below_main;
    bool out_of_memory; /* sticky: checked once at the end */
};

/* Writes an integer the trace may not know, as a number or null. */
static void write_maybe_int(FILE *out, struct maybe_int number)
{
    if (number.present)
        fprintf(out, "%" PRId64, number.value);
    else
        fputs("null", out);
}

/* Writes a stack as its node in the stack tree (without its frames below
 * main unless asked), or null when the trace has none. */
static void write_stack(struct data_writer *writer, const struct report_stack *stack)
{
    if (!stack->present) {
        fputs("null", writer->out);
        return;
    }
    struct report_stack shown = *stack;
    size_t first = report_stack_first_shown(stack);
    shown.frames += first;
    shown.depth = report_stack_shown_depth(stack, writer->show_below_main) - first;
    int64_t node = stack_tree_node(&writer->stacks, &writer->frames, &shown);
    writer->out_of_memory |= node < 0;
    fprintf(writer->out, "%" PRId64, node);
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
        const struct report_frame *frame = writer->frames.frames[i];
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

/* Writes the heap curve as two parallel arrays, and the marks. */
static void write_timeline(FILE *out, const struct process_timeline *timeline)
{
    fputs(",\"timeline\":{\"time_ns\":[", out);
    for (size_t i = 0; i < timeline->sample_count; i++)
        fprintf(out, i > 0 ? ",%" PRId64 : "%" PRId64, timeline->samples[i].time_ns);
    fputs("],\"heap_bytes\":[", out);
    for (size_t i = 0; i < timeline->sample_count; i++)
        fprintf(out, i > 0 ? ",%" PRId64 : "%" PRId64, timeline->samples[i].heap_bytes);
    fputs("]},\"marks\":[", out);
    for (size_t i = 0; i < timeline->mark_count; i++) {
        fprintf(out, i > 0 ? ",[%" PRId64 "," : "[%" PRId64 ",", timeline->marks[i].time_ns);
        json_write_string(out, timeline->marks[i].label);
        fputc(']', out);
    }
    fprintf(out, "],\"marks_dropped\":%" PRId64, timeline->marks_dropped);
}

/* Writes the sites as [stack, allocations, bytes, temporary, peak_bytes, leaked_bytes]. */
static void write_sites(struct data_writer *writer, const struct report_process *process)
{
    fputs(",\"sites\":[", writer->out);
    for (size_t i = 0; i < process->site_count; i++) {
        const struct report_site *site = &process->sites[i];
        fputs(i > 0 ? ",\n[" : "[", writer->out);
        write_stack(writer, &site->stack);
        fprintf(writer->out, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "]", site->allocations,
                site->bytes, site->temporary, site->peak_bytes, site->leaked_bytes);
    }
    fputc(']', writer->out);
}

/* Writes the leak groups as [kind, bytes, blocks, stack, heuristic]; the
 * heuristic is null unless one found the blocks reachable. */
static void write_leaks(struct data_writer *writer, const struct report_process *process)
{
    fputs(",\"leaks\":[", writer->out);
    for (size_t i = 0; i < process->leak_count; i++) {
        const struct report_leak *leak = &process->leaks[i];
        fprintf(writer->out, "%s[\"%s\",%" PRId64 ",%" PRId64 ",", i > 0 ? ",\n" : "", LEAK_KIND_NAMES[leak->kind],
                leak->bytes, leak->blocks);
        write_stack(writer, &leak->stack);
        fputc(',', writer->out);
        json_write_string(writer->out, HEURISTIC_NAMES[leak->heuristic]);
        fputc(']', writer->out);
    }
    fputc(']', writer->out);
}

/* Writes the deallocation errors as objects: there are few, and they have
 * many optional parts. */
static void write_errors(struct data_writer *writer, const struct report_process *process)
{
    FILE *out = writer->out;
    fputs(",\"errors\":[", out);
    for (size_t i = 0; i < process->error_count; i++) {
        const struct report_error *error = &process->errors[i];
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
        write_stack(writer, &error->stack);
        fputs(",\"alloc_stack\":", out);
        write_stack(writer, &error->alloc_stack);
        fputs(",\"first_free_stack\":", out);
        write_stack(writer, &error->first_free_stack);
        fputc('}', out);
    }
    fputc(']', out);
}

/* Writes one process: identity, timeline, sites, leaks and errors. */
static void write_process(struct data_writer *writer, const struct report_process *process,
                          const struct process_timeline *timeline)
{
    fputc('{', writer->out);
    write_identity(writer->out, process, timeline);
    write_timeline(writer->out, timeline);
    write_sites(writer, process);
    write_leaks(writer, process);
    write_errors(writer, process);
    fputc('}', writer->out);
}

/* Writes the page's data document to OUT.  Returns 0, or -1 when memory ran
 * out (write errors are left on OUT for the caller). */
int write_view_data(FILE *out, const struct view *view)
{
    struct data_writer writer = {.out = out, .show_below_main = view->show_below_main};
    frame_table_init(&writer.frames, false);
    stack_tree_init(&writer.stacks);
    fprintf(out, "{\"format\":\"memtrack-view\",\"version\":%d,\"trace\":", MT_VIEW_DATA_VERSION);
    json_write_string(out, view->trace_path);
    fputs(",\"processes\":[", out);
    for (size_t i = 0; i < view->report->process_count; i++) {
        fputs(i > 0 ? ",\n" : "", out);
        write_process(&writer, &view->report->processes[i], &view->timelines[i]);
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
