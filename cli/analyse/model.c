/*
 * model.c - the report model's vocabulary and memory: enumerator names as the
 * trace spells them, and freeing a whole report.
 */
#include "analyse/model.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *const LEAK_KIND_NAMES[LEAK_KIND_COUNT] = {"definite", "indirect", "possible", "reachable",
                                                      "unclassified"};
const char *const HEURISTIC_NAMES[HEURISTIC_COUNT] = {NULL, "stdstring", "length64", "newarray",
                                                      "multipleinheritance"};
const char *const ERROR_TYPE_NAMES[ERROR_TYPE_COUNT] = {"double_free", "invalid_free", "mismatched_free"};
const char *const END_REASON_NAMES[END_REASON_COUNT] = {"exit", "_exit", "signal", "exec", "running"};

/* Finds NAME in a names table (whose NULL entries match nothing); -1 when it
 * is not there (or NULL), which the analyses report as damage rather than guess. */
int name_to_index(const char *const names[], size_t count, const char *name)
{
    for (size_t i = 0; name != NULL && i < count; i++)
        if (names[i] != NULL && strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

/* Frees a stack's frames, leaving an empty stack (their strings are pooled
 * by stacks.c and shared between stacks). */
void report_stack_free(struct report_stack *stack)
{
    free(stack->frames);
    stack->frames = NULL;
    stack->depth = 0;
}

void report_error_free(struct report_error *error)
{
    free(error->alloc_function);
    free(error->free_function);
    free(error->data_symbol);
    report_stack_free(&error->stack);
    report_stack_free(&error->alloc_stack);
    report_stack_free(&error->first_free_stack);
}

void report_process_free(struct report_process *process)
{
    for (size_t i = 0; i < process->argc; i++)
        free(process->argv[i]);
    free(process->argv);
    free(process->executable);
    free(process->note);
    free(process->untraced);
    for (size_t i = 0; i < process->leak_count; i++)
        report_stack_free(&process->leaks[i].stack);
    free(process->leaks);
    for (size_t i = 0; i < process->error_count; i++)
        report_error_free(&process->errors[i]);
    free(process->errors);
    for (size_t i = 0; i < process->site_count; i++)
        report_stack_free(&process->sites[i].stack);
    free(process->sites);
}

/* Frees a report, complete or abandoned half-way; leaves it empty. */
void report_free(struct report *report)
{
    for (size_t i = 0; i < report->process_count; i++)
        report_process_free(&report->processes[i]);
    free(report->processes);
    *report = (struct report){0};
}

int report_site_by_allocations(const void *left_pointer, const void *right_pointer)
{
    const struct report_site *left = *(const struct report_site *const *)left_pointer;
    const struct report_site *right = *(const struct report_site *const *)right_pointer;
    if (left->allocations != right->allocations)
        return left->allocations > right->allocations ? -1 : 1;
    if (left->bytes != right->bytes)
        return left->bytes > right->bytes ? -1 : 1;
    return (left->stack.id > right->stack.id) - (left->stack.id < right->stack.id);
}

static bool has_prefix(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = s != NULL ? strlen(s) : 0, m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The Rust allocator's own functions: the global allocator's entry points,
 * alloc::alloc, and RawVec's allocation and growth under every Vec,
 * String and Box that holds memory. */
static bool is_rust_allocators(const char *function)
{
    static const char *const prefixes[] = {
        "__rust_alloc", "__rust_realloc", "__rdl_", "__rg_", "alloc::alloc::", "<alloc::alloc::Global",
        "alloc::raw_vec::", "<alloc::raw_vec::", "alloc::boxed::box_new_uninit",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (has_prefix(function, prefixes[i]))
            return true;
    return false;
}

unsigned report_frame_roles(const struct report_frame *frame, unsigned wanted)
{
    const char *function = frame->function;
    unsigned roles = 0;
    if ((wanted & FRAME_MAIN) && function != NULL && strcmp(function, "main") == 0)
        roles |= FRAME_MAIN;
    if ((wanted & FRAME_RUST_START) && has_suffix(function, "__rust_begin_short_backtrace"))
        roles |= FRAME_RUST_START;
    if ((wanted & FRAME_RUST_CALL_ONCE) && has_prefix(function, "core::ops::function::FnOnce::call_once"))
        roles |= FRAME_RUST_CALL_ONCE;
    if ((wanted & FRAME_RUST_ALLOCATOR) && is_rust_allocators(function))
        roles |= FRAME_RUST_ALLOCATOR;
    return roles;
}

/* Where a Rust program's own frames start, counted from the outermost: the
 * standard library's start-up (std::rt::lang_start and the closure that
 * calls main) lies below __rust_begin_short_backtrace, the frame Rust's
 * own backtraces stop at, and the call_once frames just above it are that
 * closure's.  0 when the stack has no such frame. */
static size_t rust_main_depth(size_t depth, frame_roles_of *roles, const void *frames)
{
    for (size_t i = 0; i < depth; i++)
        if (roles(frames, i, FRAME_RUST_START)) {
            while (i > 1 && roles(frames, i - 1, FRAME_RUST_CALL_ONCE))
                i--;
            return i;
        }
    return 0;
}

size_t report_roles_shown_depth(size_t depth, frame_roles_of *roles, const void *frames, bool show_below_main)
{
    if (show_below_main)
        return depth;
    size_t rust = rust_main_depth(depth, roles, frames);
    if (rust > 0)
        return rust;
    for (size_t i = depth; i-- > 0;)
        if (roles(frames, i, FRAME_MAIN))
            return i + 1;
    return depth;
}

size_t report_roles_first_shown(size_t depth, frame_roles_of *roles, const void *frames)
{
    size_t i = 0;
    while (i + 1 < depth && roles(frames, i, FRAME_RUST_ALLOCATOR))
        i++;
    return i;
}

/* frame_roles_of for a report_stack's frames. */
static unsigned stack_frame_roles(const void *stack, size_t index, unsigned wanted)
{
    return report_frame_roles(&((const struct report_stack *)stack)->frames[index], wanted);
}

size_t report_stack_shown_depth(const struct report_stack *stack, bool show_below_main)
{
    return report_roles_shown_depth(stack->depth, stack_frame_roles, stack, show_below_main);
}

size_t report_stack_first_shown(const struct report_stack *stack)
{
    return report_roles_first_shown(stack->depth, stack_frame_roles, stack);
}

bool report_process_runs(const struct report_process *process, const char *name)
{
    const char *candidates[] = {process->executable, process->argc > 0 ? process->argv[0] : NULL};
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        const char *path = candidates[i];
        if (path == NULL)
            continue;
        const char *base = strrchr(path, '/');
        if (strcmp(path, name) == 0 || strcmp(base != NULL ? base + 1 : path, name) == 0)
            return true;
    }
    return false;
}

bool report_frame_is_memtracks(const struct report_frame *frame)
{
    if (frame->module == NULL)
        return false;
    const char *name = strrchr(frame->module, '/');
    return strcmp(name != NULL ? name + 1 : frame->module, "libmemtrack.so") == 0;
}

size_t report_stack_shown_frames(const struct report_stack *stack, bool show_below_main,
                                 const struct report_frame **shown)
{
    size_t count = 0, depth = report_stack_shown_depth(stack, show_below_main);
    for (size_t i = report_stack_first_shown(stack); i < depth; i++)
        if (!report_frame_is_memtracks(&stack->frames[i]))
            shown[count++] = &stack->frames[i];
    return count;
}
