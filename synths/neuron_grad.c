/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/neuron_grad.c: exact gradients of the neuron voice (sm_synth_type.render_grad) by
 * reverse mode (backpropagation through time).
 *
 * The forward pass is a double-precision copy of the render of synths/neuron.c, sample by
 * sample, that records in a tape owned by the state what the backward pass needs: every
 * neuron's axon y_k(t) and its activation's slopes, the oscillators' values and derivatives,
 * the filter's states before each sample, its coefficient g(t) and slopes, its input and
 * output, the envelope and the noise input. The backward
 * pass runs the adjoint of each step in reverse order; the delayed axons' adjoints wait in a
 * ring like the forward delay lines. The envelope has four scalar parameters and no input
 * from the network, so its parameters' derivatives are carried forward (forward mode) in a
 * separate sweep of the backward pass, weighted by the adjoint of the envelope.
 *
 * How the gradient's forward render differs from render (tests/test_grad.c measures it):
 *   - double precision throughout; no flush of tiny values to zero (flush is the identity
 *     for the derivative);
 *   - oscillator phases are frac(t * dt) with the exact increment dt = f / sr, not render's
 *     32-bit phase increment rounded to 2^-32 of a cycle (a phase difference below 2.4e-10
 *     cycles a sample, 1e-4 cycles after 10 s);
 *   - sine by sin(), not the 4096-point table (within 3e-7);
 *   - nothing else: the filter coefficient comes from the same table as render's (its
 *     slope is the table's, piecewise linear, see filter_g).
 * Measured (tests/test_grad.c, 1.5 s): the default voice's samples agree within 8.6e-6,
 * random voices of moderate feedback within 2.8e-4. A chaotic network amplifies any
 * difference, as it amplifies any change of its parameters, and its gradient is then as
 * erratic as its sound (finite differences of such a voice converge only below steps of 1e-10).
 *
 * Nonsmooth points (each the documented subgradient; each is exact almost everywhere):
 *   - hardclip, relu, the rectifier and every clamp (filter cutoff range, joystick range,
 *     output bound, the 0.45 sr frequency cap, the attack increment cap): slope 1 strictly
 *     inside, 0 at and beyond the bound;
 *   - the comparator of rectcomp (spike when r > threshold): a step, derivative 0 with respect
 *     to s and to the threshold, so n*_thresh always gets 0 (its only derivative is a Dirac
 *     at the switching instants); spike gets its exact derivative [r > thr] - r;
 *   - the tanh approximant is clamped at +-7 and to [-1, 1]: slope 0 where clamped;
 *   - |mix| in the mix normalisation: sign(0) = 0;
 *   - delays: linear interpolation between whole samples, derivative the difference of the
 *     two samples read (one-sided at whole delays, the right one);
 *   - the soft limiter: its slope (1, 1 - u, or 0), continuous;
 *   - the end of the release (-120 dB ends the note) and the end of the attack: the samples
 *     as they fall, no derivative of the switching instant;
 *   - the filter's blow-up guard (states reset at a block's end): adjoints reset with them.
 * Parameters of neurons beyond n_neurons, and feedback from them, get 0 (they do not sound).
 * Discrete parameters (n_neurons, waves, tracking, filter type, activations) get 0. Values
 * outside their ranges are clamped before rendering, so their gradient is 0.
 *
 * Memory: the tape holds, a sample, nn + 7 doubles (axons, filter states and coefficient,
 * filter input and output, envelope, the envelope's adjoint) and 2 nn + 9 floats (slopes of
 * the activations and of the soft limiter, d/dspike, dg/doct, the oscillators' values and
 * derivatives, noise), nn the active neurons: sm_neuron_grad_tape_bytes, 5.5 MB for the
 * default voice at 1 s, 9.8 MB for 8 neurons (bench/bench_grad). The floats are only read by
 * the backward pass (their rounding moves a gradient by about 1e-7 relative); the forward
 * pass computes in double. The tape grows to the longest note seen on its state.
 *
 * Speed (bench/bench_grad, one core): forward and backward together cost 7x a render for the
 * default voice at 1 s, 5-7x for 8 neurons; the first version, which recomputed the inputs,
 * activations and filter slopes in the backward pass instead of keeping them, cost 15x. Render
 * itself is a float, block-vectorised loop (synths/neuron.c); this one is scalar double. */
#include "synths/neuron_internal.h"

#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NM SM_NEURON_MAX
#define LN2 0.6931471805599453
#define LN10 2.302585092994046

/* The clamped parameters turned into what the sample loop needs (double precision). */
typedef struct {
    int nn, filter;
    int wave[SM_NEURON_OSCS];
    double dt[SM_NEURON_OSCS];        /* cycles a sample */
    double ddt_dratio[SM_NEURON_OSCS];/* 0 when the 0.45 sr cap holds */
    double joy[3], joy_move, joy_dt, joy_ddt_drate;
    double bias[NM], w[NM][N_INPUTS], fb[NM][NM], thr[NM], spk[NM];
    int act[NM];
    int dint[NM];
    double dfrac[NM];
    double mix_raw[NM], mix[NM], mix_sum;
    double cut[NM];
    int cut_mod;                      /* some cut[k] is not 0 (render's table path) */
    double f_oct, dfoct_dfc;          /* dfoct_dfc 0 when capped */
    double kd, cl, cb, ch, dcb_dkd;
    double oct_max;
    double g0, dg0;                   /* g and dg/doct at f_oct without modulation (0: unset) */
    double env_inc, dinc_dattack, sus, dcoef, rcoef, ddc_ddecay, drc_drelease;
    size_t gate_n;
} gplan;

