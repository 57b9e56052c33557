/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/retrieve.c: the "closest preset, no search" baseline.
 *
 * The runner retrieves, per target, the K nearest human presets and passes them as
 * cfg->starts (best first). retrieve asks exactly those points, in order (cfg->x0 first if
 * given), clamped to [0,1] and snapped to bin centres, and nothing else; then ask returns 0
 * and it has converged. It never draws a random number, so every seed gives the same run. A
 * budget smaller than the starts cuts them, keeping the best ones. It has no settings.
 *
 * Without starts there is nothing to ask: alloc fails with a message that says how to give
 * them (an experiment's [prior] dataset). */
#include "search/optimizer.h"

#include <stdlib.h>
#include <string.h>
#include "search/batch.h"

typedef struct {
    size_t d;
    double *rows;      /* n rows of d values (owned) */
    size_t n, asked;
} retrieve_state;

static const char *const retrieve_keys[] = {NULL};
static const char *const retrieve_help[] = {NULL};

static void retrieve_free(void *p)
{
    retrieve_state *st = p;
    if (!st) return;
    free(st->rows);
    free(st);
}

static void *retrieve_alloc(const sm_param_space *s, const sm_opt_config *cfg, uint64_t seed,
                            sm_error *err)
{
    retrieve_state *st;
    (void)seed;
    if (!s || !cfg || s->n == 0) {
        sm_error_set(err, SM_ERR_ARG, "retrieve: empty parameter space");
        return NULL;
    }
    if (sm_opt_check_keys(cfg, retrieve_keys, "retrieve", err) != 0) return NULL;
    if (!cfg->starts || cfg->n_starts == 0) {
        sm_error_set(err, SM_ERR_CONFIG,
                     "%s: retrieve needs start points: give the experiment a [prior] dataset",
                     cfg->source ? cfg->source : "settings");
        return NULL;
    }
    st = calloc(1, sizeof *st);
    if (!st ||
        sm_start_rows(s, cfg->x0, cfg->starts, cfg->n_starts, 1, &st->rows, &st->n) != 0) {
        retrieve_free(st);
        sm_error_set(err, SM_ERR_NOMEM, "retrieve: out of memory");
        return NULL;
    }
    st->d = s->n;
    if (st->n > cfg->budget) st->n = cfg->budget;
    return st;
}

static size_t retrieve_ask(void *p, double *x, size_t max_batch)
{
    retrieve_state *st = p;
    size_t k = st->n - st->asked;
    if (k > max_batch) k = max_batch;
    if (k) memcpy(x, st->rows + st->asked * st->d, k * st->d * sizeof *x);
    st->asked += k;
    return k;
}

static void retrieve_tell(void *p, const double *x, const double *cost, size_t k)
{
    (void)p;
    (void)x;
    (void)cost;
    (void)k;
}

static int retrieve_converged(const void *p)
{
    const retrieve_state *st = p;
    return st->asked >= st->n;
}

const sm_optimizer_type sm_optimizer_retrieve = {
    "retrieve",
    "the retrieved presets (the runner's start points) as they are, no search (a baseline)",
    retrieve_keys,
    retrieve_help,
    retrieve_alloc,
    retrieve_ask,
    retrieve_tell,
    retrieve_converged,
    retrieve_free,
    NULL, /* no side data */
};
