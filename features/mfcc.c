/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/mfcc.c: MFCCs exactly as librosa 0.11 computes them by default.
 *
 * librosa.feature.mfcc(y, sr) = scipy.fftpack.dct(power_to_db(melspectrogram(y, sr)),
 * type=2, norm='ortho', axis=mel)[:n_mfcc], where (librosa 0.11 source, feature/spectral.py,
 * filters.py, core/convert.py, core/spectrum.py; shared/data/reference/README.md):
 *   - stft: center=True, pad_mode='constant' (n_fft/2 zeros each side), periodic Hann window
 *     of n_fft, hop 512, so 1 + n/hop frames;
 *   - power spectrogram |X|^2 (power=2.0);
 *   - filters.mel(norm='slaney', htk=False): n_mels + 2 edge frequencies equally spaced on
 *     the mel scale from fmin to fmax, triangle i rising from edge i to i+1 and falling to
 *     i+2, evaluated at the FFT bin frequencies k*sr/n_fft, scaled by
 *     2 / (edge[i+2] - edge[i]) (Slaney's equal-area normalisation);
 *   - power_to_db(ref=1.0, amin=1e-10, top_db=80): 10*log10(max(amin, S)), then
 *     max(S_db, S_db.max() - top_db) with the maximum over the whole matrix;
 *   - DCT-II with orthonormal scaling along the mel axis, first n_mfcc rows kept.
 *
 * Speed (bench/bench_mfcc.c; figures in BENCHMARKS.md): the filterbank is stored as one dense
 * run of non-zero weights per band (each FFT bin falls in at most two triangles, so a frame
 * costs about 2 * n_bins multiply-adds instead of n_mels * n_bins), and the DCT is a
 * precomputed n_mfcc x n_mels matrix. Every per-frame stage is written to vectorise (dot
 * products in eight interleaved partial sums, a branch-free logarithm) and has an AVX2 build
 * (core/simd.h); frames that hold only zeros skip the FFT. The compute path allocates nothing.
 * The FFT is now about two thirds of a frame's time. */
#include "features/features.h"
#include "core/simd.h"
#include "features/stft.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* librosa power_to_db's default amin: power below this is clamped before the logarithm. */
#define SM_MFCC_AMIN 1e-10
/* 10 log10(s) = (10 / ln 10) ln(s): with glibc's log() instead of log10() the whole MFCC
 * measured 12% faster (bench_mfcc, 103k -> 115k frames/s). */
#define SM_DB_PER_NEPER 4.342944819032518

struct sm_mfcc {
    sm_mfcc_config cfg;
    size_t max_samples;
    size_t max_frames;
    sm_stft *stft;
    double *power;        /* n_bins: the current frame's power spectrum */
    int *band_start;      /* n_mels: first FFT bin with a non-zero weight */
    int *band_len;        /* n_mels: number of such bins (0 for an empty band) */
    size_t *band_off;     /* n_mels: offset of the band's weights in weights[] */
    double *weights;      /* all bands' non-zero weights, back to back */
    double *dct;          /* n_mfcc x n_mels, row-major: the orthonormal DCT-II */
    double *floored;      /* n_mels: one frame's dB values after the top_db floor */
    double *mel_db;       /* max_frames x n_mels: the dB mel spectrogram before the floor */
};

sm_mfcc_config sm_mfcc_config_default(double sample_rate)
{
    sm_mfcc_config c;
    c.sample_rate = sample_rate;
    c.n_fft = 2048;
    c.hop = 512;
    c.n_mels = 128;
    c.n_mfcc = 20;
    c.fmin = 0.0;
    c.fmax = 0.0;       /* sr/2 */
    c.htk = 0;
    c.top_db = 80.0;
    c.center = 1;
    return c;
}

static double mfcc_fmax(const sm_mfcc_config *c)
{
    return c->fmax > 0 ? c->fmax : c->sample_rate / 2;
}

int sm_mfcc_config_check(const sm_mfcc_config *c, sm_error *err)
{
    double fmax;
    if (!c) return sm_error_set(err, SM_ERR_ARG, "no MFCC configuration given");
    if (!isfinite(c->sample_rate) || c->sample_rate <= 0)
        return sm_error_set(err, SM_ERR_CONFIG, "MFCC sample_rate %g must be a positive number",
                            c->sample_rate);
    if (c->n_fft < 2 || c->n_fft > (1 << 20))
        return sm_error_set(err, SM_ERR_CONFIG, "MFCC n_fft %d must be between 2 and %d",
                            c->n_fft, 1 << 20);
    if (c->hop < 1 || c->hop > (1 << 20))
        return sm_error_set(err, SM_ERR_CONFIG, "MFCC hop %d must be between 1 and %d", c->hop,
                            1 << 20);
    if (c->n_mels < 1 || c->n_mels > 4096)
        return sm_error_set(err, SM_ERR_CONFIG, "MFCC n_mels %d must be between 1 and 4096",
                            c->n_mels);
    if (c->n_mfcc < 1 || c->n_mfcc > c->n_mels)
        return sm_error_set(err, SM_ERR_CONFIG,
                            "MFCC n_mfcc %d must be between 1 and n_mels (%d)", c->n_mfcc,
                            c->n_mels);
    if (!isfinite(c->fmin) || c->fmin < 0)
        return sm_error_set(err, SM_ERR_CONFIG, "MFCC fmin %g Hz must be 0 or more", c->fmin);
    if (!isfinite(c->fmax))
        return sm_error_set(err, SM_ERR_CONFIG, "MFCC fmax %g Hz must be a number", c->fmax);
    fmax = mfcc_fmax(c);
    if (fmax > c->sample_rate / 2 * (1 + 1e-12))
        return sm_error_set(err, SM_ERR_CONFIG,
                            "MFCC fmax %g Hz is above the Nyquist frequency %g Hz", fmax,
                            c->sample_rate / 2);
    if (c->fmin >= fmax)
        return sm_error_set(err, SM_ERR_CONFIG, "MFCC fmin %g Hz must be below fmax %g Hz",
                            c->fmin, fmax);
    if (c->htk != 0 && c->htk != 1)
        return sm_error_set(err, SM_ERR_CONFIG, "MFCC htk %d must be 0 or 1", c->htk);
    if (!isfinite(c->top_db))
        return sm_error_set(err, SM_ERR_CONFIG, "MFCC top_db %g must be a number", c->top_db);
    if (c->center != 0 && c->center != 1)
        return sm_error_set(err, SM_ERR_CONFIG, "MFCC center %d must be 0 or 1", c->center);
    return 0;
}

size_t sm_mfcc_n_frames(const sm_mfcc_config *c, size_t n_samples)
{
    if (!c) return 0;
    return sm_stft_n_frames(n_samples, c->n_fft, c->hop, c->center);
}

/* Slaney's mel scale (Auditory Toolbox; librosa.hz_to_mel with htk=False): linear below
 * 1 kHz at 200/3 Hz per mel, logarithmic above with a step of ln(6.4)/27 per mel, so 1 kHz is
 * mel 15. HTK's scale (librosa htk=True): 2595 * log10(1 + f/700). */
static double hz_to_mel(double f, int htk)
{
    const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
    const double logstep = log(6.4) / 27.0;
    if (htk) return 2595.0 * log10(1.0 + f / 700.0);
    if (f >= min_log_hz) return min_log_mel + log(f / min_log_hz) / logstep;
    return f / f_sp;
}

static double mel_to_hz(double m, int htk)
{
    const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
    const double logstep = log(6.4) / 27.0;
    if (htk) return 700.0 * (pow(10.0, m / 2595.0) - 1.0);
    if (m >= min_log_mel) return min_log_hz * exp(logstep * (m - min_log_mel));
    return f_sp * m;
}

/* Builds the sparse Slaney-normalised filterbank (librosa.filters.mel, norm='slaney') and
 * the DCT matrix. Returns 0 or SM_ERR_NOMEM. */
static int mfcc_tables(sm_mfcc *m)
{
    const sm_mfcc_config *c = &m->cfg;
    const int n_bins = c->n_fft / 2 + 1, n_mels = c->n_mels, n_mfcc = c->n_mfcc;
    double *edge = NULL, *row = NULL;
    double mel_lo = hz_to_mel(c->fmin, c->htk), mel_hi = hz_to_mel(mfcc_fmax(c), c->htk);
    size_t total = 0;
    int i, k, rc = SM_ERR_NOMEM;

    edge = malloc((size_t)(n_mels + 2) * sizeof *edge);
    row = malloc((size_t)n_bins * sizeof *row);
    m->band_start = calloc((size_t)n_mels, sizeof *m->band_start);
    m->band_len = calloc((size_t)n_mels, sizeof *m->band_len);
    m->band_off = calloc((size_t)n_mels, sizeof *m->band_off);
    m->dct = malloc((size_t)n_mfcc * (size_t)n_mels * sizeof *m->dct);
    /* Each bin lies in at most two triangles (edges are increasing), so 2 * n_bins bounds
     * the non-zero weights. */
    m->weights = malloc(2 * (size_t)n_bins * sizeof *m->weights);
    if (!edge || !row || !m->band_start || !m->band_len || !m->band_off || !m->dct ||
        !m->weights)
        goto done;

    /* librosa.mel_frequencies(n_mels + 2, fmin, fmax): equally spaced in mel. */
    for (i = 0; i < n_mels + 2; i++)
        edge[i] = mel_to_hz(mel_lo + (mel_hi - mel_lo) * i / (n_mels + 1), c->htk);

    for (i = 0; i < n_mels; i++) {
        const double lo = edge[i], mid = edge[i + 1], hi = edge[i + 2];
        const double enorm = 2.0 / (hi - lo);
        int first = -1, last = -1;
        for (k = 0; k < n_bins; k++) {
            /* FFT bin frequencies as librosa.fft_frequencies: k * sr / n_fft. */
            double f = k * c->sample_rate / c->n_fft;
            double lower = (f - lo) / (mid - lo), upper = (hi - f) / (hi - mid);
            double w = lower < upper ? lower : upper;
            row[k] = w > 0 ? w * enorm : 0.0;
            if (row[k] > 0) {
                if (first < 0) first = k;
                last = k;
            }
        }
        m->band_off[i] = total;
        if (first < 0) {
            /* An empty band (too many mels for n_fft): librosa warns and keeps a zero row. */
            m->band_start[i] = 0;
            m->band_len[i] = 0;
            continue;
        }
        m->band_start[i] = first;
        m->band_len[i] = last - first + 1;
        if (total + (size_t)m->band_len[i] > 2 * (size_t)n_bins) {
            /* Cannot happen for increasing edges; grow to be safe rather than overrun. */
            double *nw = realloc(m->weights, (total + (size_t)m->band_len[i]) * sizeof *nw);
            if (!nw) goto done;
            m->weights = nw;
        }
        memcpy(m->weights + total, row + first, (size_t)m->band_len[i] * sizeof *row);
        total += (size_t)m->band_len[i];
    }

    /* Orthonormal DCT-II (scipy.fftpack.dct type 2, norm='ortho'):
     * y_j = s_j * sum_i x_i cos(pi j (2i + 1) / (2 N)), s_0 = sqrt(1/N), s_j = sqrt(2/N). */
    for (k = 0; k < n_mfcc; k++) {
        double s = k == 0 ? sqrt(1.0 / n_mels) : sqrt(2.0 / n_mels);
        for (i = 0; i < n_mels; i++)
            m->dct[(size_t)k * n_mels + i] = s * cos(M_PI * k * (2.0 * i + 1.0) / (2.0 * n_mels));
    }
    rc = 0;
done:
    free(edge);
    free(row);
    return rc;
}

sm_mfcc *sm_mfcc_alloc(const sm_mfcc_config *c, size_t max_samples, sm_error *err)
{
    sm_mfcc *m;
    int rc;
    if ((rc = sm_mfcc_config_check(c, err)) != 0) return NULL;
    if (max_samples == 0) {
        sm_error_set(err, SM_ERR_ARG, "MFCC plan for 0 samples");
        return NULL;
    }
    if (sm_mfcc_n_frames(c, max_samples) == 0) {
        sm_error_set(err, SM_ERR_ARG,
                     "MFCC plan: %zu samples are shorter than one frame of %d without centring",
                     max_samples, c->n_fft);
        return NULL;
    }
    if (sm_mfcc_n_frames(c, max_samples) > SIZE_MAX / sizeof(double) / (size_t)c->n_mels) {
        sm_error_set(err, SM_ERR_RANGE, "MFCC plan: %zu samples is too long", max_samples);
        return NULL;
    }
    m = calloc(1, sizeof *m);
    if (!m) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    m->cfg = *c;
    m->max_samples = max_samples;
    m->max_frames = sm_mfcc_n_frames(c, max_samples);
    m->stft = sm_stft_alloc(c->n_fft, SM_WINDOW_HANN, err);
    if (!m->stft) goto fail;
    m->power = malloc((size_t)m->stft->n_bins * sizeof *m->power);
    m->mel_db = malloc(m->max_frames * (size_t)c->n_mels * sizeof *m->mel_db);
    m->floored = malloc((size_t)c->n_mels * sizeof *m->floored);
    if (!m->power || !m->mel_db || !m->floored || mfcc_tables(m) != 0) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory making MFCC tables for %zu samples",
                     max_samples);
        goto fail;
    }
    return m;
