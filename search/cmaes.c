/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/cmaes.c: CMA-ES with restarts of increasing population (IPOP-CMA-ES).
 *
 * Follows N. Hansen, "The CMA Evolution Strategy: A Tutorial" (arXiv:1604.00772), with the
 * positive recombination weights of its Table 1 (the same as pycma's purecma.py):
 *   lambda = 4 + floor(3 ln n), mu = floor(lambda / 2),
 *   w_i ~ ln((lambda + 1) / 2) - ln i (i = 1..mu, normalized to sum 1),
 *   mu_eff = 1 / sum w_i^2,
 *   c_sigma = (mu_eff + 2) / (n + mu_eff + 5),
 *   d_sigma = 1 + 2 max(0, sqrt((mu_eff - 1) / (n + 1)) - 1) + c_sigma,
 *   c_c = (4 + mu_eff / n) / (n + 4 + 2 mu_eff / n),
 *   c_1 = 2 / ((n + 1.3)^2 + mu_eff),
 *   c_mu = min(1 - c_1, 2 (mu_eff - 2 + 1 / mu_eff) / ((n + 2)^2 + mu_eff)),
 *   E||N(0,I)|| ~ sqrt(n) (1 - 1 / (4n) + 1 / (21 n^2)),
 * and the tutorial's h_sigma stall of the rank-one path. The eigendecomposition C = B D^2 B^T
 * (GSL's gsl_eigen_symmv: deterministic and single-threaded, unlike a threaded LAPACK) is
 * refreshed lazily, when lambda / ((c_1 + c_mu) n 10) generations have passed (tutorial,
 * section B.2), so its cost is spread over many evaluations.
 *
 * Bounds: a sample outside [0,1]^n is redrawn (up to 100 times; then it is clamped), so every
 * sample the update sees is the point that was scored and the mean stays in the box.
 * Discrete parameters are snapped to their bin centres in the asked point; the update uses
 * the sample before snapping. sigma is kept below 1 / max(D) (a step of the box's size).
 *
 * A run stops (tutorial, B.3) when sigma * max(sqrt(C_ii), |p_c|) < tolx, when the best
 * costs of the last 10 + 30 n / lambda generations and the current generation's costs span
 * less than tolfun, when cond(C) > 1e14, or when a step of 0.1 sigma along a principal axis
 * or of 0.2 sigma sqrt(C_ii) along a coordinate no longer changes the mean. It then restarts
 * at a uniformly random mean with sigma0 and lambda doubled (IPOP, Auger and Hansen 2005),
 * at most max_doublings times; later restarts keep the largest lambda. With ipop = 0 a
 * stopped run reports convergence instead. The first mean is cfg->x0 if given, else the
 * centre of the box. A last generation cut short by the budget is scored but not used.
 *
 * Start points (cfg->starts, retrieved presets, best first): without x0 the first run's mean
 * is starts[0] with the smaller step start_sigma, since a preset is already near a good
 * sound; each restart then begins at the next start (cycling; with x0 the restarts begin at
 * starts[0]) with start_sigma instead of a random mean with sigma0. Populations double as
 * usual. Without starts nothing changes. */
#include "search/optimizer.h"
#include "search/gsl_errors.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/rng.h"
#include "search/batch.h"

#define CMA_RESAMPLE 100
#define CMA_MAX_COND 1e14

typedef struct {
    const sm_param_space *s;
    size_t n;
    sm_rng rng;
    size_t budget, planned;
    /* settings */
    long lambda0, max_doublings;
    double sigma0, start_sigma, tolx, tolfun;
    int ipop;
    double *starts;        /* n_starts rows (owned), or NULL */
    size_t n_starts, next_start;
    /* strategy constants of the current run */
    size_t lambda, mu;
    double *w, mueff, cs, ds, cc, c1, cmu, chin;
    /* dynamic state */
    double *mean, sigma, *C, *B, *D, *pc, *ps;
    double *xs;            /* lambda x n: the samples before snapping */
    double *y, *tmp, *mold;
    size_t *order;
    long gen, eigen_gen;   /* generations of this run; generation of the last decomposition */
    double *hist;          /* best cost of recent generations (ring) */
    size_t hist_len, hist_n, hist_pos;
    long restarts, doublings;
    int done;
    gsl_eigen_symmv_workspace *ews;
    gsl_matrix *em, *evec;
    gsl_vector *eval;
    sm_pending q;
} cma_state;

static const char *const cma_keys[] = {"popsize", "sigma0", "ipop", "max_doublings", "tolx",
                                       "tolfun", "start_sigma", NULL};
static const char *const cma_help[] = {
    "popsize: samples per generation of the first run (4 + floor(3 ln n))",
    "sigma0: first step size, in [0,1] units (0.3)",
    "ipop: 1 restarts a stopped run with a doubled population, 0 reports convergence (1)",
    "max_doublings: times the population may double over the restarts (9)",
    "tolx: a run stops when its steps are below this, in [0,1] units (1e-12)",
    "tolfun: a run stops when its recent costs span less than this (1e-12)",
    "start_sigma: step size of a run that begins at a start point (a preset), in [0,1] units "
    "(0.1)",
    NULL};

static void free_run(cma_state *st)
{
    free(st->w);
    free(st->xs);
    free(st->order);
    free(st->hist);
    st->w = st->xs = st->hist = NULL;
    st->order = NULL;
}

static void cma_free(void *p)
{
    cma_state *st = p;
    if (!st) return;
    free_run(st);
    free(st->starts);
    free(st->mean);
    free(st->C);
    free(st->B);
    free(st->D);
    free(st->pc);
    free(st->ps);
    free(st->y);
    free(st->tmp);
    free(st->mold);
    if (st->ews) gsl_eigen_symmv_free(st->ews);
    if (st->em) gsl_matrix_free(st->em);
    if (st->evec) gsl_matrix_free(st->evec);
    if (st->eval) gsl_vector_free(st->eval);
    sm_pending_free(&st->q);
    free(st);
}

/* Sets the constants and resets the distribution for a run of population lambda with mean
 * st->mean and step size sigma. Returns 0 or -1 (out of memory). */
static int start_run(cma_state *st, size_t lambda, double sigma)
{
    size_t n = st->n, i;
    double sw = 0, sw2 = 0, dn = (double)n;
    free_run(st);
    st->lambda = lambda;
    st->mu = lambda / 2;
    if (st->mu < 1) st->mu = 1;
    st->w = malloc(st->mu * sizeof *st->w);
    st->xs = malloc(lambda * n * sizeof *st->xs);
    st->order = malloc(lambda * sizeof *st->order);
    st->hist_len = 10 + (size_t)ceil(30.0 * dn / (double)lambda);
    st->hist = malloc(st->hist_len * sizeof *st->hist);
    if (!st->w || !st->xs || !st->order || !st->hist || sm_pending_reserve(&st->q, lambda) != 0)
        return -1;
    for (i = 0; i < st->mu; i++) {
        st->w[i] = log(((double)lambda + 1) / 2) - log((double)i + 1);
        sw += st->w[i];
    }
    for (i = 0; i < st->mu; i++) {
        st->w[i] /= sw;
        sw2 += st->w[i] * st->w[i];
    }
    st->mueff = 1 / sw2;
    st->cs = (st->mueff + 2) / (dn + st->mueff + 5);
    st->ds = 1 + 2 * fmax(0, sqrt((st->mueff - 1) / (dn + 1)) - 1) + st->cs;
    st->cc = (4 + st->mueff / dn) / (dn + 4 + 2 * st->mueff / dn);
    st->c1 = 2 / ((dn + 1.3) * (dn + 1.3) + st->mueff);
    st->cmu = fmin(1 - st->c1,
                   2 * (st->mueff - 2 + 1 / st->mueff) / ((dn + 2) * (dn + 2) + st->mueff));
    st->chin = sqrt(dn) * (1 - 1 / (4 * dn) + 1 / (21 * dn * dn));
    st->sigma = sigma;
    memset(st->C, 0, n * n * sizeof *st->C);
    memset(st->B, 0, n * n * sizeof *st->B);
    for (i = 0; i < n; i++) {
        st->C[i * n + i] = 1;
        st->B[i * n + i] = 1;
        st->D[i] = 1;
        st->pc[i] = 0;
        st->ps[i] = 0;
    }
    st->gen = 0;
    st->eigen_gen = 0;
    st->hist_n = 0;
    st->hist_pos = 0;
    return 0;
}

static void *cma_alloc(const sm_param_space *s, const sm_opt_config *cfg, uint64_t seed,
                       sm_error *err)
{
    cma_state *st = NULL;
    size_t n, i;
    long ipop;
    double sigma;
    if (!s || !cfg || s->n == 0) {
        sm_error_set(err, SM_ERR_ARG, "cmaes: empty parameter space");
        return NULL;
    }
    n = s->n;
    sm_gsl_quiet(); /* a failed GSL allocation returns NULL (checked below), not abort() */
    st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    if (sm_opt_check_keys(cfg, cma_keys, "cmaes", err) != 0 ||
        sm_opt_get_long(cfg, "popsize", 4 + (long)floor(3 * log((double)n)), 2, 1000000,
                        &st->lambda0, err) != 0 ||
        sm_opt_get_double(cfg, "sigma0", 0.3, 1e-9, 1, &st->sigma0, err) != 0 ||
        sm_opt_get_long(cfg, "ipop", 1, 0, 1, &ipop, err) != 0 ||
        sm_opt_get_long(cfg, "max_doublings", 9, 0, 20, &st->max_doublings, err) != 0 ||
        sm_opt_get_double(cfg, "tolx", 1e-12, 0, 1, &st->tolx, err) != 0 ||
        sm_opt_get_double(cfg, "tolfun", 1e-12, 0, 1e300, &st->tolfun, err) != 0 ||
        sm_opt_get_double(cfg, "start_sigma", 0.1, 1e-9, 1, &st->start_sigma, err) != 0) {
        cma_free(st);
        return NULL;
    }
    st->ipop = (int)ipop;
    st->s = s;
    st->n = n;
    st->budget = cfg->budget;
    sm_rng_init(&st->rng, seed, 5);
    st->mean = malloc(n * sizeof *st->mean);
    st->C = malloc(n * n * sizeof *st->C);
    st->B = malloc(n * n * sizeof *st->B);
    st->D = malloc(n * sizeof *st->D);
    st->pc = malloc(n * sizeof *st->pc);
    st->ps = malloc(n * sizeof *st->ps);
    st->y = malloc(n * sizeof *st->y);
    st->tmp = malloc(n * sizeof *st->tmp);
    st->mold = malloc(n * sizeof *st->mold);
    st->ews = gsl_eigen_symmv_alloc(n);
    st->em = gsl_matrix_alloc(n, n);
    st->evec = gsl_matrix_alloc(n, n);
    st->eval = gsl_vector_alloc(n);
    if (!st->mean || !st->C || !st->B || !st->D || !st->pc || !st->ps || !st->y || !st->tmp ||
        !st->mold || !st->ews || !st->em || !st->evec || !st->eval ||
        sm_pending_init(&st->q, n, (size_t)st->lambda0) != 0)
        goto nomem;
    /* the starts as given (clamped, not snapped: a mean need not sit on a bin centre) */
    if (cfg->starts && cfg->n_starts > 0) {
        st->starts = malloc(cfg->n_starts * n * sizeof *st->starts);
        if (!st->starts) goto nomem;
        for (i = 0; i < cfg->n_starts * n; i++) st->starts[i] = sm_clamp01(cfg->starts[i]);
        st->n_starts = cfg->n_starts;
    }
    sigma = st->sigma0;
    if (cfg->x0) {
        for (i = 0; i < n; i++) st->mean[i] = sm_clamp01(cfg->x0[i]);
    } else if (st->starts) {
        memcpy(st->mean, st->starts, n * sizeof *st->mean);
        st->next_start = 1;
        sigma = st->start_sigma;
    } else {
        for (i = 0; i < n; i++) st->mean[i] = 0.5;
    }
    if (start_run(st, (size_t)st->lambda0, sigma) != 0) goto nomem;
    return st;
nomem:
    cma_free(st);
    sm_error_set(err, SM_ERR_NOMEM, "cmaes: out of memory");
    return NULL;
}

/* C = B D^2 B^T, refreshed from C. */
static void decompose(cma_state *st)
{
    size_t n = st->n, i, j;
    int rc;
    for (i = 0; i < n; i++)
        for (j = 0; j <= i; j++) {
            double c = 0.5 * (st->C[i * n + j] + st->C[j * n + i]);
            st->C[i * n + j] = st->C[j * n + i] = c;
            gsl_matrix_set(st->em, i, j, c);
            gsl_matrix_set(st->em, j, i, c);
        }
    /* fails only on mismatched sizes, which cannot happen here; GSL's handler is off
     * (sm_gsl_quiet in cma_alloc), so a failure is a status, not an abort */
    rc = gsl_eigen_symmv(st->em, st->eval, st->evec, st->ews);
    st->eigen_gen = st->gen;
    if (rc != GSL_SUCCESS) return; /* keep the previous B and D */
    for (i = 0; i < n; i++) {
        double e = gsl_vector_get(st->eval, i);
        st->D[i] = sqrt(e > 1e-300 ? e : 1e-300);
        for (j = 0; j < n; j++) st->B[j * n + i] = gsl_matrix_get(st->evec, j, i);
    }
}

/* Draws the generation's samples into xs and the asked (snapped) points into the queue. */
static void sample_generation(cma_state *st)
{
    size_t n = st->n, k, i, j;
    for (k = 0; k < st->lambda; k++) {
        double *x = st->xs + k * n;
        int tries, inside = 0;
        for (tries = 0; tries < CMA_RESAMPLE && !inside; tries++) {
            for (i = 0; i < n; i++) st->tmp[i] = st->D[i] * sm_rng_normal(&st->rng);
            inside = 1;
            for (i = 0; i < n; i++) {
                double yi = 0;
                for (j = 0; j < n; j++) yi += st->B[i * n + j] * st->tmp[j];
                x[i] = st->mean[i] + st->sigma * yi;
                if (!(x[i] >= 0 && x[i] <= 1)) inside = 0;
            }
        }
        if (!inside)
            for (i = 0; i < n; i++) x[i] = sm_clamp01(x[i]);
        memcpy(sm_pending_row(&st->q, k), x, n * sizeof *x);
        sm_snap_discrete(st->s, sm_pending_row(&st->q, k));
    }
}

static size_t cma_ask(void *p, double *x, size_t max_batch)
{
    cma_state *st = p;
    if (!sm_pending_has_rows(&st->q)) {
        size_t left = st->budget - st->planned, n = st->lambda;
        if (st->done || left == 0) return 0;
        if ((double)(st->gen - st->eigen_gen) >
            (double)st->lambda / ((st->c1 + st->cmu) * (double)st->n * 10))
            decompose(st);
        sample_generation(st);
        if (n > left) n = left;
        sm_pending_start(&st->q, n);
        st->planned += n;
    }
    return sm_pending_ask(&st->q, x, max_batch);
}

/* 1 when the run has stopped (see the file comment). */
static int run_stopped(cma_state *st)
{
    size_t n = st->n, i, j;
    double maxd = 0, mind = INFINITY, lo, hi;
    int small = 1;
    for (i = 0; i < n; i++) {
        if (st->sigma * sqrt(st->C[i * n + i]) >= st->tolx ||
            st->sigma * fabs(st->pc[i]) >= st->tolx)
            small = 0;
        if (st->D[i] > maxd) maxd = st->D[i];
        if (st->D[i] < mind) mind = st->D[i];
    }
    if (small) return 1;
    if (maxd * maxd > CMA_MAX_COND * mind * mind) return 1;
    /* tolfun: the recent generation bests and this generation's costs */
    if (st->hist_n == st->hist_len) {
        lo = hi = st->q.cost[0];
        for (i = 0; i < st->q.n; i++) {
            lo = fmin(lo, st->q.cost[i]);
            hi = fmax(hi, st->q.cost[i]);
        }
        for (i = 0; i < st->hist_n; i++) {
            lo = fmin(lo, st->hist[i]);
            hi = fmax(hi, st->hist[i]);
        }
        if (hi - lo < st->tolfun) return 1;
    }
    /* no effect along the principal axis of this generation */
    {
        size_t a = (size_t)st->gen % n;
        int same = 1;
        for (i = 0; i < n; i++)
            if (st->mean[i] + 0.1 * st->sigma * st->D[a] * st->B[i * n + a] != st->mean[i])
                same = 0;
        if (same) return 1;
    }
    /* no effect along a coordinate */
    for (j = 0; j < n; j++)
        if (st->mean[j] + 0.2 * st->sigma * sqrt(st->C[j * n + j]) == st->mean[j]) return 1;
    return 0;
}

/* The update of Hansen's tutorial after a full generation. */
static void update(cma_state *st)
{
    size_t n = st->n, lam = st->lambda, mu = st->mu, i, j, k;
    double psn = 0, hsig, c1a, maxd = 0, sum_w = 0, csn, ccn;
    for (k = 0; k < lam; k++) st->order[k] = k;
    qsort_r(st->order, lam, sizeof *st->order, sm_cmp_index_by_cost, st->q.cost);
    st->hist[st->hist_pos] = st->q.cost[st->order[0]];
    st->hist_pos = (st->hist_pos + 1) % st->hist_len;
    if (st->hist_n < st->hist_len) st->hist_n++;
    memcpy(st->mold, st->mean, n * sizeof *st->mean);
    for (i = 0; i < n; i++) {
        double m = 0;
        for (k = 0; k < mu; k++) m += st->w[k] * st->xs[st->order[k] * n + i];
        st->mean[i] = m;
        st->y[i] = (m - st->mold[i]) / st->sigma; /* y_w */
    }
    /* p_sigma += sqrt(cs (2 - cs) mueff) C^(-1/2) y_w, C^(-1/2) = B D^-1 B^T */
    for (j = 0; j < n; j++) {
        double t = 0;
        for (i = 0; i < n; i++) t += st->B[i * n + j] * st->y[i];
        st->tmp[j] = t / st->D[j];
    }
    csn = sqrt(st->cs * (2 - st->cs) * st->mueff);
    for (i = 0; i < n; i++) {
        double t = 0;
        for (j = 0; j < n; j++) t += st->B[i * n + j] * st->tmp[j];
        st->ps[i] = (1 - st->cs) * st->ps[i] + csn * t;
        psn += st->ps[i] * st->ps[i];
    }
    psn = sqrt(psn);
    hsig = psn / sqrt(1 - pow(1 - st->cs, 2.0 * (double)(st->gen + 1))) <
                   (1.4 + 2 / ((double)n + 1)) * st->chin
               ? 1
               : 0;
    ccn = sqrt(st->cc * (2 - st->cc) * st->mueff);
    for (i = 0; i < n; i++) st->pc[i] = (1 - st->cc) * st->pc[i] + hsig * ccn * st->y[i];
    /* C = (1 - c1a - cmu) C + c1 pc pc^T + cmu sum w_k y_k y_k^T */
    for (k = 0; k < mu; k++) sum_w += st->w[k];
    c1a = st->c1 * (1 - (1 - hsig) * st->cc * (2 - st->cc));
    for (i = 0; i < n; i++)
        for (j = 0; j <= i; j++) {
            double r = 0, c;
            for (k = 0; k < mu; k++) {
                const double *x = st->xs + st->order[k] * n;
                r += st->w[k] * (x[i] - st->mold[i]) * (x[j] - st->mold[j]);
            }
            r /= st->sigma * st->sigma;
            c = (1 - c1a - st->cmu * sum_w) * st->C[i * n + j] + st->c1 * st->pc[i] * st->pc[j] +
                st->cmu * r;
            st->C[i * n + j] = st->C[j * n + i] = c;
        }
    /* step size, its growth per generation capped at e (as purecma.py) */
    st->sigma *= exp(fmin(1, (st->cs / st->ds) * (psn / st->chin - 1)));
    for (i = 0; i < n; i++) maxd = fmax(maxd, st->D[i]);
    if (st->sigma * maxd > 1) st->sigma = 1 / maxd;
    st->gen++;
}

static void restart(cma_state *st)
{
    size_t i, lambda = st->lambda;
    double sigma = st->sigma0;
    if (!st->ipop) {
        st->done = 1;
        return;
    }
    st->restarts++;
    if (st->doublings < st->max_doublings) {
        lambda *= 2;
        st->doublings++;
    }
    if (st->starts) {
        memcpy(st->mean, st->starts + (st->next_start % st->n_starts) * st->n,
               st->n * sizeof *st->mean);
        st->next_start++;
        sigma = st->start_sigma;
    } else {
        for (i = 0; i < st->n; i++) st->mean[i] = sm_rng_uniform(&st->rng);
    }
    if (start_run(st, lambda, sigma) != 0) st->done = 1; /* out of memory: stop cleanly */
}

static void cma_tell(void *p, const double *x, const double *cost, size_t k)
{
    cma_state *st = p;
    (void)x;
    if (!sm_pending_tell(&st->q, cost, k)) return;
    if (st->q.n < st->lambda) { /* cut short by the budget */
        st->done = 1;
        return;
    }
    update(st);
    if (run_stopped(st)) restart(st);
}

static int cma_converged(const void *p)
{
    const cma_state *st = p;
    return st->done || (st->planned >= st->budget && !sm_pending_has_rows(&st->q));
}

const sm_optimizer_type sm_optimizer_cmaes = {
    "cmaes",
    "CMA-ES (Hansen's tutorial) with IPOP restarts of doubling population",
    cma_keys,
    cma_help,
    cma_alloc,
    cma_ask,
    cma_tell,
    cma_converged,
    cma_free,
    NULL, /* no side data */
};
