/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_report.c: base64, cairo plots, the spectrogram, results.json's reader and the
 * HTML report (experiments/), and the merge of run folders: the report of two halves of an
 * experiment is the report of the whole. The statistics behind the report are tested in
 * tests/test_stats.c. */
#include "tests/test_util.h"

#include <cairo.h>
#include <dirent.h>

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <inttypes.h>
#include <unistd.h>

#include "config.h"
#include "core/audio.h"
#include "core/error.h"
#include "core/fileio.h"
#include "experiments/experiment.h"
#include "experiments/plot.h"
#include "experiments/report.h"
#include "experiments/report_internal.h"
#include "experiments/report_load.h"
#include "experiments/runner.h"
#include "experiments/runner_internal.h"
#include "features/features.h"

/* ---- base64 ---- */

static void check_b64(const char *in, const char *want)
{
    size_t len = 99;
    char *s = sm_base64_encode(in, strlen(in), &len);
    assert_non_null(s);
    assert_string_equal(s, want);
    assert_int_equal(len, strlen(want));
    free(s);
}

static void test_base64(void **state)
{
    const unsigned char bin[3] = {0xFB, 0xFF, 0xFE};
    char *s;
    (void)state;
    check_b64("Man", "TWFu");
    /* RFC 4648 section 10 */
    check_b64("", "");
    check_b64("f", "Zg==");
    check_b64("fo", "Zm8=");
    check_b64("foo", "Zm9v");
    check_b64("foob", "Zm9vYg==");
    check_b64("fooba", "Zm9vYmE=");
    check_b64("foobar", "Zm9vYmFy");
    s = sm_base64_encode(bin, 3, NULL);
    assert_string_equal(s, "+//+");
    free(s);
}

/* ---- plots ---- */

static void check_png(const unsigned char *png, size_t len, unsigned w, unsigned h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    assert_true(len > 33);
    assert_memory_equal(png, sig, 8);
    assert_memory_equal(png + 12, "IHDR", 4);
    assert_int_equal((unsigned)png[16] << 24 | (unsigned)png[17] << 16 | (unsigned)png[18] << 8 |
                         png[19], w);
    assert_int_equal((unsigned)png[20] << 24 | (unsigned)png[21] << 16 | (unsigned)png[22] << 8 |
                         png[23], h);
}

static void test_plot_lines(void **state)
{
    double x[50], y1[50], y2[50], lo[50], hi[50];
    sm_plot_series s[2];
    sm_line_plot p;
    unsigned char *png = NULL;
    size_t len = 0, i;
    sm_error err = {0, ""};
    (void)state;
    for (i = 0; i < 50; i++) {
        x[i] = 10.0 * (double)(i + 1);
        y1[i] = 100.0 / (double)(i + 1);
        y2[i] = i == 20 ? NAN : 50.0 * exp(-0.05 * (double)i);
        lo[i] = 0.8 * y1[i];
        hi[i] = 1.25 * y1[i];
    }
    memset(s, 0, sizeof s);
    s[0].label = "ga";
    s[0].n = 50;
    s[0].x = x;
    s[0].y = y1;
    s[0].lo = lo;
    s[0].hi = hi;
    s[0].step = 1;
    s[1].label = "hill <climb>";
    s[1].n = 50;
    s[1].x = x;
    s[1].y = y2;
    memset(&p, 0, sizeof p);
    p.width = 640;
    p.height = 360;
    p.title = "convergence";
    p.x_label = "evaluations";
    p.y_label = "cost";
    p.log_x = 1;
    p.log_y = 1;
    p.n_series = 2;
    p.series = s;
    assert_int_equal(sm_plot_lines_png(&p, &png, &len, &err), 0);
    check_png(png, len, 640, 360);
    free(png);
    /* default size, linear axes */
    p.width = p.height = 0;
    p.log_x = p.log_y = 0;
    assert_int_equal(sm_plot_lines_png(&p, &png, &len, &err), 0);
    check_png(png, len, 720, 420);
    free(png);
    /* nothing drawable, bad size, half a band */
    s[0].n = s[1].n = 0;
    assert_int_equal(sm_plot_lines_png(&p, &png, &len, &err), SM_ERR_EMPTY);
    assert_null(png);
    assert_int_equal(len, 0);
    s[0].n = 50;
    p.width = 5;
    assert_int_equal(sm_plot_lines_png(&p, &png, &len, &err), SM_ERR_ARG);
    p.width = 300;
    s[0].hi = NULL;
    assert_int_equal(sm_plot_lines_png(&p, &png, &len, &err), SM_ERR_ARG);
    assert_int_equal(sm_plot_lines_png(NULL, &png, &len, &err), SM_ERR_ARG);
}

static void test_plot_heatmap(void **state)
{
    float v[40 * 16];
    sm_heatmap_panel pn[2];
    sm_heatmap_plot h;
    unsigned char *png = NULL;
    size_t len = 0, i;
    sm_error err = {0, ""};
    double r, g, b, r1, g1, b1;
    (void)state;
    for (i = 0; i < 40 * 16; i++) v[i] = (float)(-80.0 * (double)(i % 16) / 15.0);
    v[5] = NAN;
    memset(pn, 0, sizeof pn);
    for (i = 0; i < 2; i++) {
        pn[i].title = i ? "match" : "target";
        pn[i].n_cols = 40;
        pn[i].n_rows = 16;
        pn[i].v = v;
        pn[i].x0 = 0;
        pn[i].x1 = 1.5;
        pn[i].y0 = 0;
        pn[i].y1 = 11025;
    }
    memset(&h, 0, sizeof h);
    h.panel_width = 200;
    h.height = 240;
    h.x_label = "time (s)";
    h.y_label = "frequency (Hz)";
    h.value_label = "dB";
    h.vmin = -80;
    h.vmax = 0;
    h.y_min = NAN;
    h.y_max = NAN;
    h.n_panels = 2;
    h.panels = pn;
    assert_int_equal(sm_plot_heatmap_png(&h, &png, &len, &err), 0);
    check_png(png, len, 64 + 2 * 200 + 58 + 18 + 14 + 62, 240);
    free(png);
    h.y_min = h.y_max = 0; /* zeroed: the panels' own range */
    assert_int_equal(sm_plot_heatmap_png(&h, &png, &len, &err), 0);
    free(png);
    h.log_y = 1;
    h.y_min = 50;
    h.n_panels = 1;
    assert_int_equal(sm_plot_heatmap_png(&h, &png, &len, &err), 0);
    check_png(png, len, 64 + 200 + 18 + 14 + 62, 240);
    free(png);
    h.vmax = h.vmin;
    assert_int_equal(sm_plot_heatmap_png(&h, &png, &len, &err), SM_ERR_ARG);
    /* the colour map runs from dark to bright */
    sm_plot_colormap(0, &r, &g, &b);
    sm_plot_colormap(1, &r1, &g1, &b1);
    assert_true(r + g + b < 0.1);
    assert_true(r1 + g1 + b1 > 2.5);
    assert_int_equal(sm_plot_palette(0), sm_plot_palette(8));
}

