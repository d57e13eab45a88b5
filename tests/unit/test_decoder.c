/*
 * test_decoder.c - mt_decode_batch (cli/collect/decoder.c), the collector's
 * only parser of bytes from a traced process: every record type of
 * common/protocol.h reaches the callback intact, and every malformed batch
 * is refused with its reason, after the records before the bad one, without
 * reading a byte past the batch.  Each batch is decoded from a copy that ends
 * right at an inaccessible page, so an overread crashes the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collect/decoder.h"
#include "record_encoder.h"

#define MAX_SEEN 8192

/* What the callback saw. */
struct seen {
    size_t count;
    size_t stop_after; /* 0: never stop */
    uint32_t tid;
    const struct mt_record_header *records[MAX_SEEN];
};

static int remember(void *ctx, uint32_t tid, const struct mt_record_header *rec)
{
    struct seen *s = ctx;
    s->tid = tid;
    if (s->count < MAX_SEEN)
        s->records[s->count] = rec;
    s->count++;
    return s->stop_after && s->count == s->stop_after;
}

/* MT_BATCH_MAX readable bytes followed by an inaccessible page: batches are
 * decoded from a copy placed at its end (see guarded_copy). */
static unsigned char *guarded_area;

static size_t guarded_area_size(void)
{
    return MT_BATCH_MAX + (size_t)sysconf(_SC_PAGESIZE);
}

static int map_guarded_area(void **state)
{
    void *m = mmap(NULL, guarded_area_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect((char *)m + MT_BATCH_MAX, guarded_area_size() - MT_BATCH_MAX, PROT_NONE))
        return -1;
    guarded_area = m;
    return 0;
}

static int unmap_guarded_area(void **state)
{
    return munmap(guarded_area, guarded_area_size());
}

/* Copies a batch so that it ends at the inaccessible page; a length that is
 * not a multiple of 8 keeps the start aligned, as a receive buffer is, and so
 * ends up to 7 bytes before it. */
static const unsigned char *guarded_copy(const void *bytes, size_t len)
{
    unsigned char *copy = guarded_area + MT_BATCH_MAX - MT_ALIGN8(len);
    memcpy(copy, bytes, len);
    return copy;
}

/* Decodes the first `len` bytes of a batch from a guarded copy into *s; the
 * records in *s point into the copy, valid until the next decode. */
static int decode_bytes(const void *bytes, size_t len, struct seen *s, const char **why)
{
    *why = NULL;
    return mt_decode_batch(guarded_copy(bytes, len), len, remember, s, why);
}

static int decode(const struct batch_encoder *e, struct seen *s, const char **why)
{
    return decode_bytes(e->bytes, e->len, s, why);
}

/* Asserts the batch is refused for `reason` after delivering `delivered` records. */
static void assert_refused(const struct batch_encoder *e, size_t delivered, const char *reason)
{
    static struct seen s;
    const char *why;
    memset(&s, 0, sizeof s);
    assert_int_equal(decode(e, &s, &why), -1);
    assert_non_null(why);
    assert_string_equal(why, reason);
    assert_int_equal(s.count, delivered);
}

/* Overwrites a record's tail (everything after its fixed part) with `byte`. */
static void fill_tail(struct mt_record_header *h, size_t fixed, int byte)
{
    memset((char *)h + fixed, byte, h->size - fixed);
}

