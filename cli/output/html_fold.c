/*
 * html_fold.c - folding a process for the page.  The flame graph the viewer
 * draws merges callees of equal name (flame_tree.js); the same merge is made
 * here over the stack tree of every site, each merged frame's figures are
 * summed, and a frame is kept when its caller is and one of its figures
 * reaches PAGE_FOLD_SHARE of the process's.  A site then counts at the
 * deepest kept frame of its stack: as a site ending there, or, when its
 * stack goes on into folded frames, in that frame's "other" row.
 */
#include "output/html_fold.h"

#include <stdlib.h>
#include <string.h>

#include "output/html_children.h"
#include "output/html_frames.h"
#include "output/html_memory.h"
#include "output/html_stacks.h"

const struct report_frame PAGE_FOLDED_FRAME = {.function = "(smaller frames, folded by memtrack view)"};

/* The merged flame graph of one process, as nodes: node 0 is the whole
 * process, node N's caller is parent[N] < N. */
struct flame_graph {
    struct tree_children by_name; /* each node's callees by name id */
    size_t count;
    uint32_t *parent;
    uint32_t *representative;          /* one stack tree node the node stands for */
};

/* Everything folding one process needs, freed together. */
struct folding {
    const struct page_process *page;
    uint32_t *frame_name; /* each frame's name id */
    uint32_t *flame_of;   /* each stack tree node's flame node */
    struct flame_graph flame;
    bool *large;          /* per flame node: the sites at or under it reach the share in one figure */
    /* The flame nodes kept, a few thousand of a million: the arrays below
     * are per kept node, numbered in flame node order. */
    uint32_t *kept_of;                    /* per flame node: the number of itself when kept, else of its nearest
                                             kept caller */
    uint32_t *kept_node;                  /* per kept node: its flame node */
    size_t kept_count;
    size_t *folded_under;                 /* callees folded */
    int64_t (*ending)[FIGURE_COUNT];      /* the sites whose stacks end there */
    int64_t (*under)[FIGURE_COUNT];       /* the sites folded under it */
    size_t *ending_sites, *under_sites;
};

/* Mixes LENGTH bytes into an FNV-1a hash. */
static uint64_t hash_bytes(uint64_t hash, const void *bytes, size_t length)
{
    const unsigned char *at = bytes;
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ at[i]) * 0x100000001b3ull;
    return hash;
}

/* The last component of PATH. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* Whether the viewer names FRAME by its function (else by its address, and
 * its module's file name when it has one): data.js, Frames.names. */
static bool named_by_function(const struct report_frame *frame)
{
    return frame->function != NULL && frame->function[0] != '\0';
}

/* A nonzero hash of the name the viewer gives FRAME. */
static uint64_t hash_name(const struct report_frame *frame)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    if (named_by_function(frame))
        hash = hash_bytes(hash, frame->function, strlen(frame->function) + 1);
    else {
        hash = hash_bytes(hash, &frame->address, sizeof frame->address);
        if (frame->module != NULL && frame->module[0] != '\0')
            hash = hash_bytes(hash, base_name(frame->module), strlen(base_name(frame->module)));
    }
    return hash != 0 ? hash : 1;
}

/* Whether the viewer gives both frames the same name. */
static bool same_name(const struct report_frame *left, const struct report_frame *right)
{
    if (named_by_function(left) || named_by_function(right))
        return named_by_function(left) && named_by_function(right) && strcmp(left->function, right->function) == 0;
    bool left_module = left->module != NULL && left->module[0] != '\0';
    bool right_module = right->module != NULL && right->module[0] != '\0';
    return left->address == right->address && left_module == right_module &&
           (!left_module || strcmp(base_name(left->module), base_name(right->module)) == 0);
}

/* Gives each frame of the table a name id, equal for frames the viewer
 * names alike.  -1 when memory runs out. */
