/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/results_meta.h: results.json, the metadata beside results.csv (internal to the
 * library, not installed).
 *
 * results.json says how a run folder's results were made: the soundmatch version and the git
 * commit of its build (where known), the CPU model and count, the evaluation threads, the
 * date, the wall time of the command and of every run, the experiment's name, synth, cost and
 * the hash of its file (the fingerprint that guards resuming and merging), the targets with
 * what was done to them, and the optimizers with their types. sm_report_from_dirs reads it
 * back. Its members ("format": "soundmatch results 1"):
 *   soundmatch {version, commit}     commit: `git rev-parse --short=12 HEAD` of the build's
 *                                    source tree ("-dirty" with changes), null if unknown
 *   host {cpu_model, cpus}           /proc/cpuinfo's model name; logical CPUs online
 *   threads                          evaluation threads used
 *   date                             when it was written, ISO 8601 UTC
 *   wall_s {command, runs_total, run_min, run_median, run_max}
 *   n_runs, runs [{target, optimizer, seed, evals, wall_s}]  every run, as in results.csv
 *   experiment {name, description, file, source, fingerprint, synth, patch_ext, cost,
 *               budget, seeds}       fingerprint: "fnv1a64:" and FNV-1a (64 bits) of the
 *                                    experiment file's text, as in fingerprint.txt
 *   targets [{name, variant, notes}], optimizers [{name, type}]
 * A merged folder (soundmatch report A B -o OUT) has the same members, its runs from every
 * folder (each with "source", an index into "sources"), and "sources": [{folder,
 * fingerprint, n_runs, soundmatch, host, threads, date, wall_s}] in place of the per-folder
 * soundmatch, host, threads, date and wall_s. */
#ifndef SM_RESULTS_META_H
#define SM_RESULTS_META_H

#include "core/error.h"
#include "experiments/experiment.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int threads;                      /* evaluation threads asked for (0: all cores) */
    double elapsed_s;                 /* wall time of the command that ran the experiment */
    const char *const *target_notes;  /* per target of the experiment (may be NULL) */
} sm_results_meta;

/* Writes DIR/results.json all-or-nothing. It reads DIR/results.csv, written just before, for
 * the runs and their wall times. Returns 0, SM_ERR_IO (results.csv unreadable, results.json
 * unwritable) or SM_ERR_NOMEM, err naming the file. */
int sm_results_json_write(const sm_experiment *e, const char *dir, const sm_results_meta *m,
                          sm_error *err);

/* The cost's terms in words, e.g. "MFCC distance x 1 (20 coefficients, FFT 2048, ...)". */
void sm_results_describe_cost(const sm_cost_config *c, char *out, size_t size);

/* The CPU model of this machine (from /proc/cpuinfo; "unknown" elsewhere) into out. */
void sm_results_cpu_model(char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif
