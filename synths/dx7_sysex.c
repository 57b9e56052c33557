/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/dx7_sysex.c: Yamaha DX7 voice files (see synths/dx7_sysex.h).
 *
 * Sources for the formats:
 *   - "DX7 Data Format" by Ewan A. Macpherson (1993), compiled from Yamaha's DX7 MIDI data
 *     format sheet; kept as Documentation/sysex-format.txt in the Dexed repository
 *     (github.com/asb2m10/dexed). Sections A and B give the two dump headers, D the 155-byte
 *     VCED voice and its ranges, F the 128-byte packed voice:
 *       per operator (operator 6 first) 17 bytes: R1-R4, L1-L4, BP, LD, RD,
 *         byte 11 = RC << 2 | LC, byte 12 = DET << 3 | RS, byte 13 = KVS << 2 | AMS, OL,
 *         byte 15 = FC << 1 | M, FF;
 *       then pitch EG R1-R4 L1-L4 (102..109), ALG (110, 5 bits), 111 = OKS << 3 | FB,
 *       LFO speed, delay, PMD, AMD (112..115), 116 = LPMS << 4 | LFW << 1 | LKS,
 *       transpose (117), name (118..127).
 *   - Dexed's Source/PluginData.cpp (Cartridge::unpackProgram, packProgram, sysexChecksum),
 *     which masks each packed field to its width ("bits 4-7 are don't care per spec").
 *   - The INIT VOICE as a DX7 stores it, e.g. slots 19 and 20 of meadows_01_keys.syx in the
 *     shared data: break point 39 (C3), detune 7, coarse 1, OKS 1, LFO sync 1, PMS 3.
 *   - The DX7 display's character set, as measured on a DX7 II and reported in the YamahaDX
 *     group thread "yamaha dx7ii fd internal character set" (groups.io, 2025): 32..91 and
 *     93..125 are ASCII, 92 shows a yen sign, 126 a right arrow, 127 a left arrow, 0..31
 *     special symbols or blanks.
 *
 * Loading masks and clamps; every change goes into a report (sm_dx7_clamp). Writing always
 * clamps first, so no file this module writes holds an out-of-range value. */
#include "synths/dx7_sysex.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"

/* ---- Parameter names and ranges (VCED order) ------------------------------------------ */

#define OP_PARAM_NAMES(n)                                                                    \
    "OP" #n " EG RATE 1", "OP" #n " EG RATE 2", "OP" #n " EG RATE 3", "OP" #n " EG RATE 4",   \
    "OP" #n " EG LEVEL 1", "OP" #n " EG LEVEL 2", "OP" #n " EG LEVEL 3",                      \
    "OP" #n " EG LEVEL 4", "OP" #n " BREAK POINT", "OP" #n " LEFT DEPTH",                     \
    "OP" #n " RIGHT DEPTH", "OP" #n " LEFT CURVE", "OP" #n " RIGHT CURVE",                    \
    "OP" #n " RATE SCALING", "OP" #n " AMP MOD SENS", "OP" #n " KEY VEL SENS",                \
    "OP" #n " OUTPUT LEVEL", "OP" #n " OSC MODE", "OP" #n " FREQ COARSE",                     \
    "OP" #n " FREQ FINE", "OP" #n " DETUNE"

static const char *const param_names[SM_DX7_VCED_SIZE] = {
    OP_PARAM_NAMES(6), OP_PARAM_NAMES(5), OP_PARAM_NAMES(4),
    OP_PARAM_NAMES(3), OP_PARAM_NAMES(2), OP_PARAM_NAMES(1),
    "PITCH EG RATE 1", "PITCH EG RATE 2", "PITCH EG RATE 3", "PITCH EG RATE 4",
    "PITCH EG LEVEL 1", "PITCH EG LEVEL 2", "PITCH EG LEVEL 3", "PITCH EG LEVEL 4",
    "ALGORITHM", "FEEDBACK", "OSC KEY SYNC", "LFO SPEED", "LFO DELAY", "LFO PITCH MOD DEPTH",
    "LFO AMP MOD DEPTH", "LFO SYNC", "LFO WAVEFORM", "PITCH MOD SENS", "TRANSPOSE",
    "NAME CHAR 1", "NAME CHAR 2", "NAME CHAR 3", "NAME CHAR 4", "NAME CHAR 5",
    "NAME CHAR 6", "NAME CHAR 7", "NAME CHAR 8", "NAME CHAR 9", "NAME CHAR 10",
};

