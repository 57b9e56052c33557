/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_fixed.c: the report's fixed-target views, in the manner of COCO's and
 * IOHanalyzer's post-processing, and its convergence plots (see
 * experiments/report_internal.h).
 *
 * - ERT (COCO's expected running time, stats.h) per optimizer for a ladder of cost levels,
 *   pooled over the optimizer's runs on every target, with the number of runs that reached
 *   each level; with a baseline (the closest preset), also for each target's own level of the
 *   baseline.
 * - ECDFs: each target gets a ladder of SM_ECDF_LEVELS cost levels, spaced evenly on a log
 *   scale from the median cost of the runs' first evaluations on it down to the best final
 *   cost any run found on it (as IOHanalyzer does when the optimum is unknown). The curve of
 *   an optimizer is the share of its (run, level) pairs reached within a budget, against
 *   evaluations and against seconds, over all targets. The baseline's final share is marked
 *   as a dashed line. */
#include "experiments/report_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/plot.h"
#include "experiments/stats.h"

#define SM_CONV_GRID 240
#define SM_ECDF_LEVELS 16
#define SM_ECDF_GRID 240

/* ---- ERT ---- */

/* ERT of optimizer o to reach, on each run's target t, the level lv[t] (lv has one level per
 * target; runs on a target whose level is NaN are left out); *succ and *n receive the
 * successes and the runs counted. */
static double ert_of(const report *R, size_t o, const double *lv, double *hit, double *used,
                     size_t *succ, size_t *n)
{
    size_t i, k = 0;
    for (i = 0; i < R->in->n_runs; i++) {
        const sm_run_result *r = &R->in->runs[i];
        if (R->ro[i] != o || isnan(lv[R->rt[i]])) continue; /* no level on this target */
        hit[k] = sm_report_evals_to_reach(r, lv[R->rt[i]]);
        used[k] = (double)r->evals;
        k++;
    }
    *n = k;
    return sm_ert(hit, used, k, succ);
}

static void put_ert(FILE *f, double ert, size_t succ, size_t n, int best)
{
    fprintf(f, "<td class=\"num%s\">", best ? " best" : "");
    if (isinf(ert)) fputs("&infin;", f);
    else if (isnan(ert)) fputs("&mdash;", f);
    else if (ert >= 1e7) fprintf(f, "%.3g", ert);
    else fprintf(f, "%.0f", ert);
    fprintf(f, " <span class=\"sub\">(%zu/%zu)</span></td>", succ, n);
}

static int section_ert(report *R, sm_error *err)
{
    FILE *f = R->f;
    size_t no = R->n_opt, nt = R->n_tgt, n = R->in->n_runs, o, l, t, n_cols;
    double *hit = malloc(n * sizeof *hit), *used = malloc(n * sizeof *used);
    double *lv = malloc(nt * sizeof *lv), *ert = NULL;
    size_t *succ = NULL, *runs = NULL;
    const int with_base = R->baseline != SIZE_MAX;
    int rc = 0;
    n_cols = R->n_levels + (size_t)with_base;
    ert = malloc((no * n_cols + 1) * sizeof *ert);
    succ = malloc((no * n_cols + 1) * sizeof *succ);
    runs = malloc((no * n_cols + 1) * sizeof *runs);
    if (!hit || !used || !lv || !ert || !succ || !runs) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
        goto out;
    }
    for (l = 0; l < n_cols; l++) {
        for (t = 0; t < nt; t++)
            lv[t] = l < R->n_levels ? R->levels[l] : R->med[R->baseline * nt + t];
        for (o = 0; o < no; o++)
            ert[o * n_cols + l] = ert_of(R, o, lv, hit, used, &succ[o * n_cols + l],
                                         &runs[o * n_cols + l]);
    }
    fputs("<h3>Expected running time (ERT) to reach a cost</h3>\n", f);
    if (!n_cols) {
        fputs("<p>No finite final cost: no level to reach.</p>\n", f);
    } else {
        fputs("<table>\n<thead><tr><th>Optimizer</th>", f);
        for (l = 0; l < R->n_levels; l++) {
            fputs("<th class=\"num\">cost &le; ", f);
            sm_html_num(f, R->levels[l]);
            if (R->level_names[l] && *R->level_names[l]) {
                fputs("<br><span class=\"sub\">", f);
                sm_html_esc(f, R->level_names[l]);
                fputs("</span>", f);
            }
            fputs("</th>", f);
        }
        if (with_base) {
            fputs("<th class=\"num\">cost &le; ", f);
            sm_html_esc(f, R->opt[R->baseline]);
            fputs("&rsquo;s<br><span class=\"sub\">on the same target</span></th>", f);
        }
        fputs("</tr></thead>\n<tbody>\n", f);
        for (o = 0; o < no; o++) {
            fputs("<tr><td>", f);
            sm_html_opt(f, R, o);
            fputs("</td>", f);
            for (l = 0; l < n_cols; l++) {
                double e = ert[o * n_cols + l], lo = INFINITY;
                size_t a;
                for (a = 0; a < no; a++)
                    if (ert[a * n_cols + l] < lo) lo = ert[a * n_cols + l];
                put_ert(f, e, succ[o * n_cols + l], runs[o * n_cols + l],
                        no > 1 && isfinite(e) && e == lo);
            }
            fputs("</tr>\n", f);
        }
        fputs("</tbody>\n</table>\n<p class=\"cap\">ERT, COCO's expected running time: the "
              "evaluations spent by all runs of the optimizer (each run until it reached the "
              "level, or all its evaluations if it never did) divided by the number of runs "
              "that reached it (Hansen et al., &ldquo;COCO: Performance Assessment&rdquo;, "
              "2016). It estimates the evaluations a restarted optimizer needs to reach the "
              "level. In brackets: successful runs / runs. &infin;: no run reached it. The "
              "runs on every target are pooled; the lowest ERT of each column is in "
              "bold.", f);
        if (!(R->in->cost_levels && R->in->n_levels))
            fputs(" The levels are quantiles of all final costs (and the median over targets "
                  "of the inaudible threshold, where known).", f);
        if (with_base)
            fputs(" The last column asks each run to reach the closest preset&rsquo;s cost on "
                  "its own target (the median over that baseline&rsquo;s seeds).", f);
        fputs("</p>\n", f);
    }
out:
    free(hit);
    free(used);
    free(lv);
    free(ert);
    free(succ);
    free(runs);
    return rc;
}

