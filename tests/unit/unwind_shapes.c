/*
 * unwind_shapes.c - the frame shapes of unwind_shapes.h, in one build.
 *
 * Compiled once per struct shape_set, with SHAPE_VARIANT naming the build
 * (o0_fp, o0_nofp, o2_fp, o2_nofp) and its -O and -f[no-]omit-frame-pointer
 * options.  Every function is noipa, so each keeps a frame of its own as the
 * options make it, and every call to the next step is followed by an empty asm
 * using its result, so that no call becomes a jump and no recursion a loop.
 * The functions are global, with the build in their names, so that a failing
 * test can name the frames it printed.
 */
#define _GNU_SOURCE /* qsort_r */
#include <stdlib.h>
#include <string.h>
#include "unwind_shapes.h"

#define SHAPE_GLUE(name, variant) shape_##name##_##variant
#define SHAPE_NAMED(name, variant) SHAPE_GLUE(name, variant)
#define SHAPE(name) SHAPE_NAMED(name, SHAPE_VARIANT)
#define SET_GLUE(variant) shapes_##variant
#define SET_NAMED(variant) SET_GLUE(variant)
#define STRING_GLUE(variant) #variant
#define STRING_NAMED(variant) STRING_GLUE(variant)

#define SHAPE_FN __attribute__((noipa))

/* Calls the next step and keeps the call a call; inlined even at -O0, so
 * that the step's own frame makes the call. */
__attribute__((always_inline)) static inline int call_next(const struct shape_step *step)
{
    int result = step->next->fn(step->next);
    __asm__ volatile("" : "+r"(result));
    return result;
}

/* The next step under `levels` more frames of this function. */
SHAPE_FN int SHAPE(recurse_levels)(const struct shape_step *step, int levels)
{
    int result = levels > 0 ? SHAPE(recurse_levels)(step, levels - 1) : call_next(step);
    __asm__ volatile("" : "+r"(result));
    return result;
}

/* The next step under step->arg frames of recursion. */
SHAPE_FN int SHAPE(recurse)(const struct shape_step *step)
{
    return SHAPE(recurse_levels)(step, step->arg);
}

/* The next step from a frame holding a variable-length array: its size is
 * not known when compiling, so the frame is addressed from rbp. */
SHAPE_FN int SHAPE(vla)(const struct shape_step *step)
{
    char bytes[step->arg > 0 ? step->arg : 1];
    memset(bytes, 1, sizeof bytes);
    __asm__ volatile("" : : "r"(bytes) : "memory");
    return call_next(step) + bytes[0];
}

/* The next step from a frame of more than SHAPE_BIG_FRAME_BYTES. */
SHAPE_FN int SHAPE(big_frame)(const struct shape_step *step)
{
    char bytes[SHAPE_BIG_FRAME_BYTES + 64];
    bytes[0] = 1;
    bytes[sizeof bytes - 1] = 2;
    __asm__ volatile("" : : "r"(bytes) : "memory");
    int result = call_next(step);
    __asm__ volatile("" : : "r"(bytes) : "memory");
    return result + bytes[0] + bytes[sizeof bytes - 1];
}

/* The next step with six opaque values live across the call: without frame
 * pointers rbp holds one of them, saved in this frame like any other
 * callee-saved register, and the walk has to restore it from there. */
SHAPE_FN int SHAPE(pressure)(const struct shape_step *step)
{
    int a = step->arg, b = a + 1, c = a + 2, d = a + 3, e = a + 4, f = a + 5;
    __asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e), "+r"(f));
    int result = call_next(step);
    __asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e), "+r"(f));
    return result + a + b + c + d + e + f;
}

/* Undoes what `cleaned_up` did, when its frame is left normally or by an exception. */
static void restore_counter(int **counter)
{
    --**counter;
}

/* The next step from a frame with a cleanup: built with -fexceptions, its
 * unwind entry names a personality routine and a language-specific data
 * area, as every C++ frame with a destructor to run does. */
SHAPE_FN int SHAPE(cleaned_up)(const struct shape_step *step)
{
    static int depth;
    int *counter __attribute__((cleanup(restore_counter))) = &depth;
    ++*counter;
    return call_next(step);
}

struct sort_state {
    const struct shape_step *step;
    int called, result;
};

/* qsort_r's comparator: calls the next step the first time libc calls it. */
SHAPE_FN int SHAPE(compare_ints)(const void *left, const void *right, void *arg)
{
    struct sort_state *state = arg;
    if (!state->called) {
        state->called = 1;
        state->result = call_next(state->step);
    }
    return *(const int *)left - *(const int *)right;
}

/* The next step from inside qsort_r, through a comparator. */
SHAPE_FN int SHAPE(sorted_by_libc)(const struct shape_step *step)
{
    int values[4] = {3, 1, 2, 0};
    struct sort_state state = {step, 0, 0};
    qsort_r(values, 4, sizeof *values, SHAPE(compare_ints), &state);
    __asm__ volatile("" : : "r"(values) : "memory");
    return state.result + values[0];
}

const struct shape_set SET_NAMED(SHAPE_VARIANT) = {
    .name = STRING_NAMED(SHAPE_VARIANT),
    .omits_frame_pointer = SHAPE_OMITS_FRAME_POINTER,
    .recurse = SHAPE(recurse),
    .vla = SHAPE(vla),
    .big_frame = SHAPE(big_frame),
    .pressure = SHAPE(pressure),
    .sorted_by_libc = SHAPE(sorted_by_libc),
    .cleaned_up = SHAPE(cleaned_up),
};
