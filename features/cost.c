/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/cost.c: the MFCC distance and the matching cost of a candidate against a target.
 *
 * sm_cost_target holds the target's features, computed once and then only read, so every
 * evaluator thread can share it. sm_cost is one thread's scratch (FFTW plans, buffers); its
 * sm_cost_eval allocates nothing. The target's features are computed with the very same
 * scratch code as a candidate's, so a candidate equal to the target scores exactly 0.
 *
 * The cost is  w_mfcc * MFCC + w_mss * MSS + w_loudness * LOUD + w_centroid * CENT
 *            + w_pitch * PITCH,  with the terms defined below. A candidate is compared over
 * the target's duration: a longer one is cut to the target's length and a shorter one is
 * extended with zeros (the evaluator renders exactly the target's length, so normally neither
 * happens). A candidate holding a NaN or Inf costs NaN.
 *
 * MFCC: sm_mfcc_distance of the two MFCC matrices (settings from sm_cost_config.mfcc).
 *
 * MSS, the multi-resolution log-spectral distance, after DDSP's multi-scale spectral loss
 * (Engel et al., "DDSP: Differentiable Digital Signal Processing", ICLR 2020, multi-scale
 * spectral loss: L_i = ||S_i - S^_i||_1 + alpha ||log S_i - log S^_i||_1 for FFT sizes
 * i = 2048, 1024, 512, 256, 128 and 64 with 75% overlap, summed over sizes). For each
 * size N, with Hann-windowed magnitude spectrograms S (target) and C (candidate) on frames
 * of hop N/4 centred as for the MFCC:
 *     SC_N  = ||S - C||_F / (||S||_F + ||C||_F)        (0 when both are silent)
 *     LOG_N = mean over frames and bins of |ln(S + 1e-5) - ln(C + 1e-5)|
 *     MSS   = sum over the six sizes of (SC_N + LOG_N).
 * SC_N is a symmetric form of the spectral convergence of Arik et al. ("Fast spectrogram
 * inversion using multi-head convolutional neural networks", 2019), used here in place of
 * DDSP's raw magnitude L1 because it does not depend on the signal's scale or the FFT size,
 * lies in [0, 1], and stays finite for a silent target. The 1e-5 offset is DDSP's safe_log
 * epsilon (ddsp/spectral_ops.py). Magnitudes and logs are kept in single precision.
 *
 * LOUD: mean over frames of |L_t - L_c|, L = 20 log10(max(rms, 1e-5)) dB of the frame RMS
 * (n_fft and hop of the MFCC settings), so silence reads -100 dB.
 * CENT: mean over frames where both frames have a centroid (neither is silent) of
 * |log2(centroid_c / centroid_t)|, in octaves; 0 if there are none.
 * PITCH: mean over frames voiced in both (YIN, 40 Hz to 2 kHz) of |12 log2(f_c / f_t)|, in
 * semitones; 0 if there are none. Silence and voicing differences are left to LOUD.
 *
 * LEVEL: |20 log10(RMS_c / RMS_t)| in dB over the target's length, at most 100 (a silent
 * candidate costs 100 x w_level).
 * LOGMEL: sm_logmel_plan_distance at the settings `logmel` (and `logmel2`, averaged), which
 * divides each sound by its own RMS.
 * DESCR: the seven sound descriptors' normalised errors, weighted (features/descr_cost.c); the
 * candidate as rendered, never gain-normalised.
 * Gain normalisation (normalize_gain = 1): before every term but LEVEL, the candidate is
 * multiplied by RMS_t / RMS_c, kept within 1/1000..1000 (skipped where no weighted term sees
 * level: LOGMEL, CENT and PITCH do not), so the terms judge the spectrum and
 * the loudness envelope's shape, and LEVEL alone judges the overall level. Matching writes a
 * patch whose level is then fitted to the target's (experiments/runner.c), so the search need
 * not spend its evaluations on level; LEVEL keeps it from drifting to near-silent patches
 * whose shape happens to fit (a flute "match" at -101 dBFS once beat every loud candidate
 * under the plain MFCC distance, whose c0 carries level at weight 0.1 only). */
