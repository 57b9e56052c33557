/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/mtpreset.h: Sonic Charge Microtonic preset files (.mtpreset), read into and written
 * from sm_synth_drum's parameters.
 *
 * A preset is brace-nested text ("MicrotonicPresetV3: { ... }") holding global settings, eight
 * drum patches under DrumPatches ("1": { OscWave: "Sine" OscFreq: "48.06 Hz" ... }) and twelve
 * patterns. Values carry their units in strings ("626.57 ms", "33.02 sm", "-5.12 dB",
 * "88.15 / 11.85", "38.9%"); ModRate is in ms in Decay mode ("inf ms" allowed) and in Hz in
 * the Sine and Noise modes. Reading keeps the drum patches: unknown keys, clamped values and
 * missing keys become warnings (sentences naming the file and line, collected for the caller;
 * the library never prints). A malformed file is an SM_ERR_FORMAT error naming the file and
 * the line. Writing makes a complete preset (global settings, 8 patches, 12 empty patterns),
 * all-or-nothing through core/fileio.h, that Microtonic can open.
 *
 * The mapping between the file's keys and the drum voice's parameters is in synths/drum.md. */
#ifndef SM_MTPRESET_H
#define SM_MTPRESET_H

#include <stddef.h>
#include "core/error.h"
#include "synths/drum.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SM_MTPRESET_NAME_MAX 128
#define SM_MTPRESET_MAX_PATCHES 8

/* One drum patch. */
typedef struct {
    int channel;                        /* its key under DrumPatches, 1..8 */
    int line;                           /* the line where it starts (0 if not from a file) */
    char name[SM_MTPRESET_NAME_MAX];    /* Name ("" if none) */
    char path[256];                     /* Path, where Microtonic keeps the patch ("" if none) */
    double native[SM_DRUM_NPARAMS];     /* sm_synth_drum's parameters, within their ranges */
    double pan;                         /* Pan -100..100 (not part of the mono voice) */
    int output_b;                       /* Output: 0 = "A", 1 = "B" */
    int choke;                          /* Choke: 0 = "Off", 1 = "On" */
} sm_mtpreset_patch;

/* A preset as read: its drum patches in channel order, and the warnings. Owns its arrays. */
typedef struct {
    char *path;                         /* the name used in messages */
    size_t n;
    sm_mtpreset_patch *patches;
    size_t n_warnings;
    char **warnings;
} sm_mtpreset;

/* Fills patch with Microtonic's initial drum patch (every parameter at its default). */
void sm_mtpreset_patch_init(sm_mtpreset_patch *patch, int channel, const char *name);

/* Reads the preset file at path into *out (zeroed first). Returns 0, SM_ERR_IO, SM_ERR_FORMAT
 * (with the file and line), SM_ERR_EMPTY (no drum patch) or SM_ERR_NOMEM. On failure *out is
 * left empty; free it with sm_mtpreset_free either way. */
int sm_mtpreset_read(const char *path, sm_mtpreset *out, sm_error *err);

/* As sm_mtpreset_read, from len bytes of text; name is used in messages. */
int sm_mtpreset_parse(const char *text, size_t len, const char *name, sm_mtpreset *out,
                      sm_error *err);

/* Releases what p owns and zeroes it. NULL is allowed. */
void sm_mtpreset_free(sm_mtpreset *p);

/* The index in p->patches of the patch picked by selector: a channel number ("3") or a patch
 * name (exact, else case-insensitive; the first in channel order). Returns 0 or
 * SM_ERR_NOTFOUND (the message lists what the file holds). */
int sm_mtpreset_select(const sm_mtpreset *p, const char *selector, size_t *index, sm_error *err);

/* Formats a complete preset holding patches[0..n) as channels 1..n and Microtonic's initial
 * patch in the channels after them (n <= 8). *text is NUL-terminated and owned by the caller.
 * Returns 0, SM_ERR_ARG, SM_ERR_RANGE / SM_ERR_NONFINITE (a parameter out of range, named) or
 * SM_ERR_NOMEM. */
int sm_mtpreset_format(const sm_mtpreset_patch *patches, size_t n, char **text, size_t *len,
                       sm_error *err);

/* Writes the preset of sm_mtpreset_format to path, all-or-nothing. Returns 0 or an sm_err. */
int sm_mtpreset_write(const char *path, const sm_mtpreset_patch *patches, size_t n,
                      sm_error *err);

/* sm_synth_drum's patch hooks (see synths/synth.h). spec is "FILE", "FILE:N" or "FILE:NAME"
 * ("FILE" alone is the first patch). Warnings are dropped here; call sm_mtpreset_read to see
 * them. patch_save writes native (checked against the space) as channel 1 named name. */
int sm_mtpreset_patch_load(const char *spec, double *native, char *name, size_t name_len,
                           sm_error *err);
int sm_mtpreset_patch_save(const char *path, const double *native, const char *name,
                           sm_error *err);
int sm_mtpreset_patch_load_all(const char *path, double **native, size_t *n, sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
