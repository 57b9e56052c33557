/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/banks.h: many DX7 voices as 32-voice banks: voice names and bank files.
 *
 * The naming rules of `soundmatch bank` and `soundmatch generate`: a name is at most 10
 * characters of the DX7's character set (synths/dx7_sysex.h, sm_dx7_name_char), trailing
 * spaces trimmed; within one bank names are unique, a clash ending in a number ("PIANO C4",
 * "PIANO C4 2"). n voices go to ceil(n / 32) bank files NAME.syx, NAME-2.syx, ..., the last
 * one filled up with INIT VOICE, written all-or-nothing as a set. */
#ifndef SM_DATASETS_BANKS_H
#define SM_DATASETS_BANKS_H

#include <stddef.h>
#include "core/error.h"
#include "synths/dx7_sysex.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef char sm_voice_name[SM_DX7_NAME_LEN + 1];

/* A voice name from text: its first 10 characters, each through sm_dx7_name_char; with
 * upper = 1 also upper-cased and '_' read as a space (file names' word separator). Trailing
 * spaces are trimmed; the result may be "". text NULL gives "". */
void sm_bank_name_from_text(const char *text, int upper, sm_voice_name out);

/* Makes names[i] unique among names[from..i) (one bank): unchanged if it is, otherwise the
 * first of "NAME 2", "NAME 3", ... (NAME cut so that the whole fits 10 characters) that is.
 * An empty name becomes "VOICE" first. Needs from <= i. */
void sm_bank_unique_name(sm_voice_name *names, size_t from, size_t i);

/* Stores name (at most 10 characters, padded with spaces) as v's name. */
void sm_bank_set_name(sm_dx7_voice *v, const char *name);

/* The file of bank b (0-based) for the output name out: "NAME.syx" for b = 0, "NAME-2.syx",
 * "NAME-3.syx", ... after it (the extension keeps its case; a name without ".syx" gets it:
 * "x" -> "x.syx", "x-2.syx"). A new string the caller frees, or NULL (out of memory). */
char *sm_bank_file(const char *out, size_t b);

/* The number of bank files n voices fill: ceil(n / 32) (0 for n = 0). */
size_t sm_bank_count(size_t n);

/* Writes voices[0..n) as sm_bank_count(n) bank files named by sm_bank_file(out, b),
 * all-or-nothing: when one fails, the ones already written by this call are removed. Voices
 * keep the names they hold. files (may be NULL) receives a new array of the file names
 * (free each with free(), then the array; sm_bank_files_free does both). Returns 0,
 * SM_ERR_ARG (n 0, NULL voices or out), SM_ERR_IO or SM_ERR_NOMEM, with err naming the
 * file. */
int sm_bank_write_all(const char *out, const sm_dx7_voice *voices, size_t n, char ***files,
                      sm_error *err);
/* Frees the array of n file names from sm_bank_write_all. NULL is harmless. */
void sm_bank_files_free(char **files, size_t n);

#ifdef __cplusplus
}
#endif

#endif
