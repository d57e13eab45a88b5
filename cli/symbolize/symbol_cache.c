/* symbol_cache.c - see symbol_cache.h.
 *
 * The file is a SQLite database in WAL mode (a run reading it does not wait for one writing), with two
 * tables: objects (key, when last used) and frames (one row per frame of each resolved address, the
 * primary key keeping an address's frames together and in order).  user_version names the layout; a file
 * of another layout is left alone and not used. */
#include "symbolize/symbol_cache.h"

#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CACHE_LAYOUT 1
#define BUSY_WAIT_MS 2000                /* a run that overlaps another's write waits this long at most */
#define DEFAULT_LIMIT_MB 256
#define TOUCH_INTERVAL_S (24 * 3600) /* an object's `used` is rewritten at most once a day */

struct symbol_cache {
    sqlite3 *db;
    sqlite3_stmt *find_object, *add_object, *touch_object, *lookup, *put;
    int in_transaction;
    int reading;        /* a read transaction is open for the lookups (see symbol_cache_lookup) */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS objects(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, used INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS frames(object INTEGER NOT NULL, rel INTEGER NOT NULL, depth INTEGER NOT NULL,"
    " function TEXT, file TEXT, line INTEGER NOT NULL, inlined INTEGER NOT NULL,"
    " PRIMARY KEY(object, rel, depth)) WITHOUT ROWID;";

uint64_t symbol_cache_limit(void)
{
    const char *mb = getenv("MEMTRACK_SYMBOL_CACHE_MB");
    char *end;
    unsigned long long v = mb && *mb ? strtoull(mb, &end, 10) : 0;
    return (mb && *mb && !*end && v ? v : DEFAULT_LIMIT_MB) * 1024 * 1024;
}

/* Creates dir and its missing parents (mode 0700: the cache names the programs a user runs). */
static int make_dirs(const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return -1;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* The default cache directory: $XDG_CACHE_HOME/memtrack, else $HOME/.cache/memtrack; -1 when neither is set. */
static int default_dir(char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n = xdg && xdg[0] == '/' ? snprintf(out, size, "%s/memtrack", xdg)
          : home && home[0] == '/' ? snprintf(out, size, "%s/.cache/memtrack", home) : -1;
    return n > 0 && (size_t)n < size ? 0 : -1;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt)
{
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) == SQLITE_OK ? 0 : -1;
}

/* Checks the file's layout, creating the tables in a new file; 0 when the file can be used. */
static int settle_layout(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (version == CACHE_LAYOUT)
        return 0;
    if (version != 0)
        return -1;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", CACHE_LAYOUT);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_exec(db, schema, NULL, NULL, NULL) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    return sqlite3_exec(db, rc ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK && rc ? 0 : -1;
}

struct symbol_cache *symbol_cache_open(const char *dir)
{
    char where[PATH_MAX], file[PATH_MAX];
    if (!dir && default_dir(where, sizeof where) == 0)
        dir = where;
    if (!dir || make_dirs(dir) != 0 || snprintf(file, sizeof file, "%s/symbols.db", dir) >= (int)sizeof file)
        return NULL;
    struct symbol_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (sqlite3_open_v2(file, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL)
        != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(c->db, BUSY_WAIT_MS);
    if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK
        || settle_layout(c->db) != 0
        || prepare(c->db, "SELECT id, used FROM objects WHERE key = ?1", &c->find_object) != 0
        || prepare(c->db, "INSERT INTO objects(key, used) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET used = ?2",
                   &c->add_object) != 0
        || prepare(c->db, "UPDATE objects SET used = ?2 WHERE key = ?1", &c->touch_object) != 0
        || prepare(c->db, "SELECT function, file, line, inlined FROM frames WHERE object = ?1 AND rel = ?2"
                          " ORDER BY depth", &c->lookup) != 0
        || prepare(c->db, "INSERT OR IGNORE INTO frames VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", &c->put) != 0)
        goto fail;
    return c;
fail:
    symbol_cache_close(c);
    return NULL;
}

/* Ends the lookups' read transaction, if one is open. */
static void end_reading(struct symbol_cache *c)
{
    if (c->reading)
        sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    c->reading = 0;
}

void symbol_cache_close(struct symbol_cache *c)
{
    if (!c)
        return;
    end_reading(c);
    if (c->in_transaction)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(c->find_object);
    sqlite3_finalize(c->add_object);
    sqlite3_finalize(c->touch_object);
    sqlite3_finalize(c->lookup);
    sqlite3_finalize(c->put);
    sqlite3_close(c->db);
    free(c);
}

/* Where the object's debug information would come from, as letters for the key: 'd' when the file itself
 * has DWARF, 'b' for a debug file under /usr/lib/debug/.build-id, 'l' for the file its .gnu_debuglink names
 * beside it, in its .debug directory or under /usr/lib/debug.  The same build-id can be a stripped copy or
 * the unstripped build, and a debug file can be installed later: either changes the answers, and so the key. */
static void debug_sources(Elf *elf, const char *path, const char *hex, char out[4])
{
    char *o = out, file[PATH_MAX];
    size_t shstrndx;
    int dwarf = 0;
    const char *link = NULL;
    GElf_Word crc;
    if (elf_getshdrstrndx(elf, &shstrndx) == 0)
        for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
            GElf_Shdr shdr;
            const char *name = gelf_getshdr(scn, &shdr) ? elf_strptr(elf, shstrndx, shdr.sh_name) : NULL;
            dwarf |= name && shdr.sh_type != SHT_NOBITS && strcmp(name, ".debug_info") == 0;
        }
    link = dwelf_elf_gnu_debuglink(elf, &crc);
    if (dwarf)
        *o++ = 'd';
    snprintf(file, sizeof file, "/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex[0] ? hex + 2 : "");
    if (hex[0] && access(file, R_OK) == 0)
        *o++ = 'b';
    const char *slash = strrchr(path, '/');
    int dir = slash ? (int)(slash - path) : 0;
    if (link && !strchr(link, '/')) {
        static const char *const places[] = {"%.*s/%s", "%.*s/.debug/%s", "/usr/lib/debug%.*s/%s"};
        for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
            snprintf(file, sizeof file, places[i], dir, path, link);
            if (access(file, R_OK) == 0 && strcmp(file, path) != 0) {
                *o++ = 'l';
                break;
            }
        }
    }
    *o = 0;
}

int symbol_cache_key(const char *path, char *key, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    const void *id = NULL;
    ssize_t len = elf ? dwelf_elf_gnu_build_id(elf, &id) : -1;
    char hex[2 * 64 + 1] = "", sources[4] = "";
    const unsigned char *b = id;
    for (ssize_t i = 0; i < len && i < 64; i++)
        sprintf(hex + 2 * i, "%02x", b[i]);
    if (elf)
        debug_sources(elf, path, hex, sources);
    int n = len > 0 ? snprintf(key, size, "build-id:%s+%s", hex, sources)
                    : snprintf(key, size, "file:%lld:%lld.%09ld:%s", (long long)st.st_size,
                               (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, path);
    if (elf)
        elf_end(elf);
    close(fd);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

/* The object's id for key, or 0 when it has none; *used_recently (when not NULL) says whether it was
 * marked used less than TOUCH_INTERVAL_S ago. */
static sqlite3_int64 object_id(struct symbol_cache *c, const char *key, int *used_recently)
{
    sqlite3_int64 id = 0, used = 0;
    sqlite3_bind_text(c->find_object, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(c->find_object) == SQLITE_ROW) {
        id = sqlite3_column_int64(c->find_object, 0);
        used = sqlite3_column_int64(c->find_object, 1);
    }
    sqlite3_reset(c->find_object);
    if (used_recently)
        *used_recently = id && used > (sqlite3_int64)time(NULL) - TOUCH_INTERVAL_S;
    return id;
}

int64_t symbol_cache_object(struct symbol_cache *c, const char *key, int *used_recently)
{
    return (int64_t)object_id(c, key, used_recently);
}

/* A copy of a text column (a row's text lasts only until the next step); NULL stays NULL. */
static const char *column_copy(sqlite3_stmt *st, int column)
{
    const unsigned char *text = sqlite3_column_text(st, column);
    return text ? strdup((const char *)text) : NULL;
}

int symbol_cache_lookup(struct symbol_cache *c, int64_t object, uint64_t rel,
                        void (*fn)(void *arg, const struct symbol_frame *frames, int n), void *arg)
{
    /* One row per frame, in depth order (the primary key's); the strings are copied, since a row's text
     * lasts only until the next step. */
    struct symbol_frame frames[64];
    int n = 0, rc;
    /* One read transaction for all of a run's lookups: a statement outside one opens and closes its own,
     * with the WAL's locks, which cost more than the indexed read itself. */
    if (!c->reading && !c->in_transaction)
        c->reading = sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_bind_int64(c->lookup, 1, (sqlite3_int64)object);
    sqlite3_bind_int64(c->lookup, 2, (sqlite3_int64)rel);
    while ((rc = sqlite3_step(c->lookup)) == SQLITE_ROW)
        if (n < 64) /* symbolize keeps at most 64 frames an address */
            frames[n++] = (struct symbol_frame){column_copy(c->lookup, 0), column_copy(c->lookup, 1),
                                                sqlite3_column_int(c->lookup, 2), sqlite3_column_int(c->lookup, 3)};
    sqlite3_reset(c->lookup);
    if (n && rc == SQLITE_DONE)
        fn(arg, frames, n);
    for (int i = 0; i < n; i++) {
        free((char *)frames[i].function);
        free((char *)frames[i].file);
    }
    return rc != SQLITE_DONE ? -1 : n > 0;
}

int symbol_cache_begin(struct symbol_cache *c)
{
    end_reading(c);
    if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    c->in_transaction = 1;
    return 0;
}

int symbol_cache_touch(struct symbol_cache *c, const char *key)
{
    sqlite3_bind_text(c->touch_object, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(c->touch_object, 2, (sqlite3_int64)time(NULL));
    int rc = sqlite3_step(c->touch_object);
    sqlite3_reset(c->touch_object);
    return rc == SQLITE_DONE ? 0 : -1;
}

int symbol_cache_put(struct symbol_cache *c, const char *key, uint64_t rel, const struct symbol_frame *frames, int n)
{
    sqlite3_int64 id = object_id(c, key, NULL);
    if (!id) {
        sqlite3_bind_text(c->add_object, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(c->add_object, 2, (sqlite3_int64)time(NULL));
        int rc = sqlite3_step(c->add_object);
        sqlite3_reset(c->add_object);
        if (rc != SQLITE_DONE)
            return -1;
        id = sqlite3_last_insert_rowid(c->db);
    }
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int64(c->put, 1, id);
        sqlite3_bind_int64(c->put, 2, (sqlite3_int64)rel);
        sqlite3_bind_int(c->put, 3, i);
        sqlite3_bind_text(c->put, 4, frames[i].function, -1, SQLITE_STATIC);
        sqlite3_bind_text(c->put, 5, frames[i].file, -1, SQLITE_STATIC);
        sqlite3_bind_int(c->put, 6, frames[i].line);
        sqlite3_bind_int(c->put, 7, frames[i].inlined);
        int rc = sqlite3_step(c->put);
        sqlite3_reset(c->put);
        if (rc != SQLITE_DONE)
            return -1;
    }
    return 0;
}

/* Pages in use (not on the free list), in bytes. */
static uint64_t bytes_in_use(sqlite3 *db)
{
    sqlite3_stmt *st;
    uint64_t bytes = 0;
    if (sqlite3_prepare_v2(db, "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count(),"
                               " pragma_freelist_count(), pragma_page_size()", -1, &st, NULL) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW)
        bytes = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return bytes;
}

/* Once the cache is over its limit, drops the objects used least recently, with their frames, until it
 * is under 3/4 of the limit, keeping the most recent object whatever its size.  Freed pages are reused by
 * later writes, so the file stays about the size of the limit. */
static int trim(struct symbol_cache *c)
{
    uint64_t limit = symbol_cache_limit();
    if (bytes_in_use(c->db) <= limit)
        return 0;
    while (bytes_in_use(c->db) > limit / 4 * 3) {
        if (sqlite3_exec(c->db,
                         "DELETE FROM frames WHERE object = (SELECT id FROM objects ORDER BY used, id LIMIT 1)"
                         " AND (SELECT count(*) FROM objects) > 1;"
                         "DELETE FROM objects WHERE id = (SELECT id FROM objects ORDER BY used, id LIMIT 1)"
                         " AND (SELECT count(*) FROM objects) > 1;",
                         NULL, NULL, NULL) != SQLITE_OK)
            return -1;
        if (sqlite3_changes(c->db) == 0)
            break;
    }
    return 0;
}

int symbol_cache_commit(struct symbol_cache *c)
{
    int ok = trim(c) == 0 && sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    c->in_transaction = 0;
    return ok ? 0 : -1;
}
