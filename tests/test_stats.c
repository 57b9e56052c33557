/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_stats.c: the statistics behind the report (experiments/stats.h).
 *
 * Reference values of the rank tests come from published examples:
 * - R's wilcox.test help page (Hollander & Wolfe 1973, p. 29, Hamilton depression scale):
 *   paired, V = 40, one-sided p = 0.01953 (exact), so two-sided p = 2 * 10/512 = 0.0390625.
 *   Its rank-sum example (Hollander & Wolfe p. 69): W = 35, one-sided p = 0.1272, two-sided
 *   0.2544 (exact: 2 * 382/3003).
 * - scipy.stats.wilcoxon docs (Fisher's cucumber differences, n = 15): statistic min(W+, W-)
 *   = 24, exact two-sided p = 0.041259765625.
 * - scipy.stats.mannwhitneyu docs (males vs females): U1 = 17, exact p = 0.1111111111111111,
 *   asymptotic (continuity-corrected) p = 0.11134688653314041.
 * - NAG g08amc example results (Mann-Whitney with ties, n1 = 16, n2 = 23): U = 86, normal
 *   statistic -2.8039, approximate tail probability 0.0025, exact tail probability 0.0020
 *   (exact distribution conditional on the ties, as computed here).
 * Normal approximations with continuity correction not printed in those sources are checked
 * against the formula worked by hand in the test (stated next to each value).
 *
 * The statistics that compare several optimizers are checked against R 4.2.2 (Debian's
 * r-base-core; each call is stated beside its values), scipy 1.10.1 and the worked example of
 * Demsar, "Statistical comparisons of classifiers over multiple data sets", JMLR 7 (2006). */
#include "tests/test_util.h"

#include "core/error.h"
#include "experiments/stats.h"

/* ---- quantiles ---- */

static void test_quantiles(void **state)
{
    const double a[10] = {7, 1, 10, 3, 5, 2, 9, 4, 8, 6};
    const double np[6] = {10, 7, 4, 3, 2, 1}; /* numpy.quantile docs: median 3.5 */
    const double four[4] = {1, 2, 3, 4};
    const double withnan[4] = {NAN, 3, 1, 2};
    const double one[1] = {42};
    (void)state;
    assert_close(sm_median(a, 10), 5.5, 1e-12);
    assert_close(sm_quantile(a, 10, 0.1), 1.9, 1e-12);   /* 1 + 0.9 * (2 - 1) */
    assert_close(sm_quantile(a, 10, 0.25), 3.25, 1e-12); /* h = 2.25 */
    assert_close(sm_quantile(a, 10, 0.75), 7.75, 1e-12); /* h = 6.75 */
    assert_close(sm_quantile(a, 10, 0.0), 1, 0);
    assert_close(sm_quantile(a, 10, 1.0), 10, 0);
    assert_close(sm_iqr(a, 10), 4.5, 1e-12);
    assert_close(sm_median(np, 6), 3.5, 1e-12);
    assert_close(sm_quantile(four, 4, 0.4), 2.2, 1e-12);  /* numpy.percentile(.., 40) */
    assert_close(sm_iqr(four, 4), 1.5, 1e-12);            /* 3.25 - 1.75 */
    assert_close(sm_median(withnan, 4), 2, 0);            /* NaN skipped */
    assert_close(sm_median(one, 1), 42, 0);
    assert_close(sm_iqr(one, 1), 0, 0);
    assert_true(isnan(sm_median(a, 0)));
    assert_true(isnan(sm_median(NULL, 3)));
    assert_true(isnan(sm_quantile(a, 10, 1.5)));
    assert_true(isnan(sm_quantile(a, 10, NAN)));
    assert_true(isnan(sm_median(withnan, 1)));            /* only a NaN */
}

/* ---- Wilcoxon signed-rank ---- */

static const double hw_x[9] = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
static const double hw_y[9] = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};

