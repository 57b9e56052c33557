/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/lbfgs.c: quasi-Newton descent with GSL's vector BFGS (gsl_multimin_fdfminimizer_
 * vector_bfgs2: Fletcher's BFGS with his bracketing and sectioning line search, GSL
 * reference manual, "Multidimensional Minimization"), behind the ask/tell interface.
 *
 * GSL's minimizer calls its objective itself, from inside gsl_multimin_fdfminimizer_iterate;
 * ask/tell wants the opposite (the caller scores the points). The two meet through a
 * coroutine: GSL runs in a thread of its own, and its objective callback posts the point it
 * needs and sleeps until the caller has scored it. Only one side runs at a time (a strict
 * hand-over under one mutex), so the run is as deterministic as any other optimizer's, and
 * GSL's state never needs to be copied or replayed.
 *
 * Gradients: with exact gradients (cfg->exact_grad, tell_grad) each point GSL asks is one
 * evaluation. Without them each point is asked with its central-difference stencil (x, then
 * x +- h e_j for each continuous j, one batch of 2 dc + 1 points, cut at the bounds as gd
 * does).
 *
 * Bounds: BFGS is unconstrained. It works on y in R^dc and the point scored is y folded into
 * [0,1] (mirrored at 0 and 1, a triangle wave), whose slope is +-1, so the gradient with
 * respect to y is the gradient with respect to x with the sign of the fold. Discrete
 * parameters (and ordinal integers, which have no exact derivative) stay at the start
 * point's values, but for relaxed ones (core/params.h) with exact gradients, which are
 * descended as continuous (the objective scores their rounded point). The start is cfg->x0,
 * else cfg->starts[0], else the centre.
 *
 * Restarts: when GSL reports no progress (GSL_ENOPROG), an error, or the gradient's norm
 * falls below `gtol`, BFGS restarts from the best point seen, perturbed by a Gaussian of
 * standard deviation `perturb` on every continuous coordinate, with the first step and the
 * perturbation multiplied by `decay` after each run that improved the best point. */
#include "search/optimizer.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/rng.h"
#include "search/batch.h"
#include "search/gsl_errors.h"

/* Restarts in a row without a single request to the caller after which the thread gives
 * up (GSL failing at once every time: the optimizer has converged). */
#define LB_IDLE_RESTARTS 100

typedef struct {
    const sm_param_space *s;
    size_t d, dc;
    size_t *cidx;
    double *x0;             /* d values: the start, discrete ones snapped */
    sm_rng rng;
    size_t budget, planned;
    double step0, tol, gtol, perturb0, decay, h;
    int exact;
    /* the request GSL's thread posts */
    double *req_x;          /* d values in [0,1] */
    double *req_sign;       /* dc signs of the fold */
    double req_f, *req_g;   /* the answer: cost and dc gradient components (in y) */
    double *best_x, best;
    sm_pending q;
    int partial;            /* the current batch was cut by the budget: no gradient */
    /* the hand-over */
    pthread_t th;
    int th_started;
    int sync_made;          /* mu and cv are initialised */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int turn;               /* 0: GSL's thread runs; 1: a request waits for the caller */
    int quit;               /* the caller is done: the thread ends at its next request */
    int finished;           /* the thread has ended (nothing more will be asked) */
    /* the last answered point, for GSL calling f and df at the same point */
    double *last_y, last_f, *last_g;
    int have_last;
    size_t answers;         /* requests answered (GSL's side only) */
    gsl_multimin_fdfminimizer *m;
    gsl_vector *y;
} lb_state;

static const char *const lb_keys[] = {"step", "tol",   "gtol",     "perturb",
                                      "decay", "h", "gradient", NULL};
static const char *const lb_help[] = {
    "step: length of BFGS's first trial step, in [0,1] units (0.02)",
    "tol: line search accuracy, GSL's tol (0.1)",
    "gtol: restart when the gradient's norm falls below this (1e-6)",
    "perturb: standard deviation of the restart perturbation, in [0,1] units (0.05)",
    "decay: factor applied to step and perturb at each restart (0.5)",
    "h: finite-difference step when there are no exact gradients, in [0,1] units (1e-3)",
    "gradient: exact (exact gradients where the synth and cost have them) or differences "
    "(always finite differences) (exact)",
    NULL};

static double fold01(double y, double *sign)
{
    double a = fabs(y), t = fmod(a, 2.0);
    *sign = (y >= 0 ? 1.0 : -1.0) * (t <= 1.0 ? 1.0 : -1.0);
    return t <= 1.0 ? t : 2.0 - t;
}

