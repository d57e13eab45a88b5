/*
 * interior.c - memcheck's four leak-check heuristics, tried in memcheck's
 * order on a pointer into the middle of a block (see interior.h):
 *
 *  - stdstring: the characters of a copy-on-write std::string (the old
 *    libstdc++ ABI), whose block starts with its length, capacity and
 *    reference count: the pointer is 3 words in, the capacity word says how
 *    big the block is (3 words, the capacity and a NUL) and the length is at
 *    most the capacity;
 *  - length64: a block that starts with a 64-bit count of the bytes after it
 *    (sqlite's allocator), the pointer 8 bytes in;
 *  - newarray: `new T[n]` of a class with a destructor, whose block starts
 *    with the element count n, the pointer 8 bytes in and the rest of the
 *    block n equal elements;
 *  - multipleinheritance: a pointer to a base-class subobject, whose first
 *    word, like the block's, is the address of a vtable.
 *
 * They run inside the leak scan, with the other threads stopped: nothing
 * here allocates or takes a lock.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "interior.h"
#include "protocol.h"

#define WORD sizeof(uint64_t)
#define VTABLE_WORDS 20     /* memcheck's VTABLE_MAX_CHECK: words looked at after a vtable's address */
#define VTABLE_FUNCTIONS 2  /* function pointers that must be found among them */
#define PAGE_ZERO_END 4096  /* no vtable lies in the first page: small integers are never taken for one */

/* The file-backed mapping holding ADDRESS, or NULL.  Binary search. */
static const struct mt_mapping *file_mapping(const struct mt_interior *in, uintptr_t address)
{
    size_t lo = 0, hi = in->n_files;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (address < in->files[mid].lo)
            hi = mid;
        else if (address >= in->files[mid].hi)
            lo = mid + 1;
        else
            return &in->files[mid];
    }
    return NULL;
}

/* Whether ADDRESS lies in an executable file-backed mapping: where the
 * functions a vtable points to are. */
static int in_mapped_code(const struct mt_interior *in, uintptr_t address)
{
    const struct mt_mapping *m = file_mapping(in, address);
    return m && (m->prot & MT_MAPPING_EXEC);
}

ssize_t mt_read_memory(void *to, uintptr_t from, size_t bytes)
{
    struct iovec local = {to, bytes}, remote = {(void *)from, bytes};
    return process_vm_readv((pid_t)syscall(SYS_gettid), &local, 1, &remote, 1, 0);
}

/* memcheck's test of a vtable: ADDRESS lies in a readable file-backed
 * mapping, and among the words from it on (at most VTABLE_WORDS + 1, within
 * that mapping) VTABLE_FUNCTIONS non-null ones point into executable
 * file-backed mappings before any word points elsewhere (null words, which
 * vtables can hold, are passed over).  The words are read through
 * mt_read_memory: a mapping past the end of its file faults. */
static int looks_like_vtable(const struct mt_interior *in, uintptr_t address)
{
    const struct mt_mapping *m = file_mapping(in, address);
    if (!m || !(m->prot & MT_MAPPING_READ))
        return 0;
    uint64_t words[VTABLE_WORDS + 1];
    size_t want = (m->hi - address) / WORD;
    if (want > VTABLE_WORDS + 1)
        want = VTABLE_WORDS + 1;
    ssize_t got = mt_read_memory(words, address, want * WORD);
    int functions = 0;
    for (size_t k = 0; got > 0 && k < (size_t)got / WORD; k++) {
        if (words[k] == 0)
            continue;
        if (!in_mapped_code(in, words[k]))
            return 0;
        if (++functions == VTABLE_FUNCTIONS)
            return 1;
    }
    return 0;
}

/* looks_like_vtable, remembered per address for the scan: the objects of one
 * class share their vtables, and each judgement costs a system call. */
static int is_vtable(struct mt_interior *in, uintptr_t address)
{
    if (address % WORD || address < PAGE_ZERO_END)
        return 0;
    size_t slot = (address / WORD) % MT_VTABLE_CACHE;
    if (!in->cache[slot].judged || in->cache[slot].address != address) {
        in->cache[slot].address = address;
        in->cache[slot].vtable = (uint8_t)looks_like_vtable(in, address);
        in->cache[slot].judged = 1;
    }
    return in->cache[slot].vtable;
}

unsigned mt_interior_heuristic(struct mt_interior *in, uintptr_t start, uint64_t size, uintptr_t ptr)
{
    const uint64_t *word = (const uint64_t *)start;
    uint64_t offset = ptr - start;
    if ((in->set & (1u << MT_HEURISTIC_STDSTRING)) && offset == 3 * WORD && word[1] == size - (3 * WORD + 1) &&
        word[0] <= word[1])
        return MT_HEURISTIC_STDSTRING;
    if ((in->set & (1u << MT_HEURISTIC_LENGTH64)) && offset == WORD && word[0] > 0 && word[0] == size - WORD)
        return MT_HEURISTIC_LENGTH64;
    if ((in->set & (1u << MT_HEURISTIC_NEWARRAY)) && offset == WORD && word[0] > 0 &&
        (size - WORD) % word[0] == 0)
        return MT_HEURISTIC_NEWARRAY;
    if ((in->set & (1u << MT_HEURISTIC_MULTIPLE_INHERITANCE)) && ptr % WORD == 0 && offset + WORD <= size &&
        is_vtable(in, *(const uint64_t *)ptr) && is_vtable(in, word[0]))
        return MT_HEURISTIC_MULTIPLE_INHERITANCE;
    return MT_HEURISTIC_NONE;
}
