/*
 * transport.c - getting records out of the traced program.
 *
 * One SOCK_SEQPACKET connection per process; each send() is one batch of one
 * thread, so batches never interleave.  The socket descriptor is moved far up
 * the descriptor table, and before every send we check that the number still
 * names our socket (same inode): a program that closed it and reused the number
 * must never receive our bytes.  When it changed, we reconnect with the same
 * process token, so the collector joins both connections.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

static atomic_int sock = -1;
static ino_t sock_inode;
static dev_t sock_dev;
static uint64_t token;
static char socket_path[108];

/* Reads a small /proc file into buf without malloc; returns bytes read. */
static size_t read_proc(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    return n;
}

/* Fills MSG's batch header and the fixed part of a HELLO record for process
 * PID (child of PARENT_PID); the strings after it are the caller's. */
static struct mt_rec_hello *start_hello(char *msg, uint32_t pid, uint32_t parent_pid, uint32_t flags)
{
    struct mt_batch_header *bh = (void *)msg;
    *bh = (struct mt_batch_header){.magic = MT_BATCH_MAGIC, .tid = (uint32_t)gettid(), .slot = MT_NO_SLOT};
    struct mt_rec_hello *h = (void *)(msg + sizeof *bh);
    memset(h, 0, sizeof *h);
    h->h.type = MT_REC_HELLO;
    h->h.extra = MT_PROTOCOL_VERSION;
    h->pid = pid;
    h->parent_pid = parent_pid;
    h->depth_limit = mt_options.depth;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->start_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    h->flags = flags;
    return h;
}

/* Pads the HELLO H in MSG, whose strings take STRINGS bytes, and sends the
 * batch on FD; 0, or -1 when the send failed. */
static int send_hello_batch(int fd, const char *msg, struct mt_rec_hello *h, size_t strings)
{
    size_t body = MT_ALIGN8(sizeof *h + strings);
    memset((char *)(h + 1) + strings, 0, body - (sizeof *h + strings));
    h->h.size = (uint16_t)body;
    return send(fd, msg, sizeof(struct mt_batch_header) + body, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Builds and sends the HELLO batch that opens a connection. */
static int send_hello(int fd, uint32_t flags)
{
    static char msg[8192]; /* only the connecting thread writes it, under init or fork */
    struct mt_rec_hello *h = start_hello(msg, (uint32_t)getpid(), (uint32_t)getppid(), flags | mt_hello_standing_flags);
    h->token = token;
    char *tail = (char *)(h + 1);
    size_t room = sizeof msg - (size_t)(tail - msg) - 8;
    size_t cmd = read_proc("/proc/self/cmdline", tail, room / 2);
    if (cmd == 0 || tail[cmd - 1] != '\0')
        tail[cmd++] = '\0';
    for (size_t i = 0; i < cmd; i++)
        h->argc += tail[i] == '\0';
    ssize_t exe = readlink("/proc/self/exe", tail + cmd, room - cmd - 1);
    if (exe < 0)
        exe = 0;
    tail[cmd + (size_t)exe] = '\0';
    return send_hello_batch(fd, msg, h, cmd + (size_t)exe + 1);
}

/* Picks a fresh token identifying this process image to the collector. */
static void new_token(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    token = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uintptr_t)&ts;
}

/* Connects to the collector's socket at PATH with a send buffer of
 * SEND_BUFFER bytes (0: the default); returns the descriptor, close-on-exec
 * and moved out of the program's way, or -1. */
static int dial(const char *path, int send_buffer)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        close(fd);
        return -1;
    }
    strcpy(addr.sun_path, path);
    if (send_buffer)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        close(fd);
        return -1;
    }
    return mt_fd_move_high(fd);
}

/* Opens the connection named by MEMTRACK_SOCKET and says hello; 0 on success.
 * `hello_flags` MT_HELLO_RESUMED keeps the process token, anything else makes a new one. */
int mt_transport_connect(uint32_t hello_flags)
{
    int resumed = (hello_flags & MT_HELLO_RESUMED) != 0;
    if (!socket_path[0]) {
        const char *path = getenv(MT_ENV_SOCKET);
        if (!path || strlen(path) >= sizeof socket_path)
            return -1;
        strcpy(socket_path, path);
    }
    if (!resumed)
        new_token();
    int fd = dial(socket_path, MT_SEND_QUEUE_BATCHES * (MT_BATCH_MAX + 4096));
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || send_hello(fd, hello_flags) < 0) {
        close(fd);
        return -1;
    }
    sock_inode = st.st_ino;
    sock_dev = st.st_dev;
    mt_segments_send_all(fd);
    atomic_store(&sock, fd);
    return 0;
}

