/* Unit tests for cli/symbolize/symbol_index: the sorted index names, for every address asked, the symbol
 * libdw's own per-address scan (dwfl_module_addrinfo) names.  Compared on real objects: this test binary,
 * libc, libstdc++, libLLVM when it is installed (tens of thousands of symbols, aliases, sizeless assembly
 * labels, IFUNCs), and a small object with hand-made symbols that nest, alias and lack sizes. */
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
#include <gelf.h>

#include "symbolize/symbol_index.h"

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

/* Names of two lookups agree when both are NULL or both name the same string. */
static int same_name(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Opens path offline and compares the index with dwfl_module_addrinfo at about `samples` addresses around
 * symbol starts and ends (where choices are made) and in between.  Returns the number compared; a
 * missing file compares nothing. */
static size_t compare_with_libdw(const char *path, size_t samples)
{
    if (access(path, R_OK) != 0)
        return 0;
    Dwfl *dwfl = dwfl_begin(&offline_callbacks);
    assert_non_null(dwfl);
    dwfl_report_begin(dwfl);
    Dwfl_Module *mod = dwfl_report_elf(dwfl, path, path, -1, 0, true);
    assert_int_equal(dwfl_report_end(dwfl, NULL, NULL), 0);
    assert_non_null(mod);
    Dwarf_Addr bias;
    assert_non_null(dwfl_module_getelf(mod, &bias));

    struct symbol_index ix;
    assert_int_equal(symbol_index_build(&ix, mod), 0);
    int total = dwfl_module_getsymtab(mod);
    assert_true(total > 0);
    size_t stride = (size_t)total / (samples / 5) + 1, compared = 0, wrong = 0;
    for (int i = 0; i < total; i += (int)stride) {
        GElf_Sym sym;
        GElf_Addr addr;
        if (!dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL) || addr == 0)
            continue;
        uint64_t probes[] = {addr - 1, addr, addr + sym.st_size / 2, addr + sym.st_size, addr + sym.st_size + 7};
        for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
            GElf_Off off;
            GElf_Sym found;
            const char *want = dwfl_module_addrinfo(mod, probes[k], &off, &found, NULL, NULL, NULL);
            const char *got = symbol_index_lookup(&ix, probes[k]);
            compared++;
            if (!same_name(want, got) && wrong++ < 5)
                print_message("%s: %#llx: libdw %s, index %s\n", path, (unsigned long long)probes[k],
                              want ? want : "(none)", got ? got : "(none)");
        }
    }
    symbol_index_free(&ix);
    dwfl_end(dwfl);
    assert_int_equal(wrong, 0);
    return compared;
}

/* dl_iterate_phdr callback: copies the path of the loaded object whose name contains arg's needle. */
struct wanted {
    const char *needle;
    char path[PATH_MAX];
};

static int find_loaded(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct wanted *w = arg;
    (void)size;
    if (!info->dlpi_name || !strstr(info->dlpi_name, w->needle))
        return 0;
    snprintf(w->path, sizeof w->path, "%s", info->dlpi_name);
    return 1;
}

static void test_loaded_libraries(void **state)
{
    (void)state;
    const char *needles[] = {"libc.so", "libdw.so", "libelf.so"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
        struct wanted w = {.needle = needles[i]};
        if (!dl_iterate_phdr(find_loaded, &w))
            fail_msg("%s is not loaded", needles[i]);
        assert_true(compare_with_libdw(w.path, 4000) > 0);
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = 0;
    assert_true(compare_with_libdw(self, 4000) > 0);
}

static void test_large_library(void **state)
{
    /* libLLVM is the library this index exists for; where it is not installed there is nothing to do. */
    (void)state;
    const char *paths[] = {"/usr/lib/llvm-14/lib/libLLVM-14.so.1", "/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1"};
    size_t compared = 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0] && !compared; i++)
        compared = compare_with_libdw(paths[i], 3000);
    if (!compared)
        skip();
}

