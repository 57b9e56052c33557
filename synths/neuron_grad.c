/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/neuron_grad.c: exact gradients of the neuron voice (sm_synth_type.render_grad) by
 * reverse mode (backpropagation through time).
 *
 * The forward pass is a double-precision copy of the render of synths/neuron.c that records
 * in a tape owned by the state what the backward pass needs: every neuron's axon y_k(t) and
 * its activation's slopes, the oscillators' values and derivatives, the filter's states
 * before each sample (both stages' for lowpass24), its coefficient g(t) and slopes, its input
 * and output, the envelope and the noise input. The backward pass runs the adjoint of each
 * step in reverse order; the delayed axons' adjoints wait in a ring like the forward delay
 * lines. lowpass24's two stages share g(t) and the damping k: the backward pass makes the
 * second stage's input (the first one's low output) again from the first stage's record, runs
 * the second stage's adjoint, then the first's, and adds both stages' shares to the adjoints
 * of g (so of the cutoff, cutmod and filter_env_oct) and of k (filter_res). The envelope has
 * four scalar parameters and no input from the network, so its parameters' derivatives are
 * carried forward (forward mode) in a separate sweep of the backward pass, weighted by the
 * adjoint of the envelope. That adjoint gathers both of the envelope's uses: the gain on the
 * filter's output, and filter_env_oct times it in the cutoff's octave. The low cut
 * (lowcut_hz, after the envelope and the output bound) is linear with one coefficient: its
 * input and states are kept a sample, and its adjoint runs first over the whole note, giving
 * the adjoint of its input to the rest and dL/dg of its coefficient (lowcut_fwd, lowcut_bwd).
 *
 * Both passes work in blocks of 64 samples, as render does: only the network's recurrence and
 * the filter run sample by sample (the backward pass: from the block's last sample to its
 * first); the inputs, the neurons' external drives, the mix, the filter's coefficients and,
 * in the backward pass, every adjoint that is a sum over samples of an adjoint times a value
 * of the tape (the weights', the mix's, the bias's, the oscillators' increments') are loops
 * over the block.
 *
 * How the gradient's forward render differs from render (tests/test_grad.c measures it):
 *   - double precision throughout; no flush of tiny values to zero (flush is the identity
 *     for the derivative);
 *   - oscillator phases are frac(t * dt) with the exact increment dt = f / sr, not render's
 *     32-bit phase increment rounded to 2^-32 of a cycle (a phase difference below 2.4e-10
 *     cycles a sample, 1e-4 cycles after 10 s);
 *   - sines (the oscillators' and the moving joystick's) by sin() and cos() at each block's
 *     first sample, then turned by a rotation each sample (turn_block: within 4.5e-11 of
 *     sin() over 10 s), not render's 4096-point table (within 3e-7);
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
 *   - the filter's blow-up guard (states reset at a block's end): adjoints reset with them;
 *   - lowcut_hz at its minimum, 5 Hz, switches the low cut off: gradient 0 there (the one
 *     place the voice jumps: above it the low cut takes away the DC).
 * Parameters of neurons beyond n_neurons, and feedback from them, get 0 (they do not sound).
 * Discrete parameters (n_neurons, waves, tracking, filter type, activations) get 0. Values
 * outside their ranges are clamped before rendering, so their gradient is 0.
 *
 * Memory: the tape holds, a sample, nn + 13 doubles (axons; the filter's states, both
 * stages', coefficient, input and output; the envelope and its adjoint; the low cut's input
 * and states, and its input's adjoint) and 2 nn + 9 floats (slopes of the activations,
 * d/dspike, dg/doct, the soft limiter's slope, the oscillators' values and derivatives,
 * noise), 16 nn + 140 bytes, nn the active neurons, whatever the filter type:
 * sm_neuron_grad_tape_bytes, 7.6 MB for the default voice at 1 s, 11.8 MB for 8 neurons
 * (bench/bench_grad; 5.5 and 9.7 MB before the second filter stage's states, whose 16 bytes
 * made the filter's record 64, and the low cut's 32 bytes; the default voice's gradient with
 * lowpass measured 2-6 % slower with the 64-byte record than with the 48-byte one, best of 40
 * in the same minutes, about the shared machine's noise). The floats are only read by the
 * backward pass (their rounding moves a gradient by about 1e-7 relative); the forward pass
 * computes in double. The tape grows to the longest note seen on its state. Each sample's
 * values lie together (the filter's in one 64-byte record, the
 * neurons' in a row), so the backward pass reads a few streams, whatever nn.
 *
 * Speed (bench/bench_grad, one core, the same minutes; the machine shared, so ratios, not
 * times; two rounds, 2026-12-02): forward and backward together cost 3.6-3.7x a render for
 * the default voice at 1 s and 4.9-5.0x at 10 s (the previous version: 7.3x and 8.9-11.4x),
 * 3.2-3.6x for 8 neurons at 1 s and 3.4x at 10 s (before: 4.8-5.8x and 5.6-5.9x); the whole
 * objective with its gradient, 3.6-3.7x the objective without (before: 6.1x). With
 * lowpass24 the default voice's gradient costs about what it does with lowpass, relative to
 * its render (4.2-4.4x against 4.1-4.3x at 1 s, the same minutes, 2026-12-02), and so does
 * it with the low cut on (3.5-4.1x at 1 s, three rounds; BENCHMARKS.md). On 2026-12-03
 * (2-core Xeon VM, the two versions run in turn, three rounds) three more changes took the
 * gradient of neuron_learn.ini's voice (lowpass24, low cut) from 3.5-3.8x its render to
 * 3.1x, and the default voice's from 4.0x to 3.25x at 1 s and 5.6x to 4.8-5.0x at 10 s,
 * with the same values to the last bit: the envelope's state in scalars (its loop was 10 % of
 * a gd run), the backward pass's sums over samples in one pass (sample_sums), and no work
 * for inputs weighted 0 or for the noise when the seed has not changed. What it
 * took before: sines by rotation instead of sin() and cos() a sample; blocks, with the sums
 * over samples of the backward pass out of its recurrence; each sample's tape values together
 * (one array a neuron and a value measured 1.4x slower for 8 neurons); the delay reads
 * without branches (zeros before the note); the loops over neurons unrolled for 1 to 4
 * neurons; one division for the tanh approximant and its slope. The
 * first version, which recomputed the inputs, activations and filter slopes in the backward
 * pass instead of keeping them, cost 15x. Render itself is a float, block-vectorised loop
 * (synths/neuron.c); this one is double. */
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
    double osc_rc[SM_NEURON_OSCS], osc_rs[SM_NEURON_OSCS]; /* cos, sin of 2 pi dt */
    double joy[3], joy_move, joy_dt, joy_ddt_drate;
    double joy_rc, joy_rs;            /* cos, sin of 2 pi joy_dt */
    int in_used[N_INPUTS];            /* some active neuron's weight of the input is not 0 */
    double bias[NM], w[NM][N_INPUTS], fb[NM][NM], thr[NM], spk[NM];
    int act[NM];
    int dint[NM];
    double dfrac[NM];
    double mix_raw[NM], mix[NM], mix_sum;
    double cut[NM];
    int cut_mod;                      /* some cut[k] is not 0, or f_env (render's table path) */
    double f_env;                     /* octaves of cutoff the envelope adds */
    double f_oct, dfoct_dfc;          /* dfoct_dfc 0 when capped */
    double kd, cl, cb, ch, dcb_dkd;
    double oct_max;
    double g0, dg0;                   /* g and dg/doct at f_oct without modulation (0: unset) */
    double env_inc, dinc_dattack, sus, dcoef, rcoef, ddc_ddecay, drc_drelease;
    int lowcut;                       /* the low cut is on */
    double lc_g, lc_dg_dfc;           /* its tan(pi fc / sr), d/dfc (0 when capped) */
    double lc_a[3];                   /* its coefficients a1, a2, a3 */
    size_t gate_n;
} gplan;