static void test_wilcoxon_r_example(void **state)
{
    double W, p;
    sm_rank_test t;
    (void)state;
    assert_int_equal(sm_wilcoxon_signed_rank(hw_x, hw_y, 9, &W, &p), 0);
    assert_close(W, 40, 1e-12);
    assert_close(p, 0.0390625, 1e-12); /* R: V = 40, one-sided p-value = 0.01953 */
    assert_int_equal(sm_wilcoxon_signed_rank_ex(hw_x, hw_y, 9, SM_TEST_AUTO, &t), 0);
    assert_true(t.exact);
    assert_close(t.statistic_other, 5, 1e-12);
    assert_int_equal((int)t.n_used, 9);
    /* the other way round: W+ and W- swap, p stays */
    assert_int_equal(sm_wilcoxon_signed_rank(hw_y, hw_x, 9, &W, &p), 0);
    assert_close(W, 5, 1e-12);
    assert_close(p, 0.0390625, 1e-12);
    /* normal approximation, by hand: mean 22.5, var 9*10*19/24 = 71.25,
     * z = (40 - 22.5 - 0.5) / sqrt(71.25) = 2.013995, p = 2 * (1 - Phi(z)) = 0.0440110 */
    assert_int_equal(sm_wilcoxon_signed_rank_ex(hw_x, hw_y, 9, SM_TEST_NORMAL, &t), 0);
    assert_false(t.exact);
    assert_close(t.z, 17.0 / sqrt(71.25), 1e-12);
    assert_close(t.p, 0.0440110, 1e-6);
}

static void test_wilcoxon_scipy_example(void **state)
{
    const double d[15] = {6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75};
    const double zero[15] = {0};
    sm_rank_test t;
    (void)state;
    assert_int_equal(sm_wilcoxon_signed_rank_ex(d, zero, 15, SM_TEST_AUTO, &t), 0);
    assert_close(t.statistic, 96, 1e-12);
    assert_close(t.statistic_other, 24, 1e-12); /* scipy's statistic: min(W+, W-) = 24 */
    assert_close(t.p, 0.041259765625, 1e-12);   /* scipy: exact two-sided p */
    assert_true(t.exact);
    assert_false(t.ties);
    /* normal approximation with continuity correction, by hand: mean 60, var 15*16*31/24 = 310,
     * z = (96 - 60 - 0.5) / sqrt(310) = 2.016255, p = 0.0437723 (scipy's uncorrected
     * method='approx' gives 0.0408881; the correction adds about 0.003) */
    assert_int_equal(sm_wilcoxon_signed_rank_ex(d, zero, 15, SM_TEST_NORMAL, &t), 0);
    assert_close(t.z, 35.5 / sqrt(310.0), 1e-12);
    assert_close(t.p, 0.0437723, 1e-6);
}

/* Exact two-sided p by enumerating all 2^m sign assignments of the given ranks. */
static double brute_signed_rank_p(const double *rank, size_t m, double wplus)
{
    unsigned long mask, total = 1ul << m, lo = 0, hi = 0;
    double p;
    for (mask = 0; mask < total; mask++) {
        double w = 0;
        size_t i;
        for (i = 0; i < m; i++)
            if (mask >> i & 1) w += rank[i];
        if (w <= wplus + 1e-9) lo++;
        if (w >= wplus - 1e-9) hi++;
    }
    p = 2.0 * (double)(lo < hi ? lo : hi) / (double)total;
    return p > 1 ? 1 : p;
}

