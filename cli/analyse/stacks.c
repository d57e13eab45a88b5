/*
 * stacks.c - load a stack.  Since schema 3 a stack is a chain of stacks rows
 * (see trace/schema.sql): each row's `frames` is a JSON array of frames.id,
 * innermost first, and `outer_id` names the row with the frames further out,
 * of which the first `outer_skip` belong to other stacks.  Stacks share those
 * outer rows, so each row is read once (one query: json_each expands the
 * array) and kept for the life of the trace.  Older traces hold each stack
 * whole in one row and name the module in `frames`.
 *
 * A compiler's trace has 150,000 stacks rows naming 1.4 million frames of
 * 24,000 distinct ones: read one row at a time, joining each frame, they
 * took 5 of the 6 seconds of its report.  So before a process's stacks are
 * loaded, stacks_preload() reads the frames table once and every row of the
 * process in one pass; a row it cannot take whole (damage of any kind) is
 * left to the one-row query, which says what is wrong with it when, and
 * only if, a stack needs it.  The same pass hands the rows out as they are
 * (stacks_each_link) to a reader that builds its own tree of the stacks
 * from them and needs no stack expanded (the page, html_page.c).
 */
#include "analyse/stacks.h"

#include <stdlib.h>
#include <string.h>

#include "analyse/query.h"
#include "util/u64map.h"

/* One row per frame of stacks row ?1, in order.  The outer row survives an
 * empty, malformed or non-array `frames` (shape NULL unless valid JSON) so
 * each can be told apart; a frame id that matches no row leaves the frame
 * columns NULL, and no_object is 1 when object_id matches no object.  No
 * ORDER BY: json_each gives an array's elements in order, and sorting them
 * anyway took a temporary b-tree per row, a tenth of a big report's time
 * (append_frame checks the order). */
#define STACK_ROW_SQL(outer_columns, module, object_id, object_missing, objects_join)                     \
    "SELECT " outer_columns ", CASE WHEN json_valid(s.frames) THEN json_type(s.frames) END AS frames,"     \
    "       j.type AS frame_id_type, j.value AS frame_id,"                                                 \
    "       f.id AS frame, f.address AS address, " module " AS module, f.function AS function,"            \
    "       f.file AS file, f.line AS line, " object_id " AS object_id, " object_missing " AS no_object," \
    "       j.key AS position"                                                                             \
    " FROM stacks AS s"                                                                                    \
    " LEFT JOIN json_each(CASE WHEN json_valid(s.frames) THEN"                                             \
    "                     CASE json_type(s.frames) WHEN 'array' THEN s.frames END END) AS j"               \
    " LEFT JOIN frames AS f ON j.type = 'integer' AND f.id = j.value" objects_join                        \
    " WHERE s.id = ?1"

/* Schema 3 and later: a link of a chain, its frames naming their object. */
static const char CHAIN_ROW_SQL[] =
    STACK_ROW_SQL("s.outer_id AS outer_id, s.outer_skip AS outer_skip", "o.path", "f.object_id",
                  "f.object_id IS NOT NULL AND o.id IS NULL", " LEFT JOIN objects AS o ON o.id = f.object_id");

/* Schemas 1 and 2: a whole stack, its frames naming their module. */
static const char WHOLE_ROW_SQL[] =
    STACK_ROW_SQL("NULL AS outer_id, NULL AS outer_skip", "f.module", "NULL", "0", "");

enum { COLUMN_OUTER_ID, COLUMN_OUTER_SKIP, COLUMN_SHAPE, COLUMN_ID_TYPE, COLUMN_ID, COLUMN_FRAME, COLUMN_ADDRESS,
       COLUMN_MODULE, COLUMN_FUNCTION, COLUMN_FILE, COLUMN_LINE, COLUMN_OBJECT_ID, COLUMN_NO_OBJECT,
       COLUMN_POSITION };

/* Frame strings are interned for the life of the process: a big trace names
 * the same function, file and module in thousands of stacks, and one copy of
 * each keeps `memtrack report` and `memtrack view` small.  The pool is never
 * freed (a command runs once and exits). */
static struct {
    char **slots;
    size_t capacity, count;
} pool;

/* FNV-1a: spreads the pool's strings over its slots. */
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
/* One stacks row as read: its frames, and where the stack goes on. */
struct stack_row {
    struct report_stack frames; /* id and depth and frames of this row alone */
    struct maybe_int outer_id;
    int64_t outer_skip;
    size_t sql_rows;            /* rows STACK_ROW_SQL gave: 0 when the row does not exist */
};

