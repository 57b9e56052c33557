/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/stats_compare.c: statistics that compare several optimizers at once (see
 * experiments/stats.h): the Friedman test with average ranks, the studentized range
 * distribution behind Nemenyi's critical difference, Vargha-Delaney's A12, Noether's sample
 * sizes, and COCO's expected running time and runtime distributions.
 *
 * Sources: Demsar, "Statistical comparisons of classifiers over multiple data sets", JMLR 7
 * (2006) 1-30 (Friedman, Iman-Davenport, Nemenyi); R's friedman.test (its tie correction);
 * Vargha and Delaney, J. Educ. Behav. Stat. 25 (2000) 101-132 (A12); Noether, JASA 82 (1987)
 * 645-647 (sample sizes); Hansen et al., arXiv:1605.03560 (ERT). The chi-square, F and normal
 * distributions come from GSL. */
#include "experiments/stats.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "search/gsl_errors.h"

double sm_normal_quantile(double p)
{
    if (!(p > 0.0 && p < 1.0)) return NAN;
    sm_gsl_quiet();
    return gsl_cdf_ugaussian_Pinv(p);
}

/* ---- Friedman ---- */

/* Midranks (1-based) of the k values v into r; returns the block's sum of t^3 - t over its
 * groups of t tied values. k is small (the number of optimizers), so a quadratic count is
 * fine and needs no memory. */
static double block_ranks(const double *v, size_t k, double *r)
{
    size_t i, j;
    double ties = 0.0;
    for (i = 0; i < k; i++) {
        size_t below = 0, equal = 0;
        for (j = 0; j < k; j++) {
            if (v[j] < v[i]) below++;
            else if (v[j] == v[i]) equal++;
        }
        r[i] = (double)below + 0.5 * (double)(equal + 1);
        /* count each tie group once: at its first member */
        if (equal > 1) {
            int first = 1;
            for (j = 0; j < i; j++)
                if (v[j] == v[i]) first = 0;
            if (first) ties += (double)equal * (double)equal * (double)equal - (double)equal;
        }
    }
    return ties;
}

int sm_friedman(const double *x, size_t n_blocks, size_t k, double *avg_rank,
                sm_friedman_result *out)
{
    double *sum, *r, ties = 0.0, ss = 0.0, n, kk, denom;
    size_t b, j, used = 0;
    if (out) {
        memset(out, 0, sizeof *out);
        out->chi2 = out->p = out->f = out->p_f = NAN;
    }
    if (!x || !out || k < 2) return SM_ERR_ARG;
    sum = calloc(k, sizeof *sum);
    r = malloc(k * sizeof *r);
    if (!sum || !r) {
        free(sum);
        free(r);
        return SM_ERR_NOMEM;
    }
    for (b = 0; b < n_blocks; b++) {
        const double *row = x + b * k;
        for (j = 0; j < k && !isnan(row[j]); j++) continue;
        if (j < k) continue;
        ties += block_ranks(row, k, r);
        for (j = 0; j < k; j++) sum[j] += r[j];
        used++;
    }
    if (used < 2) {
        free(sum);
        free(r);
        return SM_ERR_EMPTY;
    }
    n = (double)used;
    kk = (double)k;
    for (j = 0; j < k; j++) {
        double d = sum[j] - n * (kk + 1.0) / 2.0;
        ss += d * d;
        if (avg_rank) avg_rank[j] = sum[j] / n;
    }
    out->n_blocks = used;
    out->k = k;
    denom = n * kk * (kk + 1.0) - ties / (kk - 1.0);
    sm_gsl_quiet();
    if (!(denom > 0)) { /* every block all ties: no evidence of a difference */
        out->chi2 = 0.0;
        out->p = 1.0;
        out->f = 0.0;
        out->p_f = 1.0;
    } else {
        double df1 = kk - 1.0, df2 = (kk - 1.0) * (n - 1.0), rest;
        out->chi2 = 12.0 * ss / denom;
        out->p = gsl_cdf_chisq_Q(out->chi2, df1);
        rest = n * (kk - 1.0) - out->chi2;
        if (rest > 1e-12 * n * kk) {
            out->f = (n - 1.0) * out->chi2 / rest;
            out->p_f = gsl_cdf_fdist_Q(out->f, df1, df2);
        } else {
            out->f = INFINITY;
            out->p_f = 0.0;
        }
    }
    free(sum);
    free(r);
    return 0;
}

/* ---- the studentized range (infinite degrees of freedom) ---- */

/* P(range of k standard normals <= q) = k * integral phi(z) (Phi(z) - Phi(z - q))^(k-1) dz
 * (the density of the largest value times the chance that the others lie within q below
 * it). The integrand is smooth and negligible where phi(z) < 1e-17, so composite Simpson on
 * [-9, 9 + q] with step 1/128 is accurate to about 1e-12. */
double sm_studentized_range_cdf(double q, int k)
{
    const double h = 1.0 / 128.0, lo = -9.0;
    double hi, sum = 0.0;
    long i, steps;
    if (k < 2 || isnan(q)) return NAN;
    if (q <= 0) return 0.0;
    if (isinf(q)) return 1.0;
    hi = 9.0 + q;
    steps = 2 * (long)ceil((hi - lo) / (2.0 * h));
    for (i = 0; i <= steps; i++) {
        double z = lo + (double)i * (hi - lo) / (double)steps;
        double phi = exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
        double inner = sm_normal_cdf(z) - sm_normal_cdf(z - q);
        double f = phi * pow(inner, (double)(k - 1));
        double w = (i == 0 || i == steps) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        sum += w * f;
    }
    sum *= (hi - lo) / (double)steps / 3.0 * (double)k;
    return sum > 1.0 ? 1.0 : sum;
}