static void test_wilcoxon_ties_and_zeros(void **state)
{
    /* differences x - y: 0 (dropped twice), then |d| = 1,1,2,3,3,3,5,8 with signs */
    const double x[10] = {5, 3, 6, 4, 2, 9, 1, 7, 13, 0};
    const double y[10] = {5, 3, 5, 5, 0, 6, 4, 4, 5, 5};
    /* d = 0, 0, 1, -1, 2, 3, -3, 3, 8, -5; ranks of |d| = 1.5 1.5 3 5 5 5 7 8 */
    const double rank[8] = {1.5, 1.5, 3, 5, 5, 5, 8, 7};
    const double sgn_pos = 1.5 + 3 + 5 + 5 + 8; /* d = 1, 2, 3, 3, 8 */
    sm_rank_test t;
    double nanx[3] = {NAN, 1, 2}, nany[3] = {0, 0, 0}, W, p;
    size_t m = 8;
    double tie = (8 - 2) + (27 - 3);             /* groups of 2 and 3 */
    double var = m * (m + 1) * (2 * m + 1) / 24.0 - tie / 48.0;
    (void)state;
    assert_int_equal(sm_wilcoxon_signed_rank_ex(x, y, 10, SM_TEST_AUTO, &t), 0);
    assert_int_equal((int)t.n_zero, 2);
    assert_int_equal((int)t.n_used, 8);
    assert_true(t.ties);
    assert_true(t.exact);
    assert_close(t.statistic, sgn_pos, 1e-12);
    assert_close(t.statistic + t.statistic_other, 36, 1e-12);
    assert_close(t.p, brute_signed_rank_p(rank, 8, sgn_pos), 1e-12);
    /* the normal approximation uses the tie-corrected variance */
    assert_int_equal(sm_wilcoxon_signed_rank_ex(x, y, 10, SM_TEST_NORMAL, &t), 0);
    assert_close(t.z, (sgn_pos - 18 - 0.5) / sqrt(var), 1e-12);
    assert_close(t.p, 2 * sm_normal_cdf(-fabs(t.z)), 1e-12);
    /* all differences zero: p = 1 */
    assert_int_equal(sm_wilcoxon_signed_rank(x, x, 10, &W, &p), 0);
    assert_close(W, 0, 0);
    assert_close(p, 1, 0);
    /* NaN pairs are dropped; nothing left is an error */
    assert_int_equal(sm_wilcoxon_signed_rank_ex(nanx, nany, 3, SM_TEST_AUTO, &t), 0);
    assert_int_equal((int)t.n_used, 2);
    assert_int_equal(sm_wilcoxon_signed_rank(nanx, nany, 1, &W, &p), SM_ERR_EMPTY);
    assert_true(isnan(W) && isnan(p));
    assert_int_equal(sm_wilcoxon_signed_rank(NULL, nany, 1, &W, &p), SM_ERR_ARG);
}

static void test_wilcoxon_large_n_uses_normal(void **state)
{
    double x[60], y[60];
    size_t i;
    sm_rank_test t;
    (void)state;
    for (i = 0; i < 60; i++) {
        x[i] = (double)i + 0.25 * (double)(i % 7);
        y[i] = (double)i + (i % 3 == 0 ? 1.1 : -0.05 * (double)(i + 1));
    }
    assert_int_equal(sm_wilcoxon_signed_rank_ex(x, y, 60, SM_TEST_AUTO, &t), 0);
    assert_false(t.exact);
    assert_close(t.p, 2 * sm_normal_cdf(-fabs(t.z)), 1e-12);
    assert_int_equal(sm_wilcoxon_signed_rank_ex(x, y, 60, SM_TEST_EXACT, &t), SM_ERR_RANGE);
    /* exact and normal agree roughly at the limit */
    {
        sm_rank_test a, b;
        assert_int_equal(sm_wilcoxon_signed_rank_ex(x, y, 50, SM_TEST_EXACT, &a), 0);
        assert_int_equal(sm_wilcoxon_signed_rank_ex(x, y, 50, SM_TEST_NORMAL, &b), 0);
        assert_close(a.p, b.p, 0.01);
    }
}

/* ---- Mann-Whitney U ---- */

static void test_mann_whitney(void **state)
{
    const double rx[10] = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
    const double ry[5] = {1.15, 0.88, 0.90, 0.74, 1.21};
    const double males[5] = {19, 22, 16, 29, 24}, females[4] = {20, 11, 17, 12};
    double U, p;
    sm_rank_test t;
    (void)state;
    /* R's rank-sum example: W = 35, one-sided p-value = 0.1272 */
    assert_int_equal(sm_mann_whitney_u(rx, 10, ry, 5, &U, &p), 0);
    assert_close(U, 35, 1e-12);
    assert_close(p, 2 * 382.0 / 3003.0, 1e-12);
    assert_close(p / 2, 0.1272, 5e-5);
    /* scipy's example */
    assert_int_equal(sm_mann_whitney_u_ex(males, 5, females, 4, SM_TEST_AUTO, &t), 0);
    assert_close(t.statistic, 17, 1e-12);
    assert_close(t.statistic_other, 3, 1e-12);
    assert_true(t.exact);
    assert_close(t.p, 0.1111111111111111, 1e-12);
    assert_int_equal(sm_mann_whitney_u_ex(males, 5, females, 4, SM_TEST_NORMAL, &t), 0);
    assert_close(t.p, 0.11134688653314041, 1e-12);
    /* swapping the samples swaps U and keeps p */
    assert_int_equal(sm_mann_whitney_u(females, 4, males, 5, &U, &p), 0);
    assert_close(U, 3, 1e-12);
    assert_close(p, 0.1111111111111111, 1e-12);
    assert_int_equal(sm_mann_whitney_u(males, 0, females, 4, &U, &p), SM_ERR_EMPTY);
}

