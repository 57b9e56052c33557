/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_datasets_voice.c: descriptors of a rendered voice, the garbage filter on crafted
 * bad voices and sounds, kinds from names, the kind classifier and random names
 * (datasets/voice_sound.h, datasets/voice_kinds.h). */
#include "test_util.h"

#include "core/rng.h"
#include "datasets/voice_kinds.h"
#include "datasets/voice_sound.h"
#include "synths/dx7_sysex.h"
#include "synths/fm6.h"

#define SR 44100.0

static sm_voice_analyser *analyser(void)
{
    sm_voice_render_config c = sm_voice_render_config_default();
    sm_error err = {0};
    sm_voice_analyser *a = sm_voice_analyser_alloc(&c, &err);
    assert_non_null(a);
    return a;
}

/* The DX7 INIT VOICE (one sine carrier at the note) as native values. */
static void init_voice(double *nat)
{
    sm_dx7_voice v;
    sm_dx7_voice_init(&v);
    sm_dx7_voice_to_native(&v, nat);
}

static unsigned check_voice(sm_voice_analyser *a, const double *nat, int pitched,
                            sm_voice_descr *d)
{
    assert_int_equal(sm_voice_analyse(a, nat, d), 0);
    return sm_garbage_check(d, NULL, pitched);
}

static void test_config(void **state)
{
    sm_voice_render_config c = sm_voice_render_config_default();
    sm_error err = {0};
    (void)state;
    assert_int_equal(sm_voice_render_config_check(&c, &err), 0);
    assert_close(c.note, 60, 0);
    c.length_s = c.gate_s;
    assert_int_equal(sm_voice_render_config_check(&c, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "length"));
    c = sm_voice_render_config_default();
    c.note = NAN;
    assert_int_equal(sm_voice_render_config_check(&c, &err), SM_ERR_CONFIG);
    assert_null(sm_voice_analyser_alloc(&c, &err));
    assert_int_equal(sm_voice_render_config_check(NULL, &err), SM_ERR_ARG);
    sm_voice_analyser_free(NULL);
}

/* Known answers on synthetic sounds: a sine at the note, held with an exponential decay of
 * time constant tau (amplitude e^(-t/tau): 20 dB down after tau ln 10), then released with
 * another; a linear attack; white noise. */
static void test_descriptors_known(void **state)
{
    sm_voice_analyser *a = analyser();
    const size_t n = sm_voice_analyser_samples(a), gate = (size_t)SR;
    const double f = 440.0 * pow(2.0, (60 - 69) / 12.0), tau = 0.2, tau_r = 0.05;
    float *x = malloc(n * sizeof *x);
    sm_voice_descr d;
    sm_rng rng;
    size_t i;
    (void)state;
    assert_int_equal(n, 88200);
    /* decaying sine: attack 0, decay tau ln 10 = 0.46 s, sustain at the gate's last 100 ms
     * -8.686 * 0.95 / tau = -41 dB, so no release (more than 40 dB down) */
    for (i = 0; i < n; i++) {
        double t = (double)i / SR;
        x[i] = (float)(0.5 * sin(2 * M_PI * f * t) * exp(-t / tau));
    }
    assert_int_equal(sm_voice_measure(a, x, n, &d), 0);
    assert_close(d.attack_s, 0, 0.006);
    assert_close(d.decay_s, tau * log(10.0), 0.012);
    assert_close(d.sustain_db, -8.686 * 0.95 / tau, 1.0);
    assert_close(d.release_s, 0, 0);
    assert_close(d.brightness, 0, 0.15); /* the window's sidelobes lift the centroid a little */
    assert_close(d.pitch_error_cents, 0, 5);
    assert_true(d.pitch_stability > 0.9);
    assert_true(d.noisiness < 0.01);
    assert_true(d.dc < 0.03); /* a 46 ms frame holds a fraction of a cycle more or less */
    assert_close(d.peak, 0.5, 0.01);
    assert_int_equal(sm_garbage_check(&d, NULL, 1), 0);

    /* a linear attack over 0.3 s, held, released with tau_r: attack to -3 dB at
     * 0.3 x 10^(-3/20) = 0.212 s; sustain 0 dB; release to 30 dB down at tau_r 30 / 8.686 */
    for (i = 0; i < n; i++) {
        double t = (double)i / SR, env = t < 0.3 ? t / 0.3 : 1.0;
        if (i >= gate) env = exp(-(t - 1.0) / tau_r);
        x[i] = (float)(0.5 * env * sin(2 * M_PI * f * t));
    }
    assert_int_equal(sm_voice_measure(a, x, n, &d), 0);
    assert_close(d.attack_s, 0.3 * pow(10.0, -3.0 / 20), 0.01);
    assert_close(d.sustain_db, 0, 0.1);
    assert_close(d.decay_s, 10.0, 0); /* never falls: the cap */
    assert_close(d.release_s, tau_r * 30 / 8.686, 0.01);

    /* white noise: flatness e^-gamma = 0.561 (features/descriptors.c), centroid near sr/4 */
    sm_rng_init(&rng, 5, 0);
    for (i = 0; i < n; i++) x[i] = (float)(sm_rng_uniform(&rng) - 0.5);
    assert_int_equal(sm_voice_measure(a, x, n, &d), 0);
    assert_close(d.noisiness, 0.561, 0.03);
    assert_close(d.brightness, log2(SR / 4 / f), 0.15);
    assert_true(d.pitch_stability < 0.2);
    free(x);
    sm_voice_analyser_free(a);
}

