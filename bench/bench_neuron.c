/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/bench_neuron.c: render speed of the neuron backend, in seconds of audio per CPU second
 * at 44.1 kHz on one core (best of 5 renders of 10 s each), for the default 2-neuron voice and
 * for a fully connected 8-neuron network (every parameter drawn at random with seed 1, then
 * n_neurons = 8: every feedback weight nonzero, mixed activations, cutoff modulation).
 * Usage: bench_neuron. Prints `bench_neuron: realtime_factor=N` and
 * `bench_neuron8: realtime_factor=N`. */
#include "core/rng.h"
#include "synths/neuron.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SR 44100.0
#define SECONDS 10.0
#define REPEATS 5

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds of audio per CPU second for one parameter vector; 0 on failure. */
static double realtime_factor(void *st, const double *native, float *out, size_t n)
{
    sm_note note;
    double best = 0;
    int rep;
    note.note = 57;
    note.velocity = 100;
    note.length_s = SECONDS;
    note.gate_s = SECONDS; /* held throughout: the network runs for every sample */
    note.seed = 1;
    for (rep = 0; rep < REPEATS; rep++) {
        double t0 = cpu_s(), dt, rate;
        if (sm_synth_neuron.render(st, native, &note, out, n) != 0) return 0;
        dt = cpu_s() - t0;
        rate = dt > 0 ? SECONDS / dt : 0;
        if (rate > best) best = rate;
    }
    return best;
}

int main(void)
{
    const sm_param_space *s = sm_synth_neuron.space;
    const size_t n = (size_t)(SR * SECONDS);
    sm_error err = {0};
    void *st = sm_synth_neuron.alloc(SR, &err);
    double *native = malloc(s->n * sizeof *native), *x = malloc(s->n * sizeof *x);
    float *out = malloc(n * sizeof *out);
    double rt2, rt8;
    sm_rng r;
    size_t i;
    int nn;
    if (!st || !native || !x || !out) {
        fprintf(stderr, "bench_neuron: %s\n", st ? "out of memory" : sm_error_text(&err));
        return 1;
    }
    sm_params_defaults(s, native);
    rt2 = realtime_factor(st, native, out, n);

    sm_rng_init(&r, 1, 0);
    for (i = 0; i < s->n; i++) x[i] = sm_rng_uniform(&r);
    sm_params_decode(s, x, native);
    nn = sm_params_find(s, "n_neurons");
    native[nn] = SM_NEURON_MAX;
    rt8 = realtime_factor(st, native, out, n);

    printf("bench_neuron: realtime_factor=%.0f\n", rt2);
    printf("bench_neuron8: realtime_factor=%.0f\n", rt8);
    sm_synth_neuron.free(st);
    free(native);
    free(x);
    free(out);
    return rt2 > 0 && rt8 > 0 ? 0 : 1;
}