static int name_frames(struct folding *folding)
{
    const struct frame_table *frames = &folding->page->frames;
    folding->frame_name = malloc((frames->count + 1) * sizeof *folding->frame_name);
    size_t *first_of_name = malloc((frames->count + 1) * sizeof *first_of_name);
    struct u64map by_hash;
    u64map_init(&by_hash, sizeof(uint32_t));
    int result = folding->frame_name != NULL && first_of_name != NULL ? 0 : -1;
    uint32_t names = 0;
    /* on a hash collision the next key in a fixed sequence is tried, as frame_table_index does */
    for (size_t f = 0; f < frames->count && result == 0; f++) {
        for (uint64_t key = hash_name(&frames->frames[f]);; key = key * 0x9e3779b97f4a7c15ull + 1) {
            if (key == 0)
                continue;
            int created = 0;
            uint32_t *name = u64map_put(&by_hash, key, &created);
            if (name == NULL) {
                result = -1;
                break;
            }
            if (!created && !same_name(&frames->frames[first_of_name[*name]], &frames->frames[f]))
                continue;
            if (created) {
                first_of_name[names] = f;
                *name = names++;
            }
            folding->frame_name[f] = *name;
            break;
        }
    }
    u64map_free(&by_hash);
    free(first_of_name);
    return result;
}

/* The flame node for callees named NAME of flame node PARENT, made when new
 * with REPRESENTATIVE for its stack tree node; -1 when memory runs out. */
static int64_t flame_child(struct flame_graph *flame, uint32_t parent, uint32_t name, uint32_t representative)
{
    bool created = false;
    int64_t node = tree_children_child(&flame->by_name, parent, name, (uint32_t)flame->count, &created);
    if (created) {
        flame->parent[flame->count] = parent;
        flame->representative[flame->count] = representative;
        flame->count++;
    }
    return node;
}

/* Merges the stack tree into the flame graph: each stack tree node's flame
 * node is its caller's flame node's callee of its name.  Parents come before
 * their children in both, so one forward pass does it. */
static int merge_callees(struct folding *folding)
{
    const struct stack_tree *stacks = &folding->page->stacks;
    size_t nodes = stacks->count + 1;
    struct flame_graph *flame = &folding->flame;
    flame->parent = page_array_realloc(NULL, nodes * sizeof *flame->parent);
    flame->representative = page_array_realloc(NULL, nodes * sizeof *flame->representative);
    folding->flame_of = page_array_realloc(NULL, nodes * sizeof *folding->flame_of);
    if (flame->parent == NULL || flame->representative == NULL || folding->flame_of == NULL ||
        tree_children_reserve(&flame->by_name, nodes) != 0)
        return -1;
    flame->parent[0] = flame->representative[0] = folding->flame_of[0] = 0; /* the root; the rest is written in turn */
    flame->count = 1; /* the root */
    for (size_t n = 1; n < nodes; n++) {
        uint32_t caller = folding->flame_of[stacks->parents[n - 1]];
        int64_t node = flame_child(flame, caller, folding->frame_name[stacks->frames[n - 1]], (uint32_t)n);
        if (node < 0)
            return -1;
        folding->flame_of[n] = (uint32_t)node;
    }
    return 0;
}

/* The flame node of SITE's stack: the root for a site without one. */
static uint32_t flame_of_site(const struct folding *folding, const struct page_site *site)
{
    return site->stack == NO_STACK ? 0 : folding->flame_of[site->stack];
}

/* Adds FIGURES into INTO. */
static void add_figures(int64_t into[FIGURE_COUNT], const int64_t figures[FIGURE_COUNT])
{
    for (int m = 0; m < FIGURE_COUNT; m++)
        into[m] += figures[m]; /* sums of one process's counters: within the trace's own totals */
}

/* Marks the flame nodes whose sites, at or under them, reach the share of
 * the process's in one figure at least (a figure of 0 reaches nothing: the
 * viewer leaves such frames out).  One figure at a time, in one array of
 * sums written before it is read: the five figures of every node at once
 * were 48 MB on a compiler's trace, and faulting them in took longer than
 * the sums.  -1 when memory runs out. */
