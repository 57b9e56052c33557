/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/features.h: STFT, mel filterbank, MFCC, descriptors and the matching cost.
 *
 * The MFCC follows librosa 0.11 exactly by default (Slaney mel scale and area normalisation,
 * power spectrum, 10*log10 with a top_db floor over the whole matrix, DCT-II ortho, centred
 * frames with zero padding, periodic Hann window). Every object follows plan-once,
 * execute-many: *_alloc makes FFTW plans (thread-safely), tables and scratch; *_compute and
 * *_eval allocate nothing and may run concurrently on different objects. */
#ifndef SM_FEATURES_H
#define SM_FEATURES_H

#include <stddef.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- MFCC ---------------------------------------------------------------------------- */
typedef struct {
    double sample_rate;  /* Hz */
    int n_fft;           /* FFT and window length (default 2048) */
    int hop;             /* hop length (default 512) */
    int n_mels;          /* mel bands (default 128) */
    int n_mfcc;          /* coefficients kept, c0 first (default 20) */
    double fmin, fmax;   /* filterbank edges in Hz (default 0 and sample_rate/2; fmax <= 0 means sr/2) */
    int htk;             /* 0: Slaney mel scale (default); 1: HTK mel scale */
    double top_db;       /* dB floor below the matrix maximum (default 80; <= 0: none) */
    int center;          /* 1 (default): pad n_fft/2 zeros on both sides */
} sm_mfcc_config;

/* librosa 0.11's defaults at the given rate (n_mfcc 20, n_fft 2048, hop 512, n_mels 128,
 * fmin 0, fmax 0 meaning sr/2, Slaney, top_db 80, center 1). Cannot fail. */
sm_mfcc_config sm_mfcc_config_default(double sample_rate);
/* Checks every field. Returns 0, SM_ERR_ARG (c is NULL) or SM_ERR_CONFIG with a sentence in
 * err naming the field (sample rate not positive, n_fft < 2, hop < 1, n_mfcc not in
 * 1..n_mels, fmin >= fmax, fmax above Nyquist, htk or center not 0/1, NaN values). */
int sm_mfcc_config_check(const sm_mfcc_config *c, sm_error *err);
/* Frames produced for n samples (center: 1 + n/hop; otherwise 1 + (n - n_fft)/hop, or 0 if
 * n < n_fft). 0 for a NULL c. */
size_t sm_mfcc_n_frames(const sm_mfcc_config *c, size_t n_samples);

typedef struct sm_mfcc sm_mfcc;
/* A plan for inputs of up to max_samples samples: an FFTW plan (made under the planner lock,
 * so threads may call this concurrently), the filterbank and DCT tables and a scratch matrix
 * of max frames x n_mels. The caller owns it (sm_mfcc_free); it keeps a copy of c. Returns
 * NULL with err set: SM_ERR_CONFIG (bad c), SM_ERR_ARG (max_samples 0 or shorter than one
 * frame), SM_ERR_RANGE (too long), SM_ERR_NOMEM; nothing is leaked. */
sm_mfcc *sm_mfcc_alloc(const sm_mfcc_config *c, size_t max_samples, sm_error *err);
/* MFCCs of x (n <= max_samples) into out (caller's, sm_mfcc_n_frames(c, n) x n_mfcc
 * doubles, row-major frames x coefficients, c0 first); *n_frames (may be NULL) receives the
 * frame count, 0 on failure. Returns 0, SM_ERR_ARG (NULL m, x or out; n 0 or above
 * max_samples; shorter than one frame without centring) or SM_ERR_NONFINITE (x holds a NaN
 * or Inf; out is then unspecified). Allocates nothing; m's scratch is overwritten, so one m
 * serves one thread at a time. */
int sm_mfcc_compute(sm_mfcc *m, const float *x, size_t n, double *out, size_t *n_frames);
/* m's settings (owned by m), or NULL for a NULL m. */
const sm_mfcc_config *sm_mfcc_get_config(const sm_mfcc *m);
/* Releases m and everything it owns. NULL is a no-op. */
void sm_mfcc_free(sm_mfcc *m);

