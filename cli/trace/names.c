/*
 * names.c - the trace stores names, not protocol numbers, so that it reads
 * the same whatever the protocol becomes.  C++ variants keep the base name and
 * add a suffix in parentheses (the report contract: never change the base).
 */
#include "trace/names.h"
#include "protocol.h"

const char *mt_function_name(unsigned f)
{
    static const char *const names[MT_FN_END] = {
        [MT_FN_MALLOC] = "malloc", [MT_FN_CALLOC] = "calloc", [MT_FN_REALLOC] = "realloc",
        [MT_FN_REALLOCARRAY] = "reallocarray", [MT_FN_POSIX_MEMALIGN] = "posix_memalign",
        [MT_FN_ALIGNED_ALLOC] = "aligned_alloc", [MT_FN_MEMALIGN] = "memalign", [MT_FN_VALLOC] = "valloc",
        [MT_FN_PVALLOC] = "pvalloc", [MT_FN_NEW] = "operator new", [MT_FN_NEW_NOTHROW] = "operator new (nothrow)",
        [MT_FN_NEW_ALIGNED] = "operator new (aligned)",
        [MT_FN_NEW_ALIGNED_NOTHROW] = "operator new (aligned, nothrow)", [MT_FN_NEW_ARRAY] = "operator new[]",
        [MT_FN_NEW_ARRAY_NOTHROW] = "operator new[] (nothrow)",
        [MT_FN_NEW_ARRAY_ALIGNED] = "operator new[] (aligned)",
        [MT_FN_NEW_ARRAY_ALIGNED_NOTHROW] = "operator new[] (aligned, nothrow)", [MT_FN_FREE] = "free",
        [MT_FN_DELETE] = "operator delete", [MT_FN_DELETE_SIZED] = "operator delete (sized)",
        [MT_FN_DELETE_ALIGNED] = "operator delete (aligned)",
        [MT_FN_DELETE_SIZED_ALIGNED] = "operator delete (sized, aligned)",
        [MT_FN_DELETE_NOTHROW] = "operator delete (nothrow)",
        [MT_FN_DELETE_ALIGNED_NOTHROW] = "operator delete (aligned, nothrow)",
        [MT_FN_DELETE_ARRAY] = "operator delete[]", [MT_FN_DELETE_ARRAY_SIZED] = "operator delete[] (sized)",
        [MT_FN_DELETE_ARRAY_ALIGNED] = "operator delete[] (aligned)",
        [MT_FN_DELETE_ARRAY_SIZED_ALIGNED] = "operator delete[] (sized, aligned)",
        [MT_FN_DELETE_ARRAY_NOTHROW] = "operator delete[] (nothrow)",
        [MT_FN_DELETE_ARRAY_ALIGNED_NOTHROW] = "operator delete[] (aligned, nothrow)",
    };
    return f < MT_FN_END && names[f] ? names[f] : "unknown";
}

const char *mt_error_name(unsigned type)
{
    switch (type) {
    case MT_ERR_DOUBLE_FREE: return "double_free";
    case MT_ERR_INVALID_FREE: return "invalid_free";
    case MT_ERR_MISMATCHED_FREE: return "mismatched_free";
    default: return "unknown";
    }
}

const char *mt_leak_kind_name(unsigned kind)
{
    switch (kind) {
    case MT_LEAK_DEFINITE: return "definite";
    case MT_LEAK_INDIRECT: return "indirect";
    case MT_LEAK_POSSIBLE: return "possible";
    case MT_LEAK_REACHABLE: return "reachable";
    default: return "unclassified";
    }
}
