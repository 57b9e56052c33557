/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/objective.h: the matching objective, where synth, features and optimizer meet.
 *
 * An objective binds a synth, a view of its parameters (some frozen), a note, a sample rate
 * and a target's precomputed features. Its worker type plugs into core/eval: each worker owns
 * one synth state, one render buffer and one cost scratch, made once; scoring a point decodes
 * it, renders, and computes the cost, with no allocation. */
#ifndef SM_OBJECTIVE_H
#define SM_OBJECTIVE_H

#include <stddef.h>
#include "core/error.h"
#include "core/eval.h"
#include "core/params.h"
#include "features/features.h"
#include "synths/synth.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const sm_synth_type *synth;
    const sm_param_view *view;     /* free parameters; frozen ones from view->base */
    sm_note note;
    double sample_rate;
    size_t n_samples;              /* render length */
    const sm_cost_target *target;  /* NULL for feature extraction only (see sm_objective_summary) */
    const sm_mfcc_config *mfcc;    /* for sm_objective_summary; NULL: target's or default */
} sm_objective;

/* The worker type for core/eval. Its shared context is a const sm_objective *. */
extern const sm_worker_type sm_objective_worker;

/* Renders point x01 (view->space.n values) with a worker into its buffer and returns the
 * buffer (n_samples floats, owned by the worker, valid until the next call). NULL if the
 * render failed. */
const float *sm_objective_render(void *worker, const double *x01);

/* Renders a full native vector (synth->space->n values, frozen parameters included) with a
 * worker and returns its cost (NaN if the render failed or the objective has no target);
 * *out (may be NULL) receives the worker's buffer, valid until the next call. */
double sm_objective_eval_native(void *worker, const double *native, const float **out);
/* MFCC summary (means then deviations, 2*n_mfcc values) of point x01's render. Needs
 * obj->mfcc or obj->target. Returns 0 or an sm_err code. */
int sm_objective_summary(void *worker, const double *x01, double *summary);

#ifdef __cplusplus
}
#endif

#endif
