/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_descr.h: the seven sound descriptors of a target and its match, as an
 * HTML table for the experiment report (one per match). */
#ifndef SM_REPORT_DESCR_H
#define SM_REPORT_DESCR_H

#include <stdio.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes to f a <table class="descr"> of the seven descriptors (features/features.h) of
 * target_wav and match_wav, in value units, with each of the match's errors: |difference| in
 * comparison units over the spread of synth's reference set (sm_descr_scales: "drum", "fm6";
 * others use fm6's). Both files are read as `soundmatch describe` reads them (mono, 44.1 kHz,
 * DC removed). A file that cannot be read or is silent gives a one-line note naming it
 * (<p class="note">) instead of the table, not a failure: the report goes on. Returns 0,
 * SM_ERR_ARG (NULL f or path) or SM_ERR_NOMEM. */
int sm_report_descr_table(FILE *f, const char *target_wav, const char *match_wav,
                          const char *synth, sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
