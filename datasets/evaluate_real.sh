#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# datasets/evaluate_real.sh: the honest evaluation of matching real recordings, with the
# measures of MEASURES.md that no optimizer minimises.
#
# For each audio file of SETDIR (sorted by name) it runs, with the soundmatch program:
#   soundmatch match FILE -o OUTDIR/NAME [--synth S] [MATCH-ARGS]   (timed: wall seconds)
#   soundmatch compare FILE OUTDIR/NAME/best.wav --csv
#       the log-mel distance (dB) of the match to the target, and its loudness difference (dB)
#   soundmatch baseline FILE --csv ... PATCHFILES
#       the closest human preset by log-mel distance, what a musician gets by browsing presets:
#       fm6: every 8th voice of voices31380.bin (3,923 voices) and every voice of the shared
#       .syx banks (7 x 32), played at the target's note (two calls, as --every thins every
#       file; the closer answer counts); drum: the 16 patches of the 2 shared .mtpreset files
# and writes OUTDIR/summary.csv, one row a file:
#   file, seconds, match_logmel_db, match_loudness_db, preset_logmel_db, preset_name, closer,
#   loudness_ok, preset_loudness_db, error
# closer: the match is nearer the target than the closest preset (log-mel); loudness_ok: the
# match is within 3 dB of the target's loudness. A failing match, compare or baseline is a row
# with its error (its log in OUTDIR/NAME/), never an abort. Then it prints: the median log-mel
# distance of the matches and of the presets, their ratio, the fraction of files matched closer
# than the preset, the fraction within 3 dB of loudness (failures count against both), and the
# longest match.
#
# Usage: datasets/evaluate_real.sh SETDIR OUTDIR [--synth fm6|drum] [--match-args 'ARGS']
#   e.g. datasets/evaluate_real.sh datasets/gm report/gm_eval
#        datasets/evaluate_real.sh datasets/hydrogen report/drum_eval --synth drum
#        datasets/evaluate_real.sh datasets/gm report/gm_ga --match-args '--optimizer ga'
# MATCH-ARGS is split as the shell would (quotes group: --match-args "--free 'op1_*, op2_*'").
# Environment: SOUNDMATCH (default ./soundmatch), SM_SHARED_DATA (default ../shared/data beside
# the project, found from this script's folder), BASELINE_EVERY (default 8: every 8th voice of
# voices31380.bin).
set -eu

me=evaluate_real.sh
usage() {
    echo "usage: datasets/$me SETDIR OUTDIR [--synth fm6|drum] [--match-args 'ARGS']" >&2
    exit 2
}
sm=${SOUNDMATCH:-./soundmatch}
setdir=
outdir=
synth=fm6
match_args=
while [ $# -gt 0 ]; do
    case $1 in
    --synth) [ $# -ge 2 ] || usage; synth=$2; shift 2 ;;
    --synth=*) synth=${1#--synth=}; shift ;;
    --match-args) [ $# -ge 2 ] || usage; match_args=$2; shift 2 ;;
    --match-args=*) match_args=${1#--match-args=}; shift ;;
    -h|--help) usage ;;
    -*) echo "$me: unknown option '$1'" >&2; usage ;;
    *)
        if [ -z "$setdir" ]; then setdir=$1
        elif [ -z "$outdir" ]; then outdir=$1
        else usage
        fi
        shift ;;
    esac
done
if [ -z "$setdir" ] || [ -z "$outdir" ]; then usage; fi
case $synth in fm6|drum) ;; *) echo "$me: --synth is fm6 or drum, not '$synth'" >&2; exit 2 ;; esac
[ -d "$setdir" ] || { echo "$me: $setdir is not a folder" >&2; exit 1; }
if [ ! -x "$sm" ]; then
    echo "$me: no soundmatch program at $sm (build it, or set SOUNDMATCH=/path/to/soundmatch)" >&2
    exit 1
fi
for cmd in compare baseline; do
    if ! "$sm" "$cmd" --help >/dev/null 2>&1; then
        echo "$me: $sm has no '$cmd' command (an older build?)" >&2
        exit 1
    fi
done

