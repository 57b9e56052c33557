/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/measure.c: the two judging measures of ../shared/MEASURES.md (beside the project), the log-mel
 * distance and the loudness difference, between a target recording and a match.
 *
 * No optimizer minimises these; they are how matching work is judged, so they are written to
 * the letter of MEASURES.md:
 *   - the match is cut or zero-padded to the target's length;
 *   - each signal is divided by its own RMS over that whole length (level does not count);
 *   - frames: n_fft 2048, hop 512, periodic Hann window, centred with 1024 zeros padded at
 *     both ends (librosa.stft's center=True, pad_mode='constant'), 1 + n/512 frames;
 *   - power spectrum |X|^2, then 64 Slaney mel bands from 0 Hz to sr/2 with Slaney area
 *     normalisation: the filterbank of features/mfcc.c (librosa.filters.mel, norm='slaney'),
 *     reused through sm_mfcc_band with n_mels 64;
 *   - 10 log10(max(power, 1e-10)), then floored at the matrix's own maximum - 80 dB, each
 *     signal on its own (librosa.power_to_db(ref=1, amin=1e-10, top_db=80));
 *   - the distance is the mean |difference| of the two dB matrices over bands and frames.
 * Dividing a signal by its RMS r multiplies every power by 1/r^2; that factor is applied in
 * double precision to the band powers before the 1e-10 clamp, which is the same thing as
 * dividing the samples, without rounding the scaled samples back to float.
 *
 * A plan (sm_logmel_plan) holds the target's dB matrix, an FFTW plan made under the planner
 * lock, the filterbank and scratch, so a match costs one STFT and no allocation. Frames that
 * hold only zero samples (a match shorter than the target, a finished release) skip the FFT:
 * every band of such a frame is exactly at the 1e-10 clamp.
 *
 * Speed: a 1.5 s distance (130 frames) takes about 2.5 ms, of which the FFT is about half.
 * Band sums in four partial sums with an AVX2 build, and ln instead of log10, took it from
 * about 3.3 ms (measured alternately on a busy two-core machine, so only roughly). */
#include "features/features.h"
#include "core/simd.h"
#include "features/stft.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define LM_AMIN 1e-10   /* power floor before the logarithm (librosa power_to_db's amin) */
#define LM_MAX_MELS 256
/* 10 log10(s) = (10 / ln 10) ln(s); glibc's log is faster than its log10 (features/mfcc.c). */
#define LM_DB_PER_NEPER 4.342944819032518

struct sm_logmel_plan {
    double sample_rate;
    size_t n;             /* the target's length in samples; matches are fitted to it */
    size_t frames;        /* 1 + n / hop */
    sm_logmel_settings set;
    sm_mfcc *bank;        /* used only for its Slaney filterbank (sm_mfcc_band) */
    sm_stft *stft;        /* n_fft-point periodic Hann r2c plan */
    double *power;        /* n_bins: the current frame's power spectrum */
    const double *w[LM_MAX_MELS];   /* band weights, owned by bank */
    int w_start[LM_MAX_MELS], w_len[LM_MAX_MELS];
    double target_ss;     /* the target's sum of squares */
    double *target_db;    /* frames x n_mels, floored */
    double *match_db;     /* frames x n_mels scratch */
};

/* Sum of squares of the first n samples of x, in double. */
static double sum_squares(const float *x, size_t n)
{
    double s = 0.0;
    size_t i;
    for (i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

/* sum w[k] p[k] over n terms in four interleaved partial sums, which vectorise. */
static inline double band_dot(const double *restrict w, const double *restrict p, int n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int k;
    for (k = 0; k + 4 <= n; k += 4) {
        s0 += w[k] * p[k];
        s1 += w[k + 1] * p[k + 1];
        s2 += w[k + 2] * p[k + 2];
        s3 += w[k + 3] * p[k + 3];
    }
    for (; k < n; k++) s0 += w[k] * p[k];
    return (s0 + s1) + (s2 + s3);
}

/* One frame's band powers (times scale, clamped at LM_AMIN) in dB into row; returns the
 * row's maximum. */
SM_SIMD_CLONES
static double frame_bands_db(const sm_logmel_plan *p, double scale, double *restrict row)
{
    double top = -HUGE_VAL;
    int b;
    for (b = 0; b < p->set.n_mels; b++) {
        double s = band_dot(p->w[b], p->power + p->w_start[b], p->w_len[b]) * scale;
        row[b] = LM_DB_PER_NEPER * log(s > LM_AMIN ? s : LM_AMIN);
        if (row[b] > top) top = row[b];
    }
    return top;
}

/* The floored dB mel matrix of x, read as a signal of p->n samples of which x holds the first
 * n_avail (the rest zero), with every power multiplied by `scale` (1 / mean square). */
static void logmel_matrix(sm_logmel_plan *p, const float *x, size_t n_avail, double scale,
                          double *db)
{
    const double silent_db = LM_DB_PER_NEPER * log(LM_AMIN);
    double top = -HUGE_VAL, floor_db, row_top;
    size_t nz_lo = 0, nz_hi = n_avail, t, k;
    int b;
    /* [nz_lo, nz_hi) holds every non-zero sample: frames outside it are exactly silent. */
    while (nz_hi > 0 && x[nz_hi - 1] == 0.0f) nz_hi--;
    while (nz_lo < nz_hi && x[nz_lo] == 0.0f) nz_lo++;
    const int nm = p->set.n_mels, nfft = p->set.n_fft, hop = p->set.hop;
    for (t = 0; t < p->frames; t++) {
        double *row = db + t * (size_t)nm;
        const long long start = sm_stft_frame_start(t, nfft, hop, 1);
        if (start + nfft <= (long long)nz_lo || start >= (long long)nz_hi) {
            for (b = 0; b < nm; b++) row[b] = silent_db;
            if (silent_db > top) top = silent_db;
            continue;
        }
        sm_stft_frame(p->stft, x, n_avail, start);
        sm_stft_power(p->stft, p->power);
        row_top = frame_bands_db(p, scale, row);
        if (row_top > top) top = row_top;
    }
    floor_db = top - p->set.top_db;
    for (k = 0; k < p->frames * (size_t)nm; k++)
        if (db[k] < floor_db) db[k] = floor_db;
}

sm_logmel_settings sm_logmel_settings_default(void)
{
    sm_logmel_settings s;
    s.n_fft = 2048;
    s.hop = 512;
    s.n_mels = 64;
    s.top_db = 80.0;
    return s;
}

int sm_logmel_settings_check(const sm_logmel_settings *set, sm_error *err)
{
    if (!set || set->n_fft < 16 || set->n_fft > 65536 || set->hop < 1 || set->n_mels < 1 ||
        set->n_mels > LM_MAX_MELS || set->n_mels > set->n_fft / 2 || !(set->top_db > 0))
        return sm_error_set(err, SM_ERR_CONFIG, "log-mel distance: bad settings (n_fft "
                            "16..65536, hop >= 1, n_mels 1..%d and at most n_fft/2, top_db > 0)",
                            LM_MAX_MELS);
    return 0;
}

sm_logmel_plan *sm_logmel_plan_alloc(const float *target, size_t n_target, double sample_rate,
                                     sm_error *err)
{
    sm_logmel_settings s = sm_logmel_settings_default();
    return sm_logmel_plan_alloc_with(target, n_target, sample_rate, &s, err);
}

sm_logmel_plan *sm_logmel_plan_alloc_with(const float *target, size_t n_target,
                                          double sample_rate, const sm_logmel_settings *set,
                                          sm_error *err)
{
    sm_logmel_plan *p;
    sm_mfcc_config mc;
    double ms;
    int b;
    if (!target || n_target == 0) {
        sm_error_set(err, SM_ERR_ARG, "log-mel distance: no target samples given");
        return NULL;
    }
    if (!isfinite(sample_rate) || sample_rate <= 0) {
        sm_error_set(err, SM_ERR_ARG,
                     "log-mel distance: sample rate %g Hz must be a positive number",
                     sample_rate);
        return NULL;
    }
    if (!sm_all_finite(target, n_target)) {
        sm_error_set(err, SM_ERR_NONFINITE,
                     "log-mel distance: the target holds a NaN or infinite sample");
        return NULL;
    }
    if (sm_logmel_settings_check(set, err) != 0) return NULL;
    ms = sum_squares(target, n_target) / (double)n_target;
    if (!(ms > 0) || !isfinite(ms)) {
        sm_error_set(err, SM_ERR_EMPTY,
                     "log-mel distance: the target is silent (all %zu samples are zero)",
                     n_target);
        return NULL;
    }
    if (1 + n_target / (size_t)set->hop > SIZE_MAX / 2 / (size_t)set->n_mels / sizeof(double)) {
        sm_error_set(err, SM_ERR_RANGE, "log-mel distance: %zu samples is too long",
                     n_target);
        return NULL;
    }
    p = calloc(1, sizeof *p);
    if (!p) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    p->sample_rate = sample_rate;
    p->set = *set;
    p->n = n_target;
    p->target_ss = ms * (double)n_target;
    p->frames = sm_stft_n_frames(n_target, set->n_fft, set->hop, 1);
    /* The MFCC plan is made for one sample: only its filterbank tables are used. */
    mc = sm_mfcc_config_default(sample_rate);
    mc.n_mels = set->n_mels;
    mc.n_fft = set->n_fft;
    mc.n_mfcc = 1;
    p->bank = sm_mfcc_alloc(&mc, 1, err);
    if (!p->bank) goto fail;
    p->stft = sm_stft_alloc(set->n_fft, SM_WINDOW_HANN, err);
    if (!p->stft) goto fail;
    p->power = malloc((size_t)p->stft->n_bins * sizeof *p->power);
    p->target_db = malloc(p->frames * (size_t)set->n_mels * sizeof *p->target_db);
    p->match_db = malloc(p->frames * (size_t)set->n_mels * sizeof *p->match_db);
    if (!p->power || !p->target_db || !p->match_db) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory for a log-mel plan of %zu samples",
                     n_target);
        goto fail;
    }
    for (b = 0; b < set->n_mels; b++) p->w[b] = sm_mfcc_band(p->bank, b, &p->w_start[b], &p->w_len[b]);
    logmel_matrix(p, target, n_target, 1.0 / ms, p->target_db);
    return p;
fail:
    sm_logmel_plan_free(p);
    return NULL;
}

size_t sm_logmel_plan_samples(const sm_logmel_plan *p)
{
    return p ? p->n : 0;
}

int sm_logmel_plan_distance(sm_logmel_plan *p, const float *match, size_t n_match,
                            double *out_db, sm_error *err)
{
    size_t n_avail, k;
    double ms, sum = 0.0;
    if (out_db) *out_db = NAN;
    if (!p || !out_db || (!match && n_match > 0))
        return sm_error_set(err, SM_ERR_ARG, "log-mel distance: NULL argument");
    if (n_match == 0)
        return sm_error_set(err, SM_ERR_ARG, "log-mel distance: the match has no samples");
    n_avail = n_match < p->n ? n_match : p->n;
    if (!sm_all_finite(match, n_avail))
        return sm_error_set(err, SM_ERR_NONFINITE,
                            "log-mel distance: the match holds a NaN or infinite sample");
    ms = sum_squares(match, n_avail) / (double)p->n;
    if (!(ms > 0))
        return sm_error_set(err, SM_ERR_EMPTY,
                            "log-mel distance: the match is silent over the target's length "
                            "(%zu samples)", p->n);
    logmel_matrix(p, match, n_avail, 1.0 / ms, p->match_db);
    for (k = 0; k < p->frames * (size_t)p->set.n_mels; k++)
        sum += fabs(p->target_db[k] - p->match_db[k]);
    *out_db = sum / (double)(p->frames * (size_t)p->set.n_mels);
    return 0;
}

void sm_logmel_plan_free(sm_logmel_plan *p)
{
    if (!p) return;
    sm_mfcc_free(p->bank);
    sm_stft_free(p->stft);
    free(p->power);
    free(p->target_db);
    free(p->match_db);
    free(p);
}

int sm_logmel_distance(const float *target, size_t n_target, const float *match, size_t n_match,
                       double sample_rate, double *out_db, sm_error *err)
{
    sm_logmel_plan *p;
    sm_error e = {0, ""};
    int rc;
    if (out_db) *out_db = NAN;
    if (!out_db) return sm_error_set(err, SM_ERR_ARG, "log-mel distance: no output given");
    if (!match || n_match == 0)
        return sm_error_set(err, SM_ERR_ARG, "log-mel distance: no match samples given");
    p = sm_logmel_plan_alloc(target, n_target, sample_rate, &e);
    if (!p) {
        if (err) *err = e;
        return e.code;
    }
    rc = sm_logmel_plan_distance(p, match, n_match, out_db, err);
    sm_logmel_plan_free(p);
    return rc;
}

/* 10 log10 of a ratio of two sums of squares over the same length: the RMS ratio in dB. */
static double energy_ratio_db(double sm, double st)
{
    if (!(st > 0)) return NAN;
    if (!(sm > 0)) return -INFINITY;
    return 10.0 * log10(sm / st);
}

double sm_logmel_plan_loudness_db(const sm_logmel_plan *p, const float *match, size_t n_match)
{
    const size_t n_avail = p && n_match > p->n ? p->n : n_match;
    if (!p || (!match && n_match > 0)) return NAN;
    if (match && !sm_all_finite(match, n_avail)) return NAN;
    return energy_ratio_db(match ? sum_squares(match, n_avail) : 0.0, p->target_ss);
}

double sm_loudness_diff_db(const float *target, size_t n_target, const float *match,
                           size_t n_match)
{
    size_t n_avail;
    double st, sm;
    if (!target || n_target == 0 || (!match && n_match > 0)) return NAN;
    n_avail = n_match < n_target ? n_match : n_target;
    if (!sm_all_finite(target, n_target) || (match && !sm_all_finite(match, n_avail))) return NAN;
    st = sum_squares(target, n_target);
    sm = match ? sum_squares(match, n_avail) : 0.0;
    /* Both RMS values are over the target's length, so the 1/n factors cancel:
     * 20 log10(RMS(m)/RMS(t)) = 10 log10(sum m^2 / sum t^2). */
    return energy_ratio_db(sm, st);
}
