/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_synth_fm6.c: the fm6 voice (synths/fm6.c) against known answers: its parameter
 * space and init voice, oscillator frequencies in ratio and fixed mode (FFT peaks), envelope
 * times against the DX7 rate table, FM sidebands, silence, the carriers of all 32 algorithms,
 * the feedback loops of algorithms 4 and 6, pitch envelope, transpose, velocity and keyboard
 * scaling, the LFO, determinism, two notes at once (render2) equal to each alone,
 * robustness to bad values, every voice of every DX7 bank in
 * the shared data folder, and .syx patch files. */
#include "tests/test_util.h"

#include <fftw3.h>
#include <glob.h>

#include "core/rng.h"
#include "synths/dx7_sysex.h"
#include "synths/fm6.h"
#include "synths/fm6_internal.h"

/* ---- Helpers ------------------------------------------------------------------------------ */

/* The DX7 init voice with operator 1 alone audible (as the space's defaults). */
static void init_voice(double *p)
{
    sm_params_defaults(&sm_fm6_space, p);
}

static sm_note mknote(double note, double velocity, double gate_s, uint64_t seed)
{
    sm_note n;
    memset(&n, 0, sizeof n);
    n.note = note;
    n.velocity = velocity;
    n.gate_s = gate_s;
    n.length_s = gate_s;
    n.seed = seed;
    return n;
}

/* Renders n samples at rate sr into a new buffer (the test frees it). */
static float *render(const double *p, const sm_note *note, double sr, size_t n)
{
    sm_error err = {0};
    void *st = sm_synth_fm6.alloc(sr, &err);
    float *out = malloc(n * sizeof *out);
    assert_non_null(st);
    assert_non_null(out);
    assert_int_equal(sm_synth_fm6.render(st, p, note, out, n), 0);
    sm_synth_fm6.free(st);
    return out;
}

static double peak_abs(const float *x, size_t n)
{
    double m = 0;
    size_t i;
    for (i = 0; i < n; i++)
        if (fabs(x[i]) > m) m = fabs(x[i]);
    return m;
}

static double rms(const float *x, size_t n)
{
    double s = 0;
    size_t i;
    for (i = 0; i < n; i++) s += (double)x[i] * x[i];
    return n ? sqrt(s / (double)n) : 0;
}

/* Magnitude spectrum of a Hann-windowed segment (nfft samples from x): mag[0..nfft/2]. */
static double *spectrum(const float *x, int nfft)
{
    double *in = fftw_malloc(sizeof(double) * nfft);
    fftw_complex *c = fftw_malloc(sizeof(fftw_complex) * (nfft / 2 + 1));
    double *mag = malloc(sizeof(double) * (nfft / 2 + 1));
    fftw_plan plan;
    int i;
    assert_non_null(in);
    assert_non_null(c);
    assert_non_null(mag);
    plan = fftw_plan_dft_r2c_1d(nfft, in, c, FFTW_ESTIMATE);
    for (i = 0; i < nfft; i++) in[i] = x[i] * (0.5 - 0.5 * cos(2 * M_PI * i / nfft));
    fftw_execute(plan);
    for (i = 0; i <= nfft / 2; i++) mag[i] = hypot(c[i][0], c[i][1]);
    fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(c);
    return mag;
}

/* Frequency of the strongest peak between fmin and fmax, refined by a parabola through the
 * log magnitudes of the peak bin and its neighbours. */
static double peak_hz(const double *mag, int nfft, double sr, double fmin, double fmax)
{
    int lo = (int)(fmin * nfft / sr), hi = (int)(fmax * nfft / sr), i, best = lo;
    double a, b, c, d;
    if (lo < 1) lo = 1;
    if (hi > nfft / 2 - 1) hi = nfft / 2 - 1;
    for (i = lo; i <= hi; i++)
        if (mag[i] > mag[best]) best = i;
    a = log(mag[best - 1] + 1e-30);
    b = log(mag[best] + 1e-30);
    c = log(mag[best + 1] + 1e-30);
    d = 0.5 * (a - c) / (a - 2 * b + c);
    return (best + d) * sr / nfft;
}

/* Largest magnitude within +-3 bins of f. */
static double mag_near(const double *mag, int nfft, double sr, double f)
{
    int k = (int)floor(f * nfft / sr + 0.5), i;
    double m = 0;
    for (i = k - 3; i <= k + 3; i++)
        if (i >= 0 && i <= nfft / 2 && mag[i] > m) m = mag[i];
    return m;
}

/* The dominant frequency of voice p at note (steady part: from 0.1 s, 32768 samples). */
static double measure_hz(const double *p, double note_no, double sr, double fmin, double fmax)
{
    const int nfft = 32768;
    size_t skip = (size_t)(0.1 * sr);
    sm_note note = mknote(note_no, 100, 10.0, 1);
    float *x = render(p, &note, sr, skip + nfft);
    double *mag = spectrum(x + skip, nfft), f = peak_hz(mag, nfft, sr, fmin, fmax);
    free(mag);
    free(x);
    return f;
}

/* Seconds until the block peak first reaches frac of the final (sustain) peak. */
static double rise_time(const float *x, size_t n, double sr, double frac)
{
    double full = peak_abs(x + n - 4096, 4096);
    size_t i, j;
    for (i = 0; i + 64 <= n; i += 64) {
        double m = 0;
        for (j = i; j < i + 64; j++)
            if (fabs(x[j]) > m) m = fabs(x[j]);
        if (m >= frac * full) return (double)(i + 64) / sr;
    }
    return 1e9;
}

/* ---- Parameter space ---------------------------------------------------------------------- */

static void test_space(void **state)
{
    const sm_param_space *s = sm_synth_fm6.space;
    size_t i, j;
    (void)state;
    assert_ptr_equal(s, &sm_fm6_space);
    assert_int_equal(s->n, 145);
    assert_int_equal(SM_FM6_NPARAMS, 145);
    assert_string_equal(sm_synth_fm6.name, "fm6");
    assert_string_equal(sm_synth_fm6.patch_ext, ".syx");
    for (i = 0; i < s->n; i++) {
        assert_true(s->p[i].min < s->p[i].max);
        assert_true(s->p[i].def >= s->p[i].min && s->p[i].def <= s->p[i].max);
        assert_true(s->p[i].kind == SM_PARAM_INT || s->p[i].kind == SM_PARAM_ENUM);
        if (s->p[i].kind == SM_PARAM_ENUM) assert_non_null(s->p[i].labels);
        for (j = 0; j < i; j++) assert_true(strcmp(s->p[i].name, s->p[j].name) != 0);
    }
    /* VCED order: operator 6 first. */
    assert_int_equal(SM_FM6_OP(6, SM_FM6_EG_RATE1), 0);
    assert_int_equal(SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL), 121);
    assert_int_equal(SM_FM6_OP(1, SM_FM6_DETUNE), 125);
    assert_string_equal(s->p[0].name, "op6_eg_rate1");
    assert_string_equal(s->p[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)].name, "op1_output_level");
    assert_string_equal(s->p[SM_FM6_OP(2, SM_FM6_COARSE)].name, "op2_coarse");
    assert_string_equal(s->p[SM_FM6_OP(3, SM_FM6_KBD_LEFT_CURVE)].name, "op3_kbd_left_curve");
    assert_int_equal(sm_params_find(s, "algorithm"), SM_FM6_ALGORITHM);
    assert_int_equal(SM_FM6_ALGORITHM, 134);
    assert_close(s->p[SM_FM6_ALGORITHM].min, 1, 0);
    assert_close(s->p[SM_FM6_ALGORITHM].max, 32, 0);
    assert_int_equal(sm_params_find(s, "feedback"), 135);
    assert_int_equal(sm_params_find(s, "lfo_wave"), 142);
    assert_int_equal(s->p[142].kind, SM_PARAM_ENUM);
    assert_string_equal(s->p[142].labels[5], "sample_hold");
    assert_int_equal(sm_params_find(s, "pitch_mod_sens"), 143);
    assert_int_equal(sm_params_find(s, "transpose"), 144);
    assert_int_equal(sm_params_find(s, "pitch_eg_level4"), SM_FM6_PITCH_EG_LEVEL4);
    {
        double v;
        sm_error err = {0};
        assert_int_equal(sm_param_parse(&s->p[SM_FM6_OP(4, SM_FM6_KBD_RIGHT_CURVE)], "+exp",
                                        &v, &err), 0);
        assert_close(v, 2, 0);
        assert_int_equal(sm_param_parse(&s->p[SM_FM6_OP(4, SM_FM6_OSC_MODE)], "fixed", &v, &err),
                         0);
        assert_close(v, 1, 0);
    }
}

