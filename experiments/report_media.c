/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_media.c: the report's per-target media (see
 * experiments/report_internal.h): each target's audio and spectrogram beside those of every
 * optimizer's best match, and the matches' patches, written as files into DIR/media/ and
 * linked relatively, so that the page stays small and the folder works when moved.
 *
 * The media folder is written as DIR/media.tmp and put in place of DIR/media when the page is
 * complete. A media folder is replaced only if it holds the mark file this code writes, so a
 * report written into a folder of the user's never removes files it did not make.
 * Spectrograms come from features/ (sm_spectrogram, planned under the FFTW planner lock). */
#include "experiments/report_internal.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/audio.h"
#include "core/fileio.h"
#include "experiments/plot.h"
#include "experiments/report_descr.h"
#include "features/features.h"

#define SPEC_NFFT 1024
#define SPEC_HOP 256
#define SPEC_FMIN_HZ 40.0
#define SPEC_FMAX_HZ 11025.0
#define SPEC_DB_RANGE 80.0
#define PATCH_MAX_BYTES (1u << 20)
#define MEDIA_MARK ".soundmatch-report-media"

/* ---- the media folder ---- */

static char *dir_file(const char *dir, const char *name)
{
    return sm_path_join(dir, name);
}

/* 1 if folder `path` was made by this code (it holds the mark file). */
static int is_our_media(const char *path)
{
    char *mark = dir_file(path, MEDIA_MARK);
    struct stat st;
    int ours = mark && stat(mark, &st) == 0;
    free(mark);
    return ours;
}

int sm_report_media_begin(report *R, sm_error *err)
{
    char *media = dir_file(R->dir, "media"), *mark = NULL;
    int rc = 0, empty = 0;
    R->media_tmp = dir_file(R->dir, "media.tmp");
    if (!media || !R->media_tmp) {
        free(media);
        return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    }
    if (sm_dir_exists(media, &empty) && !empty && !is_our_media(media))
        rc = sm_error_set(err, SM_ERR_IO, "%s exists and was not made by a soundmatch report; "
                                          "write the report into another folder", media);
    else if (sm_dir_exists(R->media_tmp, &empty) &&
             (rc = sm_remove_tree(R->media_tmp, 0, err)) != 0) {
    } else if ((rc = sm_mkdir_p(R->media_tmp, err)) == 0) {
        mark = dir_file(R->media_tmp, MEDIA_MARK);
        rc = mark ? sm_write_file(mark, "", 0, err)
                  : sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    }
    free(mark);
    free(media);
    if (rc) {
        free(R->media_tmp);
        R->media_tmp = NULL;
    }
    return rc;
}

int sm_report_media_commit(report *R, sm_error *err)
{
    char *media = dir_file(R->dir, "media"), *old = dir_file(R->dir, "media.old");
    int rc = 0, empty;
    if (!media || !old) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
        goto out;
    }
    if (sm_dir_exists(old, &empty) && (rc = sm_remove_tree(old, 0, err)) != 0) goto out;
    if (sm_dir_exists(media, &empty) && rename(media, old) != 0) {
        rc = sm_error_set(err, SM_ERR_IO, "%s: cannot move it aside: %s", media, strerror(errno));
        goto out;
    }
    if (R->n_media == 0) {
        rc = sm_remove_tree(R->media_tmp, 0, err);
    } else if (rename(R->media_tmp, media) != 0) {
        rc = sm_error_set(err, SM_ERR_IO, "%s: cannot put it in place: %s", media,
                          strerror(errno));
        goto out;
    }
    if (!rc && sm_dir_exists(old, &empty)) rc = sm_remove_tree(old, 0, err);
out:
    free(media);
    free(old);
    return rc;
}

void sm_report_media_abort(report *R)
{
    int empty;
    if (R->media_tmp && sm_dir_exists(R->media_tmp, &empty)) sm_remove_tree(R->media_tmp, 0, NULL);
}

/* Writes bytes as media file `name` and counts it. */
static int media_write(report *R, const char *name, const void *data, size_t n, sm_error *err)
{
    char *p = dir_file(R->media_tmp, name);
    int rc;
    if (!p) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    rc = sm_write_file(p, data, n, err);
    free(p);
    if (!rc) R->n_media++;
    return rc;
}

/* Writes audio a (at most SM_REPORT_MAX_AUDIO_S seconds) as a 16-bit WAV media file. */
static int media_wav(report *R, const char *name, const sm_audio *a, sm_error *err)
{
    size_t n = a->n;
    char *p = dir_file(R->media_tmp, name);
    int rc;
    if (!p) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    if ((double)n > SM_REPORT_MAX_AUDIO_S * a->sample_rate)
        n = (size_t)(SM_REPORT_MAX_AUDIO_S * a->sample_rate);
    rc = sm_audio_write_wav(p, a->data, n, a->sample_rate, SM_WAV_PCM16, err);
    free(p);
    if (!rc) R->n_media++;
    return rc;
}

