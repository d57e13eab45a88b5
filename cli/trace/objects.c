/*
 * objects.c - the objects table of a trace being written (objects.h).
 *
 * The table itself is the only record of what is stored: a run loads a few
 * dozen objects, so looking one up is a scan of a few dozen rows, and a
 * process whose transaction is rolled back takes its new rows with it.
 */
#include "trace/objects.h"

#include <stddef.h>

/* Prepares the two statements the table needs. */
int object_table_open(struct object_table *table, sqlite3 *db)
{
    *table = (struct object_table){.db = db};
    if (sqlite3_prepare_v3(db, "SELECT id FROM objects WHERE path = ?1 AND build_id IS ?2", -1,
                           SQLITE_PREPARE_PERSISTENT, &table->find, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db, "INSERT INTO objects(path, build_id) VALUES (?1, ?2)", -1,
                           SQLITE_PREPARE_PERSISTENT, &table->insert, NULL) != SQLITE_OK)
        return -1;
    return 0;
}

/* Binds (PATH, BUILD_ID) to ST and steps it once: SQLITE_ROW, SQLITE_DONE
 * or an error.  The caller resets ST. */
static int step_with(sqlite3_stmt *st, const char *path, const char *build_id)
{
    sqlite3_clear_bindings(st);
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    if (build_id)
        sqlite3_bind_text(st, 2, build_id, -1, SQLITE_STATIC);
    return sqlite3_step(st);
}

/* Finds the object among those stored, or stores it. */
sqlite3_int64 object_table_id(struct object_table *table, const char *path, const char *build_id)
{
    int rc = step_with(table->find, path, build_id);
    sqlite3_int64 id = rc == SQLITE_ROW ? sqlite3_column_int64(table->find, 0) : rc == SQLITE_DONE ? 0 : -1;
    sqlite3_reset(table->find);
    if (id)
        return id;
    rc = step_with(table->insert, path, build_id);
    id = rc == SQLITE_DONE ? sqlite3_last_insert_rowid(table->db) : -1;
    sqlite3_reset(table->insert);
    return id;
}

void object_table_close(struct object_table *table)
{
    sqlite3_finalize(table->find);
    sqlite3_finalize(table->insert);
}
