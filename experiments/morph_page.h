/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/morph_page.h: the page of a morph (soundmatch morph): the descriptor
 * trajectories of both modes against the straight line between the two ends, their errors,
 * and a player for every step. One HTML file; plots embedded as PNG (experiments/plot.h),
 * audio linked from the step files beside it (MODE/step_K.wav). */
#ifndef SM_MORPH_PAGE_H
#define SM_MORPH_PAGE_H

#include "core/error.h"
#include "experiments/design.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *title_a, *title_b;          /* the two ends, as the user named them */
    const char *synth;
    double sample_rate;
    const double *scale;                    /* SM_D_COUNT spreads the errors were divided by */
    const sm_morph_result *by_descriptors;  /* either may be NULL (not both) */
    const sm_morph_result *by_parameters;
} sm_morph_page;

/* Writes the page to path all-or-nothing; the step WAVs are expected at descriptors/step_K.wav
 * and parameters/step_K.wav beside it. Returns 0, SM_ERR_ARG (no result, or results of
 * different step counts), SM_ERR_IO or SM_ERR_NOMEM, with a sentence in err. */
int sm_morph_page_write(const char *path, const sm_morph_page *in, sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