#include "features/features.h"
#include "features/stft.h"
#include "features/descr_cost.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- MFCC distance ------------------------------------------------------------------- */

/* The cost of a frame present in one matrix only, in the same units as a frame's weighted
 * mean |difference|. Measured for scale (tests/test_features_cost.c): a 440 Hz sine at
 * -6 dBFS against silence is 33 per frame, a 440 Hz against a 500 Hz sine 11. At 100, a
 * missing or extra frame always costs more than rendering silence in it. */
#define SM_MFCC_FRAME_PENALTY 100.0

/* The MFCC distance. With F = min(frames_a, frames_b), M = max(frames_a, frames_b) and
 * weights w_0 = SM_MFCC_C0_WEIGHT, w_k = 1 for k >= 1:
 *     e_t = sum_k w_k |a_tk - b_tk| / sum_k w_k                (frame t, t < F)
 *     D   = (sum_{t<F} e_t + SM_MFCC_FRAME_PENALTY * (M - F)) / M
 * Frames are aligned by index (both start at time 0). D is 0 for identical input, symmetric,
 * and in the units of the coefficients (dB-like). 0 when both matrices are empty; NaN for
 * n_mfcc < 1, a missing matrix with frames, or NaN in the input. */
double sm_mfcc_distance(const double *a, size_t frames_a, const double *b, size_t frames_b,
                        int n_mfcc)
{
    const size_t F = frames_a < frames_b ? frames_a : frames_b;
    const size_t M = frames_a < frames_b ? frames_b : frames_a;
    const double wsum = SM_MFCC_C0_WEIGHT + (n_mfcc - 1);
    double total = 0.0;
    size_t t;
    int k;
    if (n_mfcc < 1 || (frames_a && !a) || (frames_b && !b)) return NAN;
    if (M == 0) return 0.0;
    for (t = 0; t < F; t++) {
        const double *x = a + t * (size_t)n_mfcc, *y = b + t * (size_t)n_mfcc;
        double s = SM_MFCC_C0_WEIGHT * fabs(x[0] - y[0]);
        for (k = 1; k < n_mfcc; k++) s += fabs(x[k] - y[k]);
        total += s / wsum;
    }
    total += SM_MFCC_FRAME_PENALTY * (double)(M - F);
    return total / (double)M;
}

/* ---- configuration --------------------------------------------------------------------- */

static const int mss_sizes[] = SM_MSS_SIZES;
enum { MSS_SCALES = sizeof mss_sizes / sizeof *mss_sizes };
/* The matching cost's weights (sm_cost_config_match); see the measurement above. */
#define SM_MATCH_W_MFCC 0.0
#define SM_MATCH_W_MSS 0.0
#define SM_MATCH_W_LEVEL 0.1
#define SM_MATCH_W_LOGMEL 1.0
#define SM_MATCH_LOGMEL2_FFT 2048
#define SM_MATCH_LOGMEL2_MELS 128
#define SM_MATCH_LEVEL_FREE_DB 12.0

sm_cost_config sm_cost_config_default(double sample_rate)
{
    sm_cost_config c;
    c.mfcc = sm_mfcc_config_default(sample_rate);
    c.w_mfcc = 1.0;
    c.w_mss = 0.0;
    c.w_loudness = 0.0;
    c.w_centroid = 0.0;
    c.w_pitch = 0.0;
    c.normalize_gain = 0;
    c.w_level = 0.0;
    c.w_logmel = 0.0;
    c.logmel.n_fft = 1024;
    c.logmel.hop = 256;
    c.logmel.n_mels = 96;
    c.logmel.top_db = 80.0;
    c.logmel2 = c.logmel;
    c.logmel2.n_fft = 0;
    c.level_free_db = 0.0;
    memset(c.w_descr, 0, sizeof c.w_descr);
    c.w_descr_traj = 0.0;
    sm_descr_scales("fm6", c.descr_scale);
    return c;
}