/* The rows read so far of one trace (trace->stack_rows). */
struct stack_rows {
    struct u64map by_id;  /* stacks.id but 0 -> struct stack_row */
    /* The trace's frames, read once (read_frames), damaged ones left out:
     * frames.id + 1 -> uint32_t number, an index in frame_list. */
    struct u64map frames;
    struct report_frame *frame_list;
    size_t frame_count;
    bool frames_read;
    struct stack_row zero; /* the row with id 0, which u64map cannot hold */
    bool zero_read;
};

/* Checks one row of STACK_ROW_SQL names a usable frame: 1 it does, 0 it is
 * the lone row of an empty array, -1 damage recorded. */
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
    if (sqlite3_column_type(statement, COLUMN_FRAME) == SQLITE_NULL)
        return trace_fail(trace, "damaged: stack %lld: frame %lld does not exist", (long long)stack_id,
                          (long long)sqlite3_column_int64(statement, COLUMN_ID));
    if (sqlite3_column_int(statement, COLUMN_NO_OBJECT))
        return trace_fail(trace, "damaged: frame %lld: object %lld does not exist",
                          (long long)sqlite3_column_int64(statement, COLUMN_FRAME),
                          (long long)sqlite3_column_int64(statement, COLUMN_OBJECT_ID));
    return 1;
}

/* Reads the current row of STACK_ROW_SQL into the stacks row being read:
 * where the stack goes on, and the frame the row names, if any. */
static int append_frame(struct trace *trace, sqlite3_stmt *statement, void *target)
{
    struct stack_row *read = target;
    struct report_stack *stack = &read->frames;
    struct row_reader row;
    row_start(&row, trace, statement, "stacks row %lld", (long long)stack->id);
    if (read->sql_rows++ == 0) {
        read->outer_id = row_maybe_integer(&row, COLUMN_OUTER_ID);
        read->outer_skip = row_maybe_count(&row, COLUMN_OUTER_SKIP).value;
        if (row.failed)
            return -1;
    }
    int usable = check_frame_reference(trace, statement, stack->id);
    if (usable <= 0)
        return usable;
    if (sqlite3_column_int64(statement, COLUMN_POSITION) != (int64_t)stack->depth)
        return trace_fail(trace, "damaged: stack %lld: frames read out of order", (long long)stack->id);
    struct report_frame *frames = make_room(stack->frames, stack->depth, sizeof *frames);
    if (frames == NULL)
        return trace_fail(trace, "out of memory");
    stack->frames = frames;
    struct report_frame *frame = &frames[stack->depth++];
    *frame = (struct report_frame){0};
    row_start(&row, trace, statement, "frame %lld", (long long)sqlite3_column_int64(statement, COLUMN_FRAME));
    frame->address = (uint64_t)row_integer(&row, COLUMN_ADDRESS); /* high addresses are stored negative */
    frame->module = intern(row_maybe_text(&row, COLUMN_MODULE));
    frame->function = intern(row_maybe_text(&row, COLUMN_FUNCTION));
    frame->file = intern(row_maybe_text(&row, COLUMN_FILE));
    frame->line = row_maybe_count(&row, COLUMN_LINE);
    return row.failed ? -1 : 0;
}

/* Frees the rows kept for a trace; trace_close() calls it. */
static void free_stack_rows(void *kept)
{
    struct stack_rows *rows = kept;
    void *value;
    for (size_t i = 0; u64map_next(&rows->by_id, &i, NULL, &value);)
        free(((struct stack_row *)value)->frames.frames);
    u64map_free(&rows->by_id);
    u64map_free(&rows->frames);
    free(rows->frame_list);
    free(rows->zero.frames.frames);
    free(rows);
}

/* The rows kept for TRACE, made on first use; NULL with the failure recorded. */
static struct stack_rows *stack_rows_of(struct trace *trace)
{
    if (trace->stack_rows == NULL) {
        struct stack_rows *rows = calloc(1, sizeof *rows);
        if (rows == NULL)
            return trace_fail(trace, "out of memory"), NULL;
        u64map_init(&rows->by_id, sizeof(struct stack_row));
        u64map_init(&rows->frames, sizeof(uint32_t));
        trace->stack_rows = rows;
        trace->free_stack_rows = free_stack_rows;
    }
    return trace->stack_rows;
}

/* The stacks row ID, read now unless an earlier stack shared it; NULL with
 * the failure recorded (and the row not kept).  A row that does not exist
 * comes back with no sql_rows. */
