/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/dx7_sysex.h: Yamaha DX7 voice files: reading, checking and writing sysex dumps.
 *
 * The fm6 backend plays DX7 voices; this module moves them in and out of files. It reads
 *   - a 32-voice bulk dump (F0 43 0n 09 20 00, 32 packed 128-byte voices, checksum, F7:
 *     4104 bytes),
 *   - a single-voice dump (F0 43 0n 00 01 1B, 155 unpacked bytes, checksum, F7: 163 bytes),
 *   - a bare stream of packed 128-byte voices (no F0; the size a multiple of 128),
 * and writes the first two. In memory a voice is always the unpacked 155-byte VCED layout.
 *
 * Real banks hold values no DX7 front panel can make (127 in a 0..99 field, stray bits above a
 * packed field, a detune of 15). Loading masks every field to its width and clamps it to its
 * range, as DX7 editors do, and reports each change as an sm_dx7_clamp; it never refuses a
 * bank for that. A wrong checksum is a warning (sm_dx7_bank.checksum_ok), not an error. Input
 * that is truncated or garbled fails with SM_ERR_FORMAT and a message naming the file and the
 * byte offset. Every file is written all-or-nothing (core/fileio.h). Nothing here allocates
 * except sm_dx7_load and sm_dx7_load_voice, and nothing keeps global state. */
#ifndef SM_DX7_SYSEX_H
#define SM_DX7_SYSEX_H

#include <stddef.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SM_DX7_VCED_SIZE 155     /* unpacked single voice */
#define SM_DX7_VMEM_SIZE 128     /* packed voice inside a bulk dump */
#define SM_FM6_NPARAMS 145       /* VCED without the 10 name bytes */
#define SM_DX7_NAME_LEN 10
#define SM_DX7_BANK_VOICES 32    /* voices in a bulk dump */
#define SM_DX7_SINGLE_FILE_SIZE 163
#define SM_DX7_BANK_FILE_SIZE 4104

/* VCED offsets of the global parameters (operator p of 1..6 starts at (6 - p) * 21). */
#define SM_DX7_OP_STRIDE 21
#define SM_DX7_ALGORITHM 134     /* stored 0..31, shown and native 1..32 */
#define SM_DX7_FEEDBACK 135
#define SM_DX7_NAME 145

/* One voice in VCED order (operator 6 first); the algorithm is stored 0..31. */
typedef struct {
    unsigned char vced[SM_DX7_VCED_SIZE];
} sm_dx7_voice;

/* What kind of file a bank came from. */
enum {
    SM_DX7_KIND_BULK = 1,   /* 32-voice bulk dump */
    SM_DX7_KIND_SINGLE = 2, /* single-voice dump */
    SM_DX7_KIND_STREAM = 3  /* bare stream of packed 128-byte voices */
};

/* One field that loading changed. offset and mask say where it lives in the stored voice: the
 * byte (0..127 in a packed voice, 0..154 in a single-voice dump, counted from the voice's first
 * data byte) and the bits of that byte the field occupies (0x7F: a whole 7-bit byte; for bits
 * that belong to no parameter, e.g. 0x70 above the feedback and key-sync bits, the stray bits).
 * raw is the field's stored value, (byte & mask) >> lowest bit of mask; value is the value used
 * (0 for stray bits). Writing the voice back stores value << shift in exactly those bits. */
typedef struct {
    size_t voice;   /* 1-based voice number in the file */
    int offset;     /* byte within the stored voice */
    unsigned mask;  /* bits of that byte */
    int param;      /* VCED parameter number 0..154, or -1 for stray bits */
    char field[48]; /* "OP2 EG LEVEL 3", "OSC KEY SYNC/FEEDBACK unused bits 4-6", "NAME CHAR 3" */
    int raw;        /* as stored */
    int value;      /* as used */
} sm_dx7_clamp;

/* The voices of one file and what loading had to repair. */
typedef struct {
    sm_dx7_voice *voices;     /* n voices, owned */
    size_t n;
    int kind;                 /* SM_DX7_KIND_* */
    int channel;              /* MIDI channel 0..15 of a sysex header; 0 for a stream */
    int checksum_ok;          /* 1 if the checksum matched (or there is none: a stream) */
    unsigned checksum_stored; /* as found in the file (sysex only) */
    unsigned checksum_computed;
    sm_dx7_clamp *clamps;     /* n_clamped entries in file order, owned */
    size_t n_clamped;
} sm_dx7_bank;

/* Loads a bank from path, detecting its kind from the content. On success bank owns its
 * voices and report (free with sm_dx7_bank_free); out-of-range fields are clamped and listed
 * in bank->clamps, and a checksum mismatch only clears bank->checksum_ok. Returns 0,
 * SM_ERR_IO (cannot read), SM_ERR_FORMAT (not a DX7 voice file, truncated, garbled: the
 * message names path and byte offset), SM_ERR_RANGE (absurdly large) or SM_ERR_NOMEM. On
 * failure *bank is zeroed. */
int sm_dx7_load(const char *path, sm_dx7_bank *bank, sm_error *err);

/* Frees what bank owns and zeroes it. NULL and a zeroed bank are harmless. */
void sm_dx7_bank_free(sm_dx7_bank *bank);

/* Finds a voice by selector: a 1-based number ("11") or a name ("E.PIANO 1"), compared
 * without case and ignoring trailing spaces on both sides; the first match wins. A number
 * outside 1..n is also tried as a name. Sets *index (0-based). Returns 0, SM_ERR_NOTFOUND or
 * SM_ERR_ARG (empty selector), with err set. */
