/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_cli_design.c: `soundmatch describe`, `design` and `morph` as a user meets them:
 * tables, CSV and JSON, the files each writes, exit codes (0, 1 bad input, 2 bad usage) and
 * the messages for an unknown descriptor, a value outside its range, an edit without a value
 * to change, a silent file and a missing one. Searches here use tiny indexes and budgets. */
#include "tests/test_cli_util.h"
#include "core/audio.h"
#include "core/fileio.h"

#include <sys/wait.h>

#pragma GCC diagnostic ignored "-Wformat-truncation"

static sm_test_cli cli;

static int setup(void **state)
{
    (void)state;
    if (sm_test_cli_setup(&cli) != 0) return -1;
    /* the index cache goes to the test's folder, never the user's */
    setenv("XDG_CACHE_HOME", cli.dir, 1);
    return 0;
}

/* Runs soundmatch with args in the work folder; *out and *err_text (free()) receive what it
 * printed. Returns its exit code. */
static int sm(const char *args, char **out, char **err_text)
{
    int rc = sm_test_cli_sh(&cli, NULL, args, 1);
    *out = sm_test_slurp(cli.out);
    *err_text = sm_test_slurp(cli.err);
    return rc;
}

/* Runs and checks the exit code and, if given, a piece of stdout and of stderr. */
static void expect(const char *args, int code, const char *in_out, const char *in_err)
{
    char *o, *e;
    int rc = sm(args, &o, &e);
    if (rc != code || (in_out && !strstr(o, in_out)) || (in_err && !strstr(e, in_err)))
        fail_msg("soundmatch %s: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwanted '%s' / '%s'",
                 args, rc, code, o, e, in_out ? in_out : "", in_err ? in_err : "");
    free(o);
    free(e);
}

static int present(const char *rel)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", cli.dir, rel);
    return access(p, F_OK) == 0;
}

/* A decaying sine of f Hz (amplitude 0 gives silence) as name in the work folder. */
static void hit_wav(const char *name, double f, double amp, double secs)
{
    const double sr = 44100;
    const size_t n = (size_t)(secs * sr);
    float *x = malloc(n * sizeof *x);
    char p[8192];
    size_t i;
    assert_non_null(x);
    for (i = 0; i < n; i++)
        x[i] = (float)(amp * exp(-(double)i / (0.15 * sr)) * sin(2 * M_PI * f * (double)i / sr));
    snprintf(p, sizeof p, "%s/%s", cli.dir, name);
    assert_int_equal(sm_audio_write_wav(p, x, n, sr, SM_WAV_PCM16, NULL), 0);
    free(x);
}

static void test_describe(void **state)
{
    (void)state;
    hit_wav("a220.wav", 220, 0.8, 1.0);
    hit_wav("silent.wav", 220, 0.0, 0.5);
    expect("describe a220.wav", 0, "220.0", NULL);
    expect("describe a220.wav", 0, "brightness", NULL);
    expect("describe --csv a220.wav", 0, "file,loudness_dbfs,percussivity,brightness_hz", NULL);
    expect("describe --json a220.wav", 0, "\"pitch\": 220.0", NULL);
    expect("describe --trajectory a220.wav", 0, "\"a220.wav\",0.0116,", NULL);
    expect("describe --against a220.wav a220.wav", 0, "0.000", NULL);
    /* bad input: the other files are still printed */
    expect("describe silent.wav a220.wav", 1, "220.0", "silent.wav is silent");
    expect("describe missing.wav", 1, NULL, "missing.wav");
    /* bad usage */
    expect("describe", 2, NULL, "no file given");
    expect("describe --csv --json a220.wav", 2, NULL, "exclude each other");
    expect("describe --scales banjo a220.wav", 2, NULL, "--scales 'banjo'");
}

