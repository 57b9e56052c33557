/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report.c: the report's entry point, its working state, and the page's head,
 * metadata and foot (see experiments/report.h; the other seams are listed in
 * experiments/report_internal.h).
 *
 * The page is written top to bottom straight into a temporary file (core/fileio.h), which is
 * renamed to DIR/index.html only when everything succeeded; the per-target media go into
 * DIR/media.tmp, which replaces DIR/media just before. Figures are drawn by experiments/plot.c
 * and statistics come from experiments/stats.c.
 *
 * How the numbers are defined (the page repeats this in its captions):
 * - A run's best-so-far trace is the step function through (trace_evals[i], trace_cost[i]); a run
 *   without a trace has the single point (evals, final_cost). Before its first point a run has no
 *   best cost yet, counted as +infinity.
 * - A run reaches a level L after the evaluations of its first trace point with cost <= L.
 * - A trace point's seconds are those the runner recorded (when its batch was scored); runs
 *   without them (older versions) have their evaluations spread evenly over their wall time.
 * - Comparisons over targets pair optimizers by target, on the median final cost over seeds. */
#include "config.h"
#include "experiments/report_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fileio.h"
#include "experiments/plot.h"
#include "experiments/stats.h"

#define INI_MAX_BYTES 65536   /* the experiment file is embedded up to this size */

/* ---- run helpers ---- */

size_t sm_report_trace(const sm_run_result *r, const size_t **e, const double **c)
{
    if (r->n_trace && r->trace_evals && r->trace_cost) {
        *e = r->trace_evals;
        *c = r->trace_cost;
        return r->n_trace;
    }
    *e = &r->evals;
    *c = &r->final_cost;
    return 1;
}

double sm_report_evals_to_reach(const sm_run_result *r, double level)
{
    const size_t *e;
    const double *c;
    size_t i, n = sm_report_trace(r, &e, &c);
    for (i = 0; i < n; i++)
        if (c[i] <= level) return (double)e[i];
    return NAN;
}

double sm_report_trace_secs(const sm_run_result *r, size_t i)
{
    const size_t *e;
    const double *c;
    size_t n = sm_report_trace(r, &e, &c);
    if (i >= n) return NAN;
    if (r->trace_secs && n == r->n_trace) return r->trace_secs[i];
    if (!(r->wall_s >= 0) || r->evals == 0) return NAN;
    return (double)e[i] * r->wall_s / (double)r->evals;
}

double sm_report_secs_to_reach(const sm_run_result *r, double level)
{
    const size_t *e;
    const double *c;
    size_t i, n = sm_report_trace(r, &e, &c);
    for (i = 0; i < n; i++)
        if (c[i] <= level) return sm_report_trace_secs(r, i);
    return NAN;
}

double sm_report_cost_at_secs(const sm_run_result *r, double s)
{
    const size_t *e;
    const double *c;
    size_t i, n = sm_report_trace(r, &e, &c);
    double best = INFINITY;
    if (s >= r->wall_s) return r->final_cost;
    for (i = 0; i < n; i++) {
        const double t = sm_report_trace_secs(r, i);
        if (!(t <= s)) break;
        best = c[i];
    }
    return best;
}

double sm_report_threshold(const report *R, const sm_run_result *r)
{
    if (isfinite(r->inaudible_cost) && r->inaudible_cost > 0) return r->inaudible_cost;
    return R->in->inaudible_cost;
}

int sm_report_is_baseline(const report *R, size_t o)
{
    const char *b = R->in->baseline, *name = R->opt[o];
    size_t n;
    if (!b || !*b) return 0;
    n = strlen(b);
    return strcmp(name, b) == 0 || (strncmp(name, b, n) == 0 && strncmp(name + n, " @ ", 3) == 0);
}

static size_t name_index(const char **names, size_t *n, const char *s)
{
    size_t i;
    for (i = 0; i < *n; i++)
        if (strcmp(names[i], s) == 0) return i;
    names[*n] = s;
    return (*n)++;
}

static void report_free(report *R)
{
    free(R->opt);
    free(R->tgt);
    free(R->ro);
    free(R->rt);
    free(R->med);
    free(R->best);
    free(R->n_seeds);
    free(R->levels);
    free(R->level_names);
    free(R->grp);
    free(R->media_tmp);
}

/* Optimizers that share a target form a group (one for an ordinary experiment; one per
 * variant when variants search different target sets): only optimizers within a group are
 * compared. grp[o] is the group's first optimizer. */
