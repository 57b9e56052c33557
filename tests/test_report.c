/* tests/test_report.c: statistics, base64, cairo plots and the HTML report (experiments/).
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
 * against the formula worked by hand in the test (stated next to each value). */
#include "tests/test_util.h"

#include <cairo.h>
#include <dirent.h>

#include "core/audio.h"
#include "core/error.h"
#include "core/fileio.h"
#include "experiments/plot.h"
#include "experiments/report.h"
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

/* ---- base64 ---- */

static void check_b64(const char *in, const char *want)
{
    size_t len = 99;
    char *s = sm_base64_encode(in, strlen(in), &len);
    assert_non_null(s);
    assert_string_equal(s, want);
    assert_int_equal(len, strlen(want));
    free(s);
}

static void test_base64(void **state)
{
    const unsigned char bin[3] = {0xFB, 0xFF, 0xFE};
    char *s;
    (void)state;
    check_b64("Man", "TWFu");
    /* RFC 4648 section 10 */
    check_b64("", "");
    check_b64("f", "Zg==");
    check_b64("fo", "Zm8=");
    check_b64("foo", "Zm9v");
    check_b64("foob", "Zm9vYg==");
    check_b64("fooba", "Zm9vYmE=");
    check_b64("foobar", "Zm9vYmFy");
    s = sm_base64_encode(bin, 3, NULL);
    assert_string_equal(s, "+//+");
    free(s);
}

/* ---- plots ---- */

static void check_png(const unsigned char *png, size_t len, unsigned w, unsigned h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    assert_true(len > 33);
    assert_memory_equal(png, sig, 8);
    assert_memory_equal(png + 12, "IHDR", 4);
    assert_int_equal((unsigned)png[16] << 24 | (unsigned)png[17] << 16 | (unsigned)png[18] << 8 |
                         png[19], w);
    assert_int_equal((unsigned)png[20] << 24 | (unsigned)png[21] << 16 | (unsigned)png[22] << 8 |
                         png[23], h);
}

static void test_plot_lines(void **state)
{
    double x[50], y1[50], y2[50], lo[50], hi[50];
    sm_plot_series s[2];
    sm_line_plot p;
    unsigned char *png = NULL;
    size_t len = 0, i;
    sm_error err = {0, ""};
    (void)state;
    for (i = 0; i < 50; i++) {
        x[i] = 10.0 * (double)(i + 1);
        y1[i] = 100.0 / (double)(i + 1);
        y2[i] = i == 20 ? NAN : 50.0 * exp(-0.05 * (double)i);
        lo[i] = 0.8 * y1[i];
        hi[i] = 1.25 * y1[i];
    }
    memset(s, 0, sizeof s);
    s[0].label = "ga";
    s[0].n = 50;
    s[0].x = x;
    s[0].y = y1;
    s[0].lo = lo;
    s[0].hi = hi;
    s[0].step = 1;
    s[1].label = "hill <climb>";
    s[1].n = 50;
    s[1].x = x;
    s[1].y = y2;
    memset(&p, 0, sizeof p);
    p.width = 640;
    p.height = 360;
    p.title = "convergence";
    p.x_label = "evaluations";
    p.y_label = "cost";
    p.log_x = 1;
    p.log_y = 1;
    p.n_series = 2;
    p.series = s;
    assert_int_equal(sm_plot_lines_png(&p, &png, &len, &err), 0);
    check_png(png, len, 640, 360);
    free(png);
    /* default size, linear axes */
    p.width = p.height = 0;
    p.log_x = p.log_y = 0;
    assert_int_equal(sm_plot_lines_png(&p, &png, &len, &err), 0);
    check_png(png, len, 720, 420);
    free(png);
    /* nothing drawable, bad size, half a band */
    s[0].n = s[1].n = 0;
    assert_int_equal(sm_plot_lines_png(&p, &png, &len, &err), SM_ERR_EMPTY);
    assert_null(png);
    assert_int_equal(len, 0);
    s[0].n = 50;
    p.width = 5;
    assert_int_equal(sm_plot_lines_png(&p, &png, &len, &err), SM_ERR_ARG);
    p.width = 300;
    s[0].hi = NULL;
    assert_int_equal(sm_plot_lines_png(&p, &png, &len, &err), SM_ERR_ARG);
    assert_int_equal(sm_plot_lines_png(NULL, &png, &len, &err), SM_ERR_ARG);
}