/* Largest value of each operator parameter, in VCED order (section D of the format text). */
static const unsigned char op_param_max[SM_DX7_OP_STRIDE] = {
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, /* rates, levels, break point, depths */
    3, 3, 7, 3, 7, 99,                          /* curves, rate scaling, AMS, KVS, level */
    1, 31, 99, 14                               /* mode, coarse, fine, detune */
};
/* Largest value of the global parameters 126..144. */
static const unsigned char global_param_max[SM_FM6_NPARAMS - 6 * SM_DX7_OP_STRIDE] = {
    99, 99, 99, 99, 99, 99, 99, 99, /* pitch EG */
    31, 7, 1,                       /* algorithm, feedback, osc key sync */
    99, 99, 99, 99, 1, 5, 7,        /* LFO speed, delay, PMD, AMD, sync, wave, PMS */
    48                              /* transpose */
};

const char *sm_dx7_param_name(int p)
{
    if (p < 0 || p >= SM_DX7_VCED_SIZE) return "?";
    return param_names[p];
}

int sm_dx7_param_max(int p)
{
    if (p < 0 || p >= SM_DX7_VCED_SIZE) return -1;
    if (p < 6 * SM_DX7_OP_STRIDE) return op_param_max[p % SM_DX7_OP_STRIDE];
    if (p < SM_DX7_NAME) return global_param_max[p - 6 * SM_DX7_OP_STRIDE];
    return 125;
}

char sm_dx7_name_char(unsigned char c)
{
    if (c == '\\') return '/';
    if (c == '~') return '-';
    if (c >= 128) return '?';
    if (c < 32 || c == 127) return ' ';
    return (char)c;
}

/* ---- Packed layout -------------------------------------------------------------------- */

/* One parameter inside the packed voice: byte, shift, width mask (unshifted), VCED number. */
typedef struct {
    unsigned char byte, shift, bits, param;
} packed_field;

#define OP_PACKED_FIELDS(k)                                                                  \
    {17 * (k) + 0, 0, 0x7F, 21 * (k) + 0}, {17 * (k) + 1, 0, 0x7F, 21 * (k) + 1},            \
    {17 * (k) + 2, 0, 0x7F, 21 * (k) + 2}, {17 * (k) + 3, 0, 0x7F, 21 * (k) + 3},            \
    {17 * (k) + 4, 0, 0x7F, 21 * (k) + 4}, {17 * (k) + 5, 0, 0x7F, 21 * (k) + 5},            \
    {17 * (k) + 6, 0, 0x7F, 21 * (k) + 6}, {17 * (k) + 7, 0, 0x7F, 21 * (k) + 7},            \
    {17 * (k) + 8, 0, 0x7F, 21 * (k) + 8}, {17 * (k) + 9, 0, 0x7F, 21 * (k) + 9},            \
    {17 * (k) + 10, 0, 0x7F, 21 * (k) + 10},                                                 \
    {17 * (k) + 11, 0, 0x03, 21 * (k) + 11}, /* LC */                                        \
    {17 * (k) + 11, 2, 0x03, 21 * (k) + 12}, /* RC */                                        \
    {17 * (k) + 12, 0, 0x07, 21 * (k) + 13}, /* RS */                                        \
    {17 * (k) + 12, 3, 0x0F, 21 * (k) + 20}, /* DET */                                       \
    {17 * (k) + 13, 0, 0x03, 21 * (k) + 14}, /* AMS */                                       \
    {17 * (k) + 13, 2, 0x07, 21 * (k) + 15}, /* KVS */                                       \
    {17 * (k) + 14, 0, 0x7F, 21 * (k) + 16}, /* OL */                                        \
    {17 * (k) + 15, 0, 0x01, 21 * (k) + 17}, /* M */                                         \
    {17 * (k) + 15, 1, 0x1F, 21 * (k) + 18}, /* FC */                                        \
    {17 * (k) + 16, 0, 0x7F, 21 * (k) + 19}  /* FF */

#define N_PACKED_FIELDS (6 * 21 + 29)

