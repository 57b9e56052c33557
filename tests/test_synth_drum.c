/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_synth_drum.c: the Microtonic-style drum voice (synths/drum.c): its parameter
 * space, the oscillator's pitch, the envelopes' decay times, the noise filters, the
 * equal-power mix, velocity, pitch modulation, determinism, and finite bounded output over
 * random parameter vectors. */
#include "tests/test_util.h"
#include "core/rng.h"
#include "synths/drum.h"

#include <fftw3.h>

#define SR 44100.0

static const sm_synth_type *drum = &sm_synth_drum;

static sm_note note_of(double length_s, uint64_t seed)
{
    sm_note n;
    n.note = 60;
    n.velocity = 127;
    n.gate_s = length_s;
    n.length_s = length_s;
    n.seed = seed;
    return n;
}

/* A plain patch: oscillator only, no modulation, no distortion, flat EQ, level 0 dB (a unit
 * oscillator then peaks at 0.5: the voice keeps 6 dB of headroom). */
static void plain_patch(double *p)
{
    sm_params_defaults(drum->space, p);
    p[SM_DRUM_OSC_WAVE] = SM_DRUM_WAVE_SINE;
    p[SM_DRUM_OSC_ATK_MS] = SM_DRUM_ATK_MIN_MS;
    p[SM_DRUM_OSC_DCY_MS] = 10000;
    p[SM_DRUM_MOD_AMT_ST] = 0;
    p[SM_DRUM_MIX_OSC_PCT] = 100;
    p[SM_DRUM_DIST_AMT] = 0;
    p[SM_DRUM_EQ_GAIN_DB] = 0;
    p[SM_DRUM_LEVEL_DB] = 0;
}

/* Renders n samples of p at SR into a new buffer (freed by the caller). */
static float *render(const double *p, size_t n, double velocity, uint64_t seed)
{
    sm_error err = {0};
    void *st = drum->alloc(SR, &err);
    float *y = malloc(n * sizeof *y);
    sm_note note = note_of((double)n / SR, seed);
    assert_non_null(st);
    assert_non_null(y);
    note.velocity = velocity;
    assert_int_equal(drum->render(st, p, &note, y, n), 0);
    drum->free(st);
    return y;
}

static double rms(const float *y, size_t a, size_t b)
{
    double s = 0;
    size_t i;
    for (i = a; i < b; i++) s += (double)y[i] * y[i];
    return b > a ? sqrt(s / (double)(b - a)) : 0;
}

/* Power spectrum |X|^2 of y[0..n) with a Hann window; returns n/2+1 bins (caller frees). */
static double *power_spectrum(const float *y, size_t n)
{
    double *in = fftw_malloc(n * sizeof *in), *pw = malloc((n / 2 + 1) * sizeof *pw);
    fftw_complex *out = fftw_malloc((n / 2 + 1) * sizeof *out);
    fftw_plan plan = fftw_plan_dft_r2c_1d((int)n, in, out, FFTW_ESTIMATE);
    size_t i;
    for (i = 0; i < n; i++) in[i] = y[i] * (0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)n));
    fftw_execute(plan);
    for (i = 0; i <= n / 2; i++) pw[i] = out[i][0] * out[i][0] + out[i][1] * out[i][1];
    fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(out);
    return pw;
}

/* The frequency of the strongest spectral peak of y[a..a+n) (parabolic interpolation on the
 * log magnitude). */
static double peak_hz(const float *y, size_t n)
{
    double *pw = power_spectrum(y, n), a, b, c, d;
    size_t i, k = 1;
    for (i = 1; i < n / 2; i++)
        if (pw[i] > pw[k]) k = i;
    a = log(pw[k - 1] + 1e-300);
    b = log(pw[k] + 1e-300);
    c = log(pw[k + 1] + 1e-300);
    d = 0.5 * (a - c) / (a - 2 * b + c);
    free(pw);
    return ((double)k + d) * SR / (double)n;
}

static double peak_of(const float *y, size_t n)
{
    double m = 0;
    size_t i;
    for (i = 0; i < n; i++)
        if (fabs(y[i]) > m) m = fabs(y[i]);
    return m;
}