/* ---- box plots and critical-difference diagrams ---- */

static void test_plot_boxes(void **state)
{
    const double a[6] = {1, 2, 3, 4, 5, 40}, b[4] = {0.5, NAN, 0.7, 0.9}, none[2] = {NAN, NAN};
    sm_plot_box box[2];
    sm_box_plot p;
    unsigned char *png = NULL;
    size_t len = 0;
    sm_error err = {0, ""};
    (void)state;
    memset(box, 0, sizeof box);
    box[0].label = "ga";
    box[0].n = 6;
    box[0].v = a;
    box[1].label = "a rather long optimizer label @ variant";
    box[1].n = 4;
    box[1].v = b;
    box[1].color = 1;
    memset(&p, 0, sizeof p);
    p.width = 500;
    p.height = 300;
    p.title = "final costs";
    p.y_label = "cost";
    p.log_y = 1;
    p.n_boxes = 2;
    p.boxes = box;
    assert_int_equal(sm_plot_boxes_png(&p, &png, &len, &err), 0);
    check_png(png, len, 500, 300);
    free(png);
    p.width = p.height = 0;
    p.log_y = 0;
    assert_int_equal(sm_plot_boxes_png(&p, &png, &len, &err), 0);
    check_png(png, len, 720, 420);
    free(png);
    box[0].v = none;
    box[0].n = 2;
    box[1].n = 0;
    assert_int_equal(sm_plot_boxes_png(&p, &png, &len, &err), SM_ERR_EMPTY);
    assert_null(png);
    box[1].n = 3;
    box[1].v = NULL;
    assert_int_equal(sm_plot_boxes_png(&p, &png, &len, &err), SM_ERR_ARG);
    p.n_boxes = 0;
    assert_int_equal(sm_plot_boxes_png(&p, &png, &len, &err), SM_ERR_ARG);
}

static void test_plot_cd(void **state)
{
    const char *labels[4] = {"C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"};
    const double ranks[4] = {3.143, 2.000, 2.893, 1.964}, bad[4] = {0.5, 2, 3, 4};
    const size_t colors[4] = {0, 1, 2, 3};
    sm_cd_plot p;
    unsigned char *png = NULL;
    size_t len = 0;
    sm_error err = {0, ""};
    (void)state;
    memset(&p, 0, sizeof p);
    p.k = 4;
    p.labels = labels;
    p.avg_rank = ranks;
    p.color = colors;
    p.cd = 1.25; /* Demsar's section 3.2.2: 3.143 - 1.964 < 1.25, one clique of all four */
    assert_int_equal(sm_plot_cd_png(&p, &png, &len, &err), 0);
    check_png(png, len, 720, (unsigned)(58 + 16 + 8 + 21 * 2 + 14));
    free(png);
    p.cd = 1.12; /* alpha = 0.10: C4.5 and C4.5+m+cf differ; two cliques */
    assert_int_equal(sm_plot_cd_png(&p, &png, &len, &err), 0);
    check_png(png, len, 720, (unsigned)(58 + 16 + 8 * 2 + 21 * 2 + 14));
    free(png);
    p.cd = NAN; /* no bar, no clique */
    p.title = "ranks";
    p.color = NULL;
    assert_int_equal(sm_plot_cd_png(&p, &png, &len, &err), 0);
    check_png(png, len, 720, (unsigned)(58 + 22 + 16 + 21 * 2 + 14));
    free(png);
    p.avg_rank = bad;
    assert_int_equal(sm_plot_cd_png(&p, &png, &len, &err), SM_ERR_ARG);
    p.avg_rank = ranks;
    p.k = 1;
    assert_int_equal(sm_plot_cd_png(&p, &png, &len, &err), SM_ERR_ARG);
}

/* ---- the spectrogram (features/) ---- */

static void test_spectrogram(void **state)
{
    /* A sine on bin k0 of a 1024-point frame: with the periodic Hann window (sum N/2) the
     * DFT of A sin(2 pi k0 n / N) has |X[k0]| = A N / 4, |X[k0 +- 1]| = A N / 8 and, the
     * window's other coefficients being zero at bin centres, nothing elsewhere. */
    const int N = 1024, k0 = 40;
    const double A = 0.5;
    float *x = malloc(4096 * sizeof *x), *m = NULL;
    size_t frames = 0, i, t;
    sm_error err = {0, ""};
    (void)state;
    assert_non_null(x);
    for (i = 0; i < 4096; i++) x[i] = (float)(A * sin(2 * M_PI * k0 * (double)i / N));
    assert_int_equal(sm_spectrogram(x, 4096, N, 256, &m, &frames, &err), 0);
    assert_int_equal(frames, 1 + (4096 - 1024) / 256);
    for (t = 0; t < frames; t++) {
        const float *col = m + t * (size_t)(N / 2 + 1);
        assert_close(col[k0], A * N / 4, 0.05);
        assert_close(col[k0 - 1], A * N / 8, 0.05);
        assert_close(col[k0 + 1], A * N / 8, 0.05);
        assert_close(col[k0 + 5], 0, 0.05);
        assert_close(col[0], 0, 0.05);
    }
    free(m);
    /* shorter than a frame: one zero-padded frame */
    assert_int_equal(sm_spectrogram(x, 500, N, 256, &m, &frames, &err), 0);
    assert_int_equal(frames, 1);
    free(m);
    assert_int_equal(sm_spectrogram(x, 0, N, 256, &m, &frames, &err), SM_ERR_ARG);
    assert_null(m);
    assert_int_equal(sm_spectrogram(x, 100, 1, 256, &m, &frames, &err), SM_ERR_ARG);
    free(x);
}

/* ---- results.json's reader ---- */

