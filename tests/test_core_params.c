/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_core_params.c: parameter coding round trips, checks, parsing, frozen views and
 * parameter files. */
#include "tests/test_util.h"
#include "core/params.h"
#include "core/params_file.h"

#include <dirent.h>

static const char *const waves[] = {"sine", "triangle", "saw"};
static const sm_param P[] = {
    {"freq", "Hz", SM_PARAM_REAL, 20, 20000, 440, 1, NULL},
    {"gain", "dB", SM_PARAM_REAL, -60, 6, 0, 0, NULL},
    {"coarse", "", SM_PARAM_INT, 0, 31, 1, 0, NULL},
    {"wave", "", SM_PARAM_ENUM, 0, 2, 0, 0, waves},
    {"op1_level", "", SM_PARAM_INT, 0, 99, 99, 0, NULL},
    {"op2_level", "", SM_PARAM_INT, 0, 99, 0, 0, NULL},
};
static const sm_param_space S = {6, P};

static void test_decode_known_values(void **state)
{
    (void)state;
    assert_close(sm_param_decode1(&P[0], 0), 20, 1e-9);
    assert_close(sm_param_decode1(&P[0], 1), 20000, 1e-6);
    assert_close(sm_param_decode1(&P[0], 0.5), sqrt(20.0 * 20000.0), 1e-6); /* geometric mean */
    assert_close(sm_param_decode1(&P[1], 0.5), -27, 1e-12);
    assert_close(sm_param_decode1(&P[2], 0), 0, 0);
    assert_close(sm_param_decode1(&P[2], 1), 31, 0);
    assert_close(sm_param_decode1(&P[2], 0.999999), 31, 0);
    assert_close(sm_param_decode1(&P[3], 0.34), 1, 0);   /* three equal bins */
    assert_close(sm_param_decode1(&P[0], NAN), 440, 0);  /* NaN gives the default */
    assert_close(sm_param_decode1(&P[1], -3), -60, 0);   /* clamped */
}

static void test_round_trip_every_discrete_value(void **state)
{
    int v;
    (void)state;
    for (v = 0; v <= 31; v++) assert_close(sm_param_decode1(&P[2], sm_param_encode1(&P[2], v)), v, 0);
    for (v = 0; v <= 99; v++) assert_close(sm_param_decode1(&P[4], sm_param_encode1(&P[4], v)), v, 0);
    for (v = 0; v <= 2; v++) assert_close(sm_param_decode1(&P[3], sm_param_encode1(&P[3], v)), v, 0);
}

static void test_round_trip_reals(void **state)
{
    double native[6] = {1234.5, -12.25, 7, 2, 50, 3}, x[6], back[6];
    int i;
    (void)state;
    sm_params_encode(&S, native, x);
    for (i = 0; i < 6; i++) assert_true(x[i] >= 0 && x[i] <= 1);
    sm_params_decode(&S, x, back);
    for (i = 0; i < 6; i++) assert_close(back[i], native[i], 1e-9 * fabs(native[i]) + 1e-12);
}

static void test_check_clamp_parse(void **state)
{
    double v[6];
    sm_error err = {0};
    double out;
    (void)state;
    sm_params_defaults(&S, v);
    assert_int_equal(sm_params_check(&S, v, &err), 0);
    v[1] = NAN;
    assert_int_equal(sm_params_check(&S, v, &err), SM_ERR_NONFINITE);
    assert_non_null(strstr(err.msg, "gain"));
    v[1] = 0;
    v[2] = 2.5;
    assert_int_equal(sm_params_check(&S, v, &err), SM_ERR_RANGE);
    v[2] = 40;
    assert_int_equal(sm_params_check(&S, v, &err), SM_ERR_RANGE);
    assert_non_null(strstr(err.msg, "coarse"));
    v[1] = NAN;
    assert_int_equal(sm_params_clamp(&S, v), 2);
    assert_close(v[1], 0, 0);
    assert_close(v[2], 31, 0);
    assert_int_equal(sm_param_parse(&P[3], "SAW", &out, &err), 0);
    assert_close(out, 2, 0);
    assert_int_equal(sm_param_parse(&P[3], "square", &out, &err), SM_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "sine, triangle, saw"));
    assert_int_equal(sm_param_parse(&P[0], "880", &out, &err), 0);
    assert_close(out, 880, 0);
    assert_int_equal(sm_param_parse(&P[0], "5", &out, &err), SM_ERR_RANGE);
    assert_int_equal(sm_param_parse(&P[0], "nan", &out, &err), SM_ERR_NONFINITE);
    assert_int_equal(sm_params_find(&S, "wave"), 3);
    assert_int_equal(sm_params_find(&S, "nope"), -1);
}

