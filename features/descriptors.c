/* features/descriptors.c: per-frame RMS, spectral centroid, spectral flatness and YIN pitch.
 *
 * Frames are centred as for the MFCC (frame t is centred on sample t*hop, the signal padded
 * with zeros), so descriptor frame t lines up with MFCC frame t. Definitions:
 *   - rms: sqrt(mean(x^2)) over the n_fft samples of the frame, no window (librosa.feature.rms
 *     with frame_length = n_fft, center=True, zero padding).
 *   - centroid_hz: sum_k f_k |X_k| / sum_k |X_k| over the Hann-windowed magnitude spectrum,
 *     f_k = k sr / n_fft (librosa.feature.spectral_centroid); 0 for a silent frame.
 *   - flatness: exp(mean_k ln P_k) / mean_k P_k with P_k = max(1e-10, |X_k|^2), all bins
 *     from DC to Nyquist (librosa.feature.spectral_flatness, power=2, amin=1e-10). For white
 *     noise each P_k is close to exponentially distributed, and for an exponential variable
 *     E[ln P] = ln E[P] - gamma (Euler's constant), so the expected flatness is
 *     exp(-0.5772) = 0.561, not 1. A silent frame has every P_k at the floor: flatness 1.
 *   - pitch_hz: YIN (de Cheveigne and Kawahara, "YIN, a fundamental frequency estimator for
 *     speech and music", JASA 111(4), 2002): the difference function d(tau) (step 2), the
 *     cumulative-mean-normalised d'(tau) = d(tau) tau / sum_{j=1..tau} d(j) (step 3), the
 *     first tau in [sr/fmax_hz, sr/fmin_hz] with d' below yin_threshold, moved on to the
 *     bottom of its dip (step 4), and parabolic interpolation of d' around it (step 5).
 *     Where no tau falls below the threshold the frame is unvoiced: 0 (the paper's fallback to
 *     the global minimum is not used, so noise and silence read as unvoiced). A frame whose
 *     mean square is below 1e-10 (-100 dB) is unvoiced without search.
 *     The integration window W is the longest period searched plus one sample (the paper asks
 *     for a window at least as long as the largest expected period), so each YIN frame spans
 *     W + tau_max + 2 samples centred on the frame centre. d(tau) is computed through the
 *     autocorrelation identity d(tau) = r_0(0) + r_tau(0) - 2 r_0(tau) (the paper's eq. 7),
 *     with the cross term by FFT and the energies by running sums: O(N log N) per frame
 *     instead of O(W tau_max). */
#include "features/features.h"
#include "features/stft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SM_DESCR_AMIN 1e-10        /* power floor of the flatness (librosa's amin) */
#define SM_DESCR_SILENT_MS 1e-10   /* YIN: a frame below this mean square is unvoiced */

struct sm_descr_plan {
    sm_descr_config cfg;
    size_t max_samples;
    sm_stft *stft;            /* Hann window of n_fft: centroid and flatness */
    double *freq;             /* n_bins bin frequencies in Hz */
    /* YIN */
    int tau_min, tau_max;     /* lag range searched, in samples */
    int win;                  /* integration window W */
    int seg_len;              /* samples per YIN frame: W + tau_max + 2 */
    int n_yin;                /* FFT size, a power of two >= seg_len */
    double *seg;              /* n_yin: the frame, zero-padded (fftw_malloc) */
    double *head;             /* n_yin: its first W samples, zero-padded (fftw_malloc) */
    double *corr;             /* n_yin: cross-correlation out (fftw_malloc) */
    fftw_complex *f_seg, *f_head; /* n_yin/2 + 1 bins each (fftw_malloc) */
    fftw_plan p_seg, p_head, p_corr;
    double *energy;           /* seg_len + 1 running sums of squares */
    double *cmnd;             /* tau_max + 2: d'(tau) */
};

sm_descr_config sm_descr_config_default(double sample_rate)
{
    sm_descr_config c;
    c.sample_rate = sample_rate;
    c.n_fft = 2048;
    c.hop = 512;
    c.fmin_hz = 40.0;
    c.fmax_hz = 2000.0;
    c.yin_threshold = 0.1;
    return c;
}