/* ---- spectrograms ---- */

/* The magnitude spectrogram of the first SM_REPORT_MAX_AUDIO_S seconds of a. */
static int spec_of(const sm_audio *a, float **mag, size_t *cols, sm_error *err)
{
    size_t n = a->n;
    if ((double)n > SM_REPORT_MAX_AUDIO_S * a->sample_rate)
        n = (size_t)(SM_REPORT_MAX_AUDIO_S * a->sample_rate);
    return sm_spectrogram(a->data, n, SPEC_NFFT, SPEC_HOP, mag, cols, err);
}

static double spec_peak(const float *m, size_t cols)
{
    size_t i;
    double peak = 0;
    for (i = 0; i < cols * (SPEC_NFFT / 2 + 1); i++)
        if (m[i] > peak) peak = m[i];
    return peak;
}

/* One spectrogram panel as a PNG, in dB relative to ref (the target's peak, or the sound's own),
 * value_label naming which. Converts m to dB in place. */
static int spec_png(float *m, size_t cols, double sample_rate, double ref, const char *title,
                    const char *value_label, unsigned char **png, size_t *len, sm_error *err)
{
    const size_t rows = SPEC_NFFT / 2 + 1;
    sm_heatmap_panel pn;
    sm_heatmap_plot hp;
    size_t i;
    if (!(ref > 0)) ref = 1;
    for (i = 0; i < cols * rows; i++) m[i] = (float)(20.0 * log10(m[i] / ref + 1e-12));
    memset(&pn, 0, sizeof pn);
    pn.title = title;
    pn.n_cols = cols;
    pn.n_rows = rows;
    pn.v = m;
    pn.x1 = (double)(cols > 1 ? (cols - 1) * SPEC_HOP + SPEC_NFFT : SPEC_NFFT) / sample_rate;
    pn.y1 = sample_rate / 2;
    memset(&hp, 0, sizeof hp);
    hp.panel_width = 236;
    hp.height = 240;
    hp.x_label = "time (s)";
    hp.y_label = "frequency (Hz)";
    hp.value_label = value_label;
    hp.vmin = -SPEC_DB_RANGE;
    hp.vmax = 0;
    hp.y_min = SPEC_FMIN_HZ;
    hp.y_max = sample_rate / 2 < SPEC_FMAX_HZ ? sample_rate / 2 : SPEC_FMAX_HZ;
    hp.log_y = 1;
    hp.n_panels = 1;
    hp.panels = &pn;
    return sm_plot_heatmap_png(&hp, png, len, err);
}

int sm_report_spectrogram_png(const sm_audio *a, double ref, const char *title,
                              unsigned char **png, size_t *len, sm_error *err)
{
    float *m = NULL;
    size_t cols = 0;
    int rc = spec_of(a, &m, &cols, err);
    if (rc == 0) {
        const char *label = ref > 0 ? "dB re target peak" : "dB re peak";
        if (!(ref > 0)) ref = spec_peak(m, cols);
        rc = spec_png(m, cols, a->sample_rate, ref, title, label, png, len, err);
    }
    free(m);
    return rc;
}

/* ---- cells: one sound each ---- */

size_t sm_report_best_run(const report *R, size_t t, size_t o)
{
    size_t i, best = SIZE_MAX;
    for (i = 0; i < R->in->n_runs; i++) {
        double c = R->in->runs[i].final_cost;
        if (R->rt[i] != t || (o != SIZE_MAX && R->ro[i] != o) || isnan(c)) continue;
        if (best == SIZE_MAX || c < R->in->runs[best].final_cost) best = i;
    }
    return best;
}

/* A file-name-safe copy of s ("ga @ v1" -> "ga-v1"). */
static void safe_name(const char *s, char *out, size_t size)
{
    size_t k = 0;
    int dash = 0;
    for (; *s && k + 1 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '-') {
            out[k++] = (char)c;
            dash = 0;
        } else if (!dash && k) {
            out[k++] = '-';
            dash = 1;
        }
    }
    while (k && out[k - 1] == '-') k--;
    out[k] = '\0';
}

/* A figure: caption, spectrogram image and player of one sound, written as media files
 * named `stem` + ".png" / ".wav". With ref <= 0 the sound's own peak is the reference. */
