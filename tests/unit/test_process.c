/*
 * test_process.c - what the collector makes of a process's records
 * (cli/collect/process.c): per-site aggregates (allocations, bytes, temporary,
 * lifetimes, live bytes at the process's peak), process counters, the heap
 * timeline, live blocks and their verdicts, errors, exit, modules, stacks and
 * marks.  Records are built with the test encoder and reach process_apply
 * through the decoder, as in the collector.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "collect/decoder.h"
#include "collect/process.h"
#include "record_encoder.h"

#define US 1000ull
#define MS 1000000ull

static struct batch_encoder batch;

/* Each test gets a fresh process from a HELLO (in *state), freed after it
 * even when the test fails. */
static int make_process(void **state)
{
    static struct batch_encoder hello_batch;
    encoder_start(&hello_batch, 100);
    const char *argv[] = {"./prog", "", "a b", NULL};
    struct mt_rec_hello *hello = encode_hello(&hello_batch, 100, 1, argv, "/abs/prog");
    hello->token = 99;
    hello->start_ns = 5;
    hello->flags = MT_HELLO_FORKED;
    *state = process_new(hello);
    encoder_start(&batch, 100);
    return *state ? 0 : -1;
}

static int free_process(void **state)
{
    process_free(*state);
    return 0;
}

static int apply_record(void *ctx, uint32_t tid, const struct mt_record_header *rec)
{
    process_apply(ctx, rec);
    return 0;
}

/* Applies the batch built so far, then starts the next one. */
static void apply(struct mt_process *p)
{
    const char *why = NULL;
    assert_int_equal(mt_decode_batch(batch.bytes, batch.len, apply_record, p, &why), 0);
    encoder_start(&batch, 100);
}

/* Sites are keyed by stack id + 1, so that "no stack" (0) has a site too. */
static const struct mt_site *site_of(const struct mt_process *p, uint32_t stack)
{
    const struct mt_site *s = u64map_get(&p->sites, (uint64_t)stack + 1);
    assert_non_null(s);
    return s;
}

static void test_hello_gives_the_identity(void **state)
{
    struct mt_process *p = *state;
    assert_int_equal(p->pid, 100);
    assert_int_equal(p->parent_pid, 1);
    assert_int_equal(p->token, 99);
    assert_int_equal(p->start_ns, 5);
    assert_int_equal(p->hello_flags, MT_HELLO_FORKED);
    assert_int_equal(p->argc, 3);
    assert_string_equal(p->argv[0], "./prog");
    assert_string_equal(p->argv[1], "");
    assert_string_equal(p->argv[2], "a b");
    assert_null(p->argv[3]);
    assert_string_equal(p->executable, "/abs/prog");
}

static void test_allocations_and_frees_add_up_per_site(void **state)
{
    struct mt_process *p = *state;
    encode_alloc(&batch, 1, 0x1000, 10, 1 * US, 1);
    encode_alloc(&batch, 2, 0x2000, 20, 2 * US, 1)->h.extra = MT_FN_NEW_ARRAY;
    encode_alloc(&batch, 3, 0x3000, 30, 3 * US, 1);
    encode_alloc(&batch, 4, 0x4000, 100, 4 * US, 2);
    encode_alloc(&batch, 5, 0x5000, 1, 5 * US, 0); /* no stack */
    encode_free(&batch, 1, 6 * US, 1);
    encode_free(&batch, 3, 7 * US, 0);
    apply(p);

    const struct mt_site *one = site_of(p, 1), *two = site_of(p, 2), *none = site_of(p, 0);
    assert_int_equal(one->allocations, 3);
    assert_int_equal(one->bytes, 60);
    assert_int_equal(one->temporary, 1);
    assert_int_equal(one->live_bytes, 20);
    assert_int_equal(two->allocations, 1);
    assert_int_equal(two->bytes, 100);
    assert_int_equal(two->temporary, 0);
    assert_int_equal(two->live_bytes, 100);
    assert_int_equal(none->allocations, 1);
    assert_null(u64map_get(&p->sites, 3 + 1));

    assert_int_equal(p->allocations, 5);
    assert_int_equal(p->frees, 2);
    assert_int_equal(p->allocated_bytes, 161);
    assert_int_equal(p->current_bytes, 121);
    assert_int_equal(p->peak_bytes, 161);
    assert_int_equal(p->peak_ns, 5 * US);
    assert_int_equal(p->temporary, 1);

    assert_int_equal(p->blocks.count, 3);
    assert_null(live_blocks_get(&p->blocks, 1));
    const struct mt_live_block *b = live_blocks_get(&p->blocks, 2);
    assert_non_null(b);
    assert_int_equal(live_block_address(&p->blocks, 2, b), 0x2000);
    assert_int_equal(live_block_size(&p->blocks, 2, b), 20);
    assert_int_equal(b->time_ns, 2 * US);
    assert_int_equal(b->stack, 1);
    assert_int_equal(b->function, MT_FN_NEW_ARRAY);
    assert_int_equal(b->kind, MT_LEAK_UNCLASSIFIED);
}

