/* experiments/stats.h: the small statistics behind the report.
 *
 * Pure functions on arrays of doubles: quantiles (type 7, the default of R and numpy), median and
 * interquartile range, the Wilcoxon signed-rank test for paired samples, the Mann-Whitney U
 * (Wilcoxon rank-sum) test for independent samples, Holm's adjustment for several p-values,
 * and the sampling of best-so-far traces on a common grid of evaluation counts.
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

#endif
