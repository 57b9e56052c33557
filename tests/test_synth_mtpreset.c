/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_synth_mtpreset.c: Microtonic .mtpreset files (synths/mtpreset.c): the two shared
 * presets load with every value as written, the writer round-trips, malformed files fail with
 * the line, unknown keys warn, and the drum synth's patch hooks pick patches by number and
 * name. */
#include "tests/test_util.h"
#include "synths/mtpreset.h"

/* ---- an independent reading of the file's numbers, to compare against ---- */

typedef struct {
    int channel;
    char key[64];
    char value[256];
} kv_line;

/* Collects `Key: "value"` lines of the drum patches (between DrumPatches and Patterns) with
 * a plain line scan. Returns how many (at most max). */
static size_t scan_patch_lines(const char *path, kv_line *out, size_t max)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int in_patches = 0, channel = 0;
    size_t n = 0;
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        char *s = line, key[64], val[256];
        int ch;
        while (*s == '\t' || *s == ' ') s++;
        if (strncmp(s, "DrumPatches:", 12) == 0) in_patches = 1;
        if (strncmp(s, "Patterns:", 9) == 0) break;
        if (!in_patches) continue;
        if (sscanf(s, "\"%d\": {", &ch) == 1) {
            channel = ch;
            continue;
        }
        if (channel && sscanf(s, "%63[A-Za-z]: \"%255[^\"]\"", key, val) == 2 && n < max) {
            out[n].channel = channel;
            snprintf(out[n].key, sizeof out[n].key, "%s", key);
            snprintf(out[n].value, sizeof out[n].value, "%s", val);
            n++;
        }
    }
    fclose(f);
    return n;
}

static const sm_mtpreset_patch *patch_of(const sm_mtpreset *p, int channel)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        if (p->patches[i].channel == channel) return &p->patches[i];
    fail_msg("no channel %d", channel);
    return NULL;
}

/* Checks every number of the file's drum patches against what was loaded (within 0.01). */
static void check_against_text(const char *path, const sm_mtpreset *p)
{
    static const struct {
        const char *key;
        int param;
    } keys[] = {{"OscFreq", SM_DRUM_OSC_FREQ_HZ}, {"OscAtk", SM_DRUM_OSC_ATK_MS},
                {"OscDcy", SM_DRUM_OSC_DCY_MS},   {"ModAmt", SM_DRUM_MOD_AMT_ST},
                {"NFilFrq", SM_DRUM_NFIL_FREQ_HZ}, {"NFilQ", SM_DRUM_NFIL_Q},
                {"NEnvAtk", SM_DRUM_NENV_ATK_MS}, {"NEnvDcy", SM_DRUM_NENV_DCY_MS},
                {"Mix", SM_DRUM_MIX_OSC_PCT},     {"DistAmt", SM_DRUM_DIST_AMT},
                {"EQFreq", SM_DRUM_EQ_FREQ_HZ},   {"EQGain", SM_DRUM_EQ_GAIN_DB},
                {"Level", SM_DRUM_LEVEL_DB},      {"OscVel", SM_DRUM_OSC_VEL_PCT},
                {"NVel", SM_DRUM_NOISE_VEL_PCT},  {"ModVel", SM_DRUM_MOD_VEL_PCT}};
    kv_line lines[400];
    size_t n = scan_patch_lines(path, lines, 400), i, k, checked = 0;
    assert_true(n >= 8 * 27);
    for (i = 0; i < n; i++) {
        const sm_mtpreset_patch *pt = patch_of(p, lines[i].channel);
        double v = strtod(lines[i].value, NULL);
        for (k = 0; k < sizeof keys / sizeof *keys; k++) {
            if (strcmp(lines[i].key, keys[k].key) != 0) continue;
            assert_close(pt->native[keys[k].param], v, 0.01 + 1e-9);
            checked++;
        }
        if (strcmp(lines[i].key, "ModRate") == 0) {
            int mode = (int)pt->native[SM_DRUM_MOD_MODE];
            double r = sm_drum_mod_rate_value(mode, pt->native[SM_DRUM_MOD_RATE]);
            assert_true(strstr(lines[i].value, mode == SM_DRUM_MOD_DECAY ? "ms" : "Hz") != NULL);
            assert_close(r, v, 1e-6 * v);
            checked++;
        }
        if (strcmp(lines[i].key, "Name") == 0) assert_string_equal(pt->name, lines[i].value);
        if (strcmp(lines[i].key, "Path") == 0) assert_string_equal(pt->path, lines[i].value);
        if (strcmp(lines[i].key, "OscWave") == 0)
            assert_string_equal(sm_synth_drum.space->p[SM_DRUM_OSC_WAVE]
                                    .labels[(int)pt->native[SM_DRUM_OSC_WAVE]],
                                lines[i].value);
        if (strcmp(lines[i].key, "NFilMod") == 0)
            assert_string_equal(sm_synth_drum.space->p[SM_DRUM_NFIL_MODE]
                                    .labels[(int)pt->native[SM_DRUM_NFIL_MODE]],
                                lines[i].value);
        if (strcmp(lines[i].key, "NEnvMod") == 0)
            assert_string_equal(sm_synth_drum.space->p[SM_DRUM_NENV_MODE]
                                    .labels[(int)pt->native[SM_DRUM_NENV_MODE]],
                                lines[i].value);
        if (strcmp(lines[i].key, "Pan") == 0) assert_close(pt->pan, v, 1e-9);
    }
    assert_int_equal(checked, 8 * 17);
}