static void test_design_errors(void **state)
{
    (void)state;
    hit_wav("a220.wav", 220, 0.8, 1.0);
    hit_wav("silent.wav", 220, 0.0, 0.5);
    expect("design --synth drum -o out", 2, NULL, "nothing asked for");
    expect("design --brightness 2000 -o out", 2, NULL, "no synth given");
    expect("design --synth kazoo --brightness 2000 -o out", 2, NULL, "unknown synth 'kazoo'");
    expect("design --synth drum --brightness 2000", 2, NULL, "-o DIR");
    expect("design --synth drum --warmth 3 -o out", 2, NULL, "unknown option");
    expect("design --synth drum --brightness 30000 -o out", 1, NULL,
           "brightness: 30000 Hz is outside its range");
    expect("design --synth drum --loudness 6 -o out", 1, NULL, "outside its range");
    expect("design --synth drum --pitch 10 -o out", 1, NULL, "pitch: 10 Hz is outside");
    expect("design --synth drum --noisiness lots -o out", 1, NULL, "is not a number");
    expect("design --synth drum --brightness +20% -o out", 1, NULL, "needs a value to change");
    expect("design --synth drum --like silent.wav -o out", 1, NULL, "silent.wav is silent");
    expect("design --synth drum --like nothere.wav -o out", 1, NULL, "nothere.wav");
    expect("design --synth drum --like a220.wav --brightness +3st -o out", 1, NULL,
           "an edit is a percentage");
    expect("design --synth drum --budget 0 --brightness 900 -o out", 2, NULL, "--budget");
    assert_false(present("out"));
}

static void test_design_writes(void **state)
{
    char *o, *e;
    (void)state;
    hit_wav("a220.wav", 220, 0.8, 1.0);
    /* values alone */
    expect("design --synth drum --loudness -20 --brightness 1500 --random 60 --budget 150 "
           "--no-cache -o d1", 0, "brightness", NULL);
    assert_true(present("d1/design.mtpreset"));
    assert_true(present("d1/design.wav"));
    assert_true(present("d1/descriptors.csv"));
    expect("describe d1/design.wav", 0, "design.wav", NULL);
    expect("info d1/design.mtpreset", 0, NULL, NULL);
    /* like a recording, brighter; the table shows the edit asked for */
    expect("design --synth drum --like a220.wav --brightness +50% --random 60 --budget 150 "
           "-o d2", 0, "brightness", NULL);
    assert_int_equal(sm("describe --csv d2/design.wav", &o, &e), 0);
    free(o);
    free(e);
    /* a second design reads the cached index (XDG_CACHE_HOME is the test's folder) */
    expect("design --synth drum --like a220.wav --random 60 --budget 100 -o d3", 0, NULL,
           "(cached)");
    /* the neuron has no patch format of its own: name = value lines */
    expect("design --synth neuron --brightness 1000 --random 20 --budget 40 --no-cache -o d4",
           0, NULL, NULL);
    assert_true(present("d4/design.params"));
    {
        char p[8192];
        unsigned char *d;
        size_t n;
        snprintf(p, sizeof p, "%s/d4/design.params", cli.dir);
        assert_int_equal(sm_read_file(p, 0, &d, &n, NULL), 0);
        assert_non_null(strstr((char *)d, "n_neurons = "));
        free(d);
    }
}

static void test_morph(void **state)
{
    (void)state;
    hit_wav("a110.wav", 110, 0.8, 0.6);
    hit_wav("a440.wav", 440, 0.5, 0.6);
    hit_wav("silent.wav", 220, 0.0, 0.5);
    expect("morph a110.wav --synth drum -o m", 2, NULL, "give two sounds");
    expect("morph a110.wav a440.wav --synth drum --by sideways -o m", 2, NULL, "--by 'sideways'");
    expect("morph a110.wav a440.wav --synth drum --steps 1 -o m", 2, NULL, "--steps");
    expect("morph a110.wav a440.wav --synth drum --brightness 100 -o m", 2, NULL,
           "is for design");
    expect("morph silent.wav a440.wav --synth drum -o m", 1, NULL, "silent.wav is silent");
    expect("morph a110.wav a440.wav --synth drum --steps 3 --budget 80 --random 60 --no-cache "
           "-o m", 0, "descriptors", NULL);
    assert_true(present("m/index.html"));
    assert_true(present("m/morph.csv"));
    assert_true(present("m/descriptors/step_3.wav"));
    assert_true(present("m/descriptors/step_1.mtpreset"));
    assert_true(present("m/parameters/step_2.mtpreset"));
    expect("morph a110.wav a440.wav --synth drum --steps 2 --by parameters --budget 60 "
           "--random 60 --no-cache -o m2", 0, "parameters", NULL);
    assert_false(present("m2/descriptors"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_design_errors),
        cmocka_unit_test(test_design_writes),
        cmocka_unit_test(test_morph),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
