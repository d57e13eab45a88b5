/*
 * unwind_without_cfi.c - code without unwind information, for test_unwind.c.
 * Built with -fno-asynchronous-unwind-tables -fno-unwind-tables: no .eh_frame
 * entry covers this function, so eh_frame.c has no rule for a return address
 * in it and mt_unwind must leave the stack to libunwind.
 */
#include "unwind_shapes.h"

/* Calls the next step from a frame nothing describes. */
__attribute__((noipa)) int shape_without_unwind_info(const struct shape_step *step)
{
    int result = step->next->fn(step->next);
    __asm__ volatile("" : "+r"(result));
    return result;
}
