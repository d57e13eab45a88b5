// Releases by the wrong family, each reported as a mismatched free and then
// carried out, so that nothing leaks and the program survives:
// malloc/delete, new/free, new/delete[], new[]/delete, aligned new / plain
// delete, sized delete with a wrong size, realloc of a new'd block.
// Every block has its own size, so the sites' order does not depend on stack ids.
//
// memcheck-differs: mismatched_frees+2: memcheck 3.19 checks neither the
// alignment nor the size given to operator delete.
#include <cstdlib>
#include <new>
#include "case.h"

struct alignas(64) Wide {
    char bytes[64];
};

int main()
{
    void *from_malloc = std::malloc(12);
    ::operator delete(from_malloc);

    int *from_new = new int(1);
    std::free(from_new);

    long *one = new long(2);
    delete[] one;

    int *many = new int[4];
    delete many;

    void *wide = ::operator new(sizeof(Wide), std::align_val_t(alignof(Wide)));
    ::operator delete(wide);

    void *sized = ::operator new(24);
    ::operator delete(sized, 999);

    void *to_grow = ::operator new(20);
    void *grown = std::realloc(to_grow, 200);
    check(grown != nullptr, "realloc of a new'd block failed");
    std::free(grown);

    say("done");
    return 0;
}