static void test_default_preset(void **state)
{
    sm_mtpreset p;
    sm_error err = {0};
    const sm_mtpreset_patch *pt;
    const char *path;
    (void)state;
    SM_TEST_NEED_SHARED();
    path = sm_test_shared_path("microtonic/default.mtpreset");
    if (sm_mtpreset_read(path, &p, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(p.n, 8);
    assert_int_equal(p.n_warnings, 0);
    /* channel 1, "SC BD Toxyk" */
    pt = patch_of(&p, 1);
    assert_string_equal(pt->name, "SC BD Toxyk");
    assert_int_equal(pt->native[SM_DRUM_OSC_WAVE], SM_DRUM_WAVE_SINE);
    assert_close(pt->native[SM_DRUM_OSC_FREQ_HZ], 48.06, 0.01);
    assert_close(pt->native[SM_DRUM_OSC_DCY_MS], 626.57, 0.01);
    assert_close(pt->native[SM_DRUM_MOD_AMT_ST], 33.02, 0.01);
    assert_close(pt->native[SM_DRUM_MIX_OSC_PCT], 88.15, 0.01);
    assert_close(pt->native[SM_DRUM_EQ_GAIN_DB], 30.25, 0.01);
    assert_close(pt->native[SM_DRUM_LEVEL_DB], -5.12, 0.01);
    assert_close(pt->native[SM_DRUM_OSC_VEL_PCT], 38.95, 0.01);
    assert_close(pt->native[SM_DRUM_OSC_ATK_MS], 0, 0.01 + 1e-9); /* "0.0 ms" */
    assert_int_equal(pt->native[SM_DRUM_NSTEREO], 1);
    assert_close(sm_drum_mod_rate_value(SM_DRUM_MOD_DECAY, pt->native[SM_DRUM_MOD_RATE]),
                 246.77, 0.01);
    /* channel 2, "RD GSn": random pitch modulation at 12662 Hz, high-pass noise */
    pt = patch_of(&p, 2);
    assert_string_equal(pt->name, "RD GSn");
    assert_int_equal(pt->native[SM_DRUM_MOD_MODE], SM_DRUM_MOD_NOISE);
    assert_close(sm_drum_mod_rate_value(SM_DRUM_MOD_NOISE, pt->native[SM_DRUM_MOD_RATE]),
                 12662.48, 0.01);
    assert_int_equal(pt->native[SM_DRUM_NFIL_MODE], SM_DRUM_FILTER_HP);
    assert_close(pt->native[SM_DRUM_NFIL_Q], 148.38, 0.01);
    assert_close(pt->native[SM_DRUM_EQ_GAIN_DB], -40, 0.01);
    /* channel 7 comes fourth in the file */
    pt = patch_of(&p, 7);
    assert_string_equal(pt->name, "LV HH HT");
    assert_close(pt->native[SM_DRUM_OSC_DCY_MS], 12.80, 0.01);
    assert_close(pt->native[SM_DRUM_MIX_OSC_PCT], 0, 1e-12);
    assert_int_equal(p.patches[3].channel, 4); /* sorted by channel */
    /* channel 8, "VT-LM2 Cabasa": linear noise envelope, negative amount */
    pt = patch_of(&p, 8);
    assert_int_equal(pt->native[SM_DRUM_NENV_MODE], SM_DRUM_NENV_LINEAR);
    assert_close(pt->native[SM_DRUM_MOD_AMT_ST], -18.06, 0.01);
    assert_close(pt->native[SM_DRUM_NENV_DCY_MS], 1275.88, 0.01);
    check_against_text(path, &p);
    sm_mtpreset_free(&p);
    sm_mtpreset_free(&p); /* harmless twice */
    sm_mtpreset_free(NULL);
}

static void test_supertonic_preset(void **state)
{
    sm_mtpreset p;
    sm_error err = {0};
    const sm_mtpreset_patch *pt;
    const char *path;
    (void)state;
    SM_TEST_NEED_SHARED();
    path = sm_test_shared_path("microtonic/supertonic_default.mtpreset");
    if (sm_mtpreset_read(path, &p, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(p.n, 8);
    assert_int_equal(p.n_warnings, 0);
    pt = patch_of(&p, 1);
    assert_string_equal(pt->name, "SC BD Construct");
    assert_int_equal(pt->native[SM_DRUM_OSC_WAVE], SM_DRUM_WAVE_TRIANGLE);
    assert_close(pt->native[SM_DRUM_OSC_FREQ_HZ], 44.77, 0.01);
    assert_close(pt->native[SM_DRUM_LEVEL_DB], -22.76, 0.01);
    pt = patch_of(&p, 2);
    assert_string_equal(pt->name, "VT-707 SD 2");
    assert_close(pt->native[SM_DRUM_MOD_AMT_ST], 96, 1e-12);
    assert_close(pt->native[SM_DRUM_OSC_ATK_MS], 3.10, 0.01);
    assert_close(pt->native[SM_DRUM_DIST_AMT], 87.64, 0.01);
    pt = patch_of(&p, 3);
    assert_string_equal(pt->name, "SC HH Lemon");
    assert_close(pt->native[SM_DRUM_OSC_FREQ_HZ], 20000, 0.01);
    assert_close(pt->pan, -24, 0.01);
    check_against_text(path, &p);
    sm_mtpreset_free(&p);
}

/* Read, write, read again: every value is kept; writing twice gives the same text. */
static void round_trip(const char *path)
{
    sm_mtpreset a, b;
    sm_error err = {0};
    char out[4200], *t1, *t2;
    size_t i, j, l1, l2;
    const char *dir = sm_test_tmpdir();
    assert_non_null(dir);
    snprintf(out, sizeof out, "%s/rt.mtpreset", dir);
    if (sm_mtpreset_read(path, &a, &err) != 0) fail_msg("%s", err.msg);
    if (sm_mtpreset_write(out, a.patches, a.n, &err) != 0) fail_msg("%s", err.msg);
    if (sm_mtpreset_read(out, &b, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(b.n, a.n);
    assert_int_equal(b.n_warnings, 0);
    for (i = 0; i < a.n; i++) {
        const sm_mtpreset_patch *x = &a.patches[i], *y = &b.patches[i];
        assert_int_equal(x->channel, y->channel);
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->path, y->path);
        for (j = 0; j < SM_DRUM_NPARAMS; j++)
            if (!(fabs(x->native[j] - y->native[j]) <= 1e-12 * fabs(x->native[j]) + 1e-15))
                fail_msg("%s patch %d: %s %.17g became %.17g", path, x->channel,
                         sm_synth_drum.space->p[j].name, x->native[j], y->native[j]);
        assert_close(x->pan, y->pan, 0);
        assert_int_equal(x->output_b, y->output_b);
        assert_int_equal(x->choke, y->choke);
    }
    assert_int_equal(sm_mtpreset_format(a.patches, a.n, &t1, &l1, &err), 0);
    assert_int_equal(sm_mtpreset_format(b.patches, b.n, &t2, &l2, &err), 0);
    assert_int_equal(l1, l2);
    assert_string_equal(t1, t2);
    assert_non_null(strstr(t1, "MicrotonicPresetV3: {\n"));
    assert_non_null(strstr(t1, "\t\t\tOscAtk: \"0.0 ms\"\n"));
    free(t1);
    free(t2);
    sm_mtpreset_free(&a);
    sm_mtpreset_free(&b);
    remove(out);
    rmdir(dir);
}

static void test_round_trip(void **state)
{
    char path[4096];
    (void)state;
    SM_TEST_NEED_SHARED();
    snprintf(path, sizeof path, "%s", sm_test_shared_path("microtonic/default.mtpreset"));
    round_trip(path);
    snprintf(path, sizeof path, "%s",
             sm_test_shared_path("microtonic/supertonic_default.mtpreset"));
    round_trip(path);
}

static const char *const good_head =
    "MicrotonicPresetV3: {\n"          /* 1 */
    "\tMastVol: \"0.0 dB\"\n"          /* 2 */
    "\tDrumPatches: {\n"               /* 3 */
    "\t\t\"1\": {\n"                   /* 4 */
    "\t\t\tName: \"Test \\\"q\\\"\"\n" /* 5 */
    "\t\t\tOscFreq: \"100.0 Hz\"\n";   /* 6 */

/* Parses good_head + middle + tail; returns the code, err filled. */
static int parse_with(const char *middle, sm_mtpreset *p, sm_error *err)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s\t\t}\n\t}\n}\n", good_head, middle);
    sm_error_clear(err);
    return sm_mtpreset_parse(text, strlen(text), "bad.mtpreset", p, err);
}

static void expect_error(const char *middle, int code, const char *where)
{
    sm_mtpreset p;
    sm_error err = {0};
    int rc = parse_with(middle, &p, &err);
    if (rc != code) fail_msg("expected error %d, got %d (%s) for:\n%s", code, rc, err.msg, middle);
    if (!strstr(err.msg, where)) fail_msg("'%s' does not name %s", err.msg, where);
    assert_int_equal(p.n, 0);
    sm_mtpreset_free(&p);
}

static void test_malformed(void **state)
{
    sm_mtpreset p;
    sm_error err = {0};
    const char *dir;
    char path[4200];
    FILE *f;
    (void)state;
    expect_error("\t\t\tOscDcy \"10.0 ms\"\n", SM_ERR_FORMAT, "bad.mtpreset:7:");
    expect_error("\t\t\tOscDcy: \"10.0 ms\n", SM_ERR_FORMAT, "bad.mtpreset:7:");
    expect_error("\n\t\t\tOscDcy: \"ten ms\"\n", SM_ERR_FORMAT, "bad.mtpreset:8:");
    expect_error("\t\t\tOscDcy: \"10.0 Hz\"\n", SM_ERR_FORMAT, "bad.mtpreset:7:");
    expect_error("\t\t\tOscWave: \"Square\"\n", SM_ERR_FORMAT, "bad.mtpreset:7:");
    expect_error("\t\t\tMix: \"50\"\n", SM_ERR_FORMAT, "bad.mtpreset:7:");
    expect_error("\t\t\tModRate: \"fast\"\n", SM_ERR_FORMAT, "bad.mtpreset:7:");
    expect_error("\t\t\tOscFreq: \"200.0 Hz\"\n", SM_ERR_FORMAT, "appears twice");
    expect_error("\t\t\tLevel: { }\n", SM_ERR_FORMAT, "bad.mtpreset:7:");
    expect_error("\t\t\t: \"x\"\n", SM_ERR_FORMAT, "bad.mtpreset:7:");
    /* a brace never closed */
    {
        const char *t = "MicrotonicPresetV3: {\n\tDrumPatches: {\n\t\t\"1\": {\n";
        assert_int_equal(sm_mtpreset_parse(t, strlen(t), "open.mtpreset", &p, &err), SM_ERR_FORMAT);
        assert_non_null(strstr(err.msg, "open.mtpreset:"));
        assert_non_null(strstr(err.msg, "never closed"));
        sm_mtpreset_free(&p);
    }
    /* not a preset at all */
    {
        const char *t = "\n\nSomethingElse: { A: \"1\" }\n";
        assert_int_equal(sm_mtpreset_parse(t, strlen(t), "x.mtpreset", &p, &err), SM_ERR_FORMAT);
        assert_non_null(strstr(err.msg, "x.mtpreset:3:"));
        sm_mtpreset_free(&p);
        t = "";
        assert_int_equal(sm_mtpreset_parse(t, 0, "e.mtpreset", &p, &err), SM_ERR_EMPTY);
        sm_mtpreset_free(&p);
        t = "MicrotonicPresetV3: { Swing: \"0.0%\" }";
        assert_int_equal(sm_mtpreset_parse(t, strlen(t), "n.mtpreset", &p, &err), SM_ERR_FORMAT);
        assert_non_null(strstr(err.msg, "DrumPatches"));
        sm_mtpreset_free(&p);
    }
    /* from a file: the message names the file's path and line; a missing file is IO */
    dir = sm_test_tmpdir();
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/broken.mtpreset", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\t\t\tOscDcy: 10.0 ms\"\n\t\t}\n\t}\n}\n", good_head);
    fclose(f);
    assert_int_equal(sm_mtpreset_read(path, &p, &err), SM_ERR_FORMAT);
    {
        char want[4300];
        snprintf(want, sizeof want, "%s:7:", path);
        if (!strstr(err.msg, want)) fail_msg("'%s' does not name %s", err.msg, want);
    }
    sm_mtpreset_free(&p);
    remove(path);
    assert_int_equal(sm_mtpreset_read(path, &p, &err), SM_ERR_IO);
    sm_mtpreset_free(&p);
    rmdir(dir);
}

