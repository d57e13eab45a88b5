/*
 * arch.h - the processor-specific primitives libtrack uses, named once.  Each
 * processor has one header under arch/ that defines them all; everything
 * else in libtrack is written against these names.  Only x86-64 exists
 * today: the stack walk (unwind.c, eh_frame.c) follows its frame shape, CFA
 * from the stack or frame pointer and the return address at a fixed offset,
 * and a port starts by writing arch/<processor>.h and checking that shape.
 *
 *   mt_arch_counter()               a cheap, monotonic tick counter
 *   mt_arch_counter_is_invariant()  whether its rate is constant (else the
 *                                   clock is read instead: clock.c)
 *   MT_DWARF_FP, MT_DWARF_SP,       the DWARF numbers of the frame pointer,
 *   MT_DWARF_RA                     the stack pointer and the return address
 *   MT_ARCH_FRAME_RECORD            bytes from a frame's address (as
 *                                   __builtin_frame_address gives it) to its
 *                                   caller's stack pointer: the saved frame
 *                                   pointer and the return address
 *   mt_arch_context_sp(uc)          a signal context's stack pointer
 *   MT_ARCH_CONTEXT_REGS(uc)        its general registers, an array
 */
#ifndef MEMTRACK_ARCH_H
#define MEMTRACK_ARCH_H

#if defined(__x86_64__)
#include "arch/x86_64.h"
#else
#error "libtrack supports x86-64 only: its stack walk follows that processor's frames (see arch.h)"
#endif

#endif
