/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_cli_generate.c: `soundmatch generate`, `soundmatch timbre` and the listening page
 * of `soundmatch bank`, as a user meets them: help, exit codes (0, 1 bad input, 2 bad usage),
 * banks checked by a parser of the test's own, the same seed giving the same bytes at any
 * thread count, the page beside the banks, nothing written on failure. The timbre model is
 * built from every 16th voice of voices31380.bin into a cache folder of the test's own. */
#include "tests/test_cli_util.h"
#include "tests/dx7_check.h"
#include "core/fileio.h"
#include "synths/dx7_sysex.h"

#include <sys/wait.h>

#pragma GCC diagnostic ignored "-Wformat-truncation"

static sm_test_cli cli;

/* Runs "soundmatch ARGS" in the test folder, with a cache folder and a subset of the human
 * voices of the test's own. */
static int run(const char *args)
{
    char env[9000];
    snprintf(env, sizeof env, "XDG_CACHE_HOME='%s/cache' SOUNDMATCH_PRESETS='%s/subset.bin'",
             cli.dir, cli.dir);
    return sm_test_cli_sh(&cli, env, args, 1);
}

static void expect_in(const char *path, const char *needle)
{
    char *s = sm_test_slurp(path);
    if (!strstr(s, needle)) print_error("%s lacks '%s':\n%s\n", path, needle, s);
    assert_non_null(strstr(s, needle));
    free(s);
}

static char *in_dir(const char *name)
{
    static char p[8192];
    snprintf(p, sizeof p, "%s/%s", cli.dir, name);
    return p;
}

static int exists(const char *name)
{
    struct stat st;
    return stat(in_dir(name), &st) == 0;
}

static void check_bank(const char *name, char names[32][11])
{
    sm_test_check_bank(in_dir(name), names);
}

static size_t count_in(const char *path, const char *needle)
{
    char *s = sm_test_slurp(path), *p = s;
    size_t k = 0;
    while ((p = strstr(p, needle)) != NULL) {
        k++;
        p += strlen(needle);
    }
    free(s);
    return k;
}

static void test_usage(void **state)
{
    (void)state;
    assert_int_equal(run("generate --help"), 0);
    expect_in(cli.out, "usage: soundmatch generate");
    assert_int_equal(run("timbre --help"), 0);
    expect_in(cli.out, "usage: soundmatch timbre");
    assert_int_equal(run("generate"), 2);
    expect_in(cli.err, "-o");
    assert_int_equal(run("generate -o x.syx --kind tuba"), 2);
    expect_in(cli.err, "tuba");
    assert_int_equal(run("generate -o x.syx --count 0"), 2);
    assert_int_equal(run("generate -o x.syx --algorithm 33"), 2);
    assert_int_equal(run("generate -o x.syx --fixed maybe"), 2);
    assert_int_equal(run("generate -o x.syx --seed -1"), 2);
    assert_int_equal(run("generate -o x.syx --bogus"), 2);
    assert_int_equal(run("timbre --stride 0"), 2);
    /* bad input: a voices file that is not one */
    {
        FILE *f = fopen(in_dir("junk.bin"), "wb");
        assert_non_null(f);
        fputs("not a DX7 file at all", f);
        fclose(f);
    }
    assert_int_equal(run("generate -o x.syx --presets junk.bin"), 1);
    expect_in(cli.err, "junk.bin");
    assert_int_equal(run("generate -o x.syx --presets nothere.bin"), 1);
    expect_in(cli.err, "nothere.bin");
    assert_false(exists("x.syx"));
}