static void test_view_freeze_and_expand(void **state)
{
    sm_param_view *v = sm_param_view_alloc(&S);
    sm_error err = {0};
    double x[6], full[6], back[6];
    (void)state;
    assert_non_null(v);
    assert_int_equal(v->space.n, 6);
    /* freeze everything, then free only the operator levels */
    assert_int_equal(sm_param_view_freeze(v, "*", NAN, &err), 6);
    assert_int_equal(v->space.n, 0);
    assert_int_equal(sm_param_view_thaw(v, "op[12]_*"), 2);
    assert_int_equal(v->space.n, 2);
    assert_string_equal(v->space.p[0].name, "op1_level");
    assert_int_equal(sm_param_view_freeze(v, "wave", 2, &err), 1);
    assert_int_equal(sm_param_view_freeze(v, "coarse", 99, &err), SM_ERR_RANGE);
    x[0] = sm_param_encode1(&P[4], 10);
    x[1] = sm_param_encode1(&P[5], 20);
    sm_param_view_expand(v, x, full);
    assert_close(full[0], 440, 0);
    assert_close(full[3], 2, 0);
    assert_close(full[4], 10, 0);
    assert_close(full[5], 20, 0);
    sm_param_view_project(v, full, back);
    assert_close(back[0], x[0], 1e-12);
    assert_close(back[1], x[1], 1e-12);
    sm_param_view_free(v);
    sm_param_view_free(NULL);
}

/* Structural: every ENUM, and INT or REAL parameters only when flagged. Positional
 * initialisers that stop at labels leave the flag 0; a view keeps it. */
static void test_structural(void **state)
{
    static const sm_param algo = {"algorithm", "", SM_PARAM_INT, 1, 32, 1, 0, NULL, 1};
    static const sm_param flagged_real = {"sync", "", SM_PARAM_REAL, 0, 1, 0, 0, NULL, 1};
    const sm_param_space two = {2, (const sm_param[]){P[3], algo}};
    sm_param_view *v;
    sm_error err = {0};
    (void)state;
    assert_int_equal(P[0].structural, 0);
    assert_int_equal(sm_param_is_structural(&P[0]), 0); /* REAL */
    assert_int_equal(sm_param_is_structural(&P[2]), 0); /* INT, not flagged */
    assert_int_equal(sm_param_is_structural(&P[3]), 1); /* ENUM */
    assert_int_equal(sm_param_is_structural(&algo), 1);
    assert_int_equal(sm_param_is_structural(&flagged_real), 1);
    v = sm_param_view_alloc(&two);
    assert_non_null(v);
    assert_int_equal(sm_param_view_freeze(v, "wave", NAN, &err), 1);
    assert_int_equal(v->space.n, 1);
    assert_string_equal(v->space.p[0].name, "algorithm");
    assert_int_equal(sm_param_is_structural(&v->space.p[0]), 1);
    sm_param_view_free(v);
}