static const struct stack_row *stack_row(struct trace *trace, int64_t id)
{
    struct stack_rows *rows = stack_rows_of(trace);
    if (rows == NULL)
        return NULL;
    int created = 1;
    struct stack_row *row = id ? u64map_put(&rows->by_id, (uint64_t)id, &created) : &rows->zero;
    if (row == NULL)
        return trace_fail(trace, "out of memory"), NULL;
    if (id == 0 && rows->zero_read)
        created = 0;
    if (!created)
        return row;
    rows->zero_read |= id == 0;
    row->frames.id = id;
    const char *sql = trace->schema_version >= 3 ? CHAIN_ROW_SQL : WHOLE_ROW_SQL;
    if (query_each_row(trace, sql, id, "reading stacks", append_frame, row) == 0)
        return row;
    /* kept rows are whole: a row that failed half-way is not one */
    free(row->frames.frames);
    if (id)
        u64map_remove_value(&rows->by_id, row);
    else {
        *row = (struct stack_row){0};
        rows->zero_read = false;
    }
    return NULL;
}

/* Follows STACK_ID's chain of rows: calls ADD(rows, from, stack) with each
 * row and the number of its frames that belong to other stacks, or fails
 * with the damage recorded. */
static int walk_chain(struct trace *trace, struct maybe_int stack_id, struct report_stack *stack,
                      void (*add)(const struct stack_row *row, size_t from, struct report_stack *stack))
{
    int64_t id = stack_id.value, skip = 0;
    for (int links = 0; stack_id.present; links++) {
        if (links == STACK_MAX_LINKS)
            return trace_fail(trace, "damaged: stack %lld: its outer stacks go round in a circle",
                              (long long)stack_id.value);
        const struct stack_row *row = stack_row(trace, id);
        if (row == NULL)
            return -1;
        if (row->sql_rows == 0 && links == 0)
            return trace_fail(trace, "damaged: stack %lld does not exist", (long long)id);
        if (row->sql_rows == 0)
            return trace_fail(trace, "damaged: stack %lld: its outer stack %lld does not exist",
                              (long long)stack_id.value, (long long)id);
        size_t from = (uint64_t)skip < row->frames.depth ? (size_t)skip : row->frames.depth;
        add(row, from, stack);
        if (!row->outer_id.present)
            break;
        id = row->outer_id.value;
        skip = row->outer_skip;
    }
    return 0;
}

static void count_frames(const struct stack_row *row, size_t from, struct report_stack *stack)
{
    stack->depth += row->frames.depth - from;
}

static void copy_frames(const struct stack_row *row, size_t from, struct report_stack *stack)
{
    if (row->frames.depth == from)
        return; /* an empty row has no frames array at all */
    memcpy(stack->frames + stack->depth, row->frames.frames + from, (row->frames.depth - from) * sizeof *stack->frames);
    stack->depth += row->frames.depth - from;
}

/* Fills STACK with the frames of STACK_ID, following its chain of rows; an
 * absent id yields a stack marked not present (JSON null).  A missing stack,
 * frame or object, a chain that goes round, or a `frames` that is not an
 * array of ids, is damage.  The chain is walked twice, to count the frames
 * and then to copy them: one allocation per stack (growing it link by link
 * was a third of a big report's time). */
int load_stack(struct trace *trace, struct maybe_int stack_id, struct report_stack *stack)
{
    *stack = (struct report_stack){.present = stack_id.present, .id = stack_id.value};
    if (walk_chain(trace, stack_id, stack, count_frames) != 0) {
        stack->depth = 0;
        return -1;
    }
    size_t depth = stack->depth;
    if (depth == 0)
        return 0;
    stack->frames = malloc(depth * sizeof *stack->frames);
    stack->depth = 0;
    if (stack->frames == NULL)
        return trace_fail(trace, "out of memory");
    return walk_chain(trace, stack_id, stack, copy_frames);
}

/* Schema 3 and later: every frame, with its object's path. */
static const char FRAMES_SQL[] =
    "SELECT f.id AS frame, f.address AS address, o.path AS module, f.function AS function, f.file AS file,"
    "       f.line AS line, f.object_id IS NOT NULL AND o.id IS NULL AS no_object"
    " FROM frames AS f LEFT JOIN objects AS o ON o.id = f.object_id";

enum { FRAMES_FRAME, FRAMES_ADDRESS, FRAMES_MODULE, FRAMES_FUNCTION, FRAMES_FILE, FRAMES_LINE, FRAMES_NO_OBJECT };

/* Every stacks row of process ?1, in id order.  Their `frames` are read
 * here, not by json_each: one result row per frame reference took most of
 * the pass's time. */
static const char PROCESS_ROWS_SQL[] =
    "SELECT id, outer_id, outer_skip, frames FROM stacks WHERE process_id = ?1 ORDER BY id";