static void test_json(void **state)
{
    /* RFC 8259 grammar: escapes, \u with a surrogate pair (U+1F600), numbers with exponents */
    const char *text = " {\"a\": [1, 2.5e3, -0.5], \"s\": \"x\\\"y\\u00e9\\ud83d\\ude00\\n\", "
                       "\"t\": true, \"f\": false, \"n\": null, \"o\": {}, \"e\": []} ";
    const char *bad[] = {"{\"a\": }", "[1, 2", "{\"a\" 1}", "\"\\q\"", "[1] 2", "nul", "{1: 2}"};
    char deep[200];
    sm_error err = {0, ""};
    sm_json *j = sm_json_parse(text, "t.json", &err);
    const sm_json *a;
    size_t i;
    (void)state;
    assert_non_null(j);
    a = sm_json_get(j, "a");
    assert_int_equal(a->type, SM_JSON_ARRAY);
    assert_int_equal(a->n, 3);
    assert_close(sm_json_num(&a->item[1]), 2500, 0);
    assert_close(sm_json_num(&a->item[2]), -0.5, 0);
    assert_string_equal(sm_json_str(sm_json_get(j, "s")), "x\"y\xc3\xa9\xf0\x9f\x98\x80\n");
    assert_int_equal(sm_json_get(j, "t")->type, SM_JSON_BOOL);
    assert_close(sm_json_get(j, "t")->number, 1, 0);
    assert_int_equal(sm_json_get(j, "n")->type, SM_JSON_NULL);
    assert_int_equal(sm_json_get(j, "o")->n, 0);
    assert_null(sm_json_get(j, "missing"));
    assert_null(sm_json_str(sm_json_get(j, "t")));
    assert_true(isnan(sm_json_num(sm_json_get(j, "s"))));
    sm_json_free(j);
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        sm_error_clear(&err);
        assert_null(sm_json_parse(bad[i], "bad.json", &err));
        assert_int_equal(err.code, SM_ERR_FORMAT);
        assert_non_null(strstr(err.msg, "bad.json"));
        assert_non_null(strstr(err.msg, "byte"));
    }
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    assert_null(sm_json_parse(deep, "deep.json", &err));
    assert_non_null(strstr(err.msg, "nested too deeply"));
    sm_json_free(NULL);
}

/* ---- the report ---- */

static char *join(const char *dir, const char *name)
{
    char *p = sm_path_join(dir, name);
    assert_non_null(p);
    return p;
}

static void write_tone(const char *path, double hz, double sr, double seconds)
{
    size_t n = (size_t)(sr * seconds), i;
    float *x = malloc(n * sizeof *x);
    sm_error err = {0, ""};
    assert_non_null(x);
    for (i = 0; i < n; i++) {
        double t = (double)i / sr, env = exp(-3.0 * t);
        x[i] = (float)(0.5 * env * (sin(2 * M_PI * hz * t) + 0.3 * sin(4 * M_PI * hz * t)));
    }
    assert_int_equal(sm_audio_write_wav(path, x, n, sr, SM_WAV_PCM16, &err), 0);
    free(x);
}

static char *read_text(const char *path)
{
    unsigned char *d = NULL;
    size_t n = 0;
    sm_error err = {0, ""};
    assert_int_equal(sm_read_file(path, 0, &d, &n, &err), 0);
    return (char *)d;
}

/* Asserts that the report folder rdir holds media/NAME, a non-empty file. */
static void check_media(const char *rdir, const char *name)
{
    char path[4096];
    struct stat st;
    assert_true(snprintf(path, sizeof path, "%s/media/%s", rdir, name) < (int)sizeof path);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 0);
}

/* A fake experiment: 2 optimizers x 3 targets x 2 seeds, with traces. */
typedef struct {
    sm_run_result runs[12];
    size_t te[12][6];
    double tc[12][6];
} fake_runs;

static void make_runs(fake_runs *F, const char *twav, const char *mwav, const char *patch)
{
    static const char *targets[3] = {"bell", "pad <&> \"q\"", "bass"};
    static const char *opts[2] = {"ga", "hill-climb"};
    size_t i = 0, o, t, s, k;
    memset(F, 0, sizeof *F);
    for (o = 0; o < 2; o++)
        for (t = 0; t < 3; t++)
            for (s = 0; s < 2; s++, i++) {
                sm_run_result *r = &F->runs[i];
                double scale = (1.0 + (double)t) * (o ? 1.6 : 1.0) * (1.0 + 0.1 * (double)s);
                for (k = 0; k < 6; k++) {
                    F->te[i][k] = 1 + k * k * 40;           /* 1, 41, 161, ... 1001 */
                    F->tc[i][k] = scale * 100.0 / (1.0 + 3.0 * (double)(k * k));
                }
                r->target = targets[t];
                r->optimizer = opts[o];
                r->seed = s + 1;
                r->final_cost = F->tc[i][5];
                r->evals = 1001;
                r->wall_s = 1.5 + (double)o;
                r->n_nonfinite = o;
                r->param_error = t == 2 ? NAN : 0.1 * scale;
                r->n_trace = 6;
                r->trace_evals = F->te[i];
                r->trace_cost = F->tc[i];
                r->target_wav = twav;
                r->best_wav = mwav;
                r->patch_path = patch;
                r->inaudible_cost = NAN;
            }
}

