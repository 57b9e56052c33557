/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli/cli.h: pieces shared by the soundmatch program's subcommands.
 * Only the program prints and exits; the library never does. Exit codes: 0 success,
 * 1 bad input (a message names the file and the problem), 2 bad usage. */
#ifndef SM_CLI_H
#define SM_CLI_H

#include <stdio.h>
#include "core/error.h"
#include "synths/dx7_sysex.h"

enum { SM_EXIT_OK = 0, SM_EXIT_INPUT = 1, SM_EXIT_USAGE = 2 };

/* Prints "soundmatch CMD: MESSAGE" on stderr and returns the exit code for it. */
int sm_cli_fail(const char *cmd, const sm_error *err);
/* Prints a usage error ("soundmatch CMD: MSG; see soundmatch CMD --help") and returns 2. */
int sm_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "soundmatch CMD: warning: MESSAGE" on stderr (e.g. sm_audio_info.warning). */
void sm_cli_warn(const char *cmd, const char *msg);
/* Flushes and closes standard output; if anything written to it was lost (a full disk, a
 * closed pipe), prints "soundmatch CMD: writing standard output failed: REASON" and returns
 * 1 (or rc if rc is already a failure). Otherwise returns rc. main() calls it once. */
int sm_cli_close_stdout(const char *cmd, int rc);
/* Parses a number option; on failure prints a usage error. Returns 0 or 2. */
int sm_cli_number(const char *cmd, const char *opt, const char *text, double lo, double hi,
                  double *out);
/* Prints a help text on stdout with "{synths}" and "{optimizers}" replaced by the registered
 * names, so that help texts follow the registries. Returns SM_EXIT_OK. */
int sm_cli_help(const char *text);
/* 1 if argv[i] is -h or --help. */
int sm_cli_is_help(const char *arg);
/* 1 when stderr is a terminal (progress lines are shown only then). */
int sm_cli_tty(void);
/* The shared data file `rel` (e.g. "dx7/voices31380.bin"): in $SM_SHARED_DATA when that is
 * set, else in a folder shared/data beside the current folder or the program's folder, or 1 to
 * 4 levels above either (a source tree with ../shared beside it, an out-of-tree build). A new
 * absolute path (free()), or NULL when no readable file is found. */
char *sm_cli_shared_file(const char *rel);

int sm_cmd_features(int argc, char **argv);
int sm_cmd_info(int argc, char **argv);
int sm_cmd_render(int argc, char **argv);
int sm_cmd_sysex(int argc, char **argv);
int sm_cmd_bank(int argc, char **argv);
int sm_cmd_generate(int argc, char **argv);
int sm_cmd_timbre(int argc, char **argv);
int sm_cmd_match(int argc, char **argv);
int sm_cmd_run(int argc, char **argv);
int sm_cmd_report(int argc, char **argv);
int sm_cmd_list(int argc, char **argv);
int sm_cmd_compare(int argc, char **argv);
int sm_cmd_baseline(int argc, char **argv);
int sm_cmd_describe(int argc, char **argv);
int sm_cmd_design(int argc, char **argv);
int sm_cmd_morph(int argc, char **argv);

/* The listening page NAME.html beside the banks files[] (out: the first bank's name) of
 * voices[0..n): each voice rendered and described, its kind given when the timbre model is
 * cached (cli/cli_generate.c). notes (may be NULL) adds a line per voice. Returns 0 or 1 (the
 * error printed). */
int sm_cli_bank_page(const char *out, const sm_dx7_voice *voices, size_t n, char **files,
                     const char *const *notes, const char *intro);

/* info for patch files (.syx, .mtpreset): returns -1 if path is not one. */
int sm_cli_patch_info(const char *path);

#endif
