/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_stats.c: the statistics of the report and the verdict written from them
 * (see experiments/report_internal.h).
 *
 * Optimizers are compared within groups that share targets (one group, or one per variant).
 * Within a group:
 * - the Friedman test over the targets on which every member has a result, with average
 *   ranks, Iman-Davenport's F, and Nemenyi's critical difference drawn as a diagram (Demsar,
 *   JMLR 2006);
 * - for every pair, the Wilcoxon signed-rank test over paired targets (median final cost over
 *   seeds), Holm-adjusted over all pairs tested, Vargha-Delaney's A12 (the mean over the
 *   paired targets of the A12 of their runs, and the A12 of all runs), and the Mann-Whitney U
 *   test of all runs;
 * - where a pair is undecided, Noether's (1987) estimate of the targets (and seeds) a test
 *   would need to separate the observed effect at 80% power.
 * The verdict follows Demsar's recommendations: with two optimizers, the Wilcoxon test; with
 * three or more, the Friedman test and, when it finds a difference, Nemenyi's test on the
 * average ranks (the test the critical-difference diagram draws). It names the best-ranked
 * optimizer of each group, those it cannot be told apart from, and those it beats, with
 * p-values and A12. */
#include "experiments/report_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/plot.h"
#include "experiments/stats.h"

void sm_report_stats_free(sm_report_stats *s)
{
    size_t g;
    if (!s) return;
    for (g = 0; g < s->n_groups; g++) {
        free(s->group[g].member);
        free(s->group[g].avg_rank);
    }
    free(s->group);
    free(s->pair);
    free(s);
}

const pair_stats *sm_report_find_pair(const sm_report_stats *s, size_t a, size_t b)
{
    size_t i, lo = a < b ? a : b, hi = a < b ? b : a;
    for (i = 0; i < s->n_pairs; i++)
        if (s->pair[i].a == lo && s->pair[i].b == hi) return &s->pair[i];
    return NULL;
}

/* P(x lower than y) + half the ties, for a pair oriented from `from` (1 - v when reversed). */
static double oriented(double v, int reversed)
{
    return reversed ? 1.0 - v : v;
}

/* Share of Walsh averages (d_i + d_j) / 2, i <= j, below zero (half for zero). */
static double walsh_below(const double *d, size_t m)
{
    double below = 0, total = 0;
    size_t i, j;
    for (i = 0; i < m; i++)
        for (j = i; j < m; j++) {
            double s = d[i] + d[j];
            below += s < 0 ? 1.0 : s == 0 ? 0.5 : 0.0;
            total += 1.0;
        }
    return total > 0 ? below / total : NAN;
}

/* The pair's tests and effect sizes; x, y, ux, uy are scratch of n_tgt and n_runs doubles. */
static int pair_compute(const report *R, pair_stats *ps, double *x, double *y, double *ux,
                        double *uy)
{
    const sm_report_input *in = R->in;
    size_t nt = R->n_tgt, t, i, m = 0, ku = 0, kv = 0, n_a12 = 0;
    double a12_sum = 0;
    sm_rank_test u;
    int rc;
    ps->p = ps->holm = ps->mw_p = ps->a12_targets = ps->a12_runs = ps->walsh = NAN;
    for (t = 0; t < nt; t++) {
        double va = R->med[ps->a * nt + t], vb = R->med[ps->b * nt + t];
        size_t ka = 0, kb = 0;
        if (isnan(va) || isnan(vb)) continue;
        x[m] = va;
        y[m] = vb;
        if (va < vb) ps->a_lower++;
        else if (vb < va) ps->b_lower++;
        m++;
        for (i = 0; i < in->n_runs; i++) {
            if (R->rt[i] != t) continue;
            if (R->ro[i] == ps->a) ux[ka++] = in->runs[i].final_cost;
            else if (R->ro[i] == ps->b) uy[kb++] = in->runs[i].final_cost;
        }
        {
            double v = sm_vargha_delaney_a12(uy, kb, ux, ka);
            if (!isnan(v)) {
                a12_sum += v;
                n_a12++;
            }
        }
    }
    ps->n_pair = ps->n_shared_targets = m;
    ps->a12_targets = n_a12 ? a12_sum / (double)n_a12 : NAN;
    if (m >= SM_REPORT_PAIR_MIN) {
        rc = sm_wilcoxon_signed_rank_ex(x, y, m, SM_TEST_AUTO, &ps->w);
        if (rc == SM_ERR_NOMEM) return rc;
        if (rc == 0) {
            ps->tested = 1;
            ps->p = ps->w.p;
        }
    }
    for (i = 0; i < m; i++) x[i] -= y[i];
    ps->walsh = walsh_below(x, m);
    for (i = 0; i < in->n_runs; i++) {
        if (R->ro[i] == ps->a) ux[ku++] = in->runs[i].final_cost;
        else if (R->ro[i] == ps->b) uy[kv++] = in->runs[i].final_cost;
    }
    ps->a12_runs = sm_vargha_delaney_a12(uy, kv, ux, ku);
    rc = sm_mann_whitney_u_ex(ux, ku, uy, kv, SM_TEST_AUTO, &u);
    if (rc == SM_ERR_NOMEM) return rc;
    ps->mw_p = rc == 0 ? u.p : NAN;
    return 0;
}