/* The defaults are the DX7 INIT VOICE, byte for byte as the sysex module makes it. */
static void test_defaults_are_init_voice(void **state)
{
    double def[SM_FM6_NPARAMS], ini[SM_FM6_NPARAMS];
    sm_dx7_voice v;
    int i;
    (void)state;
    sm_params_defaults(&sm_fm6_space, def);
    sm_dx7_voice_init(&v);
    sm_dx7_voice_to_native(&v, ini);
    for (i = 0; i < SM_FM6_NPARAMS; i++) {
        if (def[i] != ini[i]) print_error("parameter %d (%s): %g vs %g\n", i,
                                          sm_fm6_space.p[i].name, def[i], ini[i]);
        assert_close(def[i], ini[i], 0);
    }
    assert_close(def[SM_FM6_ALGORITHM], 1, 0);
    assert_close(def[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)], 99, 0);
    assert_close(def[SM_FM6_OP(2, SM_FM6_OUTPUT_LEVEL)], 0, 0);
    assert_close(def[SM_FM6_TRANSPOSE], 24, 0);
    assert_close(def[SM_FM6_LFO_SPEED], 35, 0);
}

/* Views freeze any subset: "algorithm 5, operators 1-2 free". */
static void test_view_freeze(void **state)
{
    sm_param_view *v = sm_param_view_alloc(&sm_fm6_space);
    sm_error err = {0};
    double x[64], full[SM_FM6_NPARAMS];
    size_t i;
    (void)state;
    assert_non_null(v);
    assert_int_equal(sm_param_view_freeze(v, "algorithm", 5, &err), 1);
    assert_int_equal(sm_param_view_freeze(v, "*", NAN, &err), 145);
    assert_int_equal(sm_param_view_thaw(v, "op[12]_*"), 42);
    assert_int_equal(v->space.n, 42);
    for (i = 0; i < v->space.n; i++) x[i] = 0.5;
    sm_param_view_expand(v, x, full);
    assert_close(full[SM_FM6_ALGORITHM], 5, 0);
    assert_close(full[SM_FM6_OP(3, SM_FM6_OUTPUT_LEVEL)], 0, 0);
    sm_param_view_free(v);
}

/* ---- Frequencies ---------------------------------------------------------------------------- */

static void test_ratio_frequency(void **state)
{
    double p[SM_FM6_NPARAMS], f;
    (void)state;
    init_voice(p);
    /* coarse 2, fine 50 at A4: 440 * 2 * 1.5 = 1320 Hz */
    p[SM_FM6_OP(1, SM_FM6_COARSE)] = 2;
    p[SM_FM6_OP(1, SM_FM6_FINE)] = 50;
    f = measure_hz(p, 69, 44100, 50, 8000);
    assert_close(f, 1320, 1320 * 0.005);
    /* coarse 0 is ratio 0.5: 220 Hz; fine 0 */
    p[SM_FM6_OP(1, SM_FM6_COARSE)] = 0;
    p[SM_FM6_OP(1, SM_FM6_FINE)] = 0;
    f = measure_hz(p, 69, 44100, 50, 8000);
    assert_close(f, 220, 220 * 0.005);
    /* ratio 1 at note 60 (261.63 Hz) and at a fractional note 60.5 */
    p[SM_FM6_OP(1, SM_FM6_COARSE)] = 1;
    f = measure_hz(p, 60, 44100, 50, 8000);
    assert_close(f, 261.6256, 261.6256 * 0.005);
    f = measure_hz(p, 60.5, 44100, 50, 8000);
    assert_close(f, 261.6256 * pow(2, 0.5 / 12), 270 * 0.005);
    /* the same at other sample rates */
    f = measure_hz(p, 69, 22050, 50, 8000);
    assert_close(f, 440, 440 * 0.005);
    f = measure_hz(p, 69, 96000, 50, 8000);
    assert_close(f, 440, 440 * 0.005);
    /* detune 14 raises the pitch by a few cents, detune 0 lowers it */
    p[SM_FM6_OP(1, SM_FM6_DETUNE)] = 14;
    f = measure_hz(p, 69, 44100, 50, 8000);
    assert_true(f > 440.5 && f < 445);
    p[SM_FM6_OP(1, SM_FM6_DETUNE)] = 0;
    f = measure_hz(p, 69, 44100, 50, 8000);
    assert_true(f < 439.5 && f > 435);
}

static void test_fixed_frequency(void **state)
{
    double p[SM_FM6_NPARAMS], f;
    (void)state;
    init_voice(p);
    p[SM_FM6_OP(1, SM_FM6_OSC_MODE)] = 1;
    /* 10^(2 mod 4 + 0/100) = 100 Hz, whatever the note */
    p[SM_FM6_OP(1, SM_FM6_COARSE)] = 2;
    f = measure_hz(p, 69, 44100, 20, 8000);
    assert_close(f, 100, 100 * 0.005);
    f = measure_hz(p, 40, 44100, 20, 8000);
    assert_close(f, 100, 100 * 0.005);
    /* coarse 6 is 6 mod 4 = 2 again */
    p[SM_FM6_OP(1, SM_FM6_COARSE)] = 6;
    f = measure_hz(p, 90, 44100, 20, 8000);
    assert_close(f, 100, 100 * 0.005);
    /* 10^(3 + 0.5) = 3162.3 Hz */
    p[SM_FM6_OP(1, SM_FM6_COARSE)] = 3;
    p[SM_FM6_OP(1, SM_FM6_FINE)] = 50;
    f = measure_hz(p, 60, 44100, 20, 8000);
    assert_close(f, 3162.28, 3162.28 * 0.005);
}