/* ---- the GSL side ------------------------------------------------------------------------ */

/* Posts point y and sleeps until the caller has scored it; once the caller has quit, answers
 * NaN at once. */
static void request(lb_state *st, const gsl_vector *y)
{
    size_t j;
    if (st->have_last) {
        for (j = 0; j < st->dc; j++)
            if (gsl_vector_get(y, j) != st->last_y[j]) break;
        if (j == st->dc) return; /* the same point again: the answer stands */
    }
    pthread_mutex_lock(&st->mu);
    memcpy(st->req_x, st->x0, st->d * sizeof *st->req_x);
    for (j = 0; j < st->dc; j++)
        st->req_x[st->cidx[j]] = fold01(gsl_vector_get(y, j), &st->req_sign[j]);
    st->turn = 1;
    pthread_cond_broadcast(&st->cv);
    while (st->turn == 1 && !st->quit) pthread_cond_wait(&st->cv, &st->mu);
    if (st->quit) { /* NaN makes GSL's iterate return at once; the thread then ends */
        pthread_mutex_unlock(&st->mu);
        st->have_last = 0;
        st->last_f = NAN;
        for (j = 0; j < st->dc; j++) st->last_g[j] = NAN;
        return;
    }
    pthread_mutex_unlock(&st->mu);
    st->answers++;
    for (j = 0; j < st->dc; j++) st->last_y[j] = gsl_vector_get(y, j);
    st->last_f = st->req_f;
    memcpy(st->last_g, st->req_g, st->dc * sizeof *st->last_g);
    st->have_last = 1;
}

static double lb_f(const gsl_vector *y, void *p)
{
    lb_state *st = p;
    request(st, y);
    return st->last_f;
}

static void lb_df(const gsl_vector *y, void *p, gsl_vector *g)
{
    lb_state *st = p;
    size_t j;
    request(st, y);
    for (j = 0; j < st->dc; j++) gsl_vector_set(g, j, st->last_g[j]);
}

static void lb_fdf(const gsl_vector *y, void *p, double *f, gsl_vector *g)
{
    lb_state *st = p;
    size_t j;
    request(st, y);
    *f = st->last_f;
    for (j = 0; j < st->dc; j++) gsl_vector_set(g, j, st->last_g[j]);
}

static int quitting(lb_state *st)
{
    int q;
    pthread_mutex_lock(&st->mu);
    q = st->quit;
    pthread_mutex_unlock(&st->mu);
    return q;
}

