/*
 * json.c - the report as JSON, the public contract in docs/report-format.md:
 * field names and order are fixed, the output is one line and deterministic.
 */
#include <inttypes.h>

#include "output/json_string.h"
#include "output/render.h"

/* Writes an integer the trace may not know, as a number or null. */
static void json_maybe_int(FILE *out, struct maybe_int number)
{
    if (number.present)
        fprintf(out, "%" PRId64, number.value);
    else
        fputs("null", out);
}

/* Writes an address as a lowercase hex string: JSON numbers lose precision
 * beyond 2^53, and hex is how addresses are read anyway. */
static void json_address(FILE *out, uint64_t address)
{
    fprintf(out, "\"0x%" PRIx64 "\"", address);
}

/* Writes one frame object. */
static void json_frame(FILE *out, const struct report_frame *frame)
{
    fputs("{\"function\": ", out);
    json_write_string(out, frame->function);
    fputs(", \"file\": ", out);
    json_write_string(out, frame->file);
    fputs(", \"line\": ", out);
    json_maybe_int(out, frame->line);
    fputs(", \"module\": ", out);
    json_write_string(out, frame->module);
    fputs(", \"address\": ", out);
    json_address(out, frame->address);
    fputc('}', out);
}

/* Writes a stack as an array of frames, innermost first; null when the
 * trace has no stack. Shared by leaks, errors and sites. */
static void json_stack(FILE *out, const struct report_stack *stack)
{
    if (!stack->present) {
        fputs("null", out);
        return;
    }
    fputc('[', out);
    for (size_t i = 0; i < stack->depth; i++) {
        fputs(i > 0 ? ", " : "", out);
        json_frame(out, &stack->frames[i]);
    }
    fputc(']', out);
}

/* Writes a process's argv as an array of strings. */
static void json_argv(FILE *out, const struct report_process *process)
{
    fputc('[', out);
    for (size_t i = 0; i < process->argc; i++) {
        fputs(i > 0 ? ", " : "", out);
        json_write_string(out, process->argv[i]);
    }
    fputc(']', out);
}

/* Writes the summary object. */
static void json_summary(FILE *out, const struct report_summary *summary)
{
    fprintf(out,
            "{\"allocations\": %" PRId64 ", \"frees\": %" PRId64 ", \"allocated_bytes\": %" PRId64
            ", \"peak_bytes\": %" PRId64 ", \"leaked_bytes\": %" PRId64 ", \"leaked_blocks\": %" PRId64
            ", \"temporary_allocations\": %" PRId64 "}",
            summary->allocations, summary->frees, summary->allocated_bytes, summary->peak_bytes,
            summary->leaked_bytes, summary->leaked_blocks, summary->temporary_allocations);
}

/* Writes one leak group. */
static void json_leak(FILE *out, const struct report_leak *leak)
{
    fprintf(out, "{\"kind\": \"%s\", \"bytes\": %" PRId64 ", \"blocks\": %" PRId64 ", \"stack\": ",
            LEAK_KIND_NAMES[leak->kind], leak->bytes, leak->blocks);
    json_stack(out, &leak->stack);
    fputs(", \"heuristic\": ", out);
    json_write_string(out, HEURISTIC_NAMES[leak->heuristic]);
    fprintf(out, ", \"indirect_bytes\": %" PRId64 "}", leak->indirect_bytes);
}

/* Writes one error. */
static void json_error(FILE *out, const struct report_error *error)
{
    fprintf(out, "{\"type\": \"%s\", \"address\": ", ERROR_TYPE_NAMES[error->type]);
    json_address(out, error->address);
    fputs(", \"size\": ", out);
    json_maybe_int(out, error->size);
    fputs(", \"offset\": ", out);
    json_maybe_int(out, error->offset);
    fputs(", \"alloc_function\": ", out);
    json_write_string(out, error->alloc_function);
    fputs(", \"free_function\": ", out);
    json_write_string(out, error->free_function);
    fputs(", \"stack\": ", out);
    json_stack(out, &error->stack);
    fputs(", \"alloc_stack\": ", out);
    json_stack(out, &error->alloc_stack);
    fputs(", \"first_free_stack\": ", out);
    json_stack(out, &error->first_free_stack);
    fputs(", \"data_symbol\": ", out);
    json_write_string(out, error->data_symbol);
    fputs(", \"data_symbol_offset\": ", out);
    json_maybe_int(out, error->data_symbol_offset);
    fputc('}', out);
}

