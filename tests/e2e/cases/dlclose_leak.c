/* Leaks a block allocated by a library it then dlcloses, after changing
 * directory: the library's frames must still be symbolized in the report. */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h)
        return 1;
    void *(*leak)(void) = (void *(*)(void))dlsym(h, "plugin_leak");
    void *volatile p = leak();
    p = NULL;
    dlclose(h);
    return chdir("/") == 0 ? 0 : 2;
}
