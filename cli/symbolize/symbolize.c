/* symbolize.c - turns return addresses into functions, files and lines with elfutils libdw.
 *
 * One offline Dwfl per distinct ELF path, loaded lazily and kept (or remembered as unusable) until
 * symbolizer_free. Each (path, module-relative address) is resolved once; the frames and their strings
 * (interned, so repeated file names cost nothing) live in the symbolizer. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "symbolize.h"
#include "symbolize/symbol_cache.h"
#include "symbolize/symbol_index.h"
#include "util/array.h"

#include <dwarf.h>
#include <limits.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libiberty/demangle.h>

#define MAX_CHAIN 64 /* scopes/frames kept per address; absurdly deep inline nests lose their innermost frames */

/* An open-addressing hash set of pointers; the caller supplies hashes and the equality test. */
struct table {
    void **items;
    uint64_t *hashes;
    size_t cap, len;
};

struct module {
    char *path;
    char *cache_key;    /* the object's identity in the symbol cache; NULL without a cache */
    int64_t cache_object; /* its id in the cache, 0 when the cache holds nothing of it */
    int cache_used_recently; /* the cache marked it used within a day: no need to mark it again */
    int opened;         /* the file was opened (on the first address the cache did not hold) */
    Dwfl *dwfl;         /* NULL when the file could not be opened as ELF */
    Dwfl_Module *mod;
    Dwarf_Addr bias;    /* module address = link-time vaddr + bias */
    struct symbol_index symbols; /* read at the module's first address */
    int symbols_read;
};

struct entry {
    const struct module *module;
    uint64_t rel;       /* address - base */
    int cached;         /* it came from the symbol cache, or has been stored there */
    int n;
    struct symbol_frame frames[];
};

struct symbolizer {
    struct table modules, strings, entries;
    struct symbol_cache *cache; /* NULL: none */
    struct entry **unsaved;     /* resolved since the last save, worth storing in the cache */
    size_t n_unsaved, cap_unsaved;
    int unsaved_lost;           /* one could not be listed (no memory): the next save looks at every entry */
};

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo, /* .gnu_debuglink and /usr/lib/debug/.build-id */
    .section_address = dwfl_offline_section_address,
};

/* Hashes a string (FNV-1a); used for the path and string tables. */
static uint64_t hash_str(const char *p)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    return h;
}

/* Mixes a module pointer and a relative address into a cache hash (splitmix64 finaliser). */
static uint64_t hash_entry(const struct module *m, uint64_t rel)
{
    uint64_t h = rel ^ ((uint64_t)(uintptr_t)m * 0x9e3779b97f4a7c15ull);
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

/* Returns the item with hash h for which eq(item, key) holds, or NULL; linear probing. */
static void *table_find(const struct table *t, uint64_t h, int (*eq)(const void *, const void *), const void *key)
{
    if (!t->cap)
        return NULL;
    for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (!t->items[i])
            return NULL;
        if (t->hashes[i] == h && eq(t->items[i], key))
            return t->items[i];
    }
}

/* Adds an item not yet present, doubling the table at half load; returns -1 on allocation failure. */
static int table_add(struct table *t, uint64_t h, void *item)
{
    if (2 * (t->len + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        void **items = calloc(cap, sizeof *items);
        uint64_t *hashes = calloc(cap, sizeof *hashes);
        if (!items || !hashes) {
            free(items);
            free(hashes);
            return -1;
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->items[i])
                continue;
            size_t j = t->hashes[i] & (cap - 1);
            while (items[j])
                j = (j + 1) & (cap - 1);
            items[j] = t->items[i];
            hashes[j] = t->hashes[i];
        }
        free(t->items);
        free(t->hashes);
        t->items = items;
        t->hashes = hashes;
        t->cap = cap;
    }
    size_t j = h & (t->cap - 1);
    while (t->items[j])
        j = (j + 1) & (t->cap - 1);
    t->items[j] = item;
    t->hashes[j] = h;
    t->len++;
    return 0;
}

/* Calls fn on every item and releases the table's arrays; used by symbolizer_free. */
static void table_clear(struct table *t, void (*fn)(void *))
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->items[i])
            fn(t->items[i]);
    free(t->items);
    free(t->hashes);
    memset(t, 0, sizeof *t);
}

