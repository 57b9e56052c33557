/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_features_analysis.c: target analysis (features/analysis.c) on signals whose
 * pitch and onset are known by construction, and on real recordings whose notes are known:
 *   - the project's own datasets/targets/: pluck_220.wav, saw_220.wav (made by sox at 220 Hz,
 *     A3 = MIDI 57), bell_440.wav (sines at 440 and 1231 Hz: its note is A4 = 69), and
 *     trumpet_c4.wav (MIDI 60), cello_g2.wav (43), flute_a5.wav (81), rendered by Debian's
 *     fluidsynth from the FluidR3 General MIDI sound font by datasets/make_gm_note.sh;
 *   - a real kick drum from ../shared/data/reference/kick_44k.wav. */
#include "tests/test_util.h"
#include "core/audio.h"
#include "features/features.h"

#define SR 44100.0

/* MIDI note of f Hz (A4 = 69 = 440 Hz, 12 notes an octave: the MIDI tuning standard). */
static double midi_of(double f)
{
    return 69.0 + 12.0 * log2(f / 440.0);
}

static void analyse_ok(const float *x, size_t n, sm_target_info *ti)
{
    sm_error err = {0, ""};
    int rc = sm_target_analyse(x, n, SR, ti, &err);
    if (rc) print_error("sm_target_analyse: %s\n", err.msg);
    assert_int_equal(rc, 0);
}

/* Pure tones: the note within 0.05 semitone, pitched with full confidence. */
static void test_pure_tones(void **state)
{
    static const double freqs[] = {55.0, 110.0, 261.63, 440.0, 1000.0, 2093.0};
    const size_t n = 44100;
    float *x = malloc(n * sizeof *x);
    sm_target_info ti;
    size_t i, j;
    (void)state;
    for (j = 0; j < sizeof freqs / sizeof *freqs; j++) {
        for (i = 0; i < n; i++) x[i] = (float)(0.5 * sin(2 * M_PI * freqs[j] * i / SR + 0.2));
        analyse_ok(x, n, &ti);
        assert_close(ti.note, midi_of(freqs[j]), 0.05);
        assert_close(ti.f0_hz, freqs[j], freqs[j] * 0.003);
        /* The last frame or two, whose YIN window runs past the end, may read unvoiced. */
        assert_true(ti.voiced_fraction > 0.95);
        assert_true(ti.confidence > 0.95);
        assert_close(ti.peak, 0.5, 1e-3);
        assert_close(ti.rms, 0.5 / sqrt(2.0), 2e-3);
    }
    free(x);
}

/* Harmonic tones (8 partials, amplitudes 1/k) with a decaying envelope, one of them with a
 * weak fundamental (a tenth of the second partial): the note of the fundamental. */
static void test_harmonic_tones(void **state)
{
    static const double freqs[] = {82.41, 196.0, 523.25, 146.83};
    const size_t n = 66150;
    float *x = malloc(n * sizeof *x);
    sm_target_info ti;
    size_t i, j;
    int k;
    (void)state;
    for (j = 0; j < sizeof freqs / sizeof *freqs; j++) {
        for (i = 0; i < n; i++) {
            double t = i / SR, v = 0.0;
            for (k = 1; k <= 8 && freqs[j] * k < SR / 2; k++)
                v += (j == 3 && k == 1 ? 0.05 : 1.0 / k) * sin(2 * M_PI * freqs[j] * k * t + k);
            x[i] = (float)(0.3 * v * exp(-1.5 * t));
        }
        analyse_ok(x, n, &ti);
        assert_close(ti.note, midi_of(freqs[j]), 0.05);
    }
    free(x);
}

/* A tone with a +/-0.3 semitone vibrato at 5 Hz around A3 is pitched at A3. */
static void test_vibrato(void **state)
{
    const size_t n = 66150;
    float *x = malloc(n * sizeof *x);
    sm_target_info ti;
    double ph = 0.0;
    size_t i;
    int k;
    (void)state;
    for (i = 0; i < n; i++) {
        double f = 220.0 * pow(2.0, 0.3 / 12.0 * sin(2 * M_PI * 5.0 * i / SR)), v = 0.0;
        ph += 2 * M_PI * f / SR;
        for (k = 1; k <= 4; k++) v += sin(k * ph) / k;
        x[i] = (float)(0.3 * v);
    }
    analyse_ok(x, n, &ti);
    assert_close(ti.note, 57.0, 0.1);
    free(x);
}

