/* names.h - the words the trace uses for protocol enums. */
#ifndef MEMTRACK_NAMES_H
#define MEMTRACK_NAMES_H

/* "malloc", "operator new[]", "operator delete (sized)", ...; "unknown" when out of range. */
const char *mt_function_name(unsigned function);
/* "double_free", "invalid_free", "mismatched_free". */
const char *mt_error_name(unsigned type);
/* "definite", "indirect", "possible", "reachable", "unclassified". */
const char *mt_leak_kind_name(unsigned kind);

#endif
