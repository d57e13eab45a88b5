/*
 * suppressions.c - reading suppression files and matching findings to them:
 * the lists, LeakSanitizer's patterns, and the built-in list.
 */
#include "gate/gate.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Matching LeakSanitizer suppression patterns.  LSan's own matcher takes the
 * first occurrence of each literal piece and never backtracks, so "a$" does
 * not match "aba" there; this one is a true wildcard match, which agrees with
 * LSan wherever LSan gets it right.
 */

/* Matches PATTERN[0, length), where '*' is any run of characters, against
 * TEXT.  OPEN_START and OPEN_END act as an implied '*' before and after it (an
 * unanchored side).  The classic walk: on a mismatch, let the last '*' swallow
 * one more character and retry from just after it. */
static bool glob_matches(const char *pattern, size_t length, const char *text, bool open_start, bool open_end)
{
    size_t p = 0;
    bool can_backtrack = open_start;
    size_t resume = 0; /* pattern position just after the last '*' */
    const char *resume_text = text;
    for (;;) {
        if (p == length && (open_end || *text == '\0'))
            return true;
        if (p < length && pattern[p] == '*') {
            can_backtrack = true;
            resume = ++p;
            resume_text = text;
        } else if (p < length && *text != '\0' && pattern[p] == *text) {
            p++;
            text++;
        } else if (can_backtrack && *resume_text != '\0') {
            p = resume;
            text = ++resume_text;
        } else {
            return false;
        }
    }
}

/* Tells whether PATTERN matches TEXT the LSan way (see gate.h).  Unknown
 * text (NULL) and empty text never match, as in LSan.  Only a final '$' is an
 * anchor; elsewhere it is an ordinary character. */
bool pattern_matches(const char *pattern, const char *text)
{
    if (text == NULL || *text == '\0')
        return false;
    bool anchored_start = pattern[0] == '^';
    const char *body = pattern + anchored_start;
    size_t length = strlen(body);
    bool anchored_end = length > 0 && body[length - 1] == '$';
    return glob_matches(body, length - anchored_end, text, !anchored_start, !anchored_end);
}

/*
 * The built-in suppression list: memory the C and C++ runtime (ld.so, glibc,
 * libstdc++) allocates for itself and keeps until the process ends.  Each
 * entry applies only to the runtime frames a stack starts with
 * (runtime_prefix_depth): a program's own leak stays reported even though its
 * stack runs through __libc_start_call_main or _dl_init further out.
 */

const char DEFAULT_SUPPRESSIONS[] =
    "# memtrack's default suppressions (drop them with --no-default-suppressions).\n"
    "# Unlike suppressions you write, each one is matched only against the frames\n"
    "# at the innermost end of the allocation stack that lie in the runtime\n"
    "# (ld.so, libc, libm, libdl, libpthread, librt, libstdc++, libgcc_s), so a\n"
    "# leak in your code is never hidden because libc called your main().\n"
    "\n"
    "# ld.so: the link map, search paths and version tables of every library\n"
    "# loaded with dlopen() and not closed.\n"
    "leak:_dl_open\n"
    "leak:_dl_map_object\n"
    "# ld.so: start-up constructors of the runtime's own libraries, such as\n"
    "# libstdc++'s emergency exception-handling pool.\n"
    "leak:_dl_init\n"
    "# ld.so: thread-local storage (the DTV), kept with a thread's cached stack\n"
    "# (glibc bug 12650; LeakSanitizer suppresses the same).\n"
    "leak:_dl_allocate_tls\n"
    "leak:*tls_get_addr*\n"
    "# libc: dlerror()'s message buffer, kept per thread.\n"
    "leak:_dlerror_run\n"
    "# libc: unwinding a thread in pthread_exit() loads libgcc_s for good.\n"
    "leak:*pthread_exit*\n";