/* White noise has no pitch. */
static void test_noise_unpitched(void **state)
{
    const size_t n = 44100;
    float *x = malloc(n * sizeof *x);
    sm_target_info ti;
    uint32_t s = 12345;
    size_t i;
    (void)state;
    for (i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;   /* Numerical Recipes' LCG */
        x[i] = (float)((double)s / 4294967296.0 - 0.5);
    }
    analyse_ok(x, n, &ti);
    assert_true(isnan(ti.note));
    assert_true(isnan(ti.f0_hz));
    assert_true(ti.voiced_fraction < 0.3);
    free(x);
}

/* 0.3 s of silence, then a sound: the onset within 5 ms (220 samples) of sample 13230, for a
 * sine starting at a zero crossing, a cosine starting at its peak, a sine with a 10 ms linear
 * attack, and noise; the end where the sound stops. */
static void test_onset_and_end(void **state)
{
    const size_t n = 66150, start = 13230, stop = 57330;   /* 0.3 s and 1.3 s */
    float *x = malloc(n * sizeof *x);
    sm_target_info ti;
    uint32_t s = 99;
    size_t i;
    int kind;
    (void)state;
    for (kind = 0; kind < 4; kind++) {
        for (i = 0; i < n; i++) {
            double t = (double)(i - start) / SR, v = 0.0;
            s = s * 1664525u + 1013904223u;
            if (i >= start && i < stop) {
                switch (kind) {
                case 0: v = sin(2 * M_PI * 330.0 * t); break;
                case 1: v = cos(2 * M_PI * 330.0 * t); break;
                case 2: v = fmin(1.0, t / 0.010) * sin(2 * M_PI * 330.0 * t); break;
                default: v = 2.0 * ((double)s / 4294967296.0 - 0.5); break;
                }
            }
            x[i] = (float)(0.5 * v);
        }
        analyse_ok(x, n, &ti);
        if (ti.onset + 220 < start || ti.onset > start + 220)
            print_error("kind %d: onset %zu, expected %zu\n", kind, ti.onset, start);
        assert_true(ti.onset + 220 >= start && ti.onset <= start + 220);
        assert_true(ti.end <= stop && ti.end + 220 >= stop);
        if (kind == 0) {
            /* The sine's first sample is an exact 0: the first sound is the sample after. */
            assert_int_equal(ti.onset, start + 1);
            assert_close(ti.note, midi_of(330.0), 0.05);
        }
    }
    /* A sound that runs to the end: end is n. */
    for (i = 0; i < n; i++) x[i] = (float)(0.5 * sin(2 * M_PI * 330.0 * i / SR + 1.0));
    analyse_ok(x, n, &ti);
    assert_int_equal(ti.end, n);
    assert_int_equal(ti.onset, 0);
    free(x);
}

static void test_errors(void **state)
{
    const size_t n = 4410;
    float *x = calloc(n, sizeof *x);
    sm_target_info ti;
    sm_error err = {0, ""};
    (void)state;
    assert_int_equal(sm_target_analyse(x, n, SR, &ti, &err), SM_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "silent"));
    assert_true(isnan(ti.note));
    x[7] = NAN;
    assert_int_equal(sm_target_analyse(x, n, SR, &ti, &err), SM_ERR_NONFINITE);
    x[7] = -INFINITY;
    assert_int_equal(sm_target_analyse(x, n, SR, &ti, NULL), SM_ERR_NONFINITE);
    x[7] = 0.5f;
    assert_int_equal(sm_target_analyse(NULL, n, SR, &ti, &err), SM_ERR_ARG);
    assert_int_equal(sm_target_analyse(x, 0, SR, &ti, &err), SM_ERR_ARG);
    assert_int_equal(sm_target_analyse(x, n, SR, NULL, &err), SM_ERR_ARG);
    assert_int_equal(sm_target_analyse(x, n, 100.0, &ti, &err), SM_ERR_ARG);
    /* A single click is not silence: analysed, and unpitched. */
    assert_int_equal(sm_target_analyse(x, n, SR, &ti, &err), 0);
    assert_int_equal(ti.onset, 7);
    assert_int_equal(ti.end, 8);
    assert_true(isnan(ti.note));
    free(x);
}