static void test_mann_whitney_ties_nag(void **state)
{
    const double g1[16] = {13, 6, 12, 7, 12, 7, 10, 7, 10, 7, 16, 7, 10, 8, 9, 8};
    const double g2[23] = {17, 6, 10, 8, 15, 8, 15, 10, 15, 10, 14, 10,
                           14, 11, 14, 11, 13, 12, 13, 12, 13, 12, 12};
    sm_rank_test t;
    (void)state;
    assert_int_equal(sm_mann_whitney_u_ex(g1, 16, g2, 23, SM_TEST_NORMAL, &t), 0);
    assert_close(t.statistic, 86, 1e-12);
    assert_true(t.ties);
    assert_close(t.z, -2.8039, 5e-5);
    assert_close(t.p / 2, 0.0025, 5e-5);
    assert_int_equal(sm_mann_whitney_u_ex(g1, 16, g2, 23, SM_TEST_AUTO, &t), 0);
    assert_true(t.exact); /* 39 observations */
    assert_close(t.p / 2, 0.0020, 5e-5);
}

static void test_holm(void **state)
{
    double p[5] = {0.01, 0.04, 0.03, 0.005, NAN}, adj[5];
    (void)state;
    /* m = 4: sorted 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 -> max 0.06 */
    assert_int_equal(sm_holm_adjust(p, 5, adj), 0);
    assert_close(adj[0], 0.03, 1e-12);
    assert_close(adj[1], 0.06, 1e-12);
    assert_close(adj[2], 0.06, 1e-12);
    assert_close(adj[3], 0.02, 1e-12);
    assert_true(isnan(adj[4]));
    assert_int_equal(sm_holm_adjust(p, 5, p), 0); /* in place */
    assert_close(p[1], 0.06, 1e-12);
}

static void test_trace_on_grid(void **state)
{
    /* best so far after 1, 10, 50 and 100 evaluations; 60 is worse and must not show */
    const size_t e[5] = {1, 10, 50, 60, 100};
    const double c[5] = {9, 5, 3, 4, NAN};
    const double grid[7] = {0.5, 1, 9.9, 10, 55, 70, 1000};
    double out[7];
    (void)state;
    sm_trace_on_grid(e, c, 5, grid, 7, out);
    assert_true(isinf(out[0]) && out[0] > 0); /* before the first evaluation */
    assert_close(out[1], 9, 0);
    assert_close(out[2], 9, 0);
    assert_close(out[3], 5, 0);
    assert_close(out[4], 3, 0);
    assert_close(out[5], 3, 0);               /* a worse later point does not raise the step */
    assert_close(out[6], 3, 0);               /* NaN ignored, held after the last point */
    sm_trace_on_grid(e, c, 0, grid, 7, out);  /* empty trace: never a cost */
    assert_true(isinf(out[6]));
}


/* ---- comparing several optimizers ---- */

/* Demsar (2006), Table 6: the ranks (in brackets there) of C4.5, C4.5+m, C4.5+cf and
 * C4.5+m+cf on 14 data sets, rank 1 the best. Ranking the ranks gives them back. */
static const double demsar_ranks[14 * 4] = {
    4, 3, 2, 1,   1, 2, 3, 4,   4, 1, 2, 3,   4, 1, 3, 2,   4, 2, 3, 1,
    1, 2.5, 4, 2.5,   3, 2, 4, 1,   2.5, 2.5, 4, 1,   4, 3, 2, 1,   2.5, 2.5, 2.5, 2.5,
    4, 2.5, 1, 2.5,   3, 2, 4, 1,   4, 1, 2, 3,   3, 1, 4, 2};

