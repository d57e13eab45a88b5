/*
 * errors.c - the bad deallocations caught in a process (double, invalid and
 * mismatched frees), in the order they happened, with the stacks involved.
 */
#include "analyse/analyse.h"
#include "analyse/query.h"
#include "analyse/stacks.h"

/* SYMBOL: the columns errors.data_symbol and data_symbol_offset, or NULLs
 * for a trace written before they existed. */
#define ERRORS_SELECT(SYMBOL)                                                                                   \
    "SELECT id, type, address, size, \"offset\", alloc_function, free_function,"                              \
    "       stack_id, alloc_stack_id, first_free_stack_id, " SYMBOL                                            \
    " FROM errors WHERE process_id = ?1 ORDER BY id"
static const char ERRORS_SQL[] = ERRORS_SELECT("data_symbol, data_symbol_offset");
static const char ERRORS_WITHOUT_SYMBOL_SQL[] = ERRORS_SELECT("NULL, NULL");

enum { COLUMN_ID, COLUMN_TYPE, COLUMN_ADDRESS, COLUMN_SIZE, COLUMN_OFFSET, COLUMN_ALLOC_FUNCTION,
       COLUMN_FREE_FUNCTION, COLUMN_STACK_ID, COLUMN_ALLOC_STACK_ID, COLUMN_FIRST_FREE_STACK_ID,
       COLUMN_DATA_SYMBOL, COLUMN_DATA_SYMBOL_OFFSET };

/* Reads the error in the current row of ERRORS_SQL into ERROR, with its
 * three stacks (each may be unknown), or their ids alone unless
 * LOAD_STACKS; -1 with the damage recorded, ERROR then holding what was
 * read, to be freed. */
static int read_error(struct trace *trace, sqlite3_stmt *statement, struct report_error *error, bool load_stacks)
{
    *error = (struct report_error){0};
    struct row_reader row;
    row_start(&row, trace, statement, "errors row %lld", (long long)sqlite3_column_int64(statement, COLUMN_ID));
    error->type = row_name(&row, COLUMN_TYPE, ERROR_TYPE_NAMES, ERROR_TYPE_COUNT);
    error->address = (uint64_t)row_integer(&row, COLUMN_ADDRESS); /* high addresses are stored negative */
    error->size = row_maybe_count(&row, COLUMN_SIZE);
    error->offset = row_maybe_count(&row, COLUMN_OFFSET);
    error->alloc_function = row_maybe_text(&row, COLUMN_ALLOC_FUNCTION);
    error->free_function = row_text(&row, COLUMN_FREE_FUNCTION);
    error->data_symbol = row_maybe_text(&row, COLUMN_DATA_SYMBOL);
    error->data_symbol_offset = row_maybe_count(&row, COLUMN_DATA_SYMBOL_OFFSET);
    struct maybe_int stack_id = row_maybe_integer(&row, COLUMN_STACK_ID);
    struct maybe_int alloc_stack_id = row_maybe_integer(&row, COLUMN_ALLOC_STACK_ID);
    struct maybe_int first_free_stack_id = row_maybe_integer(&row, COLUMN_FIRST_FREE_STACK_ID);
    if (!load_stacks) {
        error->stack = (struct report_stack){.present = stack_id.present, .id = stack_id.value};
        error->alloc_stack = (struct report_stack){.present = alloc_stack_id.present, .id = alloc_stack_id.value};
        error->first_free_stack =
            (struct report_stack){.present = first_free_stack_id.present, .id = first_free_stack_id.value};
        return row.failed ? -1 : 0;
    }
    if (row.failed || load_stack(trace, stack_id, &error->stack) != 0 ||
        load_stack(trace, alloc_stack_id, &error->alloc_stack) != 0)
        return -1;
    return load_stack(trace, first_free_stack_id, &error->first_free_stack);
}

/* Where the errors of a process go: handed to VISIT, or kept in PROCESS when VISIT is NULL. */
struct error_target {
    struct report_process *process;
    int (*visit)(void *context, const struct report_error *error);
    void *context;
    bool load_stacks;
};

/* Keeps or hands out the error in the current row of ERRORS_SQL; 1 when
 * the visitor stopped. */
static int take_error(struct trace *trace, sqlite3_stmt *statement, void *target_pointer)
{
    const struct error_target *target = target_pointer;
    struct report_process *process = target->process;
    if (target->visit != NULL) {
        struct report_error error;
        int result = read_error(trace, statement, &error, target->load_stacks);
        if (result == 0 && target->visit(target->context, &error) != 0)
            result = 1;
        report_error_free(&error);
        return result;
    }
    struct report_error *errors = make_room(process->errors, process->error_count, sizeof *errors);
    if (errors == NULL)
        return trace_fail(trace, "out of memory");
    process->errors = errors;
    return read_error(trace, statement, &errors[process->error_count++], true);
}

/* Runs ERRORS_SQL (or its form for older traces) for PROCESS into TARGET. */
static int read_errors(struct trace *trace, struct error_target *target)
{
    int has_symbol = trace_has_column(trace, "errors", "data_symbol");
    if (has_symbol < 0)
        return -1;
    return query_each_row(trace, has_symbol ? ERRORS_SQL : ERRORS_WITHOUT_SYMBOL_SQL, target->process->row_id,
                          "reading errors", take_error, target);
}

/* Fills PROCESS's errors. */
int analyse_errors(struct trace *trace, struct report_process *process)
{
    struct error_target target = {process, NULL, NULL, true};
    return read_errors(trace, &target);
}

int analyse_each_error(struct trace *trace, struct report_process *process,
                       int (*visit)(void *context, const struct report_error *error), void *context,
                       bool load_stacks)
{
    struct error_target target = {process, visit, context, load_stacks};
    return read_errors(trace, &target);
}
