/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_fm6_grad.c: the fm6 voice's relaxed gradient (synths/fm6_grad.c), the relaxed
 * decode (core/params.h), the objective's rounded cost (experiments/objective_grad.h) and gd's
 * repair search (search/gd.c).
 *
 * Gradient checks: for a loss L = sum_t r_t out_t with fixed random weights r, the reverse-mode
 * gradient of every relaxed parameter is compared with the central difference (L(p + h) -
 * L(p - h)) / 2h of the relaxed render (sm_fm6_render_relaxed) at random points drawn from fixed
 * seeds: random real values of every relaxed parameter, algorithms with self-feedback and
 * with the feedback loops of algorithms 4 and 6, notes whose key-up falls inside the render so
 * that every envelope segment and the release are crossed. Step h = 1e-6 (native units).
 * The relaxed render has jumps where a change moves the end of an envelope segment to another
 * 64-sample block (fm6_grad.c): a difference that crosses one is recognised by disagreeing
 * with the difference at h / 8 (relative 1e-2), and the pair is counted as crossed, not
 * checked; at most a tenth of the pairs may be. Tolerance: |g - fd| <= 2e-4 (|fd| + 1e-3
 * max_i |g_i|). */
#include "tests/test_util.h"
#include "core/rng.h"
#include "synths/fm6_internal.h"
#include "features/cost_grad.h"
#include "experiments/objective_grad.h"
#include "search/optimizer.h"

#define SR 44100.0
#define N_GRAD 6000

/* The relaxed parameters of fm6's space. */
static int relaxed_index(size_t i)
{
    return sm_param_is_relaxed(&sm_fm6_params[i]);
}

/* A random voice: every parameter drawn at random (whole values), then the algorithm, the
 * feedback and the envelopes set to what the case needs, then every relaxed parameter moved
 * to a random real value (when `real`). Modulators are kept at moderate levels (at most 85)
 * and LFO depths at 0, so that the loss is smooth enough for differences. */
static void random_voice(uint64_t seed, int alg, double fb, int real, double *p)
{
    const sm_param_space *S = &sm_fm6_space;
    sm_rng rng;
    double x[SM_FM6_NPARAMS];
    size_t i;
    int op;
    sm_rng_init(&rng, seed, 17);
    for (i = 0; i < S->n; i++) x[i] = sm_rng_uniform(&rng);
    sm_params_decode(S, x, p);
    p[SM_FM6_ALGORITHM] = alg;
    p[SM_FM6_FEEDBACK] = fb;
    p[SM_FM6_TRANSPOSE] = 24;
    p[SM_FM6_LFO_PITCH_MOD_DEPTH] = 0;
    p[SM_FM6_LFO_AMP_MOD_DEPTH] = (seed & 1) ? 40 : 0;
    for (i = 0; i < 8; i++) p[SM_FM6_PITCH_EG_RATE1 + i] = i < 4 ? 99 : 50;
    for (op = 1; op <= 6; op++) {
        const int carrier = (sm_fm6_carrier_mask(alg) >> (op - 1)) & 1;
        p[SM_FM6_OP(op, SM_FM6_OSC_MODE)] = 0;
        p[SM_FM6_OP(op, SM_FM6_COARSE)] = 1 + (op % 3);
        p[SM_FM6_OP(op, SM_FM6_OUTPUT_LEVEL)] =
            carrier ? 80 + 19 * sm_rng_uniform(&rng) : 50 + 35 * sm_rng_uniform(&rng);
        for (i = 0; i < 4; i++) {
            /* fast enough that the segments end within the note */
            p[SM_FM6_OP(op, SM_FM6_EG_RATE1 + (int)i)] = 55 + 44 * sm_rng_uniform(&rng);
            p[SM_FM6_OP(op, SM_FM6_EG_LEVEL1 + (int)i)] =
                i == 3 ? 30 * sm_rng_uniform(&rng) : 60 + 39 * sm_rng_uniform(&rng);
        }
        p[SM_FM6_OP(op, SM_FM6_KBD_LEFT_DEPTH)] = 0;
        p[SM_FM6_OP(op, SM_FM6_KBD_RIGHT_DEPTH)] = 0;
    }
    if (!real) sm_params_clamp(S, p);
    else
        for (i = 0; i < S->n; i++)
            if (!relaxed_index(i)) p[i] = floor(p[i] + 0.5);
}