/* Mean and standard deviation of each coefficient over frames: out[0..n_mfcc) means,
 * out[n_mfcc..2*n_mfcc) deviations (population, divided by frames; all 0 for 0 frames).
 * Used to summarise a sound in one vector. out is the caller's (2 * n_mfcc doubles); does
 * nothing for a NULL out or n_mfcc < 1. Cannot fail. */
void sm_mfcc_summary(const double *mfcc, size_t frames, int n_mfcc, double *out);

/* The MFCC distance between two matrices (frames x n_mfcc) of possibly different lengths.
 * Defined and documented in features/cost.c: the weighted mean |difference| over frames
 * aligned by index (c0 weighted 0.1, c1.. weighted 1), each frame present in one matrix only
 * costing 100, averaged over the longer matrix. Zero for identical input, symmetric, 0 for
 * two empty matrices; NaN for n_mfcc < 1, a NULL matrix with frames, or NaN input. */
double sm_mfcc_distance(const double *a, size_t frames_a, const double *b, size_t frames_b,
                        int n_mfcc);

/* ---- Descriptors ----------------------------------------------------------------------- */
typedef struct {
    double sample_rate;
    int n_fft;           /* default 2048 */
    int hop;             /* default 512 */
    double fmin_hz, fmax_hz;  /* pitch_hz's YIN search range (default 40 Hz to 2000 Hz) */
    double yin_threshold;     /* default 0.1 (both YINs) */
    /* Added for the seven sound descriptors (librosa's definitions, features/descriptors.c): */
    double f0_fmin_hz, f0_fmax_hz;  /* f0_hz's range (librosa.yin's fmin, fmax): default 45 Hz
                                       (or sr / (n_fft / 2) if higher) to 2000 Hz */
    double rolloff_pct;       /* roll-off share of the magnitude sum (default 0.85) */
} sm_descr_config;
/* The defaults above at the given rate. Cannot fail. */
sm_descr_config sm_descr_config_default(double sample_rate);

/* Per-frame descriptors, frames centred as for MFCC (definitions in features/descriptors.c).
 * The arrays are owned by the struct: make them with sm_descr_alloc, free with
 * sm_descr_free. */
typedef struct {
    size_t n_frames;
    double *rms;         /* linear RMS per frame */
    double *centroid_hz; /* spectral centroid; 0 for a silent frame */
    double *flatness;    /* spectral flatness (geometric / arithmetic mean of power), 0..1;
                            white noise ~0.56, a pure tone ~0, a silent frame 1 */
    double *pitch_hz;    /* YIN estimate; 0 where unvoiced */
    size_t capacity;     /* frames the arrays hold (set by sm_descr_alloc) */
    /* Added for the seven sound descriptors; filled by sm_descr_compute_some: */
    double *zcr;          /* zero crossings per sample, 0..1 (librosa.feature.zero_crossing_rate) */
    double *rolloff_hz;   /* spectral roll-off (librosa.feature.spectral_rolloff) */
    double *bandwidth_hz; /* spectral bandwidth, p = 2 (librosa.feature.spectral_bandwidth) */
    double *f0_hz;        /* librosa.yin's f0 (always a value, as librosa gives) */
    unsigned char *voiced;/* 1 where librosa.yin found a trough below yin_threshold */
} sm_descr;

/* Which descriptors sm_descr_compute_some fills (the others are left untouched). */
enum {
    SM_DESCR_RMS = 1,
    SM_DESCR_CENTROID = 2,
    SM_DESCR_FLATNESS = 4,
    SM_DESCR_PITCH = 8,
    SM_DESCR_ALL = 15,         /* the four sm_descr_compute fills */
    SM_DESCR_ZCR = 16,
    SM_DESCR_ROLLOFF = 32,
    SM_DESCR_BANDWIDTH = 64,
    SM_DESCR_F0 = 128,         /* f0_hz and voiced */
    /* RMS, ZCR, centroid, roll-off, bandwidth, flatness and f0: the seven sound descriptors */
    SM_DESCR_SEVEN = 1 | 2 | 4 | 16 | 32 | 64 | 128,
    /* Also a flag: frames whose RMS lies SM_DESCR_ACTIVE_DB or more below the loudest frame's
     * (their pooling weight is 0, features/descr_summary.c) get 0 for every descriptor but
     * rms and zcr, without computing them (needs SM_DESCR_RMS). */
    SM_DESCR_SKIP_QUIET = 256
};
/* Returns 0, SM_ERR_ARG (c is NULL) or SM_ERR_CONFIG with a sentence in err naming the field
 * (sample rate, n_fft, hop, fmin_hz > 0, fmin_hz < fmax_hz <= sr/2, threshold in (0, 1)). */
