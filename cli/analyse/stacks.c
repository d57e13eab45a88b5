/*
 * stacks.c - load a stack: stacks.frames is a JSON array of frames.id,
 * innermost first, which json_each expands in one query.
 */
#include "analyse/stacks.h"

#include <stdlib.h>
#include <string.h>

#include "analyse/query.h"

/* One row per frame, in stack order.  The outer row survives an empty,
 * malformed or non-array `frames` (shape NULL unless valid JSON) so each can be
 * told apart; a frame id that matches no row leaves the frames columns NULL. */
static const char STACK_SQL[] =
    "SELECT CASE WHEN json_valid(s.frames) THEN json_type(s.frames) END AS frames,"
    "       j.type AS frame_id_type, j.value AS frame_id,"
    "       f.id AS frame, f.address AS address, f.module AS module, f.function AS function,"
    "       f.file AS file, f.line AS line"
    " FROM stacks AS s"
    " LEFT JOIN json_each(CASE WHEN json_valid(s.frames) THEN"
    "                     CASE json_type(s.frames) WHEN 'array' THEN s.frames END END) AS j"
    " LEFT JOIN frames AS f ON j.type = 'integer' AND f.id = j.value"
    " WHERE s.id = ?1 ORDER BY j.key";

enum { COLUMN_SHAPE, COLUMN_ID_TYPE, COLUMN_ID, COLUMN_FOUND, COLUMN_ADDRESS, COLUMN_MODULE, COLUMN_FUNCTION,
       COLUMN_FILE, COLUMN_LINE };

/* Frame strings are interned for the life of the process: a big trace names
 * the same function, file and module in thousands of stacks, and one copy of
 * each keeps `memtrack report` and `memtrack view` small.  The pool is never
 * freed (a command runs once and exits). */
static struct {
    char **slots;
    size_t capacity, count;
} pool;

static uint64_t hash_text(const char *text)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

/* Returns the pooled copy of TEXT (a malloc'd string, which is consumed). */
static char *intern(char *text)
{
    if (text == NULL)
        return NULL;
    if ((pool.count + 1) * 2 > pool.capacity) {
        size_t capacity = pool.capacity ? pool.capacity * 2 : 1024;
        char **slots = calloc(capacity, sizeof *slots);
        if (slots == NULL)
            return text; /* unpooled: leaks one string, still correct */
        for (size_t i = 0; i < pool.capacity; i++)
            if (pool.slots[i] != NULL) {
                size_t j = hash_text(pool.slots[i]) & (capacity - 1);
                while (slots[j] != NULL)
                    j = (j + 1) & (capacity - 1);
                slots[j] = pool.slots[i];
            }
        free(pool.slots);
        pool.slots = slots;
        pool.capacity = capacity;
    }
    size_t i = hash_text(text) & (pool.capacity - 1);
    while (pool.slots[i] != NULL) {
        if (strcmp(pool.slots[i], text) == 0) {
            free(text);
            return pool.slots[i];
        }
        i = (i + 1) & (pool.capacity - 1);
    }
    pool.count++;
    return pool.slots[i] = text;
}

/* The stack being filled and how many rows STACK_SQL gave so far. */
struct stack_load {
    struct report_stack *stack;
    size_t rows;
};

/* Checks one row of STACK_SQL names a usable frame: 1 it does, 0 it is the
 * lone row of an empty array, -1 damage recorded. */
static int check_frame_reference(struct trace *trace, sqlite3_stmt *statement, int64_t stack_id)
{
    const char *shape = (const char *)sqlite3_column_text(statement, COLUMN_SHAPE);
    if (shape == NULL || strcmp(shape, "array") != 0)
        return trace_fail(trace, "damaged: stack %lld: frames is not a JSON array", (long long)stack_id);
    const char *id_type = (const char *)sqlite3_column_text(statement, COLUMN_ID_TYPE);
    if (id_type == NULL)
        return 0;
    if (strcmp(id_type, "integer") != 0)
        return trace_fail(trace, "damaged: stack %lld: frames holds something other than frame ids",
                          (long long)stack_id);
    if (sqlite3_column_type(statement, COLUMN_FOUND) == SQLITE_NULL)
        return trace_fail(trace, "damaged: stack %lld: frame %lld does not exist", (long long)stack_id,
                          (long long)sqlite3_column_int64(statement, COLUMN_ID));
    return 1;
}

/* Appends the frame in the current row of STACK_SQL, if it holds one. */
static int append_frame(struct trace *trace, sqlite3_stmt *statement, void *target)
{
    struct stack_load *load = target;
    struct report_stack *stack = load->stack;
    load->rows++;
    int usable = check_frame_reference(trace, statement, stack->id);
    if (usable <= 0)
        return usable;
    struct report_frame *frames = make_room(stack->frames, stack->depth, sizeof *frames);
    if (frames == NULL)
        return trace_fail(trace, "out of memory");
    stack->frames = frames;
    struct report_frame *frame = &frames[stack->depth++];
    *frame = (struct report_frame){0};
    struct row_reader row;
    row_start(&row, trace, statement, "frame %lld", (long long)sqlite3_column_int64(statement, COLUMN_FOUND));
    frame->address = (uint64_t)row_integer(&row, COLUMN_ADDRESS); /* high addresses are stored negative */
    frame->module = intern(row_maybe_text(&row, COLUMN_MODULE));
    frame->function = intern(row_maybe_text(&row, COLUMN_FUNCTION));
    frame->file = intern(row_maybe_text(&row, COLUMN_FILE));
    frame->line = row_maybe_count(&row, COLUMN_LINE);
    return row.failed ? -1 : 0;
}

/* Fills STACK with the frames of STACK_ID; an absent id yields a stack marked
 * not present (JSON null).  A missing stack or frame, or a `frames` that is not
 * an array of ids, is damage.  On failure STACK holds what was read so far. */
int load_stack(struct trace *trace, struct maybe_int stack_id, struct report_stack *stack)
{
    *stack = (struct report_stack){.present = stack_id.present, .id = stack_id.value};
    if (!stack_id.present)
        return 0;
    struct stack_load load = {.stack = stack};
    if (query_each_row(trace, STACK_SQL, stack_id.value, "reading stacks", append_frame, &load) != 0)
        return -1;
    if (load.rows == 0)
        return trace_fail(trace, "damaged: stack %lld does not exist", (long long)stack_id.value);
    return 0;
}
