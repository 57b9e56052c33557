/* tests/test_features_descriptors.c: RMS, spectral centroid, flatness and YIN pitch against
 * known answers (sines, white noise, silence, a recorded 220 Hz pluck). */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
