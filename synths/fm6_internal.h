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

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "core/params.h"
#include "synths/fm6.h"
#include "synths/synth.h"

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

/* ---- The voice's state, shared with the relaxed gradient (fm6_grad.c) ------------------ */

typedef struct fm6_voice fm6_voice;

/* Per-thread state: the tables for one sample rate and the state of two notes. */
typedef struct {
    double sample_rate;
    double env_inc_scale;      /* 44100 / rate: msfa's rates are per block at 44.1 kHz */
    double static_scale;       /* rate / 44100: flat-segment lengths are samples at 44.1 kHz */
    double phase_per_hz;       /* 2^32 / rate */
    int32_t pitchenv_unit;     /* msfa pitchenv.cc: N * 2^24 / (21.3 * rate) */
    uint32_t lfo_unit;         /* msfa lfo.cc: N * 25190424 / rate ("2^32 / 15.5 s / 11") */
    int32_t sintab[2 * SM_FM6_SIN_SIZE];
    uint32_t exp2_q30[SM_FM6_EXP_SIZE + 1];
    double exp2_d[SM_FM6_EXP_SIZE + 1];
    double am[SM_FM6_EXP_SIZE + 1];
    fm6_voice *voice;            /* two notes' state (fm6_render uses the first) */
    void *grad;                  /* the relaxed gradient's tape (fm6_grad.c), or NULL */
} fm6_state;

/* One operator envelope, msfa's Env: level and target are log2 amplitude in Q24. */
typedef struct {
    int rates[4], levels[4];
    int outlevel;              /* operator level in microsteps (0.0235 dB), after scaling */
    int rate_scaling;          /* added to every qrate */
    int64_t level, target, inc;
    int64_t static_count;      /* samples left in a flat segment (target == level) */
    int ix;                    /* segment 0..3; 4 = finished */
    int down;                  /* key held */
    int rising;
} fm6_env;

/* The pitch envelope, msfa's PitchEnv: level in Q24 octaves. */
typedef struct {
    int rates[4], levels[4];
    int32_t level, target, inc;
    int ix, down, rising;
} fm6_penv;

/* The LFO, msfa's Lfo: 32-bit phase advanced once per block; outputs are Q24 in [0, 1]. */
typedef struct {
    uint32_t phase, delta;
    uint32_t delaystate, delayinc, delayinc2;
    int wave;
    unsigned randstate;        /* sample-and-hold generator, seeded from the note */
} fm6_lfo;

/* One note being played: what the render keeps from one 64-sample block to the next, and the
 * scratch of one block. */
struct fm6_voice {
    fm6_env env[6];
    fm6_penv penv;
    fm6_lfo lfo;
    const sm_fm6_algorithm *alg;
    double log2_hz[6];
    float fscale;              /* Q24 carrier sum to output */
    uint32_t phase[6], inc[6], ams[6];
    int32_t gain[6], gain2[6];
    uint32_t fb[2];            /* the feedback shares of the last two outputs */
    int fixed[6], fb_shift, self_fb, loop_first, loop_len, pmd, pms, amd, down;
    int32_t pitch_mod;         /* the pitch offset the phase increments were computed for */
    uint32_t amod;             /* the amplitude modulation amount of the block (Q24) */
    int pitch_valid;           /* 0 until the first block has computed them */
    unsigned needed, targets[6], loop_mask, live;
    int64_t gate_samples;
    int32_t opbuf[6][SM_FM6_N];  /* each modulator's output over the block (Q24 cycles) */
    int32_t inbuf[SM_FM6_N];     /* the summed input of an operator with several modulators */
    int32_t sum[SM_FM6_N];       /* the carriers' sum */
    int32_t spare[SM_FM6_N];     /* where a feedback chain that is no carrier adds its output */
};

/* What fm6.c lends fm6_grad.c: the voice set-up and control part of a block (fm6.c's
 * voice_start and voice_control, unchanged), the DX7 scalers and the amplitude-modulation
 * factor (the log level is multiplied by 1 - factor), and the gain of a log level. */
int sm_fm6_voice_start(const fm6_state *s, fm6_voice *v, const double *native,
                       const sm_note *note);
void sm_fm6_voice_control(const fm6_state *s, fm6_voice *v, size_t s0);
int sm_fm6_scale_velocity(int velocity, int sens);
int sm_fm6_scale_rate(int midinote, int sens);
int sm_fm6_scale_level(int midinote, int break_pt, int left_depth, int right_depth,
                       int left_curve, int right_curve);
double sm_fm6_am_factor(const fm6_state *s, uint32_t amod, uint32_t ams);
int32_t sm_fm6_gain_of_level(const fm6_state *s, int64_t level);

/* sm_synth_type.render_grad of fm6 (fm6_grad.c): the relaxed render and its gradient. */
int sm_fm6_render_grad(void *st, const double *native, const sm_note *note, size_t n,
                       float *out, const double *dl_dout, double *dl_dnative);
/* The relaxed render alone, in double, into out (n values), without a tape: finite
 * differences of it check the gradient (tests). Same arguments and errors as render. */
int sm_fm6_render_relaxed(void *st, const double *native, const sm_note *note, double *out,
                          size_t n);
/* Frees a gradient tape (fm6_state.grad); NULL is a no-op. */
void sm_fm6_grad_free(void *tape);
/* Bytes of the tape for n samples. */
size_t sm_fm6_grad_tape_bytes(size_t n);

/* A native value as the integer the DX7 would hold: NaN gives the default, then rounding and
 * clamping to the parameter's range (as sm_params_clamp does, without touching the input).
 * render and the relaxed render read every held parameter this way. */
static inline int sm_fm6_native_int(const double *native, int i)
{
    const sm_param *p = &sm_fm6_params[i];
    double v = native[i];
    if (isnan(v)) v = p->def;
    if (v < p->min) v = p->min;
    if (v > p->max) v = p->max;
    return (int)floor(v + 0.5);
}

#ifdef __cplusplus
}
#endif

#endif