/* The thread: BFGS runs, restarting from the best point seen, until the caller quits. */
static void *lb_thread(void *p)
{
    lb_state *st = p;
    gsl_multimin_function_fdf fdf;
    gsl_multimin_fdfminimizer *m = st->m;
    gsl_vector *y = st->y;
    double step = st->step0, perturb = st->perturb0;
    size_t j;
    int idle = 0;
    fdf.n = st->dc;
    fdf.f = lb_f;
    fdf.df = lb_df;
    fdf.fdf = lb_fdf;
    fdf.params = st;
    for (j = 0; j < st->dc; j++) gsl_vector_set(y, j, st->x0[st->cidx[j]]);
    while (idle < LB_IDLE_RESTARTS && !quitting(st)) {
        const size_t before = st->answers;
        double best_before;
        int status;
        pthread_mutex_lock(&st->mu);
        best_before = st->best;
        pthread_mutex_unlock(&st->mu);
        if (gsl_multimin_fdfminimizer_set(m, &fdf, y, step, st->tol) == GSL_SUCCESS) {
            do {
                if (quitting(st)) break;
                status = gsl_multimin_fdfminimizer_iterate(m);
                if (status != GSL_SUCCESS) break;
                status = gsl_multimin_test_gradient(m->gradient, st->gtol);
            } while (status == GSL_CONTINUE);
        }
        idle = st->answers > before + 1 ? 0 : idle + 1;
        /* restart from the best point seen (read under the lock: the caller writes it); a
         * run that found nothing better (a flat start: the neuron voice is silent where
         * every mix is 0, and a silent candidate's cost has no gradient) restarts with the
         * same step and perturbation instead of smaller ones */
        pthread_mutex_lock(&st->mu);
        if (st->best < best_before) {
            step *= st->decay;
            perturb *= st->decay;
            if (step < st->step0 * 1e-4) step = st->step0 * 1e-4;
            if (perturb < st->perturb0 * 1e-4) perturb = st->perturb0 * 1e-4;
        }
        for (j = 0; j < st->dc; j++)
            gsl_vector_set(y, j, sm_reflect01(st->best_x[st->cidx[j]] +
                                              perturb * sm_rng_normal(&st->rng)));
        pthread_mutex_unlock(&st->mu);
    }
    pthread_mutex_lock(&st->mu);
    st->finished = 1;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

/* ---- the ask/tell side ------------------------------------------------------------------- */

static void lb_free(void *p)
{
    lb_state *st = p;
    if (!st) return;
    if (st->th_started) {
        pthread_mutex_lock(&st->mu);
        st->quit = 1;
        pthread_cond_broadcast(&st->cv);
        pthread_mutex_unlock(&st->mu);
        pthread_join(st->th, NULL);
    }
    if (st->sync_made) {
        pthread_mutex_destroy(&st->mu);
        pthread_cond_destroy(&st->cv);
    }
    free(st->cidx);
    free(st->x0);
    free(st->req_x);
    free(st->req_sign);
    free(st->req_g);
    free(st->best_x);
    free(st->last_y);
    free(st->last_g);
    if (st->m) gsl_multimin_fdfminimizer_free(st->m);
    if (st->y) gsl_vector_free(st->y);
    sm_pending_free(&st->q);
    free(st);
}

static void *lb_alloc(const sm_param_space *s, const sm_opt_config *cfg, uint64_t seed,
                      sm_error *err)
{
    lb_state *st;
    size_t i, d;
    if (!s || !cfg || s->n == 0) {
        sm_error_set(err, SM_ERR_ARG, "lbfgs: empty parameter space");
        return NULL;
    }
    sm_gsl_quiet();
    st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    st->sync_made = 1;
    if (sm_opt_check_keys(cfg, lb_keys, "lbfgs", err) != 0 ||
        sm_opt_get_double(cfg, "step", 0.02, 1e-9, 1, &st->step0, err) != 0 ||
        sm_opt_get_double(cfg, "tol", 0.1, 1e-6, 0.99, &st->tol, err) != 0 ||
        sm_opt_get_double(cfg, "gtol", 1e-6, 0, 1e6, &st->gtol, err) != 0 ||
        sm_opt_get_double(cfg, "perturb", 0.05, 0, 1, &st->perturb0, err) != 0 ||
        sm_opt_get_double(cfg, "decay", 0.5, 1e-6, 1, &st->decay, err) != 0 ||
        sm_opt_get_double(cfg, "h", 1e-3, 1e-12, 0.25, &st->h, err) != 0) {
        lb_free(st);
        return NULL;
    }
    d = s->n;
    st->s = s;
    st->d = d;
    st->budget = cfg->budget;
    {
        const int gm = sm_opt_gradient_setting(cfg, "lbfgs", err);
        if (gm < 0) {
            lb_free(st);
            return NULL;
        }
        st->exact = cfg->exact_grad != 0 && gm == 1;
    }
    st->best = INFINITY;
    sm_rng_init(&st->rng, seed, 17);
    st->cidx = malloc(d * sizeof *st->cidx);
    st->x0 = malloc(d * sizeof *st->x0);
    st->req_x = malloc(d * sizeof *st->req_x);
    st->req_sign = malloc(d * sizeof *st->req_sign);
    st->req_g = calloc(d, sizeof *st->req_g);
    st->best_x = malloc(d * sizeof *st->best_x);
    st->last_y = calloc(d, sizeof *st->last_y);
    st->last_g = calloc(d, sizeof *st->last_g);
    if (!st->cidx || !st->x0 || !st->req_x || !st->req_sign || !st->req_g || !st->best_x ||
        !st->last_y || !st->last_g)
        goto nomem;
    for (i = 0; i < d; i++) {
        st->x0[i] = cfg->x0                           ? sm_clamp01(cfg->x0[i])
                    : cfg->starts && cfg->n_starts > 0 ? sm_clamp01(cfg->starts[i])
                                                       : 0.5;
        if (sm_param_descended(&s->p[i], st->exact)) st->cidx[st->dc++] = i;
    }
    sm_snap_discrete(s, st->x0);
    memcpy(st->best_x, st->x0, d * sizeof *st->x0);
    if (sm_pending_init(&st->q, d, st->exact ? 1 : 2 * st->dc + 1) != 0) goto nomem;
    if (st->dc == 0) {
        st->finished = 1; /* nothing to descend on: the start is asked once */
        memcpy(st->req_x, st->x0, d * sizeof *st->x0);
        st->turn = 1;
        return st;
    }
    st->m = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, st->dc);
    st->y = gsl_vector_alloc(st->dc);
    if (!st->m || !st->y) goto nomem;
    if (pthread_create(&st->th, NULL, lb_thread, st) != 0) {
        lb_free(st);
        sm_error_set(err, SM_ERR_NOMEM, "lbfgs: cannot start a thread");
        return NULL;
    }
    st->th_started = 1;
    return st;
nomem:
    lb_free(st);
    sm_error_set(err, SM_ERR_NOMEM, "lbfgs: out of memory");
    return NULL;
}