/* Buckets: <1us, <10us, ..., <10s, >=10s; a free stamped before its
 * allocation (clocks of two threads) counts as the shortest. */
static void test_lifetimes_fall_in_decade_buckets(void **state)
{
    struct mt_process *p = *state;
    const uint64_t start = 20000 * MS;
    const struct {
        uint64_t lifetime_ns;
        int free_before_alloc;
        unsigned bucket;
    } cases[] = {
        {0, 0, 0}, {999, 0, 0}, {1000, 0, 1}, {9999, 0, 1}, {10000, 0, 2}, {999999, 0, 3}, {1000000, 0, 4},
        {10 * MS, 0, 5}, {100 * MS, 0, 6}, {999 * MS, 0, 6}, {1000 * MS, 0, 7}, {9999 * MS, 0, 7},
        {10000 * MS, 0, 8}, {3600000 * MS, 0, 8}, {5000, 1, 0},
    };
    uint64_t expected[MT_LIFETIME_BUCKETS] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        encode_alloc(&batch, i + 1, 0x1000 * (i + 1), 8, start, 7);
        uint64_t end = cases[i].free_before_alloc ? start - cases[i].lifetime_ns : start + cases[i].lifetime_ns;
        encode_free(&batch, i + 1, end, 0);
        expected[cases[i].bucket]++;
    }
    apply(p);
    assert_memory_equal(site_of(p, 7)->lifetimes, expected, sizeof expected);
}

/* The live bytes of site `stack` at the process's latest peak, once the site
 * has been touched since that peak (the only time the figure is final in
 * the collector; the trace writer settles the others). */
static uint64_t settled_at_peak(const struct mt_process *p, uint32_t stack)
{
    const struct mt_site *s = site_of(p, stack);
    assert_int_equal(s->seen_peak_seq, p->peak_seq);
    return s->at_peak;
}

/* Site A has its own highest point before the process's peak, which site B
 * makes: at the peak A held nothing and B everything it ever held. */
static void test_live_bytes_at_the_peak_belong_to_the_global_peak(void **state)
{
    struct mt_process *p = *state;
    enum { A = 1, B = 2 };
    encode_alloc(&batch, 1, 0x1000, 100, 1 * MS, A); /* heap 100: a peak, A's highest */
    encode_free(&batch, 1, 2 * MS, 0);                /* heap 0 */
    encode_alloc(&batch, 2, 0x2000, 150, 3 * MS, B); /* heap 150: the peak; A 0, B 150 */
    encode_free(&batch, 2, 4 * MS, 0);                /* heap 0 */
    encode_alloc(&batch, 3, 0x3000, 50, 5 * MS, A);  /* heap 50 */
    apply(p);
    assert_int_equal(p->peak_bytes, 150);
    assert_int_equal(p->peak_ns, 3 * MS);
    assert_int_equal(settled_at_peak(p, A), 0);
    assert_int_equal(site_of(p, A)->live_bytes, 50);

    encode_alloc(&batch, 4, 0x4000, 1, 6 * MS, B); /* touches B after the peak */
    apply(p);
    assert_int_equal(settled_at_peak(p, B), 150);
}

/* A new, higher peak replaces the old one for every site, including one
 * that grew across both. */
static void test_a_higher_peak_replaces_the_earlier_one(void **state)
{
    struct mt_process *p = *state;
    enum { A = 1, B = 2 };
    encode_alloc(&batch, 1, 0x1000, 100, 1 * MS, A);
    encode_alloc(&batch, 2, 0x2000, 40, 2 * MS, B); /* peak 140: A 100, B 40 */
    encode_free(&batch, 1, 3 * MS, 0);
    encode_alloc(&batch, 3, 0x3000, 300, 4 * MS, A); /* peak 340: A 300, B 40 */
    encode_free(&batch, 2, 5 * MS, 0);
    encode_free(&batch, 3, 6 * MS, 0);
    apply(p);
    assert_int_equal(p->peak_bytes, 340);
    assert_int_equal(settled_at_peak(p, A), 300);
    assert_int_equal(settled_at_peak(p, B), 40);
    assert_int_equal(p->current_bytes, 0);
}