static void test_report_write(void **state)
{
    const char *dir = sm_test_tmpdir();
    char *twav, *mwav, *patch, *rdir, *index, *html, *ini;
    fake_runs F;
    sm_report_input in;
    sm_error err = {0, ""};
    (void)state;
    assert_non_null(dir);
    twav = join(dir, "target.wav");
    mwav = join(dir, "match.wav");
    patch = join(dir, "best patch.syx");
    ini = join(dir, "exp.ini");
    rdir = join(dir, "out/report");
    index = join(rdir, "index.html");
    write_tone(twav, 440, 22050, 0.5);
    write_tone(mwav, 445, 22050, 0.5);
    assert_int_equal(sm_write_file(patch, "x", 1, &err), 0);
    assert_int_equal(sm_write_file(ini, "[synth]\nname = fm6 <x>\n", 23, &err), 0);
    make_runs(&F, twav, mwav, patch);
    memset(&in, 0, sizeof in);
    in.title = "demo & test";
    in.experiment_file = ini;
    in.synth = "fm6";
    in.cost_desc = "MFCC distance (20 coeffs)";
    in.n_runs = 12;
    in.runs = F.runs;
    in.inaudible_cost = 20.0;
    in.notes_html = "<p>Some <em>notes</em>.</p>";
    assert_int_equal(sm_report_write(rdir, &in, &err), 0);
    html = read_text(index);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, ">ga<"));
    assert_non_null(strstr(html, "hill-climb"));
    assert_non_null(strstr(html, "data:image/png;base64,"));
    /* per-target media are files beside the page, linked relatively */
    assert_non_null(strstr(html, "<audio controls preload=\"none\" src=\"media/t000-target.wav\">"));
    assert_non_null(strstr(html, "src=\"media/t000-o00.png\""));
    assert_non_null(strstr(html, "src=\"media/t001-o01.wav\""));
    check_media(rdir, "t000-target.wav");
    check_media(rdir, "t000-target.png");
    check_media(rdir, "t002-o01.wav");
    check_media(rdir, "t002-o01.syx");
    assert_null(strstr(html, dir));                            /* no absolute path */
    /* the views of the comparison */
    assert_non_null(strstr(html, "class=\"verdict\""));
    assert_non_null(strstr(html, "Distribution of final costs"));
    assert_non_null(strstr(html, "Expected running time (ERT)"));
    assert_non_null(strstr(html, "ECDF of (run, level) pairs against evaluations"));
    assert_non_null(strstr(html, "ECDF of (run, level) pairs against seconds"));
    assert_non_null(strstr(html, "Friedman test over 3 targets"));
    assert_non_null(strstr(html, "critical-difference diagram"));
    assert_non_null(strstr(html, "Mean &plusmn; sd"));
    assert_non_null(strstr(html, "<!-- sm:meta -->"));
    assert_non_null(strstr(html, "pad &lt;&amp;&gt; &quot;q&quot;"));
    assert_null(strstr(html, "<&>"));
    assert_non_null(strstr(html, "demo &amp; test"));
    assert_non_null(strstr(html, "fm6 &lt;x&gt;"));          /* the embedded .ini, escaped */
    assert_non_null(strstr(html, "<em>notes</em>"));          /* notes_html verbatim */
    assert_non_null(strstr(html, "n too small"));              /* 3 targets < 5 */
    /* the verdict says why it cannot decide, and what would */
    assert_non_null(strstr(html, "<b>The data cannot decide.</b> Only 3 targets: the paired "
                                 "test over targets needs at least 6"));
    assert_non_null(strstr(html, "targets would be needed to tell them apart"));
    assert_non_null(strstr(html, "Parameter error"));
    assert_non_null(strstr(html, "Inaudible"));
    /* the patch, copied beside the page, downloaded under the target's and optimizer's name */
    assert_non_null(strstr(html, "download=\"bell-ga.syx\" href=\"media/t000-o00.syx\""));
    assert_non_null(strstr(html, "download=\"pad-q-hill-climb.syx\""));
    assert_non_null(strstr(html, "download=\"experiment.ini\""));
    assert_null(strstr(html, "http:"));
    assert_null(strstr(html, "https:"));
    assert_null(strstr(html, "src=\"http"));
    assert_null(strstr(html, "<script"));
    free(html);

    /* cost levels given by the caller; 5+ targets makes the Wilcoxon test run */
    {
        static const double levels[2] = {50, 1e-9};
        sm_run_result many[12];
        static const char *names[6] = {"t1", "t2", "t3", "t4", "t5", "t6"};
        size_t i;
        for (i = 0; i < 12; i++) {
            many[i] = F.runs[i];
            many[i].target = names[i % 6];
            many[i].final_cost = (double)(i % 6) + (i < 6 ? 1.0 : 2.5);
            many[i].inaudible_cost = 4.0;
        }
        in.runs = many;
        in.cost_levels = levels;
        in.n_levels = 2;
        assert_int_equal(sm_report_write(rdir, &in, &err), 0);
        html = read_text(index);
        assert_non_null(strstr(html, "cost &le; 50"));
        assert_non_null(strstr(html, "&infin; <span class=\"sub\">(0/6)</span>"));
        /* cost <= 50 is first reached after 41 or 161 evaluations (see make_runs): ga's
         * runs need 41, 41, 41, 161, 161, 161, so its ERT is 606 / 6 = 101; hill-climb's
         * 41, 41, then four of 161: 726 / 6 = 121 */
        assert_non_null(strstr(html, ">101 <span class=\"sub\">(6/6)</span>"));
        assert_non_null(strstr(html, ">121 <span class=\"sub\">(6/6)</span>"));
        /* per-run threshold 4: ga's final costs 1..6, hill-climb's 2.5..7.5 */
        assert_non_null(strstr(html, ">67% <span class=\"sub\">(4/6)</span>"));
        assert_non_null(strstr(html, ">33% <span class=\"sub\">(2/6)</span>"));
        assert_non_null(
            strstr(html, "hill-climb</span></td><td class=\"num\">6</td><td class=\"num\">6 / 0 / 0"));
        assert_non_null(strstr(html, " better"));
        /* ga is lower on all 6 targets: exact two-sided p = 2 / 2^6 = 0.03125, and every one
         * of its runs is below hill-climb's on the same target (A12 = 1) */
        assert_non_null(strstr(html, "<b>ga</b> beats every other optimizer: <b>hill-climb</b> "
                                     "(p = 0.031, A12 = 1.00)."));
        assert_null(strstr(html, "Results per class")); /* names without a class */
        free(html);
        /* target names with a class before '_': the median per class and optimizer.
         * ga: kick 1, 2, 3 (median 2), snare 4, 5, 6 (5); hill-climb: 3.5 and 6.5 */
        {
            static const char *cnames[6] = {"kick_1", "kick_2", "kick_3",
                                            "snare_1", "snare_2", "snare_3"};
            for (i = 0; i < 12; i++) many[i].target = cnames[i % 6];
            assert_int_equal(sm_report_write(rdir, &in, &err), 0);
            html = read_text(index);
            assert_non_null(strstr(html, "Results per class"));
            assert_non_null(strstr(html, "<tr><td>kick</td><td class=\"num\">3</td>"
                                         "<td class=\"num best\">2</td><td class=\"num\">3.5</td>"));
            assert_non_null(strstr(html, "<tr><td>snare</td><td class=\"num\">3</td>"
                                         "<td class=\"num best\">5</td><td class=\"num\">6.5</td>"));
            free(html);
        }
        /* two variants on different targets: ga and hill-climb on t1..t6 as "@ v1", on
         * u1..u6 as "@ v2". Each variant gets its own matrix, and no pair across variants
         * (which share no target) is tested or listed. */
        {
            static const char *vnames[12] = {"t1", "t2", "t3", "t4", "t5", "t6",
                                             "u1", "u2", "u3", "u4", "u5", "u6"};
            static const char *vopt[4] = {"ga @ v1", "hill @ v1", "ga @ v2", "hill @ v2"};
            sm_run_result vr[24];
            for (i = 0; i < 24; i++) {
                vr[i] = F.runs[i % 12];
                vr[i].target = vnames[(i / 12) * 6 + i % 6];
                vr[i].optimizer = vopt[(i / 12) * 2 + (i % 12) / 6];
                vr[i].final_cost = (double)(i % 6) + ((i % 12) < 6 ? 1.0 : 2.5);
            }
            in.runs = vr;
            in.n_runs = 24;
            assert_int_equal(sm_report_write(rdir, &in, &err), 0);
            html = read_text(index);
            {
                const char *h1 = strstr(html, "Optimizers on the same targets: ga @ v1, hill @ v1");
                const char *h2 = strstr(html, "Optimizers on the same targets: ga @ v2, hill @ v2");
                assert_non_null(h1);
                assert_non_null(h2);
                assert_true(h1 < h2);
            }
            assert_null(strstr(html, "n too small (0)"));
            /* a verdict per variant */
            assert_non_null(strstr(html, "Among <b>ga @ v1</b> and <b>hill @ v1</b>: "));
            assert_non_null(strstr(html, "<br>Among <b>ga @ v2</b> and <b>hill @ v2</b>: "));
            /* the details: the two within-variant pairs, each with 6 paired targets */
            assert_non_null(strstr(html, "hill @ v1</span></td><td class=\"num\">6</td>"));
            assert_non_null(strstr(html, "hill @ v2</span></td><td class=\"num\">6</td>"));
            assert_null(strstr(html, "ga @ v2</span></td><td class=\"num\">0</td>"));
            assert_null(strstr(html, "hill @ v2</span></td><td class=\"num\">0</td>"));
            free(html);
            in.n_runs = 12;
        }
    }
    /* three optimizers on 10 targets, always in the order a < b < c: average ranks 1, 2, 3;
     * R: friedman.test gives p = 4.54e-05; Nemenyi (ptukey(d / sqrt(12 / 60) * sqrt(2), 3,
     * Inf, lower.tail = FALSE)) gives p = 0.0653 for a rank difference of 1 and 2.3e-05 for 2 */
    {
        static const char *tn[10] = {"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"};
        static const char *on[3] = {"a", "b", "c"};
        sm_run_result three[30];
        size_t i;
        for (i = 0; i < 30; i++) {
            three[i] = F.runs[0];
            three[i].target = tn[i % 10];
            three[i].optimizer = on[i / 10];
            three[i].final_cost = 1.0 + (double)(i % 10) + 0.5 * (double)(i / 10);
            three[i].n_trace = 0;
            three[i].patch_path = NULL;
        }
        in.runs = three;
        in.n_runs = 30;
        in.cost_levels = NULL;
        in.n_levels = 0;
        in.baseline = "c";
        assert_int_equal(sm_report_write(rdir, &in, &err), 0);
        html = read_text(index);
        assert_non_null(strstr(html, "<b>a</b> and <b>b</b> are tied (p = 0.065); <b>a</b> beats "
                                     "<b>c</b> (p &lt; 0.001, A12 = "));
        assert_non_null(strstr(html, "Friedman test over 10 targets: p &lt; 0.001."));
        assert_non_null(strstr(html, "Nemenyi p = 0.0653"));
        /* the baseline's level: a column of the ERT table, a line in the ECDFs */
        assert_non_null(strstr(html, "cost &le; c&rsquo;s"));
        assert_non_null(strstr(html, "The dashed line marks the share that c"));
        free(html);
        in.baseline = NULL;
        in.n_runs = 12;
    }
    free(twav);
    free(mwav);
    free(patch);
    free(ini);
    free(rdir);
    free(index);
}