typedef struct {
    size_t cap;          /* samples the arrays hold */
    int nn;              /* neurons the arrays were sized for */
    size_t n;            /* samples of the last forward pass (0: none) */
    double p[P_TOTAL];   /* its clamped parameters */
    unsigned char changed[P_TOTAL]; /* 1: the value was clamped (gradient 0) */
    gplan pl;
    double *y;           /* n x nn: axons */
    float *slope, *dspk; /* n x nn: dy/ds and dy/dspike of each activation */
    double *ic;          /* n x 2: filter states before sample t */
    double *g;           /* n: filter coefficient */
    float *dg, *sl;      /* n: dg/doct, and the soft limiter's slope */
    float *osc_v, *osc_d;/* n x 3: each oscillator's value and d value / d dt */
    double *x;           /* n: filter input (the mix) */
    double *z;           /* n: before the envelope */
    double *env;         /* n: envelope */
    double *scratch;     /* n: the envelope's adjoint in the backward pass */
    float *noise;        /* n: the noise input */
    unsigned char *reset;/* n: the filter states were reset after sample t */
    double ring[NM][DELAY_SIZE];
} grad_tape;

size_t sm_neuron_grad_tape_bytes(size_t n, int nn)
{
    return n * (((size_t)nn + 7) * sizeof(double) + (2 * (size_t)nn + 9) * sizeof(float) + 1) +
           sizeof(grad_tape);
}

void sm_neuron_grad_free(void *tp)
{
    grad_tape *t = tp;
    if (!t) return;
    free(t->slope);
    free(t->dspk);
    free(t->dg);
    free(t->sl);
    free(t->osc_v);
    free(t->osc_d);
    free(t->y);
    free(t->ic);
    free(t->g);
    free(t->x);
    free(t->z);
    free(t->env);
    free(t->scratch);
    free(t->noise);
    free(t->reset);
    free(t);
}

/* Makes room for n samples of nn neurons. Returns 0 or SM_ERR_NOMEM (the tape then holds
 * nothing). */
static int tape_reserve(neuron_state *st, size_t n, int nn)
{
    grad_tape *t = st->grad;
    size_t cap;
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t) return SM_ERR_NOMEM;
        st->grad = t;
    }
    t->n = 0;
    if (t->cap >= n && t->nn >= nn) return 0;
    cap = n > t->cap ? n : t->cap;
    if (cap < 1) cap = 1;
    free(t->slope); free(t->dspk); free(t->dg); free(t->sl); free(t->osc_v); free(t->osc_d);
    free(t->y); free(t->ic); free(t->g); free(t->x); free(t->z);
    free(t->env); free(t->scratch); free(t->noise); free(t->reset);
    t->slope = malloc(cap * (size_t)nn * sizeof *t->slope);
    t->dspk = malloc(cap * (size_t)nn * sizeof *t->dspk);
    t->dg = malloc(cap * sizeof *t->dg);
    t->sl = malloc(cap * sizeof *t->sl);
    t->osc_v = malloc(cap * 3 * sizeof *t->osc_v);
    t->osc_d = malloc(cap * 3 * sizeof *t->osc_d);
    t->y = malloc(cap * (size_t)nn * sizeof *t->y);
    t->ic = malloc(cap * 2 * sizeof *t->ic);
    t->g = malloc(cap * sizeof *t->g);
    t->x = malloc(cap * sizeof *t->x);
    t->z = malloc(cap * sizeof *t->z);
    t->env = malloc(cap * sizeof *t->env);
    t->scratch = malloc(cap * sizeof *t->scratch);
    t->noise = malloc(cap * sizeof *t->noise);
    t->reset = malloc(cap);
    if (!t->slope || !t->dspk || !t->dg || !t->sl || !t->osc_v || !t->osc_d || !t->y ||
        !t->ic || !t->g || !t->x || !t->z || !t->env || !t->scratch ||
        !t->noise || !t->reset) {
        st->grad = NULL;
        t->cap = 0;
        sm_neuron_grad_free(t);
        return SM_ERR_NOMEM;
    }
    t->cap = cap;
    t->nn = nn;
    return 0;
}

/* T60 coefficient 10^(-3 / (T sr)) and its derivative with respect to T. */
static double t60(double T, double sr, double *dT)
{
    double c = pow(10.0, -3.0 / (T * sr));
    *dT = c * LN10 * 3.0 / (T * T * sr);
    return c;
}

/* The plan of neuron.c's make_plan, in double, keeping the zero weights (their gradient is
 * not zero) and the derivatives of each derived value with respect to its parameter. */