int sm_descr_config_check(const sm_descr_config *c, sm_error *err);
/* Frames for n samples: 1 + n/hop (centred, as for MFCC); 0 for a NULL c. */
size_t sm_descr_n_frames(const sm_descr_config *c, size_t n_samples);

typedef struct sm_descr_plan sm_descr_plan;
/* FFTW plans (made under the planner lock) and scratch for inputs of up to max_samples
 * samples. The caller owns it (sm_descr_plan_free). Returns NULL with err set: SM_ERR_CONFIG,
 * SM_ERR_ARG (max_samples 0), SM_ERR_NOMEM; nothing is leaked. */
sm_descr_plan *sm_descr_plan_alloc(const sm_descr_config *c, size_t max_samples, sm_error *err);
/* Computes every descriptor of x (n <= max_samples) into d, whose arrays must hold
 * sm_descr_n_frames(c, n) frames (d->capacity, from sm_descr_alloc); sets d->n_frames.
 * Returns 0, SM_ERR_ARG (NULL p, x or d; n 0 or too long; d too small) or SM_ERR_NONFINITE
 * (x holds a NaN or Inf). Allocates nothing; one plan serves one thread at a time. */
int sm_descr_compute(sm_descr_plan *p, const float *x, size_t n, sm_descr *d);
/* Like sm_descr_compute, filling only the descriptors named in `what` (SM_DESCR_* flags). */
int sm_descr_compute_some(sm_descr_plan *p, const float *x, size_t n, sm_descr *d, int what);
/* Releases p and its plans. NULL is a no-op. */
void sm_descr_plan_free(sm_descr_plan *p);
/* Zeroes d and gives it arrays for up to max_frames frames (d->capacity = max_frames,
 * d->n_frames = 0); free with sm_descr_free. Returns 0, SM_ERR_ARG (NULL d or max_frames 0)
 * or SM_ERR_NOMEM; on failure d is left zeroed. */
int sm_descr_alloc(sm_descr *d, size_t max_frames);
/* Frees d's arrays and zeroes d (so a second call is harmless). NULL is a no-op. */
void sm_descr_free(sm_descr *d);

/* ---- The seven sound descriptors (features/descr_summary.c) ----------------------------- */
/* Neurorack's seven controls, each a librosa measure on frames of 2048 samples, hop 512,
 * centred (sm_descr_config_default; definitions in features/descriptors.c), pooled over a
 * sound into one value (definitions, units and ranges in features/descr_summary.c):
 *   loudness (RMS), percussivity (zero-crossing rate), brightness (spectral centroid),
 *   tone-likeness (spectral roll-off), richness (spectral bandwidth), noisiness (spectral
 *   flatness), pitch (YIN f0).
 * Each has VALUE units (what a user reads and asks for: dBFS, crossings per sample, Hz,
 * flatness 0..1) and COMPARISON units, in which it is pooled, interpolated and compared (dB,
 * octaves, semitones): a difference is normalised by the descriptor's published spread
 * (sm_descr_scales). */
#define SM_DESCR_ACTIVE_DB 40.0   /* frames this far below the loudest frame weigh 0 */
#define SM_DESCR_RAMP_DB 10.0     /* frames within this of that line weigh part */

typedef enum {
    SM_D_LOUDNESS, SM_D_PERCUSSIVITY, SM_D_BRIGHTNESS, SM_D_TONE, SM_D_RICHNESS,
    SM_D_NOISINESS, SM_D_PITCH, SM_D_COUNT
} sm_descriptor;

typedef struct {
    const char *name;       /* "loudness", "percussivity", "brightness", "tone-likeness",
                               "richness", "noisiness", "pitch" */
    const char *measure;    /* what librosa calls it: "rms", "zcr", "centroid", ... */
    const char *unit;       /* value units: "dBFS", "1/sample", "Hz", "" (flatness) */
    const char *cmp_unit;   /* comparison units: "dB", "octaves", "semitones" */
    double lo, hi;          /* the values a target may ask for (value units) */
} sm_descriptor_info;

