/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/drum.h: a Microtonic-style drum voice (sm_synth_drum) and its parameter layout.
 *
 * One drum voice after Sonic Charge Microtonic's channel: an oscillator (sine, triangle or saw)
 * with a pitch modulator (decaying, sine or random), a filtered noise generator with its own
 * envelope (exponential, linear or a clap-like burst train), an equal-power oscillator/noise
 * mix, distortion, a peaking equalizer and an output level, and three velocity sensitivities.
 * synths/drum.md describes every parameter, what follows Microtonic (its user guide) and the
 * supertonic port (schollz/supertonic), and what is approximated.
 *
 * Parameters are native values in Microtonic's own units (Hz, ms, semitones, dB, percent), so a
 * .mtpreset file (synths/mtpreset.h) maps onto them directly. The one exception is mod_rate, a
 * normalized 0..1 value whose meaning depends on mod_mode (see sm_drum_mod_rate_value). */
#ifndef SM_DRUM_H
#define SM_DRUM_H

#include "synths/synth.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Indices into a native parameter vector of sm_synth_drum (the order of its space). */
enum {
    SM_DRUM_OSC_WAVE,      /* enum Sine, Triangle, Saw                         (OscWave) */
    SM_DRUM_OSC_FREQ_HZ,   /* 20..20000 Hz, log                                (OscFreq) */
    SM_DRUM_OSC_ATK_MS,    /* 0.01..10000 ms, log (0.01 stands for 0)          (OscAtk)  */
    SM_DRUM_OSC_DCY_MS,    /* 10..10000 ms, log                                (OscDcy)  */
    SM_DRUM_MOD_MODE,      /* enum Decay, Sine, Noise                          (ModMode) */
    SM_DRUM_MOD_RATE,      /* 0..1, meaning per mode (sm_drum_mod_rate_value)  (ModRate) */
    SM_DRUM_MOD_AMT_ST,    /* -96..+96 semitones (Sine, Noise: +-48 used)      (ModAmt)  */
    SM_DRUM_NFIL_MODE,     /* enum LP, BP, HP                                  (NFilMod) */
    SM_DRUM_NFIL_FREQ_HZ,  /* 20..20000 Hz, log                                (NFilFrq) */
    SM_DRUM_NFIL_Q,        /* 0.1..10000, log                                  (NFilQ)   */
    SM_DRUM_NSTEREO,       /* enum Off, On                                     (NStereo) */
    SM_DRUM_NENV_MODE,     /* enum Exp, Linear, Mod                            (NEnvMod) */
    SM_DRUM_NENV_ATK_MS,   /* 0.01..10000 ms, log (0.01 stands for 0)          (NEnvAtk) */
    SM_DRUM_NENV_DCY_MS,   /* 6.6667..10000 ms, log                            (NEnvDcy) */
    SM_DRUM_MIX_OSC_PCT,   /* 0..100 % oscillator (noise is the rest)          (Mix)     */
    SM_DRUM_DIST_AMT,      /* 0..100                                           (DistAmt) */
    SM_DRUM_EQ_FREQ_HZ,    /* 20..20000 Hz, log                                (EQFreq)  */
    SM_DRUM_EQ_GAIN_DB,    /* -40..+40 dB                                      (EQGain)  */
    SM_DRUM_LEVEL_DB,      /* -60..+10 dB                                      (Level)   */
    SM_DRUM_OSC_VEL_PCT,   /* 0..200 %                                         (OscVel)  */
    SM_DRUM_NOISE_VEL_PCT, /* 0..200 %                                         (NVel)    */
    SM_DRUM_MOD_VEL_PCT,   /* 0..200 %                                         (ModVel)  */
    SM_DRUM_NPARAMS
};

/* Values of the enumerated parameters. */
enum { SM_DRUM_WAVE_SINE, SM_DRUM_WAVE_TRIANGLE, SM_DRUM_WAVE_SAW };
enum { SM_DRUM_MOD_DECAY, SM_DRUM_MOD_SINE, SM_DRUM_MOD_NOISE };
enum { SM_DRUM_FILTER_LP, SM_DRUM_FILTER_BP, SM_DRUM_FILTER_HP };
enum { SM_DRUM_NENV_EXP, SM_DRUM_NENV_LINEAR, SM_DRUM_NENV_MOD };

/* The smallest attack time (ms); Microtonic's 0 ms is stored as this and written back as 0. */
#define SM_DRUM_ATK_MIN_MS 0.01
/* Mod-rate ends: the decay time at mod_rate 1 (ms) and the top rates of the sine and noise
 * modes (Hz), Microtonic's ranges. */
#define SM_DRUM_MOD_DECAY_MIN_MS 10.0
#define SM_DRUM_MOD_SINE_MAX_HZ 2000.0
#define SM_DRUM_MOD_NOISE_MAX_HZ 20000.0

extern const sm_synth_type sm_synth_drum;

/* What mod_rate r (0..1) means in mode (SM_DRUM_MOD_*): in Decay mode the decay time in ms,
 * 10 ms x 10^(4(1-r)) (10 ms .. 100 s; r = 0 gives INFINITY, no decay); in Sine mode the
 * modulator frequency 2000 Hz x 10^(5(r-1)), in Noise mode the noise low-pass cut-off
 * 20000 Hz x 10^(5(r-1)) (r = 0 gives 0 Hz in both). r is clamped to [0, 1]. */
double sm_drum_mod_rate_value(int mode, double r);
/* The inverse: mod_rate for a decay time (ms, INFINITY allowed) or a rate (Hz) in mode,
 * clamped to [0, 1] (times above 100 s and rates below 1e-5 of the top give 0). */
double sm_drum_mod_rate_from_value(int mode, double value);

/* The equal-power mix law: the oscillator and noise gains for mix_osc_pct (0..100).
 * At 50 both are sqrt(1/2). */
void sm_drum_mix_gains(double mix_osc_pct, double *osc_gain, double *noise_gain);

/* The velocity factor of a part with sensitivity sens_pct (0..200) at MIDI velocity (0..127):
 * max(0, 1 - sens/100 x (1 - velocity/127)). 0 % ignores velocity, 100 % is silent at
 * velocity 0, 200 % needs velocity 64 or more to be heard (Microtonic's user guide). */
double sm_drum_velocity_gain(double sens_pct, double velocity);

#ifdef __cplusplus
}
#endif

#endif
