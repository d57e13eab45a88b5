// Allocates, then lets an exception escape main: std::terminate, abort.
#include <cstdlib>
#include <stdexcept>

int main()
{
    void *volatile kept = std::malloc(4096);
    (void)kept;
    for (int i = 0; i < 1000; i++)
        delete new int(i);
    throw std::runtime_error("nobody catches this");
}