static void test_friedman_demsar(void **state)
{
    sm_friedman_result f;
    double avg[4];
    (void)state;
    assert_int_equal(sm_friedman(demsar_ranks, 14, 4, avg, &f), 0);
    /* Demsar, section 3.2.2: average ranks 3.143, 2.000, 2.893 and 1.964 */
    assert_close(avg[0], 3.143, 5e-4);
    assert_close(avg[1], 2.000, 5e-4);
    assert_close(avg[2], 2.893, 5e-4);
    assert_close(avg[3], 1.964, 5e-4);
    assert_int_equal((int)f.n_blocks, 14);
    /* Demsar prints chi2_F = 9.28 and F_F = 3.69 without a tie correction. With R's:
     * friedman.test(matrix(demsar_ranks, ncol = 4, byrow = TRUE)) gives
     * Friedman chi-squared = 10.2283464566929, p-value = 0.0167215803284414; then
     * F = 13 * chi2 / (14 * 3 - chi2) = 4.18513011152416 and
     * pf(F, 3, 39, lower.tail = FALSE) = 0.0116206595153111. */
    assert_close(f.chi2, 10.2283464566929, 1e-10);
    assert_close(f.p, 0.0167215803284414, 1e-12);
    assert_close(f.f, 4.18513011152416, 1e-10);
    assert_close(f.p_f, 0.0116206595153111, 1e-12);
    /* Nemenyi: q_0.05 = 2.569 for k = 4 and CD = 1.25 for N = 14 (Demsar, 3.2.2); R, with q
     * solved from ptukey as in test_studentized_range: f(0.95, 4) / sqrt(2) *
     * sqrt(4 * 5 / (6 * 14)) = 1.25355914712096 */
    assert_close(sm_nemenyi_cd(4, 14, 0.05), 1.25355914712096, 1e-9);
    assert_close(sm_nemenyi_cd(4, 14, 0.05), 1.25, 5e-3);
}

static void test_friedman_r_example(void **state)
{
    /* R's friedman.test help page: RoundingTimes (Hollander & Wolfe 1973, p. 140), 22
     * players x 3 methods of rounding first base. R prints Friedman chi-squared = 11.143,
     * df = 2, p-value = 0.003805; with options(digits = 15): 11.1428571428571 and
     * 0.00380504077551136. Average ranks: colMeans(t(apply(RoundingTimes, 1, rank))). */
    static const double rt[22 * 3] = {
        5.40, 5.50, 5.55, 5.85, 5.70, 5.75, 5.20, 5.60, 5.50, 5.55, 5.50, 5.40, 5.90, 5.85,
        5.70, 5.45, 5.55, 5.60, 5.40, 5.40, 5.35, 5.45, 5.50, 5.35, 5.25, 5.15, 5.00, 5.85,
        5.80, 5.70, 5.25, 5.20, 5.10, 5.65, 5.55, 5.45, 5.60, 5.35, 5.45, 5.05, 5.00, 4.95,
        5.50, 5.50, 5.40, 5.45, 5.55, 5.50, 5.55, 5.55, 5.35, 5.45, 5.50, 5.55, 5.50, 5.45,
        5.25, 5.65, 5.60, 5.40, 5.70, 5.65, 5.55, 6.30, 6.30, 6.25};
    double avg[3], with_nan[23 * 3];
    sm_friedman_result f;
    size_t i;
    (void)state;
    assert_int_equal(sm_friedman(rt, 22, 3, avg, &f), 0);
    assert_close(f.chi2, 11.1428571428571, 1e-10);
    assert_close(f.p, 0.00380504077551136, 1e-13);
    assert_close(avg[0], 2.40909090909091, 1e-12);
    assert_close(avg[1], 2.13636363636364, 1e-12);
    assert_close(avg[2], 1.45454545454545, 1e-12);
    /* a block with a missing value is left out */
    memcpy(with_nan, rt, sizeof rt);
    for (i = 0; i < 3; i++) with_nan[66 + i] = i == 1 ? NAN : 1.0;
    assert_int_equal(sm_friedman(with_nan, 23, 3, NULL, &f), 0);
    assert_int_equal((int)f.n_blocks, 22);
    assert_close(f.chi2, 11.1428571428571, 1e-10);
}

