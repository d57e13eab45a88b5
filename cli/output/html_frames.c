/*
 * html_frames.c - interning frames by content (or by name: html_frames.h).
 * The report model copies a frame into every stack that holds it; equal
 * content means the same frame.
 */
#include "output/html_frames.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Mixes LENGTH bytes into an FNV-1a hash. */
static uint64_t hash_bytes(uint64_t hash, const void *bytes, size_t length)
{
    const unsigned char *at = bytes;
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ at[i]) * 0x100000001b3ull;
    return hash;
}

/* A nonzero hash of everything the table tells frames apart by.  Its
 * strings are hashed by address: the report's frame strings are shared, one
 * copy per text, and never freed (model.h), so equal addresses mean equal
 * text, and a big page hashes millions of frames.  Equal text at two
 * addresses (a copy the pool could not take) only gets a second index. */
static uint64_t hash_frame(const struct frame_table *table, const struct report_frame *frame)
{
    bool module_tells = !table->by_name || frame->function == NULL;
    const char *strings[] = {frame->function, frame->file, module_tells ? frame->module : NULL};
    uint64_t hash = 0xcbf29ce484222325ull;
    if (!table->by_name) {
        hash = hash_bytes(hash, &frame->address, sizeof frame->address);
        hash = hash_bytes(hash, &frame->line.present, sizeof frame->line.present);
        hash = hash_bytes(hash, &frame->line.value, sizeof frame->line.value);
    }
    hash = hash_bytes(hash, strings, sizeof strings);
    return hash != 0 ? hash : 1;
}

/* True when both strings are NULL or both equal. */
static bool same_string(const char *left, const char *right)
{
    return left == right || (left != NULL && right != NULL && strcmp(left, right) == 0);
}

/* True when the table takes two frames for one. */
static bool same_frame(const struct frame_table *table, const struct report_frame *left,
                       const struct report_frame *right)
{
    bool same_place = table->by_name || (left->address == right->address && left->line.present == right->line.present &&
                                         left->line.value == right->line.value);
    bool same_module = (table->by_name && left->function != NULL) || same_string(left->module, right->module);
    return same_place && same_module && same_string(left->function, right->function) &&
           same_string(left->file, right->file);
}

/* Starts an empty table, of frames by content or BY_NAME (struct frame_table). */
void frame_table_init(struct frame_table *table, bool by_name)
{
    *table = (struct frame_table){.by_name = by_name};
    u64map_init(&table->index_by_hash, sizeof(size_t));
}

/* Returns the index of FRAME's content in TABLE, adding FRAME first when it
 * is new; -1 when memory runs out.  On a hash collision the next key in a
 * fixed sequence is tried, so colliding frames still get their own index. */
int64_t frame_table_index(struct frame_table *table, const struct report_frame *frame)
{
    for (uint64_t key = hash_frame(table, frame);; key = key * 0x9e3779b97f4a7c15ull + 1) {
        if (key == 0)
            continue;
        int created = 0;
        size_t *index = u64map_put(&table->index_by_hash, key, &created);
        if (index == NULL)
            return -1;
        if (!created) {
            if (same_frame(table, &table->frames[*index], frame))
                return (int64_t)*index;
            continue;
        }
        struct report_frame *frames = make_room(table->frames, table->count, sizeof *frames);
        if (frames == NULL) {
            u64map_remove(&table->index_by_hash, key);
            return -1;
        }
        table->frames = frames;
        frames[table->count] = *frame;
        *index = table->count;
        return (int64_t)table->count++;
    }
}

/* Frees the table (not the frames' strings, which are shared). */
void frame_table_free(struct frame_table *table)
{
    u64map_free(&table->index_by_hash);
    free(table->frames);
    *table = (struct frame_table){0};
}
