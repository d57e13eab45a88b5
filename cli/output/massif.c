/*
 * massif.c - one process in valgrind massif's output format (massif.out,
 * read by ms_print and massif-visualizer).  Snapshots follow the trace's
 * heap timeline (analyse/timeline.c: the largest live heap of each stretch
 * of time, milliseconds from the first sample); one snapshot is detailed,
 * with massif's tree of the bytes by allocation stack, innermost frame at
 * the top: at the heap's peak with --metric peak (each site's bytes live at
 * the peak), after the last sample with --metric leaked (each site's bytes
 * still allocated at the end).  As massif does, callers below 1% of the
 * snapshot's total are summed into one "in N places" entry.  The other
 * metrics count allocations over the whole run, not a heap at one time: the
 * command refuses them for this format.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#include "output/export.h"
#include "output/html_frames.h"
#include "output/html_stacks.h"
#include "output/memcheck_text.h"
#include "output/render.h"
#include "util/printable.h"

/* Massif's default --threshold: entries below this share of the total are summed. */
#define MASSIF_THRESHOLD_PERCENT 1

/* The detailed snapshot's tree: the stack tree of the sites' shown frames,
 * innermost first, and each node's bytes (its sites' and, once summed, its
 * callers'). */
struct heap_tree {
    struct frame_table frames;
    struct stack_tree stacks;
    size_t node_count;    /* nodes with their bytes so far: the root and stacks.count more */
    int64_t *bytes;       /* per node, 0 the root */
    size_t *child_start;  /* node N's children are children[child_start[N] .. child_start[N + 1]) */
    uint32_t *children;   /* largest first */
};

/* The format's state: its one process, and the tree of its sites. */
struct massif_state {
    const struct report_process *process;
    struct heap_tree tree;
};

/* Adds SITE's shown frames to TREE as a path from the innermost, and
 * FIGURE to its node's bytes; 0, or -1 when memory runs out. */
static int add_site(struct heap_tree *tree, struct shown_frames *shown, const struct report_site *site,
                    int64_t figure)
{
    if (shown_frames_of(shown, &site->stack) != 0)
        return -1;
    int64_t node = 0;
    for (size_t i = 0; i < shown->count && node >= 0; i++)
        node = stack_tree_frame_child(&tree->stacks, &tree->frames, node, shown->frames[i]);
    for (; node >= 0 && tree->node_count <= tree->stacks.count; tree->node_count++) {
        int64_t *bytes = make_room(tree->bytes, tree->node_count, sizeof *bytes);
        if (bytes == NULL)
            return -1;
        tree->bytes = bytes;
        bytes[tree->node_count] = 0;
    }
    if (node < 0)
        return -1;
    tree->bytes[node] += figure;
    return 0;
}

/* qsort_r order of children, BYTES being the nodes' bytes: most first,
 * then first made. */
static int by_bytes(const void *left, const void *right, void *bytes_pointer)
{
    const int64_t *bytes = bytes_pointer;
    uint32_t a = *(const uint32_t *)left, b = *(const uint32_t *)right;
    if (bytes[a] != bytes[b])
        return bytes[a] > bytes[b] ? -1 : 1;
    return (a > b) - (a < b);
}

/* Completes TREE once every site is in: each node's bytes summed with its
 * callers', and its children listed largest first; 0, or -1 when memory
 * runs out.  Nodes without bytes are left out of the children. */