static int media_cell(report *R, const sm_audio *a, const char *stem, double ref,
                      const char *panel_title, sm_error *err)
{
    FILE *f = R->f;
    size_t len = 0;
    unsigned char *png = NULL;
    char name[160];
    sm_error perr = {0, ""};
    int rc = sm_report_spectrogram_png(a, ref, panel_title, &png, &len, &perr);
    if (rc == SM_ERR_NOMEM) return sm_error_set(err, rc, "report: %s", sm_error_text(&perr));
    if (rc == 0) {
        snprintf(name, sizeof name, "%s.png", stem);
        rc = media_write(R, name, png, len, err);
        free(png);
        if (rc) return rc;
        fputs("<a href=\"media/", f); /* the image at full size */
        sm_html_url(f, name);
        fputs("\"><img loading=\"lazy\" alt=\"spectrogram of ", f);
        sm_html_esc(f, panel_title);
        fputs("\" src=\"media/", f);
        sm_html_url(f, name);
        fputs("\"></a>", f);
    } else {
        fputs("<p class=\"note\">No spectrogram: ", f);
        sm_html_esc(f, sm_error_text(&perr));
        fputs("</p>", f);
    }
    snprintf(name, sizeof name, "%s.wav", stem);
    if ((rc = media_wav(R, name, a, err)) != 0) return rc;
    fputs("<audio controls preload=\"none\" src=\"media/", f);
    sm_html_url(f, name);
    fputs("\"></audio>", f);
    return 0;
}

/* The match's patch as a media file and a download link named after target and optimizer. */
static int media_patch(report *R, const sm_run_result *r, const char *stem, sm_error *err)
{
    FILE *f = R->f;
    unsigned char *d = NULL;
    size_t n = 0;
    const char *dot;
    char name[200], file[200], tsafe[96], osafe[96];
    sm_error e = {0, ""};
    int rc;
    if (!r->patch_path) return 0;
    dot = strrchr(r->patch_path, '.');
    if (!dot || strchr(dot, '/') || strlen(dot) > 16) dot = "";
    if (sm_read_file(r->patch_path, PATCH_MAX_BYTES, &d, &n, &e) != 0) {
        fputs(" <span class=\"sub\">(patch unavailable)</span>", f);
        return 0;
    }
    safe_name(r->target, tsafe, sizeof tsafe);
    safe_name(r->optimizer, osafe, sizeof osafe);
    snprintf(file, sizeof file, "%s%s", stem, dot);
    snprintf(name, sizeof name, "%s-%s%s", tsafe, osafe, dot);
    rc = media_write(R, file, d, n, err);
    free(d);
    if (rc) return rc;
    fputs(" &middot; <a class=\"dl\" download=\"", f);
    sm_html_esc(f, name);
    fputs("\" href=\"media/", f);
    sm_html_url(f, file);
    fputs("\">patch ", f);
    sm_html_esc(f, dot);
    fputs("</a>", f);
    return 0;
}

/* Reads a run's audio; on failure says why in the page and returns nonzero. */
static int read_or_note(FILE *f, const char *path, const char *what, sm_audio *a)
{
    sm_error e = {0, ""};
    if (path && sm_audio_read(path, 0, a, NULL, &e) == 0) return 0;
    fprintf(f, "<p class=\"note\">%s audio unavailable: ", what);
    sm_html_esc(f, path ? sm_error_text(&e) : "no file given");
    fputs("</p>\n", f);
    return 1;
}

