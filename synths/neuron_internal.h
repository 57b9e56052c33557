/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/neuron_internal.h: what synths/neuron.c and synths/neuron_grad.c share (parameter
 * indices, the per-thread state, constants of the render). Internal to synths/; not
 * installed. */
#ifndef SM_NEURON_INTERNAL_H
#define SM_NEURON_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "synths/neuron.h"

/* Global parameters, then SM_NEURON_MAX blocks of N_PER_NEURON. */
enum {
    P_N_NEURONS,
    P_OSC_TRACKING,
    P_OSC1_WAVE,
    P_OSC1_RATIO,
    P_OSC2_WAVE,
    P_OSC2_RATIO,
    P_OSC3_WAVE,
    P_OSC3_RATIO,
    P_JOY_X,
    P_JOY_Y,
    P_JOY_Z,
    P_JOY_MOVE,
    P_JOY_RATE,
    P_FILTER_TYPE,
    P_FILTER_CUTOFF,
    P_FILTER_RES,
    P_FILTER_ENV,
    P_ENV_ATTACK,
    P_ENV_DECAY,
    P_ENV_SUSTAIN,
    P_ENV_RELEASE,
    P_LOWCUT,
    P_GLOBALS
};

/* Offsets within one neuron's block. */
enum {
    N_ACT,
    N_BIAS,
    N_W_OSC1,
    N_W_OSC2,
    N_W_OSC3,
    N_W_X,
    N_W_Y,
    N_W_Z,
    N_W_NOISE,
    N_FB1,
    N_DELAY = N_FB1 + SM_NEURON_MAX,
    N_THRESH,
    N_SPIKE,
    N_MIX,
    N_CUTMOD,
    N_PER_NEURON
};

#define P_TOTAL (P_GLOBALS + SM_NEURON_MAX * N_PER_NEURON)
#define NP(k, off) (P_GLOBALS + (k) * N_PER_NEURON + (off))

#define SINE_BITS 12
#define SINE_SIZE (1u << SINE_BITS)
#define SINE_FRAC_BITS (32 - SINE_BITS)
#define DELAY_SIZE 128u      /* ring length; holds the 65 past axons a 64-sample delay reads */
#define DELAY_MASK (DELAY_SIZE - 1)
#define CUT_LO_HZ 10.0       /* lowest cutoff the network can drive the filter to */
#define CUT_STEPS 48         /* filter table entries per octave */
#define N_INPUTS 7           /* osc1, osc2, osc3, x, y, z, noise */
#define IN_NOISE 6
#define FLUSH 1e-15f         /* states and samples below this become exactly 0 */
#define MIDDLE_C_HZ 261.6255653005986
#define LOWCUT_K 1.4142135623730951 /* the low cut's damping: Butterworth (Q 1/sqrt 2) */
#define LOWCUT_OFF_HZ 5.0            /* lowcut_hz at its minimum: the low cut is off */

/* The low cut's state-variable coefficients a[0..3) = a1, a2, a3 for lowcut_hz fc at rate sr
 * (fc held below 0.45 sr), shared by the render and the gradient; *dg_dfc (may be NULL)
 * receives d tan(pi fc / sr) / dfc (0 where held). Returns g = tan(pi fc / sr); the low cut
 * is on when fc > LOWCUT_OFF_HZ. */
static inline double neuron_lowcut_coefs(double fc, double sr, double a[3], double *dg_dfc)
{
    const int held = !(fc < 0.45 * sr);
    const double g = tan(M_PI * (held ? 0.45 * sr : fc) / sr);
    a[0] = 1.0 / (1.0 + g * (g + LOWCUT_K));
    a[1] = g * a[0];
    a[2] = g * a[1];
    if (dg_dfc) *dg_dfc = held ? 0.0 : M_PI / sr * (1.0 + g * g);
    return g;
}

/* The samples the key is held of an n-sample render: the gate in samples, within 0..n (a
 * NaN gate holds the key throughout). */
static inline size_t neuron_gate_samples(const sm_note *note, double sr, size_t n)
{
    double gate = note->gate_s * sr;
    if (isnan(gate)) return n;
    if (!(gate > 0)) return 0;
    if (gate >= (double)n) return n;
    return (size_t)llround(gate);
}

/* The frequency the oscillators' ratios multiply: middle C when they are fixed, else the
 * note's pitch (a non-finite note is 60; notes are held within -36..160). */
static inline double neuron_base_hz(const double *p, const sm_note *note)
{
    double pitch = isfinite(note->note) ? note->note : 60.0;
    if (pitch < -36) pitch = -36;
    if (pitch > 160) pitch = 160;
    return (int)p[P_OSC_TRACKING] == SM_NEURON_TRACK_FIXED
               ? MIDDLE_C_HZ
               : 440.0 * pow(2.0, (pitch - 69.0) / 12.0);
}

typedef struct {
    double sr;
    float sine[SINE_SIZE + 1];             /* one cycle, with a guard point */
    float *gtab;                           /* tan(pi fc / sr), fc = CUT_LO_HZ * 2^(i/CUT_STEPS) */
    size_t gtab_n;
    int gtab_last;                         /* gtab_n - 2: last interpolation start */
    float oct_max;                         /* highest table octave (0.45 sr) */
    float delay[SM_NEURON_MAX][DELAY_SIZE];/* axon histories */
    void *grad;                            /* the gradient's tape (neuron_grad.c), or NULL */
} neuron_state;

/* sm_synth_type.render_grad of the neuron voice (synths/neuron_grad.c). */
int sm_neuron_render_grad(void *st, const double *native, const sm_note *note, size_t n,
                          float *out, const double *dl_dout, double *dl_dnative);
/* Frees the tape of a state (st->grad); NULL is a no-op. */
void sm_neuron_grad_free(void *tape);
/* Bytes the tape holds for n samples of nn neurons (for benchmarks). */
size_t sm_neuron_grad_tape_bytes(size_t n, int nn);
/* The double-precision forward render the gradient is of, into out (n doubles), without a
 * tape (for tests: finite differences of it check the gradient). Same arguments and errors as
 * render. */
int sm_neuron_render_exact(void *st, const double *native, const sm_note *note, double *out,
                           size_t n);

#endif
