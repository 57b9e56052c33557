#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# datasets/make_kit_set.sh: drum hits for `soundmatch design` and `morph` from the sample files
# of a drum kit, converted as make_hydrogen_set.sh converts them: mono 44.1 kHz 16-bit WAV,
# silence below -60 dBFS trimmed at both ends, at most 1.5 s with a 10 ms fade-out, peak at
# -1 dBFS (sox -R: the same bytes every run), named after the sample file (808_Kick_Long.wav).
#
# Usage: datasets/make_kit_set.sh OUTDIR SAMPLEFILE...
# The design results of the README (section "Designing by descriptors") were tuned on
#   datasets/make_kit_set.sh /tmp/kit_tr808 /usr/share/hydrogen/data/drumkits/TR808EmulationKit/*.flac
# and measured on the held-out hits of another kit, the loudest layer of each instrument:
#   datasets/make_kit_set.sh /tmp/kit_gmrock /usr/share/hydrogen/data/drumkits/GMRockKit/*-Hardest.wav \
#       /usr/share/hydrogen/data/drumkits/GMRockKit/HandClap.wav
# (Debian's hydrogen-data: apt-get install -y hydrogen-data sox).
set -eu
me=make_kit_set.sh
if [ $# -lt 2 ]; then echo "usage: datasets/$me OUTDIR SAMPLEFILE..." >&2; exit 2; fi
out=$1
shift
command -v sox >/dev/null 2>&1 || { echo "$me: sox is not installed (apt-get install -y sox)" >&2; exit 1; }
mkdir -p "$out" || { echo "$me: cannot create $out" >&2; exit 1; }
n=0
for src in "$@"; do
    [ -f "$src" ] || { echo "$me: $src: no such file" >&2; exit 1; }
    name=$(basename "$src" | sed 's/\.[^.]*$//' | sed 's/-Hardest$//' | tr -c 'A-Za-z0-9_\n-' '_')
    tmp="$out/.$name.tmp.wav"
    if ! sox -q -R "$src" -c 1 -r 44100 -b 16 "$tmp" \
            silence 1 0.002 -60d reverse silence 1 0.002 -60d reverse \
            trim 0 1.5 reverse fade t 0.01 reverse norm -1 2>/dev/null; then
        rm -f "$tmp"
        echo "$me: sox could not convert $src" >&2
        exit 1
    fi
    mv "$tmp" "$out/$name.wav"
    n=$((n + 1))
done
echo "$me: wrote $n files in $out"
