/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_datasets_timbre.c: the timbre space of human DX7 voices and the voices drawn from
 * it (datasets/timbre.h): the encoding's round trip on the shared banks, the PCA round trip,
 * the cache, and generation (kind, garbage, distance from human voices, names, determinism at
 * any thread count). The model is built once from every 16th voice of voices31380.bin. */
#include "test_util.h"

#include "datasets/timbre.h"
#include "synths/fm6.h"

static char subset[4200], cache[4200];
static sm_timbre *model;

/* 1 if operator op of a and b plays the same frequency (coarse and fine may differ: (3, 40)
 * and (4, 5) are both ratio 4.2; a fixed coarse counts modulo 4). */
static int same_frequency(const double *a, const double *b, int op)
{
    const int m = (int)a[SM_FM6_OP(op, SM_FM6_OSC_MODE)];
    const double ca = a[SM_FM6_OP(op, SM_FM6_COARSE)], cb = b[SM_FM6_OP(op, SM_FM6_COARSE)];
    const double fa = a[SM_FM6_OP(op, SM_FM6_FINE)], fb = b[SM_FM6_OP(op, SM_FM6_FINE)];
    if (m != (int)b[SM_FM6_OP(op, SM_FM6_OSC_MODE)]) return 0;
    if (m) return ((int)ca & 3) == ((int)cb & 3) && fa == fb;
    return fabs((ca == 0 ? 0.5 : ca) * (1 + fa / 100) - (cb == 0 ? 0.5 : cb) * (1 + fb / 100)) <
           1e-9;
}

/* a and b are the same voice, frequencies compared as sounds. */
static int same_voice(const double *a, const double *b)
{
    int p, op;
    for (op = 1; op <= 6; op++)
        if (!same_frequency(a, b, op)) return 0;
    for (p = 0; p < SM_FM6_NPARAMS; p++) {
        int f = p < 126 ? p % SM_FM6_OP_NPARAMS : -1;
        if (f == SM_FM6_COARSE || f == SM_FM6_FINE) continue;
        if (a[p] != b[p]) return 0;
    }
    return 1;
}

/* Every voice of the shared banks comes back from its encoding. */
static void test_encoding_round_trip(void **state)
{
    static const char *const banks[] = {"rom1a.syx", "rom1b.syx", "rom2a.syx", "rom2b.syx",
                                        "rom3a.syx", "vrc101a.syx", "meadows_01_keys.syx"};
    double x[SM_TIMBRE_DIM], back[SM_FM6_NPARAMS], nat[SM_FM6_NPARAMS];
    size_t b, i, total = 0;
    char name[64];
    (void)state;
    SM_TEST_NEED_SHARED();
    for (b = 0; b < sizeof banks / sizeof *banks; b++) {
        sm_dx7_bank bank;
        sm_error err = {0};
        char path[4200];
        snprintf(path, sizeof path, "dx7/%s", banks[b]);
        assert_int_equal(sm_dx7_load(sm_test_shared_path(path), &bank, &err), 0);
        for (i = 0; i < bank.n; i++) {
            int j;
            sm_dx7_voice_to_native(&bank.voices[i], nat);
            sm_timbre_encode(nat, 60, x);
            for (j = 0; j < SM_TIMBRE_DIM; j++) assert_true(x[j] >= 0 && x[j] <= 2.0 + 1e-12);
            sm_timbre_decode(x, 60, 0, SM_TIMBRE_FIXED_KEEP, back);
            if (!same_voice(nat, back)) print_error("%s voice %zu\n", banks[b], i + 1);
            assert_true(same_voice(nat, back));
            total++;
        }
        sm_dx7_bank_free(&bank);
    }
    assert_int_equal(total, 224);
    /* the layout: operator 1's output level sits where its name says, as level / 99 */
    {
        sm_dx7_voice v;
        int j, found = 0;
        sm_dx7_voice_init(&v);
        sm_dx7_voice_to_native(&v, nat);
        nat[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)] = 66;
        sm_timbre_encode(nat, 60, x);
        for (j = 0; j < SM_TIMBRE_DIM; j++) {
            sm_timbre_dim_name(j, name, sizeof name);
            if (strcmp(name, "op1 output level") == 0) {
                assert_close(x[j], 66.0 / 99, 1e-12);
                found++;
            }
        }
        assert_int_equal(found, 1);
        sm_timbre_dim_name(SM_TIMBRE_DIM - 1, name, sizeof name);
        assert_string_equal(name, "transpose");
        sm_timbre_dim_name(SM_TIMBRE_DIM, name, sizeof name);
        assert_string_equal(name, "?");
        /* the algorithm can be forced; fixed mode can be decoded away */
        nat[SM_FM6_OP(2, SM_FM6_OSC_MODE)] = 1;
        sm_timbre_encode(nat, 60, x);
        sm_timbre_decode(x, 60, 17, SM_TIMBRE_FIXED_NEVER, back);
        assert_close(back[SM_FM6_ALGORITHM], 17, 0);
        assert_close(back[SM_FM6_OP(2, SM_FM6_OSC_MODE)], 0, 0);
    }
}