static sm_note grad_note(void)
{
    sm_note note = sm_note_default();
    note.note = 57;
    note.gate_s = 0.08; /* the release starts within the render */
    note.seed = 3;
    return note;
}

static double relaxed_loss(void *st, const double *p, const sm_note *note, const double *r,
                           size_t n, double *buf)
{
    assert_int_equal(sm_fm6_render_relaxed(st, p, note, buf, n), 0);
    return sm_test_dot_loss(buf, r, n);
}

static double central(void *st, double *p, size_t i, const sm_note *note, const double *r,
                      size_t n, double h, double *buf)
{
    const sm_param *q = &sm_fm6_params[i];
    const double v = p[i];
    double lp, lm, hp = h, hm = h;
    if (v - h < q->min) hm = 0;
    if (v + h > q->max) hp = 0;
    p[i] = v + hp;
    lp = relaxed_loss(st, p, note, r, n, buf);
    p[i] = v - hm;
    lm = relaxed_loss(st, p, note, r, n, buf);
    p[i] = v;
    return (lp - lm) / (hp + hm);
}

/* Checks every relaxed parameter at `points` random points of algorithm alg with feedback
 * fb; returns the number of pairs checked with a nonzero gradient. */
static int check_case(int alg, double fb, uint64_t seed, int points)
{
    const size_t n = N_GRAD;
    const sm_note note = grad_note();
    sm_error err;
    void *st = sm_synth_fm6.alloc(SR, &err);
    double *r = malloc(n * sizeof *r), *buf = malloc(n * sizeof *buf);
    float *out = malloc(n * sizeof *out);
    double p[SM_FM6_NPARAMS], g[SM_FM6_NPARAMS];
    int pt, nonzero = 0, crossed = 0, pairs = 0;
    size_t i, t;
    sm_rng rng;
    assert_non_null(st);
    assert_non_null(r);
    assert_non_null(buf);
    assert_non_null(out);
    sm_rng_init(&rng, seed, 5);
    for (t = 0; t < n; t++) r[t] = sm_rng_uniform(&rng) - 0.5;
    for (pt = 0; pt < points; pt++) {
        double gmax = 0;
        random_voice(seed * 100 + (uint64_t)pt, alg, fb, 1, p);
        memset(g, 0, sizeof g);
        assert_int_equal(sm_synth_fm6.render_grad(st, p, &note, n, out, NULL, NULL), 0);
        assert_int_equal(sm_synth_fm6.render_grad(st, NULL, NULL, n, NULL, r, g), 0);
        for (i = 0; i < SM_FM6_NPARAMS; i++) gmax = fmax(gmax, fabs(g[i]));
        for (i = 0; i < SM_FM6_NPARAMS; i++) {
            double fd, fd2;
            if (!relaxed_index(i)) {
                assert_true(g[i] == 0.0);
                continue;
            }
            fd = central(st, p, i, &note, r, n, 1e-6, buf);
            fd2 = central(st, p, i, &note, r, n, 1e-6 / 8, buf);
            pairs++;
            if (fabs(fd - fd2) > 1e-2 * (fabs(fd2) + 1e-3 * gmax)) {
                crossed++;
                continue;
            }
            if (!(fabs(g[i] - fd) <= 2e-4 * (fabs(fd) + 1e-3 * gmax)))
                fail_msg("algorithm %d, feedback %g, point %d, %s = %.6f: gradient %.9g, "
                         "difference %.9g (largest gradient %.3g)",
                         alg, fb, pt, sm_fm6_params[i].name, p[i], g[i], fd, gmax);
            if (g[i] != 0.0) nonzero++;
        }
    }
    print_message("algorithm %2d feedback %.2f: %d pairs, %d nonzero checked, %d crossed a jump\n",
                  alg, fb, pairs, nonzero, crossed);
    assert_true(crossed * 10 <= pairs);
    sm_synth_fm6.free(st);
    free(r);
    free(buf);
    free(out);
    return nonzero;
}

static void test_grad_stacks(void **state)
{
    (void)state;
    assert_true(check_case(5, 0.0, 1, 3) > 3 * 20);   /* three stacks of two, no feedback */
    assert_true(check_case(1, 6.3, 2, 3) > 3 * 20);   /* self-feedback on a stack of four */
}

