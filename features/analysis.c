/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/analysis.c: what a target recording is before it is matched: its pitch (which
 * note a synth should play), where the sound starts and ends, and its level.
 *
 * The rules, in order:
 *   - peak is the largest |sample|, rms the RMS of the whole signal. An all-zero signal is
 *     SM_ERR_EMPTY: there is nothing to analyse.
 *   - Onset. The envelope is the mean square over a trailing window of 5 ms (env[i] covers
 *     samples i-W+1..i, W = 5 ms, samples before 0 read as zero). The first sample i0 whose
 *     envelope exceeds the envelope's maximum - 40 dB is where the sound is first clearly
 *     present; since the window trails, i0 lies at most a few samples after the true start
 *     of a sudden sound. The onset is then moved back to just after the last "zero-ish"
 *     sample at or before i0, one whose |x| is at most peak - 60 dB, looking back at most W
 *     samples (if none is found, the onset is i0 - W + 1, the start of the window that
 *     crossed). So after digital silence the onset is the first sample that is not zero-ish
 *     (a click at sample 7 has its onset at 7), and a sound over a noise floor above -60 dB
 *     gets a point within 5 ms of its start.
 *   - End: one past the last sample whose |x| exceeds peak - 60 dB (after it the sound stays
 *     60 dB below its peak); n if the last sample itself is that loud.
 *   - Pitch: YIN (features/descriptors.c, de Cheveigne and Kawahara 2002) over 30 Hz to
 *     4.2 kHz (B0 to C8, the piano's range and more; the upper limit is kept below 0.45 sr)
 *     with the threshold 0.1 of the paper's section IV, frames of hop 512 centred on t*512.
 *     The voting frames are those whose RMS (2048-sample frame, descriptors.c's) lies within
 *     30 dB of the loudest frame's and whose centre is at least 50 ms after the onset, so an
 *     attack's noise and a release's tail do not vote (if the sound is too short for any
 *     frame to remain, the attack rule is dropped). Of the voting frames, those YIN calls
 *     voiced give YIN's f0 as their median and voiced_fraction as their share.
 *   - f0_hz is then read off the spectrum: the strongest peak of the voiced voting frames'
 *     mean power spectrum within 1.5 semitones of YIN's f0, if it is at most 30 dB below the
 *     spectrum's strongest peak; otherwise YIN's f0 stays. YIN takes the first lag whose
 *     normalised difference falls below its threshold, and for an inharmonic sound that lag
 *     can be a compromise between partials: for bell_440.wav (sines at 440 and 1231 Hz) it
 *     is 106.6 samples, 413.5 Hz, 1.07 semitones flat, while the strong partial the ear and a
 *     synth's note follow is at 440 Hz. For a harmonic sound the peak is the fundamental
 *     itself, read more finely than YIN's lag (where the fundamental is missing, nothing
 *     qualifies and YIN's value stays).
 *   - Unpitched (note and f0_hz NAN) when voiced_fraction is below 0.3, or when the voiced
 *     frames' spread is large: the median absolute deviation of their pitches from the median,
 *     in semitones, above 1 semitone (a vibrato of +/-0.5 semitone stays well below it; a
 *     drum whose pitch falls by an octave during its body goes above it).
 *   - confidence = voiced_fraction x (share of the voiced frames within half a semitone of
 *     the median), in 0..1; it is reported whether or not the sound is pitched. */
#include "features/features.h"
#include "features/stft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AN_ENV_MS 5.0          /* onset envelope window */
#define AN_ONSET_DB 40.0       /* onset: envelope above its maximum minus this */
#define AN_ZERO_DB 60.0        /* "zero-ish" and end: below the peak minus this */
#define AN_VOTE_DB 30.0        /* pitch votes: frame RMS within this of the loudest frame */
#define AN_ATTACK_S 0.050      /* pitch votes: skip this much after the onset */
#define AN_FMIN_HZ 30.0
#define AN_FMAX_HZ 4200.0
#define AN_MIN_VOICED 0.3      /* unpitched below this voiced share */
#define AN_MAX_MAD_ST 1.0      /* unpitched above this spread (semitones) */
#define AN_SNAP_ST 1.5         /* f0 snaps to a spectral peak this close (semitones) ... */
#define AN_SNAP_DB 30.0        /* ... at most this far below the spectrum's strongest peak */
#define AN_SNAP_PERIODS 16.0   /* the spectrum's frames hold at least this many periods */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (n >= 1); sorts v. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The onset of x by the rule in the file comment. */
static size_t find_onset(const float *x, size_t n, double sample_rate, double peak)
{
    size_t w = (size_t)lround(AN_ENV_MS * 1e-3 * sample_rate), i, i0 = 0, j, lo;
    double sum = 0.0, top = 0.0, thr, zero = peak * pow(10.0, -AN_ZERO_DB / 20.0);
    if (w < 1) w = 1;
    /* Running sums of squares over the trailing window: a mean square is sum / w. */
    for (i = 0; i < n; i++) {
        sum += (double)x[i] * x[i];
        if (i >= w) sum -= (double)x[i - w] * x[i - w];
        if (sum > top) top = sum;
    }
    thr = top * pow(10.0, -AN_ONSET_DB / 10.0);
    sum = 0.0;
    for (i = 0; i < n; i++) {
        sum += (double)x[i] * x[i];
        if (i >= w) sum -= (double)x[i - w] * x[i - w];
        if (sum > thr) {
            i0 = i;
            break;
        }
    }
    lo = i0 + 1 >= w ? i0 + 1 - w : 0;
    for (j = i0 + 1; j-- > lo;)
        if (fabs(x[j]) <= zero) return j + 1 < n ? j + 1 : j;
    return lo;
}

/* The frequency of the strongest peak of the long-term spectrum within AN_SNAP_ST semitones of
 * YIN's f0 (the rule in the file comment) into *out, or f0 itself where there is no such peak.
 * The spectrum is the mean power of Hann frames of N samples centred on the voiced voting
 * frames (centres t * hop; frames closer than N/4 to the last one used are skipped), N a
 * power of two of at least 16 periods of f0, so neighbouring harmonics lie 16 bins apart, far
 * outside each other's Hann main lobe (4 bins wide). The peak is interpolated by a parabola
 * through the logarithms of the three bins around it (exact for a Gaussian lobe, a small
 * fraction of a bin off for Hann; J. O. Smith, "Spectral Audio Signal Processing", section
 * "Quadratic Interpolation of Spectral Peaks"). With 8 periods the sawtooth saw_220.wav read
 * 220.31 Hz, with 16 periods 220.10 Hz (it is made at 220 Hz). Returns 0 or SM_ERR_NOMEM. */
static int refine_f0(const float *x, size_t n, double sample_rate, double f0,
                     const size_t *frames, size_t n_frames, size_t hop, double *out)
{
    sm_stft *s;
    double *mean, *pw, top = 0.0, a, b, c, den, delta = 0.0;
    int N = 2048, nb, k, k_lo, k_hi, kp = -1;
    size_t i, last = 0;
    *out = f0;
    while (N < AN_SNAP_PERIODS * sample_rate / f0 && N < (1 << 20)) N *= 2;
    s = sm_stft_alloc(N, SM_WINDOW_HANN, NULL);
    nb = N / 2 + 1;
    mean = calloc((size_t)nb, sizeof *mean);
    pw = malloc((size_t)nb * sizeof *pw);
    if (!s || !mean || !pw) {
        sm_stft_free(s);
        free(mean);
        free(pw);
        return SM_ERR_NOMEM;
    }
    for (i = 0; i < n_frames; i++) {
        /* Frames closer than N/4 to the last one used add nothing new: skip them. */
        if (i > 0 && (frames[i] - last) * hop < (size_t)N / 4) continue;
        last = frames[i];
        sm_stft_frame(s, x, n, (long long)(frames[i] * hop) - N / 2);
        sm_stft_power(s, pw);
        for (k = 0; k < nb; k++) mean[k] += pw[k];
    }
    for (k = 0; k < nb; k++)
        if (mean[k] > top) top = mean[k];
    k_lo = (int)floor(f0 * pow(2.0, -AN_SNAP_ST / 12.0) * N / sample_rate);
    k_hi = (int)ceil(f0 * pow(2.0, AN_SNAP_ST / 12.0) * N / sample_rate);
    if (k_lo < 1) k_lo = 1;
    if (k_hi > nb - 2) k_hi = nb - 2;
    for (k = k_lo; k <= k_hi; k++)
        if (mean[k] >= mean[k - 1] && mean[k] >= mean[k + 1] && (kp < 0 || mean[k] > mean[kp]))
            kp = k;
    if (kp > 0 && mean[kp] >= top * pow(10.0, -AN_SNAP_DB / 10.0) && mean[kp - 1] > 0 &&
        mean[kp + 1] > 0) {
        a = log(mean[kp - 1]);
        b = log(mean[kp]);
        c = log(mean[kp + 1]);
        den = a - 2.0 * b + c;
        if (den < 0) delta = 0.5 * (a - c) / den;
        if (delta > 0.5) delta = 0.5;
        if (delta < -0.5) delta = -0.5;
        *out = (kp + delta) * sample_rate / N;
    }
    sm_stft_free(s);
    free(mean);
    free(pw);
    return 0;
}

int sm_target_analyse(const float *x, size_t n, double sample_rate, sm_target_info *info,
                      sm_error *err)
{
    sm_descr_config dc;
    sm_descr_plan *plan = NULL;
    sm_descr d;
    sm_error perr = {0, ""};
    double *f0 = NULL, *dev = NULL, peak = 0.0, ss = 0.0, zero, max_rms = 0.0, vote_rms;
    size_t i, t, frames, first_t, n_vote = 0, n_voiced = 0, near = 0, *voiced_t = NULL;
    int rc = 0, pass;

    memset(&d, 0, sizeof d);
    if (info) {
        memset(info, 0, sizeof *info);
        info->note = info->f0_hz = NAN;
    }
    if (!x || !info || n == 0)
        return sm_error_set(err, SM_ERR_ARG, "target analysis: no samples or no output given");
    if (!(sample_rate >= 8000.0) || !isfinite(sample_rate))
        return sm_error_set(err, SM_ERR_ARG,
                            "target analysis: sample rate %g Hz must be at least 8000 Hz",
                            sample_rate);
    if (!sm_all_finite(x, n))
        return sm_error_set(err, SM_ERR_NONFINITE,
                            "target analysis: the signal holds a NaN or infinite sample");
    for (i = 0; i < n; i++) {
        const double a = fabs(x[i]);
        if (a > peak) peak = a;
        ss += (double)x[i] * x[i];
    }
    if (!(peak > 0))
        return sm_error_set(err, SM_ERR_EMPTY,
                            "target analysis: the signal is silent (all %zu samples are zero)",
                            n);
    info->peak = peak;
    info->rms = sqrt(ss / (double)n);
    info->onset = find_onset(x, n, sample_rate, peak);
    zero = peak * pow(10.0, -AN_ZERO_DB / 20.0);
    for (i = n; i > 0 && fabs(x[i - 1]) <= zero; i--) {}
    info->end = i;

    /* Pitch. */
    dc = sm_descr_config_default(sample_rate);
    dc.fmin_hz = AN_FMIN_HZ;
    dc.fmax_hz = AN_FMAX_HZ < 0.45 * sample_rate ? AN_FMAX_HZ : 0.45 * sample_rate;
    plan = sm_descr_plan_alloc(&dc, n, &perr);
    if (!plan) return sm_error_set(err, perr.code, "target analysis: %s", sm_error_text(&perr));
    frames = sm_descr_n_frames(&dc, n);
    if ((rc = sm_descr_alloc(&d, frames)) != 0 || !(f0 = malloc(frames * sizeof *f0)) ||
        !(dev = malloc(frames * sizeof *dev)) || !(voiced_t = malloc(frames * sizeof *voiced_t))) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "target analysis: out of memory for %zu frames",
                          frames);
        goto done;
    }
    rc = sm_descr_compute_len(plan, x, n, n, &d, SM_DESCR_RMS | SM_DESCR_PITCH);
    if (rc) {
        sm_error_set(err, rc, "target analysis: descriptor computation failed");
        goto done;
    }
    for (t = 0; t < frames; t++)
        if (d.rms[t] > max_rms) max_rms = d.rms[t];
    vote_rms = max_rms * pow(10.0, -AN_VOTE_DB / 20.0);
    first_t = (info->onset + (size_t)lround(AN_ATTACK_S * sample_rate) + (size_t)dc.hop - 1) /
              (size_t)dc.hop;
    /* Pass 0 skips the attack; pass 1 (only if no frame voted) keeps it. */
    for (pass = 0; pass < 2 && n_vote == 0; pass++) {
        for (t = pass ? 0 : first_t; t < frames; t++) {
            if (d.rms[t] < vote_rms || !(d.rms[t] > 0)) continue;
            n_vote++;
            if (d.pitch_hz[t] > 0) {
                voiced_t[n_voiced] = t;
                f0[n_voiced++] = d.pitch_hz[t];
            }
        }
    }
    info->voiced_fraction = n_vote ? (double)n_voiced / (double)n_vote : 0.0;
    if (n_voiced > 0) {
        double f_med, mad;
        memcpy(dev, f0, n_voiced * sizeof *f0);
        f_med = median(dev, n_voiced);
        for (i = 0; i < n_voiced; i++) {
            dev[i] = fabs(12.0 * log2(f0[i] / f_med));
            if (dev[i] <= 0.5) near++;
        }
        mad = median(dev, n_voiced);
        info->confidence = info->voiced_fraction * (double)near / (double)n_voiced;
        if (info->voiced_fraction >= AN_MIN_VOICED && mad <= AN_MAX_MAD_ST) {
            rc = refine_f0(x, n, sample_rate, f_med, voiced_t, n_voiced, (size_t)dc.hop,
                           &info->f0_hz);
            if (rc) {
                sm_error_set(err, rc, "target analysis: out of memory");
                goto done;
            }
            info->note = 69.0 + 12.0 * log2(info->f0_hz / 440.0);
        }
    }
    rc = 0;
done:
    sm_descr_free(&d);
    sm_descr_plan_free(plan);
    free(f0);
    free(dev);
    free(voiced_t);
    return rc;
}