static void test_warnings(void **state)
{
    sm_mtpreset p;
    sm_error err = {0};
    size_t i;
    int unknown = 0, missing = 0, clamped = 0;
    (void)state;
    /* an unknown key in a patch and in the preset, a value out of range, "inf ms" */
    assert_int_equal(parse_with("\t\t\tFrobnicate: \"12\"\n"
                                "\t\t\tLevel: \"-inf dB\"\n"
                                "\t\t\tModMode: \"Decay\"\n"
                                "\t\t\tModRate: \"inf ms\"\n"
                                "\t\t\tOscAtk: \"0.0 ms\"\n"
                                "\t\t\tEQGain: \"55 dB\"\n",
                                &p, &err),
                     0);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.patches[0].name, "Test \"q\"");
    assert_close(p.patches[0].native[SM_DRUM_OSC_FREQ_HZ], 100, 0);
    assert_close(p.patches[0].native[SM_DRUM_LEVEL_DB], -60, 0);
    assert_close(p.patches[0].native[SM_DRUM_EQ_GAIN_DB], 40, 0);
    assert_close(p.patches[0].native[SM_DRUM_MOD_RATE], 0, 0);
    assert_close(p.patches[0].native[SM_DRUM_OSC_ATK_MS], SM_DRUM_ATK_MIN_MS, 0);
    for (i = 0; i < p.n_warnings; i++) {
        const char *w = p.warnings[i];
        if (strstr(w, "Frobnicate") && strstr(w, "bad.mtpreset:7:")) unknown++;
        if (strstr(w, "has no ")) missing++;
        if ((strstr(w, "Level") && strstr(w, ":8:")) || (strstr(w, "EQGain") && strstr(w, ":12:")))
            clamped++;
        if (strstr(w, "ModRate") || strstr(w, "OscAtk")) fail_msg("unexpected warning: %s", w);
    }
    assert_int_equal(unknown, 1);
    if (clamped != 2)
        for (i = 0; i < p.n_warnings; i++) print_message("warning: %s\n", p.warnings[i]);
    assert_int_equal(clamped, 2);
    assert_true(missing > 10); /* the keys this patch lacks, defaults used */
    sm_mtpreset_free(&p);
    /* an unknown key at the top of the preset */
    {
        const char *t = "MicrotonicPresetV3: {\n Gizmo: \"1\"\n DrumPatches: { \"1\": { "
                        "OscFreq: \"100.0 Hz\" } }\n}\n";
        assert_int_equal(sm_mtpreset_parse(t, strlen(t), "t.mtpreset", &p, &err), 0);
        assert_true(p.n_warnings >= 1);
        assert_non_null(strstr(p.warnings[0], "t.mtpreset:2: unknown key 'Gizmo'"));
        sm_mtpreset_free(&p);
    }
}

