/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/memetic.c: a memetic algorithm: a genetic algorithm whose every child is refined by a
 * few gradient steps before selection (Moscato 1989; the Lamarckian form, where the refined
 * point replaces the child, as surveyed by Krasnogor and Smith, IEEE TEC 2005).
 *
 * A generation is:
 *   1. the children are scored (generation 0: x0, then the start points, then uniform random
 *      points, `popsize` in all);
 *   2. `steps` times, every child proposes one normalised gradient step on its continuous
 *      parameters, x - step * g / rms(g), reflected into [0,1]; the proposals are scored as one
 *      batch; a child keeps its proposal when it is lower (and its step grows by 1.2, at most
 *      0.25) and otherwise stays (its step halves);
 *   3. (mu + lambda) selection: the best `popsize` of the parents and the refined children;
 *   4. new children: two binary tournaments choose the parents; continuous genes are blended
 *      (BLX-0.25: a uniform point on the segment between the parents' values, widened by a
 *      quarter on each side), discrete genes are taken from either parent; each gene then
 *      mutates with probability 1/d (continuous: a Gaussian of sd `sigma`; discrete: a
 *      uniformly drawn bin).
 * Every point scored with its gradient counts as one evaluation, so a generation costs
 * popsize * (1 + steps) evaluations. Batches are formed before they are handed out, so the
 * points asked do not depend on the caller's batch size or thread count.
 *
 * The gradients come through the type's tell_grad when the caller has exact gradients
 * (cfg->exact_grad; search/optimizer.h). Without them (plain tell) there is nothing to step on,
 * and the algorithm is the genetic algorithm of steps 1, 3 and 4 alone. */
#include "search/optimizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/rng.h"
#include "search/batch.h"

typedef struct {
    const sm_param_space *s;
    size_t d, budget, planned;
    long popsize, steps;
    double lr, sigma;
    int exact;
    sm_rng rng;
    double *pop, *pop_cost;        /* popsize rows, sorted by cost after each selection */
    double *kid, *kid_cost, *kid_grad, *kid_step;
    double *bgrad;                 /* the current batch's gradients, as they come in */
    double *pool, *pool_cost;      /* 2 * popsize rows for the selection */
    size_t *order;
    size_t n_pop;                  /* parents so far (0 before the first selection) */
    size_t n_batch;                /* rows of the current batch (children or proposals) */
    long phase;                    /* 0: scoring the children; 1..steps: a refinement step */
    sm_pending q;
} memetic_state;

static const char *const memetic_keys[] = {"popsize", "steps", "lr", "sigma", NULL};
static const char *const memetic_help[] = {
    "popsize: individuals per generation (12)",
    "steps: gradient steps that refine each child before selection (4)",
    "lr: first length of a child's gradient step, in [0,1] units (0.02)",
    "sigma: standard deviation of a continuous mutation, in [0,1] units (0.1)",
    NULL};

static void memetic_free(void *p)
{
    memetic_state *st = p;
    if (!st) return;
    free(st->pop);
    free(st->pop_cost);
    free(st->kid);
    free(st->kid_cost);
    free(st->kid_grad);
    free(st->kid_step);
    free(st->bgrad);
    free(st->pool);
    free(st->pool_cost);
    free(st->order);
    sm_pending_free(&st->q);
    free(st);
}

