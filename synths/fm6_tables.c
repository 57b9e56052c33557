/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/fm6_tables.c: the constant data of the fm6 voice: its parameter space, the 32 DX7
 * algorithms, the DX7 curves that msfa/Dexed measured or reverse-engineered, and the builders of
 * the sine and exp2 lookup tables that each fm6 state owns.
 *
 * Facts are taken from public sources and cited beside each table; the code is our own.
 *   [msfa]  Raph Levien's "music synthesizer for android" as carried in Dexed
 *           (github.com/asb2m10/dexed, Source/msfa/), Apache-2.0.
 *   [dexed] Dexed's own sources (Source/PluginProcessor.cpp, Source/EngineMkI.cpp).
 *   [manual] Yamaha DX7 Operating Manual and its algorithm chart. */
#include "synths/fm6_internal.h"

#include <math.h>

/* ---- Parameter space ------------------------------------------------------------------- */

static const char *const curve_labels[] = {"-LIN", "-EXP", "+EXP", "+LIN"};
static const char *const mode_labels[] = {"ratio", "fixed"};
static const char *const wave_labels[] = {"triangle", "saw_down", "saw_up",
                                          "square", "sine", "sample_hold"};

#define INTP(name, lo, hi, def) {name, "", SM_PARAM_INT, lo, hi, def, 0, NULL}
#define ENUMP(name, lo, hi, def, labels) {name, "", SM_PARAM_ENUM, lo, hi, def, 0, labels}
/* A structural integer (core/params.h): local search keeps it at its start value. */
#define STRUCTP(name, lo, hi, def) {name, "", SM_PARAM_INT, lo, hi, def, 0, NULL, 1}
/* A relaxed integer (core/params.h): fm6's render_grad (fm6_grad.c) plays it at any real
 * value within its range and gives its derivative. */
#define RELP(name, lo, hi, def) {name, "", SM_PARAM_INT, lo, hi, def, 0, NULL, 0, 1}

/* One operator's 21 parameters in VCED order. Defaults are the DX7 INIT VOICE [manual; the same
 * bytes as Dexed's init_voice in PluginProcessor.cpp]: rates 99, levels 99 99 99 0, break
 * point C3 (39), no scaling, ratio 1.00, detune centred; out is the output level. The envelope
 * rates and levels, the velocity sensitivity and the output level are relaxed, as is the
 * feedback level below. */
