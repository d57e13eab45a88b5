/* Unit tests for cli/symbolize: resolves return addresses captured in this very binary (an inline chain
 * built with always_inline, a plain call), in a C++ shared library and in a non-PIE executable that are
 * compiled from tests/unit/fixtures/ at test time (those tests are skipped when g++/gcc/objcopy are missing).
 *
 * Build and run (from /work/main; must keep -g, any -O level works):
 *   gcc -g -O1 -Wall -Wextra -D_GNU_SOURCE -Icli -o /tmp/test_symbolize tests/unit/test_symbolize.c \
 *       cli/symbolize/symbolize.c $(pkg-config --cflags --libs libdw cmocka) -lstdc++ -ldl
 *   /tmp/test_symbolize            # fixtures found via MT_FIXTURE_DIR, else next to this source file
 */
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture_files.h"

#include "symbolize/symbolize.h"

/* ---- code whose addresses we resolve ---------------------------------------------------------- */

void *volatile captured;
int line_in_leaf, line_in_mid, line_in_outer, line_in_direct;
volatile int sink;

__attribute__((noinline)) void capture_return_address(void)
{
    captured = __builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
}

static inline __attribute__((always_inline)) void leaf_inline(void)
{
    capture_return_address(); line_in_leaf = __LINE__;
    sink++;
}

static inline __attribute__((always_inline)) void mid_inline(void)
{
    leaf_inline(); line_in_mid = __LINE__;
    sink++;
}

__attribute__((noinline)) void outer_function(void)
{
    mid_inline(); line_in_outer = __LINE__;
    sink++;
}

__attribute__((noinline)) void direct_caller(void)
{
    capture_return_address(); line_in_direct = __LINE__;
    sink++;
}

/* ---- helpers -------------------------------------------------------------------------------- */

struct where {
    uintptr_t addr;
    char path[PATH_MAX];
    uint64_t base;
    int found;
};

/* dl_iterate_phdr callback: finds the loaded object whose PT_LOAD segments contain w->addr. */
static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct where *w = arg;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type != PT_LOAD || w->addr < start || w->addr >= start + ph->p_memsz)
            continue;
        w->base = info->dlpi_addr;
        if (info->dlpi_name && info->dlpi_name[0]) {
            snprintf(w->path, sizeof w->path, "%s", info->dlpi_name);
        } else {
            ssize_t n = readlink("/proc/self/exe", w->path, sizeof w->path - 1);
            w->path[n > 0 ? n : 0] = 0;
        }
        w->found = 1;
        return 1;
    }
    return 0;
}

/* Locates the object (path, load bias) that contains addr in this process. */
static struct where locate(const void *addr)
{
    struct where w = {.addr = (uintptr_t)addr};
    dl_iterate_phdr(find_object, &w);
    assert_true(w.found);
    return w;
}

static const char *base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path;
}

static char tmpdir[] = "/tmp/mt_symbolize_XXXXXX";

static int group_setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return remove_tree(tmpdir);
}

static int setup(void **state)
{
    *state = symbolizer_new();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    symbolizer_free(*state);
    return 0;
}

