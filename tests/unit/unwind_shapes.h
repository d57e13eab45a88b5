/*
 * unwind_shapes.h - stacks of known shapes for test_unwind.c to walk.
 *
 * A stack is a chain of steps: each step's function gives its own frame a
 * shape (recursion, a variable-length array, a huge frame, rbp used as an
 * ordinary register, a libc callback), then calls the next step from inside
 * that frame; the last step is the test's, which walks the stack there.
 *
 * unwind_shapes.c is compiled four times, at -O0 and -O2, with and without
 * frame pointers (and with -fexceptions); each build is one struct shape_set.
 */
#ifndef MEMTRACK_TESTS_UNWIND_SHAPES_H
#define MEMTRACK_TESTS_UNWIND_SHAPES_H

struct shape_step;
typedef int (*shape_fn)(const struct shape_step *step);

struct shape_step {
    shape_fn fn;
    int arg;                       /* the shape's size: recursion levels, array length, ... */
    const struct shape_step *next; /* called from inside this step's frame */
    void *data;                    /* for the test's own steps */
};

/* A frame bigger than this has its CFA more than 1 MiB above its stack pointer. */
#define SHAPE_BIG_FRAME_BYTES (1 << 20)

/* The shapes of one build: each calls step->next from a frame of that shape. */
struct shape_set {
    const char *name;          /* e.g. "o2_nofp": -O2 -fomit-frame-pointer */
    int omits_frame_pointer;
    shape_fn recurse;          /* step->arg more frames of one recursive function */
    shape_fn vla;              /* an array of step->arg bytes on the stack: the CFA is found from rbp */
    shape_fn big_frame;        /* SHAPE_BIG_FRAME_BYTES of locals */
    shape_fn pressure;         /* six values live across the call: every callee-saved register, rbp too */
    shape_fn sorted_by_libc;   /* from a qsort_r comparator, under libc's frames */
    shape_fn cleaned_up;       /* with a cleanup to run on unwinding: a personality routine in its CIE */
};

extern const struct shape_set shapes_o0_fp, shapes_o0_nofp, shapes_o2_fp, shapes_o2_nofp;

/* Built without any unwind information (no .eh_frame entry): calls
 * step->next; no rule can step out of its frame. */
int shape_without_unwind_info(const struct shape_step *step);

#endif