/* Reads a file of the project's datasets/targets/ at 44.1 kHz and analyses it. */
static void analyse_target(const char *name, sm_target_info *ti)
{
    char path[4096];
    const char *top = getenv("SM_TOP_SRCDIR");
    sm_audio a;
    sm_error err = {0, ""};
    snprintf(path, sizeof path, "%s/datasets/targets/%s", top && *top ? top : ".", name);
    if (sm_audio_read(path, SR, &a, NULL, &err) != 0) print_error("%s\n", err.msg);
    assert_int_equal(err.code, 0);
    analyse_ok(a.data, a.n, ti);
    sm_audio_free(&a);
}

/* The project's sox-made targets (datasets/make_targets.sh): pluck_220 and saw_220 are made
 * at 220 Hz (A3, 57); bell_440 is two equal sines at 440 Hz and 1231 Hz, an inharmonic
 * sound whose note is the 440 Hz partial's, A4 (69). Plain YIN reads the bell 1.07 semitones
 * flat (413.5 Hz, a compromise lag between the two partials); the spectral peak rule of
 * analysis.c puts it on 440 Hz. */
static void test_project_targets(void **state)
{
    sm_target_info ti;
    (void)state;
    analyse_target("pluck_220.wav", &ti);
    assert_close(ti.note, 57.0, 0.2);
    analyse_target("saw_220.wav", &ti);
    assert_close(ti.note, 57.0, 0.05);
    assert_true(ti.onset <= 2);   /* the file starts with its 10 ms fade-in from 0 */
    analyse_target("bell_440.wav", &ti);
    assert_close(ti.note, 69.0, 0.05);
}

/* Real instrument samples (the FluidR3 GM sound font, rendered by fluidsynth with
 * datasets/make_gm_note.sh: trumpet program 57 note 60, cello 43 note 43, flute 74 note 81).
 * Sampled instruments are tuned by ear and their notes are made by resampling, so 0.2
 * semitone is allowed; each measures within 0.05. The files begin at the first sound. */
static void test_gm_instrument_notes(void **state)
{
    sm_target_info ti;
    (void)state;
    analyse_target("trumpet_c4.wav", &ti);
    assert_close(ti.note, 60.0, 0.2);
    assert_true(ti.onset < 441);
    analyse_target("cello_g2.wav", &ti);
    assert_close(ti.note, 43.0, 0.2);
    assert_true(ti.onset < 441);
    analyse_target("flute_a5.wav", &ti);
    assert_close(ti.note, 81.0, 0.2);
    assert_true(ti.onset < 441);
}

/* A real kick drum (hydrogen-data's GMRockKit). Its body is the drum head's lowest mode, a
 * decaying near-sine whose frequency falls from about 46 Hz to 41 Hz over 0.3 s (sox's
 * `stat -freq` over 50..350 ms puts the strongest bin at 43 Hz). So the right answer is a low
 * note near F1 (43.65 Hz, MIDI 29), with less than full confidence because of the glide and
 * the unpitched click of the beater: note within 1.5 semitones of 29 and f0 38..50 Hz. The
 * click starts in the first millisecond. */
static void test_real_kick(void **state)
{
    sm_audio a;
    sm_error err = {0, ""};
    sm_target_info ti;
    (void)state;
    SM_TEST_NEED_SHARED();
    assert_int_equal(sm_audio_read(sm_test_shared_path("reference/kick_44k.wav"), SR, &a, NULL,
                                   &err), 0);
    analyse_ok(a.data, a.n, &ti);
    assert_false(isnan(ti.note));
    assert_close(ti.note, 29.0, 1.5);
    assert_true(ti.f0_hz > 38.0 && ti.f0_hz < 50.0);
    assert_true(ti.confidence < 0.9);
    assert_true(ti.onset < 44);
    assert_true(ti.end > a.n / 2 && ti.end <= a.n);
    sm_audio_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pure_tones),
        cmocka_unit_test(test_harmonic_tones),
        cmocka_unit_test(test_vibrato),
        cmocka_unit_test(test_noise_unpitched),
        cmocka_unit_test(test_onset_and_end),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_project_targets),
        cmocka_unit_test(test_gm_instrument_notes),
        cmocka_unit_test(test_real_kick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
