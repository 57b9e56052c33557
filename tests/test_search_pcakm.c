/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_search_pcakm.c: the PCA + k-means model (search/pcakm.h) and the pcakm optimizer.
 *
 * - PCA on data with known structure: 5-D features lying on a plane need 2 components,
 *   which explain all the variance; a set component count is honoured.
 * - k-means on well separated blobs finds the blobs; a query near a blob's centre returns
 *   members of that blob, nearest first.
 * - Save and load give back an equal model; corrupt, truncated and foreign files fail with a
 *   message naming the file and the problem; bad inputs to build fail cleanly.
 * - The pcakm optimizer asks the query's members first, then refines with gd, on a toy
 *   objective whose features are a function of the point. */
#include "tests/test_util.h"

#include <glob.h>
#include <unistd.h>
#include "search/pcakm.h"
#include "search/optimizer.h"
#include "core/rng.h"

static char tmpdir[4096];

static int setup(void **state)
{
    const char *t = sm_test_tmpdir();
    (void)state;
    if (!t) return -1;
    snprintf(tmpdir, sizeof tmpdir, "%s", t);
    return 0;
}

static int teardown(void **state)
{
    char cmd[4200];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* n random points in [0,1]^d. */
static double *random_points(size_t n, size_t d, uint64_t seed)
{
    double *p = malloc(n * d * sizeof *p);
    sm_rng r;
    size_t i;
    sm_rng_init(&r, seed, 0);
    for (i = 0; i < n * d; i++) p[i] = sm_rng_uniform(&r);
    return p;
}

/* 5-D features on a plane: f = a u + b v with fixed u, v and random a, b. */
static void test_pca_plane(void **state)
{
    const size_t n = 200, d = 3, m = 5;
    const double u[5] = {1, 2, 0, -1, 0.5}, v[5] = {0, 1, 3, 1, -2};
    double *pts = random_points(n, d, 1), *f = malloc(n * m * sizeof *f);
    sm_pcakm_params pp = sm_pcakm_params_default();
    sm_pcakm_model *md;
    sm_error err = {0};
    sm_rng r;
    size_t i, j;
    (void)state;
    sm_rng_init(&r, 2, 0);
    for (i = 0; i < n; i++) {
        double a = sm_rng_normal(&r), b = 3 * sm_rng_normal(&r);
        for (j = 0; j < m; j++) f[i * m + j] = 10 + a * u[j] + b * v[j];
    }
    pp.k = 4;
    md = sm_pcakm_model_build(pts, n, d, f, m, &pp, 7, &err);
    assert_non_null(md);
    assert_int_equal(sm_pcakm_model_components(md), 2);
    assert_close(sm_pcakm_model_explained(md), 1.0, 1e-9);
    assert_int_equal(sm_pcakm_model_n(md), n);
    assert_int_equal(sm_pcakm_model_d(md), d);
    assert_int_equal(sm_pcakm_model_m(md), m);
    assert_int_equal(sm_pcakm_model_clusters(md), 4);
    for (i = 0; i < n * d; i++) assert_close(sm_pcakm_model_point(md, i / d)[i % d], pts[i], 0);
    sm_pcakm_model_free(md);
    /* var_frac 0.5 keeps only the dominant direction (b has 3 times a's deviation) */
    pp.var_frac = 0.5;
    md = sm_pcakm_model_build(pts, n, d, f, m, &pp, 7, &err);
    assert_non_null(md);
    assert_int_equal(sm_pcakm_model_components(md), 1);
    assert_true(sm_pcakm_model_explained(md) >= 0.5 && sm_pcakm_model_explained(md) < 1);
    sm_pcakm_model_free(md);
    /* a set count wins over var_frac, capped at m */
    pp.components = 3;
    md = sm_pcakm_model_build(pts, n, d, f, m, &pp, 7, &err);
    assert_int_equal(sm_pcakm_model_components(md), 3);
    sm_pcakm_model_free(md);
    pp.components = 99;
    md = sm_pcakm_model_build(pts, n, d, f, m, &pp, 7, &err);
    assert_int_equal(sm_pcakm_model_components(md), m);
    sm_pcakm_model_free(md);
    free(pts);
    free(f);
}

#define BLOBS 3
#define PER_BLOB 40
#define BM 4
static const double blob_centre[BLOBS][BM] = {{10, 0, 0, 5}, {-10, 8, 0, 0}, {0, -9, 12, -4}};

/* Features: BLOBS well separated blobs of PER_BLOB items each (spread 0.2 around centres
 * 15 or more apart), items of a blob contiguous. */
static double *blob_features(uint64_t seed)
{
    double *f = malloc(BLOBS * PER_BLOB * BM * sizeof *f);
    sm_rng r;
    size_t b, i, j;
    sm_rng_init(&r, seed, 0);
    for (b = 0; b < BLOBS; b++)
        for (i = 0; i < PER_BLOB; i++)
            for (j = 0; j < BM; j++)
                f[(b * PER_BLOB + i) * BM + j] = blob_centre[b][j] + 0.2 * sm_rng_normal(&r);
    return f;
}

static sm_pcakm_model *blob_model(uint64_t seed)
{
    const size_t n = BLOBS * PER_BLOB;
    double *pts = random_points(n, 2, 3), *f = blob_features(4);
    sm_pcakm_params pp = sm_pcakm_params_default();
    sm_error err = {0};
    sm_pcakm_model *md;
    pp.k = BLOBS;
    md = sm_pcakm_model_build(pts, n, 2, f, BM, &pp, seed, &err);
    free(pts);
    free(f);
    return md;
}

static void test_kmeans_blobs(void **state)
{
    sm_pcakm_model *md;
    uint64_t seed;
    size_t b, i;
    (void)state;
    for (seed = 1; seed <= 5; seed++) {
        size_t label[BLOBS];
        md = blob_model(seed);
        assert_non_null(md);
        assert_int_equal(sm_pcakm_model_clusters(md), BLOBS);
        for (b = 0; b < BLOBS; b++) {
            label[b] = sm_pcakm_model_cluster_of(md, b * PER_BLOB);
            for (i = 0; i < PER_BLOB; i++)
                assert_int_equal(sm_pcakm_model_cluster_of(md, b * PER_BLOB + i), label[b]);
        }
        assert_true(label[0] != label[1] && label[0] != label[2] && label[1] != label[2]);
        assert_int_equal(sm_pcakm_model_cluster_of(md, BLOBS * PER_BLOB), (size_t)-1);
        sm_pcakm_model_free(md);
    }
}

/* A query near blob 1's centre returns blob 1's members, nearest first. */
static void test_query(void **state)
{
    sm_pcakm_model *md = blob_model(1);
    double *f = blob_features(4), target[BM], pt[BM], pq[BM], prev = -1;
    size_t out[PER_BLOB + 10], n, i, j, q;
    (void)state;
    assert_non_null(md);
    q = sm_pcakm_model_components(md);
    for (j = 0; j < BM; j++) target[j] = blob_centre[1][j] + 0.05;
    n = sm_pcakm_query(md, target, 8, out);
    assert_int_equal(n, 8);
    n = sm_pcakm_query(md, target, PER_BLOB + 10, out);
    assert_int_equal(n, PER_BLOB); /* the whole cluster, no more */
    sm_pcakm_model_project(md, target, pt);
    for (i = 0; i < n; i++) {
        double dd = 0;
        assert_true(out[i] >= PER_BLOB && out[i] < 2 * PER_BLOB);
        sm_pcakm_model_project(md, f + out[i] * BM, pq);
        for (j = 0; j < q; j++) dd += (pq[j] - pt[j]) * (pq[j] - pt[j]);
        assert_true(dd >= prev);
        prev = dd;
    }
    assert_int_equal(sm_pcakm_query(md, target, 0, out), 0);
    assert_int_equal(sm_pcakm_query(NULL, target, 4, out), 0);
    free(f);
    sm_pcakm_model_free(md);
}

static void test_deterministic(void **state)
{
    sm_pcakm_model *a = blob_model(9), *b = blob_model(9);
    size_t i;
    (void)state;
    for (i = 0; i < BLOBS * PER_BLOB; i++)
        assert_int_equal(sm_pcakm_model_cluster_of(a, i), sm_pcakm_model_cluster_of(b, i));
    for (i = 0; i < BLOBS * sm_pcakm_model_components(a); i++)
        assert_close(sm_pcakm_model_centroid(a, i / sm_pcakm_model_components(a))
                         [i % sm_pcakm_model_components(a)],
                     sm_pcakm_model_centroid(b, i / sm_pcakm_model_components(b))
                         [i % sm_pcakm_model_components(b)],
                     0);
    sm_pcakm_model_free(a);
    sm_pcakm_model_free(b);
}

static void assert_models_equal(const sm_pcakm_model *a, const sm_pcakm_model *b,
                                const double *features)
{
    size_t n = sm_pcakm_model_n(a), d = sm_pcakm_model_d(a), q = sm_pcakm_model_components(a);
    size_t k = sm_pcakm_model_clusters(a), m = sm_pcakm_model_m(a), i, j;
    double pa[16], pb[16];
    size_t oa[16], ob[16], na, nb;
    assert_int_equal(sm_pcakm_model_n(b), n);
    assert_int_equal(sm_pcakm_model_d(b), d);
    assert_int_equal(sm_pcakm_model_m(b), m);
    assert_int_equal(sm_pcakm_model_components(b), q);
    assert_int_equal(sm_pcakm_model_clusters(b), k);
    assert_close(sm_pcakm_model_explained(a), sm_pcakm_model_explained(b), 0);
    for (i = 0; i < n; i++) {
        for (j = 0; j < d; j++)
            assert_close(sm_pcakm_model_point(a, i)[j], sm_pcakm_model_point(b, i)[j], 0);
        assert_int_equal(sm_pcakm_model_cluster_of(a, i), sm_pcakm_model_cluster_of(b, i));
        sm_pcakm_model_project(a, features + i * m, pa);
        sm_pcakm_model_project(b, features + i * m, pb);
        for (j = 0; j < q; j++) assert_close(pa[j], pb[j], 0);
    }
    for (i = 0; i < k; i++)
        for (j = 0; j < q; j++)
            assert_close(sm_pcakm_model_centroid(a, i)[j], sm_pcakm_model_centroid(b, i)[j], 0);
    na = sm_pcakm_query(a, features + 5 * m, 16, oa);
    nb = sm_pcakm_query(b, features + 5 * m, 16, ob);
    assert_int_equal(na, nb);
    for (i = 0; i < na; i++) assert_int_equal(oa[i], ob[i]);
}

static char *path_in_tmp(const char *name)
{
    static char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b;
    long len;
    *n = 0;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)len);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void test_save_load(void **state)
{
    sm_pcakm_model *md = blob_model(2), *back;
    double *f = blob_features(4);
    sm_error err = {0};
    char path[4200];
    (void)state;
    snprintf(path, sizeof path, "%s", path_in_tmp("blobs.model"));
    assert_int_equal(sm_pcakm_model_save(path, md, &err), 0);
    back = sm_pcakm_model_load(path, &err);
    assert_non_null(back);
    assert_models_equal(md, back, f);
    sm_pcakm_model_free(back);
    /* saving into a missing folder fails and leaves nothing behind */
    assert_int_equal(sm_pcakm_model_save(path_in_tmp("no/such/dir/x.model"), md, &err),
                     SM_ERR_IO);
    assert_int_equal(access(path_in_tmp("no"), F_OK), -1);
    /* saving over a folder fails, leaves the folder as it was and no temporary file beside it */
    assert_int_equal(mkdir(path_in_tmp("adir"), 0700), 0);
    assert_int_equal(sm_pcakm_model_save(path_in_tmp("adir"), md, &err), SM_ERR_IO);
    {
        glob_t g;
        char pattern[4300];
        snprintf(pattern, sizeof pattern, "%s*", path_in_tmp("adir"));
        assert_int_equal(glob(pattern, 0, NULL, &g), 0);
        assert_int_equal(g.gl_pathc, 1); /* the folder alone: no adir.tmp.XXXXXX */
        globfree(&g);
        snprintf(pattern, sizeof pattern, "%s/*", path_in_tmp("adir"));
        assert_int_equal(glob(pattern, 0, NULL, &g), GLOB_NOMATCH);
    }
    /* the good file is unchanged by the failed saves */
    back = sm_pcakm_model_load(path, &err);
    assert_non_null(back);
    assert_models_equal(md, back, f);
    sm_pcakm_model_free(back);
    sm_pcakm_model_free(md);
    free(f);
}