static void test_grad_loops(void **state)
{
    (void)state;
    assert_true(check_case(4, 5.6, 3, 3) > 3 * 20);   /* the loop 6 > 5 > 4 */
    assert_true(check_case(6, 3.4, 4, 3) > 3 * 20);   /* the loop 6 > 5 */
    assert_true(check_case(32, 0.7, 5, 2) > 2 * 20);  /* six carriers, feedback below 1 */
    assert_true(check_case(22, 7.0, 6, 2) > 2 * 20);  /* one modulator on three carriers */
}

/* The rules: held parameters get 0; the backward call adds; bad calls. */
static void test_grad_rules(void **state)
{
    const size_t n = 2048;
    const sm_note note = grad_note();
    sm_error err;
    void *st = sm_synth_fm6.alloc(SR, &err);
    double p[SM_FM6_NPARAMS], g[SM_FM6_NPARAMS], g2[SM_FM6_NPARAMS], r[2048];
    float out[2048];
    size_t i, t;
    (void)state;
    assert_non_null(st);
    random_voice(77, 2, 4.5, 1, p);
    for (t = 0; t < n; t++) r[t] = sin(0.01 * (double)t);
    memset(g, 0, sizeof g);
    assert_int_equal(sm_synth_fm6.render_grad(st, p, &note, n, out, NULL, NULL), 0);
    assert_int_equal(sm_synth_fm6.render_grad(st, NULL, NULL, n, NULL, r, g), 0);
    for (i = 0; i < SM_FM6_NPARAMS; i++) {
        g2[i] = 1.0;
        if (!relaxed_index(i)) assert_true(g[i] == 0.0);
    }
    assert_true(g[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)] != 0.0);
    assert_true(g[SM_FM6_FEEDBACK] != 0.0);
    assert_int_equal(sm_synth_fm6.render_grad(st, NULL, NULL, n, NULL, r, g2), 0);
    for (i = 0; i < SM_FM6_NPARAMS; i++) assert_close(g2[i], 1.0 + g[i], 1e-12 * (1 + fabs(g[i])));
    /* a value asked outside its range is clamped: its gradient is 0 */
    p[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)] = 120;
    memset(g, 0, sizeof g);
    assert_int_equal(sm_synth_fm6.render_grad(st, p, &note, n, out, NULL, NULL), 0);
    assert_int_equal(sm_synth_fm6.render_grad(st, NULL, NULL, n, NULL, r, g), 0);
    assert_true(g[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)] == 0.0);
    assert_int_equal(sm_synth_fm6.render_grad(st, NULL, NULL, n + 1, NULL, r, g), SM_ERR_ARG);
    assert_int_equal(sm_synth_fm6.render_grad(st, p, &note, n, out, r, g), SM_ERR_ARG);
    assert_int_equal(sm_synth_fm6.render_grad(NULL, p, &note, n, out, NULL, NULL), SM_ERR_ARG);
    sm_synth_fm6.free(st);
}


/* The relaxed render at whole values against render: largest sample difference and the
 * log-mel distance (MEASURES.md) of one against the other, for `count` voices (rows of
 * voices). Returns the largest of each in *dmax and *lmax, and their means. */
static void compare_render(const double *voices, size_t count, const char *what, double *dmax,
                           double *lmax, double *lmean)
{
    const sm_note note = sm_note_default(); /* note 60, gate 1 s, 1.5 s */
    const size_t n = (size_t)(1.5 * SR);
    sm_error err;
    void *st = sm_synth_fm6.alloc(SR, &err);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    double *d = malloc(n * sizeof *d), dsum = 0, lsum = 0;
    size_t v, t, nl = 0;
    assert_non_null(st);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(d);
    *dmax = *lmax = *lmean = 0;
    for (v = 0; v < count; v++) {
        double worst = 0, peak = 0, lm = 0;
        assert_int_equal(sm_synth_fm6.render(st, voices + v * SM_FM6_NPARAMS, &note, a, n), 0);
        assert_int_equal(sm_fm6_render_relaxed(st, voices + v * SM_FM6_NPARAMS, &note, d, n), 0);
        for (t = 0; t < n; t++) {
            b[t] = (float)d[t];
            worst = fmax(worst, fabs((double)a[t] - d[t]));
            peak = fmax(peak, fabs((double)a[t]));
        }
        *dmax = fmax(*dmax, worst);
        dsum += worst;
        if (peak > 1e-4 && sm_logmel_distance(a, n, b, n, SR, &lm, &err) == 0) {
            *lmax = fmax(*lmax, lm);
            lsum += lm;
            nl++;
        }
    }
    *lmean = nl ? lsum / (double)nl : 0.0;
    print_message("%s: %zu voices, largest sample difference %.3g (mean of the voices' largest "
                  "%.3g), log-mel distance largest %.3g dB, mean %.3g dB (%zu audible)\n",
                  what, count, *dmax, dsum / (double)count, *lmax, nl ? lsum / (double)nl : 0.0,
                  nl);
    sm_synth_fm6.free(st);
    free(a);
    free(b);
    free(d);
}

