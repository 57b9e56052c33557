#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# datasets/make_hydrogen_set.sh: builds a set of real drum recordings for matching with the drum
# voice, from the drum kits of Debian's hydrogen-data package (GPL and other free licences, see
# each kit's drumkit.xml).
#
# For each class (kick, snare, hat, tom, clap, cowbell) it walks the kits in a fixed order
# (electronic kits first, as Microtonic's voice suits them best) and takes from each kit the
# first instrument whose drumkit.xml name matches the class, using its loudest layer (the one
# with the highest velocity range), until it has PER_CLASS files (default 4; 0 takes one from
# every kit that has the class). Each file is converted with sox to mono 44.1 kHz 16-bit WAV,
# trimmed of leading and trailing silence (below -60 dBFS), capped at 1.5 s (with a 10 ms
# fade-out at the end) and peak-normalized to -1 dBFS (sox -R: the same bytes every run), and
# named CLASS_KIT_N.wav (kick_GMRockKit_1.wav). manifest.csv lists file,class,kit,source.
#
# Usage: datasets/make_hydrogen_set.sh OUTDIR [PER_CLASS]
#   e.g. datasets/make_hydrogen_set.sh datasets/hydrogen   (experiments/drums_hydrogen.ini)
# Environment: HYDROGEN_DRUMKITS overrides the kit folder (/usr/share/hydrogen/data/drumkits).
set -eu

me=make_hydrogen_set.sh
usage() { echo "usage: datasets/$me OUTDIR [PER_CLASS]" >&2; exit 2; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
out=$1
per_class=${2:-4}
case $per_class in
''|*[!0-9]*) echo "$me: PER_CLASS must be a whole number, not '$per_class'" >&2; exit 2 ;;
esac
kits=${HYDROGEN_DRUMKITS:-/usr/share/hydrogen/data/drumkits}

if ! ls "$kits"/*/drumkit.xml >/dev/null 2>&1; then
    echo "$me: no Hydrogen drum kits in $kits: Debian's hydrogen-data package is not installed" >&2
    echo "$me: install it with: apt-get install -y hydrogen-data" >&2
    exit 1
fi
if ! command -v sox >/dev/null 2>&1; then
    echo "$me: sox is not installed (apt-get install -y sox)" >&2
    exit 1
fi
mkdir -p "$out" || { echo "$me: cannot create $out" >&2; exit 1; }

# Prints "NAME<TAB>FILE" for each instrument of a drumkit.xml: its name and its loudest layer
# (the highest <max>; kits without layers name the file in the instrument itself).
instruments() {
    awk '
    function decode(s) {
        gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s)
        gsub(/&apos;/, "\047", s); gsub(/&amp;/, "\\&", s); return s
    }
    function text(line, tag,   s) {
        s = line; sub(".*<" tag ">", "", s); sub("</" tag ">.*", "", s); return decode(s)
    }
    function flush() {
        if (inst && name != "" && best != "") printf "%s\t%s\n", name, best
    }
    /<instrument>/ { inst = 1; name = ""; best = ""; bestmax = -1; file = ""; next }
    /<\/instrument>/ { flush(); inst = 0; next }
    inst && /<name>/ && name == "" { name = text($0, "name") }
    inst && /<filename>/ {
        file = text($0, "filename")
        if (best == "") { best = file; bestmax = -1 }
    }
    inst && /<max>/ && file != "" {
        m = text($0, "max") + 0
        if (m > bestmax) { bestmax = m; best = file }
    }
    ' "$1"
}

# Class patterns over lower-cased instrument names (extended regular expressions).
pattern() {
    case $1 in
    kick) echo 'kick|bass ?drum|bassdrum' ;;
    snare) echo 'snare' ;;
    hat) echo 'hat|(^|[^a-z])hh([^a-z]|$)' ;;
    tom) echo '(^|[^a-z])tom' ;;
    clap) echo 'clap' ;;
    cowbell) echo 'cowbell' ;;
    esac
}
# Names that match a pattern but are not the class.
excluded() {
    case $1 in
    snare) echo 'roll|rim|stick' ;;
    *) echo '^$' ;;
    esac
}

# Kit order: electronic first, then acoustic; any kit not listed comes last, by name.
order=$(mktemp)
manifest="$out/manifest.csv.tmp"
trap 'rm -f "$order" "$manifest"' EXIT
for k in "TR808EmulationKit" "ElectricEmpireKit" "HardElectro1" "GMRockKit" "VariBreaks" \
    "The Black Pearl 1.0" "Millo_MultiLayered3" "ColomboAcousticDrumkit" "ForzeeStereo" \
    "BJA_Pacific" "Millo-Drums_v.1" "Millo_MultiLayered2" "Audiophob" "rumpf_kit_z01_h2" \
    "Gimme A Hand 1.0"; do
    [ -f "$kits/$k/drumkit.xml" ] && printf '%s\n' "$k" >> "$order"
done
for d in "$kits"/*/; do
    k=$(basename "$d")
    [ -f "$d/drumkit.xml" ] || continue
    grep -qxF "$k" "$order" || printf '%s\n' "$k" >> "$order"