static void test_space(void **state)
{
    const sm_param_space *s = drum->space;
    static const char *const logs[] = {"osc_freq_hz", "osc_atk_ms", "osc_dcy_ms", "nfil_freq_hz",
                                       "nfil_q", "nenv_atk_ms", "nenv_dcy_ms", "eq_freq_hz"};
    size_t i;
    (void)state;
    assert_int_equal(s->n, SM_DRUM_NPARAMS);
    assert_string_equal(drum->name, "drum");
    assert_string_equal(drum->patch_ext, ".mtpreset");
    assert_int_equal(sm_params_find(s, "osc_wave"), SM_DRUM_OSC_WAVE);
    assert_int_equal(sm_params_find(s, "mod_rate"), SM_DRUM_MOD_RATE);
    assert_int_equal(sm_params_find(s, "mod_vel_pct"), SM_DRUM_MOD_VEL_PCT);
    for (i = 0; i < sizeof logs / sizeof *logs; i++) {
        int k = sm_params_find(s, logs[i]);
        assert_true(k >= 0);
        assert_true(s->p[k].log_scale);
    }
    assert_string_equal(s->p[SM_DRUM_OSC_WAVE].labels[2], "Saw");
    assert_string_equal(s->p[SM_DRUM_MOD_MODE].labels[2], "Noise");
    assert_string_equal(s->p[SM_DRUM_NENV_MODE].labels[2], "Mod");
    assert_string_equal(s->p[SM_DRUM_NFIL_MODE].labels[1], "BP");
    assert_close(s->p[SM_DRUM_OSC_FREQ_HZ].min, 20, 0);
    assert_close(s->p[SM_DRUM_OSC_FREQ_HZ].max, 20000, 0);
    assert_close(s->p[SM_DRUM_MOD_AMT_ST].min, -96, 0);
    assert_close(s->p[SM_DRUM_MOD_AMT_ST].max, 96, 0);
    assert_close(s->p[SM_DRUM_EQ_GAIN_DB].max, 40, 0);
    assert_close(s->p[SM_DRUM_OSC_VEL_PCT].max, 200, 0);
    /* the default mod_rate is Microtonic's 353.33 ms */
    assert_close(sm_drum_mod_rate_value(SM_DRUM_MOD_DECAY, s->p[SM_DRUM_MOD_RATE].def), 353.333,
                 0.001);
}

static void test_sine_frequency(void **state)
{
    static const double freqs[] = {55, 440, 3000, 12345};
    double p[SM_DRUM_NPARAMS];
    size_t i, n = 65536;
    (void)state;
    for (i = 0; i < sizeof freqs / sizeof *freqs; i++) {
        float *y;
        double f;
        plain_patch(p);
        p[SM_DRUM_OSC_FREQ_HZ] = freqs[i];
        y = render(p, n, 127, 1);
        f = peak_hz(y, n);
        if (fabs(f / freqs[i] - 1) > 0.005)
            fail_msg("sine at %g Hz peaks at %g Hz", freqs[i], f);
        /* level 0 dB of a unit sine: peak 0.5 (6 dB headroom), no limiting */
        assert_close(peak_of(y, 4410), 0.5, 0.004);
        free(y);
    }
}

/* The time (s) at which the windowed peak of y first falls 60 dB below its maximum. */
static double t60_of_peak(const float *y, size_t n, size_t win)
{
    double max = 0;
    size_t i, w;
    for (i = 0; i < n; i++)
        if (fabs(y[i]) > max) max = fabs(y[i]);
    for (w = 0; w + win <= n; w += win) {
        double pk = 0;
        for (i = w; i < w + win; i++)
            if (fabs(y[i]) > pk) pk = fabs(y[i]);
        if (pk < max * 1e-3) return ((double)w) / SR;
    }
    return INFINITY;
}

/* T60 from the slope of the RMS level in dB (windows of win samples, between -3 and -45 dB). */
static double t60_of_rms_slope(const float *y, size_t n, size_t win)
{
    size_t w, k = 0;
    double max = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, slope;
    for (w = 0; w + win <= n; w += win) {
        double r = rms(y, w, w + win);
        if (r > max) max = r;
    }
    for (w = 0; w + win <= n; w += win) {
        double db = 20 * log10(rms(y, w, w + win) / max + 1e-300);
        double t = ((double)w + 0.5 * (double)win) / SR;
        if (db > -3 || db < -45) continue;
        sx += t;
        sy += db;
        sxx += t * t;
        sxy += t * db;
        k++;
    }
    assert_true(k > 5);
    slope = ((double)k * sxy - sx * sy) / ((double)k * sxx - sx * sx);
    return -60 / slope;
}