sm_cost_config sm_cost_config_match(double sample_rate)
{
    sm_cost_config c = sm_cost_config_default(sample_rate);
    c.normalize_gain = 1;
    c.w_mfcc = SM_MATCH_W_MFCC;
    c.w_mss = SM_MATCH_W_MSS;
    c.w_level = SM_MATCH_W_LEVEL;
    c.w_logmel = SM_MATCH_W_LOGMEL;
    c.logmel2.n_fft = SM_MATCH_LOGMEL2_FFT;
    c.logmel2.hop = SM_MATCH_LOGMEL2_FFT / 4;
    c.logmel2.n_mels = SM_MATCH_LOGMEL2_MELS;
    c.level_free_db = SM_MATCH_LEVEL_FREE_DB;
    return c;
}

/* The descriptor settings the cost uses: the MFCC's frames, YIN from 40 Hz to 2 kHz (or to
 * a quarter of the rate at low rates). */
static sm_descr_config cost_descr_config(const sm_cost_config *c)
{
    sm_descr_config d = sm_descr_config_default(c->mfcc.sample_rate);
    d.n_fft = c->mfcc.n_fft;
    d.hop = c->mfcc.hop;
    if (d.fmax_hz > c->mfcc.sample_rate / 4) d.fmax_hz = c->mfcc.sample_rate / 4;
    if (d.fmin_hz >= d.fmax_hz) d.fmin_hz = d.fmax_hz / 4;
    return d;
}

static int cost_needs_descr(const sm_cost_config *c)
{
    return c->w_loudness > 0 || c->w_centroid > 0 || c->w_pitch > 0;
}

int sm_cost_config_check(const sm_cost_config *c, sm_error *err)
{
    const struct { const char *name; double w; } w[] = {
        {"mfcc", c ? c->w_mfcc : 0},         {"mss", c ? c->w_mss : 0},
        {"loudness", c ? c->w_loudness : 0}, {"centroid", c ? c->w_centroid : 0},
        {"pitch", c ? c->w_pitch : 0},       {"level", c ? c->w_level : 0},
        {"logmel", c ? c->w_logmel : 0}};
    size_t i;
    int rc, any = 0;
    if (!c) return sm_error_set(err, SM_ERR_ARG, "no cost configuration given");
    if ((rc = sm_mfcc_config_check(&c->mfcc, err)) != 0) return rc;
    for (i = 0; i < sizeof w / sizeof *w; i++) {
        if (!isfinite(w[i].w) || w[i].w < 0)
            return sm_error_set(err, SM_ERR_CONFIG,
                                "cost weight %s = %g must be a number of 0 or more", w[i].name,
                                w[i].w);
        any |= w[i].w > 0;
    }
    if (c->normalize_gain != 0 && c->normalize_gain != 1)
        return sm_error_set(err, SM_ERR_CONFIG, "normalize_gain = %d must be 0 or 1",
                            c->normalize_gain);
    if ((rc = sm_dterm_config_check(c, err)) != 0) return rc;
    any |= sm_dterm_used(c);
    if (!any)
        return sm_error_set(err, SM_ERR_CONFIG,
                            "every cost weight is 0 (mfcc, mss, loudness, centroid, pitch, level, logmel, descriptors): "
                            "give at least one a positive weight");
    if (cost_needs_descr(c)) {
        sm_descr_config d = cost_descr_config(c);
        if ((rc = sm_descr_config_check(&d, err)) != 0) return rc;
    }
    if (c->w_logmel > 0) {
        if ((rc = sm_logmel_settings_check(&c->logmel, err)) != 0) return rc;
        if (c->logmel2.n_fft > 0 && (rc = sm_logmel_settings_check(&c->logmel2, err)) != 0)
            return rc;
    }
    return 0;
}

