/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/descr_scales.c: measures the spreads of the seven sound descriptors over a reference
 * set, the scales features/descr_summary.c publishes (sm_descr_scales), and how long the
 * descriptor index takes to render.
 *
 *   bench/descr_scales drum SHARED/microtonic/default.mtpreset SHARED/microtonic/supertonic_default.mtpreset
 *   bench/descr_scales fm6 SHARED/dx7/voices31380.bin
 *
 * drum: the patches of the files plus 4,000 random drum patches (seed 1), velocity 127, 1 s;
 * fm6: every 8th voice of the files, MIDI 60, velocity 100, key held 1 s, 1.5 s rendered.
 * For each descriptor it prints the quartiles (comparison units) and the spread, the
 * interquartile range / 1.349 (the standard deviation of a normal distribution with that
 * range, robust to the silent and extreme patches random settings make); pitch over the
 * pitched patches only. No cache is read or written. */
#include "datasets/descr_index.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear-interpolated quantile q of sorted v[0..n). */
static double quantile(const double *v, size_t n, double q)
{
    const double pos = q * (double)(n - 1);
    const size_t i = (size_t)floor(pos);
    return i + 1 < n ? v[i] + (pos - (double)i) * (v[i + 1] - v[i]) : v[n - 1];
}

int main(int argc, char **argv)
{
    sm_dindex_config c;
    sm_dindex *idx;
    sm_error err = {0};
    double *v, t0;
    size_t n, i, m;
    int d, f;
    if (argc < 3) {
        fprintf(stderr, "usage: bench/descr_scales drum|fm6 PATCHFILE...\n");
        return 2;
    }
    c = sm_dindex_config_default(sm_synth_find(argv[1]));
    if (!c.synth) {
        fprintf(stderr, "descr_scales: unknown synth %s\n", argv[1]);
        return 2;
    }
    for (f = 2; f < argc && c.n_patch_files < SM_DINDEX_MAX_FILES; f++)
        c.patch_files[c.n_patch_files++] = argv[f];
    c.no_cache = 1;
    if (strcmp(argv[1], "drum") == 0) {
        c.n_random = 4000;
        c.note.velocity = 127;
        c.note.length_s = 1.0;
        c.note.gate_s = 0.75;
    } else {
        c.every = 8;
        c.note.note = 60;
        c.note.velocity = 100;
        c.note.gate_s = 1.0;
        c.note.length_s = 1.5;
    }
    t0 = omp_get_wtime();
    if (!(idx = sm_dindex_open(&c, &err))) {
        fprintf(stderr, "descr_scales: %s\n", sm_error_text(&err));
        return 1;
    }
    n = sm_dindex_count(idx);
    printf("%s: %zu patches rendered and described in %.2f s (%d threads)\n", argv[1], n,
           omp_get_wtime() - t0, omp_get_max_threads());
    v = malloc(n * sizeof *v);
    printf("descriptor,units,sounding,q25,median,q75,spread\n");
    for (d = 0; d < SM_D_COUNT; d++) {
        double q1, q2, q3;
        for (i = m = 0; i < n; i++) {
            const sm_descr_means *mm = sm_dindex_means(idx, i);
            if (mm && !isnan(mm->cmp[d])) v[m++] = mm->cmp[d];
        }
        qsort(v, m, sizeof *v, cmp);
        q1 = quantile(v, m, 0.25);
        q2 = quantile(v, m, 0.5);
        q3 = quantile(v, m, 0.75);
        printf("%s,%s,%zu,%.3f,%.3f,%.3f,%.3f\n", sm_descriptor_get(d)->name,
               sm_descriptor_get(d)->cmp_unit, m, q1, q2, q3, (q3 - q1) / 1.349);
    }
    free(v);
    sm_dindex_free(idx);
    return 0;
}