int sm_report_media_cells(report *R, size_t t, const size_t *run, size_t n, sm_error *err)
{
    FILE *f = R->f;
    sm_audio ta = {NULL, 0, 0};
    size_t i;
    double ref = 0;
    char stem[64];
    int rc = 0, have_t;
    const sm_run_result *r0 = n ? &R->in->runs[run[0]] : NULL;
    have_t = r0 && read_or_note(f, r0->target_wav, "Target", &ta) == 0;
    fputs("<div class=\"cells\">\n", f);
    if (have_t) {
        float *m = NULL;
        size_t cols = 0;
        if (spec_of(&ta, &m, &cols, NULL) == 0) ref = spec_peak(m, cols);
        free(m);
        fputs("<figure class=\"cell tgt\"><figcaption><b>Target</b>", f);
        if ((double)ta.n > SM_REPORT_MAX_AUDIO_S * ta.sample_rate)
            fprintf(f, " (first %.0f s)", SM_REPORT_MAX_AUDIO_S);
        fputs("</figcaption>", f);
        snprintf(stem, sizeof stem, "t%03zu-target", t);
        rc = media_cell(R, &ta, stem, ref, "Target", err);
        fputs("</figure>\n", f);
        if (rc) goto out;
    }
    for (i = 0; i < n; i++) {
        const sm_run_result *r = &R->in->runs[run[i]];
        sm_audio ma = {NULL, 0, 0};
        char title[200];
        fputs("<figure class=\"cell\"><figcaption>", f);
        sm_html_opt(f, R, R->ro[run[i]]);
        fprintf(f, " <span class=\"sub\">seed %llu</span><br>cost ", r->seed);
        sm_html_num(f, r->final_cost);
        if (r->has_measures) {
            fputs(" &middot; log-mel ", f);
            if (isfinite(r->logmel_db)) fprintf(f, "%.2f&nbsp;dB", r->logmel_db);
            else fputs("&ndash;", f);
            fputs(" &middot; loudness ", f);
            if (isfinite(r->loudness_db)) fprintf(f, "%+.1f&nbsp;dB", r->loudness_db);
            else fputs("silent", f);
        }
        snprintf(stem, sizeof stem, "t%03zu-o%02zu", t, R->ro[run[i]]);
        if ((rc = media_patch(R, r, stem, err)) != 0) goto out;
        fputs("</figcaption>", f);
        snprintf(title, sizeof title, "%s (seed %llu)", r->optimizer, r->seed);
        if (read_or_note(f, r->best_wav, "Match", &ma) == 0) {
            rc = media_cell(R, &ma, stem, have_t ? ref : 0, title, err);
            sm_audio_free(&ma);
        }
        fputs("</figure>\n", f);
        if (rc) goto out;
    }
out:
    fputs("</div>\n", f);
    sm_audio_free(&ta);
    return rc;
}

/* The seven sound descriptors (loudness, percussivity, brightness, tone-likeness, richness,
 * noisiness, pitch) of target t and of each match run[0..n), one table per match from
 * experiments/report_descr.h, folded away on the experiment page and open on the match page.
 * Only running out of memory is an error. */
int sm_report_descriptor_table(report *R, size_t t, const size_t *run, size_t n, sm_error *err)
{
    FILE *f = R->f;
    size_t i;
    int rc;
    (void)t;
    if (!n) return 0;
    fprintf(f, "<details%s><summary>The seven sound descriptors of the target and %s</summary>"
               "\n", R->in->match_page ? " open" : "",
            n == 1 ? "the match" : "each match");
    for (i = 0; i < n; i++) {
        const sm_run_result *r = &R->in->runs[run[i]];
        if (!r->target_wav || !r->best_wav) continue;
        fputs("<h4>", f);
        sm_html_opt(f, R, R->ro[run[i]]);
        fprintf(f, " <span class=\"sub\">seed %llu</span></h4>\n", r->seed);
        if ((rc = sm_report_descr_table(f, r->target_wav, r->best_wav, R->in->synth, err)) != 0)
            return rc;
    }
    fputs("</details>\n", f);
    return 0;
}

/* Every run of target t with the measures no optimizer minimises: log-mel distance and
 * loudness difference of its best.wav to the target (../shared/MEASURES.md), beside its
 * cost. Nothing when the runs carry no measures. */
static void measures_table(const report *R, size_t t)
{
    FILE *f = R->f;
    size_t i;
    int any = 0;
    for (i = 0; i < R->in->n_runs; i++)
        if (R->rt[i] == t && R->in->runs[i].has_measures) any = 1;
    if (!any) return;
    fputs("<details><summary>Every run on this target</summary>\n<table>\n<thead><tr>"
          "<th>Optimizer</th><th class=\"num\">Seed</th>"
          "<th class=\"num\">Cost</th><th class=\"num\">Log-mel distance (dB)</th>"
          "<th class=\"num\">Loudness difference (dB)</th></tr></thead>\n<tbody>\n", f);
    for (i = 0; i < R->in->n_runs; i++) {
        const sm_run_result *r = &R->in->runs[i];
        if (R->rt[i] != t || !r->has_measures) continue;
        fputs("<tr><td>", f);
        sm_html_opt(f, R, R->ro[i]);
        fprintf(f, "</td><td class=\"num\">%llu</td><td class=\"num\">", r->seed);
        sm_html_num(f, r->final_cost);
        fputs("</td><td class=\"num\">", f);
        if (isfinite(r->logmel_db)) fprintf(f, "%.2f", r->logmel_db);
        else fputs("&ndash;", f);
        fputs("</td><td class=\"num\">", f);
        if (isfinite(r->loudness_db)) fprintf(f, "%+.1f", r->loudness_db);
        else fputs("silent", f);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n<p class=\"cap\">Judged by the measures of "
          "MEASURES.md, which the search does not minimise (the matching cost holds log-mel "
          "distances at other resolutions: features/README.md): the log-mel distance (FFT "
          "2048, 64 mel bands, each sound at its own RMS; two "
          "different DX7 voices are about 18 dB apart, one voice in two faithful engines "
          "under 1 dB) and the loudness difference (within 3 dB is loud enough).</p>\n"
          "</details>\n", f);
}


