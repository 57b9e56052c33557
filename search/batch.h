/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/batch.h: internal helpers the optimizers share (not installed, not public API).
 *
 * - sm_pending: the queue behind every ask/tell optimizer. An optimizer forms a whole batch
 *   (a generation, a finite-difference stencil, the moves of one coordinate) with
 *   sm_pending_start, then ask hands it out in pieces of at most max_batch rows and tell
 *   collects the costs in order. When the last cost of the batch is back, the optimizer
 *   updates its state. Because the batch is formed before anyone knows max_batch, the points
 *   an optimizer asks never depend on how the caller cuts them up.
 * - Small coordinate helpers: clamp or reflect into [0,1], snap discrete parameters to their
 *   bin centres (core/params.h), and copy a config's start points (x0, starts).
 *
 * Everything here is static inline, so each optimizer file stays self-contained. */
#ifndef SM_SEARCH_BATCH_H
#define SM_SEARCH_BATCH_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/params.h"
#include "core/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t d;        /* values per row */
    size_t cap;      /* rows allocated */
    size_t n;        /* rows in the current batch */
    size_t handed;   /* rows handed out by ask so far */
    size_t told;     /* rows whose costs have come back */
    size_t last;     /* rows in the latest ask */
    double *x;       /* cap * d */
    double *cost;    /* cap */
} sm_pending;

/* Allocates room for cap rows of d values. Returns 0 or -1 (out of memory). */
static inline int sm_pending_init(sm_pending *p, size_t d, size_t cap)
{
    memset(p, 0, sizeof *p);
    p->d = d;
    if (cap == 0) cap = 1;
    p->x = malloc(cap * (d ? d : 1) * sizeof *p->x);
    p->cost = malloc(cap * sizeof *p->cost);
    if (!p->x || !p->cost) {
        free(p->x);
        free(p->cost);
        memset(p, 0, sizeof *p);
        return -1;
    }
    p->cap = cap;
    return 0;
}

/* Grows the queue to at least cap rows (keeps nothing of the current batch). 0 or -1. */
static inline int sm_pending_reserve(sm_pending *p, size_t cap)
{
    double *x, *c;
    if (cap <= p->cap) return 0;
    x = realloc(p->x, cap * (p->d ? p->d : 1) * sizeof *x);
    if (!x) return -1;
    p->x = x;
    c = realloc(p->cost, cap * sizeof *c);
    if (!c) return -1;
    p->cost = c;
    p->cap = cap;
    return 0;
}

static inline void sm_pending_free(sm_pending *p)
{
    free(p->x);
    free(p->cost);
    memset(p, 0, sizeof *p);
}

/* Row i of the current batch, to fill before sm_pending_start or to read after. */
static inline double *sm_pending_row(sm_pending *p, size_t i)
{
    return p->x + i * p->d;
}

/* Declares the first n rows (already written) as the new batch. n <= cap. */
static inline void sm_pending_start(sm_pending *p, size_t n)
{
    p->n = n;
    p->handed = 0;
    p->told = 0;
    p->last = 0;
}

/* 1 while some rows of the batch are still to be handed out. */
static inline int sm_pending_has_rows(const sm_pending *p)
{
    return p->handed < p->n;
}

/* Copies up to max rows of the batch to out; returns how many. */
static inline size_t sm_pending_ask(sm_pending *p, double *out, size_t max)
{
    size_t k = p->n - p->handed;
    if (k > max) k = max;
    if (k) memcpy(out, p->x + p->handed * p->d, k * p->d * sizeof *out);
    p->handed += k;
    p->last = k;
    return k;
}

/* Records the costs of the latest ask (k rows). Returns 1 when the whole batch is scored. */
static inline int sm_pending_tell(sm_pending *p, const double *cost, size_t k)
{
    size_t i;
    if (k > p->last) k = p->last; /* a caller breaking the contract cannot overrun us */
    for (i = 0; i < k && p->told < p->n; i++) p->cost[p->told++] = cost[i];
    p->last = 0;
    return p->n > 0 && p->told == p->n;
}

static inline double sm_clamp01(double x)
{
    if (!(x > 0)) return 0; /* also NaN */
    if (x > 1) return 1;
    return x;
}

/* Reflects x into [0,1] at the bounds (x = -0.1 gives 0.1), so that floats never pile up
 * exactly on 0 or 1 as they would with clamping. */
static inline double sm_reflect01(double x)
{
    if (!isfinite(x)) return 0.5;
    x = fmod(fabs(x), 2.0);  /* the reflected walk has period 2 */
    if (x > 1) x = 2 - x;
    return x;
}

/* 1 when an optimizer descending on gradients moves p as a continuous value: a REAL
 * parameter, or, when the gradients are exact (exact != 0), a relaxed integer whose synth's
 * render_grad plays any real value (core/params.h). */
static inline int sm_param_descended(const sm_param *p, int exact)
{
    return !sm_param_is_discrete(p) || (exact && sm_param_is_relaxed(p));
}

/* Moves every parameter of x that is not descended (sm_param_descended) to the centre of its
 * bin; leaves the descended ones alone. */
static inline void sm_snap_held(const sm_param_space *s, double *x, int exact)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (!sm_param_descended(&s->p[i], exact))
            x[i] = sm_param_encode1(&s->p[i], sm_param_decode1(&s->p[i], x[i]));
}

/* Moves every discrete parameter of x to the centre of its bin; leaves REAL ones alone. */
static inline void sm_snap_discrete(const sm_param_space *s, double *x)
{
    sm_snap_held(s, x, 0);
}

/* Number of values discrete parameter p can take. */
static inline size_t sm_param_n_values(const sm_param *p)
{
    double k = p->max - p->min + 1;
    return k >= 1 ? (size_t)k : 1;
}

/* A uniformly drawn bin centre of discrete parameter p. */
static inline double sm_random_bin(const sm_param *p, sm_rng *r)
{
    size_t k = sm_param_n_values(p);
    return ((double)sm_rng_below(r, k) + 0.5) / (double)k;
}

/* The start points of cfg as owned rows (core/params.h bin centres, clamped to [0,1]): x0
 * first when with_x0 and it is given, then cfg->starts in order. *rows is NULL when there are
 * none. Returns 0, or -1 when out of memory (then *rows is NULL and *n 0). */
static inline int sm_start_rows(const sm_param_space *s, const double *x0, const double *starts,
                                size_t n_starts, int with_x0, double **rows, size_t *n)
{
    size_t d = s->n, k = 0, i, j, total = (with_x0 && x0 ? 1 : 0) + (starts ? n_starts : 0);
    *rows = NULL;
    *n = 0;
    if (total == 0) return 0;
    *rows = malloc(total * d * sizeof **rows);
    if (!*rows) return -1;
    if (with_x0 && x0) {
        for (j = 0; j < d; j++) (*rows)[j] = sm_clamp01(x0[j]);
        k++;
    }
    for (i = 0; starts && i < n_starts; i++, k++)
        for (j = 0; j < d; j++) (*rows)[k * d + j] = sm_clamp01(starts[i * d + j]);
    for (i = 0; i < total; i++) sm_snap_discrete(s, *rows + i * d);
    *n = total;
    return 0;
}

/* qsort_r comparator of indices into the cost array ctx: lower cost first, ties by index,
 * so the order is the same whatever the sort algorithm. */
static inline int sm_cmp_index_by_cost(const void *a, const void *b, void *ctx)
{
    const double *cost = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (cost[i] < cost[j]) return -1;
    if (cost[i] > cost[j]) return 1;
    return i < j ? -1 : i > j;
}

#ifdef __cplusplus
}
#endif

#endif
