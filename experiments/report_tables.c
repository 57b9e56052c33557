/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_tables.c: the report's tables of final costs (summary per optimizer,
 * parameter error, results per target and per class) and the box plots of their
 * distribution (see experiments/report_internal.h). */
#include "experiments/report_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/plot.h"
#include "experiments/stats.h"

/* The interquartile range of x and, small, the quartiles it spans. */
static void put_iqr(FILE *f, const double *x, size_t n)
{
    sm_html_num(f, sm_iqr(x, n));
    fputs(" <span class=\"sub\">(", f);
    sm_html_num(f, sm_quantile(x, n, 0.25));
    fputs(" &ndash; ", f);
    sm_html_num(f, sm_quantile(x, n, 0.75));
    fputs(")</span>", f);
}

/* Mean and sample standard deviation (n - 1) of the finite values of x; NaN where undefined. */
static void mean_sd(const double *x, size_t n, double *mean, double *sd)
{
    double s = 0, ss = 0;
    size_t i, k = 0;
    for (i = 0; i < n; i++)
        if (isfinite(x[i])) {
            s += x[i];
            k++;
        }
    *mean = k ? s / (double)k : NAN;
    for (i = 0; i < n; i++)
        if (isfinite(x[i])) ss += (x[i] - *mean) * (x[i] - *mean);
    *sd = k > 1 ? sqrt(ss / (double)(k - 1)) : NAN;
}

