/*
 * suppressions.c - reading suppression files and matching findings to them.
 */
#include "gate/suppressions.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/pattern.h"
#include "gate/runtime.h"
#include "util/printable.h"

const char *const SUPPRESSION_TYPE_NAMES[SUPPRESSION_TYPE_COUNT] = {"leak", "double_free", "invalid_free",
                                                                    "mismatch"};

/* Where a line came from, for messages: "FILE:LINE". */
struct line_origin {
    const char *file; /* NULL for the built-in list */
    size_t line;
};

/* Writes "FILE:LINE: " followed by the formatted reason into ERROR, printable
 * (it quotes the line, and a suppression file may come with the change under
 * test); returns -1. */
__attribute__((format(printf, 4, 5))) static int line_error(struct line_origin origin, char *error,
                                                            size_t error_size, const char *format, ...)
{
    int used = snprintf(error, error_size, "%s:%zu: ",
                        origin.file != NULL ? origin.file : "default suppressions", origin.line);
    if (used >= 0 && (size_t)used < error_size) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(error + used, error_size - (size_t)used, format, arguments);
        va_end(arguments);
    }
    make_printable(error);
    return -1;
}

/* Adds the suppression on one LINE (modified in place) to LIST, unless it is
 * blank or a comment.  Returns 0, or -1 with "FILE:LINE: why" in ERROR. */
static int parse_line(struct suppression_list *list, char *line, struct line_origin origin, char *error,
                      size_t error_size)
{
    while (isspace((unsigned char)*line))
        line++;
    size_t length = strlen(line);
    while (length > 0 && isspace((unsigned char)line[length - 1]))
        line[--length] = '\0';
    if (length == 0 || line[0] == '#')
        return 0;
    char *colon = strchr(line, ':');
    if (colon == NULL)
        return line_error(origin, error, error_size, "expected TYPE:PATTERN, not '%s'", line);
    *colon = '\0';
    int type = name_to_index(SUPPRESSION_TYPE_NAMES, SUPPRESSION_TYPE_COUNT, line);
    if (type < 0)
        return line_error(origin, error, error_size,
                          "unknown suppression type '%s' (leak, double_free, invalid_free or mismatch)", line);
    if (colon[1] == '\0')
        return line_error(origin, error, error_size, "%s: has no pattern", line);
    struct suppression *items = make_room(list->items, list->count, sizeof *items);
    char *pattern = strdup(colon + 1);
    if (items == NULL || pattern == NULL) {
        free(pattern);
        if (items != NULL)
            list->items = items;
        return line_error(origin, error, error_size, "out of memory");
    }
    list->items = items;
    items[list->count++] = (struct suppression){.type = type, .pattern = pattern, .file = origin.file,
                                                .line = origin.line};
    return 0;
}

/* Adds every suppression of the open STREAM, read from FILE (NULL: the
 * built-in list) to LIST. */
static int parse_stream(struct suppression_list *list, FILE *stream, const char *file, char *error,
                        size_t error_size)
{
    char *line = NULL;
    size_t capacity = 0;
    struct line_origin origin = {.file = file};
    int result = 0;
    ssize_t length;
    while (result == 0 && (length = getline(&line, &capacity, stream)) >= 0) {
        origin.line++;
        if (strlen(line) != (size_t)length)
            result = line_error(origin, error, error_size, "holds a NUL byte: not a suppression file");
        else
            result = parse_line(list, line, origin, error, error_size);
    }
    if (result == 0 && ferror(stream))
        result = line_error(origin, error, error_size, "cannot read: %s", strerror(errno));
    free(line);
    return result;
}

/* Adds the suppressions in the file at PATH to LIST.  Returns 0, or -1 with a
 * message naming the file (and line, for a mistake in it) in ERROR.  PATH
 * must outlive LIST: suppressions refer to it. */
int suppressions_load(struct suppression_list *list, const char *path, char *error, size_t error_size)
{
    FILE *stream = fopen(path, "r");
    if (stream == NULL) {
        snprintf(error, error_size, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int result = parse_stream(list, stream, path, error, error_size);
    fclose(stream);
    return result;
}

/* Adds the built-in suppressions to LIST. */
int suppressions_add_defaults(struct suppression_list *list, char *error, size_t error_size)
{
    FILE *stream = fmemopen((void *)DEFAULT_SUPPRESSIONS, strlen(DEFAULT_SUPPRESSIONS), "r");
    if (stream == NULL) {
        snprintf(error, error_size, "default suppressions: %s", strerror(errno));
        return -1;
    }
    int result = parse_stream(list, stream, NULL, error, error_size);
    fclose(stream);
    return result;
}

/* The suppression type that covers findings of KIND. */
static enum suppression_type type_for(enum finding_kind kind)
{
    switch (kind) {
    case FINDING_DOUBLE_FREE:
        return SUPPRESS_DOUBLE_FREE;
    case FINDING_INVALID_FREE:
        return SUPPRESS_INVALID_FREE;
    case FINDING_MISMATCH:
        return SUPPRESS_MISMATCH;
    default:
        return SUPPRESS_LEAK;
    }
}

/* Tells whether SUPPRESSION's pattern names the function, file or module of
 * one of the frames it may look at in STACK. */
static bool matches_stack(const struct suppression *suppression, const struct report_stack *stack)
{
    size_t depth = suppression->file == NULL ? runtime_prefix_depth(stack) : stack->depth;
    for (size_t i = 0; i < depth; i++) {
        const struct report_frame *frame = &stack->frames[i];
        if (pattern_matches(suppression->pattern, frame->function) ||
            pattern_matches(suppression->pattern, frame->file) ||
            pattern_matches(suppression->pattern, frame->module))
            return true;
    }
    return false;
}

/* Finds the first suppression in LIST that matches FINDING and counts the
 * finding against it; NULL when none does. */
struct suppression *suppressions_find(struct suppression_list *list, const struct finding *finding)
{
    enum suppression_type type = type_for(finding->kind);
    for (size_t i = 0; i < list->count; i++) {
        struct suppression *suppression = &list->items[i];
        if (suppression->type == type && matches_stack(suppression, finding->stack)) {
            suppression->matched++;
            if (__builtin_add_overflow(suppression->matched_bytes, finding->bytes, &suppression->matched_bytes))
                suppression->matched_bytes = INT64_MAX;
            return suppression;
        }
    }
    return NULL;
}

/* Frees LIST's patterns and array; leaves it empty. */
void suppressions_free(struct suppression_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i].pattern);
    free(list->items);
    *list = (struct suppression_list){0};
}