static void gplan_make(const neuron_state *st, const double *p, const sm_note *note, size_t n,
                       gplan *pl)
{
    const double sr = st->sr;
    double base, fc, res;
    int k, j, i;
    memset(pl, 0, sizeof *pl);
    pl->nn = (int)p[P_N_NEURONS];
    base = neuron_base_hz(p, note);
    for (i = 0; i < SM_NEURON_OSCS; i++) {
        double f = p[P_OSC1_RATIO + 2 * i] * base;
        pl->ddt_dratio[i] = base / sr;
        if (f > 0.45 * sr) {
            f = 0.45 * sr;
            pl->ddt_dratio[i] = 0;
        }
        pl->dt[i] = f / sr;
        pl->wave[i] = (int)p[P_OSC1_WAVE + 2 * i];
    }
    pl->joy[0] = p[P_JOY_X];
    pl->joy[1] = p[P_JOY_Y];
    pl->joy[2] = p[P_JOY_Z];
    pl->joy_move = p[P_JOY_MOVE];
    pl->joy_dt = p[P_JOY_RATE] / sr;
    pl->joy_ddt_drate = 1.0 / sr;
    for (k = 0; k < pl->nn; k++) {
        double d = p[NP(k, N_DELAY)];
        pl->act[k] = (int)p[NP(k, N_ACT)];
        pl->bias[k] = p[NP(k, N_BIAS)];
        pl->thr[k] = p[NP(k, N_THRESH)];
        pl->spk[k] = p[NP(k, N_SPIKE)];
        pl->dint[k] = (int)floor(d);
        pl->dfrac[k] = d - floor(d);
        pl->cut[k] = p[NP(k, N_CUTMOD)];
        if (pl->cut[k] != 0) pl->cut_mod = 1;
        pl->mix_raw[k] = p[NP(k, N_MIX)];
        pl->mix_sum += fabs(pl->mix_raw[k]);
        for (j = 0; j < pl->nn; j++) pl->fb[k][j] = p[NP(k, N_FB1 + j)];
        for (i = 0; i < N_INPUTS; i++) pl->w[k][i] = p[NP(k, N_W_OSC1 + i)];
    }
    for (k = 0; k < pl->nn; k++)
        pl->mix[k] = pl->mix_sum > 1 ? pl->mix_raw[k] / pl->mix_sum : pl->mix_raw[k];
    pl->filter = (int)p[P_FILTER_TYPE];
    pl->oct_max = (double)st->oct_max;
    fc = p[P_FILTER_CUTOFF];
    pl->f_oct = log2(fc / CUT_LO_HZ);
    pl->dfoct_dfc = 1.0 / (fc * LN2);
    if (pl->f_oct > pl->oct_max) {
        pl->f_oct = pl->oct_max;
        pl->dfoct_dfc = 0;
    }
    res = p[P_FILTER_RES];
    pl->kd = 2.0 - 1.94 * res;
    pl->cl = pl->filter == SM_NEURON_FILTER_BANDPASS ? 0.0
             : pl->filter == SM_NEURON_FILTER_HIGHPASS ? -1.0 : 1.0;
    pl->dcb_dkd = pl->filter == SM_NEURON_FILTER_LOWPASS ? 0.0
                  : pl->filter == SM_NEURON_FILTER_BANDPASS ? 1.0 : -1.0;
    pl->cb = pl->dcb_dkd * pl->kd;
    pl->ch = pl->filter == SM_NEURON_FILTER_HIGHPASS ? 1.0 : 0.0;
    pl->env_inc = 1.0 / (p[P_ENV_ATTACK] * sr);
    pl->dinc_dattack = -pl->env_inc / p[P_ENV_ATTACK];
    if (pl->env_inc > 1) {
        pl->env_inc = 1;
        pl->dinc_dattack = 0;
    }
    pl->sus = p[P_ENV_SUSTAIN];
    pl->dcoef = t60(p[P_ENV_DECAY], sr, &pl->ddc_ddecay);
    pl->rcoef = t60(p[P_ENV_RELEASE], sr, &pl->drc_drelease);
    pl->gate_n = neuron_gate_samples(note, sr, n);
}

/* ---- oscillators and inputs -------------------------------------------------------------- */

/* Välimäki's polynomial band-limited step (as neuron.c) and its partial derivatives with
 * respect to the phase x and the increment dt. */
static double blep(double x, double dt, double *dx, double *ddt)
{
    double u;
    if (x < dt) {
        u = x / dt;
        *dx = (2.0 - 2.0 * u) / dt;
        *ddt = -(2.0 - 2.0 * u) * u / dt;
        return u + u - u * u - 1.0;
    }
    if (x > 1.0 - dt) {
        u = (x - 1.0) / dt;
        *dx = (2.0 * u + 2.0) / dt;
        *ddt = -(2.0 * u + 2.0) * u / dt;
        return u * u + u + u + 1.0;
    }
    *dx = *ddt = 0;
    return 0.0;
}

static double frac(double v)
{
    return v - floor(v);
}

/* Oscillator i at sample t; *d receives d value / d dt (through the phase t dt and the
 * band-limiting steps) when d is not NULL. */