double sm_studentized_range_quantile(double p, int k)
{
    double lo = 0.0, hi = 1.0;
    int i;
    if (k < 2 || !(p > 0.0 && p < 1.0)) return NAN;
    while (sm_studentized_range_cdf(hi, k) < p && hi < 1e3) hi *= 2.0;
    for (i = 0; i < 200 && hi - lo > 1e-11; i++) {
        double mid = 0.5 * (lo + hi);
        if (sm_studentized_range_cdf(mid, k) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

double sm_nemenyi_cd(size_t k, size_t n, double alpha)
{
    double q;
    if (k < 2 || n == 0 || !(alpha > 0.0 && alpha < 1.0) || k > 1000) return NAN;
    q = sm_studentized_range_quantile(1.0 - alpha, (int)k) / sqrt(2.0);
    return q * sqrt((double)k * (double)(k + 1) / (6.0 * (double)n));
}

double sm_nemenyi_p(double rank_diff, size_t k, size_t n)
{
    double se, p;
    if (k < 2 || n == 0 || k > 1000 || isnan(rank_diff)) return NAN;
    se = sqrt((double)k * (double)(k + 1) / (6.0 * (double)n));
    p = 1.0 - sm_studentized_range_cdf(fabs(rank_diff) / se * sqrt(2.0), (int)k);
    return p < 0 ? 0 : p;
}

size_t sm_nemenyi_blocks_needed(double rank_diff, size_t k, double alpha)
{
    double q, n;
    if (k < 2 || k > 1000 || !(alpha > 0.0 && alpha < 1.0) || !(fabs(rank_diff) > 0)) return 0;
    /* CD = q sqrt(k (k + 1) / (6 n)) <= d  <=>  n >= k (k + 1) q^2 / (6 d^2) */
    q = sm_studentized_range_quantile(1.0 - alpha, (int)k) / sqrt(2.0);
    n = (double)k * (double)(k + 1) * q * q / (6.0 * rank_diff * rank_diff);
    return n > 1e15 ? (size_t)1e15 : (size_t)ceil(n - 1e-9);
}

/* ---- effect size and sample sizes ---- */

double sm_vargha_delaney_a12(const double *x, size_t nx, const double *y, size_t ny)
{
    double wins = 0.0, pairs = 0.0;
    size_t i, j;
    if (!x || !y) return NAN;
    for (i = 0; i < nx; i++) {
        if (isnan(x[i])) continue;
        for (j = 0; j < ny; j++) {
            if (isnan(y[j])) continue;
            if (x[i] > y[j]) wins += 1.0;
            else if (x[i] == y[j]) wins += 0.5;
            pairs += 1.0;
        }
    }
    return pairs > 0 ? wins / pairs : NAN;
}

/* (z_{1-alpha/2} + z_{power})^2, or NaN for arguments out of range. */
static double z_sum_squared(double alpha, double power)
{
    double z;
    if (!(alpha > 0.0 && alpha < 1.0) || !(power > 0.0 && power < 1.0)) return NAN;
    z = sm_normal_quantile(1.0 - alpha / 2.0) + sm_normal_quantile(power);
    return z * z;
}

static size_t ceil_count(double v)
{
    if (!isfinite(v) || v <= 0) return 0;
    if (v > 1e15) return (size_t)1e15;
    return (size_t)ceil(v - 1e-9);
}

size_t sm_sample_size_signed_rank(double p_walsh, double alpha, double power)
{
    double z2 = z_sum_squared(alpha, power), d = p_walsh - 0.5;
    if (isnan(z2) || !(p_walsh >= 0.0 && p_walsh <= 1.0) || d == 0.0) return 0;
    return ceil_count(z2 / (3.0 * d * d));
}

size_t sm_sample_size_rank_sum(double a12, double alpha, double power)
{
    /* Noether's total N = z2 / (12 c (1 - c) (a12 - 1/2)^2) with c = 1/2, half of it each */
    double z2 = z_sum_squared(alpha, power), d = a12 - 0.5;
    if (isnan(z2) || !(a12 >= 0.0 && a12 <= 1.0) || d == 0.0) return 0;
    return ceil_count(z2 / (3.0 * d * d) / 2.0);
}

/* ---- fixed-target views ---- */

double sm_ert(const double *hit, const double *used, size_t n, size_t *n_succ)
{
    double total = 0.0;
    size_t i, succ = 0;
    if (n_succ) *n_succ = 0;
    if (!hit || !used || n == 0) return NAN;
    for (i = 0; i < n; i++) {
        if (isfinite(hit[i])) {
            total += hit[i];
            succ++;
        } else {
            total += used[i];
        }
    }
    if (n_succ) *n_succ = succ;
    return succ ? total / (double)succ : INFINITY;
}

void sm_ecdf_on_grid(const double *hit, size_t n, const double *grid, size_t n_grid,
                     double *out)
{
    size_t g, i;
    for (g = 0; g < n_grid; g++) {
        size_t k = 0;
        for (i = 0; i < n; i++)
            if (isfinite(hit[i]) && hit[i] <= grid[g]) k++;
        out[g] = n ? (double)k / (double)n : NAN;
    }
}