/* 1 when gain normalisation changes some term: the MFCC, MSS and loudness-envelope terms see
 * level; the log-mel term divides each sound by its own RMS, and centroid and YIN pitch do not
 * depend on scale, so for them the scaled copy would be work for nothing. */
static int cost_scales(const sm_cost_config *c)
{
    return c->normalize_gain && (c->w_mfcc > 0 || c->w_mss > 0 || c->w_loudness > 0);
}

/* ---- per-thread scratch ------------------------------------------------------------------ */

struct sm_cost_target {
    sm_cost_config cfg;
    size_t n;                       /* samples */
    size_t mfcc_frames;
    double *mfcc;                   /* mfcc_frames x n_mfcc (w_mfcc > 0) */
    size_t mss_frames[MSS_SCALES];
    float *mss_mag[MSS_SCALES];     /* frames x bins magnitudes (w_mss > 0) */
    float *mss_log[MSS_SCALES];     /* ln(magnitude + eps) */
    double mss_norm[MSS_SCALES];    /* ||S||_F */
    size_t descr_frames;
    double *loud_db, *centroid_hz, *pitch_hz;   /* per frame (w > 0 for each) */
    double rms;                     /* over the n samples */
    float *audio;                   /* a copy of the target (w_logmel > 0) */
    sm_dterm_target *dterm;         /* the descriptors' target (w_descr) */
};

struct sm_cost {
    const sm_cost_target *t;        /* NULL while computing the target itself */
    sm_cost_config cfg;
    size_t n;                       /* the target's length */
    sm_mfcc *mfcc;
    double *mfcc_out;
    sm_stft *mss[MSS_SCALES];
    float *mss_mag, *mss_log;       /* one frame, bins of the largest size */
    sm_descr_plan *descr;
    sm_descr d;
    float *scaled;                  /* the gain-normalised candidate (normalize_gain) */
    sm_logmel_plan *logmel;         /* the target's log-mel matrix and scratch (w_logmel) */
    sm_logmel_plan *logmel2;        /* the second scale's, or NULL */
    sm_dterm *dterm;                /* the descriptors' scratch (w_descr) */
};

void sm_cost_free(sm_cost *c)
{
    int s;
    if (!c) return;
    sm_mfcc_free(c->mfcc);
    free(c->mfcc_out);
    for (s = 0; s < MSS_SCALES; s++) sm_stft_free(c->mss[s]);
    free(c->mss_mag);
    free(c->mss_log);
    sm_descr_plan_free(c->descr);
    sm_descr_free(&c->d);
    free(c->scaled);
    sm_logmel_plan_free(c->logmel);
    sm_logmel_plan_free(c->logmel2);
    sm_dterm_free(c->dterm);
    free(c);
}

/* Plans and buffers for signals of n samples under cfg (already checked). */
static sm_cost *cost_scratch(const sm_cost_config *cfg, size_t n, sm_error *err)
{
    sm_cost *c = calloc(1, sizeof *c);
    int s;
    if (!c) goto nomem;
    c->cfg = *cfg;
    c->n = n;
    if (cfg->w_mfcc > 0) {
        size_t frames = sm_mfcc_n_frames(&cfg->mfcc, n);
        c->mfcc = sm_mfcc_alloc(&cfg->mfcc, n, err);
        if (!c->mfcc) goto fail;
        c->mfcc_out = malloc(frames * (size_t)cfg->mfcc.n_mfcc * sizeof *c->mfcc_out);
        if (!c->mfcc_out) goto nomem;
    }
    if (cfg->w_mss > 0) {
        for (s = 0; s < MSS_SCALES; s++) {
            c->mss[s] = sm_stft_alloc(mss_sizes[s], SM_WINDOW_HANN, err);
            if (!c->mss[s]) goto fail;
        }
        c->mss_mag = malloc((size_t)(mss_sizes[0] / 2 + 1) * sizeof *c->mss_mag);
        c->mss_log = malloc((size_t)(mss_sizes[0] / 2 + 1) * sizeof *c->mss_log);
        if (!c->mss_mag || !c->mss_log) goto nomem;
    }
    if (cost_scales(cfg)) {
        c->scaled = malloc(n * sizeof *c->scaled);
        if (!c->scaled) goto nomem;
    }
    if (cost_needs_descr(cfg)) {
        sm_descr_config dc = cost_descr_config(cfg);
        c->descr = sm_descr_plan_alloc(&dc, n, err);
        if (!c->descr) goto fail;
        if (sm_descr_alloc(&c->d, sm_descr_n_frames(&dc, n)) != 0) goto nomem;
    }
    return c;
nomem:
    sm_error_set(err, SM_ERR_NOMEM, "out of memory making cost scratch for %zu samples", n);
fail:
    sm_cost_free(c);
    return NULL;
}

