/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_verdict.c: the verdict at the top of the report, written from the
 * statistics of experiments/report_stats.c (see experiments/report_internal.h): per group of
 * optimizers, the best-ranked one, those it cannot be told apart from, those it beats with p
 * and A12, and what the data would need where it cannot decide. */
#include "experiments/report_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void put_p_short(FILE *f, double p)
{
    if (isnan(p)) fputs("not tested", f);
    else if (p < 0.001) fputs("p &lt; 0.001", f);
    else if (p < 0.1) fprintf(f, "p = %.2g", p);
    else fprintf(f, "p = %.2f", p);
}

/* "a, b and c" */
static void put_names(FILE *f, const report *R, const size_t *o, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (i) fputs(i + 1 == n ? " and " : ", ", f);
        fputs("<b>", f);
        sm_html_esc(f, R->opt[o[i]]);
        fputs("</b>", f);
    }
}

static const char *count_word(size_t n)
{
    static const char *w[] = {"", "", "both", "all three", "all four", "all five", "all six"};
    return n < 7 ? w[n] : "all";
}

/* How many targets (or seeds) would separate the pair, as a sentence: by Nemenyi's critical
 * difference where the pair is judged by ranks and their ranks differ, else by Noether's
 * estimate for the signed-rank test. */
static void put_needed(FILE *f, const pair_stats *ps)
{
    const int by_ranks = ps->by_ranks && ps->need_blocks;
    const size_t targets = by_ranks ? ps->need_blocks : ps->need_targets;
    if (!targets && !ps->need_runs) {
        fputs("no difference was observed, so no number of targets would separate them", f);
        return;
    }
    if (by_ranks)
        fprintf(f, "about %zu targets would be needed for their difference of average ranks to "
                   "reach the critical difference (have %zu)", targets, ps->n_pair);
    else if (targets)
        fprintf(f, "about %zu targets would be needed to tell them apart at this effect "
                   "(have %zu)", targets, ps->n_pair);
    if (ps->need_runs && ps->n_shared_targets) {
        size_t seeds = (ps->need_runs + ps->n_shared_targets - 1) / ps->n_shared_targets;
        fprintf(f, "%s%zu seed%s per target", targets ? ", or about " : "about ", seeds,
                seeds == 1 ? "" : "s");
    }
}

/* "Between A and B the data cannot decide (A12 = x): about N targets would be needed". */
static void put_undecided(FILE *f, const report *R, const pair_stats *ps, size_t first)
{
    size_t other = ps->a == first ? ps->b : ps->a;
    fputs("Between ", f);
    put_names(f, R, &first, 1);
    fputs(" and ", f);
    put_names(f, R, &other, 1);
    fprintf(f, " the data cannot decide (A12 = %.2f): ", sm_report_a12_of(ps, first));
    put_needed(f, ps);
    fputs(". ", f);
}