/* Random voices (every parameter drawn uniformly) and the human voices of the shared data
 * folder's banks, at whole values. Tolerances: the figures measured, with room. */
static void test_relaxed_matches_render(void **state)
{
    const sm_param_space *S = &sm_fm6_space;
    enum { NRAND = 40 };
    double *voices = malloc(NRAND * SM_FM6_NPARAMS * sizeof *voices), x[SM_FM6_NPARAMS];
    double dmax, lmax, lmean;
    sm_rng rng;
    size_t v, i;
    (void)state;
    assert_non_null(voices);
    sm_params_defaults(S, voices);
    compare_render(voices, 1, "INIT VOICE", &dmax, &lmax, &lmean);
    assert_true(dmax < 1e-5);
    sm_rng_init(&rng, 2026, 1);
    for (v = 0; v < NRAND; v++) {
        for (i = 0; i < S->n; i++) x[i] = sm_rng_uniform(&rng);
        sm_params_decode(S, x, voices + v * SM_FM6_NPARAMS);
    }
    compare_render(voices, NRAND, "random voices", &dmax, &lmax, &lmean);
    assert_true(lmax < 1.0);
    free(voices);
    if (sm_test_shared()) {
        static const char *const banks[] = {"dx7/rom1a.syx", "dx7/rom2a.syx", "dx7/rom3a.syx",
                                            "dx7/vrc101a.syx"};
        for (i = 0; i < sizeof banks / sizeof *banks; i++) {
            double *bank = NULL;
            size_t nv = 0;
            sm_error err;
            assert_int_equal(
                sm_synth_fm6.patch_load_all(sm_test_shared_path(banks[i]), &bank, &nv, &err), 0);
            compare_render(bank, nv, banks[i], &dmax, &lmax, &lmean);
            /* a voice at feedback 7 can be chaotic (rom1a's voice 31, algorithm 5: its noise
             * comes out another noise, 1.6 dB log-mel apart); the rest agree */
            assert_true(lmax < 2.5);
            assert_true(lmean < 0.2);
            free(bank);
        }
    } else {
        print_message("human voices skipped: the shared data folder is absent\n");
    }
}

/* ---- the relaxed decode ---------------------------------------------------------------- */

/* Every whole value round-trips through encode and the relaxed decode; anywhere in a bin the
 * relaxed value rounds (halves up) to the bin's value; its derivative against differences;
 * parameters that are not relaxed decode as before. */