int sm_descr_config_check(const sm_descr_config *c, sm_error *err)
{
    if (!c) return sm_error_set(err, SM_ERR_ARG, "no descriptor configuration given");
    if (!isfinite(c->sample_rate) || c->sample_rate <= 0)
        return sm_error_set(err, SM_ERR_CONFIG,
                            "descriptor sample_rate %g must be a positive number",
                            c->sample_rate);
    if (c->n_fft < 2 || c->n_fft > (1 << 20))
        return sm_error_set(err, SM_ERR_CONFIG, "descriptor n_fft %d must be between 2 and %d",
                            c->n_fft, 1 << 20);
    if (c->hop < 1 || c->hop > (1 << 20))
        return sm_error_set(err, SM_ERR_CONFIG, "descriptor hop %d must be between 1 and %d",
                            c->hop, 1 << 20);
    if (!isfinite(c->fmin_hz) || c->fmin_hz <= 0 || c->sample_rate / c->fmin_hz > (1 << 20))
        return sm_error_set(err, SM_ERR_CONFIG,
                            "descriptor fmin_hz %g must be positive and at least sr/%d",
                            c->fmin_hz, 1 << 20);
    if (!isfinite(c->fmax_hz) || c->fmax_hz <= c->fmin_hz || c->fmax_hz > c->sample_rate / 2)
        return sm_error_set(err, SM_ERR_CONFIG,
                            "descriptor fmax_hz %g must lie above fmin_hz (%g) and at most "
                            "the Nyquist frequency (%g Hz)",
                            c->fmax_hz, c->fmin_hz, c->sample_rate / 2);
    if (!isfinite(c->yin_threshold) || c->yin_threshold <= 0 || c->yin_threshold >= 1)
        return sm_error_set(err, SM_ERR_CONFIG,
                            "descriptor yin_threshold %g must lie between 0 and 1",
                            c->yin_threshold);
    return 0;
}

size_t sm_descr_n_frames(const sm_descr_config *c, size_t n_samples)
{
    if (!c) return 0;
    return sm_stft_n_frames(n_samples, c->n_fft, c->hop, 1);
}

sm_descr_plan *sm_descr_plan_alloc(const sm_descr_config *c, size_t max_samples, sm_error *err)
{
    sm_descr_plan *p;
    int k, nh;
    if (sm_descr_config_check(c, err) != 0) return NULL;
    if (max_samples == 0) {
        sm_error_set(err, SM_ERR_ARG, "descriptor plan for 0 samples");
        return NULL;
    }
    p = calloc(1, sizeof *p);
    if (!p) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    p->cfg = *c;
    p->max_samples = max_samples;
    p->stft = sm_stft_alloc(c->n_fft, SM_WINDOW_HANN, err);
    if (!p->stft) goto fail;
    p->freq = malloc((size_t)p->stft->n_bins * sizeof *p->freq);
    if (!p->freq) goto nomem;
    for (k = 0; k < p->stft->n_bins; k++) p->freq[k] = k * c->sample_rate / c->n_fft;

    p->tau_min = (int)floor(c->sample_rate / c->fmax_hz);
    if (p->tau_min < 2) p->tau_min = 2;
    p->tau_max = (int)ceil(c->sample_rate / c->fmin_hz);
    p->win = p->tau_max + 1;
    p->seg_len = p->win + p->tau_max + 2;
    for (p->n_yin = 2; p->n_yin < p->seg_len; p->n_yin *= 2) {}
    nh = p->n_yin / 2 + 1;
    p->seg = fftw_malloc((size_t)p->n_yin * sizeof *p->seg);
    p->head = fftw_malloc((size_t)p->n_yin * sizeof *p->head);
    p->corr = fftw_malloc((size_t)p->n_yin * sizeof *p->corr);
    p->f_seg = fftw_malloc((size_t)nh * sizeof *p->f_seg);
    p->f_head = fftw_malloc((size_t)nh * sizeof *p->f_head);
    p->energy = malloc((size_t)(p->seg_len + 1) * sizeof *p->energy);
    p->cmnd = malloc((size_t)(p->tau_max + 2) * sizeof *p->cmnd);
    if (!p->seg || !p->head || !p->corr || !p->f_seg || !p->f_head || !p->energy || !p->cmnd)
        goto nomem;
    memset(p->seg, 0, (size_t)p->n_yin * sizeof *p->seg);
    memset(p->head, 0, (size_t)p->n_yin * sizeof *p->head);
    sm_fftw_lock();
    p->p_seg = fftw_plan_dft_r2c_1d(p->n_yin, p->seg, p->f_seg, FFTW_ESTIMATE);
    p->p_head = fftw_plan_dft_r2c_1d(p->n_yin, p->head, p->f_head, FFTW_ESTIMATE);
    /* c2r overwrites its input: it runs on f_seg, which is recomputed every frame. */
    p->p_corr = fftw_plan_dft_c2r_1d(p->n_yin, p->f_seg, p->corr, FFTW_ESTIMATE);
    sm_fftw_unlock();
    if (!p->p_seg || !p->p_head || !p->p_corr) goto nomem;
    return p;
nomem:
    sm_error_set(err, SM_ERR_NOMEM, "out of memory making a descriptor plan");
fail:
    sm_descr_plan_free(p);
    return NULL;
}

