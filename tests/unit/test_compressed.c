/* Unit tests for cli/trace/compressed.c: a file compressed and decompressed
 * comes back byte for byte, small (one thread, level 6) or large (two
 * threads where there are two CPUs, level 3), a trace larger than the limit once decompressed
 * is refused before it is read whole, a cut file is told apart, and the name
 * and magic number tell a compressed trace. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "trace/compressed.h"

#define CONTENT_BYTES (6u << 20) /* several of the reader's chunks, and above compressed.c's SMALL_TRACE */
#define SMALL_BYTES (1u << 20)

static char dir[] = "/tmp/mt_compressed_XXXXXX";
static char plain[64], packed[64];
static unsigned char *content;

/* Writes the first SIZE bytes of the content as the plain file. */
static int write_plain(size_t size)
{
    FILE *f = fopen(plain, "wb");
    int ok = f && fwrite(content, 1, size, f) == size;
    return f && fclose(f) == 0 && ok ? 0 : -1;
}

/* Makes CONTENT_BYTES that compress, but not to nothing, and writes them. */
static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(plain, sizeof plain, "%s/t.db", dir);
    snprintf(packed, sizeof packed, "%s/t.db.zst", dir);
    content = malloc(CONTENT_BYTES);
    uint32_t x = 1;
    for (size_t i = 0; i < CONTENT_BYTES; i++) {
        x = x * 1103515245u + 12345u;
        content[i] = (unsigned char)(i % 64 < 48 ? i / 64 : x >> 24);
    }
    return write_plain(CONTENT_BYTES);
}

static int teardown(void **state)
{
    (void)state;
    unlink(plain);
    unlink(packed);
    rmdir(dir);
    free(content);
    return 0;
}

/* Decompresses PATH with LIMIT: the status, the data in *DATA (the caller frees it). */
static int decompress(const char *path, size_t limit, unsigned char **data, size_t *size, char *error)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    int rc = trace_decompress(fd, limit, data, size, error, 512);
    close(fd);
    return rc;
}

/* Compresses the plain file of SIZE bytes and decompresses it again. */
static void round_trip(size_t size)
{
    char error[512];
    assert_int_equal(write_plain(size), 0);
    assert_int_equal(trace_compress(plain, packed, error, sizeof error), 0);
    struct stat st;
    assert_int_equal(stat(packed, &st), 0);
    assert_true(st.st_size > 0 && (size_t)st.st_size < size / 2);
    int fd = open(packed, O_RDONLY);
    assert_true(trace_file_is_compressed(fd));
    close(fd);
    fd = open(plain, O_RDONLY);
    assert_false(trace_file_is_compressed(fd));
    close(fd);
    unsigned char *data = NULL;
    size_t got = 0;
    assert_int_equal(decompress(packed, (size_t)1 << 30, &data, &got, error), 0);
    assert_int_equal(got, size);
    assert_memory_equal(data, content, size);
    sqlite3_free(data);
}

static void test_round_trip(void **state)
{
    (void)state;
    round_trip(SMALL_BYTES);
    round_trip(CONTENT_BYTES);
}

static void test_limit_and_cut(void **state)
{
    (void)state;
    char error[512];
    unsigned char *data = NULL;
    size_t size = 0;
    assert_int_equal(write_plain(CONTENT_BYTES), 0);
    assert_int_equal(trace_compress(plain, packed, error, sizeof error), 0);
    assert_int_equal(decompress(packed, 1u << 20, &data, &size, error), -1);
    assert_non_null(strstr(error, "larger than 1 MiB once decompressed"));
    struct stat st;
    assert_int_equal(stat(packed, &st), 0);
    assert_int_equal(truncate(packed, st.st_size / 2), 0);
    assert_int_equal(decompress(packed, (size_t)1 << 30, &data, &size, error), -1);
    assert_string_equal(error, "damaged: the compressed trace is cut short");
}

static void test_names(void **state)
{
    (void)state;
    assert_true(trace_name_is_compressed("trace.db.zst"));
    assert_true(trace_name_is_compressed("dir/x.zst"));
    assert_false(trace_name_is_compressed(".zst"));
    assert_false(trace_name_is_compressed("trace.db"));
    assert_false(trace_name_is_compressed("trace.zst.db"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_limit_and_cut),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
