/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_features_mfcc.c: the MFCC against librosa 0.11's golden values, an independent
 * slow reference (HTK scale, no centring), argument checks and concurrent planning. */
#include "tests/test_util.h"

#include <pthread.h>
#include "core/audio.h"
#include "features/features.h"

/* ---- golden files (shared/data/reference, made with librosa 0.11; see its README) ------ */

/* Reads wav (at its own rate, no resampling), computes MFCCs with the given settings and
 * asserts every value of csv within 0.1. */
static void check_golden(const char *wav, const char *csv, int n_mfcc, int n_fft, int hop,
                         int n_mels)
{
    sm_audio a;
    sm_error err = {0};
    sm_mfcc_config cfg;
    sm_mfcc *m;
    double *gold = NULL, *out, worst = 0;
    size_t rows, cols, frames = 0, i;
    char path[4096];

    snprintf(path, sizeof path, "%s", sm_test_shared_path(wav));
    assert_int_equal(sm_audio_read(path, 0, &a, NULL, &err), 0);
    snprintf(path, sizeof path, "%s", sm_test_shared_path(csv));
    rows = sm_test_read_csv(path, &gold, &cols);
    assert_true(rows > 0);
    assert_int_equal(cols, n_mfcc);

    cfg = sm_mfcc_config_default(a.sample_rate);
    cfg.n_mfcc = n_mfcc;
    cfg.n_fft = n_fft;
    cfg.hop = hop;
    cfg.n_mels = n_mels;
    assert_int_equal(sm_mfcc_n_frames(&cfg, a.n), rows);
    m = sm_mfcc_alloc(&cfg, a.n, &err);
    assert_non_null(m);
    out = malloc(rows * cols * sizeof *out);
    assert_non_null(out);
    assert_int_equal(sm_mfcc_compute(m, a.data, a.n, out, &frames), 0);
    assert_int_equal(frames, rows);
    for (i = 0; i < rows * cols; i++) {
        if (fabs(out[i] - gold[i]) > worst) worst = fabs(out[i] - gold[i]);
        if (!(fabs(out[i] - gold[i]) <= 0.1))
            print_error("%s frame %zu coefficient %zu\n", csv, i / cols, i % cols);
        assert_close(out[i], gold[i], 0.1);
    }
    print_message("%s: %zu x %zu values, largest difference %.2g\n", csv, rows, cols, worst);
    free(out);
    free(gold);
    sm_mfcc_free(m);
    sm_audio_free(&a);
}

static void test_golden_chirp_noise(void **state)
{
    (void)state;
    SM_TEST_NEED_SHARED();
    check_golden("reference/chirp_noise_44k.wav", "reference/chirp_noise_44k.mfcc20.csv", 20,
                 2048, 512, 128);
}

static void test_golden_kick(void **state)
{
    (void)state;
    SM_TEST_NEED_SHARED();
    check_golden("reference/kick_44k.wav", "reference/kick_44k.mfcc20.csv", 20, 2048, 512, 128);
}

static void test_golden_kick_small(void **state)
{
    (void)state;
    SM_TEST_NEED_SHARED();
    check_golden("reference/kick_44k.wav", "reference/kick_44k.mfcc13_fft1024_hop256_mels40.csv",
                 13, 1024, 256, 40);
}

static void test_golden_tone_22k(void **state)
{
    (void)state;
    SM_TEST_NEED_SHARED();
    check_golden("reference/tone_22k.wav", "reference/tone_22k.mfcc20.csv", 20, 2048, 512, 128);
}

/* ---- an independent, slow reference: naive DFT, dense filterbank, HTK mel scale ------- */

static double ref_hz_to_mel_htk(double f) { return 2595.0 * log10(1.0 + f / 700.0); }
static double ref_mel_to_hz_htk(double m) { return 700.0 * (pow(10.0, m / 2595.0) - 1.0); }

