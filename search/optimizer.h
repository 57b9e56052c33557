/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/optimizer.h: the optimizer interface (ask/tell), in the spirit of GSL's minimizers.
 *
 * An optimizer sees only a parameter space: points are rows of s->n values in [0,1]. The caller
 * owns the loop: it asks for a batch, scores it (in parallel), and tells the costs back. This
 * gives every optimizer budgets, progress output and checkpoints for free.
 *
 * Contract:
 * - ask returns k points, 1 <= k <= max_batch, or 0 when the optimizer has nothing left to try.
 *   The batch an optimizer forms must not depend on max_batch beyond being cut into pieces,
 *   so results do not depend on how the caller batches (nor on its thread count).
 * - tell receives exactly the points of the latest ask, in order, with their costs, before the
 *   next ask. Costs are finite and at most SM_EVAL_WORST_COST (1e30, core/eval.h):
 *   the evaluator and sm_minimize replace NaN, infinite and larger costs by it.
 * - Discrete parameters (INT, ENUM) are only ever asked at bin centres (see core/params.h). */
#ifndef SM_OPTIMIZER_H
#define SM_OPTIMIZER_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "core/params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One optimizer-specific setting, as read from an experiment file. */
typedef struct {
    const char *key;
    const char *value;
    int line;          /* line in `source` (0 if not from a file) */
} sm_opt_setting;

/* Start points. x0 is one explicit start (a user's patch); starts are the K nearest human
 * presets a retrieval found for the target, n_starts rows of s->n values in [0,1], best first.
 * start_costs is NULL or n_starts known costs of those rows (ascending); optimizers may use
 * them to rank the starts but still ask every start they need scored, so the best point a
 * caller records is always one it scored. The config only borrows these arrays: alloc copies
 * what it keeps. Values are clamped to [0,1] and discrete ones snapped to bin centres.
 *
 * How each optimizer uses them (x0 wins where both would set the same thing, since it is the
 * more specific choice; the starts then follow it):
 *   random   ignores the starts (asks x0 first, as before);
 *   hill     begins at x0, else starts[0]; its restarts go through the remaining starts in
 *            order before random points;
 *   gd       begins at x0, else starts[0];
 *   ga       generation 0 is x0, then the starts, up to popsize; the rest are random;
 *   cmaes    the first run's mean is x0 (step sigma0), else starts[0] (step start_sigma);
 *            each IPOP restart begins at the next start (cycling) with start_sigma;
 *   pcakm    ignores them (its model chooses its starts);
 *   retrieve asks x0 then the starts, nothing else; fails without any;
 *   halving  successive halving over x0 and the starts (random starts without any). */
typedef struct {
    size_t budget;             /* evaluations allowed in all (>= 1) */
    const double *x0;          /* optional start point (s->n values in [0,1]) or NULL */
    const double *starts;      /* n_starts rows of s->n values in [0,1], best first, or NULL */
    size_t n_starts;
    const double *start_costs; /* NULL, or the n_starts known costs of the starts */
    const sm_opt_setting *settings;
    size_t n_settings;
    const char *source;        /* where the settings came from, for messages ("exp.ini") */
    /* Side data (sm_opt_side_type below), for optimizer types that have it, else NULL: */
    const void *side_model;        /* the model the type's side->build made */
    const double *target_features; /* the target's features, as the model's (m values) */
    /* 1: the caller gives every point's exact gradient through the type's tell_grad (only
     * for types that have it); 0: costs only, through tell. */
    int exact_grad;
} sm_opt_config;

/* Side data: a model an optimizer learns before its runs from a dataset of rendered patches,
 * then queries with each run's target (pcakm: PCA + k-means). The caller (the experiment runner,
 * experiments/patch_dataset.c) owns the dataset: it draws n points of the run's space (random,
 * or the patches of the file named by the optimizer's `dataset` setting, `dataset_size` of
 * them), renders each, and summarises its sound as m features (the MFCC means and standard
 * deviations of the experiment's cost). It builds the model once per parameter space, caches
 * it with save/load under a key that includes `version` and the model's settings, and passes
 * every run the model and its target's features in sm_opt_config (side_model,
 * target_features). `dataset` and `dataset_size` are the caller's keys for any type with side
 * data; `keys` are the model's own, given to check and build as cfg->settings. */
typedef struct sm_opt_side_type {
    const char *const *keys;       /* the model's setting keys, NULL-terminated */
    const char *const *key_help;   /* one line per key, as sm_optimizer_type's key_help */
    int version;                   /* of the model and its file format: part of the cache key */
    /* Checks the model's settings (cfg->settings, cfg->source) before anything is rendered.
     * Returns 0 or SM_ERR_CONFIG with err naming source:line, key and the problem. */
    int (*check)(const sm_opt_config *cfg, sm_error *err);
    /* Builds the model from n points (rows of d values in [0,1]) and their features (rows of m
     * values); both stay the caller's. Reproducible for a seed. Returns the model (freed with
     * free) or NULL with err set. */
    void *(*build)(const double *points, size_t n, size_t d, const double *features, size_t m,
                   const sm_opt_config *cfg, uint64_t seed, sm_error *err);
    /* Writes the model to path all-or-nothing; reads it back (NULL with err naming the file and
     * what is wrong). Returns 0 or an sm_err code. */
    int (*save)(const char *path, const void *model, sm_error *err);
    void *(*load)(const char *path, sm_error *err);
    void (*free)(void *model);     /* NULL is a no-op */
} sm_opt_side_type;

