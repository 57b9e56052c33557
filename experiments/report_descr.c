/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_descr.c: the descriptor table of one match (see report_descr.h). */
#include "experiments/report_descr.h"

#include "core/audio.h"
#include "experiments/design.h"
#include "features/features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RD_RATE 44100.0

static void note_escaped(FILE *f, const char *what, const char *path, const sm_error *e)
{
    const char *s;
    fprintf(f, "<p class=\"note\">No descriptors of the %s: ", what);
    for (s = e->code ? sm_error_text(e) : path; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else fputc(*s, f);
    }
    fputs("</p>\n", f);
}

/* Reads and describes path as `soundmatch describe` does. */
static int describe_file(const char *path, sm_descr_means *m, sm_error *e)
{
    sm_audio a;
    int rc = sm_audio_read(path, RD_RATE, &a, NULL, e);
    if (rc) return rc;
    sm_design_remove_dc(a.data, a.n, RD_RATE);
    rc = sm_describe(a.data, a.n, RD_RATE, m, NULL, NULL, NULL, e);
    if (rc == SM_ERR_EMPTY) sm_error_set(e, rc, "%s is silent", path);
    sm_audio_free(&a);
    return rc;
}

static void cell(FILE *f, int d, double cmp)
{
    const double v = sm_descriptor_from_cmp(d, cmp);
    if (isnan(v)) fputs("<td>none</td>", f);
    else if (d == SM_D_LOUDNESS) fprintf(f, "<td>%.1f</td>", v);
    else if (d == SM_D_PERCUSSIVITY || d == SM_D_NOISINESS) fprintf(f, "<td>%.3g</td>", v);
    else fprintf(f, "<td>%.0f</td>", v);
}

int sm_report_descr_table(FILE *f, const char *target_wav, const char *match_wav,
                          const char *synth, sm_error *err)
{
    sm_descr_means t, m;
    sm_error e = {0, ""};
    double scale[SM_D_COUNT];
    int d, rc;
    if (!f || !target_wav || !match_wav)
        return sm_error_set(err, SM_ERR_ARG, "descriptor table: no stream or file given");
    if ((rc = describe_file(target_wav, &t, &e)) != 0) {
        if (rc == SM_ERR_NOMEM) return sm_error_set(err, rc, "%s", sm_error_text(&e));
        note_escaped(f, "target", target_wav, &e);
        return 0;
    }
    if ((rc = describe_file(match_wav, &m, &e)) != 0) {
        if (rc == SM_ERR_NOMEM) return sm_error_set(err, rc, "%s", sm_error_text(&e));
        note_escaped(f, "match", match_wav, &e);
        return 0;
    }
    sm_descr_scales(synth, scale);
    fputs("<table class=\"descr\"><tr><th>descriptor</th><th>measure</th><th>unit</th>"
          "<th>target</th><th>match</th><th>error</th></tr>\n", f);
    for (d = 0; d < SM_D_COUNT; d++) {
        const sm_descriptor_info *in = sm_descriptor_get(d);
        const double er = sm_descr_error(d, &t, &m, scale);
        fprintf(f, "<tr><td>%s</td><td>%s</td><td>%s</td>", in->name, in->measure,
                in->unit[0] ? in->unit : "flatness");
        cell(f, d, t.cmp[d]);
        cell(f, d, m.cmp[d]);
        fprintf(f, "<td>%.2f</td></tr>\n", er);
    }
    fprintf(f, "</table>\n<p class=\"note\">Error: |target - match| over the descriptor's spread "
               "among %s sounds (%s), in dB, octaves or semitones; 1 for a pitched against an "
               "unpitched sound. soundmatch describe --help defines each descriptor.</p>\n",
            synth && strcmp(synth, "drum") == 0 ? "drum" : "fm6",
            synth && strcmp(synth, "drum") == 0 ? "Microtonic presets and random drum patches"
                                                : "human DX7 voices");
    return 0;
}
