/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_search_gsl.c: GSL never aborts the process (search/gsl_errors.h).
 *
 * GSL's default handler calls abort() on any failure. The tests first show that it does (a
 * child process asking GSL for a 0 x 0 eigen workspace dies of SIGABRT), then that once
 * cmaes has been set up, or sm_gsl_quiet called, the same failing calls return NULL or a
 * status, and that each status maps to the sm_err code documented. Each check runs in a child process, as
 * GSL's handler is one setting for the whole process. */
#include "tests/test_util.h"
#include "search/gsl_errors.h"
#include "search/optimizer.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include <signal.h>
#include <sys/wait.h>

/* GSL calls that fail: an eigen workspace for a 0 x 0 matrix (GSL_EINVAL; GSL 2.7 allows a
 * 0 x 0 matrix itself), and an eigendecomposition whose vector and workspace sizes do not
 * match the matrix (GSL_EBADLEN). Returns 0 if each failed with a status instead of ending
 * the process. */
static int failing_gsl_calls(void)
{
    gsl_matrix *a, *evec;
    gsl_vector *eval;
    gsl_eigen_symmv_workspace *w;
    int st, ok;
    if (gsl_eigen_symmv_alloc(0) != NULL) return 1;
    a = gsl_matrix_calloc(3, 3);
    evec = gsl_matrix_calloc(3, 3);
    eval = gsl_vector_calloc(2); /* should be 3 */
    w = gsl_eigen_symmv_alloc(3);
    if (!a || !evec || !eval || !w) return 2;
    st = gsl_eigen_symmv(a, eval, evec, w);
    ok = st == GSL_EBADLEN && sm_gsl_err(st) == SM_ERR_ARG;
    gsl_eigen_symmv_free(w);
    gsl_vector_free(eval);
    gsl_matrix_free(evec);
    gsl_matrix_free(a);
    return ok ? 0 : 3;
}

/* Runs body in a child process; returns its wait status. stderr is silenced (GSL's default
 * handler prints before it aborts). */
static int in_child(int (*body)(void))
{
    pid_t pid;
    int status;
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) _exit(99);
        alarm(20);
        _exit(body());
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static int body_default_handler(void)
{
    return failing_gsl_calls();
}

static int body_quiet(void)
{
    sm_gsl_quiet();
    sm_gsl_quiet(); /* a second call is harmless */
    return failing_gsl_calls();
}

static int body_after_cmaes(void)
{
    static sm_param params[3];
    sm_param_space s = {3, params};
    sm_opt_config cfg;
    sm_error err = {0};
    void *st;
    size_t i;
    for (i = 0; i < 3; i++) {
        params[i].name = i == 0 ? "a" : i == 1 ? "b" : "c";
        params[i].unit = "";
        params[i].kind = SM_PARAM_REAL;
        params[i].max = 1;
        params[i].def = 0.5;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.budget = 100;
    st = sm_optimizer_cmaes.alloc(&s, &cfg, 1, &err);
    if (!st) return 10;
    sm_optimizer_cmaes.free(st);
    return failing_gsl_calls();
}

/* Without soundmatch's set-up, GSL aborts: this is what the library must prevent. */
static void test_gsl_aborts_by_default(void **state)
{
    int status;
    (void)state;
    status = in_child(body_default_handler);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void test_quiet_gives_statuses(void **state)
{
    int status;
    (void)state;
    status = in_child(body_quiet);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* cmaes, the module that uses GSL, turns the handler off when it is set up. */
static void test_cmaes_turns_aborts_off(void **state)
{
    int status;
    (void)state;
    status = in_child(body_after_cmaes);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_status_mapping(void **state)
{
    (void)state;
    assert_int_equal(sm_gsl_err(GSL_SUCCESS), SM_OK);
    assert_int_equal(sm_gsl_err(GSL_ENOMEM), SM_ERR_NOMEM);
    assert_int_equal(sm_gsl_err(GSL_EINVAL), SM_ERR_ARG);
    assert_int_equal(sm_gsl_err(GSL_EFAULT), SM_ERR_ARG);
    assert_int_equal(sm_gsl_err(GSL_EBADLEN), SM_ERR_ARG);
    assert_int_equal(sm_gsl_err(GSL_ENOTSQR), SM_ERR_ARG);
    assert_int_equal(sm_gsl_err(GSL_EBADTOL), SM_ERR_ARG);
    assert_int_equal(sm_gsl_err(GSL_EUNSUP), SM_ERR_UNSUPPORTED);
    assert_int_equal(sm_gsl_err(GSL_EUNIMPL), SM_ERR_UNSUPPORTED);
    assert_int_equal(sm_gsl_err(GSL_EDOM), SM_ERR_RANGE);
    assert_int_equal(sm_gsl_err(GSL_EOVRFLW), SM_ERR_RANGE);
    assert_int_equal(sm_gsl_err(GSL_ESING), SM_ERR_RANGE);
    assert_int_equal(sm_gsl_err(GSL_EMAXITER), SM_ERR_RANGE);
    assert_int_equal(sm_gsl_err(GSL_FAILURE), SM_ERR_RANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gsl_aborts_by_default),
        cmocka_unit_test(test_quiet_gives_statuses),
        cmocka_unit_test(test_cmaes_turns_aborts_off),
        cmocka_unit_test(test_status_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