/* Asserts the process's timeline is EXPECTED, sample for sample. */
static void assert_timeline(const struct mt_process *p, const struct mt_sample *expected, size_t count)
{
    assert_int_equal(p->n_timeline, count);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(p->timeline[i].time_ns, expected[i].time_ns);
        assert_int_equal(p->timeline[i].heap_bytes, expected[i].heap_bytes);
        assert_int_equal(p->timeline[i].rss_bytes, expected[i].rss_bytes);
    }
}

/* Each sample is dated when its interval's highest heap was reached: the
 * page draws a peak at its time, never at its interval's start. */
static void test_the_timeline_keeps_the_highest_heap_of_each_interval(void **state)
{
    struct mt_process *p = *state;
    encode_alloc(&batch, 1, 0x1000, 100, 1 * MS, 1);  /* interval 0: 100 */
    encode_alloc(&batch, 2, 0x2000, 50, 3 * MS, 1);   /* 150, the highest of interval 0 */
    encode_free(&batch, 1, 9 * MS, 0);                /* 50 */
    encode_alloc(&batch, 3, 0x3000, 10, 12 * MS, 1);  /* interval 1: 60 */
    encode_free(&batch, 2, 35 * MS, 0);               /* interval 3 (none in 2): 10 */
    encode_free(&batch, 99, 47 * MS, 0);              /* unknown block: no sample */
    apply(p);
    const struct mt_sample expected[] = {{3 * MS, 150, 0}, {12 * MS, 60, 0}, {35 * MS, 10, 0}};
    assert_timeline(p, expected, 3);
}

/* Batches of different threads arrive in any order (protocol.h); the trace
 * still promises at most one sample per interval, in time order. */
static void test_the_timeline_has_one_sample_per_interval_whatever_the_batch_order(void **state)
{
    struct mt_process *p = *state;
    encode_alloc(&batch, 1, 0x1000, 100, 1 * MS, 1); /* thread 1's batch: intervals 0 and 2 */
    encode_alloc(&batch, 2, 0x2000, 100, 25 * MS, 1);
    apply(p);
    encode_alloc(&batch, 3, 0x3000, 100, 5 * MS, 1); /* thread 2's batch, sent later: interval 0 */
    apply(p);
    for (size_t i = 1; i < p->n_timeline; i++)
        assert_true(p->timeline[i - 1].time_ns / MT_TIMELINE_INTERVAL_NS <
                    p->timeline[i].time_ns / MT_TIMELINE_INTERVAL_NS);
}

/* Readings from outside the program (its RSS) go on the sample of their
 * interval, the highest kept, without changing its heap or its time; an
 * interval with no sample gets one with the collector's current heap. */
static void test_outside_readings_keep_the_highest_rss_of_their_interval(void **state)
{
    struct mt_process *p = *state;
    encode_alloc(&batch, 1, 0x1000, 100, 3 * MS, 1);
    apply(p);
    process_sample_from_outside(p, 5 * MS, 8000);
    process_sample_from_outside(p, 7 * MS, 6000);
    encode_alloc(&batch, 2, 0x2000, 50, 4 * MS, 1); /* a higher heap in the same interval */
    apply(p);
    process_sample_from_outside(p, 25 * MS, 7000); /* no sample in interval 2 */
    process_sample_from_outside(p, 26 * MS, 0);    /* no reading: nothing changes */
    encode_alloc(&batch, 3, 0x3000, 10, 15 * MS, 1); /* interval 1, arriving after interval 2's reading */
    apply(p);
    const struct mt_sample expected[] = {{4 * MS, 150, 8000}, {15 * MS, 160, 0}, {25 * MS, 150, 7000}};
    assert_timeline(p, expected, 3);
}