static int group_compute(const report *R, size_t first, group_stats *g)
{
    size_t no = R->n_opt, nt = R->n_tgt, o, t, j, nb = 0;
    double *x;
    for (o = 0; o < no; o++) g->k += R->grp[o] == first;
    g->member = malloc(g->k * sizeof *g->member);
    g->avg_rank = malloc(g->k * sizeof *g->avg_rank);
    x = malloc((nt ? nt : 1) * g->k * sizeof *x);
    if (!g->member || !g->avg_rank || !x) {
        free(x);
        return SM_ERR_NOMEM;
    }
    for (o = 0, j = 0; o < no; o++)
        if (R->grp[o] == first) g->member[j++] = o;
    g->cd = NAN;
    if (g->k >= 2) {
        for (t = 0; t < nt; t++) {
            for (j = 0; j < g->k; j++) x[nb * g->k + j] = R->med[g->member[j] * nt + t];
            nb++;
        }
        if (sm_friedman(x, nb, g->k, g->avg_rank, &g->fr) == 0) {
            g->has_friedman = 1;
            g->cd = sm_nemenyi_cd(g->k, g->fr.n_blocks, SM_REPORT_ALPHA);
        } else {
            /* too few complete targets to rank: order by the median of the per-target
             * medians instead (avg_rank holds that median) */
            for (j = 0; j < g->k; j++) {
                size_t m = 0;
                for (t = 0; t < nt; t++)
                    if (!isnan(R->med[g->member[j] * nt + t]))
                        x[m++] = R->med[g->member[j] * nt + t];
                g->avg_rank[j] = m ? sm_median(x, m) : INFINITY;
            }
        }
        /* members by average rank, best first (stable) */
        for (j = 1; j < g->k; j++) {
            size_t m = g->member[j], i = j;
            double r = g->avg_rank[j];
            while (i > 0 && g->avg_rank[i - 1] > r) {
                g->member[i] = g->member[i - 1];
                g->avg_rank[i] = g->avg_rank[i - 1];
                i--;
            }
            g->member[i] = m;
            g->avg_rank[i] = r;
        }
    }
    free(x);
    return 0;
}

/* The group of optimizer o. */
static const group_stats *group_of(const sm_report_stats *s, size_t o)
{
    size_t g, j;
    for (g = 0; g < s->n_groups; g++)
        for (j = 0; j < s->group[g].k; j++)
            if (s->group[g].member[j] == o) return &s->group[g];
    return NULL;
}

static double rank_in(const group_stats *g, size_t o)
{
    size_t j;
    for (j = 0; j < g->k; j++)
        if (g->member[j] == o) return g->avg_rank[j];
    return NAN;
}

/* Friedman and Nemenyi's view of a pair, for groups of three or more. */
static void pair_ranks(const sm_report_stats *s, pair_stats *ps)
{
    const group_stats *g = group_of(s, ps->a);
    ps->rank_a = ps->rank_b = ps->nemenyi_p = NAN;
    if (!g || g->k < 3 || !g->has_friedman) return;
    ps->by_ranks = 1;
    ps->friedman_sig = g->fr.p < SM_REPORT_ALPHA;
    ps->rank_a = rank_in(g, ps->a);
    ps->rank_b = rank_in(g, ps->b);
    ps->nemenyi_p = sm_nemenyi_p(ps->rank_a - ps->rank_b, g->k, g->fr.n_blocks);
    ps->need_blocks = sm_nemenyi_blocks_needed(ps->rank_a - ps->rank_b, g->k, SM_REPORT_ALPHA);
}

