/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/gd.c: gradient descent, by exact gradients or finite differences, with Adam steps,
 * bounds and restarts.
 *
 * Each iteration asks the current point x and its central-difference stencil as ONE batch of
 * 2*dc + 1 points (dc = continuous parameters): x, then x + h e_j and x - h e_j for each
 * continuous j, so the stencil is scored in parallel. Scoring x itself costs one point in
 * 2*dc + 1 but means every iterate is scored: without it the best point seen would always be
 * a stencil point, at least h away from where the descent actually is. Near a bound the
 * stencil is cut at the bound and the difference divided by the true spacing. The gradient
 * then drives one Adam step (Kingma and Ba 2015: moment estimates m and v with bias
 * correction), and x is projected back onto [0,1] (projected Adam).
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
 * Chains (`chains = K`, default 1): K independent descents, each with its own point, Adam
 * moments, best point, stalls, restarts, learning rate and perturbation, asked together: an
 * iteration is one batch of the K chains' points (each followed by its stencil without exact
 * gradients), so a caller that scores a batch on several threads (experiments/runner.c
 * scores exact gradients on its evaluator's threads) runs the chains side by side. Chain 0
 * starts where a single descent would; chain c > 0 starts at cfg->starts[c] when there is
 * one, else at a uniform random point of the continuous parameters (the discrete ones as
 * chain 0's). Each restarts from its own best point. With K = 1 gd is the single descent
 * described above, point for point.
 *
 * Screening (`screen = N`, default 0): the first N evaluations of the budget are a sample
 * whose points need only their costs (wants_grad says so; the runner scores them without
 * gradients, on its threads): chain 0's start, the starts after the first, then uniform random
 * values of the descended parameters (the held ones as chain 0's). Chain 0 keeps its start
 * (a given start is the user's or the best preset; the centre of neuron_grad.ini's space,
 * whose cost is poor, descends into one of its best basins), and chain c > 0 starts at the
 * sample's best point that lies at least 0.05 (root mean square over the descended
 * parameters) from every start taken before it, then, when too few do, its best points left.
 * A gradient costing several renders, a sample point is the cheapest way to look at another
 * basin. `screen_by = TYPE` has another optimizer (ga, cmaes, hill, halving...: any that needs
 * neither a model nor gradients, with its default settings, x0 = chain 0's start and the
 * given starts) draw the sample instead: a sequential hybrid, evolution first and descent
 * after. Its points crowd around its best, which is why the starts must lie apart. Measured
 * on experiments/neuron_grad.ini's targets, it helps less than the random sample: with
 * `screen = 2000, screen_by = ga, chains = 8, keep = 2, halve_after = 60` (4,500
 * evaluations, seeds 1 and 2) the mean final costs were 3.07 (sawtooth), 3.57 (pluck), 2.38,
 * 4.26, 3.06 and 5.19 (synth01 to 04), against 1.83, 3.64, 2.25, 4.18, 3.19 and 4.50 below.
 *
 * Halving (`halve_after = S`, `keep = K`; default never): after S iterations the better half
 * of the chains (by their best costs) go on and the others stop; after 2S more, half again;
 * and so on until K chains remain, which descend for the rest of the budget (successive
 * halving, Karnin, Koren and Somekh 2013, as search/halving.c uses it over presets). On
 * experiments/neuron_grad.ini's six targets (seeds 1, 2), `screen = 500, chains = 8, keep = 2,
 * halve_after = 100` with 4,500 evaluations ended at final costs whose means were 1.83
 * (sawtooth), 3.64 (pluck), 2.25, 4.18, 3.19 and 4.50 (synth01 to 04), against 2.44, 3.48,
 * 2.35, 4.27, 4.17 and 4.89 for one chain with 2,000 evaluations (README, "Exact gradients").
 * Over seeds 1 to 8 the same setting ends below a GA given the same seconds on 5 of the 6
 * targets by the mean, not on synth03 (3.15 against 3.12); with 6,000 evaluations also on 5
 * of 6, not on synth02 (4.17 against 4.14), the two targets where the seeds split evenly.
 * experiments/neuron_learn.ini now starts 32 chains halved after 25 steps (the same 6,000
 * evaluations): over seeds 1 to 12 it ends below the GA at gd's seconds on 47 of 72 runs (8
 * chains: 45) and matches the pluck within 4 dB on 10 of 12 seeds (8 chains: 8); with the
 * oscillator ratios at a tenth of the learning rate (`lr_scale`, below), on 56 of 72 runs and
 * 12 of 12 seeds.
 *
 * Learning-rate factors (`lr_scale = glob=factor, ...`, default none: 1 for every parameter):
 * each descended parameter whose name matches a glob steps by `factor` x the chain's learning
 * rate, and its restart perturbation is `factor` x the chain's; 0 holds it where each chain
 * starts. For frequency ratios: spectral losses see pitch poorly (Turian and Henry 2020). At
 * six of gd's synth02 and pluck matches of neuron_learn.ini the largest of the cost's
 * derivatives along the voice's three ratios was 325 to 11,000 in [0,1] units, against at most
 * 16 along any other parameter, and central differences with steps from 1e-2 to 1e-6 disagreed
 * with one another in sign and size along the ratios, where along most others they agree with
 * the exact derivative to a few per cent at steps of 1e-4 and 1e-5: the cost is rough along a
 * ratio at every scale. Adam, which divides each coordinate's step by the size of its own
 * gradient, moves such a coordinate by the full learning rate along that roughness. From a
 * 64-chain gd's pluck match of neuron_learn.ini (seed 7, cost 3.535), 500 more Adam steps at
 * lr 0.01 found nothing lower with the ratios moving at that rate, 2.893 with them held and
 * 2.828 with them at 0.1 x the rate. neuron_learn.ini sets `osc*_ratio=0.1`: over seeds 1 to
 * 12 its mean final cost fell on all six targets (the pluck from 3.52 to 2.89, synth02 from
 * 4.21 to 4.07; README, "Exact gradients").
 *
 * Budget: when fewer than 2*dc + 1 evaluations remain, the last batch is x followed by as much
 * of its stencil as fits, so the budget is used exactly and the final iterate is scored
 * (with chains: the chains' points and stencils in chain order, as many as fit).
 * With no continuous parameter at all the start point is asked once and gd has converged.
 *
 * Relaxed parameters (core/params.h: integers whose synth's render_grad plays any real value,
 * fm6's levels, envelopes, velocity sensitivities and feedback): with exact gradients gd
 * descends on them as on continuous ones, whatever their number of values, and asks them at
 * any point of their bins, not snapped (the caller's objective renders them relaxed for the
 * gradient and scores the rounded point, experiments/objective_grad.h). Without exact
 * gradients they are ordinary integers.
 *
 * Repair (`repair = N`, default 0): the last N evaluations of the budget go to a discrete
 * local search from the best point of the descent, every parameter at its bin centre (the
 * rounded patch, whose cost the descent already knows). A move changes one relaxed parameter
 * by one step (+1 or -1, within its range) and is kept when it lowers the cost (first
 * improvement); the search ends at a point no single step improves, or when the budget is
 * spent. With exact gradients the first repair evaluation scores the rounded point again for
 * its gradient, and the moves are tried in the order the gradient predicts them best (largest
 * |d cost / d x| first, in its downhill direction; then the parameters without gradient both
 * ways; then the uphill steps), the order being remade at each point kept; without them, the
 * relaxed parameters are tried in turn, each +1 then -1, until a whole round brings nothing.
 * Repair points are asked one at a time, so the run does not depend on the caller's batch
 * size. Without relaxed free parameters the repair has nothing to move and gd stops. */
#include "search/optimizer.h"

#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/ini.h"
#include "core/rng.h"
#include "search/batch.h"

/* Integer parameters with at least this many values are descended as ordinal. */
#define SM_GD_ORDINAL_MIN 16

/* One descent. */
typedef struct {
    double *x, *m, *v;       /* x: d values; m, v: dc values (Adam's moments) */
    double *g;               /* dc gradient components of the current step */
    double *best_x;          /* the chain's best point */
    double best;             /* its cost */
    double lr, perturb;      /* current values (shrink at each restart) */
    long t;                  /* Adam steps since the (re)start */
    long stall;              /* iterations without progress */
    long restarts;
} gd_chain;

typedef struct {
    const sm_param_space *s;
    size_t d, dc;            /* parameters, continuous parameters */
    size_t *cidx;            /* dc indices of the continuous parameters */
    double *hstep;           /* dc difference steps: h, or one bin for ordinal integers */
    double *lrs;             /* dc factors of the learning rate and perturbation (`lr_scale`) */
    sm_rng rng;
    size_t budget, planned;
    double lr0, h, beta1, beta2, eps, perturb0, decay;
    long patience;
    long n_chains;
    gd_chain *ch;            /* n_chains descents */
    long *act, n_act;        /* the chains still descending (all, until halving stops some) */
    long keep, halve_after;  /* halving: the chains kept at least; steps of its first round */
    long iter, round_end, round_len; /* iterations so far; when the current round ends */
    size_t per;              /* rows a chain asks an iteration: 1, or 2*dc + 1 */
    int final_batch;         /* the current batch is the last, partial one */
    int done;
    int exact;               /* gradients come with the costs (tell_grad): a row a chain */
    double *gq;              /* exact: the gradients of the current batch's rows */
    sm_pending q;
    /* the repair phase (`repair`); budget above is the descent's part */
    size_t total;            /* the whole budget */
    long repair_n;           /* evaluations kept for the repair */
    int rphase, rdone;       /* in the repair; it has ended */
    size_t *ridx, nr;        /* the relaxed parameters it moves */
    double *rx, rcost;       /* its current point and cost */
    double *rpt;             /* the point asked */
    int rself;               /* the point asked is rx itself (for its gradient) */
    long *cand;              /* moves, as 2 * (index into ridx) + (0: up, 1: down) */
    size_t ncand, cpos, since;
    double *rkey;            /* sort keys of the moves */
    /* the screening sample (`screen`): the first evaluations of the budget */
    size_t sn, sasked, stold; /* its points; asked; told */
    double *sx, *sc;         /* sn rows of d values, their costs */
    size_t sfixed;           /* its first rows, made at alloc: chain 0's start, cfg->starts */
    int last_screen;         /* the latest ask was screening points */
    const sm_optimizer_type *sby; /* `screen_by`: the optimizer that draws it (NULL: random) */
    void *sst;               /* its state */
} gd_state;

static const char *const gd_keys[] = {"lr", "h", "beta1", "beta2", "eps", "patience",
                                      "perturb", "decay", "gradient", "chains", "repair",
                                      "screen", "screen_by", "keep", "halve_after", "lr_scale",
                                      NULL};
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
    "chains: independent descents from different starts, asked together each iteration (1)",
    "repair: evaluations kept at the end of the budget for a discrete local search (+-1 steps "
    "of the relaxed parameters) from the best rounded point (0)",
    "screen: evaluations spent first on a sample scored without gradients; the chains start "
    "from its best points (0)",
    "screen_by: random (uniform values of the descended parameters) or the optimizer that "
    "draws the sample with its own defaults, such as ga or cmaes (random)",
    "keep: chains that halving keeps descending (1)",
    "halve_after: iterations after which the worse half of the chains stop, then twice as "
    "many, and so on until `keep` remain (0: never)",
    "lr_scale: learning-rate factors of some parameters, `glob=factor, ...` (osc*_ratio=0.1); "
    "restarts perturb them by the same factor, and 0 holds them at each chain's start "
    "(none)",
    NULL};

static void gd_free(void *p)
{
    gd_state *st = p;
    long c;
    if (!st) return;
    free(st->cidx);
    free(st->hstep);
    free(st->lrs);
    for (c = 0; st->ch && c < st->n_chains; c++) {
        free(st->ch[c].x);
        free(st->ch[c].m);
        free(st->ch[c].v);
        free(st->ch[c].best_x);
        free(st->ch[c].g);
    }
    free(st->ch);
    free(st->act);
    free(st->gq);
    free(st->ridx);
    free(st->rx);
    free(st->rpt);
    free(st->cand);
    free(st->rkey);
    free(st->sx);
    free(st->sc);
    if (st->sst) st->sby->free(st->sst);
    sm_pending_free(&st->q);
    free(st);
}

/* `lr_scale = glob=factor, ...`: the factor of each descended parameter (1 when no glob
 * matches it; the last matching glob wins). Returns 0, or an sm_err with err naming the
 * setting: SM_ERR_CONFIG for an item without '=', a factor that is not a number in [0, 1000]
 * or a glob that matches no descended parameter; SM_ERR_NOMEM. */
#define GD_LR_SCALE_ITEMS 256
static int parse_lr_scale(gd_state *st, const sm_opt_config *cfg, sm_error *err)
{
    char *copy = strdup(sm_opt_get_string(cfg, "lr_scale", "")), *items[GD_LR_SCALE_ITEMS];
    char where[300];
    size_t j, n, k;
    int rc = 0;
    for (j = 0; j < st->dc; j++) st->lrs[j] = 1.0;
    if (!copy) return sm_error_set(err, SM_ERR_NOMEM, "gd: out of memory");
    sm_opt_where(cfg, "lr_scale", where, sizeof where);
    n = sm_split_list(copy, items, GD_LR_SCALE_ITEMS);
    for (k = 0; k < n && rc == 0; k++) {
        char *g = items[k], *eq = strchr(g, '='), *e, *end;
        double f;
        int hit = 0;
        if (!eq) {
            rc = sm_error_set(err, SM_ERR_CONFIG, "%s: gd: lr_scale: '%s' is not glob=factor",
                              where, g);
            break;
        }
        for (e = eq; e > g && isspace((unsigned char)e[-1]); e--) {}
        *e = '\0';
        f = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !(f >= 0 && f <= 1000)) {
            rc = sm_error_set(err, SM_ERR_CONFIG,
                              "%s: gd: lr_scale: the factor of '%s' is '%s', not a number from "
                              "0 to 1000", where, g, eq + 1);
            break;
        }
        for (j = 0; j < st->dc; j++) {
            if (fnmatch(g, st->s->p[st->cidx[j]].name, 0) != 0) continue;
            st->lrs[j] = f;
            hit = 1;
        }
        if (!hit)
            rc = sm_error_set(err, SM_ERR_CONFIG,
                              "%s: gd: lr_scale: '%s' matches no parameter that gd descends on",
                              where, g);
    }
    free(copy);
    return rc;
}

static void *gd_alloc(const sm_param_space *s, const sm_opt_config *cfg, uint64_t seed,
                      sm_error *err)
{
    gd_state *st = NULL;
    size_t i, d;
    long c, screen = 0;
    int exact;
    const char *sby;
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
        sm_opt_get_double(cfg, "decay", exact ? 0.8 : 0.5, 1e-6, 1, &st->decay, err) != 0 ||
        sm_opt_get_long(cfg, "chains", 1, 1, 1024, &st->n_chains, err) != 0 ||
        sm_opt_get_long(cfg, "keep", 1, 1, 1024, &st->keep, err) != 0 ||
        sm_opt_get_long(cfg, "halve_after", 0, 0, 1000000000, &st->halve_after, err) != 0 ||
        sm_opt_get_long(cfg, "repair", 0, 0, 1000000000, &st->repair_n, err) != 0 ||
        sm_opt_get_long(cfg, "screen", 0, 0, 1000000000, &screen, err) != 0) {
        gd_free(st);
        return NULL;
    }
    if (sm_opt_gradient_setting(cfg, "gd", err) < 0) {
        gd_free(st);
        return NULL;
    }
    sby = sm_opt_get_string(cfg, "screen_by", "random");
    if (strcmp(sby, "random") != 0) {
        st->sby = sm_optimizer_find(sby);
        if (!st->sby || st->sby->side || st->sby->tell_grad) { /* the sample has no gradients */
            char where[300], names[300];
            sm_error_set(err, SM_ERR_CONFIG,
                         "%s: gd: screen_by: '%s' is not random or an optimizer that needs "
                         "neither a model nor gradients (optimizers: %s)",
                         sm_opt_where(cfg, "screen_by", where, sizeof where), sby,
                         sm_optimizer_names(names, sizeof names));
            st->sby = NULL;
            gd_free(st);
            return NULL;
        }
    }
    d = s->n;
    st->s = s;
    st->d = d;
    st->total = cfg->budget;
    /* the descent's budget; the repair takes the rest (at least one evaluation descends) */
    st->budget = (size_t)st->repair_n < cfg->budget ? cfg->budget - (size_t)st->repair_n : 1;
    if (st->budget > cfg->budget) st->budget = cfg->budget;
    sm_rng_init(&st->rng, seed, 3);
    st->ridx = malloc(d * sizeof *st->ridx);
    st->rx = malloc(d * sizeof *st->rx);
    st->rpt = malloc(d * sizeof *st->rpt);
    st->cand = malloc(2 * d * sizeof *st->cand);
    st->rkey = malloc(2 * d * sizeof *st->rkey);
    if (!st->ridx || !st->rx || !st->rpt || !st->cand || !st->rkey) goto nomem;
    st->cidx = malloc(d * sizeof *st->cidx);
    st->hstep = malloc(d * sizeof *st->hstep);
    st->lrs = malloc(d * sizeof *st->lrs);
    st->ch = calloc((size_t)st->n_chains, sizeof *st->ch);
    st->act = malloc((size_t)st->n_chains * sizeof *st->act);
    st->exact = exact;
    if (!st->cidx || !st->hstep || !st->lrs || !st->ch || !st->act) goto nomem;
    for (c = 0; c < st->n_chains; c++) st->act[c] = c;
    st->n_act = st->n_chains;
    st->round_len = st->round_end = st->halve_after;
    for (c = 0; c < st->n_chains; c++) {
        gd_chain *ch = &st->ch[c];
        ch->x = malloc(d * sizeof *ch->x);
        ch->best_x = malloc(d * sizeof *ch->best_x);
        ch->m = calloc(d, sizeof *ch->m);
        ch->v = calloc(d, sizeof *ch->v);
        ch->g = calloc(d, sizeof *ch->g);
        if (!ch->x || !ch->best_x || !ch->m || !ch->v || !ch->g) goto nomem;
    }
    for (i = 0; i < d; i++) {
        st->ch[0].x[i] = cfg->x0                           ? sm_clamp01(cfg->x0[i])
                         : cfg->starts && cfg->n_starts > 0 ? sm_clamp01(cfg->starts[i])
                                                            : 0.5;
        if (sm_param_is_relaxed(&s->p[i])) st->ridx[st->nr++] = i;
        if (sm_param_descended(&s->p[i], exact)) {
            st->hstep[st->dc] = st->h;
            st->cidx[st->dc++] = i;
        } else if (s->p[i].kind == SM_PARAM_INT && !sm_param_is_structural(&s->p[i]) &&
                   s->p[i].max - s->p[i].min + 1 >= SM_GD_ORDINAL_MIN) {
            double bin = 1.0 / (s->p[i].max - s->p[i].min + 1);
            st->hstep[st->dc] = st->h > bin ? st->h : bin;
            st->cidx[st->dc++] = i;
        }
    }
    sm_snap_discrete(s, st->ch[0].x);
    if (parse_lr_scale(st, cfg, err) != 0) {
        gd_free(st);
        return NULL;
    }
    for (c = 1; c < st->n_chains; c++) { /* the other chains' starts */
        double *x = st->ch[c].x;
        size_t j;
        memcpy(x, st->ch[0].x, d * sizeof *x);
        if (cfg->starts && (size_t)c < cfg->n_starts) {
            for (i = 0; i < d; i++) x[i] = sm_clamp01(cfg->starts[(size_t)c * d + i]);
        } else {
            for (j = 0; j < st->dc; j++) x[st->cidx[j]] = sm_rng_uniform(&st->rng);
        }
        sm_snap_discrete(s, x);
    }
    st->per = st->exact ? 1 : 2 * st->dc + 1;
    if (sm_pending_init(&st->q, d, st->per * (size_t)st->n_chains) != 0) goto nomem;
    if (st->exact && !(st->gq = malloc(st->per * (size_t)st->n_chains * d * sizeof *st->gq)))
        goto nomem;
    /* the screening sample: at most the descent's budget; its random rows are drawn as they
     * are asked (screen_ask), so only chain 0's start and cfg->starts are copied here */
    st->sn = (size_t)screen < st->budget ? (size_t)screen : st->budget;
    if (st->sn > 0) {
        size_t ns = cfg->starts ? cfg->n_starts : 0, r;
        st->sx = malloc(st->sn * d * sizeof *st->sx);
        st->sc = malloc(st->sn * sizeof *st->sc);
        if (!st->sx || !st->sc) goto nomem;
        if (!st->sby) { /* the random sample's fixed rows: chain 0's start, then the starts */
            memcpy(st->sx, st->ch[0].x, d * sizeof *st->sx);
            for (r = 1; r < st->sn && r < ns; r++) {
                for (i = 0; i < d; i++) st->sx[r * d + i] = sm_clamp01(cfg->starts[r * d + i]);
                sm_snap_discrete(s, st->sx + r * d);
            }
            st->sfixed = r;
        } else { /* the sample's optimizer: chain 0's start first, then the starts */
            sm_opt_config icfg;
            memset(&icfg, 0, sizeof icfg);
            icfg.budget = st->sn;
            icfg.x0 = st->ch[0].x;
            icfg.starts = cfg->starts;
            icfg.n_starts = cfg->n_starts;
            icfg.start_costs = cfg->start_costs;
            icfg.source = cfg->source;
            st->sst = st->sby->alloc(s, &icfg, sm_rng_mix(seed, 7), err);
            if (!st->sst) {
                gd_free(st);
                return NULL;
            }
        }
    }
    for (c = 0; c < st->n_chains; c++) {
        gd_chain *ch = &st->ch[c];
        memcpy(ch->best_x, ch->x, d * sizeof *ch->x);
        ch->best = INFINITY;
        ch->lr = st->lr0;
        ch->perturb = st->perturb0;
    }
    return st;
nomem:
    gd_free(st);
    sm_error_set(err, SM_ERR_NOMEM, "gd: out of memory");
    return NULL;
}

/* Writes each chain's x and its stencil into the queue, chain after chain, at most max rows;
 * returns how many. */
static size_t write_batch(gd_state *st, size_t max)
{
    size_t j, n = 0;
    long c;
    for (c = 0; c < st->n_act && n < max; c++) {
        const double *x = st->ch[st->act[c]].x;
        memcpy(sm_pending_row(&st->q, n++), x, st->d * sizeof *x);
        for (j = 0; j < st->dc && n < max && !st->exact; j++) {
            size_t i = st->cidx[j];
            double *r = sm_pending_row(&st->q, n++);
            memcpy(r, x, st->d * sizeof *r);
            r[i] = sm_clamp01(x[i] + st->hstep[j]);
            if (n == max) break;
            r = sm_pending_row(&st->q, n++);
            memcpy(r, x, st->d * sizeof *r);
            r[i] = sm_clamp01(x[i] - st->hstep[j]);
        }
    }
    /* discrete parameters are asked only at bin centres (relaxed ones, with exact gradients,
     * anywhere) */
    for (j = 0; j < n; j++) sm_snap_held(st->s, sm_pending_row(&st->q, j), st->exact);
    return n;
}

/* ---- repair ----------------------------------------------------------------------------- */

/* Sorts the moves cand[0..n) by rkey, ascending (insertion sort: stable, few moves). */
static void sort_moves(gd_state *st, size_t n)
{
    size_t a, b;
    for (a = 1; a < n; a++) {
        const long c = st->cand[a];
        const double k = st->rkey[a];
        for (b = a; b > 0 && st->rkey[b - 1] > k; b--) {
            st->cand[b] = st->cand[b - 1];
            st->rkey[b] = st->rkey[b - 1];
        }
        st->cand[b] = c;
        st->rkey[b] = k;
    }
}

/* The moves from rx: with a gradient (grad, d values in [0,1] coordinates), downhill steps by
 * decreasing |gradient|, then the parameters without gradient both ways, then the uphill
 * steps; without, every parameter up then down, in turn. */
static void make_moves(gd_state *st, const double *grad)
{
    size_t r;
    st->ncand = 0;
    for (r = 0; r < st->nr; r++) {
        int dir;
        for (dir = 0; dir < 2; dir++) {
            double key = (double)st->ncand;
            if (grad) {
                const double g = grad[st->ridx[r]];
                const int down = isfinite(g) && (dir == 0 ? g < 0 : g > 0);
                /* downhill first, steepest first; then no gradient; then uphill (stable) */
                key = down ? -fabs(g) : !isfinite(g) || g == 0.0 ? 1e300 : 1e301;
            }
            st->cand[st->ncand] = (long)(2 * r + (size_t)dir);
            st->rkey[st->ncand] = key;
            st->ncand++;
        }
    }
    if (grad) sort_moves(st, st->ncand);
    st->cpos = 0;
    st->since = 0;
}

/* Enters the repair from the best point of the descent's chains. */
static void repair_start(gd_state *st)
{
    const gd_chain *best = &st->ch[0];
    long c;
    for (c = 1; c < st->n_chains; c++)
        if (st->ch[c].best < best->best) best = &st->ch[c];
    st->rphase = 1;
    memcpy(st->rx, best->best_x, st->d * sizeof *st->rx);
    sm_snap_discrete(st->s, st->rx); /* the rounded patch: the cost the descent was told */
    st->rcost = best->best;
    st->rself = st->exact || !isfinite(st->rcost);
    if (st->nr == 0) st->rdone = 1;
    make_moves(st, NULL);
}

static size_t repair_ask(gd_state *st, double *x)
{
    if (st->rdone || st->planned >= st->total) return 0;
    memcpy(st->rpt, st->rx, st->d * sizeof *st->rpt);
    if (!st->rself) {
        for (;;) {
            const sm_param *p;
            size_t i;
            double k, b;
            long m;
            if (st->exact ? st->cpos >= st->ncand : st->since >= st->ncand) {
                st->rdone = 1;
                return 0;
            }
            m = st->cand[st->cpos];
            i = st->ridx[m / 2];
            p = &st->s->p[i];
            k = (double)sm_param_n_values(p);
            b = floor(st->rx[i] * k) + (m % 2 ? -1.0 : 1.0); /* the neighbouring bin */
            if (b >= 0 && b <= k - 1) {
                st->rpt[i] = (b + 0.5) / k;
                break;
            }
            st->cpos++; /* off the range: the next move */
            st->since++;
            if (!st->exact && st->cpos >= st->ncand) st->cpos = 0;
        }
    }
    memcpy(x, st->rpt, st->d * sizeof *x);
    st->planned++;
    return 1;
}

/* The cost (and with exact gradients, the gradient) of the repair point asked. */
static void repair_tell(gd_state *st, double cost, const double *grad)
{
    if (st->rself) {
        st->rself = 0;
        if (cost < st->rcost || !isfinite(st->rcost)) st->rcost = cost;
        make_moves(st, grad);
        return;
    }
    if (cost < st->rcost) {
        memcpy(st->rx, st->rpt, st->d * sizeof *st->rx);
        st->rcost = cost;
        if (grad) {
            make_moves(st, grad);
            return;
        }
        st->since = 0;
    } else {
        st->since++;
    }
    st->cpos++;
    if (!st->exact && st->cpos >= st->ncand) st->cpos = 0;
}

/* ---- the screening sample ---------------------------------------------------------------- */

/* Asks the next screening points, at most max_batch. Random (no `screen_by`): row 0 is chain
 * 0's start, then the starts after the first (cfg->starts, copied at alloc), then uniform
 * random values of the descended parameters, the others as chain 0's; each row is drawn when
 * first asked, in order, so the sample does not depend on max_batch. With `screen_by`, the
 * rows are what that optimizer asks. Returns 0 when it has nothing more to ask. */
static size_t screen_ask(gd_state *st, double *x, size_t max_batch)
{
    size_t k = st->sn - st->sasked, r, j;
    if (k > max_batch) k = max_batch;
    if (st->sby) {
        k = st->sby->ask(st->sst, st->sx + st->sasked * st->d, k);
    } else {
        for (r = st->sasked; r < st->sasked + k; r++) {
            double *row = st->sx + r * st->d;
            if (r >= st->sfixed) {
                memcpy(row, st->ch[0].x, st->d * sizeof *row);
                for (j = 0; j < st->dc; j++) row[st->cidx[j]] = sm_rng_uniform(&st->rng);
                sm_snap_held(st->s, row, st->exact);
            }
        }
    }
    memcpy(x, st->sx + st->sasked * st->d, k * st->d * sizeof *x);
    st->sasked += k;
    st->planned += k;
    st->last_screen = k > 0;
    return k;
}

/* Root mean square distance of a and b over the descended parameters. */
static double descended_dist(const gd_state *st, const double *a, const double *b)
{
    double s = 0;
    size_t j;
    for (j = 0; j < st->dc; j++) {
        const double e = a[st->cidx[j]] - b[st->cidx[j]];
        s += e * e;
    }
    return st->dc ? sqrt(s / (double)st->dc) : 0.0;
}

/* Once the sample is complete: chain 0 keeps its start, and chains 1, 2... take the sample's
 * best rows (ties in the sample's order) that lie at least GD_SCREEN_GAP from every start
 * already taken (so neither chain 0's start nor a crowd of near-copies, as an evolving sample
 * has, starts two chains), then, when too few do, the best rows left; chains beyond the
 * sample's size stay where they were. */
#define GD_SCREEN_GAP 0.05
static void screen_pick(gd_state *st)
{
    size_t r, *idx, n = st->sn;
    unsigned char *used;
    long c, pass;
    if (n == 0) return;
    idx = malloc(n * sizeof *idx);
    used = calloc(n, 1);
    if (!idx || !used) goto out; /* out of memory: the starts stay */
    for (r = 0; r < n; r++) idx[r] = r;
    qsort_r(idx, n, sizeof *idx, sm_cmp_index_by_cost, st->sc);
    c = 1;
    for (pass = 0; pass < 2 && c < st->n_chains; pass++) {
        for (r = 0; r < n && c < st->n_chains; r++) {
            const double *row = st->sx + idx[r] * st->d;
            long o;
            int ok = !used[r];
            for (o = 0; ok && pass == 0 && o < c; o++)
                ok = descended_dist(st, row, st->ch[o].x) >= GD_SCREEN_GAP;
            if (!ok) continue;
            if (pass == 1 && descended_dist(st, row, st->ch[0].x) == 0) continue;
            memcpy(st->ch[c++].x, row, st->d * sizeof *row);
            used[r] = 1;
        }
    }
    for (c = 0; c < st->n_chains; c++)
        memcpy(st->ch[c].best_x, st->ch[c].x, st->d * sizeof *st->sx);
out:
    free(idx);
    free(used);
}

/* Takes the costs of the screening points asked (telling them to `screen_by`'s optimizer);
 * when the sample is complete, picks the chains' starts. */
static void screen_tell(gd_state *st, const double *cost, size_t k)
{
    size_t r, first = st->stold;
    for (r = 0; r < k && st->stold < st->sasked; r++) st->sc[st->stold++] = cost[r];
    if (st->sby) st->sby->tell(st->sst, st->sx + first * st->d, st->sc + first, r);
    if (st->stold == st->sn) screen_pick(st);
}

static size_t gd_ask(void *p, double *x, size_t max_batch)
{
    gd_state *st = p;
    st->last_screen = 0;
    if (st->stold < st->sn) {
        size_t k;
        if (!max_batch || st->sasked != st->stold) return 0;
        if ((k = screen_ask(st, x, max_batch)) > 0) return k;
        st->sn = st->sasked; /* screen_by's optimizer has converged: the sample ends here */
        screen_pick(st);
    }
    if (st->rphase) return max_batch ? repair_ask(st, x) : 0;
    if (!sm_pending_has_rows(&st->q)) {
        size_t left = st->budget - st->planned, full = st->per * (size_t)st->n_act, n;
        if (st->done || left == 0) {
            if (st->repair_n == 0 || !max_batch) return 0;
            repair_start(st);
            return repair_ask(st, x);
        }
        n = write_batch(st, left < full ? left : full);
        st->final_batch = n < full || st->dc == 0;
        sm_pending_start(&st->q, n);
        st->planned += n;
    }
    return sm_pending_ask(&st->q, x, max_batch);
}

static void restart(gd_state *st, gd_chain *ch)
{
    size_t j;
    ch->restarts++;
    ch->lr *= st->decay;
    ch->perturb *= st->decay;
    if (ch->lr < st->lr0 * 1e-4) ch->lr = st->lr0 * 1e-4;
    if (ch->perturb < st->perturb0 * 1e-4) ch->perturb = st->perturb0 * 1e-4;
    memcpy(ch->x, ch->best_x, st->d * sizeof *ch->x);
    for (j = 0; j < st->dc; j++) {
        size_t i = st->cidx[j];
        ch->x[i] = sm_reflect01(ch->x[i] + st->lrs[j] * ch->perturb * sm_rng_normal(&st->rng));
        ch->m[j] = ch->v[j] = 0;
    }
    ch->t = 0;
    ch->stall = 0;
}

/* Records the batch's best point of each chain (before[c]: its best before the batch);
 * returns 1 when the batch is complete and a step is due. */
static int take_batch(gd_state *st, const double *cost, size_t k, double *before)
{
    size_t r;
    long c;
    if (!sm_pending_tell(&st->q, cost, k)) return 0;
    for (c = 0; c < st->n_act; c++) before[c] = st->ch[st->act[c]].best;
    for (r = 0; r < st->q.n; r++) {
        gd_chain *ch = &st->ch[st->act[r / st->per]];
        if (st->q.cost[r] < ch->best) {
            ch->best = st->q.cost[r];
            memcpy(ch->best_x, sm_pending_row(&st->q, r), st->d * sizeof *ch->best_x);
        }
    }
    if (st->final_batch) {
        st->done = 1;
        return 0;
    }
    return 1;
}

/* One projected Adam step of chain ch along ch->g, then the stall count and perhaps a
 * restart. */
static void adam_step(gd_state *st, gd_chain *ch, double before)
{
    size_t j;
    double b1t, b2t;
    ch->t++;
    b1t = 1 - pow(st->beta1, (double)ch->t);
    b2t = 1 - pow(st->beta2, (double)ch->t);
    for (j = 0; j < st->dc; j++) {
        size_t i = st->cidx[j];
        const double g = ch->g[j];
        ch->m[j] = st->beta1 * ch->m[j] + (1 - st->beta1) * g;
        ch->v[j] = st->beta2 * ch->v[j] + (1 - st->beta2) * g * g;
        ch->x[i] = sm_clamp01(ch->x[i] - st->lrs[j] * ch->lr * (ch->m[j] / b1t) /
                                             (sqrt(ch->v[j] / b2t) + st->eps));
    }
    if (!isfinite(before) || ch->best < before - 1e-12 * fabs(before)) ch->stall = 0;
    else if (++ch->stall >= st->patience) restart(st, ch);
}

/* Halving (`halve_after = S`): after S iterations, then 2S more, 4S more..., the better half
 * of the chains still descending (by their best costs; ties to the lower chain) go on, the
 * others stop, until `keep` remain (Karnin, Koren and Somekh 2013: successive halving). */
static void halve(gd_state *st)
{
    long a, b, n;
    st->iter++;
    if (st->halve_after <= 0 || st->n_act <= st->keep || st->iter < st->round_end) return;
    for (a = 1; a < st->n_act; a++) { /* insertion sort of act by best cost (stable) */
        const long v = st->act[a];
        for (b = a; b > 0 && st->ch[st->act[b - 1]].best > st->ch[v].best; b--)
            st->act[b] = st->act[b - 1];
        st->act[b] = v;
    }
    n = (st->n_act + 1) / 2;
    st->n_act = n > st->keep ? n : st->keep;
    for (a = 1; a < st->n_act; a++) { /* back to chain order, so batches keep it */
        const long v = st->act[a];
        for (b = a; b > 0 && st->act[b - 1] > v; b--) st->act[b] = st->act[b - 1];
        st->act[b] = v;
    }
    st->round_len *= 2;
    st->round_end = st->iter + st->round_len;
}

/* Where a batch's "before" values live: on the stack for few chains. */
#define GD_STACK_CHAINS 64

static void tell_steps(gd_state *st, const double *cost, size_t k, int with_grad)
{
    double stack[GD_STACK_CHAINS], *before = stack;
    size_t j;
    long c;
    if (st->n_chains > GD_STACK_CHAINS &&
        !(before = malloc((size_t)st->n_chains * sizeof *before))) {
        /* out of memory: the batch's costs are lost, the chains stay where they are */
        (void)sm_pending_tell(&st->q, cost, k);
        return;
    }
    if (!take_batch(st, cost, k, before)) goto out;
    for (c = 0; c < st->n_act; c++) {
        gd_chain *ch = &st->ch[st->act[c]];
        if (st->exact && !with_grad) { /* told no gradient: nothing to step on */
            if (++ch->stall >= st->patience) restart(st, ch);
            continue;
        }
        if (st->exact) {
            const double *gr = st->gq + (size_t)c * st->d;
            for (j = 0; j < st->dc; j++) {
                const double g = gr[st->cidx[j]];
                ch->g[j] = isfinite(g) ? g : 0.0;
            }
        } else { /* the gradient from the stencil */
            const size_t r0 = (size_t)c * st->per;
            for (j = 0; j < st->dc; j++) {
                size_t i = st->cidx[j];
                const double *xp = sm_pending_row(&st->q, r0 + 1 + 2 * j);
                const double *xm = sm_pending_row(&st->q, r0 + 2 + 2 * j);
                double span = xp[i] - xm[i];
                ch->g[j] = span > 0 ? (st->q.cost[r0 + 1 + 2 * j] -
                                       st->q.cost[r0 + 2 + 2 * j]) / span
                                    : 0;
            }
        }
        adam_step(st, ch, before[c]);
    }
    halve(st);
out:
    if (before != stack) free(before);
}

static void gd_tell(void *p, const double *x, const double *cost, size_t k)
{
    gd_state *st = p;
    (void)x;
    if (st->last_screen) {
        screen_tell(st, cost, k);
        return;
    }
    if (st->rphase) {
        if (k) repair_tell(st, cost[0], NULL);
        return;
    }
    tell_steps(p, cost, k, 0);
}

/* tell with exact gradients (a row a chain). A gradient that is not finite (a cost capped at
 * SM_EVAL_WORST_COST) counts as 0. */
static void gd_tell_grad(void *p, const double *x, const double *cost, const double *grad,
                         size_t k)
{
    gd_state *st = p;
    size_t r;
    if (!st->exact || st->last_screen) { /* the stencil's or the sample's costs count */
        gd_tell(p, x, cost, k);
        return;
    }
    if (st->rphase) {
        if (k) repair_tell(st, cost[0], grad);
        return;
    }
    for (r = 0; r < k && st->q.told + r < st->q.n; r++) /* keep each row's gradient */
        memcpy(st->gq + (st->q.told + r) * st->d, grad + r * st->d, st->d * sizeof *st->gq);
    tell_steps(st, cost, k, 1);
}

static int gd_wants_grad(const void *p)
{
    return !((const gd_state *)p)->last_screen;
}

static int gd_converged(const void *p)
{
    const gd_state *st = p;
    if (st->repair_n > 0)
        return st->rphase ? st->rdone || st->planned >= st->total : 0;
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
    gd_wants_grad,
};
