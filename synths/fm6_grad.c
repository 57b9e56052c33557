/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/fm6_grad.c: an exact gradient of the fm6 voice through a continuous relaxation of
 * its integer parameters (sm_synth_type.render_grad).
 *
 * DDX7 (Caspe, McPherson and Sandler, "DDX7: Differentiable FM Synthesis of Musical
 * Instrument Sounds", ISMIR 2022) learns a DX7-like voice by gradient descent with the
 * frequency ratios fixed and the operators' levels and envelopes free. We do the same to the
 * DX7 model itself: the parameters marked relaxed in fm6's space (core/params.h: the output
 * level, the envelope rates R1-R4 and levels L1-L4 and the key velocity sensitivity of every
 * operator, and the feedback level) take any real value within their ranges here, and the
 * render is a function of them with a derivative almost everywhere. Every other parameter
 * (algorithm, oscillator mode, coarse, fine, detune, keyboard scaling, amplitude modulation
 * sensitivity, LFO, pitch envelope, transpose, key sync) is rounded and held exactly as
 * render plays it, and gets 0.
 *
 * The relaxation. Each DX7 table the relaxed parameters go through is interpolated linearly
 * between whole values, so at whole values the relaxed render is render (up to the numerical
 * differences below):
 *   - the output-level curve (fm6_tables.c, sm_fm6_scale_outlevel, 0..99 to 0..127);
 *   - level to log level: a segment's target ((scaleoutlevel(L) >> 1) << 6 microsteps, msfa
 *     env.cc Env::advance), a staircase of steps of two levels above 20, so its interpolation
 *     is flat over every other unit interval (there L has no derivative);
 *   - rate to increment: the increment per block of msfa's qrate = rate * 41 / 64 (plus the
 *     held rate scaling), a staircase too (flat where two rates share a qrate);
 *   - the velocity offset (msfa ScaleVelocity) between whole sensitivities;
 *   - the feedback factor: the phase receives (y[n-1] + y[n-2]) * c, c = 2^(feedback - 9)
 *     cycles per cycle at whole levels 1..7 (fm6.c, feedback_share) and 0 at level 0.
 * The slope of an interpolated table is its segment's; at a whole value inside the range it is
 * the mean of the two segments' slopes (a Clarke subgradient, so that a whole value on the
 * edge of a flat step still says which way the table goes), one-sided at the range's ends.
 *
 * The discrete decisions of the envelope follow the relaxed values as render's follow the
 * integers: a segment is flat (it holds for msfa's `statics` time) when its target equals the
 * current level exactly; an attack to level 0 holds when L1 rounds to 0; a hold lasts the
 * time of the rounded rate. An operator is computed in a block when render would compute it
 * (its gain at either end of the block at or above msfa's -83.5 dB threshold, decided with
 * render's own gain_of_level on the level truncated to an integer, and feeding something
 * live), and the note ends where render's would. Everything these decide is held: the
 * switching instants themselves have no derivative. Derivatives taken (the subgradient):
 *   - a segment ends in the block where the level reaches its target, the level then being
 *     the target (derivative: the target's); which block that is does not move, so the
 *     relaxed render jumps where a small change moves a segment's end to the next block (a
 *     64-sample step in time), as render does; finite differences must not cross one;
 *   - the attack's factor (17 - whole octaves of the level, msfa Env::getsample) is a step
 *     function: derivative 0 with respect to the level; the attack's jump to 1716 << 16:
 *     derivative 0;
 *   - clamps (a target at least 16 microsteps, the operator level at most 127 steps and at
 *     least 0, amplitude modulation stopped at silence, gain_of_level's range, a relaxed
 *     native value outside its range): derivative 0 beyond them.
 * An operator that is never audible (render's `needed`) is not computed and gets 0, so a
 * silent operator cannot be brought in by the gradient.
 *
 * How the relaxed render differs from render at whole values (tests/test_fm6_grad.c measures
 * it): it computes in double precision with sin() where render uses a 4096-point table
 * (feedback paths) or a float polynomial (other operators), both within about 3e-7 of the
 * gain; it ramps gains linearly across a block without render's rounding of the step to Q24;
 * the amplitude modulation does not truncate the log level to an integer; the feedback share
 * is not truncated to 2^-32 cycle. Phases, phase increments, pitch (pitch envelope and LFO),
 * the key-up block and the amplitude-modulation amount come from fm6.c's own voice code run
 * alongside (sm_fm6_voice_start / sm_fm6_voice_control), so they are render's exactly.
 * Measured (tests/test_fm6_grad.c; note 60, velocity 100, gate 1 s, 1.5 s at 44.1 kHz; the
 * largest sample difference, and the log-mel distance of MEASURES.md between the two):
 *   - INIT VOICE: 1.4e-7, 7e-7 dB;
 *   - 40 random voices (every parameter uniform): at most 3.7e-6 (mean of the voices' largest
 *     4.7e-7), log-mel at most 0.088 dB, mean 0.0055 dB;
 *   - human voices, rom2a and rom3a: at most 1.3e-4, log-mel below 0.001 dB; rom1a and
 *     vrc101a: means 0.050 and 0.010 dB, but three voices whose feedback is chaotic
 *     (feedback 6 or 7 at high level: rom1a 31, vrc101a 7 and 12) amplify the differences
 *     of 1e-7 into another noise of the same kind, up to 0.5 in a sample and 1.6 dB log-mel
 *     (rom1a 31). Their gradients are as erratic as their sound.
 *
 * The design. An operator envelope is a scalar per block with a few parameters, so its
 * derivatives are carried forward (forward mode) at block rate: each envelope keeps the
 * tangent of its level with respect to its 9 inputs (the operator level in microsteps, L1-L4,
 * R1-R4), and the tape keeps, per block and operator, the gain G(b) at the block's end and dG/d
 * (those 9). The operator graph runs per sample and is differentiated in reverse: the tape
 * keeps each computed operator's sin and cos of its phase per sample and the feedback input;
 * the backward pass goes through the samples from the last, carrying the adjoints of the two
 * feedback history values as the forward pass carries the values, and gathers the adjoint of
 * every block gain (a sample's gain ramps linearly from G(b-1) to G(b)), which the forward
 * tangents then turn into the parameters' gradient.
 *
 * Memory: per sample 12 floats (sin and cos of six operators) and one double (the feedback
 * input), 56 bytes; per 64-sample block 6 x 10 doubles and a byte, 7.5 bytes a sample:
 * sm_fm6_grad_tape_bytes, 4.2 MB for 1.5 s at 44.1 kHz. The floats are only read by the
 * backward pass (their rounding moves a gradient by about 1e-7 relative). The tape grows to
 * the longest note seen on its state.
 *
 * Speed (bench/bench_grad, one core, rom1a's BRASS 1, six operators with feedback): forward
 * and backward together cost 16-18x render (7.4 ms for 1 s; render is a vectorised integer
 * loop, this one is scalar double with a sin and a cos per operator and sample); with the
 * cost of experiments/fm6_grad.ini and its gradient, and the rounded point's render and cost
 * (experiments/objective_grad.c), an evaluation with its gradient costs 7.5-8.5x one
 * without. */
#include "synths/fm6_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* every held parameter is read as render reads it (fm6_internal.h) */
#define native_int sm_fm6_native_int

#define NT 9              /* tangent components: operator level, L1-L4, R1-R4 */
#define T_OUT 0
#define T_L1 1
#define T_R1 5
#define TWO_PI 6.283185307179586
#define LN2 0.6931471805599453
#define Q24 16777216.0

/* One relaxed operator envelope (msfa's Env in double, with its tangents). */
typedef struct {
    double r[4], l[4];        /* relaxed rates and levels */
    int rint[4];              /* rounded rates: a hold's length */
    int l1_zero;              /* L1 rounds to 0: the attack to level 0 holds */
    double outlevel;          /* operator level in microsteps */
    int rate_scaling;
    const double *inc_tab;    /* 100 increments per block for this rate scaling */
    const double *tab_target; /* the tape's level to log level table */
    double level, target, inc;
    double dlevel[NT], dtarget[NT];
    double dinc;              /* d inc / d R(ix) */
    int64_t static_count;
    int ix, down, rising;
} renv;

typedef struct {
    size_t cap, n;            /* samples the arrays hold; samples of the last forward (0: none) */
    size_t bcap;              /* blocks the per-block arrays hold */
    float *sc;                /* cap x 6 x 2: sin, cos of each computed operator */
    double *fbin;             /* cap: the feedback history sum y[n-1] + y[n-2] (cycles) */
    unsigned char *live;      /* bcap: operators computed in the block */
    double *G;                /* bcap x 6: gain at the block's end */
    double *dG;               /* bcap x 6 x NT */
    /* the note's fixed structure */
    unsigned needed, carriers, mods[6];
    int fbt, fbsrc;           /* the feedback's target and source operator (k), -1: none */
    double c, dc;             /* feedback factor and d c / d feedback */
    double outscale;          /* cycles of carrier sum to output */
    size_t nblocks;
    double dout_dol[6], dout_dvs[6]; /* d outlevel / d output level, / d velocity sensitivity */
    unsigned char clamped[SM_FM6_NPARAMS]; /* the relaxed value was clamped: gradient 0 */
    fm6_voice shadow;         /* render's voice for what is held */
    renv env[6];
    double inc_tab[6][100];
    double tab_outlevel[100];  /* scaleoutlevel(L) */
    double tab_target[100];    /* (scaleoutlevel(L) >> 1) << 6 */
} grad_tape;

size_t sm_fm6_grad_tape_bytes(size_t n)
{
    const size_t nb = (n + SM_FM6_N - 1) / SM_FM6_N;
    return n * (12 * sizeof(float) + sizeof(double)) +
           nb * (1 + 6 * (NT + 1) * sizeof(double)) + sizeof(grad_tape);
}

void sm_fm6_grad_free(void *tp)
{
    grad_tape *t = tp;
    if (!t) return;
    free(t->sc);
    free(t->fbin);
    free(t->live);
    free(t->G);
    free(t->dG);
    free(t);
}

/* The tape of state s, made or grown for n samples (with_arrays: the per-sample arrays too).
 * NULL on out of memory (the state then holds no tape). */
static grad_tape *tape_get(fm6_state *s, size_t n, int with_arrays)
{
    grad_tape *t = s->grad;
    const size_t nb = (n + SM_FM6_N - 1) / SM_FM6_N;
    if (!t) {
        int i;
        t = calloc(1, sizeof *t);
        if (!t) return NULL;
        s->grad = t;
        for (i = 0; i < 100; i++) {
            t->tab_outlevel[i] = sm_fm6_scale_outlevel(i);
            t->tab_target[i] = (double)((sm_fm6_scale_outlevel(i) >> 1) << 6);
        }
    }
    t->n = 0;
    if (!with_arrays) return t;
    if (t->cap < n || t->bcap < nb) {
        const size_t cap = n > t->cap ? n : t->cap, bcap = nb > t->bcap ? nb : t->bcap;
        free(t->sc);
        free(t->fbin);
        free(t->live);
        free(t->G);
        free(t->dG);
        t->sc = malloc((cap ? cap : 1) * 12 * sizeof *t->sc);
        t->fbin = malloc((cap ? cap : 1) * sizeof *t->fbin);
        t->live = malloc(bcap ? bcap : 1);
        t->G = malloc((bcap ? bcap : 1) * 6 * sizeof *t->G);
        t->dG = malloc((bcap ? bcap : 1) * 6 * NT * sizeof *t->dG);
        if (!t->sc || !t->fbin || !t->live || !t->G || !t->dG) {
            s->grad = NULL;
            sm_fm6_grad_free(t);
            return NULL;
        }
        t->cap = cap;
        t->bcap = bcap;
    }
    return t;
}

/* ---- Relaxed tables ---------------------------------------------------------------------- */

/* tab (m values at 0..m-1) at x within [0, m-1], linear between whole values; *slope: the
 * segment's slope, at a whole value inside the mean of both segments', one-sided at the ends. */
static double interp(const double *tab, int m, double x, double *slope)
{
    int i;
    double f;
    if (x <= 0) x = 0;
    if (x >= m - 1) x = m - 1;
    i = (int)floor(x);
    if (i > m - 2) i = m - 2;
    f = x - i;
    if (f == 0 && i > 0) *slope = 0.5 * (tab[i + 1] - tab[i - 1]);
    else *slope = tab[i + 1] - tab[i];
    return tab[i] + f * (tab[i + 1] - tab[i]);
}

static const double tab_feedback[8] = {0.0, 1.0 / 256, 1.0 / 128, 1.0 / 64,
                                       1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4};

/* The increment per block for rates 0..99 at rate scaling rs, as fm6.c's env_advance makes
 * it (msfa Env::advance, Env::init_sr), truncation included. */
static void inc_table(const fm6_state *s, int rs, double *tab)
{
    int r;
    for (r = 0; r < 100; r++) {
        int q = ((r * 41) >> 6) + rs;
        if (q > 63) q = 63;
        const int64_t inc = (int64_t)(4 + (q & 3)) << (2 + SM_FM6_LG_N + (q >> 2));
        tab[r] = (double)(int64_t)((double)inc * s->env_inc_scale);
    }
}

/* ---- Relaxed envelope (msfa env.cc, as fm6.c's env_* with tangents) ---------------------- */

static void renv_advance(const fm6_state *s, renv *e, int ix)
{
    double tl, dtl, actual;
    e->ix = ix;
    if (ix >= 4) return;
    tl = interp(e->tab_target, 100, e->l[ix], &dtl);
    actual = tl + e->outlevel - 4256;
    memset(e->dtarget, 0, sizeof e->dtarget);
    if (actual < 16) {
        actual = 16;
    } else {
        e->dtarget[T_OUT] = 65536.0;
        e->dtarget[T_L1 + ix] = 65536.0 * dtl;
    }
    e->target = actual * 65536.0;
    e->rising = e->target > e->level;
    e->inc = interp(e->inc_tab, 100, e->r[ix], &e->dinc);
    if (e->target == e->level || (ix == 0 && e->l1_zero)) {
        int r = e->rint[ix] + e->rate_scaling;
        int64_t count;
        if (r > 99) r = 99;
        count = r < 77 ? sm_fm6_env_statics[r] : 20 * (99 - r);
        if (r < 77 && ix == 0 && e->l1_zero) count /= 20;
        e->static_count = (int64_t)llround((double)count * s->static_scale);
    } else {
        e->static_count = 0;
    }
}

static void renv_step(const fm6_state *s, renv *e)
{
    int j;
    if (e->static_count) {
        e->static_count -= SM_FM6_N;
        if (e->static_count <= 0) {
            e->static_count = 0;
            renv_advance(s, e, e->ix + 1);
        }
    }
    if (!(e->ix < 3 || (e->ix < 4 && !e->down)) || e->static_count) return;
    if (e->rising) {
        const double jump = 1716.0 * 65536.0;
        double m;
        if (e->level < jump) {
            e->level = jump;
            memset(e->dlevel, 0, sizeof e->dlevel);
        }
        m = floor((17.0 * Q24 - e->level) / Q24);
        e->level += m * e->inc;
        e->dlevel[T_R1 + e->ix] += m * e->dinc;
        if (e->level >= e->target) {
            e->level = e->target;
            for (j = 0; j < NT; j++) e->dlevel[j] = e->dtarget[j];
            renv_advance(s, e, e->ix + 1);
        }
    } else {
        e->level -= e->inc;
        e->dlevel[T_R1 + e->ix] -= e->dinc;
        if (e->level <= e->target) {
            e->level = e->target;
            for (j = 0; j < NT; j++) e->dlevel[j] = e->dtarget[j];
            renv_advance(s, e, e->ix + 1);
        }
    }
}

/* ---- Parameters -------------------------------------------------------------------------- */


/* A relaxed parameter: NaN gives the default, clamped to its range (flagged: gradient 0). */
static double relaxed(const double *native, int i, unsigned char *clamped)
{
    const sm_param *p = &sm_fm6_params[i];
    double v = native[i];
    clamped[i] = 0;
    if (isnan(v)) {
        clamped[i] = 1;
        return p->def;
    }
    if (v < p->min) {
        clamped[i] = 1;
        return p->min;
    }
    if (v > p->max) {
        clamped[i] = 1;
        return p->max;
    }
    return v;
}

/* Sets up the note: the shadow voice (render's own, for what is held), the relaxed envelopes
 * and the structure. Returns 1 if anything can be heard. */
static int note_start(const fm6_state *s, grad_tape *t, const double *native, const sm_note *note)
{
    fm6_voice *v = &t->shadow;
    const sm_fm6_algorithm *alg;
    double note_eff, vs_tab[8], fbv;
    int k, midinote, velocity, i;
    unsigned audible = 0, targets[6];

    sm_fm6_voice_start(s, v, native, note);
    v->needed = 0x3f; /* the shadow runs every operator's pitch; the relaxed voice decides */
    alg = v->alg;
    note_eff = note->note + native_int(native, SM_FM6_TRANSPOSE) - 24;
    if (note_eff < -128) note_eff = -128;
    if (note_eff > 255) note_eff = 255;
    midinote = (int)floor(note_eff + 0.5);
    midinote = midinote < 0 ? 0 : midinote > 127 ? 127 : midinote;
    velocity = (int)floor(note->velocity + 0.5);
    velocity = velocity < 0 ? 0 : velocity > 127 ? 127 : velocity;
    for (i = 0; i < 8; i++) vs_tab[i] = sm_fm6_scale_velocity(velocity, i);

    for (k = 0; k < 6; k++) {
        const int op = k + 1;
        renv *e = &t->env[k];
        double ol, so, dso, vs, dvs, base, dbase, maxt = 0, a, dummy;
        int kbd;
        for (i = 0; i < 4; i++) {
            e->r[i] = relaxed(native, SM_FM6_OP(op, SM_FM6_EG_RATE1 + i), t->clamped);
            e->l[i] = relaxed(native, SM_FM6_OP(op, SM_FM6_EG_LEVEL1 + i), t->clamped);
            e->rint[i] = (int)floor(e->r[i] + 0.5);
            a = interp(t->tab_target, 100, e->l[i], &dummy);
            if (a > maxt) maxt = a;
        }
        e->l1_zero = floor(e->l[0] + 0.5) == 0;
        ol = relaxed(native, SM_FM6_OP(op, SM_FM6_OUTPUT_LEVEL), t->clamped);
        vs = relaxed(native, SM_FM6_OP(op, SM_FM6_KEY_VEL_SENS), t->clamped);
        so = interp(t->tab_outlevel, 100, ol, &dso);
        e->tab_target = t->tab_target;
        kbd = sm_fm6_scale_level(midinote,
                                 native_int(native, SM_FM6_OP(op, SM_FM6_KBD_BREAK_POINT)),
                                 native_int(native, SM_FM6_OP(op, SM_FM6_KBD_LEFT_DEPTH)),
                                 native_int(native, SM_FM6_OP(op, SM_FM6_KBD_RIGHT_DEPTH)),
                                 native_int(native, SM_FM6_OP(op, SM_FM6_KBD_LEFT_CURVE)),
                                 native_int(native, SM_FM6_OP(op, SM_FM6_KBD_RIGHT_CURVE)));
        base = so + kbd;
        dbase = dso;
        if (base > 127) {
            base = 127;
            dbase = 0;
        }
        e->outlevel = base * 32 + interp(vs_tab, 8, vs, &dvs);
        t->dout_dol[k] = 32 * dbase;
        t->dout_dvs[k] = dvs;
        if (e->outlevel < 0) {
            e->outlevel = 0;
            t->dout_dol[k] = t->dout_dvs[k] = 0;
        }
        e->rate_scaling =
            sm_fm6_scale_rate(midinote, native_int(native, SM_FM6_OP(op, SM_FM6_KBD_RATE_SCALING)));
        inc_table(s, e->rate_scaling, t->inc_tab[k]);
        e->inc_tab = t->inc_tab[k];
        e->level = 0;
        memset(e->dlevel, 0, sizeof e->dlevel);
        e->down = 1;
        renv_advance(s, e, 0);
        /* audible at all: the loudest level the envelope can reach, as render decides it */
        a = maxt + e->outlevel - 4256;
        if (a < 16) a = 16;
        if (sm_fm6_gain_of_level(s, (int64_t)floor(a * 65536.0)) >= SM_FM6_LEVEL_THRESH)
            audible |= 1u << k;
    }

    /* needed: audible carriers and the audible operators that modulate needed ones */
    t->needed = 0;
    t->carriers = alg->carriers;
    for (k = 0; k < 6; k++) {
        int j;
        t->mods[k] = alg->mods[k];
        targets[k] = 0;
        for (j = 0; j < 6; j++)
            if (alg->mods[j] & (1u << k)) targets[k] |= 1u << j;
    }
    for (k = 0; k < 6; k++) {
        const unsigned bit = 1u << k;
        if ((alg->carriers & bit) && (audible & bit)) t->needed |= bit;
        else if ((audible & bit) && (targets[k] & t->needed)) t->needed |= bit;
    }
    /* feedback: self-feedback, or the loop of algorithms 4 and 6 when all of it sounds */
    fbv = relaxed(native, SM_FM6_FEEDBACK, t->clamped);
    t->c = interp(tab_feedback, 8, fbv, &t->dc);
    t->fbt = t->fbsrc = -1;
    {   /* even at feedback 0 (c = 0, silent), so that its derivative there is the one above */
        if (alg->fb_from == alg->fb_to) {
            t->fbt = t->fbsrc = alg->fb_to - 1;
        } else {
            unsigned loop = 0;
            int op;
            for (op = alg->fb_to; op >= alg->fb_from; op--) loop |= 1u << (op - 1);
            if ((loop & t->needed) == loop) {
                t->fbt = alg->fb_to - 1;
                t->fbsrc = alg->fb_from - 1;
            }
        }
    }
    t->outscale = (double)v->fscale * Q24;
    return (t->needed & alg->carriers) != 0;
}

/* ---- Forward ----------------------------------------------------------------------------- */

/* The gain (real units, 1.0 = Q24 1 << 24) of envelope level `level` after amplitude
 * modulation factor f, and d gain / d level; *gi: render's integer gain for that level. */
static double gain_of(const fm6_state *s, double level, double f, int am, double *dgain,
                      int32_t *gi)
{
    double lev = level, dl = 1.0, g;
    int64_t li = (int64_t)floor(level);
    if (am) {
        lev = level - level * f;
        dl = 1.0 - f;
        li -= (int64_t)((double)li * f);
        if (li < 0) li = 0;
        if (lev < 0) {
            lev = 0;
            dl = 0;
        }
    }
    *gi = sm_fm6_gain_of_level(s, li);
    if (lev < 0) {
        lev = 0;
        dl = 0;
    }
    if (lev > 20.0 * Q24 - 1) {
        lev = 20.0 * Q24 - 1;
        dl = 0;
    }
    g = exp2(lev / Q24 - 14.0);
    *dgain = g * LN2 / Q24 * dl;
    return g;
}

/* The relaxed render of n samples into outd (doubles, may be NULL) and outf (floats, may be
 * NULL); with rec, the tape's arrays are filled for the backward pass. */
static void forward(fm6_state *s, grad_tape *t, const double *native, const sm_note *note,
                    size_t n, double *outd, float *outf, int rec)
{
    fm6_voice *v = &t->shadow;
    double Gp[6] = {0}, G[6] = {0}, h1 = 0, h2 = 0;
    uint32_t phase[6];
    int32_t gi_prev[6] = {0};
    size_t b, nblocks = (n + SM_FM6_N - 1) / SM_FM6_N;
    int k, playing;
    unsigned targets[6];

    if (outd) memset(outd, 0, n * sizeof *outd);
    if (outf) memset(outf, 0, n * sizeof *outf);
    playing = note_start(s, t, native, note);
    t->nblocks = nblocks;
    if (rec) {
        memset(t->live, 0, nblocks ? nblocks : 1);
        memset(t->G, 0, (nblocks ? nblocks : 1) * 6 * sizeof *t->G);
        memset(t->dG, 0, (nblocks ? nblocks : 1) * 6 * NT * sizeof *t->dG);
    }
    if (!playing) return;
    for (k = 0; k < 6; k++) {
        int j;
        phase[k] = v->phase[k];
        targets[k] = 0;
        for (j = 0; j < 6; j++)
            if (t->mods[j] & (1u << k)) targets[k] |= 1u << j;
    }
    for (b = 0; b < nblocks; b++) {
        const size_t s0 = b * SM_FM6_N, len = n - s0 < SM_FM6_N ? n - s0 : SM_FM6_N;
        const int was_down = v->down;
        unsigned active = 0, live = 0;
        int32_t gi[6] = {0};
        size_t i;
        int fb_on, ended;
        sm_fm6_voice_control(s, v, s0);
        for (k = 0; k < 6; k++) {
            renv *e = &t->env[k];
            double dg, f;
            int am, j;
            if (!(t->needed & (1u << k))) continue;
            if (was_down && !v->down && e->down) {
                e->down = 0;
                renv_advance(s, e, 3);
            }
            renv_step(s, e);
            am = v->ams[k] != 0;
            f = am ? sm_fm6_am_factor(s, v->amod, v->ams[k]) : 0.0;
            Gp[k] = G[k];
            G[k] = gain_of(s, e->level, f, am, &dg, &gi[k]);
            if (rec) {
                t->G[b * 6 + k] = G[k];
                for (j = 0; j < NT; j++) t->dG[(b * 6 + k) * NT + j] = dg * e->dlevel[j];
            }
            if (gi_prev[k] >= SM_FM6_LEVEL_THRESH || gi[k] >= SM_FM6_LEVEL_THRESH)
                active |= 1u << k;
        }
        for (k = 0; k < 6; k++) {
            const unsigned bit = 1u << k;
            if ((active & bit) && ((t->carriers & bit) || (targets[k] & live))) live |= bit;
        }
        if (t->fbt >= 0 && t->fbt != t->fbsrc && (live & (1u << t->fbsrc))) {
            int kk;
            for (kk = t->fbsrc; kk <= t->fbt; kk++) live |= 1u << kk;
        }
        fb_on = t->fbt >= 0 && (live & (1u << t->fbt));
        if (rec) t->live[b] = (unsigned char)live;
        for (i = 0; i < len; i++) {
            const double w = (double)(i + 1) / SM_FM6_N;
            double y[6] = {0}, sum = 0, fbin = h1 + h2;
            for (k = 5; k >= 0; k--) {
                const unsigned bit = 1u << k;
                double m = 0, th, sn, cs, g;
                unsigned mm;
                int j;
                if (!(live & bit)) continue;
                mm = t->mods[k] & live;
                for (j = k + 1; j < 6; j++)
                    if (mm & (1u << j)) m += y[j];
                if (k == t->fbt && fb_on) m += t->c * fbin;
                th = TWO_PI * ((double)(uint32_t)(phase[k] + (uint32_t)i * v->inc[k]) /
                                   4294967296.0 + m);
                sn = sin(th);
                cs = cos(th);
                g = Gp[k] + w * (G[k] - Gp[k]);
                y[k] = g * sn;
                if (t->carriers & bit) sum += y[k];
                if (rec) {
                    t->sc[(s0 + i) * 12 + 2 * k] = (float)sn;
                    t->sc[(s0 + i) * 12 + 2 * k + 1] = (float)cs;
                }
            }
            if (rec) t->fbin[s0 + i] = fbin;
            if (fb_on) {
                h2 = h1;
                h1 = y[t->fbsrc];
            }
            if (outd) outd[s0 + i] = sum * t->outscale;
            if (outf) outf[s0 + i] = (float)(sum * t->outscale);
        }
        for (k = 0; k < 6; k++) {
            phase[k] += v->inc[k] << SM_FM6_LG_N;
            gi_prev[k] = gi[k];
        }
        /* the note's end, as render's voice_output decides it */
        ended = !v->down;
        for (k = 0; k < 6 && ended; k++) {
            const unsigned bit = 1u << k;
            if (!(t->needed & t->carriers & bit)) continue;
            if (t->env[k].ix < 4 || gi[k] >= SM_FM6_LEVEL_THRESH) ended = 0;
        }
        if (ended) {
            t->nblocks = b + 1;
            break;
        }
    }
}

/* ---- Backward ---------------------------------------------------------------------------- */

static void backward(const grad_tape *t, const double *gout, size_t n, double *grad)
{
    double carry[6] = {0}, genv[6][NT], A1 = 0, A2 = 0, cbar = 0;
    size_t b;
    int k, j;
    memset(genv, 0, sizeof genv);
    for (b = t->nblocks; b-- > 0;) {
        const size_t s0 = b * SM_FM6_N, len = n - s0 < SM_FM6_N ? n - s0 : SM_FM6_N;
        const unsigned live = t->live[b];
        const int fb_on = t->fbt >= 0 && (live & (1u << t->fbt));
        double Gc[6], Gp[6], gbar[6], gpbar[6] = {0};
        size_t i;
        for (k = 0; k < 6; k++) {
            Gc[k] = t->G[b * 6 + k];
            Gp[k] = b > 0 ? t->G[(b - 1) * 6 + k] : 0.0;
            gbar[k] = carry[k];
        }
        for (i = len; i-- > 0;) {
            const size_t tt = s0 + i;
            const double w = (double)(i + 1) / SM_FM6_N, a = gout[tt] * t->outscale;
            const float *sc = t->sc + tt * 12;
            double ybar[6] = {0}, nA1 = 0, nA2 = 0;
            for (k = 0; k < 6; k++)
                if ((live & t->carriers) & (1u << k)) ybar[k] = a;
            if (fb_on) {
                ybar[t->fbsrc] += A1;
                nA1 = A2;
            }
            for (k = 0; k < 6; k++) {
                const unsigned bit = 1u << k;
                double g, gb, mb;
                unsigned mm;
                if (!(live & bit) || ybar[k] == 0.0) continue;
                g = Gp[k] + w * (Gc[k] - Gp[k]);
                gb = ybar[k] * (double)sc[2 * k];
                gbar[k] += gb * w;
                gpbar[k] += gb * (1 - w);
                mb = ybar[k] * g * TWO_PI * (double)sc[2 * k + 1];
                mm = t->mods[k] & live;
                for (j = k + 1; j < 6; j++)
                    if (mm & (1u << j)) ybar[j] += mb;
                if (k == t->fbt && fb_on) {
                    nA1 += t->c * mb;
                    nA2 += t->c * mb;
                    cbar += mb * t->fbin[tt];
                }
            }
            if (fb_on) {
                A1 = nA1;
                A2 = nA2;
            }
        }
        for (k = 0; k < 6; k++) {
            const double *dG = t->dG + (b * 6 + k) * NT;
            if (gbar[k] != 0.0)
                for (j = 0; j < NT; j++) genv[k][j] += gbar[k] * dG[j];
            carry[k] = gpbar[k];
        }
    }
    for (k = 0; k < 6; k++) {
        const int op = k + 1;
        int idx;
        if (!(t->needed & (1u << k))) continue;
        idx = SM_FM6_OP(op, SM_FM6_OUTPUT_LEVEL);
        if (!t->clamped[idx]) grad[idx] += genv[k][T_OUT] * t->dout_dol[k];
        idx = SM_FM6_OP(op, SM_FM6_KEY_VEL_SENS);
        if (!t->clamped[idx]) grad[idx] += genv[k][T_OUT] * t->dout_dvs[k];
        for (j = 0; j < 4; j++) {
            idx = SM_FM6_OP(op, SM_FM6_EG_LEVEL1 + j);
            if (!t->clamped[idx]) grad[idx] += genv[k][T_L1 + j];
            idx = SM_FM6_OP(op, SM_FM6_EG_RATE1 + j);
            if (!t->clamped[idx]) grad[idx] += genv[k][T_R1 + j];
        }
    }
    if (t->fbt >= 0 && !t->clamped[SM_FM6_FEEDBACK]) grad[SM_FM6_FEEDBACK] += cbar * t->dc;
}

/* ---- Entry points ------------------------------------------------------------------------ */

static int note_ok(const sm_note *note)
{
    return isfinite(note->note) && isfinite(note->velocity) && !isnan(note->gate_s);
}

int sm_fm6_render_relaxed(void *st, const double *native, const sm_note *note, double *out,
                          size_t n)
{
    fm6_state *s = st;
    grad_tape *t;
    if (!s || !native || !note || (!out && n)) return SM_ERR_ARG;
    if (n == 0) return 0;
    memset(out, 0, n * sizeof *out);
    if (!note_ok(note)) return SM_ERR_NONFINITE;
    if (!(t = tape_get(s, n, 0))) return SM_ERR_NOMEM;
    forward(s, t, native, note, n, out, NULL, 0);
    return 0;
}

int sm_fm6_render_grad(void *st, const double *native, const sm_note *note, size_t n,
                       float *out, const double *dl_dout, double *dl_dnative)
{
    fm6_state *s = st;
    grad_tape *t;
    if (!s) return SM_ERR_ARG;
    if (out && !dl_dout) { /* forward */
        if (!native || !note) return SM_ERR_ARG;
        if (n == 0) return 0;
        memset(out, 0, n * sizeof *out);
        if (!note_ok(note)) {
            if (s->grad) ((grad_tape *)s->grad)->n = 0;
            return SM_ERR_NONFINITE;
        }
        if (!(t = tape_get(s, n, 1))) return SM_ERR_NOMEM;
        forward(s, t, native, note, n, NULL, out, 1);
        t->n = n;
        return 0;
    }
    if (!out && dl_dout && dl_dnative) { /* backward */
        t = s->grad;
        if (!t || t->n != n || n == 0) return SM_ERR_ARG;
        backward(t, dl_dout, n, dl_dnative);
        return 0;
    }
    return SM_ERR_ARG;
}
