/* experiments/report.c: the self-contained HTML report of an experiment (see experiments/report.h).
 *
 * The page is written top to bottom straight into a temporary file (core/fileio.h), which is
 * renamed to DIR/index.html only when everything succeeded. Figures are drawn by
 * experiments/plot.c into PNG bytes and embedded as base64 data URIs, as is the audio, re-encoded
 * as 16-bit mono WAV. Statistics come from experiments/stats.c. Spectrograms are computed here
 * with FFTW (plans made with FFTW_ESTIMATE; the report runs in one thread, so planning is safe).
 *
 * How the numbers are defined (the page repeats this in its captions):
 * - A run's best-so-far trace is the step function through (trace_evals[i], trace_cost[i]); a run
 *   without a trace has the single point (evals, final_cost). Before its first point a run has no
 *   best cost yet, counted as +infinity.
 * - "Evaluations to reach" a level L: the first trace point with cost <= L. The table shows the
 *   median over the runs that reached L and how many did.
 * - Pairwise tests pair optimizers by target, on the median final cost over seeds. */
#include "experiments/report.h"

#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audio.h"
#include "core/fileio.h"
#include "experiments/plot.h"
#include "experiments/stats.h"

#define SPEC_NFFT 1024
#define SPEC_HOP 256
#define SPEC_FMIN_HZ 40.0
#define SPEC_FMAX_HZ 11025.0
#define SPEC_DB_RANGE 80.0
#define CONV_GRID 240
#define PAIR_MIN 5            /* fewer paired targets than this: "n too small" */
#define ALPHA 0.05
#define INI_MAX_BYTES 65536   /* the experiment file is embedded up to this size */

/* ---- base64 ---- */

char *sm_base64_encode(const void *data, size_t n, size_t *out_len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    size_t i, o = 0, len;
    char *s;
    if (out_len) *out_len = 0;
    if (n > (SIZE_MAX - 1) / 4 * 3 - 3) return NULL;
    len = (n + 2) / 3 * 4;
    s = malloc(len + 1);
    if (!s) return NULL;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        s[o++] = tab[v >> 18 & 63];
        s[o++] = tab[v >> 12 & 63];
        s[o++] = tab[v >> 6 & 63];
        s[o++] = tab[v & 63];
    }
    if (i < n) { /* one or two bytes left */
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        s[o++] = tab[v >> 18 & 63];
        s[o++] = tab[v >> 12 & 63];
        s[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        s[o++] = '=';
    }
    s[o] = '\0';
    if (out_len) *out_len = o;
    return s;
}

/* ---- the report's working state ---- */

typedef struct {
    const sm_report_input *in;
    FILE *f;
    size_t n_opt, n_tgt;
    const char **opt, **tgt;       /* distinct names, in order of first appearance */
    size_t *ro, *rt;               /* per run: its optimizer and target index */
    double *med;                   /* n_opt x n_tgt: median final cost over seeds (NaN: none) */
    double *best;                  /* n_opt x n_tgt: best final cost over seeds */
    size_t *n_seeds;               /* n_opt x n_tgt: runs */
    double *levels;
    const char **level_names;
    size_t n_levels;
    int any_threshold;             /* some run has an inaudible threshold */
    int any_truth;                 /* some run has a parameter error */
    char *dir_abs;                 /* the report folder, resolved (NULL if it cannot be) */
} report;

/* ---- HTML output helpers ---- */

