/*
 * compressed.c - see compressed.h.
 *
 * The compressed file is one zstd frame that records the trace's size and a
 * checksum: a reader allocates the trace once, and a damaged file is told
 * apart from a trace with damaged pages.  Reading decompresses the whole
 * trace into memory, where SQLite opens it (sqlite3_deserialize): a trace
 * is read many times over by a report, and a compiler's is some 20 MB.
 */
#include "trace/compressed.h"

#include "huge_pages.h"
#include "output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCCtx_advanced */
#include <zstd.h>

#define CHUNK (1u << 17)

/*
 * How hard to compress.  The compression is in every run's time (the
 * program has ended, memtrack has not), so the level is chosen by what it
 * costs: up to SMALL_TRACE bytes, level 6 (about 120 MB/s here: at most 35
 * ms; 7 to 9% smaller than level 3 on the traces of node and of `clang
 * --version`), above it zstd's default, level 3 (about 300 MB/s on one
 * thread; level 6 would add 0.18 s to a compiler's 20 MB trace for 12%).
 * A large trace is compressed on two threads where there are two CPUs: the
 * program has ended and left its CPU idle (`zstd -b3 -T2` on a compiler's
 * trace: 417 MB/s against 300).
 */
#define SMALL_TRACE (4u << 20)
#define SMALL_TRACE_LEVEL 6
#define LARGE_TRACE_LEVEL 3
#define LARGE_TRACE_THREADS 2

bool trace_name_is_compressed(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".zst") == 0;
}

bool trace_file_is_compressed(int fd)
{
    unsigned char magic[4];
    if (pread(fd, magic, sizeof magic, 0) != (ssize_t)sizeof magic)
        return false;
    uint32_t word = (uint32_t)magic[0] | (uint32_t)magic[1] << 8 | (uint32_t)magic[2] << 16 | (uint32_t)magic[3] << 24;
    return word == ZSTD_MAGICNUMBER; /* little-endian, as the frame stores it */
}

/*
 * zstd's memory while it compresses: its workspace is some 4 MB (level 6 on
 * a 400 KB trace, level 3 on a large one), used once and written all over.
 * From malloc it came as a thousand fresh 4 KiB pages, each a fault: 10 ms
 * of a `clang --version` run here.  On huge pages it is a few faults.  Each
 * allocation is preceded by a header with the length to unmap (0: from
 * malloc), as zstd frees by address alone.
 */
#define ZSTD_HEADER 64 /* keeps the alignment malloc gives */

static void *zstd_alloc(void *opaque, size_t size)
{
    (void)opaque;
    size_t mapped = 0;
    unsigned char *room = size + ZSTD_HEADER >= MT_HUGE_PAGE ? mt_map_table(size + ZSTD_HEADER, &mapped)
                                                           : malloc(size + ZSTD_HEADER);
    if (!room)
        return NULL;
    memcpy(room, &mapped, sizeof mapped);
    return room + ZSTD_HEADER;
}

static void zstd_free(void *opaque, void *address)
{
    (void)opaque;
    if (!address)
        return;
    unsigned char *room = (unsigned char *)address - ZSTD_HEADER;
    size_t mapped;
    memcpy(&mapped, room, sizeof mapped);
    if (mapped)
        munmap(room, mapped);
    else
        free(room);
}

static const ZSTD_customMem zstd_memory = {zstd_alloc, zstd_free, NULL};

/* What compress_into reads, and where it says why zstd failed. */
struct compression {
    int in;
    uint64_t size;
    const char **failure; /* zstd's reason, when zstd itself failed */
};

/* An output_renderer: compresses the file open at C->in (C->size bytes)
 * into OUT; 0, or -1 with errno set (or *C->failure, for zstd's own). */
static int compress_into(FILE *out, const void *context)
{
    const struct compression *c = context;
    ZSTD_CCtx *cctx = ZSTD_createCCtx_advanced(zstd_memory);
    void *in_buffer = malloc(CHUNK), *out_buffer = malloc(ZSTD_CStreamOutSize());
    int rc = -1;
    if (!cctx || !in_buffer || !out_buffer) {
        errno = ENOMEM;
        goto done;
    }
    bool small = c->size <= SMALL_TRACE;
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, small ? SMALL_TRACE_LEVEL : LARGE_TRACE_LEVEL);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    /* a libzstd built without threads refuses the workers: then one thread does it all */
    if (!small && sysconf(_SC_NPROCESSORS_ONLN) >= LARGE_TRACE_THREADS)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, LARGE_TRACE_THREADS);
    ZSTD_CCtx_setPledgedSrcSize(cctx, c->size);
    for (;;) {
        ssize_t got = read(c->in, in_buffer, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            goto done;
        ZSTD_EndDirective mode = got == 0 ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer input = {in_buffer, (size_t)got, 0};
        size_t left;
        do {
            ZSTD_outBuffer output = {out_buffer, ZSTD_CStreamOutSize(), 0};
            left = ZSTD_compressStream2(cctx, &output, &input, mode);
            if (ZSTD_isError(left)) {
                *c->failure = ZSTD_getErrorName(left);
                goto done;
            }
            if (fwrite(out_buffer, 1, output.pos, out) != output.pos)
                goto done;
        } while (mode == ZSTD_e_end ? left != 0 : input.pos < input.size);
        if (got == 0)
            break;
    }
    rc = 0;
done:
    free(in_buffer);
    free(out_buffer);
    ZSTD_freeCCtx(cctx);
    return rc;
}

