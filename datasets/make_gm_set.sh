#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# datasets/make_gm_set.sh: builds a set of real instrument notes for matching with the fm6 voice,
# rendered by fluidsynth from the General MIDI soundfont of Debian's fluid-soundfont-gm
# (FluidR3_GM.sf2, MIT licence): sampled pianos, electric pianos, an organ, guitars, basses,
# strings, brass, reeds, a flute, a synth lead and pad, bells and mallets, and a harp.
#
# Each note is rendered by datasets/make_gm_note.sh (a tiny type-0 MIDI file: program change,
# note on at velocity 100, note off after 1 s; fluidsynth, dry: no reverb, no chorus; 44.1 kHz,
# mixed to mono, leading silence trimmed, 1.5 s). This script then gives it a 50 ms fade-out and
# an RMS level of -20 dBFS plus a fixed offset of -8 to +5 dB (so that matching the loudness is
# tested too; the gain is lowered where the peak would pass -1 dBFS), 16-bit. The notes are
# named INSTRUMENT_NOTE.wav (trumpet_c4.wav, C4 = MIDI 60). manifest.csv lists file,
# instrument, GM program (1-based, as in the GM list), note, MIDI note, frequency, RMS and peak
# level. Every run writes the same files, byte for byte.
#
# The full set is 48 notes: 24 instruments, 2 notes each in their natural range. --small makes
# 16 of them (one note each of 16 instruments) for quick development; those 16 files are
# identical to the full set's.
#
# Usage: datasets/make_gm_set.sh OUTDIR [--small]
#   e.g. datasets/make_gm_set.sh datasets/gm          (experiments/real_notes.ini)
# It takes about 30 s (full set) or 10 s (--small) on two cores.
# Environment: SF2 overrides the soundfont (/usr/share/sounds/sf2/FluidR3_GM.sf2).
set -euf   # -f: the note lists hold "*" marks, never file patterns

me=make_gm_set.sh
usage() { echo "usage: datasets/$me OUTDIR [--small]" >&2; exit 2; }
out=
small=0
for a in "$@"; do
    case $a in
    --small) small=1 ;;
    -h|--help) usage ;;
    -*) echo "$me: unknown option '$a'" >&2; usage ;;
    *) [ -z "$out" ] || usage; out=$a ;;
    esac
done
[ -n "$out" ] || usage
sf=${SF2:-/usr/share/sounds/sf2/FluidR3_GM.sf2}
note_sh=$(dirname "$0")/make_gm_note.sh

if ! command -v fluidsynth >/dev/null 2>&1; then
    echo "$me: fluidsynth is not installed (apt-get install -y fluidsynth fluid-soundfont-gm)" >&2
    exit 1
fi
if [ ! -f "$sf" ]; then
    echo "$me: no General MIDI soundfont at $sf (apt-get install -y fluid-soundfont-gm)" >&2
    exit 1
fi
if ! command -v sox >/dev/null 2>&1; then
    echo "$me: sox is not installed (apt-get install -y sox)" >&2
    exit 1
fi
if [ ! -f "$note_sh" ]; then
    echo "$me: $note_sh is missing (it renders each note)" >&2
    exit 1
fi
mkdir -p "$out" || { echo "$me: cannot create $out" >&2; exit 1; }

# The instruments: name, GM program (1-based: 1 is Acoustic Grand Piano), notes. A note marked
# with * is also in the --small set.
instruments() {
    cat <<'EOF'
piano 1 c2 c4*
epiano1 5 e3* a4
epiano2 6 g3 c5*
harpsichord 7 f3 d5
glockenspiel 10 c6* g6
vibraphone 12 f4 a5
marimba 13 c3 g4*
tubularbells 15 d4* a4
organ 17 c3* g4
nylonguitar 25 e2 b3*
cleanguitar 28 a2 e4
bass 34 e1 g2*
synthbass 39 c2 c3
violin 41 g3 e5*
cello 43 c2* a3
strings 49 c3 c5
harp 47 c3 g5
trumpet 57 c4* a4
trombone 58 f2 c4
altosax 66 d4* a4
clarinet 72 e3 g4
flute 74 c5* g5
sawlead 82 a2 e4*
warmpad 90 c3* g4
EOF
}

