/*
 * roots.c - the root set of the leak scan, read from the process's maps, with
 * the other threads held still in a signal handler while it is used.
 *
 * Stale pointers in dead stack frames must not keep lost blocks alive, so a
 * stack is scanned only from its owner's live stack pointer, and the main
 * stack of a main thread that has ended (pthread_exit) not at all: every
 * frame of it is dead, and what libtrack's own frames left there made a lost
 * block's verdict depend on the build.  The heaps of glibc's non-main malloc
 * arenas hold heap chunks, freed ones included, and are not roots; they are
 * told from the program's own anonymous mappings by their alignment and the
 * header glibc keeps at their start (is_arena_heap), not by alignment alone:
 * with address randomization, and the 2 MiB-aligned tables libtrack maps
 * leaving 2 MiB-aligned gaps that the program's mappings fill, about one run
 * in a hundred of python3 -c pass had a Python arena start on a 64 MiB
 * boundary, and the blocks only it pointed to came out definitely lost.
 */
#define _GNU_SOURCE
#include <dirent.h>
#define UNW_LOCAL_ONLY /* _UL symbols: this process only, no remote unwinding */
#include <libunwind.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "internal.h"
#include "roots.h"

#define MAX_PARKED 1024
#define HEAP_MAX (64ul << 20) /* glibc's HEAP_MAX_SIZE on 64-bit: an arena heap's size limit and alignment */
#define HEAP_PAGE 4096ul       /* an arena heap's sizes are whole pages */
#define PARK_TIMEOUT_MS 500
#define MAPS_BUFFER (1ul << 20) /* bytes of /proc/self/maps read: some 8,000 mappings */

struct parked {
    atomic_int tid;
    atomic_int state; /* 0 asked, 1 stopped, 2 gone on */
    uintptr_t sp;
    uintptr_t regs[NGREG];
};

static struct parked parked[MAX_PARKED];
static size_t n_parked;
static atomic_int release;
static struct sigaction previous_action;
static int park_signal;

