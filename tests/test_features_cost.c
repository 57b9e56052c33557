/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_features_cost.c: the MFCC distance and the matching cost: zero for the target
 * itself, positive and growing with the difference, known answers for the descriptor terms,
 * NaN for non-finite candidates, finite for silence, and the same answer from many threads. */
#include "tests/test_util.h"

#include <pthread.h>
#include "core/audio.h"
#include "core/rng.h"
#include "features/features.h"

enum { SR = 44100, LEN = 22050 };

static float *sine(double freq, double amp, size_t n)
{
    float *x = malloc(n * sizeof *x);
    size_t i;
    assert_non_null(x);
    for (i = 0; i < n; i++) x[i] = (float)(amp * sin(2 * M_PI * freq * (double)i / SR));
    return x;
}

/* The cost of cand against target under cfg (one target, one scratch). */
static double cost_of(const sm_cost_config *cfg, const float *target, size_t nt,
                      const float *cand, size_t nc)
{
    sm_error err = {0};
    sm_cost_target *t = sm_cost_target_alloc(cfg, target, nt, &err);
    sm_cost *c;
    double v;
    if (!t) print_error("%s\n", err.msg);
    assert_non_null(t);
    assert_int_equal(sm_cost_target_samples(t), nt);
    c = sm_cost_alloc(t, &err);
    assert_non_null(c);
    v = sm_cost_eval(c, cand, nc);
    sm_cost_free(c);
    sm_cost_target_free(t);
    return v;
}

/* A configuration with one term only. */
static sm_cost_config only(int term)
{
    sm_cost_config c = sm_cost_config_default(SR);
    c.w_mfcc = term == 0;
    c.w_mss = term == 1;
    c.w_loudness = term == 2;
    c.w_centroid = term == 3;
    c.w_pitch = term == 4;
    return c;
}
static const char *const term_names[] = {"mfcc", "mss", "loudness", "centroid", "pitch", "all"};

static sm_cost_config all_terms(void)
{
    sm_cost_config c = sm_cost_config_default(SR);
    c.w_mss = 1;
    c.w_loudness = 1;
    c.w_centroid = 1;
    c.w_pitch = 1;
    return c;
}

static sm_cost_config term_config(int term)
{
    return term < 5 ? only(term) : all_terms();
}

/* ---- sm_mfcc_distance ------------------------------------------------------------------ */

static void test_distance_basics(void **state)
{
    const double a[2 * 3] = {-100, 5, 1, -90, 4, 2};
    const double b[2 * 3] = {-110, 5, 1, -90, 6, 2};
    (void)state;
    assert_close(sm_mfcc_distance(a, 2, a, 2, 3), 0, 0);
    /* Frame 0 differs by 10 in c0 (weight 0.1), frame 1 by 2 in c1: ((1 + 2) / 2.1) / 2. */
    assert_close(sm_mfcc_distance(a, 2, b, 2, 3), (1.0 / 2.1 + 2.0 / 2.1) / 2, 1e-12);
    assert_close(sm_mfcc_distance(b, 2, a, 2, 3), sm_mfcc_distance(a, 2, b, 2, 3), 0);
    /* One frame missing costs the frame penalty (100) for it: (0 + 100) / 2. */
    assert_close(sm_mfcc_distance(a, 2, a, 1, 3), 50, 1e-12);
    assert_close(sm_mfcc_distance(a, 1, a, 2, 3), 50, 1e-12);
    assert_close(sm_mfcc_distance(NULL, 0, NULL, 0, 3), 0, 0);
    assert_close(sm_mfcc_distance(a, 2, NULL, 0, 3), 100, 1e-12);
    assert_true(isnan(sm_mfcc_distance(a, 2, a, 2, 0)));
    assert_true(isnan(sm_mfcc_distance(NULL, 2, a, 2, 3)));
}

/* MFCCs of x at the default settings into a new matrix. */
static double *mfcc_of(const float *x, size_t n, size_t *frames)
{
    sm_mfcc_config c = sm_mfcc_config_default(SR);
    sm_mfcc *m = sm_mfcc_alloc(&c, n, NULL);
    double *out = malloc(sm_mfcc_n_frames(&c, n) * 20 * sizeof *out);
    assert_non_null(m);
    assert_non_null(out);
    assert_int_equal(sm_mfcc_compute(m, x, n, out, frames), 0);
    sm_mfcc_free(m);
    return out;
}

