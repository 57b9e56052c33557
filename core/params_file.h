/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/params_file.h: parameter files (".params"), the patch format of a synth that has no
 * format of its own (the neuron voice). An INI file: a [patch] section (synth = NAME, name =
 * the patch's name), then a [params] section of "name = value" lines in native units, enum
 * values by their labels, as `soundmatch list SYNTH` names them. */
#ifndef SM_PARAMS_FILE_H
#define SM_PARAMS_FILE_H

#include <stddef.h>
#include "core/error.h"
#include "core/params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes every parameter of native (sp->n values) as synth's patch called name (may be NULL),
 * all-or-nothing. Returns 0 or an sm_err: SM_ERR_ARG (a value is not finite: nothing is
 * written), SM_ERR_IO. */
int sm_params_file_save(const char *synth, const sm_param_space *sp, const char *path,
                        const double *native, const char *name, sm_error *err);
/* Reads a parameter file of synth into native (sp->n values); a parameter the file does not
 * name keeps its default, so a hand-written file may hold only what it changes. name receives
 * the patch's name (name_len bytes, may be NULL). spec is the file's path, or "FILE:1" (the
 * file holds one patch). Returns 0, or an sm_err with err naming the file and, for what is
 * wrong inside it, the line: SM_ERR_IO (unreadable), SM_ERR_CONFIG (not INI, another synth's
 * file, an unknown parameter or section; a repeated one takes its last value), SM_ERR_NOTFOUND (FILE:N, N > 1),
 * SM_ERR_FORMAT, SM_ERR_RANGE, SM_ERR_NONFINITE (a value the parameter cannot take). native
 * is unchanged on failure. */
int sm_params_file_load(const char *synth, const sm_param_space *sp, const char *spec,
                        double *native, char *name, size_t name_len, sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
