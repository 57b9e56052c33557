/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/optimizer.c: the optimizer registry, the setting helpers every optimizer uses to read
 * its configuration, and sm_minimize, the generic ask/evaluate/tell driver (see
 * search/optimizer.h). The experiment runner has its own loop with checkpoints and progress;
 * sm_minimize is the plain version for tests, tools and library users. */
#include "search/optimizer.h"
#include "core/eval.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- registry ------------------------------------------------------------------------- */

static const sm_optimizer_type *const registry[] = {
#define SM_OPTIMIZER(name) &sm_optimizer_##name,
#include "search/optimizers.def"
#undef SM_OPTIMIZER
};

size_t sm_optimizer_count(void)
{
    return sizeof registry / sizeof registry[0];
}

const sm_optimizer_type *sm_optimizer_at(size_t i)
{
    return i < sm_optimizer_count() ? registry[i] : NULL;
}

char *sm_optimizer_names(char *buf, size_t len)
{
    size_t i, used = 0;
    if (!buf || !len) return buf;
    buf[0] = '\0';
    for (i = 0; i < sm_optimizer_count() && used < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", registry[i]->name);
        if (k < 0) break;
        used += (size_t)k;
    }
    return buf;
}

const sm_optimizer_type *sm_optimizer_find(const char *name)
{
    size_t i;
    if (!name) return NULL;
    for (i = 0; i < sm_optimizer_count(); i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

/* ---- settings ------------------------------------------------------------------------- */

/* The last setting called key (a later line overrides an earlier one), or NULL. */
static const sm_opt_setting *find_setting(const sm_opt_config *cfg, const char *key)
{
    size_t i;
    const sm_opt_setting *found = NULL;
    if (!cfg || !cfg->settings) return NULL;
    for (i = 0; i < cfg->n_settings; i++)
        if (cfg->settings[i].key && strcmp(cfg->settings[i].key, key) == 0)
            found = &cfg->settings[i];
    return found;
}

/* "exp.ini:12: " or "exp.ini: " or "settings: " into buf, for messages. */
static const char *where(const sm_opt_config *cfg, const sm_opt_setting *st, char *buf,
                         size_t n)
{
    const char *src = cfg && cfg->source ? cfg->source : "settings";
    if (st && st->line > 0) snprintf(buf, n, "%s:%d", src, st->line);
    else snprintf(buf, n, "%s", src);
    return buf;
}

const char *sm_opt_where(const sm_opt_config *cfg, const char *key, char *buf, size_t n)
{
    const sm_opt_setting *found = NULL;
    size_t i;
    for (i = 0; cfg && cfg->settings && key && i < cfg->n_settings; i++)
        if (cfg->settings[i].key && strcmp(cfg->settings[i].key, key) == 0)
            found = &cfg->settings[i];
    return where(cfg, found, buf, n);
}

static int only_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    return *p == 0;
}

int sm_opt_get_double(const sm_opt_config *cfg, const char *key, double def, double lo,
                      double hi, double *out, sm_error *err)
{
    const sm_opt_setting *st = find_setting(cfg, key);
    char w[300];
    char *end;
    double v;
    *out = def;
    if (!st) return 0;
    if (!st->value)
        return sm_error_set(err, SM_ERR_CONFIG, "%s: %s has no value", where(cfg, st, w, sizeof w),
                            key);
    errno = 0;
    v = strtod(st->value, &end);
    if (end == st->value || !only_space(end))
        return sm_error_set(err, SM_ERR_CONFIG, "%s: %s: '%s' is not a number",
                            where(cfg, st, w, sizeof w), key, st->value);
    if (!isfinite(v))
        return sm_error_set(err, SM_ERR_CONFIG, "%s: %s: '%s' is not a finite number",
                            where(cfg, st, w, sizeof w), key, st->value);
    if (v < lo || v > hi)
        return sm_error_set(err, SM_ERR_CONFIG, "%s: %s = %s is outside %g..%g",
                            where(cfg, st, w, sizeof w), key, st->value, lo, hi);
    *out = v;
    return 0;
}

int sm_opt_get_long(const sm_opt_config *cfg, const char *key, long def, long lo, long hi,
                    long *out, sm_error *err)
{
    const sm_opt_setting *st = find_setting(cfg, key);
    char w[300];
    char *end;
    long v;
    *out = def;
    if (!st) return 0;
    if (!st->value)
        return sm_error_set(err, SM_ERR_CONFIG, "%s: %s has no value", where(cfg, st, w, sizeof w),
                            key);
    errno = 0;
    v = strtol(st->value, &end, 10);
    if (end == st->value || !only_space(end))
        return sm_error_set(err, SM_ERR_CONFIG, "%s: %s: '%s' is not a whole number",
                            where(cfg, st, w, sizeof w), key, st->value);
    if (errno == ERANGE || v < lo || v > hi)
        return sm_error_set(err, SM_ERR_CONFIG, "%s: %s = %s is outside %ld..%ld",
                            where(cfg, st, w, sizeof w), key, st->value, lo, hi);
    *out = v;
    return 0;
}

const char *sm_opt_get_string(const sm_opt_config *cfg, const char *key, const char *def)
{
    const sm_opt_setting *st = find_setting(cfg, key);
    return st && st->value ? st->value : def;
}

int sm_opt_check_keys(const sm_opt_config *cfg, const char *const *keys, const char *optname,
                      sm_error *err)
{
    size_t i, j;
    if (!cfg || !cfg->settings) return 0;
    for (i = 0; i < cfg->n_settings; i++) {
        const sm_opt_setting *st = &cfg->settings[i];
        int known = 0;
        char w[300];
        for (j = 0; keys && keys[j]; j++)
            if (st->key && strcmp(st->key, keys[j]) == 0) known = 1;
        if (!known) {
            char list[400] = "";
            size_t len = 0;
            for (j = 0; keys && keys[j] && len + 1 < sizeof list; j++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "",
                                        keys[j]);
            return sm_error_set(err, SM_ERR_CONFIG,
                                "%s: unknown setting '%s' for optimizer %s (accepted: %s)",
                                where(cfg, st, w, sizeof w), st->key ? st->key : "(null)",
                                optname ? optname : "?", list[0] ? list : "none");
        }
        for (j = 0; j < i; j++)
            if (strcmp(cfg->settings[j].key, st->key) == 0)
                return sm_error_set(err, SM_ERR_CONFIG,
                                    "%s: setting '%s' for optimizer %s is given twice "
                                    "(first on line %d)",
                                    where(cfg, st, w, sizeof w), st->key,
                                    optname ? optname : "?", cfg->settings[j].line);
    }
    return 0;
}

int sm_opt_gradient_setting(const sm_opt_config *cfg, const char *optname, sm_error *err)
{
    const char *v = sm_opt_get_string(cfg, "gradient", "exact");
    if (strcmp(v, "exact") == 0) return 1;
    if (strcmp(v, "differences") == 0) return 0;
    sm_error_set(err, SM_ERR_CONFIG, "%s: %s: gradient = '%s' is neither exact nor differences",
                 cfg->source ? cfg->source : "settings", optname, v);
    return -1;
}

/* ---- the driver ----------------------------------------------------------------------- */

/* The driver of sm_minimize and sm_minimize_grad: one of score and gscore is given. */
static long minimize(const sm_optimizer_type *T, const sm_param_space *s,
                     const sm_opt_config *cfg_in, uint64_t seed, size_t max_batch,
                     sm_batch_fn score, sm_batch_grad_fn gscore, void *ctx, double *best_x,
                     double *best_cost, sm_error *err)
{
    size_t d, used = 0, i, cap;
    double *x = NULL, *cost = NULL, *grad = NULL, best = INFINITY;
    void *st;
    long rc = 0;
    sm_opt_config cfg_v, *cfg = &cfg_v;
    const int with_grad = gscore && T && T->tell_grad;
    if (!cfg_in) cfg = NULL;
    else {
        cfg_v = *cfg_in;
        cfg_v.exact_grad = with_grad;
    }
    if (best_cost) *best_cost = INFINITY;
    if (!T || !s || !cfg || !(score || gscore) || !best_x)
        return sm_error_set(err, SM_ERR_ARG, "sm_minimize: missing optimizer, space, config, "
                                             "objective or best_x");
    if (cfg->budget < 1)
        return sm_error_set(err, SM_ERR_ARG, "sm_minimize: the budget must be at least 1");
    if (max_batch < 1)
        return sm_error_set(err, SM_ERR_ARG, "sm_minimize: max_batch must be at least 1");
    d = s->n;
    cap = max_batch < cfg->budget ? max_batch : cfg->budget;
    for (i = 0; i < d; i++) best_x[i] = 0.5;
    st = T->alloc(s, cfg, seed, err);
    if (!st) return err && err->code ? err->code : SM_ERR_NOMEM;
    x = malloc(cap * (d ? d : 1) * sizeof *x);
    cost = malloc(cap * sizeof *cost);
    if (gscore) grad = malloc(cap * (d ? d : 1) * sizeof *grad);
    if (!x || !cost || (gscore && !grad)) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto out;
    }
    while (used < cfg->budget) {
        size_t want = cfg->budget - used < cap ? cfg->budget - used : cap;
        size_t k = T->ask(st, x, want);
        int src;
        if (k == 0) break;
        if (k > want) {
            rc = sm_error_set(err, SM_ERR_ARG, "optimizer %s asked %zu points, more than %zu",
                              T->name, k, want);
            goto out;
        }
        src = gscore ? gscore(ctx, x, k, d, cost, grad) : score(ctx, x, k, d, cost);
        if (src != 0) {
            rc = src < 0 ? src : SM_ERR_ARG;
            if (err && !err->code) sm_error_set(err, (int)rc, "the objective failed (%s)",
                                                sm_strerror((int)rc));
            goto out;
        }
        for (i = 0; i < k; i++) {
            /* the contract: costs are finite, at most the one worst cost */
            if (!isfinite(cost[i]) || cost[i] > SM_EVAL_WORST_COST) cost[i] = SM_EVAL_WORST_COST;
            if (cost[i] < best) {
                best = cost[i];
                memcpy(best_x, x + i * d, d * sizeof *best_x);
            }
        }
        used += k;
        if (with_grad) T->tell_grad(st, x, cost, grad, k);
        else T->tell(st, x, cost, k);
        if (T->converged && T->converged(st)) break;
    }
    rc = (long)used;
    if (best_cost) *best_cost = best;
out:
    T->free(st);
    free(x);
    free(cost);
    free(grad);
    return rc;
}

long sm_minimize(const sm_optimizer_type *T, const sm_param_space *s, const sm_opt_config *cfg,
                 uint64_t seed, size_t max_batch, sm_batch_fn score, void *ctx,
                 double *best_x, double *best_cost, sm_error *err)
{
    return minimize(T, s, cfg, seed, max_batch, score, NULL, ctx, best_x, best_cost, err);
}

long sm_minimize_grad(const sm_optimizer_type *T, const sm_param_space *s,
                      const sm_opt_config *cfg, uint64_t seed, size_t max_batch,
                      sm_batch_grad_fn score, void *ctx, double *best_x, double *best_cost,
                      sm_error *err)
{
    return minimize(T, s, cfg, seed, max_batch, NULL, score, ctx, best_x, best_cost, err);
}
