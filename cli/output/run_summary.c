/*
 * run_summary.c - what a person sees after `memtrack run`: the figures of the
 * program itself, any deallocation errors and leaks, and where the trace is.
 * Everything printed here is also in the trace; details are `memtrack report`'s.
 */
#include <inttypes.h>
#include <stdbool.h>
#include "collect/process.h"
#include "collect/server.h"
#include "output/run_summary.h"
#include "trace/names.h"
#include "util/printable.h"

/* A wait for the collector worth telling: one the user could notice. */
#define NOTABLE_WAIT_NS 100000000ull

/* One line per bad release: what, where in memory, and which functions. */
static void print_error(FILE *out, const struct mt_rec_error *e)
{
    fprintf(out, "memtrack:     %s of 0x%" PRIx64 " by %s", mt_error_name(e->h.extra), e->address,
            mt_function_name(e->free_function));
    if (e->size != UINT64_MAX)
        fprintf(out, " (block of %" PRIu64 " bytes from %s)", e->size, mt_function_name(e->alloc_function));
    fputc('\n', out);
}

/* Says why the untraced process P was not traced: "memtrack:   not traced:
 * WHY" under the started program's figures, else a line of its own naming it. */
static void print_untraced(FILE *out, const struct mt_process *p, bool started_program)
{
    if (started_program) {
        fputs("memtrack:   not traced: ", out);
    } else {
        fputs("memtrack: not traced: ", out);
        write_printable(out, p->argc && p->argv[0] ? p->argv[0] : "?");
        fprintf(out, " (pid %" PRIu32 "): ", p->pid);
    }
    write_printable(out, p->untraced);
    fputc('\n', out);
}

/* What is still allocated in `blocks`, by leak kind (count_block). */
struct leak_totals {
    const struct live_blocks *blocks;
    uint64_t bytes[MT_LEAK_END], blocks_of[MT_LEAK_END];
};

static void count_block(uint64_t id, const struct mt_live_block *b, void *arg)
{
    struct leak_totals *totals = arg;
    totals->bytes[b->kind] += live_block_size(totals->blocks, id, b);
    totals->blocks_of[b->kind]++;
}

/* Prints the figures of the program memtrack started. */
static void print_process(FILE *out, const struct mt_process *p)
{
    struct leak_totals totals = {.blocks = &p->blocks};
    live_blocks_for_each(&p->blocks, count_block, &totals);
    const uint64_t *bytes = totals.bytes, *blocks = totals.blocks_of;
    uint64_t allocations = p->exited ? p->exit.allocations : p->allocations;
    uint64_t frees = p->exited ? p->exit.frees : p->frees;
    uint64_t peak = p->exited ? p->exit.peak_bytes : p->peak_bytes;
    fputs("memtrack: ", out);
    write_printable(out, p->argc && p->argv[0] ? p->argv[0] : "?");
    fprintf(out, " (pid %" PRIu32 "): %" PRIu64 " allocations, %" PRIu64 " frees, peak %" PRIu64 " bytes\n", p->pid,
            allocations, frees, peak);
    uint64_t total_bytes = 0, total_blocks = 0;
    for (int k = 0; k < MT_LEAK_END; k++)
        total_bytes += bytes[k], total_blocks += blocks[k];
    fprintf(out, "memtrack:   not freed: %" PRIu64 " bytes in %" PRIu64 " blocks", total_bytes, total_blocks);
    for (int k = MT_LEAK_DEFINITE; k < MT_LEAK_END; k++)
        if (blocks[k])
            fprintf(out, "; %s %" PRIu64 "/%" PRIu64, mt_leak_kind_name((unsigned)k), bytes[k], blocks[k]);
    fputc('\n', out);
    if (p->n_errors)
        fprintf(out, "memtrack:   deallocation errors: %zu (double, invalid or mismatched frees)\n", p->n_errors);
    for (size_t i = 0; i < p->n_errors && i < 5; i++)
        print_error(out, &p->errors[i]);
    if (p->exited && p->exit.send_wait_max_ns >= NOTABLE_WAIT_NS)
        fprintf(out, "memtrack:   the program waited up to %.1f ms at once for memtrack to keep up (%.1f ms in all"
                     " in its sends)\n",
                (double)p->exit.send_wait_max_ns / 1e6, (double)p->exit.send_wait_total_ns / 1e6);
    if (p->note) {
        fputs("memtrack:   note: ", out);
        write_printable(out, p->note);
        fputc('\n', out);
    }
    if (p->untraced)
        print_untraced(out, p, true);
}

void summary_print(FILE *out, const struct mt_server *server, const struct mt_process *top, const char *trace)
{
    size_t n = 0;
    for (const struct mt_process *p = server->processes; p; p = p->next)
        n++;
    if (top)
        print_process(out, top);
    if (n > 1)
        fprintf(out, "memtrack: %zu processes traced in all\n", n);
    for (const struct mt_process *p = server->processes; p; p = p->next)
        if (p->untraced && p != top)
            print_untraced(out, p, false);
    fprintf(out, "memtrack: trace written to %s (see: memtrack report %s)\n", trace, trace);
}