static const packed_field packed_fields[N_PACKED_FIELDS] = {
    OP_PACKED_FIELDS(0), OP_PACKED_FIELDS(1), OP_PACKED_FIELDS(2),
    OP_PACKED_FIELDS(3), OP_PACKED_FIELDS(4), OP_PACKED_FIELDS(5),
    {102, 0, 0x7F, 126}, {103, 0, 0x7F, 127}, {104, 0, 0x7F, 128}, {105, 0, 0x7F, 129},
    {106, 0, 0x7F, 130}, {107, 0, 0x7F, 131}, {108, 0, 0x7F, 132}, {109, 0, 0x7F, 133},
    {110, 0, 0x1F, 134},                       /* ALG */
    {111, 0, 0x07, 135}, {111, 3, 0x01, 136},  /* FB, OKS */
    {112, 0, 0x7F, 137}, {113, 0, 0x7F, 138}, {114, 0, 0x7F, 139}, {115, 0, 0x7F, 140},
    {116, 0, 0x01, 141}, {116, 1, 0x07, 142}, {116, 4, 0x07, 143}, /* LKS, LFW, LPMS */
    {117, 0, 0x7F, 144},
    {118, 0, 0x7F, 145}, {119, 0, 0x7F, 146}, {120, 0, 0x7F, 147}, {121, 0, 0x7F, 148},
    {122, 0, 0x7F, 149}, {123, 0, 0x7F, 150}, {124, 0, 0x7F, 151}, {125, 0, 0x7F, 152},
    {126, 0, 0x7F, 153}, {127, 0, 0x7F, 154},
};

/* A label for packed byte b, for reports about its stray bits. */
static void packed_byte_label(int b, char *buf, size_t len)
{
    if (b < 102) {
        int op = 6 - b / 17;
        switch (b % 17) {
        case 11: snprintf(buf, len, "OP%d LEFT/RIGHT CURVE", op); return;
        case 12: snprintf(buf, len, "OP%d DETUNE/RATE SCALING", op); return;
        case 13: snprintf(buf, len, "OP%d KEY VEL/AMP MOD SENS", op); return;
        case 15: snprintf(buf, len, "OP%d FREQ COARSE/OSC MODE", op); return;
        default: break;
        }
    } else if (b == 111) {
        snprintf(buf, len, "OSC KEY SYNC/FEEDBACK");
        return;
    } else if (b == 116) {
        snprintf(buf, len, "LFO PMS/WAVE/SYNC");
        return;
    }
    /* A byte that holds one parameter. */
    for (int i = 0; i < N_PACKED_FIELDS; i++) {
        if (packed_fields[i].byte == b) {
            snprintf(buf, len, "%s", param_names[packed_fields[i].param]);
            return;
        }
    }
    snprintf(buf, len, "byte %d", b);
}

static int lowest_bit(unsigned mask)
{
    int s = 0;
    if (!mask) return 0;
    while (!(mask & 1u)) {
        mask >>= 1;
        s++;
    }
    return s;
}

static int highest_bit(unsigned mask)
{
    int s = -1;
    while (mask) {
        mask >>= 1;
        s++;
    }
    return s;
}

/* ---- Clamp report --------------------------------------------------------------------- */

typedef struct {
    sm_dx7_clamp *items;
    size_t n, cap;
    int nomem;
} clamp_report;

/* Appends one entry to r (if r is not NULL; a failed allocation sets r->nomem). */
static void report_add(clamp_report *r, size_t voice, int offset, unsigned mask, int param,
                       const char *field, int raw, int value)
{
    sm_dx7_clamp *c;
    if (!r || r->nomem) return;
    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 16;
        sm_dx7_clamp *ni = realloc(r->items, ncap * sizeof *ni);
        if (!ni) {
            r->nomem = 1;
            return;
        }
        r->items = ni;
        r->cap = ncap;
    }
    c = &r->items[r->n++];
    memset(c, 0, sizeof *c);
    c->voice = voice;
    c->offset = offset;
    c->mask = mask;
    c->param = param;
    snprintf(c->field, sizeof c->field, "%s", field);
    c->raw = raw;
    c->value = value;
}