fail:
    sm_mfcc_free(m);
    return NULL;
}

void sm_mfcc_free(sm_mfcc *m)
{
    if (!m) return;
    sm_stft_free(m->stft);
    free(m->power);
    free(m->band_start);
    free(m->band_len);
    free(m->band_off);
    free(m->weights);
    free(m->dct);
    free(m->mel_db);
    free(m->floored);
    free(m);
}

const sm_mfcc_config *sm_mfcc_get_config(const sm_mfcc *m)
{
    return m ? &m->cfg : NULL;
}

const double *sm_mfcc_dct(const sm_mfcc *m)
{
    return m ? m->dct : NULL;
}

const double *sm_mfcc_band(const sm_mfcc *m, int i, int *start, int *len)
{
    *start = *len = 0;
    if (!m || i < 0 || i >= m->cfg.n_mels || m->band_len[i] == 0) return NULL;
    *start = m->band_start[i];
    *len = m->band_len[i];
    return m->weights + m->band_off[i];
}

/* sum a[k] b[k] over n terms in eight interleaved partial sums, which the compiler turns
 * into vector operations (the same sums in the same order at any vector width). */
static inline __attribute__((always_inline)) double dot(const double *restrict a,
                                                       const double *restrict b, int n)
{
    double p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0, r = 0;
    int k;
    for (k = 0; k + 8 <= n; k += 8) {
        p0 += a[k] * b[k];
        p1 += a[k + 1] * b[k + 1];
        p2 += a[k + 2] * b[k + 2];
        p3 += a[k + 3] * b[k + 3];
        p4 += a[k + 4] * b[k + 4];
        p5 += a[k + 5] * b[k + 5];
        p6 += a[k + 6] * b[k + 6];
        p7 += a[k + 7] * b[k + 7];
    }
    for (; k < n; k++) r += a[k] * b[k];
    return (((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))) + r;
}

