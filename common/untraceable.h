/*
 * untraceable.h - whether the dynamic loader will preload libtrack into a
 * program, judged from its file before it runs: by `memtrack run` for the
 * program it starts, and by libtrack for each program a traced process execs
 * or spawns.  Header-only and without allocation: libtrack runs it in a vfork
 * child too.
 */
#ifndef MEMTRACK_UNTRACEABLE_H
#define MEMTRACK_UNTRACEABLE_H

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why a program cannot be traced; travels in HELLO's `untraceable` field. */
enum mt_untraceable {
    MT_TRACEABLE = 0,
    MT_UNTRACEABLE_SETID,  /* setuid or setgid: the loader ignores LD_PRELOAD */
    MT_UNTRACEABLE_STATIC, /* no PT_INTERP: there is no loader at all */
    MT_UNTRACEABLE_END
};

/* Judges the program file at PATH; one it cannot read is taken as traceable
 * (its exec will fail, or the loader will say more). */
static inline enum mt_untraceable mt_untraceable_program(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
                                 ((st.st_mode & S_ISGID) && st.st_gid != getegid())))
        return MT_UNTRACEABLE_SETID;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return MT_TRACEABLE;
    Elf64_Ehdr eh;
    enum mt_untraceable why = MT_TRACEABLE;
    if (read(fd, &eh, sizeof eh) == sizeof eh && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
        eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum < 256) {
        int interp = 0;
        for (int i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (size_t)i * sizeof ph)) != sizeof ph)
                break;
            interp |= ph.p_type == PT_INTERP;
        }
        if (!interp)
            why = MT_UNTRACEABLE_STATIC;
    }
    close(fd);
    return why;
}

/* Says WHY for people (processes.untraced); NULL for MT_TRACEABLE or an unknown value. */
static inline const char *mt_untraceable_reason(unsigned why)
{
    switch (why) {
    case MT_UNTRACEABLE_SETID:
        return "setuid or setgid program: the loader ignores LD_PRELOAD, so no allocation is traced";
    case MT_UNTRACEABLE_STATIC:
        return "statically linked program: there is no dynamic loader to preload into, so no allocation is traced";
    default:
        return NULL;
    }
}

#endif