/* Descriptor d's description (static), or NULL for d outside 0..SM_D_COUNT-1. */
const sm_descriptor_info *sm_descriptor_get(int d);
/* The index of the descriptor called name (its name, "tone" for tone-likeness, or its
 * measure's name: rms, zcr, centroid, rolloff, bandwidth, flatness, f0), case-insensitive;
 * -1 if there is none. */
int sm_descriptor_find(const char *name);
/* A value of descriptor d in comparison units, and back. Values below a descriptor's floor
 * (the comparison units' lowest point) read as the floor. NaN for d out of range or NaN. */
double sm_descriptor_to_cmp(int d, double value);
double sm_descriptor_from_cmp(int d, double cmp);

/* One sound's pooled descriptors. */
typedef struct {
    double cmp[SM_D_COUNT];  /* comparison units; cmp[SM_D_PITCH] is NAN when unpitched */
    double voiced;           /* share of the pooling weight in voiced frames, 0..1 */
    double voiced_pitch;     /* mean pitch of the voiced frames (semitones), pitched or not;
                                NAN without voiced frames */
} sm_descr_means;

/* Pools d (computed with at least SM_DESCR_SEVEN) into *out. traj (d->n_frames x SM_D_COUNT,
 * comparison units, NAN for the pitch of unvoiced frames) and weight (d->n_frames pooling
 * weights) may be NULL. Returns 0, SM_ERR_ARG (NULL d or out) or SM_ERR_EMPTY (every frame
 * silent), with a sentence in err. */
int sm_descr_pool(const sm_descr *d, sm_descr_means *out, double *traj, double *weight,
                  sm_error *err);
/* Describes x (n samples at sample_rate Hz) with sm_descr_config_default's settings, making
 * and freeing its own plans. *traj and *weight (may be NULL) receive new arrays as
 * sm_descr_pool fills them (free()), *n_frames (may be NULL) their frames. Returns 0,
 * SM_ERR_ARG, SM_ERR_CONFIG (a rate sm_descr_config_check refuses), SM_ERR_NONFINITE,
 * SM_ERR_EMPTY (silence) or SM_ERR_NOMEM, with a sentence in err; outputs are NULL/0 then. */
int sm_describe(const float *x, size_t n, double sample_rate, sm_descr_means *out,
                double **traj, double **weight, size_t *n_frames, sm_error *err);

/* The published spreads (comparison units) of the descriptors over a reference set:
 * "drum" (the Microtonic presets and random drum patches) or "fm6" (human DX7 voices); any
 * other name gets fm6's. Measured by bench/descr_scales; see features/descr_summary.c.
 * Returns 0 for a published set, 1 where fm6's stood in. */
int sm_descr_scales(const char *reference, double scale[SM_D_COUNT]);

/* |target - got| of descriptor d over its scale. Pitch: 0 when both are unpitched, 1 when
 * one is and the other is not. NaN for a NULL argument, d out of range or a scale <= 0. */
double sm_descr_error(int d, const sm_descr_means *target, const sm_descr_means *got,
                      const double scale[SM_D_COUNT]);

/* Descriptor values asked for: some or all of the seven. */
typedef struct {
    sm_descr_means means;              /* comparison units of the given ones */
    unsigned char given[SM_D_COUNT];   /* 1: asked for */
} sm_descr_goal;
/* Sets descriptor d of goal from text: a value in value units ("2500", "-12"), "none" (pitch
 * only: unpitched), or an edit of the value the goal holds: "+20%" / "-10%" (of the value;
 * for loudness, of the RMS), or a shift in comparison units with its unit, "+3dB" (loudness,
 * noisiness), "+0.5oct" (percussivity to richness), "+2st" (pitch). sample_rate bounds the
 * frequencies (at most half of it). Returns 0, SM_ERR_FORMAT (not such a text, the wrong
 * unit, an edit of a descriptor not given) or SM_ERR_RANGE (outside the descriptor's range),
 * with a sentence naming the descriptor. */
