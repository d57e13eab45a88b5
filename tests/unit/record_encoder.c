/*
 * record_encoder.c - the test side's writer of protocol batches (see
 * record_encoder.h); mirrors what libtrack's transport and modules code emit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record_encoder.h"

void encoder_start(struct batch_encoder *e, uint32_t tid)
{
    struct mt_batch_header bh = {.magic = MT_BATCH_MAGIC, .tid = tid, .slot = MT_NO_SLOT, .seq = 0};
    memcpy(e->bytes, &bh, sizeof bh);
    e->len = sizeof bh;
}

/* Aborts on a batch or record too large for the protocol: a broken test. */
struct mt_record_header *encoder_append(struct batch_encoder *e, const void *fixed, size_t fixed_size,
                                        const void *tail, size_t tail_size)
{
    size_t size = MT_ALIGN8(fixed_size + tail_size);
    if (size > UINT16_MAX || e->len + size > sizeof e->bytes) {
        fprintf(stderr, "record_encoder: a %zu-byte record does not fit the batch (%zu bytes used)\n", size, e->len);
        abort();
    }
    unsigned char *at = e->bytes + e->len;
    memset(at, 0, size);
    memcpy(at, fixed, fixed_size);
    if (tail)
        memcpy(at + fixed_size, tail, tail_size);
    struct mt_record_header *h = (void *)at;
    h->size = (uint16_t)size;
    e->len += size;
    return h;
}

struct mt_rec_hello *encode_hello(struct batch_encoder *e, uint32_t pid, uint32_t parent_pid,
                                  const char *const *argv, const char *executable)
{
    uint32_t argc = 0;
    size_t tail_size = strlen(executable) + 1;
    for (; argv[argc]; argc++)
        tail_size += strlen(argv[argc]) + 1;
    struct mt_rec_hello fixed = {.h = {.type = MT_REC_HELLO, .extra = MT_PROTOCOL_VERSION},
                                 .pid = pid, .parent_pid = parent_pid, .argc = argc, .depth_limit = 64};
    struct mt_record_header *h = encoder_append(e, &fixed, sizeof fixed, NULL, tail_size);
    char *tail = (char *)h + sizeof fixed;
    for (uint32_t i = 0; i < argc; i++)
        tail = stpcpy(tail, argv[i]) + 1;
    strcpy(tail, executable);
    return (struct mt_rec_hello *)h;
}

struct mt_rec_module *encode_module(struct batch_encoder *e, uint64_t base, uint64_t start, uint64_t end,
                                    const void *build_id, uint32_t build_id_len, const char *path)
{
    struct mt_rec_module fixed = {.h = {.type = MT_REC_MODULE, .extra = build_id_len},
                                  .base = base, .start = start, .end = end};
    size_t path_size = strlen(path) + 1;
    struct mt_record_header *h = encoder_append(e, &fixed, sizeof fixed, NULL, build_id_len + path_size);
    char *tail = (char *)h + sizeof fixed;
    if (build_id_len)
        memcpy(tail, build_id, build_id_len);
    memcpy(tail + build_id_len, path, path_size);
    return (struct mt_rec_module *)h;
}

struct mt_rec_stack *encode_stack(struct batch_encoder *e, uint32_t id, const uint64_t *frames, uint32_t depth)
{
    struct mt_rec_stack fixed = {.h = {.type = MT_REC_STACK, .extra = depth}, .id = id};
    return (struct mt_rec_stack *)encoder_append(e, &fixed, sizeof fixed, frames, depth * sizeof *frames);
}

struct mt_rec_alloc *encode_alloc(struct batch_encoder *e, uint64_t block, uint64_t address, uint64_t size,
                                  uint64_t time_ns, uint32_t stack)
{
    return encode_fixed(e, struct mt_rec_alloc, .h = {.type = MT_REC_ALLOC, .extra = MT_FN_MALLOC},
                        .block = block, .address = address, .size = size, .time_ns = time_ns, .stack = stack);
}

struct mt_rec_free *encode_free(struct batch_encoder *e, uint64_t block, uint64_t time_ns, int temporary)
{
    return encode_fixed(e, struct mt_rec_free, .h = {.type = MT_REC_FREE, .extra = MT_FN_FREE},
                        .block = block, .time_ns = time_ns, .temporary = temporary != 0);
}

struct mt_rec_mark *encode_mark(struct batch_encoder *e, uint64_t time_ns, const char *label)
{
    size_t label_size = strlen(label) + 1;
    struct mt_rec_mark fixed = {.h = {.type = MT_REC_MARK, .extra = (uint32_t)(label_size - 1)},
                                .time_ns = time_ns};
    return (struct mt_rec_mark *)encoder_append(e, &fixed, sizeof fixed, label, label_size);
}
