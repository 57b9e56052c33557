/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/listen.c: the listening page of a set of DX7 voices (see experiments/listen.h).
 *
 * The page reuses the report's public pieces: sm_base64_encode (experiments/report.h) for the
 * data URIs and sm_plot_heatmap_png (experiments/plot.h) for the spectrograms. The WAV encoding,
 * the HTML escaping and the one-panel spectrogram are small local versions until the report's
 * own are public. */
#include "experiments/listen.h"
#include "core/fileio.h"
#include "experiments/plot.h"
#include "experiments/report.h"
#include "features/stft.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LISTEN_NFFT 1024
#define LISTEN_HOP 256
#define LISTEN_DB_RANGE 80.0
#define LISTEN_FMIN_HZ 30.0

static const char *const LISTEN_CSS =
    "body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1200px}"
    "table{border-collapse:collapse;margin:1em 0}"
    "th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}"
    "th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "img{display:block;max-width:100%}audio{width:260px}"
    ".small{font-size:85%;color:#555}";

/* s with &, <, >, " as entities. */
static void put_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Little-endian unsigned of `bytes` bytes at p; returns p + bytes. */
static unsigned char *le(unsigned char *p, uint32_t v, int bytes)
{
    while (bytes-- > 0) {
        *p++ = (unsigned char)(v & 255);
        v >>= 8;
    }
    return p;
}

/* The audio as a mono 16-bit PCM RIFF/WAVE file in a new buffer (*len bytes). */
static unsigned char *wav_bytes(const float *x, size_t n, double rate, size_t *len)
{
    const uint32_t sr = (uint32_t)lround(rate);
    unsigned char *buf = malloc(44 + 2 * n), *p;
    size_t i;
    if (!buf) return NULL;
    memcpy(buf, "RIFF", 4);
    p = le(buf + 4, (uint32_t)(36 + 2 * n), 4);
    memcpy(p, "WAVEfmt ", 8);
    p += 8;
    p = le(p, 16, 4);
    p = le(p, 1, 2);       /* PCM */
    p = le(p, 1, 2);       /* one channel */
    p = le(p, sr, 4);
    p = le(p, 2 * sr, 4);
    p = le(p, 2, 2);
    p = le(p, 16, 2);
    memcpy(p, "data", 4);
    p = le(p + 4, (uint32_t)(2 * n), 4);
    for (i = 0; i < n; i++) {
        float v = isfinite(x[i]) ? x[i] : 0.0f;
        v = v > 1 ? 1 : v < -1 ? -1 : v;
        p = le(p, (uint32_t)(uint16_t)(int16_t)lrintf(v * 32767.0f), 2);
    }
    *len = 44 + 2 * n;
    return buf;
}

/* A data URI element: <img> for PNG, <audio> for WAV. */
static int put_data_uri(FILE *f, const char *before, const char *mime, const unsigned char *d,
                        size_t n, const char *after)
{
    char *b = sm_base64_encode(d, n, NULL);
    if (!b) return SM_ERR_NOMEM;
    fprintf(f, "%sdata:%s;base64,%s%s", before, mime, b, after);
    free(b);
    return 0;
}

