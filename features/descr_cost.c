/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/descr_cost.c: the seven-descriptor term of the matching cost.
 *
 * With e_d the normalised error of descriptor d (features/descr_summary.c: |target -
 * candidate| in comparison units over the spread descr_scale[d]) and T_d that of its
 * trajectory,
 *
 *     DESCR = sqrt( sum_d w_descr[d] (e_d^2 + w_descr_traj T_d^2) ),
 *
 * a weighted Euclidean distance in spreads (0.1: every descriptor a tenth of a spread off,
 * with unit weights, gives 0.1 sqrt(7)). Squares rather than absolute values because a sound
 * must reach every descriptor asked for: in the morph from Hydrogen GMRockKit's kick to its
 * tom 1 in 8 steps (README, "Morphing"), steps designed under the sum of |e_d| left one
 * step's richness 0.21 of a spread off while others of that step sat below 0.001; under the
 * squares the worst of any step and descriptor was 0.098.
 *
 * e_d of pitch is made smooth for a search, so that a candidate on the wrong side of "pitched"
 * is led across: when the target is pitched, |target - the mean pitch of the candidate's
 * voiced frames| / spread (1 without any voiced frame) plus 2 max(0, 0.6 - voiced share); when
 * it is unpitched, 2 max(0, voiced share - 0.4). (sm_descr_error, which reports errors, counts
 * 1 for a pitched/unpitched mismatch instead.)
 *
 * T_d is the mean over frames of |target - candidate| / spread, each frame weighted by the
 * larger of its two pooling weights (frames where either sound is heard), both sounds read
 * from time 0 over the target's length. Pitch frames voiced in one sound only count 1, in
 * neither 0.
 *
 * A goal moves the target: each descriptor it gives replaces the recording's pooled value,
 * and the recording's trajectory moves by the same amount in the frames that count (pitch: in
 * its voiced frames; a goal pitch for an unpitched recording, or "none" for a pitched one,
 * leaves no pitch trajectory to follow, and T_pitch is then not scored). Without a recording
 * there is no trajectory and only the descriptors the goal gives are scored. The candidate's
 * descriptors are computed only where its frames are within 40 dB of its loudest
 * (SM_DESCR_SKIP_QUIET), the frames its pooling counts. */
#include "features/descr_cost.h"
#include "features/stft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sm_dterm_target {
    sm_cost_config cfg;
    double w[SM_D_COUNT];        /* weights of the scored descriptors (0: not scored) */
    double w_traj[SM_D_COUNT];   /* trajectory weights (0: not scored) */
    size_t n;                    /* samples */
    sm_descr_means means;
    size_t frames;
    double *traj;                /* frames x SM_D_COUNT, or NULL without a recording */
    double *weight;              /* frames */
};

struct sm_dterm {
    const sm_dterm_target *t;
    sm_descr_plan *plan;
    sm_descr d;
    double *traj, *weight;       /* the candidate's (when trajectories are scored) */
    int what;                    /* descriptors computed */
};

int sm_dterm_used(const sm_cost_config *c)
{
    int k;
    for (k = 0; k < SM_D_COUNT; k++)
        if (c->w_descr[k] > 0) return 1;
    return 0;
}

int sm_dterm_config_check(const sm_cost_config *c, sm_error *err)
{
    int k;
    for (k = 0; k < SM_D_COUNT; k++) {
        const char *name = sm_descriptor_get(k)->name;
        if (!isfinite(c->w_descr[k]) || c->w_descr[k] < 0)
            return sm_error_set(err, SM_ERR_CONFIG,
                                "descriptor weight %s = %g must be a number of 0 or more", name,
                                c->w_descr[k]);
        if (!isfinite(c->descr_scale[k]) || !(c->descr_scale[k] > 0))
            return sm_error_set(err, SM_ERR_CONFIG, "descriptor scale %s = %g must be positive",
                                name, c->descr_scale[k]);
    }
    if (!isfinite(c->w_descr_traj) || c->w_descr_traj < 0)
        return sm_error_set(err, SM_ERR_CONFIG,
                            "descriptor trajectory weight %g must be a number of 0 or more",
                            c->w_descr_traj);
    return 0;
}