int sm_report_section_summary(report *R, sm_error *err)
{
    const sm_report_input *in = R->in;
    FILE *f = R->f;
    size_t o, i, n = in->n_runs;
    double *cost = malloc(n * sizeof *cost), *ev = malloc(n * sizeof *ev),
           *wall = malloc(n * sizeof *wall), *meds = malloc(R->n_opt * sizeof *meds);
    double best_med = INFINITY;
    if (!cost || !ev || !wall || !meds) {
        free(cost);
        free(ev);
        free(wall);
        free(meds);
        return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    }
    for (o = 0; o < R->n_opt; o++) {
        size_t k = 0;
        for (i = 0; i < n; i++)
            if (R->ro[i] == o) cost[k++] = in->runs[i].final_cost;
        meds[o] = sm_median(cost, k);
        if (meds[o] < best_med) best_med = meds[o];
    }
    fputs("<h2 id=\"summary\">Summary per optimizer</h2>\n<table>\n<thead><tr><th>Optimizer</th>"
          "<th class=\"num\">Runs</th><th class=\"num\">Median final cost</th>"
          "<th class=\"num\">IQR<br><span class=\"sub\">(Q1 &ndash; Q3)</span></th>"
          "<th class=\"num\">Mean &plusmn; sd</th><th class=\"num\">Best</th>", f);
    if (R->any_threshold) fputs("<th class=\"num\">Inaudible</th>", f);
    fputs("<th class=\"num\">Evaluations<br><span class=\"sub\">median per run</span></th>"
          "<th class=\"num\">Wall time<br><span class=\"sub\">median per run / total</span></th>"
          "<th class=\"num\">Evaluations/s</th><th class=\"num\">Non-finite renders</th>"
          "</tr></thead>\n<tbody>\n", f);
    for (o = 0; o < R->n_opt; o++) {
        size_t k = 0, below = 0, known = 0, nonfin = 0;
        double sum_ev = 0, sum_wall = 0, bestc = NAN, mean, sd;
        for (i = 0; i < n; i++) {
            const sm_run_result *r = &in->runs[i];
            double th;
            if (R->ro[i] != o) continue;
            cost[k] = r->final_cost;
            ev[k] = (double)r->evals;
            wall[k] = r->wall_s;
            k++;
            sum_ev += (double)r->evals;
            if (isfinite(r->wall_s)) sum_wall += r->wall_s;
            nonfin += r->n_nonfinite;
            if (!isnan(r->final_cost) && !(bestc <= r->final_cost)) bestc = r->final_cost;
            th = sm_report_threshold(R, r);
            if (isfinite(th)) {
                known++;
                if (r->final_cost <= th) below++;
            }
        }
        fputs("<tr><td>", f);
        sm_html_opt(f, R, o);
        fprintf(f, "</td><td class=\"num\">%zu</td><td class=\"num%s\">", k,
                meds[o] == best_med && R->n_opt > 1 ? " best" : "");
        sm_html_num(f, meds[o]);
        fputs("</td><td class=\"num\">", f);
        put_iqr(f, cost, k);
        fputs("</td><td class=\"num\">", f);
        mean_sd(cost, k, &mean, &sd);
        sm_html_num(f, mean);
        fputs(" &plusmn; ", f);
        sm_html_num(f, sd);
        fputs("</td><td class=\"num\">", f);
        sm_html_num(f, bestc);
        fputs("</td>", f);
        if (R->any_threshold) {
            if (known)
                fprintf(f, "<td class=\"num\">%.0f%% <span class=\"sub\">(%zu/%zu)</span></td>",
                        100.0 * (double)below / (double)known, below, known);
            else
                fputs("<td class=\"num\">&mdash;</td>", f);
        }
        fputs("<td class=\"num\">", f);
        sm_html_num(f, sm_median(ev, k));
        fputs("</td><td class=\"num\">", f);
        sm_html_duration(f, sm_median(wall, k));
        fputs(" / ", f);
        sm_html_duration(f, sum_wall);
        fputs("</td><td class=\"num\">", f);
        if (sum_wall > 0) fprintf(f, "%.0f", sum_ev / sum_wall);
        else fputs("&mdash;", f);
        fprintf(f, "</td><td class=\"num\">%zu</td></tr>\n", nonfin);
    }
    fputs("</tbody>\n</table>\n<p class=\"cap\">"
          "Final cost: the best cost of each run, over all targets and seeds "
          "(lower is better; the lowest median is in bold). IQR = Q3 &minus; Q1 (type-7 "
          "quantiles); sd: the sample standard deviation (n &minus; 1).", f);
    if (R->any_threshold)
        fputs(" Inaudible: the share of runs whose final cost is at or below the "
              "&ldquo;cannot hear the difference&rdquo; threshold of their target.", f);
    fputs(" Evaluations/s: all evaluations over all wall time. Non-finite renders: renders that "
          "gave NaN or infinity, summed over runs.</p>\n", f);
    free(cost);
    free(ev);
    free(wall);
    free(meds);
    return 0;
}

int sm_report_section_params(report *R, sm_error *err)
{
    const sm_report_input *in = R->in;
    FILE *f = R->f;
    size_t o, i, n = in->n_runs;
    double *pe;
    if (!R->any_truth) return 0;
    pe = malloc(n * sizeof *pe);
    if (!pe) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    fputs("<h2 id=\"params\">Parameter error (synthetic targets)</h2>\n<table>\n<thead><tr>"
          "<th>Optimizer</th><th class=\"num\">Runs with a known truth</th>"
          "<th class=\"num\">Median error</th><th class=\"num\">IQR<br><span class=\"sub\">"
          "(Q1 &ndash; Q3)</span></th></tr></thead>\n<tbody>\n", f);
    for (o = 0; o < R->n_opt; o++) {
        size_t k = 0;
        for (i = 0; i < n; i++)
            if (R->ro[i] == o && !isnan(in->runs[i].param_error)) pe[k++] = in->runs[i].param_error;
        fputs("<tr><td>", f);
        sm_html_opt(f, R, o);
        fprintf(f, "</td><td class=\"num\">%zu</td><td class=\"num\">", k);
        sm_html_num(f, sm_median(pe, k));
        fputs("</td><td class=\"num\">", f);
        put_iqr(f, pe, k);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n<p class=\"cap\">"
          "Mean absolute difference between the found and the true "
          "parameters, in normalized [0,&nbsp;1] coordinates, over the free parameters "
          "(targets rendered from known patches only). A low cost with a high parameter error "
          "means a different patch that sounds alike.</p>\n", f);
    free(pe);
    return 0;
}

