/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_cli_report.c: `soundmatch report` as a user meets it (help, exit codes 0/1/2,
 * messages naming the folder, no partial output), the merge of two halves of an experiment
 * into the report of the whole, and the page of `soundmatch match`. */
#include "tests/test_cli_util.h"
#include "core/audio.h"
#include "core/fileio.h"

#include <sys/wait.h>

/* Command lines and paths here are short temporary-folder paths; truncation cannot happen. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static sm_test_cli cli;

/* Runs "soundmatch ARGS" (or, with prog_too 0, a shell line) in the test folder, capturing
 * stdout and stderr; returns the exit code. */
static int sh(const char *line, int prog_too)
{
    return sm_test_cli_sh(&cli, NULL, line, prog_too);
}

static int run(const char *args)
{
    return sh(args, 1);
}

static char *slurp_in(const char *name)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", cli.dir, name);
    return sm_test_slurp(p);
}

static void expect_in(const char *file, const char *needle, int present)
{
    char *s = slurp_in(file);
    if ((strstr(s, needle) != NULL) != present) print_error("%s %s '%s'\n", file,
                                                   present ? "lacks" : "holds", needle);
    assert_int_equal(strstr(s, needle) != NULL, present);
    free(s);
}

static int exists(const char *name)
{
    char p[8192];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", cli.dir, name);
    return stat(p, &st) == 0;
}

static int setup(void **state)
{
    (void)state;
    return sm_test_cli_setup(&cli);
}

static void test_usage(void **state)
{
    (void)state;
    assert_int_equal(run("report --help"), 0);
    expect_in(".stdout", "usage: soundmatch report RUN_DIR...", 1);
    assert_int_equal(run("report"), 2);
    expect_in(".stderr", "no run folder given", 1);
    assert_int_equal(run("report a b"), 2);
    expect_in(".stderr", "-o", 1);
    assert_int_equal(run("report --bogus a"), 2);
    expect_in(".stderr", "--bogus", 1);
    assert_int_equal(run("report -o"), 2);
    /* a folder that is not there, or holds no results: 1, naming it, and nothing left */
    assert_int_equal(run("report nothere"), 1);
    expect_in(".stderr", "nothere", 1);
    assert_false(exists("nothere"));
    assert_int_equal(sh("mkdir empty", 0), 0);
    assert_int_equal(run("report empty -o fresh_out"), 1);
    expect_in(".stderr", "empty has no results.csv", 1);
    assert_false(exists("fresh_out"));
    assert_false(exists("empty/index.html"));
}

static const char HALVES_INI[] =
    "[experiment]\nname = halves\n"
    "[target]\nsynthetic = 6\nsynthetic_seed = 5\n"
    "[synth]\nname = fm6\nnote = 50\nlength_s = 0.25\ngate_s = 0.2\n"
    "free = op2_output_level, op2_coarse\nfreeze = algorithm=1\n"
    "[cost]\nmfcc = 1\n[optimizer random]\n[optimizer hill]\n"
    "[run]\nbudget = 24\nseeds = 1,2\nthreads = 1\n";

/* Keeps seed `keep` of run folder `d` (a hard-linked copy of the whole): its results.csv rows
 * and its runs. */
static void keep_seed(const char *d, int keep)
{
    char line[4096];
    snprintf(line, sizeof line,
             "rm -r %s/runs/*/*/seed%d && awk -F, 'NR == 1 || $3 == %d' %s/results.csv > "
             "%s/r.tmp && rm %s/results.csv && mv %s/r.tmp %s/results.csv",
             d, 3 - keep, keep, d, d, d, d, d);
    assert_int_equal(sh(line, 0), 0);
}