int sm_report_stats_compute(const report *R, sm_report_stats **out, sm_error *err)
{
    size_t no = R->n_opt, a, b, k = 0;
    sm_report_stats *s = calloc(1, sizeof *s);
    double *x = malloc((R->n_tgt + 1) * sizeof *x), *y = malloc((R->n_tgt + 1) * sizeof *y);
    double *ux = malloc((R->in->n_runs + 1) * sizeof *ux);
    double *uy = malloc((R->in->n_runs + 1) * sizeof *uy), *p = NULL, *adj = NULL;
    int rc = SM_ERR_NOMEM;
    *out = NULL;
    if (!s || !x || !y || !ux || !uy) goto out;
    for (a = 0; a < no; a++)
        for (b = a + 1; b < no; b++) s->n_pairs += R->grp[a] == R->grp[b];
    s->pair = calloc(s->n_pairs + 1, sizeof *s->pair);
    p = malloc((s->n_pairs + 1) * sizeof *p);
    adj = malloc((s->n_pairs + 1) * sizeof *adj);
    s->group = calloc(R->n_groups + 1, sizeof *s->group);
    if (!s->pair || !p || !adj || !s->group) goto out;
    for (a = 0; a < no; a++)
        for (b = a + 1; b < no; b++) {
            if (R->grp[a] != R->grp[b]) continue;
            s->pair[k].a = a;
            s->pair[k].b = b;
            if (pair_compute(R, &s->pair[k], x, y, ux, uy) != 0) goto out;
            p[k] = s->pair[k].p;
            s->n_tested += s->pair[k].tested;
            k++;
        }
    if (sm_holm_adjust(p, s->n_pairs, adj) != 0) goto out;
    for (k = 0; k < s->n_pairs; k++) {
        pair_stats *ps = &s->pair[k];
        /* the level a first Holm step needs, so the estimate allows for the correction */
        double alpha = SM_REPORT_ALPHA / (double)(s->n_pairs ? s->n_pairs : 1);
        ps->holm = adj[k];
        ps->need_targets = sm_sample_size_signed_rank(ps->walsh, alpha, SM_REPORT_POWER);
        ps->need_runs = sm_sample_size_rank_sum(ps->a12_runs, alpha, SM_REPORT_POWER);
    }
    for (a = 0; a < no; a++) {
        if (R->grp[a] != a) continue;
        if (group_compute(R, a, &s->group[s->n_groups++]) != 0) goto out;
    }
    for (k = 0; k < s->n_pairs; k++) pair_ranks(s, &s->pair[k]);
    rc = 0;
    *out = s;
    s = NULL;
out:
    free(x);
    free(y);
    free(ux);
    free(uy);
    free(p);
    free(adj);
    sm_report_stats_free(s);
    return rc ? sm_error_set(err, rc, "report: out of memory") : 0;
}

/* ---- how a pair is decided ---- */

/* A12 of `from` having the lower cost than `to`, paired by target. */
double sm_report_a12_of(const pair_stats *ps, size_t from)
{
    return oriented(ps->a12_targets, from != ps->a);
}

/* The p-value that decides the pair: Nemenyi's in groups of three or more, else Holm's
 * adjustment of the Wilcoxon test's. */
double sm_report_decision_p(const pair_stats *ps)
{
    return ps->by_ranks ? ps->nemenyi_p : ps->holm;
}

/* 1 if `w` beats `l`: by Nemenyi's test after a significant Friedman test (groups of three or
 * more), else by the Wilcoxon test at the Holm-corrected level. */
