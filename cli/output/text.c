/*
 * text.c - the report for people, laid out like valgrind memcheck's: per
 * process, errors first, then leaks and a leak summary, then where the
 * program allocates most and its peak.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "output/render.h"
#include "output/memcheck_text.h"
#include "util/printable.h"

/* How each leak kind reads in "N bytes in M blocks are ...". */
static const char *const LEAK_KIND_PHRASES[LEAK_KIND_COUNT] = {"definitely lost", "indirectly lost",
                                                               "possibly lost", "still reachable", "unclassified"};

/* Writes a string from the trace printable, or UNKNOWN when it is NULL. */
static void text_field(FILE *out, const char *text, const char *unknown)
{
    write_printable(out, text != NULL ? text : unknown);
}

/* A stack of the report, three spaces in as memcheck's. */
static void text_stack(FILE *out, const struct report_stack *stack, const struct text_options *options)
{
    write_stack_text(out, stack, "   ", options->frames, options->show_below_main);
}

/* Writes how the process ended, as in "(exit 0)" or "(killed by signal 9)". */
static void text_ending(FILE *out, const struct report_process *process)
{
    switch (process->end_reason) {
    case END_EXIT:
        if (process->exit_code.present)
            fprintf(out, "(exit %" PRId64 ")", process->exit_code.value);
        else
            fputs("(exit)", out);
        break;
    case END_SIGNAL:
        if (process->exit_signal.present)
            fprintf(out, "(killed by signal %" PRId64 ")", process->exit_signal.value);
        else
            fputs("(killed by a signal)", out);
        break;
    case END_UNDERSCORE_EXIT:
        if (process->exit_code.present)
            fprintf(out, "(_exit %" PRId64 ")", process->exit_code.value);
        else
            fputs("(_exit)", out);
        break;
    case END_EXEC:
        fputs("(replaced by exec)", out);
        break;
    case END_RUNNING:
    case END_REASON_COUNT:
        fputs("(still running when the trace ended)", out);
        break;
    }
}

/* Writes a process's command line, each word followed by a space; the
 * executable stands in for an empty argv. */
static void text_command(FILE *out, const struct report_process *process)
{
    for (size_t i = 0; i < process->argc; i++) {
        text_field(out, process->argv[i], "");
        fputc(' ', out);
    }
    if (process->argc == 0 && process->executable != NULL) {
        text_field(out, process->executable, "");
        fputc(' ', out);
    }
}

/* Writes "== memtrack report: pid P: ARGV (how it ended)", then its note
 * and why it was not traced, when so. */
static void text_header(FILE *out, const struct report_process *process)
{
    fprintf(out, "== memtrack report: pid %" PRId64 ": ", process->pid);
    text_command(out, process);
    text_ending(out, process);
    fputc('\n', out);
    if (process->note != NULL) {
        fputs("   note: ", out);
        text_field(out, process->note, "");
        fputc('\n', out);
    }
    if (process->untraced != NULL) {
        fputs("   NOT TRACED: ", out);
        text_field(out, process->untraced, "");
        fputs("\n   memtrack did not see its allocations: it cannot tell whether they leak\n", out);
    }
}

/* Writes what the trace knows of the block an error involves, as in
 * " (16 bytes inside a block of 32 bytes allocated by malloc)". */
static void text_error_block(FILE *out, const struct report_error *error)
{
    if (!error->size.present && !error->offset.present && error->alloc_function == NULL)
        return;
    fputs(" (", out);
    if (error->offset.present && error->offset.value > 0)
        fprintf(out, "%" PRId64 " bytes inside a block", error->offset.value);
    else
        fputs("block", out);
    if (error->size.present)
        fprintf(out, " of %" PRId64 " bytes", error->size.value);
    if (error->alloc_function != NULL) {
        fputs(" allocated by ", out);
        text_field(out, error->alloc_function, "");
    }
    fputc(')', out);
}

