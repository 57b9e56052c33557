/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/drum.c: the Microtonic-style drum voice (sm_synth_drum; see synths/drum.h and
 * synths/drum.md).
 *
 * Signal flow, after Microtonic's user guide ("Architecture", "Drum Patch Section"):
 *
 *   oscillator (sine/triangle/saw) <- pitch modulator (decay / sine / random)
 *        x oscillator envelope (exponential attack, exponential decay) x velocity
 *   noise -> state-variable filter (LP/BP/HP) x noise envelope (exp / linear / clap) x velocity
 *   equal-power mix -> distortion -> DC blocker -> peaking EQ -> level -> soft limiter
 *
 * The render path allocates nothing and calls no libm function per sample: envelopes are
 * per-sample multiplications, the sine modulator is a rotating phasor, the oscillator's sine is
 * a polynomial and pitch (2^x) a short polynomial with an exponent trick. The voice works in
 * blocks of 64 samples and stops computing a part once its envelope has fallen below -140 dB,
 * so short drums cost little. Denormals cannot arise: envelopes snap to 0 below -140 dB and
 * the filter states of the output chain are zeroed once the voice is silent. */
#include "synths/drum.h"

#include "core/rng.h"
#include "synths/mtpreset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 64
#define LN1000 6.907755278982137     /* ln(1000): 60 dB */
#define ENV_FLOOR 1e-7                /* -140 dB: a part below this is finished */
#define LIMIT_KNEE 0.75               /* the output is linear up to here, then bends to 1 */
#define HEADROOM 0.5                  /* -6 dB: a full-scale oscillator at level 0 dB peaks at
                                       * 0.5, so EQ boosts and distortion seldom reach the knee */

static const char *const wave_labels[] = {"Sine", "Triangle", "Saw"};
static const char *const mod_labels[] = {"Decay", "Sine", "Noise"};
static const char *const filter_labels[] = {"LP", "BP", "HP"};
static const char *const onoff_labels[] = {"Off", "On"};
static const char *const nenv_labels[] = {"Exp", "Linear", "Mod"};

/* Ranges and defaults from Microtonic's user guide; the mod_rate default is its 353.33 ms. */
static const sm_param drum_params[SM_DRUM_NPARAMS] = {
    {"osc_wave", "", SM_PARAM_ENUM, 0, 2, 0, 0, wave_labels},
    {"osc_freq_hz", "Hz", SM_PARAM_REAL, 20, 20000, 632.46, 1, NULL},
    {"osc_atk_ms", "ms", SM_PARAM_REAL, SM_DRUM_ATK_MIN_MS, 10000, SM_DRUM_ATK_MIN_MS, 1, NULL},
    {"osc_dcy_ms", "ms", SM_PARAM_REAL, 10, 10000, 316.23, 1, NULL},
    {"mod_mode", "", SM_PARAM_ENUM, 0, 2, 0, 0, mod_labels},
    {"mod_rate", "", SM_PARAM_REAL, 0, 1, 0.6129538473647473, 0, NULL},
    {"mod_amt_st", "semitones", SM_PARAM_REAL, -96, 96, 0, 0, NULL},
    {"nfil_mode", "", SM_PARAM_ENUM, 0, 2, 0, 0, filter_labels},
    {"nfil_freq_hz", "Hz", SM_PARAM_REAL, 20, 20000, 20000, 1, NULL},
    {"nfil_q", "", SM_PARAM_REAL, 0.1, 10000, 0.70710683, 1, NULL},
    {"nstereo", "", SM_PARAM_ENUM, 0, 1, 0, 0, onoff_labels},
    {"nenv_mode", "", SM_PARAM_ENUM, 0, 2, 0, 0, nenv_labels},
    {"nenv_atk_ms", "ms", SM_PARAM_REAL, SM_DRUM_ATK_MIN_MS, 10000, SM_DRUM_ATK_MIN_MS, 1, NULL},
    {"nenv_dcy_ms", "ms", SM_PARAM_REAL, 20.0 / 3.0, 10000, 316.23, 1, NULL},
    {"mix_osc_pct", "%", SM_PARAM_REAL, 0, 100, 50, 0, NULL},
    {"dist_amt", "", SM_PARAM_REAL, 0, 100, 0, 0, NULL},
    {"eq_freq_hz", "Hz", SM_PARAM_REAL, 20, 20000, 632.46, 1, NULL},
    {"eq_gain_db", "dB", SM_PARAM_REAL, -40, 40, 0, 0, NULL},
    {"level_db", "dB", SM_PARAM_REAL, -60, 10, 0, 0, NULL},
    {"osc_vel_pct", "%", SM_PARAM_REAL, 0, 200, 0, 0, NULL},
    {"noise_vel_pct", "%", SM_PARAM_REAL, 0, 200, 0, 0, NULL},
    {"mod_vel_pct", "%", SM_PARAM_REAL, 0, 200, 0, 0, NULL},
};