static void *memetic_alloc(const sm_param_space *s, const sm_opt_config *cfg, uint64_t seed,
                           sm_error *err)
{
    memetic_state *st;
    double *starts = NULL;
    size_t n_starts = 0, i, j, P;
    if (!s || !cfg || s->n == 0) {
        sm_error_set(err, SM_ERR_ARG, "memetic: empty parameter space");
        return NULL;
    }
    st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->s = s;
    st->d = s->n;
    st->budget = cfg->budget;
    st->exact = cfg->exact_grad;
    if (sm_opt_check_keys(cfg, memetic_keys, "memetic", err) != 0 ||
        sm_opt_get_long(cfg, "popsize", 12, 2, 100000, &st->popsize, err) != 0 ||
        sm_opt_get_long(cfg, "steps", 4, 0, 1000, &st->steps, err) != 0 ||
        sm_opt_get_double(cfg, "lr", 0.02, 1e-6, 1, &st->lr, err) != 0 ||
        sm_opt_get_double(cfg, "sigma", 0.1, 0, 1, &st->sigma, err) != 0) {
        memetic_free(st);
        return NULL;
    }
    if (!st->exact) st->steps = 0; /* no gradients to step on: a plain genetic algorithm */
    P = (size_t)st->popsize;
    sm_rng_init(&st->rng, seed, 0x3e3e);
    st->pop = malloc(P * st->d * sizeof *st->pop);
    st->pop_cost = malloc(P * sizeof *st->pop_cost);
    st->kid = malloc(P * st->d * sizeof *st->kid);
    st->kid_cost = malloc(P * sizeof *st->kid_cost);
    st->kid_grad = calloc(P * st->d, sizeof *st->kid_grad);
    st->kid_step = malloc(P * sizeof *st->kid_step);
    st->bgrad = calloc(P * st->d, sizeof *st->bgrad);
    st->pool = malloc(2 * P * st->d * sizeof *st->pool);
    st->pool_cost = malloc(2 * P * sizeof *st->pool_cost);
    st->order = malloc(2 * P * sizeof *st->order);
    if (!st->pop || !st->pop_cost || !st->kid || !st->kid_cost || !st->kid_grad ||
        !st->kid_step || !st->bgrad || !st->pool || !st->pool_cost || !st->order ||
        sm_pending_init(&st->q, st->d, P) != 0 ||
        sm_start_rows(s, cfg->x0, cfg->starts, cfg->n_starts, 1, &starts, &n_starts) != 0)
        goto nomem;
    /* generation 0: x0 and the starts first, then random points */
    for (i = 0; i < P; i++) {
        double *r = st->kid + i * st->d;
        if (i < n_starts) {
            memcpy(r, starts + i * st->d, st->d * sizeof *r);
            continue;
        }
        for (j = 0; j < st->d; j++)
            r[j] = sm_param_is_discrete(&s->p[j]) ? sm_random_bin(&s->p[j], &st->rng)
                                                  : sm_rng_uniform(&st->rng);
    }
    free(starts);
    return st;
nomem:
    free(starts);
    memetic_free(st);
    sm_error_set(err, SM_ERR_NOMEM, "memetic: out of memory");
    return NULL;
}

/* Writes the rows of the next batch (the children, or each child's gradient step) into the
 * queue; returns how many fit in what is left of the budget. */
static size_t write_batch(memetic_state *st, size_t left)
{
    const size_t P = (size_t)st->popsize, d = st->d;
    size_t n = P < left ? P : left, i, j;
    for (i = 0; i < n; i++) {
        double *r = sm_pending_row(&st->q, i);
        const double *x = st->kid + i * d, *g = st->kid_grad + i * d;
        double ss = 0;
        size_t nc = 0;
        memcpy(r, x, d * sizeof *r);
        if (st->phase == 0) continue;
        for (j = 0; j < d; j++)
            if (sm_param_descended(&st->s->p[j], 1) && isfinite(g[j])) {
                ss += g[j] * g[j];
                nc++;
            }
        if (nc == 0 || !(ss > 0)) continue;   /* flat: the child asks itself again */
        ss = sqrt(ss / (double)nc);
        for (j = 0; j < d; j++)
            if (sm_param_descended(&st->s->p[j], 1) && isfinite(g[j]))
                r[j] = sm_reflect01(x[j] - st->kid_step[i] * g[j] / ss);
    }
    return n;
}

static size_t memetic_ask(void *p, double *x, size_t max_batch)
{
    memetic_state *st = p;
    if (!sm_pending_has_rows(&st->q)) {
        size_t left = st->budget - st->planned;
        if (left == 0) return 0;
        st->n_batch = write_batch(st, left);
        sm_pending_start(&st->q, st->n_batch);
        st->planned += st->n_batch;
    }
    return sm_pending_ask(&st->q, x, max_batch);
}

/* One binary tournament among the parents: the index of the lower of two drawn. */
static size_t tournament(memetic_state *st)
{
    size_t a = sm_rng_below(&st->rng, st->n_pop), b = sm_rng_below(&st->rng, st->n_pop);
    return st->pop_cost[b] < st->pop_cost[a] ? b : a;
}

