/*
 * objects.h - the objects table of a trace being written: each object file
 * (path, build id) stored once, however many processes and mappings load it,
 * so that frames and modules name it by a small integer.
 */
#ifndef MEMTRACK_TRACE_OBJECTS_H
#define MEMTRACK_TRACE_OBJECTS_H

#include <sqlite3.h>

struct object_table {
    sqlite3 *db;
    sqlite3_stmt *find, *insert;
};

/* Prepares its statements; 0, or -1 with the reason in sqlite3_errmsg(db). */
int object_table_open(struct object_table *table, sqlite3 *db);
/* The objects.id of (PATH, BUILD_ID), inserting its row the first time; -1 on failure. */
sqlite3_int64 object_table_id(struct object_table *table, const char *path, const char *build_id);
void object_table_close(struct object_table *table);

#endif
