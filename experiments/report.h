/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report.h: the HTML report that compares optimizers on one experiment, and the
 * page of one match.
 *
 * sm_report_write turns the results of every (target, optimizer, seed) run into a report
 * folder readable offline: DIR/index.html, with the summary plots embedded as PNG data URIs,
 * and DIR/media/ with each target's audio (16-bit WAV), spectrograms (PNG) and best patches.
 * Every link is relative to DIR and nothing is fetched from the network, so the folder works
 * when moved or zipped. The page shows, in the spirit of COCO's and IOHanalyzer's
 * post-processing:
 * - a verdict line written from the statistics (ties, wins with p and A12, or how many
 *   targets would be needed to decide);
 * - per optimizer: median, IQR, mean and standard deviation of the final cost, wall time,
 *   evaluations per second, non-finite renders, the share of inaudible matches, and box plots
 *   of the final costs;
 * - fixed-target views: the expected running time (ERT) to reach a ladder of cost levels with
 *   the number of successful runs, and ECDFs of the (run, level) pairs reached against
 *   evaluations and against seconds, with the baseline's (closest preset's) level marked;
 * - convergence plots (median best-so-far cost with quartile bands);
 * - the Friedman test with average ranks and a critical-difference diagram (Nemenyi), pairwise
 *   Wilcoxon signed-rank tests over targets with Holm's correction, Vargha-Delaney A12, and
 *   Mann-Whitney U over all runs;
 * - per target: each optimizer's best match, with its spectrogram and player beside the
 *   target's, the independent log-mel distance and the loudness difference;
 * - the metadata of the runs (version, commit, CPU, threads, wall times, date, the experiment
 *   file's hash) and the experiment file itself.
 * The statistics are in experiments/stats.h. sm_report_from_dirs makes the report of one or
 * more run folders (the runner calls it on its own output folder). */
#ifndef SM_REPORT_H
#define SM_REPORT_H

#include <stddef.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Targets beyond this many get no spectrograms or audio players (the page says so). */
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
    const double *trace_secs;  /* seconds into the run at each trace point (n_trace of them), or
                                  NULL: not recorded, the evaluations are spread evenly over
                                  wall_s */
} sm_run_result;

/* Metadata of the runs of one run folder (results.json). Strings may be NULL or "" where
 * unknown; numbers NaN or 0. */
typedef struct {
    const char *source;        /* the run folder */
    const char *version;       /* soundmatch version that ran them */
    const char *commit;        /* git commit of that build */
    const char *cpu_model;
    int n_cpus;                /* logical CPUs online */
    int threads;               /* evaluation threads */
    const char *date;          /* when results.csv was written, ISO 8601 UTC */
    double elapsed_s;          /* wall time of the command that wrote it */
    double runs_wall_s;        /* the runs' wall times added up (earlier sessions included) */
    size_t n_runs;
    const char *fingerprint;   /* hash of the experiment file's text, e.g. "fnv1a64:..." */
} sm_report_meta;

/* Everything the report shows. */
typedef struct {
    const char *title;             /* experiment name */
    const char *experiment_file;   /* path of the .ini, whose text is embedded (may be NULL) */
    const char *synth;             /* synth name */
    const char *cost_desc;         /* e.g. "MFCC distance (20 coeffs)" */
    size_t n_runs;
    const sm_run_result *runs;
    const double *cost_levels;     /* cost thresholds for "evaluations to reach" (may be NULL: choose quartiles of final costs) */
    size_t n_levels;
    double inaudible_cost;         /* the "cannot hear the difference" threshold, or NaN if unknown */
    const char *notes_html;        /* optional extra paragraph, may be NULL */
    /* Added for the comparison views (zero them for the defaults): */
    const char *baseline;          /* the optimizer whose level marks the fixed-target views:
                                      the closest preset (a `retrieve` optimizer), or NULL.
                                      With variants, "NAME" also names "NAME @ VARIANT". */
    const char *experiment_text;   /* the experiment file's text to embed and offer as a
                                      download (NULL: read experiment_file) */
    size_t n_meta;                 /* metadata of the runs, one per run folder (may be 0) */
    const sm_report_meta *meta;
    int match_page;                /* 1: the page of one match (soundmatch match): target,
                                      match and closest preset, the patch in words and how to
                                      load it, no experiment-only sections */
} sm_report_input;

/* Writes dir/index.html and dir/media/ (creating dir and its parents) all-or-nothing: on
 * failure neither is replaced (older ones stay as they were). Audio and patch files that
 * cannot be read do not fail the report; the page says which and why. Optional strings may
 * be NULL. Returns 0, SM_ERR_ARG (NULL dir or input, no runs, a run without target or
 * optimizer name), SM_ERR_IO (the folder or a file cannot be made or written) or
 * SM_ERR_NOMEM; err says which. */
int sm_report_write(const char *dir, const sm_report_input *in, sm_error *err);

typedef struct {
    int force;        /* 1: merge folders whose experiment fingerprints differ */
    int match_page;   /* 1: the page of one match (see sm_report_input.match_page) */
} sm_report_options;

/* The report of the run folders dirs[0..n_dirs) (outputs of soundmatch run: results.csv,
 * results.json, fingerprint.txt, experiment.ini, targets/ and runs/), merged, written into
 * out_dir by sm_report_write. Runs are ordered as one run of the experiment would order them
 * (targets, optimizers and seeds in the experiment's order), so the report of two halves of an
 * experiment is the report of the whole, its metadata aside. A folder without results.csv
 * (its run still going, or stopped) gives the runs finished so far, from their checkpoints,
 * and the page says so. When out_dir is not dirs[0]
 * alone, out_dir also receives the merged results.csv and results.json, the experiment file
 * and fingerprint, and the runs' and targets' files (hard links where possible), so it is a
 * run folder itself. opt may be NULL. Returns 0, SM_ERR_ARG (no folder, out_dir among several
 * merged folders), SM_ERR_IO or SM_ERR_FORMAT (a folder with neither results.csv nor a
 * finished run, a malformed file: err names it), SM_ERR_CONFIG (fingerprints differ without
 * force, one run appears in two folders, or out_dir holds another experiment's results: err
 * names the folders) or SM_ERR_NOMEM. */
int sm_report_from_dirs(const char *const *dirs, size_t n_dirs, const char *out_dir,
                        const sm_report_options *opt, sm_error *err);

/* Base64 (RFC 4648, standard alphabet, with '=' padding) of data[0..n) as a new
 * NUL-terminated string the caller frees; *out_len (may be NULL) receives its length.
 * NULL on out of memory. n == 0 gives "". */
char *sm_base64_encode(const void *data, size_t n, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif
