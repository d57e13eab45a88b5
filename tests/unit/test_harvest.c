/*
 * test_harvest.c - a process's shared-memory slots (cli/collect/harvest.c),
 * on their own: no process is involved, the records found go to the test's
 * function.  A batch committed in a slot and never sent is handed over once;
 * one that arrived over the socket is not; peeking keeps the segments; a
 * segment without its seals is refused with a note for the trace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collect/harvest.h"
#include "record_encoder.h"

#define SEGMENT_BYTES ((size_t)MT_SLOTS_PER_SEGMENT * MT_SLOT_SIZE)

static const struct mt_rec_segment announcement = {.h.type = MT_REC_SEGMENT, .index = 0,
                                                    .slots = MT_SLOTS_PER_SEGMENT, .slot_size = MT_SLOT_SIZE};

/* A segment, sealed or not, whose slot 3 holds a committed batch of
 * sequence number 5 with two records; its descriptor. */
static int segment_with_a_batch(int sealed)
{
    int fd = memfd_create("memtrack-test-harvest", MFD_ALLOW_SEALING);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)SEGMENT_BYTES), 0);
    if (sealed)
        assert_int_equal(fcntl(fd, F_ADD_SEALS, MT_SEGMENT_SEALS), 0);
    unsigned char *m = mmap(NULL, SEGMENT_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(m != MAP_FAILED);
    static struct batch_encoder e;
    encoder_start(&e, 77);
    encode_alloc(&e, 1, 0x1000, 16, 10, 0);
    encode_free(&e, 1, 20, 1);
    struct mt_batch_header bh;
    memcpy(&bh, e.bytes, sizeof bh);
    bh.slot = 3;
    bh.seq = 5;
    memcpy(e.bytes, &bh, sizeof bh);
    struct mt_slot_header sh = {.used = (uint32_t)e.len, .seq = 5};
    unsigned char *slot = m + 3 * MT_SLOT_SIZE;
    memcpy(slot, &sh, sizeof sh);
    memcpy(slot + sizeof sh, e.bytes, e.len);
    munmap(m, SEGMENT_BYTES);
    return fd;
}

/* H, keeping a sealed segment_with_a_batch. */
static void harvest_with_a_batch(struct harvest *h)
{
    harvest_init(h);
    assert_null(harvest_add_segment(h, &announcement, segment_with_a_batch(1)));
}

static int count_record(void *ctx, uint32_t tid, const struct mt_record_header *rec)
{
    assert_int_equal(tid, 77);
    ++*(int *)ctx;
    return 0;
}

static void test_an_unsent_batch_is_handed_over_once(void **state)
{
    (void)state;
    struct harvest h;
    harvest_with_a_batch(&h);
    int records = 0;
    harvest_peek(&h, count_record, &records);
    harvest_peek(&h, count_record, &records);
    assert_int_equal(records, 4); /* peeking keeps the segments */
    records = 0;
    harvest_take(&h, count_record, &records);
    assert_int_equal(records, 2);
    assert_int_equal(h.n_segments, 0);
    harvest_take(&h, count_record, &records);
    assert_int_equal(records, 2);
    harvest_free(&h);
}

static void test_a_batch_that_arrived_is_not_read_again(void **state)
{
    (void)state;
    struct harvest h;
    harvest_with_a_batch(&h);
    harvest_note_batch(&h, 3, 5);
    int records = 0;
    harvest_take(&h, count_record, &records);
    assert_int_equal(records, 0);
    harvest_free(&h);
}

static void test_an_unsealed_segment_is_refused_with_a_note(void **state)
{
    (void)state;
    struct harvest h;
    harvest_init(&h);
    int fd = segment_with_a_batch(0);
    const char *note = harvest_add_segment(&h, &announcement, fd);
    assert_non_null(note);
    assert_non_null(strstr(note, "without its seals"));
    assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed */
    assert_int_equal(errno, EBADF);
    int records = 0;
    harvest_take(&h, count_record, &records);
    assert_int_equal(records, 0);
    harvest_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_unsent_batch_is_handed_over_once),
        cmocka_unit_test(test_a_batch_that_arrived_is_not_read_again),
        cmocka_unit_test(test_an_unsealed_segment_is_refused_with_a_note),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