static const sm_param_space drum_space = {SM_DRUM_NPARAMS, drum_params};

/* ---- small numeric helpers (no libm in the per-sample path) ---- */

/* 2^x for |x| < 1000, relative error below 2e-7: the nearest integer goes into the exponent
 * bits, the rest (|f| <= 0.5) into a degree-6 Taylor polynomial of e^(f ln 2). */
static inline double fast_exp2(double x)
{
    static const double c1 = 0.6931471805599453, c2 = 0.2402265069591007,
                        c3 = 0.05550410866482158, c4 = 0.009618129107628477,
                        c5 = 0.0013333558146428443, c6 = 0.00015403530393381608;
    double fi = (double)(long)(x + (x >= 0 ? 0.5 : -0.5));
    double f = x - fi;
    union { double d; unsigned long long u; } b;
    b.u = (unsigned long long)((long long)fi + 1023) << 52;
    return b.d * (1 + f * (c1 + f * (c2 + f * (c3 + f * (c4 + f * (c5 + f * c6))))));
}

/* sin(2 pi p) for p in [0, 1): symmetry reduces the angle to [-pi/2, pi/2], then an odd Taylor
 * polynomial through z^11 (error below 6e-8). */
static inline double sin_turns(double p)
{
    double z, z2;
    if (p >= 0.5) p -= 1.0;
    if (p > 0.25)
        p = 0.5 - p;
    else if (p < -0.25)
        p = -0.5 - p;
    z = 6.283185307179586 * p;
    z2 = z * z;
    return z * (1 + z2 * (-1.0 / 6 + z2 * (1.0 / 120 + z2 * (-1.0 / 5040 + z2 * (1.0 / 362880 +
                z2 * (-1.0 / 39916800))))));
}

