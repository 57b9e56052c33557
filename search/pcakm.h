/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/pcakm.h: a PCA + k-means model of a dataset of patches, and the `pcakm` optimizer
 * that starts from it.
 *
 * The model is built once from n items, each a point in [0,1]^d (a patch in normalized
 * coordinates) and a summary of m feature values (e.g. MFCC means and standard deviations of
 * its sound). Features are standardized (zero mean, unit variance per column), projected on
 * their principal components (LAPACKE_dsyev on the covariance; the components that explain
 * var_frac of the variance, or a set count), and the projected items are clustered with
 * greedy k-means++ seeding and Lloyd iterations. A query projects a target's features and returns
 * the members of the nearest cluster, nearest first: patches whose sounds resemble the target.
 *
 * The optimizer type sm_optimizer_pcakm (search/optimizer.h) has side data: cfg->side_model
 * is such a model and cfg->target_features the target's features. It asks the `starts`
 * nearest members first, then refines the best of them with gd (search/gd.c) on the rest of
 * the budget. Its settings are `starts` plus every gd setting, which it passes on; its model's
 * setting is `clusters` (sm_optimizer_pcakm.side). */
#ifndef SM_PCAKM_H
#define SM_PCAKM_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the model file format (sm_pcakm_model_save): caches key on it. */
#define SM_PCAKM_FORMAT_VERSION 1

typedef struct {
    size_t k;            /* clusters (16); more than the items means one per item */
    double var_frac;     /* keep the components explaining this fraction of variance (0.95) */
    size_t components;   /* if > 0, keep exactly this many components instead (0) */
    size_t max_iter;     /* Lloyd iterations at most (100); they stop when stable */
} sm_pcakm_params;

/* The defaults above. */
sm_pcakm_params sm_pcakm_params_default(void);

typedef struct sm_pcakm_model sm_pcakm_model;

/* Builds a model. points: n rows of d values in [0,1]; features: n rows of m values.
 * Both are copied (points) or summarized (features); the caller keeps ownership. seed makes
 * the k-means++ seeding reproducible. Returns a new model, or NULL with err set:
 * SM_ERR_ARG (n, d or m zero, NULL arrays or params), SM_ERR_NONFINITE (a NaN or infinite
 * input, naming the item), SM_ERR_RANGE (a point outside [0,1], a bad var_frac or k),
 * SM_ERR_NOMEM, or SM_ERR_UNSUPPORTED (LAPACK failed). */
sm_pcakm_model *sm_pcakm_model_build(const double *points, size_t n, size_t d,
                                     const double *features, size_t m,
                                     const sm_pcakm_params *p, uint64_t seed, sm_error *err);

/* Writes the model to path all-or-nothing (core/fileio.h), in a little-endian binary format
 * with a checksum. Returns 0, SM_ERR_ARG or SM_ERR_IO. */
int sm_pcakm_model_save(const char *path, const sm_pcakm_model *model, sm_error *err);

/* Reads a model written by sm_pcakm_model_save. Returns NULL with err naming the file and
 * what is wrong: SM_ERR_IO (cannot read), SM_ERR_FORMAT (not a model, wrong version, wrong
 * size, bad checksum, a non-finite or out-of-range value), SM_ERR_NOMEM. */
sm_pcakm_model *sm_pcakm_model_load(const char *path, sm_error *err);

/* Frees a model; NULL is a no-op. */
void sm_pcakm_model_free(sm_pcakm_model *model);

/* Writes into out_indices (room for k) the indices of the members of the cluster whose
 * centroid is nearest to target_features (m values) in PCA space (clusters without members
 * are passed over), ordered by their distance to the target there (ties by index). Returns
 * how many were written: min(k, cluster size); 0 for NULL arguments, k = 0 or no memory. */
size_t sm_pcakm_query(const sm_pcakm_model *model, const double *target_features, size_t k,
                      size_t *out_indices);

/* Read access. Sizes: items n, point values d, features m, kept components, clusters. */
size_t sm_pcakm_model_n(const sm_pcakm_model *model);
size_t sm_pcakm_model_d(const sm_pcakm_model *model);
size_t sm_pcakm_model_m(const sm_pcakm_model *model);
size_t sm_pcakm_model_components(const sm_pcakm_model *model);
size_t sm_pcakm_model_clusters(const sm_pcakm_model *model);
/* Fraction of the standardized features' variance the kept components explain (0..1). */
double sm_pcakm_model_explained(const sm_pcakm_model *model);
/* Point i (d values), owned by the model; NULL if i >= n. */
const double *sm_pcakm_model_point(const sm_pcakm_model *model, size_t i);
/* Cluster of item i (< clusters); (size_t)-1 if i >= n. */
size_t sm_pcakm_model_cluster_of(const sm_pcakm_model *model, size_t i);
/* Centroid of cluster c in PCA space (components values), owned by the model; NULL if bad. */
const double *sm_pcakm_model_centroid(const sm_pcakm_model *model, size_t c);
/* Projects m feature values into PCA space (components values written to out). */
void sm_pcakm_model_project(const sm_pcakm_model *model, const double *features, double *out);

#ifdef __cplusplus
}
#endif

#endif