/* Counts the entries of dir whose name starts with prefix. */
static int count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}

/* The equal-time view against hand-worked answers: gd's runs end at 10 s, the GA's at 20 s; the
 * GA is read from its trace at gd's seconds, gd at its end (it ended sooner) at the GA's. */
static void test_report_equal_time(void **state)
{
    const char *dir = sm_test_tmpdir();
    /* per run: target, optimizer, seed, final cost, wall s, trace (evals, cost, seconds) */
    static const size_t te[8][3] = {{500}, {100, 1000, 2000}, {500}, {100, 500},
                                    {500}, {10, 20}, {500}, {10}};
    static const double tc[8][3] = {{2.0}, {5.0, 3.0, 1.5}, {4.0}, {5.0, 2.5},
                                    {1.0}, {9.0, 0.5}, {1.0}, {0.8}};
    static const double ts[8][3] = {{10}, {2, 8, 15}, {10}, {1, 9},
                                    {10}, {0.5, 12}, {10}, {11}};
    static const size_t nt[8] = {1, 3, 1, 2, 1, 2, 1, 1};
    sm_run_result runs[8];
    sm_report_input in;
    sm_error err = {0, ""};
    char *twav = join(dir, "t.wav"), *rdir = join(dir, "time"), *index = join(rdir, "index.html");
    char *html, *sec;
    size_t i;
    const sm_run_result *old;
    (void)state;
    write_tone(twav, 440, 22050, 0.3);
    memset(runs, 0, sizeof runs);
    for (i = 0; i < 8; i++) {
        sm_run_result *r = &runs[i];
        const int ga = (int)(i % 2);
        r->target = i < 4 ? "tA" : "tB";
        r->optimizer = ga ? "ga" : "gd";
        r->seed = (i / 2) % 2 + 1;
        r->n_trace = nt[i];
        r->trace_evals = te[i];
        r->trace_cost = tc[i];
        r->trace_secs = ts[i];
        r->final_cost = tc[i][nt[i] - 1];
        r->evals = te[i][nt[i] - 1];
        r->wall_s = ga ? 20.0 : 10.0;
        r->param_error = NAN;
        r->inaudible_cost = NAN;
        r->target_wav = twav;
        r->best_wav = twav;
    }
    /* the cost at given seconds, from the recorded seconds */
    assert_true(isinf(sm_report_cost_at_secs(&runs[1], 1.0)));
    assert_close(sm_report_cost_at_secs(&runs[1], 10.0), 3.0, 0);
    assert_close(sm_report_cost_at_secs(&runs[1], 19.0), 1.5, 0);
    assert_close(sm_report_cost_at_secs(&runs[0], 20.0), 2.0, 0); /* ended sooner: its end */
    assert_close(sm_report_secs_to_reach(&runs[1], 3.0), 8.0, 0);
    assert_true(isnan(sm_report_secs_to_reach(&runs[1], 1.0)));
    /* without recorded seconds (older run folders): evaluations spread over wall_s */
    runs[1].trace_secs = NULL;
    old = &runs[1];
    assert_close(sm_report_trace_secs(old, 1), 10.0, 1e-12);     /* 1000 of 2000 over 20 s */
    assert_close(sm_report_cost_at_secs(old, 9.9), 5.0, 0);
    assert_close(sm_report_cost_at_secs(old, 10.0), 3.0, 0);
    assert_close(sm_report_secs_to_reach(old, 2.0), 20.0, 1e-12);
    runs[1].trace_secs = ts[1];
    /* trace.csv as written now, and as older versions wrote it (no seconds) */
    {
        char *tp = join(dir, "trace.csv");
        size_t *e = NULL, n = 0;
        double *c = NULL, *s = NULL;
        static const char now[] = "evals,best_cost,seconds\n1,110,0.082033\n9,4.5,1.5\n";
        static const char before[] = "evals,best_cost\n1,110\n9,4.5\n";
        assert_int_equal(sm_write_file(tp, now, strlen(now), &err), 0);
        assert_int_equal(sm_report_read_trace_csv(tp, &e, &c, &s, &n), 0);
        assert_int_equal(n, 2);
        assert_non_null(s);
        assert_int_equal(e[1], 9);
        assert_close(c[1], 4.5, 0);
        assert_close(s[0], 0.082033, 0);
        assert_close(s[1], 1.5, 0);
        free(e);
        free(c);
        free(s);
        assert_int_equal(sm_write_file(tp, before, strlen(before), &err), 0);
        assert_int_equal(sm_report_read_trace_csv(tp, &e, &c, &s, &n), 0);
        assert_int_equal(n, 2);
        assert_null(s);
        assert_close(c[1], 4.5, 0);
        free(e);
        free(c);
        /* the runner's resume reads it too, with seconds not known */
        {
            run_record rec;
            memset(&rec, 0, sizeof rec);
            assert_int_equal(sm_ckpt_read_trace(tp, &rec), 0);
            assert_int_equal(rec.n_trace, 2);
            assert_int_equal(rec.trace_evals[1], 9);
            assert_close(rec.trace_cost[1], 4.5, 0);
            assert_true(isnan(rec.trace_secs[0]) && isnan(rec.trace_secs[1]));
            free(rec.trace_evals);
            free(rec.trace_cost);
            free(rec.trace_secs);
        }
        free(tp);
    }

    memset(&in, 0, sizeof in);
    in.title = "equal time";
    in.synth = "neuron";
    in.cost_desc = "log-mel";
    in.n_runs = 8;
    in.runs = runs;
    assert_int_equal(sm_report_write(rdir, &in, &err), 0);
    html = read_text(index);
    sec = strstr(html, "<h2 id=\"equal-time\">");
    assert_non_null(sec);
    assert_non_null(strstr(html, "<a href=\"#equal-time\">"));
    /* gd: on tA 1 of 2 seeds ahead (2.0 < 3.0, 4.0 > 2.5) but its mean 3.0 is above the GA's
     * 2.75; on tB ahead on both (the GA has 9.0, then no point yet at 10 s) */
    assert_non_null(strstr(sec, "<td class=\"num\">1 of 2 <span class=\"sub\">(3 of 4 runs)"
                                "</span></td>"));
    /* the GA: ahead of gd's final costs on both targets and all four seeds, every time with
     * gd ended sooner */
    assert_non_null(strstr(sec, "<td class=\"num best\">2 of 2 <span class=\"sub\">(4 of 4 "
                                "runs)</span></td>"));
    assert_non_null(strstr(sec, "In 4 of the 8 pairs the column"));
    /* tA's means: gd 3 at 10 s against the GA's 2.75; tB: the GA's mean is infinite */
    assert_non_null(strstr(sec, "<td class=\"num\">3</td><td class=\"num\">10.0&nbsp;s</td>"));
    assert_non_null(strstr(sec, "<td class=\"num best\">2.75</td>"));
    assert_non_null(strstr(sec, "<td class=\"num\">&infin;</td>"));
    assert_non_null(strstr(sec, "download=\"equal_time.csv\""));
    free(html);
    free(twav);
    free(rdir);
    free(index);
}