/* The distance grows monotonically as a sine is detuned from 440 Hz, and is symmetric. */
static void test_distance_detune(void **state)
{
    const double freqs[] = {440, 445, 460, 500, 600};
    float *x[5];
    double *m[5], prev = -1;
    size_t f[5];
    int i;
    (void)state;
    for (i = 0; i < 5; i++) {
        x[i] = sine(freqs[i], 0.5, LEN);
        m[i] = mfcc_of(x[i], LEN, &f[i]);
    }
    for (i = 0; i < 5; i++) {
        double d = sm_mfcc_distance(m[0], f[0], m[i], f[i], 20);
        print_message("mfcc distance 440 Hz vs %g Hz: %.4f\n", freqs[i], d);
        assert_close(d, sm_mfcc_distance(m[i], f[i], m[0], f[0], 20), 1e-12);
        if (i == 0) assert_close(d, 0, 0);
        else assert_true(d > prev);
        prev = d;
    }
    for (i = 0; i < 5; i++) {
        free(x[i]);
        free(m[i]);
    }
}

/* The scale the frame penalty (100) was chosen against: a loud frame against silence is
 * about 33 per frame (see features/cost.c), less than the penalty. */
static void test_distance_against_silence(void **state)
{
    float *x = sine(440, 0.5, LEN), *z = calloc(LEN, sizeof *z);
    double *a, *b, d;
    size_t fa, fb;
    (void)state;
    a = mfcc_of(x, LEN, &fa);
    b = mfcc_of(z, LEN, &fb);
    d = sm_mfcc_distance(a, fa, b, fb, 20);
    print_message("mfcc distance 440 Hz sine at -6 dBFS vs silence: %.2f\n", d);
    assert_true(d > 30 && d < 100);
    free(a);
    free(b);
    free(x);
    free(z);
}

/* ---- sm_cost -------------------------------------------------------------------------- */

static void test_config(void **state)
{
    sm_cost_config c = sm_cost_config_default(SR), b;
    sm_error err = {0};
    (void)state;
    assert_close(c.w_mfcc, 1, 0);
    assert_close(c.w_mss + c.w_loudness + c.w_centroid + c.w_pitch, 0, 0);
    assert_int_equal(c.mfcc.n_mfcc, 20);
    assert_int_equal(sm_cost_config_check(&c, &err), 0);
    assert_int_equal(sm_cost_config_check(NULL, &err), SM_ERR_ARG);
    b = c; b.w_pitch = -1;
    assert_int_equal(sm_cost_config_check(&b, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "pitch"));
    b = c; b.w_mss = NAN;
    assert_int_equal(sm_cost_config_check(&b, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "mss"));
    b = c; b.w_mfcc = 0;
    assert_int_equal(sm_cost_config_check(&b, &err), SM_ERR_CONFIG);
    b = c; b.mfcc.n_mels = 0;
    assert_int_equal(sm_cost_config_check(&b, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "n_mels"));
    err.code = 0;
    assert_null(sm_cost_target_alloc(&b, NULL, 10, &err));
    assert_int_equal(err.code, SM_ERR_CONFIG);
}

static void test_target_errors(void **state)
{
    sm_cost_config c = sm_cost_config_default(SR);
    float x[100] = {0};
    sm_error err = {0};
    (void)state;
    assert_null(sm_cost_target_alloc(&c, NULL, 100, &err));
    assert_int_equal(err.code, SM_ERR_EMPTY);
    assert_null(sm_cost_target_alloc(&c, x, 0, &err));
    assert_int_equal(err.code, SM_ERR_EMPTY);
    x[50] = NAN;
    assert_null(sm_cost_target_alloc(&c, x, 100, &err));
    assert_int_equal(err.code, SM_ERR_NONFINITE);
    assert_null(sm_cost_alloc(NULL, &err));
    assert_int_equal(err.code, SM_ERR_ARG);
    x[50] = 0;
    {
        /* A target of 100 samples (one frame) works; a NULL candidate costs NaN. */
        sm_cost_config all = all_terms();
        sm_cost_target *t = sm_cost_target_alloc(&all, x, 100, &err);
        sm_cost *c = sm_cost_alloc(t, &err);
        assert_non_null(c);
        assert_true(isnan(sm_cost_eval(c, NULL, 0)));
        assert_close(sm_cost_eval(c, x, 100), 0, 1e-9);
        sm_cost_free(c);
        sm_cost_target_free(t);
    }
    /* Without centring, a target shorter than one frame is refused. */
    c.mfcc.center = 0;
    assert_null(sm_cost_target_alloc(&c, x, 100, &err));
    assert_int_equal(err.code, SM_ERR_ARG);
    assert_int_equal(sm_cost_target_samples(NULL), 0);
    assert_true(isnan(sm_cost_eval(NULL, x, 100)));
    sm_cost_free(NULL);
    sm_cost_target_free(NULL);
}

