/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_internal.h: what the files of the report share (not installed).
 *
 * The report is written by several files, one per seam:
 *   report.c         the entry points, the working state, the page's head, metadata and foot;
 *   report_html.c    HTML output helpers and base64;
 *   report_tables.c  the tables and distribution plots of final costs;
 *   report_fixed.c   the fixed-target views (ERT, ECDFs) and the convergence plots;
 *   report_time.c    the comparison at equal wall time;
 *   report_stats.c   the statistics (Friedman, critical differences, pairwise tests);
 *   report_verdict.c the verdict written from them;
 *   report_media.c   per-target audio, spectrograms and patches, written into DIR/media/;
 *   report_match.c   the page of one match;
 *   report_load.c    reading run folders (sm_report_from_dirs), report_merge.c the run folder
 *                    a merge writes (report_load.h);
 *   results_meta.c   results.json: the metadata of a run folder, written;
 *   results_read.c   the readers of results.csv and results.json.
 * All of them write into one open stream, top to bottom; nothing here keeps global state. */
#ifndef SM_REPORT_INTERNAL_H
#define SM_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "core/audio.h"
#include "core/error.h"
#include "experiments/report.h"
#include "experiments/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SM_REPORT_ALPHA 0.05
#define SM_REPORT_PAIR_MIN 5     /* fewer paired targets: the pairwise test is not run */
#define SM_REPORT_POWER 0.8      /* power assumed by the "targets needed" estimates */

/* The report's working state: indexes built once from the input. */
typedef struct {
    const sm_report_input *in;
    FILE *f;
    size_t n_opt, n_tgt;
    const char **opt, **tgt;       /* distinct names, in order of first appearance */
    size_t *ro, *rt;               /* per run: its optimizer and target index */
    double *med;                   /* n_opt x n_tgt: median final cost over seeds (NaN: none) */
    double *best;                  /* n_opt x n_tgt: best final cost over seeds */
    size_t *n_seeds;               /* n_opt x n_tgt: runs */
    double *levels;                /* cost levels of the ERT table */
    const char **level_names;
    size_t n_levels;
    int any_threshold;             /* some run has an inaudible threshold */
    int any_truth;                 /* some run has a parameter error */
    size_t baseline;               /* the baseline optimizer's index, or SIZE_MAX */
    size_t *grp;                   /* per optimizer: its group (optimizers on the same
                                      targets; one per variant), the group's first member */
    size_t n_groups;
    const char *dir;               /* the report folder */
    char *media_tmp;               /* the media folder being written (DIR/media.tmp) */
    size_t n_media;                /* files written into it */
} report;

/* ---- report.c ---- */
double sm_report_threshold(const report *R, const sm_run_result *r);
/* The run's trace, or the single point (evals, final_cost) if it has none. */
size_t sm_report_trace(const sm_run_result *r, const size_t **e, const double **c);
/* Evaluations after which the run first had a cost <= level; NaN if it never did. */
double sm_report_evals_to_reach(const sm_run_result *r, double level);
/* Seconds into the run at trace point i (of sm_report_trace): recorded, or the evaluations
 * spread evenly over wall_s; NaN if neither is known. */
double sm_report_trace_secs(const sm_run_result *r, size_t i);
/* Seconds after which the run first had a cost <= level; NaN if it never did. */
double sm_report_secs_to_reach(const sm_run_result *r, double level);
/* The run's best cost s seconds in: its final cost from wall_s on, +infinity before its first
 * point. */
double sm_report_cost_at_secs(const sm_run_result *r, double s);
/* 1 if optimizer o is the input's baseline (its name or its name before " @ "). */
int sm_report_is_baseline(const report *R, size_t o);
/* Writes the experiment file's text section (and its download). */
void sm_report_section_experiment_file(report *R);
/* Writes the metadata table of the runs (between markers a comparison can strip). */
void sm_report_section_meta(report *R);
/* <head>, CSS and the <h1>. */
void sm_report_page_head(report *R, const char *title);
void sm_report_page_foot(report *R);

/* ---- report_html.c ---- */
void sm_html_esc(FILE *f, const char *s);
void sm_html_url(FILE *f, const char *s);
void sm_html_num(FILE *f, double v);             /* 4 significant digits, dash for NaN */
void sm_html_p(FILE *f, double p);               /* a p-value */
void sm_html_duration(FILE *f, double s);
void sm_html_opt(FILE *f, const report *R, size_t o); /* colour swatch and name */
/* Embeds PNG bytes as an <img>. Returns 0 or SM_ERR_NOMEM. */
int sm_html_png(FILE *f, const unsigned char *png, size_t n, const char *alt);
/* Embeds a plot (freeing png), or says why there is none. Only running out of memory is an
 * error (err set). */
