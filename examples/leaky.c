/* A small program with the bugs memtrack finds: it counts words, forgets to
 * free its list, and releases one word twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct word {
    struct word *next;
    char *text;
    int count;
};

static struct word *add(struct word *list, const char *text)
{
    for (struct word *w = list; w; w = w->next)
        if (!strcmp(w->text, text)) {
            w->count++;
            return list;
        }
    struct word *w = malloc(sizeof *w);
    w->text = strdup(text);
    w->count = 1;
    w->next = list;
    return w;
}

static struct word *count_words(const char *line)
{
    char *copy = strdup(line);
    struct word *list = NULL;
    for (char *t = strtok(copy, " "); t; t = strtok(NULL, " "))
        list = add(list, t);
    free(copy);
    return list;
}

int main(int argc, char **argv)
{
    struct word *list = count_words(argc > 2 ? argv[2] : "a b a");
    for (struct word *w = list; w; w = w->next)
        printf("%-8s %d\n", w->text, w->count);
    free(list->text);
    free(list->text); /* double free: memtrack reports it, and the program goes on */
    return 0;         /* the list itself is never freed */
}