/* Waits for GSL's next request; 0 if the thread has ended. */
static int wait_request(lb_state *st)
{
    int ok;
    if (!st->th_started) return st->turn == 1;
    pthread_mutex_lock(&st->mu);
    while (st->turn == 0 && !st->finished) pthread_cond_wait(&st->cv, &st->mu);
    ok = st->turn == 1;
    pthread_mutex_unlock(&st->mu);
    return ok;
}

static size_t lb_ask(void *p, double *x, size_t max_batch)
{
    lb_state *st = p;
    if (!sm_pending_has_rows(&st->q)) {
        size_t left = st->budget - st->planned, full = st->exact ? 1 : 2 * st->dc + 1;
        size_t n = 0, j, max;
        if (left == 0 || !wait_request(st)) return 0;
        max = left < full ? left : full;
        memcpy(sm_pending_row(&st->q, n++), st->req_x, st->d * sizeof *st->req_x);
        for (j = 0; j < st->dc && n < max && !st->exact; j++) {
            const size_t i = st->cidx[j];
            double *r = sm_pending_row(&st->q, n++);
            memcpy(r, st->req_x, st->d * sizeof *r);
            r[i] = sm_clamp01(st->req_x[i] + st->h);
            if (n == max) break;
            r = sm_pending_row(&st->q, n++);
            memcpy(r, st->req_x, st->d * sizeof *r);
            r[i] = sm_clamp01(st->req_x[i] - st->h);
        }
        st->partial = n < full;
        sm_pending_start(&st->q, n);
        st->planned += n;
    }
    return sm_pending_ask(&st->q, x, max_batch);
}

/* The batch is complete: records the best point, answers GSL (cost and gradient in y,
 * grad holding d cost / d x, d values) and lets its thread run to its next request. */
static void answer(lb_state *st, const double *grad)
{
    size_t r, j;
    pthread_mutex_lock(&st->mu);
    for (r = 0; r < st->q.n; r++)
        if (st->q.cost[r] < st->best) {
            st->best = st->q.cost[r];
            memcpy(st->best_x, sm_pending_row(&st->q, r), st->d * sizeof *st->best_x);
        }
    st->req_f = st->q.cost[0];
    for (j = 0; j < st->dc; j++) {
        double g = 0;
        if (grad) {
            g = grad[st->cidx[j]];
        } else if (!st->partial) {
            const size_t i = st->cidx[j];
            const double *xp = sm_pending_row(&st->q, 1 + 2 * j);
            const double *xm = sm_pending_row(&st->q, 2 + 2 * j);
            const double span = xp[i] - xm[i];
            g = span > 0 ? (st->q.cost[1 + 2 * j] - st->q.cost[2 + 2 * j]) / span : 0;
        }
        st->req_g[j] = (isfinite(g) ? g : 0.0) * st->req_sign[j];
    }
    if (!st->th_started) st->finished = 1;
    st->turn = 0;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

static void lb_tell(void *p, const double *x, const double *cost, size_t k)
{
    lb_state *st = p;
    (void)x;
    if (!sm_pending_tell(&st->q, cost, k)) return;
    answer(st, NULL);
}

static void lb_tell_grad(void *p, const double *x, const double *cost, const double *grad,
                         size_t k)
{
    lb_state *st = p;
    (void)x;
    if (!sm_pending_tell(&st->q, cost, k)) return;
    answer(st, st->exact ? grad + (k - 1) * st->d : NULL);
}

static int lb_converged(const void *p)
{
    const lb_state *st = p;
    int done;
    if (sm_pending_has_rows(&st->q)) return 0;
    if (st->planned >= st->budget) return 1;
    if (!st->th_started) return st->finished;
    pthread_mutex_lock((pthread_mutex_t *)&st->mu);
    done = st->finished && st->turn == 0;
    pthread_mutex_unlock((pthread_mutex_t *)&st->mu);
    return done;
}

const sm_optimizer_type sm_optimizer_lbfgs = {
    "lbfgs",
    "quasi-Newton descent, GSL's vector BFGS with exact gradients where the synth and cost "
    "have them, else finite differences",
    lb_keys,
    lb_help,
    lb_alloc,
    lb_ask,
    lb_tell,
    lb_converged,
    lb_free,
    NULL, /* no side data */
    lb_tell_grad,
};