static void test_report_unwritable(void **state)
{
    const char *dir = sm_test_tmpdir();
    char *file, *bad, *bad_index, *rdir, *index_dir;
    fake_runs F;
    sm_report_input in;
    sm_error err = {0, ""};
    struct stat st;
    (void)state;
    file = join(dir, "plain-file");
    bad = join(file, "report");
    bad_index = join(bad, "index.html");
    rdir = join(dir, "r");
    index_dir = join(rdir, "index.html");
    assert_int_equal(sm_write_file(file, "x", 1, &err), 0);
    make_runs(&F, "/nonexistent/t.wav", "/nonexistent/m.wav", NULL);
    memset(&in, 0, sizeof in);
    in.title = "x";
    in.n_runs = 12;
    in.runs = F.runs;
    in.inaudible_cost = NAN;
    /* a folder cannot be made under a regular file */
    assert_int_not_equal(sm_report_write(bad, &in, &err), 0);
    assert_int_equal(err.code, SM_ERR_IO);
    assert_true(strlen(err.msg) > 0);
    assert_int_not_equal(stat(bad_index, &st), 0);
    /* index.html is a folder: the final rename fails and no temporary file stays */
    assert_int_equal(mkdir(rdir, 0777), 0);
    assert_int_equal(mkdir(index_dir, 0777), 0);
    sm_error_clear(&err);
    assert_int_not_equal(sm_report_write(rdir, &in, &err), 0);
    assert_int_equal(err.code, SM_ERR_IO);
    assert_int_equal(count_prefix(rdir, "index.html"), 1); /* only the folder itself */
    /* bad arguments */
    assert_int_equal(sm_report_write(NULL, &in, &err), SM_ERR_ARG);
    assert_int_equal(sm_report_write(rdir, NULL, &err), SM_ERR_ARG);
    in.n_runs = 0;
    assert_int_equal(sm_report_write(rdir, &in, &err), SM_ERR_ARG);
    free(file);
    free(bad);
    free(bad_index);
    free(rdir);
    free(index_dir);
}

static void test_report_many_targets(void **state)
{
    const char *dir = sm_test_tmpdir();
    char *rdir, *index, *html, names[45][16];
    sm_run_result runs[45];
    sm_report_input in;
    sm_error err = {0, ""};
    size_t i;
    (void)state;
    rdir = join(dir, "many");
    index = join(rdir, "index.html");
    memset(runs, 0, sizeof runs);
    for (i = 0; i < 45; i++) {
        snprintf(names[i], sizeof names[i], "target%02zu", i);
        runs[i].target = names[i];
        runs[i].optimizer = "random";
        runs[i].seed = 7;
        runs[i].final_cost = 1.0 + (double)i;
        runs[i].evals = 10;
        runs[i].wall_s = 0.1;
        runs[i].param_error = NAN;
        runs[i].inaudible_cost = NAN;
        runs[i].target_wav = "/nonexistent/target.wav";
        runs[i].best_wav = NULL;
    }
    memset(&in, 0, sizeof in);
    in.n_runs = 45;
    in.runs = runs;
    in.inaudible_cost = NAN;
    assert_int_equal(sm_report_write(rdir, &in, &err), 0);
    html = read_text(index);
    assert_non_null(strstr(html, "only the first 40"));
    assert_non_null(strstr(html, "id=\"t39\""));
    assert_null(strstr(html, "id=\"t40\""));
    assert_non_null(strstr(html, "target44"));           /* still in the table */
    assert_non_null(strstr(html, "Target audio unavailable"));
    assert_non_null(strstr(html, "Only one optimizer"));
    assert_null(strstr(html, "Parameter error"));
    assert_null(strstr(html, "http:"));
    free(html);
    free(rdir);
    free(index);
}

