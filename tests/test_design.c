/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_design.c: sound design by descriptors (datasets/descr_index.h,
 * experiments/design.h): the descriptor index and its cache, the descriptor cost term,
 * design reaching the descriptors of a patch the index does not hold, the same result at 1
 * and 2 threads, morphs in both modes, the morph page, the report's descriptor table, and
 * the experiment keys [cost] descriptors and [target] descriptors, run end to end. */
#include "tests/test_util.h"
#include "core/audio.h"
#include "core/fileio.h"
#include "datasets/descr_index.h"
#include "experiments/design.h"
#include "experiments/experiment.h"
#include "experiments/morph_page.h"
#include "experiments/report_descr.h"
#include "experiments/runner.h"
#include "synths/drum.h"

#pragma GCC diagnostic ignored "-Wformat-truncation"

#define SR 44100.0

/* The whole of a text file (free()); *len its length. */
static char *slurp_text(const char *path, size_t *len)
{
    unsigned char *d = NULL;
    sm_error err = {0};
    if (sm_read_file(path, 0, &d, len, &err) != 0) fail_msg("%s", err.msg);
    return (char *)d;
}

/* A drum index of 300 random patches (plus the shared presets when present), cached in dir. */
static sm_dindex *drum_index(const char *cache, int with_presets, sm_error *err)
{
    sm_dindex_config c = sm_dindex_config_default(&sm_synth_drum);
    static char p1[4096], p2[4096];
    c.note = sm_design_note(&sm_synth_drum);
    c.note.length_s = 0.5;
    c.n_random = 300;
    c.seed = 3;
    c.cache_dir = cache;
    c.no_cache = cache == NULL;
    if (with_presets && sm_test_shared()) {
        snprintf(p1, sizeof p1, "%s", sm_test_shared_path("microtonic/default.mtpreset"));
        snprintf(p2, sizeof p2, "%s", sm_test_shared_path("microtonic/supertonic_default.mtpreset"));
        c.patch_files[0] = p1;
        c.patch_files[1] = p2;
        c.n_patch_files = 2;
    }
    return sm_dindex_open(&c, err);
}

/* A drum patch the index does not hold: a tuned sine kick with a little noise. */
static void kick_patch(double *native)
{
    sm_params_defaults(sm_synth_drum.space, native);
    native[SM_DRUM_OSC_WAVE] = SM_DRUM_WAVE_SINE;
    native[SM_DRUM_OSC_FREQ_HZ] = 70;
    native[SM_DRUM_OSC_DCY_MS] = 300;
    native[SM_DRUM_MOD_MODE] = SM_DRUM_MOD_DECAY;
    native[SM_DRUM_MOD_AMT_ST] = 18;
    native[SM_DRUM_MIX_OSC_PCT] = 85;
    native[SM_DRUM_NENV_DCY_MS] = 60;
    native[SM_DRUM_LEVEL_DB] = -6;
}