/* Magnitudes (rounded to float) and ln(magnitude + eps) of frame `start` at scale s. */
static void mss_frame(sm_cost *c, int s, const float *x, size_t n, long long start)
{
    sm_stft *st = c->mss[s];
    const fftw_complex *X = st->out;
    int k;
    sm_stft_frame(st, x, n, start);
    for (k = 0; k < st->n_bins; k++) {
        float m = (float)sqrt(X[k][0] * X[k][0] + X[k][1] * X[k][1]);
        c->mss_mag[k] = m;
        c->mss_log[k] = logf(m + SM_MSS_EPS);
    }
}

static size_t mss_n_frames(size_t n, int s)
{
    return sm_stft_n_frames(n, mss_sizes[s], mss_sizes[s] / 4, 1);
}

/* RMS of the first n_use samples of x read as a signal of n samples (zero-padded). */
static double signal_rms(const float *x, size_t n_use, size_t n)
{
    double s = 0.0;
    size_t i;
    for (i = 0; i < n_use; i++) s += (double)x[i] * x[i];
    return n ? sqrt(s / (double)n) : 0.0;
}

static double loud_db(double rms)
{
    return 20.0 * log10(rms > SM_LOUD_RMS_FLOOR ? rms : SM_LOUD_RMS_FLOOR);
}

/* Descriptors of the candidate (or target) into c->d, only those with a weight. */
static int cost_descr(sm_cost *c, const float *x, size_t n_use)
{
    int what = (c->cfg.w_loudness > 0 ? SM_DESCR_RMS : 0) |
               (c->cfg.w_centroid > 0 ? SM_DESCR_CENTROID : 0) |
               (c->cfg.w_pitch > 0 ? SM_DESCR_PITCH : 0);
    return sm_descr_compute_len(c->descr, x, n_use, c->n, &c->d, what);
}

/* ---- the target ---------------------------------------------------------------------- */

void sm_cost_target_free(sm_cost_target *t)
{
    int s;
    if (!t) return;
    free(t->mfcc);
    for (s = 0; s < MSS_SCALES; s++) {
        free(t->mss_mag[s]);
        free(t->mss_log[s]);
    }
    free(t->loud_db);
    free(t->audio);
    free(t->centroid_hz);
    free(t->pitch_hz);
    sm_dterm_target_free(t->dterm);
    free(t);
}

size_t sm_cost_target_samples(const sm_cost_target *t)
{
    return t ? t->n : 0;
}

/* Every weight but the descriptors' is 0 (a target of values alone can only be scored so). */
static int descr_only(const sm_cost_config *c)
{
    return !(c->w_mfcc > 0 || c->w_mss > 0 || c->w_loudness > 0 || c->w_centroid > 0 ||
             c->w_pitch > 0 || c->w_level > 0 || c->w_logmel > 0 || c->w_descr_traj > 0);
}

sm_cost_target *sm_cost_target_alloc(const sm_cost_config *cfg, const float *x, size_t n,
                                     sm_error *err)
{
    return sm_cost_target_alloc_goal(cfg, x, n, NULL, err);
}