/* The filter on crafted sounds: each fails for its reason only. */
static void test_garbage_sounds(void **state)
{
    sm_voice_analyser *a = analyser();
    const size_t n = sm_voice_analyser_samples(a);
    const double f = 440.0 * pow(2.0, (60 - 69) / 12.0);
    float *x = malloc(n * sizeof *x);
    sm_voice_descr d;
    sm_rng rng;
    size_t i;
    (void)state;
    memset(x, 0, n * sizeof *x);
    assert_int_equal(sm_voice_measure(a, x, n, &d), 0);
    assert_int_equal(sm_garbage_check(&d, NULL, 0), SM_GARBAGE_SILENT);
    for (i = 0; i < n; i++) x[i] = (float)(0.3 + 0.3 * sin(2 * M_PI * f * (double)i / SR));
    assert_int_equal(sm_voice_measure(a, x, n, &d), 0);
    assert_close(d.dc, 0.3 / sqrt(0.09 + 0.045), 0.01);
    assert_int_equal(sm_garbage_check(&d, NULL, 1), SM_GARBAGE_DC);
    for (i = 0; i < n; i++) x[i] = (float)(1.2 * sin(2 * M_PI * f * (double)i / SR));
    assert_int_equal(sm_voice_measure(a, x, n, &d), 0);
    assert_int_equal(sm_garbage_check(&d, NULL, 1), SM_GARBAGE_CLIP);
    sm_rng_init(&rng, 9, 0);
    for (i = 0; i < n; i++) x[i] = (float)(sm_rng_uniform(&rng) - 0.5);
    assert_int_equal(sm_voice_measure(a, x, n, &d), 0);
    assert_int_equal(sm_garbage_check(&d, NULL, 0), SM_GARBAGE_SCREAM);
    /* a fifth above the note: fine unpitched, out of tune when asked to be pitched */
    for (i = 0; i < n; i++) x[i] = (float)(0.5 * sin(2 * M_PI * 1.5 * f * (double)i / SR));
    assert_int_equal(sm_voice_measure(a, x, n, &d), 0);
    assert_close(d.pitch_error_cents, 1200 * log2(1.5) - 1200, 5);
    assert_int_equal(sm_garbage_check(&d, NULL, 0), 0);
    assert_int_equal(sm_garbage_check(&d, NULL, 1), SM_GARBAGE_PITCH);
    /* an octave above is in tune */
    for (i = 0; i < n; i++) x[i] = (float)(0.5 * sin(2 * M_PI * 2 * f * (double)i / SR));
    assert_int_equal(sm_voice_measure(a, x, n, &d), 0);
    assert_int_equal(sm_garbage_check(&d, NULL, 1), 0);
    x[7] = NAN;
    assert_int_equal(sm_voice_measure(a, x, n, &d), SM_ERR_NONFINITE);
    assert_int_equal(sm_garbage_check(NULL, NULL, 0), SM_GARBAGE_SILENT);
    assert_string_equal(sm_garbage_reason_name(3), "scream");
    assert_string_equal(sm_garbage_reason_name(9), "?");
    free(x);
    sm_voice_analyser_free(a);
}

