/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/bench_grad.c: the cost of one exact gradient of the neuron voice (synths/neuron_grad.c)
 * and of the fm6 voice's relaxed gradient (synths/fm6_grad.c) relative to one render, and
 * their memory, at 1 s and 10 s of 44.1 kHz audio, on one core (CPU time, best of 5 each).
 *   render      sm_synth_neuron.render
 *   grad        render_grad's forward pass (with its tape) plus its backward pass, for a given
 *               dL/dout: the synth's whole share of a gradient
 *   objective   what an optimizer step costs: render + the cost's value (sm_cost_eval), against
 *               render_grad forward + the cost's value and gradient (features/cost_grad.c) +
 *               render_grad backward; the cost is the log-mel distance (1024/256/96) plus the
 *               level term (experiments/neuron_grad.ini's and neuron_learn.ini's), and once
 *               the default cost, the MFCC distance (2048/512, 128 mels, 20 coefficients)
 * Voices: the default 2-neuron voice (also with filter_type lowpass24, the two-stage cascade,
 * at 1 s, and then with the low cut at 200 Hz: neuron_grad.ini's voice), and a fully
 * connected 8-neuron network (every parameter drawn with seed 1,
 * n_neurons 8). Memory: the tape's bytes (sm_neuron_grad_tape_bytes) and the
 * cost gradient's dL/dout (8 bytes a sample).
 * fm6: rom1a's "BRASS   1" as the shared data folder's README describes it (algorithm 22,
 * feedback 7: six operators, one of them self-feedback) when the folder is there, else six
 * operators of a random voice (seed 1, algorithm 22); the cost is experiments/fm6_grad.ini's
 * (the multi-resolution spectral distance with gain normalisation, plus 0.1 x level beyond
 * 12 dB), and the objective with its gradient also renders the rounded point and scores it,
 * as experiments/objective_grad.c does for relaxed parameters.
 * Usage: bench_grad. Prints one `bench_grad: ...` line per voice and length. */
#include "core/rng.h"
#include "features/cost_grad.h"
#include "synths/neuron_internal.h"
#include "synths/fm6_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SR 44100.0
#define REPEATS 5

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* mfcc: the neuron voice under the default cost, the MFCC distance, instead of
 * neuron_grad.ini's log-mel + level. */
static int bench(const sm_synth_type *syn, const char *label, const double *native,
                 double seconds, int mfcc)
{
    const int fm6 = syn == &sm_synth_fm6;
    const size_t n = (size_t)(SR * seconds);
    sm_error err = {0, ""};
    void *st = syn->alloc(SR, &err);
    float *out = malloc(n * sizeof *out), *tg = malloc(n * sizeof *tg);
    double *r = malloc(n * sizeof *r), g[SM_FM6_NPARAMS > P_TOTAL ? SM_FM6_NPARAMS : P_TOTAL];
    double t_render = 1e30, t_grad = 1e30, t_obj = 1e30, t_objg = 1e30;
    sm_note note = sm_note_default();
    sm_cost_config cc = sm_cost_config_default(SR);
    sm_cost_target *ct = NULL;
    sm_cost *cost = NULL;
    sm_cost_grad *cg = NULL;
    size_t i;
    int rep, nn = fm6 ? 0 : (int)native[P_N_NEURONS];
    if (!st || !out || !tg || !r) return 1;
    note.note = 57;
    note.gate_s = 0.75 * seconds;
    note.length_s = seconds;
    for (i = 0; i < n; i++) /* a target: a decaying 220 Hz saw-like tone */
        tg[i] = (float)(0.4 * exp(-2.0 * (double)i / SR) *
                        (2.0 * fmod(220.0 * (double)i / SR, 1.0) - 1.0));
    cc.w_mfcc = 0;
    if (mfcc) {
        cc.w_mfcc = 1;
    } else if (fm6) {
        cc.w_mss = 1;
        cc.normalize_gain = 1;
        cc.w_level = 0.1;
        cc.level_free_db = 12;
    } else {
        cc.w_logmel = 1;
        cc.w_level = 0.3;
    }
    ct = sm_cost_target_alloc(&cc, tg, n, &err);
    cost = ct ? sm_cost_alloc(ct, &err) : NULL;
    cg = sm_cost_grad_alloc(&cc, tg, n, &err);
    if (!cost || !cg) {
        fprintf(stderr, "bench_grad: %s\n", err.msg);
        return 1;
    }
    for (i = 0; i < n; i++) r[i] = 1e-3 * sin(0.01 * (double)i);
    for (rep = 0; rep < REPEATS; rep++) {
        double t0 = cpu_s();
        syn->render(st, native, &note, out, n);
        t_render = fmin(t_render, cpu_s() - t0);
        t0 = cpu_s();
        memset(g, 0, sizeof g);
        syn->render_grad(st, native, &note, n, out, NULL, NULL);
        syn->render_grad(st, NULL, NULL, n, NULL, r, g);
        t_grad = fmin(t_grad, cpu_s() - t0);
        t0 = cpu_s();
        syn->render(st, native, &note, out, n);
        (void)sm_cost_eval(cost, out, n);
        t_obj = fmin(t_obj, cpu_s() - t0);
        t0 = cpu_s();
        syn->render_grad(st, native, &note, n, out, NULL, NULL);
        (void)sm_cost_grad_eval(cg, out, n, r);
        memset(g, 0, sizeof g);
        syn->render_grad(st, NULL, NULL, n, NULL, r, g);
        if (fm6) { /* the rounded point, by render, and its cost */
            syn->render(st, native, &note, out, n);
            (void)sm_cost_grad_eval(cg, out, n, NULL);
        }
        t_objg = fmin(t_objg, cpu_s() - t0);
    }
    printf("bench_grad: %s%s %.0f s: render %.1f ms, render_grad forward+backward %.1f ms "
           "(%.2fx render); objective %.1f ms, with its exact gradient %.1f ms (%.2fx); tape "
           "%.1f MB + dL/dout %.1f MB\n",
           label, mfcc ? ", MFCC cost" : "", seconds, 1e3 * t_render, 1e3 * t_grad,
           t_grad / t_render, 1e3 * t_obj, 1e3 * t_objg, t_objg / t_obj,
           (fm6 ? sm_fm6_grad_tape_bytes(n) : sm_neuron_grad_tape_bytes(n, nn)) / 1e6,
           (double)n * sizeof(double) / 1e6);
    sm_cost_grad_free(cg);
    sm_cost_free(cost);
    sm_cost_target_free(ct);
    syn->free(st);
    free(out);
    free(tg);
    free(r);
    return 0;
}

int main(void)
{
    const sm_param_space *s = sm_synth_neuron.space;
    double native[P_TOTAL], x[P_TOTAL];
    sm_rng rng;
    size_t i;
    int rc = 0;
    sm_params_defaults(s, native);
    rc |= bench(&sm_synth_neuron, "default voice", native, 1.0, 0);
    rc |= bench(&sm_synth_neuron, "default voice", native, 10.0, 0);
    native[P_FILTER_TYPE] = SM_NEURON_FILTER_LOWPASS24;
    rc |= bench(&sm_synth_neuron, "default voice, lowpass24", native, 1.0, 0);
    rc |= bench(&sm_synth_neuron, "default voice, lowpass24", native, 1.0, 1);
    native[P_LOWCUT] = 200;
    rc |= bench(&sm_synth_neuron, "default voice, lowpass24, low cut 200 Hz", native, 1.0, 0);
    sm_rng_init(&rng, 1, 0);
    for (i = 0; i < s->n; i++) x[i] = sm_rng_uniform(&rng);
    sm_params_decode(s, x, native);
    native[P_N_NEURONS] = SM_NEURON_MAX;
    rc |= bench(&sm_synth_neuron, "8 neurons", native, 1.0, 0);
    rc |= bench(&sm_synth_neuron, "8 neurons", native, 10.0, 0);
    {
        const char *dir = getenv("SM_SHARED_DATA");
        char path[4096];
        double fm[SM_FM6_NPARAMS], *bank = NULL;
        size_t nv = 0;
        sm_error err = {0, ""};
        const char *label = "fm6 random voice, algorithm 22";
        double xf[SM_FM6_NPARAMS];
        snprintf(path, sizeof path, "%s/dx7/rom1a.syx", dir && *dir ? dir : "../shared/data");
        sm_rng_init(&rng, 1, 0);
        for (i = 0; i < SM_FM6_NPARAMS; i++) xf[i] = sm_rng_uniform(&rng);
        sm_params_decode(sm_synth_fm6.space, xf, fm);
        fm[SM_FM6_ALGORITHM] = 22;
        if (sm_synth_fm6.patch_load_all(path, &bank, &nv, &err) == 0 && nv > 0) {
            memcpy(fm, bank, sizeof fm);
            label = "fm6 rom1a BRASS 1";
        }
        free(bank);
        rc |= bench(&sm_synth_fm6, label, fm, 1.0, 0);
        rc |= bench(&sm_synth_fm6, label, fm, 10.0, 0);
    }
    return rc;
}