/* ---- run folders: results.json and the merge of halves ---- */

/* snprintf that fails the test instead of truncating. */
static void fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t size, const char *f, ...)
{
    va_list ap;
    int n;
    va_start(ap, f);
    n = vsnprintf(buf, size, f, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < size);
}

static const char MERGE_INI[] =
    "[experiment]\nname = halves\ndescription = two halves make the whole\n"
    "[target]\nsynthetic = 6\nsynthetic_seed = 11\n"
    "[synth]\nname = fm6\nnote = 48\nlength_s = 0.3\ngate_s = 0.2\n"
    "free = op2_output_level, op2_coarse\nfreeze = algorithm=1\n"
    "[cost]\nmfcc = 1\n"
    "[optimizer random]\n[optimizer hill]\n"
    "[run]\nbudget = 30\nseeds = 1,2\nthreads = 1\n";

static const char *copy_to; /* nftw has no user pointer */
static size_t copy_from_len;

/* Hard-links every file of a tree into copy_to, making its folders. */
static int copy_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    char to[4096];
    (void)sb;
    (void)ftw;
    fmt(to, sizeof to, "%s%s", copy_to, path + copy_from_len);
    if (type == FTW_D) return mkdir(to, 0777) == 0 || errno == EEXIST ? 0 : -1;
    return link(path, to);
}

static void copy_tree(const char *from, const char *to)
{
    copy_to = to;
    copy_from_len = strlen(from);
    assert_int_equal(nftw(from, copy_entry, 16, FTW_PHYS), 0);
}

