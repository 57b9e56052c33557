/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_features_descriptors.c: RMS, spectral centroid, flatness and YIN pitch against
 * known answers (sines, white noise, silence, a recorded 220 Hz pluck); the seven sound
 * descriptors' frame measures against golden values computed from librosa's published
 * definitions (tests/data/descr_golden.py) and against closed forms; their pooling, units,
 * goals and errors (features/descr_summary.c). */
#include "tests/test_util.h"

#include "core/audio.h"
#include "core/rng.h"
#include "features/features.h"

enum { SR = 44100, LEN = 44100 };

/* Descriptors of x; d must be freed by the caller. */
static void describe(const float *x, size_t n, double sr, sm_descr *d)
{
    sm_descr_config c = sm_descr_config_default(sr);
    sm_descr_plan *p = sm_descr_plan_alloc(&c, n, NULL);
    assert_non_null(p);
    assert_int_equal(sm_descr_alloc(d, sm_descr_n_frames(&c, n)), 0);
    assert_int_equal(sm_descr_compute(p, x, n, d), 0);
    assert_int_equal(d->n_frames, 1 + n / 512);
    sm_descr_plan_free(p);
}

static float *sine(double freq, double amp, size_t n, double sr)
{
    float *x = malloc(n * sizeof *x);
    size_t i;
    assert_non_null(x);
    for (i = 0; i < n; i++) x[i] = (float)(amp * sin(2 * M_PI * freq * (double)i / sr));
    return x;
}

/* Frames whose analysis windows (n_fft for spectra, about 2 * sr / 40 Hz for YIN) lie wholly
 * inside the signal: 3 <= t < frames - 3 at 44.1 kHz with hop 512. */
#define INTERIOR(t, d) for (t = 3; t + 3 < (d).n_frames; t++)

static void test_sine_440(void **state)
{
    const double amp = 0.5;
    float *x = sine(440, amp, LEN, SR);
    sm_descr d;
    size_t t;
    double worst_pitch = 0, worst_centroid = 0, worst_rms = 0, worst_flat = 0;
    (void)state;
    describe(x, LEN, SR, &d);
    INTERIOR(t, d) {
        /* Pitch within 1% (YIN with parabolic interpolation does far better). */
        assert_close(d.pitch_hz[t], 440, 4.4);
        /* Centroid of the Hann-windowed magnitude spectrum: the main lobe is symmetric about
         * 440 Hz and the side lobes decay as 1/k^3, so the centroid lies within 1% of 440. */
        assert_close(d.centroid_hz[t], 440, 4.4);
        /* RMS of amplitude A is A/sqrt(2) within 1%. */
        assert_close(d.rms[t], amp / sqrt(2.0), 0.01 * amp / sqrt(2.0));
        /* A pure tone: one peak over a floor; flatness near 0. */
        assert_true(d.flatness[t] < 1e-3);
        worst_pitch = fmax(worst_pitch, fabs(d.pitch_hz[t] - 440));
        worst_centroid = fmax(worst_centroid, fabs(d.centroid_hz[t] - 440));
        worst_rms = fmax(worst_rms, fabs(d.rms[t] - amp / sqrt(2.0)) / (amp / sqrt(2.0)));
        worst_flat = fmax(worst_flat, d.flatness[t]);
    }
    print_message("440 Hz sine: pitch off by <= %.3g Hz, centroid by <= %.3g Hz, rms by <= "
                  "%.2g%%, flatness <= %.2g\n",
                  worst_pitch, worst_centroid, 100 * worst_rms, worst_flat);
    /* Edge frames are half zero padding: lower RMS, never NaN. */
    assert_true(d.rms[0] < amp / sqrt(2.0) && d.rms[0] > 0);
    sm_descr_free(&d);
    free(x);
}

/* Across the searched range (40 Hz to 2 kHz by default), at 44.1 kHz and 22.05 kHz. */
static void test_pitch_range(void **state)
{
    const double freqs[] = {55, 98, 261.63, 1000, 1760};
    const double rates[] = {44100, 22050};
    size_t i, r, t;
    (void)state;
    for (r = 0; r < 2; r++)
        for (i = 0; i < sizeof freqs / sizeof *freqs; i++) {
            float *x = sine(freqs[i], 0.3, (size_t)rates[r], rates[r]);
            sm_descr d;
            describe(x, (size_t)rates[r], rates[r], &d);
            for (t = 6; t + 6 < d.n_frames; t++)
                assert_close(d.pitch_hz[t], freqs[i], 0.01 * freqs[i]);
            sm_descr_free(&d);
            free(x);
        }
}