/* MFCCs of x by the textbook definitions, without centring (frames start at t*hop). */
static size_t ref_mfcc_htk(const float *x, size_t n, double sr, int n_fft, int hop, int n_mels,
                           int n_mfcc, double f_lo, double f_hi, double top_db, double *out)
{
    size_t frames = 1 + (n - (size_t)n_fft) / (size_t)hop, t;
    int nb = n_fft / 2 + 1, i, k, j;
    double *edge = malloc((size_t)(n_mels + 2) * sizeof *edge);
    double *db = malloc(frames * (size_t)n_mels * sizeof *db);
    double *pw = malloc((size_t)nb * sizeof *pw), top = -1e300;
    for (i = 0; i < n_mels + 2; i++)
        edge[i] = ref_mel_to_hz_htk(ref_hz_to_mel_htk(f_lo) +
                                    (ref_hz_to_mel_htk(f_hi) - ref_hz_to_mel_htk(f_lo)) * i /
                                        (n_mels + 1));
    for (t = 0; t < frames; t++) {
        for (k = 0; k < nb; k++) {
            double re = 0, im = 0;
            for (j = 0; j < n_fft; j++) {
                double w = 0.5 - 0.5 * cos(2 * M_PI * j / n_fft);
                double v = w * x[t * (size_t)hop + (size_t)j];
                re += v * cos(2 * M_PI * (double)k * j / n_fft);
                im -= v * sin(2 * M_PI * (double)k * j / n_fft);
            }
            pw[k] = re * re + im * im;
        }
        for (i = 0; i < n_mels; i++) {
            double s = 0;
            for (k = 0; k < nb; k++) {
                double f = k * sr / n_fft;
                double up = (f - edge[i]) / (edge[i + 1] - edge[i]);
                double down = (edge[i + 2] - f) / (edge[i + 2] - edge[i + 1]);
                double w = fmax(0.0, fmin(up, down)) * 2.0 / (edge[i + 2] - edge[i]);
                s += w * pw[k];
            }
            db[t * n_mels + i] = 10 * log10(fmax(1e-10, s));
            if (db[t * n_mels + i] > top) top = db[t * n_mels + i];
        }
    }
    for (t = 0; t < frames; t++)
        for (k = 0; k < n_mfcc; k++) {
            double s = 0;
            for (i = 0; i < n_mels; i++)
                s += fmax(db[t * n_mels + i], top - top_db) *
                     cos(M_PI * k * (2 * i + 1) / (2.0 * n_mels));
            out[t * n_mfcc + k] = s * (k == 0 ? sqrt(1.0 / n_mels) : sqrt(2.0 / n_mels));
        }
    free(edge);
    free(db);
    free(pw);
    return frames;
}

static void test_htk_against_reference(void **state)
{
    enum { N = 3000 };
    float x[N];
    double got[16 * 13], want[16 * 13];
    size_t i, frames = 0, ref_frames;
    sm_mfcc_config c = sm_mfcc_config_default(16000);
    sm_mfcc *m;
    (void)state;
    for (i = 0; i < N; i++)
        x[i] = (float)(0.5 * sin(2 * M_PI * 300 * i / 16000.0) +
                       0.2 * sin(2 * M_PI * 2500 * i / 16000.0) * exp(-(double)i / 1500));
    c.n_fft = 512;
    c.hop = 160;
    c.n_mels = 26;
    c.n_mfcc = 13;
    c.fmin = 80;
    c.fmax = 7000;
    c.htk = 1;
    c.center = 0;
    c.top_db = 40;
    assert_int_equal(sm_mfcc_config_check(&c, NULL), 0);
    assert_int_equal(sm_mfcc_n_frames(&c, N), 1 + (N - 512) / 160);
    m = sm_mfcc_alloc(&c, N, NULL);
    assert_non_null(m);
    assert_int_equal(sm_mfcc_compute(m, x, N, got, &frames), 0);
    ref_frames = ref_mfcc_htk(x, N, 16000, 512, 160, 26, 13, 80, 7000, 40, want);
    assert_int_equal(frames, ref_frames);
    for (i = 0; i < frames * 13; i++) assert_close(got[i], want[i], 1e-6);
    /* The Slaney scale gives different coefficients on the same input. */
    c.htk = 0;
    sm_mfcc_free(m);
    m = sm_mfcc_alloc(&c, N, NULL);
    assert_int_equal(sm_mfcc_compute(m, x, N, got, &frames), 0);
    assert_true(fabs(got[1] - want[1]) > 1e-3);
    sm_mfcc_free(m);
}

/* ---- configuration, frames, arguments -------------------------------------------------- */