static int sum_tree(struct heap_tree *tree)
{
    size_t nodes = tree->stacks.count + 1;
    if (tree->node_count == 0) { /* no site: the root alone */
        tree->bytes = calloc(1, sizeof *tree->bytes);
        tree->node_count = tree->bytes != NULL ? 1 : 0;
    }
    tree->child_start = tree->bytes != NULL ? calloc(nodes + 1, sizeof *tree->child_start) : NULL;
    tree->children = tree->child_start != NULL ? malloc(nodes * sizeof *tree->children) : NULL;
    if (tree->children == NULL)
        return -1;
    /* A parent's id is below its children's: one backward pass sums each subtree. */
    for (size_t node = nodes - 1; node > 0; node--) {
        tree->bytes[tree->stacks.parents[node - 1]] += tree->bytes[node];
        tree->child_start[tree->stacks.parents[node - 1] + 1]++;
    }
    for (size_t node = 0; node < nodes; node++)
        tree->child_start[node + 1] += tree->child_start[node];
    size_t *next = malloc(nodes * sizeof *next);
    if (next == NULL)
        return -1;
    for (size_t node = 0; node < nodes; node++)
        next[node] = tree->child_start[node];
    for (size_t node = 1; node < nodes; node++)
        tree->children[next[tree->stacks.parents[node - 1]]++] = (uint32_t)node;
    free(next);
    for (size_t node = 0; node < nodes; node++)
        qsort_r(tree->children + tree->child_start[node], tree->child_start[node + 1] - tree->child_start[node],
                sizeof *tree->children, by_bytes, tree->bytes);
    return 0;
}

static void free_tree(struct heap_tree *tree)
{
    frame_table_free(&tree->frames);
    stack_tree_free(&tree->stacks);
    free(tree->bytes);
    free(tree->child_start);
    free(tree->children);
}

/* Writes NODE's entry and its callers', DEPTH spaces in: "n2: 600
 * 0x4011d6: make_leak (leak.c:6)", as massif does, the callers below the
 * threshold of TOTAL summed into one entry after the others. */
static void write_node(FILE *out, const struct heap_tree *tree, uint32_t node, size_t depth, int64_t total)
{
    size_t first = tree->child_start[node], end = tree->child_start[node + 1], shown = 0, below = 0;
    int64_t below_bytes = 0;
    for (size_t i = first; i < end; i++) {
        int64_t bytes = tree->bytes[tree->children[i]];
        if (bytes * 100 >= total * MASSIF_THRESHOLD_PERCENT)
            shown++;
        else if (bytes > 0) {
            below++;
            below_bytes += bytes;
        }
    }
    fprintf(out, "%*sn%zu: %" PRId64 " ", (int)depth, "", shown + (below > 0), tree->bytes[node]);
    if (node == 0) {
        fputs("(heap allocation functions) malloc/new/new[], --alloc-fns, etc.\n", out);
    } else {
        const struct report_frame *frame = &tree->frames.frames[tree->stacks.frames[node - 1]];
        fprintf(out, "0x%" PRIx64 ": ", frame->address);
        write_frame_label(out, frame);
        fputc('\n', out);
    }
    for (size_t i = first; i < first + shown; i++)
        write_node(out, tree, tree->children[i], depth + 1, total);
    if (below > 0)
        fprintf(out, "%*sn0: %" PRId64 " in %zu place%s, below massif's threshold (%d.00%%)\n", (int)depth + 1, "",
                below_bytes, below, below == 1 ? "" : "s", MASSIF_THRESHOLD_PERCENT);
}

/* Writes one snapshot; TREE NULL for one without a tree, else KIND is
 * "peak" or "detailed". */
static void write_snapshot(FILE *out, size_t number, int64_t time_ms, int64_t heap_bytes,
                           const struct heap_tree *tree, const char *kind)
{
    fprintf(out, "#-----------\nsnapshot=%zu\n#-----------\ntime=%" PRId64 "\nmem_heap_B=%" PRId64
            "\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=%s\n", number, time_ms, heap_bytes,
            tree != NULL ? kind : "empty");
    if (tree != NULL)
        write_node(out, tree, 0, 0, heap_bytes);
}

/* Writes the header: how the file was made, the program's command line,
 * the time unit. */
static void write_header(FILE *out, const struct report_process *process, enum export_metric metric)
{
    fprintf(out, "desc: memtrack report --format massif --metric %s\ncmd:", EXPORT_METRIC_NAMES[metric]);
    for (size_t i = 0; i < process->argc; i++) {
        fputc(' ', out);
        write_printable(out, process->argv[i]);
    }
    if (process->argc == 0 && process->executable != NULL) {
        fputc(' ', out);
        write_printable(out, process->executable);
    }
    fputs("\ntime_unit: ms\n", out);
}

