/*
 * fuzz_decoder.c - fuzz target for the collector's only parser of bytes that
 * come from traced processes: cli/collect/decoder.c walks each batch and the
 * records it accepts are applied to process state (cli/collect/process.c), as
 * cli/collect/server.c does.
 *
 * Input: the messages of one collector session, each a 4-byte little-endian
 * length followed by that many bytes (the last one may simply run to the end).
 * Each message is one connection's batch; a batch the decoder refuses closes
 * that connection, as the server does, and the next message opens a new one.
 * A HELLO starts a process image, like server.c's on_hello: a resumed one
 * finds its process by token, a fork child inherits from its parent's state.
 * SEGMENT records are skipped: they need a descriptor that came with the
 * message, which a byte string cannot carry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "collect/decoder.h"
#include "collect/process.h"

#define MAX_PROCESSES 16 /* enough to reach every hello path, bounded per input */

struct session {
    struct mt_process *processes[MAX_PROCESSES];
    size_t n_processes;
    struct mt_process *bound; /* the process speaking on the current connection */
    int unbound_record;       /* a record came before any hello */
};

/* The latest process image with this pid, or NULL. */
static struct mt_process *find_pid(struct session *s, uint32_t pid)
{
    for (size_t i = s->n_processes; i-- > 0;)
        if (s->processes[i]->pid == pid)
            return s->processes[i];
    return NULL;
}

/* Binds the connection to the process a HELLO names, creating it if new. */
static void on_hello(struct session *s, const struct mt_rec_hello *hello)
{
    if (hello->flags & MT_HELLO_RESUMED)
        for (size_t i = 0; i < s->n_processes; i++)
            if (s->processes[i]->token == hello->token) {
                s->bound = s->processes[i];
                process_add_note(s->bound, "tracing reconnected");
                return;
            }
    if (s->n_processes == MAX_PROCESSES)
        return;
    struct mt_process *p = process_new(hello);
    if (!p)
        return;
    struct mt_process *parent = find_pid(s, hello->parent_pid);
    if ((hello->flags & MT_HELLO_FORKED) && parent)
        process_inherit_from(p, parent);
    s->processes[s->n_processes++] = p;
    s->bound = p;
}

/* The decoder's callback: every record it accepted, in order. */
static int apply_record(void *context, uint32_t tid, const struct mt_record_header *rec)
{
    struct session *s = context;
    if (rec->type == MT_REC_HELLO) {
        if (!s->bound)
            on_hello(s, (const void *)rec);
        return 0;
    }
    if (!s->bound) {
        s->unbound_record = 1;
        return 1;
    }
    if (rec->type != MT_REC_SEGMENT)
        process_apply(s->bound, rec);
    return 0;
}

/* Decodes one message in an 8-aligned copy of its own, as the server's receive
 * buffer is, so ASan sees any read past its end. */
static void receive_message(struct session *s, const uint8_t *bytes, size_t len)
{
    void *batch = malloc(len ? len : 1);
    if (!batch)
        return;
    memcpy(batch, bytes, len);
    const char *why = NULL;
    if (mt_decode_batch(batch, len, apply_record, s, &why) == 0 && s->unbound_record)
        why = "records before the hello";
    if (!why && s->bound) {
        struct mt_batch_header bh;
        memcpy(&bh, batch, sizeof bh);
        harvest_note_batch(&s->bound->harvest, bh.slot, bh.seq);
    }
    if (why) {
        if (s->bound)
            process_add_note(s->bound, why);
        s->bound = NULL; /* the server closes the connection */
        s->unbound_record = 0;
    }
    free(batch);
}

/* Reads back what the collector's later stages read from each process. */
static void read_back(const struct mt_process *p)
{
    uint64_t key;
    void *value;
    for (size_t i = 0; u64map_next(&p->stacks, &i, &key, &value);) {
        const struct mt_stack_def *stack = value;
        for (uint32_t f = 0; f < stack->depth; f++)
            (void)process_module_of(p, process_frame_address(p, stack, f));
    }
}

/* One collector session: splits the input into messages, applies them, then
 * frees every process the way the collector does after writing it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct session s = {0};
    while (size > 0) {
        uint32_t len = 0;
        if (size >= sizeof len) {
            memcpy(&len, data, sizeof len);
            data += sizeof len;
            size -= sizeof len;
        }
        if (len == 0 || len > size)
            len = (uint32_t)size;
        receive_message(&s, data, len);
        data += len;
        size -= len;
    }
    for (size_t i = 0; i < s.n_processes; i++) {
        read_back(s.processes[i]);
        process_harvest(s.processes[i]);
        process_free(s.processes[i]);
    }
    return 0;
}
