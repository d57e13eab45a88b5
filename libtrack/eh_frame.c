/*
 * eh_frame.c - how to step from a return address to its caller, read from the
 * loaded object's .eh_frame.
 *
 * unwind.c caches one rule per return address; this file computes a rule the
 * first time an address is seen: find the object with _dl_find_object (glibc's
 * lock-free lookup, safe inside malloc), binary-search its .eh_frame_hdr table
 * for the FDE, run the CIE's and the FDE's call-frame instructions up to the
 * call instruction, and reduce the resulting row to the x86-64 registers the
 * walk follows: the CFA (from rsp or rbp plus an offset), the return address
 * and the saved rbp.  Anything outside that shape (CFA expressions, signal
 * frames, registers saved in registers, unknown encodings or opcodes) is
 * MT_RULE_UNSUPPORTED, and the whole backtrace is then taken by libunwind:
 * this file never guesses.
 *
 * Everything read here lies in the object's loaded, read-only segments.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include "internal.h"

/* Declared weak so that libtrack still loads where glibc predates 2.35:
 * every rule is then unsupported and libunwind takes every backtrace. */
extern int _dl_find_object(void *address, struct dl_find_object *result) __attribute__((weak));


enum reg_how { HOW_SAME, HOW_UNDEFINED, HOW_OFFSET, HOW_OTHER };

struct reg_rule {
    enum reg_how how;
    int64_t offset; /* HOW_OFFSET: saved at CFA + offset */
};

/* One row of the CFA table, restricted to what the walk needs. */
struct row {
    unsigned cfa_reg;
    int64_t cfa_offset;
    int cfa_is_expression;
    struct reg_rule rbp, rsp, ra;
};

#define STATE_STACK 8

struct reader {
    const uint8_t *p, *end;
    int bad; /* a read ran past the end or met an encoding this file does not handle */
};

/* The LEB128 and fixed-size readers: each sets r->bad instead of reading past r->end. */
static uint64_t read_uleb(struct reader *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; r->p < r->end; shift += 7) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->bad = 1;
    return 0;
}

static int64_t read_sleb(struct reader *r)
{
    int64_t v = 0;
    unsigned shift = 0;
    while (r->p < r->end) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40))
                v |= -((int64_t)1 << shift);
            return v;
        }
    }
    r->bad = 1;
    return 0;
}

static uint64_t read_fixed(struct reader *r, unsigned size)
{
    if ((size_t)(r->end - r->p) < size) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, r->p, size); /* x86-64 is little-endian */
    r->p += size;
    return v;
}

/* Reads a pointer in DW_EH_PE encoding `enc`.  pcrel is relative to where the
 * value sits, datarel to `data_base` (the .eh_frame_hdr). */
static uintptr_t read_encoded(struct reader *r, uint8_t enc, uintptr_t data_base)
{
    uintptr_t at = (uintptr_t)r->p;
    uint64_t v;
    switch (enc & 0x0f) {
    case 0x00: v = read_fixed(r, 8); break;
    case 0x01: v = read_uleb(r); break;
    case 0x02: v = read_fixed(r, 2); break;
    case 0x03: v = read_fixed(r, 4); break;
    case 0x04: v = read_fixed(r, 8); break;
    case 0x09: v = (uint64_t)read_sleb(r); break;
    case 0x0a: v = (uint64_t)(int64_t)(int16_t)read_fixed(r, 2); break;
    case 0x0b: v = (uint64_t)(int64_t)(int32_t)read_fixed(r, 4); break;
    case 0x0c: v = read_fixed(r, 8); break;
    default: r->bad = 1; return 0;
    }
    switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += at; break;
    case 0x30: v += data_base; break;
    default: r->bad = 1; return 0;
    }
    if (enc & 0x80) /* indirect: never used for code addresses in .eh_frame */
        r->bad = 1;
    return (uintptr_t)v;
}

/* What a CIE says about every FDE that points at it. */
struct cie {
    uint64_t code_align;
    int64_t data_align;
    uint64_t ra_reg;
    uint8_t fde_encoding;
    int has_augmentation_data;
    const uint8_t *instructions, *end;
};