/* A harmonic-rich tone (sawtooth, 12 harmonics) is heard at its fundamental, not an octave
 * up: YIN takes the first dip below the threshold. */
static void test_pitch_harmonics(void **state)
{
    float *x = malloc(LEN * sizeof *x);
    sm_descr d;
    size_t i, t;
    int h;
    (void)state;
    for (i = 0; i < LEN; i++) {
        double s = 0;
        for (h = 1; h <= 12; h++) s += sin(2 * M_PI * 110 * h * (double)i / SR) / h;
        x[i] = (float)(0.3 * s);
    }
    describe(x, LEN, SR, &d);
    INTERIOR(t, d) assert_close(d.pitch_hz[t], 110, 1.1);
    /* Its centroid lies well above the fundamental. */
    assert_true(d.centroid_hz[40] > 200);
    sm_descr_free(&d);
    free(x);
}

/* White noise: each power bin is close to exponentially distributed, so the expected
 * flatness is exp(-Euler's gamma) = 0.561 (see features/descriptors.c), not 1. We assert the
 * mean over frames within 0.05 of 0.561 and every frame above 0.45. Noise is unvoiced. */
static void test_white_noise(void **state)
{
    float *x = malloc(LEN * sizeof *x);
    sm_rng rng;
    sm_descr d;
    size_t i, t, frames = 0, voiced = 0;
    double mean = 0, lo = 1;
    (void)state;
    sm_rng_init(&rng, 42, 0);
    for (i = 0; i < LEN; i++) x[i] = (float)(0.25 * sm_rng_normal(&rng));
    describe(x, LEN, SR, &d);
    INTERIOR(t, d) {
        mean += d.flatness[t];
        lo = fmin(lo, d.flatness[t]);
        frames++;
        voiced += d.pitch_hz[t] > 0;
        /* RMS of N(0, 0.25^2) noise over 2048 samples: 0.25 within a few percent. */
        assert_close(d.rms[t], 0.25, 0.02);
        /* Flat spectrum: the centroid is near a quarter of the sample rate. */
        assert_close(d.centroid_hz[t], SR / 4.0, 1000);
    }
    mean /= (double)frames;
    print_message("white noise: mean flatness %.4f (theory 0.5615), lowest %.4f, voiced "
                  "frames %zu of %zu\n",
                  mean, lo, voiced, frames);
    assert_close(mean, exp(-0.5772156649), 0.05);
    assert_true(lo > 0.45);
    assert_int_equal(voiced, 0);
    sm_descr_free(&d);
    free(x);
}

/* Silence: rms 0, centroid 0, pitch 0, flatness 1 (every bin at the 1e-10 floor), no NaN;
 * the same for a signal shorter than one frame. */
static void test_silence(void **state)
{
    static float x[LEN];
    sm_descr d;
    size_t t;
    (void)state;
    describe(x, LEN, SR, &d);
    for (t = 0; t < d.n_frames; t++) {
        assert_close(d.rms[t], 0, 0);
        assert_close(d.centroid_hz[t], 0, 0);
        assert_close(d.pitch_hz[t], 0, 0);
        assert_close(d.flatness[t], 1, 1e-12);
    }
    sm_descr_free(&d);
    describe(x, 10, SR, &d);
    assert_int_equal(d.n_frames, 1);
    assert_close(d.pitch_hz[0], 0, 0);
    assert_close(d.centroid_hz[0], 0, 0);
    sm_descr_free(&d);
}

/* A recorded plucked 220 Hz tone (shared/data/reference/tone_22k.wav, 22.05 kHz): the voiced
 * frames read 220 Hz within 2%, and most of the first half second is voiced. */
static void test_recorded_pluck(void **state)
{
    sm_audio a;
    sm_descr d;
    size_t t, voiced = 0, early = 0;
    (void)state;
    SM_TEST_NEED_SHARED();
    assert_int_equal(sm_audio_read(sm_test_shared_path("reference/tone_22k.wav"), 0, &a, NULL,
                                   NULL), 0);
    describe(a.data, a.n, a.sample_rate, &d);
    for (t = 0; t < d.n_frames; t++) {
        assert_true(isfinite(d.pitch_hz[t]) && isfinite(d.centroid_hz[t]) &&
                    isfinite(d.flatness[t]) && isfinite(d.rms[t]));
        if (d.pitch_hz[t] > 0) {
            voiced++;
            assert_close(d.pitch_hz[t], 220, 4.4);
            if (t < 20) early++;
        }
    }
    print_message("tone_22k: %zu of %zu frames voiced\n", voiced, d.n_frames);
    assert_true(early >= 15);
    sm_descr_free(&d);
    sm_audio_free(&a);
}