int sm_cost_target_samples_ok(const float *x, size_t n, sm_error *err)
{
    if (!x || n == 0) return sm_error_set(err, SM_ERR_EMPTY, "the cost target has no samples");
    if (!sm_all_finite(x, n))
        return sm_error_set(err, SM_ERR_NONFINITE,
                            "the cost target holds a NaN or infinite sample");
    return 0;
}

sm_cost_target *sm_cost_target_alloc_goal(const sm_cost_config *cfg, const float *x, size_t n,
                                          const sm_descr_goal *goal, sm_error *err)
{
    sm_cost_target *t = NULL;
    sm_cost *c = NULL;
    size_t i;
    int s, rc;
    if (sm_cost_config_check(cfg, err) != 0) return NULL;
    if (!x && goal && n > 0) {
        if (!descr_only(cfg)) {
            sm_error_set(err, SM_ERR_CONFIG,
                         "a target of descriptor values alone can only be scored by the "
                         "descriptors' means: every other cost weight must be 0");
            return NULL;
        }
        if (!(t = calloc(1, sizeof *t))) goto nomem;
        t->cfg = *cfg;
        t->n = n;
        if (!(t->dterm = sm_dterm_target_alloc(cfg, NULL, n, goal, err))) goto fail;
        return t;
    }
    if (sm_cost_target_samples_ok(x, n, err) != 0) return NULL;
    t = calloc(1, sizeof *t);
    if (!t) goto nomem;
    t->cfg = *cfg;
    t->n = n;
    t->rms = signal_rms(x, n, n);
    if (cfg->w_logmel > 0) {
        /* each thread's sm_cost makes its log-mel plans from this copy (sm_cost_alloc) */
        if (!(t->rms > 0)) {
            sm_error_set(err, SM_ERR_EMPTY, "the cost target is silent: its log-mel distance is "
                                            "undefined");
            goto fail;
        }
        t->audio = malloc(n * sizeof *t->audio);
        if (!t->audio) goto nomem;
        memcpy(t->audio, x, n * sizeof *x);
    }
    if (sm_dterm_used(cfg) && !(t->dterm = sm_dterm_target_alloc(cfg, x, n, goal, err)))
        goto fail;
    c = cost_scratch(cfg, n, err);
    if (!c) goto fail;

    if (cfg->w_mfcc > 0) {
        size_t frames = sm_mfcc_n_frames(&cfg->mfcc, n);
        t->mfcc = malloc(frames * (size_t)cfg->mfcc.n_mfcc * sizeof *t->mfcc);
        if (!t->mfcc) goto nomem;
        rc = sm_mfcc_compute_len(c->mfcc, x, n, n, t->mfcc, &t->mfcc_frames);
        if (rc) {
            sm_error_set(err, rc, "cost target: MFCC computation failed");
            goto fail;
        }
    }
    if (cfg->w_mss > 0) {
        for (s = 0; s < MSS_SCALES; s++) {
            const size_t frames = mss_n_frames(n, s), nb = (size_t)c->mss[s]->n_bins;
            double norm2 = 0.0;
            t->mss_frames[s] = frames;
            t->mss_mag[s] = malloc(frames * nb * sizeof *t->mss_mag[s]);
            t->mss_log[s] = malloc(frames * nb * sizeof *t->mss_log[s]);
            if (!t->mss_mag[s] || !t->mss_log[s]) goto nomem;
            for (i = 0; i < frames; i++) {
                size_t k;
                mss_frame(c, s, x, n, sm_stft_frame_start(i, mss_sizes[s], mss_sizes[s] / 4, 1));
                memcpy(t->mss_mag[s] + i * nb, c->mss_mag, nb * sizeof *c->mss_mag);
                memcpy(t->mss_log[s] + i * nb, c->mss_log, nb * sizeof *c->mss_log);
                for (k = 0; k < nb; k++) norm2 += (double)c->mss_mag[k] * c->mss_mag[k];
            }
            t->mss_norm[s] = sqrt(norm2);
        }
    }
    if (cost_needs_descr(cfg)) {
        size_t frames;
        if ((rc = cost_descr(c, x, n)) != 0) {
            sm_error_set(err, rc, "cost target: descriptor computation failed");
            goto fail;
        }
        frames = t->descr_frames = c->d.n_frames;
        t->loud_db = malloc(frames * sizeof *t->loud_db);
        t->centroid_hz = malloc(frames * sizeof *t->centroid_hz);
        t->pitch_hz = malloc(frames * sizeof *t->pitch_hz);
        if (!t->loud_db || !t->centroid_hz || !t->pitch_hz) goto nomem;
        for (i = 0; i < frames; i++) {
            t->loud_db[i] = loud_db(c->d.rms[i]);
            t->centroid_hz[i] = c->d.centroid_hz[i];
            t->pitch_hz[i] = c->d.pitch_hz[i];
        }
    }
    sm_cost_free(c);
    return t;
nomem:
    sm_error_set(err, SM_ERR_NOMEM, "out of memory computing the cost target's features");
fail:
    sm_cost_free(c);
    sm_cost_target_free(t);
    return NULL;
}