static int find_large(struct folding *folding)
{
    const struct flame_graph *flame = &folding->flame;
    const struct page_process *page = folding->page;
    int64_t *sums = page_array_realloc(NULL, flame->count * sizeof *sums);
    folding->large = page_array_realloc(NULL, flame->count * sizeof *folding->large);
    if (sums == NULL || folding->large == NULL) {
        free(sums);
        return -1;
    }
    memset(folding->large, 0, flame->count * sizeof *folding->large);
    for (int m = 0; m < FIGURE_COUNT; m++) {
        memset(sums, 0, flame->count * sizeof *sums);
        for (size_t i = 0; i < page->site_count; i++)
            sums[flame_of_site(folding, &page->sites[i])] += page->sites[i].figures[m]; /* within the trace's totals */
        for (size_t f = flame->count; f-- > 1;)
            sums[flame->parent[f]] += sums[f];
        double share = (double)sums[0] * PAGE_FOLD_SHARE;
        for (size_t f = 1; f < flame->count; f++)
            folding->large[f] |= sums[f] > 0 && (double)sums[f] >= share;
    }
    free(sums);
    return 0;
}

/* Decides which flame nodes are kept: those whose caller is and that reach
 * the share in one figure.  Callers come before their callees, so one
 * forward pass does it. */
static int keep_nodes(struct folding *folding)
{
    const struct flame_graph *flame = &folding->flame;
    folding->kept_of = page_array_realloc(NULL, flame->count * sizeof *folding->kept_of);
    if (folding->kept_of == NULL || (folding->kept_node = malloc(8 * sizeof *folding->kept_node)) == NULL)
        return -1;
    folding->kept_of[0] = folding->kept_node[0] = 0; /* the root */
    folding->kept_count = 1;
    for (size_t f = 1; f < flame->count; f++) {
        uint32_t caller = flame->parent[f], nearest = folding->kept_of[caller];
        if (folding->kept_node[nearest] != caller || !folding->large[f]) {
            folding->kept_of[f] = nearest;
            continue;
        }
        uint32_t *kept = make_room(folding->kept_node, folding->kept_count, sizeof *kept);
        if (kept == NULL)
            return -1;
        folding->kept_node = kept;
        kept[folding->kept_count] = (uint32_t)f;
        folding->kept_of[f] = (uint32_t)folding->kept_count++;
    }
    return 0;
}

/* Decides which flame nodes are kept, by the sums of the sites under them,
 * and sums each site where the page shows it: at its own node when kept,
 * else under its nearest kept caller. */
static int sum_and_fold(struct folding *folding, struct page_fold *fold)
{
    struct flame_graph *flame = &folding->flame;
    const struct page_process *page = folding->page;
    if (find_large(folding) != 0 || keep_nodes(folding) != 0)
        return -1;
    size_t kept = folding->kept_count;
    folding->folded_under = calloc(kept, sizeof *folding->folded_under);
    folding->ending = calloc(kept, sizeof *folding->ending);
    folding->under = calloc(kept, sizeof *folding->under);
    folding->ending_sites = calloc(kept, sizeof *folding->ending_sites);
    folding->under_sites = calloc(kept, sizeof *folding->under_sites);
    if (folding->folded_under == NULL || folding->ending == NULL || folding->under == NULL ||
        folding->ending_sites == NULL || folding->under_sites == NULL)
        return -1;
    for (size_t f = 1; f < flame->count; f++) {
        uint32_t caller = folding->kept_of[flame->parent[f]];
        if (folding->kept_node[folding->kept_of[f]] != f && folding->kept_node[caller] == flame->parent[f]) {
            folding->folded_under[caller]++;
            fold->folded_frames++;
        }
    }
    for (size_t i = 0; i < page->site_count; i++) {
        uint32_t node = flame_of_site(folding, &page->sites[i]), nearest = folding->kept_of[node];
        bool ends_there = folding->kept_node[nearest] == node;
        add_figures(ends_there ? folding->ending[nearest] : folding->under[nearest], page->sites[i].figures);
        (ends_there ? folding->ending_sites : folding->under_sites)[nearest]++;
    }
    return 0;
}

/* Appends a row for kept node K: the sites ending there, or (FOLDED) those
 * folded under it. */
static int add_row(struct page_fold *fold, const struct folding *folding, size_t k, bool folded)
{
    struct flame_row *rows = make_room(fold->rows, fold->row_count, sizeof *rows);
    if (rows == NULL)
        return -1;
    fold->rows = rows;
    struct flame_row *row = &rows[fold->row_count];
    *row = (struct flame_row){.stack = folding->flame.representative[folding->kept_node[k]],
                              .folded = folded ? folding->folded_under[k] : 0};
    memcpy(row->figures, folded ? folding->under[k] : folding->ending[k], sizeof row->figures);
    fold->row_count++;
    return 0;
}

