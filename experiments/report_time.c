/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_time.c: the report's equal-wall-time view (see
 * experiments/report_internal.h).
 *
 * Optimizers that spend different time on an evaluation (an exact gradient costs several
 * renders; a GA scores a whole population on every thread) are compared at equal seconds: each
 * run of A stops at its own wall time, and the run of B on the same target with the same seed
 * is read at that moment, from its trace (the seconds at which each batch was scored,
 * experiments/runner.c). When B's run ended sooner its final cost is taken, which favours A
 * (B had less time); such pairs are counted. On each target, A is ahead of B when the mean of
 * A's final costs is below the mean of B's costs at A's seconds over the paired seeds.
 *
 * The view: a matrix of targets (and runs) on which the row's optimizer is ahead of the
 * column's, a table per target with the means behind it, and the same numbers as a CSV. */
#include "experiments/report_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One (target, A, B) comparison over the seeds both ran. */
typedef struct {
    size_t pairs;        /* seeds with a run of A and one of B */
    size_t won, lost;    /* pairs where A's final cost is below / above B's at A's seconds */
    size_t sooner;       /* pairs where B's run ended before A's (B read at its end) */
    double a_cost, a_secs, b_cost; /* means over the pairs (b_cost may be +inf: B had no
                                      point yet at A's seconds) */
} time_cell;

/* The runs of one target: their indexes into the input. */
typedef struct {
    const size_t *run;
    size_t n;
} target_runs;

/* The run of optimizer o among the target's runs with seed s, or SIZE_MAX. */
static size_t find_run(const report *R, const target_runs *T, size_t o, unsigned long long s)
{
    size_t k;
    for (k = 0; k < T->n; k++)
        if (R->ro[T->run[k]] == o && R->in->runs[T->run[k]].seed == s) return T->run[k];
    return SIZE_MAX;
}

static void fill_cell(const report *R, const target_runs *T, size_t a, size_t b, time_cell *c)
{
    size_t k;
    memset(c, 0, sizeof *c);
    for (k = 0; k < T->n; k++) {
        const size_t i = T->run[k];
        const sm_run_result *ra = &R->in->runs[i], *rb;
        size_t j;
        double cb;
        if (R->ro[i] != a || !isfinite(ra->final_cost) || !(ra->wall_s >= 0)) continue;
        if ((j = find_run(R, T, b, ra->seed)) == SIZE_MAX) continue;
        rb = &R->in->runs[j];
        if (isnan(rb->final_cost) || !(rb->wall_s >= 0)) continue;
        cb = sm_report_cost_at_secs(rb, ra->wall_s);
        if (isnan(cb)) continue;
        c->pairs++;
        c->won += ra->final_cost < cb;
        c->lost += ra->final_cost > cb;
        c->sooner += rb->wall_s < ra->wall_s;
        c->a_cost += ra->final_cost;
        c->a_secs += ra->wall_s;
        c->b_cost += cb;
    }
    if (c->pairs) {
        c->a_cost /= (double)c->pairs;
        c->a_secs /= (double)c->pairs;
        c->b_cost /= (double)c->pairs;
    }
}

/* The CSV of every cell with pairs, as a download. Returns 0 or SM_ERR_NOMEM. */
static int put_csv(report *R, const time_cell *cells, sm_error *err)
{
    size_t no = R->n_opt, t, a, b, len = 0;
    char *buf = NULL;
    FILE *m = open_memstream(&buf, &len);
    int rc;
    if (!m) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    fputs("target,optimizer,against,seeds,optimizer_mean_cost,optimizer_mean_seconds,"
          "against_mean_cost_at_those_seconds,seeds_lower,seeds_higher,against_ended_sooner\n",
          m);
    for (t = 0; t < R->n_tgt; t++)
        for (a = 0; a < no; a++)
            for (b = 0; b < no; b++) {
                const time_cell *c = &cells[(t * no + a) * no + b];
                if (a == b || !c->pairs) continue;
                fprintf(m, "%s,%s,%s,%zu,%.9g,%.6g,%.9g,%zu,%zu,%zu\n", R->tgt[t], R->opt[a],
                        R->opt[b], c->pairs, c->a_cost, c->a_secs, c->b_cost, c->won, c->lost,
                        c->sooner);
            }
    if (fclose(m) != 0 || !buf) {
        free(buf);
        return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    }
    rc = sm_html_download(R->f, buf, len, "text/csv", "equal_time.csv",
                          "Download these comparisons (equal_time.csv)");
    free(buf);
    return rc ? sm_error_set(err, SM_ERR_NOMEM, "report: out of memory") : 0;
}