enum { ROWS_ID, ROWS_OUTER_ID, ROWS_OUTER_SKIP, ROWS_FRAMES };

/* 1 when COLUMN of the current row is an integer, and not negative if
 * COUNT; NULL too when NULLABLE. */
static bool usable_integer(sqlite3_stmt *statement, int column, bool count, bool nullable)
{
    int type = sqlite3_column_type(statement, column);
    if (type == SQLITE_NULL)
        return nullable;
    return type == SQLITE_INTEGER && (!count || sqlite3_column_int64(statement, column) >= 0);
}

/* Keeps the frame in the current row of FRAMES_SQL in the trace's frame
 * list, unless it is damaged (the one-row query reports it, if a stack
 * names it). */
static int keep_frame(struct trace *trace, sqlite3_stmt *statement, void *target)
{
    struct stack_rows *rows = target;
    if (!usable_integer(statement, FRAMES_FRAME, false, false) ||
        !usable_integer(statement, FRAMES_ADDRESS, false, false) ||
        !usable_integer(statement, FRAMES_LINE, true, true) || sqlite3_column_int(statement, FRAMES_NO_OBJECT))
        return 0;
    if (rows->frame_count >= UINT32_MAX)
        return trace_fail(trace, "out of memory");
    struct row_reader row;
    row_start(&row, trace, statement, "frame %lld", (long long)sqlite3_column_int64(statement, FRAMES_FRAME));
    struct report_frame frame = {.address = (uint64_t)sqlite3_column_int64(statement, FRAMES_ADDRESS),
                                 .line = row_maybe_count(&row, FRAMES_LINE)};
    frame.module = intern(row_maybe_text(&row, FRAMES_MODULE));
    frame.function = intern(row_maybe_text(&row, FRAMES_FUNCTION));
    frame.file = intern(row_maybe_text(&row, FRAMES_FILE));
    if (row.failed)
        return -1; /* out of memory, recorded */
    struct report_frame *list = make_room(rows->frame_list, rows->frame_count, sizeof *list);
    if (list == NULL)
        return trace_fail(trace, "out of memory");
    rows->frame_list = list;
    uint64_t key = (uint64_t)sqlite3_column_int64(statement, FRAMES_FRAME) + 1;
    uint32_t *number = u64map_put(&rows->frames, key, NULL);
    if (number == NULL)
        return trace_fail(trace, "out of memory");
    *number = (uint32_t)rows->frame_count;
    list[rows->frame_count++] = frame;
    return 0;
}

/* Reads the trace's frames once, for every process.  0, or -1 with the
 * failure recorded. */
static int read_frames(struct trace *trace, struct stack_rows *rows)
{
    if (rows->frames_read)
        return 0;
    rows->frames_read = true;
    return query_each_row(trace, FRAMES_SQL, 0, "reading frames", keep_frame, rows);
}

const struct report_frame *stacks_frame(const struct trace *trace, uint32_t number)
{
    return &((const struct stack_rows *)trace->stack_rows)->frame_list[number];
}

size_t stacks_frame_count(const struct trace *trace)
{
    const struct stack_rows *rows = trace->stack_rows;
    return rows != NULL ? rows->frame_count : 0;
}

/* What stacks_each_link reads into: the link being built, and who it goes to. */
struct link_walk {
    struct stack_rows *rows;
    uint32_t *frames; /* the row's frames, as numbers in the frame list */
    size_t room;
    int (*visit)(void *context, const struct stack_link *link);
    void *context;
};

/* Appends the frame whose frames.id is ID to the link's DEPTH frames.
 * Returns 1, 0 when no frame of the list has that id, -1 when memory runs
 * out. */
static int add_frame(struct link_walk *walk, int64_t id, size_t depth)
{
    const uint32_t *number = u64map_get(&walk->rows->frames, (uint64_t)id + 1);
    if (number == NULL)
        return 0;
    if (depth == walk->room) {
        size_t room = walk->room ? walk->room * 2 : 64;
        uint32_t *frames = realloc(walk->frames, room * sizeof *frames);
        if (frames == NULL)
            return -1;
        walk->frames = frames;
        walk->room = room;
    }
    walk->frames[depth] = *number;
    return 1;
}

/* Reads TEXT, a row's `frames`, as the writer writes it: a JSON array of at
 * least one frame id, with no blanks, signs or leading zeros, each naming a
 * frame of the list.  Returns the number of ids, 0 for anything else (the
 * one-row query reads such a row, and json_each takes what JSON allows), or
 * -1 when memory runs out. */