static void test_a_free_of_a_block_never_allocated_changes_nothing(void **state)
{
    struct mt_process *p = *state;
    encode_alloc(&batch, 1, 0x1000, 10, 1 * MS, 1);
    encode_free(&batch, 42, 2 * MS, 1);
    apply(p);
    assert_int_equal(p->frees, 0);
    assert_int_equal(p->temporary, 0);
    assert_int_equal(p->current_bytes, 10);
    assert_int_equal(p->blocks.count, 1);
    assert_int_equal(p->sites.count, 1);
    assert_int_equal(p->n_timeline, 1);
}

static void test_verdicts_set_the_leak_kind_of_live_blocks(void **state)
{
    struct mt_process *p = *state;
    for (uint64_t block = 1; block <= 5; block++)
        encode_alloc(&batch, block, 0x1000 * block, 8, block, 1);
    const unsigned kinds[] = {MT_LEAK_DEFINITE, MT_LEAK_INDIRECT, MT_LEAK_POSSIBLE, MT_LEAK_REACHABLE};
    for (uint64_t block = 1; block <= 4; block++)
        encode_fixed(&batch, struct mt_rec_verdict, .h = {.type = MT_REC_VERDICT, .extra = kinds[block - 1]},
                     .block = block, .heuristic = block == 4 ? MT_HEURISTIC_STDSTRING : MT_HEURISTIC_NONE);
    encode_fixed(&batch, struct mt_rec_verdict, .h = {.type = MT_REC_VERDICT, .extra = MT_LEAK_END}, .block = 5);
    encode_fixed(&batch, struct mt_rec_verdict, .h = {.type = MT_REC_VERDICT, .extra = MT_LEAK_DEFINITE},
                 .block = 77); /* not live: nothing to mark */
    apply(p);
    for (uint64_t block = 1; block <= 4; block++)
        assert_int_equal(((struct mt_live_block *)live_blocks_get(&p->blocks, block))->kind, kinds[block - 1]);
    assert_int_equal(((struct mt_live_block *)live_blocks_get(&p->blocks, 3))->heuristic, MT_HEURISTIC_NONE);
    assert_int_equal(((struct mt_live_block *)live_blocks_get(&p->blocks, 4))->heuristic, MT_HEURISTIC_STDSTRING);
    assert_int_equal(((struct mt_live_block *)live_blocks_get(&p->blocks, 5))->kind, MT_LEAK_UNCLASSIFIED);
    assert_int_equal(p->blocks.count, 5);
}

/* A verdict from the exiting thread's batch can come before the ALLOC of its
 * block from another thread's: it is kept, heuristic and all, until then. */
static void test_a_verdict_before_its_block_is_applied_when_the_block_comes(void **state)
{
    struct mt_process *p = *state;
    encode_fixed(&batch, struct mt_rec_verdict, .h = {.type = MT_REC_VERDICT, .extra = MT_LEAK_REACHABLE},
                 .block = 7, .heuristic = MT_HEURISTIC_MULTIPLE_INHERITANCE);
    apply(p);
    encode_alloc(&batch, 7, 0x7000, 40, 1 * MS, 1);
    apply(p);
    const struct mt_live_block *b = live_blocks_get(&p->blocks, 7);
    assert_non_null(b);
    assert_int_equal(b->kind, MT_LEAK_REACHABLE);
    assert_int_equal(b->heuristic, MT_HEURISTIC_MULTIPLE_INHERITANCE);
    assert_int_equal(p->early.count, 0);
}

static void test_errors_exit_and_marks_are_kept(void **state)
{
    struct mt_process *p = *state;
    encode_fixed(&batch, struct mt_rec_error, .h = {.type = MT_REC_ERROR, .extra = MT_ERR_DOUBLE_FREE},
                 .address = 0x5000, .size = 32, .offset = 0, .time_ns = 9, .stack = 3, .alloc_stack = 1,
                 .first_free_stack = 2, .alloc_function = MT_FN_CALLOC, .free_function = MT_FN_FREE, .block = 8);
    encode_fixed(&batch, struct mt_rec_error, .h = {.type = MT_REC_ERROR, .extra = MT_ERR_INVALID_FREE},
                 .address = 0x6000, .size = UINT64_MAX, .offset = UINT64_MAX, .stack = 4);
    encode_mark(&batch, 77, "phase two");
    encode_fixed(&batch, struct mt_rec_exit, .h = {.type = MT_REC_EXIT, .extra = 1}, .status = 3,
                 .allocations = 10, .frees = 7, .current_bytes = 30, .peak_bytes = 600, .peak_ns = 44);
    apply(p);
    assert_int_equal(p->n_errors, 2);
    assert_int_equal(p->errors[0].h.extra, MT_ERR_DOUBLE_FREE);
    assert_int_equal(p->errors[0].address, 0x5000);
    assert_int_equal(p->errors[0].first_free_stack, 2);
    assert_int_equal(p->errors[0].alloc_function, MT_FN_CALLOC);
    assert_int_equal(p->errors[0].block, 8);
    assert_int_equal(p->errors[1].h.extra, MT_ERR_INVALID_FREE);
    assert_int_equal(p->errors[1].size, UINT64_MAX);
    assert_int_equal(p->n_marks, 1);
    assert_int_equal(p->marks[0].time_ns, 77);
    assert_string_equal(p->marks[0].label, "phase two");
    assert_int_equal(p->exited, 1);
    assert_int_equal(p->exit.h.extra, 1);
    assert_int_equal(p->exit.status, 3);
    assert_int_equal(p->exit.allocations, 10);
    assert_int_equal(p->exit.peak_bytes, 600);
    assert_int_equal(p->exit.peak_ns, 44);
}