/* A real kick drum: every descriptor finite, loud at the start and quieter at the end. */
static void test_recorded_kick(void **state)
{
    sm_audio a;
    sm_descr d;
    size_t t;
    (void)state;
    SM_TEST_NEED_SHARED();
    assert_int_equal(sm_audio_read(sm_test_shared_path("reference/kick_44k.wav"), 0, &a, NULL,
                                   NULL), 0);
    describe(a.data, a.n, a.sample_rate, &d);
    for (t = 0; t < d.n_frames; t++) {
        assert_true(isfinite(d.pitch_hz[t]) && isfinite(d.centroid_hz[t]) &&
                    isfinite(d.flatness[t]) && isfinite(d.rms[t]));
        assert_true(d.flatness[t] >= 0 && d.flatness[t] <= 1);
    }
    assert_true(d.rms[1] > 10 * d.rms[d.n_frames - 1]);
    sm_descr_free(&d);
    sm_audio_free(&a);
}

static void test_config_and_args(void **state)
{
    sm_descr_config c = sm_descr_config_default(44100), b;
    sm_descr_plan *p;
    sm_descr d, small;
    sm_error err = {0};
    float x[4096] = {0};
    (void)state;
    assert_int_equal(c.n_fft, 2048);
    assert_int_equal(c.hop, 512);
    assert_close(c.fmin_hz, 40, 0);
    assert_close(c.fmax_hz, 2000, 0);
    assert_close(c.yin_threshold, 0.1, 0);
    assert_int_equal(sm_descr_config_check(&c, &err), 0);
    assert_int_equal(sm_descr_config_check(NULL, &err), SM_ERR_ARG);
    b = c; b.fmax_hz = 30;
    assert_int_equal(sm_descr_config_check(&b, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "fmax_hz"));
    b = c; b.fmin_hz = 0;
    assert_int_equal(sm_descr_config_check(&b, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "fmin_hz"));
    b = c; b.yin_threshold = 1.5;
    assert_int_equal(sm_descr_config_check(&b, &err), SM_ERR_CONFIG);
    b = c; b.hop = 0;
    assert_int_equal(sm_descr_config_check(&b, &err), SM_ERR_CONFIG);
    assert_null(sm_descr_plan_alloc(&b, 4096, &err));
    assert_null(sm_descr_plan_alloc(&c, 0, &err));
    assert_int_equal(err.code, SM_ERR_ARG);

    assert_int_equal(sm_descr_n_frames(&c, 4096), 9);
    p = sm_descr_plan_alloc(&c, 4096, &err);
    assert_non_null(p);
    assert_int_equal(sm_descr_alloc(&d, 9), 0);
    assert_int_equal(d.capacity, 9);
    assert_int_equal(sm_descr_alloc(&small, 8), 0);
    assert_int_equal(sm_descr_compute(p, x, 4096, &small), SM_ERR_ARG);   /* too few frames */
    assert_int_equal(sm_descr_compute(p, x, 4097, &d), SM_ERR_ARG);       /* too long */
    assert_int_equal(sm_descr_compute(p, x, 0, &d), SM_ERR_ARG);
    assert_int_equal(sm_descr_compute(p, NULL, 10, &d), SM_ERR_ARG);
    x[7] = NAN;
    assert_int_equal(sm_descr_compute(p, x, 4096, &d), SM_ERR_NONFINITE);
    x[7] = 0;
    assert_int_equal(sm_descr_compute(p, x, 4096, &d), 0);
    assert_int_equal(d.n_frames, 9);
    sm_descr_free(&small);
    assert_int_equal(sm_descr_alloc(&small, 0), SM_ERR_ARG);
    assert_null(small.rms);
    sm_descr_free(&d);
    sm_descr_free(&d);   /* zeroed by the first call: harmless */
    sm_descr_free(NULL);
    sm_descr_plan_free(p);
    sm_descr_plan_free(NULL);
}


/* ---- the seven sound descriptors ---------------------------------------------------------- */

/* Seven-descriptor frames of x (no quiet-frame skipping). */
static void describe7(const float *x, size_t n, double sr, sm_descr *d)
{
    sm_descr_config c = sm_descr_config_default(sr);
    sm_descr_plan *p = sm_descr_plan_alloc(&c, n, NULL);
    assert_non_null(p);
    assert_int_equal(sm_descr_alloc(d, sm_descr_n_frames(&c, n)), 0);
    assert_int_equal(sm_descr_compute_some(p, x, n, d, SM_DESCR_SEVEN), 0);
    sm_descr_plan_free(p);
}