static void test_merge_halves(void **state)
{
    FILE *f;
    char p[8192];
    (void)state;
    snprintf(p, sizeof p, "%s/halves.ini", cli.dir);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(HALVES_INI, f);
    fclose(f);
    assert_int_equal(run("run halves.ini -o whole -q"), 0);
    assert_true(exists("whole/results.json"));
    assert_true(exists("whole/media/t000-target.wav"));
    /* written again in place: the same page, metadata aside */
    assert_int_equal(sh("sed '/<!-- sm:meta -->/,/<!-- \\/sm:meta -->/d' whole/index.html > "
                        "page0", 0), 0);
    assert_int_equal(run("report whole -q"), 0);
    assert_int_equal(sh("sed '/<!-- sm:meta -->/,/<!-- \\/sm:meta -->/d' whole/index.html > "
                        "page1 && cmp page0 page1", 0), 0);
    /* two halves by seed, merged: the page of the whole, the same media and results.csv */
    assert_int_equal(sh("cp -al whole h1 && cp -al whole h2", 0), 0);
    keep_seed("h1", 1);
    keep_seed("h2", 2);
    assert_int_equal(run("report h2 h1 -o merged"), 0);
    expect_in(".stderr", "wrote merged/index.html (2 run folders)", 1);
    assert_int_equal(sh("sed '/<!-- sm:meta -->/,/<!-- \\/sm:meta -->/d' merged/index.html > "
                        "page2 && cmp page0 page2 && diff -r whole/media merged/media && "
                        "cmp whole/results.csv merged/results.csv", 0), 0);
    expect_in("merged/index.html", "<code>h1</code>", 1); /* both halves in the metadata */
    expect_in("merged/index.html", "<code>h2</code>", 1);
    /* a run in two folders; different experiments (unless --force); output among inputs */
    assert_int_equal(run("report h1 whole -o m2"), 1);
    expect_in(".stderr", "is in both h1 and whole", 1);
    assert_false(exists("m2"));
    assert_int_equal(sh("rm h2/fingerprint.txt && echo 0123456789abcdef > h2/fingerprint.txt",
                        0), 0);
    assert_int_equal(run("report h1 h2 -o m3"), 1);
    expect_in(".stderr", "h2 (experiment fnv1a64:0123456789abcdef)", 1);
    expect_in(".stderr", "--force", 1);
    assert_int_equal(run("report h1 h2 -o m3 --force -q"), 0);
    assert_true(exists("m3/index.html"));
    assert_int_equal(run("report h1 h2 -o h1 --force"), 1);
    expect_in(".stderr", "is one of the folders merged", 1);
}

static void test_match_page(void **state)
{
    char p[8192];
    float x[8820];
    size_t i;
    sm_error err = {0};
    (void)state;
    for (i = 0; i < 8820; i++)
        x[i] = (float)(0.5 * exp(-4.0 * (double)i / 22050) * sin(2 * M_PI * 440.0 * (double)i / 22050));
    snprintf(p, sizeof p, "%s/a440.wav", cli.dir);
    assert_int_equal(sm_audio_write_wav(p, x, 8820, 22050, SM_WAV_PCM16, &err), 0);
    assert_int_equal(run("match a440.wav --note 69 --length 0.4 --sr 22050 --free "
                         "'op1_coarse, op1_fine' --budget 40 --threads 1 --no-prior -q -o m"), 0);
    /* its own page: target and match, the patch in words, how to load it; nothing of an
     * experiment's comparison */
    expect_in("m/index.html", "<h1>Match of a440</h1>", 1);
    expect_in("m/index.html", "algorithm", 1);
    expect_in("m/index.html", "Loading it", 1);
    expect_in("m/index.html", "href=\"best-bank.syx\"", 1);
    expect_in("m/index.html", "src=\"media/t000-target.wav\"", 1);
    expect_in("m/index.html", "Friedman", 0);
    expect_in("m/index.html", "Statistics", 0);
    expect_in("m/index.html", "Experiment file", 0);
    assert_true(exists("m/media/t000-o00.syx"));
    /* the same page again from the folder */
    assert_int_equal(run("report m --match -q"), 0);
    expect_in("m/index.html", "<h1>Match of a440</h1>", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_merge_halves),
        cmocka_unit_test(test_match_page),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