static void test_modules_are_kept_once_and_found_by_address(void **state)
{
    struct mt_process *p = *state;
    const unsigned char build_id[] = {0x01, 0xab, 0xff, 0x00};
    encode_module(&batch, 0, 0x400000, 0x500000, build_id, sizeof build_id, "/abs/prog");
    encode_module(&batch, 0x7f0000, 0x7f1000, 0x7f9000, NULL, 0, "/lib/libc.so.6");
    encode_module(&batch, 0, 0x400000, 0x500000, build_id, sizeof build_id, "/abs/prog"); /* sent again */
    encode_fixed(&batch, struct mt_rec_module_gone, .h.type = MT_REC_MODULE_GONE, .base = 0x7f0000);
    apply(p);
    assert_int_equal(p->n_modules, 2);
    assert_string_equal(p->modules[0].path, "/abs/prog");
    assert_string_equal(p->modules[0].build_id, "01abff00");
    assert_int_equal(p->modules[0].base, 0);
    assert_int_equal(p->modules[0].start, 0x400000);
    assert_int_equal(p->modules[0].end, 0x500000);
    assert_null(p->modules[1].build_id);

    assert_ptr_equal(process_module_of(p, 0x400000), &p->modules[0]);
    assert_ptr_equal(process_module_of(p, 0x4fffff), &p->modules[0]);
    assert_null(process_module_of(p, 0x500000));
    assert_ptr_equal(process_module_of(p, 0x7f1234), &p->modules[1]);
    assert_null(process_module_of(p, 0x10));
}

static void test_stacks_are_kept_by_id_first_definition_first(void **state)
{
    struct mt_process *p = *state;
    const uint64_t frames[] = {0x401234, 0x401100, 0x400f00};
    const uint64_t other[] = {0x999};
    encode_stack(&batch, 5, frames, 3)->truncated = 1;
    encode_stack(&batch, 6, NULL, 0);
    encode_stack(&batch, 5, other, 1); /* the same id again (another thread): already known */
    apply(p);
    assert_int_equal(p->stacks.count, 2);
    const struct mt_stack_def *s = u64map_get(&p->stacks, 5);
    assert_non_null(s);
    assert_int_equal(s->depth, 3);
    assert_int_equal(s->truncated, 1);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(process_frame_address(p, s, i), frames[i]);
    assert_int_equal(((struct mt_stack_def *)u64map_get(&p->stacks, 6))->depth, 0);
}

/* Stacks keep each distinct return address once, numbered in order of
 * arrival (what the storer offers for symbolizing ahead, in that order). */
static void test_stacks_share_their_return_addresses(void **state)
{
    struct mt_process *p = *state;
    const uint64_t first[] = {0x401234, 0x401100, 0x400f00};
    const uint64_t second[] = {0x401300, 0x401100, 0x400f00};
    encode_stack(&batch, 1, first, 3);
    encode_stack(&batch, 2, second, 3);
    apply(p);
    assert_int_equal(p->n_addresses, 4);
    assert_int_equal(p->n_frames, 6);
    const uint64_t numbered[] = {0x401234, 0x401100, 0x400f00, 0x401300};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(p->addresses[i], numbered[i]);
    const struct mt_stack_def *s = u64map_get(&p->stacks, 2);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(process_frame_address(p, s, i), second[i]);
}

