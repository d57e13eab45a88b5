/*
 * describe.c - findings and processes in words.
 */
#include "output/describe.h"
#include "output/memcheck_text.h"
#include "util/printable.h"
#include "util/text_stream.h"

#include <inttypes.h>
#include <stdlib.h>

/* "pid 123 (./prog arg)": how reports name a process.  The executable stands
 * in for an empty argv. */
char *process_label(const struct report_process *process)
{
    struct text_stream stream;
    FILE *out = text_stream_open(&stream);
    if (out == NULL)
        return NULL;
    fprintf(out, "pid %" PRId64 " (", process->pid);
    for (size_t i = 0; i < process->argc; i++) {
        fputs(i > 0 ? " " : "", out);
        write_printable(out, process->argv[i]);
    }
    if (process->argc == 0)
        write_printable(out, process->executable != NULL ? process->executable : "?");
    fputc(')', out);
    return text_stream_close(&stream);
}

/* One line saying what a finding is: "40 bytes in 1 blocks are definitely
 * lost", "32 bytes in 1 blocks are still reachable (via heuristic newarray)",
 * "double free of 0x5610 (block of 8 bytes allocated by malloc)", "invalid
 * free of 0x4040 by free (0 bytes inside data symbol "a_global")". */
char *finding_headline(const struct finding *finding)
{
    struct text_stream stream;
    FILE *out = text_stream_open(&stream);
    if (out == NULL)
        return NULL;
    const char *phrase = KIND_NAMES[finding->kind].phrase;
    if (finding->kind == FINDING_UNTRACED) {
        fprintf(out, "%s: ", phrase);
        write_printable(out, finding->process->untraced);
    } else if (finding->leak != NULL) {
        write_leak_size(out, finding->leak);
        fprintf(out, " in %" PRId64 " blocks are %s", finding->blocks, phrase);
        if (finding->leak->heuristic != HEURISTIC_NONE)
            fprintf(out, " (via heuristic %s)", HEURISTIC_NAMES[finding->leak->heuristic]);
    } else {
        const struct report_error *error = finding->error;
        fprintf(out, "%s of 0x%" PRIx64 " by ", phrase, error->address);
        write_printable(out, error->free_function);
        if (error->size.present) {
            fprintf(out, " (block of %" PRId64 " bytes allocated by ", error->size.value);
            write_printable(out, error->alloc_function != NULL ? error->alloc_function : "?");
            fputc(')', out);
        } else if (error->data_symbol != NULL) {
            fputs(" (", out);
            write_data_symbol(out, error);
            fputc(')', out);
        }
    }
    return text_stream_close(&stream);
}

/* "make_leak (src/leak.c:6)", "??? (in /lib/libfoo.so)": one frame. */
char *frame_label(const struct report_frame *frame)
{
    struct text_stream stream;
    FILE *out = text_stream_open(&stream);
    if (out == NULL)
        return NULL;
    write_frame_label(out, frame);
    return text_stream_close(&stream);
}

/* The stacks of a finding, one frame a line: the allocation stack of a leak;
 * for a bad free its stack, then where the block was allocated and first
 * freed, when known; nothing for an untraced process.  Frames below main
 * only when BELOW_MAIN (report_stack_shown_depth). */
char *finding_stacks(const struct finding *finding, size_t max_frames, bool below_main)
{
    struct text_stream stream;
    FILE *out = text_stream_open(&stream);
    if (out == NULL)
        return NULL;
    if (finding->kind != FINDING_UNTRACED)
        write_stack_text(out, finding->stack, "    ", max_frames, below_main);
    const struct report_error *error = finding->error;
    if (error != NULL && error->alloc_stack.present) {
        fputs("  allocated at:\n", out);
        write_stack_text(out, &error->alloc_stack, "    ", max_frames, below_main);
    }
    if (error != NULL && error->first_free_stack.present) {
        fputs("  first freed at:\n", out);
        write_stack_text(out, &error->first_free_stack, "    ", max_frames, below_main);
    }
    return text_stream_close(&stream);
}
