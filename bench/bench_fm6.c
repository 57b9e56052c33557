/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/bench_fm6.c: fm6 rendering speed: seconds of audio rendered per second of CPU for one
 * voice at 44.1 kHz, averaged over the 32 voices of the DX7 factory bank rom1a (note 60,
 * velocity 100, gate 1 s, 2 s rendered). The target is at least 1000x real time on one core.
 * It also renders the bank in pairs of voices (v, 33 - v) with render2, as the matcher does.
 * Usage: bench_fm6 [rom1a.syx] (default $SM_SHARED_DATA/dx7/rom1a.syx).
 * Prints `bench_fm6: realtime_factor=NNN` and `bench_fm6_pairs: realtime_factor=NNN`. */
#include "synths/dx7_sysex.h"
#include "synths/fm6.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const double sr = 44100, length_s = 2.0;
    const size_t n = (size_t)(sr * length_s);
    const int reps = 5;
    char path[4096];
    sm_error err = {0};
    sm_dx7_bank bank;
    sm_note note;
    double *native, best = 0, checksum = 0;
    float *out, *out2;
    void *st;
    size_t v, i;
    int rep;

    if (argc > 1) {
        snprintf(path, sizeof path, "%s", argv[1]);
    } else {
        const char *d = getenv("SM_SHARED_DATA");
        snprintf(path, sizeof path, "%s/dx7/rom1a.syx", d && *d ? d : "../shared/data");
    }
    if (sm_dx7_load(path, &bank, &err) != 0) {
        fprintf(stderr, "bench_fm6: %s\n", sm_error_text(&err));
        return 1;
    }
    native = malloc(bank.n * SM_FM6_NPARAMS * sizeof *native);
    out = malloc(n * sizeof *out);
    out2 = malloc(n * sizeof *out2);
    st = sm_synth_fm6.alloc(sr, &err);
    if (!native || !out || !out2 || !st) {
        fprintf(stderr, "bench_fm6: %s\n", err.code ? sm_error_text(&err) : "out of memory");
        return 1;
    }
    for (v = 0; v < bank.n; v++) sm_dx7_voice_to_native(&bank.voices[v], native + v * SM_FM6_NPARAMS);

    memset(&note, 0, sizeof note);
    note.note = 60;
    note.velocity = 100;
    note.gate_s = 1.0;
    note.length_s = length_s;
    note.seed = 1;
    /* Best of a few passes over the bank, so a busy neighbour does not count against us. */
    for (rep = 0; rep < reps; rep++) {
        double t0 = cpu_s(), t, factor;
        for (v = 0; v < bank.n; v++) {
            if (sm_synth_fm6.render(st, native + v * SM_FM6_NPARAMS, &note, out, n) != 0) {
                fprintf(stderr, "bench_fm6: render failed on voice %zu\n", v + 1);
                return 1;
            }
            for (i = 0; i < n; i += 997) checksum += out[i];
        }
        t = cpu_s() - t0;
        factor = t > 0 ? (double)bank.n * length_s / t : 0;
        if (factor > best) best = factor;
    }
    printf("bench_fm6: realtime_factor=%.0f (%zu voices of %s, 44.1 kHz, 2 s notes; "
           "checksum %.3g)\n", best, bank.n, path, checksum);
    /* The same notes two at a time: voice v beside voice 33 - v. */
    best = 0;
    for (rep = 0; rep < reps; rep++) {
        double t0 = cpu_s(), t, factor;
        for (v = 0; v + 1 < bank.n; v += 2) {
            const double *a = native + (v / 2) * SM_FM6_NPARAMS;
            const double *b = native + (bank.n - 1 - v / 2) * SM_FM6_NPARAMS;
            if (sm_synth_fm6.render2(st, a, b, &note, out, out2, n) != 0) {
                fprintf(stderr, "bench_fm6: render2 failed on voices %zu and %zu\n", v / 2 + 1,
                        bank.n - v / 2);
                return 1;
            }
        }
        t = cpu_s() - t0;
        factor = t > 0 ? (double)(bank.n / 2 * 2) * length_s / t : 0;
        if (factor > best) best = factor;
    }
    printf("bench_fm6_pairs: realtime_factor=%.0f (the same notes rendered two at a time)\n",
           best);
    sm_synth_fm6.free(st);
    sm_dx7_bank_free(&bank);
    free(native);
    free(out);
    free(out2);
    return 0;
}
