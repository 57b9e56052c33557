/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/stats.c: quantiles and rank tests for the report (see experiments/stats.h).
 *
 * The exact distributions are counted by dynamic programming over doubled midranks, which are
 * whole numbers even with ties: for the signed-rank test, the number of sign assignments giving
 * each value of 2*W+; for the rank-sum test, the number of ways to choose nx of the pooled
 * values giving each value of 2*(rank sum of x). Counts are doubles; with at most
 * SM_STATS_EXACT_MAX_N = 50 observations they stay below 2^53 and so are exact. */
#include "experiments/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A sorted copy of the non-NaN entries of x; *m receives their count. NULL if none or no memory. */
static double *sorted_copy(const double *x, size_t n, size_t *m)
{
    double *v;
    size_t i, k = 0;
    *m = 0;
    if (!x || n == 0) return NULL;
    v = malloc(n * sizeof *v);
    if (!v) return NULL;
    for (i = 0; i < n; i++)
        if (!isnan(x[i])) v[k++] = x[i];
    if (k == 0) {
        free(v);
        return NULL;
    }
    qsort(v, k, sizeof *v, cmp_double);
    *m = k;
    return v;
}

/* Type-7 quantile of sorted v[0..m), m > 0. */
static double quantile_sorted(const double *v, size_t m, double q)
{
    double h = (double)(m - 1) * q, fl = floor(h);
    size_t lo = (size_t)fl;
    if (lo + 1 >= m) return v[m - 1];
    if (h == fl) return v[lo];
    return v[lo] + (h - fl) * (v[lo + 1] - v[lo]);
}

double sm_quantile(const double *x, size_t n, double q)
{
    size_t m;
    double *v, r;
    if (!(q >= 0.0 && q <= 1.0)) return NAN;
    v = sorted_copy(x, n, &m);
    if (!v) return NAN;
    r = quantile_sorted(v, m, q);
    free(v);
    return r;
}

double sm_median(const double *x, size_t n)
{
    return sm_quantile(x, n, 0.5);
}

double sm_iqr(const double *x, size_t n)
{
    size_t m;
    double *v = sorted_copy(x, n, &m), r;
    if (!v) return NAN;
    r = quantile_sorted(v, m, 0.75) - quantile_sorted(v, m, 0.25);
    free(v);
    return r;
}

double sm_normal_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

/* Two-sided p-value of a normal deviate. */
static double two_sided_normal(double z)
{
    double p = 2.0 * sm_normal_cdf(-fabs(z));
    return p > 1.0 ? 1.0 : p;
}

typedef struct {
    double v;
    size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->v != y->v) return (x->v > y->v) - (x->v < y->v);
    return (x->i > y->i) - (x->i < y->i);
}

/* Midranks (1-based) of v[0..n) into rank[]; returns sum over tie groups of t^3 - t
 * (-1 on out of memory). */
static double midranks(const double *v, size_t n, double *rank)
{
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    double tie = 0.0;
    size_t i, j, k;
    if (!r) return -1.0;
    for (i = 0; i < n; i++) {
        r[i].v = v[i];
        r[i].i = i;
    }
    qsort(r, n, sizeof *r, cmp_ranked);
    for (i = 0; i < n; i = j) {
        double mid, t;
        for (j = i + 1; j < n && r[j].v == r[i].v; j++) {
        }
        mid = 0.5 * ((double)(i + 1) + (double)j); /* mean of ranks i+1 .. j */
        for (k = i; k < j; k++) rank[r[k].i] = mid;
        t = (double)(j - i);
        tie += t * t * t - t;
    }
    free(r);
    return tie;
}

static void test_clear(sm_rank_test *out)
{
    memset(out, 0, sizeof *out);
    out->statistic = out->statistic_other = out->p = NAN;
}

/* Exact two-sided p of the signed-rank statistic: r2[] are the doubled midranks (n of them),
 * w2 the observed doubled W+. NaN on out of memory. */
static double wilcoxon_exact_p(const long *r2, size_t n, long w2)
{
    long total = 0, s;
    size_t i;
    double *cnt, lo = 0.0, hi = 0.0, all = 0.0, p;
    for (i = 0; i < n; i++) total += r2[i];
    cnt = calloc((size_t)total + 1, sizeof *cnt);
    if (!cnt) return NAN;
    cnt[0] = 1.0;
    for (i = 0; i < n; i++)
        for (s = total; s >= r2[i]; s--) cnt[s] += cnt[s - r2[i]];
    for (s = 0; s <= total; s++) {
        all += cnt[s];
        if (s <= w2) lo += cnt[s];
        if (s >= w2) hi += cnt[s];
    }
    free(cnt);
    p = 2.0 * (lo < hi ? lo : hi) / all;
    return p > 1.0 ? 1.0 : p;
}