int sm_descr_goal_set(sm_descr_goal *goal, int d, const char *text, double sample_rate,
                      sm_error *err);
/* Parses "name:text, name:text, ..." (texts as sm_descr_goal_set reads them) into goal,
 * zeroed first. SM_ERR_FORMAT also for an unknown descriptor, a name twice or no entry. */
int sm_descr_goal_parse(const char *list, sm_descr_goal *goal, double sample_rate,
                        sm_error *err);
/* Parses descriptor weights: "all" (each 1), or "name[:weight], ..." (a bare name weighs 1,
 * the others 0) into w[SM_D_COUNT]. Weights are numbers from 0 to 1000. Returns 0 or
 * SM_ERR_FORMAT / SM_ERR_RANGE with a sentence. */
int sm_descr_weights_parse(const char *list, double w[SM_D_COUNT], sm_error *err);

/* ---- Cost ---------------------------------------------------------------------------- */
/* Settings of a log-mel distance: MEASURES.md's are the defaults (n_fft 2048, hop 512,
 * 64 mels, top_db 80); the matching cost's log-mel term uses others (features/cost.c). */
typedef struct {
    int n_fft, hop, n_mels;   /* n_mels at most 256 and n_fft / 2 */
    double top_db;            /* each matrix floored this far below its maximum */
} sm_logmel_settings;

/* The cost of a candidate against a target: a weighted sum of terms. Default: MFCC only. */
typedef struct {
    sm_mfcc_config mfcc;
    double w_mfcc;       /* MFCC distance (default 1) */
    double w_mss;        /* multi-resolution log-spectral distance, FFT 2048..64 (default 0) */
    double w_loudness;   /* mean |dB difference| of frame RMS (default 0) */
    double w_centroid;   /* mean |octave difference| of spectral centroids (default 0) */
    double w_pitch;      /* mean |semitone difference| of voiced pitch (default 0) */
    int normalize_gain;  /* 1: scale each candidate to the target's RMS (by at most +/-60 dB)
                            before every term above, so they judge the sound, not its level
                            (default 0) */
    double w_level;      /* |20 log10(RMS_c / RMS_t)| dB before any scaling, at most 100
                            (default 0) */
    double w_logmel;     /* log-mel distance in dB, the mean over the scales below (default 0) */
    sm_logmel_settings logmel;  /* the first scale: default n_fft 1024, hop 256, 96 mels,
                                   top_db 80, finer in time and frequency than MEASURES.md's
                                   judging measure */
    sm_logmel_settings logmel2; /* a second scale (n_fft 0: none, the default) */
    double level_free_db;  /* the level term counts only the part of |difference| above this
                              (default 0) */
    /* The seven sound descriptors (features/descr_cost.c): the candidate as it is (never
     * gain-normalised), each descriptor's normalised error weighted: */
    double w_descr[SM_D_COUNT];      /* of the pooled values (default 0) */
    double w_descr_traj;             /* of the trajectories, times w_descr (default 0) */
    double descr_scale[SM_D_COUNT];  /* the spreads errors are divided by (default fm6's,
                                        sm_descr_scales) */
} sm_cost_config;
/* MFCC defaults at the rate, w_mfcc 1 and every other weight 0, no gain normalisation: the
 * cost of earlier releases, kept for experiment files. Cannot fail. */
sm_cost_config sm_cost_config_default(double sample_rate);
/* The cost for matching recordings (`soundmatch match`, and experiments that say
 * `[cost] preset = match`): gain-normalised, with the level as a term of its own. Weights and
 * the measurement that chose them are in features/cost.c. Cannot fail. */
sm_cost_config sm_cost_config_match(double sample_rate);
/* Returns 0, SM_ERR_ARG (c is NULL) or SM_ERR_CONFIG with a sentence in err: a bad MFCC
 * field, a weight that is negative or not a number, or every weight 0. */
int sm_cost_config_check(const sm_cost_config *c, sm_error *err);