/* The filter on crafted DX7 voices, rendered by fm6. */
static void test_garbage_voices(void **state)
{
    sm_voice_analyser *a = analyser();
    double nat[SM_FM6_NPARAMS];
    sm_voice_descr d;
    int op;
    (void)state;
    /* INIT VOICE: a sine at the note, good */
    init_voice(nat);
    assert_int_equal(check_voice(a, nat, 1, &d), 0);
    assert_close(d.pitch_error_cents, 0, 5);
    /* silent: its one carrier at level 0 */
    nat[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)] = 0;
    assert_int_equal(check_voice(a, nat, 1, &d), SM_GARBAGE_SILENT);
    /* DC: a carrier fixed at 1 Hz that dies within 0.2 s: a quarter of a cycle, all positive */
    init_voice(nat);
    nat[SM_FM6_OP(1, SM_FM6_OSC_MODE)] = 1;
    nat[SM_FM6_OP(1, SM_FM6_COARSE)] = 0;
    nat[SM_FM6_OP(1, SM_FM6_FINE)] = 0;
    nat[SM_FM6_OP(1, SM_FM6_EG_RATE2)] = 50;
    nat[SM_FM6_OP(1, SM_FM6_EG_LEVEL2)] = 0;
    nat[SM_FM6_OP(1, SM_FM6_EG_LEVEL3)] = 0;
    assert_true(check_voice(a, nat, 0, &d) & SM_GARBAGE_DC);
    /* clip: six carriers at full level, full velocity sensitivity, at velocity 127 */
    init_voice(nat);
    nat[SM_FM6_ALGORITHM] = 32;
    for (op = 1; op <= 6; op++) {
        int f;
        for (f = 0; f < SM_FM6_OP_NPARAMS; f++)
            nat[SM_FM6_OP(op, f)] = nat[SM_FM6_OP(1, f)];
        nat[SM_FM6_OP(op, SM_FM6_OUTPUT_LEVEL)] = 99;
        nat[SM_FM6_OP(op, SM_FM6_KEY_VEL_SENS)] = 7;
    }
    assert_int_equal(check_voice(a, nat, 1, &d), SM_GARBAGE_CLIP);
    assert_true(d.peak < 1.0 && d.peak_hard >= 1.0);
    /* scream: a feedback-7 operator at ratio 11 modulating a carrier at full level */
    init_voice(nat);
    nat[SM_FM6_ALGORITHM] = 31; /* op6 has the feedback and modulates op5 */
    nat[SM_FM6_FEEDBACK] = 7;
    nat[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)] = 0;
    for (op = 2; op <= 6; op++) {
        int f;
        for (f = 0; f < SM_FM6_OP_NPARAMS; f++) nat[SM_FM6_OP(op, f)] = nat[SM_FM6_OP(1, f)];
    }
    nat[SM_FM6_OP(5, SM_FM6_OUTPUT_LEVEL)] = 99;
    nat[SM_FM6_OP(6, SM_FM6_OUTPUT_LEVEL)] = 99;
    nat[SM_FM6_OP(6, SM_FM6_COARSE)] = 11;
    assert_true(check_voice(a, nat, 0, &d) & SM_GARBAGE_SCREAM);
    /* out of tune: the carrier at ratio 1.5 */
    init_voice(nat);
    nat[SM_FM6_OP(1, SM_FM6_COARSE)] = 1;
    nat[SM_FM6_OP(1, SM_FM6_FINE)] = 50;
    assert_int_equal(check_voice(a, nat, 0, &d), 0);
    assert_int_equal(check_voice(a, nat, 1, &d), SM_GARBAGE_PITCH);
    /* a real voice: rom1a's BRASS 1 is good and in tune */
    if (sm_test_shared()) {
        sm_dx7_voice v;
        sm_error err = {0};
        char spec[4200];
        snprintf(spec, sizeof spec, "%s:1", sm_test_shared_path("dx7/rom1a.syx"));
        assert_int_equal(sm_dx7_load_voice(spec, &v, &err), 0);
        sm_dx7_voice_to_native(&v, nat);
        assert_int_equal(check_voice(a, nat, 1, &d), 0);
    }
    sm_voice_analyser_free(a);
}

static void test_kind_names(void **state)
{
    static const struct {
        const char *name;
        int kind;
    } cases[] = {
        {"E.PIANO 1", SM_KIND_KEYS},  {"SYNBASS 2", SM_KIND_BASS}, {"BASSOON", SM_KIND_NONE},
        {"COWBELL", SM_KIND_PERC},    {"BOTTOM", SM_KIND_NONE},    {"TUBEBELLS", SM_KIND_BELL},
        {"STRINGS 3", SM_KIND_PAD},   {"Warm Pad", SM_KIND_PAD},   {"SOLO SAX", SM_KIND_LEAD},
        {"BASS+PAD", SM_KIND_MANY},   {"Clavinet", SM_KIND_KEYS},  {"CLAVES", SM_KIND_PERC},
        {"LASER FX", SM_KIND_FX},     {"TOM 1", SM_KIND_PERC},     {"ATOM", SM_KIND_NONE},
        {"BRASS   1", SM_KIND_NONE},  {"", SM_KIND_NONE},          {"GLOCKEN", SM_KIND_BELL},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (sm_kind_of_name(cases[i].name) != cases[i].kind)
            print_error("name '%s': kind %d, expected %d\n", cases[i].name,
                        sm_kind_of_name(cases[i].name), cases[i].kind);
        assert_int_equal(sm_kind_of_name(cases[i].name), cases[i].kind);
    }
    assert_int_equal(sm_kind_of_name(NULL), SM_KIND_NONE);
    assert_int_equal(sm_kind_find("BELL"), SM_KIND_BELL);
    assert_int_equal(sm_kind_find("tuba"), SM_KIND_NONE);
    assert_string_equal(sm_kind_name(SM_KIND_FX), "fx");
    assert_string_equal(sm_kind_name(SM_KIND_NONE), "any");
    assert_true(sm_kind_pitched(SM_KIND_BASS) && !sm_kind_pitched(SM_KIND_BELL));
}