static void assert_frame(const struct symbol_frame *f, const char *function, const char *file, int line, int inlined)
{
    assert_non_null(f->function);
    assert_string_equal(f->function, function);
    assert_non_null(f->file);
    assert_true(f->file[0] == '/');
    assert_string_equal(base_name(f->file), file);
    assert_int_equal(f->line, line);
    assert_int_equal(f->inlined, inlined);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_inline_chain(void **state)
{
    outer_function();
    struct where w = locate(captured);
    struct symbol_frame f[8];
    int n = symbolizer_resolve(*state, w.path, w.base, (uint64_t)(uintptr_t)captured, f, 8);
    assert_int_equal(n, 3);
    assert_frame(&f[0], "leaf_inline", "test_symbolize.c", line_in_leaf, 1);
    assert_frame(&f[1], "mid_inline", "test_symbolize.c", line_in_mid, 1);
    assert_frame(&f[2], "outer_function", "test_symbolize.c", line_in_outer, 0);
}

static void test_direct_call(void **state)
{
    direct_caller();
    struct where w = locate(captured);
    struct symbol_frame f[8];
    int n = symbolizer_resolve(*state, w.path, w.base, (uint64_t)(uintptr_t)captured, f, 8);
    assert_int_equal(n, 1);
    assert_frame(&f[0], "direct_caller", "test_symbolize.c", line_in_direct, 0);
}

static void test_max_and_cache(void **state)
{
    outer_function();
    struct where w = locate(captured);
    uint64_t addr = (uint64_t)(uintptr_t)captured;
    struct symbol_frame f[8], g[8];
    assert_int_equal(symbolizer_resolve(*state, w.path, w.base, addr, f, 1), 1);
    assert_non_null(f[0].function);
    assert_string_equal(f[0].function, "leaf_inline");
    assert_int_equal(symbolizer_resolve(*state, w.path, w.base, addr, f, 0), 0);
    /* Same module-relative address in a "process" with another base: same cached strings. */
    assert_int_equal(symbolizer_resolve(*state, w.path, w.base, addr, f, 8), 3);
    assert_int_equal(symbolizer_resolve(*state, w.path, w.base + 0x10000, addr + 0x10000, g, 8), 3);
    for (int i = 0; i < 3; i++) {
        assert_ptr_equal(f[i].function, g[i].function);
        assert_ptr_equal(f[i].file, g[i].file);
        assert_int_equal(f[i].line, g[i].line);
    }
}

static void assert_unknown(struct symbolizer *s, const char *path, uint64_t base, uint64_t addr)
{
    struct symbol_frame f[4];
    memset(f, 0xab, sizeof f);
    assert_int_equal(symbolizer_resolve(s, path, base, addr, f, 4), 1);
    assert_null(f[0].function);
    assert_null(f[0].file);
    assert_int_equal(f[0].line, 0);
    assert_int_equal(f[0].inlined, 0);
}

static void test_missing_and_corrupt_files(void **state)
{
    struct symbolizer *s = *state;
    assert_unknown(s, "/nonexistent/libnothing.so", 0x1000, 0x1234);
    assert_unknown(s, "/nonexistent/libnothing.so", 0x1000, 0x1234); /* cached failure */
    assert_unknown(s, "/tmp", 0, 0x1234);                            /* a directory */
    assert_unknown(s, "", 0, 0x1234);
    assert_unknown(s, "/dev/null", 0, 0x1234);

    /* Not ELF, and an ELF file cut short in the middle of its program. */
    char text[PATH_MAX], cut[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(text, sizeof text, "%s/not_elf", tmpdir);
    FILE *fp = fopen(text, "w");
    assert_non_null(fp);
    fputs("hello, I am not an ELF file\n", fp);
    fclose(fp);
    assert_unknown(s, text, 0, 0x1234);

    direct_caller();
    struct where w = locate(captured);
    snprintf(cut, sizeof cut, "%s/truncated", tmpdir);
    snprintf(cmd, sizeof cmd, "head -c 3000 '%s' > '%s'", w.path, cut);
    assert_int_equal(system(cmd), 0);
    struct symbol_frame f[4];
    int n = symbolizer_resolve(s, cut, w.base, (uint64_t)(uintptr_t)captured, f, 4);
    assert_true(n >= 1 && n <= 4);
}

static void test_garbage_addresses(void **state)
{
    direct_caller();
    struct where w = locate(captured);
    struct symbol_frame f[8];
    const uint64_t addrs[] = {0, 1, w.base, w.base + 1, UINT64_MAX, UINT64_MAX / 2, w.base - 1};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        int n = symbolizer_resolve(*state, w.path, w.base, addrs[i], f, 8);
        assert_true(n >= 1 && n <= 8);
    }
    assert_unknown(*state, w.path, w.base, w.base); /* relative 0: cannot be a return address */
}

static void test_demangle(void **state)
{
    struct symbolizer *s = *state;
    assert_string_equal(symbolize_demangle(s, "_ZN2ns3fooEi"), "ns::foo(int)");
    assert_string_equal(symbolize_demangle(s, "_ZNSt6vectorIiSaIiEE9push_backERKi"),
                        "std::vector<int, std::allocator<int> >::push_back(int const&)");
    assert_string_equal(symbolize_demangle(s, "_Z3bari.constprop.0"), "bar(int) [clone .constprop.0]");
    assert_string_equal(symbolize_demangle(s, "malloc@@GLIBC_2.2.5"), "malloc");
    assert_string_equal(symbolize_demangle(s, "main"), "main");
    assert_string_equal(symbolize_demangle(s, "_Znot a mangled name"), "_Znot a mangled name");
    assert_null(symbolize_demangle(s, NULL));
    assert_ptr_equal(symbolize_demangle(s, "main"), symbolize_demangle(s, "main"));
}

static void test_cxx_shared_library(void **state)
{
    char src[PATH_MAX], lib[PATH_MAX], cmd[3 * PATH_MAX];
    fixture_source(src, sizeof src, "symbolize_lib.cpp");
    snprintf(lib, sizeof lib, "%s/libsymbolize_fixture.so", tmpdir);
    assert_int_equal(access(src, R_OK), 0);
    if (system("command -v g++ >/dev/null 2>&1") != 0)
        skip();
    snprintf(cmd, sizeof cmd, "g++ -g -O1 -shared -fPIC '%s' -o '%s'", src, lib);
    assert_int_equal(system(cmd), 0);
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(h);
    void *(*entry)(int *, int *) = (void *(*)(int *, int *))dlsym(h, "fixture_entry");
    assert_non_null(entry);
    int line_in_fill = 0, line_in_run = 0;
    void *ret = entry(&line_in_fill, &line_in_run);
    struct where w = locate(ret);
    assert_string_equal(w.path, lib);
    assert_true(w.base != 0);

    struct symbol_frame f[8];
    int n = symbolizer_resolve(*state, w.path, w.base, (uint64_t)(uintptr_t)ret, f, 8);
    assert_int_equal(n, 2);
    assert_frame(&f[0], "fixture::Box<int>::fill(int)", "symbolize_lib.cpp", line_in_fill, 1);
    assert_frame(&f[1], "fixture::run(int)", "symbolize_lib.cpp", line_in_run, 0);
    dlclose(h);
}

static void test_non_pie_executable_and_debuglink(void **state)
{
    char src[PATH_MAX], exe[PATH_MAX], stripped[PATH_MAX], cmd[4 * PATH_MAX];
    fixture_source(src, sizeof src, "symbolize_exec.c");
    snprintf(exe, sizeof exe, "%s/symbolize_exec", tmpdir);
    assert_int_equal(access(src, R_OK), 0);
    if (system("command -v gcc >/dev/null 2>&1") != 0)
        skip();
    snprintf(cmd, sizeof cmd, "gcc -g -O1 -no-pie '%s' -o '%s'", src, exe);
    assert_int_equal(system(cmd), 0);
    unsigned long addr = 0;
    int line = 0;
    FILE *p = popen(exe, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%lx %d", &addr, &line), 2);
    assert_int_equal(pclose(p), 0);

    struct symbol_frame f[8];
    assert_int_equal(symbolizer_resolve(*state, exe, 0, addr, f, 8), 1);
    assert_frame(&f[0], "exec_caller", "symbolize_exec.c", line, 0);

    /* Same program with its DWARF moved to a separate file found through .gnu_debuglink. */
    snprintf(stripped, sizeof stripped, "%s/stripped_exec", tmpdir);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && cp symbolize_exec stripped_exec && objcopy --only-keep-debug stripped_exec stripped_exec.debug"
             " && objcopy --strip-debug --add-gnu-debuglink=stripped_exec.debug stripped_exec",
             tmpdir);
    if (system("command -v objcopy >/dev/null 2>&1") != 0)
        skip();
    assert_int_equal(system(cmd), 0);
    assert_int_equal(symbolizer_resolve(*state, stripped, 0, addr, f, 8), 1);
    assert_frame(&f[0], "exec_caller", "symbolize_exec.c", line, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_inline_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_and_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_corrupt_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demangle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cxx_shared_library, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_pie_executable_and_debuglink, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