static void test_decay_times(void **state)
{
    static const double decays_ms[] = {50, 200, 1000};
    double p[SM_DRUM_NPARAMS];
    size_t i, n = 88200;
    (void)state;
    /* Oscillator: decay = time to fall 60 dB (our definition, see drum.md) */
    for (i = 0; i < sizeof decays_ms / sizeof *decays_ms; i++) {
        float *y;
        double t;
        plain_patch(p);
        p[SM_DRUM_OSC_FREQ_HZ] = 1000;
        p[SM_DRUM_OSC_DCY_MS] = decays_ms[i];
        y = render(p, n, 127, 1);
        t = t60_of_peak(y, n, 44);
        if (fabs(t * 1000 / decays_ms[i] - 1) > 0.1)
            fail_msg("oscillator decay %g ms measures %g ms", decays_ms[i], t * 1000);
        free(y);
    }
    /* Noise, exponential envelope: the same definition, measured from the RMS slope */
    for (i = 0; i < sizeof decays_ms / sizeof *decays_ms; i++) {
        float *y;
        double t;
        plain_patch(p);
        p[SM_DRUM_MIX_OSC_PCT] = 0;
        p[SM_DRUM_NENV_MODE] = SM_DRUM_NENV_EXP;
        p[SM_DRUM_NENV_DCY_MS] = decays_ms[i];
        y = render(p, n, 127, 3);
        t = t60_of_rms_slope(y, n, (size_t)(decays_ms[i] * 1e-3 * SR / 25));
        if (fabs(t * 1000 / decays_ms[i] - 1) > 0.1)
            fail_msg("noise decay %g ms measures %g ms", decays_ms[i], t * 1000);
        free(y);
    }
    /* Noise, linear envelope: silent from the decay time on, still sounding before it */
    {
        float *y;
        size_t last = 0, j;
        plain_patch(p);
        p[SM_DRUM_MIX_OSC_PCT] = 0;
        p[SM_DRUM_NENV_MODE] = SM_DRUM_NENV_LINEAR;
        p[SM_DRUM_NENV_DCY_MS] = 300;
        y = render(p, n, 127, 3);
        for (j = 0; j < n; j++)
            if (y[j] != 0) last = j;
        assert_close((double)last / SR, 0.3, 0.03);
        free(y);
    }
    /* Exponential attack: the oscillator reaches full level at the attack time */
    {
        float *y;
        plain_patch(p);
        p[SM_DRUM_OSC_FREQ_HZ] = 1000;
        p[SM_DRUM_OSC_ATK_MS] = 100;
        y = render(p, n, 127, 1);
        assert_true(rms(y, 0, 441) < 0.01 * rms(y, 4410, 4851));       /* quiet at first */
        assert_true(rms(y, 2205, 2646) < 0.5 * rms(y, 4410, 4851));     /* rising (convex) */
        assert_close(rms(y, 4410, 4851), 0.5 / sqrt(2), 0.02);     /* full at 100 ms */
        free(y);
    }
}

/* Mean power per bin of pw between lo and hi Hz (n-point spectrum). */
static double band(const double *pw, size_t n, double lo, double hi)
{
    size_t a = (size_t)(lo * (double)n / SR), b = (size_t)(hi * (double)n / SR), i;
    double s = 0;
    for (i = a; i <= b; i++) s += pw[i];
    return s / (double)(b - a + 1);
}

