/*
 * folding_program.c - a program whose page `memtrack view` folds, for the
 * viewer's folding test: one site makes nearly every allocation, so each of
 * sixty small functions (20 blocks each, held until the end: not temporary,
 * not live at the peak) is below a thousandth of every figure and is folded
 * into "other", which together they fill to 1%; merged() is called from
 * 1,000 lines of one function, each line a tiny site of its own, but their
 * frames share merged()'s name, so together they are a frame the graph
 * keeps.
 */
#include <stdlib.h>

#define TEN(x) x x x x x x x x x x

static void *volatile sink;

/* One allocation, freed at once. */
__attribute__((noinline)) void merged(void)
{
    sink = malloc(8);
    free(sink);
}

/* Calls merged() from 1,000 lines: 1,000 distinct allocation stacks. */
__attribute__((noinline)) void many_callers(void)
{
    TEN(TEN(TEN(merged(); __asm__ volatile("" ::: "memory");)))
}

static void *held[60 * 20];
static int held_count;

#define SMALL(n)                                                                                                       \
    __attribute__((noinline)) void small_##n(void)                                                                     \
    {                                                                                                                  \
        for (int i = 0; i < 20; i++)                                                                                   \
            held[held_count++] = malloc(24);                                                                           \
    }
#define SMALL10(n) SMALL(n##0) SMALL(n##1) SMALL(n##2) SMALL(n##3) SMALL(n##4) SMALL(n##5) SMALL(n##6) SMALL(n##7) \
    SMALL(n##8) SMALL(n##9)
SMALL10(1) SMALL10(2) SMALL10(3) SMALL10(4) SMALL10(5) SMALL10(6)
#define CALL10(n) small_##n##0(); small_##n##1(); small_##n##2(); small_##n##3(); small_##n##4(); small_##n##5(); \
    small_##n##6(); small_##n##7(); small_##n##8(); small_##n##9();

/* Nearly every allocation: 100,000 of them, 1,000 live at once. */
__attribute__((noinline)) void big(void)
{
    static void *live[1000];
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < 1000; i++)
            live[i] = malloc(1024);
        for (int i = 0; i < 1000; i++)
            free(live[i]);
    }
}

int main(void)
{
    big();
    many_callers();
    CALL10(1) CALL10(2) CALL10(3) CALL10(4) CALL10(5) CALL10(6)
    for (int i = 0; i < held_count; i++)
        free(held[i]);
    return 0;
}