static void test_transpose_and_pitch_eg(void **state)
{
    double p[SM_FM6_NPARAMS], f;
    int i;
    (void)state;
    init_voice(p);
    p[SM_FM6_TRANSPOSE] = 36;  /* one octave up */
    f = measure_hz(p, 69, 44100, 50, 8000);
    assert_close(f, 880, 880 * 0.005);
    p[SM_FM6_TRANSPOSE] = 12;  /* one octave down */
    f = measure_hz(p, 69, 44100, 50, 8000);
    assert_close(f, 220, 220 * 0.005);
    p[SM_FM6_TRANSPOSE] = 24;
    /* a constant pitch envelope at level 74: +24/32 octave (msfa pitchenv_tab[74] = 24) */
    for (i = 0; i < 4; i++) p[SM_FM6_PITCH_EG_LEVEL1 + i] = 74;
    f = measure_hz(p, 69, 44100, 50, 8000);
    assert_close(f, 440 * pow(2, 0.75), 740 * 0.005);
    /* level 26: -24/32 octave */
    for (i = 0; i < 4; i++) p[SM_FM6_PITCH_EG_LEVEL1 + i] = 26;
    f = measure_hz(p, 69, 44100, 50, 8000);
    assert_close(f, 440 * pow(2, -0.75), 262 * 0.005);
    /* fixed-frequency operators ignore the pitch envelope */
    p[SM_FM6_OP(1, SM_FM6_OSC_MODE)] = 1;
    p[SM_FM6_OP(1, SM_FM6_COARSE)] = 2;
    f = measure_hz(p, 69, 44100, 20, 8000);
    assert_close(f, 100, 100 * 0.005);
}

/* ---- Envelopes ---------------------------------------------------------------------------------- */

/* Attack times against the DX7 rate table: the segment durations Dexed measured on TX816
 * hardware (msfa env.cc statics, samples at 44.1 kHz): rate 30 1.40 s, 40 0.50 s, 50 0.15 s,
 * 60 0.045 s, 70 0.019 s. A full-range attack at rate r must take 0.7..1.6 times that, rate
 * 99 (an organ) must be at full level within 5 ms, and slower rates must take longer. */
static void test_envelope_attack(void **state)
{
    static const int rates[] = {99, 70, 60, 50, 40, 30};
    static const double dx7_s[] = {0, 837 / 44100.0, 1984 / 44100.0, 6615 / 44100.0,
                                   22050 / 44100.0, 61740 / 44100.0};
    const double sr = 22050;
    double p[SM_FM6_NPARAMS], prev = 0;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof rates / sizeof *rates; i++) {
        size_t n = (size_t)((i == 5 ? 2.5 : 1.0) * sr);
        sm_note note = mknote(69, 100, 10, 1);
        float *x;
        double t;
        init_voice(p);
        p[SM_FM6_OP(1, SM_FM6_EG_RATE1)] = rates[i];
        x = render(p, &note, sr, n);
        t = rise_time(x, n, sr, 0.99);
        if (rates[i] == 99) {
            assert_true(t < 0.005);
        } else {
            if (!(t > 0.7 * dx7_s[i] && t < 1.6 * dx7_s[i]))
                print_error("rate %d: attack %.4f s, DX7 %.4f s\n", rates[i], t, dx7_s[i]);
            assert_true(t > 0.7 * dx7_s[i] && t < 1.6 * dx7_s[i]);
        }
        assert_true(t > prev);
        prev = t;
        free(x);
    }
}

/* An attack to level 0 (L1 = 0) is held, as a flat segment is, for a twentieth of the flat
 * segment's time at that rate below rate 77 (msfa's `statics`, measured on TX816s), and for
 * 20 * (99 - rate) samples from rate 77 up [Dexed env.cc, Env::advance]. After the hold the
 * operator goes on to L3 at once (here L2 = 0 too, and R3 = 99): the sound starts after the
 * hold, not after a flat segment 2 at R2 (ROM2B's ST.HELENS has three such operators). */
static void test_envelope_attack_to_zero(void **state)
{
    static const int rates[] = {10, 28, 50, 70, 80, 95};
    const double sr = 44100;
    double p[SM_FM6_NPARAMS];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof rates / sizeof *rates; i++) {
        const size_t n = (size_t)(2.5 * sr);
        sm_note note = mknote(69, 100, 10, 1);
        double expect = rates[i] < 77 ? sm_fm6_env_statics[rates[i]] / 20 : 20 * (99 - rates[i]);
        size_t onset = 0;
        float *x;
        init_voice(p);
        p[SM_FM6_OP(1, SM_FM6_EG_RATE1)] = rates[i];
        p[SM_FM6_OP(1, SM_FM6_EG_LEVEL1)] = 0;
        p[SM_FM6_OP(1, SM_FM6_EG_RATE2)] = 10;   /* a flat segment 2 at R2 = 10 would last 16 s */
        p[SM_FM6_OP(1, SM_FM6_EG_LEVEL2)] = 0;
        p[SM_FM6_OP(1, SM_FM6_EG_RATE3)] = 99;
        p[SM_FM6_OP(1, SM_FM6_EG_LEVEL3)] = 99;
        x = render(p, &note, sr, n);
        while (onset < n && fabsf(x[onset]) < 1e-4f) onset++;
        print_message("R1 = %d, L1 = 0: sound from sample %zu, hold %.0f samples\n", rates[i],
                      onset, expect);
        /* the hold is counted down a block (SM_FM6_N samples) at a time */
        assert_true((double)onset >= expect - SM_FM6_N);
        assert_true((double)onset <= expect + 3 * SM_FM6_N);
        free(x);
    }
}

/* Decays are straight lines in dB; releases start at gate_s and end at L4. */
static void test_envelope_decay_release(void **state)
{
    const double sr = 22050;
    size_t n = (size_t)(2.0 * sr), blk = 512, i;
    double p[SM_FM6_NPARAMS], db[3];
    sm_note note = mknote(69, 100, 10, 1);
    float *x;
    (void)state;
    init_voice(p);
    p[SM_FM6_OP(1, SM_FM6_EG_RATE2)] = 45;
    p[SM_FM6_OP(1, SM_FM6_EG_LEVEL2)] = 0;
    p[SM_FM6_OP(1, SM_FM6_EG_LEVEL3)] = 0;
    x = render(p, &note, sr, n);
    for (i = 0; i < 3; i++) {
        size_t at = (size_t)((0.1 + 0.1 * i) * sr);
        db[i] = 20 * log10(peak_abs(x + at, blk));
    }
    assert_true(db[0] - db[1] > 3);                    /* it decays */
    assert_close(db[0] - db[1], db[1] - db[2], 0.1 * (db[0] - db[1]) + 0.3);  /* in dB, linearly */
    free(x);

    /* Organ: full until the gate, silent soon after with release rate 99; a slow release
     * (rate 40) still sounds 0.2 s later. */
    init_voice(p);
    note = mknote(69, 100, 0.5, 1);
    x = render(p, &note, sr, n);
    assert_true(peak_abs(x + (size_t)(0.45 * sr), 256) > 0.3);
    assert_true(peak_abs(x + (size_t)(0.52 * sr), (size_t)(1.4 * sr)) == 0);
    free(x);
    p[SM_FM6_OP(1, SM_FM6_EG_RATE4)] = 40;
    x = render(p, &note, sr, n);
    assert_true(peak_abs(x + (size_t)(0.7 * sr), 256) > 0.01);
    assert_true(peak_abs(x + (size_t)(0.7 * sr), 256) < 0.3);
    free(x);
}