static void find_groups(report *R)
{
    size_t no = R->n_opt, nt = R->n_tgt, a, b, t;
    for (a = 0; a < no; a++) R->grp[a] = a;
    for (a = 0; a < no; a++)
        for (b = a + 1; b < no; b++) {
            size_t ra = a, rb = b;
            for (t = 0; t < nt; t++)
                if (!isnan(R->med[a * nt + t]) && !isnan(R->med[b * nt + t])) break;
            if (t == nt) continue;
            while (R->grp[ra] != ra) ra = R->grp[ra];
            while (R->grp[rb] != rb) rb = R->grp[rb];
            if (ra < rb) R->grp[rb] = ra;
            else if (rb < ra) R->grp[ra] = rb;
        }
    R->n_groups = 0;
    for (a = 0; a < no; a++) {
        while (R->grp[R->grp[a]] != R->grp[a]) R->grp[a] = R->grp[R->grp[a]];
        R->n_groups += R->grp[a] == a;
    }
}

/* Indexes optimizers and targets, the per-target summaries, the groups and the cost levels. */
static int report_prepare(report *R, sm_error *err)
{
    const sm_report_input *in = R->in;
    size_t n = in->n_runs, i, o, t;
    double *buf;
    R->baseline = SIZE_MAX;
    R->opt = calloc(n, sizeof *R->opt);
    R->tgt = calloc(n, sizeof *R->tgt);
    R->ro = calloc(n, sizeof *R->ro);
    R->rt = calloc(n, sizeof *R->rt);
    buf = malloc(n * sizeof *buf);
    if (!R->opt || !R->tgt || !R->ro || !R->rt || !buf) goto nomem;
    for (i = 0; i < n; i++) {
        const sm_run_result *r = &in->runs[i];
        R->ro[i] = name_index(R->opt, &R->n_opt, r->optimizer);
        R->rt[i] = name_index(R->tgt, &R->n_tgt, r->target);
        if (isfinite(sm_report_threshold(R, r))) R->any_threshold = 1;
        if (!isnan(r->param_error)) R->any_truth = 1;
    }
    for (o = 0; o < R->n_opt && R->baseline == SIZE_MAX; o++)
        if (sm_report_is_baseline(R, o)) R->baseline = o;
    R->med = malloc(R->n_opt * R->n_tgt * sizeof *R->med);
    R->best = malloc(R->n_opt * R->n_tgt * sizeof *R->best);
    R->n_seeds = calloc(R->n_opt * R->n_tgt, sizeof *R->n_seeds);
    R->grp = calloc(R->n_opt, sizeof *R->grp);
    if (!R->med || !R->best || !R->n_seeds || !R->grp) goto nomem;
    for (o = 0; o < R->n_opt; o++)
        for (t = 0; t < R->n_tgt; t++) {
            size_t k = 0;
            double b = NAN;
            for (i = 0; i < n; i++)
                if (R->ro[i] == o && R->rt[i] == t) {
                    double c = in->runs[i].final_cost;
                    buf[k++] = c;
                    if (!isnan(c) && !(b <= c)) b = c;
                }
            R->med[o * R->n_tgt + t] = k ? sm_median(buf, k) : NAN;
            R->best[o * R->n_tgt + t] = b;
            R->n_seeds[o * R->n_tgt + t] = k;
        }
    find_groups(R);
    /* cost levels: the caller's, or quantiles of all final costs (+ the threshold) */
    R->levels = malloc((in->n_levels + 6) * sizeof *R->levels);
    R->level_names = malloc((in->n_levels + 6) * sizeof *R->level_names);
    if (!R->levels || !R->level_names) goto nomem;
    if (in->cost_levels && in->n_levels) {
        for (i = 0; i < in->n_levels; i++)
            if (isfinite(in->cost_levels[i])) {
                R->level_names[R->n_levels] = "";
                R->levels[R->n_levels++] = in->cost_levels[i];
            }
    } else {
        static const double q[5] = {0.9, 0.75, 0.5, 0.25, 0.1};
        static const char *names[5] = {"90% of final costs", "Q3 of final costs",
                                       "median of final costs", "Q1 of final costs",
                                       "10% of final costs"};
        for (i = 0; i < n; i++) {
            double c = in->runs[i].final_cost;
            buf[i] = isfinite(c) ? c : NAN;
        }
        for (i = 0; i < 5; i++) {
            double v = sm_quantile(buf, n, q[i]);
            if (!isfinite(v) || (R->n_levels && R->levels[R->n_levels - 1] == v)) continue;
            R->level_names[R->n_levels] = names[i];
            R->levels[R->n_levels++] = v;
        }
        if (isfinite(in->inaudible_cost)) {
            R->level_names[R->n_levels] = "median inaudible threshold";
            R->levels[R->n_levels++] = in->inaudible_cost;
        }
    }
    free(buf);
    return 0;
nomem:
    free(buf);
    return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
}