static void test_plot_heatmap(void **state)
{
    float v[40 * 16];
    sm_heatmap_panel pn[2];
    sm_heatmap_plot h;
    unsigned char *png = NULL;
    size_t len = 0, i;
    sm_error err = {0, ""};
    double r, g, b, r1, g1, b1;
    (void)state;
    for (i = 0; i < 40 * 16; i++) v[i] = (float)(-80.0 * (double)(i % 16) / 15.0);
    v[5] = NAN;
    memset(pn, 0, sizeof pn);
    for (i = 0; i < 2; i++) {
        pn[i].title = i ? "match" : "target";
        pn[i].n_cols = 40;
        pn[i].n_rows = 16;
        pn[i].v = v;
        pn[i].x0 = 0;
        pn[i].x1 = 1.5;
        pn[i].y0 = 0;
        pn[i].y1 = 11025;
    }
    memset(&h, 0, sizeof h);
    h.panel_width = 200;
    h.height = 240;
    h.x_label = "time (s)";
    h.y_label = "frequency (Hz)";
    h.value_label = "dB";
    h.vmin = -80;
    h.vmax = 0;
    h.y_min = NAN;
    h.y_max = NAN;
    h.n_panels = 2;
    h.panels = pn;
    assert_int_equal(sm_plot_heatmap_png(&h, &png, &len, &err), 0);
    check_png(png, len, 64 + 2 * 200 + 58 + 18 + 14 + 62, 240);
    free(png);
    h.y_min = h.y_max = 0; /* zeroed: the panels' own range */
    assert_int_equal(sm_plot_heatmap_png(&h, &png, &len, &err), 0);
    free(png);
    h.log_y = 1;
    h.y_min = 50;
    h.n_panels = 1;
    assert_int_equal(sm_plot_heatmap_png(&h, &png, &len, &err), 0);
    check_png(png, len, 64 + 200 + 18 + 14 + 62, 240);
    free(png);
    h.vmax = h.vmin;
    assert_int_equal(sm_plot_heatmap_png(&h, &png, &len, &err), SM_ERR_ARG);
    /* the colour map runs from dark to bright */
    sm_plot_colormap(0, &r, &g, &b);
    sm_plot_colormap(1, &r1, &g1, &b1);
    assert_true(r + g + b < 0.1);
    assert_true(r1 + g1 + b1 > 2.5);
    assert_int_equal(sm_plot_palette(0), sm_plot_palette(8));
}

/* ---- the report ---- */

static char *join(const char *dir, const char *name)
{
    char *p = sm_path_join(dir, name);
    assert_non_null(p);
    return p;
}

static void write_tone(const char *path, double hz, double sr, double seconds)
{
    size_t n = (size_t)(sr * seconds), i;
    float *x = malloc(n * sizeof *x);
    sm_error err = {0, ""};
    assert_non_null(x);
    for (i = 0; i < n; i++) {
        double t = (double)i / sr, env = exp(-3.0 * t);
        x[i] = (float)(0.5 * env * (sin(2 * M_PI * hz * t) + 0.3 * sin(4 * M_PI * hz * t)));
    }
    assert_int_equal(sm_audio_write_wav(path, x, n, sr, SM_WAV_PCM16, &err), 0);
    free(x);
}

static char *read_text(const char *path)
{
    unsigned char *d = NULL;
    size_t n = 0;
    sm_error err = {0, ""};
    assert_int_equal(sm_read_file(path, 0, &d, &n, &err), 0);
    return (char *)d;
}

/* A fake experiment: 2 optimizers x 3 targets x 2 seeds, with traces. */
typedef struct {
    sm_run_result runs[12];
    size_t te[12][6];
    double tc[12][6];
} fake_runs;

