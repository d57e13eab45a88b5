/*
 * default_suppressions.c - the built-in suppression list: memory the C and C++
 * runtime (ld.so, glibc, libstdc++) allocates for itself and keeps until the
 * process ends.  Each entry applies only to the runtime frames a stack starts
 * with (gate/runtime.h): a program's own leak stays reported even though its
 * stack runs through __libc_start_call_main or _dl_init further out.
 */
#include "gate/suppressions.h"

const char DEFAULT_SUPPRESSIONS[] =
    "# memtrack's default suppressions (drop them with --no-default-suppressions).\n"
    "# Unlike suppressions you write, each one is matched only against the frames\n"
    "# at the innermost end of the allocation stack that lie in the runtime\n"
    "# (ld.so, libc, libm, libdl, libpthread, librt, libstdc++, libgcc_s), so a\n"
    "# leak in your code is never hidden because libc called your main().\n"
    "\n"
    "# ld.so: the link map, search paths and version tables of every library\n"
    "# loaded with dlopen() and not closed.\n"
    "leak:_dl_open\n"
    "leak:_dl_map_object\n"
    "# ld.so: start-up constructors of the runtime's own libraries, such as\n"
    "# libstdc++'s emergency exception-handling pool.\n"
    "leak:_dl_init\n"
    "# ld.so: thread-local storage (the DTV), kept with a thread's cached stack\n"
    "# (glibc bug 12650; LeakSanitizer suppresses the same).\n"
    "leak:_dl_allocate_tls\n"
    "leak:*tls_get_addr*\n"
    "# libc: dlerror()'s message buffer, kept per thread.\n"
    "leak:_dlerror_run\n"
    "# libc: unwinding a thread in pthread_exit() loads libgcc_s for good.\n"
    "leak:*pthread_exit*\n";