/* The value parameter p may hold for a stored raw value (names: the shown character). */
static int legal_value(int p, int raw)
{
    if (p >= SM_DX7_NAME) return (unsigned char)sm_dx7_name_char((unsigned char)raw);
    if (raw > sm_dx7_param_max(p)) return sm_dx7_param_max(p);
    return raw;
}

/* Unpacks one packed voice, reporting each change as voice number voice_no. Returns the
 * number of changes. */
static int unpack_packed(const unsigned char *p, sm_dx7_voice *v, size_t voice_no,
                         clamp_report *r)
{
    unsigned used[SM_DX7_VMEM_SIZE] = {0};
    int changes = 0;
    char label[40], field[96];

    for (int i = 0; i < N_PACKED_FIELDS; i++)
        used[packed_fields[i].byte] |= (unsigned)packed_fields[i].bits << packed_fields[i].shift;
    /* Stray bits: set bits that belong to no parameter are dropped. */
    for (int b = 0; b < SM_DX7_VMEM_SIZE; b++) {
        unsigned mask = 0xFFu & ~used[b];
        if (p[b] & mask) {
            int lo = lowest_bit(mask), hi = highest_bit(mask);
            packed_byte_label(b, label, sizeof label);
            if (lo == hi)
                snprintf(field, sizeof field, "%s bit %d", label, lo);
            else
                snprintf(field, sizeof field, "%s unused bits %d-%d", label, lo, hi);
            report_add(r, voice_no, b, mask, -1, field, (int)((p[b] & mask) >> lo), 0);
            changes++;
        }
    }
    for (int i = 0; i < N_PACKED_FIELDS; i++) {
        const packed_field *f = &packed_fields[i];
        int raw = (p[f->byte] >> f->shift) & f->bits;
        int val = legal_value(f->param, raw);
        if (val != raw) {
            report_add(r, voice_no, f->byte, (unsigned)f->bits << f->shift, f->param,
                       param_names[f->param], raw, val);
            changes++;
        }
        v->vced[f->param] = (unsigned char)val;
    }
    return changes;
}

/* Clamps an unpacked voice in place, reporting each change. Returns the number of changes. */
static int clamp_vced(sm_dx7_voice *v, size_t voice_no, clamp_report *r)
{
    int changes = 0;
    for (int p = 0; p < SM_DX7_VCED_SIZE; p++) {
        int raw = v->vced[p];
        int val = legal_value(p, raw);
        if (val != raw) {
            report_add(r, voice_no, p, raw > 0x7F ? 0xFFu : 0x7Fu, p, param_names[p], raw, val);
            v->vced[p] = (unsigned char)val;
            changes++;
        }
    }
    return changes;
}

int sm_dx7_unpack_voice(const unsigned char packed[SM_DX7_VMEM_SIZE], sm_dx7_voice *v)
{
    if (!packed || !v) return 0;
    return unpack_packed(packed, v, 0, NULL);
}

int sm_dx7_voice_clamp(sm_dx7_voice *v)
{
    if (!v) return 0;
    return clamp_vced(v, 0, NULL);
}

void sm_dx7_pack_voice(const sm_dx7_voice *v, unsigned char packed[SM_DX7_VMEM_SIZE])
{
    sm_dx7_voice c;
    if (!packed) return;
    if (v) {
        c = *v;
    } else {
        sm_dx7_voice_init(&c);
    }
    clamp_vced(&c, 0, NULL);
    memset(packed, 0, SM_DX7_VMEM_SIZE);
    for (int i = 0; i < N_PACKED_FIELDS; i++) {
        const packed_field *f = &packed_fields[i];
        packed[f->byte] |= (unsigned char)((c.vced[f->param] & f->bits) << f->shift);
    }
}

/* ---- Voices --------------------------------------------------------------------------- */

