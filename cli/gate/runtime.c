/*
 * runtime.c - which frames belong to the C and C++ runtime.
 */
#include "gate/gate.h"

#include <string.h>

/* How the runtime's shared objects are named (file name prefixes).  A static
 * executable has its libc inside, and then no frame counts as the runtime's. */
static const char *const RUNTIME_MODULES[] = {
    "ld-linux", "ld64.so", "ld.so", "ld-2.", "libc.so", "libc-2.", "libm.so", "libm-2.", "libpthread.so",
    "libpthread-2.", "libdl.so", "libdl-2.", "librt.so", "librt-2.", "libstdc++.so", "libgcc_s.so",
    "libmemtrack.so",
};

/* Tells whether FRAME lies in one of the runtime's shared objects. */
bool frame_in_runtime(const struct report_frame *frame)
{
    if (frame->module == NULL)
        return false;
    const char *slash = strrchr(frame->module, '/');
    const char *name = slash != NULL ? slash + 1 : frame->module;
    for (size_t i = 0; i < sizeof RUNTIME_MODULES / sizeof *RUNTIME_MODULES; i++)
        if (strncmp(name, RUNTIME_MODULES[i], strlen(RUNTIME_MODULES[i])) == 0)
            return true;
    return false;
}

/* How many frames, innermost first, lie in the runtime before the first one
 * that does not: the part of a stack where the runtime allocated for itself. */
size_t runtime_prefix_depth(const struct report_stack *stack)
{
    size_t depth = 0;
    while (depth < stack->depth && frame_in_runtime(&stack->frames[depth]))
        depth++;
    return depth;
}

/* The frame a finding is reported at: the innermost one outside the runtime
 * that has a source file, else the innermost with a source file at all, else
 * NULL. */
const struct report_frame *source_frame(const struct report_stack *stack)
{
    const struct report_frame *any = NULL;
    for (size_t i = 0; i < stack->depth; i++) {
        const struct report_frame *frame = &stack->frames[i];
        if (frame->file == NULL)
            continue;
        if (!frame_in_runtime(frame))
            return frame;
        if (any == NULL)
            any = frame;
    }
    return any;
}
