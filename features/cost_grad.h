/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/cost_grad.h: the matching cost's differentiable terms, with their gradient with
 * respect to the candidate's samples (features/cost_grad.c).
 *
 * The terms are those of features/cost.c, same definitions and weights (sm_cost_config):
 * MSS (multi-resolution spectral distance), LOUD (frame loudness), LEVEL (overall level),
 * LOGMEL (the log-mel distance, MEASURES.md's definition at the configured settings) and MFCC
 * (the default cost: librosa's MFCC, sm_mfcc_distance), with the gain normalisation in front
 * of MSS, LOUD and MFCC. The centroid, pitch and descriptor terms have no gradient here, nor
 * an MFCC of more than 256 mel bands: sm_cost_grad_supported says whether a configuration can
 * be differentiated. The value equals sm_cost_eval's within rounding (cost.c keeps the MSS
 * magnitudes and the gain-normalised samples in single precision; this file computes in
 * double).
 *
 * One sm_cost_grad serves one thread: it owns the target's features, FFTW plans (forward r2c
 * and, for the adjoint, c2r, made under the planner lock) and scratch. Evaluation allocates
 * nothing. */
#ifndef SM_FEATURES_COST_GRAD_H
#define SM_FEATURES_COST_GRAD_H

#include <stddef.h>
#include "core/error.h"
#include "features/features.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if every weighted term of c has a gradient here (mss, loudness, level, logmel, mfcc),
 * else 0 with the first term that has none named in why (len bytes, may be NULL): "mfcc"
 * (more than 256 mel bands), "centroid", "pitch" or "descriptors". 0 for a NULL c. */
int sm_cost_grad_supported(const sm_cost_config *c, char *why, size_t len);

typedef struct sm_cost_grad sm_cost_grad;
/* The target's features (x, n samples; not kept) for configuration c, and plans and
 * scratch. The caller owns the result (sm_cost_grad_free). NULL with err set: SM_ERR_CONFIG
 * (c refused by sm_cost_config_check, or not supported: the term is named), SM_ERR_EMPTY (no
 * samples, or a silent target under a log-mel weight), SM_ERR_NONFINITE, SM_ERR_NOMEM. */
sm_cost_grad *sm_cost_grad_alloc(const sm_cost_config *c, const float *x, size_t n,
                                 sm_error *err);
/* The target's length in samples; 0 for NULL. */
size_t sm_cost_grad_samples(const sm_cost_grad *g);
/* The cost of candidate x (n samples, cut or zero-padded to the target's length as
 * sm_cost_eval does). With grad (n doubles) not NULL, grad[i] receives d cost / d x[i]
 * (overwritten, 0 beyond the target's length). Returns NaN (grad zeroed) if x holds a NaN or
 * Inf, or for a NULL g or x. Nonsmooth points take the subgradients documented in
 * features/cost_grad.c. Allocates nothing. */
double sm_cost_grad_eval(sm_cost_grad *g, const float *x, size_t n, double *grad);
/* Releases g. NULL is a no-op. */
void sm_cost_grad_free(sm_cost_grad *g);

#ifdef __cplusplus
}
#endif

#endif