static int eq_str(const void *item, const void *key) { return strcmp(item, key) == 0; }
static int eq_module(const void *item, const void *key) { return strcmp(((const struct module *)item)->path, key) == 0; }
static int eq_entry(const void *item, const void *key)
{
    const struct entry *a = item, *b = key;
    return a->module == b->module && a->rel == b->rel;
}

/* Returns the symbolizer's single copy of str (NULL for NULL or when out of memory), so frames can
 * hand out pointers that stay valid until symbolizer_free without each cache entry owning copies. */
static const char *intern(struct symbolizer *s, const char *str)
{
    if (!str)
        return NULL;
    uint64_t h = hash_str(str);
    char *found = table_find(&s->strings, h, eq_str, str);
    if (found)
        return found;
    char *copy = strdup(str);
    if (!copy || table_add(&s->strings, h, copy) < 0) {
        free(copy);
        return NULL;
    }
    return copy;
}

/* Interns a source path, prefixing the compilation directory when DWARF gave a relative name. */
static const char *intern_path(struct symbolizer *s, const char *name, const char *comp_dir)
{
    if (!name || !*name)
        return NULL;
    if (name[0] == '/' || !comp_dir || !*comp_dir)
        return intern(s, name);
    size_t a = strlen(comp_dir), b = strlen(name);
    char *joined = malloc(a + b + 2);
    if (!joined)
        return NULL;
    memcpy(joined, comp_dir, a);
    joined[a] = '/';
    memcpy(joined + a + 1, name, b + 1);
    const char *r = intern(s, joined);
    free(joined);
    return r;
}

const char *symbolize_demangle(struct symbolizer *s, const char *name)
{
    /* Symbol tables may carry "name@VERSION"/"name@@VERSION"; the version is noise in a stack. */
    if (!name)
        return NULL;
    const char *at = strchr(name, '@');
    char *bare = at ? strndup(name, (size_t)(at - name)) : NULL;
    const char *use = bare ? bare : name;
    const char *r = NULL;
    if (use[0] == '_' && (use[1] == 'Z' || use[1] == 'R')) { /* Itanium C++ and Rust legacy; Rust v0 */
        char *d = cplus_demangle(use, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
        if (d)
            r = intern(s, d);
        free(d);
    }
    if (!r)
        r = intern(s, use);
    free(bare);
    return r;
}

/* Names a subprogram or inlined_subroutine DIE, following abstract_origin/specification: the demangled
 * linkage name when there is one (C++: qualified, with parameters), else DW_AT_name. */
static const char *die_function_name(struct symbolizer *s, Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!linkage)
        linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    if (linkage)
        return symbolize_demangle(s, linkage);
    return intern(s, dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr)));
}

/* Reads an inlined_subroutine's DW_AT_call_file/DW_AT_call_line: where, in the enclosing function, the
 * inlined body was called. The file index refers to the line table of the DIE's own CU. */
static void call_site(struct symbolizer *s, Dwarf_Die *inl, const char **file, int *line)
{
    Dwarf_Attribute attr;
    Dwarf_Word idx, ln;
    Dwarf_Die cu;
    Dwarf_Files *files;
    *file = NULL;
    *line = 0;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &attr), &ln) == 0)
        *line = (int)ln;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &attr), &idx) == 0
        && dwarf_diecu(inl, &cu, NULL, NULL) && dwarf_getsrcfiles(&cu, &files, NULL) == 0)
        *file = intern_path(s, dwarf_filesrc(files, idx, NULL, NULL),
                            dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &attr)));
}

/* Opens m's file as ELF, with its debug information, at base 0.  A file that cannot be read as ELF
 * leaves dwfl NULL, and is not retried. */
static void open_module(struct module *m)
{
    m->opened = 1;
    struct stat st;
    if (stat(m->path, &st) != 0 || !S_ISREG(st.st_mode)) /* also keeps us from blocking on a FIFO */
        return;
    m->dwfl = dwfl_begin(&offline_callbacks);
    if (!m->dwfl)
        return;
    dwfl_report_begin(m->dwfl);
    /* ET_DYN is placed at its link-time addresses (bias 0); ET_EXEC ignores the base anyway. */
    m->mod = dwfl_report_elf(m->dwfl, m->path, m->path, -1, 0, true);
    if (dwfl_report_end(m->dwfl, NULL, NULL) != 0 || !m->mod || !dwfl_module_getelf(m->mod, &m->bias)) {
        dwfl_end(m->dwfl);
        m->dwfl = NULL;
        m->mod = NULL;
    }
}