/* Parses the CIE at p; returns 0 when it is one this file can use. */
static int parse_cie(const uint8_t *p, uintptr_t data_base, struct cie *c)
{
    uint32_t length;
    memcpy(&length, p, 4);
    if (length == 0 || length == 0xffffffffu)
        return -1;
    struct reader r = {p + 4, p + 4 + length, 0};
    if (read_fixed(&r, 4) != 0) /* CIE id */
        return -1;
    uint8_t version = (uint8_t)read_fixed(&r, 1);
    const char *aug = (const char *)r.p;
    size_t aug_len = strnlen(aug, (size_t)(r.end - r.p));
    r.p += aug_len + 1;
    if (r.bad || r.p > r.end || (version != 1 && version != 3) || (aug_len && aug[0] != 'z'))
        return -1;
    c->code_align = read_uleb(&r);
    c->data_align = read_sleb(&r);
    c->ra_reg = version == 1 ? read_fixed(&r, 1) : read_uleb(&r);
    c->fde_encoding = 0;
    c->has_augmentation_data = aug_len > 0;
    if (c->has_augmentation_data) {
        uint64_t len = read_uleb(&r);
        const uint8_t *after = r.p + len;
        for (size_t i = 1; i < aug_len && !r.bad; i++) {
            if (aug[i] == 'R')
                c->fde_encoding = (uint8_t)read_fixed(&r, 1);
            else if (aug[i] == 'L')
                read_fixed(&r, 1);
            else if (aug[i] == 'P') /* skipped, never followed: indirect is fine here */
                read_encoded(&r, (uint8_t)read_fixed(&r, 1) & 0x7f, data_base);
            else
                return -1; /* 'S' (signal frame) or unknown: libunwind handles it */
        }
        r.p = after;
    }
    if (r.bad || r.p > r.end)
        return -1;
    c->instructions = r.p;
    c->end = r.end;
    return 0;
}

/* The row's rule for a register the walk follows (rbp, rsp, the return
 * address), or NULL for one it ignores. */
static struct reg_rule *tracked(struct row *row, uint64_t reg)
{
    return reg == MT_DWARF_FP ? &row->rbp : reg == MT_DWARF_SP ? &row->rsp : reg == MT_DWARF_RA ? &row->ra : NULL;
}

/* Sets a register's rule, when the walk follows that register. */
static void set_rule(struct row *row, uint64_t reg, enum reg_how how, int64_t offset)
{
    struct reg_rule *rule = tracked(row, reg);
    if (rule) {
        rule->how = how;
        rule->offset = offset;
    }
}

/* Runs call-frame instructions [p, end) from *row, stopping before the first
 * row that starts past `target`.  `initial` is the row after the CIE's
 * instructions (for DW_CFA_restore).  Returns 0, or -1 on anything unhandled. */
