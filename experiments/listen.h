/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/listen.h: the listening page of a set of DX7 voices.
 *
 * `soundmatch generate` and `soundmatch bank` write it beside the banks they make: one
 * self-contained HTML file readable offline, with a row per voice giving its bank file and
 * slot, name, algorithm, kind and descriptors (datasets/voice_sound.h), a spectrogram (PNG,
 * experiments/plot.h) and an audio player (16-bit WAV), both embedded as base64 data URIs
 * (sm_base64_encode, experiments/report.h). Nothing is fetched from the network. */
#ifndef SM_LISTEN_H
#define SM_LISTEN_H

#include <stddef.h>
#include "core/error.h"
#include "datasets/voice_sound.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Spectrograms and players are given to at most this many voices (the page says so). */
#define SM_LISTEN_MAX_MEDIA 512

typedef struct {
    const char *bank_file;        /* the file the voice is in (may be NULL) */
    int slot;                     /* 1..32 in that file (0: not shown) */
    const char *name;             /* the voice's name */
    int algorithm;                /* 1..32 */
    const char *kind;             /* "pad", ... (may be NULL) */
    const sm_voice_descr *descr;  /* may be NULL */
    const char *notes;            /* one more line of text (may be NULL) */
    const float *audio;           /* the render to play and draw (may be NULL) */
    size_t n;
    double sample_rate;
} sm_listen_voice;

typedef struct {
    const char *title;
    const char *intro;            /* a paragraph of plain text (escaped), may be NULL */
    const char *render_desc;      /* how the audio was made ("MIDI 48, velocity 100, ..."),
                                     may be NULL */
    size_t n_voices;
    const sm_listen_voice *voices;
} sm_listen_page;

/* Writes the page to path all-or-nothing (core/fileio.h). Returns 0, SM_ERR_ARG (NULL path or
 * page, voices NULL with n_voices > 0), SM_ERR_IO or SM_ERR_NOMEM, with err naming the file. */
int sm_listen_write(const char *path, const sm_listen_page *page, sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