/* The target's features, computed once, shared read-only by every thread. */
typedef struct sm_cost_target sm_cost_target;
/* Computes the features of target x (n samples) that the weighted terms need; keeps a copy
 * of c but not of x. The caller owns the result (sm_cost_target_free) and must keep it
 * alive while any sm_cost made from it exists. Returns NULL with err set: SM_ERR_CONFIG
 * (bad c), SM_ERR_EMPTY (x NULL or n 0), SM_ERR_NONFINITE (x holds a NaN or Inf),
 * SM_ERR_ARG (too short for one frame without centring), SM_ERR_NOMEM; nothing is leaked. */
sm_cost_target *sm_cost_target_alloc(const sm_cost_config *c, const float *x, size_t n,
                                     sm_error *err);
/* A target of descriptor values (features/descr_cost.c): goal's given descriptors replace
 * the recording's (x, n samples), whose other descriptors stay, and the trajectories move
 * with their means; with x NULL the target is the goal alone, for candidates of n samples,
 * and every weight but w_descr must be 0 (SM_ERR_CONFIG otherwise). goal NULL is
 * sm_cost_target_alloc. A goal descriptor whose weight is 0 is ignored; a weighted one the
 * goal leaves out is not scored when x is NULL. Errors as sm_cost_target_alloc's, and
 * SM_ERR_EMPTY for a silent recording under descriptor weights. */
sm_cost_target *sm_cost_target_alloc_goal(const sm_cost_config *c, const float *x, size_t n,
                                          const sm_descr_goal *goal, sm_error *err);
/* The target's length in samples; 0 for NULL. */
size_t sm_cost_target_samples(const sm_cost_target *t);
/* Releases t. NULL is a no-op. */
void sm_cost_target_free(sm_cost_target *t);

/* Per-thread scratch for scoring candidates against one target. */
typedef struct sm_cost sm_cost;
/* FFTW plans (made under the planner lock, so threads may call this concurrently) and
 * buffers for scoring against t, which it reads but does not own. The caller owns the result
 * (sm_cost_free). Returns NULL with err set: SM_ERR_ARG (t NULL), SM_ERR_NOMEM. */
sm_cost *sm_cost_alloc(const sm_cost_target *t, sm_error *err);
/* The cost (>= 0; 0 for the target itself) of candidate x, n samples, normally the
 * target's length: a longer x is cut to it and a shorter one read as zero-padded. Terms and
 * units are defined in features/cost.c. Returns NaN if x holds a NaN or Inf, or for a NULL c
 * or x. Allocates nothing; one sm_cost serves one thread at a time. */
double sm_cost_eval(sm_cost *c, const float *x, size_t n);
/* Releases c (not its target). NULL is a no-op. */
void sm_cost_free(sm_cost *c);

/* ---- Judging measures (features/measure.c) ------------------------------------------------ */
/* The two measures of MEASURES.md by which matches are judged; no optimizer minimises them.
 * Log-mel distance (dB): the match cut or zero-padded to the target's length, each signal
 * divided by its own RMS, 64 Slaney mel bands of a 2048-point periodic-Hann STFT (hop 512,
 * centred), 10 log10(max(power, 1e-10)) floored at each matrix's maximum - 80 dB, then the
 * mean |difference| over bands and frames. 0 for identical sounds; two different DX7 voices
 * are about 18 dB apart. */
typedef struct sm_logmel_plan sm_logmel_plan;
/* MEASURES.md's settings. Cannot fail. */
sm_logmel_settings sm_logmel_settings_default(void);
/* Returns 0, or SM_ERR_CONFIG with a sentence for settings out of range (NULL included). */
int sm_logmel_settings_check(const sm_logmel_settings *set, sm_error *err);
/* Computes target's dB matrix (n_target samples at sample_rate Hz; the copy is not kept) and
 * makes an FFTW plan (under the planner lock, so threads may call this concurrently) and
 * scratch. The caller owns it (sm_logmel_plan_free). Returns NULL with err set: SM_ERR_ARG
 * (NULL or empty target, sample rate not positive), SM_ERR_NONFINITE (a NaN or Inf sample),
 * SM_ERR_EMPTY (a silent target), SM_ERR_RANGE (too long), SM_ERR_NOMEM. */
sm_logmel_plan *sm_logmel_plan_alloc(const float *target, size_t n_target, double sample_rate,
                                     sm_error *err);
/* The same with other settings; SM_ERR_CONFIG for settings out of range. */
sm_logmel_plan *sm_logmel_plan_alloc_with(const float *target, size_t n_target,
                                          double sample_rate, const sm_logmel_settings *set,
                                          sm_error *err);
