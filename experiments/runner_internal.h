/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/runner_internal.h: what the runner's files share (not installed): a prepared
 * target, a run's record, the checkpoint files (checkpoint.c) and the dataset an optimizer's
 * side data is built from (patch_dataset.c). */
#ifndef SM_RUNNER_INTERNAL_H
#define SM_RUNNER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "experiments/experiment.h"
#include "features/features.h"
#include "synths/synth.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One target, prepared: its audio at the experiment's rate and length, and its features. */
typedef struct {
    float *audio;
    size_t n;
    sm_note note;          /* the experiment's, with this target's note, length and gate */
    sm_cost_target *ct;
    double threshold;      /* cost of the truth detuned by fine +/-1 (NaN if not defined) */
    double *truth_x;       /* free coordinates of the truth, or NULL */
    char *wav_path;
    double f0_hz;          /* pitch found (NaN: unpitched or not analysed) */
    double onset_s;        /* seconds dropped before the onset */
    double file_s;         /* the recording's length in seconds (NaN for rendered targets) */
    float *orig;           /* the recording as read (at the experiment's rate), or NULL */
    size_t n_orig;
    size_t onset;          /* samples dropped before the onset */
    char notes[512];       /* what was done to the target: note found, trimming, padding */
    double *starts;        /* prior: start points (n_starts x free parameters), best first */
    double *start_costs;
    size_t n_starts;
    char start_name[32];   /* the best start's patch name */
} prepared_target;

/* One run's outcome, kept for results.csv and the report. */
typedef struct {
    size_t target, opt;
    uint64_t seed;
    double final_cost, wall_s, param_error;
    size_t evals, n_nonfinite;
    int inaudible;
    double logmel_db;      /* independent measures of best.wav against the target (NaN: none) */
    double loudness_db;
    double wav_gain_db;    /* gain in best.wav beyond what the patch's level reaches */
    size_t n_trace;
    size_t *trace_evals;
    double *trace_cost;
    double *trace_secs;    /* seconds into the run when each trace point was known */
    char *best_wav, *patch_path;
} run_record;

/* A new string from a printf format (a path), or NULL when out of memory. */
char *sm_runner_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1 if something exists at path p. */
int sm_runner_file_exists(const char *p);

/* ---- checkpoint files (checkpoint.c) ---- */

/* A run's best-so-far trace as trace.csv ("evals,best_cost,seconds"), all-or-nothing. */
int sm_ckpt_write_trace(const char *path, const run_record *r, sm_error *err);
/* Reads trace.csv into r's trace, replacing it, with report_load.h's reader (a file of the
 * older two columns gives NaN seconds; a missing file, no point). Returns 0 or SM_ERR_NOMEM. */
int sm_ckpt_read_trace(const char *path, run_record *r);
/* A run's result.txt, the checkpoint that marks it finished, all-or-nothing. */
int sm_ckpt_write_result(const char *path, const sm_experiment *e, const run_record *r,
                         sm_error *err);
/* Reads result.txt into r. Returns 0, SM_ERR_IO, or SM_ERR_FORMAT when a field is missing. */
int sm_ckpt_read_result(const char *path, run_record *r);
/* Refuses a folder holding another experiment's results (unless fresh); records this one's
 * fingerprint and a copy of its file. Returns 0 or an sm_err with err set. */
int sm_ckpt_check_fingerprint(const sm_experiment *e, const char *dir, int fresh, sm_error *err);
/* results.csv: one row per run record, all-or-nothing. */
int sm_ckpt_write_results_csv(const sm_experiment *e, const char *dir, const run_record *recs,
                              size_t n, const prepared_target *pts, sm_error *err);

/* ---- side data: the dataset of rendered patches and the model (patch_dataset.c) ---- */

/* Builds (or loads from the cache) optimizer o's side data (o->type->side, search/optimizer.h)
 * over rendered patches of variant v's free space. Returns the model (free it with
 * sm_runner_side_models_free or o->type->side->free) or NULL with err set. */
void *sm_runner_side_model(const sm_experiment *e, size_t v, const sm_exp_optimizer *o,
                           int threads, sm_error *err);
/* Frees models[oi * e->n_variants + v] for every optimizer oi and variant v, each with its
 * optimizer's side->free (not the array itself). NULL is a no-op. */
void sm_runner_side_models_free(const sm_experiment *e, void **models);
/* The MFCC summary of a prepared target (the side model's query) into summary
 * (2 x n_mfcc). */
int sm_runner_target_summary(const sm_experiment *e, const prepared_target *pt, double *summary,
                             sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