/* Writes one allocation site. */
static void json_site(FILE *out, const struct report_site *site)
{
    fputs("{\"stack\": ", out);
    json_stack(out, &site->stack);
    fprintf(out,
            ", \"allocations\": %" PRId64 ", \"bytes\": %" PRId64 ", \"temporary\": %" PRId64
            ", \"peak_bytes\": %" PRId64 ", \"leaked_bytes\": %" PRId64 "}",
            site->allocations, site->bytes, site->temporary, site->peak_bytes, site->leaked_bytes);
}

/* The parts of a process object that hold records, in the order written,
 * each opened by closing the one before: json_enter's steps. */
enum json_part { PART_SUMMARY, PART_LEAKS, PART_ERRORS, PART_SITES, PART_END };
static const char *const PART_OPENINGS[] = {"", ", \"leaks\": [", "], \"errors\": [", "], \"sites\": [",
                                            "], \"untraced\": "};

/* Moves WRITER on to PART of the current process, opening (and closing)
 * the parts on the way, and separates a record from the one before it. */
static void json_enter(struct json_writer *writer, enum json_part part)
{
    if (writer->part == (int)part) {
        fputs(", ", writer->out);
        return;
    }
    while (writer->part < (int)part)
        fputs(PART_OPENINGS[++writer->part], writer->out);
}

/* Writes the start of a process object: who it is, how it ended, its summary. */
static int json_process_start(void *context, const struct report_process *process)
{
    struct json_writer *writer = context;
    FILE *out = writer->out;
    fputs(writer->processes++ > 0 ? ", " : "", out);
    writer->part = PART_SUMMARY;
    fprintf(out, "{\"pid\": %" PRId64 ", \"parent_pid\": %" PRId64 ", \"argv\": ", process->pid,
            process->parent_pid);
    json_argv(out, process);
    fputs(", \"executable\": ", out);
    json_write_string(out, process->executable);
    fputs(", \"exit_code\": ", out);
    json_maybe_int(out, process->exit_code);
    fputs(", \"exit_signal\": ", out);
    json_maybe_int(out, process->exit_signal);
    fprintf(out, ", \"end_reason\": \"%s\", \"leak_scan\": %s, \"summary\": ", END_REASON_NAMES[process->end_reason],
            process->leak_scan ? "true" : "false");
    json_summary(out, &process->summary);
    return ferror(out) ? -1 : 0;
}

/* Writes one leak group of the current process. */
static int json_next_leak(void *context, const struct report_leak *leak)
{
    struct json_writer *writer = context;
    json_enter(writer, PART_LEAKS);
    json_leak(writer->out, leak);
    return ferror(writer->out) ? -1 : 0;
}

/* Writes one error of the current process. */
static int json_next_error(void *context, const struct report_error *error)
{
    struct json_writer *writer = context;
    json_enter(writer, PART_ERRORS);
    json_error(writer->out, error);
    return ferror(writer->out) ? -1 : 0;
}

/* Writes one site of the current process. */
static int json_next_site(void *context, const struct report_site *site)
{
    struct json_writer *writer = context;
    json_enter(writer, PART_SITES);
    json_site(writer->out, site);
    return ferror(writer->out) ? -1 : 0;
}

/* Writes the end of the current process object. */
static int json_process_end(void *context, const struct report_process *process)
{
    struct json_writer *writer = context;
    json_enter(writer, PART_END);
    json_write_string(writer->out, process->untraced);
    fputc('}', writer->out);
    return ferror(writer->out) ? -1 : 0;
}

void json_writer_start(struct json_writer *writer, FILE *out)
{
    *writer = (struct json_writer){.out = out};
    fprintf(out, "{\"format\": \"memtrack-report\", \"version\": %d, \"processes\": [", MT_REPORT_VERSION);
}

struct report_visitor json_writer_visitor(struct json_writer *writer)
{
    return (struct report_visitor){writer, json_process_start, json_next_leak, json_next_error, json_next_site,
                                   json_process_end};
}

int json_writer_finish(struct json_writer *writer)
{
    fputs("]}\n", writer->out);
    return fflush(writer->out) == 0 && !ferror(writer->out) ? 0 : -1;
}

/* Writes the whole report as one line of JSON followed by a newline. */
int render_json(FILE *out, const struct report *report)
{
    struct json_writer writer;
    json_writer_start(&writer, out);
    struct report_visitor visitor = json_writer_visitor(&writer);
    report_visit(report->processes, report->process_count, &visitor); /* stops only at a write error */
    return json_writer_finish(&writer);
}