int sm_wilcoxon_signed_rank_ex(const double *x, const double *y, size_t n,
                               sm_test_method method, sm_rank_test *out)
{
    double *d, *rank, tie, wp = 0.0, wm = 0.0, mean, var;
    size_t i, m = 0, zeros = 0;
    if (!out) return SM_ERR_ARG;
    test_clear(out);
    if (!x || !y) return SM_ERR_ARG;
    d = malloc((n ? n : 1) * sizeof *d);
    rank = malloc((n ? n : 1) * sizeof *rank);
    if (!d || !rank) {
        free(d);
        free(rank);
        return SM_ERR_NOMEM;
    }
    for (i = 0; i < n; i++) {
        double di = x[i] - y[i];
        if (isnan(x[i]) || isnan(y[i])) continue;
        if (x[i] == y[i]) {   /* also catches equal infinities */
            zeros++;
            continue;
        }
        d[m++] = di;
    }
    if (m + zeros == 0) {
        free(d);
        free(rank);
        return SM_ERR_EMPTY;
    }
    out->n_used = m;
    out->n_zero = zeros;
    if (m == 0) { /* every difference is zero: no evidence either way */
        out->statistic = out->statistic_other = 0.0;
        out->p = 1.0;
        out->exact = 1;
        free(d);
        free(rank);
        return 0;
    }
    if (method == SM_TEST_EXACT && m > SM_STATS_EXACT_MAX_N) {
        free(d);
        free(rank);
        return SM_ERR_RANGE;
    }
    {
        double *a = malloc(m * sizeof *a);
        if (!a) {
            free(d);
            free(rank);
            return SM_ERR_NOMEM;
        }
        for (i = 0; i < m; i++) a[i] = fabs(d[i]);
        tie = midranks(a, m, rank);
        free(a);
    }
    if (tie < 0) {
        free(d);
        free(rank);
        return SM_ERR_NOMEM;
    }
    for (i = 0; i < m; i++) {
        if (d[i] > 0) wp += rank[i];
        else wm += rank[i];
    }
    out->statistic = wp;
    out->statistic_other = wm;
    out->ties = tie > 0;
    mean = (double)m * (double)(m + 1) / 4.0;
    var = (double)m * (double)(m + 1) * (double)(2 * m + 1) / 24.0 - tie / 48.0;
    if (var > 0) {
        double dz = wp - mean;
        double cc = dz > 0 ? 0.5 : (dz < 0 ? -0.5 : 0.0);
        out->z = (dz - cc) / sqrt(var);
    }
    if (method == SM_TEST_EXACT || (method == SM_TEST_AUTO && m <= SM_STATS_EXACT_MAX_N)) {
        long *r2 = malloc(m * sizeof *r2);
        if (!r2) {
            free(d);
            free(rank);
            return SM_ERR_NOMEM;
        }
        for (i = 0; i < m; i++) r2[i] = lround(2.0 * rank[i]);
        out->p = wilcoxon_exact_p(r2, m, lround(2.0 * wp));
        out->exact = 1;
        free(r2);
        if (isnan(out->p)) {
            free(d);
            free(rank);
            test_clear(out);
            return SM_ERR_NOMEM;
        }
    } else {
        out->p = var > 0 ? two_sided_normal(out->z) : 1.0;
        out->exact = 0;
    }
    free(d);
    free(rank);
    return 0;
}

int sm_wilcoxon_signed_rank(const double *x, const double *y, size_t n, double *W, double *p)
{
    sm_rank_test t;
    int rc = sm_wilcoxon_signed_rank_ex(x, y, n, SM_TEST_AUTO, &t);
    if (W) *W = t.statistic;
    if (p) *p = t.p;
    return rc;
}

/* Exact two-sided p of the rank sum of a group of k among the pooled doubled midranks
 * r2[0..n); s2 is the observed doubled rank sum of the group. NaN on out of memory. */
static double ranksum_exact_p(const long *r2, size_t n, size_t k, long s2)
{
    long total = 0, s;
    size_t i, j, width;
    double *cnt, lo = 0.0, hi = 0.0, all = 0.0, p;
    for (i = 0; i < n; i++) total += r2[i];
    width = (size_t)total + 1;
    cnt = calloc((k + 1) * width, sizeof *cnt); /* cnt[j*width + s]: subsets of size j, sum s */
    if (!cnt) return NAN;
    cnt[0] = 1.0;
    for (i = 0; i < n; i++)
        for (j = (i + 1 < k ? i + 1 : k); j >= 1; j--) {
            double *to = cnt + j * width, *from = cnt + (j - 1) * width;
            for (s = total; s >= r2[i]; s--) to[s] += from[s - r2[i]];
        }
    for (s = 0; s <= total; s++) {
        double c = cnt[k * width + (size_t)s];
        all += c;
        if (s <= s2) lo += c;
        if (s >= s2) hi += c;
    }
    free(cnt);
    p = 2.0 * (lo < hi ? lo : hi) / all;
    return p > 1.0 ? 1.0 : p;
}

