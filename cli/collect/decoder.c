/*
 * decoder.c - the collector's only parser of bytes that came from a traced
 * process (which may be buggy, or not ours at all).
 */
#include <string.h>
#include "collect/decoder.h"
#include "untraceable.h"

/* Fixed part of each record type; 0 for an unknown type. */
static size_t fixed_size(unsigned type)
{
    switch (type) {
    case MT_REC_HELLO: return sizeof(struct mt_rec_hello);
    case MT_REC_MODULE: return sizeof(struct mt_rec_module);
    case MT_REC_MODULE_GONE: return sizeof(struct mt_rec_module_gone);
    case MT_REC_STACK: return sizeof(struct mt_rec_stack);
    case MT_REC_ALLOC: return sizeof(struct mt_rec_alloc);
    case MT_REC_INHERIT: return sizeof(struct mt_rec_alloc);
    case MT_REC_FREE: return sizeof(struct mt_rec_free);
    case MT_REC_ERROR: return sizeof(struct mt_rec_error);
    case MT_REC_VERDICT: return sizeof(struct mt_rec_verdict);
    case MT_REC_EXIT: return sizeof(struct mt_rec_exit);
    case MT_REC_MARK: return sizeof(struct mt_rec_mark);
    case MT_REC_SEGMENT: return sizeof(struct mt_rec_segment);
    case MT_REC_EXEC_FAILED: return sizeof(struct mt_record_header);
    default: return 0;
    }
}

/* True when [p, p+len) starts with `count` NUL-terminated strings (empty
 * ones included: an argument may be ""). */
static int has_strings(const char *p, size_t len, uint32_t count)
{
    size_t i = 0;
    for (uint32_t k = 0; k < count; k++) {
        const char *nul = i < len ? memchr(p + i, '\0', len - i) : NULL;
        if (!nul)
            return 0;
        i = (size_t)(nul - p) + 1;
    }
    return 1;
}

const char *mt_record_tail(const struct mt_record_header *rec, size_t fixed)
{
    return (const char *)rec + fixed;
}

/* Checks the variable part of a record; NULL when fine, else why not. */
static const char *check_tail(const struct mt_record_header *h, size_t fixed)
{
    const char *tail = (const char *)h + fixed;
    size_t len = h->size - fixed;
    switch (h->type) {
    case MT_REC_STACK:
        if (h->extra > MT_MAX_DEPTH || len != (size_t)h->extra * sizeof(uint64_t))
            return "stack record with a frame count that does not match its size";
        return NULL;
    case MT_REC_HELLO: {
        const struct mt_rec_hello *hello = (const void *)h;
        if (h->extra != MT_PROTOCOL_VERSION)
            return "hello from a libtrack speaking another protocol version";
        if (hello->argc > len || !has_strings(tail, len, hello->argc + 1))
            return "hello record with unterminated strings";
        if ((hello->flags & MT_HELLO_UNTRACEABLE) && mt_untraceable_reason(hello->untraceable) == NULL)
            return "hello announcing an untraceable program without a known reason";
        return NULL;
    }
    case MT_REC_MODULE:
        if (h->extra > 32 || len <= h->extra || !memchr(tail + h->extra, '\0', len - h->extra))
            return "module record without a terminated path";
        return NULL;
    case MT_REC_MARK:
        if (!len || !memchr(tail, '\0', len))
            return "mark record without a terminated label";
        return NULL;
    default:
        return NULL;
    }
}

/* Whether v fits the trace's signed 64-bit integers (sizes, counts, times). */
static int fits(uint64_t v)
{
    return v <= (uint64_t)INT64_MAX;
}

/* Whether v fits, or is the protocol's "none" (UINT64_MAX). */
static int fits_or_none(uint64_t v)
{
    return v == UINT64_MAX || fits(v);
}

const char *mt_record_out_of_range(const struct mt_record_header *h)
{
    switch (h->type) {
    case MT_REC_ALLOC:
    case MT_REC_INHERIT: {
        const struct mt_rec_alloc *r = (const void *)h;
        if (h->extra == MT_FN_NONE || h->extra >= MT_FN_FREE)
            return "an allocation by an unknown function";
        return fits(r->size) && fits(r->time_ns) ? NULL : "an allocation's size or time out of range";
    }
    case MT_REC_FREE:
        return fits(((const struct mt_rec_free *)h)->time_ns) ? NULL : "a release's time out of range";
    case MT_REC_ERROR: {
        const struct mt_rec_error *r = (const void *)h;
        if (h->extra != MT_ERR_DOUBLE_FREE && h->extra != MT_ERR_INVALID_FREE && h->extra != MT_ERR_MISMATCHED_FREE)
            return "an error of an unknown type";
        if (r->alloc_function >= MT_FN_END || r->free_function >= MT_FN_END)
            return "an error naming an unknown function";
        return fits_or_none(r->size) && fits_or_none(r->offset) && fits(r->time_ns) ? NULL
                                                                                  : "an error's size or offset out of range";
    }
    case MT_REC_VERDICT: {
        unsigned heuristic = ((const struct mt_rec_verdict *)h)->heuristic;
        if (h->extra >= MT_LEAK_END)
            return "a verdict of an unknown kind";
        if (((const struct mt_rec_verdict *)h)->owner && h->extra != MT_LEAK_INDIRECT)
            return "a verdict naming an owner for a block not indirectly lost";
        return heuristic == MT_HEURISTIC_NONE || (heuristic < MT_HEURISTIC_END && h->extra == MT_LEAK_REACHABLE)
                   ? NULL
                   : "a verdict naming an unknown heuristic, or one for a block not reachable";
    }
    case MT_REC_EXIT: {
        const struct mt_rec_exit *r = (const void *)h;
        return fits(r->allocations) && fits(r->frees) && fits(r->current_bytes) && fits(r->peak_bytes) &&
                       fits(r->peak_ns)
                   ? NULL
                   : "exit counters out of range";
    }
    case MT_REC_MARK:
        return fits(((const struct mt_rec_mark *)h)->time_ns) ? NULL : "a mark's time out of range";
    default:
        return NULL;
    }
}

int mt_decode_batch(const void *batch, size_t len, mt_record_fn fn, void *ctx, const char **why)
{
    const unsigned char *p = batch;
    if (len < sizeof(struct mt_batch_header)) {
        *why = "batch shorter than its header";
        return -1;
    }
    struct mt_batch_header bh;
    memcpy(&bh, p, sizeof bh);
    if (bh.magic != MT_BATCH_MAGIC) {
        *why = "batch with a wrong magic number";
        return -1;
    }
    size_t off = sizeof bh;
    while (off < len) {
        if (len - off < sizeof(struct mt_record_header)) {
            *why = "record header cut short";
            return -1;
        }
        const struct mt_record_header *h = (const void *)(p + off);
        size_t fixed = fixed_size(h->type);
        if (!fixed) {
            *why = "record of an unknown type";
            return -1;
        }
        if (h->size < fixed || h->size % 8 || h->size > len - off) {
            *why = "record size out of bounds";
            return -1;
        }
        const char *bad = check_tail(h, fixed);
        if (bad) {
            *why = bad;
            return -1;
        }
        if (fn(ctx, bh.tid, h))
            return 0;
        off += h->size;
    }
    return 0;
}