void sm_dx7_voice_init(sm_dx7_voice *v)
{
    static const unsigned char op[SM_DX7_OP_STRIDE] = {
        99, 99, 99, 99, 99, 99, 99, 0, /* square envelope */
        39, 0, 0, 0, 0,                /* break point C3, no scaling, -LIN curves */
        0, 0, 0, 0,                    /* rate scaling, AMS, KVS, output level */
        0, 1, 0, 7                     /* ratio mode, coarse 1, fine 0, detune 0 */
    };
    static const unsigned char global[SM_FM6_NPARAMS - 6 * SM_DX7_OP_STRIDE] = {
        99, 99, 99, 99, 50, 50, 50, 50, /* pitch EG */
        0, 0, 1,                        /* algorithm 1, feedback 0, osc key sync on */
        35, 0, 0, 0, 1, 0, 3,           /* LFO speed 35, delay, PMD, AMD, sync on, TRI, PMS 3 */
        24                              /* transpose C3 */
    };
    if (!v) return;
    for (int k = 0; k < 6; k++) memcpy(v->vced + k * SM_DX7_OP_STRIDE, op, sizeof op);
    v->vced[5 * SM_DX7_OP_STRIDE + 16] = 99; /* operator 1 output level */
    memcpy(v->vced + 6 * SM_DX7_OP_STRIDE, global, sizeof global);
    memcpy(v->vced + SM_DX7_NAME, "INIT VOICE", SM_DX7_NAME_LEN);
}

unsigned char sm_dx7_checksum(const unsigned char *data, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) sum += data[i];
    return (unsigned char)((0u - sum) & 0x7Fu);
}

void sm_dx7_voice_to_native(const sm_dx7_voice *v, double *native)
{
    if (!v || !native) return;
    for (int p = 0; p < SM_FM6_NPARAMS; p++) native[p] = v->vced[p];
    native[SM_DX7_ALGORITHM] += 1.0;
}

void sm_dx7_voice_from_native(sm_dx7_voice *v, const double *native, const char *name)
{
    int ended = (name == NULL);
    if (!v || !native) return;
    for (int p = 0; p < SM_FM6_NPARAMS; p++) {
        double x = native[p], hi = sm_dx7_param_max(p);
        if (p == SM_DX7_ALGORITHM) x -= 1.0;
        if (isnan(x) || x < 0.0) x = 0.0;
        if (x > hi) x = hi;
        v->vced[p] = (unsigned char)floor(x + 0.5);
    }
    for (int i = 0; i < SM_DX7_NAME_LEN; i++) {
        if (!ended && name[i] == '\0') ended = 1;
        v->vced[SM_DX7_NAME + i] =
            ended ? ' ' : (unsigned char)sm_dx7_name_char((unsigned char)name[i]);
    }
}

void sm_dx7_voice_name(const sm_dx7_voice *v, char out[SM_DX7_NAME_LEN + 1])
{
    int len = SM_DX7_NAME_LEN;
    if (!out) return;
    if (!v) {
        out[0] = '\0';
        return;
    }
    for (int i = 0; i < SM_DX7_NAME_LEN; i++) out[i] = sm_dx7_name_char(v->vced[SM_DX7_NAME + i]);
    while (len > 0 && out[len - 1] == ' ') len--;
    out[len] = '\0';
}

/* ---- Reading -------------------------------------------------------------------------- */

/* Files larger than this are not DX7 voice files (the stream of 31,380 voices is 4 MB). */
#define MAX_FILE_BYTES ((size_t)256 << 20)