/* Every term, alone and together, is 0 (within 1e-9) for the target itself and positive for
 * a different sound: a recorded kick against a sine, and two sines. */
static void test_zero_for_target_positive_otherwise(void **state)
{
    float *a = sine(440, 0.5, LEN), *b = sine(523.25, 0.3, LEN);
    int term;
    (void)state;
    for (term = 0; term <= 5; term++) {
        sm_cost_config c = term_config(term);
        double same = cost_of(&c, a, LEN, a, LEN), diff = cost_of(&c, a, LEN, b, LEN);
        print_message("%-8s: target vs itself %.3g, 440 Hz vs 523 Hz %.4g\n", term_names[term],
                      same, diff);
        assert_close(same, 0, 1e-9);
        assert_true(diff > 1e-3);
        assert_close(cost_of(&c, b, LEN, b, LEN), 0, 1e-9);
    }
    free(a);
    free(b);
}

static void test_recorded_kick(void **state)
{
    sm_audio k;
    float *s;
    int term;
    (void)state;
    SM_TEST_NEED_SHARED();
    assert_int_equal(sm_audio_read(sm_test_shared_path("reference/kick_44k.wav"), 0, &k, NULL,
                                   NULL), 0);
    s = sine(60, 0.8, k.n);
    for (term = 0; term <= 5; term++) {
        sm_cost_config c = term_config(term);
        double same = cost_of(&c, k.data, k.n, k.data, k.n);
        double diff = cost_of(&c, k.data, k.n, s, k.n);
        print_message("%-8s: kick vs itself %.3g, kick vs 60 Hz sine %.4g\n", term_names[term],
                      same, diff);
        assert_close(same, 0, 1e-9);
        assert_true(diff > 1e-3);
    }
    free(s);
    sm_audio_free(&k);
}

/* Known answers: half the amplitude is 20 log10(2) = 6.02 dB quieter in every frame; an
 * octave up moves a sine's centroid by 1 octave; a semitone up moves its pitch by 1. */
static void test_known_answers(void **state)
{
    float *a = sine(440, 0.5, LEN), *half = sine(440, 0.25, LEN);
    float *oct = sine(880, 0.5, LEN), *semi = sine(440 * pow(2, 1 / 12.0), 0.5, LEN);
    sm_cost_config loud = only(2), cent = only(3), pitch = only(4);
    double v;
    (void)state;
    v = cost_of(&loud, a, LEN, half, LEN);
    print_message("loudness, half amplitude: %.6f dB\n", v);
    assert_close(v, 20 * log10(2.0), 1e-4);
    v = cost_of(&cent, a, LEN, oct, LEN);
    print_message("centroid, octave up: %.4f octaves\n", v);
    assert_close(v, 1, 0.02);
    v = cost_of(&pitch, a, LEN, semi, LEN);
    print_message("pitch, semitone up: %.4f semitones\n", v);
    assert_close(v, 1, 0.01);
    /* The weight scales its term. */
    pitch.w_pitch = 2.5;
    assert_close(cost_of(&pitch, a, LEN, semi, LEN), 2.5 * v, 1e-12);
    free(a);
    free(half);
    free(oct);
    free(semi);
}

/* Each term grows as a sine is detuned from the target's 440 Hz (loudness is unchanged by a
 * detune and left out). */
static void test_detune_monotone(void **state)
{
    const double freqs[] = {445, 460, 500};
    const int terms[] = {0, 1, 3, 4, 5};
    float *target = sine(440, 0.5, LEN);
    size_t i, j;
    (void)state;
    for (j = 0; j < sizeof terms / sizeof *terms; j++) {
        sm_cost_config c = term_config(terms[j]);
        sm_cost_target *t = sm_cost_target_alloc(&c, target, LEN, NULL);
        sm_cost *ev = sm_cost_alloc(t, NULL);
        double prev = 0;
        assert_non_null(ev);
        for (i = 0; i < 3; i++) {
            float *x = sine(freqs[i], 0.5, LEN);
            double v = sm_cost_eval(ev, x, LEN);
            print_message("%-8s: 440 Hz vs %g Hz: %.4g\n", term_names[terms[j]], freqs[i], v);
            assert_true(v > prev);
            prev = v;
            free(x);
        }
        sm_cost_free(ev);
        sm_cost_target_free(t);
    }
    free(target);
}