/* ---- the page's head, metadata and foot ---- */

static const char *CSS =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;"
    "margin:0 auto;max-width:1180px;padding:16px 24px 48px;color:#1d1d1f;line-height:1.45;"
    "background:#fff}\n"
    "h1{font-size:1.7em;margin:0.4em 0 0.2em}h2{font-size:1.3em;margin-top:2em;"
    "border-bottom:2px solid #e3e3e8;padding-bottom:4px}h3{font-size:1.1em;margin:1.4em 0 0.4em}\n"
    "table{border-collapse:collapse;margin:0.6em 0 0.4em;font-size:0.92em;display:block;"
    "overflow-x:auto;max-width:100%}\n"
    "th,td{border:1px solid #d9d9df;padding:4px 9px;text-align:left;vertical-align:top}\n"
    "th{background:#f2f2f6;font-weight:600}tbody tr:nth-child(even){background:#fafafc}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "th.num{text-align:right}\n"
    ".sub{color:#6b6b73;font-size:0.85em;font-weight:normal}\n"
    ".meta{color:#45454d}.meta code,code{font-family:'DejaVu Sans Mono',Consolas,monospace;"
    "font-size:0.9em;background:#f4f4f7;padding:1px 4px;border-radius:3px}\n"
    ".cap{color:#6b6b73;font-size:0.88em;margin:2px 0 1em;max-width:1000px}\n"
    ".sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;"
    "vertical-align:-1px}\n"
    ".win{background:#e3f4e8}.lose{background:#fbe6e4}.ns{color:#6b6b73}.best{font-weight:700}\n"
    "img.plot{max-width:100%;height:auto;display:block;margin:8px 0;border:1px solid #ececf0}\n"
    ".target{border:1px solid #e3e3e8;border-radius:6px;padding:4px 16px 12px;margin:14px 0}\n"
    ".cells{display:flex;flex-wrap:wrap;gap:14px}.cell{margin:4px 0;width:272px}\n"
    ".cell img{width:272px;height:auto;display:block;border:1px solid #ececf0}\n"
    ".cell audio{width:100%;margin-top:4px}.cell.tgt{background:#f7f7fa}\n"
    "figcaption{font-size:0.88em;color:#45454d;margin-bottom:3px;min-height:3.9em}\n"
    ".note{background:#fff8e1;border-left:4px solid #f0c040;padding:6px 12px}\n"
    "h4{font-size:1em;margin:0.8em 0 0.2em}table.descr td:nth-child(n+4){text-align:right}\n"
    ".verdict{background:#eef5ff;border-left:5px solid #0072B2;padding:8px 14px;"
    "font-size:1.05em}\n"
    "a.dl,.on{white-space:nowrap}\n"
    "nav ul{columns:2;margin:0.3em 0}pre{background:#f6f6f9;padding:10px;overflow-x:auto;"
    "font-size:0.85em}\n"
    "footer{margin-top:3em;color:#8a8a92;font-size:0.85em}\n";

void sm_report_page_head(report *R, const char *title)
{
    FILE *f = R->f;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    sm_html_esc(f, title);
    fputs(" &ndash; soundmatch</title>\n<style>\n", f);
    fputs(CSS, f);
    fputs("</style>\n</head>\n<body>\n<h1>", f);
    sm_html_esc(f, title);
    fputs("</h1>\n", f);
}

void sm_report_page_foot(report *R)
{
    fputs("<footer>Made by soundmatch. This page works offline: its plots are embedded, and its "
          "audio, spectrograms and patches are in the folder <code>media/</code> beside it "
          "(keep them together when you move or zip it).</footer>\n</body>\n</html>\n", R->f);
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "unknown";
}

/* The metadata of the runs: one row per run folder. The block sits between the comments
 * sm:meta and /sm:meta, so that reports of the same results can be compared without it. */