static void *grow_array(void *old, size_t *cap, size_t elem)
{
    size_t cap2 = *cap ? *cap * 2 : 256;
    void *m = mmap(NULL, cap2 * elem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    if (old) {
        memcpy(m, old, *cap * elem);
        munmap(old, *cap * elem);
    }
    *cap = cap2;
    return m;
}

static void add_range(struct mt_roots *r, uintptr_t lo, uintptr_t hi)
{
    if (lo >= hi)
        return;
    if (r->n == r->cap) {
        struct mt_range *g = grow_array(r->ranges, &r->cap, sizeof *g);
        if (!g)
            return;
        r->ranges = g;
    }
    r->ranges[r->n++] = (struct mt_range){lo, hi};
}

/* Runs in each other thread: note where its stack and registers are, then
 * wait until the scan is over. */
static void park(int sig, siginfo_t *info, void *context)
{
    int tid = (int)syscall(SYS_gettid);
    ucontext_t *uc = context;
    for (size_t i = 0; i < n_parked; i++) {
        if (atomic_load(&parked[i].tid) != tid)
            continue;
        parked[i].sp = mt_arch_context_sp(uc);
        memcpy(parked[i].regs, MT_ARCH_CONTEXT_REGS(uc), sizeof parked[i].regs);
        atomic_store(&parked[i].state, 1);
        while (!atomic_load(&release))
            sched_yield();
        atomic_store(&parked[i].state, 2);
        return;
    }
}

uintptr_t mt_roots_exit_caller_sp(void)
{
    /* The frame whose procedure starts at exit's entry: the next frame's
     * stack pointer is the caller's when it made the call. */
    unw_context_t context;
    unw_cursor_t cursor;
    unw_proc_info_t proc;
    uintptr_t sp = 0, entry = (uintptr_t)&exit;
    mt_in_unwinder = 1; /* libunwind's descriptors stay its own: see descriptors.c */
    if (unw_getcontext(&context) == 0 && unw_init_local(&cursor, &context) == 0) {
        for (int depth = 0; depth < 64 && unw_step(&cursor) > 0; depth++) {
            if (unw_get_proc_info(&cursor, &proc) != 0 || proc.start_ip != entry)
                continue;
            unw_word_t caller_sp;
            if (unw_step(&cursor) > 0 && unw_get_reg(&cursor, UNW_REG_SP, &caller_sp) == 0)
                sp = (uintptr_t)caller_sp;
            break;
        }
    }
    mt_in_unwinder = 0;
    return sp;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Opens /proc/self/task/TID/NAME; -1 when the thread is gone.  No
 * allocation: this runs inside the exit handler. */
static int open_task_file(int tid, const char *name)
{
    char path[64] = "/proc/self/task/", digits[12];
    size_t n = 0, len = strlen(path);
    for (unsigned v = (unsigned)tid; n == 0 || v; v /= 10)
        digits[n++] = (char)('0' + v % 10);
    while (n)
        path[len++] = digits[--n];
    path[len++] = '/';
    memcpy(path + len, name, strlen(name) + 1);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* True when thread tid is gone, a zombie, or exiting (PF_EXITING in the
 * flags, the ninth field of its stat), as is a thread a tracer holds at its
 * exit. */
static int thread_gone(int tid)
{
    char text[2048];
    int fd = open_task_file(tid, "stat");
    ssize_t got = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
    if (fd >= 0)
        close(fd);
    if (got <= 0)
        return 1;
    text[got] = 0;
    const char *p = strrchr(text, ')'); /* the command name may hold anything */
    if (!p || p[1] != ' ' || !p[2])
        return 0;
    if (p[2] == 'Z' || p[2] == 'X')
        return 1;
    for (int field = 3; field <= 9 && p; field++) /* to the blank before field `field` */
        p = strchr(p + 1, ' ');
    return p && (strtoul(p + 1, NULL, 10) & 0x4) != 0; /* PF_EXITING */
}

/* True when thread tid blocks the park signal (node's signal-watching thread
 * blocks nearly every signal), from the SigBlk line of its status.  The file
 * is read a piece at a time, each piece after the last bytes of the one
 * before: the Groups line before SigBlk can be kilobytes long. */
static int blocks_park_signal(int tid)
{
    static const char key[] = "\nSigBlk:";
    char text[1024 + sizeof key];
    size_t kept = 0;
    int fd = open_task_file(tid, "status"), blocked = 0;
    for (ssize_t got; fd >= 0 && (got = read(fd, text + kept, sizeof text - 1 - kept)) > 0;) {
        size_t len = kept + (size_t)got;
        text[len] = 0;
        const char *line = strstr(text, key);
        if (line && memchr(line + 1, '\n', len - (size_t)(line + 1 - text))) {
            blocked = strtoull(line + sizeof key - 1, NULL, 16) >> (park_signal - 1) & 1;
            break;
        }
        /* keep an unfinished SigBlk line, or the tail a key may start in */
        kept = line ? len - (size_t)(line - text) : (len < sizeof key ? len : sizeof key - 1);
        if (kept >= sizeof text - 1)
            break;
        memmove(text, text + len - kept, kept);
    }
    if (fd >= 0)
        close(fd);
    return blocked;
}

/* True when thread tid will never run park(): gone, or blocking the park
 * signal, which would then stay pending.  Waiting for such a thread held the
 * exit of a program for the whole timeout. */
static int never_parks(int tid)
{
    return thread_gone(tid) || blocks_park_signal(tid);
}

void mt_threads_stop(void)
{
    int self = (int)syscall(SYS_gettid);
    n_parked = 0;
    atomic_store(&release, 0);
    park_signal = SIGRTMAX - 2;
    struct sigaction sa = {.sa_sigaction = park, .sa_flags = SA_SIGINFO | SA_RESTART};
    sigfillset(&sa.sa_mask);
    sigaction(park_signal, &sa, &previous_action);
    int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char buf[4096];
    long n;
    while (dir >= 0 && (n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct dirent64 *d = (void *)(buf + off);
            off += d->d_reclen;
            int tid = atoi(d->d_name);
            if (tid <= 0 || tid == self || n_parked == MAX_PARKED)
                continue;
            atomic_store(&parked[n_parked].state, 0);
            atomic_store(&parked[n_parked].tid, tid);
            n_parked++;
        }
    }
    if (dir >= 0)
        close(dir);
    /* A thread that blocks the signal is not sent it: it would stay pending
     * after the scan, when the program's own action for it (by default,
     * terminate) is back. */
    for (size_t i = 0; i < n_parked; i++)
        if (never_parks(parked[i].tid) || syscall(SYS_tgkill, getpid(), parked[i].tid, park_signal) < 0)
            atomic_store(&parked[i].state, 2);
    long deadline = now_ms() + PARK_TIMEOUT_MS;
    for (size_t i = 0; i < n_parked; i++)
        while (atomic_load(&parked[i].state) == 0 && now_ms() < deadline) {
            if (never_parks(parked[i].tid)) {
                atomic_store(&parked[i].state, 2);
                break;
            }
            sched_yield();
        }
}

void mt_threads_resume(void)
{
    atomic_store(&release, 1);
    long deadline = now_ms() + PARK_TIMEOUT_MS;
    for (size_t i = 0; i < n_parked; i++)
        while (atomic_load(&parked[i].state) == 1 && now_ms() < deadline)
            sched_yield();
    sigaction(park_signal, &previous_action, NULL);
}

/* The stack pointer a stopped thread had inside [lo, hi), or 0. */
static uintptr_t parked_sp_in(uintptr_t lo, uintptr_t hi)
{
    for (size_t i = 0; i < n_parked; i++)
        if (atomic_load(&parked[i].state) == 1 && parked[i].sp >= lo && parked[i].sp < hi)
            return parked[i].sp;
    return 0;
}

static int parse_hex(const char **p, uintptr_t *out)
{
    uintptr_t v = 0;
    const char *s = *p;
    int digits = 0;
    for (;; s++, digits++) {
        int c = *s;
        if (c >= '0' && c <= '9') v = v * 16 + (uintptr_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v = v * 16 + (uintptr_t)(c - 'a' + 10);
        else break;
    }
    *p = s;
    *out = v;
    return digits > 0;
}

/* Adds [lo, hi) minus the holes. */
static void add_cut(struct mt_roots *r, uintptr_t lo, uintptr_t hi, const struct mt_range *holes, size_t n)
{
    size_t a = 0, b = n;
    while (a < b) { /* first hole ending after lo */
        size_t mid = (a + b) / 2;
        if (holes[mid].hi <= lo)
            a = mid + 1;
        else
            b = mid;
    }
    for (size_t i = a; i < n && holes[i].lo < hi && lo < hi; i++) {
        if (holes[i].lo > lo)
            add_range(r, lo, holes[i].lo);
        if (holes[i].hi > lo)
            lo = holes[i].hi;
    }
    if (lo < hi)
        add_range(r, lo, hi);
}

/* Where the maps are read: libtrack's own data, which the scan's caller
 * leaves out of the roots with the rest of libtrack's (mt_self_own_ranges),
 * resident only as far as a read fills it.  One scan runs at a time. */
static char maps_buffer[MAPS_BUFFER];

/* Reads the process's maps whole into maps_buffer; returns its length.
 * Through the calling thread's /proc entry: /proc/self names the main
 * thread, whose maps read empty once it has called pthread_exit, and the
 * scan would then find no roots at all. */
static size_t read_maps(void)
{
    size_t len = 0;
    int fd = open("/proc/thread-self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC); /* Linux before 3.17 */
    if (fd < 0)
        return 0;
    ssize_t r;
    while (len < sizeof maps_buffer - 1 && (r = read(fd, maps_buffer + len, sizeof maps_buffer - 1 - len)) > 0)
        len += (size_t)r;
    close(fd);
    maps_buffer[len] = '\0';
    return len;
}

/* True when the anonymous mapping [lo, hi) is a heap of one of glibc's
 * non-main malloc arenas (malloc/arena.c).  Such a heap starts on a HEAP_MAX
 * boundary with glibc's heap_info: the arena it belongs to (ar_ptr), the
 * arena's heap before it (prev: NULL in the arena's first heap, another heap's
 * HEAP_MAX-aligned start otherwise), the heap's size and how much of it is
 * writable (mprotect_size), whole pages with 0 < size <= mprotect_size <=
 * HEAP_MAX.  An arena's own state follows the heap_info of its first heap, so
 * ar_ptr lies 32 bytes (glibc before 2.35) or 48 bytes (since, with the
 * heap's page size added) past a HEAP_MAX boundary: this heap's own when prev
 * is NULL, another's when not.  The header is read with mt_read_memory,
 * as the roots are. */
static int is_arena_heap(uintptr_t lo, uintptr_t hi)
{
    uintptr_t h[4]; /* ar_ptr, prev, size, mprotect_size */
    if (lo % HEAP_MAX != 0 || hi - lo < sizeof h)
        return 0;
    if (mt_read_memory(h, lo, sizeof h) != (ssize_t)sizeof h)
        return 0;
    uintptr_t arena = h[0], prev = h[1], size = h[2], writable = h[3];
    uintptr_t state = arena % HEAP_MAX, first_heap = arena - state;
    return (state == 32 || state == 48) && (prev == 0) == (first_heap == lo) && prev % HEAP_MAX == 0 &&
           size != 0 && size % HEAP_PAGE == 0 && writable % HEAP_PAGE == 0 && size <= writable &&
           writable <= HEAP_MAX;
}

/* Adds the readable and writable mapping [lo, hi) named NAME (up to END;
 * empty when anonymous) to the roots, unless it holds no program data. */
static void add_root_mapping(struct mt_roots *roots, uintptr_t lo, uintptr_t hi, const char *name, const char *end,
                             uintptr_t own_sp, const struct mt_range *holes, size_t n_holes)
{
    int anonymous = name >= end;
    uintptr_t sp = (own_sp >= lo && own_sp < hi) ? own_sp : parked_sp_in(lo, hi);
    if (sp)
        add_cut(roots, sp, hi, holes, n_holes);
    else if (!strncmp(name, "[stack]", 7) && thread_gone((int)getpid())) /* main has ended */
        ; /* the stack of an ended main thread */
    else if (!strncmp(name, "[heap]", 6) || (anonymous && is_arena_heap(lo, hi)) ||
             (name[0] == '[' && strncmp(name, "[anon", 5) && strncmp(name, "[stack", 6)))
        ; /* allocator memory, or the kernel's */
    else if (memmem(name, (size_t)(end - name), "libmemtrack.so", 14))
        ; /* libtrack's own data */
    else
        add_cut(roots, lo, hi, holes, n_holes);
}

/* Appends the file-backed mapping [lo, hi) with its protection PROT. */
static void add_file(struct mt_roots *r, uintptr_t lo, uintptr_t hi, unsigned prot)
{
    if (r->n_files == r->cap_files) {
        struct mt_mapping *g = grow_array(r->files, &r->cap_files, sizeof *g);
        if (!g)
            return;
        r->files = g;
    }
    r->files[r->n_files++] = (struct mt_mapping){lo, hi, prot};
}

int mt_roots_collect(struct mt_roots *roots, uintptr_t own_sp, const struct mt_range *holes, size_t n_holes)
{
    memset(roots, 0, sizeof *roots);
    if (!read_maps())
        return -1;
    for (const char *line = maps_buffer; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        uintptr_t lo, hi;
        const char *p = line;
        if (parse_hex(&p, &lo) && *p++ == '-' && parse_hex(&p, &hi) && *p++ == ' ' && end - p >= 4) {
            const char *name = p + 4;
            for (int field = 0; field < 4 && name < end; field++) { /* offset, dev, inode, padding */
                while (name < end && *name != ' ') name++;
                while (name < end && *name == ' ') name++;
            }
            if (name < end && *name == '/')
                add_file(roots, lo, hi, (p[0] == 'r' ? MT_MAPPING_READ : 0) | (p[2] == 'x' ? MT_MAPPING_EXEC : 0));
            if (p[0] == 'r' && p[1] == 'w')
                add_root_mapping(roots, lo, hi, name, end, own_sp, holes, n_holes);
        }
        line = *end ? end + 1 : end;
    }
    for (size_t i = 0; i < n_parked; i++) {
        if (atomic_load(&parked[i].state) != 1)
            continue;
        for (size_t k = 0; k < NGREG; k++) {
            if (roots->n_registers == roots->cap_registers) {
                uintptr_t *g = grow_array(roots->registers, &roots->cap_registers, sizeof *g);
                if (!g)
                    break;
                roots->registers = g;
            }
            roots->registers[roots->n_registers++] = parked[i].regs[k];
        }
    }
    return 0;
}

void mt_roots_free(struct mt_roots *roots)
{
    if (roots->ranges)
        munmap(roots->ranges, roots->cap * sizeof *roots->ranges);
    if (roots->registers)
        munmap(roots->registers, roots->cap_registers * sizeof *roots->registers);
    if (roots->files)
        munmap(roots->files, roots->cap_files * sizeof *roots->files);
    memset(roots, 0, sizeof *roots);
}