static void verdict_group(report *R, const sm_report_stats *s, const group_stats *g)
{
    FILE *f = R->f;
    size_t best = g->member[0], j, n_tied = 0, n_beaten = 0;
    size_t *tied = malloc(g->k * sizeof *tied), *beaten = malloc(g->k * sizeof *beaten);
    const pair_stats *closest = NULL, *first_pair = sm_report_find_pair(s, best, g->member[1]);
    const int by_ranks = g->k >= 3 && g->has_friedman;
    if (!tied || !beaten || !first_pair) {
        free(tied);
        free(beaten);
        return;
    }
    if (!by_ranks && !first_pair->tested) {
        fprintf(f, "<b>The data cannot decide.</b> Only %zu target%s: %s", first_pair->n_pair,
                first_pair->n_pair == 1 ? "" : "s",
                g->k >= 3 ? "the Friedman test needs at least 2 on which every optimizer ran. "
                          : "the paired test over targets needs at least 6 to reach p &lt; 0.05 "
                            "at all (its smallest two-sided p is 2 / 2<sup>n</sup>). ");
        put_names(f, R, &best, 1);
        fputs(" has the lower costs; ", f);
        put_undecided(f, R, first_pair, best);
        free(tied);
        free(beaten);
        return;
    }
    tied[n_tied++] = best;
    for (j = 1; j < g->k; j++) {
        size_t m = g->member[j];
        if (sm_report_beats(s, best, m)) beaten[n_beaten++] = m;
        else {
            tied[n_tied++] = m;
            if (!closest) closest = sm_report_find_pair(s, best, m);
        }
    }
    if (by_ranks && !(g->fr.p < SM_REPORT_ALPHA)) {
        fprintf(f, "The Friedman test over %zu targets finds no difference among the %zu "
                   "optimizers (", g->fr.n_blocks, g->k);
        put_p_short(f, g->fr.p);
        fputs("); ", f);
        for (j = 1; j < g->k && g->avg_rank[j] == g->avg_rank[0]; j++) continue;
        put_names(f, R, g->member, j);
        fprintf(f, " %s the best average rank (%.2f). ", j > 1 ? "share" : "has", g->avg_rank[0]);
        put_undecided(f, R, first_pair, best);
        free(tied);
        free(beaten);
        return;
    }
    if (n_tied == 1) {
        put_names(f, R, &best, 1);
        fputs(" beats every other optimizer: ", f);
    } else {
        double pmin = INFINITY;
        for (j = 1; j < n_tied; j++) {
            const pair_stats *ps = sm_report_find_pair(s, best, tied[j]);
            if (ps && sm_report_decision_p(ps) < pmin) pmin = sm_report_decision_p(ps);
        }
        put_names(f, R, tied, n_tied);
        fputs(n_tied == 2 ? " are tied (" : " cannot be told apart (", f);
        if (n_tied > 2 && isfinite(pmin)) {
            fprintf(f, "p &ge; %.2g for each against ", pmin);
            put_names(f, R, &best, 1);
        } else {
            put_p_short(f, isfinite(pmin) ? pmin : NAN);
        }
        fputs(")", f);
        if (n_beaten) fputs("; ", f);
    }
    if (n_beaten) {
        int all = n_tied > 1;
        size_t i;
        for (j = 0; j < n_beaten && all; j++)
            for (i = 1; i < n_tied; i++)
                if (!sm_report_beats(s, tied[i], beaten[j])) all = 0;
        if (n_tied > 1) {
            if (all) fputs(count_word(n_tied), f);
            else put_names(f, R, &best, 1);
            fputs(all ? " beat " : " beats ", f);
        }
        for (j = 0; j < n_beaten; j++) {
            const pair_stats *ps = sm_report_find_pair(s, best, beaten[j]);
            if (j) fputs(j + 1 == n_beaten ? " and " : ", ", f);
            put_names(f, R, &beaten[j], 1);
            fputs(" (", f);
            put_p_short(f, sm_report_decision_p(ps));
            fprintf(f, ", A12 = %.2f)", sm_report_a12_of(ps, best));
        }
    }
    fputs(". ", f);
    if (closest) put_undecided(f, R, closest, best);
    if (by_ranks) {
        fprintf(f, "Friedman test over %zu targets: ", g->fr.n_blocks);
        put_p_short(f, g->fr.p);
        fputs(".", f);
    }
    free(tied);
    free(beaten);
}

void sm_report_section_verdict(report *R, const sm_report_stats *s)
{
    FILE *f = R->f;
    size_t g, shown = 0;
    fputs("<p class=\"verdict\" id=\"verdict\"><b>Verdict.</b> ", f);
    for (g = 0; g < s->n_groups; g++) {
        const group_stats *gs = &s->group[g];
        if (gs->k < 2) continue;
        if (shown) fputs("<br>", f);
        if (s->n_groups > 1) {
            fputs("Among ", f);
            put_names(f, R, gs->member, gs->k);
            fputs(": ", f);
        }
        verdict_group(R, s, gs);
        shown++;
    }
    if (!shown) fputs("Only one optimizer: nothing to compare.", f);
    fputs(" <span class=\"sub\">(As Dem&scaron;ar (2006) recommends: among three or more "
          "optimizers, the Friedman test over targets, then Nemenyi&rsquo;s test of their "
          "average ranks; between two, the Wilcoxon signed-rank test over targets. A12: the "
          "chance that the first optimizer&rsquo;s run ends lower than the other&rsquo;s on the "
          "same target. Details, and Holm-corrected Wilcoxon tests of every pair, in "
          "<a href=\"#statistics\">Statistics</a>.)</span></p>\n", f);
}

