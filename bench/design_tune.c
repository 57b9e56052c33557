/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/design_tune.c: how the design search's settings do on a set of recordings (the
 * tuning set; the held-out set is measured with datasets/evaluate_design.sh).
 *
 *   bench/design_tune BUDGET STARTS SIGMA FILE.wav...
 *
 * Drum only: the index of `soundmatch design` (the shared Microtonic presets if
 * $SM_SHARED_DATA names the folder, plus 4,000 random patches; cached), each file's seven
 * descriptors as the goal (means only), 1 s renders. Prints per file the evaluations, CPU
 * seconds and the worst normalised error, then the median of each descriptor's error. */
#include "core/audio.h"
#include "datasets/descr_index.h"
#include "experiments/design.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    sm_dindex_config ic = sm_dindex_config_default(&sm_synth_drum);
    sm_dindex *idx;
    sm_error err = {0};
    char p1[4096], p2[4096];
    const char *shared = getenv("SM_SHARED_DATA");
    double *errs;
    int f, d, nf;
    if (argc < 5) {
        fprintf(stderr, "usage: bench/design_tune BUDGET STARTS SIGMA FILE.wav...\n");
        return 2;
    }
    nf = argc - 4;
    errs = calloc((size_t)nf * SM_D_COUNT, sizeof *errs);
    ic.note = sm_design_note(&sm_synth_drum);
    ic.n_random = 4000;
    if (shared) {
        snprintf(p1, sizeof p1, "%s/microtonic/default.mtpreset", shared);
        snprintf(p2, sizeof p2, "%s/microtonic/supertonic_default.mtpreset", shared);
        ic.patch_files[0] = p1;
        ic.patch_files[1] = p2;
        ic.n_patch_files = 2;
    }
    if (!(idx = sm_dindex_open(&ic, &err))) {
        fprintf(stderr, "design_tune: %s\n", sm_error_text(&err));
        return 1;
    }
    for (f = 0; f < nf; f++) {
        sm_design_config c = sm_design_config_default(&sm_synth_drum, idx);
        sm_design_result r;
        sm_descr_goal g;
        float *x = NULL;
        size_t n = 0;
        double worst = 0;
        clock_t t0;
        c.budget = (size_t)atol(argv[1]);
        c.starts = (size_t)atol(argv[2]);
        c.sigma = atof(argv[3]);
        memset(&g, 0, sizeof g);
        if (sm_design_read_target(argv[4 + f], 44100, 3.0, &x, &n, NULL, &err) != 0 ||
            sm_describe(x, n, 44100, &g.means, NULL, NULL, NULL, &err) != 0) {
            fprintf(stderr, "design_tune: %s\n", sm_error_text(&err));
            return 1;
        }
        for (d = 0; d < SM_D_COUNT; d++) g.given[d] = 1;
        t0 = clock();
        if (sm_design_run(&c, &g, NULL, 0, NULL, 0, &r, &err) != 0) {
            fprintf(stderr, "design_tune: %s\n", sm_error_text(&err));
            return 1;
        }
        for (d = 0; d < SM_D_COUNT; d++) {
            errs[d * nf + f] = r.error[d];
            worst = fmax(worst, r.error[d]);
        }
        printf("%-40s %5zu evals %6.2f s CPU, worst error %.3f\n", argv[4 + f], r.evals,
               (double)(clock() - t0) / CLOCKS_PER_SEC, worst);
        sm_design_result_free(&r);
        free(x);
    }
    printf("median error:");
    for (d = 0; d < SM_D_COUNT; d++) {
        qsort(errs + d * nf, (size_t)nf, sizeof *errs, cmp);
        printf(" %s %.3f", sm_descriptor_get(d)->name, errs[d * nf + nf / 2]);
    }
    printf("\n");
    free(errs);
    sm_dindex_free(idx);
    return 0;
}