/* The sites, the figure they are ordered by, and the largest found so far:
 * a heap whose first is the one that comes last. */
struct site_order {
    const struct page_site *sites;
    int figure;
    size_t *heap;
    size_t held;
};

/* Whether site LEFT comes before site RIGHT: the larger figure first, then
 * the lower index. */
static bool comes_before(const struct site_order *order, size_t left, size_t right)
{
    int64_t a = order->sites[left].figures[order->figure], b = order->sites[right].figures[order->figure];
    return a != b ? a > b : left < right;
}

/* Moves the heap's entry at AT down to where it keeps the heap in order. */
static void sift_down(struct site_order *order, size_t at)
{
    for (;;) {
        size_t last = at, left = 2 * at + 1, right = left + 1;
        if (left < order->held && comes_before(order, order->heap[last], order->heap[left]))
            last = left;
        if (right < order->held && comes_before(order, order->heap[last], order->heap[right]))
            last = right;
        if (last == at)
            return;
        size_t moved = order->heap[at];
        order->heap[at] = order->heap[last];
        order->heap[last] = moved;
        at = last;
    }
}

/* Offers SITE to the heap of the PAGE_SITES_PER_FIGURE first sites. */
static void offer_site(struct site_order *order, size_t site)
{
    if (order->held == PAGE_SITES_PER_FIGURE) {
        if (comes_before(order, order->heap[0], site))
            return;
        order->heap[0] = site;
        sift_down(order, 0);
        return;
    }
    size_t at = order->held++;
    for (; at > 0 && comes_before(order, order->heap[(at - 1) / 2], site); at = (at - 1) / 2)
        order->heap[at] = order->heap[(at - 1) / 2];
    order->heap[at] = site;
}

/* Marks the PAGE_SITES_PER_FIGURE sites largest by each figure as kept (of
 * those whose figure is not 0), found in one pass by figure, without
 * sorting every site. */
static int keep_largest_sites(struct page_fold *fold, const struct page_process *page)
{
    size_t count = page->site_count;
    fold->site_kept = calloc(count ? count : 1, sizeof *fold->site_kept);
    struct site_order order = {page->sites, 0, malloc(PAGE_SITES_PER_FIGURE * sizeof *order.heap), 0};
    if (fold->site_kept == NULL || order.heap == NULL) {
        free(order.heap);
        return -1;
    }
    for (order.figure = 0; order.figure < FIGURE_COUNT; order.figure++) {
        order.held = 0;
        for (size_t i = 0; i < count; i++)
            if (page->sites[i].figures[order.figure] > 0)
                offer_site(&order, i);
        for (size_t i = 0; i < order.held; i++)
            if (!fold->site_kept[order.heap[i]]) {
                fold->site_kept[order.heap[i]] = true;
                fold->sites_kept++;
            }
    }
    free(order.heap);
    return 0;
}

/* Frees what folding one process used. */
static void folding_free(struct folding *folding)
{
    tree_children_free(&folding->flame.by_name);
    free(folding->flame.parent);
    free(folding->flame.representative);
    free(folding->large);
    free(folding->frame_name);
    free(folding->flame_of);
    free(folding->kept_of);
    free(folding->kept_node);
    free(folding->folded_under);
    free(folding->ending);
    free(folding->under);
    free(folding->ending_sites);
    free(folding->under_sites);
}

int page_fold_process(struct page_fold *fold, const struct page_process *page)
{
    *fold = (struct page_fold){0};
    struct folding folding = {.page = page};
    tree_children_init(&folding.flame.by_name);
    int result = keep_largest_sites(fold, page) != 0 || name_frames(&folding) != 0 || merge_callees(&folding) != 0 ||
                 sum_and_fold(&folding, fold) != 0 ? -1 : 0;
    for (size_t k = 0; k < folding.kept_count && result == 0; k++) {
        if (folding.ending_sites[k] > 0)
            result = add_row(fold, &folding, k, false);
        if (folding.under_sites[k] > 0 && result == 0)
            result = add_row(fold, &folding, k, true);
    }
    folding_free(&folding);
    return result;
}

void page_fold_free(struct page_fold *fold)
{
    free(fold->rows);
    free(fold->site_kept);
    *fold = (struct page_fold){0};
}