/* An address looked up in the symbol cache, and the entry made of its frames (symbol_cache_lookup's
 * callback). */
struct cached_address {
    struct symbolizer *s;
    const struct module *m;
    uint64_t rel;
    struct entry *e;
};

static int add_entry(struct symbolizer *s, struct entry *e);

static void take_cached(void *arg, const struct symbol_frame *frames, int n)
{
    struct cached_address *ca = arg;
    struct entry *e = malloc(sizeof *e + (size_t)n * sizeof frames[0]);
    if (!e)
        return;
    *e = (struct entry){.module = ca->m, .rel = ca->rel, .cached = 1, .n = n};
    for (int i = 0; i < n; i++)
        e->frames[i] = (struct symbol_frame){intern(ca->s, frames[i].function), intern(ca->s, frames[i].file),
                                             frames[i].line, frames[i].inlined};
    if (add_entry(ca->s, e) != 0)
        free(e);
    else
        ca->e = e;
}

/* Returns the module record for path, created on first use with its identity in the symbol cache; the
 * file itself is opened only for an address the cache does not hold.  NULL only when out of memory. */
static struct module *get_module(struct symbolizer *s, const char *path)
{
    uint64_t h = hash_str(path);
    struct module *m = table_find(&s->modules, h, eq_module, path);
    if (m)
        return m;
    m = calloc(1, sizeof *m);
    if (!m || !(m->path = strdup(path)) || table_add(&s->modules, h, m) < 0) {
        if (m)
            free(m->path);
        free(m);
        return NULL;
    }
    char key[PATH_MAX + 128];
    if (s->cache && symbol_cache_key(path, key, sizeof key) == 0 && (m->cache_key = strdup(key)))
        m->cache_object = symbol_cache_object(s->cache, key, &m->cache_used_recently);
    return m;
}

/* Descends from parent towards pc, appending each subprogram / inlined_subroutine containing pc to chain
 * (outermost first). Containers without addresses (namespaces, classes, imported units) are searched
 * through; DIEs with addresses are entered only when they contain pc. This is our own walk rather than
 * dwarf_getscopes, which fails on GCC LTO output (abstract origins in another CU). Returns 1 when found. */
