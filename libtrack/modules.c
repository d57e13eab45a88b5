/*
 * modules.c - the loaded objects, so that the collector can map each return
 * address to a file and symbolize it after the program is gone.
 *
 * The whole list is sent once the connection exists and again after every
 * dlopen and dlclose; the collector keeps one row per (path, base) it has not
 * seen.  Also finds libtrack's own text, whose frames stacks.c leaves out.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

uintptr_t mt_self_text_start, mt_self_text_end;

/* libtrack's writable segments (.data, .bss): they hold addresses of blocks
 * (the quarantine) and must never count as roots of the leak scan. */
#define MAX_SELF_DATA 4
static uintptr_t self_data[MAX_SELF_DATA][2];
static int n_self_data;

/* Copies the GNU build id of an object from its PT_NOTE segments; returns its length. */
static size_t build_id_of(const struct dl_phdr_info *info, unsigned char *out, size_t cap)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const void *)p;
            const char *name = p + sizeof *n;
            const unsigned char *desc = (const unsigned char *)name + ((n->n_namesz + 3) & ~3u);
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                size_t len = n->n_descsz < cap ? n->n_descsz : cap;
                memcpy(out, desc, len);
                return len;
            }
            p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
        }
    }
    return 0;
}

static int send_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct mt_thread *t = arg;
    char exe[4096];
    const char *path = info->dlpi_name;
    if (!path || !*path) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        path = exe;
    }
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (s < lo)
            lo = s;
        if (s + ph->p_memsz > hi)
            hi = s + ph->p_memsz;
    }
    unsigned char id[32];
    size_t id_len = build_id_of(info, id, sizeof id);
    size_t path_len = strlen(path);
    if (path_len > 2048)
        return 0;
    unsigned rec_size = MT_ALIGN8((unsigned)(sizeof(struct mt_rec_module) + id_len + path_len + 1));
    struct mt_rec_module *r = mt_record_begin(t, MT_REC_MODULE, rec_size, (uint32_t)id_len);
    r->base = info->dlpi_addr;
    r->start = lo == UINTPTR_MAX ? 0 : lo;
    r->end = hi;
    char *tail = (char *)(r + 1);
    memcpy(tail, id, id_len);
    memcpy(tail + id_len, path, path_len + 1);
    memset(tail + id_len + path_len + 1, 0, rec_size - sizeof *r - id_len - path_len - 1);
    mt_record_end(t);
    return 0;
}

/* Sends the list at once rather than with the thread's next full batch: the
 * collector resolves a stack's addresses while the program runs only once it
 * knows their modules, and the stacks of other threads (a program whose main
 * thread starts workers and waits) would otherwise all arrive first and be
 * resolved after the program ends, in the time it waits for memtrack.  Not
 * while another thread is still connecting: a send then would drop the
 * batch, which instead waits in the buffer for the connection. */
void mt_modules_send_all(struct mt_thread *t)
{
    dl_iterate_phdr(send_one, t);
    if (mt_transport_connected())
        mt_flush(t);
}

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    uintptr_t me = (uintptr_t)arg;
    int found = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && me >= s && me < s + ph->p_memsz) {
            mt_self_text_start = s;
            mt_self_text_end = s + ph->p_memsz;
            found = 1;
        }
    }
    for (int i = 0; found && i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W) && n_self_data < MAX_SELF_DATA) {
            uintptr_t s = info->dlpi_addr + ph->p_vaddr;
            self_data[n_self_data][0] = s & ~(uintptr_t)4095;
            self_data[n_self_data][1] = (s + ph->p_memsz + 4095) & ~(uintptr_t)4095;
            n_self_data++;
        }
    }
    return found;
}

void mt_self_own_ranges(mt_range_fn fn, void *arg)
{
    for (int i = 0; i < n_self_data; i++)
        fn(self_data[i][0], self_data[i][1], arg);
}

void mt_modules_locate_self(void)
{
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&mt_modules_locate_self);
}

/* Asks the loader which malloc the program's global scope binds: the
 * executable comes before every preloaded object in it, so an executable
 * exporting its own malloc wins over libtrack's for every caller.  A non-PIE
 * executable that takes malloc's address makes dlsym return its PLT stub
 * (the canonical address, an undefined symbol with a value), which still
 * calls libtrack's: only a symbol some object defines is a malloc of its own. */
int mt_modules_malloc_is_foreign(void)
{
    void *bound = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info info;
    const ElfW(Sym) *symbol = NULL;
    return bound != NULL && ((uintptr_t)bound < mt_self_text_start || (uintptr_t)bound >= mt_self_text_end) &&
           dladdr1(bound, &info, (void **)&symbol, RTLD_DL_SYMENT) != 0 && info.dli_saddr == bound &&
           symbol != NULL && symbol->st_shndx != SHN_UNDEF;
}

/* After dlopen and dlclose the list changed: send it again. */
static void modules_changed(void)
{
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return;
    mt_modules_send_all(t);
    mt_thread_release(t);
}

MT_EXPORT void *dlopen(const char *file, int mode)
{
    static void *(*real)(const char *, int);
    if (!real)
        real = dlsym(RTLD_NEXT, "dlopen");
    mt_unwind_loader_enter();
    void *h = real(file, mode);
    mt_unwind_loader_leave();
    if (h)
        modules_changed();
    return h;
}

MT_EXPORT int dlclose(void *handle)
{
    static int (*real)(void *);
    if (!real)
        real = dlsym(RTLD_NEXT, "dlclose");
    mt_unwind_loader_enter();
    int rc = real(handle);
    mt_unwind_loader_leave();
    modules_changed();
    return rc;
}
