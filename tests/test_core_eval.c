/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_core_eval.c: the parallel evaluator gives the same scores at any thread count
 * and with or without a worker's paired path, replaces non-finite scores with the worst cost
 * and counts them. */
#include "tests/test_util.h"
#include "core/eval.h"

#include <omp.h>

typedef struct {
    int id;
    int pairs;         /* calls of w_eval2 */
    double *scratch;
} worker;

static void *w_alloc(const void *shared, sm_error *err)
{
    worker *w = calloc(1, sizeof *w);
    (void)err;
    w->id = *(const int *)shared;
    w->scratch = calloc(16, sizeof *w->scratch);
    return w;
}

/* A deterministic function of the point: NaN where x[0] > 0.9. */
static double w_eval(void *wp, const double *x, size_t d)
{
    worker *w = wp;
    double s = 0;
    size_t i;
    for (i = 0; i < d; i++) {
        w->scratch[i % 16] = x[i];
        s += (x[i] - 0.3) * (x[i] - 0.3) + sin(17 * x[i]);
    }
    if (x[0] > 0.9) return NAN;
    return s;
}

static void w_free(void *wp)
{
    worker *w = wp;
    free(w->scratch);
    free(w);
}

static const sm_worker_type WT = {w_alloc, w_eval, w_free, NULL};

/* Two points at once, as a worker with a faster paired path scores them. */
static void w_eval2(void *wp, const double *xa, const double *xb, size_t d, double *ca,
                    double *cb)
{
    ((worker *)wp)->pairs++;
    *ca = w_eval(wp, xa, d);
    *cb = w_eval(wp, xb, d);
}

static const sm_worker_type WT2 = {w_alloc, w_eval, w_free, w_eval2};

static void test_thread_independent(void **state)
{
    enum { K = 257, D = 5 };
    double *x = malloc(K * D * sizeof *x), c1[K], c2[K];
    int shared = 7;
    sm_error err = {0};
    sm_eval *e1 = sm_eval_alloc(&WT, &shared, 1, &err), *e2 = sm_eval_alloc(&WT, &shared, 2, &err);
    size_t i;
    sm_eval_stats st;
    (void)state;
    assert_non_null(e1);
    assert_non_null(e2);
    assert_int_equal(sm_eval_threads(e2), 2);
    for (i = 0; i < K * D; i++) x[i] = fmod(0.618034 * (double)(i + 1), 1.0);
    assert_int_equal(sm_eval_batch(e1, x, K, D, c1), 0);
    assert_int_equal(sm_eval_batch(e2, x, K, D, c2), 0);
    for (i = 0; i < K; i++) {
        assert_true(c1[i] == c2[i]); /* bit-identical */
        assert_true(isfinite(c1[i]));
        if (x[i * D] > 0.9) assert_close(c1[i], SM_EVAL_WORST_COST, 0);
    }
    st = sm_eval_get_stats(e2);
    assert_int_equal(st.n_evals, K);
    {
        uint64_t nan_expected = 0;
        for (i = 0; i < K; i++) nan_expected += x[i * D] > 0.9;
        assert_true(nan_expected > 0);
        assert_int_equal(st.n_nonfinite, nan_expected);
    }
    assert_non_null(sm_eval_worker(e2, 1));
    assert_null(sm_eval_worker(e2, 2));
    assert_int_equal(((worker *)sm_eval_worker(e2, 0))->id, 7);
    sm_eval_free(e1);
    sm_eval_free(e2);
    sm_eval_free(NULL);
    free(x);
}

/* With a paired path, the points are scored in pairs (the last of an odd batch alone) and
 * every score, and the count of non-finite ones, is what the one-point path gives, at 1 and
 * at 2 threads. */
static void test_pairs(void **state)
{
    enum { K = 101, D = 3 };
    double *x = malloc(K * D * sizeof *x), c1[K], c2[K], c3[K];
    int shared = 1, t;
    sm_error err = {0};
    sm_eval *e1 = sm_eval_alloc(&WT, &shared, 1, &err), *p1 = sm_eval_alloc(&WT2, &shared, 1, &err);
    sm_eval *p2 = sm_eval_alloc(&WT2, &shared, 2, &err);
    size_t i;
    int pairs = 0;
    (void)state;
    assert_non_null(e1);
    assert_non_null(p1);
    assert_non_null(p2);
    for (i = 0; i < K * D; i++) x[i] = fmod(0.7548777 * (double)(i + 3), 1.0);
    assert_int_equal(sm_eval_batch(e1, x, K, D, c1), 0);
    assert_int_equal(sm_eval_batch(p1, x, K, D, c2), 0);
    assert_int_equal(sm_eval_batch(p2, x, K, D, c3), 0);
    for (i = 0; i < K; i++) {
        assert_true(c1[i] == c2[i]);
        assert_true(c1[i] == c3[i]);
    }
    assert_int_equal(((worker *)sm_eval_worker(p1, 0))->pairs, K / 2);
    for (t = 0; t < 2; t++) pairs += ((worker *)sm_eval_worker(p2, t))->pairs;
    assert_int_equal(pairs, K / 2);
    assert_true(sm_eval_get_stats(e1).n_nonfinite > 0);
    assert_int_equal(sm_eval_get_stats(p2).n_nonfinite, sm_eval_get_stats(e1).n_nonfinite);
    assert_int_equal(sm_eval_get_stats(p2).n_evals, K);
    sm_eval_free(e1);
    sm_eval_free(p1);
    sm_eval_free(p2);
    free(x);
}

static void *bad_alloc(const void *shared, sm_error *err)
{
    (void)shared;
    sm_error_set(err, SM_ERR_NOMEM, "worker refused");
    return NULL;
}

static void test_alloc_failure(void **state)
{
    sm_worker_type bad = {bad_alloc, w_eval, w_free, NULL};
    sm_error err = {0};
    (void)state;
    assert_null(sm_eval_alloc(&bad, NULL, 2, &err));
    assert_string_equal(err.msg, "worker refused");
    assert_null(sm_eval_alloc(NULL, NULL, 2, &err));
}

/* A render that costs 2e6 (possible with cost weights up to 1e6) against a broken one:
 * the broken point (NaN, +Inf or -Inf) must rank worse, and a finite score above the worst
 * cost is capped to it, so no cost exceeds it. */
static double w_ranked(void *wp, const double *x, size_t d)
{
    (void)wp;
    (void)d;
    return x[0] < 0.1 ? 2e6 : x[0] < 0.3 ? NAN : x[0] < 0.5 ? INFINITY : x[0] < 0.7 ? -INFINITY
                                                                                    : 1e300;
}

static void test_worst_cost_ranks_below_real_costs(void **state)
{
    static const sm_worker_type WR = {w_alloc, w_ranked, w_free, NULL};
    double x[5] = {0.0, 0.2, 0.4, 0.6, 0.8}, c[5];
    int shared = 1;
    sm_error err = {0};
    sm_eval *e = sm_eval_alloc(&WR, &shared, 1, &err);
    int i;
    (void)state;
    assert_non_null(e);
    assert_int_equal(sm_eval_batch(e, x, 5, 1, c), 0);
    assert_close(c[0], 2e6, 0);
    for (i = 1; i < 5; i++) {
        assert_true(c[i] > c[0]);
        assert_true(c[i] == SM_EVAL_WORST_COST);
    }
    assert_true(SM_EVAL_WORST_COST >= 1e30);
    /* counted: the three non-finite scores, not the large finite one */
    assert_int_equal(sm_eval_get_stats(e).n_nonfinite, 3);
    sm_eval_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thread_independent),
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_worst_cost_ranks_below_real_costs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