static void test_noise_filters(void **state)
{
    double p[SM_DRUM_NPARAMS], *pw, lo, mid, hi, fc = 2000;
    size_t n = 32768;
    float *y;
    (void)state;
    plain_patch(p);
    p[SM_DRUM_MIX_OSC_PCT] = 0;
    p[SM_DRUM_NENV_DCY_MS] = 10000;
    p[SM_DRUM_NFIL_FREQ_HZ] = fc;
    p[SM_DRUM_LEVEL_DB] = -12;

    p[SM_DRUM_NFIL_MODE] = SM_DRUM_FILTER_LP;
    p[SM_DRUM_NFIL_Q] = 0.7071;
    y = render(p, n, 127, 7);
    pw = power_spectrum(y, n);
    lo = band(pw, n, 100, fc / 4);
    mid = band(pw, n, fc / 1.4142, fc * 1.4142);
    hi = band(pw, n, 4 * fc, 16000);
    assert_true(lo > 100 * hi); /* 20 dB and more: 2nd order gives -24 dB at 4 fc */
    assert_true(mid > 10 * hi);
    assert_true(lo > mid);
    free(pw);
    free(y);

    p[SM_DRUM_NFIL_MODE] = SM_DRUM_FILTER_HP;
    y = render(p, n, 127, 7);
    pw = power_spectrum(y, n);
    lo = band(pw, n, 100, fc / 4);
    mid = band(pw, n, fc / 1.4142, fc * 1.4142);
    hi = band(pw, n, 4 * fc, 16000);
    assert_true(hi > 100 * lo);
    assert_true(mid > 10 * lo);
    assert_true(hi > mid);
    free(pw);
    free(y);

    p[SM_DRUM_NFIL_MODE] = SM_DRUM_FILTER_BP;
    p[SM_DRUM_NFIL_Q] = 4;
    y = render(p, n, 127, 7);
    pw = power_spectrum(y, n);
    lo = band(pw, n, 100, fc / 4);
    mid = band(pw, n, fc / 1.1, fc * 1.1);
    hi = band(pw, n, 4 * fc, 16000);
    assert_true(mid > 100 * lo);
    assert_true(mid > 100 * hi);
    free(pw);
    free(y);
}

static void test_equal_power_mix(void **state)
{
    double go, gn, p[SM_DRUM_NPARAMS], m;
    float *a, *b;
    size_t n = 22050;
    (void)state;
    sm_drum_mix_gains(50, &go, &gn);
    assert_close(go, sqrt(0.5), 1e-12);
    assert_close(gn, sqrt(0.5), 1e-12);
    sm_drum_mix_gains(100, &go, &gn);
    assert_close(go, 1, 0);
    assert_close(gn, 0, 0);
    sm_drum_mix_gains(0, &go, &gn);
    assert_close(go, 0, 0);
    assert_close(gn, 1, 0);
    for (m = 0; m <= 100; m += 12.5) {
        sm_drum_mix_gains(m, &go, &gn);
        assert_close(go * go + gn * gn, 1, 1e-12);
    }
    /* In the rendered sound: the oscillator at 50/50 against 100/0 ... */
    plain_patch(p);
    p[SM_DRUM_LEVEL_DB] = -12;
    p[SM_DRUM_NFIL_MODE] = SM_DRUM_FILTER_LP;
    a = render(p, n, 127, 1);
    p[SM_DRUM_MIX_OSC_PCT] = 50;
    p[SM_DRUM_NENV_DCY_MS] = 20.0 / 3.0;
    p[SM_DRUM_NENV_ATK_MS] = SM_DRUM_ATK_MIN_MS;
    p[SM_DRUM_NFIL_FREQ_HZ] = 20; /* keep the noise out of the measured stretch */
    b = render(p, n, 127, 1);
    assert_close(rms(b, 4410, n) / rms(a, 4410, n), sqrt(0.5), 0.005);
    free(a);
    free(b);
    /* ... and the noise at 50/50 against 0/100 (the same seed gives the same noise) */
    plain_patch(p);
    p[SM_DRUM_LEVEL_DB] = -18;
    p[SM_DRUM_MIX_OSC_PCT] = 0;
    a = render(p, n, 127, 9);
    p[SM_DRUM_MIX_OSC_PCT] = 50;
    p[SM_DRUM_OSC_DCY_MS] = 10;
    p[SM_DRUM_OSC_FREQ_HZ] = 20;
    b = render(p, n, 127, 9);
    assert_close(rms(b, 4410, n) / rms(a, 4410, n), sqrt(0.5), 0.005);
    free(a);
    free(b);
}

