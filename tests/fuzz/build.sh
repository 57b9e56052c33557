#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/fuzz/build.sh: builds the libFuzzer harnesses tests/fuzz/fuzz_{ini,sysex,mtpreset,audio,results}
# with clang, AddressSanitizer and UndefinedBehaviorSanitizer. Run by `make fuzz`, which
# passes the library's sources and flags:
#   FUZZ_CC       clang (or clang-NN); if it is missing the script says so and stops
#   SRCDIR        the source tree;  OUTDIR  where the programs go (BUILDDIR/tests/fuzz)
#   SOURCES       the library's sources, relative to SRCDIR (headers are skipped)
#   FUZZ_CPPFLAGS include paths and defines;  FUZZ_LIBS  the libraries to link
# The library is compiled once into OUTDIR/obj with coverage instrumentation
# (-fsanitize=fuzzer-no-link), then each harness is linked with -fsanitize=fuzzer.
set -e
if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
    echo "make fuzz: '$FUZZ_CC' was not found; libFuzzer needs clang (make fuzz SM_FUZZ_CC=clang-NN)"
    exit 1
fi
SAN="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
mkdir -p "$OUTDIR/obj"
objs=""
for f in $SOURCES; do
    case "$f" in *.c) ;; *) continue ;; esac
    o="$OUTDIR/obj/$(echo "$f" | sed 's|/|_|g; s|\.c$|.o|')"
    if [ ! -f "$o" ] || [ "$SRCDIR/$f" -nt "$o" ]; then
        echo "  FUZZCC   $f"
        # shellcheck disable=SC2086
        "$FUZZ_CC" $SAN -fsanitize=fuzzer-no-link -fopenmp -std=gnu11 -w $FUZZ_CPPFLAGS \
            -c "$SRCDIR/$f" -o "$o"
    fi
    objs="$objs $o"
done
for n in ini sysex mtpreset audio results; do
    echo "  FUZZLD   tests/fuzz/fuzz_$n"
    # shellcheck disable=SC2086
    "$FUZZ_CC" $SAN -fsanitize=fuzzer -fopenmp -std=gnu11 $FUZZ_CPPFLAGS \
        "$SRCDIR/tests/fuzz/fuzz_$n.c" $objs $FUZZ_LIBS -o "$OUTDIR/fuzz_$n"
done
echo "make fuzz: built $OUTDIR/fuzz_ini, fuzz_sysex, fuzz_mtpreset, fuzz_audio and fuzz_results (see README, Fuzzing)"