/* ---- evaluation ------------------------------------------------------------------------ */

sm_cost *sm_cost_alloc(const sm_cost_target *t, sm_error *err)
{
    sm_cost *c;
    if (!t) {
        sm_error_set(err, SM_ERR_ARG, "no cost target given");
        return NULL;
    }
    c = cost_scratch(&t->cfg, t->n, err);
    if (c) c->t = t;
    if (c && t->dterm && !(c->dterm = sm_dterm_alloc(t->dterm, err))) {
        sm_cost_free(c);
        return NULL;
    }
    if (c && t->cfg.w_logmel > 0) {
        c->logmel = sm_logmel_plan_alloc_with(t->audio, t->n, t->cfg.mfcc.sample_rate,
                                              &t->cfg.logmel, err);
        if (c->logmel && t->cfg.logmel2.n_fft > 0)
            c->logmel2 = sm_logmel_plan_alloc_with(t->audio, t->n, t->cfg.mfcc.sample_rate,
                                                   &t->cfg.logmel2, err);
        if (!c->logmel || (t->cfg.logmel2.n_fft > 0 && !c->logmel2)) {
            sm_cost_free(c);
            return NULL;
        }
    }
    return c;
}

static double term_mss(sm_cost *c, const float *x, size_t n_use)
{
    const sm_cost_target *t = c->t;
    double total = 0.0;
    int s;
    for (s = 0; s < MSS_SCALES; s++) {
        const size_t frames = t->mss_frames[s], nb = (size_t)c->mss[s]->n_bins;
        double diff2 = 0.0, cand2 = 0.0, logsum = 0.0, den;
        size_t i, k;
        for (i = 0; i < frames; i++) {
            const float *tm = t->mss_mag[s] + i * nb, *tl = t->mss_log[s] + i * nb;
            mss_frame(c, s, x, n_use, sm_stft_frame_start(i, mss_sizes[s], mss_sizes[s] / 4, 1));
            for (k = 0; k < nb; k++) {
                double dm = (double)tm[k] - c->mss_mag[k];
                diff2 += dm * dm;
                cand2 += (double)c->mss_mag[k] * c->mss_mag[k];
                logsum += fabsf(tl[k] - c->mss_log[k]);
            }
        }
        den = t->mss_norm[s] + sqrt(cand2);
        total += (den > 0 ? sqrt(diff2) / den : 0.0) + logsum / ((double)frames * nb);
    }
    return total;
}

