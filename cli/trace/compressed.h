/*
 * compressed.h - traces kept compressed with zstd: `memtrack run -o
 * TRACE.zst` writes the trace as usual and, once it is complete, compresses
 * it into TRACE.zst (a compiler's 20 MB trace takes some 6 MB); every command
 * that reads a trace reads either.  `zstd -d` gives back the SQLite file, so
 * the trace stays one that plain SQL reads.
 */
#ifndef MEMTRACK_TRACE_COMPRESSED_H
#define MEMTRACK_TRACE_COMPRESSED_H

#include <stdbool.h>
#include <stddef.h>

/* Whether PATH names a compressed trace to write (it ends in ".zst"). */
bool trace_name_is_compressed(const char *path);

/* Whether the open file FD starts with zstd's magic number (its offset is
 * left at 0). */
bool trace_file_is_compressed(int fd);

/* Compresses the file FROM into TO, as output_file_write writes (a new file
 * renamed over TO when whole: TO is never a part, and a symlink there is
 * replaced, not followed).  0, or -1 with the reason in ERROR. */
int trace_compress(const char *from, const char *to, char *error, size_t error_size);

/* Decompresses the open file FD into a buffer from sqlite3_malloc64, which
 * the caller owns (SQLite's deserialize takes it), at most LIMIT bytes.  0
 * with *DATA and *SIZE, or -1 with the reason in ERROR. */
int trace_decompress(int fd, size_t limit, unsigned char **data, size_t *size, char *error, size_t error_size);

#endif