void sm_dterm_target_free(sm_dterm_target *t)
{
    if (!t) return;
    free(t->traj);
    free(t->weight);
    free(t);
}

/* Moves the trajectory of descriptor k by the goal (see the file comment). Returns 1 if a
 * trajectory is left to score. */
static int move_trajectory(sm_dterm_target *t, int k, const sm_descr_means *measured,
                           double goal_cmp)
{
    size_t f;
    if (k == SM_D_PITCH) {
        if (isnan(goal_cmp) || isnan(measured->cmp[k])) return isnan(goal_cmp) && isnan(measured->cmp[k]);
        for (f = 0; f < t->frames; f++) {
            double *v = &t->traj[f * SM_D_COUNT + k];
            if (!isnan(*v)) *v += goal_cmp - measured->cmp[k];
        }
        return 1;
    }
    for (f = 0; f < t->frames; f++)
        if (t->weight[f] > 0) t->traj[f * SM_D_COUNT + k] += goal_cmp - measured->cmp[k];
    return 1;
}

sm_dterm_target *sm_dterm_target_alloc(const sm_cost_config *c, const float *x, size_t n,
                                       const sm_descr_goal *goal, sm_error *err)
{
    sm_dterm_target *t;
    int k, rc;
    if (!x && !goal) {
        sm_error_set(err, SM_ERR_ARG, "a descriptor target needs a recording or values");
        return NULL;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->cfg = *c;
    t->n = n;
    if (x) {
        size_t frames = 0;
        rc = sm_describe(x, n, c->mfcc.sample_rate, &t->means, &t->traj, &t->weight, &frames, err);
        if (rc) {
            if (rc == SM_ERR_EMPTY)
                sm_error_set(err, rc, "the target is silent: it has no descriptors to match");
            sm_dterm_target_free(t);
            return NULL;
        }
        t->frames = frames;
    }
    for (k = 0; k < SM_D_COUNT; k++) {
        t->w[k] = c->w_descr[k];
        t->w_traj[k] = x ? c->w_descr_traj * c->w_descr[k] : 0.0;
        if (goal && goal->given[k]) {
            const sm_descr_means measured = t->means;
            if (x && t->w_traj[k] > 0 && !move_trajectory(t, k, &measured, goal->means.cmp[k]))
                t->w_traj[k] = 0.0;
            t->means.cmp[k] = goal->means.cmp[k];
            if (k == SM_D_PITCH) {
                t->means.voiced = goal->means.voiced;
                t->means.voiced_pitch = goal->means.cmp[k];
            }
        } else if (!x) {
            t->w[k] = 0.0;   /* neither a recording nor a value: not scored */
        }
    }
    return t;
}

void sm_dterm_free(sm_dterm *s)
{
    if (!s) return;
    sm_descr_plan_free(s->plan);
    sm_descr_free(&s->d);
    free(s->traj);
    free(s->weight);
    free(s);
}

sm_dterm *sm_dterm_alloc(const sm_dterm_target *t, sm_error *err)
{
    sm_dterm *s;
    sm_descr_config dc;
    size_t frames;
    int k, traj = 0;
    if (!t) {
        sm_error_set(err, SM_ERR_ARG, "no descriptor target given");
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (!s) goto nomem;
    s->t = t;
    dc = sm_descr_config_default(t->cfg.mfcc.sample_rate);
    frames = sm_descr_n_frames(&dc, t->n);
    s->plan = sm_descr_plan_alloc(&dc, t->n, err);
    if (!s->plan) goto fail;
    if (sm_descr_alloc(&s->d, frames) != 0) goto nomem;
    /* RMS always (the pooling weights), ZCR always (cheap), the rest only where weighed */
    s->what = SM_DESCR_RMS | SM_DESCR_ZCR | SM_DESCR_SKIP_QUIET;
    if (t->w[SM_D_BRIGHTNESS] > 0 || t->w[SM_D_RICHNESS] > 0) s->what |= SM_DESCR_CENTROID;
    if (t->w[SM_D_TONE] > 0) s->what |= SM_DESCR_ROLLOFF;
    if (t->w[SM_D_RICHNESS] > 0) s->what |= SM_DESCR_BANDWIDTH;
    if (t->w[SM_D_NOISINESS] > 0) s->what |= SM_DESCR_FLATNESS;
    if (t->w[SM_D_PITCH] > 0) s->what |= SM_DESCR_F0;
    for (k = 0; k < SM_D_COUNT; k++) traj |= t->w_traj[k] > 0;
    if (traj) {
        s->traj = malloc(frames * SM_D_COUNT * sizeof *s->traj);
        s->weight = malloc(frames * sizeof *s->weight);
        if (!s->traj || !s->weight) goto nomem;
    }
    return s;
nomem:
    sm_error_set(err, SM_ERR_NOMEM, "out of memory making descriptor scratch");
fail:
    sm_dterm_free(s);
    return NULL;
}

/* The smooth pitch error of the file comment. */
static double pitch_error(const sm_descr_means *t, const sm_descr_means *c, double scale)
{
    if (isnan(t->cmp[SM_D_PITCH])) return 2.0 * fmax(0.0, c->voiced - 0.4);
    return (isnan(c->voiced_pitch) ? 1.0 : fabs(t->cmp[SM_D_PITCH] - c->voiced_pitch) / scale) +
           2.0 * fmax(0.0, 0.6 - c->voiced);
}

/* T_d of the file comment. */
static double trajectory_error(const sm_dterm *s, int k)
{
    const sm_dterm_target *t = s->t;
    double num = 0.0, den = 0.0;
    size_t f;
    for (f = 0; f < t->frames; f++) {
        const double u = fmax(t->weight[f], s->weight[f]);
        const double a = t->traj[f * SM_D_COUNT + k], b = s->traj[f * SM_D_COUNT + k];
        double e;
        if (!(u > 0)) continue;
        if (k == SM_D_PITCH && (isnan(a) || isnan(b))) e = isnan(a) && isnan(b) ? 0.0 : 1.0;
        else e = fabs(a - b) / t->cfg.descr_scale[k];
        num += u * e;
        den += u;
    }
    return den > 0 ? num / den : 0.0;
}

double sm_dterm_eval(sm_dterm *s, const float *x, size_t n_use)
{
    const sm_dterm_target *t;
    sm_descr_means m;
    double cost = 0.0;
    int k;
    if (!s || !x) return NAN;
    t = s->t;
    if (sm_descr_compute_len(s->plan, x, n_use, t->n, &s->d, s->what) != 0) return NAN;
    if (sm_descr_pool(&s->d, &m, s->traj, s->weight, NULL) != 0) {
        /* silence: every descriptor as far off as the pitch rule's worst, 2 spreads */
        for (k = 0; k < SM_D_COUNT; k++) cost += 4.0 * (t->w[k] + t->w_traj[k]);
        return sqrt(cost);
    }
    for (k = 0; k < SM_D_COUNT; k++) {
        double e;
        if (!(t->w[k] > 0)) continue;
        e = k == SM_D_PITCH ? pitch_error(&t->means, &m, t->cfg.descr_scale[k])
                            : fabs(t->means.cmp[k] - m.cmp[k]) / t->cfg.descr_scale[k];
        cost += t->w[k] * e * e;
        if (t->w_traj[k] > 0 && t->frames == s->d.n_frames) {
            e = trajectory_error(s, k);
            cost += t->w_traj[k] * e * e;
        }
    }
    return sqrt(cost);
}