# The level offsets (dB from -20 dBFS RMS), taken in turn by the notes of the full set.
offsets="0 -4 3 -8 1 -2 5 -6"

# MIDI number of a note name: c4 = 60, fs3 (F sharp 3) = 54.
midi_of() {
    awk -v n="$1" 'BEGIN {
        pc = index("c d ef g a b", substr(n, 1, 1)) - 1; rest = substr(n, 2)
        if (substr(rest, 1, 1) == "s") { pc++; rest = substr(rest, 2) }
        print 12 * (rest + 1) + pc }'
}

# Files listed by an earlier run are removed, so the folder holds this run's set only.
if [ -f "$out/manifest.csv" ]; then
    tail -n +2 "$out/manifest.csv" | cut -d, -f1 | while IFS= read -r f; do
        case $f in *.wav) rm -f "$out/$f" ;; esac
    done
fi

work=$(mktemp -d)
manifest="$out/manifest.csv.tmp"
trap 'rm -rf "$work" "$manifest"' EXIT
echo "file,instrument,program,note,midi,freq_hz,rms_dbfs,peak_dbfs" > "$manifest"

i=0
total=0
instruments > "$work/list"
while read -r inst prog notes; do
    for spec in $notes; do
        note=${spec%\*}
        # the level offset goes by the position in the full set, so --small's files are the same
        # shellcheck disable=SC2086 # a list of numbers, split on purpose
        set -- $offsets
        shift $((i % $#))
        offset=$1
        i=$((i + 1))
        if [ "$small" = 1 ] && [ "$note" = "$spec" ]; then continue; fi
        midi=$(midi_of "$note")
        name="${inst}_${note}.wav"
        if ! SF2=$sf sh "$note_sh" "$prog" "$midi" "$work/note.wav" 1.5 </dev/null; then
            echo "$me: could not render $name" >&2
            exit 1
        fi
        # a 50 ms fade-out to end the cut release (float, so nothing is rounded twice)
        sox -V1 "$work/note.wav" -b 32 -e floating-point "$work/cut.wav" fade t 0 1.5 0.05
        # RMS and peak (dBFS) of the cut note; the gain brings the RMS to the target level
        # unless the peak would pass -1 dBFS
        gain=$(sox -V1 "$work/cut.wav" -n stat 2>&1 | awk -v want="$((offset - 20))" '
            /^Maximum amplitude/ { max = $3 } /^Minimum amplitude/ { min = -$3 }
            /^RMS +amplitude/ { rms = $3 }
            END {
                if (rms <= 0) { print "silent"; exit }
                peak = max > min ? max : min
                g = want - 20 * log(rms) / log(10)
                lim = -1 - 20 * log(peak) / log(10)
                printf "%.2f %.2f %.2f\n", g < lim ? g : lim, 20 * log(rms) / log(10),
                    20 * log(peak) / log(10) }')
        if [ "$gain" = silent ]; then
            echo "$me: $name is silent" >&2
            exit 1
        fi
        # shellcheck disable=SC2086 # gain, RMS and peak
        set -- $gain
        sox -V1 -R "$work/cut.wav" -b 16 "$out/.$name.tmp.wav" gain "$1"
        mv "$out/.$name.tmp.wav" "$out/$name"
        awk -v f="$name" -v in_="$inst" -v p="$prog" -v n="$note" -v m="$midi" \
            -v g="$1" -v r="$2" -v k="$3" 'BEGIN {
            printf "%s,%s,%d,%s,%d,%.2f,%.2f,%.2f\n", f, in_, p, n, m,
                440 * 2 ^ ((m - 69) / 12), r + g, k + g }' >> "$manifest"
        total=$((total + 1))
    done
done < "$work/list"
mv "$manifest" "$out/manifest.csv"
echo "$me: wrote $total notes and manifest.csv in $out"
