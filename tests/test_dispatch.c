/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_dispatch.c: the runner's dispatcher interface (experiments/runner.h,
 * "Dispatchers"), without MPI: a dispatcher that does the runs on another run set, last
 * first, and carries each result over as bytes; one that scores half of every batch on
 * another run set; both must give the results.csv of a plain run (timing aside). Results
 * that are not what they claim are refused, and a dispatcher that leaves runs undone fails
 * the experiment. */
#include "tests/test_util.h"
#include "core/fileio.h"
#include "experiments/experiment.h"
#include "experiments/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two synthetic fm6 targets, three optimizers (pcakm's model made on demand by the other
 * set), two seeds; start points from rom1a when the shared data is there (their gate is
 * chosen by scoring, which the batch-sharing dispatcher spreads too). */
static char *experiment_text(const char *dir)
{
    char *text = NULL, prior[4400] = "";
    const char *bank = sm_test_shared_path("dx7/rom1a.syx");
    FILE *f = bank ? fopen(bank, "rb") : NULL;
    if (f) {
        fclose(f);
        snprintf(prior, sizeof prior, "[prior]\ndataset = %s\nstarts = 4\n", bank);
    }
    assert_true(asprintf(&text,
                         "[target]\nsynthetic = 2\nsynthetic_seed = 5\nsample_rate = 22050\n"
                         "[synth]\nname = fm6\nnote = 50\nlength_s = 0.3\n"
                         "free = op2_output_level, op2_coarse, op2_fine\nfreeze = algorithm=1\n"
                         "[cost]\nn_fft = 1024\nhop = 256\nn_mels = 40\n%s"
                         "[optimizer ga]\n[optimizer cmaes]\n"
                         "[optimizer pcakm]\ndataset_size = 40\nclusters = 4\n"
                         "[run]\nbudget = 150\nseeds = 1-2\nthreads = 2\nbatch = 24\n"
                         "[report]\ncache_dir = %s/cache\n",
                         prior, dir) > 0);
    return text;
}

typedef struct {
    const sm_experiment *e;
    sm_run_options remote_opt;   /* the other "process": same folder, threads */
    sm_run_set *remote;
    size_t n_runs, n_batches;
} fake;

/* Runs the list on the other set, last run first, and hands each result over as bytes. */
static int fake_run(void *ctx, sm_run_set *s, const size_t *todo, size_t n, sm_error *err)
{
    fake *f = ctx;
    size_t i;
    for (i = n; i-- > 0;) {
        void *bytes = NULL;
        size_t len = 0;
        int rc = sm_run_set_do(f->remote, todo[i], &bytes, &len, err);
        if (rc) return rc;
        if (i == n - 1) {
            /* a cut result, and a result under another run's number, are refused */
            assert_int_equal(sm_run_set_accept(s, todo[i], bytes, len - 1, err), SM_ERR_FORMAT);
            if (todo[i] > 0)
                assert_int_equal(sm_run_set_accept(s, todo[i] - 1, bytes, len, err),
                                 SM_ERR_FORMAT);
        }
        rc = sm_run_set_accept(s, todo[i], bytes, len, err);
        free(bytes);
        if (rc) return rc;
        f->n_runs++;
    }
    return 0;
}

/* Scores the first half of each batch here and the second half on the other set. */
static int fake_eval(void *ctx, sm_eval *local, size_t target, double gate_s, const double *x,
                     size_t k, size_t d, double *cost, uint64_t *n_bad, sm_error *err)
{
    fake *f = ctx;
    const size_t half = k / 2;
    uint64_t before = sm_eval_get_stats(local).n_nonfinite;
    int rc = sm_eval_batch(local, x, half, d, cost);
    if (rc) return sm_error_set(err, rc, "local half failed");
    *n_bad += sm_eval_get_stats(local).n_nonfinite - before;
    f->n_batches++;
    return sm_run_set_eval(f->remote, target, gate_s, x + half * d, k - half, d, cost + half,
                           n_bad, err);
}

