/*
 * findings.c - flattening reports into findings: one per leak group (blocks of
 * one kind from one allocation stack) and one per bad free.
 */
#include "gate/gate.h"

#include <stdlib.h>

/* Appends an empty finding to LIST; NULL when memory runs out. */
static struct finding *append(struct finding_list *list)
{
    struct finding *items = make_room(list->items, list->count, sizeof *items);
    if (items == NULL)
        return NULL;
    list->items = items;
    struct finding *finding = &items[list->count++];
    *finding = (struct finding){0};
    return finding;
}

/* The stack of a finding that has none: an untraced process. */
static const struct report_stack NO_STACK = {.present = false};

/* Appends PROCESS's leak groups and errors, in report order, after the
 * finding that it was not traced, if it was not. */
static int collect_process(struct finding_list *list, const struct report_process *process, size_t source)
{
    if (process->untraced != NULL) {
        struct finding *finding = append(list);
        if (finding == NULL)
            return -1;
        *finding = (struct finding){.kind = FINDING_UNTRACED, .source = source, .process = process,
                                    .stack = &NO_STACK};
    }
    for (size_t i = 0; i < process->leak_count; i++) {
        const struct report_leak *leak = &process->leaks[i];
        struct finding *finding = append(list);
        if (finding == NULL)
            return -1;
        *finding = (struct finding){.kind = kind_of_leak(leak->kind), .source = source, .process = process,
                                    .leak = leak, .stack = &leak->stack, .bytes = leak->bytes,
                                    .blocks = leak->blocks};
    }
    for (size_t i = 0; i < process->error_count; i++) {
        const struct report_error *error = &process->errors[i];
        struct finding *finding = append(list);
        if (finding == NULL)
            return -1;
        *finding = (struct finding){.kind = kind_of_error(error->type), .source = source, .process = process,
                                    .error = error, .stack = &error->stack,
                                    .bytes = error->size.present ? error->size.value : 0, .blocks = 1};
    }
    return 0;
}

/* Appends every finding of REPORT to LIST, marking each with SOURCE (which
 * trace it came from) and STATUS_FAILING until the gate decides.  Returns 0, or
 * -1 when memory ran out (LIST keeps what was added). */
int findings_collect(struct finding_list *list, const struct report *report, size_t source)
{
    for (size_t i = 0; i < report->process_count; i++)
        if (collect_process(list, &report->processes[i], source) != 0)
            return -1;
    return 0;
}

/* Frees the list (not the reports it points into). */
void findings_free(struct finding_list *list)
{
    free(list->items);
    *list = (struct finding_list){0};
}
