/* symbol_cache.h - resolved addresses kept between runs, per object file, in one SQLite file.
 *
 * CI runs the same compilers and test binaries hundreds of times; each run used to open their ELF and
 * DWARF again and resolve the same addresses.  The cache keeps every address's frames under the object's
 * identity (its GNU build-id, or for a file without one its path, size and modification time), so a later
 * run resolves them without opening the object at all.  It lives in $XDG_CACHE_HOME/memtrack (else
 * ~/.cache/memtrack), is shared by runs that overlap (SQLite's locking; a run that cannot get the lock in
 * time goes on without the cache), and is kept under a size limit by dropping the objects used least
 * recently.  Every failure only means the cache is not used: symbolization never depends on it. */
#ifndef MEMTRACK_SYMBOL_CACHE_H
#define MEMTRACK_SYMBOL_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include "symbolize/symbolize.h"

struct symbol_cache;

/* Opens (creating it) the cache file in dir, or in the default directory when dir is NULL.  NULL when it
 * cannot be used; the reason is not printed, as the run goes on the same without it. */
struct symbol_cache *symbol_cache_open(const char *dir);
void symbol_cache_close(struct symbol_cache *c);

/* Writes the identity of the object at path into key (size bytes): "build-id:HEX+SOURCES" (SOURCES says
 * where its debug information would come from: the file itself, a build-id debug file, a debuglink file),
 * or "file:SIZE:MTIME:PATH" for an object without a build-id.  Returns 0, or -1 when the file cannot be
 * read. */
int symbol_cache_key(const char *path, char *key, size_t size);

/* The cache's id for the object with this key, or 0 when it holds nothing of it; *used_recently says
 * whether a run marked it used within the last day (a run that stores nothing new then writes nothing: the
 * least-recently-used order needs no finer clock, and a write costs each run a transaction and a sync of
 * the file when the last connection closes). */
int64_t symbol_cache_object(struct symbol_cache *c, const char *key, int *used_recently);

/* Looks up one address (relative to its object) of object: calls fn with its frames, innermost first, whose
 * strings live only during the call.  1 when the cache holds it, 0 when not, -1 on an error.  One indexed
 * lookup per address: an object's cached addresses grow with every program that loads it (libc's, in a CI
 * running many programs), so a run does not read them all. */
int symbol_cache_lookup(struct symbol_cache *c, int64_t object, uint64_t rel,
                        void (*fn)(void *arg, const struct symbol_frame *frames, int n), void *arg);

/* Stores addresses resolved in this run, in one transaction: symbol_cache_begin, any number of
 * symbol_cache_put and symbol_cache_touch (an object whose cached addresses this run used: it is kept the
 * longest), then symbol_cache_commit, which trims the cache to its limit, least recently used objects
 * first.  An address already stored keeps its row. */
int symbol_cache_begin(struct symbol_cache *c);
int symbol_cache_touch(struct symbol_cache *c, const char *key);
int symbol_cache_put(struct symbol_cache *c, const char *key, uint64_t rel, const struct symbol_frame *frames,
                     int n);
int symbol_cache_commit(struct symbol_cache *c);

/* The size limit in bytes (MEMTRACK_SYMBOL_CACHE_MB, default 256 MiB), for tests and docs. */
uint64_t symbol_cache_limit(void);

#endif