static void test_generate_banks(void **state)
{
    char names[32][11], names2[32][11], *a, *b;
    size_t i, j;
    (void)state;
    SM_TEST_NEED_SHARED();
    /* 40 keys voices: two banks, a page, a listing */
    assert_int_equal(run("generate --count 40 --kind keys --seed 3 -o out/keys.syx"), 1);
    expect_in(cli.err, "out/keys.syx"); /* no folder "out" */
    assert_int_equal(mkdir(in_dir("out"), 0700), 0);
    assert_int_equal(run("generate --count 40 --kind keys --seed 3 -o out/keys.syx"), 0);
    check_bank("out/keys.syx", names);
    check_bank("out/keys-2.syx", names2);
    assert_false(exists("out/keys-3.syx"));
    for (i = 0; i < 32; i++)
        for (j = i + 1; j < 32; j++) assert_string_not_equal(names[i], names[j]);
    for (i = 8; i < 32; i++) assert_string_equal(names2[i], "INIT VOICE");
    expect_in(cli.out, "out/keys-2.syx");
    expect_in(cli.out, " keys ");
    expect_in(cli.err, "40 of ");
    assert_true(exists("out/keys.html"));
    assert_int_equal(count_in(in_dir("out/keys.html"), "<audio"), 40);
    assert_int_equal(count_in(in_dir("out/keys.html"), "data:image/png;base64,"), 40);
    /* the same seed on one thread: the same bytes */
    assert_int_equal(run("generate --count 40 --kind keys --seed 3 --threads 1 -o again.syx"), 0);
    a = sm_test_slurp(in_dir("out/keys.syx"));
    b = sm_test_slurp(in_dir("again.syx"));
    assert_memory_equal(a, b, 4104);
    free(a);
    free(b);
    a = sm_test_slurp(in_dir("out/keys-2.syx"));
    b = sm_test_slurp(in_dir("again-2.syx"));
    assert_memory_equal(a, b, 4104);
    free(a);
    free(b);
    /* one algorithm, no page */
    assert_int_equal(run("generate --count 5 --algorithm 2 --no-page -o alg2.syx"), 0);
    check_bank("alg2.syx", names);
    assert_false(exists("alg2.html"));
    {
        sm_dx7_bank bank;
        sm_error err = {0};
        assert_int_equal(sm_dx7_load(in_dir("alg2.syx"), &bank, &err), 0);
        for (i = 0; i < 5; i++) assert_int_equal(bank.voices[i].vced[SM_DX7_ALGORITHM], 1);
        sm_dx7_bank_free(&bank);
    }
    /* the model's description */
    assert_int_equal(run("timbre -o space --stride 40"), 0);
    expect_in(cli.out, "variance explained per component");
    expect_in(cli.out, "round trip");
    expect_in(cli.out, "confusion");
    assert_int_equal(count_in(in_dir("space/variance.csv"), "\n"), 194);
    assert_true(exists("space/axes.html"));
    assert_true(exists("space/flagged.csv"));
    /* one patch in the space; a patch that is not there */
    {
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "timbre --patch '%s:11'", sm_test_shared_path("dx7/rom1a.syx"));
        assert_int_equal(run(cmd), 0);
        expect_in(cli.out, "E.PIANO 1");
        expect_in(cli.out, "round trip through 193 components: parameter error 0.0000");
        assert_int_equal(run("timbre --patch nothere.syx"), 1);
        expect_in(cli.err, "nothere.syx");
    }
}

/* `bank` writes a listening page beside its banks, with the kinds once the model is cached. */
static void test_bank_page(void **state)
{
    char p[8192], names[32][11];
    int i;
    (void)state;
    SM_TEST_NEED_SHARED();
    for (i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "mkdir -p '%s/run/runs/tone%d/ga/seed1' && '%s' sysex --extract "
                 "'%s:%d' -o '%s/run/runs/tone%d/ga/seed1/best.syx' >/dev/null 2>&1", cli.dir, i, cli.prog,
                 sm_test_shared_path("dx7/rom1a.syx"), i + 1, cli.dir, i);
        assert_int_equal(system(p), 0);
    }
    {
        FILE *f = fopen(in_dir("run/results.csv"), "w");
        assert_non_null(f);
        fputs("target,optimizer,seed,final_cost\ntone0,ga,1,1.5\ntone1,ga,1,2.5\ntone2,ga,1,3\n",
              f);
        fclose(f);
    }
    assert_int_equal(run("bank run -o matched.syx"), 0);
    check_bank("matched.syx", names);
    assert_string_equal(names[0], "TONE0     ");
    assert_true(exists("matched.html"));
    expect_in(in_dir("matched.html"), "TONE2");
    expect_in(in_dir("matched.html"), "target tone1");
    assert_int_equal(count_in(in_dir("matched.html"), "<audio"), 3);
}

static int setup(void **state)
{
    const char *full = sm_test_shared() ? sm_test_shared_path("dx7/voices31380.bin") : NULL;
    (void)state;
    if (sm_test_cli_setup(&cli) != 0) return -1;
    if (full) {
        FILE *in = fopen(full, "rb"), *out = fopen(in_dir("subset.bin"), "wb");
        unsigned char v[128];
        size_t i = 0;
        if (!in || !out) return -1;
        while (fread(v, 1, sizeof v, in) == sizeof v)
            if (i++ % 16 == 0) fwrite(v, 1, sizeof v, out);
        fclose(in);
        fclose(out);
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_generate_banks),
        cmocka_unit_test(test_bank_page),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
