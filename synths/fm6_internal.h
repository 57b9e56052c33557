/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/fm6_internal.h: what fm6.c (the voice engine) and fm6_tables.c (its constant data
 * and table builders) share. Not installed, not for other modules.
 *
 * Fixed-point conventions (the same as msfa, the engine inside Dexed, so its constants carry
 * over unchanged):
 *   - levels and pitches are base-2 logarithms in Q24 (1 << 24 = one octave / one doubling);
 *   - an operator's output and its modulation input are in Q24 cycles (1 << 24 = 2 pi);
 *   - an operator's gain is Q24 (1 << 24 = 1.0); a full-level operator has gain 2.0;
 *   - phases are 32-bit unsigned fractions of a cycle (finer than msfa's Q24 phase). */
#ifndef SM_FM6_INTERNAL_H
#define SM_FM6_INTERNAL_H

#include <stdint.h>
#include "core/params.h"
#include "synths/fm6.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Samples per control block: envelopes, LFO and pitch are updated once a block and operator
 * gains ramp linearly across it (msfa's N = 64, LG_N = 6: msfa/synth.h). */
#define SM_FM6_LG_N 6
#define SM_FM6_N (1 << SM_FM6_LG_N)

/* Sine table: 4096 points of one cycle, each stored as (value, slope to the next) in Q24. */
#define SM_FM6_SIN_LG 12
#define SM_FM6_SIN_SIZE (1 << SM_FM6_SIN_LG)
/* exp2 tables over one octave: 1024 steps, linear interpolation between them. */
#define SM_FM6_EXP_LG 10
#define SM_FM6_EXP_SIZE (1 << SM_FM6_EXP_LG)

/* Gains below this (Q24) are inaudible: the operator is skipped for the block (msfa's
 * kLevelThresh = 1120 in fm_core.cc, about -83.5 dB below a full-level operator). */
#define SM_FM6_LEVEL_THRESH 1120

/* One DX7 algorithm: carriers and modulators as masks (bit op - 1 for operator op) and the
 * feedback path from the output of operator fb_from into the phase of operator fb_to. */
typedef struct {
    unsigned char carriers;
    unsigned char mods[6];     /* mods[op - 1]: operators modulating op */
    signed char fb_from, fb_to;
} sm_fm6_algorithm;

extern const sm_fm6_algorithm sm_fm6_algorithms[32];
extern const sm_param sm_fm6_params[SM_FM6_NPARAMS];

/* DX7 constants measured or reverse-engineered by msfa/Dexed (fm6_tables.c cites each). */
extern const unsigned char sm_fm6_level_lut[20];        /* output levels 0..19 */
extern const unsigned char sm_fm6_velocity_data[64];
extern const unsigned char sm_fm6_exp_scale_data[33];
extern const int32_t sm_fm6_env_statics[77];           /* flat-segment lengths, samples */
extern const unsigned char sm_fm6_pitchenv_rate[100];
extern const signed char sm_fm6_pitchenv_level[100];
extern const unsigned char sm_fm6_pitchmodsens[8];
extern const uint32_t sm_fm6_ampmodsens[4];

/* The DX7 output-level curve: 0..99 to 0..127 in steps of about 0.75 dB. */
int sm_fm6_scale_outlevel(int level);

/* Fills tab (2 * SM_FM6_SIN_SIZE int32) with the interpolating sine table. */
void sm_fm6_build_sine(int32_t *tab);
/* Fills tab (SM_FM6_EXP_SIZE + 1 values) with round(2^(i / 1024) * 2^30). */
void sm_fm6_build_exp2_q30(uint32_t *tab);
/* Fills tab (SM_FM6_EXP_SIZE + 1 doubles) with 2^(i / 1024). */
void sm_fm6_build_exp2_double(double *tab);
/* Fills tab (SM_FM6_EXP_SIZE + 1 doubles) with Dexed's amplitude-modulation attenuation
 * factor at sensamp = i << 14 (see fm6.c, amp_mod_level). */
void sm_fm6_build_am(double *tab);

/* One operator without feedback over one block of SM_FM6_N samples (fm6_kernel.c): out[i] =
 * (or +=, when add) sin(phase + i inc + (in[i] << 8)) * (gain + (i + 1) dgain), in Q24; in may
 * be NULL (no modulation). in and out must not overlap. Never fails. */
void sm_fm6_op_block(uint32_t phase, uint32_t inc, int32_t gain, int32_t dgain,
                     const int32_t *in, int32_t *out, int add);

#ifdef __cplusplus
}
#endif

#endif