/* Writes one error: a headline, where it happened, and the stacks of the
 * block's allocation and first free when known. */
static void text_error(FILE *out, const struct report_error *error, const struct text_options *options)
{
    fputs(error->type == ERROR_MISMATCHED_FREE ? "Mismatched " : "Invalid ", out);
    text_field(out, error->free_function, "free");
    fputs(error->type == ERROR_DOUBLE_FREE ? "() / double free of " : "() of ", out);
    fprintf(out, "0x%" PRIx64, error->address);
    text_error_block(out, error);
    fputc('\n', out);
    text_stack(out, &error->stack, options);
    if (error->alloc_stack.present) {
        fputs("  Block was allocated at:\n", out);
        text_stack(out, &error->alloc_stack, options);
    }
    if (error->first_free_stack.present) {
        fputs("  First freed at:\n", out);
        text_stack(out, &error->first_free_stack, options);
    }
    if (error->data_symbol != NULL) {
        fprintf(out, " Address 0x%" PRIx64 " is ", error->address);
        write_data_symbol(out, error);
        fputc('\n', out);
    }
    fputc('\n', out);
}

/* Writes one leak group, as in "40 bytes in 1 blocks are definitely lost",
 * "120 (24 direct, 96 indirect) bytes in 1 blocks are definitely lost" or
 * "32 bytes in 1 blocks are still reachable (via heuristic stdstring)". */
static void text_leak(FILE *out, const struct report_leak *leak, const struct text_options *options)
{
    write_leak_size(out, leak);
    fprintf(out, " in %" PRId64 " blocks are %s", leak->blocks, LEAK_KIND_PHRASES[leak->kind]);
    if (leak->heuristic != HEURISTIC_NONE)
        fprintf(out, " (via heuristic %s)", HEURISTIC_NAMES[leak->heuristic]);
    fputc('\n', out);
    text_stack(out, &leak->stack, options);
    fputc('\n', out);
}

/* Says which leak records were left out and how to see them, as memcheck
 * does ("Reachable blocks ... are not shown"): those of kinds not shown,
 * then those beyond options->leak_records of the kinds shown (SHOWN[kind]
 * records printed of RECORDS[kind]). */
static void text_hidden_leaks(FILE *out, const struct report_process *process, const struct text_options *options,
                              const size_t shown[LEAK_KIND_COUNT], const size_t records[LEAK_KIND_COUNT])
{
    bool any = false;
    for (int smaller = 0; smaller < 2; smaller++) {
        const char *separator = "Not shown: ";
        for (int kind = 0; kind < LEAK_KIND_COUNT; kind++) {
            bool kind_shown = options->leak_kinds & (1u << kind);
            size_t hidden = !smaller ? (kind_shown ? 0 : process->leak_totals.records[kind])
                                     : (kind_shown ? records[kind] - shown[kind] : 0);
            if (hidden == 0)
                continue;
            fprintf(out, "%s%zu %srecord%s of %s blocks", separator, hidden, smaller ? "smaller " : "",
                    hidden == 1 ? "" : "s", LEAK_KIND_PHRASES[kind]);
            separator = ", ";
        }
        if (separator[0] == ',')
            fputs(smaller ? " (--leak-records=all shows them)\n" : " (--show-leak-kinds=all shows them)\n", out);
        any |= separator[0] == ',';
    }
    if (any)
        fputc('\n', out);
}

/* Writes why unclassified blocks could not be classified. */
static void text_unclassified_reason(FILE *out, const struct report_process *process)
{
    fputs("   (not classified: ", out);
    if (process->leak_scan)
        fputs("the leak scan did not reach a verdict on them", out);
    else if (process->end_reason == END_SIGNAL && process->exit_signal.present)
        fprintf(out, "the process was killed by signal %" PRId64 ", so no leak scan could run",
                process->exit_signal.value);
    else if (process->end_reason == END_SIGNAL)
        fputs("the process was killed by a signal, so no leak scan could run", out);
    else if (process->end_reason == END_EXEC)
        fputs("the process called exec, so no leak scan could run", out);
    else if (process->end_reason == END_UNDERSCORE_EXIT)
        fputs("the process ended through _exit without a leak scan", out);
    else
        fputs("the process was still running, so no leak scan could run", out);
    fputs(")\n", out);
}