static void test_config(void **state)
{
    sm_mfcc_config c = sm_mfcc_config_default(44100), b;
    sm_error err = {0};
    (void)state;
    assert_int_equal(c.n_fft, 2048);
    assert_int_equal(c.hop, 512);
    assert_int_equal(c.n_mels, 128);
    assert_int_equal(c.n_mfcc, 20);
    assert_int_equal(c.htk, 0);
    assert_int_equal(c.center, 1);
    assert_close(c.top_db, 80, 0);
    assert_close(c.fmin, 0, 0);
    assert_int_equal(sm_mfcc_config_check(&c, &err), 0);
    assert_int_equal(sm_mfcc_config_check(NULL, &err), SM_ERR_ARG);

    b = c; b.n_mfcc = 129;
    assert_int_equal(sm_mfcc_config_check(&b, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "n_mfcc"));
    b = c; b.fmin = 30000;
    assert_int_equal(sm_mfcc_config_check(&b, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "fmin"));
    b = c; b.fmax = 30000;
    assert_int_equal(sm_mfcc_config_check(&b, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "fmax"));
    b = c; b.sample_rate = NAN;
    assert_int_equal(sm_mfcc_config_check(&b, &err), SM_ERR_CONFIG);
    b = c; b.hop = 0;
    assert_int_equal(sm_mfcc_config_check(&b, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "hop"));
    b = c; b.n_fft = 1;
    assert_int_equal(sm_mfcc_config_check(&b, &err), SM_ERR_CONFIG);
    b = c; b.htk = 2;
    assert_int_equal(sm_mfcc_config_check(&b, &err), SM_ERR_CONFIG);
    /* A bad configuration makes no plan. */
    err.code = 0;
    assert_null(sm_mfcc_alloc(&b, 1000, &err));
    assert_int_equal(err.code, SM_ERR_CONFIG);
}

static void test_frames_and_args(void **state)
{
    sm_mfcc_config c = sm_mfcc_config_default(44100);
    sm_mfcc *m;
    float x[5000] = {0};
    double out[20 * 10];
    size_t frames = 99;
    sm_error err = {0};
    (void)state;
    assert_int_equal(sm_mfcc_n_frames(&c, 1), 1);
    assert_int_equal(sm_mfcc_n_frames(&c, 511), 1);
    assert_int_equal(sm_mfcc_n_frames(&c, 512), 2);
    assert_int_equal(sm_mfcc_n_frames(&c, 44100), 87);
    c.center = 0;
    assert_int_equal(sm_mfcc_n_frames(&c, 2047), 0);
    assert_int_equal(sm_mfcc_n_frames(&c, 2048), 1);
    assert_int_equal(sm_mfcc_n_frames(&c, 2048 + 512), 2);
    assert_null(sm_mfcc_alloc(&c, 2000, &err));   /* shorter than one frame */
    assert_int_equal(err.code, SM_ERR_ARG);
    c.center = 1;
    assert_null(sm_mfcc_alloc(&c, 0, &err));
    m = sm_mfcc_alloc(&c, 4000, &err);
    assert_non_null(m);
    assert_int_equal(sm_mfcc_get_config(m)->n_fft, 2048);
    assert_int_equal(sm_mfcc_compute(m, x, 4001, out, &frames), SM_ERR_ARG);
    assert_int_equal(frames, 0);
    assert_int_equal(sm_mfcc_compute(m, x, 0, out, &frames), SM_ERR_ARG);
    assert_int_equal(sm_mfcc_compute(m, NULL, 10, out, &frames), SM_ERR_ARG);
    assert_int_equal(sm_mfcc_compute(NULL, x, 10, out, &frames), SM_ERR_ARG);
    x[100] = NAN;
    assert_int_equal(sm_mfcc_compute(m, x, 4000, out, &frames), SM_ERR_NONFINITE);
    x[100] = INFINITY;
    assert_int_equal(sm_mfcc_compute(m, x, 4000, out, &frames), SM_ERR_NONFINITE);
    x[100] = 0;
    sm_mfcc_free(m);
    sm_mfcc_free(NULL);
    assert_null(sm_mfcc_get_config(NULL));
}

/* Silence: every band at the 1e-10 floor, -100 dB, so c0 = -100 * sqrt(n_mels) and every
 * other coefficient is 0 (the DCT of a constant). */
static void test_silence(void **state)
{
    static float x[10000];
    static double out[20 * 20];
    sm_mfcc_config c = sm_mfcc_config_default(44100);
    sm_mfcc *m = sm_mfcc_alloc(&c, 10000, NULL);
    size_t frames, t;
    int k;
    (void)state;
    assert_non_null(m);
    assert_int_equal(sm_mfcc_compute(m, x, 10000, out, &frames), 0);
    assert_int_equal(frames, 20);
    for (t = 0; t < frames; t++) {
        assert_close(out[t * 20], -100 * sqrt(128.0), 1e-9);
        for (k = 1; k < 20; k++) assert_close(out[t * 20 + k], 0, 1e-9);
    }
    sm_mfcc_free(m);
}