static double osc_value(const gplan *pl, int i, size_t t, double *d)
{
    const double dt = pl->dt[i], ph = frac((double)t * dt), tt = (double)t;
    double x, v, bx, bdt, bx2, bdt2, dv;
    switch (pl->wave[i]) {
    case SM_NEURON_SINE:
        v = sin(2.0 * M_PI * ph);
        dv = 2.0 * M_PI * cos(2.0 * M_PI * ph) * tt;
        break;
    case SM_NEURON_TRIANGLE:
        x = frac(ph + 0.75) - 0.5;
        v = 4.0 * fabs(x) - 1.0;
        dv = (x > 0 ? 4.0 : x < 0 ? -4.0 : 0.0) * tt;
        break;
    case SM_NEURON_SAW:
        x = frac(ph + 0.5);
        v = 2.0 * x - 1.0 - blep(x, dt, &bx, &bdt);
        dv = (2.0 - bx) * tt - bdt;
        break;
    default: /* square */
        x = ph;
        v = (x < 0.5 ? 1.0 : -1.0) + blep(x, dt, &bx, &bdt) - blep(frac(x + 0.5), dt, &bx2, &bdt2);
        dv = (bx - bx2) * tt + bdt - bdt2;
        break;
    }
    if (d) *d = dv;
    return v;
}

/* Joystick axis a (0..2) at sample t, clamped to [-1, 1]; with d: d/dc, d/ddepth, d/ddt. */
static double joy_value(const gplan *pl, int a, size_t t, double d[3])
{
    const double off = (double)((uint32_t)a * 0x55555555u) / 4294967296.0;
    double arg, sn, v;
    if (!d && pl->joy_move == 0) return pl->joy[a]; /* still: within [-1, 1] already */
    arg = 2.0 * M_PI * frac((double)t * pl->joy_dt + off);
    sn = sin(arg);
    v = pl->joy[a] + pl->joy_move * sn;
    if (d) {
        const int inside = v > -1.0 && v < 1.0;
        d[0] = inside ? 1.0 : 0.0;
        d[1] = inside ? sn : 0.0;
        d[2] = inside ? pl->joy_move * cos(arg) * 2.0 * M_PI * (double)t : 0.0;
    }
    return v < -1.0 ? -1.0 : v > 1.0 ? 1.0 : v;
}

/* Every input at sample t (noise from the tape); the oscillators' values and derivatives
 * go to the tape too. */
static void inputs_at(const gplan *pl, grad_tape *tp, size_t t, double in[N_INPUTS])
{
    int i;
    for (i = 0; i < SM_NEURON_OSCS; i++) {
        double dv;
        in[i] = osc_value(pl, i, t, &dv);
        tp->osc_v[3 * t + (size_t)i] = (float)in[i];
        tp->osc_d[3 * t + (size_t)i] = (float)dv;
    }
    for (i = 0; i < 3; i++) in[3 + i] = joy_value(pl, i, t, NULL);
    in[IN_NOISE] = tp->noise[t];
}

/* ---- nonlinearities ----------------------------------------------------------------------- */

/* neuron.c's fast tanh ([9/8] Padé, clamped at +-7 and to [-1, 1]) and its slope. */
static double pade_tanh(double x, double *slope)
{
    double x2, P, Q, dP, dQ, r;
    if (x <= -7.0 || x >= 7.0) {
        *slope = 0;
        x = x < 0 ? -7.0 : 7.0;
    }
    x2 = x * x;
    P = x * (34459425.0 + x2 * (4729725.0 + x2 * (135135.0 + x2 * (990.0 + x2))));
    Q = 34459425.0 + x2 * (16216200.0 + x2 * (945945.0 + x2 * (13860.0 + x2 * 45.0)));
    dP = 34459425.0 + x2 * (3 * 4729725.0 + x2 * (5 * 135135.0 + x2 * (7 * 990.0 + 9 * x2)));
    dQ = x * (2 * 16216200.0 + x2 * (4 * 945945.0 + x2 * (6 * 13860.0 + x2 * 8 * 45.0)));
    r = P / Q;
    if (x > -7.0 && x < 7.0) *slope = (dP * Q - P * dQ) / (Q * Q);
    if (r >= 1.0 || r <= -1.0) {
        *slope = 0;
        return r > 0 ? 1.0 : -1.0;
    }
    return r;
}

/* Activation of neuron k on s; *slope = dy/ds, *dspk = dy/dspike (rectcomp only). */
static double act_value(const gplan *pl, int k, double s, double *slope, double *dspk)
{
    double r;
    *dspk = 0;
    switch (pl->act[k]) {
    case SM_NEURON_ACT_TANH:
        return pade_tanh(s, slope);
    case SM_NEURON_ACT_RELU:
        *slope = s > 0.0 && s < 1.0 ? 1.0 : 0.0;
        return s < 0.0 ? 0.0 : s > 1.0 ? 1.0 : s;
    case SM_NEURON_ACT_HARDCLIP:
        *slope = s > -1.0 && s < 1.0 ? 1.0 : 0.0;
        return s < -1.0 ? -1.0 : s > 1.0 ? 1.0 : s;
    case SM_NEURON_ACT_RECTCOMP: {
        const double spk = pl->spk[k];
        r = s < 0.0 ? 0.0 : s > 1.0 ? 1.0 : s;
        *slope = s > 0.0 && s < 1.0 ? 1.0 - spk : 0.0;
        *dspk = (r > pl->thr[k] ? 1.0 : 0.0) - r;
        return (1.0 - spk) * r + (r > pl->thr[k] ? spk : 0.0);
    }
    default:
        *slope = 0;
        return 0.0;
    }
}