/* Inline 64-bit xorshift* noise (Vigna), seeded from the project's splittable generator. */
static inline double noise_uniform(unsigned long long *s)
{
    unsigned long long x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return (double)(long long)(x * 0x2545F4914F6CDD1DULL) * 0x1.0p-63; /* [-1, 1) */
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* ---- public helpers ---- */

double sm_drum_mod_rate_value(int mode, double r)
{
    if (!(r >= 0)) r = 0;
    if (r > 1) r = 1;
    switch (mode) {
    case SM_DRUM_MOD_SINE:
        return r <= 0 ? 0 : SM_DRUM_MOD_SINE_MAX_HZ * pow(10, 5 * (r - 1));
    case SM_DRUM_MOD_NOISE:
        return r <= 0 ? 0 : SM_DRUM_MOD_NOISE_MAX_HZ * pow(10, 5 * (r - 1));
    default:
        return r <= 0 ? INFINITY : SM_DRUM_MOD_DECAY_MIN_MS * pow(10, 4 * (1 - r));
    }
}

double sm_drum_mod_rate_from_value(int mode, double v)
{
    double r;
    if (isnan(v)) return 0;
    switch (mode) {
    case SM_DRUM_MOD_SINE:
        r = v > 0 ? 1 + log10(v / SM_DRUM_MOD_SINE_MAX_HZ) / 5 : 0;
        break;
    case SM_DRUM_MOD_NOISE:
        r = v > 0 ? 1 + log10(v / SM_DRUM_MOD_NOISE_MAX_HZ) / 5 : 0;
        break;
    default:
        r = (v > 0 && isfinite(v)) ? 1 - log10(v / SM_DRUM_MOD_DECAY_MIN_MS) / 4 : v > 0 ? 0 : 1;
        break;
    }
    return clampd(r, 0, 1);
}

void sm_drum_mix_gains(double mix_osc_pct, double *osc_gain, double *noise_gain)
{
    double m = clampd(isnan(mix_osc_pct) ? 50 : mix_osc_pct, 0, 100) / 100;
    /* Equal power: g_osc^2 + g_noise^2 = 1; exact ends so 100/0 is the oscillator alone. */
    *osc_gain = m >= 1 ? 1 : sin(1.5707963267948966 * m);
    *noise_gain = m <= 0 ? 1 : cos(1.5707963267948966 * m);
    if (m >= 1) *noise_gain = 0;
    if (m <= 0) *osc_gain = 0;
}

double sm_drum_velocity_gain(double sens_pct, double velocity)
{
    double s = clampd(isnan(sens_pct) ? 0 : sens_pct, 0, 200) / 100;
    double v = clampd(isnan(velocity) ? 127 : velocity, 0, 127) / 127;
    double g = 1 - s * (1 - v);
    return g > 0 ? g : 0;
}

/* ---- the voice ---- */

typedef struct {
    double sample_rate;
} drum_state;

/* An exponential attack-decay envelope: rises from -60 dB to 1 over atk samples (exponential,
 * as Microtonic's), then falls 60 dB per dcy samples. */
typedef struct {
    double value, rise, fall;
    long atk_left;
} exp_env;

static void exp_env_init(exp_env *e, double atk_samples, double dcy_samples)
{
    e->fall = exp(-LN1000 / (dcy_samples > 1 ? dcy_samples : 1));
    if (atk_samples >= 1) {
        e->atk_left = (long)(atk_samples + 0.5);
        e->value = 1e-3;
        e->rise = exp(LN1000 / (double)e->atk_left);
    } else {
        e->atk_left = 0;
        e->value = 1;
        e->rise = 1;
    }
}

/* Next value of e; 0 once it is below -140 dB (then it stays 0). */
static inline double exp_env_next(exp_env *e)
{
    double v = e->value;
    if (e->atk_left > 0) {
        if (--e->atk_left == 0)
            e->value = 1;
        else
            e->value *= e->rise;
    } else {
        e->value *= e->fall;
        if (e->value < ENV_FLOOR) e->value = 0;
    }
    return v;
}

typedef struct {
    int active, wave, mod_mode, pitch_moving;
    double phase, inc, log2_f0, max_log2, gain;
    double amt;                 /* semitone amount, velocity applied */
    double m, m_mul;            /* decay modulator: m *= m_mul */
    double mc, ms, rc, rs;      /* sine modulator: phasor (mc, ms) rotated by (rc, rs) */
    double na, nk;              /* noise modulator: one-pole coefficient and input scale */
    unsigned long long nseed;
    exp_env env;
} osc_part;

typedef struct {
    int active, filter, env_mode;
    double gain, g, k, a1, a2, a3, ic1, ic2, out_scale;
    unsigned long long seed;
    exp_env env;               /* exponential decay (all modes) and exponential attack */
    double lin_value, lin_rise, lin_fall;
    long atk_left, n;
    double burst, burst_mul, burst_period, burst_next; /* clap bursts (Mod mode) */
} noise_part;

static void *drum_alloc(double sample_rate, sm_error *err)
{
    drum_state *st;
    if (!(sample_rate >= 1000 && sample_rate <= 384000)) {
        sm_error_set(err, SM_ERR_RANGE, "drum: sample rate %g Hz is outside 1000..384000",
                     sample_rate);
        return NULL;
    }
    st = malloc(sizeof *st);
    if (!st) {
        sm_error_set(err, SM_ERR_NOMEM, "drum: out of memory");
        return NULL;
    }
    st->sample_rate = sample_rate;
    return st;
}

static void drum_free(void *st)
{
    free(st);
}

static void osc_setup(osc_part *o, const double *p, double sr, double vel, sm_rng *rng)
{
    double rate, amt;
    memset(o, 0, sizeof *o);
    o->wave = (int)p[SM_DRUM_OSC_WAVE];
    o->mod_mode = (int)p[SM_DRUM_MOD_MODE];
    o->log2_f0 = log2(p[SM_DRUM_OSC_FREQ_HZ]);
    /* Frequencies are held below 0.48 fs; Microtonic oversamples, we cannot exceed Nyquist. */
    o->max_log2 = log2(0.48 * sr);
    o->inc = pow(2, o->log2_f0 < o->max_log2 ? o->log2_f0 : o->max_log2) / sr;
    amt = p[SM_DRUM_MOD_AMT_ST];
    if (o->mod_mode != SM_DRUM_MOD_DECAY) amt = clampd(amt, -48, 48); /* Microtonic's range */
    o->amt = amt * sm_drum_velocity_gain(p[SM_DRUM_MOD_VEL_PCT], vel);
    rate = sm_drum_mod_rate_value(o->mod_mode, p[SM_DRUM_MOD_RATE]);
    o->nseed = sm_rng_u64(rng) | 1;
    switch (o->mod_mode) {
    case SM_DRUM_MOD_SINE: {
        /* cos(2 pi f t): at rate 0 the pitch stays at its initial base + amount, as the
         * guide says the minimum rate "makes the oscillator stick to its initial frequency". */
        double w = 6.283185307179586 * clampd(rate, 0, 0.49 * sr) / sr;
        o->mc = 1;
        o->ms = 0;
        o->rc = cos(w);
        o->rs = sin(w);
        break;
    }
    case SM_DRUM_MOD_NOISE: {
        /* Low-pass filtered noise with cut-off = rate, scaled to keep a constant variance; at
         * rate 0 a random constant (the pitch randomized once per hit). */
        double fc = clampd(rate, 0, 0.45 * sr);
        o->na = exp(-6.283185307179586 * fc / sr);
        o->nk = o->na < 1 ? (1 - o->na) * sqrt((1 + o->na) / (1 - o->na)) : 0;
        o->m = noise_uniform(&o->nseed);
        break;
    }
    default:
        /* The semitone offset decays exponentially and falls 60 dB in half the rate time, as
         * supertonic fits Microtonic (Decay.ar(Impulse, 1 / (2 rate_hz))). */
        o->m = 1;
        o->m_mul = isinf(rate) ? 1 : exp(-LN1000 / (0.5 * rate * 1e-3 * sr));
        break;
    }
    o->pitch_moving = o->amt != 0;
    exp_env_init(&o->env, p[SM_DRUM_OSC_ATK_MS] > SM_DRUM_ATK_MIN_MS * 1.000001
                              ? p[SM_DRUM_OSC_ATK_MS] * 1e-3 * sr : 0,
                 p[SM_DRUM_OSC_DCY_MS] * 1e-3 * sr);
    o->active = 1;
}

/* The pitch modulator over a block: inc[i] receives the phase increment (cycles per sample)
 * of each sample. The modulator recursions run first, then the independent 2^x evaluations,
 * which the CPU overlaps. (Splitting the oscillator and the output chain into passes took a
 * patch with every part active for 1 s from about 450x to about 600x real time.) */
static void osc_pitch_block(osc_part *o, double *inc, int n, double inv_sr)
{
    double m[BLOCK];
    int i;
    switch (o->mod_mode) {
    case SM_DRUM_MOD_SINE:
        for (i = 0; i < n; i++) {
            double c = o->mc * o->rc - o->ms * o->rs;
            o->ms = o->ms * o->rc + o->mc * o->rs;
            m[i] = o->mc;
            o->mc = c;
        }
        break;
    case SM_DRUM_MOD_NOISE:
        for (i = 0; i < n; i++) {
            m[i] = o->m;
            if (o->nk > 0) o->m = o->na * o->m + o->nk * noise_uniform(&o->nseed);
        }
        break;
    default:
        for (i = 0; i < n; i++) {
            m[i] = o->m;
            o->m *= o->m_mul;
        }
        if (fabs(o->amt * o->m) < 1e-5) o->pitch_moving = 0; /* settled at the base pitch */
        break;
    }
    for (i = 0; i < n; i++) {
        double x = o->log2_f0 + o->amt * (1.0 / 12) * m[i];
        x = x > o->max_log2 ? o->max_log2 : x < -20 ? -20 : x;
        inc[i] = fast_exp2(x) * inv_sr;
    }
    o->inc = o->pitch_moving ? inc[n - 1] : pow(2, o->log2_f0 < o->max_log2 ? o->log2_f0
                                                                           : o->max_log2) * inv_sr;
}

/* The polyBLAMP residual of a unit slope change at distance d (|d| < 1 samples). */
static inline double blamp(double d)
{
    double u = d <= 0 ? 1 + d : 1 - d;
    return u * u * u * (1.0 / 6);
}

/* Adds n samples of the oscillator (envelope and gain applied) to y, in passes: envelope,
 * pitch, waveform. */
static void osc_block(osc_part *o, double sr, double *y, int n)
{
    double amp[BLOCK], inc[BLOCK], p = o->phase;
    int i;
    for (i = 0; i < n; i++) amp[i] = o->gain * exp_env_next(&o->env);
    if (o->pitch_moving)
        osc_pitch_block(o, inc, n, 1 / sr);
    else
        for (i = 0; i < n; i++) inc[i] = o->inc;
    switch (o->wave) {
    case SM_DRUM_WAVE_TRIANGLE:
        /* starts at 0 rising like the sine; corners band-limited with polyBLAMP */
        for (i = 0; i < n; i++) {
            double s = p < 0.25 ? 4 * p : p < 0.75 ? 2 - 4 * p : 4 * p - 4, d = inc[i];
            if (d < 0.25) {
                if (fabs(p - 0.25) < d) s -= 8 * d * blamp((p - 0.25) / d);
                if (fabs(p - 0.75) < d) s += 8 * d * blamp((p - 0.75) / d);
            }
            y[i] += amp[i] * s;
            p += d;
            if (p >= 1) p -= 1;
        }
        break;
    case SM_DRUM_WAVE_SAW:
        /* starts at 0; the downward step is band-limited with polyBLEP */
        for (i = 0; i < n; i++) {
            double q = p + 0.5, s, d = inc[i];
            if (q >= 1) q -= 1;
            s = 2 * q - 1;
            if (q < d) {
                double x = q / d;
                s += (1 - x) * (1 - x);
            } else if (q > 1 - d) {
                double x = (q - 1) / d;
                s -= (1 + x) * (1 + x);
            }
            y[i] += amp[i] * s;
            p += d;
            if (p >= 1) p -= 1;
        }
        break;
    default:
        for (i = 0; i < n; i++) {
            y[i] += amp[i] * sin_turns(p);
            p += inc[i];
            if (p >= 1) p -= 1;
        }
        break;
    }
    o->phase = p;
    if (o->env.atk_left == 0 && o->env.value == 0) o->active = 0;
}

static void noise_setup(noise_part *z, const double *p, double sr, sm_rng *rng)
{
    double fc, q, atk_ms, atk, dcy;
    memset(z, 0, sizeof *z);
    z->filter = (int)p[SM_DRUM_NFIL_MODE];
    z->env_mode = (int)p[SM_DRUM_NENV_MODE];
    z->seed = sm_rng_u64(rng) | 1;
    /* Zavalishin's trapezoidal state-variable filter (stable for any cut-off and Q). */
    fc = clampd(p[SM_DRUM_NFIL_FREQ_HZ], 20, 0.49 * sr);
    q = p[SM_DRUM_NFIL_Q];
    z->g = tan(3.141592653589793 * fc / sr);
    z->k = 1 / q;
    z->a1 = 1 / (1 + z->g * (z->g + z->k));
    z->a2 = z->g * z->a1;
    z->a3 = z->g * z->a2;
    /* Loudness across Q (our choice, see drum.md): band-pass has unit peak gain at
     * Q = 1/sqrt(2) and keeps its noise power as Q grows (x sqrt(Q sqrt 2)); a resonant
     * low/high-pass is scaled by 1/sqrt(Q sqrt 2) above Q = 1/sqrt(2). Both turn into an
     * "irregular sine tone" at a steady level as Q rises, as the guide describes. White noise
     * has the power of a unit sine, 1/2 (uniform x sqrt 3/2): the guide's 50/50 mix has
     * "oscillator and noise sources mixed with equal power". */
    if (z->filter == SM_DRUM_FILTER_BP)
        z->out_scale = z->k * sqrt(q * 1.4142135623730951);
    else
        z->out_scale = q * 1.4142135623730951 > 1 ? 1 / sqrt(q * 1.4142135623730951) : 1;
    z->out_scale *= 1.224744871391589;
    atk_ms = p[SM_DRUM_NENV_ATK_MS] > SM_DRUM_ATK_MIN_MS * 1.000001 ? p[SM_DRUM_NENV_ATK_MS] : 0;
    atk = atk_ms * 1e-3 * sr;
    dcy = p[SM_DRUM_NENV_DCY_MS] * 1e-3 * sr;
    switch (z->env_mode) {
    case SM_DRUM_NENV_LINEAR:
        /* linear attack from 0, then a linear fall to 0 in the decay time ("gated") */
        z->atk_left = atk >= 1 ? (long)(atk + 0.5) : 0;
        z->lin_value = z->atk_left ? 0 : 1;
        z->lin_rise = z->atk_left ? 1.0 / (double)z->atk_left : 0;
        z->lin_fall = 1 / (dcy > 1 ? dcy : 1);
        break;
    case SM_DRUM_NENV_MOD: {
        /* Clap: bursts that each fall 60 dB in one period, over 0.15 of the level, for the
         * attack time, then the exponential decay. The burst rate is supertonic's fit to
         * Microtonic: 4311 / (attack_ms + 28.4) + 11.44 Hz. */
        double rate = 4311 / (atk_ms + 28.4) + 11.44;
        z->atk_left = atk >= 1 ? (long)(atk + 0.5) : 0;
        z->burst_period = sr / rate;
        z->burst_mul = exp(-LN1000 / z->burst_period);
        z->burst = 1;
        z->burst_next = z->burst_period;
        exp_env_init(&z->env, 0, dcy);
        break;
    }
    default:
        exp_env_init(&z->env, atk, dcy);
        break;
    }
    z->active = 1;
}

/* Next value of the noise envelope; marks z inactive at its end. */
static inline double noise_env_next(noise_part *z)
{
    double v;
    switch (z->env_mode) {
    case SM_DRUM_NENV_LINEAR:
        v = z->lin_value;
        if (z->atk_left > 0) {
            if (--z->atk_left == 0)
                z->lin_value = 1;
            else
                z->lin_value += z->lin_rise;
        } else {
            z->lin_value -= z->lin_fall;
            if (z->lin_value <= 0) z->lin_value = 0;
        }
        return v;
    case SM_DRUM_NENV_MOD:
        if (z->atk_left > 0) {
            v = 0.15 + 0.85 * z->burst;
            z->atk_left--;
            z->n++;
            if ((double)z->n >= z->burst_next) {
                z->burst = 1;
                z->burst_next += z->burst_period;
            } else {
                z->burst *= z->burst_mul;
            }
            return v;
        }
        return exp_env_next(&z->env);
    default:
        return exp_env_next(&z->env);
    }
}

/* Adds n samples of filtered noise (envelope and gain applied) to y: the envelope in one
 * pass, then noise through the filter. */
static void noise_block(noise_part *z, double *y, int n)
{
    double amp[BLOCK], g = z->gain * z->out_scale, ic1 = z->ic1, ic2 = z->ic2;
    unsigned long long seed = z->seed;
    int i, mode = z->filter;
    for (i = 0; i < n; i++) amp[i] = g * noise_env_next(z);
    for (i = 0; i < n; i++) {
        double v0 = noise_uniform(&seed), v3 = v0 - ic2;
        double v1 = z->a1 * ic1 + z->a2 * v3, v2 = ic2 + z->a2 * ic1 + z->a3 * v3;
        ic1 = 2 * v1 - ic1;
        ic2 = 2 * v2 - ic2;
        y[i] += amp[i] * (mode == SM_DRUM_FILTER_LP   ? v2
                          : mode == SM_DRUM_FILTER_BP ? v1
                                                      : v0 - z->k * v1 - v2);
    }
    z->ic1 = ic1;
    z->ic2 = ic2;
    z->seed = seed;
    if (z->env_mode == SM_DRUM_NENV_LINEAR) {
        if (z->atk_left == 0 && z->lin_value <= 0) z->active = 0;
    } else if (z->atk_left == 0 && z->env.atk_left == 0 && z->env.value == 0) {
        z->active = 0;
    }
}

/* The output chain: distortion, DC blocker, peaking EQ, level, soft limiter. */
typedef struct {
    int dist_on, eq_on;
    double drive, knee, bias;               /* distortion */
    double dc_r, dc_x1, dc_y1;              /* DC blocker after the distortion */
    double b0, b1, b2, a1, a2, s1, s2;      /* peaking EQ, transposed direct form II */
    double level;
} out_chain;

static void chain_setup(out_chain *c, const double *p, double sr)
{
    double a = p[SM_DRUM_DIST_AMT] / 100, gain_db = p[SM_DRUM_EQ_GAIN_DB];
    memset(c, 0, sizeof *c);
    /* Distortion h(x) = G x / sqrt(1 + ((G-1) x + b)^2): the identity at 0, a soft knee with
     * odd and (through the bias b) even harmonics at low settings, a +40 dB overdrive that
     * saturates near +-1 at 100. */
    c->dist_on = a > 0;
    c->drive = pow(100, a);
    c->knee = c->drive - 1;
    c->bias = 0.5 * a;
    c->dc_r = 1 - 6.283185307179586 * 10 / sr;
    /* Peaking EQ (RBJ cookbook) with a fixed Q of 1, supertonic's BPeakEQ(rq = 1). A boost is
     * compensated by 3/4 of its gain broadband (our guess at the guide's "when the gain is
     * high, the output level is automatically attenuated"): +40 dB peaks at +10 dB. */
    c->eq_on = gain_db != 0;
    if (c->eq_on) {
        double f = clampd(p[SM_DRUM_EQ_FREQ_HZ], 20, 0.49 * sr);
        double A = pow(10, gain_db / 40), w = 6.283185307179586 * f / sr;
        double alpha = sin(w) / 2, cw = cos(w), a0 = 1 + alpha / A;
        c->b0 = (1 + alpha * A) / a0;
        c->b1 = -2 * cw / a0;
        c->b2 = (1 - alpha * A) / a0;
        c->a1 = -2 * cw / a0;
        c->a2 = (1 - alpha / A) / a0;
    }
    c->level = HEADROOM * pow(10, (p[SM_DRUM_LEVEL_DB] - (gain_db > 0 ? 0.75 * gain_db : 0)) / 20);
}

/* Bends |x| above LIMIT_KNEE smoothly towards 1 (x / sqrt(1 + x^2) shape, slope 1 at the
 * knee, never beyond 1); NaN becomes 0. */
static inline double soft_limit(double x)
{
    double ax = fabs(x), u;
    if (ax <= LIMIT_KNEE) return x;
    if (isnan(x)) return 0;
    u = (ax - LIMIT_KNEE) / (1 - LIMIT_KNEE);
    u = u < 1e8 ? u / sqrt(1 + u * u) : 1;
    u = LIMIT_KNEE + (1 - LIMIT_KNEE) * u;
    return x < 0 ? -u : u;
}

/* Runs n samples of y (overwritten) through c into out, one stage per pass so the
 * independent per-sample work (distortion, limiter) overlaps in the CPU (see osc_pitch_block
 * for the measured gain). */
static void chain_block(out_chain *c, double *y, float *out, int n)
{
    int i;
    if (c->dist_on) {
        for (i = 0; i < n; i++) {
            double u = c->knee * y[i] + c->bias;
            y[i] = c->drive * y[i] / sqrt(1 + u * u);
        }
        for (i = 0; i < n; i++) {
            double h = y[i];
            y[i] = h - c->dc_x1 + c->dc_r * c->dc_y1;
            c->dc_x1 = h;
            c->dc_y1 = y[i];
        }
    }
    if (c->eq_on) {
        for (i = 0; i < n; i++) {
            double x = y[i], v = c->b0 * x + c->s1;
            c->s1 = c->b1 * x - c->a1 * v + c->s2;
            c->s2 = c->b2 * x - c->a2 * v;
            y[i] = v;
        }
    }
    for (i = 0; i < n; i++) out[i] = (float)soft_limit(c->level * y[i]);
}

/* 1 when the chain's filters have rung out (then their states are zeroed). */
static int chain_quiet(out_chain *c)
{
    if (fabs(c->dc_x1) + fabs(c->dc_y1) + fabs(c->s1) + fabs(c->s2) > 1e-12) return 0;
    c->dc_x1 = c->dc_y1 = c->s1 = c->s2 = 0;
    return 1;
}

static int drum_render(void *vst, const double *native, const sm_note *note, float *out,
                       size_t n)
{
    const drum_state *st = vst;
    double p[SM_DRUM_NPARAMS], y[BLOCK], vel, g_osc, g_noise, sr;
    osc_part osc;
    noise_part nz;
    out_chain chain;
    sm_rng rng;
    size_t done = 0;
    if (!st || !native || !note || (!out && n)) return SM_ERR_ARG;
    sr = st->sample_rate;
    memcpy(p, native, sizeof p);
    sm_params_clamp(&drum_space, p);
    /* The MIDI note is ignored (a drum patch sets its own pitch); the gate too (drums are
     * one-shot, envelopes run their course); velocity scales levels and modulation. */
    vel = isnan(note->velocity) ? 100 : clampd(note->velocity, 0, 127);
    sm_rng_init(&rng, note->seed, 0x6472756dULL /* "drum" */);

    sm_drum_mix_gains(p[SM_DRUM_MIX_OSC_PCT], &g_osc, &g_noise);
    osc_setup(&osc, p, sr, vel, &rng);
    osc.gain = g_osc * sm_drum_velocity_gain(p[SM_DRUM_OSC_VEL_PCT], vel);
    noise_setup(&nz, p, sr, &rng);
    /* Stereo noise: two uncorrelated channels mixed to mono have half the power. */
    nz.gain = g_noise * sm_drum_velocity_gain(p[SM_DRUM_NOISE_VEL_PCT], vel) *
              (p[SM_DRUM_NSTEREO] > 0.5 ? 0.7071067811865476 : 1);
    if (osc.gain == 0) osc.active = 0;
    if (nz.gain == 0) nz.active = 0;
    chain_setup(&chain, p, sr);

    while (done < n) {
        int m = n - done < BLOCK ? (int)(n - done) : BLOCK;
        if (!osc.active && !nz.active && chain_quiet(&chain)) {
            memset(out + done, 0, (n - done) * sizeof *out); /* the voice has ended */
            break;
        }
        memset(y, 0, sizeof y);
        if (osc.active) osc_block(&osc, sr, y, m);
        if (nz.active) noise_block(&nz, y, m);
        chain_block(&chain, y, out + done, m);
        done += (size_t)m;
    }
    return 0;
}

/* Output level: the level control (dB, after the EQ and before the soft limiter). */
static double drum_adjust_gain(double *native, double gain_db)
{
    const double lo = drum_params[SM_DRUM_LEVEL_DB].min, hi = drum_params[SM_DRUM_LEVEL_DB].max;
    double v0 = native[SM_DRUM_LEVEL_DB], v = v0 + gain_db;
    if (!isfinite(v)) return 0.0;
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    native[SM_DRUM_LEVEL_DB] = v;
    return v - v0;
}

const sm_synth_type sm_synth_drum = {
    "drum",
    "Microtonic-style drum voice: oscillator with pitch modulation, filtered noise, mix, "
    "distortion, EQ",
    &drum_space,
    drum_alloc,
    drum_render,
    drum_free,
    ".mtpreset",
    sm_mtpreset_patch_load,
    sm_mtpreset_patch_save,
    sm_mtpreset_patch_load_all,
    NULL,
    drum_adjust_gain,
    1, /* render_version */
};