void sm_report_section_meta(report *R)
{
    const sm_report_input *in = R->in;
    FILE *f = R->f;
    size_t i;
    time_t now = time(NULL);
    struct tm tmv;
    char date[64] = "";
    if (gmtime_r(&now, &tmv)) strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    fputs("<!-- sm:meta -->\n<h2 id=\"meta\">How the results were made</h2>\n", f);
    if (in->n_meta && in->meta) {
        fputs("<table>\n<thead><tr><th>Run folder</th><th>soundmatch</th><th>Commit</th>"
              "<th>CPU</th><th class=\"num\">Threads</th><th class=\"num\">Runs</th>"
              "<th class=\"num\">Wall time<br><span class=\"sub\">runs added up / command</span>"
              "</th><th>Finished</th><th>Experiment hash</th></tr></thead>\n<tbody>\n", f);
        for (i = 0; i < in->n_meta; i++) {
            const sm_report_meta *m = &in->meta[i];
            fputs("<tr><td><code>", f);
            sm_html_esc(f, or_dash(m->source));
            fputs("</code></td><td>", f);
            sm_html_esc(f, or_dash(m->version));
            fputs("</td><td><code>", f);
            sm_html_esc(f, or_dash(m->commit));
            fputs("</code></td><td>", f);
            sm_html_esc(f, or_dash(m->cpu_model));
            if (m->n_cpus > 0) fprintf(f, " &times; %d", m->n_cpus);
            fputs("</td><td class=\"num\">", f);
            if (m->threads > 0) fprintf(f, "%d", m->threads);
            else fputs("&mdash;", f);
            fprintf(f, "</td><td class=\"num\">%zu</td><td class=\"num\">", m->n_runs);
            sm_html_duration(f, m->runs_wall_s);
            fputs(" / ", f);
            sm_html_duration(f, m->elapsed_s);
            fputs("</td><td>", f);
            sm_html_esc(f, or_dash(m->date));
            fputs("</td><td><code>", f);
            sm_html_esc(f, or_dash(m->fingerprint));
            fputs("</code></td></tr>\n", f);
        }
        fputs("</tbody>\n</table>\n<p class=\"cap\">Per-run wall times are in the summary "
              "above and in <code>results.csv</code>; all of this is also in "
              "<code>results.json</code> beside <code>results.csv</code>. The experiment "
              "hash is FNV-1a (64 bits) of the experiment file's text: folders with the same "
              "hash ran the same experiment.</p>\n", f);
    } else {
        fputs("<p>No metadata was given for these runs.</p>\n", f);
    }
    fprintf(f, "<p class=\"sub\">Page written %s by soundmatch %s.</p>\n<!-- /sm:meta -->\n",
            date, PACKAGE_VERSION);
}

void sm_report_section_experiment_file(report *R)
{
    FILE *f = R->f;
    unsigned char *text = NULL;
    size_t n = 0;
    sm_error e = {0, ""};
    const char *t = R->in->experiment_text;
    if (!t && !R->in->experiment_file) return;
    fputs("<h2 id=\"experiment\">Experiment file</h2>\n", f);
    if (!t) {
        if (sm_read_file(R->in->experiment_file, INI_MAX_BYTES, &text, &n, &e) != 0) {
            fputs("<p class=\"note\">Cannot show it: ", f);
            sm_html_esc(f, sm_error_text(&e));
            fputs("</p>\n", f);
            return;
        }
        t = (const char *)text;
    }
    fputs("<p>", f);
    sm_html_download(f, t, strlen(t), "text/plain", "experiment.ini", "Download experiment.ini");
    fputs(" &middot; <code>soundmatch run experiment.ini</code> runs it again from the folder "
          "it came from (paths in it are relative to that folder).</p>\n<details open>"
          "<summary>experiment.ini</summary>\n<pre>", f);
    sm_html_esc(f, t);
    fputs("</pre>\n</details>\n", f);
    free(text);
}

/* The line under the title: synth, cost, the size of the experiment. */
static void section_header_line(report *R)
{
    const sm_report_input *in = R->in;
    FILE *f = R->f;
    fputs("<p class=\"meta\">", f);
    if (in->synth) {
        fputs("Synth <b>", f);
        sm_html_esc(f, in->synth);
        fputs("</b> &middot; ", f);
    }
    if (in->cost_desc) {
        fputs("cost: ", f);
        sm_html_esc(f, in->cost_desc);
        fputs(" &middot; ", f);
    }
    fprintf(f, "%zu runs: %zu optimizer%s &times; %zu target%s", in->n_runs, R->n_opt,
            R->n_opt == 1 ? "" : "s", R->n_tgt, R->n_tgt == 1 ? "" : "s");
    if (isfinite(in->inaudible_cost)) {
        fputs(" &middot; inaudible below cost ", f);
        sm_html_num(f, in->inaudible_cost);
    }
    if (in->experiment_text || in->experiment_file)
        fputs("<br>The experiment file is at the <a href=\"#experiment\">end of this page</a>.",
              f);
    fputs("</p>\n", f);
    if (in->notes_html && *in->notes_html) {
        fputs("<div class=\"notes\">", f);
        fputs(in->notes_html, f);
        fputs("</div>\n", f);
    }
}

