/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/objective_grad.h: the matching objective with its exact gradient, for
 * optimizers that take gradients (sm_optimizer_type.tell_grad).
 *
 * A point x01 of a view's free parameters is decoded, rendered by the synth's render_grad
 * (forward pass, keeping its tape), scored by the cost's differentiable terms
 * (features/cost_grad.h) with the gradient with respect to the samples, which the synth's
 * backward pass turns into d cost / d native, and the chain rule (sm_param_dnative_dx) into
 * d cost / d x01. It exists only when both halves do: a synth with render_grad and a cost
 * whose every weighted term has a gradient. */
#ifndef SM_OBJECTIVE_GRAD_H
#define SM_OBJECTIVE_GRAD_H

#include <stddef.h>
#include "core/error.h"
#include "core/params.h"
#include "features/features.h"
#include "synths/synth.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sm_objective_grad sm_objective_grad;

/* A gradient worker (one thread) for synth over view's free parameters, rendering note at
 * sample_rate for n samples against target (n samples, not kept) under cost. Returns NULL
 * with why (len bytes) saying what has no gradient and err untouched when there is no exact
 * gradient ("the synth neuron has none", "the cost's pitch term has none"); NULL with err set
 * on a real failure (SM_ERR_NOMEM, a target the cost refuses). The caller owns the result
 * and keeps view alive while it lives. */
sm_objective_grad *sm_objective_grad_alloc(const sm_synth_type *synth, const sm_param_view *view,
                                           const sm_note *note, double sample_rate,
                                           const float *target, size_t n,
                                           const sm_cost_config *cost, char *why, size_t len,
                                           sm_error *err);
/* The cost of point x01 (view->space.n values in [0,1]) and its gradient into grad
 * (view->space.n values; 0 for discrete parameters). NaN (grad zeroed) when the render or
 * the cost fails.
 *
 * Relaxed parameters (core/params.h, sm_param.relaxed: fm6's levels, envelopes, velocity
 * sensitivities and feedback) are continuous for the gradient: render_grad receives their
 * relaxed values (sm_param_decode_relaxed, not rounded) and the chain rule uses
 * sm_param_dnative_dx_relaxed, so grad is the gradient of the relaxed render's cost at the
 * continuous point. The cost returned is NOT that relaxed cost: when any free parameter is
 * relaxed, it is the cost of the ROUNDED point (every parameter decoded as
 * sm_param_view_expand decodes it, i.e. what a run writes as its patch) rendered by the
 * synth's true render, one render and one cost more per evaluation. So the best cost an
 * optimizer records is the cost of a patch it can output, and the gradient it follows is the
 * relaxed one (sm_objective_grad_relaxed_cost gives that relaxed cost). Without relaxed free
 * parameters the cost is the one the gradient is of, as before. */
double sm_objective_grad_eval(sm_objective_grad *g, const double *x01, double *grad);
/* The relaxed cost (the cost of render_grad's render of the continuous point) of the last
 * sm_objective_grad_eval; NaN before any, after a failed one, or for NULL. */
double sm_objective_grad_relaxed_cost(const sm_objective_grad *g);
/* k points (rows of d values) into cost[k] and grad (k rows of d); NaN costs are counted in
 * *n_bad (may be NULL) and left for the caller to cap. Returns 0 or SM_ERR_ARG. */
int sm_objective_grad_batch(sm_objective_grad *g, const double *x, size_t k, size_t d,
                            double *cost, double *grad, unsigned long long *n_bad);
void sm_objective_grad_free(sm_objective_grad *g);

#ifdef __cplusplus
}
#endif

#endif