/* ---- Routing ------------------------------------------------------------------------------------ */

/* The carriers of the 32 algorithms, read off the DX7 manual's algorithm chart (operators on
 * the bottom row). */
static const char *const dx7_carriers[32] = {
    "13",   "13",   "14",   "14",   "135",  "135",  "13",    "13",    "13",   "14",   "14",
    "13",   "13",   "13",   "13",   "1",    "1",    "1",     "145",   "124",  "1245", "1345",
    "1245", "12345", "12345", "124", "124",  "136",  "1235",  "1236",  "12345", "123456",
};

static void test_algorithm_carriers(void **state)
{
    double p[SM_FM6_NPARAMS];
    int alg, op;
    const size_t n = 2048;
    (void)state;
    for (alg = 1; alg <= 32; alg++) {
        unsigned expect = 0;
        const char *c;
        for (c = dx7_carriers[alg - 1]; *c; c++) expect |= 1u << (*c - '1');
        assert_int_equal(sm_fm6_carrier_mask(alg), expect);
        /* Each operator alone at full level: heard iff it is a carrier. */
        for (op = 1; op <= 6; op++) {
            sm_note note = mknote(60, 100, 1, 1);
            float *x;
            int k;
            init_voice(p);
            p[SM_FM6_ALGORITHM] = alg;
            for (k = 1; k <= 6; k++) p[SM_FM6_OP(k, SM_FM6_OUTPUT_LEVEL)] = k == op ? 99 : 0;
            x = render(p, &note, 22050, n);
            if (expect & (1u << (op - 1)))
                assert_true(peak_abs(x, n) > 0.05);
            else
                assert_true(peak_abs(x, n) == 0);
            free(x);
        }
    }
    assert_int_equal(sm_fm6_carrier_mask(0), 0);
    assert_int_equal(sm_fm6_carrier_mask(33), 0);
    /* a few modulator sets of the chart */
    assert_int_equal(sm_fm6_modulator_mask(1, 3), 1u << 3);                 /* 4 > 3 */
    assert_int_equal(sm_fm6_modulator_mask(16, 1), (1u << 1) | (1u << 2) | (1u << 4));
    assert_int_equal(sm_fm6_modulator_mask(22, 5), 1u << 5);                /* 6 > 5 */
    assert_int_equal(sm_fm6_modulator_mask(32, 1), 0);
}

/* With every operator sounding, zeroing one carrier removes exactly its contribution: the
 * output minus the output without carrier c equals the output with only carrier c. */
static void test_carrier_contributions(void **state)
{
    double p[SM_FM6_NPARAMS], q[SM_FM6_NPARAMS];
    const size_t n = 4096;
    int alg, op, k;
    (void)state;
    for (alg = 1; alg <= 32; alg++) {
        unsigned car = sm_fm6_carrier_mask(alg);
        sm_note note = mknote(57, 100, 1, 1);
        float *all;
        init_voice(p);
        p[SM_FM6_ALGORITHM] = alg;
        p[SM_FM6_FEEDBACK] = 5;
        for (k = 1; k <= 6; k++) {
            p[SM_FM6_OP(k, SM_FM6_OUTPUT_LEVEL)] = (car & (1u << (k - 1))) ? 90 : 70;
            p[SM_FM6_OP(k, SM_FM6_COARSE)] = k;
        }
        all = render(p, &note, 22050, n);
        for (op = 1; op <= 6; op++) {
            float *without, *only;
            size_t i;
            double err = 0;
            if (!(car & (1u << (op - 1)))) continue;
            memcpy(q, p, sizeof q);
            q[SM_FM6_OP(op, SM_FM6_OUTPUT_LEVEL)] = 0;
            without = render(q, &note, 22050, n);
            memcpy(q, p, sizeof q);
            for (k = 1; k <= 6; k++)
                if ((car & (1u << (k - 1))) && k != op) q[SM_FM6_OP(k, SM_FM6_OUTPUT_LEVEL)] = 0;
            only = render(q, &note, 22050, n);
            for (i = 0; i < n; i++) {
                double d = fabs((double)all[i] - without[i] - only[i]);
                if (d > err) err = d;
            }
            assert_true(peak_abs(only, n) > 0.01);
            assert_true(err < 1e-5);
            free(without);
            free(only);
        }
        free(all);
    }
}

/* Output level 0 on every carrier gives exact silence, whatever the modulators do. */
static void test_silence(void **state)
{
    double p[SM_FM6_NPARAMS];
    const size_t n = 4096;
    int alg, k;
    (void)state;
    for (alg = 1; alg <= 32; alg++) {
        unsigned car = sm_fm6_carrier_mask(alg);
        sm_note note = mknote(60, 127, 0.05, 1);
        float *x;
        init_voice(p);
        p[SM_FM6_ALGORITHM] = alg;
        p[SM_FM6_FEEDBACK] = 7;
        p[SM_FM6_LFO_AMP_MOD_DEPTH] = 99;
        for (k = 1; k <= 6; k++)
            p[SM_FM6_OP(k, SM_FM6_OUTPUT_LEVEL)] = (car & (1u << (k - 1))) ? 0 : 99;
        x = render(p, &note, 22050, n);
        assert_true(peak_abs(x, n) == 0);
        free(x);
    }
}

/* ---- FM spectra --------------------------------------------------------------------------------- */

static void test_sidebands(void **state)
{
    const double sr = 44100, f0 = 220;
    const int nfft = 32768;
    size_t skip = 4410;
    double p[SM_FM6_NPARAMS], *mag, ref;
    sm_note note = mknote(57, 100, 10, 1);
    float *x;
    int h;
    (void)state;
    /* algorithm 1: operator 2 modulates operator 1; ratio 1:1 gives harmonics of f0 only */
    init_voice(p);
    p[SM_FM6_OP(2, SM_FM6_OUTPUT_LEVEL)] = 75;
    x = render(p, &note, sr, skip + nfft);
    mag = spectrum(x + skip, nfft);
    ref = mag_near(mag, nfft, sr, f0);
    for (h = 2; h <= 4; h++) assert_true(mag_near(mag, nfft, sr, h * f0) > 1e-3 * ref);
    for (h = 1; h <= 8; h++)  /* nothing half-way between harmonics */
        assert_true(mag_near(mag, nfft, sr, (h + 0.5) * f0) < 1e-3 * ref);
    free(mag);
    free(x);

    /* carrier ratio 1, modulator ratio 3: sidebands at |f +- 3kf| = f, 2f, 4f, 5f, 7f;
     * never at 3f or 6f */
    p[SM_FM6_OP(2, SM_FM6_COARSE)] = 3;
    x = render(p, &note, sr, skip + nfft);
    mag = spectrum(x + skip, nfft);
    ref = mag_near(mag, nfft, sr, f0);
    assert_true(mag_near(mag, nfft, sr, 2 * f0) > 1e-2 * ref);
    assert_true(mag_near(mag, nfft, sr, 4 * f0) > 1e-2 * ref);
    assert_true(mag_near(mag, nfft, sr, 5 * f0) > 1e-3 * ref);
    assert_true(mag_near(mag, nfft, sr, 3 * f0) < 1e-3 * ref);
    assert_true(mag_near(mag, nfft, sr, 6 * f0) < 1e-3 * ref);
    /* the modulation index grows with the modulator's level: more energy at 4f */
    {
        double side75 = mag_near(mag, nfft, sr, 4 * f0) / ref, side90;
        free(mag);
        free(x);
        p[SM_FM6_OP(2, SM_FM6_OUTPUT_LEVEL)] = 90;
        x = render(p, &note, sr, skip + nfft);
        mag = spectrum(x + skip, nfft);
        side90 = mag_near(mag, nfft, sr, 4 * f0) / mag_near(mag, nfft, sr, f0);
        assert_true(side90 > 2 * side75);
    }
    free(mag);
    free(x);
}

