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

/* librosa 0.11's defaults at the given rate. */
sm_mfcc_config sm_mfcc_config_default(double sample_rate);
/* NULL-free check of every field; SM_ERR_CONFIG with a sentence naming the field. */
int sm_mfcc_config_check(const sm_mfcc_config *c, sm_error *err);
/* Frames produced for n samples (center: 1 + n/hop). */
size_t sm_mfcc_n_frames(const sm_mfcc_config *c, size_t n_samples);

typedef struct sm_mfcc sm_mfcc;
/* A plan for inputs of up to max_samples samples. NULL with err set on failure. */
sm_mfcc *sm_mfcc_alloc(const sm_mfcc_config *c, size_t max_samples, sm_error *err);
/* MFCCs of x (n <= max_samples) into out, row-major frames x n_mfcc; *n_frames receives the
 * frame count. Returns 0, SM_ERR_ARG (n too large or 0). Allocates nothing. */
int sm_mfcc_compute(sm_mfcc *m, const float *x, size_t n, double *out, size_t *n_frames);
const sm_mfcc_config *sm_mfcc_get_config(const sm_mfcc *m);
void sm_mfcc_free(sm_mfcc *m);

/* Mean and standard deviation of each coefficient over frames: out[0..n_mfcc) means,
 * out[n_mfcc..2*n_mfcc) deviations. Used to summarise a sound in one vector. */
void sm_mfcc_summary(const double *mfcc, size_t frames, int n_mfcc, double *out);

/* The MFCC distance between two matrices (frames x n_mfcc) of possibly different lengths.
 * Defined and documented in features/cost.c. Zero for identical input, symmetric. */
double sm_mfcc_distance(const double *a, size_t frames_a, const double *b, size_t frames_b,
                        int n_mfcc);

/* ---- Descriptors ----------------------------------------------------------------------- */
typedef struct {
    double sample_rate;
    int n_fft;           /* default 2048 */
    int hop;             /* default 512 */
    double fmin_hz, fmax_hz;  /* pitch search range (default 40 Hz to 2000 Hz) */
    double yin_threshold;     /* default 0.1 */
} sm_descr_config;
sm_descr_config sm_descr_config_default(double sample_rate);

/* Per-frame descriptors, frames centred as for MFCC. */
typedef struct {
    size_t n_frames;
    double *rms;         /* linear RMS per frame */
    double *centroid_hz; /* spectral centroid; 0 for a silent frame */
    double *flatness;    /* spectral flatness (geometric / arithmetic mean of power), 0..1 */
    double *pitch_hz;    /* YIN estimate; 0 where unvoiced */
} sm_descr;

typedef struct sm_descr_plan sm_descr_plan;
sm_descr_plan *sm_descr_plan_alloc(const sm_descr_config *c, size_t max_samples, sm_error *err);
/* Computes every descriptor of x into d, whose arrays must hold sm_mfcc-style frame counts
 * (allocate them with sm_descr_alloc). Allocates nothing. */
int sm_descr_compute(sm_descr_plan *p, const float *x, size_t n, sm_descr *d);
void sm_descr_plan_free(sm_descr_plan *p);
/* Arrays for up to max_frames frames; free with sm_descr_free. */
int sm_descr_alloc(sm_descr *d, size_t max_frames);
void sm_descr_free(sm_descr *d);

/* ---- Cost ---------------------------------------------------------------------------- */
/* The cost of a candidate against a target: a weighted sum of terms. Default: MFCC only. */
typedef struct {
    sm_mfcc_config mfcc;
    double w_mfcc;       /* MFCC distance (default 1) */
    double w_mss;        /* multi-resolution log-spectral distance, FFT 2048..64 (default 0) */
    double w_loudness;   /* mean |dB difference| of frame RMS (default 0) */
    double w_centroid;   /* mean |octave difference| of spectral centroids (default 0) */
    double w_pitch;      /* mean |semitone difference| of voiced pitch (default 0) */
} sm_cost_config;
sm_cost_config sm_cost_config_default(double sample_rate);
int sm_cost_config_check(const sm_cost_config *c, sm_error *err);

/* The target's features, computed once, shared read-only by every thread. */
typedef struct sm_cost_target sm_cost_target;
sm_cost_target *sm_cost_target_alloc(const sm_cost_config *c, const float *x, size_t n,
                                     sm_error *err);
size_t sm_cost_target_samples(const sm_cost_target *t);
void sm_cost_target_free(sm_cost_target *t);

/* Per-thread scratch for scoring candidates against one target. */
typedef struct sm_cost sm_cost;
sm_cost *sm_cost_alloc(const sm_cost_target *t, sm_error *err);
/* The cost of candidate x (n samples, normally the target's length). Returns NaN if x holds a
 * NaN or Inf. Allocates nothing. */
double sm_cost_eval(sm_cost *c, const float *x, size_t n);
void sm_cost_free(sm_cost *c);

#endif