/* Checks the sysex message in d[0..n) (d[0] is F0) and unpacks its voices into bank. */
static int parse_sysex(const char *path, const unsigned char *d, size_t n, sm_dx7_bank *bank,
                       clamp_report *r, sm_error *err)
{
    static const unsigned char single_count[2] = {0x01, 0x1B}; /* 155 */
    static const unsigned char bulk_count[2] = {0x20, 0x00};   /* 4096 */
    const unsigned char *count_bytes = NULL;
    const char *what = NULL;
    size_t count = 0, pos;
    int single = 0;

    /* Header: F0 43 0n ff cc cc, checked a byte at a time so the first bad one is named. */
    for (pos = 1; pos < 6; pos++) {
        unsigned b;
        if (pos >= n)
            return sm_error_set(err, SM_ERR_FORMAT,
                                "%s: offset %zu: the file ends inside the 6-byte sysex header "
                                "(truncated after %zu bytes)", path, pos, n);
        b = d[pos];
        if (pos == 1 && b != 0x43)
            return sm_error_set(err, SM_ERR_FORMAT,
                                "%s: offset 1: manufacturer ID 0x%02X is not Yamaha (0x43); not "
                                "a DX7 voice dump", path, b);
        if (pos == 2 && (b & 0xF0) != 0)
            return sm_error_set(err, SM_ERR_FORMAT,
                                "%s: offset 2: sub-status byte 0x%02X is not a bulk dump "
                                "(expected 0x00..0x0F)", path, b);
        if (pos == 3) {
            if (b == 0x00) {
                single = 1;
                count = SM_DX7_VCED_SIZE;
                count_bytes = single_count;
                what = "a single-voice dump";
            } else if (b == 0x09) {
                count = (size_t)SM_DX7_BANK_VOICES * SM_DX7_VMEM_SIZE;
                count_bytes = bulk_count;
                what = "a 32-voice bulk dump";
            } else {
                return sm_error_set(err, SM_ERR_FORMAT,
                                    "%s: offset 3: format number 0x%02X is not a DX7 voice dump "
                                    "(0x00: 1 voice, 0x09: 32 voices)", path, b);
            }
        }
        if ((pos == 4 || pos == 5) && b != count_bytes[pos - 4])
            return sm_error_set(err, SM_ERR_FORMAT,
                                "%s: offset %zu: byte count byte 0x%02X, expected 0x%02X for %s "
                                "(%zu data bytes)", path, pos, b, count_bytes[pos - 4], what,
                                count);
    }
    /* Data, then checksum: all 7-bit. */
    for (pos = 6; pos < 7 + count; pos++) {
        const char *part = pos < 6 + count ? "voice data" : "checksum";
        if (pos >= n)
            return sm_error_set(err, SM_ERR_FORMAT,
                                "%s: offset %zu: the file ends inside the %s (truncated: %s is "
                                "%zu bytes, the file %zu)", path, pos, part, what,
                                count + 8, n);
        if (d[pos] == 0xF7)
            return sm_error_set(err, SM_ERR_FORMAT,
                                "%s: offset %zu: the sysex message ends (F7) inside the %s "
                                "(truncated: %s holds %zu data bytes and a checksum)",
                                path, pos, part, what, count);
        if (d[pos] & 0x80)
            return sm_error_set(err, SM_ERR_FORMAT,
                                "%s: offset %zu: byte 0x%02X in the %s is not a 7-bit data byte "
                                "(garbled)", path, pos, d[pos], part);
    }
    pos = 7 + count;
    if (pos >= n)
        return sm_error_set(err, SM_ERR_FORMAT,
                            "%s: offset %zu: the file ends without the closing F7 (truncated)",
                            path, pos);
    if (d[pos] != 0xF7)
        return sm_error_set(err, SM_ERR_FORMAT,
                            "%s: offset %zu: byte 0x%02X where the closing F7 should be", path,
                            pos, d[pos]);
    if (n > pos + 1)
        return sm_error_set(err, SM_ERR_FORMAT,
                            "%s: offset %zu: %zu unexpected bytes after the closing F7 of %s",
                            path, pos + 1, n - pos - 1, what);

    bank->kind = single ? SM_DX7_KIND_SINGLE : SM_DX7_KIND_BULK;
    bank->channel = d[2] & 0x0F;
    bank->checksum_stored = d[6 + count];
    bank->checksum_computed = sm_dx7_checksum(d + 6, count);
    bank->checksum_ok = bank->checksum_stored == bank->checksum_computed;
    bank->n = single ? 1 : SM_DX7_BANK_VOICES;
    bank->voices = calloc(bank->n, sizeof *bank->voices);
    if (!bank->voices) return sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", path);
    if (single) {
        memcpy(bank->voices[0].vced, d + 6, SM_DX7_VCED_SIZE);
        clamp_vced(&bank->voices[0], 1, r);
    } else {
        for (size_t i = 0; i < bank->n; i++)
            unpack_packed(d + 6 + i * SM_DX7_VMEM_SIZE, &bank->voices[i], i + 1, r);
    }
    return 0;
}