static void test_relaxed_decode(void **state)
{
    static const sm_param lev = {"level", "", SM_PARAM_INT, 0, 99, 50, 0, NULL, 0, 1};
    static const sm_param fb = {"fb", "", SM_PARAM_INT, 0, 7, 0, 0, NULL, 0, 1};
    static const sm_param plain = {"coarse", "", SM_PARAM_INT, 0, 31, 1, 0, NULL};
    static const sm_param real = {"hz", "Hz", SM_PARAM_REAL, 20, 2000, 100, 1, NULL};
    const sm_param *ps[] = {&lev, &fb, &sm_fm6_params[SM_FM6_OP(3, SM_FM6_EG_RATE2)]};
    sm_rng rng;
    size_t c;
    int v, i;
    (void)state;
    assert_true(sm_param_is_relaxed(&lev) && !sm_param_is_relaxed(&plain));
    assert_true(!sm_param_is_relaxed(&real));
    assert_true(sm_param_is_relaxed(&sm_fm6_params[SM_FM6_FEEDBACK]));
    assert_true(!sm_param_is_relaxed(&sm_fm6_params[SM_FM6_ALGORITHM]));
    assert_true(!sm_param_is_relaxed(&sm_fm6_params[SM_FM6_OP(1, SM_FM6_COARSE)]));
    sm_rng_init(&rng, 4, 4);
    for (c = 0; c < 3; c++) {
        const sm_param *p = ps[c];
        const double k = p->max - p->min + 1;
        for (v = (int)p->min; v <= (int)p->max; v++)
            assert_true(sm_param_decode_relaxed(p, sm_param_encode1(p, v)) == (double)v);
        assert_true(sm_param_decode_relaxed(p, 0.0) == p->min);
        assert_true(sm_param_decode_relaxed(p, 1.0) == p->max);
        assert_true(sm_param_decode_relaxed(p, NAN) == p->def);
        for (i = 0; i < 2000; i++) {
            const double x = sm_rng_uniform(&rng), r = sm_param_decode_relaxed(p, x);
            const double h = 1e-7;
            assert_true(floor(r + 0.5) == sm_param_decode1(p, x));
            if (x > 0.5 / k + h && x < 1 - 0.5 / k - h) {
                const double fd = (sm_param_decode_relaxed(p, x + h) -
                                   sm_param_decode_relaxed(p, x - h)) / (2 * h);
                assert_close(sm_param_dnative_dx_relaxed(p, x), fd, 1e-6 * k);
                assert_true(sm_param_dnative_dx_relaxed(p, x) == k);
            } else if (x < 0.5 / k - h || x > 1 - 0.5 / k + h) {
                assert_true(sm_param_dnative_dx_relaxed(p, x) == 0.0);
            }
        }
        /* at the first and last values themselves the derivative is kept */
        assert_true(sm_param_dnative_dx_relaxed(p, 0.5 / k) == k);
        assert_true(sm_param_dnative_dx_relaxed(p, 1 - 0.5 / k) == k);
    }
    for (i = 0; i < 50; i++) {
        const double x = sm_rng_uniform(&rng);
        assert_true(sm_param_decode_relaxed(&plain, x) == sm_param_decode1(&plain, x));
        assert_true(sm_param_decode_relaxed(&real, x) == sm_param_decode1(&real, x));
        assert_true(sm_param_dnative_dx_relaxed(&plain, x) == 0.0);
        assert_true(sm_param_dnative_dx_relaxed(&real, x) == sm_param_dnative_dx(&real, x));
    }
}

/* ---- the objective: relaxed gradient, rounded cost ------------------------------------- */

#define N_OBJ 8192

static sm_cost_config obj_cost(void)
{
    sm_cost_config c = sm_cost_config_default(SR);
    c.w_mfcc = 0;
    c.w_mss = 1;
    c.w_level = 0.1;
    c.normalize_gain = 1; /* as for recordings */
    return c;
}

/* A view of fm6 with a few relaxed parameters and one held one free, base `base`. */
static sm_param_view *obj_view(const double *base)
{
    static const char *const free_[] = {"op1_output_level", "op2_output_level", "op1_eg_level3",
                                        "op2_eg_rate2", "op2_eg_level2", "feedback",
                                        "op2_key_vel_sens", "op2_coarse"};
    sm_param_view *v = sm_param_view_alloc(&sm_fm6_space);
    sm_error err;
    size_t i;
    assert_non_null(v);
    sm_param_view_set_base(v, base);
    assert_true(sm_param_view_freeze(v, "*", NAN, &err) > 0);
    for (i = 0; i < sizeof free_ / sizeof *free_; i++)
        assert_int_equal(sm_param_view_thaw(v, free_[i]), 1);
    return v;
}

/* A two-operator voice (algorithm 1, operators 1 and 2 sounding) and a target from another
 * setting of the same voice. */