/* Self-feedback (algorithm 1, operator 6 on its own) adds harmonics to a sine. */
static void test_self_feedback(void **state)
{
    double p[SM_FM6_NPARAMS];
    const int nfft = 16384;
    const double sr = 44100;
    sm_note note = mknote(57, 100, 10, 1);
    double *m0, *m7;
    float *x0, *x7;
    (void)state;
    init_voice(p);
    p[SM_FM6_ALGORITHM] = 32;
    p[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)] = 0;
    p[SM_FM6_OP(6, SM_FM6_OUTPUT_LEVEL)] = 99;
    x0 = render(p, &note, sr, 4410 + nfft);
    p[SM_FM6_FEEDBACK] = 7;
    x7 = render(p, &note, sr, 4410 + nfft);
    m0 = spectrum(x0 + 4410, nfft);
    m7 = spectrum(x7 + 4410, nfft);
    assert_true(mag_near(m0, nfft, sr, 440) < 1e-3 * mag_near(m0, nfft, sr, 220));
    assert_true(mag_near(m7, nfft, sr, 440) > 0.1 * mag_near(m7, nfft, sr, 220));
    free(m0);
    free(m7);
    free(x0);
    free(x7);
}

/* Correlation of two signals (1 for the same shape at any scale). */
static double correlation(const float *a, const float *b, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return ab / sqrt(aa * bb + 1e-300);
}

/* Algorithms 4 and 6 feed the output of the loop's last operator (4, resp. 5) back into
 * operator 6. So feedback changes the sound, and the loop's last operator's level changes its
 * shape, not just its loudness (with feedback 0 it only scales the output). */
static void test_feedback_loops(void **state)
{
    static const int algs[2] = {4, 6}, last[2] = {4, 5};
    const size_t n = 8192, skip = 2048;
    int i, k;
    (void)state;
    for (i = 0; i < 2; i++) {
        double p[SM_FM6_NPARAMS];
        sm_note note = mknote(57, 100, 10, 1);
        float *a, *b, *c, *d;
        int from = 0, to = 0;
        assert_int_equal(sm_fm6_feedback_path(algs[i], &from, &to), 1);
        assert_int_equal(from, last[i]);
        assert_int_equal(to, 6);
        init_voice(p);
        p[SM_FM6_ALGORITHM] = algs[i];
        for (k = 1; k <= 6; k++) p[SM_FM6_OP(k, SM_FM6_OUTPUT_LEVEL)] = 0;
        for (k = last[i]; k <= 6; k++) p[SM_FM6_OP(k, SM_FM6_OUTPUT_LEVEL)] = k == last[i] ? 99 : 70;
        a = render(p, &note, 22050, n);
        p[SM_FM6_OP(last[i], SM_FM6_OUTPUT_LEVEL)] = 85;
        b = render(p, &note, 22050, n);
        /* feedback 0: operator last[i] only scales the output */
        assert_true(correlation(a + skip, b + skip, n - skip) > 0.9999);
        p[SM_FM6_FEEDBACK] = 7;
        c = render(p, &note, 22050, n);
        p[SM_FM6_OP(last[i], SM_FM6_OUTPUT_LEVEL)] = 99;
        d = render(p, &note, 22050, n);
        /* feedback changes the sound ... */
        assert_true(correlation(a + skip, d + skip, n - skip) < 0.99);
        /* ... and the loop carries operator last[i]'s output back: its level shapes it */
        assert_true(correlation(c + skip, d + skip, n - skip) < 0.99);
        free(a);
        free(b);
        free(c);
        free(d);
    }
    {
        int from = 0, to = 0;
        assert_int_equal(sm_fm6_feedback_path(1, &from, &to), 1);
        assert_int_equal(from, 6);
        assert_int_equal(to, 6);
        assert_int_equal(sm_fm6_feedback_path(0, &from, &to), 0);
    }
}

/* ---- Velocity, keyboard scaling, LFO -------------------------------------------------------------- */

static double voice_rms(const double *p, double note_no, double velocity, double from_s,
                        double to_s)
{
    const double sr = 22050;
    size_t a = (size_t)(from_s * sr), b = (size_t)(to_s * sr);
    sm_note note = mknote(note_no, velocity, 10, 1);
    float *x = render(p, &note, sr, b);
    double r = rms(x + a, b - a);
    free(x);
    return r;
}

static void test_velocity_and_scaling(void **state)
{
    double p[SM_FM6_NPARAMS], lo, hi;
    (void)state;
    init_voice(p);
    /* velocity sensitivity 0: velocity does nothing */
    assert_close(voice_rms(p, 60, 127, 0.1, 0.3), voice_rms(p, 60, 20, 0.1, 0.3), 1e-6);
    /* sensitivity 7: soft notes much quieter */
    p[SM_FM6_OP(1, SM_FM6_KEY_VEL_SENS)] = 7;
    hi = voice_rms(p, 60, 127, 0.1, 0.3);
    lo = voice_rms(p, 60, 20, 0.1, 0.3);
    assert_true(20 * log10(hi / lo) > 20);
    p[SM_FM6_OP(1, SM_FM6_KEY_VEL_SENS)] = 0;

    /* keyboard level scaling: -LIN right depth 99 attenuates notes above the break point */
    p[SM_FM6_OP(1, SM_FM6_KBD_RIGHT_DEPTH)] = 99;
    hi = voice_rms(p, 96, 100, 0.1, 0.3);
    lo = voice_rms(p, 48, 100, 0.1, 0.3);
    assert_true(hi < 0.3 * lo);
    /* +LIN on a quieter operator boosts them */
    p[SM_FM6_OP(1, SM_FM6_KBD_RIGHT_CURVE)] = 3;
    p[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)] = 70;
    hi = voice_rms(p, 96, 100, 0.1, 0.3);
    lo = voice_rms(p, 48, 100, 0.1, 0.3);
    assert_true(hi > 2 * lo);
    /* left curve -EXP attenuates low notes */
    init_voice(p);
    p[SM_FM6_OP(1, SM_FM6_KBD_LEFT_DEPTH)] = 99;
    p[SM_FM6_OP(1, SM_FM6_KBD_LEFT_CURVE)] = 1;
    hi = voice_rms(p, 72, 100, 0.1, 0.3);
    lo = voice_rms(p, 24, 100, 0.1, 0.3);
    assert_true(lo < 0.5 * hi);

    /* keyboard rate scaling: high notes decay faster */
    init_voice(p);
    p[SM_FM6_OP(1, SM_FM6_EG_RATE2)] = 40;
    p[SM_FM6_OP(1, SM_FM6_EG_LEVEL2)] = 0;
    p[SM_FM6_OP(1, SM_FM6_EG_LEVEL3)] = 0;
    p[SM_FM6_OP(1, SM_FM6_KBD_RATE_SCALING)] = 7;
    hi = voice_rms(p, 96, 100, 0.3, 0.4);
    lo = voice_rms(p, 36, 100, 0.3, 0.4);
    assert_true(hi < 0.5 * lo);
}