/* neuron.c's soft limiter and its slope. */
static double soft_limit(double x, double *slope)
{
    const double a = fabs(x);
    double u = a - 0.5, y;
    if (u < 0) u = 0;
    if (u > 1) u = 1;
    y = (a < 0.5 ? a : 0.5) + u - 0.5 * u * u;
    *slope = a < 0.5 ? 1.0 : a <= 1.5 ? 1.0 - u : 0.0;
    return x < 0 ? -y : y;
}

/* Filter coefficient g at cutoff octave oct, as render makes it; *dg = dg/doct. Without
 * cutoff modulation render uses g = tan(pi fc / sr) exactly; with it, the table of st->gtab
 * (tan at 48 points an octave) interpolated linearly, whose slope is the derivative here
 * (exact between table points, the right-hand slope at them). The octave is clamped to
 * [0, oct_max] (slope 0 outside). */
static double filter_g(const neuron_state *st, const gplan *pl, double oct, double *dg)
{
    const double sr = st->sr;
    int inside = 1;
    double fc, g;
    if (oct <= 0.0) {
        oct = 0.0;
        inside = 0;
    }
    if (oct >= pl->oct_max) {
        oct = pl->oct_max;
        inside = 0;
    }
    if (pl->cut_mod) {
        const double idx = oct * CUT_STEPS;
        int i = (int)idx;
        double fr;
        if (i > st->gtab_last) i = st->gtab_last;
        fr = idx - (double)i;
        g = st->gtab[i] + fr * ((double)st->gtab[i + 1] - st->gtab[i]);
        *dg = inside ? ((double)st->gtab[i + 1] - st->gtab[i]) * CUT_STEPS : 0.0;
        return g;
    }
    if (oct == pl->f_oct && pl->g0 > 0) { /* the unmodulated cutoff: made once */
        *dg = inside ? pl->dg0 : 0.0;
        return pl->g0;
    }
    fc = CUT_LO_HZ * exp2(oct);
    if (fc > 0.45 * sr) fc = 0.45 * sr;
    g = tan(M_PI * fc / sr);
    *dg = inside ? (1.0 + g * g) * M_PI * fc / sr * LN2 : 0.0;
    return g;
}

/* ---- envelope ------------------------------------------------------------------------------ */

/* The envelope of neuron.c's envelope_block, sample by sample, with its derivatives with
 * respect to inc, sus, dcoef and rcoef carried forward. env (may be NULL) receives its n
 * values; with w, acc[0..4) += sum_t w[t] d env(t) / d (inc, sus, dcoef, rcoef). */
static void envelope_run(const gplan *pl, size_t n, double *env, const double *w, double acc[4])
{
    enum { ATTACK, DECAY, RELEASE } stage = ATTACK;
    double e = 0, de[4] = {0, 0, 0, 0}, dist = 0, dd[4] = {0, 0, 0, 0};
    size_t t;
    int j, over = 0;
    for (t = 0; t < n; t++) {
        if (over) {
            if (env) env[t] = 0;
            continue;
        }
        if (stage != RELEASE && t == pl->gate_n) {
            if (stage == DECAY) { /* the decay loop ends at the gate: its flush */
                if (fabs(dist) < 1e-7) {
                    dist = 0;
                    memset(dd, 0, sizeof dd);
                }
                e = pl->sus + dist;
                for (j = 0; j < 4; j++) de[j] = dd[j] + (j == 1);
            }
            stage = RELEASE;
        }
        if (stage == ATTACK) {
            e += pl->env_inc;
            de[0] += 1;
            if (e >= 1.0) {
                e = 1.0;
                memset(de, 0, sizeof de);
                stage = DECAY;
                dist = e - pl->sus;
                memset(dd, 0, sizeof dd);
                dd[1] = -1;
            }
        } else if (stage == DECAY) {
            for (j = 0; j < 4; j++) dd[j] *= pl->dcoef;
            dd[2] += dist;
            dist *= pl->dcoef;
            e = pl->sus + dist;
            for (j = 0; j < 4; j++) de[j] = dd[j] + (j == 1);
            if ((t + 1) % 64 == 0 && fabs(dist) < 1e-7) { /* flushed once a block */
                dist = 0;
                memset(dd, 0, sizeof dd);
            }
        } else {
            for (j = 0; j < 4; j++) de[j] *= pl->rcoef;
            de[3] += e;
            e *= pl->rcoef;
            if (e < 1e-6) { /* -120 dB: the note is over */
                over = 1;
                if (env) env[t] = 0;
                continue;
            }
        }
        if (env) env[t] = e;
        if (w && w[t] != 0)
            for (j = 0; j < 4; j++) acc[j] += w[t] * de[j];
    }
}