static void test_every_record_type_reaches_the_callback(void **state)
{
    static struct batch_encoder e;
    static struct seen s;
    encoder_start(&e, 4242);
    const char *argv[] = {"./prog", "a b", NULL};
    encode_hello(&e, 100, 1, argv, "/abs/prog")->token = 77;
    const unsigned char build_id[20] = {0xde, 0xad, 0xbe, 0xef};
    encode_module(&e, 0x400000, 0x401000, 0x402000, build_id, sizeof build_id, "/abs/prog");
    encode_fixed(&e, struct mt_rec_module_gone, .h.type = MT_REC_MODULE_GONE, .base = 0x7f00);
    const uint64_t frames[] = {0x401234, 0x401100, 0x400f00};
    encode_stack(&e, 5, frames, 3);
    encode_alloc(&e, 11, 0x10000, 48, 1000, 5);
    encode_free(&e, 11, 2000, 1);
    encode_fixed(&e, struct mt_rec_error, .h = {.type = MT_REC_ERROR, .extra = MT_ERR_DOUBLE_FREE},
                 .address = 0x10000, .size = 48, .offset = 0, .stack = 5, .block = 11);
    encode_fixed(&e, struct mt_rec_verdict, .h = {.type = MT_REC_VERDICT, .extra = MT_LEAK_DEFINITE}, .block = 12);
    encode_fixed(&e, struct mt_rec_exit, .h = {.type = MT_REC_EXIT, .extra = 1}, .status = 3, .allocations = 2);
    encode_mark(&e, 3000, "phase two");
    encode_fixed(&e, struct mt_rec_segment, .h.type = MT_REC_SEGMENT, .index = 1, .slots = MT_SLOTS_PER_SEGMENT,
                 .slot_size = MT_SLOT_SIZE);
    encode_fixed(&e, struct mt_rec_alloc, .h = {.type = MT_REC_INHERIT, .extra = MT_FN_CALLOC}, .block = 13);

    const char *why;
    assert_int_equal(decode(&e, &s, &why), 0);
    assert_null(why);
    assert_int_equal(s.tid, 4242);
    const unsigned expected[] = {MT_REC_HELLO, MT_REC_MODULE, MT_REC_MODULE_GONE, MT_REC_STACK,
                                 MT_REC_ALLOC, MT_REC_FREE, MT_REC_ERROR, MT_REC_VERDICT,
                                 MT_REC_EXIT, MT_REC_MARK, MT_REC_SEGMENT, MT_REC_INHERIT};
    assert_int_equal(s.count, sizeof expected / sizeof *expected);
    for (size_t i = 0; i < s.count; i++)
        assert_int_equal(s.records[i]->type, expected[i]);

    const struct mt_rec_hello *hello = (const void *)s.records[0];
    assert_int_equal(hello->pid, 100);
    assert_int_equal(hello->token, 77);
    const char *strings = mt_record_tail(&hello->h, sizeof *hello);
    assert_string_equal(strings, "./prog");
    assert_string_equal(strings + 7, "a b");
    assert_string_equal(strings + 11, "/abs/prog");

    const struct mt_rec_module *module = (const void *)s.records[1];
    assert_int_equal(module->h.extra, 20);
    assert_memory_equal(mt_record_tail(&module->h, sizeof *module), build_id, 20);
    assert_string_equal(mt_record_tail(&module->h, sizeof *module) + 20, "/abs/prog");

    const struct mt_rec_stack *stack = (const void *)s.records[3];
    assert_int_equal(stack->id, 5);
    assert_memory_equal(stack + 1, frames, sizeof frames);

    const struct mt_rec_alloc *alloc = (const void *)s.records[4];
    assert_int_equal(alloc->block, 11);
    assert_int_equal(alloc->size, 48);
    assert_int_equal(alloc->stack, 5);
    assert_int_equal(((const struct mt_rec_free *)s.records[5])->temporary, 1);
    assert_int_equal(((const struct mt_rec_exit *)s.records[8])->status, 3);
    assert_string_equal(mt_record_tail(s.records[9], sizeof(struct mt_rec_mark)), "phase two");
    assert_int_equal(((const struct mt_rec_alloc *)s.records[11])->block, 13);
}

static void test_an_empty_batch_has_no_records(void **state)
{
    static struct batch_encoder e;
    static struct seen s;
    encoder_start(&e, 1);
    const char *why;
    assert_int_equal(decode(&e, &s, &why), 0);
    assert_int_equal(s.count, 0);
}

