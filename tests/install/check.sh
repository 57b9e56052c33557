#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Checks an installed soundmatch, as a user or integrator meets it:
#  - `make install` into a fresh prefix;
#  - a C program and a C++ program (tests/install/consumer.cpp) build against the installed
#    headers and library through pkg-config, with only the prefix's include folder, and run;
#  - the man page and the bash completion are installed; `man` reads the page;
#  - the installed `soundmatch run` finds an installed example by name and runs it to a report;
#  - `make uninstall` leaves no file behind.
# usage: tests/install/check.sh [CONFIGURE-ARGS...]   (from anywhere; builds in a temporary folder)
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
mkdir "$work/build"
(cd "$work/build" && "$src/configure" -q --prefix="$prefix" "$@" && make -s -j"$(nproc 2>/dev/null || echo 2)" >/dev/null \
    && make -s install >/dev/null) || { echo "install check: build or install failed" >&2; exit 1; }
build=$work/build
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export LD_LIBRARY_PATH="$prefix/lib"
cflags=$(pkg-config --cflags soundmatch)
libs=$(pkg-config --libs soundmatch)
case $cflags in *cairo*|*freetype*) echo "soundmatch.pc's Cflags name private dependencies: $cflags" >&2; exit 1 ;; esac
echo "pkg-config: $cflags $libs"
# C: each public header alone, then the umbrella
for h in "$prefix"/include/soundmatch/*.h; do
    printf '#include <soundmatch/%s>\nint main(void) { return 0; }\n' "$(basename "$h")" >"$work/one.c"
    cc -std=c11 -Wall -Wextra -Werror $cflags -c "$work/one.c" -o "$work/one.o"
done
printf '#include <soundmatch.h>\n#include <stdio.h>\nint main(void) { printf("C: %%s\\n", sm_version()); return sm_synth_find("drum") ? 0 : 1; }\n' >"$work/c.c"
cc -std=c11 -Wall -Wextra -Werror $cflags "$work/c.c" -o "$work/c" $libs
"$work/c"
# C++
c++ -std=c++11 -Wall -Wextra -Werror $cflags "$src/tests/install/consumer.cpp" -o "$work/cxx" $libs
"$work/cxx"
# the man page and the completion
test -s "$prefix/share/man/man1/soundmatch.1"
man -l "$prefix/share/man/man1/soundmatch.1" 2>/dev/null | grep -q "soundmatch match" || {
    grep -q "COMMANDS" "$prefix/share/man/man1/soundmatch.1"; }
test -s "$prefix/share/bash-completion/completions/soundmatch"
bash -c ". '$prefix/share/bash-completion/completions/soundmatch'; complete -p soundmatch" >/dev/null
test -s "$prefix/share/doc/soundmatch/README.md"
# an installed example, found by name from an empty folder
mkdir "$work/run" && cd "$work/run"
"$prefix/bin/soundmatch" run first_match.ini -q
test -s report/first_match/results.csv
test -s report/first_match/index.html
echo "installed soundmatch run first_match.ini: $(wc -l <report/first_match/results.csv) lines of results"
cd "$work"
make -C "$build" -s uninstall >/dev/null
left=$(find "$prefix" -type f | head -5)
if [ -n "$left" ]; then echo "make uninstall left files: $left" >&2; exit 1; fi
echo "install check: ok"