/* One target's section: its notes, each optimizer's best match beside the target, the
 * descriptor table, every run's measures and the convergence on this target. */
static int target_section(report *R, size_t t, sm_error *err)
{
    FILE *f = R->f;
    size_t *run = malloc(R->n_opt * sizeof *run), n = 0, o, bi;
    unsigned char *png = NULL;
    size_t len = 0;
    sm_error perr = {0, ""};
    int rc = 0;
    if (!run) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    fprintf(f, "<section class=\"target\" id=\"t%zu\">\n<h3>", t);
    sm_html_esc(f, R->tgt[t]);
    fputs("</h3>\n", f);
    bi = sm_report_best_run(R, t, SIZE_MAX);
    if (bi == SIZE_MAX) {
        fputs("<p>No run of this target has a final cost.</p>\n</section>\n", f);
        free(run);
        return 0;
    }
    if (R->in->runs[bi].target_notes && R->in->runs[bi].target_notes[0]) {
        fputs("<p class=\"sub\">Target: ", f);
        sm_html_esc(f, R->in->runs[bi].target_notes);
        fputs(".</p>\n", f);
    }
    fputs("<p>Best match: ", f);
    sm_html_opt(f, R, R->ro[bi]);
    fprintf(f, ", seed %llu, cost ", R->in->runs[bi].seed);
    sm_html_num(f, R->in->runs[bi].final_cost);
    fprintf(f, " after %zu evaluations", R->in->runs[bi].evals);
    if (isfinite(R->in->runs[bi].param_error)) {
        fputs(", parameter error ", f);
        sm_html_num(f, R->in->runs[bi].param_error);
    }
    fputs(". Below, the best run of each optimizer beside the target.</p>\n", f);
    for (o = 0; o < R->n_opt; o++) {
        size_t r = sm_report_best_run(R, t, o);
        if (r != SIZE_MAX) run[n++] = r;
    }
    if ((rc = sm_report_media_cells(R, t, run, n, err)) != 0) goto out;
    if ((rc = sm_report_descriptor_table(R, t, run, n, err)) != 0) goto out;
    measures_table(R, t);
    rc = sm_report_convergence_png(R, t, 860, 300, NULL, &png, &len, &perr);
    rc = sm_html_plot_or_note(f, rc, png, len, "convergence on this target", &perr, err);
    fputs("</section>\n", f);
out:
    free(run);
    return rc;
}

int sm_report_section_media(report *R, sm_error *err)
{
    FILE *f = R->f;
    size_t t, shown = R->n_tgt;
    if (shown > SM_REPORT_MAX_MEDIA_TARGETS) shown = SM_REPORT_MAX_MEDIA_TARGETS;
    fprintf(f, "<h2 id=\"media\">Best matches: spectrograms and audio</h2>\n<p class=\"sub\">"
               "For each target: the best run of every optimizer (over seeds), with its "
               "spectrogram and player beside the target&rsquo;s, the log-mel distance and "
               "loudness difference that no optimizer minimises, its patch to download, every "
               "run&rsquo;s measures, and the convergence of each optimizer on the target "
               "(median over seeds, quartile band). Spectrograms: magnitude of a short-time "
               "Fourier transform (Hann window of %d samples, hop %d) in dB relative to the "
               "target&rsquo;s peak, over %.0f dB, on a logarithmic frequency axis from %.0f Hz "
               "to %.0f&nbsp;kHz (or the Nyquist frequency). Audio: 16-bit mono WAV, at most "
               "%.0f s, in the folder <code>media/</code>.</p>\n",
            SPEC_NFFT, SPEC_HOP, SPEC_DB_RANGE, SPEC_FMIN_HZ, SPEC_FMAX_HZ / 1000,
            SM_REPORT_MAX_AUDIO_S);
    if (R->n_tgt > SM_REPORT_MAX_MEDIA_TARGETS)
        fprintf(f, "<p class=\"note\">There are %zu targets: to keep this page small, only the "
                   "first %d have spectrograms and audio players. The table above lists them "
                   "all.</p>\n", R->n_tgt, SM_REPORT_MAX_MEDIA_TARGETS);
    for (t = 0; t < shown; t++) {
        int rc = target_section(R, t, err);
        if (rc) return rc;
    }
    return 0;
}
