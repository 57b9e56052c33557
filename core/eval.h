/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/eval.h: parallel evaluation of a batch of points, independent of the thread count.
 *
 * The evaluator knows nothing of synths or features: a worker type says how to make per-thread
 * state (a synth instance, FFTW buffers, scratch) and how to score one point with it. The
 * evaluator makes one worker per thread at set-up and spreads each batch over OpenMP threads.
 * Scores depend only on the point, so results are identical at any thread count.
 * A NaN or infinite score is replaced by SM_EVAL_WORST_COST and counted. */
#ifndef SM_EVAL_H
#define SM_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The one worst cost, for a point whose score is NaN or infinite (a broken render): the
 * evaluator and sm_minimize both give such a point this cost, and cap any larger finite
 * cost to it, so it ranks at or below every real cost. Real costs are far below it (cost
 * weights go up to 1e6, each term is at most a few thousand). It stays finite, as optimizers
 * expect, and leaves room for their arithmetic: a difference over a tiny step or a sum of
 * two such costs does not overflow, as it would from DBL_MAX. */
#define SM_EVAL_WORST_COST 1e30

typedef struct sm_worker_type {
    /* Per-thread state made from the shared, read-only context. NULL on failure (err set). */
    void *(*alloc)(const void *shared, sm_error *err);
    /* Scores one point of d normalized coordinates. May return NaN or Inf (counted as worst).
     * Must not allocate in the hot path and must not depend on other points. */
    double (*eval)(void *worker, const double *x, size_t d);
    void (*free)(void *worker);
    /* Optional (NULL: eval twice): scores two points at once, each exactly as eval would
     * (the evaluator pairs the points of a batch when it can; a pairing never changes a
     * score). */
    void (*eval2)(void *worker, const double *x_a, const double *x_b, size_t d,
                  double *cost_a, double *cost_b);
} sm_worker_type;

typedef struct {
    uint64_t n_evals;      /* points scored */
    uint64_t n_nonfinite;  /* of which gave NaN or Inf */
} sm_eval_stats;

typedef struct sm_eval sm_eval;

/* Makes `threads` workers (0: OpenMP's default). Returns NULL with err set on failure; workers
 * already made are freed. */
sm_eval *sm_eval_alloc(const sm_worker_type *type, const void *shared, int threads,
                       sm_error *err);
/* Scores k points (row-major, k x d) into cost[k]. Returns 0 or SM_ERR_ARG. */
int sm_eval_batch(sm_eval *ev, const double *x, size_t k, size_t d, double *cost);
/* The worker of thread i (0 <= i < threads), e.g. to render the best point once more. */
void *sm_eval_worker(sm_eval *ev, int i);
int sm_eval_threads(const sm_eval *ev);
sm_eval_stats sm_eval_get_stats(const sm_eval *ev);
void sm_eval_free(sm_eval *ev);

#ifdef __cplusplus
}
#endif

#endif
