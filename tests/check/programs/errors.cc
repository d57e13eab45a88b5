// errors.cc - one bad free of each kind, each at a known line; libtrack
// catches them before libc, so the program carries on.
#include <cstdlib>

__attribute__((noinline)) static void double_free()
{
    char *block = static_cast<char *>(std::malloc(8));
    std::free(block);
    std::free(block); // DOUBLE-FREE-LINE
}

__attribute__((noinline)) static void invalid_free()
{
    char *block = static_cast<char *>(std::malloc(16));
    std::free(block + 4); // INVALID-FREE-LINE
    std::free(block);
}

static long a_global;

__attribute__((noinline)) static void invalid_free_of_a_global()
{
    std::free(&a_global); // GLOBAL-FREE-LINE
}

__attribute__((noinline)) static void mismatched_free()
{
    int *numbers = new int[4];
    std::free(numbers); // MISMATCH-LINE
}

int main(int argc, char **argv)
{
    // argv[1] picks one kind ("double", "invalid", "mismatch"); none: all three.
    // "global" frees a variable, and only then.
    const char *only = argc > 1 ? argv[1] : "";
    if (!*only || only[0] == 'd')
        double_free();
    if (!*only || only[0] == 'i')
        invalid_free();
    if (only[0] == 'g')
        invalid_free_of_a_global();
    if (!*only || only[0] == 'm')
        mismatched_free();
    return 0;
}
