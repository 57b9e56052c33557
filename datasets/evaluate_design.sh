#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# datasets/evaluate_design.sh: how closely `soundmatch design` reaches the seven descriptors of
# real sounds it is asked for.
#
# Usage: datasets/evaluate_design.sh SETDIR OUTDIR [--synth drum] [DESIGN ARGS...]
#
# For each audio file of SETDIR it prints the file's seven descriptors (soundmatch describe
# --csv), asks `soundmatch design` for exactly those values (--loudness ... --pitch, no
# recording), times it, and reads back the normalised errors of DIR/descriptors.csv (the
# absolute error over the descriptor's published spread). OUTDIR/summary.csv has one row a
# file (file, wall seconds, CPU seconds (user + system, when /usr/bin/time is there, else
# empty), evaluations, the seven errors); the printed summary gives each descriptor's median
# and worst error, the share of files within 0.1, and the median and longest times. On a
# machine shared with other work the wall time grows with the load; the CPU time does not.
# The program is ./soundmatch unless SOUNDMATCH says otherwise.
set -eu
me=evaluate_design.sh
if [ $# -lt 2 ]; then echo "usage: datasets/$me SETDIR OUTDIR [--synth S] [DESIGN ARGS...]" >&2; exit 2; fi
set_dir=$1
out=$2
shift 2
synth=drum
if [ $# -ge 2 ] && [ "$1" = "--synth" ]; then synth=$2; shift 2; fi
sm=${SOUNDMATCH:-./soundmatch}
mkdir -p "$out"
summary="$out/summary.csv"
echo "file,seconds,cpu_seconds,evals,loudness,percussivity,brightness,tone_likeness,richness,noisiness,pitch" > "$summary"
timer=
[ -x /usr/bin/time ] && timer="/usr/bin/time -f %U+%S -o $out/.cpu"
for f in "$set_dir"/*.wav; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .wav)
    row=$("$sm" describe --csv "$f" | tail -n 1)
    # file,loudness_dbfs,percussivity,brightness_hz,tone_likeness_hz,richness_hz,noisiness,pitch_hz,voiced
    set -- $(printf '%s\n' "$row" | awk -F, '{ for (i = 2; i <= 8; i++) printf "%s ", ($i == "" ? "none" : $i) }') "$@"
    l=$1 p=$2 b=$3 t=$4 r=$5 n=$6 pi=$7
    shift 7
    start=$(date +%s.%N)
    rm -f "$out/.cpu"
    if ! $timer "$sm" design --synth "$synth" -q --loudness "$l" --percussivity "$p" --brightness "$b" \
            --tone-likeness "$t" --richness "$r" --noisiness "$n" --pitch "$pi" -o "$out/$name" "$@" \
            2> "$out/$name.log"; then
        echo "$me: $name: design failed (see $out/$name.log)" >&2
        continue
    fi
    end=$(date +%s.%N)
    secs=$(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }')
    cpu=$( [ -f "$out/.cpu" ] && tail -n 1 "$out/.cpu" | awk -F+ '{ printf "%.2f", $1 + $2 }' || true)
    evals=$(awk '/^# evaluations/ { sub(",", "", $3); print $3 }' "$out/$name/descriptors.csv")
    errs=$(awk -F, 'NR > 1 && $1 !~ /^#/ { printf ",%s", $5 }' "$out/$name/descriptors.csv")
    echo "$name,$secs,$cpu,$evals$errs" >> "$summary"
done
awk -F, '
function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
NR == 1 { for (i = 5; i <= 11; i++) name[i] = $i; next }
{
    rows++
    secs[rows] = $2; if ($2 > maxs) maxs = $2
    cpu[rows] = $3; if ($3 > maxc) maxc = $3
    ev[rows] = $4
    for (i = 5; i <= 11; i++) { v[i, rows] = $i; if ($i > worst[i]) worst[i] = $i; if ($i <= 0.1) within[i]++ }
}
END {
    if (!rows) { print "no file designed"; exit 1 }
    printf "%d files; wall time median %.1f s, longest %.1f s; CPU time median %.1f s, longest %.1f s; evaluations median %d\n", rows, median(secs, rows), maxs, median(cpu, rows), maxc, median(ev, rows)
    printf "%-14s %8s %8s %10s\n", "descriptor", "median", "worst", "<= 0.1"
    for (i = 5; i <= 11; i++) {
        for (k = 1; k <= rows; k++) col[k] = v[i, k]
        printf "%-14s %8.3f %8.3f %6d of %d\n", name[i], median(col, rows), worst[i], within[i], rows
    }
}' "$summary"