void sm_report_section_targets(report *R)
{
    FILE *f = R->f;
    size_t o, t, nt = R->n_tgt;
    int multi = 0;
    for (o = 0; o < R->n_opt * nt; o++)
        if (R->n_seeds[o] > 1) multi = 1;
    fputs("<h2 id=\"targets\">Results per target</h2>\n<table>\n<thead><tr><th>Target</th>", f);
    for (o = 0; o < R->n_opt; o++) {
        fputs("<th class=\"num\">", f);
        sm_html_opt(f, R, o);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (t = 0; t < nt; t++) {
        double bmin = INFINITY;
        for (o = 0; o < R->n_opt; o++)
            if (R->best[o * nt + t] < bmin) bmin = R->best[o * nt + t];
        fputs("<tr><td>", f);
        if (t < SM_REPORT_MAX_MEDIA_TARGETS) fprintf(f, "<a href=\"#t%zu\">", t);
        sm_html_esc(f, R->tgt[t]);
        if (t < SM_REPORT_MAX_MEDIA_TARGETS) fputs("</a>", f);
        fputs("</td>", f);
        for (o = 0; o < R->n_opt; o++) {
            double v = R->best[o * nt + t];
            fprintf(f, "<td class=\"num%s\">", v == bmin && R->n_opt > 1 ? " best" : "");
            sm_html_num(f, v);
            if (multi && R->n_seeds[o * nt + t] > 1) {
                fputs(" <span class=\"sub\">(", f);
                sm_html_num(f, R->med[o * nt + t]);
                fputs(")</span>", f);
            }
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fprintf(f, "</tbody>\n</table>\n<p class=\"cap\">"
               "The best final cost of each optimizer on each target, over "
               "seeds%s; the lowest in each row is in bold.</p>\n",
            multi ? " (in brackets: the median over seeds)" : "");
}

/* Results per class of target, where target names carry a class before their first '_'
 * ("kick_GMRockKit_1"): for each class and optimizer, the median over the class's targets of
 * the per-target median final cost. Shown only when there are at least two classes and some
 * class holds more than one target. */
void sm_report_section_classes(report *R)
{
    FILE *f = R->f;
    size_t nt = R->n_tgt, t, o, c, n_cls = 0, biggest = 0;
    const char **cls = calloc(nt ? nt : 1, sizeof *cls);
    size_t *len = calloc(nt ? nt : 1, sizeof *len), *of = calloc(nt ? nt : 1, sizeof *of);
    double *v = calloc(nt ? nt : 1, sizeof *v);
    if (!cls || !len || !of || !v) goto out;
    for (t = 0; t < nt; t++) {
        const char *u = strchr(R->tgt[t], '_');
        size_t l = u ? (size_t)(u - R->tgt[t]) : 0;
        if (!l) goto out; /* a name without a class: no class table */
        for (c = 0; c < n_cls; c++)
            if (len[c] == l && strncmp(cls[c], R->tgt[t], l) == 0) break;
        if (c == n_cls) {
            cls[n_cls] = R->tgt[t];
            len[n_cls++] = l;
        }
        of[t] = c;
    }
    for (c = 0; c < n_cls; c++) {
        size_t k = 0;
        for (t = 0; t < nt; t++) k += of[t] == c;
        if (k > biggest) biggest = k;
    }
    if (n_cls < 2 || biggest < 2) goto out;
    fputs("<h2 id=\"classes\">Results per class</h2>\n<table>\n<thead><tr><th>Class</th>"
          "<th class=\"num\">Targets</th>", f);
    for (o = 0; o < R->n_opt; o++) {
        fputs("<th class=\"num\">", f);
        sm_html_opt(f, R, o);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (c = 0; c < n_cls; c++) {
        size_t k = 0;
        double row[64], bmin = INFINITY;
        fputs("<tr><td>", f);
        for (t = 0; t < len[c]; t++) {
            char ch[2] = {cls[c][t], 0};
            sm_html_esc(f, ch);
        }
        for (t = 0; t < nt; t++) k += of[t] == c;
        fprintf(f, "</td><td class=\"num\">%zu</td>", k);
        for (o = 0; o < R->n_opt && o < 64; o++) {
            size_t m = 0;
            for (t = 0; t < nt; t++)
                if (of[t] == c && isfinite(R->med[o * nt + t])) v[m++] = R->med[o * nt + t];
            row[o] = m ? sm_median(v, m) : NAN;
            if (row[o] < bmin) bmin = row[o];
        }
        for (o = 0; o < R->n_opt && o < 64; o++) {
            fprintf(f, "<td class=\"num%s\">", row[o] == bmin && R->n_opt > 1 ? " best" : "");
            sm_html_num(f, row[o]);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n<p class=\"cap\">How close each class of target gets: the "
          "median, over the class's targets, of each optimizer's median final cost over seeds "
          "(the class is the part of the target's name before its first underscore); the lowest "
          "in each row is in bold.</p>\n", f);
out:
    free(cls);
    free(len);
    free(of);
    free(v);
}


/* Box plots of the final costs of all runs, one box per optimizer (a label per variant). */
int sm_report_section_distribution(report *R, sm_error *err)
{
    const sm_report_input *in = R->in;
    FILE *f = R->f;
    size_t o, i, n = in->n_runs, k = 0;
    double *v = malloc(n * sizeof *v), lo = INFINITY, hi = 0;
    sm_plot_box *box = calloc(R->n_opt, sizeof *box);
    sm_box_plot bp;
    unsigned char *png = NULL;
    size_t len = 0;
    sm_error perr = {0, ""};
    int rc, all_pos = 1;
    if (!v || !box) {
        free(v);
        free(box);
        return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    }
    for (o = 0; o < R->n_opt; o++) {
        box[o].label = R->opt[o];
        box[o].v = v + k;
        box[o].color = o;
        for (i = 0; i < n; i++) {
            double c = in->runs[i].final_cost;
            if (R->ro[i] != o || !isfinite(c)) continue;
            v[k++] = c;
            box[o].n++;
            if (c <= 0) all_pos = 0;
            else {
                if (c < lo) lo = c;
                if (c > hi) hi = c;
            }
        }
    }
    memset(&bp, 0, sizeof bp);
    bp.width = R->n_opt > 8 ? 960 : 760;
    bp.height = 400;
    bp.title = "Final cost of every run";
    bp.log_y = all_pos && hi >= 20 * lo;
    bp.y_label = bp.log_y ? "final cost (log scale)" : "final cost";
    bp.n_boxes = R->n_opt;
    bp.boxes = box;
    fputs("<h2 id=\"distribution\">Distribution of final costs</h2>\n", f);
    rc = sm_plot_boxes_png(&bp, &png, &len, &perr);
    rc = sm_html_plot_or_note(f, rc, png, len, "box plots of the final costs", &perr, err);
    free(v);
    free(box);
    if (rc) return rc;
    fputs("<p class=\"cap\">One box per optimizer (and variant) over all its runs (targets "
          "&times; seeds): the box spans Q1 to Q3 with a line at the median, the whiskers reach "
          "the furthest cost within 1.5 IQR of the box (Tukey), and runs beyond them are drawn "
          "as dots; the diamond and its bar are the mean &plusmn; one standard deviation. Costs "
          "of different targets share the axis, so the spread mixes how hard the targets are "
          "with how well the optimizer does; the paired comparisons below separate the "
          "two.</p>\n", f);
    return 0;
}