/* The mel band powers of the current frame (m->power) into mel[n_mels], clamped below at
 * power_to_db's amin: each band is a dot product over its run of non-zero weights. */
SM_SIMD_CLONES
static void mel_bands(const sm_mfcc *m, double *restrict mel)
{
    int i;
    for (i = 0; i < m->cfg.n_mels; i++) {
        const double s = dot(m->weights + m->band_off[i], m->power + m->band_start[i],
                             m->band_len[i]);
        mel[i] = s > SM_MFCC_AMIN ? s : SM_MFCC_AMIN;
    }
}

/* Natural logarithm of a positive, finite double of at least 2^-1000, in integer and double
 * arithmetic only (no libm call, no branch), so that a loop of it vectorises. x = m 2^e with
 * m in [sqrt(1/2), sqrt(2)): subtracting the bits of sqrt(1/2) from those of x carries into
 * the exponent field exactly when m would be below sqrt(1/2), which moves a factor of 2 from m
 * to e. Then ln m = 2 atanh(z) = 2 (z + z^3/3 + ... + z^11/11) with z = (m - 1) / (m + 1),
 * |z| <= 0.1716, whose first omitted term is below 2e-11: 10 log10 is within 1e-10 dB. */
static inline double ln_pos(double x)
{
    const uint64_t sqrt_half = 0x3fe6a09e667f3bcdull, one = 0x3ff0000000000000ull;
    uint64_t u, t, eb, mb;
    double mant, e, z, z2;
    memcpy(&u, &x, sizeof u);
    t = u - sqrt_half + one;                        /* exponent field: e + 1023 */
    mb = u - (t & 0xfff0000000000000ull) + one;     /* m 2^0 */
    eb = (t >> 52) | 0x4330000000000000ull;         /* the double 2^52 + e + 1023 */
    memcpy(&mant, &mb, sizeof mant);
    memcpy(&e, &eb, sizeof e);
    e -= 4503599627370496.0 + 1023.0;
    z = (mant - 1.0) / (mant + 1.0);
    z2 = z * z;
    return e * M_LN2 +
           2.0 * z * (1.0 + z2 * (1.0 / 3 + z2 * (1.0 / 5 + z2 * (1.0 / 7 + z2 * (1.0 / 9 +
                                                                           z2 * (1.0 / 11))))));
}

