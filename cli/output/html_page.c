/*
 * html_page.c - reading a process for the page, one record at a time: the
 * visitor of analyse_process_stream_ids that turns each stack into a node
 * of the process's stack tree, found through the tree of the trace's stacks
 * rows (html_links.h), or for a stack that tree does not hold, from the
 * stack loaded whole.
 */
#include "output/html_page.h"

#include <stdlib.h>
#include <string.h>

#include "analyse/stacks.h"
#include "output/html_links.h"
#include "output/html_memory.h"
#include "util/array.h"

struct report_stack page_shown_stack(const struct report_stack *stack, bool show_below_main)
{
    struct report_stack shown = *stack;
    size_t first = report_stack_first_shown(stack);
    shown.frames += first;
    shown.depth = report_stack_shown_depth(stack, show_below_main) - first;
    return shown;
}

/* What the visitor reads into. */
struct page_reader {
    struct page_process *page;
    struct report_process *process;
    size_t site_room;  /* of page->sites: every site of the process, once their count is known */
    struct trace *trace;
    struct link_tree links;
    bool show_below_main;
    size_t leaks_per_kind;
    size_t leaks_seen[LEAK_KIND_COUNT];
    bool trace_failed; /* the visitor stopped on a stack load_stack found damaged, recorded on the trace */
};

/* The node of the shown part of STACK (an id alone), loaded whole when the
 * tree of stacks rows does not hold it; -2 when it is damaged or memory
 * runs out. */
static int64_t node_of_loaded(struct page_reader *reader, const struct report_stack *stack)
{
    struct report_stack loaded;
    if (load_stack(reader->trace, (struct maybe_int){true, stack->id}, &loaded) != 0) {
        reader->trace_failed = true;
        return -2;
    }
    struct report_stack shown = page_shown_stack(&loaded, reader->show_below_main);
    int64_t node = stack_tree_node(&reader->page->stacks, &reader->page->frames, &shown);
    report_stack_free(&loaded);
    return node >= 0 ? node : -2;
}

/* The node of STACK's shown part, or NO_STACK; -2 when it is damaged or
 * memory runs out. */
static int64_t node_of(struct page_reader *reader, const struct report_stack *stack)
{
    if (!stack->present)
        return NO_STACK;
    int64_t node = link_tree_shown(&reader->links, stack->id, &reader->page->stacks);
    if (node == LINK_TREE_UNKNOWN)
        return node_of_loaded(reader, stack);
    return node >= 0 ? node : -2;
}

/* Checks that the stack of a record the page does not keep can be read, as
 * every record's must: -1 when it is damaged or memory runs out. */
static int check_stack(struct page_reader *reader, const struct report_stack *stack)
{
    struct report_stack loaded;
    if (!stack->present || link_tree_holds(&reader->links, stack->id))
        return 0;
    if (load_stack(reader->trace, (struct maybe_int){true, stack->id}, &loaded) != 0) {
        reader->trace_failed = true;
        return -1;
    }
    report_stack_free(&loaded);
    return 0;
}

/* The start and end of the process: nothing to keep. */
static int read_process(void *context, const struct report_process *process)
{
    (void)context, (void)process;
    return 0;
}

/* Keeps the leak group when fewer than leaks_per_kind of its kind are kept. */
static int read_leak(void *context, const struct report_leak *leak)
{
    struct page_reader *reader = context;
    struct page_process *page = reader->page;
    if (reader->leaks_seen[leak->kind]++ >= reader->leaks_per_kind)
        return check_stack(reader, &leak->stack);
    int64_t stack = node_of(reader, &leak->stack);
    struct page_leak *leaks = stack != -2 ? make_room(page->leaks, page->leak_count, sizeof *leaks) : NULL;
    if (leaks == NULL)
        return -1; /* the visitor stops only on a damaged stack or when memory runs out */
    page->leaks = leaks;
    leaks[page->leak_count++] = (struct page_leak){leak->kind, leak->heuristic, leak->bytes, leak->blocks, stack};
    return 0;
}

