/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_core_ini.c: INI parsing, typed getters and messages that name file and line. */
#include "tests/test_util.h"
#include "core/ini.h"
#include "core/fileio.h"

static const char *TEXT =
    "; an experiment\n"
    "[run]\n"
    "budget = 3000\n"
    "seeds = 1,2,3\n"
    "threads = two\n"
    "\n"
    "[optimizer ga]\n"
    "popsize = 64 ; inline comment\n"
    "verbose = yes\n"
    "[empty]\n";

static void test_parse_and_get(void **state)
{
    sm_error err = {0};
    sm_ini *ini = sm_ini_parse_string(TEXT, "exp.ini", &err);
    long budget, pop;
    double d;
    int b, line;
    (void)state;
    assert_non_null(ini);
    assert_int_equal(ini->n_sections, 3);
    assert_string_equal(ini->sections[1], "optimizer ga");
    assert_true(sm_ini_has_section(ini, "empty"));
    assert_int_equal(sm_ini_get_long(ini, "run", "budget", 10, 1, 1000000, &budget, &err), 0);
    assert_int_equal(budget, 3000);
    assert_string_equal(sm_ini_get(ini, "run", "seeds", &line), "1,2,3");
    assert_int_equal(line, 4);
    assert_int_equal(sm_ini_get_long(ini, "optimizer ga", "popsize", 10, 2, 1000, &pop, &err), 0);
    assert_int_equal(pop, 64);
    assert_int_equal(sm_ini_get_bool(ini, "optimizer ga", "verbose", 0, &b, &err), 0);
    assert_int_equal(b, 1);
    assert_int_equal(sm_ini_get_double(ini, "run", "missing", 2.5, 0, 10, &d, &err), 0);
    assert_close(d, 2.5, 0);
    /* a malformed value names file, line, section and key */
    assert_int_equal(sm_ini_get_long(ini, "run", "threads", 0, 0, 64, &budget, &err), SM_ERR_CONFIG);
    assert_string_equal(err.msg, "exp.ini:5: [run] threads: 'two' is not a whole number");
    /* out of range */
    assert_int_equal(sm_ini_get_long(ini, "run", "budget", 0, 1, 100, &budget, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "exp.ini:3"));
    sm_ini_free(ini);
}

static void test_unused_and_required(void **state)
{
    sm_error err = {0};
    sm_ini *ini = sm_ini_parse_string(TEXT, "exp.ini", &err);
    const char *s;
    (void)state;
    sm_ini_get(ini, "run", "budget", NULL);
    sm_ini_get(ini, "run", "seeds", NULL);
    assert_int_equal(sm_ini_check_unused(ini, "run", &err), SM_ERR_CONFIG);
    assert_string_equal(err.msg, "exp.ini:5: [run] has no setting 'threads'");
    assert_int_equal(sm_ini_require(ini, "run", "name", &s, &err), SM_ERR_CONFIG);
    assert_string_equal(err.msg, "exp.ini: [run] needs 'name = ...'");
    sm_ini_free(ini);
}

static void test_malformed(void **state)
{
    sm_error err = {0};
    char longline[400];
    (void)state;
    assert_null(sm_ini_parse_string("[a]\nx = 1\nthis line has no equals sign\n", "bad.ini", &err));
    assert_int_equal(err.code, SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "bad.ini:3"));
    assert_null(sm_ini_parse_string("x = 1\n", "nosec.ini", &err));
    assert_null(sm_ini_parse_string("", "empty.ini", &err));
    assert_non_null(strstr(err.msg, "no [section]"));
    assert_null(sm_ini_parse_string("[a\nx=1\n", "bracket.ini", &err));
    assert_non_null(strstr(err.msg, "bracket.ini:1"));
    memset(longline, 'a', sizeof longline);
    memcpy(longline, "[s]\nk = ", 8);
    longline[sizeof longline - 1] = '\0';
    assert_null(sm_ini_parse_string(longline, "long.ini", &err));
    assert_non_null(strstr(err.msg, "long.ini:2"));
    assert_null(sm_ini_load("/nonexistent.ini", &err));
    assert_int_equal(err.code, SM_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent.ini"));
    /* a section written twice would merge silently: refused, with both lines */
    assert_null(sm_ini_parse_string("[optimizer cmaes]\nsigma = 0.2\n[run]\nbudget = 5\n"
                                    "[optimizer cmaes]\nsigma = 0.3\n", "twice.ini", &err));
    assert_int_equal(err.code, SM_ERR_CONFIG);
    assert_string_equal(err.msg, "twice.ini:5: [optimizer cmaes] appears a second time (first at "
                                 "line 1); write each section once");
    /* an empty section written twice too */
    assert_null(sm_ini_parse_string("[a]\n[b]\nx = 1\n[a]\n", "twice2.ini", &err));
    assert_non_null(strstr(err.msg, "twice2.ini:4: [a] appears a second time (first at line 1)"));
}

static void test_load_file(void **state)
{
    sm_error err = {0};
    const char *dir = sm_test_tmpdir();
    char *p = sm_path_join(dir, "x.ini");
    sm_ini *ini;
    (void)state;
    assert_int_equal(sm_write_file(p, TEXT, strlen(TEXT), &err), 0);
    ini = sm_ini_load(p, &err);
    assert_non_null(ini);
    assert_string_equal(ini->path, p);
    sm_ini_free(ini);
    assert_int_equal(sm_write_file(p, "[a]\0b", 5, &err), 0);
    assert_null(sm_ini_load(p, &err));
    assert_non_null(strstr(err.msg, "NUL"));
    free(p);
}

/* sm_split_list: items trimmed, empty ones dropped, at most max; the text is cut in place. */
static void test_split_list(void **state)
{
    char text[] = " a*=0.1 ,, b , \tc=2\t,  ", one[] = "x", none[] = " , ,";
    char *items[8];
    (void)state;
    assert_int_equal(sm_split_list(text, items, 8), 3);
    assert_string_equal(items[0], "a*=0.1");
    assert_string_equal(items[1], "b");
    assert_string_equal(items[2], "c=2");
    assert_int_equal(sm_split_list(one, items, 8), 1);
    assert_string_equal(items[0], "x");
    assert_int_equal(sm_split_list(none, items, 8), 0);
    {
        char three[] = "p, q, r";
        assert_int_equal(sm_split_list(three, items, 2), 2);
        assert_string_equal(items[1], "q");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_get),
        cmocka_unit_test(test_unused_and_required),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_split_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
