/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/mpi_dispatch.h: an experiment spread over the ranks of an MPI job (built with
 * ./configure --with-mpi; README, "Running on a cluster").
 *
 * Every rank loads the same experiment file. Rank 0 runs sm_experiment_run with the
 * dispatcher of sm_mpi_root_new; every other rank calls sm_mpi_serve. The program owns MPI:
 * it calls MPI_Init before and MPI_Finalize after (OpenMP threads never call MPI, so
 * MPI_THREAD_FUNNELED is enough).
 *
 * SM_DISTRIBUTE_RUNS: rank 0 hands out the runs that are not finished, one at a time, to each
 * rank as it finishes its last one, and does runs itself in between (it answers the others
 * between its own batches). A run's folder and checkpoint are written by the rank that did
 * it, into the output folder, which every rank must see (a shared file system, as for any
 * MPI job); its result travels to rank 0, which alone writes targets/, results.csv and the
 * report. SM_DISTRIBUTE_POPULATION: rank 0 does the runs one after another and shares out
 * each batch of points (a GA generation, a CMA-ES population) in equal parts; the ranks
 * score their parts on their own threads. Results never depend on the mode, the rank count
 * or the thread counts.
 *
 * When a rank fails (a folder it cannot write, a target it cannot read), rank 0 hands out no
 * more runs, lets the runs under way finish, and fails with that rank's message; when rank
 * 0 is interrupted (Ctrl-C, SIGTERM from the scheduler), every rank stops after its current
 * batch. Finished runs stay checkpointed, so the same command resumes, with any rank count.
 * A rank that dies outright ends the job through the MPI launcher, with the same effect on
 * the checkpoints. Waiting ranks sleep between polls rather than spin, so an idle rank
 * leaves its core to the others. */
#ifndef SM_MPI_DISPATCH_H
#define SM_MPI_DISPATCH_H

#include <mpi.h>
#include <signal.h>
#include "core/error.h"
#include "experiments/experiment.h"
#include "experiments/runner.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Collective over comm: 0 when every rank has loaded the experiment (e non-NULL) and all
 * loaded the same text; else SM_ERR_CONFIG, err naming the first rank that could not load
 * it or read another file (on every rank). */
int sm_mpi_agree(MPI_Comm comm, const sm_experiment *e, sm_error *err);

typedef struct sm_mpi_root sm_mpi_root;

/* Rank 0's dispatcher over comm, into *d for sm_run_options.dispatch (d must outlive the
 * run). stop (may be NULL) is the flag that interrupts the run. NULL with err set if out of
 * memory. */
sm_mpi_root *sm_mpi_root_new(MPI_Comm comm, sm_distribute mode, volatile sig_atomic_t *stop,
                             sm_dispatch *d, sm_error *err);
/* Releases the other ranks (they return from sm_mpi_serve) and frees r. Call it once after
 * sm_experiment_run, whatever that returned. */
void sm_mpi_root_free(sm_mpi_root *r);

/* Ranks other than 0: does the runs (or scores the batches) that rank 0 sends until rank 0
 * releases this rank. opt as for sm_run_set_new (its dispatch is replaced). Returns 0, or
 * the sm_err of the first thing that failed here (rank 0 has been told and says it). */
int sm_mpi_serve(MPI_Comm comm, const sm_experiment *e, const sm_run_options *opt,
                 sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