/* Every (target, A, B) cell of cells (n_tgt x n_opt x n_opt), with the runs grouped by target
 * first (a counting sort) so that pairing is quadratic in one target's runs, not all of them;
 * *pairs and *sooner receive the totals. Returns 0 or SM_ERR_NOMEM. */
static int fill_cells(const report *R, time_cell *cells, size_t *pairs, size_t *sooner)
{
    const size_t no = R->n_opt, nt = R->n_tgt, n = R->in->n_runs;
    size_t *by_tgt = malloc((n ? n : 1) * sizeof *by_tgt);
    size_t *start = calloc(2 * (nt + 1), sizeof *start), *pos = start + nt + 1, t, a, b, i;
    if (!by_tgt || !start) {
        free(by_tgt);
        free(start);
        return SM_ERR_NOMEM;
    }
    for (i = 0; i < n; i++) start[R->rt[i] + 1]++;
    for (t = 0; t < nt; t++) pos[t + 1] = start[t + 1] += start[t];
    for (i = 0; i < n; i++) by_tgt[pos[R->rt[i]]++] = i;
    *pairs = *sooner = 0;
    for (t = 0; t < nt; t++) {
        const target_runs T = {by_tgt + start[t], start[t + 1] - start[t]};
        for (a = 0; a < no; a++)
            for (b = 0; b < no; b++)
                if (a != b) {
                    time_cell *c = &cells[(t * no + a) * no + b];
                    fill_cell(R, &T, a, b, c);
                    *sooner += c->sooner;
                    *pairs += c->pairs;
                }
    }
    free(by_tgt);
    free(start);
    return 0;
}

/* A header cell per optimizer, each name followed by `after` (HTML). */
static void put_opt_heads(report *R, const char *after)
{
    size_t o;
    for (o = 0; o < R->n_opt; o++) {
        fputs("<th class=\"num\">", R->f);
        sm_html_opt(R->f, R, o);
        fputs(after, R->f);
        fputs("</th>", R->f);
    }
}