/* Every frame measure of a reference recording against tests/data/descr_NAME.csv, golden
 * values computed in double precision by tests/data/descr_golden.py from librosa's
 * definitions. Tolerances: rms, centroid, bandwidth and flatness within 1e-9 relative (both
 * sides are double precision; only summation order differs); zcr exactly; roll-off exactly
 * (a bin frequency); voicing exactly; f0 within 1e-6 relative. */
static void check_golden(const char *name)
{
    char wav[4096], csv[4096];
    const char *top = getenv("SM_TOP_SRCDIR");
    sm_audio a;
    sm_descr d;
    double *g = NULL, worst[7] = {0};
    size_t rows, cols, t;
    snprintf(wav, sizeof wav, "reference/%s.wav", name);
    assert_int_equal(sm_audio_read(sm_test_shared_path(wav), 0, &a, NULL, NULL), 0);
    snprintf(csv, sizeof csv, "%s/tests/data/descr_%s.csv", top ? top : ".", name);
    rows = sm_test_read_csv(csv, &g, &cols);
    if (rows == 0) fail_msg("cannot read %s (is SM_TOP_SRCDIR set?)", csv);
    assert_int_equal(cols, 8);
    describe7(a.data, a.n, a.sample_rate, &d);
    assert_int_equal(d.n_frames, rows);
    for (t = 0; t < rows; t++) {
        const double *r = g + t * cols;
        const double got[7] = {d.rms[t], d.zcr[t], d.centroid_hz[t], d.rolloff_hz[t],
                               d.bandwidth_hz[t], d.flatness[t], d.f0_hz[t]};
        int k;
        assert_close(d.rms[t], r[0], 1e-9 * r[0] + 1e-15);
        assert_close(d.zcr[t], r[1], 0);
        assert_close(d.centroid_hz[t], r[2], 1e-9 * r[2] + 1e-9);
        assert_close(d.rolloff_hz[t], r[3], 0);
        assert_close(d.bandwidth_hz[t], r[4], 1e-9 * r[4] + 1e-9);
        assert_close(d.flatness[t], r[5], 1e-9 * r[5] + 1e-15);
        assert_int_equal(d.voiced[t], (int)r[7]);
        assert_close(d.f0_hz[t], r[6], 1e-6 * r[6]);
        for (k = 0; k < 7; k++)
            worst[k] = fmax(worst[k], fabs(got[k] - r[k]) / (fabs(r[k]) > 0 ? fabs(r[k]) : 1));
    }
    print_message("%s: %zu frames; worst relative differences rms %.2g zcr %.2g centroid %.2g "
                  "rolloff %.2g bandwidth %.2g flatness %.2g f0 %.2g\n",
                  name, rows, worst[0], worst[1], worst[2], worst[3], worst[4], worst[5],
                  worst[6]);
    free(g);
    sm_descr_free(&d);
    sm_audio_free(&a);
}

static void test_golden_kick(void **state)
{
    (void)state;
    SM_TEST_NEED_SHARED();
    check_golden("kick_44k");
}

static void test_golden_chirp_noise(void **state)
{
    (void)state;
    SM_TEST_NEED_SHARED();
    check_golden("chirp_noise_44k");
}

static void test_golden_tone(void **state)
{
    (void)state;
    SM_TEST_NEED_SHARED();
    check_golden("tone_22k");
}

/* Closed forms. A cosine of amplitude A at bin k0 (k0 sr / N Hz) through a periodic Hann
 * window of N points has exactly three nonzero bins: |X(k0)| = N A / 4 and |X(k0 +- 1)| =
 * N A / 8 (the window is 1/2 - e^{i phi}/4 - e^{-i phi}/4). So in a frame that lies wholly
 * inside the signal: centroid = k0 sr / N; bandwidth = sqrt(2 x (1/4) x (sr/N)^2) =
 * (sr / N) / sqrt(2); the cumulative magnitude reaches 85% of the sum (N A / 2) at bin k0 + 1
 * (1/4 + 1/2 = 75% before it), so roll-off = (k0 + 1) sr / N; flatness = exp(mean ln P) /
 * mean P with P = (N A/4)^2 once, (N A/8)^2 twice and 1e-10 on the other bins. At k0 = N/4
 * the samples (0.5, 0, -0.5, 0, ...) are exact in float, so every value holds within 1e-9
 * relative. At k0 = 93 (not exact in float) the rounding noise of the samples spreads a
 * little energy over every bin: centroid within 1e-5, f0 within 1e-3 relative. */