/* A NaN or Inf anywhere in the candidate gives NaN, for every term. */
static void test_nonfinite_candidate(void **state)
{
    float *a = sine(440, 0.5, LEN), *b = sine(440, 0.5, LEN);
    int term;
    (void)state;
    for (term = 0; term <= 5; term++) {
        sm_cost_config c = term_config(term);
        b[LEN - 1] = NAN;
        assert_true(isnan(cost_of(&c, a, LEN, b, LEN)));
        b[0] = INFINITY;
        b[LEN - 1] = 0;
        assert_true(isnan(cost_of(&c, a, LEN, b, LEN)));
        b[0] = -INFINITY;
        assert_true(isnan(cost_of(&c, a, LEN, b, LEN)));
        b[0] = 0;
    }
    free(a);
    free(b);
}

/* Silence against silence is 0; silence against sound is finite and positive, both ways. */
static void test_silence(void **state)
{
    float *z = calloc(LEN, sizeof *z), *a = sine(440, 0.5, LEN);
    int term;
    (void)state;
    for (term = 0; term <= 5; term++) {
        sm_cost_config c = term_config(term);
        double zz = cost_of(&c, z, LEN, z, LEN);
        double za = cost_of(&c, z, LEN, a, LEN), az = cost_of(&c, a, LEN, z, LEN);
        print_message("%-8s: silence vs silence %.3g, silence vs sine %.4g, sine vs silence "
                      "%.4g\n",
                      term_names[term], zz, za, az);
        assert_true(isfinite(zz) && isfinite(za) && isfinite(az));
        assert_close(zz, 0, 1e-9);
        /* Centroid and pitch compare only frames that both have; loudness carries silence. */
        if (term != 3 && term != 4) assert_true(za > 0 && az > 0);
    }
    free(z);
    free(a);
}

/* A candidate is compared over the target's length: extra samples are cut and missing ones
 * read as zeros. */
static void test_length_mismatch(void **state)
{
    float *a = sine(440, 0.5, LEN + 3000), *padded = calloc(LEN + 3000, sizeof *padded);
    sm_cost_config c = all_terms();
    double shorter, as_padded;
    (void)state;
    assert_close(cost_of(&c, a, LEN, a, LEN + 3000), 0, 1e-9);
    memcpy(padded, a, (LEN - 5000) * sizeof *padded);
    shorter = cost_of(&c, a, LEN, a, LEN - 5000);
    as_padded = cost_of(&c, a, LEN, padded, LEN);
    assert_true(shorter > 0 && isfinite(shorter));
    assert_close(shorter, as_padded, 1e-12);
    assert_true(isfinite(cost_of(&c, a, LEN, a, 0)));
    free(a);
    free(padded);
}

/* One shared target, one scratch per thread: every thread gets the serial answers. */
enum { THREADS = 4, CANDS = 6 };
static const sm_cost_target *thr_target;
static float *thr_cand[CANDS];
static double thr_want[CANDS];

static void *thr_body(void *arg)
{
    sm_cost *c = sm_cost_alloc(thr_target, NULL);
    int i, r, bad = !c;
    (void)arg;
    for (r = 0; r < 3 && c; r++)
        for (i = 0; i < CANDS; i++)
            if (memcmp(&(double){sm_cost_eval(c, thr_cand[i], LEN)}, &thr_want[i],
                       sizeof(double)) != 0)
                bad = 1;
    sm_cost_free(c);
    return (void *)(intptr_t)bad;
}

static void test_threads(void **state)
{
    sm_cost_config cfg = all_terms();
    sm_cost_target *t;
    sm_cost *c;
    pthread_t th[THREADS];
    float *target = sine(330, 0.4, LEN);
    int i;
    (void)state;
    cfg.w_pitch = 0;   /* keeps the test quick under sanitizers; pitch is tested above */
    t = sm_cost_target_alloc(&cfg, target, LEN, NULL);
    assert_non_null(t);
    thr_target = t;
    c = sm_cost_alloc(t, NULL);
    for (i = 0; i < CANDS; i++) {
        thr_cand[i] = sine(300 + 20 * i, 0.1 + 0.1 * i, LEN);
        thr_want[i] = sm_cost_eval(c, thr_cand[i], LEN);
        assert_true(isfinite(thr_want[i]));
    }
    sm_cost_free(c);
    for (i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, thr_body, NULL), 0);
    for (i = 0; i < THREADS; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        assert_int_equal((intptr_t)bad, 0);
    }
    for (i = 0; i < CANDS; i++) free(thr_cand[i]);
    sm_cost_target_free(t);
    free(target);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance_basics),
        cmocka_unit_test(test_distance_detune),
        cmocka_unit_test(test_distance_against_silence),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_target_errors),
        cmocka_unit_test(test_zero_for_target_positive_otherwise),
        cmocka_unit_test(test_recorded_kick),
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_detune_monotone),
        cmocka_unit_test(test_nonfinite_candidate),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_length_mismatch),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