/* A fork child that defined stacks of its own before its parent's reached
 * it (a raw fork's unsent batch) keeps them, and gets the others with their
 * frames whatever numbers its own addresses took. */
static void test_a_child_inherits_the_stacks_it_lacks(void **state)
{
    struct mt_process *parent = *state;
    const uint64_t shared[] = {0x1000, 0x2000}, parents_own[] = {0x3000, 0x2000}, childs[] = {0x4000, 0x1000};
    encode_stack(&batch, 1, shared, 2);
    encode_stack(&batch, 2, parents_own, 2);
    apply(parent);
    static struct batch_encoder hello_batch;
    encoder_start(&hello_batch, 101);
    const char *argv[] = {"child", NULL};
    struct mt_process *child = process_new(encode_hello(&hello_batch, 101, 1, argv, "/abs/prog"));
    assert_non_null(child);
    encode_stack(&batch, 2, childs, 2); /* the child's own stack 2 wins */
    apply(child);
    process_inherit_from(child, parent);
    assert_int_equal(child->stacks.count, 2);
    const struct mt_stack_def *one = u64map_get(&child->stacks, 1), *two = u64map_get(&child->stacks, 2);
    assert_int_equal(one->depth, 2);
    assert_int_equal(process_frame_address(child, one, 0), 0x1000);
    assert_int_equal(process_frame_address(child, one, 1), 0x2000);
    assert_int_equal(process_frame_address(child, two, 0), 0x4000);
    assert_int_equal(process_frame_address(child, two, 1), 0x1000);
    assert_int_equal(child->n_addresses, 3);
    process_free(child);
}

/* A fork child's copy of its parent's block: live, freeable, but not one of
 * the child's allocations. */
static void test_an_inherited_block_is_live_but_not_an_allocation(void **state)
{
    struct mt_process *p = *state;
    encode_fixed(&batch, struct mt_rec_alloc, .h = {.type = MT_REC_INHERIT, .extra = MT_FN_MALLOC}, .block = 9,
                 .address = 0x9000, .size = 64, .time_ns = 1, .stack = 3);
    apply(p);
    assert_int_equal(p->allocations, 0);
    assert_int_equal(p->allocated_bytes, 0);
    assert_int_equal(p->current_bytes, 64);
    assert_int_equal(site_of(p, 3)->allocations, 0);
    assert_int_equal(site_of(p, 3)->live_bytes, 64);
    assert_non_null(live_blocks_get(&p->blocks, 9));
    encode_free(&batch, 9, 2, 0);
    apply(p);
    assert_int_equal(p->current_bytes, 0);
    assert_int_equal(site_of(p, 3)->live_bytes, 0);
    assert_int_equal(p->blocks.count, 0);
}

#define PROCESS_TEST(test) cmocka_unit_test_setup_teardown(test, make_process, free_process)

int main(void)
{
    const struct CMUnitTest tests[] = {
        PROCESS_TEST(test_hello_gives_the_identity),
        PROCESS_TEST(test_allocations_and_frees_add_up_per_site),
        PROCESS_TEST(test_lifetimes_fall_in_decade_buckets),
        PROCESS_TEST(test_live_bytes_at_the_peak_belong_to_the_global_peak),
        PROCESS_TEST(test_a_higher_peak_replaces_the_earlier_one),
        PROCESS_TEST(test_the_timeline_keeps_the_highest_heap_of_each_interval),
        PROCESS_TEST(test_the_timeline_has_one_sample_per_interval_whatever_the_batch_order),
        PROCESS_TEST(test_outside_readings_keep_the_highest_rss_of_their_interval),
        PROCESS_TEST(test_a_free_of_a_block_never_allocated_changes_nothing),
        PROCESS_TEST(test_verdicts_set_the_leak_kind_of_live_blocks),
        PROCESS_TEST(test_a_verdict_before_its_block_is_applied_when_the_block_comes),
        PROCESS_TEST(test_errors_exit_and_marks_are_kept),
        PROCESS_TEST(test_modules_are_kept_once_and_found_by_address),
        PROCESS_TEST(test_stacks_are_kept_by_id_first_definition_first),
        PROCESS_TEST(test_an_inherited_block_is_live_but_not_an_allocation),
        PROCESS_TEST(test_stacks_share_their_return_addresses),
        PROCESS_TEST(test_a_child_inherits_the_stacks_it_lacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