/* Keeps, in run folder dir, only the runs of seed `keep` (its results.csv rows and runs/). */
static void keep_seed(const char *dir, int keep)
{
    char path[4096], *csv, *line, *save = NULL, *out;
    const char *t;
    size_t n = 0;
    sm_error err = {0, ""};
    static const char *targets[6] = {"synth01", "synth02", "synth03", "synth04", "synth05",
                                     "synth06"};
    static const char *opts[2] = {"random", "hill"};
    int ti, oi;
    for (ti = 0; ti < 6; ti++)
        for (oi = 0; oi < 2; oi++) {
            fmt(path, sizeof path, "%s/runs/%s/%s/seed%d", dir, targets[ti], opts[oi],
                     3 - keep);
            assert_int_equal(sm_remove_tree(path, 0, &err), 0);
        }
    fmt(path, sizeof path, "%s/results.csv", dir);
    csv = read_text(path);
    out = calloc(strlen(csv) + 1, 1);
    assert_non_null(out);
    for (line = strtok_r(csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int seed = 0;
        t = strchr(line, ',');
        if (t) t = strchr(t + 1, ',');
        if (t) seed = atoi(t + 1);
        if (n == 0 || seed == keep) {
            strcat(out, line);
            strcat(out, "\n");
        }
        n++;
    }
    assert_int_equal(unlink(path), 0); /* a hard link: write a new file */
    assert_int_equal(sm_write_file(path, out, strlen(out), &err), 0);
    free(csv);
    free(out);
}

/* The page without its metadata block. */
static char *page_without_meta(const char *dir)
{
    char path[4096], *html, *a, *b;
    fmt(path, sizeof path, "%s/index.html", dir);
    html = read_text(path);
    a = strstr(html, "<!-- sm:meta -->");
    b = strstr(html, "<!-- /sm:meta -->");
    assert_non_null(a);
    assert_non_null(b);
    memmove(a, b, strlen(b) + 1);
    return html;
}

/* Asserts that the media folders of two reports hold the same files, byte for byte. */
static void same_media(const char *d1, const char *d2)
{
    char p1[4096], p2[4096];
    DIR *d;
    struct dirent *e;
    int files = 0;
    fmt(p1, sizeof p1, "%s/media", d1);
    d = opendir(p1);
    assert_non_null(d);
    while ((e = readdir(d))) {
        unsigned char *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        sm_error err = {0, ""};
        if (e->d_name[0] == '.') continue;
        fmt(p1, sizeof p1, "%s/media/%s", d1, e->d_name);
        fmt(p2, sizeof p2, "%s/media/%s", d2, e->d_name);
        assert_int_equal(sm_read_file(p1, 0, &a, &na, &err), 0);
        assert_int_equal(sm_read_file(p2, 0, &b, &nb, &err), 0);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        free(a);
        free(b);
        files++;
    }
    closedir(d);
    assert_int_equal(files, 6 * (1 + 2) * 3 - 6); /* per target: 2 wav+png, 2 x (wav, png, syx) */
}

static void test_report_from_dirs(void **state)
{
    const char *tmp = sm_test_tmpdir();
    char ini[4096], S[4096], A[4096], B[4096], M[4096], M2[4096], path[4096];
    char *whole, *merged, *text;
    const char *pair[2], *twice[2];
    sm_experiment *e;
    sm_run_options o;
    sm_report_options ro;
    sm_error err = {0, ""};
    sm_json *j;
    char fp[64];
    int rc;
    (void)state;
    fmt(ini, sizeof ini, "%s/halves.ini", tmp);
    fmt(S, sizeof S, "%s/whole", tmp);
    fmt(A, sizeof A, "%s/half1", tmp);
    fmt(B, sizeof B, "%s/half2", tmp);
    fmt(M, sizeof M, "%s/merged", tmp);
    fmt(M2, sizeof M2, "%s/merged2", tmp);
    assert_int_equal(sm_write_file(ini, MERGE_INI, strlen(MERGE_INI), &err), 0);
    e = sm_experiment_parse(MERGE_INI, ini, &err);
    if (!e) fail_msg("%s", err.msg);
    memset(&o, 0, sizeof o);
    o.out_dir = S;
    rc = sm_experiment_run(e, &o, &err);
    if (rc) fail_msg("%s", err.msg);
    fmt(fp, sizeof fp, "fnv1a64:%016" PRIx64, e->fingerprint);

    /* results.json: how the results were made */
    fmt(path, sizeof path, "%s/results.json", S);
    text = read_text(path);
    j = sm_json_parse(text, path, &err);
    assert_non_null(j);
    assert_string_equal(sm_json_str(sm_json_get(sm_json_get(j, "soundmatch"), "version")),
                        PACKAGE_VERSION);
    assert_close(sm_json_num(sm_json_get(sm_json_get(j, "host"), "cpus")),
                 (double)sysconf(_SC_NPROCESSORS_ONLN), 0);
    assert_non_null(sm_json_str(sm_json_get(sm_json_get(j, "host"), "cpu_model")));
    assert_close(sm_json_num(sm_json_get(j, "threads")), 1, 0);
    assert_close(sm_json_num(sm_json_get(j, "n_runs")), 24, 0);
    assert_int_equal(sm_json_get(j, "runs")->n, 24);
    assert_true(sm_json_num(sm_json_get(sm_json_get(j, "wall_s"), "runs_total")) > 0);
    assert_true(sm_json_num(sm_json_get(sm_json_get(j, "wall_s"), "command")) >=
                sm_json_num(sm_json_get(sm_json_get(j, "wall_s"), "runs_total")));
    assert_int_equal(strlen(sm_json_str(sm_json_get(j, "date"))), 20); /* 2026-01-02T03:04:05Z */
    assert_string_equal(sm_json_str(sm_json_get(sm_json_get(j, "experiment"), "fingerprint")), fp);
    assert_string_equal(sm_json_str(sm_json_get(sm_json_get(j, "experiment"), "name")), "halves");
    assert_string_equal(sm_json_str(sm_json_get(&sm_json_get(j, "optimizers")->item[1], "type")),
                        "hill");
    sm_json_free(j);
    free(text);
    sm_experiment_free(e);

    /* two halves, by seed, of the same runs; merged in either order: the whole's report */
    copy_tree(S, A);
    copy_tree(S, B);
    keep_seed(A, 1);
    keep_seed(B, 2);
    memset(&ro, 0, sizeof ro);
    pair[0] = A;
    pair[1] = B;
    rc = sm_report_from_dirs(pair, 2, M, &ro, &err);
    if (rc) fail_msg("%s", err.msg);
    whole = page_without_meta(S);
    merged = page_without_meta(M);
    assert_string_equal(merged, whole);
    free(merged);
    same_media(S, M);
    pair[0] = B;
    pair[1] = A;
    assert_int_equal(sm_report_from_dirs(pair, 2, M2, &ro, &err), 0);
    merged = page_without_meta(M2);
    assert_string_equal(merged, whole);
    free(merged);
    /* the merge is a run folder too: its results.csv is the whole's, and it re-renders */
    {
        char *c1, *c2;
        fmt(path, sizeof path, "%s/results.csv", S);
        c1 = read_text(path);
        fmt(path, sizeof path, "%s/results.csv", M);
        c2 = read_text(path);
        assert_string_equal(c1, c2);
        free(c1);
        free(c2);
        pair[0] = M;
        assert_int_equal(sm_report_from_dirs(pair, 1, M, &ro, &err), 0);
        merged = page_without_meta(M);
        assert_string_equal(merged, whole);
        free(merged);
    }
    /* the metadata names both halves */
    fmt(path, sizeof path, "%s/index.html", M2);
    text = read_text(path);
    assert_non_null(strstr(text, A));
    assert_non_null(strstr(text, B));
    free(text);
    free(whole);

    /* refusals: a run in two folders, different experiments, the output among the inputs, a
     * folder without results */
    twice[0] = A;
    twice[1] = A;
    assert_int_equal(sm_report_from_dirs(twice, 2, M2, &ro, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "is in both"));
    fmt(path, sizeof path, "%s/fingerprint.txt", B);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(sm_write_file(path, "0123456789abcdef\n", 17, &err), 0);
    pair[0] = A;
    pair[1] = B;
    assert_int_equal(sm_report_from_dirs(pair, 2, M2, &ro, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, A));
    assert_non_null(strstr(err.msg, "fnv1a64:0123456789abcdef"));
    assert_non_null(strstr(err.msg, "--force"));
    ro.force = 1;
    assert_int_equal(sm_report_from_dirs(pair, 2, M2, &ro, &err), 0);
    assert_int_equal(sm_report_from_dirs(pair, 2, A, &ro, &err), SM_ERR_ARG);
    twice[0] = tmp;
    assert_int_equal(sm_report_from_dirs(twice, 1, M2, &ro, &err), SM_ERR_IO);
    assert_non_null(strstr(err.msg, "results.csv"));

    /* a run still going (no results.csv yet): the page of the runs finished so far, from
     * their checkpoints, saying so */
    {
        char P[4096], Q[4096];
        fmt(P, sizeof P, "%s/going", tmp);
        fmt(Q, sizeof Q, "%s/going_report", tmp);
        copy_tree(S, P);
        fmt(path, sizeof path, "%s/results.csv", P);
        assert_int_equal(unlink(path), 0);
        fmt(path, sizeof path, "%s/results.json", P);
        assert_int_equal(unlink(path), 0);
        fmt(path, sizeof path, "%s/runs/synth06", P);
        assert_int_equal(sm_remove_tree(path, 0, &err), 0);
        pair[0] = P;
        ro.force = 0;
        rc = sm_report_from_dirs(pair, 1, Q, &ro, &err);
        if (rc) fail_msg("%s", err.msg);
        fmt(path, sizeof path, "%s/index.html", Q);
        text = read_text(path);
        assert_non_null(strstr(text, "holds no results.csv yet: this page shows the 20 runs"));
        assert_non_null(strstr(text, "20 runs: 2 optimizers &times; 5 targets"));
        free(text);
        fmt(path, sizeof path, "%s/runs", P);
        assert_int_equal(sm_remove_tree(path, 0, &err), 0);
        assert_int_equal(sm_report_from_dirs(pair, 1, Q, &ro, &err), SM_ERR_IO);
        assert_non_null(strstr(err.msg, "no finished run"));
    }
}

/* LeakSanitizer reads this hook: fontconfig (under cairo's toy text API) keeps its
 * configuration until FcFini(), which only a whole program may call; it is not ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_plot_lines),
        cmocka_unit_test(test_plot_heatmap),
        cmocka_unit_test(test_plot_boxes),
        cmocka_unit_test(test_plot_cd),
        cmocka_unit_test(test_spectrogram),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_report_write),
        cmocka_unit_test(test_report_equal_time),
        cmocka_unit_test(test_report_unwritable),
        cmocka_unit_test(test_report_many_targets),
        cmocka_unit_test(test_report_from_dirs),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    /* release cairo's font caches, so leak checkers see only our own allocations */
    cairo_debug_reset_static_data();
    return failed;
}