/* Leaves every run undone. */
static int lazy_run(void *ctx, sm_run_set *s, const size_t *todo, size_t n, sm_error *err)
{
    (void)ctx;
    (void)s;
    (void)todo;
    (void)n;
    (void)err;
    return 0;
}

/* Runs the experiment into dir/name with dispatcher d (NULL: plain) and returns results.csv
 * without its timing columns (6 and 7), as a new string. */
static char *run_into(const char *dir, const char *name, const sm_dispatch *d, fake *f,
                      int expect)
{
    char ini[4096], out[4096], csv[4200], line[4096], *res = NULL;
    char *text = experiment_text(dir);
    size_t len = 0;
    sm_run_options o;
    sm_error err = {0};
    sm_experiment *e;
    FILE *in, *mem;
    int rc;
    snprintf(ini, sizeof ini, "%s/e.ini", dir);
    snprintf(out, sizeof out, "%s/%s", dir, name);
    assert_int_equal(sm_write_file(ini, text, strlen(text), &err), 0);
    e = sm_experiment_parse(text, ini, &err);
    free(text);
    if (!e) fail_msg("%s", err.msg);
    memset(&o, 0, sizeof o);
    o.out_dir = out;
    o.no_report = 1;
    o.dispatch = d;
    if (f) {
        f->e = e;
        f->remote_opt = o;
        f->remote_opt.dispatch = NULL;
        f->remote = sm_run_set_new(e, &f->remote_opt, &err);
        if (!f->remote) fail_msg("%s", err.msg);
        assert_int_equal(sm_run_set_size(f->remote), 12);
    }
    rc = sm_experiment_run(e, &o, &err);
    if (f) sm_run_set_free(f->remote);
    sm_experiment_free(e);
    if (rc != expect) fail_msg("%s: returned %d (%s), expected %d", name, rc, err.msg, expect);
    if (rc) return NULL;
    snprintf(csv, sizeof csv, "%s/results.csv", out);
    in = fopen(csv, "r");
    mem = open_memstream(&res, &len);
    assert_non_null(in);
    assert_non_null(mem);
    while (fgets(line, sizeof line, in)) {
        char *field = line, *next;
        int k;
        for (k = 1; field; k++, field = next) {
            next = strchr(field, ',');
            if (next) *next++ = '\0';
            if (k != 6 && k != 7) fprintf(mem, "%s%s", k > 1 ? "," : "", field);
        }
    }
    fclose(in);
    fclose(mem);
    return res;
}

/* The experiment run plainly and with dispatcher d: the same results.csv, timing aside. */
static void same_as_plain(const char *name, sm_dispatch *d, fake *f)
{
    const char *tmp = sm_test_tmpdir();
    char *plain, *other;
    memset(f, 0, sizeof *f);
    d->ctx = f;
    plain = run_into(tmp, "plain", NULL, NULL, 0);
    other = run_into(tmp, name, d, f, 0);
    assert_string_equal(plain, other);
    assert_non_null(strstr(plain, "synth02,pcakm,2,"));
    free(plain);
    free(other);
}

static void test_runs_elsewhere(void **state)
{
    fake f;
    sm_dispatch d;
    (void)state;
    memset(&d, 0, sizeof d);
    d.run = fake_run;
    same_as_plain("moved", &d, &f);
    assert_int_equal(f.n_runs, 12);
}

static void test_batches_shared(void **state)
{
    fake f;
    sm_dispatch d;
    (void)state;
    memset(&d, 0, sizeof d);
    d.eval = fake_eval;
    same_as_plain("shared", &d, &f);
    /* 12 runs of 150 evaluations in batches of at most 24: at least 7 batches each */
    assert_true(f.n_batches >= 84);
}

static void test_runs_left_undone(void **state)
{
    const char *tmp = sm_test_tmpdir();
    sm_dispatch d;
    (void)state;
    memset(&d, 0, sizeof d);
    d.run = lazy_run;
    assert_null(run_into(tmp, "undone", &d, NULL, SM_ERR_ARG));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_elsewhere),
        cmocka_unit_test(test_batches_shared),
        cmocka_unit_test(test_runs_left_undone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
