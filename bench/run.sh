#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/run.sh: runs every benchmark (make bench). Needs the shared data folder for the DX7
# and Microtonic benches, and aubio-tools for the aubiomfcc comparison (skipped without it).
# Prints one line per figure; BENCHMARKS.md records them with the machine they ran on.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${SM_TOP_BUILDDIR:-.}
shared=${SM_SHARED_DATA:-$here/../../shared/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "machine: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"

# MFCC in-process throughput; it also writes the 10 s test file used below.
"$top/bench/bench_mfcc" "$tmp/ten_seconds.wav"

# Whole-process MFCC: soundmatch features against aubiomfcc on the same file, best of 5 each.
best_of() {
    best=""
    for i in 1 2 3 4 5; do
        t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}
sm=$(best_of "$top/soundmatch" features "$tmp/ten_seconds.wav" -o "$tmp/sm.csv")
printf 'soundmatch_features_10s: wall_s=%.4f\n' "$sm"
if command -v aubiomfcc >/dev/null 2>&1; then
    au=$(best_of aubiomfcc -B 2048 -H 512 -i "$tmp/ten_seconds.wav")
    printf 'aubiomfcc_10s: wall_s=%.4f\n' "$au"
    printf 'features_vs_aubiomfcc: speedup=%.2fx\n' "$(echo "$au / $sm" | bc -l)"
else
    echo "aubiomfcc_10s: skipped (apt-get install -y aubio-tools)"
fi

"$top/bench/bench_fm6" "$shared/dx7/rom1a.syx"
"$top/bench/bench_drum" "$shared/microtonic/default.mtpreset"
"$top/bench/bench_neuron"
"$top/bench/bench_grad"
"$top/bench/bench_eval" "$shared/dx7/rom1a.syx"