static void test_friedman_scipy_and_edges(void **state)
{
    /* scipy.stats.friedmanchisquare([10, 8, 7, 9, 7], [7, 5, 8, 6, 5], [8, 4, 6, 4, 7])
     * (scipy 1.10.1): statistic = 4.105263157894743, pvalue = 0.1283965728929484 */
    const double x[5 * 3] = {10, 7, 8, 8, 5, 4, 7, 8, 6, 9, 6, 4, 7, 5, 7};
    const double ties[3 * 2] = {1, 1, 2, 2, 3, 3};
    const double same[3 * 2] = {1, 2, 1, 2, 1, 2};
    sm_friedman_result f;
    (void)state;
    assert_int_equal(sm_friedman(x, 5, 3, NULL, &f), 0);
    assert_close(f.chi2, 4.105263157894743, 1e-12);
    assert_close(f.p, 0.1283965728929484, 1e-13);
    /* every block all ties: no evidence */
    assert_int_equal(sm_friedman(ties, 3, 2, NULL, &f), 0);
    assert_close(f.chi2, 0, 0);
    assert_close(f.p, 1, 0);
    /* every block ranks alike: Iman-Davenport's F is infinite */
    assert_int_equal(sm_friedman(same, 3, 2, NULL, &f), 0);
    assert_true(isinf(f.f) && f.p_f == 0);
    assert_int_equal(sm_friedman(x, 1, 3, NULL, &f), SM_ERR_EMPTY);
    assert_true(isnan(f.chi2));
    assert_int_equal(sm_friedman(x, 5, 1, NULL, &f), SM_ERR_ARG);
    assert_int_equal(sm_friedman(NULL, 5, 3, NULL, &f), SM_ERR_ARG);
}

static void test_studentized_range(void **state)
{
    /* Demsar's Table 5a (Nemenyi, alpha = 0.05) rounds q_alpha = qtukey(0.95, k, Inf) / sqrt 2
     * for k = 2..10 to 1.960 2.343 2.569 2.728 2.850 2.949 3.031 3.102 3.164, Table 5b
     * (alpha = 0.10) to 1.645 2.052 2.291 2.459 2.589 2.693 2.780 2.855 2.920. R's qtukey stops
     * its iteration early (its help page promises 4 decimals; ptukey(qtukey(0.95, 10, Inf), 10,
     * Inf) - 0.95 = 2.7e-8), so the full digits below solve R's ptukey instead:
     * f <- function(p, k) uniroot(function(q) ptukey(q, k, Inf) - p, c(0.5, 10),
     *                             tol = 1e-13)$root
     * sapply(2:10, function(k) f(0.95, k) / sqrt(2)), and the same with 0.90. */
    static const double q95[9] = {1.95996398454005, 2.34370058638429, 2.56903177255335,
                                  2.72777437087437, 2.84970541960595, 2.94832001751163,
                                  3.03087844957609, 3.10173034123840, 3.16368357695544};
    static const double table5a[9] = {1.960, 2.343, 2.569, 2.728, 2.850,
                                      2.949, 3.031, 3.102, 3.164};
    static const double q90[9] = {1.64485362695149, 2.05229273049677, 2.29134149692328,
                                  2.45951576433502, 2.58852060202249, 2.69273210111163,
                                  2.77988360834676, 2.85460643144698, 2.91988884037017};
    int k;
    (void)state;
    for (k = 2; k <= 10; k++) {
        double q = sm_studentized_range_quantile(0.95, k) / sqrt(2.0);
        assert_close(q, q95[k - 2], 1e-9);
        assert_close(q, table5a[k - 2], 1e-3); /* 2.3437 is printed as 2.343 */
        assert_close(sm_studentized_range_quantile(0.90, k) / sqrt(2.0), q90[k - 2], 1e-9);
    }
    /* sapply(c(2, 5, 12, 20), function(k) f(0.95, k)) */
    assert_close(sm_studentized_range_quantile(0.95, 2), 2.77180764869935, 1e-9);
    assert_close(sm_studentized_range_quantile(0.95, 5), 3.85765551038427, 1e-9);
    assert_close(sm_studentized_range_quantile(0.95, 12), 4.62165547161099, 1e-8);
    assert_close(sm_studentized_range_quantile(0.95, 20), 5.01168879308820, 1e-8);
    /* k = 2 in closed form: the range of two normals is |X - Y| = sqrt(2) |Z|, so
     * q = sqrt(2) qnorm(0.975) = 2.77180764869936 */
    assert_close(sm_studentized_range_quantile(0.95, 2), 2.77180764869936, 1e-9);
    /* R: ptukey(c(1, 2.5, 3.5, 5), 6, Inf) */
    assert_close(sm_studentized_range_cdf(1.0, 6), 0.018840029365055, 1e-10);
    assert_close(sm_studentized_range_cdf(2.5, 6), 0.513226741681612, 1e-10);
    assert_close(sm_studentized_range_cdf(3.5, 6), 0.868469552393008, 1e-10);
    assert_close(sm_studentized_range_cdf(5.0, 6), 0.994549603153866, 1e-10);
    assert_close(sm_studentized_range_cdf(0.0, 6), 0, 0);
    assert_true(isnan(sm_studentized_range_cdf(1.0, 1)));
    assert_true(isnan(sm_studentized_range_quantile(1.0, 3)));
    assert_true(isnan(sm_nemenyi_cd(1, 10, 0.05)));
    assert_true(isnan(sm_nemenyi_cd(3, 0, 0.05)));
}