static void make_runs(fake_runs *F, const char *twav, const char *mwav, const char *patch)
{
    static const char *targets[3] = {"bell", "pad <&> \"q\"", "bass"};
    static const char *opts[2] = {"ga", "hill-climb"};
    size_t i = 0, o, t, s, k;
    memset(F, 0, sizeof *F);
    for (o = 0; o < 2; o++)
        for (t = 0; t < 3; t++)
            for (s = 0; s < 2; s++, i++) {
                sm_run_result *r = &F->runs[i];
                double scale = (1.0 + (double)t) * (o ? 1.6 : 1.0) * (1.0 + 0.1 * (double)s);
                for (k = 0; k < 6; k++) {
                    F->te[i][k] = 1 + k * k * 40;           /* 1, 41, 161, ... 1001 */
                    F->tc[i][k] = scale * 100.0 / (1.0 + 3.0 * (double)(k * k));
                }
                r->target = targets[t];
                r->optimizer = opts[o];
                r->seed = s + 1;
                r->final_cost = F->tc[i][5];
                r->evals = 1001;
                r->wall_s = 1.5 + (double)o;
                r->n_nonfinite = o;
                r->param_error = t == 2 ? NAN : 0.1 * scale;
                r->n_trace = 6;
                r->trace_evals = F->te[i];
                r->trace_cost = F->tc[i];
                r->target_wav = twav;
                r->best_wav = mwav;
                r->patch_path = patch;
                r->inaudible_cost = NAN;
            }
}