/* ---- ECDFs ---- */

/* Target t's ladder of SM_ECDF_LEVELS levels into lv (see the file's comment); buf holds
 * n_runs doubles of scratch. */
static void ecdf_ladder(const report *R, size_t t, double *buf, double *lv)
{
    size_t i, j, k = 0;
    double lo = INFINITY, hi;
    for (i = 0; i < R->in->n_runs; i++) {
        const sm_run_result *r = &R->in->runs[i];
        const size_t *e;
        const double *c;
        if (R->rt[i] != t) continue;
        sm_report_trace(r, &e, &c);
        if (isfinite(c[0])) buf[k++] = c[0];
        if (r->final_cost < lo) lo = r->final_cost;
    }
    hi = sm_median(buf, k);
    if (!isfinite(lo)) lo = NAN;
    if (!(hi > lo)) hi = lo;
    for (j = 0; j < SM_ECDF_LEVELS; j++) {
        double u = (double)j / (SM_ECDF_LEVELS - 1);
        if (lo > 0) lv[j] = hi * pow(lo / hi, u);
        else lv[j] = hi + (lo - hi) * u;
    }
    lv[SM_ECDF_LEVELS - 1] = lo;
}

typedef struct {
    double *hit_e, *hit_s;  /* n_runs x SM_ECDF_LEVELS: evaluations and seconds to reach */
    double e_max, s_min, s_max;
} ecdf_data;