/* The target's length in samples; 0 for NULL. */
size_t sm_logmel_plan_samples(const sm_logmel_plan *p);
/* The log-mel distance of match (cut or zero-padded to the target's length) into *out_db
 * (NaN on failure). Returns 0, SM_ERR_ARG (NULL p, out_db or match; n_match 0),
 * SM_ERR_NONFINITE (a NaN or Inf sample within the target's length) or SM_ERR_EMPTY (the
 * match is silent over the target's length), with a sentence in err. Allocates nothing; one plan serves one thread at
 * a time. */
int sm_logmel_plan_distance(sm_logmel_plan *p, const float *match, size_t n_match,
                            double *out_db, sm_error *err);
/* sm_loudness_diff_db of match against the plan's target, without reading the target again
 * (its energy is kept). Same values; NaN also for a NULL p. */
double sm_logmel_plan_loudness_db(const sm_logmel_plan *p, const float *match, size_t n_match);
/* Releases p. NULL is a no-op. */
void sm_logmel_plan_free(sm_logmel_plan *p);
/* One distance without keeping a plan: the errors of the two calls above. */
int sm_logmel_distance(const float *target, size_t n_target, const float *match, size_t n_match,
                       double sample_rate, double *out_db, sm_error *err);
/* Loudness difference 20 log10(RMS(match) / RMS(target)) in dB, both over the target's
 * length (the match cut or zero-padded). -INFINITY for a silent match; NaN for a silent,
 * NULL or empty target, or a NaN or Inf sample (in the match: within the target's length).
 * Cannot fail otherwise. */
double sm_loudness_diff_db(const float *target, size_t n_target, const float *match,
                           size_t n_match);

/* ---- Target analysis (features/analysis.c) ------------------------------------------------ */
/* What a target recording is before matching it: its pitch, where it starts and ends, its
 * level. The rules (which frames vote for the pitch, when a sound is unpitched, how the onset
 * is placed) are documented in features/analysis.c. */
typedef struct {
    double note;             /* MIDI note, fractional (69 = A4 = 440 Hz); NAN if unpitched */
    double f0_hz;            /* median YIN f0 of the voting frames; NAN if unpitched */
    double voiced_fraction;  /* voiced share of the voting frames, 0..1 */
    double confidence;       /* 0..1: voiced_fraction x the share of voiced frames within half a
                                semitone of the median f0 */
    size_t onset;            /* sample index of the first onset */
    size_t end;              /* sample index after which the sound stays 60 dB below its
                                peak (n if it never does) */
    double rms;              /* RMS of the whole signal */
    double peak;             /* largest |sample| */
} sm_target_info;
/* Analyses x (n samples at sample_rate Hz) into *info (zeroed first, note and f0_hz NAN).
 * Allocates its own plans and frees them. Returns 0, SM_ERR_ARG (NULL x or info, n 0, sample
 * rate below 8 kHz or not a number), SM_ERR_NONFINITE (a NaN or Inf sample), SM_ERR_EMPTY
 * (silence: every sample zero) or SM_ERR_NOMEM, with a sentence in err. */
int sm_target_analyse(const float *x, size_t n, double sample_rate, sm_target_info *info,
                      sm_error *err);

/* ---- Spectrogram (for figures) ---------------------------------------------------------- */

/* The magnitude spectrogram |STFT| of x[0..n): a periodic Hann window of n_fft samples every
 * hop samples, whole frames only (frame t covers x[t*hop .. t*hop + n_fft); a signal shorter
 * than n_fft gives one zero-padded frame). *mag receives a new array (the caller frees it) of
 * *n_frames columns of n_fft/2 + 1 magnitudes, frame after frame: mag[t * (n_fft/2+1) + k].
 * Plans under the FFTW planner lock, so any thread may call it. Returns 0, SM_ERR_ARG (NULL
 * pointers, n == 0, n_fft < 2, hop < 1) or SM_ERR_NOMEM; on failure *mag is NULL. */
int sm_spectrogram(const float *x, size_t n, int n_fft, int hop, float **mag, size_t *n_frames,
                   sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
