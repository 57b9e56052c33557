/* experiments/runner.h: running an experiment: every (target, optimizer, seed), with
 * checkpoints, outputs and the report.
 *
 * Layout of the output folder DIR:
 *   DIR/experiment.ini                 copy of the experiment file (its fingerprint guards resume)
 *   DIR/targets/TARGET.wav             each target as it was scored (rate and length fitted)
 *   DIR/runs/TARGET/OPT/seedN/         trace.csv, best.wav, best patch, result.txt
 *   DIR/results.csv                    one row per run
 *   DIR/index.html                     the report
 * A run's result.txt is written last, all-or-nothing: it is the checkpoint. An interrupted
 * experiment resumes at the first run without one, and finished runs are not repeated. */
#ifndef SM_RUNNER_H
#define SM_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "experiments/experiment.h"

typedef struct {
    size_t run, n_runs;           /* this run's number (1-based) and the total */
    const char *target, *optimizer;
    uint64_t seed;
    size_t evals, budget;         /* progress within the run */
    double best;                  /* best cost so far */
    int skipped;                  /* 1: the run was finished earlier (checkpoint) */
} sm_progress;

typedef struct {
    const char *out_dir;          /* NULL: the experiment's [report] dir */
    int threads;                  /* > 0 overrides [run] threads */
    int fresh;                    /* 1: ignore and replace earlier results in out_dir */
    int no_report;                /* 1: skip index.html */
    void (*progress)(void *ctx, const sm_progress *p);  /* may be NULL */
    void *progress_ctx;
    volatile sig_atomic_t *stop;  /* nonzero: stop after the current batch (may be NULL) */
    size_t max_runs;              /* > 0: stop after this many new runs (for tests) */
    /* Optional: a sentence about something the run changed or could not do, e.g. a target
     * trimmed or padded ("target NAME: ..."); the CLI prints it. May be NULL. */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
    int all_notes;                /* 1: also hand warn the notes that are no warning (the
                                     note found, the closest preset, the gate chosen) */
    /* Optional: progress of long preparation (the preset index), e.g. for a terminal line:
     * `what` names the step, done of total. May be NULL. */
    void (*prep_progress)(void *ctx, const char *what, size_t done, size_t total);
} sm_run_options;

/* Runs e. Returns 0, SM_ERR_INTERRUPTED (stopped; finished runs are kept), or another sm_err
 * with err naming what failed (a silent target, an unwritable folder, ...). */
int sm_experiment_run(const sm_experiment *e, const sm_run_options *opt, sm_error *err);

#endif
