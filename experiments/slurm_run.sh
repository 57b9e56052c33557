#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# experiments/slurm_run.sh: an example SLURM batch script that runs one experiment over the
# nodes of a cluster with MPI (README, "Running on a cluster"). soundmatch must be built with
# ./configure --with-mpi against the cluster's MPI, and the project folder (the experiment,
# its targets and the output folder) must be on a file system that every node sees.
#
#   sbatch experiments/slurm_run.sh experiments/fm_2op.ini [OUTPUT_DIR]
#
# Rank 0 hands out the (target, optimizer, seed) runs as ranks finish theirs and alone writes
# results.csv and the report; each rank scores on --cpus-per-task threads. Fewer runs than
# ranks, and an expensive synth? Add --distribute population (each run's batches shared out).
#
# A job that ends early (time limit, a node lost, scancel) keeps every finished run: submit
# the same command again, with any number of nodes, and it does only the runs left.
# --signal asks SLURM for a SIGTERM two minutes before the time limit, so that every rank
# stops after its current batch instead of being killed.
#SBATCH --job-name=soundmatch
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=8
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
#SBATCH --signal=TERM@120
#SBATCH --output=soundmatch-%j.log

set -euo pipefail
exp=${1:?usage: sbatch experiments/slurm_run.sh EXPERIMENT.ini [OUTPUT_DIR]}
out=${2:-report/$(basename "$exp" .ini)}
threads=${SLURM_CPUS_PER_TASK:-1}
export OMP_NUM_THREADS=$threads
# The module names differ between clusters; load the MPI that soundmatch was built with.
# module load openmpi

# srun starts one rank per task (--mpi=pmix for an Open MPI built with PMIx, as Debian's is);
# `mpirun --map-by slot:PE=$threads --bind-to core ./soundmatch ...` works as well inside
# the allocation. -q: no progress line in the log (rank 0 prints one only on a terminal
# anyway).
srun --mpi=pmix --cpus-per-task="$threads" \
    ./soundmatch run "$exp" -o "$out" --threads "$threads" -q
echo "results: $out/results.csv, report: $out/index.html"