/* Seven Gaussian kinds with known means in feature space: the classifier finds them. */
static void test_classifier(void **state)
{
    enum { PER = 200, M = SM_VOICE_NFEAT };
    double *feat = malloc(SM_KIND_N * PER * M * sizeof *feat), post[SM_KIND_N], mean[M];
    int *label = malloc(SM_KIND_N * PER * sizeof *label), k, j;
    size_t conf[SM_KIND_N * SM_KIND_N], i;
    sm_kind_classifier c;
    sm_error err = {0};
    sm_rng rng;
    (void)state;
    sm_rng_init(&rng, 3, 0);
    for (k = 0; k < SM_KIND_N; k++)
        for (i = 0; i < PER; i++) {
            size_t r = (size_t)k * PER + i;
            label[r] = k;
            for (j = 0; j < M; j++) feat[r * M + j] = (j == k ? 4.0 : 0.0) + sm_rng_normal(&rng);
        }
    assert_int_equal(sm_kind_classifier_fit(&c, feat, label, SM_KIND_N * PER, 0.5, &err), 0);
    for (k = 0; k < SM_KIND_N; k++) {
        double s = 0;
        for (j = 0; j < M; j++) mean[j] = j == k ? 4.0 : 0.0;
        assert_int_equal(sm_kind_classify(&c, mean, post), k);
        for (j = 0; j < SM_KIND_N; j++) s += post[j];
        assert_close(s, 1, 1e-12);
        assert_true(post[k] > 0.99);
        assert_close(c.mean[k][k], 4.0, 0.25);
        assert_int_equal(c.n_train[k], PER);
    }
    /* two-fold cross-validation: nearly all on the diagonal (the kinds are 4 sd apart) */
    assert_int_equal(sm_kind_cross_validate(feat, label, SM_KIND_N * PER, 0.5, conf, &err), 0);
    {
        size_t right = 0, total = 0;
        for (k = 0; k < SM_KIND_N; k++)
            for (j = 0; j < SM_KIND_N; j++) {
                total += conf[k * SM_KIND_N + j];
                right += k == j ? conf[k * SM_KIND_N + j] : 0;
            }
        assert_int_equal(total, SM_KIND_N * PER);
        assert_true(right >= total * 95 / 100);
    }
    /* too few voices of a kind, bad alpha, non-finite input */
    for (i = 0; i < PER - 5; i++) label[SM_KIND_FX * PER + i] = SM_KIND_NONE;
    assert_int_equal(sm_kind_classifier_fit(&c, feat, label, SM_KIND_N * PER, 0.5, &err),
                     SM_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "fx"));
    assert_int_equal(sm_kind_classifier_fit(&c, feat, label, SM_KIND_N * PER, 2, &err),
                     SM_ERR_RANGE);
    feat[3] = NAN;
    assert_int_equal(sm_kind_classifier_fit(&c, feat, label, SM_KIND_N * PER, 0.5, &err),
                     SM_ERR_NONFINITE);
    free(feat);
    free(label);
}

static void test_random_names(void **state)
{
    sm_voice_name a, b;
    sm_rng r1, r2;
    int k, i;
    (void)state;
    for (k = SM_KIND_NONE; k < SM_KIND_N; k++) {
        sm_rng_init(&r1, 11, (uint64_t)(k + 1));
        sm_rng_init(&r2, 11, (uint64_t)(k + 1));
        for (i = 0; i < 50; i++) {
            size_t j, len;
            sm_kind_random_name(k, &r1, a);
            sm_kind_random_name(k, &r2, b);
            assert_string_equal(a, b);
            len = strlen(a);
            assert_true(len >= 2 && len <= SM_DX7_NAME_LEN);
            for (j = 0; j < len; j++) {
                assert_int_equal(sm_dx7_name_char((unsigned char)a[j]), a[j]);
                assert_false(a[j] >= 'a' && a[j] <= 'z');
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),          cmocka_unit_test(test_descriptors_known),
        cmocka_unit_test(test_garbage_sounds),  cmocka_unit_test(test_garbage_voices),
        cmocka_unit_test(test_kind_names),      cmocka_unit_test(test_classifier),
        cmocka_unit_test(test_random_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