/* Zeros kept before the axons in the tape: what a delay reads before the note starts (65
 * samples at most), so the delay reads need no branch. */
#define YPAD 72
/* Samples a block: the forward and backward passes run the recurrent parts sample by sample
 * within a block and everything else as loops over the block. */
#define BLK 64

/* The filter's record of one sample (64 bytes). The second stage's input, the first's low
 * output, is not kept: the backward pass makes it again from ic1, ic2, g and x. */
typedef struct {
    double ic1, ic2;     /* its states before the sample */
    double ic3, ic4;     /* the second stage's (lowpass24; 0 for the other types) */
    double g, x, z;      /* its coefficient, input (the mix) and output (before the envelope) */
    float dg, sl;        /* dg/doct, and the soft limiter's slope */
} fsample;

/* The tape. Each sample's values are together (a record, or nn values in a row), so that the
 * backward pass, which runs from the last sample to the first, reads few streams: with one
 * array a neuron and a value it read 20 to 40 and measured 1.4x slower for 8 neurons. */
typedef struct {
    size_t cap;          /* samples the arrays hold */
    int nn_cap;          /* neurons the arrays were sized for */
    int nn;              /* neurons of the last forward pass: the rows' length */
    size_t n;            /* samples of the last forward pass (0: none) */
    double p[P_TOTAL];   /* its clamped parameters */
    unsigned char changed[P_TOTAL]; /* 1: the value was clamped (gradient 0) */
    gplan pl;
    double *ybuf;        /* (YPAD + cap) x nn: axons (ytape), YPAD x nn zeros first */
    float *sd;           /* cap x 2 nn: dy/ds of each activation, then dy/dspike of each */
    fsample *f;          /* cap: the filter */
    float *osc;          /* cap x 6: each oscillator's value, then d value / d dt of each */
    double *env;         /* cap: envelope */
    double *scratch;     /* cap: the envelope's adjoint in the backward pass */
    double *lc;          /* cap x 3: the low cut's input and states before each sample */
    double *lcbar;       /* cap: the adjoint of the low cut's input, in the backward pass */
    size_t over_n;       /* the sample at which the release ended the note (n: never) */
    float *noise;        /* cap: the noise input */
    size_t noise_n;      /* its samples made, 0 when none */
    uint64_t noise_seed; /* and the note's seed they were made from */
    unsigned char *reset;/* a block: the filter states were reset after its last sample */
    double ring[NM][DELAY_SIZE];
} grad_tape;

/* The axons: y[t nn + k] for neuron k at sample t >= -YPAD (0 before the note). */
static inline double *ytape(const grad_tape *t)
{
    return t->ybuf + (size_t)YPAD * (size_t)t->nn;
}

size_t sm_neuron_grad_tape_bytes(size_t n, int nn)
{
    return n * ((size_t)nn * sizeof(double) + 2 * (size_t)nn * sizeof(float) +
                sizeof(fsample) + 6 * sizeof(float) + 6 * sizeof(double) + sizeof(float)) +
           (n + BLK - 1) / BLK + (size_t)nn * YPAD * sizeof(double) + sizeof(grad_tape);
}

void sm_neuron_grad_free(void *tp)
{
    grad_tape *t = tp;
    if (!t) return;
    free(t->ybuf);
    free(t->sd);
    free(t->f);
    free(t->osc);
    free(t->env);
    free(t->scratch);
    free(t->lc);
    free(t->lcbar);
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
    t->nn = nn;
    if (t->cap >= n && t->nn_cap >= nn) {
        memset(t->ybuf, 0, YPAD * (size_t)nn * sizeof *t->ybuf);
        return 0;
    }
    cap = n > t->cap ? n : t->cap;
    if (cap < 1) cap = 1;
    free(t->ybuf); free(t->sd); free(t->f); free(t->osc);
    free(t->env); free(t->scratch); free(t->noise); free(t->reset);
    free(t->lc); free(t->lcbar);
    t->ybuf = malloc((cap + YPAD) * (size_t)nn * sizeof *t->ybuf);
    t->sd = malloc(cap * 2 * (size_t)nn * sizeof *t->sd);
    t->f = malloc(cap * sizeof *t->f);
    t->osc = malloc(cap * 6 * sizeof *t->osc);
    t->env = malloc(cap * sizeof *t->env);
    t->scratch = malloc(cap * sizeof *t->scratch);
    t->lc = malloc(cap * 3 * sizeof *t->lc);
    t->lcbar = malloc(cap * sizeof *t->lcbar);
    t->noise = malloc(cap * sizeof *t->noise);
    t->noise_n = 0;
    t->reset = malloc((cap + BLK - 1) / BLK);
    if (!t->ybuf || !t->sd || !t->f || !t->osc || !t->env || !t->scratch || !t->noise ||
        !t->reset || !t->lc || !t->lcbar) {
        st->grad = NULL;
        t->cap = 0;
        sm_neuron_grad_free(t);
        return SM_ERR_NOMEM;
    }
    t->cap = cap;
    t->nn_cap = nn;
    memset(t->ybuf, 0, YPAD * (size_t)nn * sizeof *t->ybuf);
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
        pl->osc_rc[i] = cos(2.0 * M_PI * pl->dt[i]);
        pl->osc_rs[i] = sin(2.0 * M_PI * pl->dt[i]);
        pl->wave[i] = (int)p[P_OSC1_WAVE + 2 * i];
    }
    pl->joy[0] = p[P_JOY_X];
    pl->joy[1] = p[P_JOY_Y];
    pl->joy[2] = p[P_JOY_Z];
    pl->joy_move = p[P_JOY_MOVE];
    pl->joy_dt = p[P_JOY_RATE] / sr;
    pl->joy_ddt_drate = 1.0 / sr;
    pl->joy_rc = cos(2.0 * M_PI * pl->joy_dt);
    pl->joy_rs = sin(2.0 * M_PI * pl->joy_dt);
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
        for (i = 0; i < N_INPUTS; i++) {
            pl->w[k][i] = p[NP(k, N_W_OSC1 + i)];
            if (pl->w[k][i] != 0) pl->in_used[i] = 1;
        }
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
    pl->f_env = p[P_FILTER_ENV];
    if (pl->f_env != 0) pl->cut_mod = 1;
    res = p[P_FILTER_RES];
    pl->kd = 2.0 - 1.94 * res;
    pl->cl = pl->filter == SM_NEURON_FILTER_BANDPASS ? 0.0
             : pl->filter == SM_NEURON_FILTER_HIGHPASS ? -1.0 : 1.0;
    pl->dcb_dkd = pl->filter == SM_NEURON_FILTER_BANDPASS ? 1.0
                  : pl->filter == SM_NEURON_FILTER_HIGHPASS ? -1.0 : 0.0;
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
    fc = p[P_LOWCUT];
    pl->lowcut = fc > LOWCUT_OFF_HZ;
    pl->lc_g = neuron_lowcut_coefs(fc, sr, pl->lc_a, &pl->lc_dg_dfc);
}

