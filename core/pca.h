/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/pca.h: the numerics shared by the models of datasets: principal components of a data
 * matrix (LAPACKE_dsyev on its covariance) and k-means clustering (greedy k-means++ seeding,
 * then Lloyd iterations).
 *
 * search/pcakm.c builds its feature model with them and datasets/timbre.c its model of human
 * DX7 voices. Both functions are deterministic: the same input (and rng state) gives the same
 * output bit for bit. Neither keeps state. */
#ifndef SM_PCA_H
#define SM_PCA_H

#include <stddef.h>
#include "core/error.h"
#include "core/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Principal axes of z (n rows of m values, row-major), whose columns the caller has already
 * centred (and scaled, if wanted): the eigenvectors of the covariance z'z / (n - 1) (divided
 * by 1 when n is 1), largest eigenvalue first. vec (m x m, row-major) receives the axes as
 * columns: axis c is vec[j * m + c] over j; each axis has its largest-magnitude entry made
 * positive (a sign convention, so results do not depend on LAPACK's choice). val (m) receives
 * the eigenvalues, descending (tiny negative rounding is kept as LAPACK gives it). Returns 0,
 * SM_ERR_ARG (NULL arrays, n or m 0), SM_ERR_NOMEM or SM_ERR_UNSUPPORTED (LAPACK failed). */
int sm_pca_axes(const double *z, size_t n, size_t m, double *vec, double *val, sm_error *err);

/* Clusters the n points x (q values each, row-major) into k groups (1 <= k <= n): greedy
 * k-means++ seeding (Arthur and Vassilvitskii 2007, section 6, as scikit-learn: each new centre
 * is the best, by the summed squared distances it leaves, of 2 + floor(ln k) candidates drawn
 * with probability ~ D(x)^2), then Lloyd iterations until no point changes cluster or max_iter
 * iterations have run; a cluster left empty takes the point farthest from its centre.
 * centroids (k x q) and assign (n, each < k) are the caller's. The draws come from rng.
 * Returns 0, SM_ERR_ARG (NULL arrays, n, q or k 0, k > n) or SM_ERR_NOMEM. */
int sm_kmeans(const double *x, size_t n, size_t q, size_t k, size_t max_iter, sm_rng *rng,
              double *centroids, size_t *assign);

/* Squared Euclidean distance between a and b (q values). */
double sm_dist2(const double *a, const double *b, size_t q);

#ifdef __cplusplus
}
#endif

#endif