static void test_closed_forms(void **state)
{
    const int N = 2048, k0 = N / 4, k1 = 93;
    const double sr = 44100, A = 0.5, bin = sr / N;
    const size_t n = 44100;
    float *x = malloc(n * sizeof *x);
    sm_descr d;
    size_t i, t;
    double p0 = pow(N * A / 4, 2), p1 = pow(N * A / 8, 2), logmean, mean, flat;
    (void)state;
    for (i = 0; i < n; i++) x[i] = (float)(i % 4 == 0 ? A : i % 4 == 2 ? -A : 0.0);
    describe7(x, n, sr, &d);
    logmean = (log(p0) + 2 * log(p1) + (N / 2 + 1 - 3) * log(1e-10)) / (N / 2 + 1);
    mean = (p0 + 2 * p1 + (N / 2 + 1 - 3) * 1e-10) / (N / 2 + 1);
    flat = exp(logmean) / mean;
    for (t = 4; t + 4 < d.n_frames; t++) {
        assert_close(d.centroid_hz[t], k0 * bin, 1e-9 * k0 * bin);
        assert_close(d.bandwidth_hz[t], bin / sqrt(2.0), 1e-9 * bin);
        assert_close(d.rolloff_hz[t], (k0 + 1) * bin, 1e-9);
        assert_close(d.flatness[t], flat, 1e-9 * flat);
        assert_close(d.rms[t], A / sqrt(2.0), 1e-12);
        assert_close(d.zcr[t], 1024.0 / 2048, 1.0 / 2048);   /* +, 0, -, 0: 2 per period of 4 */
    }
    sm_descr_free(&d);
    for (i = 0; i < n; i++) x[i] = (float)(A * cos(2 * M_PI * k1 * (double)i / N));
    describe7(x, n, sr, &d);
    for (t = 4; t + 4 < d.n_frames; t++) {
        assert_close(d.centroid_hz[t], k1 * bin, 1e-5 * k1 * bin);
        assert_close(d.rolloff_hz[t], (k1 + 1) * bin, 1e-9);
        assert_true(fabs(d.zcr[t] * N - 2 * k1) <= 1);   /* 2 crossings a period, +-1 at the ends */
        assert_int_equal(d.voiced[t], 1);
        assert_close(d.f0_hz[t], k1 * bin, 1e-3 * k1 * bin);
    }
    sm_descr_free(&d);
    free(x);
}

/* librosa's zero-crossing rate on a square wave of period 64 (32 samples +0.5, 32 samples
 * -0.5): a frame of 2048 holds 63 or 64 sign changes; with 'edge' padding the first frame
 * holds the first sample repeated 1024 times, then 1024 samples with 31 changes. Exactly
 * zero samples count as positive (sign bit clear): a wave of 0 and -1 crosses too. */
static void test_zcr_square(void **state)
{
    const size_t n = 8192;
    float *x = malloc(n * sizeof *x);
    sm_descr d;
    size_t i, t;
    (void)state;
    for (i = 0; i < n; i++) x[i] = (i / 32) % 2 ? -0.5f : 0.5f;
    describe7(x, n, 44100, &d);
    assert_close(d.zcr[0], 31.0 / 2048, 0);
    for (t = 2; t + 2 < d.n_frames; t++) assert_close(d.zcr[t], 64.0 / 2048, 1.0 / 2048);
    sm_descr_free(&d);
    for (i = 0; i < n; i++) x[i] = (i / 32) % 2 ? -1.0f : 0.0f;
    describe7(x, n, 44100, &d);
    assert_close(d.zcr[8], 64.0 / 2048, 1.0 / 2048);
    sm_descr_free(&d);
    /* below 1e-10 a sample reads 0 (positive) */
    for (i = 0; i < n; i++) x[i] = (i % 2) ? -1e-11f : 1e-11f;
    describe7(x, n, 44100, &d);
    assert_close(d.zcr[8], 0, 0);
    sm_descr_free(&d);
    free(x);
}

static float *hit(double f, double decay_s, size_t n, size_t offset, double sr)
{
    float *x = calloc(n, sizeof *x);
    size_t i;
    assert_non_null(x);
    for (i = offset; i < n; i++) {
        const double tt = (double)(i - offset) / sr;
        x[i] = (float)(0.8 * exp(-tt / decay_s) * sin(2 * M_PI * f * tt));
    }
    return x;
}

