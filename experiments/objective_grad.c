/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/objective_grad.c: render -> cost -> exact gradient (see objective_grad.h). */
#include "experiments/objective_grad.h"
#include "features/cost_grad.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sm_objective_grad {
    const sm_synth_type *synth;
    const sm_param_view *view;
    sm_note note;
    size_t n;
    void *state;
    sm_cost_grad *cost;
    float *buf;
    double *dl_dout;      /* n */
    double *native;       /* full space */
    double *dnative;      /* full space */
    int relaxed;          /* some free parameter is relaxed (core/params.h) */
    float *rbuf;          /* n: render of the rounded point (relaxed only) */
    double *rnative;      /* full space: the rounded point (relaxed only) */
    double last_relaxed;  /* the relaxed cost of the last evaluation */
};

void sm_objective_grad_free(sm_objective_grad *g)
{
    if (!g) return;
    if (g->state) g->synth->free(g->state);
    sm_cost_grad_free(g->cost);
    free(g->buf);
    free(g->dl_dout);
    free(g->native);
    free(g->dnative);
    free(g->rbuf);
    free(g->rnative);
    free(g);
}

sm_objective_grad *sm_objective_grad_alloc(const sm_synth_type *synth, const sm_param_view *view,
                                           const sm_note *note, double sample_rate,
                                           const float *target, size_t n,
                                           const sm_cost_config *cost, char *why, size_t len,
                                           sm_error *err)
{
    sm_objective_grad *g;
    char term[32];
    size_t j;
    if (why && len) why[0] = '\0';
    if (!synth || !view || !note || !cost || !target || n == 0) {
        sm_error_set(err, SM_ERR_ARG, "exact gradient: missing synth, view, note, cost or target");
        return NULL;
    }
    if (!synth->render_grad) {
        if (why && len) snprintf(why, len, "the synth %s has no exact gradient", synth->name);
        return NULL;
    }
    if (!sm_cost_grad_supported(cost, term, sizeof term)) {
        if (why && len) snprintf(why, len, "the cost's %s term has no exact gradient", term);
        return NULL;
    }
    g = calloc(1, sizeof *g);
    if (!g) goto nomem;
    g->synth = synth;
    g->view = view;
    g->note = *note;
    g->n = n;
    g->last_relaxed = NAN;
    for (j = 0; j < view->space.n; j++)
        if (sm_param_is_relaxed(&view->space.p[j])) g->relaxed = 1;
    if (g->relaxed) {
        g->rbuf = malloc(n * sizeof *g->rbuf);
        g->rnative = malloc(synth->space->n * sizeof *g->rnative);
        if (!g->rbuf || !g->rnative) goto nomem;
    }
    g->buf = malloc(n * sizeof *g->buf);
    g->dl_dout = malloc(n * sizeof *g->dl_dout);
    g->native = malloc(synth->space->n * sizeof *g->native);
    g->dnative = malloc(synth->space->n * sizeof *g->dnative);
    if (!g->buf || !g->dl_dout || !g->native || !g->dnative) goto nomem;
    if (!(g->state = synth->alloc(sample_rate, err))) goto fail;
    if (!(g->cost = sm_cost_grad_alloc(cost, target, n, err))) goto fail;
    return g;
nomem:
    sm_error_set(err, SM_ERR_NOMEM, "out of memory for an exact gradient");
fail:
    sm_objective_grad_free(g);
    return NULL;
}

double sm_objective_grad_eval(sm_objective_grad *g, const double *x01, double *grad)
{
    const size_t d = g->view->space.n;
    double c;
    size_t j;
    memset(grad, 0, d * sizeof *grad);
    g->last_relaxed = NAN;
    /* the point: relaxed parameters at their continuous values, the rest as decode has them */
    memcpy(g->native, g->view->base, g->synth->space->n * sizeof *g->native);
    for (j = 0; j < d; j++)
        g->native[g->view->free_idx[j]] = sm_param_decode_relaxed(&g->view->space.p[j], x01[j]);
    if (g->synth->render_grad(g->state, g->native, &g->note, g->n, g->buf, NULL, NULL) != 0)
        return NAN;
    c = sm_cost_grad_eval(g->cost, g->buf, g->n, g->dl_dout);
    if (!isfinite(c)) return NAN;
    memset(g->dnative, 0, g->synth->space->n * sizeof *g->dnative);
    if (g->synth->render_grad(g->state, NULL, NULL, g->n, NULL, g->dl_dout, g->dnative) != 0)
        return NAN;
    for (j = 0; j < d; j++) {
        const double v = g->dnative[g->view->free_idx[j]] *
                         sm_param_dnative_dx_relaxed(&g->view->space.p[j], x01[j]);
        grad[j] = isfinite(v) ? v : 0.0;
    }
    g->last_relaxed = c;
    if (!g->relaxed) return c;
    /* what the run will output: the rounded point, by the synth's own render */
    sm_param_view_expand(g->view, x01, g->rnative);
    if (g->synth->render(g->state, g->rnative, &g->note, g->rbuf, g->n) != 0) {
        memset(grad, 0, d * sizeof *grad);
        return NAN;
    }
    c = sm_cost_grad_eval(g->cost, g->rbuf, g->n, NULL);
    if (!isfinite(c)) memset(grad, 0, d * sizeof *grad);
    return isfinite(c) ? c : NAN;
}

double sm_objective_grad_relaxed_cost(const sm_objective_grad *g)
{
    return g ? g->last_relaxed : NAN;
}

int sm_objective_grad_batch(sm_objective_grad *g, const double *x, size_t k, size_t d,
                            double *cost, double *grad, unsigned long long *n_bad)
{
    size_t i;
    if (!g || !x || !cost || !grad || d != g->view->space.n) return SM_ERR_ARG;
    for (i = 0; i < k; i++) {
        cost[i] = sm_objective_grad_eval(g, x + i * d, grad + i * d);
        if (!isfinite(cost[i]) && n_bad) (*n_bad)++;
    }
    return 0;
}
