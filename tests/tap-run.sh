#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs one cmocka test program with TAP output, for automake's TAP driver, so that `make check`
# counts every test case, and every skip() shows in the totals as SKIP. cmocka 1.1 writes a
# skipped case as "not ok N # SKIP", which the TAP driver would count as a failure; TAP says a
# skip is "ok N # SKIP". The test program's exit status is kept.
status_file=${TMPDIR:-/tmp}/sm-tap-status.$$
trap 'rm -f "$status_file"' EXIT
{ CMOCKA_MESSAGE_OUTPUT=TAP "$@"; echo $? >"$status_file"; } | sed 's/^not ok \([0-9][0-9]*\) # SKIP/ok \1 # SKIP/'
exit "$(cat "$status_file")"