static void test_velocity(void **state)
{
    double p[SM_DRUM_NPARAMS];
    float *a, *b;
    size_t n = 8820;
    (void)state;
    assert_close(sm_drum_velocity_gain(0, 1), 1, 0);
    assert_close(sm_drum_velocity_gain(100, 0), 0, 0);
    assert_close(sm_drum_velocity_gain(100, 127), 1, 0);
    assert_close(sm_drum_velocity_gain(100, 63.5), 0.5, 1e-12);
    assert_close(sm_drum_velocity_gain(200, 63), 0, 0);
    assert_true(sm_drum_velocity_gain(200, 64) > 0);
    assert_close(sm_drum_velocity_gain(50, 0), 0.5, 1e-12);
    /* oscillator sensitivity 100 % at velocity 63.5 halves the level */
    plain_patch(p);
    p[SM_DRUM_OSC_VEL_PCT] = 100;
    a = render(p, n, 127, 1);
    b = render(p, n, 63.5, 1);
    assert_close(rms(b, 0, n) / rms(a, 0, n), 0.5, 1e-3);
    free(b);
    p[SM_DRUM_OSC_VEL_PCT] = 0; /* no sensitivity: velocity changes nothing */
    b = render(p, n, 10, 1);
    free(a);
    a = render(p, n, 127, 1);
    assert_memory_equal(a, b, n * sizeof *a);
    free(a);
    free(b);
}

/* Zero-crossing frequency of y[a..b). */
static double zc_hz(const float *y, size_t a, size_t b)
{
    size_t i, k = 0;
    for (i = a + 1; i < b; i++)
        if ((y[i - 1] < 0) != (y[i] < 0)) k++;
    return (double)k / 2 / ((double)(b - a) / SR);
}

static void test_pitch_modulation(void **state)
{
    double p[SM_DRUM_NPARAMS], early, late;
    size_t n = 44100;
    float *y;
    (void)state;
    /* mod_rate mapping: both ends and a round trip */
    assert_true(isinf(sm_drum_mod_rate_value(SM_DRUM_MOD_DECAY, 0)));
    assert_close(sm_drum_mod_rate_value(SM_DRUM_MOD_DECAY, 1), 10, 1e-12);
    assert_close(sm_drum_mod_rate_value(SM_DRUM_MOD_SINE, 1), 2000, 1e-9);
    assert_close(sm_drum_mod_rate_value(SM_DRUM_MOD_NOISE, 1), 20000, 1e-9);
    assert_close(sm_drum_mod_rate_value(SM_DRUM_MOD_SINE, 0), 0, 0);
    assert_close(sm_drum_mod_rate_from_value(SM_DRUM_MOD_DECAY, INFINITY), 0, 0);
    assert_close(sm_drum_mod_rate_from_value(SM_DRUM_MOD_DECAY,
                                             sm_drum_mod_rate_value(SM_DRUM_MOD_DECAY, 0.3)),
                 0.3, 1e-12);
    /* known answers of the table in drum.md, worked by hand: Noise 20000 Hz x 10^(5 x -0.4)
     * = 200 Hz at r = 0.6; Sine 2000 Hz x 10^(5 x -0.2) = 200 Hz at r = 0.8; Decay
     * 10 ms x 10^(4 x 0.5) = 1000 ms at r = 0.5 */
    assert_close(sm_drum_mod_rate_value(SM_DRUM_MOD_NOISE, 0.6), 200, 1e-9);
    assert_close(sm_drum_mod_rate_value(SM_DRUM_MOD_SINE, 0.8), 200, 1e-9);
    assert_close(sm_drum_mod_rate_value(SM_DRUM_MOD_DECAY, 0.5), 1000, 1e-9);
    assert_close(sm_drum_mod_rate_from_value(SM_DRUM_MOD_NOISE, 200), 0.6, 1e-12);
    assert_close(sm_drum_mod_rate_from_value(SM_DRUM_MOD_SINE, 200), 0.8, 1e-12);
    /* a rate as a preset file writes it ("12662.48 Hz") survives the round trip */
    assert_close(sm_drum_mod_rate_value(SM_DRUM_MOD_NOISE,
                                        sm_drum_mod_rate_from_value(SM_DRUM_MOD_NOISE, 12662.48)),
                 12662.48, 1e-8);

    /* Decay mode, +24 semitones: starts high and falls to the base pitch */
    plain_patch(p);
    p[SM_DRUM_OSC_FREQ_HZ] = 200;
    p[SM_DRUM_MOD_MODE] = SM_DRUM_MOD_DECAY;
    p[SM_DRUM_MOD_AMT_ST] = 24;
    p[SM_DRUM_MOD_RATE] = sm_drum_mod_rate_from_value(SM_DRUM_MOD_DECAY, 400);
    y = render(p, n, 127, 1);
    early = zc_hz(y, 0, 441);
    late = zc_hz(y, 33075, 44100);
    assert_true(early > 2.5 * late);
    assert_close(late, 200, 4);
    free(y);
    /* a negative amount bends upwards: starts low */
    p[SM_DRUM_MOD_AMT_ST] = -24;
    y = render(p, n, 127, 1);
    early = zc_hz(y, 0, 2205);
    late = zc_hz(y, 33075, 44100);
    assert_true(early < 0.6 * late);
    assert_close(late, 200, 4);
    free(y);
    /* mod velocity 200 % at velocity 40: no modulation at all */
    p[SM_DRUM_MOD_VEL_PCT] = 200;
    {
        float *z;
        y = render(p, n, 40, 1);
        p[SM_DRUM_MOD_AMT_ST] = 0;
        z = render(p, n, 40, 1);
        assert_memory_equal(y, z, n * sizeof *y);
        free(z);
    }
    free(y);
    /* Sine mode at rate 0: stuck at base + amount (12 semitones: 400 Hz) */
    plain_patch(p);
    p[SM_DRUM_OSC_FREQ_HZ] = 200;
    p[SM_DRUM_MOD_MODE] = SM_DRUM_MOD_SINE;
    p[SM_DRUM_MOD_AMT_ST] = 12;
    p[SM_DRUM_MOD_RATE] = 0;
    y = render(p, 65536, 127, 1);
    assert_close(peak_hz(y, 65536), 400, 2);
    free(y);
    /* Noise mode at rate 0: one random pitch per hit within +-amount, set by the seed */
    p[SM_DRUM_MOD_MODE] = SM_DRUM_MOD_NOISE;
    {
        double f1, f2;
        y = render(p, 65536, 127, 1);
        f1 = peak_hz(y, 65536);
        free(y);
        y = render(p, 65536, 127, 2);
        f2 = peak_hz(y, 65536);
        free(y);
        assert_true(f1 >= 99 && f1 <= 401 && f2 >= 99 && f2 <= 401);
        assert_true(fabs(f1 - f2) > 0.5);
    }
}

