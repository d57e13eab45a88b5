/*
 * server.c - one SOCK_SEQPACKET listener in a private directory; one
 * connection per traced process image.  Only processes of our own user may
 * connect (SO_PEERCRED).  A connection whose stream is malformed is closed and
 * the process's trace says so; the collector itself carries on.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "collect/decoder.h"
#include "collect/harvest.h"
#include "collect/process.h"
#include "collect/server.h"
#include "util/array.h"

#define RECV_MAX (MT_BATCH_MAX + 16384)
#define MAX_FDS 4

struct mt_connection {
    int fd;
    struct mt_process *process;
};

int server_open(struct mt_server *s, char *error, size_t error_size)
{
    memset(s, 0, sizeof *s);
    s->listen_fd = -1;
    const char *tmp = getenv("TMPDIR");
    if (!tmp || strlen(tmp) > 40 || access(tmp, W_OK) != 0)
        tmp = "/tmp";
    snprintf(s->dir, sizeof s->dir, "%s/memtrack-XXXXXX", tmp);
    if (!mkdtemp(s->dir)) {
        snprintf(error, error_size, "cannot create a private directory in %s: %m", tmp);
        return -1;
    }
    snprintf(s->path, sizeof s->path, "%s/socket", s->dir);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, s->path, strlen(s->path) + 1);
    s->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(s->listen_fd, 128) < 0) {
        snprintf(error, error_size, "cannot listen on %s: %m", s->path);
        return -1;
    }
    return 0;
}

static void add_connection(struct mt_server *s, int fd)
{
    struct mt_connection *c =
        array_push((void **)&s->connections, &s->n_connections, &s->cap_connections, sizeof *s->connections);
    if (!c) {
        close(fd);
        return;
    }
    c->fd = fd;
}

/* Accepts every pending connection from a process of our own user. */
static void accept_all(struct mt_server *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != getuid()) {
            close(fd);
            continue;
        }
        add_connection(s, fd);
    }
}

struct mt_process *server_find_pid(struct mt_server *s, pid_t pid)
{
    struct mt_process *found = NULL;
    for (struct mt_process *p = s->processes; p; p = p->next)
        if (p->pid == (uint32_t)pid)
            found = p;
    return found;
}

void server_adopt(struct mt_server *s, struct mt_process *p)
{
    p->ordinal = s->last_process ? s->last_process->ordinal + 1 : 1;
    if (s->last_process)
        s->last_process->next = p;
    else
        s->processes = p;
    s->last_process = p;
}

static void drain(struct mt_server *s, struct mt_connection *c);

/* A HELLO binds the connection to a process: an existing one when it resumes
 * (same token), else a new image (which ends an earlier image of its pid: exec). */
static void on_hello(struct mt_server *s, struct mt_connection *c, const struct mt_rec_hello *h)
{
    if (h->flags & MT_HELLO_RESUMED)
        for (struct mt_process *p = s->processes; p; p = p->next)
            if (p->token == h->token) {
                c->process = p;
                p->connections++;
                process_add_note(p, "the program took the tracing descriptor; tracing reconnected");
                return;
            }
    struct mt_process *earlier = server_find_pid(s, (pid_t)h->pid);
    int replaces = earlier && !earlier->exited && !earlier->replaced_by_exec;
    if (replaces)
        earlier->replaced_by_exec = 1;
    struct mt_process *p = process_new(h);
    if (!p)
        return;
    if (replaces && (h->flags & MT_HELLO_UNTRACEABLE))
        p->announced_over = earlier;
    if (h->flags & MT_HELLO_FORKED) {
        /* the parent sent what it had before forking (libc's fork): take it in first */
        struct mt_process *parent = server_find_pid(s, (pid_t)h->parent_pid);
        if (parent) {
            /* the slots first: a batch sent meanwhile was in them until it went, and the drain gets it */
            if (h->flags & MT_HELLO_RAW_FORK)
                process_take_unsent_stacks(p, parent);
            for (size_t i = 0; i < s->n_connections; i++)
                if (s->connections[i].process == parent && s->connections[i].fd >= 0)
                    drain(s, &s->connections[i]);
            process_inherit_from(p, parent);
        }
    }
    server_adopt(s, p);
    c->process = p;
    p->connections++;
}

/* The exec an untraceable HELLO on C announced failed: the program never ran.
 * Forgets the process C spoke for, and gives the image that made the
 * announcement its life back. */
static void withdraw_announcement(struct mt_server *s, struct mt_connection *c)
{
    struct mt_process *p = c->process, *before = NULL;
    for (struct mt_process *q = s->processes; q != p; q = q->next)
        before = q;
    if (before)
        before->next = p->next;
    else
        s->processes = p->next;
    if (s->last_process == p)
        s->last_process = before;
    if (p->announced_over)
        p->announced_over->replaced_by_exec = 0;
    c->process = NULL;
    process_free(p);
}

struct batch_context {
    struct mt_server *s;
    struct mt_connection *c;
    int unbound;  /* a record came before any hello */
    int *fds;     /* descriptors that came with the message, taken by SEGMENT records */
    int n_fds;
};

static int preview_record(void *ctx, uint32_t tid, const struct mt_record_header *rec)
{
    process_preview(ctx, rec);
    return 0;
}