static int run_cfa_program(const uint8_t *p, const uint8_t *end, const struct cie *c, uintptr_t loc,
                           uintptr_t target, uintptr_t data_base, struct row *row, const struct row *initial)
{
    struct row stack[STATE_STACK];
    int depth = 0;
    struct reader r = {p, end, 0};
    while (r.p < r.end && !r.bad) {
        uint8_t op = *r.p++;
        uint64_t reg = op & 0x3f, delta = 0;
        int advance = 0;
        switch (op & 0xc0) {
        case 0x40: delta = reg; advance = 1; break;
        case 0x80: set_rule(row, reg, HOW_OFFSET, (int64_t)read_uleb(&r) * c->data_align); continue;
        case 0xc0: if (initial && tracked(row, reg)) *tracked(row, reg) = *tracked((struct row *)initial, reg);
                   continue;
        }
        if (!advance) {
            switch (op) {
            case 0x00: continue; /* nop */
            case 0x01: {
                uintptr_t to = read_encoded(&r, c->fde_encoding, data_base);
                if (to > target)
                    return r.bad ? -1 : 0;
                loc = to;
                continue;
            }
            case 0x02: delta = read_fixed(&r, 1); advance = 1; break;
            case 0x03: delta = read_fixed(&r, 2); advance = 1; break;
            case 0x04: delta = read_fixed(&r, 4); advance = 1; break;
            case 0x05: reg = read_uleb(&r); set_rule(row, reg, HOW_OFFSET, (int64_t)read_uleb(&r) * c->data_align);
                       continue;
            case 0x06: reg = read_uleb(&r);
                       if (initial && tracked(row, reg)) *tracked(row, reg) = *tracked((struct row *)initial, reg);
                       continue;
            case 0x07: set_rule(row, read_uleb(&r), HOW_UNDEFINED, 0); continue;
            case 0x08: set_rule(row, read_uleb(&r), HOW_SAME, 0); continue;
            case 0x09: reg = read_uleb(&r); read_uleb(&r); set_rule(row, reg, HOW_OTHER, 0); continue;
            case 0x0a: if (depth == STATE_STACK) return -1;
                       stack[depth++] = *row; continue;
            case 0x0b: if (depth == 0) return -1;
                       /* the CFA is part of the remembered state too (DWARF 5, 6.4.2.4) */
                       *row = stack[--depth]; continue;
            case 0x0c: row->cfa_reg = (unsigned)read_uleb(&r); row->cfa_offset = (int64_t)read_uleb(&r);
                       row->cfa_is_expression = 0; continue;
            case 0x0d: row->cfa_reg = (unsigned)read_uleb(&r); row->cfa_is_expression = 0; continue;
            case 0x0e: row->cfa_offset = (int64_t)read_uleb(&r); continue;
            case 0x0f: row->cfa_is_expression = 1; r.p += read_uleb(&r); continue;
            case 0x10: case 0x16: reg = read_uleb(&r); r.p += read_uleb(&r); set_rule(row, reg, HOW_OTHER, 0);
                       continue;
            case 0x11: reg = read_uleb(&r); set_rule(row, reg, HOW_OFFSET, read_sleb(&r) * c->data_align);
                       continue;
            case 0x12: row->cfa_reg = (unsigned)read_uleb(&r); row->cfa_offset = read_sleb(&r) * c->data_align;
                       row->cfa_is_expression = 0; continue;
            case 0x13: row->cfa_offset = read_sleb(&r) * c->data_align; continue;
            case 0x14: reg = read_uleb(&r); read_uleb(&r); set_rule(row, reg, HOW_OTHER, 0); continue;
            case 0x15: reg = read_uleb(&r); read_sleb(&r); set_rule(row, reg, HOW_OTHER, 0); continue;
            case 0x2e: read_uleb(&r); continue; /* GNU_args_size: no effect on the CFA */
            case 0x2f: reg = read_uleb(&r); set_rule(row, reg, HOW_OFFSET, -(int64_t)read_uleb(&r) * c->data_align);
                       continue;
            default: return -1;
            }
        }
        if (advance) {
            if (loc + delta * c->code_align > target)
                return 0;
            loc += delta * c->code_align;
        }
    }
    return r.bad ? -1 : 0;
}

/* The FDE covering `pc` in the object whose .eh_frame_hdr is at hdr; NULL when none. */
static const uint8_t *find_fde(const uint8_t *hdr, uintptr_t pc)
{
    /* version 1; table of (initial location, FDE) pairs, datarel sdata4, sorted */
    if (hdr[0] != 1 || hdr[3] != 0x3b)
        return NULL;
    struct reader r = {hdr + 4, hdr + 4 + 16, 0};
    read_encoded(&r, hdr[1], (uintptr_t)hdr);
    uint64_t count = read_encoded(&r, hdr[2], (uintptr_t)hdr);
    if (r.bad || count == 0)
        return NULL;
    const int32_t *table = (const int32_t *)r.p;
    uintptr_t base = (uintptr_t)hdr;
    uint64_t lo = 0, hi = count;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (base + (intptr_t)table[2 * mid] <= pc)
            lo = mid;
        else
            hi = mid;
    }
    if (base + (intptr_t)table[2 * lo] > pc)
        return NULL;
    return (const uint8_t *)(base + (intptr_t)table[2 * lo + 1]);
}