/* Writes memcheck's breakdown of the still reachable blocks that heuristics
 * found through interior pointers, one line per heuristic that found any. */
static void text_heuristic_summary(FILE *out, const int64_t bytes[HEURISTIC_COUNT],
                                   const int64_t blocks[HEURISTIC_COUNT])
{
    bool any = false;
    for (int h = HEURISTIC_NONE + 1; h < HEURISTIC_COUNT; h++) {
        if (blocks[h] == 0)
            continue;
        if (!any)
            fputs("                      of which reachable via heuristic:\n", out);
        any = true;
        fprintf(out, "                        %-19s: %" PRId64 " bytes in %" PRId64 " blocks\n", HEURISTIC_NAMES[h],
                bytes[h], blocks[h]);
    }
}

/* Writes the leak totals per kind, memcheck's LEAK SUMMARY.  Without a leak
 * scan only the unclassified line is meaningful, so only it is shown; an
 * untraced process gets no verdict at all (its header says why). */
static void text_leak_summary(FILE *out, const struct report_process *process)
{
    const struct report_leak_totals *totals = &process->leak_totals;
    size_t records = 0;
    for (int kind = 0; kind < LEAK_KIND_COUNT; kind++)
        records += totals->records[kind];
    if (records == 0 && process->untraced != NULL)
        return;
    if (records == 0) {
        bool ended = process->end_reason != END_RUNNING;
        fputs(ended ? "All heap blocks were freed -- no leaks are possible\n\n"
                    : "No heap blocks were recorded as still allocated\n\n", out);
        return;
    }
    fputs("LEAK SUMMARY:\n", out);
    for (int kind = 0; kind < LEAK_KIND_COUNT; kind++) {
        bool shown = kind == LEAK_UNCLASSIFIED ? totals->blocks[kind] > 0 : process->leak_scan;
        if (shown)
            fprintf(out, "   %15s: %" PRId64 " bytes in %" PRId64 " blocks\n", LEAK_KIND_PHRASES[kind],
                    totals->bytes[kind], totals->blocks[kind]);
        if (kind == LEAK_REACHABLE)
            text_heuristic_summary(out, totals->heuristic_bytes, totals->heuristic_blocks);
    }
    if (totals->blocks[LEAK_UNCLASSIFIED] > 0)
        text_unclassified_reason(out, process);
    fputc('\n', out);
}

/* Writes the options->sites sites that allocate most often: the ones worth
 * optimising, especially when most of their blocks are temporary. */
static int text_top_sites(FILE *out, const struct report_process *process, const struct text_options *options)
{
    size_t top = options->sites;
    if (process->site_count == 0 || top == 0)
        return 0;
    const struct report_site **sites = malloc(process->site_count * sizeof *sites);
    if (sites == NULL)
        return -1;
    for (size_t i = 0; i < process->site_count; i++)
        sites[i] = &process->sites[i];
    qsort(sites, process->site_count, sizeof *sites, report_site_by_allocations);
    size_t shown = process->site_count < top ? process->site_count : top;
    fprintf(out, "Top allocation sites (%zu of %zu, by allocations):\n", shown, process->site_total);
    for (size_t i = 0; i < shown; i++) {
        fprintf(out, "%" PRId64 " allocations (%" PRId64 " temporary), %" PRId64 " bytes\n", sites[i]->allocations,
                sites[i]->temporary, sites[i]->bytes);
        text_stack(out, &sites[i]->stack, options);
        fputc('\n', out);
    }
    free(sites);
    return 0;
}

