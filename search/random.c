/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/random.c: uniform random search, the baseline every other optimizer must beat.
 *
 * Point i is the i-th draw of one seeded stream (sm_rng stream 1), so the sequence does not
 * depend on how the caller batches. If cfg->x0 is given it is asked first; cfg->starts are
 * ignored (random search is the no-prior baseline; retrieve is the prior-only one). Discrete
 * parameters are drawn uniformly over their values (bin centres). The search runs until the
 * budget is spent; it has no settings. */
#include "search/optimizer.h"

#include <stdlib.h>
#include <string.h>
#include "core/rng.h"
#include "search/batch.h"

typedef struct {
    const sm_param_space *s;
    sm_rng rng;
    size_t budget, asked;
    double *x0;        /* owned copy, or NULL */
} random_state;

static const char *const random_keys[] = {NULL};
static const char *const random_help[] = {NULL};

static void random_free(void *p)
{
    random_state *st = p;
    if (!st) return;
    free(st->x0);
    free(st);
}

static void *random_alloc(const sm_param_space *s, const sm_opt_config *cfg, uint64_t seed,
                          sm_error *err)
{
    random_state *st;
    size_t i;
    if (!s || !cfg || s->n == 0) {
        sm_error_set(err, SM_ERR_ARG, "random: empty parameter space");
        return NULL;
    }
    if (sm_opt_check_keys(cfg, random_keys, "random", err) != 0) return NULL;
    st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->s = s;
    st->budget = cfg->budget;
    sm_rng_init(&st->rng, seed, 1);
    if (cfg->x0) {
        st->x0 = malloc(s->n * sizeof *st->x0);
        if (!st->x0) goto nomem;
        for (i = 0; i < s->n; i++) st->x0[i] = sm_clamp01(cfg->x0[i]);
        sm_snap_discrete(s, st->x0);
    }
    return st;
nomem:
    random_free(st);
    sm_error_set(err, SM_ERR_NOMEM, "random: out of memory");
    return NULL;
}

static size_t random_ask(void *p, double *x, size_t max_batch)
{
    random_state *st = p;
    size_t k = 0, i, d = st->s->n;
    while (k < max_batch && st->asked < st->budget) {
        double *row = x + k * d;
        if (st->asked == 0 && st->x0) {
            memcpy(row, st->x0, d * sizeof *row);
        } else {
            for (i = 0; i < d; i++) {
                const sm_param *pp = &st->s->p[i];
                row[i] = sm_param_is_discrete(pp) ? sm_random_bin(pp, &st->rng)
                                                  : sm_rng_uniform(&st->rng);
            }
        }
        k++;
        st->asked++;
    }
    return k;
}

static void random_tell(void *p, const double *x, const double *cost, size_t k)
{
    (void)p;
    (void)x;
    (void)cost;
    (void)k;
}

static int random_converged(const void *p)
{
    const random_state *st = p;
    return st->asked >= st->budget;
}

const sm_optimizer_type sm_optimizer_random = {
    "random",
    "uniform random search (the baseline)",
    random_keys,
    random_help,
    random_alloc,
    random_ask,
    random_tell,
    random_converged,
    random_free,
    NULL, /* no side data */
};
