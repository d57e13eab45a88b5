/* A library that allocates, to be dlopen'ed and dlclose'd by dlclose_leak. */
#include <stdlib.h>

void *plugin_leak(void)
{
    return malloc(77);
}