static void test_a_full_batch_is_walked_to_its_last_byte(void **state)
{
    static struct batch_encoder e;
    static struct seen s;
    encoder_start(&e, 1);
    size_t n = 0;
    while (e.len + sizeof(struct mt_rec_alloc) <= MT_BATCH_MAX) {
        n++;
        encode_alloc(&e, n, 0x1000 * n, n, n, 1);
    }
    const char *why;
    assert_int_equal(decode(&e, &s, &why), 0);
    assert_int_equal(s.count, n);
    assert_int_equal(((const struct mt_rec_alloc *)s.records[n - 1])->block, n);
}

static void test_a_nonzero_callback_result_stops_the_walk(void **state)
{
    static struct batch_encoder e;
    static struct seen s = {.stop_after = 2};
    encoder_start(&e, 1);
    for (uint64_t block = 1; block <= 5; block++)
        encode_alloc(&e, block, 0x1000 * block, 8, block, 1);
    const char *why;
    assert_int_equal(decode(&e, &s, &why), 0);
    assert_int_equal(s.count, 2);
}

static void test_a_batch_shorter_than_its_header_is_refused(void **state)
{
    static struct batch_encoder e;
    static struct seen s;
    encoder_start(&e, 1);
    const char *why;
    for (size_t len = 0; len < sizeof(struct mt_batch_header); len++) {
        assert_int_equal(decode_bytes(e.bytes, len, &s, &why), -1);
        assert_string_equal(why, "batch shorter than its header");
    }
    assert_int_equal(s.count, 0);
}

static void test_a_wrong_magic_number_is_refused(void **state)
{
    static struct batch_encoder e;
    encoder_start(&e, 1);
    encode_alloc(&e, 1, 0x1000, 8, 1, 1);
    e.bytes[0] ^= 0x20;
    assert_refused(&e, 0, "batch with a wrong magic number");
}

static void test_a_record_header_cut_short_is_refused(void **state)
{
    static struct batch_encoder e;
    static struct seen s;
    encoder_start(&e, 1);
    encode_alloc(&e, 1, 0x1000, 8, 1, 1);
    encode_alloc(&e, 2, 0x2000, 8, 1, 1);
    size_t first_end = sizeof(struct mt_batch_header) + sizeof(struct mt_rec_alloc);
    for (size_t cut = 1; cut < sizeof(struct mt_record_header); cut++) {
        const char *why;
        memset(&s, 0, sizeof s);
        assert_int_equal(decode_bytes(e.bytes, first_end + cut, &s, &why), -1);
        assert_string_equal(why, "record header cut short");
        assert_int_equal(s.count, 1);
    }
}

static void test_unknown_record_types_are_refused(void **state)
{
    static struct batch_encoder e;
    const unsigned unknown[] = {0, MT_REC_TYPE_END, MT_REC_TYPE_END + 1, 0xffff};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        encoder_start(&e, 1);
        encode_alloc(&e, 1, 0x1000, 8, 1, 1);
        encode_alloc(&e, 2, 0x2000, 8, 1, 1)->h.type = (uint16_t)unknown[i];
        assert_refused(&e, 1, "record of an unknown type");
    }
}

static void test_a_size_that_is_not_a_multiple_of_8_is_refused(void **state)
{
    static struct batch_encoder e;
    const struct mt_rec_alloc alloc = {.h.type = MT_REC_ALLOC, .block = 1};
    for (unsigned odd = 1; odd < 8; odd++) {
        /* room for the fixed part and more, within the batch: only the multiple is wrong */
        encoder_start(&e, 1);
        encoder_append(&e, &alloc, sizeof alloc, NULL, 8)->size = (uint16_t)(sizeof alloc + odd);
        assert_refused(&e, 0, "record size out of bounds");
    }
}

static void test_a_size_smaller_than_the_fixed_part_is_refused(void **state)
{
    static struct batch_encoder e;
    const uint16_t sizes[] = {0, 8, sizeof(struct mt_rec_alloc) - 8};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        encoder_start(&e, 1);
        encode_alloc(&e, 1, 0x1000, 8, 1, 1)->h.size = sizes[i];
        assert_refused(&e, 0, "record size out of bounds");
    }
}