static void test_index_and_cache(void **state)
{
    const char *tmp = sm_test_tmpdir();
    char *cache = sm_path_join(tmp, "cache");
    sm_error err = {0};
    sm_dindex *a, *b;
    sm_descr_goal g;
    double w[SM_D_COUNT], scale[SM_D_COUNT], dist[5];
    size_t ids[5], n = 0, i, sounding = 0;
    int d;
    (void)state;
    a = drum_index(cache, 0, &err);
    if (!a) fail_msg("%s", err.msg);
    assert_int_equal(sm_dindex_count(a), 300);
    assert_int_equal(sm_dindex_from_cache(a), 0);
    assert_string_equal(sm_dindex_name(a, 0), "random 1");
    for (i = 0; i < 300; i++) sounding += sm_dindex_means(a, i) != NULL;
    assert_true(sounding > 200);
    /* the second open reads the cache, with the same values */
    b = drum_index(cache, 0, &err);
    if (!b) fail_msg("%s", err.msg);
    assert_int_equal(sm_dindex_from_cache(b), 1);
    for (i = 0; i < 300; i++) {
        const sm_descr_means *ma = sm_dindex_means(a, i), *mb = sm_dindex_means(b, i);
        assert_true((ma == NULL) == (mb == NULL));
        if (ma) assert_memory_equal(ma, mb, sizeof *ma);
    }
    sm_dindex_free(b);
    /* a query for an indexed patch's own descriptors finds it first, at distance 0 */
    for (i = 0; !sm_dindex_means(a, i); i++) {}
    memset(&g, 0, sizeof g);
    g.means = *sm_dindex_means(a, i);
    for (d = 0; d < SM_D_COUNT; d++) g.given[d] = 1, w[d] = 1;
    sm_descr_scales("drum", scale);
    assert_int_equal(sm_dindex_query(a, &g, w, scale, 5, ids, dist, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(ids[0], i);
    assert_close(dist[0], 0, 0);
    for (i = 1; i < 5; i++) assert_true(dist[i] >= dist[i - 1]);
    memset(&g, 0, sizeof g);
    assert_int_equal(sm_dindex_query(a, &g, w, scale, 5, ids, dist, &n, &err), SM_ERR_ARG);
    sm_dindex_free(a);
    sm_dindex_free(NULL);
    free(cache);
}

static void test_index_errors(void **state)
{
    sm_dindex_config c = sm_dindex_config_default(&sm_synth_drum);
    sm_error err = {0};
    (void)state;
    assert_int_equal(sm_dindex_config_check(&c, &err), SM_ERR_CONFIG);   /* nothing to index */
    assert_non_null(strstr(err.msg, "neither"));
    c.n_random = 10;
    c.every = 0;
    assert_int_equal(sm_dindex_config_check(&c, &err), SM_ERR_CONFIG);
    c.every = 1;
    c.note.length_s = 0;
    assert_int_equal(sm_dindex_config_check(&c, &err), SM_ERR_CONFIG);
    c.note.length_s = 0.5;
    c.patch_files[0] = "/nonexistent/kit.mtpreset";
    c.n_patch_files = 1;
    c.no_cache = 1;
    assert_null(sm_dindex_open(&c, &err));
    assert_non_null(strstr(err.msg, "/nonexistent/kit.mtpreset"));
    c.synth = &sm_synth_neuron;   /* no patch files for the neuron */
    assert_int_equal(sm_dindex_config_check(&c, &err), SM_ERR_CONFIG);
}

/* The cost term: 0 for the target itself, each descriptor's error over its spread, a goal
 * that moves a mean moves the cost's zero with it. */
static void test_descriptor_cost(void **state)
{
    double native[SM_DRUM_NPARAMS];
    sm_note note = sm_design_note(&sm_synth_drum);
    sm_cost_config c = sm_cost_config_default(SR);
    sm_cost_target *t;
    sm_cost *cs;
    sm_descr_goal g;
    sm_descr_means m;
    sm_error err = {0};
    float *x = NULL;
    size_t n = 0;
    int d;
    (void)state;
    kick_patch(native);
    note.length_s = 0.5;
    assert_int_equal(sm_synth_render_note(&sm_synth_drum, SR, native, &note, &x, &n, &err), 0);
    assert_int_equal(sm_describe(x, n, SR, &m, NULL, NULL, NULL, &err), 0);
    c.w_mfcc = 0;
    for (d = 0; d < SM_D_COUNT; d++) c.w_descr[d] = 1;
    c.w_descr_traj = 1;
    sm_descr_scales("drum", c.descr_scale);
    t = sm_cost_target_alloc(&c, x, n, &err);
    if (!t) fail_msg("%s", err.msg);
    cs = sm_cost_alloc(t, &err);
    assert_non_null(cs);
    assert_close(sm_cost_eval(cs, x, n), 0, 1e-12);
    sm_cost_free(cs);
    sm_cost_target_free(t);
    /* a goal of the sound's own values with brightness an octave higher: the sound itself
     * now costs one octave over the brightness spread (means), trajectories off */
    c.w_descr_traj = 0;
    memset(&g, 0, sizeof g);
    g.means = m;
    g.means.cmp[SM_D_BRIGHTNESS] += 1.0;
    g.given[SM_D_BRIGHTNESS] = 1;
    for (d = 0; d < SM_D_COUNT; d++) c.w_descr[d] = d == SM_D_BRIGHTNESS;
    t = sm_cost_target_alloc_goal(&c, NULL, n, &g, &err);
    if (!t) fail_msg("%s", err.msg);
    cs = sm_cost_alloc(t, &err);
    assert_close(sm_cost_eval(cs, x, n), 1.0 / c.descr_scale[SM_D_BRIGHTNESS], 1e-9);
    sm_cost_free(cs);
    sm_cost_target_free(t);
    /* values alone cannot be scored by the other terms */
    c.w_mfcc = 1;
    assert_null(sm_cost_target_alloc_goal(&c, NULL, n, &g, &err));
    assert_int_equal(err.code, SM_ERR_CONFIG);
    /* a silent recording has no descriptors */
    c.w_mfcc = 0;
    memset(x, 0, n * sizeof *x);
    assert_null(sm_cost_target_alloc(&c, x, n, &err));
    assert_int_equal(err.code, SM_ERR_EMPTY);
    c.w_descr[SM_D_LOUDNESS] = -1;
    assert_int_equal(sm_cost_config_check(&c, &err), SM_ERR_CONFIG);
    free(x);
}

/* Design reaches the seven descriptors of a patch the index does not hold (an indexed patch
 * with three of its settings moved), each within 0.1 of its spread, and gives the same patch
 * at 1 and 2 threads. */
static void test_design_reaches_goal(void **state)
{
    double native[SM_DRUM_NPARAMS];
    sm_design_config c;
    sm_design_result r1, r2;
    sm_descr_goal g;
    sm_dindex *idx;
    sm_error err = {0};
    float *x = NULL;
    size_t n = 0;
    int d;
    (void)state;
    idx = drum_index(NULL, 1, &err);
    if (!idx) fail_msg("%s", err.msg);
    c = sm_design_config_default(&sm_synth_drum, idx);
    c.note.length_s = 0.5;
    c.budget = 1500;
    c.threads = 1;
    for (d = 0; !sm_dindex_means(idx, (size_t)d) ||
                isnan(sm_dindex_means(idx, (size_t)d)->cmp[SM_D_PITCH]); d++) {}
    memcpy(native, sm_dindex_native(idx, (size_t)d), sizeof native);
    native[SM_DRUM_OSC_FREQ_HZ] *= 1.3;
    native[SM_DRUM_OSC_DCY_MS] *= 0.7;
    native[SM_DRUM_LEVEL_DB] -= 4;
    memset(&g, 0, sizeof g);
    assert_int_equal(sm_dindex_describe_patch(&sm_synth_drum, SR, &c.note, native, &g.means, &x,
                                              &n, &err), 0);
    for (d = 0; d < SM_D_COUNT; d++) g.given[d] = 1;
    if (sm_design_run(&c, &g, NULL, 0, NULL, 0, &r1, &err) != 0) fail_msg("%s", err.msg);
    print_message("design: %zu evaluations, errors", r1.evals);
    for (d = 0; d < SM_D_COUNT; d++) print_message(" %.3f", r1.error[d]);
    print_message("\n");
    for (d = 0; d < SM_D_COUNT; d++) assert_true(r1.error[d] <= 0.1);
    assert_int_equal(r1.n, (size_t)(0.5 * SR));
    assert_non_null(r1.native);
    c.threads = 2;
    if (sm_design_run(&c, &g, NULL, 0, NULL, 0, &r2, &err) != 0) fail_msg("%s", err.msg);
    assert_memory_equal(r1.native, r2.native, SM_DRUM_NPARAMS * sizeof *r1.native);
    assert_int_equal(r1.evals, r2.evals);
    sm_design_result_free(&r2);
    /* the patch itself as an extra start: found at once */
    c.budget = 200;
    if (sm_design_run(&c, &g, NULL, 0, native, 1, &r2, &err) != 0) fail_msg("%s", err.msg);
    for (d = 0; d < SM_D_COUNT; d++) assert_true(r2.error[d] <= 0.02);
    sm_design_result_free(&r2);
    /* nothing asked for */
    memset(g.given, 0, sizeof g.given);
    assert_int_equal(sm_design_run(&c, &g, NULL, 0, NULL, 0, &r2, &err), SM_ERR_ARG);
    c.budget = 0;
    assert_int_equal(sm_design_config_check(&c, &err), SM_ERR_CONFIG);
    sm_design_result_free(&r1);
    sm_design_result_free(&r1);
    sm_dindex_free(idx);
    free(x);
}

static void test_interpolate(void **state)
{
    sm_descr_means a, b, m;
    int d;
    (void)state;
    for (d = 0; d < SM_D_COUNT; d++) a.cmp[d] = 0, b.cmp[d] = 10;
    a.cmp[SM_D_PITCH] = 40;
    b.cmp[SM_D_PITCH] = 52;
    sm_morph_interpolate(&a, &b, 0.25, &m);
    assert_close(m.cmp[SM_D_LOUDNESS], 2.5, 1e-12);
    assert_close(m.cmp[SM_D_PITCH], 43, 1e-12);
    b.cmp[SM_D_PITCH] = NAN;   /* an unpitched end: the nearer end's pitch */
    sm_morph_interpolate(&a, &b, 0.25, &m);
    assert_close(m.cmp[SM_D_PITCH], 40, 0);
    assert_close(m.voiced, 1, 0);
    sm_morph_interpolate(&a, &b, 0.75, &m);
    assert_true(isnan(m.cmp[SM_D_PITCH]));
    assert_close(m.voiced, 0, 0);
}

/* Morphs between two patches in both modes: the ends are the patches themselves, every step
 * of the descriptor morph lies near its interpolated descriptors, the page and the CSV-free
 * parts of the result are written. */
static void test_morph(void **state)
{
    const char *tmp = sm_test_tmpdir();
    double na[SM_DRUM_NPARAMS], nb[SM_DRUM_NPARAMS];
    sm_design_config c;
    sm_morph_result rd, rp;
    sm_morph_end a, b;
    sm_morph_page page;
    sm_dindex *idx;
    sm_error err = {0};
    char *html = sm_path_join(tmp, "morph.html"), *text;
    size_t k, len;
    int d;
    (void)state;
    idx = drum_index(NULL, 0, &err);
    if (!idx) fail_msg("%s", err.msg);
    c = sm_design_config_default(&sm_synth_drum, idx);
    c.note.length_s = 0.5;
    c.budget = 800;
    kick_patch(na);
    kick_patch(nb);
    nb[SM_DRUM_NENV_MODE] = SM_DRUM_NENV_LINEAR;   /* a structural difference */
    nb[SM_DRUM_OSC_FREQ_HZ] = 110;
    nb[SM_DRUM_OSC_DCY_MS] = 150;
    nb[SM_DRUM_MIX_OSC_PCT] = 70;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    assert_int_equal(sm_dindex_describe_patch(&sm_synth_drum, SR, &c.note, na, &a.means, NULL, NULL, &err), 0);
    assert_int_equal(sm_dindex_describe_patch(&sm_synth_drum, SR, &c.note, nb, &b.means, NULL, NULL, &err), 0);
    a.native = na;
    b.native = nb;
    if (sm_morph_run(&c, &a, &b, 4, SM_MORPH_DESCRIPTORS, &rd, &err)) fail_msg("%s", err.msg);
    if (sm_morph_run(&c, &a, &b, 4, SM_MORPH_PARAMETERS, &rp, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rd.n_steps, 4);
    /* by parameters the ends are the patches themselves */
    assert_memory_equal(rp.native, na, sizeof na);
    assert_memory_equal(rp.native + 3 * SM_DRUM_NPARAMS, nb, sizeof nb);
    /* intermediate steps take A's or B's noise envelope */
    for (k = 1; k < 3; k++) {
        const double m = rp.native[k * SM_DRUM_NPARAMS + SM_DRUM_NENV_MODE];
        assert_true(m == SM_DRUM_NENV_EXP || m == SM_DRUM_NENV_LINEAR);
    }
    for (k = 0; k < 4; k++) {
        print_message("morph step %zu errors:", k + 1);
        for (d = 0; d < SM_D_COUNT; d++) print_message(" %.3f", rd.error[k * SM_D_COUNT + d]);
        print_message("\n");
    }
    /* the ends are the patches themselves; the steps between, designed from a 300-patch
     * index with 800 renders each, lie within 0.15 of the straight line on average (the
     * README's morphs, with the full index and budget, hold every descriptor within it) */
    for (k = 0; k < 4; k++) {
        double sum = 0;
        int m = 0;
        for (d = 0; d < SM_D_COUNT; d++) {
            const double e = rd.error[k * SM_D_COUNT + d];
            if (isnan(e)) continue;
            if (k == 0 || k == 3) assert_true(e <= 0.02);
            sum += e;
            m++;
        }
        assert_true(m >= 6 && sum / m <= 0.15);
    }
    memset(&page, 0, sizeof page);
    page.title_a = "a <kick>";
    page.title_b = "b";
    page.synth = "drum";
    page.sample_rate = SR;
    page.scale = c.scale;
    page.by_descriptors = &rd;
    page.by_parameters = &rp;
    assert_int_equal(sm_morph_page_write(html, &page, &err), 0);
    text = slurp_text(html, &len);
    assert_non_null(strstr(text, "a &lt;kick&gt;"));
    assert_non_null(strstr(text, "descriptors/step_4.wav"));
    assert_non_null(strstr(text, "data:image/png;base64,"));
    free(text);
    {
        sm_morph_result none;
        assert_int_equal(sm_morph_run(&c, &a, &b, 1, SM_MORPH_DESCRIPTORS, &none, &err),
                         SM_ERR_ARG);
        assert_null(none.native);
    }
    sm_morph_result_free(&rp);
    sm_morph_result_free(&rd);
    sm_dindex_free(idx);
    free(html);
}

/* The report's table: both files described, errors over the drum spreads; a silent file is a
 * note, not a failure. */
static void test_report_table(void **state)
{
    const char *tmp = sm_test_tmpdir();
    char *tw = sm_path_join(tmp, "t.wav"), *mw = sm_path_join(tmp, "m.wav"),
         *sw = sm_path_join(tmp, "s.wav"), *out = sm_path_join(tmp, "table.html"), *text;
    double native[SM_DRUM_NPARAMS];
    sm_note note = sm_design_note(&sm_synth_drum);
    sm_error err = {0};
    float *x = NULL, *z;
    size_t n = 0, len;
    FILE *f;
    (void)state;
    kick_patch(native);
    assert_int_equal(sm_synth_render_note(&sm_synth_drum, SR, native, &note, &x, &n, &err), 0);
    assert_int_equal(sm_audio_write_wav(tw, x, n, SR, SM_WAV_FLOAT, &err), 0);
    assert_int_equal(sm_audio_write_wav(mw, x, n, SR, SM_WAV_FLOAT, &err), 0);
    z = calloc(n, sizeof *z);
    assert_int_equal(sm_audio_write_wav(sw, z, n, SR, SM_WAV_FLOAT, &err), 0);
    f = fopen(out, "w");
    assert_non_null(f);
    assert_int_equal(sm_report_descr_table(f, tw, mw, "drum", &err), 0);
    assert_int_equal(sm_report_descr_table(f, tw, sw, "drum", &err), 0);
    assert_int_equal(sm_report_descr_table(f, "/nonexistent.wav", mw, "drum", &err), 0);
    assert_int_equal(sm_report_descr_table(NULL, tw, mw, "drum", &err), SM_ERR_ARG);
    fclose(f);
    text = slurp_text(out, &len);
    assert_non_null(strstr(text, "<table class=\"descr\">"));
    assert_non_null(strstr(text, "<td>tone-likeness</td><td>rolloff</td>"));
    assert_non_null(strstr(text, "<td>0.00</td>"));   /* the same sound: no error */
    assert_non_null(strstr(text, "No descriptors of the match"));
    assert_non_null(strstr(text, "is silent"));
    assert_non_null(strstr(text, "/nonexistent.wav"));
    free(text);
    free(x);
    free(z);
    free(tw);
    free(mw);
    free(sw);
    free(out);
}

static const char *VALUES_INI =
    "[target]\n"
    "descriptors = loudness:-20, brightness:800, pitch:none\n"
    "[synth]\n"
    "name = drum\n"
    "length_s = 0.4\n"
    "[cost]\n"
    "descriptors = all\n"
    "[optimizer cmaes]\n"
    "[run]\n"
    "budget = 120\n"
    "threads = 1\n";

static void test_experiment_keys(void **state)
{
    const char *tmp = sm_test_tmpdir();
    char *ini = sm_path_join(tmp, "values.ini"), *outd = sm_path_join(tmp, "values_run"), *csv;
    sm_experiment *e;
    sm_run_options o;
    sm_error err = {0};
    size_t len;
    (void)state;
    e = sm_experiment_parse(VALUES_INI, "/tmp/values.ini", &err);
    if (!e) fail_msg("%s", err.msg);
    assert_int_equal(e->n_targets, 1);
    assert_string_equal(e->targets[0].name, "descriptors");
    assert_non_null(e->targets[0].goal);
    assert_null(e->targets[0].path);
    assert_close(e->cost.w_mfcc, 0, 0);
    assert_close(e->cost.w_descr[SM_D_RICHNESS], 1, 0);
    assert_close(e->targets[0].goal->means.cmp[SM_D_BRIGHTNESS], log2(800), 1e-12);
    assert_int_equal(e->targets[0].goal->given[SM_D_TONE], 0);
    sm_experiment_free(e);
    /* run end to end: the values alone are matched */
    assert_int_equal(sm_write_file(ini, VALUES_INI, strlen(VALUES_INI), &err), 0);
    e = sm_experiment_load(ini, &err);
    if (!e) fail_msg("%s", err.msg);
    memset(&o, 0, sizeof o);
    o.out_dir = outd;
    o.no_report = 1;
    if (sm_experiment_run(e, &o, &err) != 0) fail_msg("%s", err.msg);
    sm_experiment_free(e);
    {
        char *p = sm_path_join(outd, "results.csv");
        csv = slurp_text(p, &len);
        assert_non_null(strstr(csv, "descriptors"));
        free(csv);
        free(p);
    }
    /* mistakes, each with the file, the line and what is wrong */
    e = sm_experiment_parse("[target]\ndescriptors = warmth:3\n[synth]\nname = drum\n"
                            "[cost]\ndescriptors = all\n[optimizer cmaes]\n[run]\nbudget = 10\n",
                            "bad.ini", &err);
    assert_null(e);
    assert_non_null(strstr(err.msg, "bad.ini:2: [target] descriptors: unknown descriptor 'warmth'"));
    e = sm_experiment_parse("[target]\ndescriptors = brightness:50000\n[synth]\nname = drum\n"
                            "[cost]\ndescriptors = all\n[optimizer cmaes]\n[run]\nbudget = 10\n",
                            "bad.ini", &err);
    assert_null(e);
    assert_non_null(strstr(err.msg, "outside its range"));
    e = sm_experiment_parse("[target]\ndescriptors = brightness:500\n[synth]\nname = drum\n"
                            "[optimizer cmaes]\n[run]\nbudget = 10\n", "bad.ini", &err);
    assert_null(e);
    assert_non_null(strstr(err.msg, "needs [cost] descriptors"));
    e = sm_experiment_parse("[target]\ndescriptors = brightness:500\n[synth]\nname = drum\n"
                            "[cost]\ndescriptors = all\nmfcc = 1\n[optimizer cmaes]\n[run]\n"
                            "budget = 10\n", "bad.ini", &err);
    assert_null(e);
    assert_non_null(strstr(err.msg, "only [cost] descriptors can score it"));
    e = sm_experiment_parse("[target]\nsynthetic = 1\n[synth]\nname = drum\n"
                            "[cost]\ndescriptors = loudness:2, sparkle\n[optimizer cmaes]\n[run]\n"
                            "budget = 10\n", "bad.ini", &err);
    assert_null(e);
    assert_non_null(strstr(err.msg, "bad.ini:6: [cost] descriptors: unknown descriptor 'sparkle'"));
    /* with other targets, the values replace theirs and the cost may mix terms */
    e = sm_experiment_parse("[target]\nsynthetic = 2\ndescriptors = brightness:500\n[synth]\n"
                            "name = drum\n[cost]\ndescriptors = brightness\nmfcc = 1\n"
                            "descriptors_trajectory = 0.5\n[optimizer cmaes]\n[run]\nbudget = 10\n",
                            "ok.ini", &err);
    if (!e) fail_msg("%s", err.msg);
    assert_int_equal(e->n_targets, 2);
    assert_non_null(e->targets[1].goal);
    assert_close(e->cost.w_mfcc, 1, 0);
    assert_close(e->cost.w_descr_traj, 0.5, 0);
    sm_experiment_free(e);
    free(ini);
    free(outd);
}

/* The morph page draws text with cairo, whose fontconfig keeps a cache until exit: not ours
 * to free, so LeakSanitizer is told to ignore it. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_and_cache),
        cmocka_unit_test(test_index_errors),
        cmocka_unit_test(test_descriptor_cost),
        cmocka_unit_test(test_design_reaches_goal),
        cmocka_unit_test(test_interpolate),
        cmocka_unit_test(test_morph),
        cmocka_unit_test(test_report_table),
        cmocka_unit_test(test_experiment_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
