/*
 * replay.c - runs a fuzz target without libFuzzer: feeds it every file named
 * on the command line (every file inside a directory named), in name order.
 * Linked with each harness so that the stored corpus, crashers included,
 * stays a regression test (ctest fuzz.replay_*) built by the normal compiler.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds the whole file at PATH to the target; -1 when it cannot be read. */
static int replay_file(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        perror(path);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(in), &st) != 0) {
        fclose(in);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    /* an exact-size copy, so a read past the input's end is caught by ASan */
    uint8_t *data = malloc(size ? size : 1);
    int ok = data && fread(data, 1, size, in) == size;
    fclose(in);
    if (ok)
        LLVMFuzzerTestOneInput(data, size);
    else
        fprintf(stderr, "%s: cannot read\n", path);
    free(data);
    return ok ? 0 : -1;
}

/* Replays every regular file in DIR, in name order; returns how many, or -1. */
static long replay_directory(const char *dir)
{
    struct dirent **entries;
    int n = scandir(dir, &entries, NULL, alphasort);
    if (n < 0) {
        perror(dir);
        return -1;
    }
    long replayed = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, entries[i]->d_name);
        if (replayed >= 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            replayed = replay_file(path) == 0 ? replayed + 1 : -1;
        free(entries[i]);
    }
    free(entries);
    return replayed;
}

/* Replays every input named; fails when none could be read (an empty corpus
 * tests nothing) or one could not be read. */
int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIRECTORY...\n", argv[0]);
        return 2;
    }
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        long replayed = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? replay_directory(argv[i])
                                                                         : (replay_file(argv[i]) == 0 ? 1 : -1);
        if (replayed < 0)
            return 1;
        total += replayed;
    }
    if (total == 0) {
        fputs("no input replayed: an empty corpus tests nothing\n", stderr);
        return 1;
    }
    printf("%ld inputs replayed\n", total);
    return 0;
}