static void test_waveforms_and_distortion(void **state)
{
    double p[SM_DRUM_NPARAMS], *pw;
    size_t n = 32768, k0;
    float *y;
    int w;
    (void)state;
    /* triangle: odd harmonics only; saw: all harmonics. 1 kHz fundamental. */
    for (w = SM_DRUM_WAVE_TRIANGLE; w <= SM_DRUM_WAVE_SAW; w++) {
        plain_patch(p);
        p[SM_DRUM_OSC_WAVE] = w;
        p[SM_DRUM_OSC_FREQ_HZ] = 1000;
        p[SM_DRUM_LEVEL_DB] = -12;
        y = render(p, n, 127, 1);
        assert_close(peak_hz(y, n), 1000, 5);
        pw = power_spectrum(y, n);
        k0 = (size_t)(1000.0 * (double)n / SR + 0.5);
        if (w == SM_DRUM_WAVE_TRIANGLE) {
            assert_true(band(pw, n, 2950, 3050) > 1000 * band(pw, n, 1950, 2050));
        } else {
            assert_true(band(pw, n, 1950, 2050) > 0.1 * band(pw, n, 950, 1050));
            assert_true(pw[k0] > band(pw, n, 950, 1050));
        }
        free(pw);
        free(y);
    }
    /* distortion adds harmonics to a sine; at 0 it is exactly linear */
    plain_patch(p);
    p[SM_DRUM_OSC_FREQ_HZ] = 1000;
    p[SM_DRUM_LEVEL_DB] = -12;
    p[SM_DRUM_DIST_AMT] = 40;
    y = render(p, n, 127, 1);
    pw = power_spectrum(y, n);
    assert_true(band(pw, n, 2950, 3050) > 1e-3 * band(pw, n, 950, 1050)); /* odd */
    assert_true(band(pw, n, 1950, 2050) > 1e-5 * band(pw, n, 950, 1050)); /* even */
    free(pw);
    free(y);
}