/* Keeps the error, its names copied and its stacks as nodes. */
static int read_error(void *context, const struct report_error *error)
{
    struct page_reader *reader = context;
    struct page_process *page = reader->page;
    struct page_error *errors = make_room(page->errors, page->error_count, sizeof *errors);
    if (errors == NULL)
        return -1;
    page->errors = errors;
    struct page_error *kept = &errors[page->error_count++];
    *kept = (struct page_error){
        .type = error->type, .address = error->address, .size = error->size, .offset = error->offset,
        .alloc_function = error->alloc_function != NULL ? strdup(error->alloc_function) : NULL,
        .free_function = error->free_function != NULL ? strdup(error->free_function) : NULL,
        .stack = node_of(reader, &error->stack), .alloc_stack = node_of(reader, &error->alloc_stack),
        .first_free_stack = node_of(reader, &error->first_free_stack),
    };
    bool out_of_memory = (error->alloc_function != NULL && kept->alloc_function == NULL) ||
                         (error->free_function != NULL && kept->free_function == NULL) || kept->stack == -2 ||
                         kept->alloc_stack == -2 || kept->first_free_stack == -2;
    return out_of_memory ? -1 : 0;
}

/* Keeps the site's figures and its stack as a node. */
static int read_site(void *context, const struct report_site *site)
{
    struct page_reader *reader = context;
    struct page_process *page = reader->page;
    int64_t stack = node_of(reader, &site->stack);
    if (stack == -2)
        return -1;
    if (reader->site_room == 0 && reader->process->site_total > 0) {
        page->sites = page_array_realloc(NULL, reader->process->site_total * sizeof *page->sites);
        if (page->sites == NULL)
            return -1;
        reader->site_room = reader->process->site_total;
    }
    struct page_site *kept = array_push((void **)&page->sites, &page->site_count, &reader->site_room, sizeof *kept);
    if (kept == NULL)
        return -1;
    *kept = (struct page_site){stack, {site->allocations, site->bytes, site->temporary, site->peak_bytes,
                                       site->leaked_bytes}};
    return 0;
}

int page_process_read(struct page_process *page, struct trace *trace, struct report_process *process,
                      bool show_below_main, size_t leaks_per_kind, const struct sites_progress *progress)
{
    *page = (struct page_process){0};
    frame_table_init(&page->frames, false);
    stack_tree_init(&page->stacks);
    struct page_reader reader = {.page = page, .process = process, .trace = trace, .show_below_main = show_below_main,
                                 .leaks_per_kind = leaks_per_kind};
    link_tree_init(&reader.links, show_below_main);
    const struct report_visitor visitor = {&reader, read_process, read_leak, read_error, read_site, read_process};
    int result = link_tree_read(&reader.links, trace, process->row_id, &page->frames);
    if (result == 0 && stack_tree_reserve(&page->stacks, reader.links.count) != 0)
        result = trace_fail(trace, "out of memory");
    if (result == 0)
        result = analyse_process_stream_ids(trace, process, &visitor, progress);
    link_tree_free(&reader.links);
    stack_tree_done(&page->stacks); /* the page adds no stack once the process is read */
    if (result > 0 && reader.trace_failed) /* the visitor stopped on a damaged stack, recorded */
        return -1;
    if (result > 0) /* the visitor stopped: memory ran out */
        return trace_fail(trace, "out of memory");
    return result;
}

void page_process_free(struct page_process *page)
{
    for (size_t i = 0; i < page->error_count; i++) {
        free(page->errors[i].alloc_function);
        free(page->errors[i].free_function);
    }
    free(page->errors);
    free(page->leaks);
    free(page->sites);
    stack_tree_free(&page->stacks);
    frame_table_free(&page->frames);
    *page = (struct page_process){0};
}