/* ---- oscillators and inputs -------------------------------------------------------------- */

/* Välimäki's polynomial band-limited step (as neuron.c) and its partial derivatives with
 * respect to the phase x and the increment dt. */
static inline double blep(double x, double dt, double *dx, double *ddt)
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

/* The fractional part of v >= 0 (below 2^63): a truncation, not a call of floor(). */
static inline double frac(double v)
{
    return v - (double)(long long)v;
}

/* sin and cos of 2 pi (t0 + i) c for i = 0..len-1 into s and c, with c = the cycles a sample
 * (rc, rs: cos and sin of 2 pi c). Each block starts from sin() and cos() of its exact phase
 * and turns by the rotation [rc -rs; rs rc] a sample, so the values differ from sin() of
 * 2 pi frac(t c) by a few rounding errors a sample: measured at 2,000 increments of the
 * oscillators' range, within 2.9e-12 over 1 s and 4.5e-11 over 10 s at 44.1 kHz, about the
 * rounding of the phase t c itself. Every call of the same block gives the same values. The
 * version that called sin() and cos() every sample spent a third of the forward pass in
 * them. */
static void turn_block(double cyc, double off, double rc, double rs, size_t t0, size_t len,
                       double *s, double *c)
{
    const double a = 2.0 * M_PI * frac((double)t0 * cyc + off);
    double sv = sin(a), cv = cos(a);
    size_t i;
    for (i = 0; i < len; i++) {
        const double ns = sv * rc + cv * rs;
        s[i] = sv;
        c[i] = cv;
        cv = cv * rc - sv * rs;
        sv = ns;
    }
}

/* Oscillator i's samples t0..t0+len-1 into v, and d v / d dt (through the phase t dt and the
 * band-limiting steps) into dv. */
static void osc_block(const gplan *pl, int i, size_t t0, size_t len, double *v, double *dv)
{
    const double dt = pl->dt[i];
    size_t j;
    switch (pl->wave[i]) {
    case SM_NEURON_SINE: {
        double c[BLK];
        turn_block(dt, 0.0, pl->osc_rc[i], pl->osc_rs[i], t0, len, v, c);
        for (j = 0; j < len; j++) dv[j] = 2.0 * M_PI * c[j] * (double)(t0 + j);
        break;
    }
    case SM_NEURON_TRIANGLE:
        for (j = 0; j < len; j++) {
            const double tt = (double)(t0 + j), x = frac(frac(tt * dt) + 0.75) - 0.5;
            v[j] = 4.0 * fabs(x) - 1.0;
            dv[j] = (x > 0 ? 4.0 : x < 0 ? -4.0 : 0.0) * tt;
        }
        break;
    case SM_NEURON_SAW:
        for (j = 0; j < len; j++) {
            const double tt = (double)(t0 + j), x = frac(frac(tt * dt) + 0.5);
            double bx, bdt;
            v[j] = 2.0 * x - 1.0 - blep(x, dt, &bx, &bdt);
            dv[j] = (2.0 - bx) * tt - bdt;
        }
        break;
    default: /* square */
        for (j = 0; j < len; j++) {
            const double tt = (double)(t0 + j), x = frac(tt * dt);
            double bx, bdt, bx2, bdt2;
            v[j] = (x < 0.5 ? 1.0 : -1.0) + blep(x, dt, &bx, &bdt) -
                   blep(frac(x + 0.5), dt, &bx2, &bdt2);
            dv[j] = (bx - bx2) * tt + bdt - bdt2;
        }
        break;
    }
}

/* Joystick axis a (0..2) at samples t0..t0+len-1, clamped to [-1, 1], into v; with d0 (then
 * d1 and d2 too): d/dc, d/ddepth, d/ddt of each. */
static void joy_block(const gplan *pl, int a, size_t t0, size_t len, double *v, double *d0,
                      double *d1, double *d2)
{
    const double off = (double)((uint32_t)a * 0x55555555u) / 4294967296.0;
    double sn[BLK], cs[BLK];
    size_t j;
    if (!d0 && pl->joy_move == 0) { /* still: within [-1, 1] already */
        for (j = 0; j < len; j++) v[j] = pl->joy[a];
        return;
    }
    turn_block(pl->joy_dt, off, pl->joy_rc, pl->joy_rs, t0, len, sn, cs);
    for (j = 0; j < len; j++) {
        const double u = pl->joy[a] + pl->joy_move * sn[j];
        v[j] = u < -1.0 ? -1.0 : u > 1.0 ? 1.0 : u;
        if (d0) {
            const int inside = u > -1.0 && u < 1.0;
            d0[j] = inside ? 1.0 : 0.0;
            d1[j] = inside ? sn[j] : 0.0;
            d2[j] = inside ? pl->joy_move * cs[j] * 2.0 * M_PI * (double)(t0 + j) : 0.0;
        }
    }
}

/* ---- nonlinearities ----------------------------------------------------------------------- */