static void obj_voices(double *start, double *target)
{
    sm_params_defaults(&sm_fm6_space, start);
    start[SM_FM6_ALGORITHM] = 1;
    start[SM_FM6_FEEDBACK] = 2;
    start[SM_FM6_OP(2, SM_FM6_OUTPUT_LEVEL)] = 70;
    start[SM_FM6_OP(2, SM_FM6_COARSE)] = 2;
    start[SM_FM6_OP(2, SM_FM6_EG_RATE2)] = 60;
    start[SM_FM6_OP(2, SM_FM6_EG_LEVEL2)] = 70;
    start[SM_FM6_OP(2, SM_FM6_KEY_VEL_SENS)] = 2;
    start[SM_FM6_OP(1, SM_FM6_EG_RATE2)] = 50;
    start[SM_FM6_OP(1, SM_FM6_EG_LEVEL2)] = 90;
    start[SM_FM6_OP(1, SM_FM6_EG_LEVEL3)] = 80;
    memcpy(target, start, SM_FM6_NPARAMS * sizeof *target);
    target[SM_FM6_OP(2, SM_FM6_OUTPUT_LEVEL)] = 78;
    target[SM_FM6_OP(2, SM_FM6_EG_RATE2)] = 45;
    target[SM_FM6_OP(2, SM_FM6_EG_LEVEL2)] = 60;
    target[SM_FM6_OP(1, SM_FM6_EG_LEVEL3)] = 70;
    target[SM_FM6_FEEDBACK] = 4;
}

static sm_note obj_note(void)
{
    sm_note note = sm_note_default();
    note.note = 57;
    note.gate_s = 0.12;
    return note;
}

/* The cost returned is the rounded point's, rendered by render; the gradient is the relaxed
 * cost's, checked against differences of it in [0,1] coordinates. The differences are taken
 * of a cost smooth in the samples (loudness and level): render_grad's output is float, and
 * the multi-resolution spectral distance's logarithms of quiet bins turn its rounding into
 * noise that swamps differences at small steps (measured: from -3e3 to 2e5 at steps 1e-8 to
 * 1e-11); cc below, that spectral distance with gain normalisation, checks the rounded cost.
 * Even so the float output limits steps to about 1e-6 (below, the differences wander by a
 * percent), while steps of 1e-4 may cross a jump (an envelope segment's end moving a
 * block): the difference at h = 1e-4, 1e-5 or 1e-6 closest to the gradient must be within
 * 1e-3 (|fd| + max |g|) of it. */
static void test_objective_rounded_cost(void **state)
{
    const sm_note note = obj_note();
    const sm_cost_config cc = obj_cost();
    sm_cost_config smooth = sm_cost_config_default(SR);
    double start[SM_FM6_NPARAMS], target[SM_FM6_NPARAMS], native[SM_FM6_NPARAMS];
    double x[8], g[8], g2[8], gmax = 0;
    float *tg = NULL, *buf = malloc(N_OBJ * sizeof *buf);
    size_t nt = 0, j;
    sm_error err;
    sm_param_view *v;
    sm_objective_grad *og;
    sm_cost_grad *cg;
    void *st = sm_synth_fm6.alloc(SR, &err);
    char why[64];
    double c, cr, ref;
    (void)state;
    assert_non_null(buf);
    assert_non_null(st);
    obj_voices(start, target);
    tg = malloc(N_OBJ * sizeof *tg);
    assert_non_null(tg);
    assert_int_equal(sm_synth_fm6.render(st, target, &note, tg, N_OBJ), 0);
    nt = N_OBJ;
    v = obj_view(start);
    assert_int_equal(v->space.n, 8);
    og = sm_objective_grad_alloc(&sm_synth_fm6, v, &note, SR, tg, nt, &cc, why, sizeof why, &err);
    assert_non_null(og);
    cg = sm_cost_grad_alloc(&cc, tg, nt, &err);
    assert_non_null(cg);
    sm_param_view_project(v, start, x);
    /* off the bin centres */
    for (j = 0; j < 7; j++) x[j] += 0.31 / (v->space.p[j].max - v->space.p[j].min + 1);
    c = sm_objective_grad_eval(og, x, g);
    cr = sm_objective_grad_relaxed_cost(og);
    sm_param_view_expand(v, x, native);
    for (j = 0; j < SM_FM6_NPARAMS; j++) assert_true(native[j] == floor(native[j]));
    assert_int_equal(sm_synth_fm6.render(st, native, &note, buf, N_OBJ), 0);
    ref = sm_cost_grad_eval(cg, buf, N_OBJ, NULL);
    print_message("objective: cost of the rounded point %.6g (render: %.6g), relaxed cost %.6g\n",
                  c, ref, cr);
    assert_true(c == ref);
    assert_true(isfinite(cr) && cr != c);
    assert_true(g[7] == 0.0); /* op2_coarse: held */
    for (j = 0; j < 8; j++) gmax = fmax(gmax, fabs(g[j]));
    assert_true(gmax > 0);
    sm_objective_grad_free(og);
    smooth.w_mfcc = 0;
    smooth.w_loudness = 1;
    smooth.w_level = 1;
    og = sm_objective_grad_alloc(&sm_synth_fm6, v, &note, SR, tg, nt, &smooth, why, sizeof why,
                                 &err);
    assert_non_null(og);
    (void)sm_objective_grad_eval(og, x, g);
    gmax = 0;
    for (j = 0; j < 8; j++) gmax = fmax(gmax, fabs(g[j]));
    for (j = 0; j < 7; j++) {
        const double x0 = x[j];
        double lp, lm, fd = 0, err_best = INFINITY, h;
        for (h = 1e-4; h > 1e-7; h /= 10) {
            x[j] = x0 + h;
            (void)sm_objective_grad_eval(og, x, g2);
            lp = sm_objective_grad_relaxed_cost(og);
            x[j] = x0 - h;
            (void)sm_objective_grad_eval(og, x, g2);
            lm = sm_objective_grad_relaxed_cost(og);
            x[j] = x0;
            if (fabs(g[j] - (lp - lm) / (2 * h)) < err_best) {
                fd = (lp - lm) / (2 * h);
                err_best = fabs(g[j] - fd);
            }
        }
        if (!(err_best <= 1e-3 * (fabs(fd) + gmax)))
            fail_msg("%s: gradient %.9g in [0,1] units, difference of the relaxed cost %.9g",
                     v->space.p[j].name, g[j], fd);
    }
    sm_cost_grad_free(cg);
    sm_objective_grad_free(og);
    sm_param_view_free(v);
    sm_synth_fm6.free(st);
    free(tg);
    free(buf);
}