int sm_report_beats(const sm_report_stats *s, size_t w, size_t l)
{
    const pair_stats *ps = sm_report_find_pair(s, w, l);
    if (ps && ps->by_ranks) {
        double rw = w == ps->a ? ps->rank_a : ps->rank_b, rl = w == ps->a ? ps->rank_b : ps->rank_a;
        return ps->friedman_sig && ps->nemenyi_p < SM_REPORT_ALPHA && rw < rl;
    }
    if (!ps || !ps->tested || !(ps->holm < SM_REPORT_ALPHA)) return 0;
    /* W+ is the rank sum of the targets where a's cost is the higher */
    if (w == ps->a) return ps->w.statistic < ps->w.statistic_other;
    return ps->w.statistic > ps->w.statistic_other;
}

/* ---- the statistics section ---- */

/* Ranks, the Friedman test and the critical-difference diagram of one group. */
static int group_ranks(report *R, const group_stats *g, sm_error *err)
{
    FILE *f = R->f;
    size_t j;
    const char **labels;
    size_t *color;
    unsigned char *png = NULL;
    size_t len = 0;
    sm_error perr = {0, ""};
    sm_cd_plot cd;
    int rc;
    if (!g->has_friedman) {
        fputs("<p>Fewer than two targets on which every optimizer has a result: no Friedman "
              "test and no ranks.</p>\n", f);
        return 0;
    }
    fprintf(f, "<p>Friedman test over %zu targets and %zu optimizers: &chi;&sup2; = %.3f, p = ",
            g->fr.n_blocks, g->k, g->fr.chi2);
    sm_html_p(f, g->fr.p);
    fputs("; Iman&ndash;Davenport F = ", f);
    sm_html_num(f, g->fr.f);
    fputs(", p = ", f);
    sm_html_p(f, g->fr.p_f);
    fputs(".</p>\n<table>\n<thead><tr><th class=\"num\">Place</th><th>Optimizer</th>"
          "<th class=\"num\">Average rank</th></tr></thead>\n<tbody>\n", f);
    for (j = 0; j < g->k; j++) {
        fprintf(f, "<tr><td class=\"num\">%zu</td><td>", j + 1);
        sm_html_opt(f, R, g->member[j]);
        fprintf(f, "</td><td class=\"num\">%.3f</td></tr>\n", g->avg_rank[j]);
    }
    fputs("</tbody>\n</table>\n", f);
    labels = malloc(g->k * sizeof *labels);
    color = malloc(g->k * sizeof *color);
    if (!labels || !color) {
        free(labels);
        free(color);
        return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    }
    for (j = 0; j < g->k; j++) {
        labels[j] = R->opt[g->member[j]];
        color[j] = g->member[j];
    }
    memset(&cd, 0, sizeof cd);
    cd.width = 760;
    cd.title = "Average ranks over targets (Nemenyi critical difference)";
    cd.k = g->k;
    cd.labels = labels;
    cd.avg_rank = g->avg_rank;
    cd.color = color;
    cd.cd = g->cd;
    rc = g->k <= 64 ? sm_plot_cd_png(&cd, &png, &len, &perr)
                    : sm_error_set(&perr, SM_ERR_ARG, "more than 64 optimizers");
    rc = sm_html_plot_or_note(f, rc, png, len, "critical-difference diagram", &perr, err);
    free(labels);
    free(color);
    if (rc) return rc;
    fprintf(f, "<p class=\"cap\">Each target ranks the optimizers by their median final cost "
               "over seeds (1 = lowest; ties share the mean rank), and the ranks are averaged "
               "over targets (Dem&scaron;ar, JMLR 2006). The Friedman test asks whether the "
               "average ranks differ more than chance allows (&chi;&sup2; with R&rsquo;s tie "
               "correction; Iman and Davenport&rsquo;s F is less conservative). In the diagram, "
               "the bar is Nemenyi&rsquo;s critical difference at &alpha; = %.2f, CD = ",
            SM_REPORT_ALPHA);
    sm_html_num(f, g->cd);
    fputs(": a thick line joins optimizers whose average ranks differ by less, which the "
          "test cannot tell apart.</p>\n", f);
    return 0;
}

