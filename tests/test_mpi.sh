#!/bin/sh
# tests/test_mpi.sh: `mpirun -n N soundmatch run` in a build with ./configure --with-mpi
# (skipped otherwise). A small experiment (2 fm6 targets x 3 optimizers, pcakm among them,
# x 3 seeds; start points from a DX7 bank when the shared data is there) run:
#  1. by one process (2 threads), then by 1, 2 and 3 MPI ranks, and by 3 ranks with
#     --distribute population: results.csv identical but for the timing columns (wall_s,
#     evals_per_s), and each run's trace.csv identical but for its seconds column;
#  2. by 3 ranks of which rank 1 is killed (SIGKILL) once a few runs are done: the job fails,
#     writes no results.csv and keeps the finished runs; the same command with 2 ranks
#     finishes the others, and results.csv is again identical.
# Environment: SM_TOP_BUILDDIR (the build folder), SM_SHARED_DATA (optional), SM_MPIRUN
# (default mpirun), SM_TEST_KEEP=1 keeps the temporary folder.
set -u
build=$(cd "${SM_TOP_BUILDDIR:-.}" && pwd)
prog=$build/soundmatch
if ! grep -q '^#define SM_HAVE_MPI 1' "$build/config.h" 2>/dev/null; then
    echo "SKIP: soundmatch was built without MPI (./configure --with-mpi)"
    exit 77
fi
mpirun=${SM_MPIRUN:-mpirun}
if ! command -v "$mpirun" >/dev/null 2>&1; then
    echo "SKIP: $mpirun not found (apt-get install -y openmpi-bin)"
    exit 77
fi
# Open MPI refuses to start as root without these; ranks sleep while they wait, so
# more ranks than cores is fine.
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
mpi="$mpirun --oversubscribe --bind-to none"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sm_test_mpi.XXXXXX") || exit 99
cleanup() {
    if [ -n "${job:-}" ]; then kill -KILL "$job" 2>/dev/null; fi
    if [ "${SM_TEST_KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    exit 1
}
cd "$tmp" || exit 99

prior=""
if [ -f "${SM_SHARED_DATA:-}/dx7/rom1a.syx" ]; then
    prior="[prior]
dataset = $SM_SHARED_DATA/dx7/rom1a.syx
starts = 8"
else
    echo "note: no shared data; the experiment runs without start points"
fi
cat >exp.ini <<EOF
[experiment]
name = mpi_test
[target]
synthetic = 2
synthetic_seed = 7
[synth]
name = fm6
note = 48
length_s = 0.5
free = op2_output_level, op2_coarse, op2_fine, op2_eg_rate1, op2_eg_level2
freeze = algorithm=1
$prior
[optimizer ga]
[optimizer cmaes]
[optimizer pcakm]
dataset_size = 200
clusters = 4
[run]
budget = 1000
seeds = 1-3
threads = 1
[report]
cache_dir = cache
EOF

# results.csv without wall_s and evals_per_s (columns 6 and 7)
strip() { cut -d, -f1-5,8- "$1"; }
same_as_ref() {
    [ -f "$1/results.csv" ] || fail "$2: no $1/results.csv"
    strip "$1/results.csv" >"$1.csv"
    if ! cmp -s ref.csv "$1.csv"; then
        diff ref.csv "$1.csv" | head -20
        fail "$2: results.csv differs from the single process's"
    fi
    # each run's trace: the single process's evaluations and costs, and its own seconds
    for t in $(cd ref/runs && find . -name trace.csv | sort); do
        [ -f "$1/runs/$t" ] || fail "$2: no $1/runs/$t"
        head -n 1 "$1/runs/$t" | grep -qx 'evals,best_cost,seconds' ||
            fail "$2: $1/runs/$t has no seconds column"
        cut -d, -f1-2 "ref/runs/$t" >ref.tr
        cut -d, -f1-2 "$1/runs/$t" >run.tr
        cmp -s ref.tr run.tr || fail "$2: $1/runs/$t differs from the single process's"
    done
    echo "ok: $2 gives the single process's results.csv and traces"
}

"$prog" run exp.ini -o ref --threads 2 --no-report -q || fail "the single-process run failed"
strip ref/results.csv >ref.csv
rows=$(($(wc -l <ref.csv) - 1))
[ "$rows" -eq 18 ] || fail "the reference has $rows runs, not 18"
echo "ok: one process, $rows runs"

$mpi -n 1 "$prog" run exp.ini -o n1 --no-report -q || fail "1 rank failed"
same_as_ref n1 "1 rank"
$mpi -n 2 "$prog" run exp.ini -o n2 --no-report -q || fail "2 ranks failed"
same_as_ref n2 "2 ranks x 1 thread"
$mpi -n 3 "$prog" run exp.ini -o n3 --threads 2 -q || fail "3 ranks failed"
same_as_ref n3 "3 ranks x 2 threads"
[ -f n3/index.html ] || fail "3 ranks: rank 0 wrote no index.html"
$mpi -n 3 "$prog" run exp.ini -o pop --distribute population --no-report -q ||
    fail "3 ranks, population failed"
same_as_ref pop "3 ranks, distribute = population"

# A rank killed mid-job. Rank 1 is found among mpirun's children by its rank variable.
count() { find "$1/runs" -name result.txt 2>/dev/null | wc -l; }
$mpi -n 3 "$prog" run exp.ini -o kill --no-report -q >kill.log 2>&1 &
job=$!
victim=""
i=0
while [ "$i" -lt 600 ] && kill -0 "$job" 2>/dev/null; do
    if [ "$(count kill)" -ge 4 ]; then
        for p in $(pgrep -P "$job"); do
            if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then
                victim=$p
            fi
        done
        [ -n "$victim" ] && break
    fi
    sleep 0.05
    i=$((i + 1))
done
[ -n "$victim" ] || fail "no rank 1 to kill (the job ended or did no run: $(count kill) runs)"
kill -KILL "$victim"
status=0
wait "$job" || status=$?
job=""
done_runs=$(count kill)
echo "killed rank 1 (pid $victim) after $done_runs runs; mpirun exited with $status"
[ "$status" -ne 0 ] || fail "the job with a dead rank exited 0"
[ ! -f kill/results.csv ] || fail "the failed job wrote results.csv"
[ "$done_runs" -ge 4 ] && [ "$done_runs" -lt 18 ] ||
    fail "$done_runs runs were kept, expected 4 to 17"
$mpi -n 2 "$prog" run exp.ini -o kill --no-report -q || fail "resuming with 2 ranks failed"
same_as_ref kill "killed at 3 ranks, resumed with 2"
[ -z "$(find kill -name '*.tmp.*')" ] || fail "temporary files were left behind"
exit 0
