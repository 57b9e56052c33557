/* experiments/report.h: the HTML report that compares optimizers on one experiment.
 *
 * sm_report_write turns the results of every (target, optimizer, seed) run into DIR/index.html,
 * a single self-contained page readable offline: plots are PNGs (drawn with cairo, see
 * experiments/plot.h) and audio is 16-bit WAV, both embedded as base64 data URIs; the CSS is
 * inline and nothing is fetched from the network. The page shows
 * - per optimizer: median and IQR of the final cost, evaluations to reach cost levels, wall
 *   time, evaluations per second, non-finite renders and the share of inaudible matches;
 * - the parameter error against the known truth (synthetic targets only);
 * - convergence plots (median best-so-far cost with quartile bands, per optimizer);
 * - pairwise Wilcoxon signed-rank tests over targets (and Mann-Whitney U over all runs);
 * - per target: the best cost of each optimizer, a spectrogram of the target and of the best
 *   match, and audio players for both.
 * The statistics are in experiments/stats.h. The runner (experiments/runner.c) fills the input. */
#ifndef SM_REPORT_H
#define SM_REPORT_H

#include <stddef.h>
#include "core/error.h"

/* Targets beyond this many get no spectrogram or audio players (the page says so). */
#define SM_REPORT_MAX_MEDIA_TARGETS 40
/* Embedded audio is cut to this many seconds. */
#define SM_REPORT_MAX_AUDIO_S 30.0

/* One run: one optimizer on one target with one seed. The report only reads it. */
typedef struct {
    const char *target;        /* target name (file stem) */
    const char *optimizer;     /* optimizer section name, e.g. "ga" or "ga-big" */
    unsigned long long seed;
    double final_cost;         /* best cost found */
    size_t evals;              /* evaluations used */
    double wall_s;             /* wall time of the run */
    size_t n_nonfinite;        /* renders that gave NaN/Inf */
    double param_error;        /* mean |x - x_true| over free normalized params; NaN if no truth */
    size_t n_trace;            /* best-so-far trace: after trace_evals[i] evaluations, best cost trace_cost[i] */
    const size_t *trace_evals;
    const double *trace_cost;
    const char *target_wav;    /* path of the target audio (absolute or relative to the cwd) */
    const char *best_wav;      /* path of the best match's audio */
    const char *patch_path;    /* path of the patch file (may be NULL) */
    /* Added after the contract: */
    double inaudible_cost;     /* this target's "cannot hear the difference" threshold; 0 or NaN:
                                  not known, use sm_report_input.inaudible_cost */
    int has_measures;          /* 1: the two fields below hold the judging measures */
    double logmel_db;          /* log-mel distance of best.wav to the target (../shared/MEASURES.md) */
    double loudness_db;        /* 20 log10(RMS(match) / RMS(target)) */
    const char *target_notes;  /* what was done to the target (note found, trimming, the gate
                                  and closest preset chosen), or NULL */
} sm_run_result;

/* Everything the report shows. */
typedef struct {
    const char *title;             /* experiment name */
    const char *experiment_file;   /* path of the .ini, shown and linked */
    const char *synth;             /* synth name */
    const char *cost_desc;         /* e.g. "MFCC distance (20 coeffs)" */
    size_t n_runs;
    const sm_run_result *runs;
    const double *cost_levels;     /* cost thresholds for "evaluations to reach" (may be NULL: choose quartiles of final costs) */
    size_t n_levels;
    double inaudible_cost;         /* the "cannot hear the difference" threshold, or NaN if unknown */
    const char *notes_html;        /* optional extra paragraph, may be NULL */
} sm_report_input;

/* Writes dir/index.html (creating dir and its parents) all-or-nothing: on failure no
 * index.html is left behind (an older one stays as it was). Audio files that cannot be read
 * do not fail the report; the page says which and why. Optional strings may be NULL.
 * Returns 0, SM_ERR_ARG (NULL dir or input, no runs, a run without target or optimizer name),
 * SM_ERR_IO (the folder or file cannot be made or written) or SM_ERR_NOMEM; err says which. */
int sm_report_write(const char *dir, const sm_report_input *in, sm_error *err);

/* Base64 (RFC 4648, standard alphabet, with '=' padding) of data[0..n) as a new
 * NUL-terminated string the caller frees; *out_len (may be NULL) receives its length.
 * NULL on out of memory. n == 0 gives "". */
char *sm_base64_encode(const void *data, size_t n, size_t *out_len);

#endif
