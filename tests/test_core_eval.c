/* tests/test_core_eval.c: the parallel evaluator gives the same scores at any thread count,
 * replaces non-finite scores with the worst cost and counts them. */
#include "tests/test_util.h"
#include "core/eval.h"

#include <omp.h>

typedef struct {
    int id;
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

static const sm_worker_type WT = {w_alloc, w_eval, w_free};

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

static void *bad_alloc(const void *shared, sm_error *err)
{
    (void)shared;
    sm_error_set(err, SM_ERR_NOMEM, "worker refused");
    return NULL;
}

static void test_alloc_failure(void **state)
{
    sm_worker_type bad = {bad_alloc, w_eval, w_free};
    sm_error err = {0};
    (void)state;
    assert_null(sm_eval_alloc(&bad, NULL, 2, &err));
    assert_string_equal(err.msg, "worker refused");
    assert_null(sm_eval_alloc(NULL, NULL, 2, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thread_independent),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
