/*
 * decoder.h - checks one batch from a traced process and walks its records.
 * Everything a record claims (sizes, counts, strings) is checked against the
 * bytes actually received before the callback sees it, so the collector can
 * treat a record as well-formed.  Fuzzed by tests/fuzz/fuzz_decoder.c.
 */
#ifndef MEMTRACK_DECODER_H
#define MEMTRACK_DECODER_H

#include <stddef.h>
#include <stdint.h>
#include "protocol.h"

/* Called once per record; return nonzero to stop the walk. */
typedef int (*mt_record_fn)(void *ctx, uint32_t tid, const struct mt_record_header *rec);

/* Walks a batch; 0 when every record was well-formed, else -1 with *why set
 * to a static description (records before the bad one were delivered). */
int mt_decode_batch(const void *batch, size_t len, mt_record_fn fn, void *ctx, const char **why);

/* Why a well-formed record's fields cannot be true (a size or count of 2^63
 * or more, an error type, allocator or leak kind libtrack has not), or NULL
 * when they can: such a record is dropped and counted, so that the trace
 * never holds a row its reader would refuse. */
const char *mt_record_out_of_range(const struct mt_record_header *rec);

/* The NUL-terminated strings after a HELLO, MODULE or MARK record's fixed
 * part: argv then executable, the path, or the label.  Validated by the walk. */
const char *mt_record_tail(const struct mt_record_header *rec, size_t fixed_size);

#endif