static char tmpdir[] = "/tmp/mt_symbol_index_XXXXXX";

static void test_nested_aliased_and_sizeless(void **state)
{
    /* Assembly with an outer sized symbol around an inner one, an alias of another binding at one start,
     * two sizeless labels (one after a sized symbol's end, one inside it) and padding between them. */
    (void)state;
    if (system("command -v gcc >/dev/null 2>&1") != 0)
        skip();
    assert_non_null(mkdtemp(tmpdir));
    char src[PATH_MAX], obj[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(src, sizeof src, "%s/shapes.s", tmpdir);
    snprintf(obj, sizeof obj, "%s/shapes.so", tmpdir);
    FILE *f = fopen(src, "w");
    assert_non_null(f);
    fputs("\t.text\n"
          "\t.globl outer\n\t.type outer,@function\nouter:\n\tnop\n\tnop\n"
          "\t.type inner,@function\ninner:\n\tnop\n\tnop\n\t.size inner, .-inner\n"
          "\tnop\n\tnop\n\t.size outer, .-outer\n"
          "\t.weak weak_alias\n\t.type weak_alias,@function\n"
          "\t.globl strong\n\t.type strong,@function\nweak_alias:\nstrong:\n\tnop\n\tnop\n"
          "\t.size strong, .-strong\n\t.size weak_alias, .-weak_alias\n"
          "label_after:\n\tnop\n\tnop\n\tnop\n"
          "\t.globl tail\n\t.type tail,@function\ntail:\n\tnop\n"
          "inside_tail:\n\tnop\n\tret\n\t.size tail, 64\n"
          "\t.p2align 8\n\t.globl last\n\t.type last,@function\nlast:\n\tret\n\t.size last, .-last\n",
          f);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "gcc -shared -nostdlib -o '%s' '%s'", obj, src);
    assert_int_equal(system(cmd), 0);
    assert_true(compare_with_libdw(obj, 100) > 0);

    /* Every byte of .text, not only the samples around symbols. */
    Dwfl *dwfl = dwfl_begin(&offline_callbacks);
    dwfl_report_begin(dwfl);
    Dwfl_Module *mod = dwfl_report_elf(dwfl, obj, obj, -1, 0, true);
    dwfl_report_end(dwfl, NULL, NULL);
    assert_non_null(mod);
    struct symbol_index ix;
    assert_int_equal(symbol_index_build(&ix, mod), 0);
    GElf_Sym sym;
    GElf_Addr first = 0, end = 0;
    for (int i = 0; i < dwfl_module_getsymtab(mod); i++) {
        const char *name = dwfl_module_getsym_info(mod, i, &sym, &(GElf_Addr){0}, NULL, NULL, NULL);
        if (name && strcmp(name, "outer") == 0)
            first = sym.st_value;
        if (name && strcmp(name, "last") == 0)
            end = sym.st_value + sym.st_size;
    }
    assert_true(first && end > first);
    for (GElf_Addr a = first - 4; a < end + 4; a++) {
        GElf_Off off;
        const char *want = dwfl_module_addrinfo(mod, a, &off, &sym, NULL, NULL, NULL);
        const char *got = symbol_index_lookup(&ix, a);
        if (!same_name(want, got))
            fail_msg("%#llx: libdw %s, index %s", (unsigned long long)a, want ? want : "(none)",
                     got ? got : "(none)");
    }
    /* libdw names a global function before a local label inside it */
    assert_string_equal(symbol_index_lookup(&ix, first + 2), "outer");
    symbol_index_free(&ix);
    dwfl_end(dwfl);
    assert_int_equal(remove_tree(tmpdir), 0);
}

static void test_empty_index(void **state)
{
    (void)state;
    struct symbol_index ix = {0};
    assert_null(symbol_index_lookup(&ix, 0x1234));
    symbol_index_free(&ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loaded_libraries),
        cmocka_unit_test(test_large_library),
        cmocka_unit_test(test_nested_aliased_and_sizeless),
        cmocka_unit_test(test_empty_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