int sm_report_section_equal_time(report *R, sm_error *err)
{
    FILE *f = R->f;
    const size_t no = R->n_opt, nt = R->n_tgt;
    time_cell *cells;
    size_t t, a, b, sooner, pairs;
    int rc;
    if (no < 2) return 0;
    cells = calloc(nt * no * no, sizeof *cells);
    if (!cells || fill_cells(R, cells, &pairs, &sooner) != 0) {
        free(cells);
        return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    }
    fputs("<h2 id=\"equal-time\">At equal wall time</h2>\n", f);
    if (!pairs) {
        fputs("<p>No two optimizers ran the same target with the same seed: nothing to pair."
              "</p>\n", f);
        free(cells);
        return 0;
    }
    fputs("<table>\n<thead><tr><th>ahead of &rarr;</th>", f);
    put_opt_heads(R, "");
    fputs("</tr></thead>\n<tbody>\n", f);
    for (a = 0; a < no; a++) {
        fputs("<tr><td>", f);
        sm_html_opt(f, R, a);
        fputs("</td>", f);
        for (b = 0; b < no; b++) {
            size_t tw = 0, tn = 0, rw = 0, rn = 0;
            if (a == b) {
                fputs("<td class=\"num\">&mdash;</td>", f);
                continue;
            }
            for (t = 0; t < nt; t++) {
                const time_cell *c = &cells[(t * no + a) * no + b];
                if (!c->pairs) continue;
                tn++;
                tw += c->a_cost < c->b_cost;
                rw += c->won;
                rn += c->pairs;
            }
            if (!tn) fputs("<td class=\"num\">&mdash;</td>", f);
            else
                fprintf(f, "<td class=\"num%s\">%zu of %zu <span class=\"sub\">(%zu of %zu "
                           "runs)</span></td>", tw == tn ? " best" : "", tw, tn, rw, rn);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n<p class=\"cap\">Each cell: the targets on which the row&rsquo;s "
          "optimizer ends lower than the column&rsquo;s at the same seconds, and in brackets "
          "the runs. Each run of the row&rsquo;s optimizer stops at its own wall time; the "
          "column&rsquo;s run on the same target with the same seed is read at that moment "
          "from its trace (the seconds at which each of its batches was scored). On a target "
          "the row is ahead when the mean of its final costs is below the mean of the "
          "column&rsquo;s costs at its seconds. In bold: ahead on every target compared. An "
          "optimizer that spends more on an evaluation (an exact gradient, a larger model) "
          "is judged here by what its time buys, not its evaluations.", f);
    if (sooner)
        fprintf(f, " In %zu of the %zu pairs the column&rsquo;s run ended before the "
                   "row&rsquo;s; its final cost is used there, which favours the row.",
                sooner, pairs);
    fputs("</p>\n<details><summary>The means behind it, target by target</summary>\n", f);
    for (t = 0; t < nt; t++) {
        fputs("<h4>", f);
        sm_html_esc(f, R->tgt[t]);
        fputs("</h4>\n<table>\n<thead><tr><th>optimizer</th><th class=\"num\">mean final "
              "cost</th><th class=\"num\">mean seconds</th>", f);
        put_opt_heads(R, "<br><span class=\"sub\">at those seconds</span>");
        fputs("</tr></thead>\n<tbody>\n", f);
        for (a = 0; a < no; a++) {
            const time_cell *row = NULL;
            for (b = 0; b < no && !row; b++)
                if (b != a && cells[(t * no + a) * no + b].pairs)
                    row = &cells[(t * no + a) * no + b];
            if (!row) continue;
            fputs("<tr><td>", f);
            sm_html_opt(f, R, a);
            fputs("</td><td class=\"num\">", f);
            sm_html_num(f, row->a_cost);
            fputs("</td><td class=\"num\">", f);
            sm_html_duration(f, row->a_secs);
            fputs("</td>", f);
            for (b = 0; b < no; b++) {
                const time_cell *c = &cells[(t * no + a) * no + b];
                if (b == a || !c->pairs) {
                    fputs("<td class=\"num\">&mdash;</td>", f);
                    continue;
                }
                /* bold: the column is not lower than the row at the row's seconds */
                fprintf(f, "<td class=\"num%s\">", c->b_cost > c->a_cost ? "" : " best");
                sm_html_num(f, c->b_cost);
                if (c->pairs != row->pairs)
                    fprintf(f, " <span class=\"sub\">(%zu seeds)</span>", c->pairs);
                fputs("</td>", f);
            }
            fputs("</tr>\n", f);
        }
        fputs("</tbody>\n</table>\n", f);
    }
    fputs("<p class=\"cap\">A row: the optimizer&rsquo;s mean final cost and seconds over its "
          "seeds, then each other optimizer&rsquo;s mean cost at those seconds (same seeds; "
          "&infin;: it had no point yet). In bold: a column at or below the row&rsquo;s "
          "cost, that is, the row is not ahead of it. The row&rsquo;s means are over the "
          "seeds paired with its first column; a different count is marked.</p>\n", f);
    rc = put_csv(R, cells, err);
    fputs("</details>\n", f);
    free(cells);
    return rc;
}