/* A file of the given text in dir; returns its static path. */
static const char *write_text(const char *dir, const char *file, const char *text)
{
    static char path[4200];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Entries of dir other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

/* Every value comes back bit for bit (reals through %.17g, the enum through its label), with
 * the name; a file holding only some parameters leaves the others at their defaults. */
static void test_params_file_round_trip(void **state)
{
    const char *dir = sm_test_tmpdir();
    const double v[6] = {300 + 0.1 + 0.2, -59.999999999999993, 31, 2, 7, 98};
    double got[6], part[6];
    char path[4200], name[64];
    FILE *f;
    char line[256];
    int saw_label = 0;
    sm_error err = {0, ""};
    (void)state;
    snprintf(path, sizeof path, "%s/p.params", dir);
    assert_int_equal(sm_params_file_save("toy", &S, path, v, "my;patch", &err), 0);
    assert_int_equal(sm_params_file_load("toy", &S, path, got, name, sizeof name, &err), 0);
    assert_memory_equal(v, got, sizeof v);
    assert_string_equal(name, "my_patch"); /* ';' would start an INI comment */
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        if (strcmp(line, "wave = saw\n") == 0) saw_label = 1;
    fclose(f);
    assert_true(saw_label);
    /* "FILE:1" is the same file */
    snprintf(path, sizeof path, "%s/p.params:1", dir);
    assert_int_equal(sm_params_file_load("toy", &S, path, got, NULL, 0, &err), 0);
    assert_memory_equal(v, got, sizeof v);
    /* a hand-written file that changes two parameters */
    assert_int_equal(sm_params_file_load("toy", &S,
                                         write_text(dir, "h.params", "[patch]\nsynth = toy\n"
                                                    "[params]\nwave = triangle\ngain=-3.5\n"),
                                         part, name, sizeof name, &err),
                     0);
    if (err.code) fail_msg("%s", sm_error_text(&err));
    assert_string_equal(name, "");
    assert_true(part[0] == 440 && part[1] == -3.5 && part[2] == 1 && part[3] == 1 &&
                part[4] == 99 && part[5] == 0);
    /* p.params and h.params, and nothing temporary left behind */
    assert_int_equal(count_entries(dir), 2);
}

/* Each malformed file fails with its code and a message naming the file (and the line);
 * native is untouched; a patch holding a NaN is not written at all. */
static void test_params_file_errors(void **state)
{
    static const struct {
        const char *text, *needle;
        int code;
    } bad[] = {
        {"", "holds no [section]", SM_ERR_CONFIG},
        {"\x01\x02 not ini\n", ":1:", SM_ERR_CONFIG},
        {"[patch]\nsynth = drum\n[params]\n", ":2: a patch of 'drum', not of toy", SM_ERR_CONFIG},
        {"[params]\nfreq = 100\n", "[patch] needs 'synth = toy'", SM_ERR_CONFIG},
        {"[patch]\nsynth = toy\n[params]\nfreqq = 100\n", ":4: toy has no parameter 'freqq'",
         SM_ERR_CONFIG},
        {"[patch]\nsynth = toy\ncolour = red\n", ":3: 'colour' is not a setting of [patch]",
         SM_ERR_CONFIG},
        {"[patch]\nsynth = toy\n[voice]\n", ":3: unknown section [voice]", SM_ERR_CONFIG},
        {"[patch]\nsynth = toy\n[params]\nfreq = nan\n", ":4: freq: 'nan' is not finite",
         SM_ERR_NONFINITE},
        {"[patch]\nsynth = toy\n[params]\nfreq = 10\n", ":4: freq: 10 is outside 20..20000",
         SM_ERR_RANGE},
        {"[patch]\nsynth = toy\n[params]\ncoarse = 1.5\n", "must be a whole number",
         SM_ERR_RANGE},
        {"[patch]\nsynth = toy\n[params]\nwave = square\n", "not one of sine, triangle, saw",
         SM_ERR_FORMAT},
    };
    const char *dir = sm_test_tmpdir();
    double v[6], keep[6];
    char path[4200];
    size_t i;
    sm_error err = {0, ""};
    (void)state;
    sm_params_defaults(&S, keep);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *f = write_text(dir, "bad.params", bad[i].text);
        memcpy(v, keep, sizeof v);
        err.code = 0;
        assert_int_equal(sm_params_file_load("toy", &S, f, v, NULL, 0, &err), bad[i].code);
        assert_non_null(strstr(sm_error_text(&err), "bad.params"));
        if (!strstr(sm_error_text(&err), bad[i].needle)) fail_msg("%s", sm_error_text(&err));
        assert_memory_equal(v, keep, sizeof v);
    }
    snprintf(path, sizeof path, "%s/bad.params:2", dir);
    assert_int_equal(sm_params_file_load("toy", &S, path, v, NULL, 0, &err), SM_ERR_NOTFOUND);
    snprintf(path, sizeof path, "%s/absent.params", dir);
    assert_int_equal(sm_params_file_load("toy", &S, path, v, NULL, 0, &err), SM_ERR_IO);
    assert_non_null(strstr(sm_error_text(&err), "absent.params"));
    v[1] = NAN;
    snprintf(path, sizeof path, "%s/nan.params", dir);
    assert_int_equal(sm_params_file_save("toy", &S, path, v, "x", &err), SM_ERR_ARG);
    assert_non_null(strstr(sm_error_text(&err), "gain is not finite"));
    assert_int_equal(count_entries(dir), 1); /* bad.params only */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_known_values),
        cmocka_unit_test(test_round_trip_every_discrete_value),
        cmocka_unit_test(test_round_trip_reals),
        cmocka_unit_test(test_check_clamp_parse),
        cmocka_unit_test(test_view_freeze_and_expand),
        cmocka_unit_test(test_structural),
        cmocka_unit_test(test_params_file_round_trip),
        cmocka_unit_test(test_params_file_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