/* The matrix of pairwise verdicts among the members of a group. */
static void pairwise_matrix(report *R, const sm_report_stats *s, const group_stats *g)
{
    FILE *f = R->f;
    size_t i, j;
    fputs("<table>\n<thead><tr><th>Row vs column</th>", f);
    for (j = 0; j < g->k; j++) {
        fputs("<th>", f);
        sm_html_opt(f, R, g->member[j]);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (i = 0; i < g->k; i++) {
        size_t a = g->member[i];
        fputs("<tr><th>", f);
        sm_html_opt(f, R, a);
        fputs("</th>", f);
        for (j = 0; j < g->k; j++) {
            size_t b = g->member[j];
            const pair_stats *ps = sm_report_find_pair(s, a, b);
            if (a == b || !ps) {
                fputs("<td class=\"ns\">&mdash;</td>", f);
                continue;
            }
            if (!ps->by_ranks && !ps->tested) {
                fprintf(f, "<td class=\"ns\">n too small (%zu)</td>", ps->n_pair);
                continue;
            }
            if (sm_report_beats(s, a, b) || sm_report_beats(s, b, a)) {
                int win = sm_report_beats(s, a, b);
                fprintf(f, "<td class=\"%s\">%s", win ? "win" : "lose", win ? "better" : "worse");
            } else {
                fputs("<td class=\"ns\">no clear difference", f);
            }
            fprintf(f, "<br><span class=\"sub\">%s p = ", ps->by_ranks ? "Nemenyi" : "Holm");
            sm_html_p(f, sm_report_decision_p(ps));
            fprintf(f, ", A12 = %.2f</span></td>", sm_report_a12_of(ps, a));
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

/* The details of every pair of every group. */
static void pairwise_details(report *R, const sm_report_stats *s)
{
    FILE *f = R->f;
    size_t k;
    int any_small = 0;
    fputs("<table>\n<thead><tr><th>A</th><th>B</th><th class=\"num\">Targets paired</th>"
          "<th class=\"num\">A lower / B lower / equal</th><th class=\"num\">W+ / W&minus;"
          "</th><th>Method</th><th class=\"num\">p</th><th class=\"num\">Holm p</th>"
          "<th class=\"num\">Nemenyi p<br><span class=\"sub\">average ranks</span></th>"
          "<th class=\"num\">A12<br><span class=\"sub\">per target</span></th>"
          "<th>Verdict</th><th class=\"num\">Targets needed<br><span class=\"sub\">"
          "for this effect</span></th><th class=\"num\">Mann-Whitney p<br><span "
          "class=\"sub\">all runs, unpaired</span></th><th class=\"num\">A12<br>"
          "<span class=\"sub\">all runs</span></th></tr></thead>\n<tbody>\n", f);
    for (k = 0; k < s->n_pairs; k++) {
        const pair_stats *ps = &s->pair[k];
        fputs("<tr><td>", f);
        sm_html_opt(f, R, ps->a);
        fputs("</td><td>", f);
        sm_html_opt(f, R, ps->b);
        fprintf(f, "</td><td class=\"num\">%zu</td><td class=\"num\">%zu / %zu / %zu</td>",
                ps->n_pair, ps->a_lower, ps->b_lower, ps->n_pair - ps->a_lower - ps->b_lower);
        if (!ps->tested) {
            any_small = 1;
            fputs("<td class=\"num\">&mdash;</td><td>&mdash;</td><td class=\"num\">&mdash;"
                  "</td><td class=\"num\">&mdash;</td>", f);
        } else {
            fputs("<td class=\"num\">", f);
            sm_html_num(f, ps->w.statistic);
            fputs(" / ", f);
            sm_html_num(f, ps->w.statistic_other);
            fprintf(f, "</td><td>%s%s</td><td class=\"num\">", ps->w.exact ? "exact" : "normal",
                    ps->w.n_zero ? " (zeros dropped)" : "");
            sm_html_p(f, ps->p);
            fputs("</td><td class=\"num\">", f);
            sm_html_p(f, ps->holm);
            fputs("</td>", f);
        }
        fputs("<td class=\"num\">", f);
        sm_html_p(f, ps->nemenyi_p);
        fputs("</td><td class=\"num\">", f);
        sm_html_num(f, ps->a12_targets);
        fputs("</td><td>", f);
        if (sm_report_beats(s, ps->a, ps->b) || sm_report_beats(s, ps->b, ps->a)) {
            sm_html_opt(f, R, sm_report_beats(s, ps->a, ps->b) ? ps->a : ps->b);
            fputs(" better", f);
        } else {
            fputs(ps->tested || ps->by_ranks ? "<span class=\"ns\">no clear difference</span>"
                                             : "<span class=\"ns\">n too small</span>", f);
        }
        fputs("</td><td class=\"num\">", f);
        if (sm_report_beats(s, ps->a, ps->b) || sm_report_beats(s, ps->b, ps->a)) fputs("&mdash;", f);
        else if (ps->by_ranks ? ps->need_blocks : ps->need_targets)
            fprintf(f, "%zu", ps->by_ranks ? ps->need_blocks : ps->need_targets);
        else fputs("no effect", f);
        fputs("</td><td class=\"num\">", f);
        sm_html_p(f, ps->mw_p);
        fputs("</td><td class=\"num\">", f);
        sm_html_num(f, ps->a12_runs);
        fputs("</td></tr>\n", f);
    }
    fprintf(f, "</tbody>\n</table>\n<p class=\"cap\">Wilcoxon signed-rank test, two-sided, "
               "pairing A and B by target on the median final cost over seeds; zero "
               "differences are dropped, and p is exact (the permutation distribution of the "
               "midranks) up to %d non-zero differences, else from the normal approximation "
               "with tie and continuity corrections. W+ is the rank sum of the targets where "
               "A&rsquo;s cost is the higher (W&minus; the reverse), so the smaller rank sum "
               "wins. Holm p: adjusted for the %zu pairs tested. Nemenyi p: the test of the two "
               "optimizers&rsquo; average ranks among their group (after the Friedman test). "
               "Verdict: among three or more optimizers, Nemenyi p &lt; %.2f after a Friedman "
               "test with p &lt; 0.05; between two, Holm p &lt; 0.05. A12 (Vargha and Delaney): the chance that a run of A ends with a lower "
               "cost than a run of B on the same target (ties count half), averaged over the "
               "paired targets; 0.5 is no difference, 0.56, 0.64 and 0.71 are the usual "
               "thresholds of a small, medium and large effect. Targets needed: among three or "
               "more, the targets for which the critical difference would shrink to the "
               "observed difference of average ranks; between two, Noether&rsquo;s (1987) "
               "sample size for the signed-rank test to find the observed effect (the share of "
               "Walsh averages of the differences below zero) with 80%% power at the level of "
               "Holm&rsquo;s first step. The Mann-Whitney U test and its A12 compare "
               "all final costs of A and B as independent samples, ignoring targets and "
               "seeds.", SM_STATS_EXACT_MAX_N, s->n_tested, SM_REPORT_ALPHA);
    if (any_small)
        fprintf(f, " Fewer than %d paired targets: n too small. With n targets the smallest "
                   "two-sided p the exact test can give is 2 / 2<sup>n</sup> (0.0625 for 5), so "
                   "at least 6 targets are needed for any pair to reach p &lt; 0.05, and more "
                   "for every correction and for a small effect.",
                SM_REPORT_PAIR_MIN);
    fputs("</p>\n", f);
}

int sm_report_section_statistics(report *R, const sm_report_stats *s, sm_error *err)
{
    FILE *f = R->f;
    size_t g;
    int rc;
    fputs("<h2 id=\"statistics\">Statistics</h2>\n", f);
    if (R->n_opt < 2) {
        fputs("<p>Only one optimizer: nothing to compare.</p>\n", f);
        return 0;
    }
    for (g = 0; g < s->n_groups; g++) {
        const group_stats *gs = &s->group[g];
        if (gs->k < 2) continue;
        if (s->n_groups > 1) {
            size_t j;
            fputs("<h3>Optimizers on the same targets: ", f);
            for (j = 0; j < gs->k; j++) {
                if (j) fputs(", ", f);
                sm_html_esc(f, R->opt[gs->member[j]]);
            }
            fputs("</h3>\n", f);
        }
        if ((rc = group_ranks(R, gs, err)) != 0) return rc;
        pairwise_matrix(R, s, gs);
    }
    if (s->n_groups > 1)
        fputs("<p class=\"cap\">Optimizers that ran on different targets (different variants "
              "of the experiment) share no target to pair by, so each group is compared only "
              "within itself.</p>\n", f);
    fputs("<h3>Every pair</h3>\n", f);
    pairwise_details(R, s);
    return 0;
}
