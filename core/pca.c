/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/pca.c: principal axes and k-means clustering (see core/pca.h). */
#include "core/pca.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double sm_dist2(const double *a, const double *b, size_t q)
{
    double s = 0;
    size_t i;
    for (i = 0; i < q; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
}

int sm_pca_axes(const double *z, size_t n, size_t m, double *vec, double *val, sm_error *err)
{
    double *cov, *w;
    size_t i, j, c;
    if (!z || !vec || !val || n == 0 || m == 0)
        return sm_error_set(err, SM_ERR_ARG, "principal axes: empty data (n=%zu, m=%zu) or a "
                            "NULL array", n, m);
    cov = calloc(m * m, sizeof *cov);
    w = malloc(m * sizeof *w);
    if (!cov || !w) {
        free(cov);
        free(w);
        return sm_error_set(err, SM_ERR_NOMEM, "principal axes: out of memory for %zu values",
                            m);
    }
    /* the lower triangle of z'z, then divided and mirrored */
    for (i = 0; i < n; i++)
        for (j = 0; j < m; j++) {
            double zj = z[i * m + j];
            for (c = 0; c <= j; c++) cov[j * m + c] += zj * z[i * m + c];
        }
    for (j = 0; j < m; j++)
        for (c = 0; c <= j; c++) {
            cov[j * m + c] /= (double)(n > 1 ? n - 1 : 1);
            cov[c * m + j] = cov[j * m + c];
        }
    /* eigenvectors as columns, eigenvalues ascending */
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'L', (lapack_int)m, cov, (lapack_int)m, w) != 0) {
        free(cov);
        free(w);
        return sm_error_set(err, SM_ERR_UNSUPPORTED, "principal axes: LAPACKE_dsyev failed on "
                            "the %zu x %zu covariance", m, m);
    }
    for (c = 0; c < m; c++) {
        size_t src = m - 1 - c, big = 0;
        double s;
        for (j = 1; j < m; j++)
            if (fabs(cov[j * m + src]) > fabs(cov[big * m + src])) big = j;
        s = cov[big * m + src] < 0 ? -1 : 1;
        for (j = 0; j < m; j++) vec[j * m + c] = s * cov[j * m + src];
        val[c] = w[src];
    }
    free(cov);
    free(w);
    return 0;
}

/* Index of a point drawn with probability proportional to d2 (d2 not all zero). */
static size_t draw_d2(const double *d2, size_t n, double total, sm_rng *rng)
{
    double u = sm_rng_uniform(rng) * total, acc = 0;
    size_t i, pick = n;
    for (i = 0; i < n; i++) {
        acc += d2[i];
        if (d2[i] > 0 && u < acc) {
            pick = i;
            break;
        }
    }
    if (pick == n) /* rounding at the end of the sum: the last point with weight */
        for (pick = n - 1; pick > 0 && d2[pick] == 0; pick--) {}
    return pick;
}

/* The seeding of sm_kmeans: k centres chosen among the points. d2 receives each point's
 * squared distance to its nearest centre. cand and best_d2 are n-value scratch arrays. */
static void seed_centres(const double *x, size_t n, size_t q, size_t k, sm_rng *rng,
                         double *centroids, double *d2, double *cand, double *best_d2)
{
    size_t trials = 2 + (size_t)floor(log((double)k)), i, c, t;
    i = (size_t)sm_rng_below(rng, n);
    memcpy(centroids, x + i * q, q * sizeof *centroids);
    for (i = 0; i < n; i++) d2[i] = sm_dist2(x + i * q, centroids, q);
    for (c = 1; c < k; c++) {
        double total = 0, best_pot = INFINITY;
        size_t best = 0;
        for (i = 0; i < n; i++) total += d2[i];
        if (!(total > 0)) { /* every point sits on a centre already */
            best = (size_t)sm_rng_below(rng, n);
            for (i = 0; i < n; i++) best_d2[i] = 0;
        } else {
            for (t = 0; t < trials; t++) {
                size_t pick = draw_d2(d2, n, total, rng);
                double pot = 0;
                for (i = 0; i < n; i++) {
                    double e = sm_dist2(x + i * q, x + pick * q, q);
                    cand[i] = e < d2[i] ? e : d2[i];
                    pot += cand[i];
                }
                if (pot < best_pot) {
                    best_pot = pot;
                    best = pick;
                    memcpy(best_d2, cand, n * sizeof *cand);
                }
            }
        }
        memcpy(centroids + c * q, x + best * q, q * sizeof *centroids);
        memcpy(d2, best_d2, n * sizeof *d2);
    }
}

int sm_kmeans(const double *x, size_t n, size_t q, size_t k, size_t max_iter, sm_rng *rng,
              double *centroids, size_t *assign)
{
    double *d2, *cand, *best_d2;
    size_t *count, i, c, it;
    if (!x || !rng || !centroids || !assign || n == 0 || q == 0 || k == 0 || k > n)
        return SM_ERR_ARG;
    d2 = malloc(n * sizeof *d2);
    cand = malloc(n * sizeof *cand);
    best_d2 = malloc(n * sizeof *best_d2);
    count = malloc(k * sizeof *count);
    if (!d2 || !cand || !best_d2 || !count) {
        free(d2);
        free(cand);
        free(best_d2);
        free(count);
        return SM_ERR_NOMEM;
    }
    seed_centres(x, n, q, k, rng, centroids, d2, cand, best_d2);
    free(cand);
    free(best_d2);
    for (i = 0; i < n; i++) assign[i] = (size_t)-1;
    for (it = 0;; it++) {
        size_t changed = 0;
        for (i = 0; i < n; i++) {
            size_t best = 0;
            double bd = INFINITY;
            for (c = 0; c < k; c++) {
                double e = sm_dist2(x + i * q, centroids + c * q, q);
                if (e < bd) {
                    bd = e;
                    best = c;
                }
            }
            d2[i] = bd;
            if (assign[i] != best) {
                assign[i] = best;
                changed++;
            }
        }
        /* stable, or out of iterations (the assignment above is then still to the nearest
         * centroid) */
        if (changed == 0 || it >= max_iter) break;
        memset(centroids, 0, k * q * sizeof *centroids);
        memset(count, 0, k * sizeof *count);
        for (i = 0; i < n; i++) {
            double *ce = centroids + assign[i] * q;
            size_t j;
            count[assign[i]]++;
            for (j = 0; j < q; j++) ce[j] += x[i * q + j];
        }
        for (c = 0; c < k; c++) {
            size_t j;
            if (count[c] == 0) { /* re-seed an empty cluster at the worst-served point */
                size_t far = 0;
                for (i = 1; i < n; i++)
                    if (d2[i] > d2[far]) far = i;
                memcpy(centroids + c * q, x + far * q, q * sizeof *centroids);
                d2[far] = 0;
                continue;
            }
            for (j = 0; j < q; j++) centroids[c * q + j] /= (double)count[c];
        }
    }
    free(d2);
    free(count);
    return 0;
}
