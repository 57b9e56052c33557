/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_grad.c: exact gradients, checked against central finite differences.
 *
 * The neuron voice (synths/neuron_grad.c): for a loss L = sum_t r_t out_t with fixed random
 * weights r (so dL/dout = r), the reverse-mode gradient of every continuous parameter is
 * compared with (L(p + h) - L(p - h)) / 2h of the double-precision forward render
 * (sm_neuron_render_exact) at random points drawn from fixed seeds: every activation, every
 * filter type, every wave, the moving joystick, the envelope's stages and the nonsmooth paths
 * (saturated clips and rectifiers, the comparator, the mix normalisation, clamped values).
 * Random points keep the feedback moderate (|fb| <= 0.8): a chaotic network's loss is so
 * rough that finite differences only converge below steps of 1e-10 (measured), which says
 * nothing about the gradient. Tolerance: |g - fd| <= 1e-4 (|fd| + 1e-3 max_i |g_i|), with
 * h = 1e-7 of the parameter's range (1e-9 for the oscillator ratios, whose loss curves
 * fastest: the phase moves by t x the change). Where the step crosses a jump of the render
 * (the attack's end, the comparator), the difference is taken again with a tenth of the step,
 * which then does not cross it; at a bound the difference is one-sided (inward).
 *
 * The costs (features/cost_grad.c): value and gradient with respect to the samples, against
 * sm_cost_eval's value and finite differences of the cost itself. */
#include "tests/test_util.h"
#include "core/rng.h"
#include "synths/neuron_internal.h"
#include "features/cost_grad.h"
#include "search/optimizer.h"

#define SR 44100.0
#define N_GRAD 2048

typedef struct {
    int act, filter, wave[3], joy_moves, nn;
    double drive;   /* scales inputs and biases (0: 1); above 1 the clips saturate */
    double mix;     /* scales the mix (0: 1); small values keep sum |mix| below 1 */
} voice_kind;

/* A random point of moderate network weights for kind, from seed. */
static void random_voice(const voice_kind *kind, uint64_t seed, double *p)
{
    const sm_param_space *S = sm_synth_neuron.space;
    sm_rng rng;
    size_t i;
    int k, j;
    double x[P_TOTAL];
    sm_rng_init(&rng, seed, 11);
    for (i = 0; i < S->n; i++) x[i] = sm_rng_uniform(&rng);
    sm_params_decode(S, x, p);
    p[P_N_NEURONS] = kind->nn;
    p[P_OSC_TRACKING] = SM_NEURON_TRACK_NOTE;
    for (i = 0; i < 3; i++) {
        p[P_OSC1_WAVE + 2 * i] = kind->wave[i];
        p[P_OSC1_RATIO + 2 * i] = 0.25 + 3.0 * sm_rng_uniform(&rng);
    }
    p[P_JOY_MOVE] = kind->joy_moves ? 0.2 + 0.5 * sm_rng_uniform(&rng) : 0.0;
    p[P_JOY_RATE] = 1 + 4 * sm_rng_uniform(&rng);
    p[P_FILTER_TYPE] = kind->filter;
    p[P_FILTER_CUTOFF] = 300 + 5000 * sm_rng_uniform(&rng);
    p[P_ENV_ATTACK] = 0.001 + 0.004 * sm_rng_uniform(&rng);
    p[P_ENV_DECAY] = 0.005 + 0.03 * sm_rng_uniform(&rng);
    p[P_ENV_RELEASE] = 0.005 + 0.02 * sm_rng_uniform(&rng);
    for (k = 0; k < SM_NEURON_MAX; k++) {
        const double drive = kind->drive > 0 ? kind->drive : 1.0;
        p[NP(k, N_ACT)] = kind->act;
        p[NP(k, N_BIAS)] = drive * (sm_rng_uniform(&rng) - 0.5);
        if (kind->mix > 0) p[NP(k, N_MIX)] *= kind->mix;
        for (i = 0; i < 3; i++)
            p[NP(k, N_W_OSC1 + (int)i)] = drive * 3.0 * (sm_rng_uniform(&rng) - 0.5);
        for (j = 0; j < SM_NEURON_MAX; j++)
            p[NP(k, N_FB1 + j)] = 1.6 * (sm_rng_uniform(&rng) - 0.5);
        /* away from whole delays, where the interpolation has a corner */
        p[NP(k, N_DELAY)] = floor(p[NP(k, N_DELAY)]) + 0.1 + 0.8 * sm_rng_uniform(&rng);
        if (p[NP(k, N_DELAY)] > 64) p[NP(k, N_DELAY)] = 63.5;
    }
}

static sm_note grad_note(void)
{
    sm_note note = sm_note_default();
    note.note = 57;
    note.gate_s = 0.03; /* the release starts within the 2048 samples */
    note.seed = 5;
    return note;
}

/* The gradient of L = r . out at p, by render_grad. */
static void neuron_gradient(void *st, const double *p, const sm_note *note, const double *r,
                            size_t n, double *g, float *out)
{
    memset(g, 0, P_TOTAL * sizeof *g);
    assert_int_equal(sm_synth_neuron.render_grad(st, p, note, n, out, NULL, NULL), 0);
    assert_int_equal(sm_synth_neuron.render_grad(st, p, note, n, NULL, r, g), 0);
}

/* Central difference of L with respect to parameter i. */
static double neuron_fd(void *st, double *p, size_t i, const sm_note *note, const double *r,
                        size_t n, double h, double *buf)
{
    const sm_param *q = &sm_synth_neuron.space->p[i];
    const double v = p[i];
    double lp, lm, hp = h, hm = h;
    if (v - h < q->min) hm = 0; /* one-sided at a bound: the gradient is the inner one */
    if (v + h > q->max) hp = 0;
    p[i] = v + hp;
    assert_int_equal(sm_neuron_render_exact(st, p, note, buf, n), 0);
    lp = sm_test_dot_loss(buf, r, n);
    p[i] = v - hm;
    assert_int_equal(sm_neuron_render_exact(st, p, note, buf, n), 0);
    lm = sm_test_dot_loss(buf, r, n);
    p[i] = v;
    return (lp - lm) / (hp + hm);
}

/* Checks every continuous parameter of the active neurons at `points` random points of
 * kind; returns the number of (point, parameter) pairs checked with a nonzero gradient. */
static int check_kind(const voice_kind *kind, uint64_t seed, int points)
{
    const sm_param_space *S = sm_synth_neuron.space;
    const size_t n = N_GRAD;
    sm_error err;
    void *st = sm_synth_neuron.alloc(SR, &err);
    double *r = malloc(n * sizeof *r), *buf = malloc(n * sizeof *buf);
    float *out = malloc(n * sizeof *out);
    double p[P_TOTAL], g[P_TOTAL];
    const sm_note note = grad_note();
    int pt, nonzero = 0;
    size_t i, t;
    sm_rng rng;
    assert_non_null(st);
    assert_non_null(r);
    assert_non_null(buf);
    assert_non_null(out);
    sm_rng_init(&rng, seed, 99);
    for (pt = 0; pt < points; pt++) {
        double gmax = 0;
        random_voice(kind, seed * 1000 + (uint64_t)pt, p);
        for (t = 0; t < n; t++) r[t] = sm_rng_uniform(&rng) - 0.5;
        neuron_gradient(st, p, &note, r, n, g, out);
        for (i = 0; i < S->n; i++)
            if (fabs(g[i]) > gmax) gmax = fabs(g[i]);
        for (i = 0; i < S->n; i++) {
            const sm_param *q = &S->p[i];
            double h, fd;
            if (sm_param_is_discrete(q)) {
                assert_true(g[i] == 0.0);
                continue;
            }
            if (i >= (size_t)NP(kind->nn, 0)) { /* neurons that do not run */
                assert_true(g[i] == 0.0);
                continue;
            }
            h = 1e-7 * (q->max - q->min);
            if (i == P_OSC1_RATIO || i == P_OSC2_RATIO || i == P_OSC3_RATIO) h *= 0.01;
            fd = neuron_fd(st, p, i, &note, r, n, h, buf);
            /* a kink within h: the filter table's corners, crossed by a cutoff that the
             * envelope sweeps over octaves (filter_env_oct) in many samples at once, need
             * steps down to 1e-10 of the range before the difference settles */
            {
                double hs = h;
                int tries;
                for (tries = 0; tries < 3 && !(fabs(g[i] - fd) <= 1e-4 * (fabs(fd) + 1e-3 * gmax));
                     tries++)
                    fd = neuron_fd(st, p, i, &note, r, n, hs *= 0.1, buf);
            }
            if (!(fabs(g[i] - fd) <= 1e-4 * (fabs(fd) + 1e-3 * gmax)) && getenv("SM_TEST_DEBUG")) {
                double hh;
                for (hh = h * 100; hh > h * 1e-4; hh *= 0.1)
                    print_message("h %g: fd %.9g\n", hh, neuron_fd(st, p, i, &note, r, n, hh, buf));
            }
            if (!(fabs(g[i] - fd) <= 1e-4 * (fabs(fd) + 1e-3 * gmax)))
                fail_msg("kind act %d filter %d, point %d: %s = %g: gradient %.9g, finite "
                         "difference %.9g", kind->act, kind->filter, pt, q->name, p[i], g[i], fd);
            if (g[i] != 0) nonzero++;
        }
    }
    sm_synth_neuron.free(st);
    free(r);
    free(buf);
    free(out);
    return nonzero;
}

static void test_neuron_tanh_lowpass(void **state)
{
    const voice_kind k = {SM_NEURON_ACT_TANH, SM_NEURON_FILTER_LOWPASS,
                          {SM_NEURON_SINE, SM_NEURON_SAW, SM_NEURON_SQUARE}, 0, 3};
    (void)state;
    assert_true(check_kind(&k, 1, 6) > 6 * 40);
}

static void test_neuron_relu_bandpass(void **state)
{
    const voice_kind k = {SM_NEURON_ACT_RELU, SM_NEURON_FILTER_BANDPASS,
                          {SM_NEURON_TRIANGLE, SM_NEURON_SINE, SM_NEURON_SAW}, 1, 3};
    (void)state;
    assert_true(check_kind(&k, 2, 6) > 6 * 30);
}

static void test_neuron_hardclip_highpass(void **state)
{
    const voice_kind k = {SM_NEURON_ACT_HARDCLIP, SM_NEURON_FILTER_HIGHPASS,
                          {SM_NEURON_SQUARE, SM_NEURON_TRIANGLE, SM_NEURON_SINE}, 1, 2};
    (void)state;
    assert_true(check_kind(&k, 3, 6) > 6 * 25);
}

static void test_neuron_rectcomp_off(void **state)
{
    const voice_kind k = {SM_NEURON_ACT_RECTCOMP, SM_NEURON_FILTER_OFF,
                          {SM_NEURON_SAW, SM_NEURON_SQUARE, SM_NEURON_TRIANGLE}, 0, 3};
    (void)state;
    assert_true(check_kind(&k, 4, 6) > 6 * 25);
}

static void test_neuron_tanh_one_neuron(void **state)
{
    const voice_kind k = {SM_NEURON_ACT_TANH, SM_NEURON_FILTER_LOWPASS,
                          {SM_NEURON_SAW, SM_NEURON_SAW, SM_NEURON_SINE}, 1, 1};
    (void)state;
    assert_true(check_kind(&k, 5, 6) > 6 * 15);
}

/* lowpass24, two filter stages in cascade: the adjoint of both, at random points whose cutoff
 * every neuron drives (random cutmod) and the envelope sweeps (random filter_env_oct), with a
 * random resonance; for tanh, for the rectifier and comparator with a moving joystick, for one
 * neuron, for saturating hard clips, and for a small mix (no normalisation). */
static void test_neuron_lowpass24(void **state)
{
    /* each kind, its random points and the nonzero gradients it must have a point */
    static const struct {
        voice_kind kind;
        int points, nonzero;
    } cases[] = {
        {{SM_NEURON_ACT_TANH, SM_NEURON_FILTER_LOWPASS24,
          {SM_NEURON_SINE, SM_NEURON_SAW, SM_NEURON_SQUARE}, 0, 3, 0, 0}, 6, 40},
        {{SM_NEURON_ACT_RECTCOMP, SM_NEURON_FILTER_LOWPASS24,
          {SM_NEURON_TRIANGLE, SM_NEURON_SINE, SM_NEURON_SAW}, 1, 2, 0, 0}, 4, 25},
        {{SM_NEURON_ACT_TANH, SM_NEURON_FILTER_LOWPASS24,
          {SM_NEURON_SAW, SM_NEURON_SAW, SM_NEURON_SINE}, 1, 1, 0, 0}, 4, 15},
        {{SM_NEURON_ACT_HARDCLIP, SM_NEURON_FILTER_LOWPASS24,
          {SM_NEURON_SINE, SM_NEURON_SAW, SM_NEURON_TRIANGLE}, 0, 3, 3.0, 0}, 4, 20},
        {{SM_NEURON_ACT_RELU, SM_NEURON_FILTER_LOWPASS24,
          {SM_NEURON_TRIANGLE, SM_NEURON_SAW, SM_NEURON_SQUARE}, 1, 3, 0, 0.2}, 4, 20},
    };
    size_t c;
    (void)state;
    for (c = 0; c < sizeof cases / sizeof *cases; c++)
        assert_true(check_kind(&cases[c].kind, 41 + c, cases[c].points) >
                    cases[c].points * cases[c].nonzero);
}

/* The low cut (lowcut_hz): its own gradient against central differences at cutoffs across
 * its range, nonzero; at its minimum it is off and gets 0. (check_kind's random points have
 * it on, drawn over 5..2000 Hz, so every other parameter is checked through it as well.) */
static void test_neuron_lowcut(void **state)
{
    const voice_kind k = {SM_NEURON_ACT_TANH, SM_NEURON_FILTER_LOWPASS,
                          {SM_NEURON_SAW, SM_NEURON_SINE, SM_NEURON_SQUARE}, 0, 2};
    const double cutoffs[] = {20, 150, 900};
    const size_t n = N_GRAD;
    const sm_note note = grad_note();
    sm_error err;
    void *st = sm_synth_neuron.alloc(SR, &err);
    double *r = malloc(n * sizeof *r), *buf = malloc(n * sizeof *buf);
    float *out = malloc(n * sizeof *out);
    double p[P_TOTAL], g[P_TOTAL];
    const sm_param *q = &sm_synth_neuron.space->p[P_LOWCUT];
    sm_rng rng;
    size_t c, t;
    (void)state;
    assert_non_null(st);
    assert_string_equal(q->name, "lowcut_hz");
    sm_rng_init(&rng, 41, 3);
    for (t = 0; t < n; t++) r[t] = sm_rng_uniform(&rng) - 0.5;
    for (c = 0; c < sizeof cutoffs / sizeof *cutoffs; c++) {
        double fd;
        random_voice(&k, 60 + c, p);
        p[P_LOWCUT] = cutoffs[c];
        neuron_gradient(st, p, &note, r, n, g, out);
        fd = neuron_fd(st, p, P_LOWCUT, &note, r, n, 1e-7 * (q->max - q->min), buf);
        if (!(fabs(g[P_LOWCUT] - fd) <= 1e-5 * fabs(fd)) || g[P_LOWCUT] == 0)
            fail_msg("lowcut %g Hz: gradient %.9g, finite difference %.9g", cutoffs[c],
                     g[P_LOWCUT], fd);
    }
    p[P_LOWCUT] = q->min;
    neuron_gradient(st, p, &note, r, n, g, out);
    assert_true(g[P_LOWCUT] == 0.0);
    sm_synth_neuron.free(st);
    free(r);
    free(buf);
    free(out);
}

/* Saturating clips: inputs and biases three times larger, so hardclip and relu spend much of
 * the note at their bounds (slope 0 there) and cross them often. */
static void test_neuron_saturated_clips(void **state)
{
    const voice_kind a = {SM_NEURON_ACT_HARDCLIP, SM_NEURON_FILTER_LOWPASS,
                          {SM_NEURON_SINE, SM_NEURON_SAW, SM_NEURON_TRIANGLE}, 0, 3, 3.0, 0};
    const voice_kind b = {SM_NEURON_ACT_RELU, SM_NEURON_FILTER_OFF,
                          {SM_NEURON_SQUARE, SM_NEURON_SINE, SM_NEURON_SAW}, 1, 2, 3.0, 0};
    const voice_kind c = {SM_NEURON_ACT_RECTCOMP, SM_NEURON_FILTER_BANDPASS,
                          {SM_NEURON_SINE, SM_NEURON_SINE, SM_NEURON_SQUARE}, 0, 3, 3.0, 0};
    (void)state;
    assert_true(check_kind(&a, 6, 4) > 4 * 20);
    assert_true(check_kind(&b, 7, 4) > 4 * 15);
    assert_true(check_kind(&c, 8, 4) > 4 * 20);
}

/* The mix without its normalisation (sum |mix| below 1). */
static void test_neuron_small_mix(void **state)
{
    const voice_kind k = {SM_NEURON_ACT_TANH, SM_NEURON_FILTER_HIGHPASS,
                          {SM_NEURON_TRIANGLE, SM_NEURON_SAW, SM_NEURON_SQUARE}, 1, 3, 0, 0.2};
    (void)state;
    assert_true(check_kind(&k, 9, 4) > 4 * 30);
}

/* The rules for the parameters without a derivative: discrete ones, the comparator's
 * threshold, values clamped into range, neurons that do not run; and the gradient adds to
 * what dl_dnative holds. */
static void test_neuron_zero_rules(void **state)
{
    const sm_param_space *S = sm_synth_neuron.space;
    const voice_kind kind = {SM_NEURON_ACT_RECTCOMP, SM_NEURON_FILTER_LOWPASS,
                             {SM_NEURON_SINE, SM_NEURON_SAW, SM_NEURON_SQUARE}, 1, 2, 0, 0};
    const sm_note note = grad_note();
    const size_t n = N_GRAD;
    sm_error err;
    void *st = sm_synth_neuron.alloc(SR, &err);
    double p[P_TOTAL], g[P_TOTAL], g2[P_TOTAL], r[N_GRAD];
    float out[N_GRAD];
    size_t i, t;
    (void)state;
    assert_non_null(st);
    random_voice(&kind, 21, p);
    for (t = 0; t < n; t++) r[t] = sin(0.01 * (double)t);
    neuron_gradient(st, p, &note, r, n, g, out);
    for (i = 0; i < S->n; i++) {
        if (sm_param_is_discrete(&S->p[i]) || i >= (size_t)NP(2, 0)) assert_true(g[i] == 0.0);
    }
    assert_true(g[NP(0, N_THRESH)] == 0.0 && g[NP(1, N_THRESH)] == 0.0);
    assert_true(g[NP(0, N_SPIKE)] != 0.0);
    /* a weight asked above its range is clamped: its gradient is 0, the others unchanged */
    p[NP(0, N_W_OSC1)] = 9.0;
    neuron_gradient(st, p, &note, r, n, g2, out);
    assert_true(g2[NP(0, N_W_OSC1)] == 0.0);
    assert_true(g2[NP(0, N_BIAS)] != 0.0);
    /* the backward call adds */
    for (i = 0; i < S->n; i++) g2[i] = 1.0;
    p[NP(0, N_W_OSC1)] = 1.0;
    assert_int_equal(sm_synth_neuron.render_grad(st, p, &note, n, out, NULL, NULL), 0);
    assert_int_equal(sm_synth_neuron.render_grad(st, p, &note, n, NULL, r, g2), 0);
    neuron_gradient(st, p, &note, r, n, g, out);
    for (i = 0; i < S->n; i++) assert_close(g2[i], 1.0 + g[i], 1e-12 * (1 + fabs(g[i])));
    /* bad calls */
    assert_int_equal(sm_synth_neuron.render_grad(st, p, &note, n + 1, NULL, r, g2), SM_ERR_ARG);
    assert_int_equal(sm_synth_neuron.render_grad(st, p, &note, n, out, r, g2), SM_ERR_ARG);
    assert_int_equal(sm_synth_neuron.render_grad(NULL, p, &note, n, out, NULL, NULL), SM_ERR_ARG);
    sm_synth_neuron.free(st);
}

/* The gradient's forward render against render: the differences neuron_grad.c documents
 * (double precision, exact phase increments, sin() for the table). Measured: the default
 * voice (two neurons with feedback, 1.5 s) and moderate random voices. */
static void test_neuron_forward_matches_render(void **state)
{
    const sm_param_space *S = sm_synth_neuron.space;
    const sm_note note = sm_note_default();
    const size_t n = (size_t)(1.5 * SR);
    sm_error err;
    void *st = sm_synth_neuron.alloc(SR, &err);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    double p[P_TOTAL], worst = 0;
    size_t t;
    int pt;
    (void)state;
    assert_non_null(st);
    assert_non_null(a);
    assert_non_null(b);
    sm_params_defaults(S, p);
    assert_int_equal(sm_synth_neuron.render(st, p, &note, a, n), 0);
    assert_int_equal(sm_synth_neuron.render_grad(st, p, &note, n, b, NULL, NULL), 0);
    for (t = 0; t < n; t++) worst = fmax(worst, fabs((double)a[t] - b[t]));
    print_message("default voice, 1.5 s: largest difference %.3g\n", worst);
    assert_true(worst < 2e-3);
    for (pt = 0; pt < 6; pt++) {
        const voice_kind kind = {pt % 4, (pt + 1) % 4,
                                 {pt % 4, (pt + 1) % 4, (pt + 2) % 4}, pt % 2, 1 + pt % 3, 0, 0};
        random_voice(&kind, 300 + (uint64_t)pt, p);
        assert_int_equal(sm_synth_neuron.render(st, p, &note, a, n), 0);
        assert_int_equal(sm_synth_neuron.render_grad(st, p, &note, n, b, NULL, NULL), 0);
        worst = 0;
        for (t = 0; t < n; t++) worst = fmax(worst, fabs((double)a[t] - b[t]));
        print_message("random voice %d, 1.5 s: largest difference %.3g\n", pt, worst);
        assert_true(worst < 2e-3);
    }
    /* lowpass24: the default voice and random ones, against sm_neuron_render_exact, the
     * resonance held at 0.8 at most (damping 0.45). The second stage hears the first one's
     * resonant peak, so both stages' gain at resonance, up to 1/k each, multiplies the
     * difference the network and the first stage leave: measured, a random voice at res 0.99
     * (1/k = 12.6) differed by 3.7e-4 through lowpass and 3.6e-3 through lowpass24. No
     * comparator (rectcomp) here: a spike that the two renders' last-bit differences move by
     * one sample at a threshold crossing is a difference of the spike's height at that sample
     * (measured 0.09 on one such voice, with the low cut on or off), which says nothing about
     * the filter. */
    {
        double *ex = malloc(n * sizeof *ex);
        assert_non_null(ex);
        for (pt = 0; pt < 5; pt++) {
            const voice_kind kind = {pt % 3, SM_NEURON_FILTER_LOWPASS24,
                                     {pt % 4, (pt + 1) % 4, (pt + 2) % 4}, pt % 2, 1 + pt % 3,
                                     0, 0};
            if (pt == 0) sm_params_defaults(S, p);
            else random_voice(&kind, 400 + (uint64_t)pt, p);
            p[P_FILTER_TYPE] = SM_NEURON_FILTER_LOWPASS24;
            if (p[P_FILTER_RES] > 0.8) p[P_FILTER_RES] = 0.8;
            assert_int_equal(sm_synth_neuron.render(st, p, &note, a, n), 0);
            assert_int_equal(sm_neuron_render_exact(st, p, &note, ex, n), 0);
            worst = 0;
            for (t = 0; t < n; t++) worst = fmax(worst, fabs((double)a[t] - ex[t]));
            print_message("lowpass24 %s %d, 1.5 s: largest difference %.3g\n",
                          pt ? "random voice" : "default voice", pt, worst);
            assert_true(worst < 2e-3);
        }
        free(ex);
    }
    sm_synth_neuron.free(st);
    free(a);
    free(b);
}

/* The chain rule to normalized coordinates: sm_param_dnative_dx against differences of
 * sm_param_decode1, linear and log-scaled; then a whole gradient in [0,1] coordinates
 * against differences of the loss in them. */
static void test_normalized_chain_rule(void **state)
{
    const sm_param_space *S = sm_synth_neuron.space;
    const voice_kind kind = {SM_NEURON_ACT_TANH, SM_NEURON_FILTER_LOWPASS,
                             {SM_NEURON_SINE, SM_NEURON_SAW, SM_NEURON_SINE}, 1, 2, 0, 0};
    const sm_note note = grad_note();
    const size_t n = N_GRAD;
    static const char *const names[] = {"osc1_ratio", "filter_cutoff_hz", "env_attack_s",
                                        "env_decay_s", "n1_delay", "n1_bias", "n2_mix",
                                        "joy_rate_hz", "filter_res"};
    sm_error err;
    void *st = sm_synth_neuron.alloc(SR, &err);
    double p[P_TOTAL], x[P_TOTAL], g[P_TOTAL], r[N_GRAD], buf[N_GRAD];
    float out[N_GRAD];
    size_t i, t, c;
    (void)state;
    assert_non_null(st);
    for (i = 0; i < S->n; i++) {
        const sm_param *q = &S->p[i];
        const double xs[] = {0.1, 0.5, 0.9};
        for (c = 0; c < 3; c++) {
            const double h = 1e-6;
            const double fd =
                (sm_param_decode1(q, xs[c] + h) - sm_param_decode1(q, xs[c] - h)) / (2 * h);
            if (sm_param_is_discrete(q)) assert_true(sm_param_dnative_dx(q, xs[c]) == 0.0);
            else assert_close(sm_param_dnative_dx(q, xs[c]), fd, 1e-6 * (1 + fabs(fd)));
        }
    }
    random_voice(&kind, 31, p);
    sm_params_encode(S, p, x);
    sm_params_decode(S, x, p);
    for (t = 0; t < n; t++) r[t] = cos(0.003 * (double)t * (double)t / 100.0);
    neuron_gradient(st, p, &note, r, n, g, out);
    for (c = 0; c < sizeof names / sizeof *names; c++) {
        const int j = sm_params_find(S, names[c]);
        const double h = 1e-8, v = x[j];
        double gx, lp, lm, fd;
        assert_true(j >= 0);
        gx = g[j] * sm_param_dnative_dx(&S->p[j], x[j]);
        x[j] = v + h;
        sm_params_decode(S, x, p);
        assert_int_equal(sm_neuron_render_exact(st, p, &note, buf, n), 0);
        lp = sm_test_dot_loss(buf, r, n);
        x[j] = v - h;
        sm_params_decode(S, x, p);
        assert_int_equal(sm_neuron_render_exact(st, p, &note, buf, n), 0);
        lm = sm_test_dot_loss(buf, r, n);
        x[j] = v;
        sm_params_decode(S, x, p);
        fd = (lp - lm) / (2 * h);
        if (!(fabs(gx - fd) <= 1e-4 * (fabs(fd) + 1e-2)))
            fail_msg("%s at x = %g: gradient %.9g in [0,1] units, difference %.9g", names[c],
                     v, gx, fd);
    }
    sm_synth_neuron.free(st);
}

/* ---- costs ----------------------------------------------------------------------------- */

#define N_COST 6000

/* A target: a decaying harmonic tone with a little noise; a candidate: another tone, its
 * attack later, a release to silence (so log-mel entries sit on the 80 dB floor). */
static void cost_signals(float *target, float *cand, size_t n, uint64_t seed)
{
    sm_rng rng;
    size_t t;
    sm_rng_init(&rng, seed, 5);
    for (t = 0; t < n; t++) {
        const double s = (double)t / SR;
        const double rise = t < 300 ? (double)t / 300 : 1.0;
        const double env_c = rise * (t < 4500 ? 1.0 : exp(-(double)(t - 4500) / 60.0));
        const double tone_t = sin(2 * M_PI * 220 * s) + 0.4 * sin(2 * M_PI * 660 * s);
        const double tone_c = sin(2 * M_PI * 233 * s + 0.3) + 0.7 * sin(2 * M_PI * 466 * s) +
                              0.2 * sin(2 * M_PI * 1800 * s);
        target[t] = (float)(0.5 * exp(-3 * s) * tone_t + 0.01 * (sm_rng_uniform(&rng) - 0.5));
        cand[t] = (float)(0.3 * env_c * tone_c + 0.02 * (sm_rng_uniform(&rng) - 0.5));
    }
}

/* The configurations checked: each term alone, and the matching preset (gain normalisation,
 * level with its free zone, two log-mel scales). */
static sm_cost_config cost_case(int which)
{
    sm_cost_config c = sm_cost_config_default(SR);
    c.w_mfcc = 0;
    switch (which) {
    case 0: c.w_mss = 1; break;
    case 1: c.w_loudness = 1; break;
    case 2: c.w_level = 1; break;
    case 3: c.w_logmel = 1; c.logmel = sm_logmel_settings_default(); break; /* MEASURES.md's */
    case 4: c = sm_cost_config_match(SR); c.level_free_db = 0; break;
    case 5: c.w_mss = 1; c.w_loudness = 0.1; c.normalize_gain = 1; c.w_level = 0.5; break;
    case 6: c.w_mfcc = 1; break; /* the default cost: librosa's MFCC */
    default: c.w_mfcc = 1; c.normalize_gain = 1; c.w_level = 0.3; break;
    }
    return c;
}

#define N_COST_CASES 8
static const char *const cost_case_name[N_COST_CASES] = {
    "mss", "loudness", "level", "logmel (MEASURES.md)", "match preset",
    "mss+loudness, gain normalised", "mfcc (the default cost)", "mfcc, gain normalised, level"};

/* Each cost: its value against sm_cost_eval's, and its gradient against central differences
 * at 60 random samples (step 1e-5, taken as the float values' actual difference; where it
 * crosses a kink of one of the absolute values, measured to happen, again with 1e-6).
 * Tolerance |g - fd| <= 2e-3 |fd| + 2e-3 max |g|: the steps cross the kinks of the absolute
 * values of a few of thousands of entries, which moves a difference by a few 1e-4 of the
 * largest gradient. */
static void test_costs(void **state)
{
    const size_t n = N_COST;
    float *tg = malloc(n * sizeof *tg), *x = malloc(n * sizeof *x);
    double *grad = malloc(n * sizeof *grad);
    int which;
    (void)state;
    assert_non_null(tg);
    assert_non_null(x);
    assert_non_null(grad);
    cost_signals(tg, x, n, 3);
    for (which = 0; which < N_COST_CASES; which++) {
        const sm_cost_config cfg = cost_case(which);
        sm_error err = {0, ""};
        sm_cost_target *ct = sm_cost_target_alloc(&cfg, tg, n, &err);
        sm_cost *cc = sm_cost_alloc(ct, &err);
        sm_cost_grad *g = sm_cost_grad_alloc(&cfg, tg, n, &err);
        double v, ref, gmax = 0;
        sm_rng rng;
        int j, checked = 0;
        if (!g) fail_msg("%s: %s", cost_case_name[which], err.msg);
        assert_non_null(ct);
        assert_non_null(cc);
        assert_int_equal(sm_cost_grad_samples(g), n);
        ref = sm_cost_eval(cc, x, n);
        v = sm_cost_grad_eval(g, x, n, grad);
        print_message("%s: cost %.9g, sm_cost_eval %.9g\n", cost_case_name[which], v, ref);
        assert_close(v, ref, 1e-5 * (1 + fabs(ref)));
        assert_close(sm_cost_grad_eval(g, x, n, NULL), v, 1e-12 * (1 + fabs(v)));
        /* the target against itself: 0 */
        assert_close(sm_cost_grad_eval(g, tg, n, NULL), 0.0, 1e-9);
        for (j = 0; j < (int)n; j++) gmax = fmax(gmax, fabs(grad[j]));
        assert_true(gmax > 0);
        sm_rng_init(&rng, 40 + (uint64_t)which, 1);
        for (j = 0; j < 60; j++) {
            const size_t i = (size_t)(sm_rng_uniform(&rng) * (double)(n - 1));
            const float v0 = x[i], xp = v0 + 1e-5f, xm = v0 - 1e-5f;
            double lp, lm, fd;
            x[i] = xp;
            lp = sm_cost_grad_eval(g, x, n, NULL);
            x[i] = xm;
            lm = sm_cost_grad_eval(g, x, n, NULL);
            x[i] = v0;
            fd = (lp - lm) / ((double)xp - (double)xm);
            if (!(fabs(grad[i] - fd) <= 2e-3 * fabs(fd) + 2e-3 * gmax)) {
                /* the step crossed a kink (a sign change of some |a - b|): a tenth of it */
                const float xp2 = v0 + 1e-6f, xm2 = v0 - 1e-6f;
                x[i] = xp2;
                lp = sm_cost_grad_eval(g, x, n, NULL);
                x[i] = xm2;
                lm = sm_cost_grad_eval(g, x, n, NULL);
                x[i] = v0;
                fd = (lp - lm) / ((double)xp2 - (double)xm2);
            }
            if (!(fabs(grad[i] - fd) <= 2e-3 * fabs(fd) + 2e-3 * gmax) && getenv("SM_TEST_DEBUG")) {
                float hh;
                for (hh = 1e-3f; hh > 1e-8f; hh *= 0.1f) {
                    const float a = v0 + hh, b = v0 - hh;
                    double la, lb;
                    x[i] = a; la = sm_cost_grad_eval(g, x, n, NULL);
                    x[i] = b; lb = sm_cost_grad_eval(g, x, n, NULL);
                    x[i] = v0;
                    print_message("h %g: %.9g\n", (double)hh, (la - lb) / ((double)a - (double)b));
                }
            }
            if (!(fabs(grad[i] - fd) <= 2e-3 * fabs(fd) + 2e-3 * gmax))
                fail_msg("%s: sample %zu: gradient %.9g, difference %.9g (largest |g| %.3g)",
                         cost_case_name[which], i, grad[i], fd, gmax);
            checked++;
        }
        assert_int_equal(checked, 60);
        /* a shorter candidate: its missing samples are zeros, its gradient covers it */
        v = sm_cost_grad_eval(g, x, n / 2, grad);
        assert_close(v, sm_cost_eval(cc, x, n / 2), 1e-5 * (1 + fabs(v)));
        sm_cost_grad_free(g);
        sm_cost_free(cc);
        sm_cost_target_free(ct);
    }
    free(tg);
    free(x);
    free(grad);
}

/* A few plain gradient steps on the samples lower each cost: the gradient points uphill. */
static void test_cost_descent(void **state)
{
    const size_t n = N_COST;
    float *tg = malloc(n * sizeof *tg), *x = malloc(n * sizeof *x);
    double *grad = malloc(n * sizeof *grad);
    int which, step;
    (void)state;
    cost_signals(tg, x, n, 4);
    for (which = 0; which < N_COST_CASES; which++) {
        const sm_cost_config cfg = cost_case(which);
        sm_cost_grad *g = sm_cost_grad_alloc(&cfg, tg, n, NULL);
        double v0, v = 0, gn = 0;
        size_t i;
        float *y = malloc(n * sizeof *y);
        assert_non_null(g);
        memcpy(y, x, n * sizeof *y);
        v0 = sm_cost_grad_eval(g, y, n, grad);
        for (step = 0; step < 5; step++) {
            gn = 0;
            for (i = 0; i < n; i++) gn += grad[i] * grad[i];
            for (i = 0; i < n; i++) y[i] -= (float)(0.02 * v0 * grad[i] / (gn + 1e-300));
            v = sm_cost_grad_eval(g, y, n, grad);
        }
        print_message("%s: %.6g -> %.6g after 5 steps\n", cost_case_name[which], v0, v);
        assert_true(v < v0);
        sm_cost_grad_free(g);
        free(y);
    }
    free(tg);
    free(x);
    free(grad);
}

/* What has no gradient is refused, naming the term; bad input. */
static void test_cost_grad_refusals(void **state)
{
    sm_cost_config c = sm_cost_config_default(SR);
    char why[32];
    sm_error err = {0, ""};
    float tg[4096], silent[4096] = {0};
    double grad[4096];
    size_t i;
    (void)state;
    for (i = 0; i < 4096; i++) tg[i] = (float)sin(0.05 * (double)i);
    assert_int_equal(sm_cost_grad_supported(&c, NULL, 0), 1); /* the default MFCC cost */
    {
        /* a silent candidate: the MFCC distance to a matrix all at the power floor (-100 dB),
         * as sm_cost_eval has it, and no gradient */
        sm_cost_target *ct = sm_cost_target_alloc(&c, tg, 4096, &err);
        sm_cost *cc = sm_cost_alloc(ct, &err);
        sm_cost_grad *g = sm_cost_grad_alloc(&c, tg, 4096, &err);
        double v;
        assert_non_null(g);
        assert_non_null(cc);
        v = sm_cost_grad_eval(g, silent, 4096, grad);
        assert_true(v > 10);
        assert_close(v, sm_cost_eval(cc, silent, 4096), 1e-6 * v);
        for (i = 0; i < 4096; i++) assert_true(grad[i] == 0.0);
        sm_cost_grad_free(g);
        sm_cost_free(cc);
        sm_cost_target_free(ct);
    }
    {
        /* uncentred frames: the same value as sm_cost_eval, and too short a target refused
         * with its message */
        sm_cost_target *ct;
        sm_cost *cc;
        sm_cost_grad *g;
        float cand[4096];
        for (i = 0; i < 4096; i++) cand[i] = (float)sin(0.07 * (double)i);
        c.mfcc.center = 0;
        ct = sm_cost_target_alloc(&c, tg, 4096, &err);
        cc = sm_cost_alloc(ct, &err);
        g = sm_cost_grad_alloc(&c, tg, 4096, &err);
        assert_non_null(cc);
        assert_non_null(g);
        assert_close(sm_cost_grad_eval(g, cand, 4096, grad), sm_cost_eval(cc, cand, 4096),
                     1e-6 * sm_cost_eval(cc, cand, 4096));
        sm_cost_grad_free(g);
        sm_cost_free(cc);
        sm_cost_target_free(ct);
        sm_error_clear(&err);
        assert_null(sm_cost_grad_alloc(&c, tg, 1000, &err));
        assert_non_null(strstr(err.msg, "1000 samples are shorter than one frame"));
        c.mfcc.center = 1;
    }
    c.mfcc.n_mels = 300; /* more bands than the gradient's tables hold */
    c.mfcc.n_fft = 4096;
    assert_int_equal(sm_cost_grad_supported(&c, why, sizeof why), 0);
    assert_string_equal(why, "mfcc");
    assert_null(sm_cost_grad_alloc(&c, tg, 4096, &err));
    assert_int_equal(err.code, SM_ERR_CONFIG);
    c = sm_cost_config_default(SR);
    c.w_mfcc = 0;
    c.w_pitch = 1;
    assert_int_equal(sm_cost_grad_supported(&c, why, sizeof why), 0);
    assert_string_equal(why, "pitch");
    c.w_pitch = 0;
    c.w_logmel = 1;
    assert_int_equal(sm_cost_grad_supported(&c, NULL, 0), 1);
    assert_null(sm_cost_grad_alloc(&c, silent, 4096, &err));
    assert_int_equal(err.code, SM_ERR_EMPTY);
    {
        sm_cost_grad *g = sm_cost_grad_alloc(&c, tg, 4096, &err);
        assert_non_null(g);
        /* a silent candidate: the floor's constant cost, no gradient */
        assert_close(sm_cost_grad_eval(g, silent, 4096, grad), 80.0, 1e-12);
        for (i = 0; i < 4096; i++) assert_true(grad[i] == 0.0);
        silent[7] = NAN;
        assert_true(isnan(sm_cost_grad_eval(g, silent, 4096, grad)));
        assert_true(isnan(sm_cost_grad_eval(NULL, tg, 4096, grad)));
        sm_cost_grad_free(g);
    }
    sm_cost_grad_free(NULL);
}

/* ---- optimizers with exact gradients -------------------------------------------------- */

/* Test functions on [0,1]^d with their gradients: a shifted sphere (minimum 0 at
 * x_j = 0.3 + 0.04 j) and Rosenbrock's function on u = 4x - 2 (minimum 0 at x = 0.75). */
typedef struct {
    int rosen;
    long evals;
} fn_ctx;

static double fn_value(const fn_ctx *c, const double *x, size_t d, double *g)
{
    double f = 0;
    size_t j;
    if (g) memset(g, 0, d * sizeof *g);
    if (c->rosen == 2) { /* a double well in each coordinate: the deeper at x = 0.19, the
                          * other at 0.69, next to the centre; the minimum is about -1.86 */
        for (j = 0; j < d; j++) {
            const double u = 4 * (x[j] - 0.45), w = u * u - 1;
            f += w * w + 0.3 * u;
            if (g) g[j] = 4 * (4 * u * w + 0.3);
        }
        return f;
    }
    if (!c->rosen) {
        for (j = 0; j < d; j++) {
            const double e = x[j] - (0.3 + 0.04 * (double)j);
            f += e * e;
            if (g) g[j] = 2 * e;
        }
        return f;
    }
    for (j = 0; j + 1 < d; j++) {
        const double u = 4 * x[j] - 2, v = 4 * x[j + 1] - 2, a = v - u * u, b = 1 - u;
        f += 100 * a * a + b * b;
        if (g) {
            g[j] += 4 * (-400 * a * u - 2 * b);
            g[j + 1] += 4 * (200 * a);
        }
    }
    return f;
}

static int fn_score(void *ctx, const double *x, size_t k, size_t d, double *cost)
{
    fn_ctx *c = ctx;
    size_t i;
    for (i = 0; i < k; i++) cost[i] = fn_value(c, x + i * d, d, NULL);
    c->evals += (long)k;
    return 0;
}

static int fn_score_grad(void *ctx, const double *x, size_t k, size_t d, double *cost,
                         double *grad)
{
    fn_ctx *c = ctx;
    size_t i;
    for (i = 0; i < k; i++) cost[i] = fn_value(c, x + i * d, d, grad + i * d);
    c->evals += (long)k;
    return 0;
}

#define FN_DIM 6
#define FN_REAL(name) {name, "", SM_PARAM_REAL, 0, 1, 0.5, 0, NULL, 0}
static const sm_param fn_params[FN_DIM] = {FN_REAL("a"), FN_REAL("b"), FN_REAL("c"),
                                           FN_REAL("d"), FN_REAL("e"), FN_REAL("f")};
static const sm_param_space fn_space = {FN_DIM, fn_params};

static double minimize_fn(const char *name, int rosen, int exact, size_t budget, size_t batch,
                          uint64_t seed, long *used)
{
    const sm_optimizer_type *T = sm_optimizer_find(name);
    sm_opt_config cfg;
    fn_ctx c = {rosen, 0};
    double best_x[FN_DIM], best = INFINITY;
    sm_error err = {0, ""};
    long n;
    assert_non_null(T);
    memset(&cfg, 0, sizeof cfg);
    cfg.budget = budget;
    n = exact ? sm_minimize_grad(T, &fn_space, &cfg, seed, batch, fn_score_grad, &c, best_x,
                                 &best, &err)
              : sm_minimize(T, &fn_space, &cfg, seed, batch, fn_score, &c, best_x, &best, &err);
    if (n < 0) fail_msg("%s: %s", name, err.msg);
    if (used) *used = n;
    assert_int_equal(n, c.evals);
    return best;
}

/* gd and lbfgs with exact gradients on the sphere and Rosenbrock's function (6 dimensions),
 * against themselves with finite differences at the same budget: with exact gradients an
 * iteration costs one evaluation instead of 13. Tolerances: the values measured, with room. */
static void test_optimizers_exact(void **state)
{
    static const char *const names[] = {"gd", "lbfgs"};
    size_t i;
    (void)state;
    for (i = 0; i < 2; i++) {
        long used;
        const double se = minimize_fn(names[i], 0, 1, 300, 8, 1, &used);
        const double sf = minimize_fn(names[i], 0, 0, 300, 8, 1, NULL);
        const double re = minimize_fn(names[i], 1, 1, 3000, 8, 1, NULL);
        const double rf = minimize_fn(names[i], 1, 0, 3000, 8, 1, NULL);
        print_message("%-5s sphere: exact %.3g, differences %.3g (300 evaluations); rosenbrock: "
                      "exact %.3g, differences %.3g (3000)\n", names[i], se, sf, re, rf);
        assert_int_equal(used, 300);
        assert_true(se < 1e-6);
        assert_true(se <= sf);
        assert_true(re < 0.05);
        assert_true(re <= rf);
    }
    /* the same run whatever the caller's batch size, and for the same seed */
    assert_true(minimize_fn("lbfgs", 1, 1, 500, 1, 7, NULL) ==
                minimize_fn("lbfgs", 1, 1, 500, 64, 7, NULL));
    assert_true(minimize_fn("lbfgs", 1, 0, 500, 3, 7, NULL) ==
                minimize_fn("lbfgs", 1, 0, 500, 64, 7, NULL));
    /* lbfgs stopped early (the driver frees it mid-line-search) leaks and hangs nothing */
    assert_true(minimize_fn("lbfgs", 1, 1, 5, 8, 2, NULL) < INFINITY);
}

/* gd's chains: K descents from different starts asked together. Run with settings (name =
 * value pairs, n of them) on the sphere or Rosenbrock's function with exact gradients or
 * finite differences; returns the best cost. */
static double gd_chains_fn(const char *chains, int rosen, int exact, size_t budget, size_t batch,
                           uint64_t seed)
{
    sm_opt_setting set = {"chains", chains, 1};
    sm_opt_config cfg;
    fn_ctx c = {rosen, 0};
    double best_x[FN_DIM], best = INFINITY;
    sm_error err = {0, ""};
    long n;
    memset(&cfg, 0, sizeof cfg);
    cfg.budget = budget;
    cfg.settings = chains ? &set : NULL;
    cfg.n_settings = chains ? 1 : 0;
    n = exact ? sm_minimize_grad(&sm_optimizer_gd, &fn_space, &cfg, seed, batch, fn_score_grad,
                                 &c, best_x, &best, &err)
              : sm_minimize(&sm_optimizer_gd, &fn_space, &cfg, seed, batch, fn_score, &c, best_x,
                            &best, &err);
    if (n < 0) fail_msg("gd chains = %s: %s", chains ? chains : "(default)", err.msg);
    assert_int_equal(n, (long)budget); /* the budget used exactly, partial last batch too */
    assert_int_equal(n, c.evals);
    return best;
}

/* chains = 1 is the single descent, point for point; K chains descend on the sphere and on
 * Rosenbrock's function with exact gradients and with differences, to the values measured
 * (with room); and a run is the same at any caller's batch size (the runner scores a batch on
 * its threads in pieces of any size). */
static void test_gd_chains(void **state)
{
    double s1, s4, r4, f4;
    (void)state;
    assert_true(gd_chains_fn(NULL, 1, 1, 1000, 8, 3) == gd_chains_fn("1", 1, 1, 1000, 8, 3));
    assert_true(gd_chains_fn(NULL, 1, 0, 1000, 8, 3) == gd_chains_fn("1", 1, 0, 1000, 8, 3));
    s1 = gd_chains_fn("1", 0, 1, 300, 8, 1);
    s4 = gd_chains_fn("4", 0, 1, 301, 8, 1);
    r4 = gd_chains_fn("4", 1, 1, 3002, 8, 1);
    f4 = gd_chains_fn("3", 0, 0, 1000, 8, 1);
    print_message("gd chains: sphere 1 chain %.3g, 4 chains %.3g (300 evaluations); rosenbrock 4 "
                  "chains %.3g (3000); sphere, differences, 3 chains %.3g (1000)\n",
                  s1, s4, r4, f4);
    assert_true(s4 < 1e-4);  /* measured 4.0e-6 */
    assert_true(r4 < 1e-3);  /* measured 1.1e-5 */
    assert_true(f4 < 3e-3);  /* measured 2.9e-4 */
    assert_true(gd_chains_fn("4", 1, 1, 999, 1, 5) == gd_chains_fn("4", 1, 1, 999, 3, 5));
    assert_true(gd_chains_fn("4", 1, 1, 999, 64, 5) == gd_chains_fn("4", 1, 1, 999, 3, 5));
    assert_true(gd_chains_fn("2", 1, 0, 999, 5, 5) == gd_chains_fn("2", 1, 0, 999, 64, 5));
}

/* gd with settings (n name = value pairs) on function fn (0 sphere, 1 Rosenbrock, 2 wells)
 * with exact gradients, through the type's own ask/tell_grad (batches of at most `batch`
 * rows): returns the best cost; kseq (if not NULL, room for budget values) receives each ask's
 * size, negated when wants_grad said the points need no gradient; *nk their count. */
static double gd_run_settings(const sm_opt_setting *set, size_t n, int fn, size_t budget,
                              size_t batch, uint64_t seed, long *kseq, size_t *nk)
{
    const sm_optimizer_type *T = &sm_optimizer_gd;
    sm_opt_config cfg;
    fn_ctx c = {fn, 0};
    double *x = malloc(batch * FN_DIM * sizeof *x), *cost = malloc(batch * sizeof *cost);
    double *grad = malloc(batch * FN_DIM * sizeof *grad), best = INFINITY;
    sm_error err = {0, ""};
    size_t used = 0, i, asks = 0;
    void *st;
    assert_non_null(x);
    assert_non_null(cost);
    assert_non_null(grad);
    memset(&cfg, 0, sizeof cfg);
    cfg.budget = budget;
    cfg.settings = set;
    cfg.n_settings = n;
    cfg.exact_grad = 1;
    st = T->alloc(&fn_space, &cfg, seed, &err);
    if (!st) fail_msg("gd: %s", err.msg);
    while (used < budget) {
        const size_t want = budget - used < batch ? budget - used : batch;
        const size_t k = T->ask(st, x, want);
        int wants;
        if (k == 0) break;
        assert_true(k <= want);
        wants = T->wants_grad(st);
        fn_score_grad(&c, x, k, FN_DIM, cost, grad);
        for (i = 0; i < k; i++)
            if (cost[i] < best) best = cost[i];
        if (kseq) kseq[asks] = wants ? (long)k : -(long)k;
        asks++;
        if (wants) T->tell_grad(st, x, cost, grad, k);
        else T->tell(st, x, cost, k);
        used += k;
        if (T->converged(st)) break;
    }
    assert_int_equal(used, budget);
    if (nk) *nk = asks;
    T->free(st);
    free(x);
    free(cost);
    free(grad);
    return best;
}

/* The screening sample and halving: the sample's points are asked first and marked as needing
 * no gradient, then `chains` descents start from its best points and are halved (8, then 4
 * after 10 iterations, then 2 after 20 more: the ask sizes show it). On a function whose
 * minimum next to the centre is not the lowest (two wells in each coordinate), the single
 * descent stops in it; 8 chains halved to 2, with or without the sample, find lower ones
 * (values measured, with room). The run does not depend on the caller's batch size. */
static void test_gd_screen_halving(void **state)
{
    static const sm_opt_setting set[] = {{"screen", "100", 1}, {"chains", "8", 2},
                                         {"keep", "2", 3}, {"halve_after", "10", 4}};
    long kseq[400];
    size_t nk, i;
    double single, multi, screened;
    (void)state;
    screened = gd_run_settings(set, 4, 2, 400, 1000, 1, kseq, &nk);
    assert_int_equal(kseq[0], -100); /* the sample: one batch, costs only */
    for (i = 1; i <= 10; i++) assert_int_equal(kseq[i], 8);
    for (i = 11; i <= 30; i++) assert_int_equal(kseq[i], 4);
    for (i = 31; i < nk; i++) assert_int_equal(kseq[i], 2);
    assert_int_equal(nk, 31 + (400 - 100 - 80 - 80) / 2);
    /* cut into pieces of 7, the sample is asked in 15 asks, the rest as before */
    assert_true(gd_run_settings(set, 4, 2, 400, 7, 1, kseq, &nk) == screened);
    assert_int_equal(kseq[0], -7);
    assert_int_equal(kseq[14], -2);
    assert_int_equal(kseq[15], 7);
    assert_int_equal(kseq[16], 1);
    single = gd_run_settings(NULL, 0, 2, 2000, 8, 1, NULL, NULL);
    multi = gd_run_settings(set + 1, 3, 2, 2000, 8, 1, NULL, NULL);
    screened = gd_run_settings(set, 4, 2, 2000, 8, 1, NULL, NULL);
    print_message("gd on the wells (6 dimensions, 2000 evaluations): 1 chain %.3g, 8 chains "
                  "halved to 2 %.3g, the same after a sample of 100 %.3g\n",
                  single, multi, screened);
    assert_true(single > 1.5);   /* measured 1.76: every coordinate in the well by the centre */
    assert_true(multi < -1.2);   /* measured -1.23: one coordinate left in it */
    assert_true(screened < -1.2); /* measured -1.23 */
    assert_true(gd_run_settings(set, 4, 2, 2000, 3, 1, NULL, NULL) == screened);
}

/* Which chains the halving keeps: four chains on cost = a (slope 1; Adam moves a by lr = 0.05 a
 * step), their starts a = 0.9, 0.3, 0.6, 0.8 and b = 0.1, 0.2, 0.3, 0.4 (b has no slope, so
 * it stays and names the chain). After 3 steps the best two, chains 1 and 2, go on, asked in
 * chain order; after 6 more, chain 1 alone (a = 0 at the bound, chain 2's 0.15). */
static void test_gd_halving_keeps_best(void **state)
{
    static const sm_opt_setting set[] = {{"chains", "4", 1}, {"keep", "1", 2},
                                         {"halve_after", "3", 3}};
    static const double a0[4] = {0.9, 0.3, 0.6, 0.8};
    const sm_optimizer_type *T = &sm_optimizer_gd;
    double starts[4 * FN_DIM], x[4 * FN_DIM], cost[4], grad[4 * FN_DIM];
    sm_opt_config cfg;
    sm_error err = {0, ""};
    size_t it, i, k;
    void *st;
    (void)state;
    for (i = 0; i < 4; i++) {
        size_t j;
        for (j = 0; j < FN_DIM; j++) starts[i * FN_DIM + j] = 0.5;
        starts[i * FN_DIM] = a0[i];
        starts[i * FN_DIM + 1] = 0.1 * (double)(i + 1);
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.budget = 100;
    cfg.settings = set;
    cfg.n_settings = 3;
    cfg.exact_grad = 1;
    cfg.starts = starts;
    cfg.n_starts = 4;
    st = T->alloc(&fn_space, &cfg, 1, &err);
    if (!st) fail_msg("gd: %s", err.msg);
    for (it = 0; it < 12; it++) {
        const size_t want = it < 3 ? 4 : it < 9 ? 2 : 1;
        k = T->ask(st, x, 4);
        assert_int_equal(k, want);
        for (i = 0; i < k; i++) {
            size_t j;
            const double tag = x[i * FN_DIM + 1];
            /* the chains asked, in chain order: all, then 1 and 2, then 1 */
            const double want_tag = it < 3 ? 0.1 * (double)(i + 1) : 0.2 + 0.1 * (double)i;
            assert_close(tag, want_tag, 1e-12);
            if (it == 0) assert_close(x[i * FN_DIM], a0[i], 1e-12);
            cost[i] = x[i * FN_DIM];
            for (j = 0; j < FN_DIM; j++) grad[i * FN_DIM + j] = j == 0;
        }
        /* chain 2 at its 9th point: 8 steps of lr (less by Adam's eps) */
        if (it == 8) assert_close(x[FN_DIM], 0.6 - 8 * 0.05, 1e-6);
        T->tell_grad(st, x, cost, grad, k);
    }
    T->free(st);
}

/* `screen_by`: another optimizer draws the sample. With the GA, the sample is its generations
 * (its generations, marked as needing no gradient), then the chains descend from
 * its best points that lie apart; the run does not depend on the caller's batch size. With
 * retrieve, which asks x0 and the given starts and then has nothing more, the sample ends
 * there and the descents get the rest of the budget. A name that is not an optimizer without
 * a model is refused with the file and line. */
static void test_gd_screen_by(void **state)
{
    static const sm_opt_setting set[] = {{"screen", "300", 1}, {"screen_by", "ga", 2},
                                         {"chains", "8", 3}, {"keep", "2", 4},
                                         {"halve_after", "10", 5}};
    static const sm_opt_setting rset[] = {{"screen", "100", 1}, {"screen_by", "retrieve", 2},
                                          {"chains", "3", 3}};
    const char *const bad[] = {"pcakm", "gd", "simplex"};
    double starts[2 * FN_DIM], best_x[FN_DIM], best = 0, ga;
    long kseq[2000];
    size_t nk, i;
    fn_ctx c = {2, 0};
    sm_opt_config cfg;
    sm_error err = {0, ""};
    (void)state;
    ga = gd_run_settings(set, 5, 2, 2000, 64, 1, kseq, &nk);
    assert_int_equal(kseq[0], -50); /* generation 0, then 48 children a generation (2 elites) */
    for (i = 1; i < 6; i++) assert_int_equal(kseq[i], -48);
    assert_int_equal(kseq[6], -10);
    assert_int_equal(kseq[7], 8);
    print_message("gd on the wells after a GA sample of 300: %.3g\n", ga);
    assert_true(ga < -0.5); /* measured -0.633 */
    assert_true(gd_run_settings(set, 5, 2, 2000, 7, 1, NULL, NULL) == ga);
    /* retrieve: 3 points (x0 = the centre, then the 2 starts), then 3 chains from them */
    for (i = 0; i < 2 * FN_DIM; i++) starts[i] = i < FN_DIM ? 0.1 : 0.9;
    memset(&cfg, 0, sizeof cfg);
    cfg.budget = 500;
    cfg.settings = rset;
    cfg.n_settings = 3;
    cfg.starts = starts;
    cfg.n_starts = 2;
    assert_int_equal(sm_minimize_grad(&sm_optimizer_gd, &fn_space, &cfg, 1, 8, fn_score_grad, &c,
                                      best_x, &best, &err),
                     500);
    print_message("gd on the wells, 3 chains from the centre and 2 starts: %.3g\n", best);
    assert_true(best < -1.5); /* measured -1.83 */
    cfg.source = "g.ini";
    cfg.n_settings = 2;
    for (i = 0; i < 3; i++) {
        sm_opt_setting b[2] = {{"screen", "10", 4}, {"screen_by", bad[i], 5}};
        cfg.settings = b;
        sm_error_clear(&err);
        assert_null(sm_optimizer_gd.alloc(&fn_space, &cfg, 1, &err));
        assert_int_equal(err.code, SM_ERR_CONFIG);
        assert_non_null(strstr(err.msg, "g.ini:5: gd: screen_by"));
        assert_non_null(strstr(err.msg, bad[i]));
    }
}

/* gd's `lr_scale`: a descended parameter's steps and restart perturbations are multiplied by
 * its factor. One chain from the centre on cost = a + b (slope 1 on each; c to f have none):
 * with `a=0.5, b=0`, a falls by 0.5 x lr = 0.025 a step (Adam's constant-gradient step, less
 * its eps), b stays at 0.5, and so does every parameter without a slope. Then, with a cost that
 * never falls (every `patience = 2` steps a restart perturbs the best point), b, held, never
 * moves while a does. A factor of 1 for every parameter is the default, point for point
 * (Rosenbrock, 1000 evaluations), and malformed settings are refused by name. */
static long lr_scale_run(const char *scale, int flat, double *x_end)
{
    const sm_opt_setting set[] = {{"lr_scale", scale, 1}, {"patience", "2", 2}};
    const sm_optimizer_type *T = &sm_optimizer_gd;
    double x[FN_DIM], cost, grad[FN_DIM];
    sm_opt_config cfg;
    sm_error err = {0, ""};
    long it, moved_b = 0;
    void *st;
    memset(&cfg, 0, sizeof cfg);
    cfg.budget = 40;
    cfg.settings = set;
    cfg.n_settings = flat ? 2 : 1;
    cfg.exact_grad = 1;
    st = T->alloc(&fn_space, &cfg, 1, &err);
    if (!st) fail_msg("gd: %s", err.msg);
    for (it = 0; it < 40; it++) {
        size_t j;
        assert_int_equal(T->ask(st, x, 1), 1);
        if (x[1] != 0.5) moved_b++;
        cost = flat ? 1.0 : x[0] + x[1];
        for (j = 0; j < FN_DIM; j++) grad[j] = flat ? (j < 2 ? 0.3 : 0.0) : j < 2;
        if (it == 4) memcpy(x_end, x, sizeof x);
        T->tell_grad(st, x, &cost, grad, 1);
    }
    T->free(st);
    return moved_b;
}

static void test_gd_lr_scale(void **state)
{
    static const char *const bad[] = {"a", "a=x", "a=-1", "a=0.5,z*=1", "a=1e9"};
    double x[FN_DIM], xf[FN_DIM];
    size_t i;
    (void)state;
    assert_int_equal(lr_scale_run("a=0.5, b=0", 0, x), 0);
    assert_close(x[0], 0.5 - 4 * 0.025, 1e-6); /* after 4 steps */
    assert_true(x[1] == 0.5);
    for (i = 2; i < FN_DIM; i++) assert_true(x[i] == 0.5);
    /* a flat cost with a slope of 0.3 on a and b, and restarts every 2 steps: b held never
     * moves; unheld (a held instead) it does */
    assert_int_equal(lr_scale_run("b=0", 1, xf), 0);
    assert_true(xf[0] != 0.5);
    assert_true(lr_scale_run("a=0", 1, xf) > 0);
    assert_true(xf[0] == 0.5);
    {
        static const sm_opt_setting one = {"lr_scale", "*=1", 1};
        sm_opt_config cfg;
        fn_ctx c1 = {1, 0}, c2 = {1, 0};
        double bx[FN_DIM], b1 = INFINITY, b2 = INFINITY;
        sm_error err = {0, ""};
        memset(&cfg, 0, sizeof cfg);
        cfg.budget = 1000;
        assert_int_equal(sm_minimize_grad(&sm_optimizer_gd, &fn_space, &cfg, 3, 8, fn_score_grad,
                                          &c1, bx, &b1, &err), 1000);
        cfg.settings = &one;
        cfg.n_settings = 1;
        assert_int_equal(sm_minimize_grad(&sm_optimizer_gd, &fn_space, &cfg, 3, 8, fn_score_grad,
                                          &c2, bx, &b2, &err), 1000);
        assert_true(b1 == b2);
    }
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        const sm_opt_setting set = {"lr_scale", bad[i], 7};
        sm_opt_config cfg;
        sm_error err = {0, ""};
        memset(&cfg, 0, sizeof cfg);
        cfg.budget = 10;
        cfg.settings = &set;
        cfg.n_settings = 1;
        assert_null(sm_optimizer_gd.alloc(&fn_space, &cfg, 1, &err));
        assert_int_equal(err.code, SM_ERR_CONFIG);
        assert_non_null(strstr(err.msg, "lr_scale"));
    }
}

/* The `gradient` setting, read once for gd, lbfgs and the runner: exact by default,
 * differences on request, any other value refused by name. */
static void test_gradient_setting(void **state)
{
    sm_opt_setting exact = {"gradient", "exact", 3}, diff = {"gradient", "differences", 4},
                   bad = {"gradient", "analytic", 5};
    sm_opt_config cfg;
    sm_error err = {0, ""};
    const char *const names[] = {"gd", "lbfgs"};
    size_t i;
    (void)state;
    memset(&cfg, 0, sizeof cfg);
    cfg.source = "g.ini";
    cfg.budget = 10;
    assert_int_equal(sm_opt_gradient_setting(&cfg, "gd", &err), 1);
    cfg.settings = &exact;
    cfg.n_settings = 1;
    assert_int_equal(sm_opt_gradient_setting(&cfg, "gd", &err), 1);
    cfg.settings = &diff;
    assert_int_equal(sm_opt_gradient_setting(&cfg, "gd", &err), 0);
    cfg.settings = &bad;
    assert_int_equal(sm_opt_gradient_setting(&cfg, "gd", NULL), -1);
    for (i = 0; i < 2; i++) {
        sm_error_clear(&err);
        assert_null(sm_optimizer_find(names[i])->alloc(&fn_space, &cfg, 1, &err));
        assert_int_equal(err.code, SM_ERR_CONFIG);
        assert_non_null(strstr(err.msg, "gradient = 'analytic' is neither exact nor differences"));
        assert_non_null(strstr(err.msg, names[i]));
    }
}

/* memetic: the GA's children refined by exact-gradient steps against the same GA without
 * them (the type falls back to it without gradients), same seeds and budget, on the sphere
 * and Rosenbrock's function; and the same run at any batch size. Tolerances: the values
 * measured, with room. */
static void test_memetic(void **state)
{
    double se = 0, sf = 0, re = 0, rf = 0;
    uint64_t seed;
    long used;
    (void)state;
    for (seed = 1; seed <= 3; seed++) {
        se += minimize_fn("memetic", 0, 1, 1000, 8, seed, &used) / 3;
        assert_int_equal(used, 1000);
        sf += minimize_fn("memetic", 0, 0, 1000, 8, seed, NULL) / 3;
        re += minimize_fn("memetic", 1, 1, 3000, 8, seed, NULL) / 3;
        rf += minimize_fn("memetic", 1, 0, 3000, 8, seed, NULL) / 3;
    }
    print_message("memetic sphere: exact %.3g, without gradients %.3g (1000 evaluations); "
                  "rosenbrock: exact %.3g, without %.3g (3000); means of 3 seeds\n", se, sf, re,
                  rf);
    assert_true(se < 1e-7);   /* measured 1.9e-9 */
    assert_true(se < sf / 10);
    assert_true(re < rf);
    assert_true(minimize_fn("memetic", 1, 1, 700, 1, 5, NULL) ==
                minimize_fn("memetic", 1, 1, 700, 64, 5, NULL));
    assert_true(minimize_fn("memetic", 1, 0, 700, 3, 5, NULL) ==
                minimize_fn("memetic", 1, 0, 700, 64, 5, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_neuron_tanh_lowpass),
        cmocka_unit_test(test_neuron_lowcut),
        cmocka_unit_test(test_neuron_relu_bandpass),
        cmocka_unit_test(test_neuron_hardclip_highpass),
        cmocka_unit_test(test_neuron_rectcomp_off),
        cmocka_unit_test(test_neuron_tanh_one_neuron),
        cmocka_unit_test(test_neuron_lowpass24),
        cmocka_unit_test(test_neuron_saturated_clips),
        cmocka_unit_test(test_neuron_small_mix),
        cmocka_unit_test(test_neuron_zero_rules),
        cmocka_unit_test(test_neuron_forward_matches_render),
        cmocka_unit_test(test_normalized_chain_rule),
        cmocka_unit_test(test_costs),
        cmocka_unit_test(test_cost_descent),
        cmocka_unit_test(test_cost_grad_refusals),
        cmocka_unit_test(test_optimizers_exact),
        cmocka_unit_test(test_gd_chains),
        cmocka_unit_test(test_gd_screen_halving),
        cmocka_unit_test(test_gd_halving_keeps_best),
        cmocka_unit_test(test_gd_screen_by),
        cmocka_unit_test(test_gd_lr_scale),
        cmocka_unit_test(test_gradient_setting),
        cmocka_unit_test(test_memetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