int sm_dx7_load(const char *path, sm_dx7_bank *bank, sm_error *err)
{
    unsigned char *d = NULL;
    size_t n = 0;
    clamp_report r = {NULL, 0, 0, 0};
    int rc;

    if (!bank) return sm_error_set(err, SM_ERR_ARG, "sm_dx7_load: no bank given");
    memset(bank, 0, sizeof *bank);
    if (!path || !*path) return sm_error_set(err, SM_ERR_ARG, "no DX7 voice file name given");
    rc = sm_read_file(path, MAX_FILE_BYTES, &d, &n, err);
    if (rc) return rc;

    if (n == 0) {
        rc = sm_error_set(err, SM_ERR_FORMAT,
                          "%s: offset 0: the file is empty (0 bytes), not a DX7 voice file",
                          path);
    } else if (d[0] == 0xF0) {
        rc = parse_sysex(path, d, n, bank, &r, err);
    } else if (n % SM_DX7_VMEM_SIZE != 0) {
        rc = sm_error_set(err, SM_ERR_FORMAT,
                          "%s: offset %zu: the last %zu bytes do not make a whole 128-byte voice; "
                          "the file is neither a DX7 sysex dump (its first byte is 0x%02X, not "
                          "F0) nor a stream of packed voices (%zu bytes is not a multiple of 128)",
                          path, n - n % SM_DX7_VMEM_SIZE, n % SM_DX7_VMEM_SIZE, d[0], n);
    } else {
        bank->kind = SM_DX7_KIND_STREAM;
        bank->checksum_ok = 1;
        bank->n = n / SM_DX7_VMEM_SIZE;
        bank->voices = calloc(bank->n, sizeof *bank->voices);
        if (!bank->voices) {
            rc = sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", path);
        } else {
            for (size_t i = 0; i < bank->n; i++)
                unpack_packed(d + i * SM_DX7_VMEM_SIZE, &bank->voices[i], i + 1, &r);
        }
    }
    free(d);
    if (!rc && r.nomem) rc = sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", path);
    if (rc) {
        free(r.items);
        sm_dx7_bank_free(bank);
        return rc;
    }
    bank->clamps = r.items;
    bank->n_clamped = r.n;
    return 0;
}

void sm_dx7_bank_free(sm_dx7_bank *bank)
{
    if (!bank) return;
    free(bank->voices);
    free(bank->clamps);
    memset(bank, 0, sizeof *bank);
}

/* Length of s without trailing spaces. */
static size_t trimmed_len(const char *s)
{
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == ' ') len--;
    return len;
}

int sm_dx7_find_voice(const sm_dx7_bank *bank, const char *selector, size_t *index,
                      sm_error *err)
{
    size_t len, i;
    if (index) *index = 0;
    if (!bank || !index) return sm_error_set(err, SM_ERR_ARG, "sm_dx7_find_voice: no bank");
    if (!selector || !(len = trimmed_len(selector)))
        return sm_error_set(err, SM_ERR_ARG, "empty voice selector (give a number or a name)");
    if (strspn(selector, "0123456789") == len && len < 10) {
        unsigned long k = strtoul(selector, NULL, 10);
        if (k >= 1 && k <= bank->n) {
            *index = (size_t)k - 1;
            return 0;
        }
    }
    for (i = 0; i < bank->n; i++) {
        char name[SM_DX7_NAME_LEN + 1];
        size_t j;
        sm_dx7_voice_name(&bank->voices[i], name);
        if (strlen(name) != len) continue;
        for (j = 0; j < len; j++)
            if (tolower((unsigned char)name[j]) != tolower((unsigned char)selector[j])) break;
        if (j == len) {
            *index = i;
            return 0;
        }
    }
    return sm_error_set(err, SM_ERR_NOTFOUND,
                        "no voice \"%.*s\" among %zu voices (give 1..%zu or a voice name)",
                        (int)(len > 64 ? 64 : len), selector, bank->n, bank->n);
}