static void test_lfo(void **state)
{
    const double sr = 22050;
    const size_t n = (size_t)(1.0 * sr), blk = 441;
    double p[SM_FM6_NPARAMS], mn = 1e9, mx = 0;
    sm_note note = mknote(69, 100, 10, 1);
    float *x;
    size_t i;
    (void)state;
    /* amplitude modulation: AMD 99, AMS 3, sine wave */
    init_voice(p);
    p[SM_FM6_LFO_AMP_MOD_DEPTH] = 99;
    p[SM_FM6_LFO_WAVE] = 4;
    p[SM_FM6_OP(1, SM_FM6_AMP_MOD_SENS)] = 3;
    x = render(p, &note, sr, n);
    for (i = 0; i + blk <= n; i += blk) {
        double r = rms(x + i, blk);
        if (r < mn) mn = r;
        if (r > mx) mx = r;
    }
    assert_true(mx > 4 * mn);
    free(x);
    /* amp mod sensitivity 0: no modulation */
    p[SM_FM6_OP(1, SM_FM6_AMP_MOD_SENS)] = 0;
    x = render(p, &note, sr, n);
    mn = 1e9;
    mx = 0;
    for (i = blk * 2; i + blk <= n; i += blk) {
        double r = rms(x + i, blk);
        if (r < mn) mn = r;
        if (r > mx) mx = r;
    }
    assert_true(mx < 1.02 * mn);  /* 441 samples are not a whole number of cycles */
    free(x);

    /* pitch modulation: PMD 99, PMS 7, square wave: the pitch jumps between two values */
    init_voice(p);
    p[SM_FM6_LFO_PITCH_MOD_DEPTH] = 99;
    p[SM_FM6_PITCH_MOD_SENS] = 7;
    p[SM_FM6_LFO_WAVE] = 3;
    p[SM_FM6_LFO_SPEED] = 20;
    x = render(p, &note, sr, n);
    {
        /* count rising zero crossings per 0.1 s window: they vary a lot */
        int cmin = 1 << 30, cmax = 0;
        size_t w = (size_t)(0.1 * sr);
        for (i = 0; i + w <= n; i += w) {
            int c = 0;
            size_t j;
            for (j = i + 1; j < i + w; j++)
                if (x[j - 1] < 0 && x[j] >= 0) c++;
            if (c < cmin) cmin = c;
            if (c > cmax) cmax = c;
        }
        assert_true(cmax > 1.5 * cmin);
    }
    free(x);
}

/* Same note and seed, same output (with the LFO's sample and hold and free-running
 * oscillators); another seed changes the free-running phases and the random values. */
static void test_deterministic(void **state)
{
    const size_t n = 11025;
    double p[SM_FM6_NPARAMS];
    sm_note note = mknote(60, 100, 0.3, 42);
    float *a, *b, *c;
    (void)state;
    init_voice(p);
    p[SM_FM6_ALGORITHM] = 5;
    p[SM_FM6_OP(2, SM_FM6_OUTPUT_LEVEL)] = 80;
    p[SM_FM6_OP(3, SM_FM6_OUTPUT_LEVEL)] = 90;
    p[SM_FM6_OP(4, SM_FM6_OUTPUT_LEVEL)] = 80;
    p[SM_FM6_OP(4, SM_FM6_COARSE)] = 3;
    p[SM_FM6_LFO_WAVE] = 5;
    p[SM_FM6_LFO_SPEED] = 80;
    p[SM_FM6_LFO_PITCH_MOD_DEPTH] = 60;
    p[SM_FM6_PITCH_MOD_SENS] = 5;
    p[SM_FM6_LFO_KEY_SYNC] = 0;
    p[SM_FM6_OSC_KEY_SYNC] = 0;
    p[SM_FM6_FEEDBACK] = 6;
    a = render(p, &note, 22050, n);
    b = render(p, &note, 22050, n);
    assert_memory_equal(a, b, n * sizeof *a);
    note.seed = 43;
    c = render(p, &note, 22050, n);
    assert_true(memcmp(a, c, n * sizeof *a) != 0);
    free(a);
    free(b);
    free(c);
}

/* Oscillator phase. With key sync off, a note starts every operator at phase 0 by default,
 * as Dexed does (its operators are made anew for each note), so the render equals the one
 * with key sync on, whatever the seed; the first sample of a lone sine carrier is sin(0) = 0.
 * With random_phase set, the phases come from the seed: two seeds differ, one seed repeats. */
static void test_dexed_phase(void **state)
{
    const size_t n = 4410;
    double p[SM_FM6_NPARAMS];
    sm_note note = mknote(57, 100, 0.1, 7);
    float *synced, *zero, *zero2, *r1, *r1b, *r2;
    (void)state;
    init_voice(p);
    p[SM_FM6_ALGORITHM] = 5;
    p[SM_FM6_OP(2, SM_FM6_OUTPUT_LEVEL)] = 85;
    p[SM_FM6_OP(2, SM_FM6_COARSE)] = 3;
    p[SM_FM6_OSC_KEY_SYNC] = 1;
    synced = render(p, &note, 44100, n);
    p[SM_FM6_OSC_KEY_SYNC] = 0;
    zero = render(p, &note, 44100, n);
    note.seed = 99;
    zero2 = render(p, &note, 44100, n);
    assert_memory_equal(synced, zero, n * sizeof *zero);
    assert_memory_equal(zero, zero2, n * sizeof *zero);
    note.random_phase = 1;
    r1 = render(p, &note, 44100, n);
    r1b = render(p, &note, 44100, n);
    note.seed = 7;
    r2 = render(p, &note, 44100, n);
    assert_memory_equal(r1, r1b, n * sizeof *r1);
    assert_true(memcmp(r1, r2, n * sizeof *r1) != 0);
    assert_true(memcmp(r1, zero, n * sizeof *r1) != 0);
    /* a lone carrier (init voice: operator 1 only) starts at sin(0) */
    init_voice(p);
    p[SM_FM6_OSC_KEY_SYNC] = 0;
    note.random_phase = 0;
    free(zero);
    zero = render(p, &note, 44100, n);
    assert_close(zero[0], 0.0, 1e-6);
    free(synced);
    free(zero);
    free(zero2);
    free(r1);
    free(r1b);
    free(r2);
}

/* ---- Robustness ---------------------------------------------------------------------------------- */

static int all_finite_within(const float *x, size_t n, double bound)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!isfinite(x[i]) || fabs(x[i]) > bound) return 0;
    return 1;
}

/* The operator kernel without feedback (fm6_kernel.c, a polynomial sine in vector lanes)
 * against libm: for random phases, increments, gains, ramps and modulation inputs, each
 * sample is sin(2 pi (phase + i inc + (in[i] << 8)) / 2^32) * (gain + (i + 1) dgain) within
 * 3e-7 of the gain plus one Q24 unit (measured: about 2.4e-7), and the add mode adds exactly
 * that to what was there. */