static void expect_load_error(const char *path, int code, const char *phrase)
{
    sm_error err = {0};
    sm_pcakm_model *md = sm_pcakm_model_load(path, &err);
    assert_null(md);
    print_message("load error: %s\n", err.msg);
    assert_int_equal(err.code, code);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, phrase));
}

static void test_corrupt_files(void **state)
{
    sm_pcakm_model *md = blob_model(2);
    sm_error err = {0};
    char good[4200], bad[4200];
    unsigned char *b;
    size_t n = 0;
    (void)state;
    snprintf(good, sizeof good, "%s", path_in_tmp("good.model"));
    snprintf(bad, sizeof bad, "%s", path_in_tmp("bad.model"));
    assert_int_equal(sm_pcakm_model_save(good, md, &err), 0);
    b = slurp(good, &n);
    assert_non_null(b);
    /* one flipped byte in the middle */
    b[n / 2] ^= 0x40;
    spit(bad, b, n);
    expect_load_error(bad, SM_ERR_FORMAT, "checksum");
    b[n / 2] ^= 0x40;
    /* truncated */
    spit(bad, b, n - 13);
    expect_load_error(bad, SM_ERR_FORMAT, "truncated");
    /* trailing garbage */
    {
        unsigned char *c = malloc(n + 3);
        memcpy(c, b, n);
        memset(c + n, 7, 3);
        spit(bad, c, n + 3);
        free(c);
    }
    expect_load_error(bad, SM_ERR_FORMAT, "trailing");
    /* not a model at all */
    {
        const char *text = "hello, this is a text file and not a model, long enough to have "
                           "a header's worth of bytes\n";
        spit(bad, (const unsigned char *)text, strlen(text));
    }
    expect_load_error(bad, SM_ERR_FORMAT, "bad magic");
    expect_load_error(bad, SM_ERR_FORMAT, "not a soundmatch pcakm model");
    spit(bad, b, 10);
    expect_load_error(bad, SM_ERR_FORMAT, "too short");
    /* a header promising absurd sizes */
    b[16] = 0;
    b[17] = 0;
    b[18] = 0;
    b[19] = 0;
    b[20] = 0;
    b[21] = 0;
    b[22] = 0;
    b[23] = 0; /* n = 0 */
    spit(bad, b, n);
    expect_load_error(bad, SM_ERR_FORMAT, "bad sizes");
    /* missing */
    {
        sm_error e2 = {0};
        assert_null(sm_pcakm_model_load(path_in_tmp("absent.model"), &e2));
        assert_int_equal(e2.code, SM_ERR_IO);
    }
    free(b);
    sm_pcakm_model_free(md);
}