static void test_a_size_beyond_the_batch_is_refused(void **state)
{
    static struct batch_encoder e;
    static struct seen s;
    encoder_start(&e, 1);
    encode_free(&e, 1, 1, 0);
    encode_alloc(&e, 2, 0x2000, 8, 1, 1)->h.size += 8;
    assert_refused(&e, 1, "record size out of bounds");

    /* the same record whole, in a batch cut inside it */
    encoder_start(&e, 1);
    encode_alloc(&e, 2, 0x2000, 8, 1, 1);
    const char *why;
    memset(&s, 0, sizeof s);
    assert_int_equal(decode_bytes(e.bytes, e.len - 8, &s, &why), -1);
    assert_string_equal(why, "record size out of bounds");
    assert_int_equal(s.count, 0);
}

static void test_a_stack_whose_frame_count_does_not_match_is_refused(void **state)
{
    static struct batch_encoder e;
    static uint64_t frames[MT_MAX_DEPTH + 1];
    const char *reason = "stack record with a frame count that does not match its size";
    const uint32_t claimed[] = {0, 1, 3, 4, 100};
    for (size_t i = 0; i < sizeof claimed / sizeof *claimed; i++) {
        encoder_start(&e, 1);
        encode_stack(&e, 1, frames, 2)->h.extra = claimed[i];
        assert_refused(&e, 0, reason);
    }
    /* size and count agree, but the count is beyond the protocol's depth */
    encoder_start(&e, 1);
    encode_stack(&e, 1, frames, MT_MAX_DEPTH + 1);
    assert_refused(&e, 0, reason);
    encoder_start(&e, 1);
    encode_stack(&e, 1, frames, MT_MAX_DEPTH);
    encode_stack(&e, 2, frames, 0);
    static struct seen s;
    const char *why;
    assert_int_equal(decode(&e, &s, &why), 0);
    assert_int_equal(s.count, 2);
}

static void test_a_hello_with_unterminated_strings_is_refused(void **state)
{
    static struct batch_encoder e;
    const char *reason = "hello record with unterminated strings";
    const char *argv[] = {"./prog", "x", NULL};

    encoder_start(&e, 1);
    fill_tail(&encode_hello(&e, 1, 0, argv, "/abs/prog")->h, sizeof(struct mt_rec_hello), 'z');
    assert_refused(&e, 0, reason);

    /* one string fewer than argc + 1, with no padding that could pass for an empty string */
    encoder_start(&e, 1);
    struct mt_rec_hello *hello = encode_hello(&e, 1, 0, argv, "/a/bcd");
    assert_int_equal((hello->h.size - sizeof *hello), strlen("./prog x /a/bcd") + 1);
    hello->argc = 3;
    assert_refused(&e, 0, reason);

    /* no tail at all */
    encoder_start(&e, 1);
    encode_fixed(&e, struct mt_rec_hello, .h.type = MT_REC_HELLO, .h.extra = MT_PROTOCOL_VERSION, .argc = 0);
    assert_refused(&e, 0, reason);
}

/* A libtrack of another protocol version is refused before anything is read. */
static void test_a_hello_of_another_protocol_version_is_refused(void **state)
{
    static struct batch_encoder e;
    const char *argv[] = {"./prog", NULL};
    encoder_start(&e, 1);
    encode_hello(&e, 1, 0, argv, "/abs/prog")->h.extra = MT_PROTOCOL_VERSION + 1;
    assert_refused(&e, 0, "hello from a libtrack speaking another protocol version");
}

/* An empty argument (`prog ""`) or an unknown executable ("") is still a string. */
static void test_a_hello_with_empty_strings_is_accepted(void **state)
{
    static struct batch_encoder e;
    static struct seen s;
    const char *argv[] = {"/bin/sh", "-c", "", "x", NULL};
    encoder_start(&e, 1);
    encode_hello(&e, 1, 0, argv, "");
    const char *why;
    assert_int_equal(decode(&e, &s, &why), 0);
    assert_null(why);
    assert_int_equal(s.count, 1);
}