static void esc(FILE *f, const char *s)
{
    if (!s) return;
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A URL path, percent-encoded so that it is also safe inside an HTML attribute. */
static void put_url(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '/' || c == '.' || c == '-' || c == '_' || c == '~')
            fputc(c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}

/* A number in 4 significant digits; NaN as a dash and infinity as the symbol. */
static void put_num(FILE *f, double v)
{
    if (isnan(v)) fputs("&mdash;", f);
    else if (isinf(v)) fputs(v > 0 ? "&infin;" : "&minus;&infin;", f);
    else fprintf(f, "%.4g", v);
}

static void put_p(FILE *f, double p)
{
    if (isnan(p)) fputs("&mdash;", f);
    else if (p < 0.0001) fputs("&lt;&nbsp;0.0001", f);
    else fprintf(f, "%.4f", p);
}

static void put_duration(FILE *f, double s)
{
    if (!isfinite(s) || s < 0) fputs("&mdash;", f);
    else if (s < 1) fprintf(f, "%.0f&nbsp;ms", s * 1000);
    else if (s < 60) fprintf(f, "%.1f&nbsp;s", s);
    else if (s < 3600) fprintf(f, "%dm&nbsp;%02ds", (int)(s / 60), (int)fmod(s, 60));
    else fprintf(f, "%dh&nbsp;%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

/* A colour swatch matching optimizer i's line in the plots. */
static void put_swatch(FILE *f, size_t i)
{
    fprintf(f, "<span class=\"sw\" style=\"background:#%06X\"></span>", sm_plot_palette(i));
}

static void put_opt(FILE *f, const report *R, size_t i)
{
    put_swatch(f, i);
    esc(f, R->opt[i]);
}

/* Embeds PNG bytes as an image. */
static int put_png(FILE *f, const unsigned char *png, size_t n, const char *alt)
{
    char *b = sm_base64_encode(png, n, NULL);
    if (!b) return SM_ERR_NOMEM;
    fputs("<img class=\"plot\" alt=\"", f);
    esc(f, alt);
    fputs("\" src=\"data:image/png;base64,", f);
    fputs(b, f);
    fputs("\">", f);
    free(b);
    return 0;
}

/* ---- run helpers ---- */

/* The run's trace, or the single point (evals, final_cost) if it has none. */
static size_t run_trace(const sm_run_result *r, const size_t **e, const double **c)
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

/* Evaluations after which the run first had a cost <= level; NaN if it never did. */
static double evals_to_reach(const sm_run_result *r, double level)
{
    const size_t *e;
    const double *c;
    size_t i, n = run_trace(r, &e, &c);
    for (i = 0; i < n; i++)
        if (c[i] <= level) return (double)e[i];
    return NAN;
}

static double run_threshold(const report *R, const sm_run_result *r)
{
    if (isfinite(r->inaudible_cost) && r->inaudible_cost > 0) return r->inaudible_cost;
    return R->in->inaudible_cost;
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
    free(R->dir_abs);
}

/* Indexes optimizers and targets, the per-target summaries and the cost levels. */
static int report_prepare(report *R, sm_error *err)
{
    const sm_report_input *in = R->in;
    size_t n = in->n_runs, i, o, t;
    double *buf;
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
        if (isfinite(run_threshold(R, r))) R->any_threshold = 1;
        if (!isnan(r->param_error)) R->any_truth = 1;
    }
    R->med = malloc(R->n_opt * R->n_tgt * sizeof *R->med);
    R->best = malloc(R->n_opt * R->n_tgt * sizeof *R->best);
    R->n_seeds = calloc(R->n_opt * R->n_tgt, sizeof *R->n_seeds);
    if (!R->med || !R->best || !R->n_seeds) goto nomem;
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
    /* cost levels: the caller's, or the quartiles of all final costs (+ the threshold) */
    R->levels = malloc((in->n_levels + 4) * sizeof *R->levels);
    R->level_names = malloc((in->n_levels + 4) * sizeof *R->level_names);
    if (!R->levels || !R->level_names) goto nomem;
    if (in->cost_levels && in->n_levels) {
        for (i = 0; i < in->n_levels; i++)
            if (isfinite(in->cost_levels[i])) {
                R->level_names[R->n_levels] = "";
                R->levels[R->n_levels++] = in->cost_levels[i];
            }
    } else {
        static const double q[3] = {0.75, 0.5, 0.25};
        static const char *names[3] = {"Q3 of final costs", "median of final costs",
                                       "Q1 of final costs"};
        for (i = 0; i < n; i++) {
            double c = in->runs[i].final_cost;
            buf[i] = isfinite(c) ? c : NAN;
        }
        for (i = 0; i < 3; i++) {
            double v = sm_quantile(buf, n, q[i]);
            if (!isfinite(v) || (R->n_levels && R->levels[R->n_levels - 1] == v)) continue;
            R->level_names[R->n_levels] = names[i];
            R->levels[R->n_levels++] = v;
        }
        if (isfinite(in->inaudible_cost)) {
            R->level_names[R->n_levels] = "inaudible threshold";
            R->levels[R->n_levels++] = in->inaudible_cost;
        }
    }
    free(buf);
    return 0;
nomem:
    free(buf);
    return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
}

/* ---- relative links ---- */

/* Splits an absolute path into its components (in place); returns the count. */
static size_t split_path(char *s, char **part, size_t max)
{
    size_t n = 0;
    char *save = NULL, *tok = strtok_r(s, "/", &save);
    while (tok && n < max) {
        part[n++] = tok;
        tok = strtok_r(NULL, "/", &save);
    }
    return n;
}

/* The path of file relative to the folder dir_abs (a new string), or NULL if the file does
 * not exist or memory runs out. */
static char *relative_link(const char *dir_abs, const char *file)
{
    char *abs, *d, *out = NULL, *a[256], *b[256];
    size_t na, nb, k = 0, i, len = 1;
    if (!dir_abs || !file) return NULL;
    abs = realpath(file, NULL);
    d = strdup(dir_abs);
    if (!abs || !d) goto done;
    na = split_path(d, a, 256);
    nb = split_path(abs, b, 256);
    if (na == 256 || nb == 256 || nb == 0) goto done;
    while (k < na && k + 1 < nb && strcmp(a[k], b[k]) == 0) k++;
    len += 3 * (na - k);
    for (i = k; i < nb; i++) len += strlen(b[i]) + 1;
    out = malloc(len);
    if (!out) goto done;
    out[0] = '\0';
    for (i = k; i < na; i++) strcat(out, "../");
    for (i = k; i < nb; i++) {
        strcat(out, b[i]);
        if (i + 1 < nb) strcat(out, "/");
    }
done:
    free(abs);
    free(d);
    return out;
}

/* Shows a path, linked relative to the report when the file exists. */
static void put_path_link(FILE *f, const report *R, const char *path)
{
    char *rel = relative_link(R->dir_abs, path);
    if (rel) {
        fputs("<a href=\"", f);
        put_url(f, rel);
        fputs("\"><code>", f);
        esc(f, path);
        fputs("</code></a>", f);
        free(rel);
    } else {
        fputs("<code>", f);
        esc(f, path);
        fputs("</code>", f);
    }
}

/* ---- page sections ---- */

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
    ".players{display:flex;flex-wrap:wrap;gap:28px}.players figure{margin:4px 0}\n"
    "figcaption{font-size:0.9em;color:#45454d;margin-bottom:3px}\n"
    ".note{background:#fff8e1;border-left:4px solid #f0c040;padding:6px 12px}\n"
    "nav ul{columns:2;margin:0.3em 0}pre{background:#f6f6f9;padding:10px;overflow-x:auto;"
    "font-size:0.85em}\n"
    "footer{margin-top:3em;color:#8a8a92;font-size:0.85em}\n";

static void section_header(report *R)
{
    const sm_report_input *in = R->in;
    FILE *f = R->f;
    time_t now = time(NULL);
    struct tm tmv;
    char date[64] = "";
    if (localtime_r(&now, &tmv)) strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tmv);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    esc(f, in->title && *in->title ? in->title : "soundmatch report");
    fputs(" &ndash; soundmatch report</title>\n<style>\n", f);
    fputs(CSS, f);
    fputs("</style>\n</head>\n<body>\n<h1>", f);
    esc(f, in->title && *in->title ? in->title : "Experiment");
    fputs("</h1>\n<p class=\"meta\">", f);
    if (in->synth) {
        fputs("Synth <b>", f);
        esc(f, in->synth);
        fputs("</b> &middot; ", f);
    }
    if (in->cost_desc) {
        fputs("cost: ", f);
        esc(f, in->cost_desc);
        fputs(" &middot; ", f);
    }
    fprintf(f, "%zu runs: %zu optimizer%s &times; %zu target%s", in->n_runs, R->n_opt,
            R->n_opt == 1 ? "" : "s", R->n_tgt, R->n_tgt == 1 ? "" : "s");
    if (isfinite(in->inaudible_cost)) {
        fputs(" &middot; inaudible below cost ", f);
        put_num(f, in->inaudible_cost);
    }
    if (in->experiment_file) {
        fputs("<br>Experiment file: ", f);
        put_path_link(f, R, in->experiment_file);
        fputs(" (its text is at the end of this page)", f);
    }
    if (*date) fprintf(f, "<br>Written %s by soundmatch.", date);
    fputs("</p>\n", f);
    if (in->notes_html && *in->notes_html) {
        fputs("<div class=\"notes\">", f);
        fputs(in->notes_html, f);
        fputs("</div>\n", f);
    }
    fputs("<nav><b>Contents</b><ul>\n<li><a href=\"#summary\">Summary per optimizer</a></li>\n"
          "<li><a href=\"#reach\">Evaluations to reach a cost</a></li>\n", f);
    if (R->any_truth) fputs("<li><a href=\"#params\">Parameter error</a></li>\n", f);
    fputs("<li><a href=\"#convergence\">Convergence</a></li>\n"
          "<li><a href=\"#pairwise\">Pairwise tests</a></li>\n"
          "<li><a href=\"#targets\">Results per target</a></li>\n"
          "<li><a href=\"#media\">Spectrograms and audio</a></li>\n", f);
    if (in->experiment_file) fputs("<li><a href=\"#experiment\">Experiment file</a></li>\n", f);
    fputs("</ul></nav>\n", f);
}

static int section_summary(report *R, sm_error *err)
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
          "<th class=\"num\">Best</th>", f);
    if (R->any_threshold) fputs("<th class=\"num\">Inaudible</th>", f);
    fputs("<th class=\"num\">Evaluations<br><span class=\"sub\">median per run</span></th>"
          "<th class=\"num\">Wall time<br><span class=\"sub\">median per run / total</span></th>"
          "<th class=\"num\">Evaluations/s</th><th class=\"num\">Non-finite renders</th>"
          "</tr></thead>\n<tbody>\n", f);
    for (o = 0; o < R->n_opt; o++) {
        size_t k = 0, below = 0, known = 0, nonfin = 0;
        double sum_ev = 0, sum_wall = 0, bestc = NAN;
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
            th = run_threshold(R, r);
            if (isfinite(th)) {
                known++;
                if (r->final_cost <= th) below++;
            }
        }
        fputs("<tr><td>", f);
        put_opt(f, R, o);
        fprintf(f, "</td><td class=\"num\">%zu</td><td class=\"num%s\">", k,
                meds[o] == best_med && R->n_opt > 1 ? " best" : "");
        put_num(f, meds[o]);
        fputs("</td><td class=\"num\">", f);
        put_num(f, sm_iqr(cost, k));
        fputs(" <span class=\"sub\">(", f);
        put_num(f, sm_quantile(cost, k, 0.25));
        fputs(" &ndash; ", f);
        put_num(f, sm_quantile(cost, k, 0.75));
        fputs(")</span></td><td class=\"num\">", f);
        put_num(f, bestc);
        fputs("</td>", f);
        if (R->any_threshold) {
            if (known)
                fprintf(f, "<td class=\"num\">%.0f%% <span class=\"sub\">(%zu/%zu)</span></td>",
                        100.0 * (double)below / (double)known, below, known);
            else
                fputs("<td class=\"num\">&mdash;</td>", f);
        }
        fputs("<td class=\"num\">", f);
        put_num(f, sm_median(ev, k));
        fputs("</td><td class=\"num\">", f);
        put_duration(f, sm_median(wall, k));
        fputs(" / ", f);
        put_duration(f, sum_wall);
        fputs("</td><td class=\"num\">", f);
        if (sum_wall > 0) fprintf(f, "%.0f", sum_ev / sum_wall);
        else fputs("&mdash;", f);
        fprintf(f, "</td><td class=\"num\">%zu</td></tr>\n", nonfin);
    }
    fputs("</tbody>\n</table>\n<p class=\"cap\">"
          "Final cost: the best cost of each run, over all targets and seeds "
          "(lower is better; the lowest median is in bold). IQR = Q3 &minus; Q1 (type-7 "
          "quantiles).", f);
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

