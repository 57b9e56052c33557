#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# datasets/make_gm_note.sh: renders one real instrument note with Debian's fluidsynth and the
# FluidR3 General MIDI sound font (package fluid-soundfont-gm), as a target for matching.
#
# Usage: datasets/make_gm_note.sh PROGRAM NOTE OUT.wav [SECONDS]
#   PROGRAM  General MIDI program, 1-based as in the GM list (1 piano, 41 violin, 43 cello,
#            57 trumpet, 74 flute, ...)
#   NOTE     MIDI note number (60 = C4, 69 = A4 = 440 Hz)
#   SECONDS  length of the result (default 1.5); the key is held for two thirds of it
# The result is mono, 44.1 kHz, 16-bit, starts at the note's first sound (leading silence
# below -60 dBFS trimmed), is cut or zero-padded to SECONDS and peak-normalised to -3 dBFS.
# Reverb and chorus are off and sox's dither is off, so the same command gives the same file.
#
# How: a one-track Standard MIDI File (format 0) is written with printf: tempo 1,000,000 us a
# quarter note and 1000 ticks a quarter, so one tick is one millisecond; a program change, a
# note-on (velocity 100 unless VELOCITY says otherwise), a note-off after the gate, and the end of the track 0.5 s after the
# end so the release is rendered. fluidsynth -F renders it (fast, no audio device), sox mixes
# to mono, trims and pads.
# Environment: SF2 (default /usr/share/sounds/sf2/FluidR3_GM.sf2); CHANNEL, the MIDI channel
# 1-16 (default 1; 10 plays the General MIDI drum kits, PROGRAM choosing the kit: 1 Standard,
# 26 TR-808, ...); VELOCITY 1-127 (default 100).
set -eu

usage() { echo "usage: make_gm_note.sh PROGRAM(1-128) NOTE(0-127) OUT.wav [SECONDS]" >&2; exit 2; }
[ $# -ge 3 ] && [ $# -le 4 ] || usage
prog=$1 note=$2 out=$3 secs=${4:-1.5}
case $prog in ''|*[!0-9]*) usage ;; esac
case $note in ''|*[!0-9]*) usage ;; esac
[ "$prog" -ge 1 ] && [ "$prog" -le 128 ] && [ "$note" -le 127 ] || usage
chan=${CHANNEL:-1} vel=${VELOCITY:-100}
case $chan$vel in ''|*[!0-9]*) usage ;; esac
[ "$chan" -ge 1 ] && [ "$chan" -le 16 ] && [ "$vel" -ge 1 ] && [ "$vel" -le 127 ] || usage
sf2=${SF2:-/usr/share/sounds/sf2/FluidR3_GM.sf2}
command -v fluidsynth >/dev/null 2>&1 || { echo "make_gm_note.sh: fluidsynth is not installed (apt-get install -y fluidsynth fluid-soundfont-gm)" >&2; exit 1; }
command -v sox >/dev/null 2>&1 || { echo "make_gm_note.sh: sox is not installed (apt-get install -y sox)" >&2; exit 1; }
[ -r "$sf2" ] || { echo "make_gm_note.sh: $sf2: no sound font (apt-get install -y fluid-soundfont-gm)" >&2; exit 1; }

# Milliseconds: the whole note and the gate (two thirds of it).
total_ms=$(awk -v s="$secs" 'BEGIN { if (s + 0 <= 0 || s + 0 > 60) exit 1; printf "%d", s * 1000 + 0.5 }') || usage
gate_ms=$((total_ms * 2 / 3))
tail_ms=$((total_ms - gate_ms + 500))

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gmnote.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# bytes B...: writes each decimal byte value as one raw byte (octal escapes: POSIX printf).
bytes() { for b in "$@"; do printf "\\$(printf '%03o' "$b")"; done; }
# vlq N: a MIDI variable-length quantity, 7 bits a byte, most significant first.
vlq() {
    n=$1 v=$(( $1 & 127 )) s=""
    n=$((n >> 7))
    while [ "$n" -gt 0 ]; do s="$(( (n & 127) | 128 )) $s"; n=$((n >> 7)); done
    bytes $s $v
}
{
    bytes 0 255 81 3 15 66 64            # tempo: 0x0F4240 = 1,000,000 us a quarter note
    bytes 0 $((192 + chan - 1)) $((prog - 1))              # program change
    bytes 0 $((144 + chan - 1)) "$note" "$vel"             # note on
    vlq "$gate_ms"; bytes $((128 + chan - 1)) "$note" 64   # note off after the gate
    vlq "$tail_ms"; bytes 255 47 0       # end of track
} >"$tmp/track"
len=$(wc -c <"$tmp/track")
{
    printf 'MThd'; bytes 0 0 0 6 0 0 0 1 3 232   # format 0, 1 track, 1000 ticks a quarter
    printf 'MTrk'; bytes $(( (len >> 24) & 255 )) $(( (len >> 16) & 255 )) $(( (len >> 8) & 255 )) $(( len & 255 ))
    cat "$tmp/track"
} >"$tmp/note.mid"

fluidsynth -ni -q -R 0 -C 0 -g 0.5 -r 44100 -F "$tmp/raw.wav" "$sf2" "$tmp/note.mid" >/dev/null 2>&1 ||
    { echo "make_gm_note.sh: fluidsynth failed on program $prog note $note" >&2; exit 1; }
sox -V1 -D "$tmp/raw.wav" -r 44100 -c 1 -b 16 "$tmp/out.wav" silence 1 0 -60d pad 0 "$secs" trim 0 "$secs" gain -n -3
mv "$tmp/out.wav" "$out"