int sm_html_plot_or_note(FILE *f, int rc, unsigned char *png, size_t len, const char *alt,
                         const sm_error *perr, sm_error *err);
/* An <audio> player of WAV bytes embedded as a data URI. Returns 0 or SM_ERR_NOMEM. */
int sm_html_audio(FILE *f, const unsigned char *wav, size_t n);
/* A link that downloads bytes embedded as a data URI under the file name `name`. */
int sm_html_download(FILE *f, const void *data, size_t n, const char *mime, const char *name,
                     const char *text);

/* ---- report_tables.c ---- */
int sm_report_section_summary(report *R, sm_error *err);
int sm_report_section_distribution(report *R, sm_error *err);
int sm_report_section_params(report *R, sm_error *err);
void sm_report_section_targets(report *R);
void sm_report_section_classes(report *R);

/* ---- report_fixed.c ---- */
int sm_report_section_fixed_target(report *R, sm_error *err);
int sm_report_section_convergence(report *R, sm_error *err);
/* ---- report_time.c ---- */
/* The "At equal wall time" section: each optimizer against each other at the seconds of its
 * own runs (same target and seed). Returns 0 or SM_ERR_NOMEM. */
int sm_report_section_equal_time(report *R, sm_error *err);
/* The convergence of the runs of target `only` (SIZE_MAX: all runs) as a PNG. */
int sm_report_convergence_png(const report *R, size_t only, int w, int h, const char *title,
                              unsigned char **png, size_t *png_len, sm_error *err);

/* ---- report_stats.c: the comparisons, computed once for the verdict and the statistics
 * section ---- */
typedef struct {
    size_t a, b;             /* optimizers, a < b, of the same group */
    size_t n_pair;           /* targets where both have a result */
    size_t a_lower, b_lower; /* targets where a's (b's) median final cost is lower */
    int tested;              /* the Wilcoxon test ran (n_pair >= SM_REPORT_PAIR_MIN) */
    sm_rank_test w;
    double p, holm;          /* the Wilcoxon p and its Holm adjustment (NaN: not tested) */
    double a12_targets;      /* mean over paired targets of P(a's run lower than b's) */
    double a12_runs;         /* the same over all runs, ignoring targets */
    double mw_p;             /* Mann-Whitney U over all runs */
    double walsh;            /* share of Walsh averages of (a - b) below 0 (a lower) */
    size_t need_targets;     /* paired targets for the observed effect (0: no effect) */
    int by_ranks;            /* decided by Friedman + Nemenyi (a group of 3 or more) */
    int friedman_sig;        /* that group's Friedman test found a difference */
    double rank_a, rank_b;   /* average ranks in the group (NaN without a Friedman test) */
    double nemenyi_p;        /* Nemenyi's p of the pair (NaN: not by ranks) */
    size_t need_blocks;      /* targets Nemenyi's test needs for this rank difference */
    size_t need_runs;        /* runs of each for the observed all-runs effect */
    size_t n_shared_targets; /* targets the pair's runs cover (for seeds per target) */
} pair_stats;

typedef struct {
    size_t k;                /* members */
    size_t *member;          /* optimizer indexes, best average rank first once ranked */
    int has_friedman;
    sm_friedman_result fr;
    double *avg_rank;        /* per member (same order as member) */
    double cd;               /* Nemenyi's critical difference at SM_REPORT_ALPHA */
} group_stats;

typedef struct sm_report_stats {
    size_t n_pairs, n_tested;
    pair_stats *pair;
    size_t n_groups;
    group_stats *group;
} sm_report_stats;

int sm_report_stats_compute(const report *R, sm_report_stats **out, sm_error *err);
void sm_report_stats_free(sm_report_stats *s);
/* The pair of optimizers a and b (either order), or NULL. */
const pair_stats *sm_report_find_pair(const sm_report_stats *s, size_t a, size_t b);
/* The pair's A12 from `from`'s side: the chance that its run ends lower. */
double sm_report_a12_of(const pair_stats *ps, size_t from);
/* The p-value that decides the pair (Nemenyi's among 3+, else Holm's Wilcoxon). */
double sm_report_decision_p(const pair_stats *ps);
/* 1 if w beats l by the deciding test. */
int sm_report_beats(const sm_report_stats *s, size_t w, size_t l);
int sm_report_section_statistics(report *R, const sm_report_stats *s, sm_error *err);