#define FM6_OP_PARAMS(n, out)                                                             \
    RELP("op" #n "_eg_rate1", 0, 99, 99), RELP("op" #n "_eg_rate2", 0, 99, 99),           \
    RELP("op" #n "_eg_rate3", 0, 99, 99), RELP("op" #n "_eg_rate4", 0, 99, 99),           \
    RELP("op" #n "_eg_level1", 0, 99, 99), RELP("op" #n "_eg_level2", 0, 99, 99),         \
    RELP("op" #n "_eg_level3", 0, 99, 99), RELP("op" #n "_eg_level4", 0, 99, 0),          \
    INTP("op" #n "_kbd_break_point", 0, 99, 39),                                          \
    INTP("op" #n "_kbd_left_depth", 0, 99, 0), INTP("op" #n "_kbd_right_depth", 0, 99, 0), \
    ENUMP("op" #n "_kbd_left_curve", 0, 3, 0, curve_labels),                              \
    ENUMP("op" #n "_kbd_right_curve", 0, 3, 0, curve_labels),                             \
    INTP("op" #n "_kbd_rate_scaling", 0, 7, 0), INTP("op" #n "_amp_mod_sens", 0, 3, 0),   \
    RELP("op" #n "_key_vel_sens", 0, 7, 0), RELP("op" #n "_output_level", 0, 99, out),    \
    ENUMP("op" #n "_osc_mode", 0, 1, 0, mode_labels), INTP("op" #n "_coarse", 0, 31, 1),  \
    INTP("op" #n "_fine", 0, 99, 0), INTP("op" #n "_detune", 0, 14, 7)

const sm_param sm_fm6_params[SM_FM6_NPARAMS] = {
    FM6_OP_PARAMS(6, 0), FM6_OP_PARAMS(5, 0), FM6_OP_PARAMS(4, 0),
    FM6_OP_PARAMS(3, 0), FM6_OP_PARAMS(2, 0), FM6_OP_PARAMS(1, 99),
    INTP("pitch_eg_rate1", 0, 99, 99), INTP("pitch_eg_rate2", 0, 99, 99),
    INTP("pitch_eg_rate3", 0, 99, 99), INTP("pitch_eg_rate4", 0, 99, 99),
    INTP("pitch_eg_level1", 0, 99, 50), INTP("pitch_eg_level2", 0, 99, 50),
    INTP("pitch_eg_level3", 0, 99, 50), INTP("pitch_eg_level4", 0, 99, 50),
    STRUCTP("algorithm", 1, 32, 1),
    RELP("feedback", 0, 7, 0),
    STRUCTP("osc_key_sync", 0, 1, 1),
    INTP("lfo_speed", 0, 99, 35),
    INTP("lfo_delay", 0, 99, 0),
    INTP("lfo_pitch_mod_depth", 0, 99, 0),
    INTP("lfo_amp_mod_depth", 0, 99, 0),
    STRUCTP("lfo_key_sync", 0, 1, 1),
    ENUMP("lfo_wave", 0, 5, 0, wave_labels),
    INTP("pitch_mod_sens", 0, 7, 3),
    INTP("transpose", 0, 48, 24),
};

const sm_param_space sm_fm6_space = {SM_FM6_NPARAMS, sm_fm6_params};

/* ---- Algorithms ------------------------------------------------------------------------ */

/* The 32 DX7 algorithms [manual, algorithm chart], transcribed from the operator bus flags of
 * msfa's fm_core.cc (the same routing as Dexed's EngineMkI.cpp algo2, which also names the
 * multi-operator feedback loops of algorithms 4 and 6). Each comment lists "modulators>target"
 * pairs and the feedback path "from>to". Modulation always flows from a higher-numbered
 * operator to a lower one, so computing operators 6 down to 1 respects every dependency. */
const sm_fm6_algorithm sm_fm6_algorithms[32] = {
    {0x05, {0x02, 0x00, 0x08, 0x10, 0x20, 0x00}, 6, 6}, /*  1: 2>1 4>3 5>4 6>5; fb 6>6 */
    {0x05, {0x02, 0x00, 0x08, 0x10, 0x20, 0x00}, 2, 2}, /*  2: 2>1 4>3 5>4 6>5; fb 2>2 */
    {0x09, {0x02, 0x04, 0x00, 0x10, 0x20, 0x00}, 6, 6}, /*  3: 2>1 3>2 5>4 6>5; fb 6>6 */
    {0x09, {0x02, 0x04, 0x00, 0x10, 0x20, 0x00}, 4, 6}, /*  4: 2>1 3>2 5>4 6>5; fb 4>6 */
    {0x15, {0x02, 0x00, 0x08, 0x00, 0x20, 0x00}, 6, 6}, /*  5: 2>1 4>3 6>5; fb 6>6 */
    {0x15, {0x02, 0x00, 0x08, 0x00, 0x20, 0x00}, 5, 6}, /*  6: 2>1 4>3 6>5; fb 5>6 */
    {0x05, {0x02, 0x00, 0x18, 0x00, 0x20, 0x00}, 6, 6}, /*  7: 2>1 54>3 6>5; fb 6>6 */
    {0x05, {0x02, 0x00, 0x18, 0x00, 0x20, 0x00}, 4, 4}, /*  8: 2>1 54>3 6>5; fb 4>4 */
    {0x05, {0x02, 0x00, 0x18, 0x00, 0x20, 0x00}, 2, 2}, /*  9: 2>1 54>3 6>5; fb 2>2 */
    {0x09, {0x02, 0x04, 0x00, 0x30, 0x00, 0x00}, 3, 3}, /* 10: 2>1 3>2 65>4; fb 3>3 */
    {0x09, {0x02, 0x04, 0x00, 0x30, 0x00, 0x00}, 6, 6}, /* 11: 2>1 3>2 65>4; fb 6>6 */
    {0x05, {0x02, 0x00, 0x38, 0x00, 0x00, 0x00}, 2, 2}, /* 12: 2>1 654>3; fb 2>2 */
    {0x05, {0x02, 0x00, 0x38, 0x00, 0x00, 0x00}, 6, 6}, /* 13: 2>1 654>3; fb 6>6 */
    {0x05, {0x02, 0x00, 0x08, 0x30, 0x00, 0x00}, 6, 6}, /* 14: 2>1 4>3 65>4; fb 6>6 */
    {0x05, {0x02, 0x00, 0x08, 0x30, 0x00, 0x00}, 2, 2}, /* 15: 2>1 4>3 65>4; fb 2>2 */
    {0x01, {0x16, 0x00, 0x08, 0x00, 0x20, 0x00}, 6, 6}, /* 16: 532>1 4>3 6>5; fb 6>6 */
    {0x01, {0x16, 0x00, 0x08, 0x00, 0x20, 0x00}, 2, 2}, /* 17: 532>1 4>3 6>5; fb 2>2 */
    {0x01, {0x0e, 0x00, 0x00, 0x10, 0x20, 0x00}, 3, 3}, /* 18: 432>1 5>4 6>5; fb 3>3 */
    {0x19, {0x02, 0x04, 0x00, 0x20, 0x20, 0x00}, 6, 6}, /* 19: 2>1 3>2 6>4 6>5; fb 6>6 */
    {0x0b, {0x04, 0x04, 0x00, 0x30, 0x00, 0x00}, 3, 3}, /* 20: 3>1 3>2 65>4; fb 3>3 */
    {0x1b, {0x04, 0x04, 0x00, 0x20, 0x20, 0x00}, 3, 3}, /* 21: 3>1 3>2 6>4 6>5; fb 3>3 */
    {0x1d, {0x02, 0x00, 0x20, 0x20, 0x20, 0x00}, 6, 6}, /* 22: 2>1 6>3 6>4 6>5; fb 6>6 */
    {0x1b, {0x00, 0x04, 0x00, 0x20, 0x20, 0x00}, 6, 6}, /* 23: 3>2 6>4 6>5; fb 6>6 */
    {0x1f, {0x00, 0x00, 0x20, 0x20, 0x20, 0x00}, 6, 6}, /* 24: 6>3 6>4 6>5; fb 6>6 */
    {0x1f, {0x00, 0x00, 0x00, 0x20, 0x20, 0x00}, 6, 6}, /* 25: 6>4 6>5; fb 6>6 */
    {0x0b, {0x00, 0x04, 0x00, 0x30, 0x00, 0x00}, 6, 6}, /* 26: 3>2 65>4; fb 6>6 */
    {0x0b, {0x00, 0x04, 0x00, 0x30, 0x00, 0x00}, 3, 3}, /* 27: 3>2 65>4; fb 3>3 */
    {0x25, {0x02, 0x00, 0x08, 0x10, 0x00, 0x00}, 5, 5}, /* 28: 2>1 4>3 5>4; fb 5>5 */
    {0x17, {0x00, 0x00, 0x08, 0x00, 0x20, 0x00}, 6, 6}, /* 29: 4>3 6>5; fb 6>6 */
    {0x27, {0x00, 0x00, 0x08, 0x10, 0x00, 0x00}, 5, 5}, /* 30: 4>3 5>4; fb 5>5 */
    {0x1f, {0x00, 0x00, 0x00, 0x00, 0x20, 0x00}, 6, 6}, /* 31: 6>5; fb 6>6 */
    {0x3f, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, 6, 6}, /* 32: (all carriers); fb 6>6 */
};

/* ---- DX7 curves ------------------------------------------------------------------------ */

/* Output level 0..99 on the internal 0..127 scale: levels 0..19 from this table, from 20 up
 * level + 28. One step of that scale is 32 envelope microsteps of 0.0235 dB, i.e. 0.75 dB, so
 * the top of the range moves 0.75 dB per level [msfa env.cc: levellut, Env::scaleoutlevel;
 * dx7note.cc shifts the result left by 5]. */
const unsigned char sm_fm6_level_lut[20] = {
    0, 5, 9, 13, 17, 20, 23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 42, 43, 45, 46,
};

int sm_fm6_scale_outlevel(int level)
{
    if (level < 0) level = 0;
    if (level > 99) level = 99;
    return level >= 20 ? 28 + level : sm_fm6_level_lut[level];
}

/* Key velocity to level offset, indexed by velocity / 2 [msfa dx7note.cc: velocity_data,
 * "See velocity section of notes", measured on a DX7]. */
const unsigned char sm_fm6_velocity_data[64] = {
    0,   70,  86,  97,  106, 114, 121, 126, 132, 138, 142, 148, 152, 156, 160, 163,
    166, 170, 173, 174, 178, 181, 184, 186, 189, 190, 194, 196, 198, 200, 202, 205,
    206, 209, 211, 214, 216, 218, 220, 222, 224, 225, 227, 229, 230, 232, 233, 235,
    237, 238, 240, 241, 242, 243, 244, 246, 246, 248, 249, 250, 251, 252, 253, 254,
};

/* The exponential keyboard level scaling curve by group of 3 keys from the break point
 * [msfa dx7note.cc: exp_scale_data]. */
const unsigned char sm_fm6_exp_scale_data[33] = {
    0,  1,  2,  3,  4,  5,   6,   7,   8,   9,   11,  14,  16,  19,  23,  27, 33,
    39, 47, 56, 66, 80, 94, 110, 126, 142, 158, 174, 190, 206, 222, 238, 250,
};

/* How long a segment whose target equals the current level lasts, in samples at 44.1 kHz, for
 * rates 0..76 (above: 20 * (99 - rate)); measured on two TX816 modules [msfa env.cc, statics
 * under ACCURATE_ENVELOPE, which Dexed enables]. */
const int32_t sm_fm6_env_statics[77] = {
    1764000, 1764000, 1411200, 1411200, 1190700, 1014300, 992250, 882000, 705600, 705600,
    584325,  507150,  502740,  441000,  418950,  352800,  308700, 286650, 253575, 220500,
    220500,  176400,  145530,  145530,  125685,  110250,  110250, 88200,  88200,  74970,
    61740,   61740,   55125,   48510,   44100,   37485,   31311,  30870,  27562,  27562,
    22050,   18522,   17640,   15435,   14112,   13230,   11025,  9261,   9261,   7717,
    6615,    6615,    5512,    5512,    4410,    3969,    3969,   3439,   2866,   2690,
    2249,    1984,    1896,    1808,    1411,    1367,    1234,   1146,   926,    837,
    837,     705,     573,     573,     529,     441,     441,
};

/* Pitch envelope speed per rate 0..99 and level per level 0..99 (x 2^19 in Q24 octaves, so
 * 0 and 99 reach -4 and +3.97 octaves, 50 is no shift) [msfa pitchenv.cc: pitchenv_rate,
 * pitchenv_tab]. */
const unsigned char sm_fm6_pitchenv_rate[100] = {
    1,   2,   3,   3,   4,   4,   5,   5,   6,   6,   7,   7,   8,   8,   9,   9,   10,
    10,  11,  11,  12,  12,  13,  13,  14,  14,  15,  16,  16,  17,  18,  18,  19,  20,
    21,  22,  23,  24,  25,  26,  27,  28,  30,  31,  33,  34,  36,  37,  38,  39,  41,
    42,  44,  46,  47,  49,  51,  53,  54,  56,  58,  60,  62,  64,  66,  68,  70,  72,
    74,  76,  79,  82,  85,  88,  91,  94,  98,  102, 106, 110, 115, 120, 125, 130, 135,
    141, 147, 153, 159, 165, 171, 178, 185, 193, 202, 211, 232, 243, 254, 255,
};
const signed char sm_fm6_pitchenv_level[100] = {
    -128, -116, -104, -95, -85, -76, -68, -61, -56, -52, -49, -46, -43, -41, -39, -37, -35,
    -33,  -32,  -31,  -30, -29, -28, -27, -26, -25, -24, -23, -22, -21, -20, -19, -18, -17,
    -16,  -15,  -14,  -13, -12, -11, -10, -9,  -8,  -7,  -6,  -5,  -4,  -3,  -2,  -1,  0,
    1,    2,    3,    4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  14,  15,  16,  17,
    18,   19,   20,   21,  22,  23,  24,  25,  26,  27,  28,  29,  30,  31,  32,  33,  34,
    35,   38,   40,   43,  46,  49,  53,  58,  65,  73,  82,  92,  103, 115, 127,
};

/* Pitch mod sensitivity 0..7 as a factor of 255 [msfa dx7note.cc: pitchmodsenstab]. */
const unsigned char sm_fm6_pitchmodsens[8] = {0, 10, 20, 33, 55, 92, 153, 255};

/* Amp mod sensitivity 0..3 in Q24 (0, 66, 109 and 255 of 255) [msfa dx7note.cc:
 * ampmodsenstab]. */
const uint32_t sm_fm6_ampmodsens[4] = {0, 4342338, 7171437, 16777216};

/* ---- Lookup tables --------------------------------------------------------------------- */

void sm_fm6_build_sine(int32_t *tab)
{
    int32_t v[SM_FM6_SIN_SIZE + 1];
    int i;
    for (i = 0; i <= SM_FM6_SIN_SIZE; i++)
        v[i] = (int32_t)lrint(sin(2.0 * M_PI * i / SM_FM6_SIN_SIZE) * (double)(1 << 24));
    for (i = 0; i < SM_FM6_SIN_SIZE; i++) {
        tab[2 * i] = v[i];
        tab[2 * i + 1] = v[i + 1] - v[i];
    }
}

void sm_fm6_build_exp2_q30(uint32_t *tab)
{
    int i;
    for (i = 0; i <= SM_FM6_EXP_SIZE; i++)
        tab[i] = (uint32_t)llrint(exp2((double)i / SM_FM6_EXP_SIZE) * 1073741824.0);
}

void sm_fm6_build_exp2_double(double *tab)
{
    int i;
    for (i = 0; i <= SM_FM6_EXP_SIZE; i++) tab[i] = exp2((double)i / SM_FM6_EXP_SIZE);
}

/* Dexed's amplitude-modulation curve: for a modulation amount sensamp (Q24), the envelope's
 * log level is reduced by level * exp(sensamp / 262144 * 0.07 + 12.2) * 16 / 2^28 [msfa
 * dx7note.cc, Dx7Note::compute: "pt = exp(...)", "ldiff = level * (pt << 4) >> 28"]. The table
 * holds that factor at sensamp = i << 14. */
void sm_fm6_build_am(double *tab)
{
    int i;
    for (i = 0; i <= SM_FM6_EXP_SIZE; i++) {
        double sensamp = (double)i * 16384.0;
        tab[i] = floor(exp(sensamp / 262144.0 * 0.07 + 12.2)) * 16.0 / 268435456.0;
    }
}