static void test_model_pca(void **state)
{
    const size_t n = sm_timbre_count(model), q = sm_timbre_components(model);
    double total = 0, kept = 0, z[SM_TIMBRE_DIM], back[SM_FM6_NPARAMS];
    size_t c, c2, i;
    int j;
    (void)state;
    if (!model) skip();
    assert_int_equal(n, 1962);
    /* eigenvalues descending, summing to the total; the kept ones explain var_frac */
    for (c = 0; c < SM_TIMBRE_DIM; c++) {
        if (c > 0) assert_true(sm_timbre_variance(model, c) <= sm_timbre_variance(model, c - 1));
        total += sm_timbre_variance(model, c);
        if (c < q) kept += sm_timbre_variance(model, c);
    }
    assert_close(total, sm_timbre_total_variance(model), 1e-9 * total);
    assert_true(kept >= 0.9 * total && q < SM_TIMBRE_DIM);
    /* the components are orthonormal */
    for (c = 0; c < 5; c++)
        for (c2 = 0; c2 < 5; c2++) {
            double dot = 0;
            for (j = 0; j < SM_TIMBRE_DIM; j++)
                dot += sm_timbre_loading(model, j, c) * sm_timbre_loading(model, j, c2);
            assert_close(dot, c == c2, 1e-9);
        }
    /* with every component, projecting and reconstructing gives every voice back */
    for (i = 0; i < n; i += 7) {
        const double *nat = sm_timbre_native(model, i);
        sm_timbre_project(model, nat, SM_TIMBRE_DIM, z);
        sm_timbre_reconstruct(model, z, SM_TIMBRE_DIM, 0, SM_TIMBRE_FIXED_KEEP, back);
        assert_true(same_voice(nat, back));
    }
    assert_null(sm_timbre_native(model, n));
    assert_int_equal(sm_timbre_cluster_of(model, n), -1);
}

/* The round trip in parameters and in sound: exact with every component, worse with fewer. */
static void test_round_trip_measure(void **state)
{
    sm_timbre_roundtrip full, kept, few;
    sm_error err = {0};
    (void)state;
    if (!model) skip();
    assert_int_equal(sm_timbre_round_trip(model, 20, SM_TIMBRE_DIM, 2, &full, &err), 0);
    assert_int_equal(sm_timbre_round_trip(model, 20, 0, 2, &kept, &err), 0);
    assert_int_equal(sm_timbre_round_trip(model, 20, 4, 2, &few, &err), 0);
    assert_true(full.n > 80);
    assert_int_equal(full.n, kept.n);
    /* all but frequencies spelt another way come back; those render the same */
    assert_true(full.params_exact > 0.99);
    assert_close(full.logmel_median_db, 0, 1e-9);
    assert_close(full.param_error, 0, 0.005);
    assert_true(kept.param_error > full.param_error && few.param_error > kept.param_error);
    assert_true(kept.logmel_median_db > 0 && kept.logmel_median_db < few.logmel_median_db);
    assert_int_equal(sm_timbre_round_trip(model, 0, 4, 2, &few, &err), SM_ERR_ARG);
}

