/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_core_pca.c: principal axes and k-means (core/pca.h). */
#include "test_util.h"

#include "core/pca.h"

/* Four points +-a u, +-b v for orthonormal u, v (u at 30 degrees): the covariance
 * (2 a^2 u u' + 2 b^2 v v') / 3 has eigenvalues 2a^2/3 and 2b^2/3 along u and v. */
static void test_axes_known(void **state)
{
    const double c = cos(M_PI / 6), s = sin(M_PI / 6), a = 3, b = 1;
    const double u[2] = {c, s}, v[2] = {-s, c};
    double z[8], vec[4], val[2];
    sm_error err = {0};
    (void)state;
    z[0] = a * u[0], z[1] = a * u[1], z[2] = -a * u[0], z[3] = -a * u[1];
    z[4] = b * v[0], z[5] = b * v[1], z[6] = -b * v[0], z[7] = -b * v[1];
    assert_int_equal(sm_pca_axes(z, 4, 2, vec, val, &err), 0);
    assert_close(val[0], 2 * a * a / 3, 1e-12);
    assert_close(val[1], 2 * b * b / 3, 1e-12);
    /* axes as columns, largest entry positive: u = (0.866, 0.5), v = (-0.5, 0.866) */
    assert_close(vec[0 * 2 + 0], c, 1e-12);
    assert_close(vec[1 * 2 + 0], s, 1e-12);
    assert_close(vec[0 * 2 + 1], -s, 1e-12);
    assert_close(vec[1 * 2 + 1], c, 1e-12);
    assert_int_equal(sm_pca_axes(NULL, 4, 2, vec, val, &err), SM_ERR_ARG);
    assert_int_equal(sm_pca_axes(z, 0, 2, vec, val, &err), SM_ERR_ARG);
}

/* Three blobs far apart: k-means finds them, and the same seed gives the same answer. */
static void test_kmeans_blobs(void **state)
{
    enum { PER = 50, Q = 3, K = 3 };
    const double centre[K][Q] = {{0, 0, 0}, {10, 0, 0}, {0, 10, 10}};
    double x[K * PER * Q], cen[K * Q], cen2[K * Q];
    size_t assign[K * PER], assign2[K * PER], i, k, j;
    sm_rng rng;
    (void)state;
    sm_rng_init(&rng, 1, 0);
    for (k = 0; k < K; k++)
        for (i = 0; i < PER; i++)
            for (j = 0; j < Q; j++) x[(k * PER + i) * Q + j] = centre[k][j] + sm_rng_normal(&rng);
    sm_rng_init(&rng, 42, 0);
    assert_int_equal(sm_kmeans(x, K * PER, Q, K, 100, &rng, cen, assign), 0);
    for (k = 0; k < K; k++) {
        size_t c = assign[k * PER];
        for (i = 0; i < PER; i++) assert_int_equal(assign[k * PER + i], c);
        for (j = 0; j < Q; j++) assert_close(cen[c * Q + j], centre[k][j], 0.5);
    }
    assert_true(assign[0] != assign[PER] && assign[PER] != assign[2 * PER] &&
                assign[0] != assign[2 * PER]);
    sm_rng_init(&rng, 42, 0);
    assert_int_equal(sm_kmeans(x, K * PER, Q, K, 100, &rng, cen2, assign2), 0);
    assert_memory_equal(cen, cen2, sizeof cen);
    assert_memory_equal(assign, assign2, sizeof assign);
    assert_close(sm_dist2(centre[0], centre[1], Q), 100, 0);
    assert_int_equal(sm_kmeans(x, 2, Q, 3, 10, &rng, cen, assign), SM_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_axes_known),
        cmocka_unit_test(test_kmeans_blobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