static int is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int sm_dx7_load_voice(const char *spec, sm_dx7_voice *v, sm_error *err)
{
    sm_dx7_bank bank;
    char *path = NULL;
    const char *selector = NULL;
    size_t index = 0;
    int rc;

    if (!v) return sm_error_set(err, SM_ERR_ARG, "sm_dx7_load_voice: no voice given");
    sm_dx7_voice_init(v);
    if (!spec || !*spec) return sm_error_set(err, SM_ERR_ARG, "no DX7 voice file name given");
    path = strdup(spec);
    if (!path) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    if (!is_regular_file(spec)) {
        /* "FILE:SEL": the longest prefix before a ':' that names a file, else the last ':'. */
        size_t cut = 0; /* 1 + index of the ':' that ends FILE; 0: none */
        char *last = strrchr(path, ':');
        for (size_t i = strlen(path); i-- > 0;) {
            if (path[i] != ':') continue;
            path[i] = '\0';
            if (is_regular_file(path)) {
                cut = i + 1;
                break;
            }
            path[i] = ':';
        }
        if (!cut && last) {
            *last = '\0';
            cut = (size_t)(last - path) + 1;
        }
        if (cut) selector = spec + cut;
    }
    rc = sm_dx7_load(path, &bank, err);
    if (rc) {
        free(path);
        return rc;
    }
    if (selector) {
        sm_error inner = {0, ""};
        rc = sm_dx7_find_voice(&bank, selector, &index, &inner);
        if (rc) sm_error_set(err, rc, "%s: %s", path, inner.msg);
    }
    if (!rc) *v = bank.voices[index];
    sm_dx7_bank_free(&bank);
    free(path);
    return rc;
}

/* ---- Writing -------------------------------------------------------------------------- */

int sm_dx7_write_single(const char *path, const sm_dx7_voice *v, sm_error *err)
{
    unsigned char buf[SM_DX7_SINGLE_FILE_SIZE] = {0xF0, 0x43, 0x00, 0x00, 0x01, 0x1B};
    sm_dx7_voice c;
    if (!v) return sm_error_set(err, SM_ERR_ARG, "sm_dx7_write_single: no voice given");
    c = *v;
    sm_dx7_voice_clamp(&c);
    memcpy(buf + 6, c.vced, SM_DX7_VCED_SIZE);
    buf[6 + SM_DX7_VCED_SIZE] = sm_dx7_checksum(c.vced, SM_DX7_VCED_SIZE);
    buf[7 + SM_DX7_VCED_SIZE] = 0xF7;
    return sm_write_file(path, buf, sizeof buf, err);
}

int sm_dx7_write_bank(const char *path, const sm_dx7_voice *voices, size_t n, sm_error *err)
{
    unsigned char buf[SM_DX7_BANK_FILE_SIZE] = {0xF0, 0x43, 0x00, 0x09, 0x20, 0x00};
    const size_t data_len = (size_t)SM_DX7_BANK_VOICES * SM_DX7_VMEM_SIZE;
    sm_dx7_voice init;
    if (n > SM_DX7_BANK_VOICES)
        return sm_error_set(err, SM_ERR_ARG, "%s: a DX7 bank holds at most 32 voices, not %zu",
                            path ? path : "(no file)", n);
    if (n > 0 && !voices)
        return sm_error_set(err, SM_ERR_ARG, "sm_dx7_write_bank: no voices given");
    sm_dx7_voice_init(&init);
    for (size_t i = 0; i < SM_DX7_BANK_VOICES; i++)
        sm_dx7_pack_voice(i < n ? &voices[i] : &init, buf + 6 + i * SM_DX7_VMEM_SIZE);
    buf[6 + data_len] = sm_dx7_checksum(buf + 6, data_len);
    buf[7 + data_len] = 0xF7;
    return sm_write_file(path, buf, sizeof buf, err);
}

/* ---- Reports -------------------------------------------------------------------------- */

void sm_dx7_clamp_describe(const sm_dx7_clamp *c, char *buf, size_t len)
{
    if (!buf || !len) return;
    if (!c) {
        buf[0] = '\0';
        return;
    }
    if (c->param < 0)
        snprintf(buf, len, "voice %zu: %s were %d (byte %d mask 0x%02X), now cleared", c->voice,
                 c->field, c->raw, c->offset, c->mask);
    else if (c->param >= SM_DX7_NAME)
        snprintf(buf, len, "voice %zu: %s was %d, now '%c'", c->voice, c->field, c->raw,
                 c->value);
    else
        snprintf(buf, len, "voice %zu: %s was %d, now %d", c->voice, c->field, c->raw, c->value);
}

const char *sm_dx7_kind_name(int kind)
{
    switch (kind) {
    case SM_DX7_KIND_BULK: return "32-voice bulk dump";
    case SM_DX7_KIND_SINGLE: return "single-voice dump";
    case SM_DX7_KIND_STREAM: return "stream of packed voices";
    default: return "unknown";
    }
}