/* Pooling: a decaying 220 Hz sine is pitched at 220 Hz (MIDI 57), its brightness near 220 Hz;
 * more silence before and after it (a whole number of hops, so that the frames fall on the
 * same samples) changes no pooled value by more than 1e-9; the weights are 1 near the start
 * and 0 in the silence. */
static void test_pool(void **state)
{
    const double sr = 44100;
    const size_t n = 44100, pad = 20 * 512;
    float *x = hit(220, 0.15, n, 2048, sr), *y = hit(220, 0.15, n + 2 * pad, pad + 2048, sr);
    sm_descr_means a, b;
    double *traj = NULL, *w = NULL;
    size_t frames = 0;
    int k;
    (void)state;
    memset(y + pad + n, 0, pad * sizeof *y);
    assert_int_equal(sm_describe(x, n, sr, &a, &traj, &w, &frames, NULL), 0);
    assert_int_equal(frames, 1 + n / 512);
    assert_close(a.cmp[SM_D_PITCH], 57.0, 0.05);
    assert_true(a.voiced > 0.9);   /* the onset frame, half silence, is not voiced */
    assert_close(sm_descriptor_from_cmp(SM_D_BRIGHTNESS, a.cmp[SM_D_BRIGHTNESS]), 220, 30);
    assert_close(w[6], 1.0, 0);
    assert_close(w[0], 0.0, 0);
    assert_close(w[frames - 1], 0.0, 0);
    assert_close(traj[8 * SM_D_COUNT + SM_D_PITCH], 57.0, 0.05);
    assert_true(isnan(traj[(frames - 1) * SM_D_COUNT + SM_D_PITCH]));
    assert_int_equal(sm_describe(y, n + 2 * pad, sr, &b, NULL, NULL, NULL, NULL), 0);
    for (k = 0; k < SM_D_COUNT; k++) assert_close(a.cmp[k], b.cmp[k], 1e-9);
    print_message("decaying 220 Hz sine: loudness %.2f dB, zcr %.4f, centroid %.1f Hz, rolloff "
                  "%.1f Hz, bandwidth %.1f Hz, flatness %.3g, pitch %.2f Hz (voiced %.2f)\n",
                  a.cmp[0], exp2(a.cmp[1]), exp2(a.cmp[2]), exp2(a.cmp[3]), exp2(a.cmp[4]),
                  pow(10, a.cmp[5] / 10), sm_descriptor_from_cmp(SM_D_PITCH, a.cmp[6]), a.voiced);
    free(traj);
    free(w);
    free(x);
    free(y);
}

/* White noise is unpitched and noisy; silence is an error; NaN is an error. */
static void test_pool_noise_and_silence(void **state)
{
    const size_t n = 22050;
    float *x = malloc(n * sizeof *x);
    sm_rng rng;
    sm_descr_means m;
    sm_error err = {0};
    size_t i;
    double *traj = (double *)1;
    (void)state;
    sm_rng_init(&rng, 7, 0);
    for (i = 0; i < n; i++) x[i] = (float)(0.1 * sm_rng_normal(&rng));
    assert_int_equal(sm_describe(x, n, 44100, &m, NULL, NULL, NULL, &err), 0);
    assert_true(isnan(m.cmp[SM_D_PITCH]));
    assert_true(m.voiced < 0.1);
    assert_close(m.cmp[SM_D_LOUDNESS], -20.0, 0.5);
    assert_close(m.cmp[SM_D_NOISINESS], 10 * log10(0.5615), 0.5);
    assert_close(exp2(m.cmp[SM_D_PERCUSSIVITY]), 0.5, 0.05);   /* noise crosses every other sample */
    memset(x, 0, n * sizeof *x);
    assert_int_equal(sm_describe(x, n, 44100, &m, &traj, NULL, NULL, &err), SM_ERR_EMPTY);
    assert_null(traj);
    assert_non_null(strstr(err.msg, "silent"));
    x[5] = NAN;
    assert_int_equal(sm_describe(x, n, 44100, &m, NULL, NULL, NULL, &err), SM_ERR_NONFINITE);
    assert_int_equal(sm_describe(NULL, n, 44100, &m, NULL, NULL, NULL, &err), SM_ERR_ARG);
    free(x);
}

