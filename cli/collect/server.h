/*
 * server.h - the collector's socket: accepts traced processes, receives their
 * batches, and applies them to per-process state.
 */
#ifndef MEMTRACK_SERVER_H
#define MEMTRACK_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mt_process;
struct mt_connection;

/* A fork child's hello drains its parent's connection from inside a drain. */
#define SERVER_MAX_NESTED_DRAINS 8

struct mt_server {
    int listen_fd;
    char dir[64];            /* private directory (mode 0700) holding the socket */
    char path[128];          /* socket path, given to traced processes */
    struct mt_connection *connections;
    size_t n_connections, cap_connections;
    struct mt_process *processes, *last_process; /* in order of their hello */
    uint64_t batches;        /* received so far; tells the run loop data still flows */
    unsigned char *receive_buffers[SERVER_MAX_NESTED_DRAINS]; /* one per drain level, kept */
    int drain_level;
    /* Called after each batch is applied, NULL for none: a busy collector
     * can drain for seconds before its caller's loop comes round again, and
     * `memtrack run`'s status line is redrawn from here meanwhile. */
    void (*after_batch)(void *context, const struct mt_server *server);
    void *after_batch_context;
};

int server_open(struct mt_server *s, char *error, size_t error_size);
/* Waits up to timeout_ms for traffic and handles all of it.  The wait also
 * ends when wake_fd (unless -1) becomes readable: the caller's own event. */
void server_poll(struct mt_server *s, int timeout_ms, int wake_fd);
/* Handles every connection and batch already queued, without waiting. */
void server_take_waiting(struct mt_server *s);
size_t server_open_connections(const struct mt_server *s);
/* Closes every connection and removes the socket and its directory. */
void server_close(struct mt_server *s);
/* The latest process image with this pid, or NULL. */
struct mt_process *server_find_pid(struct mt_server *s, pid_t pid);
/* Appends a process the collector knows of without a hello (e.g. a static program). */
void server_adopt(struct mt_server *s, struct mt_process *p);

#endif
