/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/stats.h: the small statistics behind the report.
 *
 * Pure functions on arrays of doubles: quantiles (type 7, the default of R and numpy), median and
 * interquartile range, the Wilcoxon signed-rank test for paired samples, the Mann-Whitney U
 * (Wilcoxon rank-sum) test for independent samples, Holm's adjustment for several p-values,
 * and the sampling of best-so-far traces on a common grid of evaluation counts (stats.c);
 * the Friedman test, Nemenyi's critical difference, Vargha-Delaney's A12, sample sizes, and
 * COCO's expected running time and runtime distributions (stats_compare.c).
 * Nothing here keeps state; the tests only allocate scratch memory they free before returning.
 *
 * Conventions shared by both rank tests (they follow R's wilcox.test unless stated):
 * - NaN values are dropped (for the paired test, every pair holding a NaN).
 * - Tied values get the mean of the ranks they span (midranks).
 * - The Wilcoxon test drops zero differences before ranking ("wilcox" zero method, R's and
 *   scipy's default).
 * - p-values are two-sided. SM_TEST_AUTO uses the exact permutation distribution when the test
 *   has at most SM_STATS_EXACT_MAX_N observations (non-zero differences; both samples together
 *   for Mann-Whitney), else the normal approximation.
 * - The exact distribution is the permutation distribution of the midranks actually observed,
 *   so it stays exact with ties (R instead falls back to the normal approximation when there
 *   are ties). Without ties it equals the classical tables. Two-sided p = min(1, 2 * smaller
 *   tail), as in R.
 * - The normal approximation uses the tie-corrected variance and a continuity correction of
 *   0.5 towards the mean (R's correct = TRUE; scipy's mannwhitneyu default).
 */
#ifndef SM_STATS_H
#define SM_STATS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest number of observations for which SM_TEST_AUTO computes the exact distribution. */
#define SM_STATS_EXACT_MAX_N 50

/* The q-quantile (0 <= q <= 1) of x[0..n), by linear interpolation between order statistics
 * (Hyndman and Fan type 7; numpy's and R's default). NaN entries are skipped. Returns NaN if no
 * value remains, q is outside [0, 1], or memory runs out. */
double sm_quantile(const double *x, size_t n, double q);

/* The median of x (type-7 quantile 0.5): NaN entries skipped, NaN if none remain. */
double sm_median(const double *x, size_t n);

/* The interquartile range Q3 - Q1 (type 7): NaN entries skipped, NaN if none remain. */
double sm_iqr(const double *x, size_t n);

typedef enum {
    SM_TEST_AUTO = 0,  /* exact up to SM_STATS_EXACT_MAX_N observations, else normal */
    SM_TEST_EXACT,     /* always exact (refused above SM_STATS_EXACT_MAX_N: SM_ERR_RANGE) */
    SM_TEST_NORMAL     /* always the normal approximation */
} sm_test_method;

/* The outcome of a rank test. */
typedef struct {
    double statistic;  /* Wilcoxon: W+, the rank sum of the positive differences x - y (R's V).
                          Mann-Whitney: U of x, the number of pairs with x > y plus half the
                          ties (R's W, scipy's U1). */
    double statistic_other; /* Wilcoxon: W-. Mann-Whitney: U of y = nx*ny - U of x. */
    double z;          /* the normal deviate with continuity correction (0 if it is undefined) */
    double p;          /* two-sided p-value */
    size_t n_used;     /* Wilcoxon: non-zero differences ranked. Mann-Whitney: nx + ny used */
    size_t n_zero;     /* Wilcoxon: zero differences dropped. Mann-Whitney: 0 */
    int exact;         /* 1: p is from the exact distribution; 0: normal approximation */
    int ties;          /* 1: some ranked values were tied */
} sm_rank_test;

/* The Wilcoxon signed-rank test of the paired samples x[i], y[i] (i < n), two-sided.
 * *W receives W+ (the rank sum of the positive differences x - y) and *p the p-value, both
 * NaN on failure. Equivalent to sm_wilcoxon_signed_rank_ex with SM_TEST_AUTO. */
int sm_wilcoxon_signed_rank(const double *x, const double *y, size_t n, double *W, double *p);

/* The Wilcoxon signed-rank test with a chosen method and the full outcome in *out. If every
 * difference is zero the result is W+ = W- = 0 and p = 1. Returns 0, SM_ERR_ARG (a NULL
 * pointer), SM_ERR_EMPTY (no pair without NaN), SM_ERR_RANGE (SM_TEST_EXACT on too many
 * observations) or SM_ERR_NOMEM; on failure *out holds NaNs and zeros. */
int sm_wilcoxon_signed_rank_ex(const double *x, const double *y, size_t n,
                               sm_test_method method, sm_rank_test *out);

/* The Mann-Whitney U test of the independent samples x[0..nx) and y[0..ny), two-sided.
 * *U receives U of x, *p the p-value (NaN on failure). Uses SM_TEST_AUTO. */
int sm_mann_whitney_u(const double *x, size_t nx, const double *y, size_t ny, double *U,
                      double *p);

/* The Mann-Whitney U test with a chosen method. If every value is tied, p = 1. Returns 0,
 * SM_ERR_ARG, SM_ERR_EMPTY (a sample has no value but NaNs), SM_ERR_RANGE or SM_ERR_NOMEM. */
int sm_mann_whitney_u_ex(const double *x, size_t nx, const double *y, size_t ny,
                         sm_test_method method, sm_rank_test *out);

/* Holm's step-down adjustment of m = (non-NaN entries of p) p-values for multiple comparisons:
 * adj[i] is the adjusted p[i] (NaN stays NaN). p and adj may be the same array. Returns 0,
 * SM_ERR_ARG or SM_ERR_NOMEM. */
int sm_holm_adjust(const double *p, size_t n, double *adj);

/* Samples a best-so-far trace on an evaluation grid. The trace says that after evals[i]
 * evaluations the best cost was cost[i] (evals ascending). out[g] is the lowest cost among the
 * trace points with evals[i] <= grid[g] (a step function that never rises; NaN costs are
 * ignored), or +INFINITY before the first point. grid must be ascending. */
void sm_trace_on_grid(const size_t *evals, const double *cost, size_t n, const double *grid,
                      size_t n_grid, double *out);

/* The standard normal distribution function Phi(z). */
double sm_normal_cdf(double z);

/* ---- comparing several optimizers (experiments/stats_compare.c) ----
 * Conventions: lower values are better (costs); rank 1 is the lowest value. */

/* The p-quantile of the standard normal distribution (R's qnorm); NaN outside (0, 1). */
double sm_normal_quantile(double p);

/* The outcome of a Friedman test. */
typedef struct {
    size_t n_blocks;   /* blocks used: those with a value (no NaN) for every treatment */
    size_t k;          /* treatments */
    double chi2;       /* Friedman's statistic with R's tie correction (friedman.test) */
    double p;          /* upper tail of chi-square with k - 1 degrees of freedom */
    double f;          /* Iman-Davenport's F = (N - 1) chi2 / (N (k - 1) - chi2) (Demsar 2006,
                          eq. 2); +infinity when every block ranks the treatments alike */
    double p_f;        /* upper tail of F with k - 1 and (k - 1)(N - 1) degrees of freedom */
} sm_friedman_result;

/* The Friedman rank test of k treatments over n_blocks blocks: x is row-major, x[b * k + j]
 * the value of treatment j in block b. Within each block the values are ranked (1 = lowest,
 * ties get midranks); avg_rank[j] (k entries, may be NULL) receives treatment j's mean rank
 * over the blocks used. If every block is all ties, chi2 = 0 and p = 1. Returns 0, SM_ERR_ARG
 * (NULL x or out, k < 2), SM_ERR_EMPTY (fewer than 2 complete blocks) or SM_ERR_NOMEM; on
 * failure *out holds NaNs and avg_rank is untouched. */
int sm_friedman(const double *x, size_t n_blocks, size_t k, double *avg_rank,
                sm_friedman_result *out);

/* The distribution function of the studentized range of k >= 2 independent standard normal
 * values (infinite degrees of freedom; R's ptukey(q, k, Inf)). 0 for q <= 0, NaN for k < 2. */
double sm_studentized_range_cdf(double q, int k);

/* Its p-quantile (R's qtukey(p, k, Inf)), to about 1e-8; NaN for k < 2 or p outside (0, 1). */
double sm_studentized_range_quantile(double p, int k);

/* The Nemenyi test's critical difference of average ranks for k treatments over n blocks
 * at level alpha: q_alpha sqrt(k (k + 1) / (6 n)), q_alpha = qtukey(1 - alpha, k, Inf) / sqrt 2
 * (Demsar 2006, section 3.2.2). NaN for k < 2, n == 0 or alpha outside (0, 1). */
double sm_nemenyi_cd(size_t k, size_t n, double alpha);

/* The two-sided p-value of Nemenyi's test of two treatments whose average ranks over n blocks
 * differ by rank_diff among k treatments: P(Q > |rank_diff| sqrt 2 / sqrt(k (k + 1) / (6 n)))
 * for the studentized range Q of k (R: PMCMRplus::frdAllPairsNemenyiTest, which is
 * ptukey(q, k, Inf, lower.tail = FALSE)). NaN for k < 2 or n == 0. */
double sm_nemenyi_p(double rank_diff, size_t k, size_t n);

/* The blocks Nemenyi's test needs for an average-rank difference rank_diff among k
 * treatments to reach the critical difference at level alpha: the smallest n with
 * sm_nemenyi_cd(k, n, alpha) <= |rank_diff|. 0 for no difference or bad arguments. */
size_t sm_nemenyi_blocks_needed(double rank_diff, size_t k, double alpha);

/* Vargha and Delaney's A12 = P(X > Y) + P(X = Y) / 2 estimated from the samples x and y
 * (every pair counted; NaNs skipped): 0.5 means no difference. NaN if a sample is empty.
 * For costs, sm_vargha_delaney_a12(b, nb, a, na) is the probability that A ends lower. */
double sm_vargha_delaney_a12(const double *x, size_t nx, const double *y, size_t ny);

/* Sample sizes for a two-sided test at level alpha with the given power, from Noether
 * (1987, JASA 82:645-647): for the signed-rank test, the pairs needed when P(D + D' > 0) =
 * p_walsh for two independent differences D, D' (estimated by W+ / (m (m + 1) / 2)); for
 * the rank-sum test, the observations needed in each of two equal groups when
 * P(X > Y) = a12. 0 when the effect is nil (p = 0.5) or an argument is out of range. */
size_t sm_sample_size_signed_rank(double p_walsh, double alpha, double power);
size_t sm_sample_size_rank_sum(double a12, double alpha, double power);

/* COCO's expected running time to reach a target (ERT, called aRT in COCO's later papers):
 * the evaluations of all runs (each run's evaluations until it reached the target, or all
 * its evaluations if it never did) over the number of runs that reached it (Hansen, Auger,
 * Brockhoff, Tusar and Tusar, "COCO: Performance Assessment", arXiv:1605.03560, section 6.1,
 * eq. 6). hit[i] is run i's
 * evaluations to reach the target (NaN or +infinity: never), used[i] its evaluations in
 * all. *n_succ (may be NULL) receives the successful runs. +infinity with no success, NaN
 * with no run. */
double sm_ert(const double *hit, const double *used, size_t n, size_t *n_succ);

/* The empirical distribution of hitting times on a grid: out[g] is the share of the n
 * entries of hit with hit[i] <= grid[g] (NaN and +infinity never count, but are in n). */
void sm_ecdf_on_grid(const double *hit, size_t n, const double *grid, size_t n_grid,
                     double *out);

#ifdef __cplusplus
}
#endif

#endif