static void test_units_and_names(void **state)
{
    int d;
    (void)state;
    assert_int_equal(sm_descriptor_find("loudness"), SM_D_LOUDNESS);
    assert_int_equal(sm_descriptor_find("ZCR"), SM_D_PERCUSSIVITY);
    assert_int_equal(sm_descriptor_find("centroid"), SM_D_BRIGHTNESS);
    assert_int_equal(sm_descriptor_find("tone-likeness"), SM_D_TONE);
    assert_int_equal(sm_descriptor_find("tone"), SM_D_TONE);
    assert_int_equal(sm_descriptor_find("bandwidth"), SM_D_RICHNESS);
    assert_int_equal(sm_descriptor_find("flatness"), SM_D_NOISINESS);
    assert_int_equal(sm_descriptor_find("f0"), SM_D_PITCH);
    assert_int_equal(sm_descriptor_find("warmth"), -1);
    assert_null(sm_descriptor_get(SM_D_COUNT));
    /* round trips through comparison units */
    for (d = 0; d < SM_D_COUNT; d++) {
        const sm_descriptor_info *in = sm_descriptor_get(d);
        double v = d == SM_D_LOUDNESS ? -12 : d == SM_D_PERCUSSIVITY ? 0.05 : d == SM_D_NOISINESS ? 0.01 : 440;
        assert_non_null(in);
        assert_close(sm_descriptor_from_cmp(d, sm_descriptor_to_cmp(d, v)), v, 1e-9 * fabs(v));
    }
    assert_close(sm_descriptor_to_cmp(SM_D_PITCH, 440), 69, 1e-12);
    assert_close(sm_descriptor_to_cmp(SM_D_BRIGHTNESS, 2000), log2(2000), 1e-12);
    assert_close(sm_descriptor_to_cmp(SM_D_BRIGHTNESS, 1), log2(10), 1e-12);   /* floor */
    assert_close(sm_descriptor_to_cmp(SM_D_NOISINESS, 0), -60, 1e-12);
}

static void test_goal_parse(void **state)
{
    sm_descr_goal g;
    sm_error err = {0};
    (void)state;
    assert_int_equal(sm_descr_goal_parse("loudness:-12, brightness:2500, pitch:none", &g,
                                         44100, &err), 0);
    assert_int_equal(g.given[SM_D_LOUDNESS], 1);
    assert_int_equal(g.given[SM_D_BRIGHTNESS], 1);
    assert_int_equal(g.given[SM_D_PITCH], 1);
    assert_int_equal(g.given[SM_D_TONE], 0);
    assert_close(g.means.cmp[SM_D_LOUDNESS], -12, 0);
    assert_close(g.means.cmp[SM_D_BRIGHTNESS], log2(2500), 1e-12);
    assert_true(isnan(g.means.cmp[SM_D_PITCH]));
    /* edits */
    assert_int_equal(sm_descr_goal_set(&g, SM_D_BRIGHTNESS, "+20%", 44100, &err), 0);
    assert_close(sm_descriptor_from_cmp(SM_D_BRIGHTNESS, g.means.cmp[SM_D_BRIGHTNESS]), 3000, 1e-9);
    assert_int_equal(sm_descr_goal_set(&g, SM_D_BRIGHTNESS, "-1oct", 44100, &err), 0);
    assert_close(sm_descriptor_from_cmp(SM_D_BRIGHTNESS, g.means.cmp[SM_D_BRIGHTNESS]), 1500, 1e-9);
    assert_int_equal(sm_descr_goal_set(&g, SM_D_LOUDNESS, "+3dB", 44100, &err), 0);
    assert_close(g.means.cmp[SM_D_LOUDNESS], -9, 1e-12);
    assert_int_equal(sm_descr_goal_set(&g, SM_D_LOUDNESS, "-50%", 44100, &err), 0);
    assert_close(g.means.cmp[SM_D_LOUDNESS], -9 + 20 * log10(0.5), 1e-12);
    assert_int_equal(sm_descr_goal_set(&g, SM_D_PITCH, "220", 44100, &err), 0);
    assert_int_equal(sm_descr_goal_set(&g, SM_D_PITCH, "+12st", 44100, &err), 0);
    assert_close(sm_descriptor_from_cmp(SM_D_PITCH, g.means.cmp[SM_D_PITCH]), 440, 1e-9);
    /* errors: an edit of nothing, wrong units, out of range, unknown names, twice */
    assert_int_equal(sm_descr_goal_set(&g, SM_D_TONE, "+20%", 44100, &err), SM_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "tone-likeness"));
    assert_int_equal(sm_descr_goal_set(&g, SM_D_BRIGHTNESS, "+3dB", 44100, &err), SM_ERR_FORMAT);
    assert_int_equal(sm_descr_goal_set(&g, SM_D_LOUDNESS, "5", 44100, &err), SM_ERR_RANGE);
    assert_non_null(strstr(err.msg, "outside its range"));
    assert_int_equal(sm_descr_goal_set(&g, SM_D_BRIGHTNESS, "30000", 44100, &err), SM_ERR_RANGE);
    assert_int_equal(sm_descr_goal_set(&g, SM_D_PERCUSSIVITY, "1.5", 44100, &err), SM_ERR_RANGE);
    assert_int_equal(sm_descr_goal_set(&g, SM_D_PITCH, "20", 44100, &err), SM_ERR_RANGE);
    assert_int_equal(sm_descr_goal_set(&g, SM_D_BRIGHTNESS, "-100%", 44100, &err), SM_ERR_RANGE);
    assert_int_equal(sm_descr_goal_set(&g, SM_D_BRIGHTNESS, "bright", 44100, &err), SM_ERR_FORMAT);
    assert_int_equal(sm_descr_goal_set(&g, SM_D_LOUDNESS, "none", 44100, &err), SM_ERR_FORMAT);
    assert_int_equal(sm_descr_goal_parse("warmth:3", &g, 44100, &err), SM_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "unknown descriptor 'warmth'"));
    assert_int_equal(sm_descr_goal_parse("pitch:100, f0:200", &g, 44100, &err), SM_ERR_FORMAT);
    assert_int_equal(sm_descr_goal_parse("loudness", &g, 44100, &err), SM_ERR_FORMAT);
    assert_int_equal(sm_descr_goal_parse(" ", &g, 44100, &err), SM_ERR_FORMAT);
}

