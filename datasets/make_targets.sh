#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# datasets/make_targets.sh: regenerates the small target recordings that ship in
# datasets/targets/. They are made with sox's own synthesizer (not with soundmatch's synths),
# so matching them is a real test: no synth in soundmatch can reproduce them exactly.
#   pluck_220.wav  a Karplus-Strong plucked string at 220 Hz (A3, MIDI 57), 1 s
#   saw_220.wav    a sawtooth at 220 Hz with a 10 ms attack and a 0.6 s fade, 1 s
#   bell_440.wav   two inharmonic sines (440 Hz and 1231 Hz) with an exponential-like fade, 1.5 s
# Usage: datasets/make_targets.sh [OUTDIR]   (default: datasets/targets)
set -eu
out=${1:-datasets/targets}
command -v sox >/dev/null 2>&1 || { echo "make_targets.sh: sox is not installed (apt-get install -y sox)" >&2; exit 1; }
mkdir -p "$out"
sox -n -r 44100 -b 16 -c 1 "$out/pluck_220.wav" synth 1.0 pluck 220 vol 0.7
sox -n -r 44100 -b 16 -c 1 "$out/saw_220.wav" synth 1.0 sawtooth 220 fade t 0.01 1.0 0.6 vol 0.5
sox -n -r 44100 -b 16 -c 1 "$out/bell_440.wav" synth 1.5 sine 440 synth 1.5 sine mix 1231 fade q 0.002 1.5 1.45 vol 0.6
echo "make_targets.sh: wrote pluck_220.wav saw_220.wav bell_440.wav in $out"