/* ---- forward -------------------------------------------------------------------------------- */

/* The forward pass into the tape; out (n doubles, may be NULL) receives the samples. */
static void forward(neuron_state *st, grad_tape *tp, const sm_note *note, size_t n, double *out)
{
    const gplan *pl = &tp->pl;
    const int nn = pl->nn;
    double ic1 = 0, ic2 = 0;
    size_t t;
    int k, j, m;
    sm_rng rng;
    uint64_t s;

    sm_rng_init(&rng, note->seed, 0x6e657572u /* "neur" */);
    s = sm_rng_u64(&rng);
    for (t = 0; t < n; t++) { /* neuron.c's noise, in [-1, 1) */
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        tp->noise[t] = (float)(int32_t)(uint32_t)(s >> 32) * (1.0f / 2147483648.0f);
    }
    envelope_run(pl, n, tp->env, NULL, NULL);
    for (t = 0; t < n; t++) {
        double in[N_INPUTS], d[NM], bus = 0, oct = pl->f_oct, z, o;
        double *yr = tp->y + t * (size_t)nn;
        float *slr = tp->slope + t * (size_t)nn, *dsr = tp->dspk + t * (size_t)nn;
        inputs_at(pl, tp, t, in);
        for (j = 0; j < nn; j++) {
            const long long i0 = (long long)t - pl->dint[j];
            const double a = i0 >= 0 ? tp->y[(size_t)i0 * nn + j] : 0.0;
            const double b = i0 >= 1 ? tp->y[(size_t)(i0 - 1) * nn + j] : 0.0;
            d[j] = a + pl->dfrac[j] * (b - a);
        }
        for (k = 0; k < nn; k++) {
            double sum = pl->bias[k], sl, dsp;
            for (m = 0; m < N_INPUTS; m++) sum += pl->w[k][m] * in[m];
            for (j = 0; j < nn; j++) sum += pl->fb[k][j] * d[j];
            yr[k] = act_value(pl, k, sum, &sl, &dsp);
            slr[k] = (float)sl;
            dsr[k] = (float)dsp;
        }
        for (k = 0; k < nn; k++) {
            bus += pl->mix[k] * yr[k];
            oct += pl->cut[k] * yr[k];
        }
        tp->x[t] = bus;
        tp->ic[2 * t] = ic1;
        tp->ic[2 * t + 1] = ic2;
        tp->reset[t] = 0;
        if (pl->filter != SM_NEURON_FILTER_OFF) {
            double dg, sl;
            const double g = filter_g(st, pl, oct, &dg);
            const double a1 = 1.0 / (1.0 + g * (g + pl->kd)), a2 = g * a1, a3 = g * a2;
            const double v3 = bus - ic2, v1 = a1 * ic1 + a2 * v3, v2 = ic2 + a2 * ic1 + a3 * v3;
            tp->g[t] = g;
            tp->dg[t] = (float)dg;
            ic1 = 2.0 * v1 - ic1;
            ic2 = 2.0 * v2 - ic2;
            z = soft_limit(pl->cl * v2 + pl->cb * v1 + pl->ch * bus, &sl);
            tp->sl[t] = (float)sl;
            if ((t + 1) % 64 == 0 && !(fabs(ic1) < 1e4 && fabs(ic2) < 1e4)) {
                ic1 = ic2 = 0; /* neuron.c's guard, once a block */
                tp->reset[t] = 1;
            }
        } else {
            tp->g[t] = 0;
            z = bus;
        }
        tp->z[t] = z;
        o = tp->env[t] * z;
        if (out) out[t] = o < -1.0 ? -1.0 : o > 1.0 ? 1.0 : o == o ? o : 0.0;
    }
    tp->n = n;
}

/* The neuron count render will use for native (clamped and rounded as sm_params_clamp). */
static int active_neurons(const double *native)
{
    double v = native[P_N_NEURONS];
    if (!(v >= 1)) v = isnan(v) ? 2 : 1; /* NaN: the default */
    if (v > NM) v = NM;
    return (int)floor(v + 0.5);
}

/* Clamps native into the tape (recording which values changed) and makes the plan. */
static void prepare(neuron_state *st, grad_tape *tp, const double *native, const sm_note *note,
                    size_t n)
{
    size_t i;
    memcpy(tp->p, native, sizeof tp->p);
    sm_params_clamp(sm_synth_neuron.space, tp->p);
    for (i = 0; i < P_TOTAL; i++) tp->changed[i] = !(tp->p[i] == native[i]);
    gplan_make(st, tp->p, note, n, &tp->pl);
    if (!tp->pl.cut_mod) {
        double dg;
        const double g = filter_g(st, &tp->pl, tp->pl.f_oct, &dg);
        tp->pl.dg0 = dg;
        tp->pl.g0 = g;
    }
}

int sm_neuron_render_exact(void *vst, const double *native, const sm_note *note, double *out,
                           size_t n)
{
    neuron_state *st = vst;
    int rc;
    if (!st || !native || !note || (!out && n)) return SM_ERR_ARG;
    if ((rc = tape_reserve(st, n, active_neurons(native))) != 0) return rc;
    prepare(st, st->grad, native, note, n);
    forward(st, st->grad, note, n, out);
    return 0;
}

