/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/fm6.h: the fm6 backend, a DX7-compatible six-operator FM voice.
 *
 * The voice plays one note of one DX7 voice. Its native parameter vector holds
 * SM_FM6_NPARAMS = 145 values in exactly the DX7 single-voice (VCED) order without the 10
 * name bytes: operator 6 first down to operator 1 (21 values each), then the pitch envelope,
 * algorithm, feedback, oscillator key sync, LFO, pitch mod sensitivity and transpose. Every
 * value is the DX7's own integer (0..99 for levels and rates) except the algorithm, which is
 * 1..32 here (a sysex file stores 0..31; synths/dx7_sysex.c converts). The voice name is not a
 * sound parameter and is kept apart (patch_load/patch_save carry it).
 *
 * The synth itself is `sm_synth_fm6` (declared in synths/synth.h through synths/synths.def):
 * its space names every parameter ("op6_eg_rate1", "op1_output_level", "algorithm", ...), its
 * render follows Dexed/msfa's DX7 model, and its patch files are DX7 .syx files. Freezing a
 * subset of parameters is done with core/params.h views, e.g. algorithm 5 with only operators
 * 1-2 free: freeze "algorithm" at 5, freeze "*", thaw "op[12]_*". See synths/fm6.md. */
#ifndef SM_FM6_H
#define SM_FM6_H

#include "synths/synth.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Native values of one voice: the 155-byte VCED without its 10 name bytes. */
#define SM_FM6_NPARAMS 145
/* Version of fm6's render: bump it whenever a change to the render (or to the defaults it
 * reads from sm_note) changes its output, so caches of rendered voices
 * (datasets/presets.h) are rebuilt. */
#define SM_FM6_RENDER_VERSION 2
/* Values per operator in VCED order. */
#define SM_FM6_OP_NPARAMS 21

/* Fields of one operator, in VCED order. */
enum {
    SM_FM6_EG_RATE1 = 0,      /* envelope rates 0..99 */
    SM_FM6_EG_RATE2,
    SM_FM6_EG_RATE3,
    SM_FM6_EG_RATE4,
    SM_FM6_EG_LEVEL1,         /* envelope levels 0..99 */
    SM_FM6_EG_LEVEL2,
    SM_FM6_EG_LEVEL3,
    SM_FM6_EG_LEVEL4,
    SM_FM6_KBD_BREAK_POINT,   /* 0..99: A-1 .. C8, 39 = C3 */
    SM_FM6_KBD_LEFT_DEPTH,    /* 0..99 */
    SM_FM6_KBD_RIGHT_DEPTH,   /* 0..99 */
    SM_FM6_KBD_LEFT_CURVE,    /* 0..3: -LIN, -EXP, +EXP, +LIN */
    SM_FM6_KBD_RIGHT_CURVE,   /* 0..3 */
    SM_FM6_KBD_RATE_SCALING,  /* 0..7 */
    SM_FM6_AMP_MOD_SENS,      /* 0..3 */
    SM_FM6_KEY_VEL_SENS,      /* 0..7 */
    SM_FM6_OUTPUT_LEVEL,      /* 0..99 */
    SM_FM6_OSC_MODE,          /* 0 ratio, 1 fixed */
    SM_FM6_COARSE,            /* 0..31 */
    SM_FM6_FINE,              /* 0..99 */
    SM_FM6_DETUNE             /* 0..14, 7 = centre */
};

/* Index of field f (SM_FM6_EG_RATE1 ...) of operator op (1..6) in the native vector. */
#define SM_FM6_OP(op, f) ((6 - (op)) * SM_FM6_OP_NPARAMS + (f))

/* Indexes of the global parameters. */
enum {
    SM_FM6_PITCH_EG_RATE1 = 126,  /* 0..99 */
    SM_FM6_PITCH_EG_RATE2,
    SM_FM6_PITCH_EG_RATE3,
    SM_FM6_PITCH_EG_RATE4,
    SM_FM6_PITCH_EG_LEVEL1,       /* 0..99, 50 = no shift */
    SM_FM6_PITCH_EG_LEVEL2,
    SM_FM6_PITCH_EG_LEVEL3,
    SM_FM6_PITCH_EG_LEVEL4,
    SM_FM6_ALGORITHM,             /* 1..32 (stored 0..31 in sysex) */
    SM_FM6_FEEDBACK,              /* 0..7 */
    SM_FM6_OSC_KEY_SYNC,          /* 0..1 */
    SM_FM6_LFO_SPEED,             /* 0..99 */
    SM_FM6_LFO_DELAY,             /* 0..99 */
    SM_FM6_LFO_PITCH_MOD_DEPTH,   /* 0..99 */
    SM_FM6_LFO_AMP_MOD_DEPTH,     /* 0..99 */
    SM_FM6_LFO_KEY_SYNC,          /* 0..1 */
    SM_FM6_LFO_WAVE,              /* 0..5: triangle, saw down, saw up, square, sine, S&H */
    SM_FM6_PITCH_MOD_SENS,        /* 0..7 */
    SM_FM6_TRANSPOSE              /* 0..48, 24 = C3 = no shift */
};

/* The parameter space of fm6 (the same object as sm_synth_fm6.space). */
extern const sm_param_space sm_fm6_space;

/* Routing of DX7 algorithm alg (1..32). Operators are numbered 1..6 and bit (op - 1) of a mask
 * stands for operator op. All return 0 for an algorithm outside 1..32. */
/* The carriers: operators whose output is heard. */
unsigned sm_fm6_carrier_mask(int alg);
/* The operators whose outputs modulate operator op (1..6). */
unsigned sm_fm6_modulator_mask(int alg, int op);
/* The feedback path: sets *from (the operator whose output is fed back) and *to (the operator
 * whose phase receives it); from == to is self-feedback, from != to a loop through several
 * operators (algorithms 4 and 6). Returns 1, or 0 for a bad algorithm (from, to untouched). */
int sm_fm6_feedback_path(int alg, int *from, int *to);

#ifdef __cplusplus
}
#endif

#endif