static int on_record(void *ctx, uint32_t tid, const struct mt_record_header *rec)
{
    struct batch_context *b = ctx;
    if (rec->type == MT_REC_HELLO) {
        if (!b->c->process)
            on_hello(b->s, b->c, (const void *)rec);
        return 0;
    }
    if (!b->c->process) {
        b->unbound = 1;
        return 1;
    }
    if (rec->type == MT_REC_EXEC_FAILED) {
        if (b->c->process->hello_flags & MT_HELLO_UNTRACEABLE)
            withdraw_announcement(b->s, b->c);
        return 0;
    }
    if (rec->type == MT_REC_SEGMENT) {
        if (b->n_fds > 0) {
            process_add_segment(b->c->process, (const void *)rec, b->fds[0]);
            memmove(b->fds, b->fds + 1, (size_t)--b->n_fds * sizeof *b->fds);
        }
        return 0;
    }
    process_apply(b->c->process, rec);
    return 0;
}

/* CLOCK_REALTIME in ns, the clock of processes.start_ns. */
static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Closes c; a process whose last connection closes has ended (or, a daemon
 * that took the descriptor, will reconnect and end later). */
static void close_connection(struct mt_connection *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    if (c->process && --c->process->connections == 0)
        c->process->end_ns = realtime_ns();
}

/* Receives one message and the descriptors that came with it (at most MAX_FDS;
 * more are closed by the kernel's MSG_CTRUNC rules, i.e. never reach us). */
static ssize_t receive(int fd, unsigned char *buf, int *fds, int *n_fds)
{
    char control[CMSG_SPACE(MAX_FDS * sizeof(int))];
    struct iovec iov = {buf, RECV_MAX};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
    for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int received;
            memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (*n_fds < MAX_FDS)
                fds[(*n_fds)++] = received;
            else
                close(received);
        }
    }
    return n;
}

/* Receives and applies every batch waiting on c; closes it at EOF or on a bad stream. */
static void drain(struct mt_server *s, struct mt_connection *c)
{
    /* A buffer per level: a fork child's hello drains its parent's connection
     * from inside this loop, and that batch must not overwrite this one.  The
     * buffers are kept: allocating one per wake-up cost the collector page
     * faults and munmap calls on every poll. */
    if (s->drain_level >= SERVER_MAX_NESTED_DRAINS)
        return;
    unsigned char **slot = &s->receive_buffers[s->drain_level];
    if (!*slot && !(*slot = malloc(RECV_MAX)))
        return;
    unsigned char *buf = *slot;
    s->drain_level++;
    for (;;) {
        int fds[MAX_FDS];
        int n_fds = 0;
        ssize_t n = receive(c->fd, buf, fds, &n_fds);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (n <= 0) {
            close_connection(c);
            break;
        }
        s->batches++;
        const char *why = NULL;
        struct batch_context ctx = {s, c, 0, fds, n_fds};
        if (n > RECV_MAX) {
            why = "batch larger than the protocol allows";
        } else {
            struct mt_process *previewed = c->process;
            if (previewed) /* a bad record stops this walk too; the next one reports it */
                mt_decode_batch(buf, (size_t)n, preview_record, previewed, &why);
            why = NULL;
            if (mt_decode_batch(buf, (size_t)n, on_record, &ctx, &why) == 0 && ctx.unbound)
                why = "records before the hello";
        }
        for (int i = 0; i < ctx.n_fds; i++)
            close(ctx.fds[i]);
        if (!why && c->process) {
            struct mt_batch_header bh;
            memcpy(&bh, buf, sizeof bh);
            harvest_note_batch(&c->process->harvest, bh.slot, bh.seq);
        }
        if (why) {
            if (c->process) {
                char note[160];
                snprintf(note, sizeof note, "malformed event stream (%s); its connection was closed", why);
                process_add_note(c->process, note);
            }
            close_connection(c);
            break;
        }
        if (s->after_batch != NULL)
            s->after_batch(s->after_batch_context, s);
    }
    s->drain_level--;
}

void server_poll(struct mt_server *s, int timeout_ms, int wake_fd)
{
    size_t n = s->n_connections;
    struct pollfd *fds = calloc(n + 2, sizeof *fds);
    if (!fds)
        return;
    fds[0] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
    for (size_t i = 0; i < n; i++)
        fds[i + 1] = (struct pollfd){.fd = s->connections[i].fd, .events = POLLIN};
    fds[n + 1] = (struct pollfd){.fd = wake_fd, .events = POLLIN}; /* poll skips a negative fd */
    if (poll(fds, n + 2, timeout_ms) > 0) {
        for (size_t i = 0; i < n; i++)
            if (fds[i + 1].revents && s->connections[i].fd >= 0)
                drain(s, &s->connections[i]);
        if (fds[0].revents & POLLIN)
            accept_all(s);
    }
    free(fds);
    /* forget closed connections */
    size_t kept = 0;
    for (size_t i = 0; i < s->n_connections; i++)
        if (s->connections[i].fd >= 0)
            s->connections[kept++] = s->connections[i];
    s->n_connections = kept;
}

void server_take_waiting(struct mt_server *s)
{
    for (int round = 0; round < 1000; round++) {
        uint64_t batches = s->batches;
        size_t connections = s->n_connections;
        server_poll(s, 0, -1);
        if (s->batches == batches && s->n_connections == connections)
            return;
    }
}

size_t server_open_connections(const struct mt_server *s)
{
    return s->n_connections;
}

void server_close(struct mt_server *s)
{
    for (size_t i = 0; i < s->n_connections; i++)
        close_connection(&s->connections[i]);
    free(s->connections);
    s->connections = NULL;
    s->n_connections = 0;
    for (int i = 0; i < SERVER_MAX_NESTED_DRAINS; i++) {
        free(s->receive_buffers[i]);
        s->receive_buffers[i] = NULL;
    }
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    s->listen_fd = -1;
    unlink(s->path);
    rmdir(s->dir);
}
