/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/gd.c: gradient descent, by exact gradients or finite differences, with Adam steps,
 * bounds and restarts.
 *
 * Each iteration asks the current point x and its central-difference stencil as ONE batch of
 * 2*dc + 1 points (dc = continuous parameters): x, then x + h e_j and x - h e_j for each
 * continuous j, so the stencil is scored in parallel. Scoring x itself costs one point in
 * 2*dc + 1 but means every iterate is scored: without it the best point seen would always be
 * a stencil point, at least h away from where the descent actually is. Near a bound the stencil is cut at the
 * bound and the difference divided by the true spacing. The gradient then drives one Adam
 * step (Kingma and Ba 2015: moment estimates m and v with bias correction), and x is
 * projected back onto [0,1] (projected Adam).
 *
 * Enumerations, structural parameters (core/params.h: fm6's algorithm, whose numbers are not
 * ordered) and small integer parameters (fewer than SM_GD_ORDINAL_MIN values) stay fixed
 * during descent at the start point's value, snapped to its bin centre. Integer parameters
 * with many ordered values (a DX7 level 0-99, a coarse ratio 0-31) are ordinal: gd descends on
 * them like continuous ones, with a difference step of at least one bin, and every point it
 * asks is snapped to bin centres. Without this, a synth whose parameters are all integers
 * (fm6) would leave gd nothing to descend on. The start point is cfg->x0 if given, else
 * cfg->starts[0] (the best retrieved preset), else the centre of the space (0.5 everywhere):
 * a deterministic start, so pcakm, the runner's retrieval and users who pass x0 decide where
 * the descent begins. The other starts are not used (restarts perturb the best point).
 *
 * Progress is the best cost seen in any batch. When it has not improved (by more than a
 * relative 1e-12) for `patience` iterations the descent restarts from the best point seen,
 * perturbed by a Gaussian of standard deviation `perturb` on every continuous coordinate,
 * with fresh Adam moments; each restart multiplies the learning rate and the perturbation by
 * `decay` (down to 1e-4 of their first values), so later restarts refine.
 *
 * Exact gradients: when the caller can score points with their exact gradients (cfg->exact_grad,
 * the type's tell_grad; search/optimizer.h), each iteration asks x alone and the gradient
 * comes with its cost, so an iteration costs one evaluation instead of 2*dc + 1. The Adam
 * step, bounds, stalls and restarts are the same. Ordinal integer parameters have no exact
 * derivative (their gradient is 0), so they stay at their start values in this mode.
 * An iteration being 49 times cheaper on neuron_grad.ini's 24 parameters, the restart
 * defaults differ: patience 50 (not 10) and decay 0.8 (not 0.5). Measured on three of its
 * targets (saw_220, pluck_220, synth01; seeds 1, 2; 2000 evaluations), the mean final cost
 * went from 4.78, 8.90 and 7.80 with the finite-difference defaults to 3.70, 6.88 and 3.06
 * (patience 50 alone: 4.76, 7.18, 4.08; patience 100, lr 0.1, perturb 0.1: 4.71, 7.91, 3.56).
 *
 * Budget: when fewer than 2*dc + 1 evaluations remain, the last batch is x followed by as much
 * of its stencil as fits, so the budget is used exactly and the final iterate is scored.
 * With no continuous parameter at all the start point is asked once and gd has converged. */
#include "search/optimizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/rng.h"
#include "search/batch.h"

/* Integer parameters with at least this many values are descended as ordinal. */
#define SM_GD_ORDINAL_MIN 16

typedef struct {
    const sm_param_space *s;
    size_t d, dc;            /* parameters, continuous parameters */
    size_t *cidx;            /* dc indices of the continuous parameters */
    double *hstep;           /* dc difference steps: h, or one bin for ordinal integers */
    sm_rng rng;
    size_t budget, planned;
    double lr0, h, beta1, beta2, eps, perturb0, decay;
    long patience;
    double lr, perturb;      /* current values (shrink at each restart) */
    double *x, *m, *v;       /* x: d values; m, v: dc values (Adam's moments) */
    long t;                  /* Adam steps since the (re)start */
    double best;             /* best cost seen */
    double *best_x;
    long stall;              /* iterations without progress */
    long restarts;
    int final_batch;         /* the current batch is the last, partial one */
    int done;
    int exact;               /* gradients come with the costs (tell_grad): batches of 1 */
    double *g;               /* dc gradient components of the current step */
    sm_pending q;
} gd_state;

static const char *const gd_keys[] = {"lr", "h", "beta1", "beta2", "eps", "patience",
                                      "perturb", "decay", "gradient", NULL};
static const char *const gd_help[] = {
    "lr: Adam learning rate, in [0,1] units per step (0.05)",
    "h: finite-difference step, in [0,1] units (1e-3)",
    "beta1: Adam decay of the first moment (0.9)",
    "beta2: Adam decay of the second moment (0.999)",
    "eps: Adam's guard against division by zero (1e-8)",
    "patience: iterations without progress before a restart from the best point (10; 50 "
    "with exact gradients)",
    "perturb: standard deviation of the restart perturbation, in [0,1] units (0.05)",
    "decay: factor applied to lr and perturb at each restart (0.5; 0.8 with exact gradients)",
    "gradient: exact (exact gradients where the synth and cost have them) or differences "
    "(always finite differences) (exact)",
    NULL};

static void gd_free(void *p)
{
    gd_state *st = p;
    if (!st) return;
    free(st->cidx);
    free(st->hstep);
    free(st->x);
    free(st->m);
    free(st->v);
    free(st->best_x);
    free(st->g);
    sm_pending_free(&st->q);
    free(st);
}

static void *gd_alloc(const sm_param_space *s, const sm_opt_config *cfg, uint64_t seed,
                      sm_error *err)
{
    gd_state *st = NULL;
    size_t i, d;
    int exact;
    if (!s || !cfg || s->n == 0) {
        sm_error_set(err, SM_ERR_ARG, "gd: empty parameter space");
        return NULL;
    }
    exact = cfg->exact_grad != 0 && sm_opt_gradient_setting(cfg, "gd", NULL) == 1;
    st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    if (sm_opt_check_keys(cfg, gd_keys, "gd", err) != 0 ||
        sm_opt_get_double(cfg, "lr", 0.05, 1e-12, 1, &st->lr0, err) != 0 ||
        sm_opt_get_double(cfg, "h", 1e-3, 1e-12, 0.25, &st->h, err) != 0 ||
        sm_opt_get_double(cfg, "beta1", 0.9, 0, 0.999999, &st->beta1, err) != 0 ||
        sm_opt_get_double(cfg, "beta2", 0.999, 0, 0.99999999, &st->beta2, err) != 0 ||
        sm_opt_get_double(cfg, "eps", 1e-8, 1e-300, 1, &st->eps, err) != 0 ||
        sm_opt_get_long(cfg, "patience", exact ? 50 : 10, 1, 1000000, &st->patience, err) != 0 ||
        sm_opt_get_double(cfg, "perturb", 0.05, 0, 1, &st->perturb0, err) != 0 ||
        sm_opt_get_double(cfg, "decay", exact ? 0.8 : 0.5, 1e-6, 1, &st->decay, err) != 0) {
        gd_free(st);
        return NULL;
    }
    if (sm_opt_gradient_setting(cfg, "gd", err) < 0) {
        gd_free(st);
        return NULL;
    }
    d = s->n;
    st->s = s;
    st->d = d;
    st->budget = cfg->budget;
    sm_rng_init(&st->rng, seed, 3);
    st->cidx = malloc(d * sizeof *st->cidx);
    st->hstep = malloc(d * sizeof *st->hstep);
    st->x = malloc(d * sizeof *st->x);
    st->best_x = malloc(d * sizeof *st->best_x);
    st->m = calloc(d, sizeof *st->m);
    st->v = calloc(d, sizeof *st->v);
    st->g = calloc(d, sizeof *st->g);
    st->exact = exact;
    if (!st->cidx || !st->hstep || !st->x || !st->best_x || !st->m || !st->v || !st->g)
        goto nomem;
    for (i = 0; i < d; i++) {
        st->x[i] = cfg->x0                           ? sm_clamp01(cfg->x0[i])
                   : cfg->starts && cfg->n_starts > 0 ? sm_clamp01(cfg->starts[i])
                                                      : 0.5;
        if (!sm_param_is_discrete(&s->p[i])) {
            st->hstep[st->dc] = st->h;
            st->cidx[st->dc++] = i;
        } else if (s->p[i].kind == SM_PARAM_INT && !sm_param_is_structural(&s->p[i]) &&
                   s->p[i].max - s->p[i].min + 1 >= SM_GD_ORDINAL_MIN) {
            double bin = 1.0 / (s->p[i].max - s->p[i].min + 1);
            st->hstep[st->dc] = st->h > bin ? st->h : bin;
            st->cidx[st->dc++] = i;
        }
    }
    sm_snap_discrete(s, st->x);
    memcpy(st->best_x, st->x, d * sizeof *st->x);
    if (sm_pending_init(&st->q, d, st->exact ? 1 : 2 * st->dc + 1) != 0) goto nomem;
    st->best = INFINITY;
    st->lr = st->lr0;
    st->perturb = st->perturb0;
    return st;
nomem:
    gd_free(st);
    sm_error_set(err, SM_ERR_NOMEM, "gd: out of memory");
    return NULL;
}

/* Writes x and its stencil into the queue, at most max rows; returns how many. */
static size_t write_batch(gd_state *st, size_t max)
{
    size_t j, n = 0;
    memcpy(sm_pending_row(&st->q, n++), st->x, st->d * sizeof *st->x);
    for (j = 0; j < st->dc && n < max && !st->exact; j++) {
        size_t i = st->cidx[j];
        double *r = sm_pending_row(&st->q, n++);
        memcpy(r, st->x, st->d * sizeof *r);
        r[i] = sm_clamp01(st->x[i] + st->hstep[j]);
        if (n == max) break;
        r = sm_pending_row(&st->q, n++);
        memcpy(r, st->x, st->d * sizeof *r);
        r[i] = sm_clamp01(st->x[i] - st->hstep[j]);
    }
    /* discrete parameters are asked only at bin centres */
    for (j = 0; j < n; j++) sm_snap_discrete(st->s, sm_pending_row(&st->q, j));
    return n;
}

static size_t gd_ask(void *p, double *x, size_t max_batch)
{
    gd_state *st = p;
    if (!sm_pending_has_rows(&st->q)) {
        size_t left = st->budget - st->planned, full = st->exact ? 1 : 2 * st->dc + 1, n;
        if (st->done || left == 0) return 0;
        n = write_batch(st, left < full ? left : full);
        st->final_batch = n < full || st->dc == 0;
        sm_pending_start(&st->q, n);
        st->planned += n;
    }
    return sm_pending_ask(&st->q, x, max_batch);
}

static void restart(gd_state *st)
{
    size_t j;
    st->restarts++;
    st->lr *= st->decay;
    st->perturb *= st->decay;
    if (st->lr < st->lr0 * 1e-4) st->lr = st->lr0 * 1e-4;
    if (st->perturb < st->perturb0 * 1e-4) st->perturb = st->perturb0 * 1e-4;
    memcpy(st->x, st->best_x, st->d * sizeof *st->x);
    for (j = 0; j < st->dc; j++) {
        size_t i = st->cidx[j];
        st->x[i] = sm_reflect01(st->x[i] + st->perturb * sm_rng_normal(&st->rng));
        st->m[j] = st->v[j] = 0;
    }
    st->t = 0;
    st->stall = 0;
}

/* Records the batch's best point; returns 1 when the batch is complete and a step is due. */
static int take_batch(gd_state *st, const double *cost, size_t k, double *before)
{
    size_t r;
    *before = st->best;
    if (!sm_pending_tell(&st->q, cost, k)) return 0;
    for (r = 0; r < st->q.n; r++)
        if (st->q.cost[r] < st->best) {
            st->best = st->q.cost[r];
            memcpy(st->best_x, sm_pending_row(&st->q, r), st->d * sizeof *st->best_x);
        }
    if (st->final_batch) {
        st->done = 1;
        return 0;
    }
    return 1;
}

/* One projected Adam step along st->g, then the stall count and perhaps a restart. */
static void adam_step(gd_state *st, double before)
{
    size_t j;
    double b1t, b2t;
    st->t++;
    b1t = 1 - pow(st->beta1, (double)st->t);
    b2t = 1 - pow(st->beta2, (double)st->t);
    for (j = 0; j < st->dc; j++) {
        size_t i = st->cidx[j];
        const double g = st->g[j];
        st->m[j] = st->beta1 * st->m[j] + (1 - st->beta1) * g;
        st->v[j] = st->beta2 * st->v[j] + (1 - st->beta2) * g * g;
        st->x[i] = sm_clamp01(st->x[i] - st->lr * (st->m[j] / b1t) /
                                             (sqrt(st->v[j] / b2t) + st->eps));
    }
    if (!isfinite(before) || st->best < before - 1e-12 * fabs(before)) st->stall = 0;
    else if (++st->stall >= st->patience) restart(st);
}

static void gd_tell(void *p, const double *x, const double *cost, size_t k)
{
    gd_state *st = p;
    size_t j;
    double before;
    (void)x;
    if (!take_batch(st, cost, k, &before)) return;
    if (st->exact) { /* told no gradient: nothing to step on */
        if (++st->stall >= st->patience) restart(st);
        return;
    }
    /* the gradient from the stencil, then one projected Adam step */
    for (j = 0; j < st->dc; j++) {
        size_t i = st->cidx[j];
        const double *xp = sm_pending_row(&st->q, 1 + 2 * j);
        const double *xm = sm_pending_row(&st->q, 2 + 2 * j);
        double span = xp[i] - xm[i];
        st->g[j] = span > 0 ? (st->q.cost[1 + 2 * j] - st->q.cost[2 + 2 * j]) / span : 0;
    }
    adam_step(st, before);
}

/* tell with exact gradients (batches of one point, the current iterate). A gradient that is
 * not finite (a cost capped at SM_EVAL_WORST_COST) counts as 0. */
static void gd_tell_grad(void *p, const double *x, const double *cost, const double *grad,
                         size_t k)
{
    gd_state *st = p;
    size_t j;
    double before;
    if (!st->exact) { /* `gradient = differences`: the stencil's costs are what counts */
        gd_tell(p, x, cost, k);
        return;
    }
    if (!take_batch(st, cost, k, &before)) return;
    for (j = 0; j < st->dc; j++) {
        const double g = grad[(k - 1) * st->d + st->cidx[j]];
        st->g[j] = isfinite(g) ? g : 0.0;
    }
    adam_step(st, before);
}

static int gd_converged(const void *p)
{
    const gd_state *st = p;
    return st->done || (st->planned >= st->budget && !sm_pending_has_rows(&st->q));
}

const sm_optimizer_type sm_optimizer_gd = {
    "gd",
    "gradient descent (exact gradients where the synth and cost have them, else finite "
    "differences) with projected Adam steps and restarts",
    gd_keys,
    gd_help,
    gd_alloc,
    gd_ask,
    gd_tell,
    gd_converged,
    gd_free,
    NULL, /* no side data */
    gd_tell_grad,
};
