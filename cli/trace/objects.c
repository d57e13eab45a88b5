/*
 * objects.c - the objects table of a trace being written (objects.h).  A run
 * loads a few dozen objects, so a list searched in order is enough.
 */
#include "trace/objects.h"

#include <stdlib.h>
#include <string.h>
#include "array_push.h"

/* Prepares the one statement the table needs. */
int object_table_open(struct object_table *table, sqlite3 *db)
{
    *table = (struct object_table){.db = db};
    return sqlite3_prepare_v3(db, "INSERT INTO objects(path, build_id) VALUES (?,?)", -1,
                              SQLITE_PREPARE_PERSISTENT, &table->insert, NULL) == SQLITE_OK ? 0 : -1;
}

/* Whether two optional strings are equal (both NULL counts as equal). */
static int same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Stores a new objects row and remembers it; its id, or -1. */
static sqlite3_int64 insert_object(struct object_table *table, const char *path, const char *build_id)
{
    struct object_row *row = array_push((void **)&table->rows, &table->count, &table->capacity, sizeof *row);
    if (!row)
        return -1;
    *row = (struct object_row){.path = strdup(path), .build_id = build_id ? strdup(build_id) : NULL};
    sqlite3_bind_text(table->insert, 1, path, -1, SQLITE_STATIC);
    if (build_id)
        sqlite3_bind_text(table->insert, 2, build_id, -1, SQLITE_STATIC);
    int stored = sqlite3_step(table->insert) == SQLITE_DONE;
    sqlite3_reset(table->insert);
    sqlite3_clear_bindings(table->insert);
    if (!stored || !row->path || (build_id && !row->build_id)) {
        free(row->path);
        free(row->build_id);
        table->count--;
        return -1;
    }
    row->id = sqlite3_last_insert_rowid(table->db);
    return row->id;
}

/* Finds the object among those stored, or stores it. */
sqlite3_int64 object_table_id(struct object_table *table, const char *path, const char *build_id)
{
    for (size_t i = 0; i < table->count; i++)
        if (strcmp(table->rows[i].path, path) == 0 && same_text(table->rows[i].build_id, build_id))
            return table->rows[i].id;
    return insert_object(table, path, build_id);
}

/* Drops the rows after the first KEEP, which the trace no longer holds. */
void object_table_forget(struct object_table *table, size_t keep)
{
    while (table->count > keep) {
        table->count--;
        free(table->rows[table->count].path);
        free(table->rows[table->count].build_id);
    }
}

/* Frees the list and the statement. */
void object_table_close(struct object_table *table)
{
    object_table_forget(table, 0);
    free(table->rows);
    sqlite3_finalize(table->insert);
}
