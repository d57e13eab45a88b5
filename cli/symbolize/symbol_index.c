/* symbol_index.c - see symbol_index.h.
 *
 * Invariants of the sorted array: entries are ordered by start; reach[i] is the largest end of the sized
 * entries 0..i (0 when none), so it never decreases.  A sized symbol containing addr can only sit at or
 * before the last entry starting at or below addr, and no earlier than where reach falls to addr or
 * below: the backward scan stops there, after a step or two on real tables (symbols rarely nest). */
#include "symbolize/symbol_index.h"

#include <gelf.h>
#include <stdlib.h>

struct indexed_symbol {
    uint64_t start;
    uint64_t end;   /* start + size; equal to start for a sizeless symbol */
    uint64_t reach; /* see the invariants above */
    uint64_t label_end; /* a sizeless symbol names no address from here on (its section's end) */
    const char *name;
    int binding;    /* higher is preferred: global 3, weak 2, local 1, other 0 (as libdw ranks them) */
    int order;      /* index in the module's tables: of two otherwise equal symbols the first is named */
};

/* Ranks a symbol's binding as libdw does when two candidates tie. */
static int binding_rank(const GElf_Sym *sym)
{
    switch (GELF_ST_BIND(sym->st_info)) {
    case STB_GLOBAL:
        return 3;
    case STB_WEAK:
        return 2;
    case STB_LOCAL:
        return 1;
    default:
        return 0;
    }
}

/* The address ranges of a module's allocated sections, sorted; a label's reach is bounded by them. */
struct sections {
    uint64_t (*range)[2];
    size_t count;
};

static int by_first(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Reads the module's allocated, non-TLS sections (in module addresses); an empty list when unreadable. */
static struct sections read_sections(Dwfl_Module *mod)
{
    struct sections out = {0};
    Dwarf_Addr bias;
    Elf *elf = dwfl_module_getelf(mod, &bias);
    size_t n;
    if (!elf || elf_getshdrnum(elf, &n) != 0 || !(out.range = malloc(n * sizeof *out.range)))
        return out;
    for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) && (shdr.sh_flags & SHF_ALLOC) && !(shdr.sh_flags & SHF_TLS) && shdr.sh_size) {
            out.range[out.count][0] = shdr.sh_addr + bias;
            out.range[out.count][1] = shdr.sh_addr + bias + shdr.sh_size;
            out.count++;
        }
    }
    qsort(out.range, out.count, sizeof *out.range, by_first);
    return out;
}

/* The first address past those a label at value may name, as libdw's same_section decides: the end of
 * the section holding value; a label in no section, or an absolute one, names only its own address.
 * (The label's start bounds them from below.) */
static uint64_t label_end(const struct sections *secs, uint64_t value, GElf_Word shndx)
{
    if (shndx >= SHN_LORESERVE && shndx != SHN_XINDEX)
        return value + 1;
    for (size_t i = 0; i < secs->count && secs->range[i][0] <= value; i++)
        if (value < secs->range[i][1])
            return secs->range[i][1];
    return value + 1;
}

static int by_start(const void *a, const void *b)
{
    const struct indexed_symbol *x = a, *y = b;
    if (x->start != y->start)
        return (x->start > y->start) - (x->start < y->start);
    return (x->order > y->order) - (x->order < y->order);
}

int symbol_index_build(struct symbol_index *ix, Dwfl_Module *mod)
{
    /* Keeps what dwfl_module_addrinfo would consider: named, defined, and not a section, file or TLS
     * symbol (a TLS symbol's value is an offset, not an address). */
    *ix = (struct symbol_index){0};
    int total = dwfl_module_getsymtab(mod);
    if (total <= 0)
        return 0;
    ix->symbols = malloc((size_t)total * sizeof *ix->symbols);
    if (!ix->symbols)
        return -1;
    struct sections secs = read_sections(mod);
    for (int i = 0; i < total; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info);
        if (!name || !name[0] || sym.st_shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE
            || type == STT_TLS)
            continue;
        ix->symbols[ix->count++] = (struct indexed_symbol){
            .start = addr,
            .end = addr + sym.st_size,
            .label_end = sym.st_size ? 0 : label_end(&secs, addr, shndx),
            .name = name,
            .binding = binding_rank(&sym),
            .order = i,
        };
    }
    free(secs.range);
    qsort(ix->symbols, ix->count, sizeof *ix->symbols, by_start);
    uint64_t reach = 0;
    for (size_t i = 0; i < ix->count; i++) {
        struct indexed_symbol *s = &ix->symbols[i];
        if (s->end > s->start && s->end > reach)
            reach = s->end;
        s->reach = reach;
    }
    return 0;
}