# The presets the baseline browses.
here=$(cd "$(dirname "$0")" && pwd)
shared=${SM_SHARED_DATA:-$here/../../shared/data}
[ -d "$shared" ] && shared=$(cd "$shared" && pwd)
every=${BASELINE_EVERY:-8}
case $every in ''|*[!0-9]*|0) echo "$me: BASELINE_EVERY must be a whole number >= 1" >&2; exit 2 ;; esac
if [ "$synth" = fm6 ]; then
    set -- "$shared/dx7/voices31380.bin" "$shared"/dx7/*.syx
else
    set -- "$shared"/microtonic/*.mtpreset
fi
for p in "$@"; do
    [ -f "$p" ] || { echo "$me: preset file $p is missing (SM_SHARED_DATA=$shared)" >&2; exit 1; }
done

mkdir -p "$outdir" || { echo "$me: cannot create $outdir" >&2; exit 1; }
list=$(mktemp)
rows="$outdir/summary.csv.tmp"
trap 'rm -f "$list" "$rows"' EXIT
find "$setdir" -maxdepth 1 -type f \( -iname '*.wav' -o -iname '*.flac' -o -iname '*.aif' \
    -o -iname '*.aiff' -o -iname '*.ogg' \) | LC_ALL=C sort > "$list"
total=$(wc -l < "$list")
[ "$total" -gt 0 ] || { echo "$me: $setdir holds no audio files" >&2; exit 1; }

now() { date +%s.%N; }
# CSV field: quoted, inner quotes doubled, newlines flattened.
q() { printf '"%s"' "$(printf '%s' "$1" | tr '\n\r' '  ' | sed 's/"/""/g')"; }
# The last line of a log, for an error column.
lastline() { [ -s "$1" ] && tail -n 1 "$1" || echo "no output"; }

# split_csv(line, out): the fields of one CSV line into out[1..n] (quoted fields may hold commas
# and doubled quotes); returns n. Prepended to the awk programs below.
CSV_AWK='
function split_csv(line, out,   n, i, c, field, inq) {
    n = 0; field = ""; inq = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (inq) {
            if (c == "\"") {
                if (substr(line, i + 1, 1) == "\"") { field = field "\""; i++ }
                else inq = 0
            } else field = field c
        } else if (c == "\"") inq = 1
        else if (c == ",") { out[++n] = field; field = "" }
        else field = field c
    }
    out[++n] = field
    return n
}'

# pick FILE KEY...: reads the CSV that soundmatch printed (a header, then rows) and prints the
# last row's value of the first column whose header contains one of the KEYs (lower case, in
# order of preference); nothing if there is none. Quoted fields may hold commas.
pick() {
    f=$1; shift
    awk -v keys="$*" "$CSV_AWK"'
    { sub(/\r$/, "") }
    !header && /,/ { nh = split_csv(tolower($0), h); header = 1; next }
    header && NF { last = $0 }
    END {
        if (!header || last == "") exit
        split_csv(last, row)
        nk = split(keys, k, " ")
        for (j = 1; j <= nk; j++)
            for (i = 1; i <= nh; i++)
                if (index(h[i], k[j])) { print row[i]; exit }
    }' "$f"
}

# baseline TARGET OUT ARGS...: runs soundmatch baseline into OUT.csv (its messages in OUT.log)
# and keeps its answer in p_lm, p_ld and p_name if it is closer than the one they hold; a
# failure is added to err.
baseline() {
    b_target=$1 b_out=$2
    shift 2
    if "$sm" baseline "$b_target" --csv "$@" </dev/null >"$b_out.csv" 2>"$b_out.log"; then
        b_lm=$(pick "$b_out.csv" logmel log_mel log-mel mel)
        if [ -z "$b_lm" ]; then
            err="${err:+$err; }baseline: no log-mel column in $b_out.csv"
        elif [ -z "$p_lm" ] || awk -v a="$b_lm" -v b="$p_lm" 'BEGIN { exit !(a + 0 < b + 0) }'; then
            p_lm=$b_lm
            p_ld=$(pick "$b_out.csv" loudness loud level)
            # NAME (FILE:INDEX): FILE:INDEX loads it in soundmatch render --patch
            p_name=$(pick "$b_out.csv" name)
            b_file=$(pick "$b_out.csv" file)
            [ -z "$b_file" ] || p_name="$p_name ($(basename "$b_file"):$(pick "$b_out.csv" index))"
        fi
    else
        err="${err:+$err; }baseline: $(lastline "$b_out.log")"
    fi
}

echo "file,seconds,match_logmel_db,match_loudness_db,preset_logmel_db,preset_name,closer,loudness_ok,preset_loudness_db,error" > "$rows"
n=0
while IFS= read -r file; do
    n=$((n + 1))
    base=$(basename "$file")
    name=${base%.*}
    dir="$outdir/$name"
    mkdir -p "$dir"
    err=
    secs='' m_lm='' m_ld='' p_lm='' p_name='' p_ld=''
    # the match, at the program's defaults plus the extra arguments
    rm -f "$dir/best.wav"
    t0=$(now)
    if eval "\"\$sm\" match \"\$file\" -o \"\$dir\" --fresh --synth \"\$synth\" $match_args" \
            </dev/null >"$dir/match.log" 2>&1 && [ -f "$dir/best.wav" ]; then
        t1=$(now)
        secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
        if "$sm" compare "$file" "$dir/best.wav" --csv </dev/null >"$dir/compare.csv" \
                2>"$dir/compare.log"; then
            m_lm=$(pick "$dir/compare.csv" logmel log_mel log-mel mel)
            m_ld=$(pick "$dir/compare.csv" loudness loud level)
            [ -n "$m_lm" ] && [ -n "$m_ld" ] ||
                err="compare: no log-mel or loudness column in $dir/compare.csv"
        else
            err="compare: $(lastline "$dir/compare.log")"
        fi
    else
        t1=$(now)
        secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
        err="match: $(lastline "$dir/match.log")"
    fi
    # the closest preset, whatever became of the match. baseline's --every thins every file it
    # is given, so fm6 asks twice (every 8th voice of voices31380.bin; every voice of the
    # banks) and keeps the closer answer
    if [ "$synth" = fm6 ]; then
        baseline "$file" "$dir/baseline_voices" --note auto --every "$every" \
            "$shared/dx7/voices31380.bin"
        baseline "$file" "$dir/baseline_banks" --note auto "$shared"/dx7/*.syx
    else
        baseline "$file" "$dir/baseline" --synth drum "$shared"/microtonic/*.mtpreset
    fi
    closer='' ok=''
    if [ -n "$m_lm" ] && [ -n "$p_lm" ]; then
        closer=$(awk -v m="$m_lm" -v p="$p_lm" 'BEGIN { print (m + 0 < p + 0) ? "yes" : "no" }')
    fi
    if [ -n "$m_ld" ]; then
        ok=$(awk -v d="$m_ld" 'BEGIN { print (d + 0 <= 3 && d + 0 >= -3) ? "yes" : "no" }')
    fi
    printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$(q "$base")" "$secs" "$m_lm" "$m_ld" "$p_lm" \
        "$(q "$p_name")" "$closer" "$ok" "$p_ld" "$(q "$err")" >> "$rows"
    echo "$me: [$n/$total] $base: ${secs}s, match ${m_lm:-?} dB (loudness ${m_ld:-?} dB), preset ${p_lm:-?} dB ${p_name:+($p_name)}${err:+ ERROR: $err}" >&2
done < "$list"
mv "$rows" "$outdir/summary.csv"
trap 'rm -f "$list"' EXIT

# The summary, over every file: a failure counts as neither closer nor loud enough.
awk -v out="$outdir/summary.csv" "$CSV_AWK"'
function sort_num(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
function median(a, n) {
    if (n == 0) return "nan"
    sort_num(a, n)
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
NR == 1 { next }
{
    split_csv($0, f)
    files++
    if (f[10] != "") errors++
    if (f[3] != "") ml[++nm] = f[3] + 0
    if (f[5] != "") pl[++np] = f[5] + 0
    if (f[7] == "yes") closer++
    if (f[8] == "yes") loud++
    if (f[2] != "" && f[2] + 0 > maxs) { maxs = f[2] + 0; maxf = f[1] }
}
END {
    mm = median(ml, nm); mp = median(pl, np)
    printf "%s\n", out
    printf "files: %d (%d with an error)\n", files, errors
    printf "median log-mel distance: match %s dB (%d files), closest preset %s dB (%d files)\n",
        (nm ? sprintf("%.2f", mm) : "-"), nm, (np ? sprintf("%.2f", mp) : "-"), np
    if (nm && np && mp > 0) printf "ratio match / preset: %.3f\n", mm / mp
    printf "closer than the preset: %d of %d (%.0f%%)\n", closer, files, files ? 100 * closer / files : 0
    printf "within 3 dB of loudness: %d of %d (%.0f%%)\n", loud, files, files ? 100 * loud / files : 0
    printf "longest match: %.2f s (%s)\n", maxs, maxf
}' "$outdir/summary.csv"