static void test_report_write(void **state)
{
    const char *dir = sm_test_tmpdir();
    char *twav, *mwav, *patch, *rdir, *index, *html, *ini;
    fake_runs F;
    sm_report_input in;
    sm_error err = {0, ""};
    (void)state;
    assert_non_null(dir);
    twav = join(dir, "target.wav");
    mwav = join(dir, "match.wav");
    patch = join(dir, "best patch.syx");
    ini = join(dir, "exp.ini");
    rdir = join(dir, "out/report");
    index = join(rdir, "index.html");
    write_tone(twav, 440, 22050, 0.5);
    write_tone(mwav, 445, 22050, 0.5);
    assert_int_equal(sm_write_file(patch, "x", 1, &err), 0);
    assert_int_equal(sm_write_file(ini, "[synth]\nname = fm6 <x>\n", 23, &err), 0);
    make_runs(&F, twav, mwav, patch);
    memset(&in, 0, sizeof in);
    in.title = "demo & test";
    in.experiment_file = ini;
    in.synth = "fm6";
    in.cost_desc = "MFCC distance (20 coeffs)";
    in.n_runs = 12;
    in.runs = F.runs;
    in.inaudible_cost = 20.0;
    in.notes_html = "<p>Some <em>notes</em>.</p>";
    assert_int_equal(sm_report_write(rdir, &in, &err), 0);
    html = read_text(index);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, ">ga<"));
    assert_non_null(strstr(html, "hill-climb"));
    assert_non_null(strstr(html, "data:image/png;base64,"));
    assert_non_null(strstr(html, "data:audio/wav;base64,"));
    assert_non_null(strstr(html, "pad &lt;&amp;&gt; &quot;q&quot;"));
    assert_null(strstr(html, "<&>"));
    assert_non_null(strstr(html, "demo &amp; test"));
    assert_non_null(strstr(html, "fm6 &lt;x&gt;"));          /* the embedded .ini, escaped */
    assert_non_null(strstr(html, "<em>notes</em>"));          /* notes_html verbatim */
    assert_non_null(strstr(html, "n too small"));              /* 3 targets < 5 */
    assert_non_null(strstr(html, "Parameter error"));
    assert_non_null(strstr(html, "Inaudible"));
    assert_non_null(strstr(html, "best%20patch.syx"));         /* the patch link, encoded */
    assert_null(strstr(html, "http:"));
    assert_null(strstr(html, "https:"));
    assert_null(strstr(html, "src=\"http"));
    assert_null(strstr(html, "<script"));
    free(html);

    /* cost levels given by the caller; 5+ targets makes the Wilcoxon test run */
    {
        static const double levels[2] = {50, 1e-9};
        sm_run_result many[12];
        static const char *names[6] = {"t1", "t2", "t3", "t4", "t5", "t6"};
        size_t i;
        for (i = 0; i < 12; i++) {
            many[i] = F.runs[i];
            many[i].target = names[i % 6];
            many[i].final_cost = (double)(i % 6) + (i < 6 ? 1.0 : 2.5);
            many[i].inaudible_cost = 4.0;
        }
        in.runs = many;
        in.cost_levels = levels;
        in.n_levels = 2;
        assert_int_equal(sm_report_write(rdir, &in, &err), 0);
        html = read_text(index);
        assert_non_null(strstr(html, "cost &le; 50"));
        assert_non_null(strstr(html, "&mdash; <span class=\"sub\">(0/6)</span>"));
        /* cost <= 50 is first reached after 41 or 161 evaluations (see make_runs): ga's
         * runs need 41, 41, 41, 161, 161, 161 (median 101), hill-climb's 41, 41, then 161 */
        assert_non_null(strstr(html, ">101 <span class=\"sub\">(6/6)</span>"));
        assert_non_null(strstr(html, ">161 <span class=\"sub\">(6/6)</span>"));
        /* per-run threshold 4: ga's final costs 1..6, hill-climb's 2.5..7.5 */
        assert_non_null(strstr(html, ">67% <span class=\"sub\">(4/6)</span>"));
        assert_non_null(strstr(html, ">33% <span class=\"sub\">(2/6)</span>"));
        assert_non_null(
            strstr(html, "hill-climb</td><td class=\"num\">6</td><td class=\"num\">6 / 0 / 0"));
        assert_non_null(strstr(html, " better"));
        assert_null(strstr(html, "Results per class")); /* names without a class */
        free(html);
        /* target names with a class before '_': the median per class and optimizer.
         * ga: kick 1, 2, 3 (median 2), snare 4, 5, 6 (5); hill-climb: 3.5 and 6.5 */
        {
            static const char *cnames[6] = {"kick_1", "kick_2", "kick_3",
                                            "snare_1", "snare_2", "snare_3"};
            for (i = 0; i < 12; i++) many[i].target = cnames[i % 6];
            assert_int_equal(sm_report_write(rdir, &in, &err), 0);
            html = read_text(index);
            assert_non_null(strstr(html, "Results per class"));
            assert_non_null(strstr(html, "<tr><td>kick</td><td class=\"num\">3</td>"
                                         "<td class=\"num best\">2</td><td class=\"num\">3.5</td>"));
            assert_non_null(strstr(html, "<tr><td>snare</td><td class=\"num\">3</td>"
                                         "<td class=\"num best\">5</td><td class=\"num\">6.5</td>"));
            free(html);
        }
        /* two variants on different targets: ga and hill-climb on t1..t6 as "@ v1", on
         * u1..u6 as "@ v2". Each variant gets its own matrix, and no pair across variants
         * (which share no target) is tested or listed. */
        {
            static const char *vnames[12] = {"t1", "t2", "t3", "t4", "t5", "t6",
                                             "u1", "u2", "u3", "u4", "u5", "u6"};
            static const char *vopt[4] = {"ga @ v1", "hill @ v1", "ga @ v2", "hill @ v2"};
            sm_run_result vr[24];
            for (i = 0; i < 24; i++) {
                vr[i] = F.runs[i % 12];
                vr[i].target = vnames[(i / 12) * 6 + i % 6];
                vr[i].optimizer = vopt[(i / 12) * 2 + (i % 12) / 6];
                vr[i].final_cost = (double)(i % 6) + ((i % 12) < 6 ? 1.0 : 2.5);
            }
            in.runs = vr;
            in.n_runs = 24;
            assert_int_equal(sm_report_write(rdir, &in, &err), 0);
            html = read_text(index);
            {
                const char *h1 = strstr(html, "Optimizers on the same targets: ga @ v1, hill @ v1");
                const char *h2 = strstr(html, "Optimizers on the same targets: ga @ v2, hill @ v2");
                assert_non_null(h1);
                assert_non_null(h2);
                assert_true(h1 < h2);
            }
            assert_null(strstr(html, "n too small (0)"));
            /* the details: the two within-variant pairs, each with 6 paired targets */
            assert_non_null(strstr(html, "hill @ v1</td><td class=\"num\">6</td>"));
            assert_non_null(strstr(html, "hill @ v2</td><td class=\"num\">6</td>"));
            assert_null(strstr(html, "ga @ v2</td><td class=\"num\">0</td>"));
            assert_null(strstr(html, "hill @ v2</td><td class=\"num\">0</td>"));
            free(html);
            in.n_runs = 12;
        }
    }
    free(twav);
    free(mwav);
    free(patch);
    free(ini);
    free(rdir);
    free(index);
}

/* Counts the entries of dir whose name starts with prefix. */
static int count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}