/* The call site after AT in STACK: frames inlined into one call share its
 * address, and memcheck's stack entries are call sites. */
static size_t next_call_site(const struct report_stack *stack, size_t at)
{
    size_t i = at + 1;
    while (i < stack->depth && stack->frames[i].address == stack->frames[at].address)
        i++;
    return i;
}

/* A leak record as --leak-resolution groups it: the record and its place in
 * the report's order, which breaks ties. */
struct resolved_leak {
    struct report_leak leak;
    size_t order;
    size_t sites; /* call sites compared */
};

/* Orders records by kind, heuristic and their first `sites` call sites: 0
 * for records --leak-resolution merges. */
static int compare_call_sites(const struct resolved_leak *left, const struct resolved_leak *right)
{
    if (left->leak.kind != right->leak.kind)
        return left->leak.kind < right->leak.kind ? -1 : 1;
    if (left->leak.heuristic != right->leak.heuristic)
        return left->leak.heuristic < right->leak.heuristic ? -1 : 1;
    const struct report_stack *a = &left->leak.stack, *b = &right->leak.stack;
    size_t i = 0, j = 0;
    for (size_t site = 0; site < left->sites; site++, i = next_call_site(a, i), j = next_call_site(b, j)) {
        if (i >= a->depth || j >= b->depth) {
            if ((i >= a->depth) != (j >= b->depth))
                return i >= a->depth ? -1 : 1;
            break;
        }
        if (a->frames[i].address != b->frames[j].address)
            return a->frames[i].address < b->frames[j].address ? -1 : 1;
    }
    return 0;
}

/* compare_call_sites, then report order: records to merge end up side by
 * side, the first of each run being the one the report lists first. */
static int compare_by_call_sites(const void *left_pointer, const void *right_pointer)
{
    const struct resolved_leak *left = left_pointer, *right = right_pointer;
    int by_sites = compare_call_sites(left, right);
    return by_sites != 0 ? by_sites : (left->order > right->order) - (left->order < right->order);
}

/* The report's order of records: kind, then bytes and blocks descending. */
static int compare_in_report_order(const void *left_pointer, const void *right_pointer)
{
    const struct resolved_leak *left = left_pointer, *right = right_pointer;
    if (left->leak.kind != right->leak.kind)
        return left->leak.kind < right->leak.kind ? -1 : 1;
    if (left->leak.bytes != right->leak.bytes)
        return left->leak.bytes > right->leak.bytes ? -1 : 1;
    if (left->leak.blocks != right->leak.blocks)
        return left->leak.blocks > right->leak.blocks ? -1 : 1;
    return (left->order > right->order) - (left->order < right->order);
}

/* Writes the leak records of the kinds shown, those whose first
 * options->leak_resolution call sites match merged into one as memcheck's
 * --leak-resolution does (each merged record shows the stack of its
 * largest), at most options->leak_records of each kind, largest first.
 * Counts in SHOWN and RECORDS, per kind, the records printed and those
 * there are (merged, or in the trace when none merge).  -1 when memory runs
 * out. */