/* The spectrogram of x in dB re its own peak, log frequency axis, as a PNG. */
static int spectrogram(const sm_listen_voice *v, unsigned char **png, size_t *len,
                       sm_error *err)
{
    const size_t rows = LISTEN_NFFT / 2 + 1;
    size_t cols = v->n <= LISTEN_NFFT ? 1 : 1 + (v->n - LISTEN_NFFT) / LISTEN_HOP, c, r;
    double *power = malloc(rows * sizeof *power), top = 0;
    float *db = malloc(cols * rows * sizeof *db);
    sm_stft *st = sm_stft_alloc(LISTEN_NFFT, SM_WINDOW_HANN, err);
    sm_heatmap_panel panel;
    sm_heatmap_plot hp;
    int rc;
    if (!power || !db || !st) {
        free(power);
        free(db);
        sm_stft_free(st);
        return err && err->code ? err->code : sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    for (c = 0; c < cols; c++) {
        sm_stft_frame(st, v->audio, v->n, (long long)(c * LISTEN_HOP));
        sm_stft_power(st, power);
        for (r = 0; r < rows; r++) {
            db[c * rows + r] = (float)power[r];
            if (power[r] > top) top = power[r];
        }
    }
    if (!(top > 0)) top = 1;
    for (r = 0; r < cols * rows; r++) db[r] = (float)(10.0 * log10(db[r] / top + 1e-12));
    memset(&panel, 0, sizeof panel);
    panel.n_cols = cols;
    panel.n_rows = rows;
    panel.v = db;
    panel.x1 = (double)v->n / v->sample_rate;
    panel.y1 = v->sample_rate / 2;
    memset(&hp, 0, sizeof hp);
    hp.panel_width = 300;
    hp.height = 190;
    hp.x_label = "time (s)";
    hp.y_label = "Hz";
    hp.value_label = "dB re peak";
    hp.vmin = -LISTEN_DB_RANGE;
    hp.vmax = 0;
    hp.y_min = LISTEN_FMIN_HZ;
    hp.y_max = v->sample_rate / 2;
    hp.log_y = 1;
    hp.n_panels = 1;
    hp.panels = &panel;
    rc = sm_plot_heatmap_png(&hp, png, len, err);
    free(power);
    free(db);
    sm_stft_free(st);
    return rc;
}

static void put_descr(FILE *f, const sm_voice_descr *d)
{
    if (!d) {
        fputs("<td class=\"num\" colspan=\"6\"></td>", f);
        return;
    }
    fprintf(
        f,
        "<td class=\"num\">%.3f</td><td class=\"num\">%.2f</td><td class=\"num\">%.1f</td>"
        "<td class=\"num\">%.2f</td><td class=\"num\">%.2f</td><td class=\"num\">%.2f / %.3f</td>",
        d->attack_s, d->decay_s, d->sustain_db, d->release_s, d->brightness, d->pitch_stability,
        d->noisiness);
}

static int put_row(FILE *f, const sm_listen_voice *v, size_t i, int media, sm_error *err)
{
    char buf[64];
    int rc = 0;
    fprintf(f, "<tr><td class=\"num\">%zu</td><td>", i + 1);
    put_text(f, v->bank_file);
    if (v->slot > 0) fprintf(f, " : %d", v->slot);
    fputs("</td><td><b>", f);
    put_text(f, v->name);
    fputs("</b>", f);
    if (v->notes) {
        fputs("<div class=\"small\">", f);
        put_text(f, v->notes);
        fputs("</div>", f);
    }
    snprintf(buf, sizeof buf, "%d", v->algorithm);
    fprintf(f, "</td><td class=\"num\">%s</td><td>", buf);
    put_text(f, v->kind ? v->kind : "");
    fputs("</td>", f);
    put_descr(f, v->descr);
    fputs("<td>", f);
    if (media && v->audio && v->n > 0 && v->sample_rate > 0) {
        unsigned char *png = NULL, *wav;
        size_t len = 0;
        if (spectrogram(v, &png, &len, err) == 0) {
            rc = put_data_uri(f, "<img alt=\"spectrogram\" src=\"", "image/png", png, len, "\">");
            free(png);
        } else {
            fputs("<span class=\"small\">no spectrogram</span>", f);
        }
        if (!rc && (wav = wav_bytes(v->audio, v->n, v->sample_rate, &len)) != NULL) {
            rc = put_data_uri(f, "<audio controls preload=\"none\" src=\"", "audio/wav", wav, len,
                              "\"></audio>");
            free(wav);
        } else if (!rc) {
            rc = SM_ERR_NOMEM;
        }
    }
    fputs("</td></tr>\n", f);
    if (rc == SM_ERR_NOMEM) sm_error_set(err, rc, "listening page: out of memory");
    return rc;
}

int sm_listen_write(const char *path, const sm_listen_page *page, sm_error *err)
{
    sm_outfile of;
    FILE *f;
    size_t i;
    int rc;
    if (!path || !page || (page->n_voices && !page->voices))
        return sm_error_set(err, SM_ERR_ARG, "listening page: no file name or no voices");
    rc = sm_outfile_open(&of, path, err);
    if (rc) return rc;
    f = of.f;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", f);
    put_text(f, page->title ? page->title : "DX7 voices");
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>", LISTEN_CSS);
    put_text(f, page->title ? page->title : "DX7 voices");
    fputs("</h1>\n", f);
    if (page->intro) {
        fputs("<p>", f);
        put_text(f, page->intro);
        fputs("</p>\n", f);
    }
    fprintf(f, "<p class=\"small\">%zu voice%s.", page->n_voices, page->n_voices == 1 ? "" : "s");
    if (page->render_desc) {
        fputs(" Audio and descriptors: ", f);
        put_text(f, page->render_desc);
        fputs(".", f);
    }
    if (page->n_voices > SM_LISTEN_MAX_MEDIA)
        fprintf(f, " Spectrograms and players for the first %d voices only.", SM_LISTEN_MAX_MEDIA);
    fputs(" Attack: to within 3 dB of the peak; decay: from the peak to 20 dB below it (10: 10 s"
          " or more); sustain:"
          " the level at the release re the peak; release: to 30 dB below that level; "
          "brightness: spectral centroid in octaves above the note; pitch stability (share of "
          "frames within 50 cents of the median pitch) / noisiness (spectral flatness).</p>\n",
          f);
    fputs("<table><tr><th>#</th><th>bank : slot</th><th>name</th><th>algorithm</th><th>kind</th>"
          "<th>attack (s)</th><th>decay (s)</th><th>sustain (dB)</th><th>release (s)</th>"
          "<th>brightness (oct)</th><th>pitch stab. / noise</th><th>listen</th></tr>\n",
          f);
    for (i = 0; i < page->n_voices && !rc; i++)
        rc = put_row(f, &page->voices[i], i, i < SM_LISTEN_MAX_MEDIA, err);
    fputs("</table>\n</body></html>\n", f);
    if (!rc && ferror(f)) rc = sm_error_set(err, SM_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc) {
        sm_outfile_abort(&of);
        return rc;
    }
    return sm_outfile_commit(&of, err);
}
