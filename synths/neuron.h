/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/neuron.h: the neuron backend, a small recurrent network of artificial neurons played
 * as a chaotic synth voice (sm_synth_neuron; the voice, its parameters and their sources are in
 * synths/neuron.md).
 *
 * Each neuron mixes weighted inputs (three oscillators, the X/Y/Z joystick, noise and the
 * delayed outputs of every neuron, itself included), adds a bias and passes the sum through a
 * bounded nonlinearity. The axons are mixed, filtered by a state-variable filter whose cutoff
 * the network can drive (12 dB/octave, or 24 for two low-pass stages in cascade), and shaped
 * by an amplitude envelope. The parameter space always holds SM_NEURON_MAX neurons;
 * `n_neurons` (1..8) says how many run, the others' parameters are ignored.
 *
 * The state (sine and filter tables, delay lines) is made once per sample rate by alloc;
 * render allocates nothing, is deterministic for a given note->seed and always writes finite
 * samples within [-1, 1] that are either 0 or at least FLT_MIN in magnitude (no denormals). */
#ifndef SM_NEURON_H
#define SM_NEURON_H

#include "synths/synth.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Neurons in the parameter space (n_neurons chooses how many of them run). */
#define SM_NEURON_MAX 8
/* Oscillators feeding every neuron. */
#define SM_NEURON_OSCS 3

/* Values of the nK_act parameters. */
enum {
    SM_NEURON_ACT_TANH = 0,    /* tanh soft clip, output in (-1, 1) */
    SM_NEURON_ACT_RELU = 1,    /* max(0, s), bounded at 1 */
    SM_NEURON_ACT_HARDCLIP = 2,/* s clamped to [-1, 1] */
    SM_NEURON_ACT_RECTCOMP = 3 /* summing half-wave rectifier plus a comparator (the Nonlinear
                                  Circuits "Neuron"): output in [0, 1] */
};

/* Values of the oscK_wave parameters. */
enum { SM_NEURON_SINE = 0, SM_NEURON_TRIANGLE = 1, SM_NEURON_SAW = 2, SM_NEURON_SQUARE = 3 };

/* Values of the filter_type parameter. SM_NEURON_FILTER_OFF bypasses the filter exactly;
 * SM_NEURON_FILTER_LOWPASS24 is two low-pass stages in cascade (24 dB/octave), one soft
 * limiter after the second. */
enum {
    SM_NEURON_FILTER_OFF = 0,
    SM_NEURON_FILTER_LOWPASS = 1,
    SM_NEURON_FILTER_BANDPASS = 2,
    SM_NEURON_FILTER_HIGHPASS = 3,
    SM_NEURON_FILTER_LOWPASS24 = 4
};

/* Values of the osc_tracking parameter: oscillator frequency = ratio x the note's pitch, or
 * ratio x 261.63 Hz (middle C) whatever the note. */
enum { SM_NEURON_TRACK_NOTE = 0, SM_NEURON_TRACK_FIXED = 1 };

/* The backend (also declared by synths/synth.h through synths/synths.def). */
extern const sm_synth_type sm_synth_neuron;

/* One neuron's nonlinearity, as render applies it to the weighted sum s (exposed for tests).
 * act is an SM_NEURON_ACT_* value (others give 0); threshold (0..1) and spike (0..1) matter for
 * SM_NEURON_ACT_RECTCOMP only: r = clamp(s, 0, 1), gate = r > threshold, output =
 * (1 - spike) * r + spike * gate. Returns a value within [-1, 1]; NaN s gives 0. */
float sm_neuron_activate(int act, float s, float threshold, float spike);

/* The fast tanh render uses: a [9/8] rational approximation (Lambert's continued fraction)
 * clamped to [-1, 1], odd, within 1e-5 of tanh, exactly +-1 for |x| >= 7. NaN gives 0. */
float sm_neuron_tanh(float x);

#ifdef __cplusplus
}
#endif

#endif