int sm_mann_whitney_u_ex(const double *x, size_t nx, const double *y, size_t ny,
                         sm_test_method method, sm_rank_test *out)
{
    double *v, *rank, tie, rx = 0.0, u, mean, var, N;
    size_t i, mx = 0, my = 0, m;
    if (!out) return SM_ERR_ARG;
    test_clear(out);
    if ((!x && nx) || (!y && ny)) return SM_ERR_ARG;
    v = malloc((nx + ny + 1) * sizeof *v);
    rank = malloc((nx + ny + 1) * sizeof *rank);
    if (!v || !rank) {
        free(v);
        free(rank);
        return SM_ERR_NOMEM;
    }
    for (i = 0; i < nx; i++)
        if (!isnan(x[i])) v[mx++] = x[i];
    for (i = 0; i < ny; i++)
        if (!isnan(y[i])) v[mx + my++] = y[i];
    m = mx + my;
    if (mx == 0 || my == 0) {
        free(v);
        free(rank);
        return SM_ERR_EMPTY;
    }
    if (method == SM_TEST_EXACT && m > SM_STATS_EXACT_MAX_N) {
        free(v);
        free(rank);
        return SM_ERR_RANGE;
    }
    tie = midranks(v, m, rank);
    if (tie < 0) {
        free(v);
        free(rank);
        return SM_ERR_NOMEM;
    }
    for (i = 0; i < mx; i++) rx += rank[i];
    u = rx - (double)mx * (double)(mx + 1) / 2.0;
    out->statistic = u;
    out->statistic_other = (double)mx * (double)my - u;
    out->n_used = m;
    out->ties = tie > 0;
    N = (double)m;
    mean = (double)mx * (double)my / 2.0;
    var = (double)mx * (double)my / 12.0 * ((N + 1.0) - (m > 1 ? tie / (N * (N - 1.0)) : 0.0));
    if (var > 0) {
        double dz = u - mean;
        double cc = dz > 0 ? 0.5 : (dz < 0 ? -0.5 : 0.0);
        out->z = (dz - cc) / sqrt(var);
    }
    if (method == SM_TEST_EXACT || (method == SM_TEST_AUTO && m <= SM_STATS_EXACT_MAX_N)) {
        long *r2 = malloc(m * sizeof *r2);
        if (!r2) {
            free(v);
            free(rank);
            test_clear(out);
            return SM_ERR_NOMEM;
        }
        for (i = 0; i < m; i++) r2[i] = lround(2.0 * rank[i]);
        out->p = ranksum_exact_p(r2, m, mx, lround(2.0 * rx));
        out->exact = 1;
        free(r2);
        if (isnan(out->p)) {
            free(v);
            free(rank);
            test_clear(out);
            return SM_ERR_NOMEM;
        }
    } else {
        out->p = var > 0 ? two_sided_normal(out->z) : 1.0;
        out->exact = 0;
    }
    free(v);
    free(rank);
    return 0;
}

int sm_mann_whitney_u(const double *x, size_t nx, const double *y, size_t ny, double *U,
                      double *p)
{
    sm_rank_test t;
    int rc = sm_mann_whitney_u_ex(x, nx, y, ny, SM_TEST_AUTO, &t);
    if (U) *U = t.statistic;
    if (p) *p = t.p;
    return rc;
}

int sm_holm_adjust(const double *p, size_t n, double *adj)
{
    ranked *r;
    size_t i, m = 0;
    double run = 0.0;
    if ((!p || !adj) && n) return SM_ERR_ARG;
    r = malloc((n ? n : 1) * sizeof *r);
    if (!r) return SM_ERR_NOMEM;
    for (i = 0; i < n; i++)
        if (!isnan(p[i])) {
            r[m].v = p[i];
            r[m].i = i;
            m++;
        }
    qsort(r, m, sizeof *r, cmp_ranked);
    for (i = 0; i < n; i++)
        if (isnan(p[i])) adj[i] = NAN;
    for (i = 0; i < m; i++) {
        double a = (double)(m - i) * r[i].v;
        if (a > 1.0) a = 1.0;
        if (a > run) run = a; /* adjusted p-values never decrease along the sorted order */
        adj[r[i].i] = run;
    }
    free(r);
    return 0;
}

void sm_trace_on_grid(const size_t *evals, const double *cost, size_t n, const double *grid,
                      size_t n_grid, double *out)
{
    size_t i = 0, g;
    double best = INFINITY;
    for (g = 0; g < n_grid; g++) {
        while (i < n && (double)evals[i] <= grid[g]) {
            if (cost[i] < best) best = cost[i];
            i++;
        }
        out[g] = best;
    }
}
