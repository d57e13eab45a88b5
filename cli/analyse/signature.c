/*
 * signature.c - stack signatures, for matching findings and sites between
 * two traces (baselines, `memtrack diff`).
 */
#include "analyse/signature.h"
#include "util/text_stream.h"

#include <stdio.h>
#include <string.h>

/* The last component of PATH: build directories differ between machines. */
static const char *file_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* Returns STACK's signature, one "FUNCTION@FILE" line per frame, innermost
 * first; "" for an empty or unknown stack.  A frame without a source file is
 * "FUNCTION@", or "?@MODULE" when its function is unknown too: the module
 * alone would tell apart builds of one program under two names.  The caller
 * frees it; NULL when memory runs out. */
char *stack_signature(const struct report_stack *stack)
{
    struct text_stream stream;
    FILE *out = text_stream_open(&stream);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < stack->depth; i++) {
        const struct report_frame *frame = &stack->frames[i];
        const char *where = frame->file != NULL ? frame->file : frame->function == NULL ? frame->module : NULL;
        fprintf(out, "%s@%s\n", frame->function != NULL ? frame->function : "?",
                where != NULL ? file_name(where) : "");
    }
    return text_stream_close(&stream);
}