void sm_descr_plan_free(sm_descr_plan *p)
{
    if (!p) return;
    sm_stft_free(p->stft);
    sm_fftw_lock();
    if (p->p_seg) fftw_destroy_plan(p->p_seg);
    if (p->p_head) fftw_destroy_plan(p->p_head);
    if (p->p_corr) fftw_destroy_plan(p->p_corr);
    sm_fftw_unlock();
    fftw_free(p->seg);
    fftw_free(p->head);
    fftw_free(p->corr);
    fftw_free(p->f_seg);
    fftw_free(p->f_head);
    free(p->energy);
    free(p->cmnd);
    free(p->freq);
    free(p);
}

int sm_descr_alloc(sm_descr *d, size_t max_frames)
{
    if (!d) return SM_ERR_ARG;
    memset(d, 0, sizeof *d);
    if (max_frames == 0) return SM_ERR_ARG;
    d->rms = calloc(max_frames, sizeof *d->rms);
    d->centroid_hz = calloc(max_frames, sizeof *d->centroid_hz);
    d->flatness = calloc(max_frames, sizeof *d->flatness);
    d->pitch_hz = calloc(max_frames, sizeof *d->pitch_hz);
    if (!d->rms || !d->centroid_hz || !d->flatness || !d->pitch_hz) {
        sm_descr_free(d);
        return SM_ERR_NOMEM;
    }
    d->capacity = max_frames;
    return 0;
}

void sm_descr_free(sm_descr *d)
{
    if (!d) return;
    free(d->rms);
    free(d->centroid_hz);
    free(d->flatness);
    free(d->pitch_hz);
    memset(d, 0, sizeof *d);
}

/* Sample j of x extended with zeros on both sides. */
static inline double sample_at(const float *x, size_t n, long long j)
{
    return (j >= 0 && j < (long long)n) ? (double)x[j] : 0.0;
}