/* (mu + lambda) selection of parents and refined children, then the next children. */
static void next_generation(memetic_state *st)
{
    const size_t P = (size_t)st->popsize, d = st->d;
    size_t n = 0, i, j;
    for (i = 0; i < st->n_pop; i++, n++) {
        memcpy(st->pool + n * d, st->pop + i * d, d * sizeof *st->pool);
        st->pool_cost[n] = st->pop_cost[i];
    }
    for (i = 0; i < P; i++, n++) {
        memcpy(st->pool + n * d, st->kid + i * d, d * sizeof *st->pool);
        st->pool_cost[n] = st->kid_cost[i];
    }
    for (i = 0; i < n; i++) st->order[i] = i;
    qsort_r(st->order, n, sizeof *st->order, sm_cmp_index_by_cost, st->pool_cost);
    st->n_pop = n < P ? n : P;
    for (i = 0; i < st->n_pop; i++) {
        memcpy(st->pop + i * d, st->pool + st->order[i] * d, d * sizeof *st->pop);
        st->pop_cost[i] = st->pool_cost[st->order[i]];
    }
    for (i = 0; i < P; i++) {
        const double *a = st->pop + tournament(st) * d, *b = st->pop + tournament(st) * d;
        double *c = st->kid + i * d;
        for (j = 0; j < d; j++) {
            const sm_param *pj = &st->s->p[j];
            if (sm_param_is_discrete(pj)) {
                c[j] = sm_rng_uniform(&st->rng) < 0.5 ? a[j] : b[j];
                if (sm_rng_uniform(&st->rng) * (double)d < 1) c[j] = sm_random_bin(pj, &st->rng);
            } else {
                double u = -0.25 + 1.5 * sm_rng_uniform(&st->rng);
                c[j] = a[j] + u * (b[j] - a[j]);
                if (sm_rng_uniform(&st->rng) * (double)d < 1)
                    c[j] += st->sigma * sm_rng_normal(&st->rng);
                c[j] = sm_reflect01(c[j]);
            }
        }
    }
}

/* The whole batch is scored: children take their costs (and gradients), or keep or drop
 * their proposed steps; after the last step, selection and the next children. */
static void on_batch(memetic_state *st)
{
    const size_t d = st->d, P = (size_t)st->popsize;
    size_t i;
    for (i = 0; i < st->n_batch; i++) {
        const double c = st->q.cost[i];
        if (st->phase == 0) {
            st->kid_cost[i] = c;
            st->kid_step[i] = st->lr;
            memcpy(st->kid_grad + i * d, st->bgrad + i * d, d * sizeof *st->kid_grad);
        } else if (c < st->kid_cost[i]) {
            memcpy(st->kid + i * d, sm_pending_row(&st->q, i), d * sizeof *st->kid);
            st->kid_cost[i] = c;
            memcpy(st->kid_grad + i * d, st->bgrad + i * d, d * sizeof *st->kid_grad);
            st->kid_step[i] = st->kid_step[i] * 1.2 < 0.25 ? st->kid_step[i] * 1.2 : 0.25;
        } else {
            st->kid_step[i] *= 0.5;
        }
    }
    /* children the budget left unscored lose every comparison */
    if (st->phase == 0)
        for (i = st->n_batch; i < P; i++) st->kid_cost[i] = INFINITY;
    if (st->phase < st->steps) {
        st->phase++;
        return;
    }
    st->phase = 0;
    next_generation(st);
}

static void memetic_tell(void *p, const double *x, const double *cost, size_t k)
{
    memetic_state *st = p;
    (void)x;
    /* no gradients: zeros, so no step is ever proposed (steps is 0 without exact gradients) */
    memset(st->bgrad + st->q.told * st->d, 0,
           (k < st->n_batch - st->q.told ? k : st->n_batch - st->q.told) * st->d *
               sizeof *st->bgrad);
    if (sm_pending_tell(&st->q, cost, k)) on_batch(st);
}

/* tell with exact gradients: k rows of d values, d cost / d x; a non-finite one counts as 0. */
static void memetic_tell_grad(void *p, const double *x, const double *cost, const double *grad,
                              size_t k)
{
    memetic_state *st = p;
    size_t i, j;
    (void)x;
    for (i = 0; i < k && st->q.told + i < st->n_batch; i++)
        for (j = 0; j < st->d; j++) {
            const double g = grad[i * st->d + j];
            st->bgrad[(st->q.told + i) * st->d + j] = isfinite(g) ? g : 0.0;
        }
    if (sm_pending_tell(&st->q, cost, k)) on_batch(st);
}

static int memetic_converged(const void *p)
{
    const memetic_state *st = p;
    return st->planned >= st->budget && !sm_pending_has_rows(&st->q);
}

const sm_optimizer_type sm_optimizer_memetic = {
    "memetic",
    "a genetic algorithm whose children each take a few exact-gradient steps before selection "
    "(a plain GA without exact gradients)",
    memetic_keys,
    memetic_help,
    memetic_alloc,
    memetic_ask,
    memetic_tell,
    memetic_converged,
    memetic_free,
    NULL, /* no side data */
    memetic_tell_grad,
};