/* Whether sized symbol a is a better answer than b (NULL), both containing the address: the closer start,
 * then at one start the stronger binding, then the smaller size, then the first in the tables. */
static int better_sized(const struct indexed_symbol *a, const struct indexed_symbol *b)
{
    if (!b || a->start != b->start)
        return !b || a->start > b->start;
    if (a->binding != b->binding)
        return a->binding > b->binding;
    if (a->end - a->start != b->end - b->start)
        return a->end - a->start < b->end - b->start;
    return a->order < b->order;
}

/* How many entries start at or below addr (binary search). */
static size_t starting_at_or_below(const struct symbol_index *ix, uint64_t addr)
{
    size_t lo = 0, hi = ix->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->symbols[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const char *symbol_index_covering(const struct symbol_index *ix, uint64_t addr, uint64_t *start)
{
    size_t lo = starting_at_or_below(ix, addr);
    const struct indexed_symbol *best = NULL;
    for (size_t j = lo; j-- > 0 && ix->symbols[j].reach > addr;) {
        const struct indexed_symbol *s = &ix->symbols[j];
        if (s->end > addr && (!best || s->binding > best->binding || (s->binding == best->binding && better_sized(s, best))))
            best = s;
    }
    if (best)
        *start = best->start;
    return best ? best->name : NULL;
}

/* Whether sizeless symbol a, at the same start as b, is the one libdw keeps: it takes the last eligible
 * one in its search order, globals first and then locals; but a global label exactly at the address ends
 * the search before the locals. */
static int better_sizeless(const struct indexed_symbol *a, const struct indexed_symbol *b, uint64_t addr)
{
    if (!b)
        return 1;
    int a_global = a->binding != 1, b_global = b->binding != 1;
    if (a_global != b_global)
        return a->start == addr ? a_global : !a_global;
    return a->order > b->order;
}

/* Whether s is a sizeless symbol that could name addr: one in the section addr lies in. */
static int is_label_for(const struct indexed_symbol *s, uint64_t addr)
{
    return s->end == s->start && addr < s->label_end;
}

const char *symbol_index_lookup(const struct symbol_index *ix, uint64_t addr)
{
    /* libdw searches the global symbols first and the locals only when no global one contains addr, so
     * a global symbol wins over a closer local one (an inner local label of a global function). */
    size_t lo = starting_at_or_below(ix, addr);
    if (lo == 0)
        return NULL;
    size_t last = lo - 1;
    const struct indexed_symbol *global = NULL, *local = NULL;
    for (size_t j = last + 1; j-- > 0 && ix->symbols[j].reach > addr;) {
        const struct indexed_symbol *s = &ix->symbols[j];
        if (global && s->start < global->start)
            break;
        if (s->end <= addr)
            continue;
        const struct indexed_symbol **best = s->binding != 1 ? &global : &local;
        if (better_sized(s, *best))
            *best = s;
    }
    if (global)
        return global->name;
    /* A global label exactly at addr ends libdw's search before the locals. */
    const struct indexed_symbol *label = NULL;
    uint64_t start = ix->symbols[last].start;
    for (size_t j = last + 1; start == addr && j-- > 0 && ix->symbols[j].start == start;)
        if (is_label_for(&ix->symbols[j], addr) && ix->symbols[j].binding != 1
            && better_sizeless(&ix->symbols[j], label, addr))
            label = &ix->symbols[j];
    if (label || local)
        return label ? label->name : local->name;
    /* No sized symbol contains addr: a sizeless one (an assembly label) at the closest start below it,
     * unless a sized symbol ends past that start (addr then lies in padding, not in the label's code). */
    if (start < ix->symbols[last].reach)
        return NULL;
    for (size_t j = last + 1; j-- > 0 && ix->symbols[j].start == start;)
        if (is_label_for(&ix->symbols[j], addr) && better_sizeless(&ix->symbols[j], label, addr))
            label = &ix->symbols[j];
    return label ? label->name : NULL;
}

void symbol_index_free(struct symbol_index *ix)
{
    free(ix->symbols);
    *ix = (struct symbol_index){0};
}