int sm_dx7_find_voice(const sm_dx7_bank *bank, const char *selector, size_t *index,
                      sm_error *err);

/* Loads one voice. spec is "FILE" (a single-voice file's voice, or voice 1 of a bank),
 * "FILE:N" (1-based) or "FILE:NAME" (as sm_dx7_find_voice). FILE may itself contain ':'; the
 * longest prefix naming an existing file is taken. The voice is clamped as by sm_dx7_load (the
 * report is dropped; use sm_dx7_load to see it). Returns 0, or an error of sm_dx7_load or
 * sm_dx7_find_voice with err set; *v is then the init voice. */
int sm_dx7_load_voice(const char *spec, sm_dx7_voice *v, sm_error *err);

/* Writes one voice as a single-voice dump (163 bytes, channel 1) all-or-nothing. Values out of
 * range are clamped and the name restricted as by sm_dx7_voice_clamp (v is not changed).
 * Returns 0, SM_ERR_ARG or SM_ERR_IO; on failure no file is left at path. */
int sm_dx7_write_single(const char *path, const sm_dx7_voice *v, sm_error *err);

/* Writes n <= 32 voices as a 32-voice bulk dump (4104 bytes, channel 1) all-or-nothing; the
 * slots after n hold the init voice. Voices are clamped as by sm_dx7_pack_voice. Returns 0,
 * SM_ERR_ARG (n > 32, voices NULL with n > 0) or SM_ERR_IO; on failure no file is left. */
int sm_dx7_write_bank(const char *path, const sm_dx7_voice *voices, size_t n, sm_error *err);

/* Packs a voice into the 128-byte bulk-dump layout. Out-of-range values are clamped and the
 * name restricted first (v is not changed), so the result is always a valid DX7 voice.
 * v NULL packs the init voice. */
void sm_dx7_pack_voice(const sm_dx7_voice *v, unsigned char packed[SM_DX7_VMEM_SIZE]);

/* Unpacks a 128-byte packed voice, masking every field to its width, clamping it to its range
 * and restricting the name. Returns how many fields (and groups of stray bits) it changed:
 * 0 for a clean voice. */
int sm_dx7_unpack_voice(const unsigned char packed[SM_DX7_VMEM_SIZE], sm_dx7_voice *v);

/* Clamps every parameter of v to its range and restricts its name to the characters the DX7
 * shows (sm_dx7_name_char). Returns how many bytes it changed. */
int sm_dx7_voice_clamp(sm_dx7_voice *v);

/* The DX7 INIT VOICE: algorithm 1, operator 1 at output level 99 and the others at 0, square
 * envelopes (rates 99, levels 99 99 99 0), ratio 1.00, detune 0 (stored 7), pitch envelope
 * levels 50, LFO speed 35 with key sync on, pitch mod sensitivity 3, transpose C3 (24), name
 * "INIT VOICE". */
void sm_dx7_voice_init(sm_dx7_voice *v);

/* The 7-bit sysex checksum of n bytes: (-(sum of the bytes)) & 0x7F. */
unsigned char sm_dx7_checksum(const unsigned char *data, size_t n);

/* native[0..144] from v: native[134] is the algorithm 1..32 (stored + 1); every other value is
 * the VCED byte itself. */
void sm_dx7_voice_to_native(const sm_dx7_voice *v, double *native);

/* v from 145 native values (as sm_dx7_voice_to_native gives): each is rounded to the nearest
 * integer and clamped to its range (NaN gives the range's low end). name (NULL: all spaces)
 * is cut at 10 characters, padded with spaces and restricted by sm_dx7_name_char. */
void sm_dx7_voice_from_native(sm_dx7_voice *v, const double *native, const char *name);

/* The voice's name: its 10 characters restricted by sm_dx7_name_char, trailing spaces
 * trimmed, NUL-terminated ("BRASS   1", "E.PIANO 1"). */
void sm_dx7_voice_name(const sm_dx7_voice *v, char out[SM_DX7_NAME_LEN + 1]);

/* The character a voice name holds for c: c itself if the DX7 shows it as in ASCII (32..125
 * except 92), otherwise a stand-in: '\\' (shown as a yen sign) becomes '/', '~' (shown as a
 * right arrow) becomes '-', control characters and DEL (127, a left arrow) become ' ', and
 * bytes 128..255 become '?'. */
char sm_dx7_name_char(unsigned char c);

/* The name of VCED parameter p ("OP6 EG RATE 1", "ALGORITHM", "NAME CHAR 1"), or "?" when p
 * is outside 0..154. */
const char *sm_dx7_param_name(int p);
/* The largest stored value of VCED parameter p (99, 31 for the algorithm, 14 for detune, ...;
 * 125 for name characters), or -1 when p is outside 0..154. The smallest is 0 (32 for name
 * characters). */
int sm_dx7_param_max(int p);

/* A line for the user about one clamp, e.g. "voice 20: OP2 EG LEVEL 3 was 127, now 99".
 * Always NUL-terminates buf (len > 0). */
void sm_dx7_clamp_describe(const sm_dx7_clamp *c, char *buf, size_t len);

/* "32-voice bulk dump", "single-voice dump", "stream of packed voices" or "unknown". */
const char *sm_dx7_kind_name(int kind);

#ifdef __cplusplus
}
#endif

#endif
