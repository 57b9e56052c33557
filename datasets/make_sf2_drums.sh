#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# datasets/make_sf2_drums.sh: builds a set of real drum hits for matching with the drum voice from
# the drum kits of Debian's sound fonts, a source other than Hydrogen's kits
# (datasets/make_hydrogen_set.sh):
#   avl_blackpearl, avl_redzeppelin  the AVL Drumkits' multi-sampled acoustic kits
#                                    (avldrums.lv2-soundfont; the kit on channel 1)
#   fluidr3_standard                 FluidR3's General MIDI standard kit (fluid-soundfont-gm)
#   musescore_standard               MuseScore General's standard kit
#                                    (musescore-general-soundfont-small)
#   timgm_tr808                      TimGM6mb's TR-808 kit (timgm6mb-soundfont)
# For each kit and class it plays the class's General MIDI drum note (kick 36, snare 38, closed
# hat 42, low tom 45, hand clap 39, cowbell 56, crash 49, ride 51) at velocity 127 with
# datasets/make_gm_note.sh (fluidsynth, dry), and converts the hit as make_kit_set.sh does
# (mono 44.1 kHz 16-bit, silence trimmed at both ends, at most 1.5 s with a 10 ms fade-out,
# peak at -1 dBFS). A kit with no sound for a class is passed over; the AVL kits have no clap
# or cowbell (their notes 39 and 56 play other drums of the kit), so those are not asked of them. Files are named CLASS_KIT.wav (snare_avl_blackpearl.wav); manifest.csv lists
# file,class,kit,soundfont,channel,program,note. Kits whose sound font is not installed are
# passed over with a message. Every run writes the same files, byte for byte.
#
# Usage: datasets/make_sf2_drums.sh OUTDIR
# Needs: apt-get install -y fluidsynth sox avldrums.lv2-soundfont fluid-soundfont-gm
#        musescore-general-soundfont-small timgm6mb-soundfont
set -eu
me=make_sf2_drums.sh
[ $# -eq 1 ] || { echo "usage: datasets/$me OUTDIR" >&2; exit 2; }
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out" || { echo "$me: cannot create $out" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sf2drums.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# kit name, sound font, channel, program
kits="avl_blackpearl /usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2 1 1
avl_redzeppelin /usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2 1 1
fluidr3_standard /usr/share/sounds/sf2/FluidR3_GM.sf2 10 1
musescore_standard /usr/share/sounds/sf3/MuseScore_General_Lite.sf3 10 1
timgm_tr808 /usr/share/sounds/sf2/TimGM6mb.sf2 10 26"
classes="kick 36
snare 38
hat 42
tom 45
clap 39
cowbell 56
crash 49
ride 51"

echo "file,class,kit,soundfont,channel,program,note" > "$tmp/manifest.csv"
n=0
echo "$kits" | while read -r kit sf chan prog; do
    if [ ! -r "$sf" ]; then
        echo "$me: $sf is not installed; kit $kit passed over" >&2
        continue
    fi
    echo "$classes" | while read -r class note; do
        case $kit/$class in avl_*/clap|avl_*/cowbell) continue ;; esac
        raw="$tmp/raw.wav"
        name="${class}_${kit}"
        if ! SF2=$sf CHANNEL=$chan VELOCITY=127 "$here/make_gm_note.sh" "$prog" "$note" "$raw" 2 \
                2>"$tmp/err"; then
            echo "$me: $kit: note $note failed: $(cat "$tmp/err")" >&2
            exit 1
        fi
        # a kit without this sound gives silence: make_gm_note.sh trims everything below
        # -60 dBFS, and what is left is zero padding
        peak=$(sox "$raw" -n stat 2>&1 | awk '/Maximum amplitude/ { print $3 }')
        if [ -z "$peak" ] || awk -v p="$peak" 'BEGIN { exit !(p < 0.001) }'; then
            continue
        fi
        cp "$raw" "$tmp/$name.wav"
        echo "$name.wav,$class,$kit,$(basename "$sf"),$chan,$prog,$note" >> "$tmp/manifest.csv"
    done
done
set -- "$tmp"/*_*.wav
[ -f "$1" ] || { echo "$me: no hit was made (no sound font installed?)" >&2; exit 1; }
"$here/make_kit_set.sh" "$out" "$@" >/dev/null
cp "$tmp/manifest.csv" "$out/manifest.csv"
n=$(($(wc -l < "$out/manifest.csv") - 1))
echo "$me: wrote $n hits and manifest.csv in $out"
