/*
 * hooks_exit.c - _exit and _Exit, so that a process ending without its exit
 * handlers (a fork child, a shell) is told apart from one killed by a signal.
 * Both are exit_group underneath; calling it directly needs no lookup.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>
#include "internal.h"

MT_EXPORT void _exit(int status)
{
    /* libtrack keeps frame pointers: above this frame's saved rbp and return
     * address lies the caller's stack as it was at the call */
    mt_on_immediate_exit(status, (uintptr_t)__builtin_frame_address(0) + MT_ARCH_FRAME_RECORD);
    for (;;)
        syscall(SYS_exit_group, status);
}

MT_EXPORT void _Exit(int status)
{
    _exit(status);
}