static void test_weights_and_errors(void **state)
{
    double w[SM_D_COUNT], s[SM_D_COUNT];
    sm_descr_means a, b;
    sm_error err = {0};
    int k;
    (void)state;
    assert_int_equal(sm_descr_weights_parse("all", w, &err), 0);
    for (k = 0; k < SM_D_COUNT; k++) assert_close(w[k], 1, 0);
    assert_int_equal(sm_descr_weights_parse("loudness:2, pitch", w, &err), 0);
    assert_close(w[SM_D_LOUDNESS], 2, 0);
    assert_close(w[SM_D_PITCH], 1, 0);
    assert_close(w[SM_D_BRIGHTNESS], 0, 0);
    assert_int_equal(sm_descr_weights_parse("loudness:x", w, &err), SM_ERR_FORMAT);
    assert_int_equal(sm_descr_weights_parse("loudness:-1", w, &err), SM_ERR_RANGE);
    assert_int_equal(sm_descr_weights_parse("sparkle", w, &err), SM_ERR_FORMAT);
    assert_int_equal(sm_descr_scales("drum", s), 0);
    for (k = 0; k < SM_D_COUNT; k++) assert_true(s[k] > 0);
    assert_int_equal(sm_descr_scales("fm6", s), 0);
    assert_int_equal(sm_descr_scales("neuron", s), 1);
    for (k = 0; k < SM_D_COUNT; k++) a.cmp[k] = b.cmp[k] = 1.0;
    b.cmp[SM_D_BRIGHTNESS] = 1.0 + s[SM_D_BRIGHTNESS] / 2;
    assert_close(sm_descr_error(SM_D_BRIGHTNESS, &a, &b, s), 0.5, 1e-12);
    assert_close(sm_descr_error(SM_D_LOUDNESS, &a, &b, s), 0, 0);
    b.cmp[SM_D_PITCH] = NAN;
    assert_close(sm_descr_error(SM_D_PITCH, &a, &b, s), 1, 0);
    a.cmp[SM_D_PITCH] = NAN;
    assert_close(sm_descr_error(SM_D_PITCH, &a, &b, s), 0, 0);
    assert_true(isnan(sm_descr_error(SM_D_COUNT, &a, &b, s)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sine_440),
        cmocka_unit_test(test_pitch_range),
        cmocka_unit_test(test_pitch_harmonics),
        cmocka_unit_test(test_white_noise),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_recorded_pluck),
        cmocka_unit_test(test_recorded_kick),
        cmocka_unit_test(test_config_and_args),
        cmocka_unit_test(test_golden_kick),
        cmocka_unit_test(test_golden_chirp_noise),
        cmocka_unit_test(test_golden_tone),
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_zcr_square),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_pool_noise_and_silence),
        cmocka_unit_test(test_units_and_names),
        cmocka_unit_test(test_goal_parse),
        cmocka_unit_test(test_weights_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