static void test_build_errors(void **state)
{
    double pts[4] = {0.1, 0.2, 0.3, 0.4}, f[4] = {1, 2, 3, 4};
    sm_pcakm_params pp = sm_pcakm_params_default();
    sm_error err = {0};
    sm_pcakm_model *md;
    (void)state;
    assert_null(sm_pcakm_model_build(pts, 0, 2, f, 2, &pp, 1, &err));
    assert_int_equal(err.code, SM_ERR_ARG);
    f[3] = NAN;
    sm_error_clear(&err);
    assert_null(sm_pcakm_model_build(pts, 2, 2, f, 2, &pp, 1, &err));
    assert_int_equal(err.code, SM_ERR_NONFINITE);
    assert_non_null(strstr(err.msg, "item 1"));
    f[3] = 4;
    pts[2] = 1.5;
    sm_error_clear(&err);
    assert_null(sm_pcakm_model_build(pts, 2, 2, f, 2, &pp, 1, &err));
    assert_int_equal(err.code, SM_ERR_RANGE);
    pts[2] = 0.3;
    pp.var_frac = 0;
    assert_null(sm_pcakm_model_build(pts, 2, 2, f, 2, &pp, 1, &err));
    /* a tiny dataset: more clusters than items means one per item; constant features work */
    pp = sm_pcakm_params_default();
    f[0] = f[2] = 1;
    md = sm_pcakm_model_build(pts, 2, 2, f, 2, &pp, 1, &err);
    assert_non_null(md);
    assert_int_equal(sm_pcakm_model_clusters(md), 2);
    sm_pcakm_model_free(md);
    sm_pcakm_model_free(NULL);
}