static int ecdf_prepare(const report *R, ecdf_data *d, sm_error *err)
{
    size_t n = R->in->n_runs, i, j, t;
    double *buf = malloc(n * sizeof *buf), *lv = malloc(R->n_tgt * SM_ECDF_LEVELS * sizeof *lv);
    memset(d, 0, sizeof *d);
    d->hit_e = malloc(n * SM_ECDF_LEVELS * sizeof *d->hit_e);
    d->hit_s = malloc(n * SM_ECDF_LEVELS * sizeof *d->hit_s);
    if (!buf || !lv || !d->hit_e || !d->hit_s) {
        free(buf);
        free(lv);
        return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    }
    for (t = 0; t < R->n_tgt; t++) ecdf_ladder(R, t, buf, lv + t * SM_ECDF_LEVELS);
    d->s_min = INFINITY;
    for (i = 0; i < n; i++) {
        const sm_run_result *r = &R->in->runs[i];
        double per_eval = r->evals && r->wall_s > 0 ? r->wall_s / (double)r->evals : NAN;
        if ((double)r->evals > d->e_max) d->e_max = (double)r->evals;
        if (r->wall_s > d->s_max) d->s_max = r->wall_s;
        if (per_eval > 0 && per_eval < d->s_min) d->s_min = per_eval;
        for (j = 0; j < SM_ECDF_LEVELS; j++) {
            double e = sm_report_evals_to_reach(r, lv[R->rt[i] * SM_ECDF_LEVELS + j]);
            d->hit_e[i * SM_ECDF_LEVELS + j] = e;
            d->hit_s[i * SM_ECDF_LEVELS + j] =
                sm_report_secs_to_reach(r, lv[R->rt[i] * SM_ECDF_LEVELS + j]);
        }
    }
    free(buf);
    free(lv);
    return 0;
}

static void ecdf_free(ecdf_data *d)
{
    free(d->hit_e);
    free(d->hit_s);
}

/* The ECDF plot against evaluations (seconds = 0) or seconds; *base_share receives the
 * baseline's final share (NaN without a baseline). */
static int ecdf_png(const report *R, const ecdf_data *d, int seconds, unsigned char **png,
                    size_t *len, double *base_share, sm_error *err)
{
    size_t no = R->n_opt, n = R->in->n_runs, o, i, g;
    const double *hit = seconds ? d->hit_s : d->hit_e;
    double lo = seconds ? d->s_min : 1.0, hi = seconds ? d->s_max : d->e_max;
    double *grid = malloc(SM_ECDF_GRID * sizeof *grid);
    double *y = malloc((no + 1) * SM_ECDF_GRID * sizeof *y);
    double *pairs = malloc(n * SM_ECDF_LEVELS * sizeof *pairs), bx[2], by[2];
    sm_plot_series *ser = calloc(no + 1, sizeof *ser);
    sm_line_plot lp;
    char base_label[160];
    int rc;
    *base_share = NAN;
    if (!grid || !y || !pairs || !ser) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
        goto out;
    }
    if (!(hi > 0) || !(lo > 0) || !isfinite(lo)) {
        rc = sm_error_set(err, SM_ERR_EMPTY, seconds ? "no wall time recorded"
                                                     : "no evaluation recorded");
        goto out;
    }
    if (!(hi > lo)) hi = lo * 10;
    for (g = 0; g < SM_ECDF_GRID; g++)
        grid[g] = lo * pow(hi / lo, (double)g / (SM_ECDF_GRID - 1));
    grid[SM_ECDF_GRID - 1] = hi;
    for (o = 0; o < no; o++) {
        size_t k = 0;
        for (i = 0; i < n; i++)
            if (R->ro[i] == o) {
                memcpy(pairs + k, hit + i * SM_ECDF_LEVELS, SM_ECDF_LEVELS * sizeof *pairs);
                k += SM_ECDF_LEVELS;
            }
        sm_ecdf_on_grid(pairs, k, grid, SM_ECDF_GRID, y + o * SM_ECDF_GRID);
        ser[o].label = R->opt[o];
        ser[o].n = k ? SM_ECDF_GRID : 0;
        ser[o].x = grid;
        ser[o].y = y + o * SM_ECDF_GRID;
        ser[o].step = 1;
        if (o == R->baseline && k) *base_share = y[o * SM_ECDF_GRID + SM_ECDF_GRID - 1];
    }
    memset(&lp, 0, sizeof lp);
    lp.n_series = no;
    if (!isnan(*base_share)) {
        snprintf(base_label, sizeof base_label, "%s's final share (%.0f%%)", R->opt[R->baseline],
                 100.0 * *base_share);
        bx[0] = lo;
        bx[1] = hi;
        by[0] = by[1] = *base_share;
        ser[no].label = base_label;
        ser[no].n = 2;
        ser[no].x = bx;
        ser[no].y = by;
        ser[no].dashed = 1;
        ser[no].color = -1;
        lp.n_series = no + 1;
    }
    lp.width = 860;
    lp.height = 400;
    lp.title = seconds ? "Share of (run, level) pairs reached, against seconds"
                       : "Share of (run, level) pairs reached, against evaluations";
    lp.x_label = seconds ? "seconds per run (log scale)" : "evaluations (log scale)";
    lp.y_label = "share of (run, level) pairs reached";
    lp.log_x = 1;
    lp.y_lo = 0;
    lp.y_hi = 1.0;
    lp.legend_left = 1;
    lp.series = ser;
    rc = sm_plot_lines_png(&lp, png, len, err);
