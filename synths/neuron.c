/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/neuron.c: the neuron backend, a recurrent network of up to eight artificial neurons
 * played as a synth voice (see synths/neuron.h; the voice and its sources: synths/neuron.md).
 *
 * A render has three steps. It clamps the native parameters and turns them into a plan (float
 * weights of the active neurons and inputs, oscillator increments, filter and envelope
 * coefficients); it resets the state; then it renders blocks of 64 samples:
 *   oscillators, joystick, noise  -> every neuron: bias + weighted inputs + weighted delayed
 *   axons of all neurons -> bounded nonlinearity -> axon (into its delay line)
 *   axons -> normalized mix -> state-variable filter (cutoff driven by the axons and the
 *   envelope) -> envelope.
 * Only the recurrent part and the filter run sample by sample; the rest are simple loops over
 * the block.
 * Every stage is bounded (activations within [-1, 1], the mix normalized, the filter output
 * soft-limited, the envelope within [0, 1]), tiny values are flushed to zero so no denormal
 * survives, and the last step clamps and replaces a non-finite sample by 0. The tables and the
 * delay lines live in the state made by neuron_alloc; render allocates nothing. */
#include "synths/neuron.h"
#include "synths/neuron_internal.h"

#include "core/params_file.h"
#include "core/rng.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE__
#include <xmmintrin.h>
#endif

/* ---------------------------------------------------------------------------------------- */
/* Parameter space                                                                          */

static const char *const act_labels[] = {"tanh", "relu", "hardclip", "rectcomp"};
static const char *const wave_labels[] = {"sine", "triangle", "saw", "square"};
/* lowpass24 last: a patch's filter_type index keeps its meaning */
static const char *const filter_labels[] = {"off", "lowpass", "bandpass", "highpass",
                                            "lowpass24"};
static const char *const track_labels[] = {"note", "fixed"};

#define REAL(name, unit, lo, hi, def) {name, unit, SM_PARAM_REAL, lo, hi, def, 0, NULL}
#define LOGR(name, unit, lo, hi, def) {name, unit, SM_PARAM_REAL, lo, hi, def, 1, NULL}
#define ENUM(name, labels, def) \
    {name, "", SM_PARAM_ENUM, 0, (double)(sizeof labels / sizeof *labels) - 1, def, 0, labels}
#define INT(name, lo, hi, def) {name, "", SM_PARAM_INT, lo, hi, def, 0, NULL}

/* Ranges shared by every neuron. */
#define W_OSC_MAX 4.0   /* oscillator weights */
#define W_JOY_MAX 2.0   /* joystick and noise weights */
#define W_FB_MAX 4.0    /* feedback weights */
#define BIAS_MAX 2.0
#define CUTMOD_MAX 4.0  /* octaves of cutoff per unit of axon */
#define FILTER_ENV_MAX 8.0 /* octaves of cutoff the envelope adds at its peak */

