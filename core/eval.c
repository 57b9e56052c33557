/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/eval.c: scoring batches of points on OpenMP threads with one worker per thread
 * (see core/eval.h). Each point's score depends only on the point, so the thread count and
 * the schedule never change a result. */
#include "core/eval.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>

struct sm_eval {
    const sm_worker_type *type;
    int threads;
    void **workers;
    sm_eval_stats stats;
};

sm_eval *sm_eval_alloc(const sm_worker_type *type, const void *shared, int threads,
                       sm_error *err)
{
    sm_eval *ev;
    int i;
    if (!type || !type->alloc || !type->eval) {
        sm_error_set(err, SM_ERR_ARG, "evaluator: no worker type given");
        return NULL;
    }
    if (threads <= 0) threads = omp_get_max_threads();
    if (threads > 256) threads = 256;
    ev = calloc(1, sizeof *ev);
    if (!ev || !(ev->workers = calloc((size_t)threads, sizeof *ev->workers))) {
        free(ev);
        sm_error_set(err, SM_ERR_NOMEM, "evaluator: out of memory");
        return NULL;
    }
    ev->type = type;
    ev->threads = threads;
    for (i = 0; i < threads; i++) {
        ev->workers[i] = type->alloc(shared, err);
        if (!ev->workers[i]) {
            sm_eval_free(ev);
            return NULL;
        }
    }
    return ev;
}

/* The worst cost for a NaN or infinite score (counted in *bad), and for a finite score above
 * it (not counted). */
static double finite_cost(double c, uint64_t *bad)
{
    if (isfinite(c)) return c < SM_EVAL_WORST_COST ? c : SM_EVAL_WORST_COST;
    (*bad)++;
    return SM_EVAL_WORST_COST;
}

int sm_eval_batch(sm_eval *ev, const double *x, size_t k, size_t d, double *cost)
{
    long i, n;
    uint64_t bad = 0;
    if (!ev || (!x && k) || (!cost && k)) return SM_ERR_ARG;
    if (k == 0) return 0;
    /* Work items: points 2i and 2i + 1 together when the worker scores pairs (the last one
     * alone for an odd k), else point i. Which points pair depends only on their indices. */
    n = ev->type->eval2 ? (long)((k + 1) / 2) : (long)k;
#pragma omp parallel for num_threads(ev->threads) schedule(dynamic, 1) reduction(+ : bad) \
    if (ev->threads > 1 && n > 1)
    for (i = 0; i < n; i++) {
        void *w = ev->workers[omp_get_thread_num()];
        if (ev->type->eval2 && (size_t)(2 * i + 1) < k) {
            double ca, cb;
            ev->type->eval2(w, x + (size_t)(2 * i) * d, x + (size_t)(2 * i + 1) * d, d, &ca, &cb);
            cost[2 * i] = finite_cost(ca, &bad);
            cost[2 * i + 1] = finite_cost(cb, &bad);
        } else {
            const size_t j = ev->type->eval2 ? (size_t)(2 * i) : (size_t)i;
            cost[j] = finite_cost(ev->type->eval(w, x + j * d, d), &bad);
        }
    }
    ev->stats.n_evals += k;
    ev->stats.n_nonfinite += bad;
    return 0;
}

void *sm_eval_worker(sm_eval *ev, int i)
{
    if (!ev || i < 0 || i >= ev->threads) return NULL;
    return ev->workers[i];
}

int sm_eval_threads(const sm_eval *ev)
{
    return ev ? ev->threads : 0;
}

sm_eval_stats sm_eval_get_stats(const sm_eval *ev)
{
    sm_eval_stats z = {0, 0};
    return ev ? ev->stats : z;
}

void sm_eval_free(sm_eval *ev)
{
    int i;
    if (!ev) return;
    if (ev->workers && ev->type->free)
        for (i = 0; i < ev->threads; i++)
            if (ev->workers[i]) ev->type->free(ev->workers[i]);
    free(ev->workers);
    free(ev);
}
