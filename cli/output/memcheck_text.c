/*
 * memcheck_text.c - see memcheck_text.h.
 */
#include <inttypes.h>

#include "output/memcheck_text.h"
#include "output/source_path.h"
#include "util/printable.h"

void write_frame_label(FILE *out, const struct report_frame *frame)
{
    write_printable(out, frame->function != NULL ? frame->function : "???");
    if (frame->file != NULL) {
        fputs(" (", out);
        write_source_path(out, frame->file);
        if (frame->line.present)
            fprintf(out, ":%" PRId64, frame->line.value);
        fputc(')', out);
    } else if (frame->module != NULL) {
        fputs(" (in ", out);
        write_printable(out, frame->module);
        fputc(')', out);
    }
}

static void write_frame(FILE *out, const struct report_frame *frame, const char *indent, bool innermost)
{
    fprintf(out, "%s%s 0x%" PRIx64 ": ", indent, innermost ? "at" : "by", frame->address);
    write_frame_label(out, frame);
    fputc('\n', out);
}

void write_stack_text(FILE *out, const struct report_stack *stack, const char *indent, size_t max_frames,
                      bool below_main)
{
    if (!stack->present || stack->depth == 0) {
        fprintf(out, "%s%s\n", indent, stack->present ? "(empty stack)" : "(no stack recorded)");
        return;
    }
    size_t depth = report_stack_shown_depth(stack, below_main), shown = 0, more = 0;
    for (size_t i = report_stack_first_shown(stack); i < depth; i++) {
        if (report_frame_is_memtracks(&stack->frames[i]))
            continue;
        if (shown < max_frames)
            write_frame(out, &stack->frames[i], indent, shown++ == 0);
        else
            more++;
    }
    if (more > 0)
        fprintf(out, "%s... (%zu more)\n", indent, more);
}

void write_data_symbol(FILE *out, const struct report_error *error)
{
    if (error->data_symbol == NULL)
        return;
    fprintf(out, "%" PRId64 " bytes inside data symbol \"",
            error->data_symbol_offset.present ? error->data_symbol_offset.value : 0);
    write_printable(out, error->data_symbol);
    fputc('"', out);
}

void write_leak_size(FILE *out, const struct report_leak *leak)
{
    if (leak->indirect_bytes > 0)
        fprintf(out, "%" PRId64 " (%" PRId64 " direct, %" PRId64 " indirect) bytes",
                leak->bytes + leak->indirect_bytes, leak->bytes, leak->indirect_bytes);
    else
        fprintf(out, "%" PRId64 " bytes", leak->bytes);
}
