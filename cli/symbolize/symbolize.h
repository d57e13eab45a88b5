/* symbolize.h - turns return addresses into functions, files and lines with elfutils libdw. */
#ifndef MEMTRACK_SYMBOLIZE_H
#define MEMTRACK_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct symbolizer;

struct symbol_frame {
    const char *function;   /* demangled C++ name (with parameter list as __cxa_demangle gives it), or C name; NULL when unknown. Owned by the symbolizer. */
    const char *file;       /* absolute source path when DWARF has it (join comp_dir + name when relative), else NULL */
    int line;               /* 0 when unknown */
    int inlined;            /* 1 for a frame that was inlined into the next frame of the array */
};

/* Not thread-safe: use one symbolizer per thread, or lock around it. */
struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);

/* Resolve a *return address* `address` recorded in a process where the ELF object at `path` was loaded with
 * load bias `base` (dl_iterate_phdr's dlpi_addr: 0 for a non-PIE executable). The call site is address-1.
 * Writes up to `max` frames into `out`, innermost first: the inlined frames (deepest inline first, each with
 * the file:line inside it), then the real function containing the call with the file:line of the call.
 * Returns the number of frames written, always >= 1 (one frame with function NULL when nothing is known,
 * e.g. the file is missing or unreadable); 0 only when max < 1. Never crashes on missing/corrupt files.
 * Results are cached per (path, address - base), so calling it for the same module-relative address from
 * different processes (different bases) is cheap. Strings stay valid until symbolizer_free. */
int symbolizer_resolve(struct symbolizer *s, const char *path, uint64_t base, uint64_t address,
                       struct symbol_frame *out, int max);

/* Names the variable (the sized ELF symbol) covering `address` in the object at `path` loaded with bias
 * `base`, as memcheck names the target of an invalid free ("0 bytes inside data symbol \"global_int\""):
 * *offset gets the bytes from its start.  NULL when no symbol covers it.  The string stays valid until
 * symbolizer_free. */
const char *symbolizer_data_symbol(struct symbolizer *s, const char *path, uint64_t base, uint64_t address,
                                   uint64_t *offset);

/* Keeps resolved addresses between runs in the symbol cache in dir (NULL: $XDG_CACHE_HOME/memtrack, else
 * ~/.cache/memtrack; see symbol_cache.h): an object's cached addresses are read when its first address is
 * asked for, before any file is opened.  Call before the first symbolizer_resolve.  Returns 0, or -1 when
 * the cache cannot be used (the symbolizer works the same without it). */
int symbolizer_use_cache(struct symbolizer *s, const char *dir);

/* Stores the addresses resolved since the last save (or since the cache was read), in one transaction.
 * 0, or -1 when they could not be stored (another run holding the cache too long, a full disk): the cache
 * is then left alone for the rest of the run, and nothing else is affected. */
int symbolizer_save(struct symbolizer *s);

/* How many addresses resolved since the last save symbolizer_save would store (0 without a cache). */
size_t symbolizer_unsaved(const struct symbolizer *s);

/* Demangle a C++ symbol name (an ELF "@VERSION" suffix is dropped first). Returns the demangled name, or
 * the name unchanged when it is not mangled; NULL only for NULL. Owned by the symbolizer. */
const char *symbolize_demangle(struct symbolizer *s, const char *name);

#endif