static int find_scopes(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *chain, int *n, int depth)
{
    Dwarf_Die child, imported;
    Dwarf_Attribute attr;
    if (depth > 256 || dwarf_child(parent, &child) != 0)
        return 0;
    do {
        int tag = dwarf_tag(&child);
        switch (tag) {
        case DW_TAG_imported_unit:
            if (dwarf_formref_die(dwarf_attr(&child, DW_AT_import, &attr), &imported)
                && find_scopes(&imported, pc, chain, n, depth + 1))
                return 1;
            break;
        case DW_TAG_namespace:
        case DW_TAG_module:
        case DW_TAG_class_type:
        case DW_TAG_structure_type:
        case DW_TAG_union_type:
            if (find_scopes(&child, pc, chain, n, depth + 1))
                return 1;
            break;
        case DW_TAG_subprogram:
        case DW_TAG_inlined_subroutine:
        case DW_TAG_entry_point:
        case DW_TAG_lexical_block:
        case DW_TAG_try_block:
        case DW_TAG_catch_block:
        case DW_TAG_with_stmt:
            if (dwarf_haspc(&child, pc) != 1)
                break;
            if ((tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_entry_point)
                && *n < MAX_CHAIN)
                chain[(*n)++] = child;
            find_scopes(&child, pc, chain, n, depth + 1);
            return 1;
        default:
            break;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return 0;
}

/* Computes the frame chain for link-time call-site address pc in module m into f (MAX_CHAIN slots):
 * inlined_subroutine DIEs from the innermost outwards, then the containing real function. */
static int compute_frames(struct symbolizer *s, struct module *m, Dwarf_Addr pc, struct symbol_frame *f)
{
    memset(f, 0, sizeof *f);
    if (!m->opened)
        open_module(m);
    if (!m->mod)
        return 1;
    pc += m->bias;

    /* Location inside the innermost frame: the line table row covering the call instruction. */
    const char *file = NULL;
    int line = 0;
    Dwfl_Line *dl = dwfl_module_getsrc(m->mod, pc);
    if (dl)
        file = intern_path(s, dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL), dwfl_line_comp_dir(dl));

    /* The concrete DIEs containing pc; with split DWARF they live in the .dwo unit, not the skeleton. */
    Dwarf_Die chain[MAX_CHAIN], *real = NULL;
    int nchain = 0, n = 0;
    Dwarf_Addr cubias;
    Dwarf_Die *cudie = dwfl_module_addrdie(m->mod, pc, &cubias);
    if (cudie) {
        Dwarf_Die root = *cudie, sub = {0};
        uint8_t unit_type = 0;
        if (dwarf_cu_info(cudie->cu, NULL, &unit_type, NULL, &sub, NULL, NULL, NULL) == 0
            && unit_type == DW_UT_skeleton && sub.addr)
            root = sub;
        find_scopes(&root, pc - cubias, chain, &nchain, 0);
    }
    for (int i = nchain - 1; i >= 0 && !real; i--) {
        if (dwarf_tag(&chain[i]) != DW_TAG_inlined_subroutine) {
            real = &chain[i];
        } else if (n < MAX_CHAIN - 1) {
            f[n] = (struct symbol_frame){die_function_name(s, &chain[i]), file, line, 1};
            n++;
            call_site(s, &chain[i], &file, &line);
        }
    }

    /* The real function: the ELF symbol (exact linkage name) unless it is a GCC clone of a C function
     * ("foo.constprop.0", "foo.cold"), where the DIE's plain name reads better. */
    const char *name = NULL;
    if (!m->symbols_read)
        m->symbols_read = symbol_index_build(&m->symbols, m->mod) == 0;
    const char *symname = symbol_index_lookup(&m->symbols, pc);
    if (symname && !(real && strncmp(symname, "_Z", 2) != 0 && strchr(symname, '.')))
        name = symbolize_demangle(s, symname);
    if (!name && real)
        name = die_function_name(s, real);
    if (!name && symname)
        name = symbolize_demangle(s, symname);
    f[n] = (struct symbol_frame){name, file, line, 0};
    return n + 1;
}

struct symbolizer *symbolizer_new(void)
{
    /* Everything is loaded lazily by symbolizer_resolve; elf_version is set up by libdwfl itself. */
    return calloc(1, sizeof(struct symbolizer));
}

/* Releases one module: its Dwfl (with the ELF, DWARF and any debuginfo files it opened) and path. */
static void free_module(void *p)
{
    struct module *m = p;
    symbol_index_free(&m->symbols);
    if (m->dwfl)
        dwfl_end(m->dwfl);
    free(m->cache_key);
    free(m->path);
    free(m);
}

void symbolizer_free(struct symbolizer *s)
{
    /* Frames point into the strings table, so it all goes together. */
    if (!s)
        return;
    table_clear(&s->entries, free);
    table_clear(&s->modules, free_module);
    table_clear(&s->strings, free);
    symbol_cache_close(s->cache);
    free(s->unsaved);
    free(s);
}

/* Adds an entry not yet present; -1 when out of memory. */
static int add_entry(struct symbolizer *s, struct entry *e)
{
    return table_add(&s->entries, hash_entry(e->module, e->rel), e);
}

int symbolizer_use_cache(struct symbolizer *s, const char *dir)
{
    /* Modules met before this call have no cache key, and stay out of the cache. */
    if (s && !s->cache)
        s->cache = symbol_cache_open(dir);
    return s && s->cache ? 0 : -1;
}

/* Whether entry e holds answers the cache should keep: resolved in this run, not read from the cache,
 * of an object the cache knows by a key (an object that could not be opened gave unknown frames, which
 * are not its answers). */
static int worth_storing(const struct entry *e)
{
    return e && !e->cached && e->module->cache_key && e->module->mod;
}

/* Lists entry e, just resolved, for the next save when it is worth storing. */
static void note_unsaved(struct symbolizer *s, struct entry *e)
{
    if (!s->cache || !worth_storing(e))
        return;
    struct entry **slot = array_push((void **)&s->unsaved, &s->n_unsaved, &s->cap_unsaved, sizeof *slot);
    if (slot)
        *slot = e;
    else
        s->unsaved_lost = 1;
}

/* Whether saving would write anything: a new answer, or an object not marked used within a day. */
static int anything_to_save(const struct symbolizer *s)
{
    for (size_t i = 0; i < s->modules.cap; i++) {
        const struct module *m = s->modules.items[i];
        if (m && m->cache_key && !m->cache_used_recently)
            return 1;
    }
    return s->n_unsaved > 0 || s->unsaved_lost;
}

/* Stores entry e in the open transaction unless it is there already; 0, or -1 on an error. */
static int save_entry(struct symbolizer *s, struct entry *e)
{
    if (!worth_storing(e))
        return 0;
    int rc = symbol_cache_put(s->cache, e->module->cache_key, e->rel, e->frames, e->n);
    e->cached = rc == 0;
    return rc;
}

size_t symbolizer_unsaved(const struct symbolizer *s)
{
    return s && s->cache ? s->n_unsaved : 0;
}

int symbolizer_save(struct symbolizer *s)
{
    /* One transaction: every module with a key is marked used, and each address resolved since the last
     * save is stored.  A run that found everything in the cache, as CI's runs of the same programs do,
     * writes nothing. */
    if (!s || !s->cache)
        return -1;
    if (!anything_to_save(s))
        return 0;
    if (symbol_cache_begin(s->cache) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < s->modules.cap && rc == 0; i++) {
        const struct module *m = s->modules.items[i];
        if (m && m->cache_key)
            rc = symbol_cache_touch(s->cache, m->cache_key);
    }
    if (s->unsaved_lost)
        for (size_t i = 0; i < s->entries.cap && rc == 0; i++)
            rc = save_entry(s, s->entries.items[i]);
    else
        for (size_t i = 0; i < s->n_unsaved && rc == 0; i++)
            rc = save_entry(s, s->unsaved[i]);
    s->n_unsaved = 0;
    s->unsaved_lost = 0;
    if (rc != 0) {
        symbol_cache_close(s->cache); /* rolls back */
        s->cache = NULL;
        return -1;
    }
    if (symbol_cache_commit(s->cache) != 0)
        return -1;
    for (size_t i = 0; i < s->modules.cap; i++) { /* marked: a later save need not mark them again */
        struct module *m = s->modules.items[i];
        if (m && m->cache_key)
            m->cache_used_recently = 1;
    }
    return 0;
}

const char *symbolizer_data_symbol(struct symbolizer *s, const char *path, uint64_t base, uint64_t address,
                                   uint64_t *offset)
{
    struct module *m = s && path ? get_module(s, path) : NULL;
    if (!m)
        return NULL;
    if (!m->opened)
        open_module(m);
    if (!m->mod)
        return NULL;
    if (!m->symbols_read)
        m->symbols_read = symbol_index_build(&m->symbols, m->mod) == 0;
    uint64_t at = address - base + m->bias, start = 0;
    const char *name = symbol_index_covering(&m->symbols, at, &start);
    if (!name)
        return NULL;
    *offset = at - start;
    return symbolize_demangle(s, name);
}

int symbolizer_resolve(struct symbolizer *s, const char *path, uint64_t base, uint64_t address,
                       struct symbol_frame *out, int max)
{
    /* Look up (module, address - base) in the cache; on a miss compute the chain once and keep it. */
    if (max < 1)
        return 0;
    memset(out, 0, sizeof *out);
    if (!s || !path)
        return 1;
    struct module *m = get_module(s, path);
    if (!m)
        return 1;
    struct entry key = {.module = m, .rel = address - base};
    uint64_t h = hash_entry(m, key.rel);
    struct entry *e = table_find(&s->entries, h, eq_entry, &key);
    if (!e && m->cache_object) {
        struct cached_address ca = {s, m, key.rel, NULL};
        if (symbol_cache_lookup(s->cache, m->cache_object, key.rel, take_cached, &ca) > 0)
            e = ca.e;
    }
    if (!e) {
        struct symbol_frame frames[MAX_CHAIN];
        int n = 1;
        memset(frames, 0, sizeof *frames);
        if (key.rel) /* 0 cannot be a return address; leave it unknown rather than wrap around */
            n = compute_frames(s, m, key.rel - 1, frames);
        e = malloc(sizeof *e + (size_t)n * sizeof frames[0]);
        if (!e) {
            *out = frames[n - 1];
            return 1;
        }
        *e = key;
        e->n = n;
        memcpy(e->frames, frames, (size_t)n * sizeof frames[0]);
        if (add_entry(s, e) < 0) {
            int k = n < max ? n : max;
            memcpy(out, e->frames, (size_t)k * sizeof *out);
            free(e);
            return k;
        }
        note_unsaved(s, e);
    }
    int k = e->n < max ? e->n : max;
    memcpy(out, e->frames, (size_t)k * sizeof *out);
    return k;
}
