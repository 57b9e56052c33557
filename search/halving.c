/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/halving.c: successive halving over start points (retrieved presets), each refined by
 * a local evolution strategy that keeps the start's structural choices.
 *
 * Why: a human preset fixes the choices that change what every other parameter means (fm6's
 * algorithm and key syncs, every ENUM: core/params.h calls them structural). Refining the
 * other parameters from several presets and keeping the ones that improve most spends the
 * budget on the presets whose structure fits the target (Karnin, Koren and Somekh 2013,
 * "Almost optimal exploration in multi-armed bandits", ICML: successive halving).
 *
 * The starts are cfg->x0 (if given) then cfg->starts, best first; when start_costs are given
 * the starts are ranked by them first (a stable sort, so equal costs keep their order). The
 * top M (setting `starts`) become arms. Without any start point, M uniformly random points
 * (discrete values at bin centres) are the arms: a multi-start local search with halving.
 *
 * Schedule (budget B, population lambda):
 * - first, every arm's start point is asked (one batch), so the best preset is always scored;
 * - round r = 1, 2, ... gives each surviving arm G1 * 2^(r-1) generations of lambda samples,
 *   then keeps the better half (ceil(n/2), by the best cost each arm has seen, ties to the
 *   better-ranked start), until one arm remains; that arm gets the rest of the budget;
 * - G1 is the largest whole number with M + G1 lambda (U + 2^R) <= B, where R rounds halve
 *   the arms and U = sum over rounds of arms x 2^(r-1); the last arm's share 2^R is the doubling
 *   continued, and whatever is left over goes to it too, so the budget is used exactly. If even
 *   G1 = 1 does not fit, M shrinks (down to one arm: a single local search from the best start).
 * One generation of every active arm forms one batch (arms in rank order), so the points do not
 * depend on how the caller slices the batch. A batch cut short by the budget is scored but not
 * used for an update; the run is then over.
 *
 * The local refiner is the separable CMA-ES of Ros and Hansen (2008, "A simple modification in
 * CMA-ES achieving linear time and space complexity", PPSN X): search/cmaes.c's update with a
 * diagonal covariance, whose learning rates c_1 and c_mu are multiplied by (n + 2) / 3 (the
 * diagonal has n, not n^2, entries to learn), here over the free (non-structural) coordinates
 * only. Each arm starts with mean = its start and step size `sigma`. Each free coordinate of a
 * sample is redrawn until it falls in [0,1] (up to 100 times, then clamped): with a diagonal
 * covariance the coordinates are independent, so this samples the box-truncated Gaussian
 * exactly. Discrete free coordinates are asked at their bin centres; the update uses the
 * sample before snapping. Structural coordinates are the start's, in every point asked. An
 * arm whose steps fall below 1e-12 or whose recent generation costs span less than 1e-12
 * (as happens once its steps are smaller than the bins of an all-integer synth) restarts from
 * the best point it has seen, with step size `sigma` again.
 *
 * With no free coordinate there is nothing to refine: the start points are asked and halving
 * has converged. */
#include "search/optimizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/rng.h"
#include "search/batch.h"

#define HV_RESAMPLE 100
#define HV_TOLX 1e-12
#define HV_TOLFUN 1e-12

typedef struct {
    double *start;         /* d: the start point, at bin centres */
    double *best_x;        /* d: the best point asked for this arm */
    double best_cost;
    double *mean, *C, *pc, *ps; /* nf each; C is the diagonal covariance */
    double sigma;
    double *xs;            /* lambda x nf: this generation's samples, before snapping */
    double *hist;          /* best costs of recent generations (ring of hist_len) */
    size_t hist_n, hist_pos;
    long gen;              /* generations since the arm's (re)start */
    size_t row0, nrows;    /* its rows in the current batch */
} hv_arm;

typedef struct {
    const sm_param_space *s;
    size_t d, nf;
    size_t *fidx;          /* nf indices of the free parameters */
    sm_rng rng;
    size_t budget, planned;
    double sigma0;
    /* sep-CMA-ES constants */
    size_t lambda, mu;
    double *w, mueff, cs, ds, cc, c1, cmu, chin;
    size_t hist_len;
    /* the arms and the schedule */
    hv_arm *arms;
    size_t n_arms;
    size_t *active, n_active; /* arm indices, in rank order */
    long g1;               /* generations per arm in round 1 */
    long gens_left;        /* generations left in the current halving round */
    int round;             /* 0: asking the start points; 1, 2, ...: rounds */
    int final;             /* one arm left: it runs until the budget is spent */
    int done;
    double *tmp;           /* nf */
    size_t *order;         /* lambda */
    sm_pending q;
} hv_state;

static const char *const hv_keys[] = {"starts", "sigma", "popsize", NULL};
static const char *const hv_help[] = {
    "starts: start points refined in the first round, the best first (16)",
    "sigma: first step size of each refinement, in [0,1] units (0.1)",
    "popsize: samples per generation of each refinement (4 + floor(3 ln n), n the free "
    "parameters)",
    NULL};

static void free_arm(hv_arm *a)
{
    free(a->start);
    free(a->best_x);
    free(a->mean);
    free(a->C);
    free(a->pc);
    free(a->ps);
    free(a->xs);
    free(a->hist);
}

static void hv_free(void *p)
{
    hv_state *st = p;
    size_t i;
    if (!st) return;
    for (i = 0; st->arms && i < st->n_arms; i++) free_arm(&st->arms[i]);
    free(st->arms);
    free(st->active);
    free(st->fidx);
    free(st->w);
    free(st->tmp);
    free(st->order);
    sm_pending_free(&st->q);
    free(st);
}

/* The sep-CMA-ES constants for nf free coordinates and population lambda. */
static int set_constants(hv_state *st)
{
    double sw = 0, sw2 = 0, n = (double)st->nf, lam = (double)st->lambda, sep = (n + 2) / 3;
    size_t i;
    st->mu = st->lambda / 2 ? st->lambda / 2 : 1;
    st->w = malloc(st->mu * sizeof *st->w);
    if (!st->w) return -1;
    for (i = 0; i < st->mu; i++) {
        st->w[i] = log((lam + 1) / 2) - log((double)i + 1);
        sw += st->w[i];
    }
    for (i = 0; i < st->mu; i++) {
        st->w[i] /= sw;
        sw2 += st->w[i] * st->w[i];
    }
    st->mueff = 1 / sw2;
    st->cs = (st->mueff + 2) / (n + st->mueff + 5);
    st->ds = 1 + 2 * fmax(0, sqrt((st->mueff - 1) / (n + 1)) - 1) + st->cs;
    st->cc = (4 + st->mueff / n) / (n + 4 + 2 * st->mueff / n);
    st->c1 = fmin(1, sep * 2 / ((n + 1.3) * (n + 1.3) + st->mueff));
    st->cmu = fmin(1 - st->c1, sep * 2 * (st->mueff - 2 + 1 / st->mueff) /
                                   ((n + 2) * (n + 2) + st->mueff));
    if (st->cmu < 0) st->cmu = 0;
    st->chin = sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    st->hist_len = 10 + (size_t)ceil(30.0 * n / lam);
    return 0;
}

/* Resets arm a's distribution around mean (nf values) with step size sigma0. */
static void reset_arm(hv_state *st, hv_arm *a, const double *mean_free)
{
    size_t j;
    for (j = 0; j < st->nf; j++) {
        a->mean[j] = mean_free[j];
        a->C[j] = 1;
        a->pc[j] = 0;
        a->ps[j] = 0;
    }
    a->sigma = st->sigma0;
    a->gen = 0;
    a->hist_n = 0;
    a->hist_pos = 0;
}

/* Rounds with two or more arms for m arms: sets *units (sum of arms x 2^(r-1)) and returns
 * 2^R, the last arm's share. */
static size_t schedule_units(size_t m, size_t *units)
{
    size_t n = m, mult = 1;
    *units = 0;
    while (n > 1) {
        *units += n * mult;
        n = (n + 1) / 2;
        mult *= 2;
    }
    return mult;
}

/* Fills rows (m x d) with the start points: x0, then the starts ranked by start_costs. Rows
 * beyond what is given stay unset; returns how many were given. */
static size_t given_starts(const sm_param_space *s, const sm_opt_config *cfg, size_t m,
                           double *rows)
{
    size_t d = s->n, k = 0, i, *order = NULL, ns = cfg->starts ? cfg->n_starts : 0;
    if (cfg->x0 && k < m) {
        for (i = 0; i < d; i++) rows[i] = sm_clamp01(cfg->x0[i]);
        k++;
    }
    if (ns && cfg->start_costs) {
        order = malloc(ns * sizeof *order);
        if (order) {
            for (i = 0; i < ns; i++) order[i] = i;
            qsort_r(order, ns, sizeof *order, sm_cmp_index_by_cost, (void *)cfg->start_costs);
        }
    }
    for (i = 0; i < ns && k < m; i++, k++) {
        size_t r = order ? order[i] : i, j;
        for (j = 0; j < d; j++) rows[k * d + j] = sm_clamp01(cfg->starts[r * d + j]);
    }
    free(order);
    for (i = 0; i < k; i++) sm_snap_discrete(s, rows + i * d);
    return k;
}

static void *hv_alloc(const sm_param_space *s, const sm_opt_config *cfg, uint64_t seed,
                      sm_error *err)
{
    hv_state *st = NULL;
    long m_set, popsize;
    double *rows = NULL;
    size_t d, i, j, m, given, n_avail, units, last;
    if (!s || !cfg || s->n == 0) {
        sm_error_set(err, SM_ERR_ARG, "halving: empty parameter space");
        return NULL;
    }
    d = s->n;
    st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->s = s;
    st->d = d;
    st->budget = cfg->budget;
    st->fidx = malloc(d * sizeof *st->fidx);
    if (!st->fidx) goto nomem;
    for (i = 0; i < d; i++)
        if (!sm_param_is_structural(&s->p[i])) st->fidx[st->nf++] = i;
    if (sm_opt_check_keys(cfg, hv_keys, "halving", err) != 0 ||
        sm_opt_get_long(cfg, "starts", 16, 1, 100000, &m_set, err) != 0 ||
        sm_opt_get_double(cfg, "sigma", 0.1, 1e-9, 1, &st->sigma0, err) != 0 ||
        sm_opt_get_long(cfg, "popsize",
                        4 + (long)floor(3 * log((double)(st->nf ? st->nf : 1))), 2, 1000000,
                        &popsize, err) != 0)
        goto bad;
    st->lambda = (size_t)popsize;
    sm_rng_init(&st->rng, seed, 7);
    /* the start points: given ones, else random ones */
    n_avail = (cfg->x0 ? 1 : 0) + (cfg->starts ? cfg->n_starts : 0);
    m = (size_t)m_set;
    if (n_avail && n_avail < m) m = n_avail;
    rows = malloc(m * d * sizeof *rows);
    if (!rows) goto nomem;
    given = given_starts(s, cfg, m, rows);
    for (i = given; i < m; i++)
        for (j = 0; j < d; j++) {
            const sm_param *p = &s->p[j];
            rows[i * d + j] = sm_param_is_discrete(p) ? sm_random_bin(p, &st->rng)
                                                      : sm_rng_uniform(&st->rng);
        }
    /* the schedule: as many arms as the budget allows a generation each in round 1 */
    if (st->nf == 0) {
        if (m > st->budget) m = st->budget;
    } else {
        for (; m > 1; m--) {
            last = schedule_units(m, &units);
            if (st->budget > m &&
                (st->budget - m) / ((units + last) * st->lambda) >= 1) {
                st->g1 = (long)((st->budget - m) / ((units + last) * st->lambda));
                break;
            }
        }
        if (m == 1) st->g1 = 0;
        if (set_constants(st) != 0) goto nomem;
    }
    st->n_arms = m;
    st->arms = calloc(m, sizeof *st->arms);
    st->active = malloc(m * sizeof *st->active);
    st->tmp = malloc((st->nf ? st->nf : 1) * sizeof *st->tmp);
    st->order = malloc(st->lambda * sizeof *st->order);
    if (!st->arms || !st->active || !st->tmp || !st->order ||
        sm_pending_init(&st->q, d, m * (st->lambda > 1 ? st->lambda : 1)) != 0)
        goto nomem;
    for (i = 0; i < m; i++) {
        hv_arm *a = &st->arms[i];
        size_t nf = st->nf ? st->nf : 1;
        a->start = malloc(d * sizeof *a->start);
        a->best_x = malloc(d * sizeof *a->best_x);
        a->mean = malloc(nf * sizeof *a->mean);
        a->C = malloc(nf * sizeof *a->C);
        a->pc = malloc(nf * sizeof *a->pc);
        a->ps = malloc(nf * sizeof *a->ps);
        a->xs = malloc(st->lambda * nf * sizeof *a->xs);
        a->hist = malloc((st->hist_len ? st->hist_len : 1) * sizeof *a->hist);
        if (!a->start || !a->best_x || !a->mean || !a->C || !a->pc || !a->ps || !a->xs ||
            !a->hist)
            goto nomem;
        memcpy(a->start, rows + i * d, d * sizeof *a->start);
        memcpy(a->best_x, a->start, d * sizeof *a->best_x);
        a->best_cost = INFINITY;
        for (j = 0; j < st->nf; j++) st->tmp[j] = a->start[st->fidx[j]];
        reset_arm(st, a, st->tmp);
        st->active[i] = i;
    }
    st->n_active = m;
    free(rows);
    return st;
nomem:
    sm_error_set(err, SM_ERR_NOMEM, "halving: out of memory");
bad:
    free(rows);
    hv_free(st);
    return NULL;
}

/* Draws one generation of arm a into the queue from row r0; returns the rows written. */
static size_t sample_arm(hv_state *st, hv_arm *a, size_t r0)
{
    size_t k, j;
    for (k = 0; k < st->lambda; k++) {
        double *row = sm_pending_row(&st->q, r0 + k), *x = a->xs + k * st->nf;
        memcpy(row, a->start, st->d * sizeof *row);
        for (j = 0; j < st->nf; j++) {
            double sd = a->sigma * sqrt(a->C[j]), v = a->mean[j];
            const sm_param *p = &st->s->p[st->fidx[j]];
            int tries;
            for (tries = 0; tries < HV_RESAMPLE; tries++) {
                v = a->mean[j] + sd * sm_rng_normal(&st->rng);
                if (v >= 0 && v <= 1) break;
            }
            x[j] = sm_clamp01(v);
            row[st->fidx[j]] =
                sm_param_is_discrete(p) ? sm_param_encode1(p, sm_param_decode1(p, x[j])) : x[j];
        }
    }
    return st->lambda;
}

static size_t hv_ask(void *p, double *x, size_t max_batch)
{
    hv_state *st = p;
    if (!sm_pending_has_rows(&st->q)) {
        size_t left = st->budget - st->planned, n = 0, i;
        if (st->done || left == 0) return 0;
        for (i = 0; i < st->n_active; i++) {
            hv_arm *a = &st->arms[st->active[i]];
            a->row0 = n;
            if (st->round == 0) {
                memcpy(sm_pending_row(&st->q, n), a->start, st->d * sizeof *a->start);
                a->nrows = 1;
            } else {
                a->nrows = sample_arm(st, a, n);
            }
            n += a->nrows;
        }
        if (n > left) n = left;
        sm_pending_start(&st->q, n);
        st->planned += n;
    }
    return sm_pending_ask(&st->q, x, max_batch);
}

/* The sep-CMA-ES update of arm a after a full generation (costs in the queue). */
static void update_arm(hv_state *st, hv_arm *a)
{
    size_t nf = st->nf, lam = st->lambda, mu = st->mu, i, k, *order = st->order;
    const double *cost = st->q.cost + a->row0;
    double psn = 0, hsig, c1a, sum_w = 0, maxc = 0, lo, hi;
    int stop = 1;
    for (k = 0; k < lam; k++) order[k] = k;
    qsort_r(order, lam, sizeof *order, sm_cmp_index_by_cost, (void *)cost);
    a->hist[a->hist_pos] = cost[order[0]];
    a->hist_pos = (a->hist_pos + 1) % st->hist_len;
    if (a->hist_n < st->hist_len) a->hist_n++;
    for (i = 0; i < nf; i++) {
        double m = 0;
        for (k = 0; k < mu; k++) m += st->w[k] * a->xs[order[k] * nf + i];
        st->tmp[i] = (m - a->mean[i]) / a->sigma; /* y_w */
    }
    for (i = 0; i < nf; i++) {
        a->ps[i] = (1 - st->cs) * a->ps[i] +
                   sqrt(st->cs * (2 - st->cs) * st->mueff) * st->tmp[i] / sqrt(a->C[i]);
        psn += a->ps[i] * a->ps[i];
    }
    psn = sqrt(psn);
    hsig = psn / sqrt(1 - pow(1 - st->cs, 2.0 * (double)(a->gen + 1))) <
                   (1.4 + 2 / ((double)nf + 1)) * st->chin
               ? 1
               : 0;
    for (k = 0; k < mu; k++) sum_w += st->w[k];
    c1a = st->c1 * (1 - (1 - hsig) * st->cc * (2 - st->cc));
    for (i = 0; i < nf; i++) {
        double r = 0, mold = a->mean[i];
        a->pc[i] = (1 - st->cc) * a->pc[i] +
                   hsig * sqrt(st->cc * (2 - st->cc) * st->mueff) * st->tmp[i];
        for (k = 0; k < mu; k++) {
            double y = (a->xs[order[k] * nf + i] - mold) / a->sigma;
            r += st->w[k] * y * y;
        }
        a->C[i] = (1 - c1a - st->cmu * sum_w) * a->C[i] + st->c1 * a->pc[i] * a->pc[i] +
                  st->cmu * r;
        if (!(a->C[i] > 1e-300)) a->C[i] = 1e-300;
        a->mean[i] = mold + a->sigma * st->tmp[i];
    }
    a->sigma *= exp(fmin(1, (st->cs / st->ds) * (psn / st->chin - 1)));
    for (i = 0; i < nf; i++) maxc = fmax(maxc, sqrt(a->C[i]));
    if (a->sigma * maxc > 1) a->sigma = 1 / maxc;
    a->gen++;
    /* stopped? (see the file comment) then restart from the arm's best point */
    for (i = 0; i < nf; i++)
        if (a->sigma * sqrt(a->C[i]) >= HV_TOLX) stop = 0;
    if (!stop && a->hist_n == st->hist_len) {
        lo = hi = cost[0];
        for (k = 0; k < lam; k++) {
            lo = fmin(lo, cost[k]);
            hi = fmax(hi, cost[k]);
        }
        for (k = 0; k < a->hist_n; k++) {
            lo = fmin(lo, a->hist[k]);
            hi = fmax(hi, a->hist[k]);
        }
        if (hi - lo < HV_TOLFUN) stop = 1;
    }
    if (stop) {
        for (i = 0; i < nf; i++) st->tmp[i] = a->best_x[st->fidx[i]];
        reset_arm(st, a, st->tmp);
    }
}

/* Rank order of arms: lower best cost first, ties to the lower index (the better start). */
static int cmp_arms(const void *x, const void *y, void *ctx)
{
    const hv_state *st = ctx;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    double ci = st->arms[i].best_cost, cj = st->arms[j].best_cost;
    if (ci < cj) return -1;
    if (ci > cj) return 1;
    return i < j ? -1 : i > j;
}

static void hv_tell(void *p, const double *x, const double *cost, size_t k)
{
    hv_state *st = p;
    size_t i, r, full;
    (void)x;
    if (!sm_pending_tell(&st->q, cost, k)) return;
    full = st->q.n;
    for (i = 0; i < st->n_active; i++) {
        hv_arm *a = &st->arms[st->active[i]];
        for (r = a->row0; r < a->row0 + a->nrows && r < full; r++)
            if (st->q.cost[r] < a->best_cost) {
                a->best_cost = st->q.cost[r];
                memcpy(a->best_x, sm_pending_row(&st->q, r), st->d * sizeof *a->best_x);
            }
    }
    if (st->planned >= st->budget || st->nf == 0) { /* the last batch, perhaps cut short */
        st->done = 1;
        return;
    }
    if (st->round > 0)
        for (i = 0; i < st->n_active; i++) update_arm(st, &st->arms[st->active[i]]);
    if (st->final) return;
    if (st->round > 0 && --st->gens_left > 0) return;
    /* the end of a round (or of the start points): keep the better half */
    if (st->round > 0) {
        qsort_r(st->active, st->n_active, sizeof *st->active, cmp_arms, st);
        st->n_active = (st->n_active + 1) / 2;
    }
    st->round++;
    if (st->n_active <= 1) st->final = 1; /* the last arm: it runs until the budget is spent */
    else st->gens_left = st->g1 << (st->round - 1);
}

static int hv_converged(const void *p)
{
    const hv_state *st = p;
    return st->done || (st->planned >= st->budget && !sm_pending_has_rows(&st->q));
}

const sm_optimizer_type sm_optimizer_halving = {
    "halving",
    "successive halving over the start points (presets), each refined by a separable CMA-ES "
    "that keeps its structural choices",
    hv_keys,
    hv_help,
    hv_alloc,
    hv_ask,
    hv_tell,
    hv_converged,
    hv_free,
    NULL, /* no side data */
};