static int64_t read_link_frames(struct link_walk *walk, const unsigned char *text)
{
    if (text == NULL || *text++ != '[')
        return 0;
    size_t depth = 0;
    for (;;) {
        if (*text < '0' || *text > '9' || (text[0] == '0' && text[1] >= '0' && text[1] <= '9'))
            return 0;
        int64_t id = 0;
        for (int digits = 0; *text >= '0' && *text <= '9'; digits++, text++) {
            if (digits == 18)
                return 0; /* beyond what an id holds: not one of the list's frames */
            id = id * 10 + (*text - '0');
        }
        int added = add_frame(walk, id, depth);
        if (added <= 0)
            return added;
        depth++;
        if (*text == ']')
            return text[1] == '\0' ? (int64_t)depth : 0;
        if (*text++ != ',')
            return 0;
    }
}

/* Hands the stacks row in the current row of PROCESS_ROWS_SQL to the
 * visitor when it is whole; 1 when the visitor stopped. */
static int hand_link(struct trace *trace, sqlite3_stmt *statement, void *target)
{
    struct link_walk *walk = target;
    struct stack_link link = {.id = sqlite3_column_int64(statement, ROWS_ID)};
    if (link.id == 0 || !usable_integer(statement, ROWS_ID, false, false) ||
        !usable_integer(statement, ROWS_OUTER_ID, false, true) ||
        !usable_integer(statement, ROWS_OUTER_SKIP, true, true) ||
        sqlite3_column_type(statement, ROWS_FRAMES) != SQLITE_TEXT)
        return 0;
    int64_t depth = read_link_frames(walk, sqlite3_column_text(statement, ROWS_FRAMES));
    if (depth < 0)
        return trace_fail(trace, "out of memory");
    if (depth == 0)
        return 0;
    if (sqlite3_column_type(statement, ROWS_OUTER_ID) == SQLITE_INTEGER)
        link.outer_id = (struct maybe_int){true, sqlite3_column_int64(statement, ROWS_OUTER_ID)};
    link.outer_skip = sqlite3_column_int64(statement, ROWS_OUTER_SKIP);
    link.depth = (size_t)depth;
    link.frames = walk->frames;
    return walk->visit(walk->context, &link) != 0 ? 1 : 0;
}

int stacks_each_link(struct trace *trace, int64_t process_id,
                     int (*visit)(void *context, const struct stack_link *link), void *context)
{
    if (trace->schema_version < 3)
        return 0;
    if (stack_rows_of(trace) == NULL)
        return -1;
    struct link_walk walk = {.rows = trace->stack_rows, .visit = visit, .context = context};
    int result = read_frames(trace, walk.rows);
    if (result == 0)
        result = query_each_row(trace, PROCESS_ROWS_SQL, process_id, "reading stacks", hand_link, &walk);
    free(walk.frames);
    if (result < 0 && strcmp(trace->problem, "out of memory") != 0) {
        /* SQLite could not run a query (a damaged file, a table of another
         * shape): the one-row queries meet the same trouble and say so */
        trace->problem[0] = '\0';
        return 0;
    }
    return result;
}

/* Keeps LINK as a stacks row of the trace, unless one is kept already. */
static int keep_link(void *context, const struct stack_link *link)
{
    struct trace *trace = context;
    struct stack_rows *rows = trace->stack_rows;
    int created = 0;
    struct stack_row *kept = u64map_put(&rows->by_id, (uint64_t)link->id, &created);
    if (kept == NULL)
        return trace_fail(trace, "out of memory"), -1;
    if (!created)
        return 0;
    *kept = (struct stack_row){.frames = {.id = link->id, .depth = link->depth}, .outer_id = link->outer_id,
                               .outer_skip = link->outer_skip, .sql_rows = 1};
    if (link->depth == 0)
        return 0;
    kept->frames.frames = malloc(link->depth * sizeof *kept->frames.frames);
    if (kept->frames.frames == NULL) {
        u64map_remove_value(&rows->by_id, kept);
        return trace_fail(trace, "out of memory"), -1;
    }
    for (size_t i = 0; i < link->depth; i++)
        kept->frames.frames[i] = rows->frame_list[link->frames[i]];
    return 0;
}

/* Reads every stacks row of the process whose processes.id is PROCESS_ID
 * into the rows kept for the trace (schema 3 and later; older traces are
 * read one stack at a time).  Only a speed-up: 0 unless out of memory. */
int stacks_preload(struct trace *trace, int64_t process_id)
{
    return stacks_each_link(trace, process_id, keep_link, trace) != 0 ? -1 : 0;
}
