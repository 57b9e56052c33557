/* SPDX-License-Identifier: GPL-3.0-or-later */
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
#ifdef SM_INTERNAL
#include "core/eval.h"
#endif /* SM_INTERNAL */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t run, n_runs;           /* this run's number (1-based) and the total */
    const char *target, *optimizer;
    uint64_t seed;
    size_t evals, budget;         /* progress within the run */
    double best;                  /* best cost so far */
    int skipped;                  /* 1: the run was finished earlier (checkpoint) */
    size_t n_done;                /* runs finished so far, earlier ones included, wherever
                                     they ran (with a dispatcher runs end out of order) */
} sm_progress;

typedef struct sm_dispatch sm_dispatch;

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
    /* Optional: another way to do the runs (e.g. over the ranks of an MPI job, see
     * experiments/mpi_dispatch.h). NULL: every run here, in order, on this process's threads. */
    const sm_dispatch *dispatch;
} sm_run_options;

/* Runs e. Returns 0, SM_ERR_INTERRUPTED (stopped; finished runs are kept), or another sm_err
 * with err naming what failed (a silent target, an unwritable folder, ...). */
int sm_experiment_run(const sm_experiment *e, const sm_run_options *opt, sm_error *err);

#ifdef SM_INTERNAL
/* ---- Dispatchers: where the runs are done ----------------------------------------------
 * An experiment's runs are numbered 0..n-1 in the order of results.csv: by target, then
 * optimizer, then seed. The runner prepares the experiment, reads the checkpoints of runs
 * finished earlier, and hands the other runs to a dispatcher, which may do them anywhere, in
 * any order: a run is done the same way wherever it is done (same targets, same start points,
 * same seeds), so results do not depend on where. The process that called sm_experiment_run
 * then writes results.csv and the report. */
typedef struct sm_run_set sm_run_set;

struct sm_dispatch {
    /* Optional (NULL: here, in order): does the runs todo[0..n) (none of them finished), each
     * through sm_run_set_do on this process or on another that hands its result to
     * sm_run_set_accept here. Returns 0 when every one is accepted, else an sm_err with err
     * set (runs finished elsewhere stay checkpointed in their folders). */
    int (*run)(void *ctx, sm_run_set *s, const size_t *todo, size_t n, sm_error *err);
    /* Optional (NULL: this process's threads): scores k points (k x d) for target `target`
     * with the key held gate_s seconds into cost[k], as sm_run_set_eval would (it may share
     * them out, and score its own share on `local`, this process's evaluator of that
     * target); adds the count of NaN or infinite scores to *n_bad. */
    int (*eval)(void *ctx, sm_eval *local, size_t target, double gate_s, const double *x,
                size_t k, size_t d, double *cost, uint64_t *n_bad, sm_error *err);
    /* Optional: called between the batches of a run done here; nonzero stops that run
     * (SM_ERR_INTERRUPTED). */
    int (*poll)(void *ctx);
    void *ctx;
};

/* A set for a process that does runs on behalf of another one (an MPI rank other than 0):
 * it writes only the runs' own folders (never targets/, results.csv or the report), and
 * prepares a target, its start points and pcakm's model only when a run or a batch needs
 * them. opt gives the output folder, threads, fresh, stop and dispatch->poll; its callbacks
 * for the terminal may be NULL. Returns NULL with err set. */
sm_run_set *sm_run_set_new(const sm_experiment *e, const sm_run_options *opt, sm_error *err);
void sm_run_set_free(sm_run_set *s);
size_t sm_run_set_size(const sm_run_set *s);

/* Does run `run` here: its outputs and checkpoint go to its folder. With result non-NULL, the
 * run's result as a new byte string (free() it) for sm_run_set_accept on the process that
 * writes results.csv (same build: plain machine byte order); with NULL it is kept in s.
 * Returns 0 or an sm_err (SM_ERR_INTERRUPTED when stopped), err set. */
int sm_run_set_do(sm_run_set *s, size_t run, void **result, size_t *size, sm_error *err);
/* Takes a run's result made by sm_run_set_do (here or on another process) for results.csv
 * and the report, and reports progress. Returns 0, or SM_ERR_FORMAT for bytes that are no
 * result of that run. */
int sm_run_set_accept(sm_run_set *s, size_t run, const void *result, size_t size,
                      sm_error *err);
/* Scores k points (k x d, normalized) for target `target` with the key held gate_s seconds,
 * on this process's threads, into cost[k]; adds the count of NaN/Inf scores to *n_bad.
 * Returns 0 or an sm_err (a target that cannot be prepared), err set. */
int sm_run_set_eval(sm_run_set *s, size_t target, double gate_s, const double *x, size_t k,
                    size_t d, double *cost, uint64_t *n_bad, sm_error *err);

#endif /* SM_INTERNAL */

#ifdef __cplusplus
}
#endif

#endif