static void section_nav(report *R)
{
    FILE *f = R->f;
    fputs("<nav><b>Contents</b><ul>\n<li><a href=\"#summary\">Summary per optimizer</a></li>\n"
          "<li><a href=\"#distribution\">Distribution of final costs</a></li>\n"
          "<li><a href=\"#fixed\">Time to reach a cost: ERT and ECDFs</a></li>\n", f);
    if (R->n_opt > 1) fputs("<li><a href=\"#equal-time\">At equal wall time</a></li>\n", f);
    if (R->any_truth) fputs("<li><a href=\"#params\">Parameter error</a></li>\n", f);
    fputs("<li><a href=\"#convergence\">Convergence</a></li>\n"
          "<li><a href=\"#statistics\">Statistics: ranks, critical differences, pairwise "
          "tests</a></li>\n"
          "<li><a href=\"#targets\">Results per target</a></li>\n"
          "<li><a href=\"#media\">Best matches: spectrograms and audio</a></li>\n"
          "<li><a href=\"#meta\">How the results were made</a></li>\n", f);
    if (R->in->experiment_text || R->in->experiment_file)
        fputs("<li><a href=\"#experiment\">Experiment file</a></li>\n", f);
    fputs("</ul></nav>\n", f);
}

static int write_experiment_page(report *R, sm_error *err)
{
    const sm_report_input *in = R->in;
    sm_report_stats *st = NULL;
    int rc;
    if ((rc = sm_report_stats_compute(R, &st, err)) != 0) return rc;
    sm_report_page_head(R, in->title && *in->title ? in->title : "Experiment");
    section_header_line(R);
    sm_report_section_verdict(R, st);
    section_nav(R);
    if ((rc = sm_report_section_summary(R, err)) != 0) goto out;
    if ((rc = sm_report_section_distribution(R, err)) != 0) goto out;
    if ((rc = sm_report_section_fixed_target(R, err)) != 0) goto out;
    if ((rc = sm_report_section_equal_time(R, err)) != 0) goto out;
    if ((rc = sm_report_section_params(R, err)) != 0) goto out;
    if ((rc = sm_report_section_convergence(R, err)) != 0) goto out;
    if ((rc = sm_report_section_statistics(R, st, err)) != 0) goto out;
    sm_report_section_targets(R);
    sm_report_section_classes(R);
    if ((rc = sm_report_section_media(R, err)) != 0) goto out;
    sm_report_section_meta(R);
    sm_report_section_experiment_file(R);
    sm_report_page_foot(R);
out:
    sm_report_stats_free(st);
    return rc;
}

/* ---- entry point ---- */

int sm_report_write(const char *dir, const sm_report_input *in, sm_error *err)
{
    report R;
    sm_outfile of;
    char *path = NULL;
    size_t i;
    int rc;
    memset(&R, 0, sizeof R);
    memset(&of, 0, sizeof of);
    if (!dir || !*dir || !in) return sm_error_set(err, SM_ERR_ARG, "report: no folder or input");
    if (!in->runs || in->n_runs == 0) return sm_error_set(err, SM_ERR_ARG, "report: no runs");
    for (i = 0; i < in->n_runs; i++)
        if (!in->runs[i].target || !in->runs[i].optimizer)
            return sm_error_set(err, SM_ERR_ARG, "report: run %zu has no target or optimizer name",
                                i);
    R.in = in;
    R.dir = dir;
    rc = sm_mkdir_p(dir, err);
    if (rc) return rc;
    path = sm_path_join(dir, "index.html");
    if (!path) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    if ((rc = report_prepare(&R, err)) != 0) goto fail;
    if ((rc = sm_report_media_begin(&R, err)) != 0) goto fail;
    if ((rc = sm_outfile_open(&of, path, err)) != 0) goto fail;
    R.f = of.f;
    rc = in->match_page ? sm_report_write_match_page(&R, err) : write_experiment_page(&R, err);
    if (rc) goto fail;
    if ((rc = sm_report_media_commit(&R, err)) != 0) goto fail;
    R.f = NULL;
    rc = sm_outfile_commit(&of, err);
    report_free(&R);
    free(path);
    return rc;
fail:
    sm_outfile_abort(&of);
    sm_report_media_abort(&R);
    report_free(&R);
    free(path);
    return rc;
}
