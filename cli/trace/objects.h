/*
 * objects.h - the objects table of a trace being written: each object file
 * (path, build id) stored once, however many processes and mappings load it,
 * so that frames and modules name it by a small integer.
 */
#ifndef MEMTRACK_TRACE_OBJECTS_H
#define MEMTRACK_TRACE_OBJECTS_H

#include <sqlite3.h>
#include <stddef.h>

struct object_row {
    char *path, *build_id;
    sqlite3_int64 id;
};

struct object_table {
    sqlite3 *db;
    sqlite3_stmt *insert;
    struct object_row *rows;
    size_t count, capacity;
};

/* Prepares the insert; 0, or -1 with the reason in sqlite3_errmsg(db). */
int object_table_open(struct object_table *table, sqlite3 *db);
/* The objects.id of (PATH, BUILD_ID), inserting its row the first time; -1 on failure. */
sqlite3_int64 object_table_id(struct object_table *table, const char *path, const char *build_id);
/* Forgets all rows but the first KEEP: their transaction was rolled back. */
void object_table_forget(struct object_table *table, size_t keep);
void object_table_close(struct object_table *table);

#endif