static void test_patch_hooks(void **state)
{
    const sm_synth_type *s = &sm_synth_drum;
    double a[SM_DRUM_NPARAMS], b[SM_DRUM_NPARAMS], *all = NULL;
    char spec[8400], name[64], file[4096], out[4200];
    sm_error err = {0};
    size_t n = 0, j;
    const char *dir;
    (void)state;
    SM_TEST_NEED_SHARED();
    snprintf(file, sizeof file, "%s", sm_test_shared_path("microtonic/default.mtpreset"));
    snprintf(spec, sizeof spec, "%s:2", file);
    assert_int_equal(s->patch_load(spec, a, name, sizeof name, &err), 0);
    assert_string_equal(name, "RD GSn");
    snprintf(spec, sizeof spec, "%s:rd gsn", file); /* by name, any case */
    assert_int_equal(s->patch_load(spec, b, name, sizeof name, &err), 0);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(s->patch_load(file, a, name, sizeof name, &err), 0); /* FILE: patch 1 */
    assert_string_equal(name, "SC BD Toxyk");
    snprintf(spec, sizeof spec, "%s:8", file);
    assert_int_equal(s->patch_load(spec, a, NULL, 0, &err), 0);
    snprintf(spec, sizeof spec, "%s:9", file);
    assert_int_equal(s->patch_load(spec, a, name, sizeof name, &err), SM_ERR_NOTFOUND);
    snprintf(spec, sizeof spec, "%s:No Such Drum", file);
    assert_int_equal(s->patch_load(spec, a, name, sizeof name, &err), SM_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "SC BD Toxyk"));
    assert_int_equal(s->patch_load("/nonexistent/x.mtpreset:1", a, name, sizeof name, &err),
                     SM_ERR_IO);
    assert_int_equal(s->patch_load_all(file, &all, &n, &err), 0);
    assert_int_equal(n, 8);
    snprintf(spec, sizeof spec, "%s:5", file);
    assert_int_equal(s->patch_load(spec, a, NULL, 0, &err), 0);
    assert_memory_equal(a, all + 4 * SM_DRUM_NPARAMS, sizeof a);
    free(all);
    /* save then load gives the same values; a bad value is refused, nothing is written */
    dir = sm_test_tmpdir();
    assert_non_null(dir);
    snprintf(out, sizeof out, "%s/best.mtpreset", dir);
    assert_int_equal(s->patch_save(out, a, "SOUNDMATCH", &err), 0);
    snprintf(spec, sizeof spec, "%s:1", out);
    assert_int_equal(s->patch_load(spec, b, name, sizeof name, &err), 0);
    assert_string_equal(name, "SOUNDMATCH");
    for (j = 0; j < SM_DRUM_NPARAMS; j++) assert_close(b[j], a[j], 1e-12 * fabs(a[j]));
    remove(out);
    a[SM_DRUM_OSC_FREQ_HZ] = NAN;
    assert_int_equal(s->patch_save(out, a, "x", &err), SM_ERR_NONFINITE);
    assert_non_null(strstr(err.msg, "osc_freq_hz"));
    assert_int_equal(access(out, F_OK), -1);
    a[SM_DRUM_OSC_FREQ_HZ] = 100;
    snprintf(out, sizeof out, "%s/missing/best.mtpreset", dir);
    assert_int_equal(s->patch_save(out, a, "x", &err), SM_ERR_IO);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_preset),
        cmocka_unit_test(test_supertonic_preset),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_patch_hooks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