static int section_reach(report *R, sm_error *err)
{
    const sm_report_input *in = R->in;
    FILE *f = R->f;
    size_t o, l, i, n = in->n_runs;
    double *ev = malloc(n * sizeof *ev);
    if (!ev) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    fputs("<h2 id=\"reach\">Evaluations to reach a cost</h2>\n", f);
    if (!R->n_levels) {
        fputs("<p>No finite final cost: no level to reach.</p>\n", f);
        free(ev);
        return 0;
    }
    fputs("<table>\n<thead><tr><th>Optimizer</th>", f);
    for (l = 0; l < R->n_levels; l++) {
        fputs("<th class=\"num\">cost &le; ", f);
        put_num(f, R->levels[l]);
        if (R->level_names[l] && *R->level_names[l]) {
            fputs("<br><span class=\"sub\">", f);
            esc(f, R->level_names[l]);
            fputs("</span>", f);
        }
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (o = 0; o < R->n_opt; o++) {
        fputs("<tr><td>", f);
        put_opt(f, R, o);
        fputs("</td>", f);
        for (l = 0; l < R->n_levels; l++) {
            size_t k = 0, total = 0;
            for (i = 0; i < n; i++) {
                double e;
                if (R->ro[i] != o) continue;
                total++;
                e = evals_to_reach(&in->runs[i], R->levels[l]);
                if (!isnan(e)) ev[k++] = e;
            }
            fputs("<td class=\"num\">", f);
            if (k) fprintf(f, "%.0f", sm_median(ev, k));
            else fputs("&mdash;", f);
            fprintf(f, " <span class=\"sub\">(%zu/%zu)</span></td>", k, total);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n<p class=\"cap\">"
          "The median number of evaluations after which a run's best cost "
          "was first at or below the level, over the runs that reached it; in brackets, how many "
          "runs reached it. &mdash;: no run did.", f);
    if (!(in->cost_levels && in->n_levels))
        fputs(" The levels are the quartiles of all final costs", f);
    if (!(in->cost_levels && in->n_levels) && isfinite(in->inaudible_cost))
        fputs(" and the inaudible threshold", f);
    if (!(in->cost_levels && in->n_levels)) fputs(".", f);
    fputs("</p>\n", f);
    free(ev);
    return 0;
}

static int section_params(report *R, sm_error *err)
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
        put_opt(f, R, o);
        fprintf(f, "</td><td class=\"num\">%zu</td><td class=\"num\">", k);
        put_num(f, sm_median(pe, k));
        fputs("</td><td class=\"num\">", f);
        put_num(f, sm_iqr(pe, k));
        fputs(" <span class=\"sub\">(", f);
        put_num(f, sm_quantile(pe, k, 0.25));
        fputs(" &ndash; ", f);
        put_num(f, sm_quantile(pe, k, 0.75));
        fputs(")</span></td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n<p class=\"cap\">"
          "Mean absolute difference between the found and the true "
          "parameters, in normalized [0,&nbsp;1] coordinates, over the free parameters "
          "(targets rendered from known patches only). A low cost with a high parameter error "
          "means a different patch that sounds alike.</p>\n", f);
    free(pe);
    return 0;
}

/* Draws the convergence of the runs of target `only` (SIZE_MAX: all runs) into a PNG: per
 * optimizer, each run's trace is sampled on a common grid of evaluation counts, then the
 * median and quartiles over runs are taken at every grid point. */
static int convergence_png(const report *R, size_t only, int w, int h, const char *title,
                           unsigned char **png, size_t *png_len, sm_error *err)
{
    const sm_report_input *in = R->in;
    size_t n = in->n_runs, i, o, g;
    double e_min = INFINITY, e_max = 0, lo_pos = INFINITY, hi_pos = 0;
    int log_x, log_y, rc = SM_ERR_NOMEM, all_pos = 1;
    double *grid = malloc(CONV_GRID * sizeof *grid);
    double *vals = malloc(n * sizeof *vals);
    double *mat = malloc(n * CONV_GRID * sizeof *mat); /* one row per run of the optimizer */
    double *q = malloc(3 * CONV_GRID * R->n_opt * sizeof *q); /* per optimizer: med, lo, hi */
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
        m = run_trace(&in->runs[i], &e, &c);
        if ((double)(e[0] ? e[0] : 1) < e_min) e_min = (double)(e[0] ? e[0] : 1);
        if ((double)e[m - 1] > e_max) e_max = (double)e[m - 1];
        if ((double)in->runs[i].evals > e_max) e_max = (double)in->runs[i].evals;
    }
    if (!(e_max >= e_min)) {
        rc = sm_error_set(err, SM_ERR_EMPTY, "no trace to draw");
        goto out;
    }
    log_x = e_max >= 100 * e_min;
    for (g = 0; g < CONV_GRID; g++) {
        double t = (double)g / (CONV_GRID - 1);
        grid[g] = log_x ? e_min * pow(e_max / e_min, t) : e_min + t * (e_max - e_min);
    }
    grid[0] = e_min;
    grid[CONV_GRID - 1] = e_max;
    for (o = 0; o < R->n_opt; o++) {
        double *med = q + 3 * CONV_GRID * o, *lo = med + CONV_GRID, *hi = lo + CONV_GRID;
        size_t k = 0, j;
        for (i = 0; i < n; i++) {
            const size_t *e;
            const double *c;
            size_t m;
            if (R->ro[i] != o || (only != SIZE_MAX && R->rt[i] != only)) continue;
            m = run_trace(&in->runs[i], &e, &c);
            sm_trace_on_grid(e, c, m, grid, CONV_GRID, mat + k * CONV_GRID);
            k++;
        }
        for (g = 0; g < CONV_GRID; g++) {
            for (j = 0; j < k; j++) vals[j] = mat[j * CONV_GRID + g];
            med[g] = sm_quantile(vals, k, 0.5);
            lo[g] = sm_quantile(vals, k, 0.25);
            hi[g] = sm_quantile(vals, k, 0.75);
        }
        for (g = 0; g < 3 * CONV_GRID; g++) {
            double v = med[g];
            if (!isfinite(v)) continue;
            if (v <= 0) all_pos = 0;
            else {
                if (v < lo_pos) lo_pos = v;
                if (v > hi_pos) hi_pos = v;
            }
        }
        ser[o].label = R->opt[o];
        ser[o].n = k ? CONV_GRID : 0;
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

/* Embeds a plot, or says why there is none. Only running out of memory is an error. */
static int put_plot_or_note(FILE *f, int rc, unsigned char *png, size_t len, const char *alt,
                            const sm_error *perr, sm_error *err)
{
    if (rc == 0) {
        rc = put_png(f, png, len, alt);
        free(png);
        if (rc) return sm_error_set(err, rc, "report: out of memory");
        return 0;
    }
    if (rc == SM_ERR_NOMEM) return sm_error_set(err, rc, "report: %s", sm_error_text(perr));
    fputs("<p class=\"note\">No plot: ", f);
    esc(f, sm_error_text(perr));
    fputs("</p>\n", f);
    return 0;
}

static int section_convergence(report *R, sm_error *err)
{
    FILE *f = R->f;
    unsigned char *png = NULL;
    size_t len = 0;
    sm_error perr = {0, ""};
    int rc;
    fputs("<h2 id=\"convergence\">Convergence</h2>\n", f);
    rc = convergence_png(R, SIZE_MAX, 960, 480, "Best cost so far, all targets and seeds", &png,
                         &len, &perr);
    rc = put_plot_or_note(f, rc, png, len, "convergence plot of all runs", &perr, err);
    if (rc) return rc;
    fputs("<p class=\"sub\">Line: the median over all runs (targets &times; seeds) of the best "
          "cost found so far, as a step function of the number of evaluations; band: the "
          "quartiles (Q1 to Q3). A run has no cost before its first evaluation (counted as "
          "infinite). Each target's own plot is in its section below.</p>\n", f);
    return 0;
}

/* The matrix of pairwise verdicts among the optimizers of group g (grp[a] == g): row optimizer
 * against column optimizer. */
static void section_pairwise_matrix(const report *R, size_t g, const size_t *grp, const sm_rank_test *w,
                                    const int *tested, const size_t *npair, const double *p)
{
    FILE *f = R->f;
    const size_t no = R->n_opt;
    size_t a, b;
    fputs("<table>\n<thead><tr><th>Row vs column</th>", f);
    for (b = 0; b < no; b++) {
        if (grp[b] != g) continue;
        fputs("<th>", f);
        put_opt(f, R, b);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (a = 0; a < no; a++) {
        if (grp[a] != g) continue;
        fputs("<tr><th>", f);
        put_opt(f, R, a);
        fputs("</th>", f);
        for (b = 0; b < no; b++) {
            size_t lo = a < b ? a : b, hi = a < b ? b : a, kk;
            int row_first = a < b, better;
            if (grp[b] != g) continue;
            if (a == b) {
                fputs("<td class=\"ns\">&mdash;</td>", f);
                continue;
            }
            /* index of pair (lo, hi) */
            kk = lo * no - lo * (lo + 1) / 2 + (hi - lo - 1);
            if (!tested[kk]) {
                fprintf(f, "<td class=\"ns\">n too small (%zu)</td>", npair[kk]);
                continue;
            }
            /* W+ counts lo - hi > 0, i.e. lo has higher costs: hi is better */
            better = w[kk].statistic < w[kk].statistic_other ? row_first : !row_first;
            if (w[kk].statistic == w[kk].statistic_other) better = -1;
            if (!(p[kk] < ALPHA) || better < 0) {
                fputs("<td class=\"ns\">no clear difference<br><span class=\"sub\">p = ", f);
                put_p(f, p[kk]);
                fputs("</span></td>", f);
            } else {
                fprintf(f, "<td class=\"%s\">%s<br><span class=\"sub\">p = ",
                        better ? "win" : "lose", better ? "better" : "worse");
                put_p(f, p[kk]);
                fputs("</span></td>", f);
            }
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

static int section_pairwise(report *R, sm_error *err)
{
    FILE *f = R->f;
    size_t no = R->n_opt, nt = R->n_tgt, a, b, i, t, np = no * (no - 1) / 2, k = 0;
    sm_rank_test *w = calloc(np ? np : 1, sizeof *w);
    int *tested = calloc(np ? np : 1, sizeof *tested);
    size_t *npair = calloc(np ? np : 1, sizeof *npair), *awin = calloc(np ? np : 1, sizeof *awin),
           *bwin = calloc(np ? np : 1, sizeof *bwin);
    double *p = malloc((np ? np : 1) * sizeof *p), *adj = malloc((np ? np : 1) * sizeof *adj);
    double *x = malloc((nt ? nt : 1) * sizeof *x), *y = malloc((nt ? nt : 1) * sizeof *y);
    double *ux = malloc(R->in->n_runs * sizeof *ux), *uy = malloc(R->in->n_runs * sizeof *uy);
    double *mwu = malloc((np ? np : 1) * sizeof *mwu);
    size_t *grp = malloc((no ? no : 1) * sizeof *grp), n_groups = 0, g;
    int rc = 0;
    if (!w || !tested || !npair || !awin || !bwin || !p || !adj || !x || !y || !ux || !uy || !mwu ||
        !grp) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
        goto out;
    }
    fputs("<h2 id=\"pairwise\">Pairwise tests</h2>\n", f);
    if (no < 2) {
        fputs("<p>Only one optimizer: nothing to compare.</p>\n", f);
        goto out;
    }
    /* pair index k runs over a < b in row order */
    for (a = 0, k = 0; a < no; a++)
        for (b = a + 1; b < no; b++, k++) {
            size_t m = 0, ku = 0, kv = 0;
            for (t = 0; t < nt; t++) {
                double va = R->med[a * nt + t], vb = R->med[b * nt + t];
                if (isnan(va) || isnan(vb)) continue;
                x[m] = va;
                y[m] = vb;
                if (va < vb) awin[k]++;
                else if (vb < va) bwin[k]++;
                m++;
            }
            npair[k] = m;
            p[k] = NAN;
            if (m >= PAIR_MIN) {
                int r = sm_wilcoxon_signed_rank_ex(x, y, m, SM_TEST_AUTO, &w[k]);
                if (r == SM_ERR_NOMEM) {
                    rc = sm_error_set(err, r, "report: out of memory");
                    goto out;
                }
                if (r == 0) {
                    tested[k] = 1;
                    p[k] = w[k].p;
                }
            }
            for (i = 0; i < R->in->n_runs; i++) {
                if (R->ro[i] == a) ux[ku++] = R->in->runs[i].final_cost;
                else if (R->ro[i] == b) uy[kv++] = R->in->runs[i].final_cost;
            }
            {
                sm_rank_test u;
                int r = sm_mann_whitney_u_ex(ux, ku, uy, kv, SM_TEST_AUTO, &u);
                if (r == SM_ERR_NOMEM) {
                    rc = sm_error_set(err, r, "report: out of memory");
                    goto out;
                }
                mwu[k] = r == 0 ? u.p : NAN;
            }
        }
    if (sm_holm_adjust(p, np, adj) != 0) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
        goto out;
    }
    /* Optimizers that share targets form groups (one for an ordinary experiment; one per
     * variant when variants search different target sets): only pairs within a group are
     * compared, each group in its own matrix. grp[a] is the group's first optimizer. */
    for (a = 0; a < no; a++) grp[a] = a;
    for (a = 0, k = 0; a < no; a++)
        for (b = a + 1; b < no; b++, k++) {
            size_t ra = a, rb = b;
            if (npair[k] == 0) continue;
            while (grp[ra] != ra) ra = grp[ra];
            while (grp[rb] != rb) rb = grp[rb];
            if (ra < rb) grp[rb] = ra;
            else if (rb < ra) grp[ra] = rb;
        }
    for (a = 0; a < no; a++) {
        while (grp[grp[a]] != grp[a]) grp[a] = grp[grp[a]];
        n_groups += grp[a] == a;
    }
    for (g = 0; g < no; g++) {
        size_t members = 0;
        if (grp[g] != g) continue;
        for (a = 0; a < no; a++) members += grp[a] == g;
        if (members < 2) continue;
        if (n_groups > 1) {
            int first = 1;
            fputs("<h3>Optimizers on the same targets: ", f);
            for (a = 0; a < no; a++)
                if (grp[a] == g) {
                    if (!first) fputs(", ", f);
                    esc(f, R->opt[a]);
                    first = 0;
                }
            fputs("</h3>\n", f);
        }
        section_pairwise_matrix(R, g, grp, w, tested, npair, p);
    }
    if (n_groups > 1)
        fputs("<p class=\"cap\">Optimizers that ran on different targets (different variants "
              "of the experiment) share no target to pair by, so each matrix compares only those "
              "that ran on the same targets.</p>\n", f);
    fprintf(f, "<p class=\"cap\">"
               "Wilcoxon signed-rank test, two-sided, pairing the optimizers "
               "by target on the median final cost over seeds. A cell says whether the row's "
               "optimizer has lower costs than the column's at p &lt; %.2f (uncorrected; see "
               "the Holm-adjusted p below). Fewer than %d paired targets: n too small. Zero "
               "differences are dropped; p is exact (permutation distribution of the midranks) "
               "up to %d non-zero differences, else from the normal approximation with tie and "
               "continuity corrections.</p>\n",
            ALPHA, PAIR_MIN, SM_STATS_EXACT_MAX_N);
    /* the details */
    fputs("<table>\n<thead><tr><th>A</th><th>B</th><th class=\"num\">Targets paired</th>"
          "<th class=\"num\">A lower / B lower / equal</th><th class=\"num\">W+ / W&minus;</th>"
          "<th>Method</th><th class=\"num\">p</th><th class=\"num\">Holm p</th>"
          "<th>Verdict</th><th class=\"num\">Mann-Whitney p<br><span class=\"sub\">all runs, "
          "unpaired</span></th></tr></thead>\n<tbody>\n", f);
    for (a = 0, k = 0; a < no; a++)
        for (b = a + 1; b < no; b++, k++) {
            if (grp[a] != grp[b]) continue;
            fputs("<tr><td>", f);
            put_opt(f, R, a);
            fputs("</td><td>", f);
            put_opt(f, R, b);
            fprintf(f, "</td><td class=\"num\">%zu</td><td class=\"num\">%zu / %zu / %zu</td>",
                    npair[k], awin[k], bwin[k], npair[k] - awin[k] - bwin[k]);
            if (!tested[k]) {
                fputs("<td class=\"num\">&mdash;</td><td>&mdash;</td><td class=\"num\">&mdash;"
                      "</td><td class=\"num\">&mdash;</td><td class=\"ns\">n too small</td>", f);
            } else {
                fputs("<td class=\"num\">", f);
                put_num(f, w[k].statistic);
                fputs(" / ", f);
                put_num(f, w[k].statistic_other);
                fprintf(f, "</td><td>%s%s</td><td class=\"num\">", w[k].exact ? "exact" : "normal",
                        w[k].n_zero ? " (zeros dropped)" : "");
                put_p(f, p[k]);
                fputs("</td><td class=\"num\">", f);
                put_p(f, adj[k]);
                fputs("</td><td>", f);
                if (p[k] < ALPHA && w[k].statistic != w[k].statistic_other) {
                    put_opt(f, R, w[k].statistic < w[k].statistic_other ? a : b);
                    fputs(" better", f);
                } else {
                    fputs("<span class=\"ns\">no clear difference</span>", f);
                }
                fputs("</td>", f);
            }
            fputs("<td class=\"num\">", f);
            put_p(f, mwu[k]);
            fputs("</td></tr>\n", f);
        }
    fputs("</tbody>\n</table>\n<p class=\"cap\">"
          "W+ is the rank sum of the targets where A's cost is higher than "
          "B's (W&minus; the reverse), so the optimizer with the smaller rank sum is the better. "
          "Holm p: adjusted for the number of pairs tested. The Mann-Whitney U test compares all "
          "final costs of A and B as independent samples, ignoring targets and seeds.</p>\n", f);
out:
    free(grp);
    free(w);
    free(tested);
    free(npair);
    free(awin);
    free(bwin);
    free(p);
    free(adj);
    free(x);
    free(y);
    free(ux);
    free(uy);
    free(mwu);
    return rc;
}

static void section_targets(report *R)
{
    FILE *f = R->f;
    size_t o, t, nt = R->n_tgt;
    int multi = 0;
    for (o = 0; o < R->n_opt * nt; o++)
        if (R->n_seeds[o] > 1) multi = 1;
    fputs("<h2 id=\"targets\">Results per target</h2>\n<table>\n<thead><tr><th>Target</th>", f);
    for (o = 0; o < R->n_opt; o++) {
        fputs("<th class=\"num\">", f);
        put_opt(f, R, o);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (t = 0; t < nt; t++) {
        double bmin = INFINITY;
        for (o = 0; o < R->n_opt; o++)
            if (R->best[o * nt + t] < bmin) bmin = R->best[o * nt + t];
        fputs("<tr><td>", f);
        if (t < SM_REPORT_MAX_MEDIA_TARGETS) fprintf(f, "<a href=\"#t%zu\">", t);
        esc(f, R->tgt[t]);
        if (t < SM_REPORT_MAX_MEDIA_TARGETS) fputs("</a>", f);
        fputs("</td>", f);
        for (o = 0; o < R->n_opt; o++) {
            double v = R->best[o * nt + t];
            fprintf(f, "<td class=\"num%s\">", v == bmin && R->n_opt > 1 ? " best" : "");
            put_num(f, v);
            if (multi && R->n_seeds[o * nt + t] > 1) {
                fputs(" <span class=\"sub\">(", f);
                put_num(f, R->med[o * nt + t]);
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
static void section_classes(report *R)
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
        put_opt(f, R, o);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (c = 0; c < n_cls; c++) {
        size_t k = 0;
        double row[64], bmin = INFINITY;
        fputs("<tr><td>", f);
        for (t = 0; t < len[c]; t++) {
            char ch[2] = {cls[c][t], 0};
            esc(f, ch);
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
            put_num(f, row[o]);
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

/* ---- audio: spectrograms and players ---- */

static unsigned char *put_le(unsigned char *p, uint32_t v, int bytes)
{
    int i;
    for (i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i) & 255);
    return p + bytes;
}

/* Mono float samples as a 16-bit PCM WAV file in memory (at most max_s seconds). */
static unsigned char *wav16_memory(const sm_audio *a, double max_s, size_t *len)
{
    size_t n = a->n, i, bytes;
    unsigned char *b, *p;
    uint32_t rate = (uint32_t)lround(a->sample_rate);
    if ((double)n > max_s * a->sample_rate) n = (size_t)(max_s * a->sample_rate);
    bytes = 44 + 2 * n;
    b = malloc(bytes);
    if (!b) return NULL;
    memcpy(b, "RIFF", 4);
    p = put_le(b + 4, (uint32_t)(bytes - 8), 4);
    memcpy(p, "WAVEfmt ", 8);
    p = put_le(p + 8, 16, 4);     /* fmt chunk size */
    p = put_le(p, 1, 2);          /* PCM */
    p = put_le(p, 1, 2);          /* mono */
    p = put_le(p, rate, 4);
    p = put_le(p, rate * 2u, 4);  /* bytes per second */
    p = put_le(p, 2, 2);          /* block align */
    p = put_le(p, 16, 2);         /* bits per sample */
    memcpy(p, "data", 4);
    p = put_le(p + 4, (uint32_t)(2 * n), 4);
    for (i = 0; i < n; i++) {
        double v = a->data[i];
        if (!(v == v)) v = 0;
        if (v > 1) v = 1;
        if (v < -1) v = -1;
        p = put_le(p, (uint32_t)(uint16_t)(int16_t)lround(v * 32767.0), 2);
    }
    *len = bytes;
    return b;
}

static int put_audio(FILE *f, const sm_audio *a, const char *caption)
{
    size_t len;
    unsigned char *wav = wav16_memory(a, SM_REPORT_MAX_AUDIO_S, &len);
    char *b;
    if (!wav) return SM_ERR_NOMEM;
    b = sm_base64_encode(wav, len, NULL);
    free(wav);
    if (!b) return SM_ERR_NOMEM;
    fputs("<figure><figcaption>", f);
    esc(f, caption);
    if ((double)a->n > SM_REPORT_MAX_AUDIO_S * a->sample_rate)
        fprintf(f, " (first %.0f s)", SM_REPORT_MAX_AUDIO_S);
    fputs("</figcaption><audio controls preload=\"metadata\" src=\"data:audio/wav;base64,", f);
    fputs(b, f);
    fputs("\"></audio></figure>\n", f);
    free(b);
    return 0;
}

/* Log-magnitude STFT (Hann, SPEC_NFFT / SPEC_HOP) of the first max_s seconds of a, as a
 * column-major n_cols x (SPEC_NFFT/2+1) grid of magnitudes (linear, not yet in dB). */
static float *stft_magnitude(const sm_audio *a, double max_s, size_t *n_cols)
{
    size_t n = a->n, cols, c, i, rows = SPEC_NFFT / 2 + 1;
    double *in = fftw_malloc(SPEC_NFFT * sizeof *in), win[SPEC_NFFT];
    fftw_complex *out = fftw_malloc(rows * sizeof *out);
    fftw_plan plan = NULL;
    float *mag = NULL;
    if ((double)n > max_s * a->sample_rate) n = (size_t)(max_s * a->sample_rate);
    /* whole frames only (a zero-padded last frame would draw a broadband edge) */
    cols = n <= SPEC_NFFT ? 1 : 1 + (n - SPEC_NFFT) / SPEC_HOP;
    if (!in || !out) goto out;
    plan = fftw_plan_dft_r2c_1d(SPEC_NFFT, in, out, FFTW_ESTIMATE);
    mag = malloc(cols * rows * sizeof *mag);
    if (!plan || !mag) {
        free(mag);
        mag = NULL;
        goto out;
    }
    for (i = 0; i < SPEC_NFFT; i++) win[i] = 0.5 - 0.5 * cos(2 * M_PI * (double)i / SPEC_NFFT);
    for (c = 0; c < cols; c++) {
        size_t start = c * SPEC_HOP;
        for (i = 0; i < SPEC_NFFT; i++)
            in[i] = start + i < n ? win[i] * a->data[start + i] : 0.0;
        fftw_execute(plan);
        for (i = 0; i < rows; i++)
            mag[c * rows + i] = (float)hypot(out[i][0], out[i][1]);
    }
    *n_cols = cols;
out:
    if (plan) fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(out);
    return mag;
}

/* The spectrograms of target and match side by side, in dB relative to the target's peak. */
static int spectrogram_png(const sm_audio *ta, const sm_audio *ma, const char *match_title,
                           unsigned char **png, size_t *len, sm_error *err)
{
    size_t rows = SPEC_NFFT / 2 + 1, nc[2], i, p;
    const sm_audio *au[2] = {ta, ma};
    float *m[2] = {NULL, NULL};
    double ref = 0, fmax;
    sm_heatmap_panel pn[2];
    sm_heatmap_plot hp;
    int rc;
    for (p = 0; p < 2; p++) {
        m[p] = stft_magnitude(au[p], SM_REPORT_MAX_AUDIO_S, &nc[p]);
        if (!m[p]) {
            free(m[0]);
            return sm_error_set(err, SM_ERR_NOMEM, "spectrogram: out of memory");
        }
    }
    for (p = 0; p < 2 && ref <= 0; p++) /* the target's peak; the match's if the target is silent */
        for (i = 0; i < nc[p] * rows; i++)
            if (m[p][i] > ref) ref = m[p][i];
    if (!(ref > 0)) ref = 1;
    for (p = 0; p < 2; p++)
        for (i = 0; i < nc[p] * rows; i++)
            m[p][i] = (float)(20.0 * log10(m[p][i] / ref + 1e-12));
    fmax = SPEC_FMAX_HZ;
    for (p = 0; p < 2; p++)
        if (au[p]->sample_rate / 2 < fmax) fmax = au[p]->sample_rate / 2;
    for (p = 0; p < 2; p++) {
        double dur = (double)(nc[p] > 1 ? (nc[p] - 1) * SPEC_HOP + SPEC_NFFT : SPEC_NFFT) /
                     au[p]->sample_rate;
        pn[p].title = p == 0 ? "Target" : match_title;
        pn[p].n_cols = nc[p];
        pn[p].n_rows = rows;
        pn[p].v = m[p];
        pn[p].x0 = 0;
        pn[p].x1 = dur;
        pn[p].y0 = 0;
        pn[p].y1 = au[p]->sample_rate / 2;
    }
    memset(&hp, 0, sizeof hp);
    hp.panel_width = 420;
    hp.height = 320;
    hp.x_label = "time (s)";
    hp.y_label = "frequency (Hz)";
    hp.value_label = "dB re target peak";
    hp.vmin = -SPEC_DB_RANGE;
    hp.vmax = 0;
    hp.y_min = SPEC_FMIN_HZ;
    hp.y_max = fmax;
    hp.log_y = 1;
    hp.n_panels = 2;
    hp.panels = pn;
    rc = sm_plot_heatmap_png(&hp, png, len, err);
    free(m[0]);
    free(m[1]);
    return rc;
}

/* The run with the lowest final cost on target t (SIZE_MAX if none has a number). */
static size_t best_run_of(const report *R, size_t t)
{
    size_t i, best = SIZE_MAX;
    for (i = 0; i < R->in->n_runs; i++) {
        double c = R->in->runs[i].final_cost;
        if (R->rt[i] != t || isnan(c)) continue;
        if (best == SIZE_MAX || c < R->in->runs[best].final_cost) best = i;
    }
    return best;
}

/* Every run of target t with the measures no optimizer minimises: log-mel distance and
 * loudness difference of its best.wav to the target (../shared/MEASURES.md), beside its
 * cost. Nothing when the runs carry no measures. */
static void measures_table(const report *R, size_t t)
{
    FILE *f = R->f;
    size_t i;
    int any = 0;
    for (i = 0; i < R->in->n_runs; i++)
        if (R->rt[i] == t && R->in->runs[i].has_measures) any = 1;
    if (!any) return;
    fputs("<table>\n<thead><tr><th>Optimizer</th><th class=\"num\">Seed</th>"
          "<th class=\"num\">Cost</th><th class=\"num\">Log-mel distance (dB)</th>"
          "<th class=\"num\">Loudness difference (dB)</th></tr></thead>\n<tbody>\n", f);
    for (i = 0; i < R->in->n_runs; i++) {
        const sm_run_result *r = &R->in->runs[i];
        if (R->rt[i] != t || !r->has_measures) continue;
        fputs("<tr><td>", f);
        put_opt(f, R, R->ro[i]);
        fprintf(f, "</td><td class=\"num\">%llu</td><td class=\"num\">", r->seed);
        put_num(f, r->final_cost);
        fputs("</td><td class=\"num\">", f);
        if (isfinite(r->logmel_db)) fprintf(f, "%.2f", r->logmel_db);
        else fputs("&ndash;", f);
        fputs("</td><td class=\"num\">", f);
        if (isfinite(r->loudness_db)) fprintf(f, "%+.1f", r->loudness_db);
        else fputs("silent", f);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n<p class=\"cap\">Judged by the measures of "
          "MEASURES.md, which the search does not minimise (the matching cost holds log-mel "
          "distances at other resolutions: features/README.md): the log-mel distance (FFT "
          "2048, 64 mel bands, each sound at its own RMS; two "
          "different DX7 voices are about 18 dB apart, one voice in two faithful engines "
          "under 1 dB) and the loudness difference (within 3 dB is loud enough).</p>\n", f);
}

static int target_section(report *R, size_t t, sm_error *err)
{
    FILE *f = R->f;
    size_t bi = best_run_of(R, t);
    const sm_run_result *br = bi == SIZE_MAX ? NULL : &R->in->runs[bi];
    sm_audio ta = {NULL, 0, 0}, ma = {NULL, 0, 0};
    sm_error aerr = {0, ""};
    unsigned char *png = NULL;
    size_t len = 0;
    int rc = 0, have_t = 0, have_m = 0;
    char title[256];
    fprintf(f, "<section class=\"target\" id=\"t%zu\">\n<h3>", t);
    esc(f, R->tgt[t]);
    fputs("</h3>\n", f);
    if (!br) {
        fputs("<p>No run of this target has a final cost.</p>\n</section>\n", f);
        return 0;
    }
    fputs("<p>Best match: ", f);
    put_opt(f, R, R->ro[bi]);
    fprintf(f, ", seed %llu, cost ", br->seed);
    put_num(f, br->final_cost);
    fprintf(f, " after %zu evaluations", br->evals);
    if (isfinite(br->param_error)) {
        fputs(", parameter error ", f);
        put_num(f, br->param_error);
    }
    fputs(".", f);
    if (br->patch_path) {
        fputs(" Patch: ", f);
        put_path_link(f, R, br->patch_path);
    }
    fputs("</p>\n", f);
    if (br->target_notes && br->target_notes[0]) {
        fputs("<p class=\"sub\">Target: ", f);
        esc(f, br->target_notes);
        fputs(".</p>\n", f);
    }
    measures_table(R, t);
    /* the target's own convergence plot */
    {
        sm_error perr = {0, ""};
        int r = convergence_png(R, t, 860, 300, NULL, &png, &len, &perr);
        rc = put_plot_or_note(f, r, png, len, "convergence on this target", &perr, err);
        png = NULL;
        if (rc) goto out;
    }
    if (br->target_wav && sm_audio_read(br->target_wav, 0, &ta, NULL, &aerr) == 0) have_t = 1;
    else {
        fputs("<p class=\"note\">Target audio unavailable: ", f);
        esc(f, br->target_wav ? sm_error_text(&aerr) : "no file given");
        fputs("</p>\n", f);
    }
    sm_error_clear(&aerr);
    if (br->best_wav && sm_audio_read(br->best_wav, 0, &ma, NULL, &aerr) == 0) have_m = 1;
    else {
        fputs("<p class=\"note\">Match audio unavailable: ", f);
        esc(f, br->best_wav ? sm_error_text(&aerr) : "no file given");
        fputs("</p>\n", f);
    }
    snprintf(title, sizeof title, "Best match (%s, seed %llu)", br->optimizer, br->seed);
    if (have_t && have_m) {
        sm_error perr = {0, ""};
        int r = spectrogram_png(&ta, &ma, title, &png, &len, &perr);
        rc = put_plot_or_note(f, r, png, len, "spectrograms of the target and the best match",
                              &perr, err);
        png = NULL;
        if (rc) goto out;
    }
    fputs("<div class=\"players\">\n", f);
    if (have_t && put_audio(f, &ta, "Target") != 0) goto nomem;
    if (have_m && put_audio(f, &ma, title) != 0) goto nomem;
    fputs("</div>\n</section>\n", f);
    goto out;
nomem:
    rc = sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
out:
    sm_audio_free(&ta);
    sm_audio_free(&ma);
    return rc;
}

static int section_media(report *R, sm_error *err)
{
    FILE *f = R->f;
    size_t t, shown = R->n_tgt;
    if (shown > SM_REPORT_MAX_MEDIA_TARGETS) shown = SM_REPORT_MAX_MEDIA_TARGETS;
    fprintf(f, "<h2 id=\"media\">Spectrograms and audio</h2>\n<p class=\"sub\">For each "
               "target: the convergence of each optimizer on it (median over seeds, quartile "
               "band), and the best run over all optimizers and seeds, named, with its "
               "spectrogram beside the target's and both as audio. Spectrograms: magnitude of a "
               "short-time Fourier transform (Hann window of %d samples, hop %d) in dB relative "
               "to the target's peak, over %.0f dB, on a logarithmic frequency axis from %.0f Hz "
               "to %.0f&nbsp;kHz (or the Nyquist frequency). Audio: 16-bit mono WAV, at most "
               "%.0f s.</p>\n",
            SPEC_NFFT, SPEC_HOP, SPEC_DB_RANGE, SPEC_FMIN_HZ, SPEC_FMAX_HZ / 1000,
            SM_REPORT_MAX_AUDIO_S);
    if (R->n_tgt > SM_REPORT_MAX_MEDIA_TARGETS)
        fprintf(f, "<p class=\"note\">There are %zu targets: to keep this page small, only the "
                   "first %d have spectrograms and audio players. The table above lists them "
                   "all.</p>\n", R->n_tgt, SM_REPORT_MAX_MEDIA_TARGETS);
    for (t = 0; t < shown; t++) {
        int rc = target_section(R, t, err);
        if (rc) return rc;
    }
    return 0;
}

static void section_experiment_file(report *R)
{
    FILE *f = R->f;
    unsigned char *text = NULL;
    size_t n = 0;
    sm_error e = {0, ""};
    if (!R->in->experiment_file) return;
    fputs("<h2 id=\"experiment\">Experiment file</h2>\n<details><summary>", f);
    esc(f, R->in->experiment_file);
    fputs("</summary>\n", f);
    if (sm_read_file(R->in->experiment_file, INI_MAX_BYTES, &text, &n, &e) == 0) {
        fputs("<pre>", f);
        esc(f, (const char *)text);
        fputs("</pre>\n", f);
        free(text);
    } else {
        fputs("<p class=\"note\">Cannot show it: ", f);
        esc(f, sm_error_text(&e));
        fputs("</p>\n", f);
    }
    fputs("</details>\n", f);
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
    rc = sm_mkdir_p(dir, err);
    if (rc) return rc;
    path = sm_path_join(dir, "index.html");
    if (!path) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    R.dir_abs = realpath(dir, NULL);
    rc = report_prepare(&R, err);
    if (rc) goto fail;
    rc = sm_outfile_open(&of, path, err);
    if (rc) goto fail;
    R.f = of.f;
    section_header(&R);
    if ((rc = section_summary(&R, err)) != 0) goto fail;
    if ((rc = section_reach(&R, err)) != 0) goto fail;
    if ((rc = section_params(&R, err)) != 0) goto fail;
    if ((rc = section_convergence(&R, err)) != 0) goto fail;
    if ((rc = section_pairwise(&R, err)) != 0) goto fail;
    section_targets(&R);
    section_classes(&R);
    if ((rc = section_media(&R, err)) != 0) goto fail;
    section_experiment_file(&R);
    fputs("<footer>Made by soundmatch. This page is self-contained: plots and audio are embedded "
          "in it.</footer>\n</body>\n</html>\n", R.f);
    R.f = NULL;
    rc = sm_outfile_commit(&of, err);
    report_free(&R);
    free(path);
    return rc;
fail:
    sm_outfile_abort(&of);
    report_free(&R);
    free(path);
    return rc;
}
