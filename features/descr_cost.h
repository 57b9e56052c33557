/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/descr_cost.h: the seven-descriptor term of the matching cost, internal to
 * features/ (cost.c holds one target and one scratch of it; definitions in descr_cost.c). */
#ifndef SM_FEATURES_DESCR_COST_H
#define SM_FEATURES_DESCR_COST_H

#include <stddef.h>
#include "features/features.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when c weighs any descriptor (w_descr). */
int sm_dterm_used(const sm_cost_config *c);
/* Checks the descriptor fields of c: weights and w_descr_traj finite and >= 0, scales
 * positive. Returns 0 or SM_ERR_CONFIG with a sentence. */
int sm_dterm_config_check(const sm_cost_config *c, sm_error *err);

/* The target's pooled descriptors and trajectory, read-only once made. x (n samples) may be
 * NULL when goal is given. NULL with err set on failure (SM_ERR_EMPTY for silence,
 * SM_ERR_NOMEM, SM_ERR_CONFIG). */
typedef struct sm_dterm_target sm_dterm_target;
sm_dterm_target *sm_dterm_target_alloc(const sm_cost_config *c, const float *x, size_t n,
                                       const sm_descr_goal *goal, sm_error *err);
void sm_dterm_target_free(sm_dterm_target *t);

/* One thread's plans and buffers for scoring candidates against t (read, not owned). */
typedef struct sm_dterm sm_dterm;
sm_dterm *sm_dterm_alloc(const sm_dterm_target *t, sm_error *err);
/* The weighted descriptor cost of candidate x (its first n_use samples, zero-extended to
 * the target's length). NaN on failure. Allocates nothing. */
double sm_dterm_eval(sm_dterm *s, const float *x, size_t n_use);
void sm_dterm_free(sm_dterm *s);

#ifdef __cplusplus
}
#endif

#endif
