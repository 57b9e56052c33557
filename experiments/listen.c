/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/listen.c: the listening page of a set of DX7 voices (see experiments/listen.h).
 *
 * The page is made of the report's pieces (experiments/report_internal.h): its HTML escaping,
 * its spectrogram (sm_report_spectrogram_png, on features/spectrogram.c) and its embedded
 * images and players; the WAV bytes come from libsndfile (sm_audio_wav_bytes). Unlike the
 * report, it is one self-contained file: every image and sound is a data URI. */
#include "experiments/listen.h"
#include "core/audio.h"
#include "core/fileio.h"
#include "experiments/report_internal.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const LISTEN_CSS =
    "body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1200px}"
    "table{border-collapse:collapse;margin:1em 0}"
    "th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}"
    "th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "img{display:block;max-width:100%}audio{width:260px}"
    ".small{font-size:85%;color:#555}";

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
    sm_html_esc(f, v->bank_file);
    if (v->slot > 0) fprintf(f, " : %d", v->slot);
    fputs("</td><td><b>", f);
    sm_html_esc(f, v->name);
    fputs("</b>", f);
    if (v->notes) {
        fputs("<div class=\"small\">", f);
        sm_html_esc(f, v->notes);
        fputs("</div>", f);
    }
    snprintf(buf, sizeof buf, "%d", v->algorithm);
    fprintf(f, "</td><td class=\"num\">%s</td><td>", buf);
    sm_html_esc(f, v->kind ? v->kind : "");
    fputs("</td>", f);
    put_descr(f, v->descr);
    fputs("<td>", f);
    if (media && v->audio && v->n > 0 && v->sample_rate > 0) {
        sm_audio a = {(float *)v->audio, v->n, v->sample_rate};
        unsigned char *png = NULL, *wav = NULL;
        size_t len = 0;
        sm_error perr = {0, ""};
        if ((rc = sm_report_spectrogram_png(&a, 0, v->name, &png, &len, &perr)) == 0) {
            rc = sm_html_png(f, png, len, "spectrogram");
            free(png);
        } else if (rc != SM_ERR_NOMEM) {
            fputs("<span class=\"small\">no spectrogram: ", f);
            sm_html_esc(f, sm_error_text(&perr));
            fputs("</span>", f);
            rc = 0;
        }
        if (!rc &&
            (rc = sm_audio_wav_bytes(v->audio, v->n, v->sample_rate, SM_WAV_PCM16, v->name, &wav,
                                     &len, &perr)) == 0) {
            rc = sm_html_audio(f, wav, len);
            free(wav);
        }
        if (rc && rc != SM_ERR_NOMEM) {
            fputs("</td></tr>\n", f);
            return sm_error_set(err, rc, "listening page: %s", sm_error_text(&perr));
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
    sm_html_esc(f, page->title ? page->title : "DX7 voices");
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>", LISTEN_CSS);
    sm_html_esc(f, page->title ? page->title : "DX7 voices");
    fputs("</h1>\n", f);
    if (page->intro) {
        fputs("<p>", f);
        sm_html_esc(f, page->intro);
        fputs("</p>\n", f);
    }
    fprintf(f, "<p class=\"small\">%zu voice%s.", page->n_voices, page->n_voices == 1 ? "" : "s");
    if (page->render_desc) {
        fputs(" Audio and descriptors: ", f);
        sm_html_esc(f, page->render_desc);
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