/* One neuron's block. The feedback weight nK_fbJ scales neuron J's delayed axon into K. */
#define NEURON(k, act, bias, o1, o2, o3, x, y, z, noise, f1, f2, f3, f4, f5, f6, f7, f8, delay, \
               thr, spk, mix, cut)                                                             \
    ENUM("n" #k "_act", act_labels, act), REAL("n" #k "_bias", "", -BIAS_MAX, BIAS_MAX, bias), \
        REAL("n" #k "_w_osc1", "", -W_OSC_MAX, W_OSC_MAX, o1),                                 \
        REAL("n" #k "_w_osc2", "", -W_OSC_MAX, W_OSC_MAX, o2),                                 \
        REAL("n" #k "_w_osc3", "", -W_OSC_MAX, W_OSC_MAX, o3),                                 \
        REAL("n" #k "_w_x", "", -W_JOY_MAX, W_JOY_MAX, x),                                     \
        REAL("n" #k "_w_y", "", -W_JOY_MAX, W_JOY_MAX, y),                                     \
        REAL("n" #k "_w_z", "", -W_JOY_MAX, W_JOY_MAX, z),                                     \
        REAL("n" #k "_w_noise", "", -W_JOY_MAX, W_JOY_MAX, noise),                             \
        REAL("n" #k "_fb1", "", -W_FB_MAX, W_FB_MAX, f1),                                      \
        REAL("n" #k "_fb2", "", -W_FB_MAX, W_FB_MAX, f2),                                      \
        REAL("n" #k "_fb3", "", -W_FB_MAX, W_FB_MAX, f3),                                      \
        REAL("n" #k "_fb4", "", -W_FB_MAX, W_FB_MAX, f4),                                      \
        REAL("n" #k "_fb5", "", -W_FB_MAX, W_FB_MAX, f5),                                      \
        REAL("n" #k "_fb6", "", -W_FB_MAX, W_FB_MAX, f6),                                      \
        REAL("n" #k "_fb7", "", -W_FB_MAX, W_FB_MAX, f7),                                      \
        REAL("n" #k "_fb8", "", -W_FB_MAX, W_FB_MAX, f8),                                      \
        LOGR("n" #k "_delay", "samples", 1, 64, delay),                                        \
        REAL("n" #k "_thresh", "", 0, 1, thr), REAL("n" #k "_spike", "", 0, 1, spk),           \
        REAL("n" #k "_mix", "", -1, 1, mix),                                                   \
        REAL("n" #k "_cutmod", "oct", -CUTMOD_MAX, CUTMOD_MAX, cut)

/* A neuron that is silent until given weights: tanh, no inputs, one-sample axon. */
#define IDLE_NEURON(k) NEURON(k, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0.5, 0.5, \
                              0.5, 0)

/* The default voice: neuron 1 (tanh) shapes a sine at the note's pitch and is pushed by
 * neuron 2's axon; neuron 2 (rectifier and comparator) fires on a saw an octave up plus
 * neuron 1's axon 24 samples late, and opens the filter when it fires. */
static const sm_param neuron_params[] = {
    INT("n_neurons", 1, SM_NEURON_MAX, 2),
    ENUM("osc_tracking", track_labels, SM_NEURON_TRACK_NOTE),
    ENUM("osc1_wave", wave_labels, SM_NEURON_SINE),
    LOGR("osc1_ratio", "x", 0.0625, 16, 1),
    ENUM("osc2_wave", wave_labels, SM_NEURON_SAW),
    LOGR("osc2_ratio", "x", 0.0625, 16, 2),
    ENUM("osc3_wave", wave_labels, SM_NEURON_SQUARE),
    LOGR("osc3_ratio", "x", 0.0625, 16, 0.5),
    REAL("joy_x", "", -1, 1, 0),
    REAL("joy_y", "", -1, 1, 0),
    REAL("joy_z", "", -1, 1, 0),
    REAL("joy_move", "", 0, 1, 0),
    LOGR("joy_rate_hz", "Hz", 0.05, 5, 0.5),
    ENUM("filter_type", filter_labels, SM_NEURON_FILTER_LOWPASS),
    LOGR("filter_cutoff_hz", "Hz", 20, 20000, 3000),
    REAL("filter_res", "", 0, 1, 0.3),
    REAL("filter_env_oct", "oct", -FILTER_ENV_MAX, FILTER_ENV_MAX, 0),
    LOGR("env_attack_s", "s", 0.0005, 4, 0.005),
    LOGR("env_decay_s", "s", 0.005, 10, 0.4),
    REAL("env_sustain", "", 0, 1, 0.6),
    LOGR("env_release_s", "s", 0.005, 10, 0.3),
    LOGR("lowcut_hz", "Hz", LOWCUT_OFF_HZ, 2000, LOWCUT_OFF_HZ),
    /* k, act, bias, w_osc1..3, w_x/y/z, w_noise, fb1..fb8, delay, thresh, spike, mix, cutmod */
    NEURON(1, 0, 0.1, 1.5, 0, 0, 0, 0, 0, 0, 0, -0.9, 0, 0, 0, 0, 0, 0, 1, 0.5, 0.5, 0.7, 0),
    NEURON(2, 3, -0.2, 0, 0.9, 0, 0, 0, 0, 0, 1.2, 0, 0, 0, 0, 0, 0, 0, 24, 0.4, 0.4, 0.5, 1),
    IDLE_NEURON(3),
    IDLE_NEURON(4),
    IDLE_NEURON(5),
    IDLE_NEURON(6),
    IDLE_NEURON(7),
    IDLE_NEURON(8),
};

_Static_assert(sizeof neuron_params / sizeof *neuron_params == P_TOTAL,
               "neuron parameter table and index enums disagree");

static const sm_param_space neuron_space = {P_TOTAL, neuron_params};

/* ---------------------------------------------------------------------------------------- */
/* State and plan                                                                           */

/* Everything the sample loop needs, made from the clamped native parameters. */
typedef struct {
    int nn;                                 /* active neurons */
    int n_in;                               /* per-sample inputs in use */
    int in_src[N_INPUTS];                   /* which input each one is (0..6) */
    float w_in[SM_NEURON_MAX][N_INPUTS];    /* weights of the inputs in use, compacted */
    int n_fb[SM_NEURON_MAX];                /* nonzero feedback weights of each neuron */
    int fb_src[SM_NEURON_MAX][SM_NEURON_MAX];/* their source neurons */
    float w_fb[SM_NEURON_MAX][SM_NEURON_MAX];/* and weights, compacted */
    int is_heard[SM_NEURON_MAX];            /* someone hears this neuron's delayed axon */
    float bias[SM_NEURON_MAX];              /* bias plus the static joystick's share */
    int act[SM_NEURON_MAX];
    float thr[SM_NEURON_MAX], spk[SM_NEURON_MAX];
    unsigned d_int[SM_NEURON_MAX];          /* axon delay: whole samples (1..64) ... */
    float d_frac[SM_NEURON_MAX];            /* ... and fraction (linear interpolation) */
    float mix[SM_NEURON_MAX];               /* normalized so that sum |mix| <= 1 */
    float cut[SM_NEURON_MAX];               /* octaves of cutoff per unit axon */
    int cut_mod;                            /* any cut[] nonzero, or f_env */
    float f_env;                            /* octaves of cutoff the envelope adds */
    int osc_wave[SM_NEURON_OSCS];
    uint32_t osc_inc[SM_NEURON_OSCS];
    float osc_dt[SM_NEURON_OSCS], osc_inv_dt[SM_NEURON_OSCS];
    int joy_moves;
    float joy[3], joy_move;
    uint32_t joy_inc;
    int filter;
    float f_oct, f_k, f_g;                  /* base cutoff (table octave), damping, tan() */
    float env_inc, env_sus, env_dcoef, env_rcoef;
    int lowcut;                             /* the low cut is on (lowcut_hz above 5 Hz) */
    float lc_a1, lc_a2, lc_a3;              /* its coefficients */
    size_t gate_n;                          /* sample at which the release starts */
} neuron_plan;

/* sm_synth_type.alloc: the state for one sample rate (sine and filter tables, delay lines).
 * NULL with err set for a rate outside 1000..384000 Hz (SM_ERR_RANGE) or out of memory. */
static void *neuron_alloc(double sample_rate, sm_error *err)
{
    neuron_state *st;
    size_t i;
    if (!(sample_rate >= 1000 && sample_rate <= 384000)) {
        sm_error_set(err, SM_ERR_RANGE, "neuron: sample rate %g Hz is outside 1000..384000",
                     sample_rate);
        return NULL;
    }
    st = calloc(1, sizeof *st);
    if (!st) {
        sm_error_set(err, SM_ERR_NOMEM, "neuron: out of memory");
        return NULL;
    }
    st->sr = sample_rate;
    for (i = 0; i <= SINE_SIZE; i++)
        st->sine[i] = (float)sin(2.0 * M_PI * (double)i / (double)SINE_SIZE);
    st->sine[SINE_SIZE] = 0.0f;
    st->oct_max = (float)log2(0.45 * sample_rate / CUT_LO_HZ);
    st->gtab_n = (size_t)ceil(st->oct_max * CUT_STEPS) + 2;
    st->gtab_last = (int)st->gtab_n - 2;
    st->gtab = malloc(st->gtab_n * sizeof *st->gtab);
    if (!st->gtab) {
        free(st);
        sm_error_set(err, SM_ERR_NOMEM, "neuron: out of memory");
        return NULL;
    }
    for (i = 0; i < st->gtab_n; i++) {
        double fc = CUT_LO_HZ * pow(2.0, (double)i / CUT_STEPS);
        if (fc > 0.45 * sample_rate) fc = 0.45 * sample_rate;
        st->gtab[i] = (float)tan(M_PI * fc / sample_rate);
    }
    return st;
}

/* sm_synth_type.free: frees a state from neuron_alloc; NULL is a no-op. */
static void neuron_free(void *p)
{
    neuron_state *st = p;
    if (!st) return;
    sm_neuron_grad_free(st->grad);
    free(st->gtab);
    free(st);
}

/* T60 coefficient: a one-pole that falls 60 dB in t seconds. */
static float t60_coef(double t_s, double sr)
{
    return (float)pow(10.0, -3.0 / (t_s * sr));
}

/* Fills pl from the clamped native parameters p, the note and the length n: active neurons
 * only, zero weights dropped, a still joystick folded into the biases. */
static void make_plan(const neuron_state *st, const double *p, const sm_note *note,
                      size_t n, neuron_plan *pl)
{
    const double sr = st->sr;
    double base, mix_sum = 0, res;
    int k, j, i;
    int used[N_INPUTS] = {0};
    memset(pl, 0, sizeof *pl);

    pl->nn = (int)p[P_N_NEURONS];
    base = neuron_base_hz(p, note);
    for (i = 0; i < SM_NEURON_OSCS; i++) {
        double f = p[P_OSC1_RATIO + 2 * i] * base, dt;
        if (f > 0.45 * sr) f = 0.45 * sr;
        dt = f / sr;
        pl->osc_wave[i] = (int)p[P_OSC1_WAVE + 2 * i];
        pl->osc_inc[i] = (uint32_t)llround(dt * 4294967296.0);
        pl->osc_dt[i] = (float)dt;
        pl->osc_inv_dt[i] = dt > 0 ? (float)(1.0 / dt) : 0.0f;
    }
    pl->joy[0] = (float)p[P_JOY_X];
    pl->joy[1] = (float)p[P_JOY_Y];
    pl->joy[2] = (float)p[P_JOY_Z];
    pl->joy_move = (float)p[P_JOY_MOVE];
    pl->joy_moves = pl->joy_move > 0;
    pl->joy_inc = (uint32_t)llround(p[P_JOY_RATE] / sr * 4294967296.0);

    for (k = 0; k < pl->nn; k++) {
        double m = p[NP(k, N_MIX)], d = p[NP(k, N_DELAY)];
        pl->act[k] = (int)p[NP(k, N_ACT)];
        pl->bias[k] = (float)p[NP(k, N_BIAS)];
        pl->thr[k] = (float)p[NP(k, N_THRESH)];
        pl->spk[k] = (float)p[NP(k, N_SPIKE)];
        pl->d_int[k] = (unsigned)floor(d);
        pl->d_frac[k] = (float)(d - floor(d));
        pl->cut[k] = (float)p[NP(k, N_CUTMOD)];
        if (pl->cut[k] != 0) pl->cut_mod = 1;
        pl->mix[k] = (float)m;
        mix_sum += fabs(m);
        for (j = 0; j < pl->nn; j++) {
            double w = p[NP(k, N_FB1 + j)];
            if (w == 0) continue; /* a zero weight would only lengthen the dependency chain */
            pl->fb_src[k][pl->n_fb[k]] = j;
            pl->w_fb[k][pl->n_fb[k]++] = (float)w;
            pl->is_heard[j] = 1;
        }
        for (i = 0; i < N_INPUTS; i++) {
            double w = p[NP(k, N_W_OSC1 + i)];
            if (w == 0) continue;
            if (i >= 3 && i < IN_NOISE && !pl->joy_moves) /* a still joystick is a bias */
                pl->bias[k] += (float)(w * pl->joy[i - 3]);
            else
                used[i] = 1;
        }
    }
    if (mix_sum > 1)
        for (k = 0; k < pl->nn; k++) pl->mix[k] = (float)(pl->mix[k] / mix_sum);
    for (i = 0; i < N_INPUTS; i++) {
        if (!used[i]) continue;
        for (k = 0; k < pl->nn; k++) pl->w_in[k][pl->n_in] = (float)p[NP(k, N_W_OSC1 + i)];
        pl->in_src[pl->n_in++] = i;
    }

    pl->filter = (int)p[P_FILTER_TYPE];
    pl->f_oct = (float)log2(p[P_FILTER_CUTOFF] / CUT_LO_HZ);
    if (pl->f_oct > st->oct_max) pl->f_oct = st->oct_max;
    {
        double fc = p[P_FILTER_CUTOFF];
        if (fc > 0.45 * sr) fc = 0.45 * sr;
        pl->f_g = (float)tan(M_PI * fc / sr);
    }
    pl->f_env = (float)p[P_FILTER_ENV];
    if (pl->f_env != 0) pl->cut_mod = 1;
    res = p[P_FILTER_RES];
    pl->f_k = (float)(2.0 - 1.94 * res); /* damping 2 (Q 0.5) .. 0.06 (Q 16.7) */

    pl->env_inc = (float)(1.0 / (p[P_ENV_ATTACK] * sr));
    if (pl->env_inc > 1) pl->env_inc = 1;
    pl->env_sus = (float)p[P_ENV_SUSTAIN];
    pl->env_dcoef = t60_coef(p[P_ENV_DECAY], sr);
    pl->env_rcoef = t60_coef(p[P_ENV_RELEASE], sr);
    pl->gate_n = neuron_gate_samples(note, sr, n);
    pl->lowcut = p[P_LOWCUT] > LOWCUT_OFF_HZ;
    {
        double a[3];
        (void)neuron_lowcut_coefs(p[P_LOWCUT], sr, a, NULL);
        pl->lc_a1 = (float)a[0];
        pl->lc_a2 = (float)a[1];
        pl->lc_a3 = (float)a[2];
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Sample-level building blocks                                                             */

/* x clamped to [lo, hi] (NaN gives lo). With SSE it is maxss and minss: written in C, gcc
 * turns the comparisons against constants into branches, which a chaotic signal mispredicts
 * (counted with cachegrind: 11 branches a sample for the default voice). */
static inline float clampf(float x, float lo, float hi)
{
#ifdef __SSE__
    return _mm_cvtss_f32(_mm_min_ss(_mm_max_ss(_mm_set_ss(x), _mm_set_ss(lo)), _mm_set_ss(hi)));
#else
    x = lo < x ? x : lo;
    return x < hi ? x : hi;
#endif
}

/* tanh by the [9/8] Padé approximant (Lambert's continued fraction), clamped to [-1, 1], with
 * no branch (a chaotic network drives it in and out of saturation at random). Measured in a
 * dependent chain (gcc -O2, this machine): 2.1-2.4 ns against 5.2-5.5 ns for tanhf. */
static inline float fast_tanh(float x)
{
    float x2, r;
    x = clampf(x, -7.0f, 7.0f); /* the fraction passes 1 before 7 */
    x2 = x * x;
    r = x * (34459425.0f + x2 * (4729725.0f + x2 * (135135.0f + x2 * (990.0f + x2)))) /
        (34459425.0f + x2 * (16216200.0f + x2 * (945945.0f + x2 * (13860.0f + x2 * 45.0f))));
    return clampf(r, -1.0f, 1.0f);
}

float sm_neuron_tanh(float x)
{
    if (isnan(x)) return 0.0f;
    return fast_tanh(x);
}

static inline float activate(int act, float s, float thr, float spk)
{
    float r;
    switch (act) {
    case SM_NEURON_ACT_TANH:
        return fast_tanh(s);
    case SM_NEURON_ACT_RELU:
        return clampf(s, 0.0f, 1.0f);
    case SM_NEURON_ACT_HARDCLIP:
        return clampf(s, -1.0f, 1.0f);
    case SM_NEURON_ACT_RECTCOMP:
        r = clampf(s, 0.0f, 1.0f);
        return (1.0f - spk) * r + (r > thr ? spk : 0.0f);
    default:
        return 0.0f;
    }
}

float sm_neuron_activate(int act, float s, float threshold, float spike)
{
    if (isnan(s)) return 0.0f;
    if (!(threshold >= 0)) threshold = 0; /* also NaN */
    if (threshold > 1) threshold = 1;
    if (!(spike >= 0)) spike = 0;
    if (spike > 1) spike = 1;
    return activate(act, s, threshold, spike);
}

static inline float flush(float x)
{
    return fabsf(x) < FLUSH ? 0.0f : x;
}

/* Sine from the table, linear interpolation; phase is a full 32-bit cycle. */
static inline float table_sine(const float *sine, uint32_t ph)
{
    uint32_t i = ph >> SINE_FRAC_BITS;
    float fr = (float)(ph & ((1u << SINE_FRAC_BITS) - 1)) * (1.0f / (float)(1u << SINE_FRAC_BITS));
    return sine[i] + fr * (sine[i + 1] - sine[i]);
}

/* Phase in [0, 1) from a 32-bit phase (its top 24 bits, exact in a float). */
static inline float phase01(uint32_t ph)
{
    return (float)(ph >> 8) * (1.0f / 16777216.0f);
}

/* Välimäki's polynomial band-limited step: the correction near a unit discontinuity at t = 0. */
static inline float poly_blep(float t, float dt, float inv_dt)
{
    float x;
    if (t < dt) {
        x = t * inv_dt;
        return x + x - x * x - 1.0f;
    }
    if (t > 1.0f - dt) {
        x = (t - 1.0f) * inv_dt;
        return x * x + x + x + 1.0f;
    }
    return 0.0f;
}

/* Soft limiter for the filter output: identity up to 0.5, then a quadratic knee that reaches
 * exactly 1 at 1.5 with slope 0 (u = |x| - 0.5 within [0, 1]: 0.5 + u - u^2 / 2). Continuous
 * in value and slope, so small signals pass unchanged and nothing exceeds 1; no division and
 * no branch. */
static inline float soft_limit(float x)
{
    const float a = fabsf(x), u = clampf(a - 0.5f, 0.0f, 1.0f);
    const float y = (a < 0.5f ? a : 0.5f) + u - 0.5f * u * u;
    return copysignf(y, x); /* not a branch on the sign, which every zero crossing mispredicts */
}

/* ---------------------------------------------------------------------------------------- */
/* Render, one block of samples at a time                                                   */

/* The render works in blocks: the inputs and each neuron's external drive for a block are
 * computed in simple loops first, then only the recurrent part runs sample by sample, then
 * the filter and the envelope each take the block in one loop. The first version, one loop
 * doing all of it per sample, rendered the default voice at 330x real time on this machine;
 * this layout with the changes measured at each function below, at 450-710x depending on the
 * shared machine's load (bench_neuron, best of 5, gcc -O2). */
#define BLOCK 64

enum { ENV_ATTACK, ENV_DECAY, ENV_RELEASE };

/* What carries over from one block to the next. */
typedef struct {
    uint32_t osc_ph[SM_NEURON_OSCS], joy_ph;
    uint64_t noise;
    float ic1, ic2;   /* filter integrator states */
    float ic3, ic4;   /* the second stage's (lowpass24) */
    float lc1, lc2;   /* the low cut's */
    float env;
    int env_stage;
} neuron_run;

/* One oscillator's block. Every wave starts at 0 rising (sine phase), except the square,
 * which starts high. */
static void osc_block(const neuron_state *st, const neuron_plan *pl, int i, neuron_run *run,
                      float *buf, size_t len)
{
    uint32_t ph = run->osc_ph[i];
    const uint32_t inc = pl->osc_inc[i];
    const float dt = pl->osc_dt[i], inv = pl->osc_inv_dt[i];
    size_t t;
    switch (pl->osc_wave[i]) {
    case SM_NEURON_SINE:
        for (t = 0; t < len; t++, ph += inc) buf[t] = table_sine(st->sine, ph);
        break;
    case SM_NEURON_TRIANGLE:
        for (t = 0; t < len; t++, ph += inc)
            buf[t] = 4.0f * fabsf(phase01(ph + 0xC0000000u) - 0.5f) - 1.0f;
        break;
    case SM_NEURON_SAW:
        for (t = 0; t < len; t++, ph += inc) {
            float x = phase01(ph + 0x80000000u);
            buf[t] = 2.0f * x - 1.0f - poly_blep(x, dt, inv);
        }
        break;
    default: /* square */
        for (t = 0; t < len; t++, ph += inc) {
            float x = phase01(ph);
            buf[t] = (x < 0.5f ? 1.0f : -1.0f) + poly_blep(x, dt, inv) -
                     poly_blep(phase01(ph + 0x80000000u), dt, inv);
        }
        break;
    }
}

/* The block of every input in use: in[m] for the plan's m-th input. */
static void inputs_block(const neuron_state *st, const neuron_plan *pl, neuron_run *run,
                         float in[][BLOCK], size_t len)
{
    int m;
    size_t t;
    for (m = 0; m < pl->n_in; m++) {
        int src = pl->in_src[m];
        if (src < 3) {
            osc_block(st, pl, src, run, in[m], len);
        } else if (src < IN_NOISE) { /* moving joystick: X, Y, Z a third of a turn apart */
            uint32_t ph = run->joy_ph + (uint32_t)(src - 3) * 0x55555555u;
            const float c = pl->joy[src - 3], depth = pl->joy_move;
            for (t = 0; t < len; t++, ph += pl->joy_inc)
                in[m][t] = clampf(c + depth * table_sine(st->sine, ph), -1.0f, 1.0f);
        } else { /* white noise, uniform in [-1, 1), from the note's seed */
            uint64_t s = run->noise;
            for (t = 0; t < len; t++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                in[m][t] = (float)(int32_t)(uint32_t)(s >> 32) * (1.0f / 2147483648.0f);
            }
            run->noise = s;
        }
    }
    for (m = 0; m < SM_NEURON_OSCS; m++) run->osc_ph[m] += (uint32_t)len * pl->osc_inc[m];
    run->joy_ph += (uint32_t)len * pl->joy_inc;
}

/* The recurrent part: neuron k's axon y[k][t] for t0 <= t0 + t < t0 + len, from its external
 * drive e[k][t] (bias and weighted inputs) and the delayed axons of the neurons it hears. */
static inline __attribute__((always_inline)) void
network_run(neuron_state *restrict st, const neuron_plan *restrict pl, size_t t0,
            const float (*restrict e)[BLOCK], float (*restrict y)[BLOCK], size_t len,
            const int nn)
{
    size_t t;
    int k, j;
    for (t = 0; t < len; t++) {
        const size_t now = t0 + t;
        float d[SM_NEURON_MAX];
        for (j = 0; j < nn; j++) {
            if (pl->is_heard[j]) {
                const float *b = st->delay[j];
                const size_t i0 = (now - pl->d_int[j]) & DELAY_MASK;
                d[j] = b[i0] + pl->d_frac[j] * (b[(i0 - 1) & DELAY_MASK] - b[i0]);
            }
        }
        for (k = 0; k < nn; k++) {
            float s = 0;
            for (j = 0; j < pl->n_fb[k]; j++) s += pl->w_fb[k][j] * d[pl->fb_src[k][j]];
            s = flush(activate(pl->act[k], e[k][t] + s, pl->thr[k], pl->spk[k]));
            y[k][t] = s;
            st->delay[k][now & DELAY_MASK] = s; /* read no earlier than the next sample */
        }
    }
}

/* The recurrent part, with the neuron count a constant in each copy so that the loops over
 * neurons unroll (the default voice measured 7 % faster than with one generic loop). */
static void network_block(neuron_state *st, const neuron_plan *pl, size_t t0,
                          const float (*e)[BLOCK], float (*y)[BLOCK], size_t len)
{
    switch (pl->nn) {
    case 1: network_run(st, pl, t0, e, y, len, 1); break;
    case 2: network_run(st, pl, t0, e, y, len, 2); break;
    case 3: network_run(st, pl, t0, e, y, len, 3); break;
    case 4: network_run(st, pl, t0, e, y, len, 4); break;
    case 5: network_run(st, pl, t0, e, y, len, 5); break;
    case 6: network_run(st, pl, t0, e, y, len, 6); break;
    case 7: network_run(st, pl, t0, e, y, len, 7); break;
    default: network_run(st, pl, t0, e, y, len, SM_NEURON_MAX); break;
    }
}

/* Simper's trapezoidal state-variable filter over bus[0..len), in place, for tan(pi fc / sr)
 * = g and damping k. Its coefficients are a1 = 1 / (1 + g (g + k)), a2 = g a1, a3 = g a2;
 * sample t uses a1[t], a2[t], a3[t] when `modulated`, else a1[0], a2[0], a3[0]. The update is
 * written in state-space form, [ic1, ic2] <- A [ic1, ic2] + B x, so that the loop-carried
 * chain is one multiply and two adds instead of six dependent operations (the filter measured
 * 1.25x faster); the band and low outputs are v1 = a1 ic1 + a2 (x - ic2) and
 * v2 = ic2 + a2 ic1 + a3 (x - ic2). The output is cl * low + cb * band + ch * input (low-,
 * band- or high-pass), soft-limited. With `cascade` (lowpass24; a constant in each copy, so
 * the loop has no branch on it) the low output v2 feeds a second, identical stage (same
 * coefficients, states ic3, ic4) whose low output alone is soft-limited. The states are
 * flushed once a block (a denormal can live at most 64 samples inside the filter; the output
 * is flushed every sample). */
static inline __attribute__((always_inline)) void
svf_run(const neuron_plan *restrict pl, neuron_run *restrict run, float *restrict bus,
        const float *restrict a1, const float *restrict a2, const float *restrict a3,
        size_t len, const int modulated, const int cascade)
{
    float ic1 = run->ic1, ic2 = run->ic2, ic3 = run->ic3, ic4 = run->ic4;
    const float kd = pl->f_k;
    const float cl = pl->filter == SM_NEURON_FILTER_BANDPASS ? 0.0f
                     : pl->filter == SM_NEURON_FILTER_HIGHPASS ? -1.0f : 1.0f;
    const float cb = pl->filter == SM_NEURON_FILTER_BANDPASS ? kd /* unity gain at centre */
                     : pl->filter == SM_NEURON_FILTER_HIGHPASS ? -kd : 0.0f;
    const float ch = pl->filter == SM_NEURON_FILTER_HIGHPASS ? 1.0f : 0.0f;
    size_t t;
    for (t = 0; t < len; t++) {
        const size_t c = modulated ? t : 0;
        const float x = bus[t], v3 = x - ic2;
        const float v1 = a1[c] * ic1 + a2[c] * v3;
        const float v2 = ic2 + a2[c] * ic1 + a3[c] * v3;
        const float n1 = (2.0f * a1[c] - 1.0f) * ic1 + 2.0f * a2[c] * v3;
        const float n2 = (2.0f * a2[c] * ic1 + 2.0f * a3[c] * x) + (1.0f - 2.0f * a3[c]) * ic2;
        ic1 = n1;
        ic2 = n2;
        if (cascade) {
            const float w3 = v2 - ic4;
            const float u2 = ic4 + a2[c] * ic3 + a3[c] * w3;
            const float n3 = (2.0f * a1[c] - 1.0f) * ic3 + 2.0f * a2[c] * w3;
            const float n4 =
                (2.0f * a2[c] * ic3 + 2.0f * a3[c] * v2) + (1.0f - 2.0f * a3[c]) * ic4;
            ic3 = n3;
            ic4 = n4;
            bus[t] = soft_limit(u2);
        } else {
            bus[t] = soft_limit(cl * v2 + cb * v1 + ch * x);
        }
    }
    ic1 = flush(ic1);
    ic2 = flush(ic2);
    ic3 = flush(ic3);
    ic4 = flush(ic4);
    if (!(fabsf(ic1) < 1e4f && fabsf(ic2) < 1e4f && fabsf(ic3) < 1e4f && fabsf(ic4) < 1e4f))
        ic1 = ic2 = ic3 = ic4 = 0; /* never blow up */
    run->ic1 = ic1;
    run->ic2 = ic2;
    run->ic3 = ic3;
    run->ic4 = ic4;
}

/* Filters bus[] in place; oct[] is the cutoff in table octaves when the network drives it.
 * The modulated coefficients are made in two passes: the table look-up, then the division
 * in a loop of known length over separate arrays, which gcc -O2 vectorizes. */
static void filter_block(const neuron_state *restrict st, const neuron_plan *restrict pl,
                         neuron_run *restrict run, float *restrict bus,
                         const float *restrict oct, size_t len)
{
    float a1[BLOCK], a2[BLOCK], a3[BLOCK];
    const float k = pl->f_k;
    const int cascade = pl->filter == SM_NEURON_FILTER_LOWPASS24;
    size_t t;
    if (pl->cut_mod) {
        float g[BLOCK];
        for (t = 0; t < len; t++) {
            float idx = clampf(oct[t], 0.0f, st->oct_max) * (float)CUT_STEPS, fr;
            int i = (int)idx; /* int, not size_t: the unsigned conversion is slow */
            if (i > st->gtab_last) i = st->gtab_last;
            fr = idx - (float)i;
            g[t] = st->gtab[i] + fr * (st->gtab[i + 1] - st->gtab[i]);
        }
        for (; t < BLOCK; t++) g[t] = pl->f_g;
        for (t = 0; t < BLOCK; t++) {
            a1[t] = 1.0f / (1.0f + g[t] * (g[t] + k));
            a2[t] = g[t] * a1[t];
            a3[t] = g[t] * a2[t];
        }
        if (cascade) svf_run(pl, run, bus, a1, a2, a3, len, 1, 1);
        else svf_run(pl, run, bus, a1, a2, a3, len, 1, 0);
    } else {
        a1[0] = 1.0f / (1.0f + pl->f_g * (pl->f_g + k));
        a2[0] = pl->f_g * a1[0];
        a3[0] = pl->f_g * a2[0];
        if (cascade) svf_run(pl, run, bus, a1, a2, a3, len, 0, 1);
        else svf_run(pl, run, bus, a1, a2, a3, len, 0, 0);
    }
}

/* The last step of every sample: clamped to [-1, 1], NaN made 0, tiny values flushed. */
static inline float bound(float v)
{
    v = v == v ? v : 0.0f;
    return flush(clampf(v, -1.0f, 1.0f));
}

/* Applies the envelope (linear attack, T60 decay to sustain, T60 release from the gate's end)
 * and the final bound, writing out[0..len). Each stage runs as its own loop up to its end or
 * the gate's. Returns the number of samples written before the release fell below -120 dB
 * (len if it did not). */
static size_t envelope_block(const neuron_plan *restrict pl, neuron_run *restrict run,
                             size_t t0, const float *restrict bus, float *restrict out,
                             size_t len)
{
    float env = run->env;
    const float sus = pl->env_sus;
    size_t t = 0;
    while (t < len) {
        size_t end = len;
        if (run->env_stage != ENV_RELEASE && pl->gate_n >= t0 + t && pl->gate_n < t0 + len) {
            end = pl->gate_n - t0; /* the key is released at sample `end` */
            if (end == t) {
                run->env_stage = ENV_RELEASE;
                continue;
            }
        }
        if (run->env_stage == ENV_ATTACK) {
            for (; t < end; t++) {
                env += pl->env_inc;
                if (env >= 1.0f) {
                    env = 1.0f;
                    run->env_stage = ENV_DECAY;
                }
                out[t] = bound(env * bus[t]);
                if (run->env_stage != ENV_ATTACK) {
                    t++;
                    break;
                }
            }
        } else if (run->env_stage == ENV_DECAY) {
            /* the distance to the sustain level decays: one multiply a sample on the
             * loop-carried chain (the default voice measured 1.15x faster than with env
             * updated itself); flushed once a block */
            float dist = env - sus;
            for (; t < end; t++) {
                dist *= pl->env_dcoef;
                out[t] = bound((sus + dist) * bus[t]);
            }
            if (fabsf(dist) < 1e-7f) dist = 0;
            env = sus + dist;
        } else {
            for (; t < end; t++) {
                env *= pl->env_rcoef;
                if (env < 1e-6f) { /* -120 dB: the note is over */
                    run->env = 0;
                    return t;
                }
                out[t] = bound(env * bus[t]);
            }
        }
    }
    run->env = env;
    return len;
}

/* The low cut: a 2-pole Butterworth high-pass (Simper's state-variable filter, high output
 * x - k band - low) over out[0..len) in place, after the envelope, then the final bound again
 * (its overshoot can pass 1). It takes away the DC that rectifying neurons and biases put
 * into the mix, and whatever lies below lowcut_hz; at its minimum, 5 Hz, it is off. */
static void lowcut_block(const neuron_plan *restrict pl, neuron_run *restrict run,
                         float *restrict out, size_t len)
{
    const float a1 = pl->lc_a1, a2 = pl->lc_a2, a3 = pl->lc_a3, k = (float)LOWCUT_K;
    float s1 = run->lc1, s2 = run->lc2;
    size_t t;
    for (t = 0; t < len; t++) {
        const float x = out[t], v3 = x - s2;
        const float v1 = a1 * s1 + a2 * v3, v2 = s2 + a2 * s1 + a3 * v3;
        s1 = 2.0f * v1 - s1;
        s2 = 2.0f * v2 - s2;
        out[t] = bound(x - k * v1 - v2);
    }
    run->lc1 = flush(s1);
    run->lc2 = flush(s2);
}

/* sm_synth_type.render: n samples of one note into out (see synths/synth.h). Native values are
 * clamped (NaN gives the default). Returns 0, or SM_ERR_ARG for a NULL state, parameter
 * vector, note, or output with n > 0. Allocates nothing; uses the state's delay lines. */
static int neuron_render(void *vst, const double *native, const sm_note *note, float *out,
                         size_t n)
{
    neuron_state *st = vst;
    double p[P_TOTAL];
    neuron_plan pl;
    neuron_run run;
    sm_rng rng;
    float in[N_INPUTS][BLOCK], e[SM_NEURON_MAX][BLOCK], y[SM_NEURON_MAX][BLOCK];
    float bus[BLOCK], oct[BLOCK];
    size_t t0;

    if (!st || !native || !note || (!out && n)) return SM_ERR_ARG;
    memcpy(p, native, sizeof p);
    sm_params_clamp(&neuron_space, p);
    make_plan(st, p, note, n, &pl);
    memset(&run, 0, sizeof run);
    run.env_stage = ENV_ATTACK;
    sm_rng_init(&rng, note->seed, 0x6e657572u /* "neur" */);
    run.noise = sm_rng_u64(&rng);
    memset(st->delay, 0, sizeof st->delay);
    memset(in, 0, sizeof in); /* the block-wide loops read past len on the last block */
    memset(y, 0, sizeof y);

    for (t0 = 0; t0 < n; t0 += BLOCK) {
        const size_t len = n - t0 < BLOCK ? n - t0 : BLOCK;
        size_t t, done;
        int k, m;
        inputs_block(st, &pl, &run, in, len);
        /* Each neuron's drive from outside the network. These loops and the bus's run over
         * the whole block (past len on the last one, harmlessly) so that gcc -O2 vectorizes
         * them: a known trip count is what its cheap cost model needs. */
        for (k = 0; k < pl.nn; k++) {
            for (t = 0; t < BLOCK; t++) e[k][t] = pl.bias[k];
            for (m = 0; m < pl.n_in; m++) {
                const float w = pl.w_in[k][m];
                for (t = 0; t < BLOCK; t++) e[k][t] += w * in[m][t];
            }
        }
        network_block(st, &pl, t0, (const float(*)[BLOCK])e, y, len);
        for (t = 0; t < BLOCK; t++) {
            bus[t] = 0;
            oct[t] = pl.f_oct;
        }
        for (k = 0; k < pl.nn; k++) {
            const float mk = pl.mix[k], ck = pl.cut[k];
            for (t = 0; t < BLOCK; t++) {
                bus[t] += mk * y[k][t];
                oct[t] += ck * y[k][t];
            }
        }
        if (pl.f_env != 0 && pl.filter != SM_NEURON_FILTER_OFF) {
            /* the envelope's share of the cutoff: this block's envelope, from a copy of its
             * state (the envelope never depends on the sound) */
            float one[BLOCK], ev[BLOCK];
            neuron_run ahead = run;
            for (t = 0; t < BLOCK; t++) one[t] = 1.0f;
            memset(ev, 0, sizeof ev);
            (void)envelope_block(&pl, &ahead, t0, one, ev, len);
            for (t = 0; t < len; t++) oct[t] += pl.f_env * ev[t];
        }
        if (pl.filter != SM_NEURON_FILTER_OFF) filter_block(st, &pl, &run, bus, oct, len);
        done = envelope_block(&pl, &run, t0, bus, out + t0, len);
        if (pl.lowcut) lowcut_block(&pl, &run, out + t0, done);
        if (done < len) { /* the release has ended: the rest is silence */
            memset(out + t0 + done, 0, (n - t0 - done) * sizeof *out);
            break;
        }
    }
    return 0;
}

/* Patches are parameter files (core/params_file.h): the voice has no format of its own. */
static int neuron_patch_load(const char *spec, double *native, char *name, size_t name_len,
                             sm_error *err)
{
    return sm_params_file_load("neuron", &neuron_space, spec, native, name, name_len, err);
}

static int neuron_patch_save(const char *path, const double *native, const char *name,
                             sm_error *err)
{
    return sm_params_file_save("neuron", &neuron_space, path, native, name, err);
}

const sm_synth_type sm_synth_neuron = {
    .name = "neuron",
    .description = "a network of 1-8 artificial neurons with delayed feedback, "
                   "filter and envelope",
    .space = &neuron_space,
    .alloc = neuron_alloc,
    .render = neuron_render,
    .free = neuron_free,
    .patch_ext = ".params",
    .patch_load = neuron_patch_load,
    .patch_save = neuron_patch_save,
    .patch_load_all = NULL,
    .render2 = NULL,
    .render_grad = sm_neuron_render_grad,
    .render_version = 3, /* 2: filter_env_oct; 3: filter type lowpass24, lowcut_hz */
};