/* The sample of the detailed snapshot with --metric peak: the first of the
 * largest heap; sample_count when there is none. */
static size_t peak_sample(const struct process_timeline *timeline)
{
    size_t peak = timeline->sample_count;
    for (size_t i = 0; i < timeline->sample_count; i++)
        if (peak == timeline->sample_count || timeline->samples[i].heap_bytes > timeline->samples[peak].heap_bytes)
            peak = i;
    return peak;
}

/* Sample I's time in milliseconds from the first sample: massif's time; 0
 * for a timeline without samples (I is then SIZE_MAX). */
static int64_t sample_ms(const struct process_timeline *timeline, size_t i)
{
    if (i >= timeline->sample_count)
        return 0;
    return (timeline->samples[i].time_ns - timeline->samples[0].time_ns) / 1000000;
}

static int massif_start(struct export_writer *writer)
{
    struct massif_state *state = calloc(1, sizeof *state);
    if (state == NULL)
        return -1;
    frame_table_init(&state->tree.frames, false);
    stack_tree_init(&state->tree.stacks);
    writer->state = state;
    return 0;
}

/* Keeps the process: the file's header and snapshots are written once its
 * sites are in. */
static int massif_process(struct export_writer *writer, const struct report_process *process)
{
    ((struct massif_state *)writer->state)->process = process;
    return 0;
}

/* Adds the site to the tree when its figure is not 0. */
static int massif_site(struct export_writer *writer, const struct report_site *site)
{
    struct massif_state *state = writer->state;
    int64_t figure = export_site_figure(site, writer->metric);
    if (figure > 0 && add_site(&state->tree, &writer->shown, site, figure) != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

static int massif_process_end(struct export_writer *writer, const struct report_process *process)
{
    (void)writer, (void)process;
    return 0;
}

/* Writes the file: the header, a snapshot per sample of the writer's
 * timeline, the detailed one with the tree (massif.c's opening says where). */
static void write_massif(FILE *out, const struct report_process *process, const struct process_timeline *timeline,
                         const struct heap_tree *tree, enum export_metric metric)
{
    size_t detailed = metric == EXPORT_PEAK ? peak_sample(timeline) : timeline->sample_count;
    write_header(out, process, metric);
    write_snapshot(out, 0, 0, 0, NULL, NULL);
    for (size_t i = 0; i < timeline->sample_count; i++) {
        bool peak = i == detailed;
        write_snapshot(out, i + 1, sample_ms(timeline, i), peak ? tree->bytes[0] : timeline->samples[i].heap_bytes,
                       peak ? tree : NULL, "peak");
    }
    if (detailed == timeline->sample_count) /* after the last sample */
        write_snapshot(out, timeline->sample_count + 1, sample_ms(timeline, timeline->sample_count - 1),
                       tree->bytes[0], tree, metric == EXPORT_PEAK ? "peak" : "detailed");
}

/* Sums the tree and writes the file, unless a step failed; frees the state. */
static int massif_finish(struct export_writer *writer)
{
    struct massif_state *state = writer->state;
    int result = 0;
    if (!writer->failed && state->process != NULL) {
        result = sum_tree(&state->tree);
        if (result == 0)
            write_massif(writer->out, state->process, writer->timeline, &state->tree, writer->metric);
    }
    free_tree(&state->tree);
    free(state);
    return result;
}

const struct export_format EXPORT_MASSIF = {massif_start, massif_process, massif_site, massif_process_end,
                                            massif_finish};

int render_massif(FILE *out, const struct report_process *process, const struct process_timeline *timeline,
                  enum export_metric metric)
{
    return export_processes(&EXPORT_MASSIF, out, metric, process, 1, timeline);
}
