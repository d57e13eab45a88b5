// memcheck's leak-check heuristics: five blocks, each kept only through a
// pointer into its middle held in a global.  Four are shapes a heuristic
// knows, so memcheck (whose heuristics are all on by default) reports them
// "still reachable", each under its heuristic; the fifth is a plain interior
// pointer and stays "possibly lost":
//   stdstring            65 bytes: a copy-on-write std::string's
//                        representation (built with the old libstdc++ ABI,
//                        -D_GLIBCXX_USE_CXX11_ABI=0), the string 3 words in
//   length64             80 bytes: a 64-bit count of the 72 bytes after it,
//                        the pointer 8 bytes in (sqlite's allocator)
//   newarray             68 bytes: new Triple[5] of a class with a
//                        destructor, the pointer after the 8-byte count
//   multipleinheritance  40 bytes: a Both kept as its second base, Right,
//                        16 bytes in; both vtable pointers point to
//                        vtables of two virtual functions
//   none (possible)      52 bytes: malloc'd, the pointer 20 bytes in
// Run with --leak-check-heuristics=none (memtrack run and memcheck alike,
// the case leak_heuristics_none), all five are "possibly lost".
#include <new>
#include <stdlib.h>
#include <string>
#include "case.h"

// The string lives in static storage without a destructor to run at exit:
// its only word points 24 bytes into its heap representation.
alignas(std::string) static unsigned char string_storage[sizeof(std::string)];
char *counted_bytes;      // 8 bytes into the length64 block
struct Triple *triples;   // 8 bytes into the newarray block
struct Right *right_side; // 16 bytes into the multipleinheritance block
char *plain_interior;     // 20 bytes into the control block

struct Triple {
    int a, b, c;
    ~Triple() { a = b = c = 0; } // a destructor: new[] stores the element count
};

struct Left {
    virtual ~Left() {}
    virtual long left() { return left_value; }
    long left_value = 1;
};

struct Right {
    virtual ~Right() {}
    virtual long right() { return right_value; }
    long right_value = 2;
};

struct Both : Left, Right {
    long both_value = 3;
};

// Makes a 40-character copy-on-write string: 24 + 40 + 1 = 65 bytes.
static __attribute__((noinline)) void keep_string(void)
{
    new (string_storage) std::string(40, 'x');
}

// A block of 80 bytes whose first word counts the 72 after it.
static __attribute__((noinline)) void keep_counted(void)
{
    unsigned long *volatile block = static_cast<unsigned long *>(malloc(80));
    block[0] = 72;
    counted_bytes = reinterpret_cast<char *>(block) + 8;
    block = nullptr;
}

// new Triple[5]: an 8-byte count and five 12-byte elements, 68 bytes.
static __attribute__((noinline)) void keep_triples(void)
{
    triples = new Triple[5];
}

// A Both (40 bytes) kept as its Right, which lies 16 bytes in.
static __attribute__((noinline)) void keep_right_side(void)
{
    right_side = new Both;
}

// 52 bytes kept only through a pointer 20 bytes in.
static __attribute__((noinline)) void keep_plain_interior(void)
{
    char *volatile block = static_cast<char *>(calloc(1, 52));
    plain_interior = block + 20;
    block = nullptr;
}

int main(void)
{
    keep_string();
    keep_counted();
    keep_triples();
    keep_right_side();
    keep_plain_interior();
    check(reinterpret_cast<char *>(right_side) != reinterpret_cast<char *>(static_cast<Both *>(right_side)),
          "Right is not an interior part of Both");
    clobber_stack();
    say("done");
    return 0;
}