static void test_op_kernel_against_libm(void **state)
{
    int32_t in[SM_FM6_N], out[SM_FM6_N], base[SM_FM6_N];
    sm_rng r;
    int t, i;
    double worst = 0;
    (void)state;
    sm_rng_init(&r, 77, 0);
    for (t = 0; t < 2000; t++) {
        const uint32_t phase = (uint32_t)sm_rng_below(&r, 1ull << 32);
        const uint32_t inc = (uint32_t)sm_rng_below(&r, 1ull << 31);
        const int32_t gain = (int32_t)sm_rng_below(&r, 1 << 26);
        const int32_t dgain = (int32_t)sm_rng_below(&r, 1 << 18) - (1 << 17);
        const int mod = t % 2, add = (t / 2) % 2;
        for (i = 0; i < SM_FM6_N; i++) {
            in[i] = (int32_t)sm_rng_below(&r, 1 << 26) - (1 << 25);
            base[i] = out[i] = (int32_t)sm_rng_below(&r, 1 << 20) - (1 << 19);
        }
        sm_fm6_op_block(phase, inc, gain, dgain, mod ? in : NULL, out, add);
        for (i = 0; i < SM_FM6_N; i++) {
            const uint32_t p = phase + (uint32_t)i * inc + (mod ? (uint32_t)in[i] << 8 : 0u);
            const double g = (double)gain + (double)(i + 1) * dgain;
            const double want = sin(2 * M_PI * (double)p / 4294967296.0) * g;
            const double got = (double)out[i] - (add ? base[i] : 0);
            const double err = fabs(got - want);
            if (err > worst) worst = err;
            if (err > 3e-7 * fabs(g) + 1.0)
                fail_msg("sample %d: %.1f, libm says %.1f (gain %.0f)", i, got, want, g);
        }
    }
    print_message("operator kernel: largest difference from libm %.2f Q24 units\n", worst);
}

/* Renders the pair (a, b) with render2 and each alone with render; the outputs must be the
 * same to the bit. */
static void expect_pair_equals_alone(void *st, const double *a, const double *b,
                                     const sm_note *note, size_t n, float *buf)
{
    float *pa = buf, *pb = buf + n, *sa = buf + 2 * n, *sb = buf + 3 * n;
    assert_int_equal(sm_synth_fm6.render2(st, a, b, note, pa, pb, n), 0);
    assert_int_equal(sm_synth_fm6.render(st, a, note, sa, n), 0);
    assert_int_equal(sm_synth_fm6.render(st, b, note, sb, n), 0);
    assert_memory_equal(pa, sa, n * sizeof *pa);
    assert_memory_equal(pb, sb, n * sizeof *pb);
}

/* render2 (two notes at once, feedback paths side by side) gives exactly what render gives for
 * each note alone: over 300 random pairs of patches (every algorithm and feedback amount, the
 * loops of algorithms 4 and 6 against self-feedback and against each other), a silent patch
 * beside a sounding one, notes that end at different times, and rom1a's voices in pairs. */
static void test_render2_equals_render(void **state)
{
    const double sr = 22050;
    const size_t n = (size_t)(0.4 * sr);
    const sm_param_space *sp = &sm_fm6_space;
    double a[SM_FM6_NPARAMS], b[SM_FM6_NPARAMS];
    float *buf = malloc(4 * n * sizeof *buf);
    sm_note note = mknote(57, 100, 0.2, 5);
    sm_error err = {0};
    void *st = sm_synth_fm6.alloc(sr, &err);
    sm_rng r;
    int t, loops = 0, i;
    size_t j;
    (void)state;
    assert_non_null(st);
    assert_non_null(buf);
    assert_non_null(sm_synth_fm6.render2);
    sm_rng_init(&r, 2024, 0);
    for (t = 0; t < 300; t++) {
        for (j = 0; j < sp->n; j++) {
            a[j] = sp->p[j].min + (double)sm_rng_below(&r, (uint64_t)(sp->p[j].max - sp->p[j].min + 1));
            b[j] = sp->p[j].min + (double)sm_rng_below(&r, (uint64_t)(sp->p[j].max - sp->p[j].min + 1));
        }
        /* fast envelopes, so that most notes sound within 0.4 s; every third pair has a loop */
        for (i = 1; i <= 6; i++) {
            a[SM_FM6_OP(i, SM_FM6_EG_RATE1)] = 70 + (t + i) % 30;
            b[SM_FM6_OP(i, SM_FM6_EG_RATE1)] = 60 + (t * i) % 40;
        }
        if (t % 3 == 0) a[SM_FM6_ALGORITHM] = t % 2 ? 4 : 6;
        if (t % 5 == 0) b[SM_FM6_ALGORITHM] = t % 2 ? 6 : 4;
        if (t % 7 == 0) a[SM_FM6_FEEDBACK] = 7;
        loops += a[SM_FM6_ALGORITHM] == 4 || a[SM_FM6_ALGORITHM] == 6;
        expect_pair_equals_alone(st, a, b, &note, n, buf);
    }
    assert_true(loops >= 100);
    /* a silent patch beside a sounding one, both ways; one note ending long before the other */
    init_voice(a);
    a[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)] = 0;
    expect_pair_equals_alone(st, a, b, &note, n, buf);
    expect_pair_equals_alone(st, b, a, &note, n, buf);
    init_voice(a);
    a[SM_FM6_FEEDBACK] = 7;
    a[SM_FM6_OP(1, SM_FM6_EG_RATE4)] = 99;
    expect_pair_equals_alone(st, a, b, &note, n, buf);
    expect_pair_equals_alone(st, a, a, &note, n, buf);
    if (sm_test_shared()) {
        double *bank = NULL;
        size_t nv = 0, v;
        const char *path = sm_test_shared_path("dx7/rom1a.syx");
        assert_int_equal(sm_synth_fm6.patch_load_all(path, &bank, &nv, &err), 0);
        assert_int_equal(nv, 32);
        for (v = 0; v < nv; v++)
            expect_pair_equals_alone(st, bank + v * SM_FM6_NPARAMS,
                                     bank + (nv - 1 - v) * SM_FM6_NPARAMS, &note, n, buf);
        free(bank);
    } else {
        print_message("rom1a pairs skipped: the shared data folder is absent\n");
    }
    sm_synth_fm6.free(st);
    free(buf);
}