/* ---- the optimizer ------------------------------------------------------------------------- */

#define TD 4
#define TM 5
#define TN 400

static void toy_features(const double *x, double *f)
{
    f[0] = x[0] + x[1];
    f[1] = x[0] - x[1];
    f[2] = x[2] * x[2];
    f[3] = sin(2 * x[3]);
    f[4] = x[2] + x[3];
}

static const double truth[TD] = {0.31, 0.72, 0.45, 0.6};

typedef struct {
    size_t evals;
    double first[16 * TD]; /* the first points asked */
} toy_ctx;

/* cost: squared distance between the features of x and of the truth */
static int toy_score(void *p, const double *x, size_t k, size_t d, double *cost)
{
    toy_ctx *c = p;
    double ft[TM], fx[TM];
    size_t i, j;
    toy_features(truth, ft);
    for (i = 0; i < k; i++) {
        toy_features(x + i * d, fx);
        cost[i] = 0;
        for (j = 0; j < TM; j++) cost[i] += (fx[j] - ft[j]) * (fx[j] - ft[j]);
        if (c->evals < 16) memcpy(c->first + c->evals * TD, x + i * d, TD * sizeof *x);
        c->evals++;
    }
    return 0;
}

static void test_optimizer(void **state)
{
    static sm_param tp[TD];
    sm_param_space s = {TD, tp};
    double *pts = random_points(TN, TD, 21), *f = malloc(TN * TM * sizeof *f), target[TM];
    double best_x[TD], best, start_best = INFINITY, dummy[TM];
    sm_pcakm_params pp = sm_pcakm_params_default();
    sm_pcakm_model *md;
    sm_opt_setting st = {"starts", "6", 2};
    sm_opt_config cfg;
    sm_error err = {0};
    toy_ctx ctx;
    size_t idx[6], n, i, j;
    long used;
    (void)state;
    for (i = 0; i < TD; i++) {
        sm_param p = {"x", "", SM_PARAM_REAL, 0, 1, 0.5, 0, NULL};
        tp[i] = p;
    }
    for (i = 0; i < TN; i++) toy_features(pts + i * TD, f + i * TM);
    toy_features(truth, target);
    pp.k = 8;
    md = sm_pcakm_model_build(pts, TN, TD, f, TM, &pp, 5, &err);
    assert_non_null(md);
    n = sm_pcakm_query(md, target, 6, idx);
    assert_int_equal(n, 6);
    memset(&cfg, 0, sizeof cfg);
    cfg.budget = 400;
    cfg.settings = &st;
    cfg.n_settings = 1;
    cfg.source = "toy.ini";
    cfg.side_model = md;
    cfg.target_features = target;
    memset(&ctx, 0, sizeof ctx);
    used = sm_minimize(&sm_optimizer_pcakm, &s, &cfg, 3, 16, toy_score, &ctx, best_x, &best, &err);
    assert_int_equal(used, 400);
    /* the first 6 points are the query's members, in order */
    for (i = 0; i < 6; i++) {
        double c;
        toy_ctx tmp;
        memset(&tmp, 0, sizeof tmp);
        for (j = 0; j < TD; j++)
            assert_close(ctx.first[i * TD + j], sm_pcakm_model_point(md, idx[i])[j], 0);
        toy_score(&tmp, sm_pcakm_model_point(md, idx[i]), 1, TD, &c);
        if (c < start_best) start_best = c;
    }
    print_message("pcakm: best start %.3g, after gd %.3g (x = %.3f %.3f %.3f %.3f)\n",
                  start_best, best, best_x[0], best_x[1], best_x[2], best_x[3]);
    /* measured: best start 0.0182, after gd 5.4e-5 with x within 0.005 of the truth */
    assert_true(start_best < 0.05);        /* the nearest cluster holds good starts ... */
    assert_true(best < 1e-3);              /* ... and gd refines the best of them */
    assert_true(best < start_best / 10);
    for (j = 0; j < TD; j++) assert_close(best_x[j], truth[j], 0.02);
    (void)dummy;
    /* errors: no model, wrong dimension, a bad gd setting passed through */
    {
        sm_opt_config c2 = cfg;
        sm_param_space s3 = {3, tp};
        sm_opt_setting badlr = {"lr", "-1", 7};
        sm_error e = {0};
        c2.side_model = NULL;
        assert_null(sm_optimizer_pcakm.alloc(&s, &c2, 1, &e));
        assert_non_null(strstr(e.msg, "pcakm needs a model"));
        c2.side_model = md;
        sm_error_clear(&e);
        assert_null(sm_optimizer_pcakm.alloc(&s3, &c2, 1, &e));
        assert_non_null(strstr(e.msg, "parameter space"));
        c2.settings = &badlr;
        sm_error_clear(&e);
        assert_null(sm_optimizer_pcakm.alloc(&s, &c2, 1, &e));
        assert_non_null(strstr(e.msg, "toy.ini:7"));
        assert_non_null(strstr(e.msg, "lr"));
    }
    /* a budget smaller than starts: only the first starts are asked */
    {
        toy_ctx c3;
        memset(&c3, 0, sizeof c3);
        cfg.budget = 4;
        used = sm_minimize(&sm_optimizer_pcakm, &s, &cfg, 3, 16, toy_score, &c3, best_x, &best,
                           &err);
        assert_int_equal(used, 4);
    }
    sm_pcakm_model_free(md);
    free(pts);
    free(f);
}

/* pcakm passes gd's settings on: its keys are `starts` and exactly gd's keys. */
static void test_keys_match_gd(void **state)
{
    const char *const *pk = sm_optimizer_pcakm.keys, *const *gk = sm_optimizer_gd.keys;
    size_t i;
    (void)state;
    assert_string_equal(pk[0], "starts");
    for (i = 0; gk[i]; i++) {
        assert_non_null(pk[i + 1]);
        assert_string_equal(pk[i + 1], gk[i]);
    }
    assert_null(pk[i + 1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pca_plane),
        cmocka_unit_test(test_kmeans_blobs),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_build_errors),
        cmocka_unit_test(test_optimizer),
        cmocka_unit_test(test_keys_match_gd),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