/* neuron.c's fast tanh ([9/8] Padé, clamped at +-7 and to [-1, 1]) and its slope. */
static inline __attribute__((always_inline)) double
pade_tanh(double x, double *slope)
{
    double x2, P, Q, dP, dQ, r, iq;
    if (x <= -7.0 || x >= 7.0) {
        *slope = 0;
        x = x < 0 ? -7.0 : 7.0;
    }
    x2 = x * x;
    P = x * (34459425.0 + x2 * (4729725.0 + x2 * (135135.0 + x2 * (990.0 + x2))));
    Q = 34459425.0 + x2 * (16216200.0 + x2 * (945945.0 + x2 * (13860.0 + x2 * 45.0)));
    dP = 34459425.0 + x2 * (3 * 4729725.0 + x2 * (5 * 135135.0 + x2 * (7 * 990.0 + 9 * x2)));
    dQ = x * (2 * 16216200.0 + x2 * (4 * 945945.0 + x2 * (6 * 13860.0 + x2 * 8 * 45.0)));
    iq = 1.0 / Q; /* one division for the value and the slope */
    r = P * iq;
    if (x > -7.0 && x < 7.0) *slope = (dP - r * dQ) * iq;
    if (r >= 1.0 || r <= -1.0) {
        *slope = 0;
        return r > 0 ? 1.0 : -1.0;
    }
    return r;
}

/* Activation of neuron k on s; *slope = dy/ds, *dspk = dy/dspike (rectcomp only). */
static inline __attribute__((always_inline)) double
act_value(const gplan *pl, int k, double s, double *slope, double *dspk)
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
 * values; with w, acc[0..4) += sum_t w[t] d env(t) / d (inc, sus, dcoef, rcoef). Returns the
 * sample at which the release ended the note (n if it did not). The state is in scalars, not
 * arrays: kept in registers, the loop runs several times faster than with the derivatives in
 * memory (each sample's stores fed the next sample's loads), with the same arithmetic. In the
 * decay the derivatives with respect to inc and rcoef are 0, and their products with w are
 * not added. */
static size_t envelope_run(const gplan *pl, size_t n, double *env, const double *w,
                           double acc[4])
{
    enum { ATTACK, DECAY, RELEASE } stage = ATTACK;
    const double inc = pl->env_inc, sus = pl->sus, dcoef = pl->dcoef, rcoef = pl->rcoef;
    /* e and its derivatives d0..d3; in the decay, dist = e - sus and its derivatives with
     * respect to sus and dcoef (q1, q2) */
    double e = 0, d0 = 0, d1 = 0, d2 = 0, d3 = 0, dist = 0, q1 = 0, q2 = 0;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t t, over_n = n;
    for (t = 0; t < n; t++) {
        if (stage != RELEASE && t == pl->gate_n) {
            if (stage == DECAY) { /* the decay loop ends at the gate: its flush */
                if (fabs(dist) < 1e-7) dist = q1 = q2 = 0;
                e = sus + dist;
                d0 = 0;
                d1 = q1 + 1;
                d2 = q2;
                d3 = 0;
            }
            stage = RELEASE;
        }
        if (stage == ATTACK) {
            e += inc;
            d0 += 1;
            if (e >= 1.0) {
                e = 1.0;
                d0 = d1 = d2 = d3 = 0;
                stage = DECAY;
                dist = e - sus;
                q1 = -1;
                q2 = 0;
            }
            if (env) env[t] = e;
            if (w && w[t] != 0) s0 += w[t] * d0;
        } else if (stage == DECAY) {
            q1 *= dcoef;
            q2 *= dcoef;
            q2 += dist;
            dist *= dcoef;
            e = sus + dist;
            if (env) env[t] = e;
            if (w && w[t] != 0) {
                s1 += w[t] * (q1 + 1);
                s2 += w[t] * q2;
            }
            if ((t + 1) % 64 == 0 && fabs(dist) < 1e-7) dist = q1 = q2 = 0; /* once a block */
        } else {
            d0 *= rcoef;
            d1 *= rcoef;
            d2 *= rcoef;
            d3 *= rcoef;
            d3 += e;
            e *= rcoef;
            if (e < 1e-6) { /* -120 dB: the note is over */
                over_n = t;
                break;
            }
            if (env) env[t] = e;
            if (w && w[t] != 0) {
                s0 += w[t] * d0;
                s1 += w[t] * d1;
                s2 += w[t] * d2;
                s3 += w[t] * d3;
            }
        }
    }
    if (env)
        for (; t < n; t++) env[t] = 0;
    if (w) {
        acc[0] += s0;
        acc[1] += s1;
        acc[2] += s2;
        acc[3] += s3;
    }
    return over_n;
}

/* ---- forward -------------------------------------------------------------------------------- */

/* The recurrent part of the block t0..t0+len-1 with nn (a constant in each copy, so that the
 * loops over neurons unroll) neurons: each neuron's axon from its drive e (bias and weighted
 * inputs) and the delayed axons, into the tape with its slopes. */
static inline __attribute__((always_inline)) void
network_fwd(grad_tape *restrict tp, const gplan *restrict pl, size_t t0, size_t len,
            const double (*restrict e)[BLK], const int nn)
{
    double *const Y = ytape(tp);
    size_t t;
    int k, j;
    for (t = t0; t < t0 + len; t++) {
        double d[NM], *yt = Y + t * (size_t)nn;
        float *sl = tp->sd + 2 * (size_t)nn * t;
        for (j = 0; j < nn; j++) {
            const double *yj = Y + ((ptrdiff_t)t - pl->dint[j]) * nn + j;
            d[j] = yj[0] + pl->dfrac[j] * (yj[-nn] - yj[0]);
        }
        for (k = 0; k < nn; k++) {
            double sum = e[k][t - t0], slope, dsp;
            for (j = 0; j < nn; j++) sum += pl->fb[k][j] * d[j];
            yt[k] = act_value(pl, k, sum, &slope, &dsp);
            sl[k] = (float)slope;
            sl[nn + k] = (float)dsp;
        }
    }
}

static void network_fwd_any(grad_tape *tp, const gplan *pl, size_t t0, size_t len,
                            const double (*e)[BLK])
{
    switch (pl->nn) {
    case 1: network_fwd(tp, pl, t0, len, e, 1); break;
    case 2: network_fwd(tp, pl, t0, len, e, 2); break;
    case 3: network_fwd(tp, pl, t0, len, e, 3); break;
    case 4: network_fwd(tp, pl, t0, len, e, 4); break;
    default: network_fwd(tp, pl, t0, len, e, pl->nn); break;
    }
}

/* neuron.c's bound without the flush (the identity for the derivative). */
static inline double clamp1(double o)
{
    return o < -1.0 ? -1.0 : o > 1.0 ? 1.0 : o == o ? o : 0.0;
}

