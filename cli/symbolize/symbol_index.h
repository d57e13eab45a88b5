/* symbol_index.h - a module's ELF symbols, sorted once, looked up by binary search.
 *
 * libdw's dwfl_module_addrinfo scans a module's whole symbol table for every address it is asked about:
 * on libLLVM (about 45,000 symbols) that scan was most of `memtrack run -- clang --version`.  The index
 * reads the same tables (the .symtab of the file or its debug file, the .gnu_debugdata mini table and
 * .dynsym, as dwfl_module_getsym_info enumerates them) once, and answers with the same choice. */
#ifndef MEMTRACK_SYMBOL_INDEX_H
#define MEMTRACK_SYMBOL_INDEX_H

#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdint.h>

struct indexed_symbol;

struct symbol_index {
    struct indexed_symbol *symbols; /* sorted by start address */
    size_t count;
};

/* Reads mod's symbol tables into ix.  Names point into the module's ELF data, so the index must not
 * outlive the Dwfl that holds mod.  Returns 0, or -1 when out of memory (ix is then empty). */
int symbol_index_build(struct symbol_index *ix, Dwfl_Module *mod);

/* Names the symbol dwfl_module_addrinfo would give for the module address addr: of the sized symbols
 * containing it, the one starting closest below it (at one start, the stronger binding, then the smaller
 * size); failing that, the closest sizeless symbol (an assembly label) that no sized symbol's end passes.
 * NULL when none. */
const char *symbol_index_lookup(const struct symbol_index *ix, uint64_t addr);

/* Names the sized symbol covering the module address addr (a variable, for an address in data), *start
 * its first address: of several, a global one before a local, then the one starting closest below addr.
 * NULL when none covers it. */
const char *symbol_index_covering(const struct symbol_index *ix, uint64_t addr, uint64_t *start);

void symbol_index_free(struct symbol_index *ix);

#endif