static void test_nemenyi_pairs(void **state)
{
    /* R, with se <- sqrt(4 * 5 / (6 * 14)) for Demsar's example (k = 4, N = 14):
     * ptukey((3.143 - 1.964) / se * sqrt(2), 4, Inf, lower.tail = FALSE) = 0.0740233839071978
     * (C4.5 against C4.5+m+cf: not different at 0.05, different at 0.10, as Demsar says);
     * ptukey((2.000 - 1.964) / se * sqrt(2), 4, Inf, lower.tail = FALSE) = 0.999856053756117;
     * k = 3, N = 6, ranks 1 and 3: ptukey(2 / sqrt(12 / 36) * sqrt(2), 3, Inf,
     * lower.tail = FALSE) = 0.00154286116888325 */
    (void)state;
    assert_close(sm_nemenyi_p(3.143 - 1.964, 4, 14), 0.0740233839071978, 1e-9);
    assert_close(sm_nemenyi_p(1.964 - 3.143, 4, 14), 0.0740233839071978, 1e-9);
    assert_close(sm_nemenyi_p(2.000 - 1.964, 4, 14), 0.999856053756117, 1e-9);
    assert_close(sm_nemenyi_p(2.0, 3, 6), 0.00154286116888325, 1e-9);
    assert_true(isnan(sm_nemenyi_p(1.0, 1, 6)));
    /* blocks needed, R with q solved from ptukey (test_studentized_range):
     * ceiling(4 * 5 * q^2 / (6 * 1.179^2)) = 16 and ceiling(4 * 5 * q^2 / (6 * 0.5^2)) = 88 */
    assert_int_equal(sm_nemenyi_blocks_needed(3.143 - 1.964, 4, 0.05), 16);
    assert_int_equal(sm_nemenyi_blocks_needed(0.5, 4, 0.05), 88);
    assert_true(sm_nemenyi_cd(4, 16, 0.05) <= 1.179 && sm_nemenyi_cd(4, 15, 0.05) > 1.179);
    assert_int_equal(sm_nemenyi_blocks_needed(0.0, 4, 0.05), 0);
}

static void test_a12(void **state)
{
    /* The example of R's effsize::VD.A help page. Without the package, the same value from
     * base R: wilcox.test(treatment, control, exact = FALSE)$statistic / (10 * 6) = 0.375 */
    const double treatment[10] = {10, 10, 20, 20, 20, 30, 30, 30, 40, 50};
    const double control[6] = {10, 20, 30, 40, 40, 50};
    const double withnan[3] = {NAN, 1, 2};
    (void)state;
    assert_close(sm_vargha_delaney_a12(treatment, 10, control, 6), 0.375, 1e-15);
    assert_close(sm_vargha_delaney_a12(control, 6, treatment, 10), 0.625, 1e-15);
    /* A12 = U / (m n) with the Mann-Whitney U of R's rank-sum example (W = 35, 10 x 5) */
    {
        const double rx[10] = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
        const double ry[5] = {1.15, 0.88, 0.90, 0.74, 1.21};
        assert_close(sm_vargha_delaney_a12(rx, 10, ry, 5), 35.0 / 50.0, 1e-15);
    }
    assert_close(sm_vargha_delaney_a12(withnan, 3, withnan, 3), 0.5, 1e-15);
    assert_true(isnan(sm_vargha_delaney_a12(withnan, 1, control, 6)));
    assert_true(isnan(sm_vargha_delaney_a12(NULL, 0, control, 6)));
}