/* The low cut of neuron.c's lowcut_block after the envelope and the output bound, into out
 * (n doubles), recording its input and states before each sample; silence from the sample the
 * release ended the note, as render. */
static void lowcut_fwd(grad_tape *tp, size_t n, double *out)
{
    const double a1 = tp->pl.lc_a[0], a2 = tp->pl.lc_a[1], a3 = tp->pl.lc_a[2];
    double s1 = 0, s2 = 0;
    size_t t;
    if (!tp->pl.lowcut) {
        for (t = 0; t < n; t++) out[t] = clamp1(tp->env[t] * tp->f[t].z);
        return;
    }
    for (t = 0; t < n && t < tp->over_n; t++) {
        const double x = clamp1(tp->env[t] * tp->f[t].z), v3 = x - s2;
        const double v1 = a1 * s1 + a2 * v3, v2 = s2 + a2 * s1 + a3 * v3;
        double *r = tp->lc + 3 * t;
        r[0] = x;
        r[1] = s1;
        r[2] = s2;
        out[t] = clamp1(x - LOWCUT_K * v1 - v2);
        s1 = 2.0 * v1 - s1;
        s2 = 2.0 * v2 - s2;
    }
    for (; t < n; t++) out[t] = 0;
}

/* The forward pass into the tape; out (n doubles, may be NULL) receives the samples (with the
 * low cut on and out NULL, tp->lcbar does). */