static void test_determinism(void **state)
{
    double p[SM_DRUM_NPARAMS];
    size_t n = 22050, i, differ = 0;
    float *a, *b, *c;
    (void)state;
    sm_params_defaults(drum->space, p);
    p[SM_DRUM_MOD_MODE] = SM_DRUM_MOD_NOISE;
    p[SM_DRUM_MOD_AMT_ST] = 5;
    p[SM_DRUM_MOD_RATE] = 0.7;
    p[SM_DRUM_NENV_MODE] = SM_DRUM_NENV_MOD;
    p[SM_DRUM_NENV_ATK_MS] = 40;
    a = render(p, n, 100, 42);
    b = render(p, n, 100, 42);
    c = render(p, n, 100, 43);
    assert_memory_equal(a, b, n * sizeof *a);
    for (i = 0; i < n; i++) differ += a[i] != c[i];
    assert_true(differ > n / 2);
    free(a);
    free(b);
    free(c);
}

static void test_random_points(void **state)
{
    const size_t n = 11025; /* 0.25 s */
    double x[SM_DRUM_NPARAMS], p[SM_DRUM_NPARAMS];
    float *y = malloc(n * sizeof *y);
    sm_error err = {0};
    void *st = drum->alloc(SR, &err);
    sm_rng r;
    size_t k, i, j, silent = 0;
    (void)state;
    sm_rng_init(&r, 2024, 0);
    for (k = 0; k < 200; k++) {
        sm_note note = note_of(0.25, k);
        double peak = 0;
        note.velocity = 1 + 126 * sm_rng_uniform(&r);
        for (j = 0; j < SM_DRUM_NPARAMS; j++) x[j] = sm_rng_uniform(&r);
        sm_params_decode(drum->space, x, p);
        assert_int_equal(drum->render(st, p, &note, y, n), 0);
        for (i = 0; i < n; i++) {
            if (!isfinite(y[i])) fail_msg("point %zu: sample %zu is not finite", k, i);
            if (fabs(y[i]) > peak) peak = fabs(y[i]);
        }
        if (peak > 1) fail_msg("point %zu peaks at %g", k, peak);
        silent += peak == 0;
    }
    assert_true(silent < 60);
    /* NaN and out-of-range values are clamped (NaN gives the default) */
    for (j = 0; j < SM_DRUM_NPARAMS; j++) p[j] = (j % 2) ? NAN : 1e30;
    {
        sm_note note = note_of(0.25, 1);
        note.velocity = NAN;
        assert_int_equal(drum->render(st, p, &note, y, n), 0);
        for (i = 0; i < n; i++) assert_true(isfinite(y[i]) && fabs(y[i]) <= 1);
        /* zero samples and odd lengths */
        assert_int_equal(drum->render(st, p, &note, y, 0), 0);
        assert_int_equal(drum->render(st, p, &note, y, 65), 0);
    }
    drum->free(st);
    drum->free(NULL);
    /* at a low rate a decay shorter than one block still sounds */
    {
        void *lo = drum->alloc(1000, &err);
        sm_note note = note_of(0.1, 1);
        plain_patch(p);
        p[SM_DRUM_OSC_FREQ_HZ] = 100;
        p[SM_DRUM_OSC_DCY_MS] = 10;
        assert_non_null(lo);
        assert_int_equal(drum->render(lo, p, &note, y, 100), 0);
        assert_true(peak_of(y, 10) > 0.1);
        assert_close(peak_of(y + 20, 80), 0, 1e-5);
        drum->free(lo);
    }
    free(y);
    /* a bad sample rate fails with a sentence */
    assert_null(drum->alloc(10, &err));
    assert_int_equal(err.code, SM_ERR_RANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_space),
        cmocka_unit_test(test_sine_frequency),
        cmocka_unit_test(test_decay_times),
        cmocka_unit_test(test_noise_filters),
        cmocka_unit_test(test_equal_power_mix),
        cmocka_unit_test(test_velocity),
        cmocka_unit_test(test_pitch_modulation),
        cmocka_unit_test(test_waveforms_and_distortion),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_random_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