static void test_bad_values(void **state)
{
    const size_t n = 4096;
    double p[SM_FM6_NPARAMS], d[SM_FM6_NPARAMS];
    sm_note note = mknote(60, 100, 0.05, 1);
    sm_error err = {0};
    float *a, *b, buf[16];
    void *st;
    int i;
    (void)state;
    /* NaN everywhere means the defaults */
    for (i = 0; i < SM_FM6_NPARAMS; i++) p[i] = NAN;
    init_voice(d);
    a = render(p, &note, 22050, n);
    b = render(d, &note, 22050, n);
    assert_memory_equal(a, b, n * sizeof *a);
    free(a);
    free(b);
    /* huge, negative and infinite values are clamped */
    for (i = 0; i < SM_FM6_NPARAMS; i++) p[i] = (i % 3 == 0) ? 1e300 : (i % 3 == 1) ? -INFINITY : INFINITY;
    a = render(p, &note, 22050, n);
    assert_true(all_finite_within(a, n, 2.0));
    free(a);
    /* extreme notes and velocities */
    init_voice(p);
    p[SM_FM6_ALGORITHM] = 32;
    for (i = 1; i <= 6; i++) {
        p[SM_FM6_OP(i, SM_FM6_OUTPUT_LEVEL)] = 99;
        p[SM_FM6_OP(i, SM_FM6_COARSE)] = 31;
        p[SM_FM6_OP(i, SM_FM6_FINE)] = 99;
    }
    note = mknote(1000, 1e6, 0.05, 1);
    a = render(p, &note, 22050, n);
    assert_true(all_finite_within(a, n, 2.0));
    free(a);
    note = mknote(-1000, -5, -1, 1);
    a = render(p, &note, 22050, n);
    assert_true(all_finite_within(a, n, 2.0));
    free(a);
    /* infinite gate: held for ever */
    note = mknote(60, 100, INFINITY, 1);
    a = render(p, &note, 22050, n);
    assert_true(all_finite_within(a, n, 2.0));
    assert_true(peak_abs(a + n - 256, 256) > 0.1);
    free(a);

    /* argument errors */
    st = sm_synth_fm6.alloc(22050, &err);
    assert_non_null(st);
    note = mknote(NAN, 100, 1, 1);
    buf[0] = 1;
    assert_int_equal(sm_synth_fm6.render(st, d, &note, buf, 16), SM_ERR_NONFINITE);
    assert_true(buf[0] == 0);
    note = mknote(60, 100, 1, 1);
    assert_int_equal(sm_synth_fm6.render(NULL, d, &note, buf, 16), SM_ERR_ARG);
    assert_int_equal(sm_synth_fm6.render(st, NULL, &note, buf, 16), SM_ERR_ARG);
    assert_int_equal(sm_synth_fm6.render(st, d, &note, NULL, 16), SM_ERR_ARG);
    assert_int_equal(sm_synth_fm6.render(st, d, &note, NULL, 0), 0);
    /* odd lengths: a partial last block */
    assert_int_equal(sm_synth_fm6.render(st, d, &note, buf, 13), 0);
    assert_true(all_finite_within(buf, 13, 1.0));
    sm_synth_fm6.free(st);
    sm_synth_fm6.free(NULL);
    sm_error_clear(&err);
    assert_null(sm_synth_fm6.alloc(10, &err));
    assert_int_equal(err.code, SM_ERR_RANGE);
    assert_null(sm_synth_fm6.alloc(NAN, &err));
}

/* ---- DX7 banks -------------------------------------------------------------------------------------- */

/* Every voice of every .syx bank in the shared folder renders finite and within [-1, 1]
 * (0.5 s at 22.05 kHz, note 60, velocity 100, gate 0.3 s), and nearly all make sound. */
static void test_banks(void **state)
{
    const double sr = 22050;
    const size_t n = (size_t)(0.5 * sr);
    char pattern[4200];
    glob_t g;
    size_t f, total = 0, silent = 0;
    sm_error err = {0};
    void *st;
    float *x = malloc(n * sizeof *x);
    (void)state;
    SM_TEST_NEED_SHARED();
    snprintf(pattern, sizeof pattern, "%s/dx7/*.syx", sm_test_shared());
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 7);
    st = sm_synth_fm6.alloc(sr, &err);
    assert_non_null(st);
    for (f = 0; f < g.gl_pathc; f++) {
        double *native = NULL;
        size_t nv = 0, v;
        assert_int_equal(sm_synth_fm6.patch_load_all(g.gl_pathv[f], &native, &nv, &err), 0);
        assert_int_equal(nv, 32);
        for (v = 0; v < nv; v++) {
            sm_note note = mknote(60, 100, 0.3, v + 1);
            assert_int_equal(sm_synth_fm6.render(st, native + v * SM_FM6_NPARAMS, &note, x, n), 0);
            if (!all_finite_within(x, n, 1.0))
                print_error("%s voice %zu: peak %g\n", g.gl_pathv[f], v + 1, peak_abs(x, n));
            assert_true(all_finite_within(x, n, 1.0));
            if (peak_abs(x, n) < 1e-3) silent++;
            total++;
        }
        free(native);
    }
    assert_true(total >= 224);
    assert_true(silent * 50 < total);
    sm_synth_fm6.free(st);
    globfree(&g);
    free(x);
}

/* Known voices load by number and by name, and a saved patch loads back the same. */
static void test_patch_files(void **state)
{
    char spec[4200], name[32], path[4200];
    double p[SM_FM6_NPARAMS], q[SM_FM6_NPARAMS];
    sm_error err = {0};
    const char *dir;
    int i;
    (void)state;
    SM_TEST_NEED_SHARED();
    snprintf(spec, sizeof spec, "%s:1", sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_equal(sm_synth_fm6.patch_load(spec, p, name, sizeof name, &err), 0);
    assert_string_equal(name, "BRASS   1");
    assert_close(p[SM_FM6_ALGORITHM], 22, 0);
    assert_close(p[SM_FM6_FEEDBACK], 7, 0);
    snprintf(spec, sizeof spec, "%s:E.PIANO 1", sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_equal(sm_synth_fm6.patch_load(spec, p, name, sizeof name, &err), 0);
    assert_string_equal(name, "E.PIANO 1");
    assert_close(p[SM_FM6_ALGORITHM], 5, 0);
    assert_close(p[SM_FM6_FEEDBACK], 6, 0);
    assert_int_equal(sm_params_check(&sm_fm6_space, p, &err), 0);

    dir = sm_test_tmpdir();
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/epiano.syx", dir);
    assert_int_equal(sm_synth_fm6.patch_save(path, p, "MY EPIANO", &err), 0);
    assert_int_equal(sm_synth_fm6.patch_load(path, q, name, sizeof name, &err), 0);
    assert_string_equal(name, "MY EPIANO");
    for (i = 0; i < SM_FM6_NPARAMS; i++) assert_close(q[i], p[i], 0);
    remove(path);
    rmdir(dir);

    snprintf(spec, sizeof spec, "%s:NO SUCH VOICE", sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_not_equal(sm_synth_fm6.patch_load(spec, p, name, sizeof name, &err), 0);
    assert_int_not_equal(sm_synth_fm6.patch_load("/nonexistent/x.syx", p, NULL, 0, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_space),
        cmocka_unit_test(test_defaults_are_init_voice),
        cmocka_unit_test(test_view_freeze),
        cmocka_unit_test(test_ratio_frequency),
        cmocka_unit_test(test_fixed_frequency),
        cmocka_unit_test(test_transpose_and_pitch_eg),
        cmocka_unit_test(test_envelope_attack),
        cmocka_unit_test(test_envelope_attack_to_zero),
        cmocka_unit_test(test_envelope_decay_release),
        cmocka_unit_test(test_algorithm_carriers),
        cmocka_unit_test(test_carrier_contributions),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_sidebands),
        cmocka_unit_test(test_self_feedback),
        cmocka_unit_test(test_feedback_loops),
        cmocka_unit_test(test_velocity_and_scaling),
        cmocka_unit_test(test_lfo),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_dexed_phase),
        cmocka_unit_test(test_op_kernel_against_libm),
        cmocka_unit_test(test_render2_equals_render),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_banks),
        cmocka_unit_test(test_patch_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