static int text_leaks(FILE *out, const struct report_process *process, const struct text_options *options,
                      size_t shown_count[LEAK_KIND_COUNT], size_t records[LEAK_KIND_COUNT])
{
    struct resolved_leak *shown = calloc(process->leak_count ? process->leak_count : 1, sizeof *shown);
    if (shown == NULL)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < process->leak_count; i++)
        if (options->leak_kinds & (1u << process->leaks[i].kind))
            shown[n++] = (struct resolved_leak){process->leaks[i], i, options->leak_resolution};
    if (options->leak_resolution != TEXT_LEAK_RESOLUTION_HIGH && n > 1) {
        qsort(shown, n, sizeof *shown, compare_by_call_sites);
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
            if (kept > 0 && compare_call_sites(&shown[kept - 1], &shown[i]) == 0) {
                struct report_leak *into = &shown[kept - 1].leak;
                into->bytes += shown[i].leak.bytes; /* sums of one process's blocks: within the trace's checks */
                into->blocks += shown[i].leak.blocks;
                into->indirect_bytes += shown[i].leak.indirect_bytes;
            } else {
                shown[kept++] = shown[i];
            }
        }
        n = kept;
        qsort(shown, n, sizeof *shown, compare_in_report_order);
    }
    bool merged = options->leak_resolution != TEXT_LEAK_RESOLUTION_HIGH;
    for (int kind = 0; kind < LEAK_KIND_COUNT; kind++)
        records[kind] = merged ? 0 : process->leak_totals.records[kind];
    for (size_t i = 0; i < n; i++) {
        enum leak_kind kind = shown[i].leak.kind;
        if (merged)
            records[kind]++;
        if (shown_count[kind] < options->leak_records) {
            shown_count[kind]++;
            text_leak(out, &shown[i].leak, options);
        }
    }
    free(shown);
    return 0;
}

/* Writes one process's whole report. */
static int text_process(FILE *out, const struct report_process *process, const struct text_options *options)
{
    text_header(out, process);
    fputc('\n', out);
    for (size_t i = 0; i < process->error_count; i++)
        text_error(out, &process->errors[i], options);
    size_t shown[LEAK_KIND_COUNT] = {0}, records[LEAK_KIND_COUNT] = {0};
    if (text_leaks(out, process, options, shown, records) != 0)
        return -1;
    text_leak_summary(out, process);
    text_hidden_leaks(out, process, options, shown, records);
    if (text_top_sites(out, process, options) != 0)
        return -1;
    const struct report_summary *summary = &process->summary;
    fprintf(out, "Heap: %" PRId64 " allocations, %" PRId64 " frees, %" PRId64 " bytes allocated, %" PRId64
            " temporary\n", summary->allocations, summary->frees, summary->allocated_bytes,
            summary->temporary_allocations);
    fprintf(out, "Peak heap: %" PRId64 " bytes\n", summary->peak_bytes);
    return 0;
}

/* Lists the processes of a report of several, one line each, before their
 * sections: a test suite or a shell script traced whole can make dozens. */
static void text_process_table(FILE *out, const struct report *report)
{
    fprintf(out, "== memtrack report: %zu processes (--pid N or --exe NAME reports on some)\n", report->process_count);
    fprintf(out, "   %8s %8s %12s %14s %7s  %s\n", "pid", "parent", "allocations", "leaked bytes", "errors",
            "command");
    for (size_t i = 0; i < report->process_count; i++) {
        const struct report_process *process = &report->processes[i];
        fprintf(out, "   %8" PRId64 " %8" PRId64 " %12" PRId64 " %14" PRId64 " %7zu  ", process->pid,
                process->parent_pid, process->summary.allocations, process->summary.leaked_bytes,
                process->error_count);
        text_command(out, process);
        text_ending(out, process);
        fputc('\n', out);
    }
    fputc('\n', out);
}

/* Writes the whole report, processes separated by a blank line, after a
 * table of them when there are several. */
int render_text_with(FILE *out, const struct report *report, const struct text_options *options)
{
    if (report->process_count == 0)
        fputs("== memtrack report: the trace holds no processes\n", out);
    if (report->process_count > 1)
        text_process_table(out, report);
    for (size_t i = 0; i < report->process_count; i++) {
        fputs(i > 0 ? "\n" : "", out);
        if (text_process(out, &report->processes[i], options) != 0) {
            errno = ENOMEM;
            return -1;
        }
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

int render_text(FILE *out, const struct report *report)
{
    const struct text_options every_kind = {TEXT_LEAK_KINDS_ALL, TEXT_FRAMES_DEFAULT, TEXT_SITES_DEFAULT, false,
                                            TEXT_LEAK_RESOLUTION_HIGH, SIZE_MAX};
    return render_text_with(out, report, &every_kind);
}
