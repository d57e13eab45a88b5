/*
 * arch/x86_64.h - arch.h's primitives on x86-64: the time-stamp counter,
 * the System V ABI's DWARF register numbers and frame record, and the
 * registers of a signal context.
 */
#ifndef MEMTRACK_ARCH_X86_64_H
#define MEMTRACK_ARCH_X86_64_H

#include <cpuid.h>
#include <stdint.h>

#define MT_DWARF_FP 6  /* rbp */
#define MT_DWARF_SP 7  /* rsp */
#define MT_DWARF_RA 16 /* the return address column */

/* The saved rbp and the return address. */
#define MT_ARCH_FRAME_RECORD (2 * sizeof(void *))

/* Of a ucontext_t (<ucontext.h>, with _GNU_SOURCE for REG_RSP). */
#define MT_ARCH_CONTEXT_REGS(uc) ((uc)->uc_mcontext.gregs)
#define mt_arch_context_sp(uc) ((uintptr_t)(uc)->uc_mcontext.gregs[REG_RSP])

static inline uint64_t mt_arch_counter(void)
{
    return __builtin_ia32_rdtsc();
}

/* cpuid 0x80000007, EDX bit 8: the time-stamp counter ticks at a constant
 * rate whatever the core's frequency and sleep states. */
static inline int mt_arch_counter_is_invariant(void)
{
    unsigned eax, ebx, ecx, edx;
    return __get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx) && (edx & (1u << 8));
}

#endif
