/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/synth.h: the synthesizer interface. One backend = one const sm_synth_type.
 *
 * A backend describes its parameters (sm_param_space) and renders a note from native values.
 * It never sees an optimizer. The registry (synths/synths.def) lists every backend, so config
 * files find them by name and the conformance tests loop over all of them. */
#ifndef SM_SYNTH_H
#define SM_SYNTH_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "core/params.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double note;       /* MIDI note number, fractional allowed (60 = middle C, 261.63 Hz) */
    double velocity;   /* 1..127 */
    double gate_s;     /* seconds the key is held; envelopes release after it */
    double length_s;   /* seconds rendered in all (the caller's n is authoritative) */
    uint64_t seed;     /* noise and random modulation: the same seed gives the same output */
    int random_phase;  /* 0 (default): free-running oscillators start a note at phase 0, as
                          Dexed does; 1: at a phase drawn from the seed, as on a DX7 whose
                          oscillators ran on before the key went down */
} sm_note;

/* The default note: 60, velocity 100, gate 1 s, length 1.5 s, seed 1, phase 0. */
sm_note sm_note_default(void);

typedef struct sm_synth_type {
    const char *name;          /* "fm6", "drum", "neuron" */
    const char *description;   /* one line */
    const sm_param_space *space;
    /* Per-thread state and tables for one sample rate. NULL with err set on failure. */
    void *(*alloc)(double sample_rate, sm_error *err);
    /* Renders n samples of one note into out, roughly within [-1, 1], always finite. Native
     * values are clamped to their ranges. Allocates nothing. Returns 0 or an sm_err code. */
    int (*render)(void *st, const double *native, const sm_note *note, float *out, size_t n);
    void (*free)(void *st);

    /* Patch files (NULL where the synth has none). */
    const char *patch_ext;     /* ".syx", ".mtpreset" */
    /* Loads one patch. spec is "FILE", "FILE:N" (1-based) or "FILE:NAME". name receives the
     * patch name (name_len bytes, may be NULL). Returns 0 or an sm_err with err set. */
    int (*patch_load)(const char *spec, double *native, char *name, size_t name_len,
                      sm_error *err);
    /* Writes one patch all-or-nothing. Returns 0 or an sm_err with err set. */
    int (*patch_save)(const char *path, const double *native, const char *name,
                      sm_error *err);
    /* Loads every patch of a file at once (a bank, a stream of voices): *native receives
     * n x space->n values (the caller frees it). Optional; used to build datasets of
     * human-made patches. Returns 0 or an sm_err with err set. */
    int (*patch_load_all)(const char *path, double **native, size_t *n, sm_error *err);

    /* Optional (NULL: render each note alone): renders two notes of the same note and length
     * at once, faster than one after the other, each exactly as render would make it alone.
     * Same contract as render, for both; on an error both outputs are zero. */
    int (*render2)(void *st, const double *native_a, const double *native_b, const sm_note *note,
                   float *out_a, float *out_b, size_t n);

    /* Optional (NULL: the synth has no output level): changes patch `native` so that it
     * sounds about gain_db louder (negative: quieter) and nothing else changes, as far as the
     * synth's level controls reach. Returns the change made in dB (0 when a control is
     * already at its end); the caller measures the result. */
    double (*adjust_gain)(double *native, double gain_db);

    /* Version of the render: raised whenever a change to the code changes what a patch sounds
     * like, so that caches of rendered patches (preset indexes, pcakm models) are rebuilt. */
    int render_version;

    /* Optional, a trailing member so positional initialisers need not name it (NULL: no
     * exact gradient; optimizers fall back to finite differences): the
     * gradient of a loss L(out) with respect to the native parameters, by reverse mode.
     * Two calls on the same state:
     *  1. forward: out != NULL, dl_dout == NULL. Renders n samples into out (as render would,
     *     within the difference the synth documents) and records in a tape owned by the state
     *     what the backward pass needs. This call may allocate (the tape grows to the longest
     *     n seen); SM_ERR_NOMEM if it cannot.
     *  2. backward: out == NULL, dl_dout != NULL (n values dL/dout[t], double). Uses the tape
     *     of the last forward call, which must have had the same native, note and n
     *     (SM_ERR_ARG if the state holds no tape of n samples), and ADDS dL/dnative[i] to
     *     dl_dnative (space->n values) for every continuous parameter (SM_PARAM_REAL) and
     *     every relaxed integer (core/params.h, sm_param.relaxed: the forward call accepts
     *     real values for it and renders a continuous relaxation, fm6_grad.c).
     *     Other discrete parameters (SM_PARAM_INT, SM_PARAM_ENUM) always receive 0: they
     *     have no derivative, and the rule is that their entries are left as is.
     * The gradient is with respect to native values; sm_param_dnative_dx (core/params.h) gives
     * the factor that turns it into the gradient in normalized coordinates (log-scaled
     * parameters included). Nonsmooth points take the subgradient each synth documents.
     * Returns 0 or an sm_err code. */
    int (*render_grad)(void *st, const double *native, const sm_note *note, size_t n,
                       float *out, const double *dl_dout, double *dl_dnative);

} sm_synth_type;

/* The backend called name, or NULL. */
const sm_synth_type *sm_synth_find(const char *name);
size_t sm_synth_count(void);
const sm_synth_type *sm_synth_at(size_t i);
/* The registered synths' names, joined by ", " into buf (truncated to len): "fm6, drum, neuron".
 * Returns buf. For messages and help texts, which then never name a synth that is not there. */
char *sm_synth_names(char *buf, size_t len);

/* Renders one note of synth at sample_rate into a new buffer of round(length_s*rate) samples
 * (a convenience for the CLI and tests; makes and frees its own state). Returns 0 or an sm_err
 * with err set; *out is owned by the caller (free()). */
int sm_synth_render_note(const sm_synth_type *synth, double sample_rate, const double *native,
                         const sm_note *note, float **out, size_t *n, sm_error *err);

#define SM_SYNTH(name) extern const sm_synth_type sm_synth_##name;
#include "synths/synths.def"
#undef SM_SYNTH

#ifdef __cplusplus
}
#endif

#endif