static void forward(neuron_state *st, grad_tape *tp, const sm_note *note, size_t n, double *out)
{
    const gplan *pl = &tp->pl;
    const int nn = pl->nn;
    const int cascade = pl->filter == SM_NEURON_FILTER_LOWPASS24;
    double ic1 = 0, ic2 = 0, ic3 = 0, ic4 = 0;
    size_t t0, t;
    int k, m;
    sm_rng rng;
    uint64_t s;

    if (tp->noise_n < n || tp->noise_seed != note->seed) { /* made again on a new seed */
        sm_rng_init(&rng, note->seed, 0x6e657572u /* "neur" */);
        s = sm_rng_u64(&rng);
        for (t = 0; t < n; t++) { /* neuron.c's noise, in [-1, 1) */
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            tp->noise[t] = (float)(int32_t)(uint32_t)(s >> 32) * (1.0f / 2147483648.0f);
        }
        tp->noise_n = n;
        tp->noise_seed = note->seed;
    }
    tp->over_n = envelope_run(pl, n, tp->env, NULL, NULL);
    for (t0 = 0; t0 < n; t0 += BLK) {
        const size_t len = n - t0 < BLK ? n - t0 : BLK;
        double in[N_INPUTS][BLK], e[NM][BLK], dv[BLK], bus[BLK], oct[BLK], a1[BLK];
        /* inputs, then every neuron's drive from outside the network */
        for (m = 0; m < SM_NEURON_OSCS; m++) {
            float *ov = tp->osc + 6 * t0 + (size_t)m;
            osc_block(pl, m, t0, len, in[m], dv);
            for (t = 0; t < len; t++) {
                ov[6 * t] = (float)in[m][t];
                ov[6 * t + 3] = (float)dv[t];
            }
        }
        /* an input no active neuron weighs is not made, and a weight of 0 adds nothing
         * (its product, 0 or -0, leaves the sum as it was) */
        for (m = 0; m < 3; m++)
            if (pl->in_used[3 + m]) joy_block(pl, m, t0, len, in[3 + m], NULL, NULL, NULL);
        for (t = 0; t < len; t++) in[IN_NOISE][t] = tp->noise[t0 + t];
        for (k = 0; k < nn; k++) {
            for (t = 0; t < len; t++) e[k][t] = pl->bias[k];
            for (m = 0; m < N_INPUTS; m++) {
                const double w = pl->w[k][m];
                if (w == 0) continue;
                for (t = 0; t < len; t++) e[k][t] += w * in[m][t];
            }
        }
        network_fwd_any(tp, pl, t0, len, (const double(*)[BLK])e);
        /* the mix and the cutoff */
        for (t = 0; t < len; t++) {
            bus[t] = 0;
            oct[t] = pl->f_oct + pl->f_env * tp->env[t0 + t];
        }
        for (k = 0; k < nn; k++) {
            const double *y = ytape(tp) + t0 * (size_t)nn + k, mk = pl->mix[k], ck = pl->cut[k];
            for (t = 0; t < len; t++) {
                bus[t] += mk * y[t * (size_t)nn];
                oct[t] += ck * y[t * (size_t)nn];
            }
        }
        tp->reset[t0 / BLK] = 0;
        if (pl->filter == SM_NEURON_FILTER_OFF) {
            for (t = 0; t < len; t++) {
                fsample *f = tp->f + t0 + t;
                f->ic1 = f->ic2 = f->ic3 = f->ic4 = f->g = 0;
                f->x = f->z = bus[t];
                f->dg = f->sl = 0;
            }
        } else {
            double g[BLK], dg[BLK];
            if (pl->cut_mod) {
                for (t = 0; t < len; t++) g[t] = filter_g(st, pl, oct[t], &dg[t]);
            } else {
                for (t = 0; t < len; t++) {
                    g[t] = pl->g0;
                    dg[t] = pl->dg0;
                }
            }
            for (t = 0; t < len; t++) a1[t] = 1.0 / (1.0 + g[t] * (g[t] + pl->kd));
            for (t = 0; t < len; t++) {
                fsample *f = tp->f + t0 + t;
                const double a2 = g[t] * a1[t], a3 = g[t] * a2, v3 = bus[t] - ic2;
                const double v1 = a1[t] * ic1 + a2 * v3, v2 = ic2 + a2 * ic1 + a3 * v3;
                double sl, pre;
                f->ic1 = ic1;
                f->ic2 = ic2;
                f->ic3 = ic3;
                f->ic4 = ic4;
                f->g = g[t];
                f->x = bus[t];
                f->dg = (float)dg[t];
                ic1 = 2.0 * v1 - ic1;
                ic2 = 2.0 * v2 - ic2;
                if (cascade) { /* the second stage, on the first's low output */
                    const double w3 = v2 - ic4;
                    const double u1 = a1[t] * ic3 + a2 * w3, u2 = ic4 + a2 * ic3 + a3 * w3;
                    ic3 = 2.0 * u1 - ic3;
                    ic4 = 2.0 * u2 - ic4;
                    pre = u2;
                } else {
                    pre = pl->cl * v2 + pl->cb * v1 + pl->ch * bus[t];
                }
                f->z = soft_limit(pre, &sl);
                f->sl = (float)sl;
            }
            if (len == BLK && !(fabs(ic1) < 1e4 && fabs(ic2) < 1e4 && fabs(ic3) < 1e4 &&
                                fabs(ic4) < 1e4)) {
                ic1 = ic2 = ic3 = ic4 = 0; /* neuron.c's guard, once a block */
                tp->reset[t0 / BLK] = 1;
            }
        }
    }
    if (out || tp->pl.lowcut) lowcut_fwd(tp, n, out ? out : tp->lcbar);
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

/* The adjoints the backward pass accumulates. */
typedef struct {
    double mixbar[NM], cutbar[NM], biasbar[NM], spkbar[NM], dfracbar[NM];
    double wbar[NM][N_INPUTS], fbbar[NM][NM];
    double dtbar[SM_NEURON_OSCS], joybar[3][3], foctbar, kdbar, fenvbar;
    double n1bar, n2bar;   /* the filter states' adjoints after the current sample */
    double n3bar, n4bar;   /* the second stage's (lowpass24) */
} adjoints;

/* The reverse sweep of block t0..t0+len-1 through the filter and the network, sample by
 * sample, for nn neurons (a constant in each copy): each sample's adjoints of the mix
 * (busb), the cutoff (octb) and every neuron's sum (sb) go to the block's arrays for
 * block_sums; the filter's, the feedback's and the delays' adjoints accumulate in ad. */
static inline __attribute__((always_inline)) void
network_bwd(grad_tape *restrict tp, const gplan *restrict pl, const double *restrict gout,
            size_t t0, size_t len, adjoints *restrict ad, double *restrict busb,
            double *restrict octb, double (*restrict sb)[BLK], const int nn)
{
    const double kd = pl->kd;
    const int filtered = pl->filter != SM_NEURON_FILTER_OFF;
    const int cascade = pl->filter == SM_NEURON_FILTER_LOWPASS24;
    const double *const Y = ytape(tp);
    double a1v[BLK];
    double n1bar = ad->n1bar, n2bar = ad->n2bar, n3bar = ad->n3bar, n4bar = ad->n4bar;
    double foctbar = 0, kdbar = 0, fenvbar = 0;
    size_t i;
    int k, j;
    if (filtered) {
        if (tp->reset[t0 / BLK]) /* the states after the block were 0 */
            n1bar = n2bar = n3bar = n4bar = 0;
        for (i = 0; i < len; i++) {
            const double g = tp->f[t0 + i].g;
            a1v[i] = 1.0 / (1.0 + g * (g + kd));
        }
    }
    for (i = len; i-- > 0;) {
        const size_t t = t0 + i, slot = t & DELAY_MASK;
        const fsample *f = tp->f + t;
        const float *sl = tp->sd + 2 * (size_t)nn * t;
        const double e = tp->env[t], z = f->z, o = e * z;
        const double pbar = (o > -1.0 && o < 1.0) ? gout[t] : 0.0;
        double zbar = pbar * e, busbar, octbar = 0, sbar[NM];
        tp->scratch[t] = pbar * z;
        if (filtered) {
            const double ic1 = f->ic1, ic2 = f->ic2, g = f->g;
            const double a1 = a1v[i], a2 = g * a1, a3 = g * a2;
            const double v3 = f->x - ic2, v1 = a1 * ic1 + a2 * v3;
            double prebar, v1bar, v2bar, v3bar, ic1bar, ic2bar, a1bar, a2bar, a3bar, gbar;
            prebar = zbar * (double)f->sl;
            if (cascade) {
                /* the second stage first: its input v2, states ic3, ic4, output u2; the
                 * coefficients' adjoints gather both stages' shares */
                const double v2 = ic2 + a2 * ic1 + a3 * v3, w3 = v2 - f->ic4;
                const double u1bar = 2.0 * n3bar, u2bar = prebar + 2.0 * n4bar;
                const double w3bar = u1bar * a2 + u2bar * a3;
                a1bar = u1bar * f->ic3;
                a2bar = u1bar * w3 + u2bar * f->ic3;
                a3bar = u2bar * w3;
                n3bar = -n3bar + u1bar * a1 + u2bar * a2; /* the adjoint of ic3 */
                n4bar = -n4bar + u2bar - w3bar;           /* of ic4 */
                v1bar = 2.0 * n1bar;
                v2bar = w3bar + 2.0 * n2bar;
                busbar = 0;
            } else {
                v1bar = prebar * pl->cb + 2.0 * n1bar;
                v2bar = prebar * pl->cl + 2.0 * n2bar;
                busbar = prebar * pl->ch;
                kdbar += prebar * v1 * pl->dcb_dkd;
                a1bar = a2bar = a3bar = 0;
            }
            ic1bar = -n1bar + v1bar * a1 + v2bar * a2;
            ic2bar = -n2bar + v2bar;
            a1bar += v1bar * ic1;
            a2bar += v1bar * v3 + v2bar * ic1;
            a3bar += v2bar * v3;
            v3bar = v1bar * a2 + v2bar * a3;
            busbar += v3bar;
            ic2bar -= v3bar;
            gbar = a3bar * a2;
            a2bar += a3bar * g;
            gbar += a2bar * a1;
            a1bar += a2bar * g;
            /* d a1 / d g = -(2 g + kd) a1^2, d a1 / d kd = -g a1^2 */
            gbar -= a1bar * (2.0 * g + kd) * a1 * a1;
            kdbar -= a1bar * g * a1 * a1;
            octbar = gbar * (double)f->dg;
            foctbar += octbar;
            fenvbar += octbar * e; /* the envelope's share of the cutoff */
            tp->scratch[t] += octbar * pl->f_env;
            n1bar = ic1bar;
            n2bar = ic2bar;
        } else {
            busbar = zbar;
        }
        busb[i] = busbar;
        octb[i] = octbar;
        for (k = 0; k < nn; k++) {
            const double ybar = busbar * pl->mix[k] + octbar * pl->cut[k] + tp->ring[k][slot];
            tp->ring[k][slot] = 0;
            sbar[k] = ybar * (double)sl[k];
            ad->spkbar[k] += ybar * (double)sl[nn + k];
            sb[k][i] = sbar[k];
        }
        for (j = 0; j < nn; j++) {
            const ptrdiff_t i0 = (ptrdiff_t)t - pl->dint[j];
            const double a = Y[i0 * nn + j], b = Y[(i0 - 1) * nn + j];
            const double dj = a + pl->dfrac[j] * (b - a);
            double dbar = 0;
            for (k = 0; k < nn; k++) {
                ad->fbbar[k][j] += sbar[k] * dj;
                dbar += sbar[k] * pl->fb[k][j];
            }
            /* before the note (i0 < 1) the slots written are never read again: a slot is
             * read at t' < t, and these are (i0 mod DELAY_SIZE) >= DELAY_SIZE - 65 > t' */
            tp->ring[j][(size_t)i0 & DELAY_MASK] += dbar * (1.0 - pl->dfrac[j]);
            tp->ring[j][(size_t)(i0 - 1) & DELAY_MASK] += dbar * pl->dfrac[j];
            ad->dfracbar[j] += dbar * (b - a);
        }
    }
    ad->n1bar = n1bar;
    ad->n2bar = n2bar;
    ad->n3bar = n3bar;
    ad->n4bar = n4bar;
    ad->foctbar += foctbar;
    ad->fenvbar += fenvbar;
    ad->kdbar += kdbar;
}

static void network_bwd_any(grad_tape *tp, const gplan *pl, const double *gout, size_t t0,
                            size_t len, adjoints *ad, double *busb, double *octb,
                            double (*sb)[BLK])
{
    switch (pl->nn) {
    case 1: network_bwd(tp, pl, gout, t0, len, ad, busb, octb, sb, 1); break;
    case 2: network_bwd(tp, pl, gout, t0, len, ad, busb, octb, sb, 2); break;
    case 3: network_bwd(tp, pl, gout, t0, len, ad, busb, octb, sb, 3); break;
    case 4: network_bwd(tp, pl, gout, t0, len, ad, busb, octb, sb, 4); break;
    default: network_bwd(tp, pl, gout, t0, len, ad, busb, octb, sb, pl->nn); break;
    }
}

static double dot_dd(const double *a, const double *b, size_t n)
{
    double s = 0;
    size_t i;
    for (i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* The sums of block_sums that run over the samples with the neurons' adjoints sb: for each
 * neuron k the mix, cutoff, bias, noise-weight and oscillator-weight adjoints, and each used
 * oscillator's frequency adjoint, all in one pass over the block, for nn neurons (a constant
 * in each copy). Each sum still adds its terms in sample order from 0, as one loop a sum
 * would, so the values are the same; in one pass the sums are independent chains the
 * processor overlaps (one loop a sum waited for each addition). sk receives the bias sums. */
static inline __attribute__((always_inline)) void
sample_sums(const grad_tape *restrict tp, const gplan *restrict pl, size_t t0, size_t len,
            adjoints *restrict ad, const double *restrict busb, const double *restrict octb,
            const double (*restrict sb)[BLK], double *restrict sk, const int nn)
{
    const double *const Y = ytape(tp) + t0 * (size_t)nn;
    const float *const osc = tp->osc + 6 * t0, *const nz = tp->noise + t0;
    double smix[NM], scut[NM], snz[NM], sosc[NM][SM_NEURON_OSCS], sdt[SM_NEURON_OSCS];
    size_t t;
    int k, m;
    for (k = 0; k < nn; k++) {
        smix[k] = scut[k] = sk[k] = snz[k] = 0;
        for (m = 0; m < SM_NEURON_OSCS; m++) sosc[k][m] = 0;
    }
    for (m = 0; m < SM_NEURON_OSCS; m++) sdt[m] = 0;
    for (t = 0; t < len; t++) {
        const float *ot = osc + 6 * t;
        for (k = 0; k < nn; k++) {
            const double y = Y[t * (size_t)nn + (size_t)k], v = sb[k][t];
            smix[k] += busb[t] * y;
            scut[k] += octb[t] * y;
            sk[k] += v;
            snz[k] += v * (double)nz[t];
            for (m = 0; m < SM_NEURON_OSCS; m++) sosc[k][m] += v * (double)ot[m];
        }
        /* the oscillator's adjoint, sum_k sb_k w_km, times d osc / d dt */
        for (m = 0; m < SM_NEURON_OSCS; m++) {
            double ib = 0;
            if (!pl->in_used[m]) continue;
            for (k = 0; k < nn; k++) ib += sb[k][t] * pl->w[k][m];
            sdt[m] += ib * (double)ot[3 + m];
        }
    }
    for (k = 0; k < nn; k++) {
        ad->mixbar[k] += smix[k];
        ad->cutbar[k] += scut[k];
        ad->biasbar[k] += sk[k];
        ad->wbar[k][IN_NOISE] += snz[k];
        for (m = 0; m < SM_NEURON_OSCS; m++) ad->wbar[k][m] += sosc[k][m];
    }
    for (m = 0; m < SM_NEURON_OSCS; m++) ad->dtbar[m] += sdt[m]; /* 0 when unused */
}

/* The sums over block t0..t0+len-1 of the products of its adjoints (busb, octb, sb) with the
 * tape's values: the mix, cutoff, bias, input-weight, oscillator and joystick adjoints. */
static void block_sums(const grad_tape *tp, const gplan *pl, size_t t0, size_t len,
                       adjoints *ad, const double *busb, const double *octb,
                       const double (*sb)[BLK])
{
    const int nn = pl->nn;
    double inbar[BLK], v[BLK], sk[NM];
    size_t t;
    int k, m;
    switch (nn) {
    case 1: sample_sums(tp, pl, t0, len, ad, busb, octb, sb, sk, 1); break;
    case 2: sample_sums(tp, pl, t0, len, ad, busb, octb, sb, sk, 2); break;
    case 3: sample_sums(tp, pl, t0, len, ad, busb, octb, sb, sk, 3); break;
    case 4: sample_sums(tp, pl, t0, len, ad, busb, octb, sb, sk, 4); break;
    default: sample_sums(tp, pl, t0, len, ad, busb, octb, sb, sk, nn); break;
    }
    /* the joystick's inputs */
    for (m = SM_NEURON_OSCS; m < N_INPUTS - 1; m++) {
        const int still = pl->joy_move == 0;
        if (still && !pl->in_used[m]) { /* a constant input, weighted 0 */
            for (k = 0; k < nn; k++) ad->wbar[k][m] += sk[k] * pl->joy[m - 3];
            continue;
        }
        /* the input's adjoint, sum_k sb_k w_km, for the derivatives of the input itself */
        for (t = 0; t < len; t++) inbar[t] = 0;
        for (k = 0; k < nn; k++) {
            const double w = pl->w[k][m];
            for (t = 0; t < len; t++) inbar[t] += sb[k][t] * w;
        }
        {
            double d0[BLK], d1[BLK], d2[BLK];
            const int a = m - 3;
            joy_block(pl, a, t0, len, v, d0, d1, d2);
            for (k = 0; k < nn; k++) ad->wbar[k][m] += dot_dd(sb[k], v, len);
            ad->joybar[a][0] += dot_dd(inbar, d0, len);
            ad->joybar[a][1] += dot_dd(inbar, d1, len);
            ad->joybar[a][2] += dot_dd(inbar, d2, len);
        }
    }
}

/* The adjoint of lowcut_fwd when the low cut is on: xbar[t] (n values) receives dL/d(its
 * input) from gout = dL/dout; returns dL/dg of its coefficient. */
static double lowcut_bwd(const grad_tape *tp, const double *gout, double *xbar)
{
    const size_t n = tp->n, m = n < tp->over_n ? n : tp->over_n;
    const double g = tp->pl.lc_g, a1 = tp->pl.lc_a[0], a2 = tp->pl.lc_a[1], a3 = tp->pl.lc_a[2];
    const double da1 = -(2.0 * g + LOWCUT_K) * a1 * a1, da2 = a1 + g * da1, da3 = a2 + g * da2;
    double s1bar = 0, s2bar = 0, a1bar = 0, a2bar = 0, a3bar = 0;
    size_t t;
    for (t = m; t < n; t++) xbar[t] = 0;
    for (t = m; t-- > 0;) {
        const double *r = tp->lc + 3 * t, x = r[0], s1 = r[1], s2 = r[2], v3 = x - s2;
        const double v1 = a1 * s1 + a2 * v3, v2 = s2 + a2 * s1 + a3 * v3;
        const double y = x - LOWCUT_K * v1 - v2, ybar = (y > -1.0 && y < 1.0) ? gout[t] : 0.0;
        const double v1bar = -LOWCUT_K * ybar + 2.0 * s1bar, v2bar = -ybar + 2.0 * s2bar;
        const double v3bar = a2 * v1bar + a3 * v2bar;
        a1bar += v1bar * s1;
        a2bar += v1bar * v3 + v2bar * s1;
        a3bar += v2bar * v3;
        s1bar = -s1bar + a1 * v1bar + a2 * v2bar;
        s2bar = -s2bar + v2bar - v3bar;
        xbar[t] = ybar + v3bar;
    }
    return a1bar * da1 + a2bar * da2 + a3bar * da3;
}

static void backward(grad_tape *tp, const double *gout, double *grad)
{
    const gplan *pl = &tp->pl;
    const int nn = pl->nn;
    const size_t n = tp->n;
    adjoints ad;
    double envacc[4] = {0}, busb[BLK], octb[BLK], sb[NM][BLK];
    size_t t0;
    int k, j, m;

    memset(&ad, 0, sizeof ad);
    memset(tp->ring, 0, sizeof tp->ring);
    for (t0 = (n - 1) / BLK * BLK;; t0 -= BLK) {
        const size_t len = n - t0 < BLK ? n - t0 : BLK;
        network_bwd_any(tp, pl, gout, t0, len, &ad, busb, octb, sb);
        block_sums(tp, pl, t0, len, &ad, busb, octb, (const double(*)[BLK])sb);
        if (t0 == 0) break;
    }
    envelope_run(pl, n, NULL, tp->scratch, envacc);

    /* derived values -> native parameters */
#define ADD(i, v)                                   \
    do {                                            \
        if (!tp->changed[i]) grad[i] += (v);        \
    } while (0)
    for (m = 0; m < SM_NEURON_OSCS; m++) ADD(P_OSC1_RATIO + 2 * m, ad.dtbar[m] * pl->ddt_dratio[m]);
    {
        double jrate = 0;
        for (m = 0; m < 3; m++) jrate += ad.joybar[m][2];
        ADD(P_JOY_X, ad.joybar[0][0]);
        ADD(P_JOY_Y, ad.joybar[1][0]);
        ADD(P_JOY_Z, ad.joybar[2][0]);
        ADD(P_JOY_MOVE, ad.joybar[0][1] + ad.joybar[1][1] + ad.joybar[2][1]);
        ADD(P_JOY_RATE, jrate * pl->joy_ddt_drate);
    }
    if (pl->filter != SM_NEURON_FILTER_OFF) {
        ADD(P_FILTER_CUTOFF, ad.foctbar * pl->dfoct_dfc);
        ADD(P_FILTER_RES, -1.94 * ad.kdbar);
        ADD(P_FILTER_ENV, ad.fenvbar);
    }
    ADD(P_ENV_ATTACK, envacc[0] * pl->dinc_dattack);
    ADD(P_ENV_SUSTAIN, envacc[1]);
    ADD(P_ENV_DECAY, envacc[2] * pl->ddc_ddecay);
    ADD(P_ENV_RELEASE, envacc[3] * pl->drc_drelease);
    {
        double dot = 0;
        for (k = 0; k < nn; k++) dot += ad.mixbar[k] * pl->mix_raw[k];
        for (k = 0; k < nn; k++) {
            double g = ad.mixbar[k];
            if (pl->mix_sum > 1) {
                const double sg = pl->mix_raw[k] > 0 ? 1.0 : pl->mix_raw[k] < 0 ? -1.0 : 0.0;
                g = ad.mixbar[k] / pl->mix_sum - sg * dot / (pl->mix_sum * pl->mix_sum);
            }
            ADD(NP(k, N_MIX), g);
        }
    }
    for (k = 0; k < nn; k++) {
        ADD(NP(k, N_BIAS), ad.biasbar[k]);
        for (m = 0; m < N_INPUTS; m++) ADD(NP(k, N_W_OSC1 + m), ad.wbar[k][m]);
        for (j = 0; j < nn; j++) ADD(NP(k, N_FB1 + j), ad.fbbar[k][j]);
        ADD(NP(k, N_DELAY), ad.dfracbar[k]);
        if (pl->act[k] == SM_NEURON_ACT_RECTCOMP) ADD(NP(k, N_SPIKE), ad.spkbar[k]);
        if (pl->filter != SM_NEURON_FILTER_OFF) ADD(NP(k, N_CUTMOD), ad.cutbar[k]);
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
        forward(st, tp, note, n, NULL); /* with the low cut, the samples in tp->lcbar */
        for (t = 0; t < n; t++) { /* neuron.c's bound: tiny values 0 */
            const float v = (float)(tp->pl.lowcut ? tp->lcbar[t]
                                                  : clamp1(tp->env[t] * tp->f[t].z));
            out[t] = fabsf(v) < FLUSH ? 0.0f : v;
        }
        return 0;
    }
    if (!dl_dout || !dl_dnative) return SM_ERR_ARG;
    tp = st->grad;
    if (!tp || tp->n != n || n == 0) return SM_ERR_ARG;
    if (!tp->pl.lowcut) { /* off: the identity */
        backward(tp, dl_dout, dl_dnative);
        return 0;
    }
    {
        const double gbar = lowcut_bwd(tp, dl_dout, tp->lcbar);
        if (!tp->changed[P_LOWCUT]) dl_dnative[P_LOWCUT] += gbar * tp->pl.lc_dg_dfc;
    }
    backward(tp, tp->lcbar, dl_dnative);
    return 0;
}
