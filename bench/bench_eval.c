/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/bench_eval.c: matching throughput: evaluations per second of the whole objective
 * (fm6 render of 1 s at 44.1 kHz, 20-coefficient MFCC, MFCC cost) on 1 thread and on all
 * cores, scoring random points around rom1a's voices (every parameter free).
 * Usage: bench_eval [rom1a.syx]. Prints `bench_eval: evals_per_s_1t=N evals_per_s=N threads=T`. */
#include "core/eval.h"
#include "core/rng.h"
#include "experiments/objective.h"
#include "synths/synth.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double rate(sm_eval *ev, const double *x, size_t k, size_t d, double *cost)
{
    double best = 0;
    int rep;
    for (rep = 0; rep < 5; rep++) {
        double t0 = now_s(), r;
        sm_eval_batch(ev, x, k, d, cost);
        r = (double)k / (now_s() - t0);
        if (r > best) best = r;
    }
    return best;
}

int main(int argc, char **argv)
{
    const double sr = 44100;
    const size_t n = 44100, k = 512;
    const sm_synth_type *s = &sm_synth_fm6;
    sm_error err = {0};
    sm_param_view *view = sm_param_view_alloc(s->space);
    double *native = malloc(s->space->n * sizeof *native), *x, *cost;
    float *target;
    size_t tn, i, d;
    sm_note note = sm_note_default();
    sm_cost_config cc = sm_cost_config_default(sr);
    sm_cost_target *ct;
    sm_objective obj;
    sm_eval *e1, *e2;
    sm_rng r;
    const char *bank = argc > 1 ? argv[1] : NULL;
    char spec[4096];
    note.length_s = 1.0;
    note.gate_s = 0.75;
    sm_params_defaults(s->space, native);
    if (bank) {
        snprintf(spec, sizeof spec, "%s:11", bank);
        if (s->patch_load(spec, native, NULL, 0, &err) != 0) {
            fprintf(stderr, "bench_eval: %s\n", err.msg);
            return 1;
        }
    }
    if (sm_synth_render_note(s, sr, native, &note, &target, &tn, &err) != 0) {
        fprintf(stderr, "bench_eval: %s\n", err.msg);
        return 1;
    }
    ct = sm_cost_target_alloc(&cc, target, n, &err);
    if (!ct) {
        fprintf(stderr, "bench_eval: %s\n", err.msg);
        return 1;
    }
    sm_param_view_set_base(view, native);
    d = view->space.n;
    memset(&obj, 0, sizeof obj);
    obj.synth = s;
    obj.view = view;
    obj.note = note;
    obj.sample_rate = sr;
    obj.n_samples = n;
    obj.target = ct;
    x = malloc(k * d * sizeof *x);
    cost = malloc(k * sizeof *cost);
    /* random points near the voice: its coordinates plus small noise, so most operators sound */
    sm_param_view_project(view, native, x);
    sm_rng_init(&r, 1, 1);
    for (i = 1; i < k; i++) {
        size_t j;
        for (j = 0; j < d; j++) {
            double v = x[j] + 0.05 * sm_rng_normal(&r);
            x[i * d + j] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
    }
    e1 = sm_eval_alloc(&sm_objective_worker, &obj, 1, &err);
    e2 = sm_eval_alloc(&sm_objective_worker, &obj, 0, &err);
    if (!e1 || !e2) {
        fprintf(stderr, "bench_eval: %s\n", err.msg);
        return 1;
    }
    {
        double r1 = rate(e1, x, k, d, cost), r2 = rate(e2, x, k, d, cost);
        printf("bench_eval: evals_per_s_1t=%.0f evals_per_s=%.0f threads=%d (fm6 1 s at 44.1 kHz, "
               "MFCC 20, all %zu parameters free)\n", r1, r2, sm_eval_threads(e2), d);
    }
    sm_eval_free(e1);
    sm_eval_free(e2);
    sm_cost_target_free(ct);
    sm_param_view_free(view);
    free(native);
    free(target);
    free(x);
    free(cost);
    return 0;
}
