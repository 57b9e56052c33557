/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_datasets_banks.c: voice names and bank files of many voices (datasets/banks.h),
 * checked with a bank parser of the tests' own (tests/dx7_check.h). */
#include "test_util.h"
#include "dx7_check.h"

#include "datasets/banks.h"

static void test_names(void **state)
{
    sm_voice_name names[6];
    (void)state;
    sm_bank_name_from_text("piano_c4", 1, names[0]);
    assert_string_equal(names[0], "PIANO C4");
    sm_bank_name_from_text("My Lead~\\", 0, names[1]);
    assert_string_equal(names[1], "My Lead-/");
    sm_bank_name_from_text("a_very_long_target_name", 1, names[2]);
    assert_string_equal(names[2], "A VERY LON");
    sm_bank_name_from_text("trailing  ", 0, names[3]);
    assert_string_equal(names[3], "trailing");
    sm_bank_name_from_text(NULL, 1, names[4]);
    assert_string_equal(names[4], "");
    /* unique within a bank: a clash ends in a number, cut to fit */
    strcpy(names[0], "PIANO C4");
    strcpy(names[1], "PIANO C4");
    strcpy(names[2], "PIANO C4");
    strcpy(names[3], "ABCDEFGHIJ");
    strcpy(names[4], "ABCDEFGHIJ");
    strcpy(names[5], "");
    sm_bank_unique_name(names, 0, 1);
    sm_bank_unique_name(names, 0, 2);
    sm_bank_unique_name(names, 0, 4);
    sm_bank_unique_name(names, 0, 5);
    assert_string_equal(names[1], "PIANO C4 2");
    assert_string_equal(names[2], "PIANO C4 3");
    assert_string_equal(names[4], "ABCDEFGH 2");
    assert_string_equal(names[5], "VOICE");
    /* names before `from` belong to another bank */
    strcpy(names[1], "PIANO C4");
    sm_bank_unique_name(names, 1, 1);
    assert_string_equal(names[1], "PIANO C4");
}

static void test_files(void **state)
{
    char *p;
    (void)state;
    p = sm_bank_file("out/mybank.syx", 0);
    assert_string_equal(p, "out/mybank.syx");
    free(p);
    p = sm_bank_file("out/mybank.syx", 1);
    assert_string_equal(p, "out/mybank-2.syx");
    free(p);
    p = sm_bank_file("BANK.SYX", 2);
    assert_string_equal(p, "BANK-3.SYX");
    free(p);
    p = sm_bank_file("noext", 0);
    assert_string_equal(p, "noext.syx");
    free(p);
    p = sm_bank_file("noext", 1);
    assert_string_equal(p, "noext-2.syx");
    free(p);
    assert_null(sm_bank_file(NULL, 0));
    assert_int_equal(sm_bank_count(0), 0);
    assert_int_equal(sm_bank_count(32), 1);
    assert_int_equal(sm_bank_count(33), 2);
}

static void test_write_all(void **state)
{
    const char *dir = sm_test_tmpdir();
    sm_dx7_voice v[40];
    char out[4200], p[4300], names[32][11], **files = NULL;
    sm_error err = {0};
    int i;
    (void)state;
    assert_non_null(dir);
    for (i = 0; i < 40; i++) {
        char nm[32];
        sm_dx7_voice_init(&v[i]);
        snprintf(nm, sizeof nm, "VOICE %02d", (i + 1) % 100);
        sm_bank_set_name(&v[i], nm);
    }
    snprintf(out, sizeof out, "%s/gen.syx", dir);
    assert_int_equal(sm_bank_write_all(out, v, 40, &files, &err), 0);
    assert_string_equal(files[1] + strlen(files[1]) - 10, "/gen-2.syx");
    sm_test_check_bank(files[0], names);
    assert_string_equal(names[0], "VOICE 01  ");
    assert_string_equal(names[31], "VOICE 32  ");
    sm_test_check_bank(files[1], names);
    assert_string_equal(names[7], "VOICE 40  ");
    assert_string_equal(names[8], "INIT VOICE");
    sm_bank_files_free(files, 2);
    /* all or nothing: the second bank cannot be written (a folder stands in its place) */
    snprintf(out, sizeof out, "%s/bad.syx", dir);
    snprintf(p, sizeof p, "%s/bad-2.syx", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    assert_int_equal(sm_bank_write_all(out, v, 40, &files, &err), SM_ERR_IO);
    assert_null(files);
    assert_int_not_equal(access(out, F_OK), 0);
    assert_int_equal(sm_bank_write_all(out, v, 0, NULL, &err), SM_ERR_ARG);
    sm_bank_files_free(NULL, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_write_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