/* ---- gd's repair ------------------------------------------------------------------------ */

typedef struct {
    sm_objective_grad *og;
    long evals;
} obj_ctx;

static int obj_score_grad(void *ctx, const double *x, size_t k, size_t d, double *cost,
                          double *grad)
{
    obj_ctx *c = ctx;
    c->evals += (long)k;
    return sm_objective_grad_batch(c->og, x, k, d, cost, grad, NULL);
}

/* A known answer: three relaxed integers 0..20, cost sum (v - t)^2 at the rounded values,
 * the relaxed quadratic's gradient. From the centre (10, 10, 10) the repair alone (a budget
 * of 1 + repair) walks to t = (3, 15, 10), with and without gradients. */
#define QREL(name) {name, "", SM_PARAM_INT, 0, 20, 10, 0, NULL, 0, 1}
static const sm_param q_params[3] = {QREL("a"), QREL("b"), QREL("c")};
static const sm_param_space q_space = {3, q_params};
static const double q_t[3] = {3, 15, 10};

static double q_value(const double *x, double *g)
{
    double f = 0;
    size_t j;
    for (j = 0; j < 3; j++) {
        const double v = sm_param_decode1(&q_params[j], x[j]);
        const double r = sm_param_decode_relaxed(&q_params[j], x[j]);
        f += (v - q_t[j]) * (v - q_t[j]);
        if (g) g[j] = 2 * (r - q_t[j]) * sm_param_dnative_dx_relaxed(&q_params[j], x[j]);
    }
    return f;
}

static int q_score(void *ctx, const double *x, size_t k, size_t d, double *cost)
{
    size_t i;
    (void)ctx;
    for (i = 0; i < k; i++) cost[i] = q_value(x + i * d, NULL);
    return 0;
}

static int q_score_grad(void *ctx, const double *x, size_t k, size_t d, double *cost,
                        double *grad)
{
    size_t i;
    (void)ctx;
    for (i = 0; i < k; i++) cost[i] = q_value(x + i * d, grad + i * d);
    return 0;
}

static double q_run(int exact, const char *repair, size_t budget, size_t batch, long *used,
                    double *bx)
{
    const sm_optimizer_type *T = sm_optimizer_find("gd");
    sm_opt_setting set = {"repair", repair, 1};
    sm_opt_config cfg;
    double best = INFINITY;
    sm_error err = {0, ""};
    long n;
    memset(&cfg, 0, sizeof cfg);
    cfg.budget = budget;
    cfg.settings = &set;
    cfg.n_settings = 1;
    n = exact ? sm_minimize_grad(T, &q_space, &cfg, 1, batch, q_score_grad, NULL, bx, &best, &err)
              : sm_minimize(T, &q_space, &cfg, 1, batch, q_score, NULL, bx, &best, &err);
    if (n < 0) fail_msg("gd: %s", err.msg);
    *used = n;
    return best;
}