/* A second open loads the cache; a corrupt cache is rebuilt to the same model. */
static void test_cache(void **state)
{
    sm_timbre_config c = sm_timbre_config_default();
    sm_timbre_info info;
    sm_error err = {0};
    sm_timbre *m2;
    size_t i;
    (void)state;
    if (!model) skip();
    c.voices_file = subset;
    c.cache_dir = cache;
    c.clusters = 16;
    c.threads = 2;
    c.cache_only = 1;
    m2 = sm_timbre_open(&c, &err);
    assert_non_null(m2);
    sm_timbre_get_info(m2, &info);
    assert_int_equal(info.loaded, 1);
    assert_int_equal(sm_timbre_components(m2), sm_timbre_components(model));
    for (i = 0; i < sm_timbre_count(model); i++) {
        assert_memory_equal(sm_timbre_descr(m2, i), sm_timbre_descr(model, i),
                            sizeof(sm_voice_descr));
        assert_int_equal(sm_timbre_kind(m2, i), sm_timbre_kind(model, i));
        assert_int_equal(sm_timbre_cluster_of(m2, i), sm_timbre_cluster_of(model, i));
    }
    sm_timbre_free(m2);
    /* flip one byte of the payload: not trusted, and cache_only then finds nothing */
    {
        FILE *f = fopen(info.cache_file, "r+b");
        int ch;
        assert_non_null(f);
        assert_int_equal(fseek(f, 4000, SEEK_SET), 0);
        ch = fgetc(f);
        assert_int_equal(fseek(f, 4000, SEEK_SET), 0);
        fputc(ch ^ 0x55, f);
        fclose(f);
    }
    assert_null(sm_timbre_open(&c, &err));
    assert_int_equal(err.code, SM_ERR_NOTFOUND);
    c.cache_only = 0;
    c.no_cache = 1;
    c.cache_only = 1;
    assert_null(sm_timbre_open(&c, &err));
    assert_int_equal(err.code, SM_ERR_CONFIG);
}

static void check_generated(const sm_generated *g, size_t n, int kind, int algorithm)
{
    size_t i, j;
    for (i = 0; i < n; i++) {
        double nat[SM_FM6_NPARAMS], f[SM_VOICE_NFEAT];
        sm_voice_descr d;
        sm_voice_analyser *an;
        sm_error err = {0};
        char name[SM_DX7_NAME_LEN + 1], other[SM_DX7_NAME_LEN + 1];
        /* the voice as stored renders and sounds as it was judged */
        sm_dx7_voice_to_native(&g[i].voice, nat);
        assert_memory_equal(nat, g[i].native, sizeof nat);
        an = sm_voice_analyser_alloc(sm_timbre_render_config(model), &err);
        assert_non_null(an);
        assert_int_equal(sm_voice_analyse(an, nat, &d), 0);
        sm_voice_analyser_free(an);
        assert_memory_equal(&d, &g[i].descr, sizeof d);
        assert_int_equal(sm_garbage_check(&d, NULL, sm_kind_pitched(kind)), 0);
        sm_voice_features(&d, f);
        if (kind != SM_KIND_NONE)
            assert_int_equal(sm_kind_classify(sm_timbre_classifier(model), f, NULL), kind);
        if (algorithm) assert_close(nat[SM_FM6_ALGORITHM], algorithm, 0);
        assert_true(sm_timbre_nearest_bytes(model, nat, NULL) >= 6);
        assert_int_equal(sm_timbre_nearest_bytes(model, nat, NULL), g[i].nearest_bytes);
        sm_dx7_voice_name(&g[i].voice, name);
        assert_true(strlen(name) >= 2);
        for (j = i - i % 32; j < i; j++) {
            sm_dx7_voice_name(&g[j].voice, other);
            assert_string_not_equal(name, other);
        }
    }
}

