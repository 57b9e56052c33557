#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Writes, for help2man's --include, a COMMANDS section of the man page: every command's own
# --help text, so that the page says what `soundmatch COMMAND --help` says.
# usage: man-commands.sh PATH/TO/soundmatch > FILE
set -eu
prog=$1
roff() { sed -e 's/\\/\\e/g' -e "s/^\\./\\\\\\&./" -e "s/^'/\\\\\\&'/"; }
echo "[COMMANDS]"
for cmd in $("$prog" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'); do
    echo ".SS $cmd"
    echo ".nf"
    "$prog" "$cmd" --help | roff
    echo ".fi"
done
