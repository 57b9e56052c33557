/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/dx7_check.h: a DX7 32-voice bulk dump checked as a DX7 reads it, with code of the tests'
 * own (not synths/dx7_sysex.c): 4104 bytes, header F0 43 00 09 20 00, every data byte 7-bit,
 * a checksum that makes the data sum to 0 modulo 128, F7 at the end. */
#ifndef SM_TEST_DX7_CHECK_H
#define SM_TEST_DX7_CHECK_H

#include "test_util.h"

/* Asserts that path is a valid bulk dump and copies its 32 packed names (10 characters and a
 * NUL each) into names. */
static inline void sm_test_check_bank(const char *path, char names[32][11])
{
    static const unsigned char head[6] = {0xF0, 0x43, 0x00, 0x09, 0x20, 0x00};
    unsigned char b[4200];
    unsigned sum = 0;
    FILE *f = fopen(path, "rb");
    size_t n, i;
    assert_non_null(f);
    n = fread(b, 1, sizeof b, f);
    fclose(f);
    assert_int_equal(n, 4104);
    assert_memory_equal(b, head, 6);
    for (i = 6; i < 4102; i++) {
        assert_true(b[i] < 128);
        sum += b[i];
    }
    assert_true(b[4102] < 128);
    assert_int_equal((sum + b[4102]) & 0x7F, 0);
    assert_int_equal(b[4103], 0xF7);
    for (i = 0; i < 32; i++) {
        memcpy(names[i], b + 6 + 128 * i + 118, 10);
        names[i][10] = '\0';
    }
}

#endif