static void test_repair_known_answer(void **state)
{
    double bx[3];
    long used;
    int exact;
    (void)state;
    for (exact = 0; exact < 2; exact++) {
        const double best = q_run(exact, "200", 201, 8, &used, bx);
        print_message("repair %s gradients: cost %g after %ld evaluations\n",
                      exact ? "with" : "without", best, used);
        assert_true(best == 0.0);
        assert_true(used < 201); /* it stops at the optimum: no step improves */
        assert_true(sm_param_decode1(&q_params[0], bx[0]) == 3);
        assert_true(sm_param_decode1(&q_params[1], bx[1]) == 15);
        /* with the gradient's order the walk wastes fewer evaluations */
        if (exact) assert_true(used <= 1 + 1 + 12 + 6);
    }
    /* a budget cut short: the repair stops at the budget, exactly */
    assert_true(q_run(1, "5", 6, 8, &used, bx) > 0);
    assert_int_equal(used, 6);
    /* repair = 0 is gd as before */
    (void)q_run(1, "0", 50, 8, &used, bx);
    assert_int_equal(used, 50);
}

/* gd with repair on fm6 through the objective: gd's 60 evaluations, then the same 60 followed
 * by a repair of 40; the repair keeps or lowers the descent's best cost, and its result does
 * not depend on the batch size. */
static void test_repair_fm6(void **state)
{
    const sm_note note = obj_note();
    const sm_cost_config cc = obj_cost();
    const sm_optimizer_type *T = sm_optimizer_find("gd");
    double start[SM_FM6_NPARAMS], target[SM_FM6_NPARAMS], x0[8], bx[8], best[3], b0;
    float *tg = malloc(N_OBJ * sizeof *tg);
    sm_error err;
    sm_param_view *v;
    obj_ctx c = {NULL, 0};
    void *st = sm_synth_fm6.alloc(SR, &err);
    const char *const reps[3] = {"0", "40", "40"};
    long used[3];
    const size_t batches[3] = {1, 1, 64};
    double g[8];
    int r;
    (void)state;
    assert_non_null(tg);
    assert_non_null(st);
    obj_voices(start, target);
    assert_int_equal(sm_synth_fm6.render(st, target, &note, tg, N_OBJ), 0);
    v = obj_view(start);
    c.og = sm_objective_grad_alloc(&sm_synth_fm6, v, &note, SR, tg, N_OBJ, &cc, NULL, 0, &err);
    assert_non_null(c.og);
    sm_param_view_project(v, start, x0);
    b0 = sm_objective_grad_eval(c.og, x0, g);
    for (r = 0; r < 3; r++) {
        sm_opt_setting set = {"repair", reps[r], 1};
        sm_opt_config cfg;
        long n;
        memset(&cfg, 0, sizeof cfg);
        cfg.budget = r == 0 ? 60 : 100;
        cfg.x0 = x0;
        cfg.settings = &set;
        cfg.n_settings = 1;
        cfg.exact_grad = 1;
        best[r] = INFINITY;
        n = sm_minimize_grad(T, &v->space, &cfg, 3, batches[r], obj_score_grad, &c, bx, &best[r],
                             &err);
        assert_true(n > 0 && n <= (long)cfg.budget);
        used[r] = n;
    }
    print_message("fm6: start %.5g; gd 60 evaluations %.5g; the same 60 then repair %.5g (%ld "
                  "evaluations in all)\n", b0, best[0], best[1], used[1]);
    assert_true(best[0] <= b0);
    assert_true(best[1] <= best[0]);
    assert_true(best[1] == best[2]);
    sm_objective_grad_free(c.og);
    sm_param_view_free(v);
    sm_synth_fm6.free(st);
    free(tg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_stacks),
        cmocka_unit_test(test_grad_loops),
        cmocka_unit_test(test_grad_rules),
        cmocka_unit_test(test_relaxed_matches_render),
        cmocka_unit_test(test_relaxed_decode),
        cmocka_unit_test(test_objective_rounded_cost),
        cmocka_unit_test(test_repair_known_answer),
        cmocka_unit_test(test_repair_fm6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