typedef struct sm_optimizer_type {
    const char *name;          /* "gd", "ga", "pcakm", "random", "hill", "cmaes", "retrieve",
                                * "halving" */
    const char *description;   /* one line */
    const char *const *keys;   /* accepted setting keys, NULL-terminated */
    const char *const *key_help; /* one line per key: "popsize: individuals per generation (50)" */
    /* State for one run. An unknown key or a bad value is NULL with err naming
     * source:line, key and the problem. */
    void *(*alloc)(const sm_param_space *s, const sm_opt_config *cfg, uint64_t seed,
                   sm_error *err);
    size_t (*ask)(void *st, double *x, size_t max_batch);
    void (*tell)(void *st, const double *x, const double *cost, size_t k);
    int (*converged)(const void *st);   /* 1: asking more is pointless */
    void (*free)(void *st);
    /* Optional (NULL: none): side data; alloc then fails without cfg->side_model. */
    const sm_opt_side_type *side;
    /* Optional (NULL: the type uses costs only): tell with gradients. When the type has it and
     * the caller can compute exact gradients, the caller sets cfg->exact_grad before alloc and
     * then answers every ask with tell_grad instead of tell: the k costs and k rows of s->n
     * values d cost / d x in normalized coordinates (0 for discrete parameters). Each point
     * scored with its gradient counts as one evaluation of the budget. */
    void (*tell_grad)(void *st, const double *x, const double *cost, const double *grad,
                      size_t k);
    /* Optional (NULL: every point needs its gradient): with exact gradients, asked right after
     * an ask; 0 when the points just asked need only their costs (a screening sample), which
     * the caller may then score without gradients and give through tell (or with them, through
     * tell_grad). An evaluation is counted the same either way. */
    int (*wants_grad)(const void *st);
} sm_optimizer_type;

const sm_optimizer_type *sm_optimizer_find(const char *name);
size_t sm_optimizer_count(void);
const sm_optimizer_type *sm_optimizer_at(size_t i);
/* The registered optimizers' names, joined by ", " into buf (truncated to len). Returns buf. */
char *sm_optimizer_names(char *buf, size_t len);

/* Helpers for optimizer implementations: look up a setting and parse it, with messages that
 * name cfg->source and the line. An absent key gives def. Unknown keys are found by
 * sm_opt_check_keys. */
int sm_opt_get_double(const sm_opt_config *cfg, const char *key, double def, double lo,
                      double hi, double *out, sm_error *err);
int sm_opt_get_long(const sm_opt_config *cfg, const char *key, long def, long lo, long hi,
                    long *out, sm_error *err);
const char *sm_opt_get_string(const sm_opt_config *cfg, const char *key, const char *def);
/* "source:line" of setting `key` (the last one given), or the source alone when the key is
 * absent or has no line, written into buf (n bytes, truncated). Returns buf. */
const char *sm_opt_where(const sm_opt_config *cfg, const char *key, char *buf, size_t n);
int sm_opt_check_keys(const sm_opt_config *cfg, const char *const *keys, const char *optname,
                      sm_error *err);
/* The `gradient` setting of a type that takes exact gradients (tell_grad): 1 for "exact" (the
 * default: the caller computes gradients when it can), 0 for "differences" (it must not; the
 * type uses finite differences). Any other value is -1 with err naming cfg->source, optname and
 * the value (err may be NULL). The runner reads it before alloc to decide what to compute. */
int sm_opt_gradient_setting(const sm_opt_config *cfg, const char *optname, sm_error *err);

/* The generic driver: runs optimizer T on an objective until the budget is spent or T has
 * converged. score(ctx, x, k, d, cost) scores k points. best_x (s->n values) and *best_cost
 * receive the best point seen. Returns evaluations used, or a negative sm_err. */
typedef int (*sm_batch_fn)(void *ctx, const double *x, size_t k, size_t d, double *cost);
long sm_minimize(const sm_optimizer_type *T, const sm_param_space *s, const sm_opt_config *cfg,
                 uint64_t seed, size_t max_batch, sm_batch_fn score, void *ctx,
                 double *best_x, double *best_cost, sm_error *err);

/* sm_minimize with exact gradients: score(ctx, x, k, d, cost, grad) scores k points and
 * writes their gradients (k rows of d values). When T has tell_grad, cfg->exact_grad is taken
 * as 1 and T is told the gradients; otherwise the gradients are ignored and this is
 * sm_minimize. Same returns. */
typedef int (*sm_batch_grad_fn)(void *ctx, const double *x, size_t k, size_t d, double *cost,
                                double *grad);
long sm_minimize_grad(const sm_optimizer_type *T, const sm_param_space *s,
                      const sm_opt_config *cfg, uint64_t seed, size_t max_batch,
                      sm_batch_grad_fn score, void *ctx, double *best_x, double *best_cost,
                      sm_error *err);

#define SM_OPTIMIZER(name) extern const sm_optimizer_type sm_optimizer_##name;
#include "search/optimizers.def"
#undef SM_OPTIMIZER

#ifdef __cplusplus
}
#endif

#endif
