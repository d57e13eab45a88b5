/*
 * segments.c - shared memory for the per-thread batches, so that nothing a
 * thread recorded is lost when the process dies before sending it.
 *
 * A segment is a memfd of MT_SLOTS_PER_SEGMENT slots, mapped MAP_SHARED here
 * and, once its descriptor has travelled over the socket, in the collector.
 * Slots are handed out once and stay bound to a thread state (states are
 * reused, slots with them).  New segments are made under a mutex: a cold path
 * taken once per 64 threads.
 *
 * After fork the child remaps every segment onto a fresh memfd at the same
 * address, so it never writes into its parent's memory.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "internal.h"

#define MAX_SEGMENTS 1024
#define SEGMENT_BYTES ((size_t)MT_SLOTS_PER_SEGMENT * MT_SLOT_SIZE)

struct segment {
    int fd;
    char *base;
};

static struct segment segments[MAX_SEGMENTS];
static unsigned n_segments, next_slot; /* under lock */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Maps a new memfd of SEGMENT_BYTES, at `at` when given; -1 on failure.
 * Its size is sealed: the program can reach the descriptor, and a segment it
 * shrank would fault the collector reading it (SIGBUS), which refuses a
 * segment without these seals. */
static int map_segment(struct segment *s, void *at)
{
    int fd = mt_fd_move_high(memfd_create("memtrack", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)SEGMENT_BYTES) < 0 || fcntl(fd, F_ADD_SEALS, MT_SEGMENT_SEALS) < 0) {
        close(fd);
        return -1;
    }
    void *m = mmap(at, SEGMENT_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | (at ? MAP_FIXED : 0), fd, 0);
    if (m == MAP_FAILED) {
        close(fd);
        return -1;
    }
    s->fd = fd;
    s->base = m;
    return 0;
}

/* Sends segment i's descriptor with its SEGMENT record, outside any slot:
 * on `sock` when given (a connection being opened), else through the
 * transport's checked path. */
static void send_segment(int sock, unsigned i)
{
    struct {
        struct mt_batch_header bh;
        struct mt_rec_segment rec;
    } msg = {{MT_BATCH_MAGIC, (uint32_t)gettid(), MT_NO_SLOT, 0},
             {{MT_REC_SEGMENT, sizeof(struct mt_rec_segment), 0}, i, MT_SLOTS_PER_SEGMENT, MT_SLOT_SIZE}};
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec iov = {&msg, sizeof msg};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &segments[i].fd, sizeof(int));
    if (sock >= 0)
        sendmsg(sock, &mh, MSG_NOSIGNAL);
    else
        mt_transport_sendmsg(&mh);
}

/* Hands out a slot; NULL when no shared memory can be had (the caller then
 * buffers in private memory, and a crash may lose that thread's last batch). */
struct mt_slot_header *mt_slot_claim(uint32_t *slot_id)
{
    pthread_mutex_lock(&lock);
    unsigned seg = next_slot / MT_SLOTS_PER_SEGMENT, idx = next_slot % MT_SLOTS_PER_SEGMENT;
    struct mt_slot_header *slot = NULL;
    int announce = 0;
    if (seg < MAX_SEGMENTS && (seg < n_segments || map_segment(&segments[seg], NULL) == 0)) {
        if (seg == n_segments) {
            n_segments++;
            announce = 1;
        }
        slot = (struct mt_slot_header *)(segments[seg].base + (size_t)idx * MT_SLOT_SIZE);
        *slot_id = seg << 16 | idx;
        next_slot++;
    }
    pthread_mutex_unlock(&lock);
    if (announce) /* unlocked: a reconnection on the way announces every segment again */
        send_segment(-1, seg);
    return slot;
}

/* After a (re)connection: the collector must learn every segment. */
void mt_segments_send_all(int sock)
{
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < n_segments; i++)
        send_segment(sock, i);
    pthread_mutex_unlock(&lock);
}

/* In a fork child: same addresses, new memory, none of it shared with the parent. */
void mt_segments_after_fork(void)
{
    pthread_mutex_init(&lock, NULL);
    for (unsigned i = 0; i < n_segments; i++) {
        close(segments[i].fd);
        if (map_segment(&segments[i], segments[i].base) < 0) {
            /* cannot detach from the parent's memory: never write there again */
            mmap(segments[i].base, SEGMENT_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                 -1, 0);
            segments[i].fd = -1;
        }
    }
}

void mt_segments_own_ranges(mt_range_fn fn, void *arg)
{
    for (unsigned i = 0; i < n_segments; i++)
        fn((uintptr_t)segments[i].base, (uintptr_t)segments[i].base + SEGMENT_BYTES, arg);
}
