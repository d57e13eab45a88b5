/* leaky.c - leaks of every classified kind, at known lines.  With -DEXTRA_LEAK
 * it leaks once more (a "new" finding against a baseline of the plain build);
 * with -DPADDING its code moves to other addresses. */
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *next;
    char payload[24];
};

static void *kept; /* still reachable at exit */

#ifdef PADDING
__attribute__((noinline)) int padding(int x)
{
    return x * 3 + 1;
}
#endif

__attribute__((noinline)) static char *make_leak(size_t size)
{
    char *block = malloc(size); /* LEAK-LINE */
    memset(block, 'x', size);
    return block;
}

__attribute__((noinline)) static void lose_list(void)
{
    struct node *head = malloc(sizeof *head); /* LIST-LINE */
    head->next = malloc(sizeof *head);        /* INDIRECT-LINE */
    head->next->next = NULL;
}

#ifdef EXTRA_LEAK
__attribute__((noinline)) static void new_leak(void)
{
    char *block = malloc(77); /* NEW-LEAK-LINE */
    block[0] = 1;
}
#endif

/* Overwrites the dead stack frames above, so no stale copy of a lost
 * pointer makes a lost block look reachable. */
__attribute__((noinline)) static void scrub_stack(void)
{
    volatile char scratch[8192];
    memset((char *)scratch, 0, sizeof scratch);
}

int main(void)
{
    make_leak(40);
    lose_list();
#ifdef EXTRA_LEAK
    new_leak();
#endif
    kept = malloc(100);
    scrub_stack();
    return 0;
}