/* Announces an untraceable program on a connection of its own (internal.h). */
int mt_transport_announce_untraceable(uint32_t pid, uint32_t parent_pid, const char *path, char *const argv[],
                                      unsigned why)
{
    const char *socket = socket_path[0] ? socket_path : getenv(MT_ENV_SOCKET);
    int fd = socket ? dial(socket, 0) : -1;
    if (fd < 0)
        return -1;
    char msg[8192];
    struct mt_rec_hello *h = start_hello(msg, pid, parent_pid, MT_HELLO_UNTRACEABLE);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    h->token = ((uint64_t)pid << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uintptr_t)&ts;
    h->untraceable = why;
    char *tail = (char *)(h + 1);
    size_t path_size = strnlen(path, 4095) + 1;
    size_t room = sizeof msg - (size_t)(tail - msg) - 8 - path_size, used = 0;
    /* arguments past the room are left out, the last one cut, as /proc/PID/cmdline cuts */
    for (size_t i = 0; argv && argv[i] && used < room; i++, h->argc++) {
        size_t length = strnlen(argv[i], room - used - 1);
        memcpy(tail + used, argv[i], length);
        tail[used + length] = '\0';
        used += length + 1;
    }
    memcpy(tail + used, path, path_size - 1);
    tail[used + path_size - 1] = '\0';
    if (send_hello_batch(fd, msg, h, used + path_size) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Withdraws that announcement: the exec failed (internal.h). */
void mt_transport_exec_failed(int connection, int error)
{
    struct {
        struct mt_batch_header batch;
        struct mt_record_header record;
    } msg = {{.magic = MT_BATCH_MAGIC, .tid = (uint32_t)gettid(), .slot = MT_NO_SLOT},
             {.type = MT_REC_EXEC_FAILED, .size = sizeof(struct mt_record_header), .extra = (uint32_t)error}};
    send(connection, &msg, sizeof msg, MSG_NOSIGNAL);
    close(connection);
}

int mt_transport_connected(void)
{
    return atomic_load(&sock) >= 0;
}

/* A fork child is a new process: new connection, new token; `hello_flags`
 * say how it was forked. */
void mt_transport_after_fork(uint32_t hello_flags)
{
    int fd = atomic_exchange(&sock, -1);
    if (fd >= 0)
        close(fd);
    mt_transport_connect(hello_flags);
}

/* True when `fd` still is the socket we opened. */
static int still_ours(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == sock_inode && st.st_dev == sock_dev;
}

static void send_checked(const struct msghdr *mh);

/* Sends one message, reconnecting once if the program took our descriptor.
 * sendmsg() is a cancellation point: a thread cancelled inside libtrack would
 * leave its buffer locked for good, so cancellation waits. */
void mt_transport_sendmsg(const struct msghdr *mh)
{
    int cancel_state;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    send_checked(mh);
    pthread_setcancelstate(cancel_state, NULL);
}

static void send_batch(const char *buf, size_t len)
{
    struct iovec iov = {(void *)buf, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    mt_transport_sendmsg(&mh);
}

static atomic_uint_fast64_t send_wait_max_ns, send_wait_total_ns;

void mt_transport_waits(uint64_t *max_ns, uint64_t *total_ns)
{
    *max_ns = atomic_load(&send_wait_max_ns);
    *total_ns = atomic_load(&send_wait_total_ns);
}

/* Keeps the figures of one send: its copy of the batch into the socket, and
 * any wait while the collector's queue was full (the longest send is the
 * longest the program waited for us). */
static void note_wait(uint64_t ns)
{
    mt_shared_add(&send_wait_total_ns, ns);
    mt_shared_raise(&send_wait_max_ns, ns);
}

static void send_checked(const struct msghdr *mh)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = atomic_load(&sock);
        if (fd < 0)
            return;
        if (!still_ours(fd)) {
            /* Not ours any more: never touch it.  Come back on a new descriptor. */
            atomic_compare_exchange_strong(&sock, &fd, -1);
            if (mt_transport_connect(MT_HELLO_RESUMED) < 0)
                return;
            continue;
        }
        ssize_t r;
        uint64_t start = mt_now_ns();
        do
            r = sendmsg(fd, mh, MSG_NOSIGNAL);
        while (r < 0 && errno == EINTR);
        note_wait(mt_now_ns() - start);
        if (r >= 0)
            return;
        /* The collector is gone: stop tracing, keep the program running. */
        atomic_compare_exchange_strong(&sock, &fd, -1);
        return;
    }
}

/* Sends the thread's batch and starts the next one.  In the slot, the batch
 * stays readable (under its sequence number) until the header is reset. */
void mt_flush_locked(struct mt_thread *t)
{
    if (t->used > sizeof(struct mt_batch_header)) {
        int saved = errno;
        send_batch(t->buf, t->used);
        errno = saved;
    }
    t->used = 0;
    t->seq++;
    if (t->slot) {
        atomic_store_explicit((_Atomic uint32_t *)&t->slot->used, 0, memory_order_release);
        t->slot->seq = t->seq;
    }
}

void mt_flush(struct mt_thread *t)
{
    mt_spin_lock(&t->busy);
    mt_flush_locked(t);
    mt_spin_unlock(&t->busy);
}

/* mt_record_begin's room for a record of `size` bytes (t->busy held): sends
 * the batch when the record would not fit, and starts a batch with its
 * header. */
void mt_record_make_room(struct mt_thread *t, unsigned size)
{
    if (t->used + size > MT_BATCH_MAX)
        mt_flush_locked(t);
    if (t->used == 0) {
        struct mt_batch_header *bh = (void *)t->buf;
        bh->magic = MT_BATCH_MAGIC;
        bh->tid = t->tid;
        bh->slot = t->slot_id;
        bh->seq = t->seq;
        t->used = sizeof *bh;
    }
}