static void test_normal_quantile_and_sample_sizes(void **state)
{
    (void)state;
    /* R: qnorm(c(0.975, 0.8, 0.001)) */
    assert_close(sm_normal_quantile(0.975), 1.959963984540054, 1e-12);
    assert_close(sm_normal_quantile(0.8), 0.841621233572914, 1e-12);
    assert_close(sm_normal_quantile(0.001), -3.090232306167813, 1e-12);
    assert_true(isnan(sm_normal_quantile(0)));
    /* Noether (1987). R: ceiling((qnorm(0.975) + qnorm(0.8))^2 / (3 * (0.7 - 0.5)^2)) = 66
     * pairs; for the rank sum, half of that total in each group, 33;
     * ceiling((qnorm(0.995) + qnorm(0.9))^2 / (3 * (0.6 - 0.5)^2)) = 496 */
    assert_int_equal(sm_sample_size_signed_rank(0.7, 0.05, 0.8), 66);
    assert_int_equal(sm_sample_size_signed_rank(0.3, 0.05, 0.8), 66);
    assert_int_equal(sm_sample_size_rank_sum(0.7, 0.05, 0.8), 33);
    assert_int_equal(sm_sample_size_signed_rank(0.6, 0.01, 0.9), 496);
    assert_int_equal(sm_sample_size_signed_rank(0.5, 0.05, 0.8), 0);
    assert_int_equal(sm_sample_size_rank_sum(1.5, 0.05, 0.8), 0);
    assert_int_equal(sm_sample_size_rank_sum(0.7, 0.0, 0.8), 0);
}

static void test_ert_and_ecdf(void **state)
{
    /* COCO's aRT (Hansen et al., arXiv:1605.03560, eq. 6): three runs reach the target after
     * 100, 300 and 200 evaluations, two stop after 1000 without: (100 + 300 + 200 + 1000 +
     * 1000) / 3 = 866.67 */
    const double hit[5] = {100, 300, NAN, 200, INFINITY};
    const double used[5] = {500, 500, 1000, 400, 1000};
    const double grid[5] = {50, 100, 250, 300, 1e9};
    double out[5];
    size_t succ = 9;
    (void)state;
    assert_close(sm_ert(hit, used, 5, &succ), 2600.0 / 3.0, 1e-12);
    assert_int_equal(succ, 3);
    assert_true(isinf(sm_ert(hit + 2, used + 2, 1, &succ)));
    assert_int_equal(succ, 0);
    assert_true(isnan(sm_ert(hit, used, 0, NULL)));
    /* one run, always a success: its own hitting time */
    assert_close(sm_ert(hit, used, 1, NULL), 100, 0);
    sm_ecdf_on_grid(hit, 5, grid, 5, out);
    assert_close(out[0], 0.0, 0);
    assert_close(out[1], 0.2, 1e-15);
    assert_close(out[2], 0.4, 1e-15);
    assert_close(out[3], 0.6, 1e-15);
    assert_close(out[4], 0.6, 1e-15); /* never-reached pairs stay in the denominator */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_wilcoxon_r_example),
        cmocka_unit_test(test_wilcoxon_scipy_example),
        cmocka_unit_test(test_wilcoxon_ties_and_zeros),
        cmocka_unit_test(test_wilcoxon_large_n_uses_normal),
        cmocka_unit_test(test_mann_whitney),
        cmocka_unit_test(test_mann_whitney_ties_nag),
        cmocka_unit_test(test_holm),
        cmocka_unit_test(test_trace_on_grid),
        cmocka_unit_test(test_friedman_demsar),
        cmocka_unit_test(test_friedman_r_example),
        cmocka_unit_test(test_friedman_scipy_and_edges),
        cmocka_unit_test(test_studentized_range),
        cmocka_unit_test(test_nemenyi_pairs),
        cmocka_unit_test(test_a12),
        cmocka_unit_test(test_normal_quantile_and_sample_sizes),
        cmocka_unit_test(test_ert_and_ecdf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