out:
    free(grid);
    free(y);
    free(pairs);
    free(ser);
    return rc;
}

static int section_ecdf(report *R, sm_error *err)
{
    FILE *f = R->f;
    ecdf_data d;
    int rc, s;
    double share = NAN;
    if ((rc = ecdf_prepare(R, &d, err)) != 0) return rc;
    fputs("<h3>Runtime distributions (ECDF)</h3>\n", f);
    for (s = 0; s < 2 && !rc; s++) {
        unsigned char *png = NULL;
        size_t len = 0;
        sm_error perr = {0, ""};
        int r = ecdf_png(R, &d, s, &png, &len, &share, &perr);
        rc = sm_html_plot_or_note(f, r, png, len,
                                  s ? "ECDF of (run, level) pairs against seconds"
                                    : "ECDF of (run, level) pairs against evaluations",
                                  &perr, err);
    }
    ecdf_free(&d);
    if (rc) return rc;
    fprintf(f, "<p class=\"cap\">The view of COCO and IOHanalyzer: which optimizer gets there "
               "first. Each target has a ladder of %d cost levels, evenly spaced on a log scale "
               "from the median cost of the runs&rsquo; first evaluations on it down to the best "
               "final cost any run found on it. A curve gives, for each budget, the share of "
               "an optimizer&rsquo;s (run, level) pairs in which the run had reached the level "
               "within that budget, over every target and seed; a curve that is higher and "
               "further left is better, and its right end is the share reached at all. Against "
               "seconds, each point is placed at the moment its batch was scored (runs written by "
               "versions that did not record it have their evaluations spread evenly over their "
               "wall time).",
            SM_ECDF_LEVELS);
    if (R->baseline != SIZE_MAX && !isnan(share)) {
        fputs(" The dashed line marks the share that ", f);
        sm_html_esc(f, R->opt[R->baseline]);
        fputs(", the closest preset, reaches: above it an optimizer does better than "
              "picking that preset.", f);
    }
    fputs("</p>\n", f);
    return 0;
}

int sm_report_section_fixed_target(report *R, sm_error *err)
{
    int rc;
    fputs("<h2 id=\"fixed\">Time to reach a cost</h2>\n", R->f);
    if ((rc = section_ert(R, err)) != 0) return rc;
    return section_ecdf(R, err);
}

/* ---- convergence ---- */

/* Draws the convergence of the runs of target `only` (SIZE_MAX: all runs) into a PNG: per
 * optimizer, each run's trace is sampled on a common grid of evaluation counts, then the
 * median and quartiles over runs are taken at every grid point. */