/* Packs a row into a cached rule, or MT_RULE_UNSUPPORTED when the walk cannot follow it. */
static uint64_t pack(const struct row *row)
{
    if (row->ra.how == HOW_UNDEFINED)
        return MT_RULE_TERMINAL; /* the outermost frame (_start, a thread's clone) */
    if (row->cfa_is_expression || (row->cfa_reg != MT_DWARF_SP && row->cfa_reg != MT_DWARF_FP) ||
        row->ra.how != HOW_OFFSET || row->rsp.how != HOW_SAME || row->rbp.how == HOW_UNDEFINED ||
        row->rbp.how == HOW_OTHER)
        return MT_RULE_UNSUPPORTED;
    if (row->cfa_offset < 0 || row->cfa_offset > INT32_MAX || row->ra.offset < INT8_MIN ||
        row->ra.offset > INT8_MAX || (row->rbp.how == HOW_OFFSET &&
                                      (row->rbp.offset < INT16_MIN || row->rbp.offset > INT16_MAX)))
        return MT_RULE_UNSUPPORTED;
    uint64_t rule = MT_RULE_STEP;
    if (row->cfa_reg == MT_DWARF_FP)
        rule |= MT_RULE_CFA_FROM_RBP;
    if (row->rbp.how == HOW_OFFSET)
        rule |= MT_RULE_RBP_SAVED | (uint64_t)(uint16_t)row->rbp.offset << 8;
    rule |= (uint64_t)(uint8_t)row->ra.offset << 24;
    rule |= (uint64_t)row->cfa_offset << 32;
    return rule;
}

/* The rule for stepping out of the frame whose return address is `ra`: the
 * row that holds at the call instruction, just before ra. */
uint64_t mt_eh_frame_rule(uintptr_t ra)
{
    struct dl_find_object found;
    uintptr_t pc = ra - 1;
    if (!_dl_find_object || _dl_find_object((void *)pc, &found) != 0 || !found.dlfo_eh_frame)
        return MT_RULE_UNSUPPORTED;
    uintptr_t data_base = (uintptr_t)found.dlfo_eh_frame;
    const uint8_t *fde = find_fde(found.dlfo_eh_frame, pc);
    if (!fde)
        return MT_RULE_NO_INFO;
    uint32_t length, cie_offset;
    memcpy(&length, fde, 4);
    memcpy(&cie_offset, fde + 4, 4);
    if (length == 0 || length == 0xffffffffu || cie_offset == 0)
        return MT_RULE_UNSUPPORTED;
    struct cie c;
    if (parse_cie(fde + 4 - cie_offset, data_base, &c) != 0)
        return MT_RULE_UNSUPPORTED;
    struct reader r = {fde + 8, fde + 4 + length, 0};
    uintptr_t start = read_encoded(&r, c.fde_encoding, data_base);
    uintptr_t range = read_encoded(&r, c.fde_encoding & 0x0f, data_base);
    if (c.has_augmentation_data)
        r.p += read_uleb(&r);
    if (r.bad || r.p > r.end)
        return MT_RULE_UNSUPPORTED;
    if (pc < start || pc - start >= range) /* the nearest FDE below pc ends before it */
        return MT_RULE_NO_INFO;
    struct row row = {.cfa_reg = MT_DWARF_SP, .rbp = {HOW_SAME, 0}, .rsp = {HOW_SAME, 0}, .ra = {HOW_SAME, 0}};
    if (c.ra_reg != MT_DWARF_RA ||
        run_cfa_program(c.instructions, c.end, &c, start, UINTPTR_MAX, data_base, &row, NULL) != 0)
        return MT_RULE_UNSUPPORTED;
    struct row initial = row;
    if (run_cfa_program(r.p, r.end, &c, start, pc, data_base, &row, &initial) != 0)
        return MT_RULE_UNSUPPORTED;
    return pack(&row);
}
