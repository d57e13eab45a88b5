// C++ allocation operators: each new is one allocation (not two with the
// malloc inside): new, new[], nothrow new and new[], aligned new and new[].
// All are deleted properly but a plain new and an aligned new, which are lost.
// Every site has its own size, so the report's order does not depend on
// stack ids.
#include <new>
#include "case.h"

struct alignas(64) Wide {
    char bytes[64];
};

struct alignas(64) Wider {
    char bytes[128];
};

struct Counted {
    int value;
    ~Counted() { value = 0; } // a destructor: new[] stores the element count
};

// Allocates one of each kind and releases it with its matching delete.
static __attribute__((noinline)) void new_and_delete(void)
{
    int *one = new int(7);                           // 4 bytes
    int *ten = new int[10];                          // 40
    Counted *counted = new Counted[3];               // 3 * 4 + an 8-byte count = 20
    char *quiet = new (std::nothrow) char[7];        // 7
    short *quiet_one = new (std::nothrow) short;     // 2
    Wide *wide = new Wide;                           // 64, aligned
    Wide *wides = new Wide[3];                       // 192, aligned
    check(quiet && quiet_one, "nothrow new returned NULL");
    check(reinterpret_cast<unsigned long>(wide) % 64 == 0, "aligned new misaligned");
    check(reinterpret_cast<unsigned long>(wides) % 64 == 0, "aligned new[] misaligned");
    delete one;
    delete[] ten;
    delete[] counted;
    delete[] quiet;
    delete quiet_one;
    delete wide;
    delete[] wides;
}

// Loses a plain and an aligned object.
static __attribute__((noinline)) void lose_objects(void)
{
    long *volatile plain = new long(1);    // 8
    Wider *volatile wider = new Wider;     // 128, aligned
    plain = nullptr;
    wider = nullptr;
}

int main()
{
    new_and_delete();
    lose_objects();
    clobber_stack();
    say("done");
    return 0;
}