int sm_report_convergence_png(const report *R, size_t only, int w, int h, const char *title,
                           unsigned char **png, size_t *png_len, sm_error *err)
{
    const sm_report_input *in = R->in;
    size_t n = in->n_runs, i, o, g;
    double e_min = INFINITY, e_max = 0, lo_pos = INFINITY, hi_pos = 0;
    int log_x, log_y, rc = SM_ERR_NOMEM, all_pos = 1;
    double *grid = malloc(SM_CONV_GRID * sizeof *grid);
    double *vals = malloc(n * sizeof *vals);
    double *mat = malloc(n * SM_CONV_GRID * sizeof *mat); /* one row per run of the optimizer */
    double *q = malloc(3 * SM_CONV_GRID * R->n_opt * sizeof *q); /* per optimizer: med, lo, hi */
    sm_plot_series *ser = calloc(R->n_opt, sizeof *ser);
    sm_line_plot lp;
    if (!grid || !vals || !mat || !q || !ser) {
        sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
        goto out;
    }
    for (i = 0; i < n; i++) {
        const size_t *e;
        const double *c;
        size_t m;
        if (only != SIZE_MAX && R->rt[i] != only) continue;
        m = sm_report_trace(&in->runs[i], &e, &c);
        if ((double)(e[0] ? e[0] : 1) < e_min) e_min = (double)(e[0] ? e[0] : 1);
        if ((double)e[m - 1] > e_max) e_max = (double)e[m - 1];
        if ((double)in->runs[i].evals > e_max) e_max = (double)in->runs[i].evals;
    }
    if (!(e_max >= e_min)) {
        rc = sm_error_set(err, SM_ERR_EMPTY, "no trace to draw");
        goto out;
    }
    log_x = e_max >= 100 * e_min;
    for (g = 0; g < SM_CONV_GRID; g++) {
        double t = (double)g / (SM_CONV_GRID - 1);
        grid[g] = log_x ? e_min * pow(e_max / e_min, t) : e_min + t * (e_max - e_min);
    }
    grid[0] = e_min;
    grid[SM_CONV_GRID - 1] = e_max;
    for (o = 0; o < R->n_opt; o++) {
        double *med = q + 3 * SM_CONV_GRID * o, *lo = med + SM_CONV_GRID, *hi = lo + SM_CONV_GRID;
        size_t k = 0, j;
        for (i = 0; i < n; i++) {
            const size_t *e;
            const double *c;
            size_t m;
            if (R->ro[i] != o || (only != SIZE_MAX && R->rt[i] != only)) continue;
            m = sm_report_trace(&in->runs[i], &e, &c);
            sm_trace_on_grid(e, c, m, grid, SM_CONV_GRID, mat + k * SM_CONV_GRID);
            k++;
        }
        for (g = 0; g < SM_CONV_GRID; g++) {
            for (j = 0; j < k; j++) vals[j] = mat[j * SM_CONV_GRID + g];
            med[g] = sm_quantile(vals, k, 0.5);
            lo[g] = sm_quantile(vals, k, 0.25);
            hi[g] = sm_quantile(vals, k, 0.75);
        }
        for (g = 0; g < 3 * SM_CONV_GRID; g++) {
            double v = med[g];
            if (!isfinite(v)) continue;
            if (v <= 0) all_pos = 0;
            else {
                if (v < lo_pos) lo_pos = v;
                if (v > hi_pos) hi_pos = v;
            }
        }
        ser[o].label = R->opt[o];
        ser[o].n = k ? SM_CONV_GRID : 0;
        ser[o].x = grid;
        ser[o].y = med;
        ser[o].lo = lo;
        ser[o].hi = hi;
        ser[o].step = 1;
    }
    log_y = all_pos && hi_pos >= 10 * lo_pos;
    memset(&lp, 0, sizeof lp);
    lp.width = w;
    lp.height = h;
    lp.title = title;
    lp.x_label = log_x ? "evaluations (log scale)" : "evaluations";
    lp.y_label = log_y ? "best cost so far (log scale)" : "best cost so far";
    lp.log_x = log_x;
    lp.log_y = log_y;
    lp.n_series = R->n_opt;
    lp.series = ser;
    rc = sm_plot_lines_png(&lp, png, png_len, err);
out:
    free(grid);
    free(vals);
    free(mat);
    free(q);
    free(ser);
    return rc;
}

int sm_report_section_convergence(report *R, sm_error *err)
{
    FILE *f = R->f;
    unsigned char *png = NULL;
    size_t len = 0;
    sm_error perr = {0, ""};
    int rc;
    fputs("<h2 id=\"convergence\">Convergence</h2>\n", f);
    rc = sm_report_convergence_png(R, SIZE_MAX, 960, 480, "Best cost so far, all targets and seeds", &png,
                         &len, &perr);
    rc = sm_html_plot_or_note(f, rc, png, len, "convergence plot of all runs", &perr, err);
    if (rc) return rc;
    fputs("<p class=\"sub\">Line: the median over all runs (targets &times; seeds) of the best "
          "cost found so far, as a step function of the number of evaluations; band: the "
          "quartiles (Q1 to Q3). A run has no cost before its first evaluation (counted as "
          "infinite). Each target's own plot is in its section below.</p>\n", f);
    return 0;
}