int trace_compress(const char *from, const char *to, char *error, size_t error_size)
{
    char why[512] = "";
    const char *failure = NULL;
    int in = open(from, O_RDONLY | O_CLOEXEC);
    struct stat status;
    enum output_file_result result = OUTPUT_FILE_FAILED;
    if (in < 0 || fstat(in, &status) != 0) {
        snprintf(why, sizeof why, "cannot read %s: %s", from, strerror(errno));
    } else {
        struct compression c = {in, (uint64_t)status.st_size, &failure};
        result = output_file_write(to, &from, 1, compress_into, &c, why, sizeof why);
        if (result == OUTPUT_FILE_REFUSED)
            snprintf(why, sizeof why, "it is the trace itself");
    }
    if (in >= 0)
        close(in);
    if (result != OUTPUT_FILE_WRITTEN)
        snprintf(error, error_size, "cannot compress into %s: %s", to, failure ? failure : why);
    return result == OUTPUT_FILE_WRITTEN ? 0 : -1;
}

/* Grows *DATA (from sqlite3_malloc64) to hold at least NEED bytes, at most
 * LIMIT; 0, or -1 with the reason in ERROR. */
static int grow_output(unsigned char **data, size_t *capacity, size_t need, size_t limit, char *error,
                       size_t error_size)
{
    if (need <= *capacity)
        return 0;
    if (need > limit) {
        snprintf(error, error_size, "cannot read: the trace is larger than %zu MiB once decompressed", limit >> 20);
        return -1;
    }
    size_t grown = *capacity ? *capacity : CHUNK;
    while (grown < need)
        grown = grown > limit / 2 ? limit : grown * 2;
    unsigned char *bigger = sqlite3_realloc64(*data, grown);
    if (!bigger) {
        snprintf(error, error_size, "cannot read: %s", strerror(ENOMEM));
        return -1;
    }
    mt_advise_huge_pages(bigger, grown); /* before the trace is written into it: a compiler's is 20 MB */
    *data = bigger;
    *capacity = grown;
    return 0;
}

int trace_decompress(int fd, size_t limit, unsigned char **data, size_t *size, char *error, size_t error_size)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    unsigned char *in_buffer = malloc(CHUNK), *out = NULL;
    size_t capacity = 0, used = 0, left = 1; /* left: 0 once the frame has ended */
    int rc = -1;
    if (!dctx || !in_buffer) {
        snprintf(error, error_size, "cannot read: %s", strerror(ENOMEM));
        goto done;
    }
    ssize_t got = pread(fd, in_buffer, CHUNK, 0);
    unsigned long long recorded = got > 0 ? ZSTD_getFrameContentSize(in_buffer, (size_t)got) : 0;
    /* the size the frame records, when it does: one allocation, filled exactly */
    size_t first = recorded != ZSTD_CONTENTSIZE_UNKNOWN && recorded != ZSTD_CONTENTSIZE_ERROR && recorded > 0
                       ? (size_t)(recorded < limit ? recorded : limit)
                       : CHUNK;
    if (grow_output(&out, &capacity, first, limit, error, error_size) != 0)
        goto done;
    off_t offset = 0;
    while ((got = pread(fd, in_buffer, CHUNK, offset)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(error, error_size, "cannot read: %s", strerror(errno));
            goto done;
        }
        offset += got;
        ZSTD_inBuffer input = {in_buffer, (size_t)got, 0};
        while (input.pos < input.size) {
            size_t before = input.pos;
            ZSTD_outBuffer output = {out + used, capacity - used, 0};
            left = ZSTD_decompressStream(dctx, &output, &input);
            if (ZSTD_isError(left)) {
                snprintf(error, error_size, "damaged: the compressed trace does not decompress (%s)",
                         ZSTD_getErrorName(left));
                goto done;
            }
            used += output.pos;
            /* no progress: the output is full (a frame that records no size, or a wrong one) */
            if (output.pos == 0 && input.pos == before &&
                grow_output(&out, &capacity, used + ZSTD_DStreamOutSize(), limit, error, error_size) != 0)
                goto done;
        }
    }
    if (left != 0) {
        snprintf(error, error_size, "damaged: the compressed trace is cut short");
        goto done;
    }
    *data = out;
    *size = used;
    out = NULL;
    rc = 0;
done:
    sqlite3_free(out);
    free(in_buffer);
    ZSTD_freeDCtx(dctx);
    return rc;
}