/* ---- backward -------------------------------------------------------------------------------- */

static void backward(grad_tape *tp, const double *gout, double *grad)
{
    const gplan *pl = &tp->pl;
    const int nn = pl->nn;
    const size_t n = tp->n;
    double mixbar[NM] = {0}, cutbar[NM] = {0}, biasbar[NM] = {0}, spkbar[NM] = {0};
    double wbar[NM][N_INPUTS], fbbar[NM][NM], dfracbar[NM] = {0};
    double dtbar[SM_NEURON_OSCS] = {0}, joybar[3][3], foctbar = 0, kdbar = 0, envacc[4] = {0};
    double n1bar = 0, n2bar = 0;
    size_t t;
    int k, j, m;

    memset(wbar, 0, sizeof wbar);
    memset(fbbar, 0, sizeof fbbar);
    memset(joybar, 0, sizeof joybar);
    memset(tp->ring, 0, sizeof tp->ring);
    for (t = n; t-- > 0;) {
        const double *yr = tp->y + t * (size_t)nn;
        const float *slr = tp->slope + t * (size_t)nn, *dsr = tp->dspk + t * (size_t)nn;
        const double e = tp->env[t], z = tp->z[t], o = e * z;
        const double pbar = (o > -1.0 && o < 1.0) ? gout[t] : 0.0;
        double zbar = pbar * e, busbar, octbar = 0, ybar[NM], sbar[NM], inbar[N_INPUTS];
        tp->scratch[t] = pbar * z;
        if (pl->filter != SM_NEURON_FILTER_OFF) {
            const double ic1 = tp->ic[2 * t], ic2 = tp->ic[2 * t + 1], g = tp->g[t];
            const double x = tp->x[t], kd = pl->kd, D = 1.0 + g * (g + kd);
            const double a1 = 1.0 / D, a2 = g * a1, a3 = g * a2;
            const double v3 = x - ic2, v1 = a1 * ic1 + a2 * v3;
            double prebar, v1bar, v2bar, v3bar, ic1bar, ic2bar, a1bar, a2bar, a3bar, gbar;
            if (tp->reset[t]) n1bar = n2bar = 0; /* the states after t were set to 0 */
            prebar = zbar * (double)tp->sl[t];
            v1bar = prebar * pl->cb + 2.0 * n1bar;
            v2bar = prebar * pl->cl + 2.0 * n2bar;
            busbar = prebar * pl->ch;
            kdbar += prebar * v1 * pl->dcb_dkd;
            ic1bar = -n1bar + v1bar * a1 + v2bar * a2;
            ic2bar = -n2bar + v2bar;
            a1bar = v1bar * ic1;
            a2bar = v1bar * v3 + v2bar * ic1;
            a3bar = v2bar * v3;
            v3bar = v1bar * a2 + v2bar * a3;
            busbar += v3bar;
            ic2bar -= v3bar;
            gbar = a3bar * a2;
            a2bar += a3bar * g;
            gbar += a2bar * a1;
            a1bar += a2bar * g;
            gbar += a1bar * (-(2.0 * g + kd) / (D * D));
            kdbar += a1bar * (-g / (D * D));
            octbar = gbar * (double)tp->dg[t];
            foctbar += octbar;
            n1bar = ic1bar;
            n2bar = ic2bar;
        } else {
            busbar = zbar;
        }
        for (k = 0; k < nn; k++) {
            const size_t slot = t & DELAY_MASK;
            mixbar[k] += busbar * yr[k];
            cutbar[k] += octbar * yr[k];
            ybar[k] = busbar * pl->mix[k] + octbar * pl->cut[k] + tp->ring[k][slot];
            tp->ring[k][slot] = 0;
        }
        for (k = 0; k < nn; k++) {
            sbar[k] = ybar[k] * (double)slr[k];
            spkbar[k] += ybar[k] * (double)dsr[k];
            biasbar[k] += sbar[k];
        }
        {
            double in[N_INPUTS];
            for (m = 0; m < SM_NEURON_OSCS; m++) in[m] = (double)tp->osc_v[3 * t + (size_t)m];
            for (m = 0; m < 3; m++) in[3 + m] = joy_value(pl, m, t, NULL);
            in[IN_NOISE] = tp->noise[t];
            for (m = 0; m < N_INPUTS; m++) {
                inbar[m] = 0;
                for (k = 0; k < nn; k++) {
                    wbar[k][m] += sbar[k] * in[m];
                    inbar[m] += sbar[k] * pl->w[k][m];
                }
            }
            for (m = 0; m < SM_NEURON_OSCS; m++)
                dtbar[m] += inbar[m] * (double)tp->osc_d[3 * t + (size_t)m];
            for (m = 0; m < 3; m++)
                if (inbar[3 + m] != 0) {
                    double dj[3];
                    joy_value(pl, m, t, dj);
                    joybar[m][0] += inbar[3 + m] * dj[0];
                    joybar[m][1] += inbar[3 + m] * dj[1];
                    joybar[m][2] += inbar[3 + m] * dj[2];
                }
        }
        for (j = 0; j < nn; j++) {
            const long long i0 = (long long)t - pl->dint[j];
            const double a = i0 >= 0 ? tp->y[(size_t)i0 * nn + j] : 0.0;
            const double b = i0 >= 1 ? tp->y[(size_t)(i0 - 1) * nn + j] : 0.0;
            const double dj = a + pl->dfrac[j] * (b - a);
            double dbar = 0;
            for (k = 0; k < nn; k++) {
                fbbar[k][j] += sbar[k] * dj;
                dbar += sbar[k] * pl->fb[k][j];
            }
            if (i0 >= 0) tp->ring[j][(size_t)i0 & DELAY_MASK] += dbar * (1.0 - pl->dfrac[j]);
            if (i0 >= 1) tp->ring[j][(size_t)(i0 - 1) & DELAY_MASK] += dbar * pl->dfrac[j];
            dfracbar[j] += dbar * (b - a);
        }
    }
    envelope_run(pl, n, NULL, tp->scratch, envacc);

    /* derived values -> native parameters */
#define ADD(i, v)                                   \
    do {                                            \
        if (!tp->changed[i]) grad[i] += (v);        \
    } while (0)
    for (m = 0; m < SM_NEURON_OSCS; m++) ADD(P_OSC1_RATIO + 2 * m, dtbar[m] * pl->ddt_dratio[m]);
    {
        double jrate = 0;
        for (m = 0; m < 3; m++) jrate += joybar[m][2];
        ADD(P_JOY_X, joybar[0][0]);
        ADD(P_JOY_Y, joybar[1][0]);
        ADD(P_JOY_Z, joybar[2][0]);
        ADD(P_JOY_MOVE, joybar[0][1] + joybar[1][1] + joybar[2][1]);
        ADD(P_JOY_RATE, jrate * pl->joy_ddt_drate);
    }
    if (pl->filter != SM_NEURON_FILTER_OFF) {
        ADD(P_FILTER_CUTOFF, foctbar * pl->dfoct_dfc);
        ADD(P_FILTER_RES, -1.94 * kdbar);
    }
    ADD(P_ENV_ATTACK, envacc[0] * pl->dinc_dattack);
    ADD(P_ENV_SUSTAIN, envacc[1]);
    ADD(P_ENV_DECAY, envacc[2] * pl->ddc_ddecay);
    ADD(P_ENV_RELEASE, envacc[3] * pl->drc_drelease);
    {
        double dot = 0;
        for (k = 0; k < nn; k++) dot += mixbar[k] * pl->mix_raw[k];
        for (k = 0; k < nn; k++) {
            double g = mixbar[k];
            if (pl->mix_sum > 1) {
                const double sg = pl->mix_raw[k] > 0 ? 1.0 : pl->mix_raw[k] < 0 ? -1.0 : 0.0;
                g = mixbar[k] / pl->mix_sum - sg * dot / (pl->mix_sum * pl->mix_sum);
            }
            ADD(NP(k, N_MIX), g);
        }
    }
    for (k = 0; k < nn; k++) {
        ADD(NP(k, N_BIAS), biasbar[k]);
        for (m = 0; m < N_INPUTS; m++) ADD(NP(k, N_W_OSC1 + m), wbar[k][m]);
        for (j = 0; j < nn; j++) ADD(NP(k, N_FB1 + j), fbbar[k][j]);
        ADD(NP(k, N_DELAY), dfracbar[k]);
        if (pl->act[k] == SM_NEURON_ACT_RECTCOMP) ADD(NP(k, N_SPIKE), spkbar[k]);
        if (pl->filter != SM_NEURON_FILTER_OFF) ADD(NP(k, N_CUTMOD), cutbar[k]);
    }
#undef ADD
}

int sm_neuron_render_grad(void *vst, const double *native, const sm_note *note, size_t n,
                          float *out, const double *dl_dout, double *dl_dnative)
{
    neuron_state *st = vst;
    grad_tape *tp;
    int rc;
    size_t t;
    if (!st) return SM_ERR_ARG;
    if (out) {
        if (dl_dout || !native || !note) return SM_ERR_ARG;
        if ((rc = tape_reserve(st, n, active_neurons(native))) != 0) return rc;
        tp = st->grad;
        prepare(st, tp, native, note, n);
        forward(st, tp, note, n, NULL);
        for (t = 0; t < n; t++) { /* neuron.c's bound: clamped, NaN 0, tiny values 0 */
            double o = tp->env[t] * tp->z[t];
            float v;
            o = o < -1.0 ? -1.0 : o > 1.0 ? 1.0 : o == o ? o : 0.0;
            v = (float)o;
            out[t] = fabsf(v) < FLUSH ? 0.0f : v;
        }
        return 0;
    }
    if (!dl_dout || !dl_dnative) return SM_ERR_ARG;
    tp = st->grad;
    if (!tp || tp->n != n || n == 0) return SM_ERR_ARG;
    backward(tp, dl_dout, dl_dnative);
    return 0;
}