static void test_generate(void **state)
{
    sm_generate_config g = sm_generate_config_default();
    sm_generated a[12], b[12];
    sm_generate_stats sa, sb;
    size_t na, nb, i;
    sm_error err = {0};
    (void)state;
    if (!model) skip();
    g.count = 12;
    g.kind = SM_KIND_PAD;
    g.seed = 7;
    g.threads = 1;
    assert_int_equal(sm_timbre_generate(model, &g, a, &na, &sa, &err), 0);
    assert_int_equal(na, 12);
    check_generated(a, na, SM_KIND_PAD, 0);
    assert_int_equal(sa.accepted, 12);
    assert_int_equal(sa.candidates, sa.accepted + sa.garbage + sa.wrong_kind + sa.too_close +
                                        sa.repeated);
    assert_int_equal(sa.with_fixed, 0); /* pads: ratio operators only */
    /* the same seed at another thread count: the same voices, names and counts */
    g.threads = 2;
    assert_int_equal(sm_timbre_generate(model, &g, b, &nb, &sb, &err), 0);
    assert_int_equal(nb, na);
    for (i = 0; i < na; i++) {
        assert_memory_equal(&a[i].voice, &b[i].voice, sizeof a[i].voice);
        assert_int_equal(a[i].candidate, b[i].candidate);
    }
    assert_memory_equal(&sa, &sb, sizeof sa);
    /* another seed: other voices */
    g.seed = 8;
    assert_int_equal(sm_timbre_generate(model, &g, b, &nb, &sb, &err), 0);
    assert_true(memcmp(&a[0].voice, &b[0].voice, sizeof a[0].voice) != 0);
    /* one algorithm, any kind */
    g = sm_generate_config_default();
    g.count = 6;
    g.algorithm = 5;
    assert_int_equal(sm_timbre_generate(model, &g, a, &na, &sa, &err), 0);
    assert_int_equal(na, 6);
    check_generated(a, na, SM_KIND_NONE, 5);
    /* bad requests */
    g.algorithm = 33;
    assert_int_equal(sm_timbre_generate(model, &g, a, &na, &sa, &err), SM_ERR_RANGE);
    g.algorithm = 0;
    g.count = 0;
    assert_int_equal(sm_timbre_generate(model, &g, a, &na, &sa, &err), SM_ERR_RANGE);
    assert_int_equal(sm_timbre_generate(NULL, &g, a, &na, &sa, &err), SM_ERR_ARG);
}

static int setup(void **state)
{
    const char *dir = sm_test_tmpdir();
    const char *full = sm_test_shared() ? sm_test_shared_path("dx7/voices31380.bin") : NULL;
    sm_timbre_config c = sm_timbre_config_default();
    sm_error err = {0};
    FILE *in, *out;
    unsigned char v[128];
    size_t i = 0;
    (void)state;
    if (!dir || !full) return 0; /* the tests that need the model skip */
    snprintf(subset, sizeof subset, "%s/subset.bin", dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    in = fopen(full, "rb");
    out = fopen(subset, "wb");
    if (!in || !out) return -1;
    while (fread(v, 1, sizeof v, in) == sizeof v)
        if (i++ % 16 == 0) fwrite(v, 1, sizeof v, out);
    fclose(in);
    fclose(out);
    c.voices_file = subset;
    c.cache_dir = cache;
    c.clusters = 16;
    c.threads = 2;
    model = sm_timbre_open(&c, &err);
    if (!model) print_error("timbre model: %s\n", err.msg);
    return model ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sm_timbre_free(model);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoding_round_trip), cmocka_unit_test(test_model_pca),
        cmocka_unit_test(test_round_trip_measure),  cmocka_unit_test(test_cache),
        cmocka_unit_test(test_generate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