/* YIN pitch of the frame centred on sample `centre`; 0 if unvoiced. */
static double yin_frame(sm_descr_plan *p, const float *x, size_t n, long long centre)
{
    const int L = p->seg_len, W = p->win, N = p->n_yin, tmax = p->tau_max;
    const long long start = centre - L / 2;
    const double scale = 1.0 / N;   /* FFTW's c2r(r2c(.)) multiplies by N */
    double *seg = p->seg, *e = p->energy, *cm = p->cmnd, sum = 0.0;
    int j, tau;

    e[0] = 0.0;
    for (j = 0; j < L; j++) {
        double v = sample_at(x, n, start + j);
        seg[j] = v;
        e[j + 1] = e[j] + v * v;
    }
    if (e[L] / L < SM_DESCR_SILENT_MS) return 0.0;
    memcpy(p->head, seg, (size_t)W * sizeof *seg);   /* the rest of head stays zero */
    fftw_execute(p->p_seg);
    fftw_execute(p->p_head);
    /* Cross-correlation r(tau) = sum_{j<W} head[j] seg[j + tau]: conj(H) * S. With N >= L no
     * term wraps around for tau <= tau_max + 1. */
    for (j = 0; j < N / 2 + 1; j++) {
        double hr = p->f_head[j][0], hi = p->f_head[j][1];
        double sr = p->f_seg[j][0], si = p->f_seg[j][1];
        p->f_seg[j][0] = hr * sr + hi * si;
        p->f_seg[j][1] = hr * si - hi * sr;
    }
    fftw_execute(p->p_corr);

    /* d(tau) = E(0..W) + E(tau..tau+W) - 2 r(tau), then the cumulative mean normalisation. */
    cm[0] = 1.0;
    for (tau = 1; tau <= tmax + 1; tau++) {
        double d = e[W] + (e[tau + W] - e[tau]) - 2.0 * p->corr[tau] * scale;
        if (d < 0) d = 0;   /* rounding of the FFT route */
        sum += d;
        cm[tau] = sum > 0 ? d * tau / sum : 1.0;
    }
    for (tau = p->tau_min; tau <= tmax; tau++) {
        if (cm[tau] < p->cfg.yin_threshold) {
            double a, b, c, den, delta = 0.0;
            while (tau + 1 <= tmax && cm[tau + 1] < cm[tau]) tau++;
            a = cm[tau - 1];
            b = cm[tau];
            c = cm[tau + 1];
            den = a - 2.0 * b + c;
            if (den > 0) {
                delta = 0.5 * (a - c) / den;
                if (delta > 1) delta = 1;
                if (delta < -1) delta = -1;
            }
            return p->cfg.sample_rate / (tau + delta);
        }
    }
    return 0.0;
}

int sm_descr_compute_len(sm_descr_plan *p, const float *x, size_t n, size_t n_len,
                         sm_descr *d, int what)
{
    const sm_descr_config *c;
    size_t frames, t;
    int k, nb;
    if (!p || !d || (!x && n > 0) || n > n_len || n_len == 0 || n_len > p->max_samples)
        return SM_ERR_ARG;
    c = &p->cfg;
    frames = sm_descr_n_frames(c, n_len);
    if (frames > d->capacity || !d->rms || !d->centroid_hz || !d->flatness || !d->pitch_hz)
        return SM_ERR_ARG;
    nb = p->stft->n_bins;
    for (t = 0; t < frames; t++) {
        const long long start = sm_stft_frame_start(t, c->n_fft, c->hop, 1);
        if (what & SM_DESCR_RMS) {
            double s = 0.0;
            int j;
            for (j = 0; j < c->n_fft; j++) {
                double v = sample_at(x, n, start + j);
                s += v * v;
            }
            d->rms[t] = sqrt(s / c->n_fft);
        }
        if (what & (SM_DESCR_CENTROID | SM_DESCR_FLATNESS)) {
            const fftw_complex *X = p->stft->out;
            double num = 0.0, den = 0.0, logsum = 0.0, psum = 0.0;
            sm_stft_frame(p->stft, x, n, start);
            for (k = 0; k < nb; k++) {
                double pw = X[k][0] * X[k][0] + X[k][1] * X[k][1];
                if (what & SM_DESCR_CENTROID) {
                    double mag = sqrt(pw);
                    num += p->freq[k] * mag;
                    den += mag;
                }
                if (what & SM_DESCR_FLATNESS) {
                    if (pw < SM_DESCR_AMIN) pw = SM_DESCR_AMIN;
                    logsum += log(pw);
                    psum += pw;
                }
            }
            if (what & SM_DESCR_CENTROID) d->centroid_hz[t] = den > 1e-20 ? num / den : 0.0;
            if (what & SM_DESCR_FLATNESS) {
                double f = exp(logsum / nb) / (psum / nb);
                d->flatness[t] = f > 1.0 ? 1.0 : f;   /* AM-GM: only rounding exceeds 1 */
            }
        }
        if (what & SM_DESCR_PITCH) d->pitch_hz[t] = yin_frame(p, x, n, start + c->n_fft / 2);
    }
    d->n_frames = frames;
    return 0;
}

int sm_descr_compute(sm_descr_plan *p, const float *x, size_t n, sm_descr *d)
{
    if (d) d->n_frames = 0;
    if (!p || !d || !x || n == 0 || n > p->max_samples) return SM_ERR_ARG;
    if (!sm_all_finite(x, n)) return SM_ERR_NONFINITE;
    return sm_descr_compute_len(p, x, n, n, d, SM_DESCR_ALL);
}