/* ---- report_verdict.c ---- */
/* The one-paragraph verdict at the top of the page. */
void sm_report_section_verdict(report *R, const sm_report_stats *s);

/* ---- report_media.c ---- */
/* The spectrogram of a (its first SM_REPORT_MAX_AUDIO_S seconds) as a one-panel PNG in the
 * report's style: dB relative to ref (ref <= 0: the sound's own peak), log frequency axis.
 * *png is a new buffer the caller frees. Returns 0 or an sm_err code with err set. */
int sm_report_spectrogram_png(const sm_audio *a, double ref, const char *title,
                              unsigned char **png, size_t *len, sm_error *err);
/* The run with the lowest final cost on target t among optimizer o's runs (o == SIZE_MAX:
 * all optimizers); SIZE_MAX if none has a number. */
size_t sm_report_best_run(const report *R, size_t t, size_t o);
/* Prepares DIR/media.tmp; sm_report_media_commit puts it in place of DIR/media. */
int sm_report_media_begin(report *R, sm_error *err);
int sm_report_media_commit(report *R, sm_error *err);
void sm_report_media_abort(report *R);
int sm_report_section_media(report *R, sm_error *err);
/* The cells of one target: the target's spectrogram and player, then those of the runs
 * run[0..n) (each captioned), written as media files and linked. */
int sm_report_media_cells(report *R, size_t t, const size_t *run, size_t n, sm_error *err);
/* The seven sound descriptors of target t and of its matches run[0..n) (report_descr.h).
 * Returns 0 or SM_ERR_NOMEM. */
int sm_report_descriptor_table(report *R, size_t t, const size_t *run, size_t n, sm_error *err);

/* ---- report_match.c ---- */
int sm_report_write_match_page(report *R, sm_error *err);

/* ---- results_read.c: a small JSON reader for results.json ---- */
typedef enum { SM_JSON_NULL, SM_JSON_BOOL, SM_JSON_NUMBER, SM_JSON_STRING, SM_JSON_ARRAY,
               SM_JSON_OBJECT } sm_json_type;
typedef struct sm_json sm_json;
struct sm_json {
    sm_json_type type;
    double number;         /* NUMBER, BOOL (0 or 1) */
    char *string;          /* STRING */
    size_t n;              /* ARRAY and OBJECT: entries */
    sm_json *item;         /* ARRAY and OBJECT: the values */
    char **key;            /* OBJECT: the keys */
};
/* Parses text (NUL-terminated) into a new tree; NULL with err naming `name` and the byte. */
sm_json *sm_json_parse(const char *text, const char *name, sm_error *err);
void sm_json_free(sm_json *j);
/* Member `key` of an object (NULL if j is no object or has none). */
const sm_json *sm_json_get(const sm_json *j, const char *key);
/* The string of j, or NULL if j is no string. */
const char *sm_json_str(const sm_json *j);
/* The number of j, or NaN if j is no number. */
double sm_json_num(const sm_json *j);
/* Writes s as a JSON string literal (NULL as null). */
void sm_json_put_string(FILE *f, const char *s);

/* ---- results_read.c: results.csv, read as a table of strings ---- */
typedef struct {
    char *text;            /* the file (owned; fields point into it) */
    char *header;          /* the header line (owned) */
    size_t n_cols, n_rows;
    char **col;            /* column names */
    char ***cell;          /* n_rows x n_cols fields ("" where a row is short) */
    char **line;           /* each row as it was written (owned) */
} sm_csv;
/* Reads a CSV file whose fields hold no commas. Returns 0, SM_ERR_IO, SM_ERR_FORMAT (no
 * header) or SM_ERR_NOMEM, err naming path. */
int sm_csv_read(const char *path, sm_csv *c, sm_error *err);
/* The same from text (a malloc'ed string, which c takes over even on failure). */
int sm_csv_parse(char *text, const char *path, sm_csv *c, sm_error *err);
void sm_csv_free(sm_csv *c);
/* The index of column `name`, or -1. */
int sm_csv_col(const sm_csv *c, const char *name);

#ifdef __cplusplus
}
#endif

#endif