static void test_a_module_without_a_terminated_path_is_refused(void **state)
{
    static struct batch_encoder e;
    const char *reason = "module record without a terminated path";
    const unsigned char build_id[32] = {1, 2, 3};

    encoder_start(&e, 1);
    fill_tail(&encode_module(&e, 0, 0x1000, 0x2000, build_id, 20, "/lib/x.so")->h, sizeof(struct mt_rec_module),
              'z');
    assert_refused(&e, 0, reason);

    /* a build id that claims the whole tail, path and all */
    encoder_start(&e, 1);
    struct mt_rec_module *m = encode_module(&e, 0, 0x1000, 0x2000, build_id, 4, "/x");
    m->h.extra = m->h.size - sizeof *m;
    assert_refused(&e, 0, reason);

    /* no tail at all */
    encoder_start(&e, 1);
    encode_fixed(&e, struct mt_rec_module, .h.type = MT_REC_MODULE);
    assert_refused(&e, 0, reason);
}

static void test_a_module_build_id_longer_than_32_bytes_is_refused(void **state)
{
    static struct batch_encoder e;
    static struct seen s;
    const unsigned char build_id[40] = {0};
    encoder_start(&e, 1);
    encode_module(&e, 0, 0x1000, 0x2000, build_id, 33, "/lib/x.so");
    assert_refused(&e, 0, "module record without a terminated path");

    encoder_start(&e, 1);
    encode_module(&e, 0, 0x1000, 0x2000, build_id, 32, "/lib/x.so");
    const char *why;
    assert_int_equal(decode(&e, &s, &why), 0);
    assert_int_equal(s.count, 1);
}

static void test_a_mark_without_a_terminated_label_is_refused(void **state)
{
    static struct batch_encoder e;
    const char *reason = "mark record without a terminated label";

    encoder_start(&e, 1);
    encode_free(&e, 1, 1, 0);
    fill_tail(&encode_mark(&e, 5, "a label")->h, sizeof(struct mt_rec_mark), 'z');
    assert_refused(&e, 1, reason);

    encoder_start(&e, 1);
    encode_fixed(&e, struct mt_rec_mark, .h.type = MT_REC_MARK, .time_ns = 5);
    assert_refused(&e, 0, reason);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_record_type_reaches_the_callback),
        cmocka_unit_test(test_an_empty_batch_has_no_records),
        cmocka_unit_test(test_a_full_batch_is_walked_to_its_last_byte),
        cmocka_unit_test(test_a_nonzero_callback_result_stops_the_walk),
        cmocka_unit_test(test_a_batch_shorter_than_its_header_is_refused),
        cmocka_unit_test(test_a_wrong_magic_number_is_refused),
        cmocka_unit_test(test_a_record_header_cut_short_is_refused),
        cmocka_unit_test(test_unknown_record_types_are_refused),
        cmocka_unit_test(test_a_size_that_is_not_a_multiple_of_8_is_refused),
        cmocka_unit_test(test_a_size_smaller_than_the_fixed_part_is_refused),
        cmocka_unit_test(test_a_size_beyond_the_batch_is_refused),
        cmocka_unit_test(test_a_stack_whose_frame_count_does_not_match_is_refused),
        cmocka_unit_test(test_a_hello_with_unterminated_strings_is_refused),
        cmocka_unit_test(test_a_hello_with_empty_strings_is_accepted),
        cmocka_unit_test(test_a_hello_of_another_protocol_version_is_refused),
        cmocka_unit_test(test_a_module_without_a_terminated_path_is_refused),
        cmocka_unit_test(test_a_module_build_id_longer_than_32_bytes_is_refused),
        cmocka_unit_test(test_a_mark_without_a_terminated_label_is_refused),
    };
    return cmocka_run_group_tests(tests, map_guarded_area, unmap_guarded_area);
}