static void test_report_unwritable(void **state)
{
    const char *dir = sm_test_tmpdir();
    char *file, *bad, *bad_index, *rdir, *index_dir;
    fake_runs F;
    sm_report_input in;
    sm_error err = {0, ""};
    struct stat st;
    (void)state;
    file = join(dir, "plain-file");
    bad = join(file, "report");
    bad_index = join(bad, "index.html");
    rdir = join(dir, "r");
    index_dir = join(rdir, "index.html");
    assert_int_equal(sm_write_file(file, "x", 1, &err), 0);
    make_runs(&F, "/nonexistent/t.wav", "/nonexistent/m.wav", NULL);
    memset(&in, 0, sizeof in);
    in.title = "x";
    in.n_runs = 12;
    in.runs = F.runs;
    in.inaudible_cost = NAN;
    /* a folder cannot be made under a regular file */
    assert_int_not_equal(sm_report_write(bad, &in, &err), 0);
    assert_int_equal(err.code, SM_ERR_IO);
    assert_true(strlen(err.msg) > 0);
    assert_int_not_equal(stat(bad_index, &st), 0);
    /* index.html is a folder: the final rename fails and no temporary file stays */
    assert_int_equal(mkdir(rdir, 0777), 0);
    assert_int_equal(mkdir(index_dir, 0777), 0);
    sm_error_clear(&err);
    assert_int_not_equal(sm_report_write(rdir, &in, &err), 0);
    assert_int_equal(err.code, SM_ERR_IO);
    assert_int_equal(count_prefix(rdir, "index.html"), 1); /* only the folder itself */
    /* bad arguments */
    assert_int_equal(sm_report_write(NULL, &in, &err), SM_ERR_ARG);
    assert_int_equal(sm_report_write(rdir, NULL, &err), SM_ERR_ARG);
    in.n_runs = 0;
    assert_int_equal(sm_report_write(rdir, &in, &err), SM_ERR_ARG);
    free(file);
    free(bad);
    free(bad_index);
    free(rdir);
    free(index_dir);
}

static void test_report_many_targets(void **state)
{
    const char *dir = sm_test_tmpdir();
    char *rdir, *index, *html, names[45][16];
    sm_run_result runs[45];
    sm_report_input in;
    sm_error err = {0, ""};
    size_t i;
    (void)state;
    rdir = join(dir, "many");
    index = join(rdir, "index.html");
    memset(runs, 0, sizeof runs);
    for (i = 0; i < 45; i++) {
        snprintf(names[i], sizeof names[i], "target%02zu", i);
        runs[i].target = names[i];
        runs[i].optimizer = "random";
        runs[i].seed = 7;
        runs[i].final_cost = 1.0 + (double)i;
        runs[i].evals = 10;
        runs[i].wall_s = 0.1;
        runs[i].param_error = NAN;
        runs[i].inaudible_cost = NAN;
        runs[i].target_wav = "/nonexistent/target.wav";
        runs[i].best_wav = NULL;
    }
    memset(&in, 0, sizeof in);
    in.n_runs = 45;
    in.runs = runs;
    in.inaudible_cost = NAN;
    assert_int_equal(sm_report_write(rdir, &in, &err), 0);
    html = read_text(index);
    assert_non_null(strstr(html, "only the first 40"));
    assert_non_null(strstr(html, "id=\"t39\""));
    assert_null(strstr(html, "id=\"t40\""));
    assert_non_null(strstr(html, "target44"));           /* still in the table */
    assert_non_null(strstr(html, "Target audio unavailable"));
    assert_non_null(strstr(html, "Only one optimizer"));
    assert_null(strstr(html, "Parameter error"));
    assert_null(strstr(html, "http:"));
    free(html);
    free(rdir);
    free(index);
}

/* LeakSanitizer reads this hook: fontconfig (under cairo's toy text API) keeps its
 * configuration until FcFini(), which only a whole program may call; it is not ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
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
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_plot_lines),
        cmocka_unit_test(test_plot_heatmap),
        cmocka_unit_test(test_report_write),
        cmocka_unit_test(test_report_unwritable),
        cmocka_unit_test(test_report_many_targets),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    /* release cairo's font caches, so leak checkers see only our own allocations */
    cairo_debug_reset_static_data();
    return failed;
}