/* The top_db floor: a loud frame followed by quiet ones lifts the quiet frames' floor to
 * max - 80 dB; with top_db <= 0 there is no floor. */
static void test_top_db(void **state)
{
    static float x[8192];
    static double a[17 * 20], b[17 * 20];
    sm_mfcc_config c = sm_mfcc_config_default(44100);
    sm_mfcc *m;
    size_t frames, i;
    (void)state;
    for (i = 0; i < 2048; i++) x[i] = (float)sin(2 * M_PI * 1000 * i / 44100.0);
    m = sm_mfcc_alloc(&c, 8192, NULL);
    assert_int_equal(sm_mfcc_compute(m, x, 8192, a, &frames), 0);
    sm_mfcc_free(m);
    c.top_db = 0;
    m = sm_mfcc_alloc(&c, 8192, NULL);
    assert_int_equal(sm_mfcc_compute(m, x, 8192, b, &frames), 0);
    sm_mfcc_free(m);
    assert_int_equal(frames, 17);
    /* The last frame is silent: floored c0 is (max - 80) * sqrt(128) with the floor, -100 *
     * sqrt(128) without. */
    assert_true(a[16 * 20] > b[16 * 20] + 100);
    assert_close(b[16 * 20], -100 * sqrt(128.0), 1e-9);
}

static void test_summary(void **state)
{
    const double m[3 * 2] = {1, 10, 2, 10, 3, 10};
    double s[4];
    (void)state;
    sm_mfcc_summary(m, 3, 2, s);
    assert_close(s[0], 2, 1e-12);
    assert_close(s[1], 10, 1e-12);
    assert_close(s[2], sqrt(2.0 / 3.0), 1e-12);   /* population deviation */
    assert_close(s[3], 0, 1e-12);
    sm_mfcc_summary(m, 0, 2, s);
    assert_close(s[0], 0, 0);
    assert_close(s[2], 0, 0);
}

/* ---- plans made and run concurrently give the serial answer ---------------------------- */

enum { THR_N = 22050, THR_COUNT = 4, THR_ROUNDS = 6 };
static float thr_x[THR_N];
static double thr_want[44 * 20];

static void *thr_body(void *arg)
{
    int r, bad = 0;
    double *out = malloc(sizeof thr_want);
    (void)arg;
    for (r = 0; r < THR_ROUNDS && out; r++) {
        /* A fresh plan each round, so planning and destroying overlap across threads. */
        sm_mfcc_config c = sm_mfcc_config_default(22050);
        sm_mfcc *m = sm_mfcc_alloc(&c, THR_N, NULL);
        size_t frames = 0;
        if (!m || sm_mfcc_compute(m, thr_x, THR_N, out, &frames) != 0 || frames != 44 ||
            memcmp(out, thr_want, sizeof thr_want) != 0)
            bad = 1;
        sm_mfcc_free(m);
    }
    free(out);
    return (void *)(intptr_t)(bad || !out);
}

static void test_threads(void **state)
{
    pthread_t th[THR_COUNT];
    sm_mfcc_config c = sm_mfcc_config_default(22050);
    sm_mfcc *m;
    size_t i, frames;
    int t;
    (void)state;
    for (i = 0; i < THR_N; i++)
        thr_x[i] = (float)(0.3 * sin(2 * M_PI * 220 * i / 22050.0) * exp(-(double)i / 8000));
    m = sm_mfcc_alloc(&c, THR_N, NULL);
    assert_int_equal(sm_mfcc_compute(m, thr_x, THR_N, thr_want, &frames), 0);
    assert_int_equal(frames, 44);
    sm_mfcc_free(m);
    for (t = 0; t < THR_COUNT; t++)
        assert_int_equal(pthread_create(&th[t], NULL, thr_body, NULL), 0);
    for (t = 0; t < THR_COUNT; t++) {
        void *bad;
        pthread_join(th[t], &bad);
        assert_int_equal((intptr_t)bad, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_chirp_noise),
        cmocka_unit_test(test_golden_kick),
        cmocka_unit_test(test_golden_kick_small),
        cmocka_unit_test(test_golden_tone_22k),
        cmocka_unit_test(test_htk_against_reference),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_frames_and_args),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_top_db),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