/* 10 log10 of n powers, in place (each at least SM_MFCC_AMIN, so positive and normal). */
SM_SIMD_CLONES
static void power_to_db(double *restrict v, int n)
{
    int i;
    for (i = 0; i < n; i++) v[i] = SM_DB_PER_NEPER * ln_pos(v[i]);
}

/* The MFCCs of one frame: its dB mel values floored at floor_db, through the DCT. */
SM_SIMD_CLONES
static void dct_frame(sm_mfcc *m, const double *restrict db, double floor_db,
                      double *restrict out)
{
    const int n_mels = m->cfg.n_mels, n_mfcc = m->cfg.n_mfcc;
    double *restrict v = m->floored;
    int i, k;
    for (i = 0; i < n_mels; i++) v[i] = db[i] < floor_db ? floor_db : db[i];
    for (k = 0; k < n_mfcc; k++) out[k] = dot(m->dct + (size_t)k * n_mels, v, n_mels);
}

/* 1 if the float is +0 or -0. */
static inline int is_zero(const float *x)
{
    uint32_t u;
    memcpy(&u, x, sizeof u);
    return (u & 0x7fffffffu) == 0;
}

int sm_mfcc_compute_len(sm_mfcc *m, const float *x, size_t n, size_t n_len, double *out,
                        size_t *n_frames)
{
    const sm_mfcc_config *c;
    size_t frames, t;
    int n_mels, n_mfcc, i;
    double top = 0.0, floor_db;
    if (n_frames) *n_frames = 0;
    if (!m || !out || (!x && n > 0) || n > n_len || n_len == 0 || n_len > m->max_samples)
        return SM_ERR_ARG;
    c = &m->cfg;
    frames = sm_mfcc_n_frames(c, n_len);
    if (frames == 0) return SM_ERR_ARG;
    n_mels = c->n_mels;
    n_mfcc = c->n_mfcc;

    /* Samples [nz_lo, nz_hi) hold every non-zero sample of x. A frame wholly outside them
     * is silent: its spectrum is exactly zero and every band is at amin, so its FFT is
     * skipped (a synth's quiet start or finished release costs nothing). */
    {
        const double silent_db = SM_DB_PER_NEPER * ln_pos(SM_MFCC_AMIN);
        size_t nz_lo = 0, nz_hi = n;
        while (nz_hi > 0 && is_zero(x + nz_hi - 1)) nz_hi--;
        while (nz_lo < nz_hi && is_zero(x + nz_lo)) nz_lo++;
        /* Mel power spectrum of every frame, in dB (before the floor, which needs the maximum
         * of the whole matrix). */
        for (t = 0; t < frames; t++) {
            double *db = m->mel_db + t * (size_t)n_mels;
            const long long start = sm_stft_frame_start(t, c->n_fft, c->hop, c->center);
            if (start + c->n_fft <= (long long)nz_lo || start >= (long long)nz_hi) {
                for (i = 0; i < n_mels; i++) db[i] = silent_db;
                top = top > SM_MFCC_AMIN ? top : SM_MFCC_AMIN;
                continue;
            }
            sm_stft_frame(m->stft, x, n, start);
            sm_stft_power(m->stft, m->power);
            mel_bands(m, db);
            for (i = 0; i < n_mels; i++) top = db[i] > top ? db[i] : top;
            power_to_db(db, n_mels);
        }
    }
    top = SM_DB_PER_NEPER * ln_pos(top);
    /* power_to_db's top_db: floor at the matrix maximum minus top_db (none if top_db <= 0). */
    floor_db = c->top_db > 0 ? top - c->top_db : -DBL_MAX;
    for (t = 0; t < frames; t++)
        dct_frame(m, m->mel_db + t * (size_t)n_mels, floor_db, out + t * (size_t)n_mfcc);
    if (n_frames) *n_frames = frames;
    return 0;
}

int sm_mfcc_compute(sm_mfcc *m, const float *x, size_t n, double *out, size_t *n_frames)
{
    if (n_frames) *n_frames = 0;
    if (x && !sm_all_finite(x, n)) return SM_ERR_NONFINITE;
    return sm_mfcc_compute_len(m, x, n, n, out, n_frames);
}

void sm_mfcc_summary(const double *mfcc, size_t frames, int n_mfcc, double *out)
{
    size_t t;
    int k;
    if (!out || n_mfcc <= 0) return;
    for (k = 0; k < n_mfcc; k++) {
        double mean = 0.0, var = 0.0;
        if (frames > 0 && mfcc) {
            for (t = 0; t < frames; t++) mean += mfcc[t * (size_t)n_mfcc + k];
            mean /= (double)frames;
            for (t = 0; t < frames; t++) {
                double d = mfcc[t * (size_t)n_mfcc + k] - mean;
                var += d * d;
            }
            var /= (double)frames;
        }
        out[k] = mean;
        out[n_mfcc + k] = sqrt(var);
    }
}
