/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/voice_sound.h: what one DX7 voice sounds like, in a few numbers, and the garbage
 * filter that reads them.
 *
 * A voice is rendered by fm6 at one note (sm_voice_render_config: MIDI 60, velocity 100, key
 * held 1 s, 2 s rendered, 44.1 kHz by default) and measured (definitions in
 * datasets/voice_sound.c):
 *   attack_s     time from the key going down to the loudness envelope's first arrival within
 *                3 dB of its maximum;
 *   decay_s      time from that maximum to 20 dB below it while the key is held (the gate's
 *                remaining length if it never gets there);
 *   sustain_db   the envelope over the last 100 ms of the gate, in dB relative to its
 *                maximum (-80 at most below);
 *   release_s    time from the key's release to 30 dB below the level at the release (the
 *                rendered remainder if it never gets there; 0 when the sound has already died
 *                away, more than 40 dB down, by the release);
 *   brightness   loudness-weighted mean spectral centroid in octaves above the note's
 *                frequency, while the key is held;
 *   pitch_stability  share of the loud frames (within 40 dB of the loudest) while the key is
 *                held that are voiced (YIN) and within 50 cents of their median pitch, 0..1;
 *   pitch_error_cents  the median YIN pitch over the last 40% of the loud held frames against
 *                the note, folded into one octave (-600..600 cents); NaN if fewer than 3 of
 *                them are voiced;
 *   noisiness    loudness-weighted mean spectral flatness while the key is held, 0..1 (white
 *                noise about 0.56, a pure tone about 0);
 *   and for the garbage filter: peak (largest |sample|), peak_hard (the peak at velocity 127,
 *   measured only when the peak at the config's velocity could reach full scale there, else
 *   equal to peak), level_db (RMS over the gate in dBFS), dc (|mean| / RMS of 2048-sample
 *   frames while the key is held, weighted by their RMS: 0 for a tone, 1 for a constant).
 *
 * An analyser holds an fm6 state, descriptor plans and buffers: make one per thread. */
#ifndef SM_DATASETS_VOICE_SOUND_H
#define SM_DATASETS_VOICE_SOUND_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the descriptors' definitions: bump it whenever a change to this module changes
 * what it measures, so that caches of measured voices (datasets/timbre.h) are remade. */
#define SM_VOICE_SOUND_VERSION 2

typedef struct {
    double note;         /* MIDI note (default 60, C4, 261.6 Hz) */
    double velocity;     /* 1..127 (default 100) */
    double gate_s;       /* seconds the key is held (default 1.0) */
    double length_s;     /* seconds rendered (default 2.0), more than the gate */
    double sample_rate;  /* Hz (default 44100) */
} sm_voice_render_config;

/* The defaults above. Cannot fail. */
sm_voice_render_config sm_voice_render_config_default(void);
/* Returns 0, SM_ERR_ARG (c NULL) or SM_ERR_CONFIG naming the field: note outside 12..108,
 * velocity outside 1..127, gate below 0.2 s, length not at least gate + 0.2 s or above 30 s,
 * rate outside 16000..192000 Hz. */
int sm_voice_render_config_check(const sm_voice_render_config *c, sm_error *err);

typedef struct {
    double attack_s, decay_s, sustain_db, release_s;
    double brightness, pitch_stability, pitch_error_cents, noisiness;
    double peak, peak_hard, level_db, dc;
} sm_voice_descr;

/* Descriptors a kind classifier reads (datasets/voice_kinds.h), in this order. */
#define SM_VOICE_NFEAT 7
/* The classifier's view of d: log10(attack_s + 0.005), log10(decay_s + 0.01), sustain_db / 20,
 * log10(release_s + 0.01), brightness, pitch_stability, log10(noisiness + 0.001). */
void sm_voice_features(const sm_voice_descr *d, double out[SM_VOICE_NFEAT]);
/* "attack", "decay", ... for the SM_VOICE_NFEAT features. */
const char *sm_voice_feature_name(int i);

typedef struct sm_voice_analyser sm_voice_analyser;

/* An analyser for c (copied). The caller owns it (sm_voice_analyser_free). NULL with err set:
 * SM_ERR_CONFIG, SM_ERR_NOMEM. */
sm_voice_analyser *sm_voice_analyser_alloc(const sm_voice_render_config *c, sm_error *err);
void sm_voice_analyser_free(sm_voice_analyser *a);
/* Samples one render holds. */
size_t sm_voice_analyser_samples(const sm_voice_analyser *a);

/* Renders the voice whose SM_FM6_NPARAMS native values are given (synths/fm6.h) and measures
 * it into *d. The render stays in the analyser until the next call (sm_voice_analyser_audio).
 * Returns 0, SM_ERR_ARG (NULL argument) or an error of fm6's render (then *d is the
 * descriptors of silence). Allocates nothing. */
int sm_voice_analyse(sm_voice_analyser *a, const double *native, sm_voice_descr *d);
/* Measures audio x (n samples at the config's rate, rendered with its note, gate and
 * velocity; cut or zero-padded to the render length) into *d; peak_hard is set to peak.
 * Returns 0, SM_ERR_ARG or SM_ERR_NONFINITE. */
int sm_voice_measure(sm_voice_analyser *a, const float *x, size_t n, sm_voice_descr *d);
/* The last render (sm_voice_analyser_samples samples), owned by a. */
const float *sm_voice_analyser_audio(const sm_voice_analyser *a);

/* ---- The garbage filter -------------------------------------------------------------------- */
/* Reasons a voice is garbage (bits). */
enum {
    SM_GARBAGE_SILENT = 1,   /* peak below limits.silent_peak */
    SM_GARBAGE_CLIP = 2,     /* peak_hard at or above limits.clip_peak (full scale) */
    SM_GARBAGE_DC = 4,       /* dc at or above limits.dc */
    SM_GARBAGE_SCREAM = 8,   /* loud, bright and noisy at once: level_db, brightness and
                                noisiness all at or above their limits */
    SM_GARBAGE_PITCH = 16    /* asked to be pitched, and it does not settle within
                                limits.pitch_cents of the note (or is unvoiced there) */
};
#define SM_GARBAGE_NREASONS 5

typedef struct {
    double silent_peak;    /* linear (default 0.001, -60 dBFS) */
    double clip_peak;      /* linear (default 1.0, full scale) */
    double dc;             /* |mean| / RMS (default 0.7) */
    double scream_level_db;    /* dBFS (default -20) */
    double scream_brightness;  /* octaves above the note (default 4: 4.2 kHz at C4) */
    double scream_noisiness;   /* flatness (default 0.25) */
    double pitch_cents;    /* default 50 */
} sm_garbage_limits;

/* The defaults above (datasets/voice_sound.c says how they were chosen). Cannot fail. */
sm_garbage_limits sm_garbage_limits_default(void);

/* The reasons (SM_GARBAGE_* bits, 0 for a good voice) d fails limits for; pitched = 1 adds
 * the pitch test. NULL d gives SM_GARBAGE_SILENT; NULL limits uses the defaults. */
unsigned sm_garbage_check(const sm_voice_descr *d, const sm_garbage_limits *limits, int pitched);
/* "silent", "clip", "dc", "scream", "pitch" for bit index i (0..4), or "?". */
const char *sm_garbage_reason_name(int i);

#ifdef __cplusplus
}
#endif

#endif