double sm_cost_eval(sm_cost *c, const float *x, size_t n)
{
    const sm_cost_target *t;
    size_t n_use, i;
    double cost = 0.0;
    if (!c || !c->t || !x) return NAN;
    t = c->t;
    if (!sm_all_finite(x, n)) return NAN;
    n_use = n < t->n ? n : t->n;
    if (c->dterm) cost += sm_dterm_eval(c->dterm, x, n_use);   /* as rendered, before scaling */

    if (cost_scales(&t->cfg) || t->cfg.w_level > 0) {
        const double rms = signal_rms(x, n_use, t->n);
        if (t->cfg.w_level > 0) {
            double d = rms > 0 && t->rms > 0 ? fabs(20.0 * log10(rms / t->rms)) : SM_LEVEL_MAX_DB;
            d = (d < SM_LEVEL_MAX_DB ? d : SM_LEVEL_MAX_DB) - t->cfg.level_free_db;
            cost += t->cfg.w_level * (d > 0 ? d : 0.0);
        }
        if (cost_scales(&t->cfg) && rms > 0 && t->rms > 0) {
            double g = t->rms / rms;
            float gf;
            if (g > SM_GAIN_MAX) g = SM_GAIN_MAX;
            if (g < 1.0 / SM_GAIN_MAX) g = 1.0 / SM_GAIN_MAX;
            gf = (float)g;
            for (i = 0; i < n_use; i++) c->scaled[i] = x[i] * gf;
            x = c->scaled;
        }
    }
    if (t->cfg.w_mfcc > 0) {
        size_t frames = 0;
        if (sm_mfcc_compute_len(c->mfcc, x, n_use, t->n, c->mfcc_out, &frames) != 0) return NAN;
        cost += t->cfg.w_mfcc * sm_mfcc_distance(t->mfcc, t->mfcc_frames, c->mfcc_out, frames,
                                                 t->cfg.mfcc.n_mfcc);
    }
    if (t->cfg.w_mss > 0) cost += t->cfg.w_mss * term_mss(c, x, n_use);
    if (t->cfg.w_logmel > 0) {
        double d;
        /* a candidate silent over the target's length: as far as the 80 dB floor allows */
        if (sm_logmel_plan_distance(c->logmel, x, n_use, &d, NULL) != 0) d = c->t->cfg.logmel.top_db;
        if (c->logmel2) {
            double d2;
            if (sm_logmel_plan_distance(c->logmel2, x, n_use, &d2, NULL) != 0)
                d2 = c->t->cfg.logmel2.top_db;
            d = 0.5 * (d + d2);
        }
        cost += t->cfg.w_logmel * d;
    }
    if (cost_needs_descr(&t->cfg)) {
        const sm_descr *d = &c->d;
        if (cost_descr(c, x, n_use) != 0 || d->n_frames != t->descr_frames) return NAN;
        if (t->cfg.w_loudness > 0) {
            double s = 0.0;
            for (i = 0; i < d->n_frames; i++) s += fabs(loud_db(d->rms[i]) - t->loud_db[i]);
            cost += t->cfg.w_loudness * s / (double)d->n_frames;
        }
        if (t->cfg.w_centroid > 0) {
            double s = 0.0;
            size_t m = 0;
            for (i = 0; i < d->n_frames; i++)
                if (d->centroid_hz[i] > 0 && t->centroid_hz[i] > 0) {
                    s += fabs(log2(d->centroid_hz[i] / t->centroid_hz[i]));
                    m++;
                }
            cost += t->cfg.w_centroid * (m ? s / (double)m : 0.0);
        }
        if (t->cfg.w_pitch > 0) {
            double s = 0.0;
            size_t m = 0;
            for (i = 0; i < d->n_frames; i++)
                if (d->pitch_hz[i] > 0 && t->pitch_hz[i] > 0) {
                    s += fabs(12.0 * log2(d->pitch_hz[i] / t->pitch_hz[i]));
                    m++;
                }
            cost += t->cfg.w_pitch * (m ? s / (double)m : 0.0);
        }
    }
    return cost;
}
