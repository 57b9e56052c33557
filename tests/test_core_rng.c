/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_core_rng.c: the generator against the reference xoshiro256** sequence, stream
 * independence, and the moments of its distributions. */
#include "tests/test_util.h"
#include "core/rng.h"

static void test_reference_sequence(void **state)
{
    /* xoshiro256** from state {1,2,3,4}: the reference implementation's first outputs. */
    sm_rng r;
    (void)state;
    r.s[0] = 1; r.s[1] = 2; r.s[2] = 3; r.s[3] = 4;
    r.has_spare = 0;
    assert_true(sm_rng_u64(&r) == 11520ULL);
    assert_true(sm_rng_u64(&r) == 0ULL);
    assert_true(sm_rng_u64(&r) == 1509978240ULL);
    assert_true(sm_rng_u64(&r) == 1215971899390074240ULL);
}

static void test_seeds_and_streams(void **state)
{
    sm_rng a, b, c, d;
    int i, same_ab = 1, same_ac = 1, same_ad = 1;
    (void)state;
    sm_rng_init(&a, 42, 0);
    sm_rng_init(&b, 42, 0);
    sm_rng_init(&c, 42, 1);
    sm_rng_init(&d, 43, 0);
    for (i = 0; i < 100; i++) {
        uint64_t x = sm_rng_u64(&a);
        same_ab &= x == sm_rng_u64(&b);
        same_ac &= x == sm_rng_u64(&c);
        same_ad &= x == sm_rng_u64(&d);
    }
    assert_true(same_ab);
    assert_false(same_ac);
    assert_false(same_ad);
}

static void test_moments(void **state)
{
    sm_rng r;
    const int n = 200000;
    double s = 0, s2 = 0, ns = 0, ns2 = 0;
    int counts[6] = {0}, i;
    (void)state;
    sm_rng_init(&r, 7, 3);
    for (i = 0; i < n; i++) {
        double u = sm_rng_uniform(&r), z = sm_rng_normal(&r);
        assert_true(u >= 0 && u < 1);
        s += u;
        s2 += u * u;
        ns += z;
        ns2 += z * z;
        counts[sm_rng_below(&r, 6)]++;
    }
    /* standard errors: uniform mean 0.00065, normal mean 0.0022; tolerances are 5 sigma */
    assert_close(s / n, 0.5, 0.0033);
    assert_close(s2 / n - (s / n) * (s / n), 1.0 / 12, 0.002);
    assert_close(ns / n, 0, 0.011);
    assert_close(ns2 / n, 1, 0.016);
    for (i = 0; i < 6; i++) assert_close(counts[i], n / 6.0, 5 * sqrt(n * (1 / 6.0) * (5 / 6.0)));
    assert_int_equal(sm_rng_below(&r, 1), 0);
}

static void test_shuffle_is_permutation(void **state)
{
    sm_rng r;
    size_t idx[50], seen[50] = {0}, i;
    (void)state;
    sm_rng_init(&r, 1, 1);
    for (i = 0; i < 50; i++) idx[i] = i;
    sm_rng_shuffle(&r, idx, 50);
    for (i = 0; i < 50; i++) seen[idx[i]]++;
    for (i = 0; i < 50; i++) assert_int_equal(seen[i], 1);
    assert_true(sm_rng_mix(1, 2) != sm_rng_mix(2, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_sequence),
        cmocka_unit_test(test_seeds_and_streams),
        cmocka_unit_test(test_moments),
        cmocka_unit_test(test_shuffle_is_permutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