done

# Files listed by an earlier run are removed, so the folder holds this run's set only.
if [ -f "$out/manifest.csv" ]; then
    tail -n +2 "$out/manifest.csv" | cut -d, -f1 | while IFS= read -r f; do
        case $f in *.wav) rm -f "$out/$f" ;; esac
    done
fi

echo "file,class,kit,source" > "$manifest"
total=0
for class in kick snare hat tom clap cowbell; do
    pat=$(pattern "$class")
    exc=$(excluded "$class")
    count=0
    while IFS= read -r kit; do
        [ "$per_class" -gt 0 ] && [ "$count" -ge "$per_class" ] && break
        xml="$kits/$kit/drumkit.xml"
        line=$(instruments "$xml" | awk -F '\t' -v pat="$pat" -v exc="$exc" '
            { n = tolower($1); if (n ~ pat && n !~ exc) { print; exit } }')
        [ -n "$line" ] || continue
        src="$kits/$kit/$(printf '%s' "$line" | cut -f2)"
        [ -f "$src" ] || { echo "$me: $kit: $src is missing, skipped" >&2; continue; }
        tag=$(printf '%s' "$kit" | tr -cd 'A-Za-z0-9-')
        # one instrument per kit and class, so N is 1 (the kit's first of the class)
        n=$(($(grep -c "^${class}_${tag}_" "$manifest" || true) + 1))
        name="${class}_${tag}_$n.wav"
        tmp="$out/.$name.tmp.wav"
        # mono 44.1 kHz 16 bit; trim silence at both ends; cap at 1.5 s; fade out the last
        # 10 ms (fade-in of the reversed sound: sox's "fade -0" would pad to the trim length)
        if ! sox -q -R "$src" -c 1 -r 44100 -b 16 "$tmp" \
                silence 1 0.002 -60d reverse silence 1 0.002 -60d reverse \
                trim 0 1.5 reverse fade t 0.01 reverse norm -1 2>/dev/null; then
            echo "$me: sox could not convert $src, skipped" >&2
            rm -f "$tmp"
            continue
        fi
        if [ "$(soxi -s "$tmp" 2>/dev/null || echo 0)" -lt 441 ]; then
            echo "$me: $src is silent or shorter than 10 ms after trimming, skipped" >&2
            rm -f "$tmp"
            continue
        fi
        mv "$tmp" "$out/$name"
        # CSV: quote the free-text fields
        printf '%s,%s,"%s","%s"\n' "$name" "$class" "$(printf '%s' "$kit" | sed 's/"/""/g')" \
            "$(printf '%s' "$src" | sed 's/"/""/g')" >> "$manifest"
        count=$((count + 1))
        total=$((total + 1))
    done < "$order"
    echo "$me: $class: $count file(s)"
done
mv "$manifest" "$out/manifest.csv"
trap 'rm -f "$order"' EXIT
echo "$me: wrote $total files and manifest.csv in $out"
