/*
 * record_encoder.h - builds batches in the wire format of common/protocol.h
 * the way libtrack lays them out, so tests of the collector (decoder, process
 * state, trace writer) and the decoder fuzzer's seed corpus can speak the
 * protocol without a traced program.  Every encode_* returns the record inside
 * the batch, so a test can spoil a field on purpose.
 *
 * A batch that would outgrow MT_BATCH_MAX is a mistake in the test: the
 * encoder says so on stderr and aborts.
 */
#ifndef MEMTRACK_TESTS_RECORD_ENCODER_H
#define MEMTRACK_TESTS_RECORD_ENCODER_H

#include <stddef.h>
#include <stdint.h>
#include "protocol.h"

struct batch_encoder {
    _Alignas(8) unsigned char bytes[MT_BATCH_MAX];
    size_t len;
};

/* Starts an empty batch (header only) from thread `tid`, made outside a slot. */
void encoder_start(struct batch_encoder *e, uint32_t tid);

/* Appends a record: `fixed_size` bytes copied from `fixed` (its header's type
 * and extra as the caller set them; size is filled in here), then `tail_size`
 * bytes from `tail` (zeros when tail is NULL), then zero padding to 8. */
struct mt_record_header *encoder_append(struct batch_encoder *e, const void *fixed, size_t fixed_size,
                                        const void *tail, size_t tail_size);

/* Appends a record that has no tail, given as designated initializers:
 * encode_fixed(&e, struct mt_rec_verdict, .h.type = MT_REC_VERDICT, .block = 7) */
#define encode_fixed(e, record_type, ...) \
    ((record_type *)encoder_append((e), &(record_type){__VA_ARGS__}, sizeof(record_type), NULL, 0))

/* HELLO of protocol version MT_PROTOCOL_VERSION: argv is NULL-terminated. */
struct mt_rec_hello *encode_hello(struct batch_encoder *e, uint32_t pid, uint32_t parent_pid,
                                  const char *const *argv, const char *executable);
struct mt_rec_module *encode_module(struct batch_encoder *e, uint64_t base, uint64_t start, uint64_t end,
                                    const void *build_id, uint32_t build_id_len, const char *path);
struct mt_rec_stack *encode_stack(struct batch_encoder *e, uint32_t id, const uint64_t *frames, uint32_t depth);
/* An ALLOC by malloc with no alignment; patch h.extra for another function. */
struct mt_rec_alloc *encode_alloc(struct batch_encoder *e, uint64_t block, uint64_t address, uint64_t size,
                                  uint64_t time_ns, uint32_t stack);
/* A FREE by free(). */
struct mt_rec_free *encode_free(struct batch_encoder *e, uint64_t block, uint64_t time_ns, int temporary);
struct mt_rec_mark *encode_mark(struct batch_encoder *e, uint64_t time_ns, const char *label);

#endif
