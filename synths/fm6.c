/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/fm6.c: the fm6 voice engine, a DX7-compatible six-operator FM voice, and its synth
 * type sm_synth_fm6 (parameter space, render, DX7 .syx patch files).
 *
 * The model is the DX7 as reverse-engineered by msfa, the engine inside Dexed
 * (github.com/asb2m10/dexed, Source/msfa): the same envelope arithmetic (log-domain levels in
 * Q24, qrate increments, attack jump and (17 - level) scaling, flat-segment timing), the same
 * output-level, velocity, keyboard scaling, pitch envelope and LFO curves, the same operator
 * frequency formulas and feedback formula, 64-sample control blocks with linearly ramped gains,
 * and the same skipping of operators quieter than -83.5 dB. Where msfa stops short of the DX7
 * we follow the hardware (the feedback loops of algorithms 4 and 6 through several operators,
 * as Dexed's EngineMkI does) and where Dexed has an obvious slip we say so beside the fix.
 * Every constant cites its source; the code is our own. synths/fm6.md documents the whole.
 *
 * Hot path, per sample and audible operator, with no libm call, no division and no
 * allocation: operators without feedback run 8 samples at a time in fm6_kernel.c; the feedback
 * paths below run sample by sample on a 4096-point interpolating sine table in Q24, with
 * 32-bit phases and 64-bit products, and render2 runs two notes' feedback paths side by side.
 * Everything slower (envelopes, LFO, pitch, gains, frequencies) runs once per 64-sample block,
 * in a note's fm6_voice. */
#include "synths/fm6.h"
#include "synths/fm6_internal.h"
#include "synths/dx7_sysex.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* every held parameter is read as render reads it (fm6_internal.h) */
#define native_int sm_fm6_native_int

/* ---- Small helpers ---------------------------------------------------------------------- */

/* x >> k rounding towards minus infinity for any sign (what msfa's >> on negative int does
 * with the compilers it targets); used outside the hot path so nothing relies on
 * implementation-defined shifts there. */
static int floor_shift(int x, int k)
{
    return x >= 0 ? x >> k : -(int)(((unsigned)(-x) + (1u << k) - 1u) >> k);
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}


/* splitmix64: decorrelated 64-bit values from the note's seed. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Gain (Q24) of a log level (Q24 log2): 2^(level / 2^24 - 14), as msfa's
 * Exp2::lookup(level - (14 << 24)) in fm_core.cc. A full-level operator (level 15 << 24) has
 * gain 2.0. */
static int32_t gain_of_level(const fm6_state *s, int64_t level)
{
    int ip, idx;
    uint32_t y0, y1, frac;
    uint64_t y;
    if (level < 0) level = 0;
    if (level > ((int64_t)20 << 24) - 1) level = ((int64_t)20 << 24) - 1;
    ip = (int)(level >> 24);
    idx = (int)((level >> 14) & (SM_FM6_EXP_SIZE - 1));
    frac = (uint32_t)(level & 0x3fff);
    y0 = s->exp2_q30[idx];
    y1 = s->exp2_q30[idx + 1];
    y = y0 + (((uint64_t)(y1 - y0) * frac) >> 14);
    return (int32_t)(y >> (20 - ip));
}

/* 2^x from the table (relative error below 1e-7, i.e. 0.0002 cents), x within [-60, 60]. */
static double exp2_table(const fm6_state *s, double x)
{
    union {
        double d;
        uint64_t u;
    } p;
    int xi, i;
    double f, t;
    if (x < -60) x = -60;
    if (x > 60) x = 60;
    xi = (int)x;
    if ((double)xi > x) xi--;
    f = (x - xi) * SM_FM6_EXP_SIZE;
    i = (int)f;
    if (i > SM_FM6_EXP_SIZE - 1) i = SM_FM6_EXP_SIZE - 1;
    t = f - i;
    p.u = (uint64_t)(xi + 1023) << 52;
    return (s->exp2_d[i] + (s->exp2_d[i + 1] - s->exp2_d[i]) * t) * p.d;
}

/* Phase increment (2^32 = one cycle per sample) of a frequency given as log2(Hz). Frequencies
 * above the sample rate wrap, i.e. alias as a sampled oscillator does. */
static uint32_t phase_inc(const fm6_state *s, double log2_hz)
{
    double x = exp2_table(s, log2_hz) * s->phase_per_hz;
    if (!(x < 1.8e19)) x = 0;
    return (uint32_t)(uint64_t)x;
}

/* ---- DX7 scaling (msfa dx7note.cc) ----------------------------------------------------- */

/* Level offset in microsteps for a key velocity 0..127 and sensitivity 0..7: velocity_data
 * minus 239, times sensitivity / 8, in steps of 16 [msfa dx7note.cc: ScaleVelocity]. */
static int scale_velocity(int velocity, int sens)
{
    int v = sm_fm6_velocity_data[clampi(velocity, 0, 127) >> 1] - 239;
    return floor_shift(sens * v + 7, 3) * 16;
}

/* Qrate increase for keyboard rate scaling 0..7: one step per 3 keys above MIDI 21, 31 at
 * most, times sensitivity / 8 [msfa dx7note.cc: ScaleRate]. */
static int scale_rate(int midinote, int sens)
{
    int x = clampi(midinote / 3 - 7, 0, 31);
    return (sens * x) >> 3;
}

/* One side of keyboard level scaling: group = keys / 3 from the break point, depth 0..99,
 * curve 0..3 (-LIN, -EXP, +EXP, +LIN); linear is 329/4096 of a level step per group and depth,
 * exponential follows exp_scale_data [msfa dx7note.cc: ScaleCurve]. */
static int scale_curve(int group, int depth, int curve)
{
    int scale;
    if (curve == 0 || curve == 3)
        scale = (group * depth * 329) >> 12;
    else
        scale = (sm_fm6_exp_scale_data[group < 32 ? group : 32] * depth * 329) >> 15;
    return curve < 2 ? -scale : scale;
}

/* Keyboard level scaling in output-level steps. Break point 0 is A-1 (MIDI 21), 39 is C3
 * (MIDI 60); msfa measures the distance from break_pt + 17 [msfa dx7note.cc: ScaleLevel]. */
static int scale_level(int midinote, int break_pt, int left_depth, int right_depth,
                       int left_curve, int right_curve)
{
    int offset = midinote - break_pt - 17;
    if (offset >= 0) return scale_curve((offset + 1) / 3, right_depth, right_curve);
    return scale_curve((1 - offset) / 3, left_depth, left_curve);
}

/* ---- Operator envelope (msfa env.cc) ---------------------------------------------------- */

static void env_advance(const fm6_state *s, fm6_env *e, int ix)
{
    int actual, qrate;
    e->ix = ix;
    if (ix >= 4) return;
    /* Target: the segment level through the output-level curve (halved: 0..63), in units of
     * 64 microsteps, plus the operator level, minus 4256; at least 16 [msfa Env::advance]. */
    actual = ((sm_fm6_scale_outlevel(e->levels[ix]) >> 1) << 6) + e->outlevel - 4256;
    if (actual < 16) actual = 16;
    e->target = (int64_t)actual << 16;
    e->rising = e->target > e->level;
    /* Rate: qrate = rate * 41 / 64 plus rate scaling, at most 63; the increment per block
     * doubles every 4 qrate steps: (4 + qrate % 4) << (2 + LG_N + qrate / 4), given for
     * 44.1 kHz and scaled to this rate [msfa Env::advance, Env::init_sr]. */
    qrate = ((e->rates[ix] * 41) >> 6) + e->rate_scaling;
    if (qrate > 63) qrate = 63;
    e->inc = (int64_t)((double)((int64_t)(4 + (qrate & 3)) << (2 + SM_FM6_LG_N + (qrate >> 2)))
                       * s->env_inc_scale);
    if (e->target == e->level || (ix == 0 && e->levels[0] == 0)) {
        /* A flat segment still takes time on the DX7 [msfa env.cc, ACCURATE_ENVELOPE], and so
         * does an attack to level 0, for a twentieth of that time (below rate 77): the
         * envelope holds where it is [Dexed env.cc, Env::advance]. msfa scales these sample
         * counts by 44100 / rate, which shortens them at higher rates; they are times, so we
         * scale by rate / 44100. */
        int r = e->rates[ix] + e->rate_scaling;
        int64_t count;
        if (r > 99) r = 99;
        count = r < 77 ? sm_fm6_env_statics[r] : 20 * (99 - r);
        if (r < 77 && ix == 0 && e->levels[0] == 0) count /= 20;
        e->static_count = (int64_t)llround((double)count * s->static_scale);
    } else {
        e->static_count = 0;
    }
}

static void env_init(const fm6_state *s, fm6_env *e, const int *rates, const int *levels,
                     int outlevel, int rate_scaling)
{
    int i;
    for (i = 0; i < 4; i++) {
        e->rates[i] = rates[i];
        e->levels[i] = levels[i];
    }
    e->outlevel = outlevel;
    e->rate_scaling = rate_scaling;
    e->level = 0;
    e->down = 1;
    env_advance(s, e, 0);
}

/* The level at the end of the next block [msfa Env::getsample]. Segments 0..2 run while the
 * key is held and stop at segment 3 (the sustain at L3); segment 3 (to L4) runs after key-up.
 * An attack starts from at least 1716 << 16 (about 6.7 octaves above silence) and moves by
 * (17 - level in octaves, whole) * inc, so it slows as it rises: attack curves are concave in
 * the log domain, decays are straight lines in dB. */
static int64_t env_step(const fm6_state *s, fm6_env *e)
{
    if (e->static_count) {
        e->static_count -= SM_FM6_N;
        if (e->static_count <= 0) {
            e->static_count = 0;
            env_advance(s, e, e->ix + 1);
        }
    }
    if (e->ix < 3 || (e->ix < 4 && !e->down)) {
        if (e->static_count) {
            /* holding: a flat segment, or an attack to level 0 */
        } else if (e->rising) {
            const int64_t jump = (int64_t)1716 << 16;
            if (e->level < jump) e->level = jump;
            e->level += ((((int64_t)17 << 24) - e->level) >> 24) * e->inc;
            if (e->level >= e->target) {
                e->level = e->target;
                env_advance(s, e, e->ix + 1);
            }
        } else {
            e->level -= e->inc;
            if (e->level <= e->target) {
                e->level = e->target;
                env_advance(s, e, e->ix + 1);
            }
        }
    }
    return e->level;
}

/* Key-up: every envelope jumps to its release segment (segment 3, towards L4) from wherever
 * it is [msfa Env::keydown(false)]. */
static void env_keyup(const fm6_state *s, fm6_env *e)
{
    if (e->down) {
        e->down = 0;
        env_advance(s, e, 3);
    }
}

/* ---- Pitch envelope (msfa pitchenv.cc) -------------------------------------------------- */

static void penv_advance(const fm6_state *s, fm6_penv *p, int ix)
{
    p->ix = ix;
    if (ix >= 4) return;
    p->target = sm_fm6_pitchenv_level[p->levels[ix]] * (1 << 19);
    p->rising = p->target > p->level;
    p->inc = sm_fm6_pitchenv_rate[p->rates[ix]] * s->pitchenv_unit;
}

static void penv_init(const fm6_state *s, fm6_penv *p, const int *rates, const int *levels)
{
    int i;
    for (i = 0; i < 4; i++) {
        p->rates[i] = rates[i];
        p->levels[i] = levels[i];
    }
    p->level = sm_fm6_pitchenv_level[levels[3]] * (1 << 19);  /* starts at L4 */
    p->down = 1;
    penv_advance(s, p, 0);
}

/* Pitch offset in Q24 octaves at the end of the next block; linear in octaves. */
static int32_t penv_step(const fm6_state *s, fm6_penv *p)
{
    if (p->ix < 3 || (p->ix < 4 && !p->down)) {
        if (p->rising) {
            p->level += p->inc;
            if (p->level >= p->target) {
                p->level = p->target;
                penv_advance(s, p, p->ix + 1);
            }
        } else {
            p->level -= p->inc;
            if (p->level <= p->target) {
                p->level = p->target;
                penv_advance(s, p, p->ix + 1);
            }
        }
    }
    return p->level;
}

static void penv_keyup(const fm6_state *s, fm6_penv *p)
{
    if (p->down) {
        p->down = 0;
        penv_advance(s, p, 3);
    }
}

/* ---- LFO (msfa lfo.cc) ------------------------------------------------------------------ */

static void lfo_init(const fm6_state *s, fm6_lfo *l, int speed, int delay, int key_sync,
                     int wave, uint64_t seed)
{
    uint32_t sr;
    int a;
    /* Speed: rate' = 165 * speed / 64 (1 for speed 0), times 11, or more above 160
     * [msfa Lfo::reset]. */
    sr = speed == 0 ? 1u : (uint32_t)((165 * speed) >> 6);
    sr *= sr < 160 ? 11u : 11u + ((sr - 160u) >> 4);
    l->delta = (uint32_t)((uint64_t)s->lfo_unit * sr);
    /* Delay: a two-slope ramp; delay 0 means none [msfa Lfo::reset, Lfo::getdelay]. */
    a = 99 - delay;
    if (a == 99) {
        l->delayinc = ~0u;
        l->delayinc2 = ~0u;
    } else {
        a = (16 + (a & 15)) << (1 + (a >> 4));
        l->delayinc = (uint32_t)((uint64_t)s->lfo_unit * (uint32_t)a);
        a &= 0xff80;
        if (a < 0x80) a = 0x80;
        l->delayinc2 = (uint32_t)((uint64_t)s->lfo_unit * (uint32_t)a);
    }
    l->wave = wave;
    /* Key sync restarts the LFO at the top of its cycle [msfa Lfo::keydown]; without it the
     * DX7's LFO runs freely, so a note meets it at an arbitrary phase: ours comes from the
     * note's seed. The sample-and-hold generator is seeded the same way. */
    l->phase = key_sync ? (1u << 31) - 1u : (uint32_t)(mix64(seed ^ 0x4c464fu) >> 32);
    l->randstate = (unsigned)(mix64(seed ^ 0x534846u) & 0xff);
    l->delaystate = 0;
}

/* The LFO value (Q24, 0..1 << 24) for the next block [msfa Lfo::getsample]. */
static int32_t lfo_step(const fm6_state *s, fm6_lfo *l)
{
    int32_t x;
    l->phase += l->delta;
    switch (l->wave) {
    case 0: /* triangle */
        x = (int32_t)(l->phase >> 7);
        x ^= -(int32_t)(l->phase >> 31);
        return x & ((1 << 24) - 1);
    case 1: /* saw down */
        return (int32_t)((~l->phase ^ (1u << 31)) >> 8);
    case 2: /* saw up */
        return (int32_t)((l->phase ^ (1u << 31)) >> 8);
    case 3: /* square */
        return (int32_t)(((~l->phase) >> 7) & (1u << 24));
    case 4: { /* sine */
        const int32_t *e = s->sintab + ((l->phase >> 20) << 1);
        int32_t y = e[0] + ((e[1] * (int32_t)((l->phase >> 4) & 0xffff)) >> 16);
        return (1 << 23) + floor_shift(y, 1);
    }
    default: /* sample and hold: a new value each cycle from an 8-bit LCG */
        if (l->phase < l->delta) l->randstate = (l->randstate * 179u + 17u) & 0xffu;
        x = (int32_t)(l->randstate ^ 0x80u);
        return (x + 1) << 16;
    }
}

/* The delay ramp (Q24, 0..1 << 24) for the next block [msfa Lfo::getdelay]. */
static uint32_t lfo_delay_step(fm6_lfo *l)
{
    uint32_t delta = l->delaystate < (1u << 31) ? l->delayinc : l->delayinc2;
    uint32_t d = l->delaystate + delta;
    if (d < l->delayinc) return 1u << 24;
    l->delaystate = d;
    if (d < (1u << 31)) return 0;
    return (d >> 7) & ((1u << 24) - 1u);
}

/* ---- Operator kernels (the hot path) ---------------------------------------------------- */

/* sin(2 pi phase / 2^32) * gain in Q48 (Q24 times Q24), by linear interpolation in the
 * 4096-point table. The table is read with sign-extending loads and the products are 64-bit,
 * so that on a feedback path nothing stands between two samples but the lookup, two
 * multiplies and two shifts. The operator's output is the product >> 24 (Q24). */
static inline int64_t sine_gain_q48(const int32_t *restrict tab, uint32_t phase, int64_t gain)
{
    const size_t idx = phase >> (32 - SM_FM6_SIN_LG);
    const int64_t e0 = tab[2 * idx], e1 = tab[2 * idx + 1];
    const int64_t s = e0 + ((e1 * (int64_t)((phase >> 4) & 0xffff)) >> 16);
    return s * gain;
}

/* Feedback [msfa FmOpKernel::compute_fb; fb_shift in dx7note.cc]: the phase of the fed-back
 * operator receives the mean of the last two outputs y (Q24 cycles) shifted right by
 * fb_shift = 8 - feedback, i.e. (y[n-1] + y[n-2]) >> (fb_shift + 1) in Q24, so feedback 7
 * deviates the phase by up to one cycle (2 pi) at full level. As a 32-bit phase that is
 * (y[n-1] + y[n-2]) << (7 - fb_shift). We keep each output's share of it, f = y << (7 -
 * fb_shift) taken straight from the Q48 product, so that the next phase is one addition away
 * from the product (msfa's two shifts would also drop the bits below 2^-24 cycle; we keep
 * them). f wraps modulo one cycle, as phases do. fb[2] carries the last two f across blocks. */
static inline uint32_t feedback_share(int64_t prod, const int lshift)
{
    return (uint32_t)(prod >> (24 - lshift));
}

/* A self-feedback operator (feedback 1..7: lshift = feedback - 1). */
static inline __attribute__((always_inline)) void
feedback_op(const int32_t *restrict tab, uint32_t phase, uint32_t inc, int32_t gain,
            int32_t dgain, uint32_t *fb, const int lshift, int32_t *restrict out, const int add)
{
    int64_t g = gain;
    uint32_t f0 = fb[0], f1 = fb[1];
    int i;
    for (i = 0; i < SM_FM6_N; i++) {
        const uint32_t base = phase + f0;   /* known a sample ahead: off the feedback path */
        int64_t prod;
        g += dgain;
        prod = sine_gain_q48(tab, base + f1, g);
        f0 = f1;
        f1 = feedback_share(prod, lshift);
        if (add)
            out[i] += (int32_t)(prod >> 24);
        else
            out[i] = (int32_t)(prod >> 24);
        phase += inc;
    }
    fb[0] = f0;
    fb[1] = f1;
}

/* A shift by a constant is a cycle shorter on the feedback path than one by a variable, so
 * each feedback amount has its own copy of the loop. */
#define SM_FM6_FB_CASES(CALL)                                                                  \
    switch (7 - fb_shift) {                                                                    \
    case 0: CALL(0); break;                                                                    \
    case 1: CALL(1); break;                                                                    \
    case 2: CALL(2); break;                                                                    \
    case 3: CALL(3); break;                                                                    \
    case 4: CALL(4); break;                                                                    \
    case 5: CALL(5); break;                                                                    \
    default: CALL(6); break;                                                                   \
    }

static void op_feedback(const int32_t *tab, uint32_t phase, uint32_t inc, int32_t gain,
                        int32_t dgain, uint32_t *fb, int fb_shift, int32_t *out, int add)
{
#define SM_FB_ADD(sh) feedback_op(tab, phase, inc, gain, dgain, fb, sh, out, 1)
#define SM_FB_SET(sh) feedback_op(tab, phase, inc, gain, dgain, fb, sh, out, 0)
    if (add) {
        SM_FM6_FB_CASES(SM_FB_ADD)
    } else {
        SM_FM6_FB_CASES(SM_FB_SET)
    }
#undef SM_FB_ADD
#undef SM_FB_SET
}

/* A feedback loop through m = 2 or 3 operators (algorithm 6: 6 > 5, algorithm 4: 6 > 5 > 4):
 * per sample, the first operator's phase gets the feedback term computed as for self-feedback
 * but from the last operator's output, each operator modulates the next, and the last one (a
 * carrier) is added to sum. This is the DX7's structure (the feedback register is loaded from
 * the loop's last operator) as in Dexed's EngineMkI::compute_fb2/compute_fb3, with msfa's
 * feedback scaling rather than EngineMkI's extra, self-described untuned shifts. */
static inline __attribute__((always_inline)) void
feedback_loop(const int32_t *restrict tab, const int m, const uint32_t *phase0,
              const uint32_t *inc, const int32_t *gain0, const int32_t *dgain,
              int32_t *const *outs, uint32_t *fb, const int lshift, int32_t *restrict sum)
{
    uint32_t phase[3], f0 = fb[0], f1 = fb[1];
    int64_t gain[3];
    int32_t *out[3];
    int i, j;
    /* local copies: with m constant the compiler keeps them in registers */
    for (j = 0; j < m; j++) {
        phase[j] = phase0[j];
        gain[j] = gain0[j];
        out[j] = outs[j];
    }
    for (i = 0; i < SM_FM6_N; i++) {
        uint32_t mod = f0 + f1;
        int32_t v = 0;
        int64_t prod = 0;
        for (j = 0; j < m; j++) {
            gain[j] += dgain[j];
            prod = sine_gain_q48(tab, phase[j] + mod, gain[j]);
            v = (int32_t)(prod >> 24);
            out[j][i] = v;
            mod = (uint32_t)v << 8;
            phase[j] += inc[j];
        }
        f0 = f1;
        f1 = feedback_share(prod, lshift);
        sum[i] += v;
    }
    fb[0] = f0;
    fb[1] = f1;
}

static void op_feedback_loop(const int32_t *tab, int m, const uint32_t *phase,
                             const uint32_t *inc, const int32_t *gain, const int32_t *dgain,
                             int32_t *const *outs, uint32_t *fb, int fb_shift, int32_t *sum)
{
#define SM_FB_LOOP3(sh) feedback_loop(tab, 3, phase, inc, gain, dgain, outs, fb, sh, sum)
#define SM_FB_LOOP2(sh) feedback_loop(tab, 2, phase, inc, gain, dgain, outs, fb, sh, sum)
    if (m == 3) {
        SM_FM6_FB_CASES(SM_FB_LOOP3)
    } else {
        SM_FM6_FB_CASES(SM_FB_LOOP2)
    }
#undef SM_FB_LOOP3
#undef SM_FB_LOOP2
}

/* ---- Life cycle --------------------------------------------------------------------------- */

static void *fm6_alloc(double sample_rate, sm_error *err)
{
    fm6_state *s;
    if (!(sample_rate >= 1000 && sample_rate <= 384000)) {
        sm_error_set(err, SM_ERR_RANGE, "fm6: sample rate %g Hz is outside 1000..384000",
                     sample_rate);
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (s) s->voice = calloc(2, sizeof *s->voice);
    if (!s || !s->voice) {
        free(s);
        sm_error_set(err, SM_ERR_NOMEM, "fm6: out of memory");
        return NULL;
    }
    s->sample_rate = sample_rate;
    s->env_inc_scale = 44100.0 / sample_rate;
    s->static_scale = sample_rate / 44100.0;
    s->phase_per_hz = 4294967296.0 / sample_rate;
    s->pitchenv_unit = (int32_t)(SM_FM6_N * 16777216.0 / (21.3 * sample_rate) + 0.5);
    s->lfo_unit = (uint32_t)(SM_FM6_N * 25190424.0 / sample_rate + 0.5);
    sm_fm6_build_sine(s->sintab);
    sm_fm6_build_exp2_q30(s->exp2_q30);
    sm_fm6_build_exp2_double(s->exp2_d);
    sm_fm6_build_am(s->am);
    return s;
}

static void fm6_free(void *st)
{
    fm6_state *s = st;
    if (!s) return;
    sm_fm6_grad_free(s->grad);
    free(s->voice);
    free(s);
}

/* ---- Render --------------------------------------------------------------------------------- */

/* The envelope level after amplitude modulation: Dexed's curve (fm6_tables.c,
 * sm_fm6_build_am) reduces the log level by a factor of itself; we stop it at silence where
 * Dexed would wrap below zero at full depth. */
double sm_fm6_am_factor(const fm6_state *s, uint32_t amod, uint32_t ams)
{
    uint32_t sensamp = (uint32_t)(((uint64_t)amod * ams) >> 24);
    double pos = sensamp / 16384.0;
    int i = (int)pos;
    if (i > SM_FM6_EXP_SIZE - 1) i = SM_FM6_EXP_SIZE - 1;
    return s->am[i] + (s->am[i + 1] - s->am[i]) * (pos - i);
}

static int64_t amp_mod_level(const fm6_state *s, int64_t level, uint32_t amod, uint32_t ams)
{
    level -= (int64_t)((double)level * sm_fm6_am_factor(s, amod, ams));
    return level < 0 ? 0 : level;
}

/* Log2 frequency (Hz) of an operator [msfa dx7note.cc: osc_freq, midinote_to_logfreq,
 * coarsemul]. Ratio mode: the note's frequency (A4 = MIDI 69 = 440 Hz) times
 * max(coarse, 0.5) * (1 + fine / 100), detuned by (detune - 7) steps of
 * 0.0209 * exp(-0.396 * log2 f) / 7 of log2 f ("those numbers come from my DX7", Dexed).
 * Fixed mode: 10^(coarse mod 4 + fine / 100) Hz, raised by 13457 / 2^24 octave per detune step
 * above 7 (Dexed). */
static double op_log2_hz(double note, int mode, int coarse, int fine, int detune)
{
    double lf;
    if (mode == 0) {
        lf = log2(440.0) + (note - 69.0) / 12.0;
        lf += 0.0209 * exp(-0.396 * lf) / 7.0 * lf * (detune - 7);
        lf += coarse == 0 ? -1.0 : log2((double)coarse);
        lf += log2(1.0 + 0.01 * fine);
    } else {
        lf = ((coarse & 3) * 100 + fine) * (log2(10.0) / 100.0);
        if (detune > 7) lf += 13457.0 * (detune - 7) / 16777216.0;
    }
    return lf;
}

/* Sets up voice v for one note. Returns 1 if anything can be heard, 0 for silence. */
static int voice_start(const fm6_state *s, fm6_voice *v, const double *native,
                       const sm_note *note)
{
    double note_eff;
    int k, alg_no, midinote, velocity, ncar = 0;
    unsigned audible = 0;
    const sm_fm6_algorithm *alg;

    v->self_fb = v->loop_first = -1;
    v->loop_len = 0;
    v->down = 1;
    v->pitch_valid = 0;
    v->pitch_mod = 0;
    v->needed = v->loop_mask = v->live = 0;
    v->fb[0] = v->fb[1] = 0;

    /* Note, transposed: transpose 24 (C3) is no shift [Dexed keydown: pitch += data[144] - 24].
     * Tables take the rounded MIDI note; frequencies keep the fraction. */
    note_eff = note->note + native_int(native, SM_FM6_TRANSPOSE) - 24;
    if (note_eff < -128) note_eff = -128;
    if (note_eff > 255) note_eff = 255;
    midinote = clampi((int)floor(note_eff + 0.5), 0, 127);
    velocity = clampi((int)floor(note->velocity + 0.5), 0, 127);
    if (note->gate_s <= 0)
        v->gate_samples = 0;
    else if (note->gate_s * s->sample_rate >= 9e18)
        v->gate_samples = INT64_MAX;
    else
        v->gate_samples = (int64_t)llround(note->gate_s * s->sample_rate);

    alg_no = native_int(native, SM_FM6_ALGORITHM);
    alg = v->alg = &sm_fm6_algorithms[alg_no - 1];
    {
        int feedback = native_int(native, SM_FM6_FEEDBACK);
        /* msfa dx7note.cc: FEEDBACK_BITDEPTH 8 */
        v->fb_shift = feedback != 0 ? 8 - feedback : 16;
    }

    /* Operators (k = op - 1). */
    for (k = 0; k < 6; k++) {
        int op = k + 1, i, outlevel, maxlevel = 0;
        int rates[4], levels[4], o[SM_FM6_OP_NPARAMS];
        for (i = 0; i < SM_FM6_OP_NPARAMS; i++) o[i] = native_int(native, SM_FM6_OP(op, i));
        for (i = 0; i < 4; i++) {
            rates[i] = o[SM_FM6_EG_RATE1 + i];
            levels[i] = o[SM_FM6_EG_LEVEL1 + i];
            if (levels[i] > maxlevel) maxlevel = levels[i];
        }
        /* Operator level in microsteps: output level through the DX7 curve plus keyboard
         * level scaling, at most 127, times 32, plus the velocity offset, at least 0
         * [msfa Dx7Note::init]. */
        outlevel = sm_fm6_scale_outlevel(o[SM_FM6_OUTPUT_LEVEL]) +
                   scale_level(midinote, o[SM_FM6_KBD_BREAK_POINT], o[SM_FM6_KBD_LEFT_DEPTH],
                               o[SM_FM6_KBD_RIGHT_DEPTH], o[SM_FM6_KBD_LEFT_CURVE],
                               o[SM_FM6_KBD_RIGHT_CURVE]);
        if (outlevel > 127) outlevel = 127;
        outlevel = outlevel * 32 + scale_velocity(velocity, o[SM_FM6_KEY_VEL_SENS]);
        if (outlevel < 0) outlevel = 0;
        env_init(s, &v->env[k], rates, levels, outlevel,
                 scale_rate(midinote, o[SM_FM6_KBD_RATE_SCALING]));
        {
            /* Audible at all? The loudest level the envelope can reach. */
            int a = ((sm_fm6_scale_outlevel(maxlevel) >> 1) << 6) + outlevel - 4256;
            if (a < 16) a = 16;
            if (gain_of_level(s, (int64_t)a << 16) >= SM_FM6_LEVEL_THRESH) audible |= 1u << k;
        }
        v->fixed[k] = o[SM_FM6_OSC_MODE];
        v->log2_hz[k] = op_log2_hz(note_eff, o[SM_FM6_OSC_MODE], o[SM_FM6_COARSE],
                                   o[SM_FM6_FINE], o[SM_FM6_DETUNE]);
        v->ams[k] = sm_fm6_ampmodsens[o[SM_FM6_AMP_MOD_SENS]];
        v->gain[k] = 0;  /* msfa: gains ramp up from 0 in the first block */
        /* Oscillator key sync starts every operator at phase 0 [msfa Dx7Note::oscSync].
         * Without it the DX7's oscillators run freely, so a note meets them at any phase;
         * Dexed, whose voices are made anew for each note, still starts them at 0. Ours
         * start at 0 too unless the note asks for random phases (from its seed). */
        v->phase[k] = (native_int(native, SM_FM6_OSC_KEY_SYNC) || !note->random_phase)
                          ? 0u
                          : (uint32_t)(mix64(note->seed + 0x6f70u * (uint64_t)(k + 1)) >> 32);
    }

    /* Which operators matter: audible carriers and, recursively, the audible operators that
     * modulate them (modulators always have higher numbers than their targets). */
    for (k = 0; k < 6; k++) {
        int j;
        v->targets[k] = 0;
        for (j = 0; j < 6; j++)
            if (alg->mods[j] & (1u << k)) v->targets[k] |= 1u << j;
    }
    for (k = 0; k < 6; k++) {
        unsigned bit = 1u << k;
        if ((alg->carriers & bit) && (audible & bit)) v->needed |= bit;
        else if ((audible & bit) && (v->targets[k] & v->needed)) v->needed |= bit;
        if (alg->carriers & bit) ncar++;
    }
    if (v->fb_shift < 16) {
        if (alg->fb_from == alg->fb_to) {
            v->self_fb = alg->fb_to - 1;
        } else {
            /* algorithms 4 and 6: the loop runs fb_to, fb_to - 1, ..., fb_from */
            int op;
            for (op = alg->fb_to; op >= alg->fb_from; op--) v->loop_mask |= 1u << (op - 1);
            if ((v->loop_mask & v->needed) == v->loop_mask) {
                v->loop_first = alg->fb_to - 1;
                v->loop_len = alg->fb_to - alg->fb_from + 1;
            } else {
                v->loop_mask = 0;  /* the loop is broken by a silent operator */
            }
        }
    }

    {
        int prates[4], plevels[4], i;
        for (i = 0; i < 4; i++) {
            prates[i] = native_int(native, SM_FM6_PITCH_EG_RATE1 + i);
            plevels[i] = native_int(native, SM_FM6_PITCH_EG_LEVEL1 + i);
        }
        penv_init(s, &v->penv, prates, plevels);
    }
    lfo_init(s, &v->lfo, native_int(native, SM_FM6_LFO_SPEED),
             native_int(native, SM_FM6_LFO_DELAY), native_int(native, SM_FM6_LFO_KEY_SYNC),
             native_int(native, SM_FM6_LFO_WAVE), note->seed);
    /* Depths 0..99 to 0..255 [msfa Dx7Note::init]. */
    v->pmd = (native_int(native, SM_FM6_LFO_PITCH_MOD_DEPTH) * 165) >> 6;
    v->amd = (native_int(native, SM_FM6_LFO_AMP_MOD_DEPTH) * 165) >> 6;
    v->pms = sm_fm6_pitchmodsens[native_int(native, SM_FM6_PITCH_MOD_SENS)];

    /* Output: a full-level carrier peaks at gain 2.0 (2^25 in Q24); the carriers' sum is
     * divided by 2^25 * (carriers + 1), so one full carrier peaks at 0.5 and six at 6/7. */
    v->fscale = (float)(1.0 / (33554432.0 * (ncar + 1)));
    return (v->needed & alg->carriers) != 0;
}

/* The control part of the block starting at sample s0: key-up, LFO, pitch, envelopes, each
 * operator's gain and frequency, and which operators are live; clears the carriers' sum and
 * the spare sum. */
static void voice_control(const fm6_state *s, fm6_voice *v, size_t s0)
{
    const sm_fm6_algorithm *alg = v->alg;
    int32_t lfo_val, pitch_mod;
    uint32_t lfo_delay, amod;
    unsigned active = 0, live = 0;
    int k;

    /* Note-off at the first block boundary at or after gate_s. */
    if (v->down && (int64_t)s0 >= v->gate_samples) {
        v->down = 0;
        for (k = 0; k < 6; k++) env_keyup(s, &v->env[k]);
        penv_keyup(s, &v->penv);
    }

    /* Pitch: pitch envelope plus LFO * depth * delay * sensitivity, in Q24 octaves
     * [msfa Dx7Note::compute, "PITCH"]; PMS 7 at depth 99 swings about +-1 octave. */
    lfo_val = lfo_step(s, &v->lfo);
    lfo_delay = lfo_delay_step(&v->lfo);
    {
        uint32_t pmd_q = (uint32_t)v->pmd * lfo_delay;
        int32_t senslfo = v->pms * (lfo_val - (1 << 23));
        int64_t pm = ((int64_t)pmd_q * senslfo);
        int32_t pmod = (int32_t)(pm >= 0 ? pm >> 39 : -((-pm + ((int64_t)1 << 39) - 1) >> 39));
        if (pmod < 0) pmod = -pmod;
        pitch_mod = penv_step(s, &v->penv) + (senslfo < 0 ? -pmod : pmod);
    }
    /* Amplitude modulation amount (Q24) [msfa Dx7Note::compute, "AMP MOD"]. */
    amod = (uint32_t)(((int64_t)v->amd * lfo_delay) >> 8);
    amod = (uint32_t)(((int64_t)amod * ((1 << 24) - lfo_val)) >> 24);
    v->amod = amod;

    for (k = 0; k < 6; k++) {
        int64_t level;
        if (!(v->needed & (1u << k))) continue;
        level = env_step(s, &v->env[k]);
        if (v->ams[k]) level = amp_mod_level(s, level, amod, v->ams[k]);
        v->gain2[k] = gain_of_level(s, level);
        if (v->gain[k] >= SM_FM6_LEVEL_THRESH || v->gain2[k] >= SM_FM6_LEVEL_THRESH)
            active |= 1u << k;
        /* Fixed-frequency operators ignore the pitch envelope and LFO (msfa). A frequency
         * changes only with the pitch offset: without pitch modulation it is computed once. */
        if (v->pitch_valid && (v->fixed[k] || pitch_mod == v->pitch_mod)) continue;
        v->inc[k] = phase_inc(s, v->log2_hz[k] + (v->fixed[k] ? 0.0 : pitch_mod / 16777216.0));
    }
    v->pitch_mod = pitch_mod;
    v->pitch_valid = 1;
    /* Live this block: active carriers and the active operators feeding live ones. */
    for (k = 0; k < 6; k++) {
        unsigned bit = 1u << k;
        if ((active & bit) && ((alg->carriers & bit) || (v->targets[k] & live))) live |= bit;
    }
    if (v->loop_mask && (live & (1u << (alg->fb_from - 1)))) live |= v->loop_mask;
    v->live = live;
    memset(v->sum, 0, sizeof v->sum);
    memset(v->spare, 0, sizeof v->spare);
}

/* The gain step of operator k across the block (msfa: rounded, >> LG_N). */
static int32_t voice_dgain(const fm6_voice *v, int k)
{
    return (v->gain2[k] - v->gain[k] + SM_FM6_N / 2) >> SM_FM6_LG_N;
}

/* ---- Two notes at once ------------------------------------------------------------------ */

/* A feedback path for one block: a self-feedback operator (m = 1) or a loop of m = 2 or 3
 * operators, first operator first. Each output goes to out[j]; the last one is added to sum
 * (the carriers' sum, or the voice's spare buffer for a modulator). */
typedef struct {
    uint32_t phase[3], inc[3];
    int32_t gain[3], dgain[3];
    int32_t *out[3], *sum;
    uint32_t *fb;
    int m, lshift;
} fm6_chain;

/* The feedback path of v for this block, if one is live: fills c and returns 1. */
static int voice_chain(fm6_voice *v, fm6_chain *c)
{
    int j;
    if (v->loop_mask) {
        if (!(v->live & (1u << v->loop_first))) return 0;
        c->m = v->loop_len;
        for (j = 0; j < c->m; j++) {
            const int kk = v->loop_first - j;
            c->phase[j] = v->phase[kk];
            c->inc[j] = v->inc[kk];
            c->gain[j] = v->gain[kk];
            c->dgain[j] = voice_dgain(v, kk);
            c->out[j] = v->opbuf[kk];
        }
        c->sum = v->sum;
    } else {
        const int k = v->self_fb;
        if (k < 0 || !(v->live & (1u << k)) || (v->alg->mods[k] & v->live)) return 0;
        c->m = 1;
        c->phase[0] = v->phase[k];
        c->inc[0] = v->inc[k];
        c->gain[0] = v->gain[k];
        c->dgain[0] = voice_dgain(v, k);
        c->out[0] = v->opbuf[k];
        c->sum = (v->alg->carriers & (1u << k)) ? v->sum : v->spare;
    }
    c->fb = v->fb;
    c->lshift = 7 - v->fb_shift;
    return 1;
}

/* Operator j of chain c at sample i: its output from its phase and the modulation mod, which
 * becomes the next operator's modulation. */
static inline __attribute__((always_inline)) void
chain_op(const int32_t *restrict tab, const fm6_chain *c, int j, int i, uint32_t *phase,
         int64_t *gain, uint32_t *mod, int64_t *prod, int32_t *v)
{
    *gain += c->dgain[j];
    *prod = sine_gain_q48(tab, *phase + *mod, *gain);
    *v = (int32_t)(*prod >> 24);
    c->out[j][i] = *v;
    *mod = (uint32_t)*v << 8;
    *phase += c->inc[j];
}

/* Two feedback paths of two different notes, sample by sample side by side. Each path alone
 * is a chain of dependent table lookups and multiplies that keeps the processor waiting; two
 * independent chains run in the same time as one. Every value is computed exactly as the
 * one-note kernels above compute it, so a note sounds the same alone or paired. */
static inline __attribute__((always_inline)) void
chain_pair(const int32_t *restrict tab, const fm6_chain *a, const fm6_chain *b, const int ma,
           const int mb)
{
    uint32_t pa[3], pb[3], fa0 = a->fb[0], fa1 = a->fb[1], fb0 = b->fb[0], fb1 = b->fb[1];
    int64_t ga[3], gb[3];
    const int la = a->lshift, lb = b->lshift;
    int i, j;
    for (j = 0; j < ma; j++) {
        pa[j] = a->phase[j];
        ga[j] = a->gain[j];
    }
    for (j = 0; j < mb; j++) {
        pb[j] = b->phase[j];
        gb[j] = b->gain[j];
    }
    for (i = 0; i < SM_FM6_N; i++) {
        uint32_t moda = fa0 + fa1, modb = fb0 + fb1;
        int64_t proda = 0, prodb = 0;
        int32_t va = 0, vb = 0;
        for (j = 0; j < ma || j < mb; j++) {
            if (j < ma) chain_op(tab, a, j, i, &pa[j], &ga[j], &moda, &proda, &va);
            if (j < mb) chain_op(tab, b, j, i, &pb[j], &gb[j], &modb, &prodb, &vb);
        }
        fa0 = fa1;
        fa1 = (uint32_t)(proda >> (24 - la));
        fb0 = fb1;
        fb1 = (uint32_t)(prodb >> (24 - lb));
        a->sum[i] += va;
        b->sum[i] += vb;
    }
    a->fb[0] = fa0;
    a->fb[1] = fa1;
    b->fb[0] = fb0;
    b->fb[1] = fb1;
}

static void chains_pair(const int32_t *tab, const fm6_chain *a, const fm6_chain *b)
{
    switch (a->m * 4 + b->m) {
    case 5: chain_pair(tab, a, b, 1, 1); break;
    case 6: chain_pair(tab, a, b, 1, 2); break;
    case 7: chain_pair(tab, a, b, 1, 3); break;
    case 9: chain_pair(tab, a, b, 2, 1); break;
    case 10: chain_pair(tab, a, b, 2, 2); break;
    case 11: chain_pair(tab, a, b, 2, 3); break;
    case 13: chain_pair(tab, a, b, 3, 1); break;
    case 14: chain_pair(tab, a, b, 3, 2); break;
    default: chain_pair(tab, a, b, 3, 3); break;
    }
}

/* ---- One block of one note ---------------------------------------------------------------- */

/* Computes every live operator of the block, 6 down to 1, but the feedback path when
 * chain_done (it was computed already, paired with another note's); then advances the
 * phases and gains. */
static void voice_ops(const fm6_state *s, fm6_voice *v, int chain_done)
{
    const sm_fm6_algorithm *alg = v->alg;
    const unsigned live = v->live;
    int k, i;
    for (k = 5; k >= 0; k--) {
        unsigned bit = 1u << k, m;
        int32_t dgain, *dst;
        const int32_t *in = NULL;
        int add;
        if (!(live & bit)) continue;
        if (v->loop_mask & bit) {
            fm6_chain c;
            if (k == v->loop_first && !chain_done && voice_chain(v, &c)) {
                op_feedback_loop(s->sintab, c.m, c.phase, c.inc, c.gain, c.dgain, c.out, v->fb,
                                 v->fb_shift, v->sum);
            }
            continue;
        }
        m = alg->mods[k] & live;
        if (m) {
            int j, count = 0;
            for (j = k + 1; j < 6; j++) {
                if (!(m & (1u << j))) continue;
                if (count == 0) {
                    in = v->opbuf[j];
                } else {
                    int32_t *acc = v->inbuf;
                    if (count == 1) {
                        for (i = 0; i < SM_FM6_N; i++) acc[i] = in[i] + v->opbuf[j][i];
                        in = acc;
                    } else {
                        for (i = 0; i < SM_FM6_N; i++) acc[i] += v->opbuf[j][i];
                    }
                }
                count++;
            }
        }
        add = (alg->carriers & bit) != 0;
        dst = add ? v->sum : v->opbuf[k];
        dgain = voice_dgain(v, k);
        if (!in && k == v->self_fb) {
            if (!chain_done)
                op_feedback(s->sintab, v->phase[k], v->inc[k], v->gain[k], dgain, v->fb,
                            v->fb_shift, dst, add);
        } else {
            sm_fm6_op_block(v->phase[k], v->inc[k], v->gain[k], dgain, in, dst, add);
        }
    }
    for (k = 0; k < 6; k++) {
        if (!(v->needed & (1u << k))) continue;
        v->phase[k] += v->inc[k] << SM_FM6_LG_N;
        v->gain[k] = v->gain2[k];
    }
}

/* Writes the block's len samples at out and returns 1 once the note has ended: after key-up,
 * every carrier has finished its release below the threshold, and the rest is silence. */
static int voice_output(fm6_voice *v, float *out, size_t len)
{
    size_t i;
    int k;
    for (i = 0; i < len; i++) out[i] = (float)v->sum[i] * v->fscale;
    if (v->down) return 0;
    for (k = 0; k < 6; k++) {
        unsigned bit = 1u << k;
        if (!(v->needed & v->alg->carriers & bit)) continue;
        if (v->env[k].ix < 4 || v->gain[k] >= SM_FM6_LEVEL_THRESH) return 0;
    }
    return 1;
}

/* ---- Render --------------------------------------------------------------------------------- */

static int check_render_args(const fm6_state *s, const double *native, const sm_note *note,
                             const float *out, size_t n)
{
    if (!s || !native || !note || (!out && n)) return SM_ERR_ARG;
    return 0;
}

static int note_is_finite(const sm_note *note)
{
    return isfinite(note->note) && isfinite(note->velocity) && !isnan(note->gate_s);
}

static int fm6_render(void *st, const double *native, const sm_note *note, float *out,
                      size_t n)
{
    fm6_state *s = st;
    fm6_voice *v;
    size_t b, nblocks;
    int rc = check_render_args(s, native, note, out, n);
    if (rc || n == 0) return rc;
    memset(out, 0, n * sizeof *out);
    if (!note_is_finite(note)) return SM_ERR_NONFINITE;
    v = &s->voice[0];
    if (!voice_start(s, v, native, note)) return 0;  /* nothing audible: silence */
    nblocks = (n + SM_FM6_N - 1) / SM_FM6_N;
    for (b = 0; b < nblocks; b++) {
        const size_t s0 = b * SM_FM6_N, len = n - s0 < SM_FM6_N ? n - s0 : SM_FM6_N;
        voice_control(s, v, s0);
        voice_ops(s, v, 0);
        if (voice_output(v, out + s0, len)) break;
    }
    return 0;
}

/* Two notes of the same length, block by block side by side, their feedback paths paired
 * (chain_pair); each comes out exactly as fm6_render makes it alone. */
static int fm6_render2(void *st, const double *native_a, const double *native_b,
                       const sm_note *note, float *out_a, float *out_b, size_t n)
{
    fm6_state *s = st;
    fm6_voice *v[2];
    float *out[2];
    int playing[2], i, rc = check_render_args(s, native_a, note, out_a, n);
    size_t b, nblocks;
    if (!rc) rc = check_render_args(s, native_b, note, out_b, n);
    if (rc || n == 0) return rc;
    memset(out_a, 0, n * sizeof *out_a);
    memset(out_b, 0, n * sizeof *out_b);
    if (!note_is_finite(note)) return SM_ERR_NONFINITE;
    v[0] = &s->voice[0];
    v[1] = &s->voice[1];
    out[0] = out_a;
    out[1] = out_b;
    playing[0] = voice_start(s, v[0], native_a, note);
    playing[1] = voice_start(s, v[1], native_b, note);
    nblocks = (n + SM_FM6_N - 1) / SM_FM6_N;
    for (b = 0; b < nblocks && (playing[0] || playing[1]); b++) {
        const size_t s0 = b * SM_FM6_N, len = n - s0 < SM_FM6_N ? n - s0 : SM_FM6_N;
        fm6_chain c[2];
        int paired = 0;
        for (i = 0; i < 2; i++)
            if (playing[i]) voice_control(s, v[i], s0);
        if (playing[0] && playing[1] && voice_chain(v[0], &c[0]) && voice_chain(v[1], &c[1])) {
            chains_pair(s->sintab, &c[0], &c[1]);
            paired = 1;
        }
        for (i = 0; i < 2; i++) {
            if (!playing[i]) continue;
            voice_ops(s, v[i], paired);
            if (voice_output(v[i], out[i] + s0, len)) playing[i] = 0;
        }
    }
    return 0;
}

/* ---- What the relaxed gradient shares (fm6_internal.h) --------------------------------- */

int sm_fm6_voice_start(const fm6_state *s, fm6_voice *v, const double *native,
                       const sm_note *note)
{
    return voice_start(s, v, native, note);
}

void sm_fm6_voice_control(const fm6_state *s, fm6_voice *v, size_t s0)
{
    voice_control(s, v, s0);
}

int sm_fm6_scale_velocity(int velocity, int sens)
{
    return scale_velocity(velocity, sens);
}

int sm_fm6_scale_rate(int midinote, int sens)
{
    return scale_rate(midinote, sens);
}

int sm_fm6_scale_level(int midinote, int break_pt, int left_depth, int right_depth,
                       int left_curve, int right_curve)
{
    return scale_level(midinote, break_pt, left_depth, right_depth, left_curve, right_curve);
}

int32_t sm_fm6_gain_of_level(const fm6_state *s, int64_t level)
{
    return gain_of_level(s, level);
}

/* ---- Patch files ------------------------------------------------------------------------- */

static int fm6_patch_load(const char *spec, double *native, char *name, size_t name_len,
                          sm_error *err)
{
    sm_dx7_voice v;
    char vname[SM_DX7_NAME_LEN + 1];
    int rc;
    if (name && name_len) name[0] = '\0';
    if (!spec || !native) return sm_error_set(err, SM_ERR_ARG, "fm6: no patch or no output");
    rc = sm_dx7_load_voice(spec, &v, err);
    if (rc) return rc;
    sm_dx7_voice_to_native(&v, native);
    if (name && name_len) {
        sm_dx7_voice_name(&v, vname);
        snprintf(name, name_len, "%s", vname);
    }
    return 0;
}

static int fm6_patch_save(const char *path, const double *native, const char *name,
                          sm_error *err)
{
    sm_dx7_voice v;
    if (!path || !native) return sm_error_set(err, SM_ERR_ARG, "fm6: no path or no values");
    sm_dx7_voice_from_native(&v, native, name);
    return sm_dx7_write_single(path, &v, err);
}

static int fm6_patch_load_all(const char *path, double **native, size_t *n, sm_error *err)
{
    sm_dx7_bank bank;
    double *x;
    size_t i;
    int rc;
    if (native) *native = NULL;
    if (n) *n = 0;
    if (!path || !native || !n) return sm_error_set(err, SM_ERR_ARG, "fm6: bad arguments");
    rc = sm_dx7_load(path, &bank, err);
    if (rc) return rc;
    x = malloc((bank.n ? bank.n : 1) * SM_FM6_NPARAMS * sizeof *x);
    if (!x) {
        sm_dx7_bank_free(&bank);
        return sm_error_set(err, SM_ERR_NOMEM, "fm6: out of memory");
    }
    for (i = 0; i < bank.n; i++) sm_dx7_voice_to_native(&bank.voices[i], x + i * SM_FM6_NPARAMS);
    *native = x;
    *n = bank.n;
    sm_dx7_bank_free(&bank);
    return 0;
}

/* ---- Routing queries ---------------------------------------------------------------------- */

unsigned sm_fm6_carrier_mask(int alg)
{
    return alg >= 1 && alg <= 32 ? sm_fm6_algorithms[alg - 1].carriers : 0u;
}

unsigned sm_fm6_modulator_mask(int alg, int op)
{
    if (alg < 1 || alg > 32 || op < 1 || op > 6) return 0;
    return sm_fm6_algorithms[alg - 1].mods[op - 1];
}

int sm_fm6_feedback_path(int alg, int *from, int *to)
{
    if (alg < 1 || alg > 32) return 0;
    if (from) *from = sm_fm6_algorithms[alg - 1].fb_from;
    if (to) *to = sm_fm6_algorithms[alg - 1].fb_to;
    return 1;
}

/* Output level: every carrier's output level moves by the same number of steps. Above level
 * 20 one step of output level is 0.75 dB (the DX7 attenuates in 0.75 dB units: msfa's
 * scaleoutlevel is linear there, and a unit of its 127-step scale is 1/8 of 6.02 dB); below,
 * the curve is steeper, so the caller measures what it got and asks again. */
static double fm6_adjust_gain(double *native, double gain_db)
{
    const unsigned carriers = sm_fm6_carrier_mask(native_int(native, SM_FM6_ALGORITHM));
    const long steps = lround(gain_db / 0.75);
    long moved = 0, n = 0;
    int op;
    for (op = 1; op <= 6; op++) {
        double *lv = &native[SM_FM6_OP(op, SM_FM6_OUTPUT_LEVEL)];
        long v0, v;
        if (!(carriers & (1u << (op - 1)))) continue;
        v0 = lround(*lv);
        v = v0 + steps;
        if (v < 0) v = 0;
        if (v > 99) v = 99;
        *lv = (double)v;
        moved += v - v0;
        n++;
    }
    return n ? 0.75 * (double)moved / (double)n : 0.0;
}

const sm_synth_type sm_synth_fm6 = {
    "fm6",
    "DX7-compatible 6-operator FM voice (32 algorithms, msfa/Dexed model), DX7 .syx patches",
    &sm_fm6_space,
    fm6_alloc,
    fm6_render,
    fm6_free,
    ".syx",
    fm6_patch_load,
    fm6_patch_save,
    fm6_patch_load_all,
    fm6_render2,
    fm6_adjust_gain,
    SM_FM6_RENDER_VERSION, /* render_version */
    sm_fm6_render_grad,    /* the relaxed gradient (fm6_grad.c) */
};
