/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/morph_page.c: the page of a morph (see experiments/morph_page.h). */
#include "experiments/morph_page.h"

#include "core/fileio.h"
#include "experiments/plot.h"
#include "experiments/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* The plot of descriptor d over the steps: the straight line and each mode. */
static int descriptor_plot(FILE *f, const sm_morph_page *in, int d, size_t N, sm_error *err)
{
    const sm_morph_result *m[2] = {in->by_descriptors, in->by_parameters};
    const sm_morph_result *any = m[0] ? m[0] : m[1];
    const sm_descriptor_info *info = sm_descriptor_get(d);
    static const char *const labels[3] = {"straight line, band +-0.15 spread", "by descriptors",
                                          "by parameters"};
    double *x = malloc(N * sizeof *x), *y = malloc(5 * N * sizeof *y);
    sm_plot_series s[3];
    sm_line_plot p;
    unsigned char *png = NULL;
    size_t len = 0, k, ns = 0;
    char ylab[96], title[96];
    int i, rc, logy = d != SM_D_LOUDNESS;
    sm_error perr = {0, ""};
    if (!x || !y) {
        free(x);
        free(y);
        return sm_error_set(err, SM_ERR_NOMEM, "morph page: out of memory");
    }
    for (k = 0; k < N; k++) {
        const double w = any->want[k].cmp[d], band = in->scale ? 0.15 * in->scale[d] : 0.0;
        x[k] = (double)(k + 1);
        y[k] = sm_descriptor_from_cmp(d, w);
        y[3 * N + k] = sm_descriptor_from_cmp(d, w - band);   /* the tolerance band */
        y[4 * N + k] = sm_descriptor_from_cmp(d, w + band);
    }
    memset(s, 0, sizeof s);
    s[ns].label = labels[0], s[ns].n = N, s[ns].x = x, s[ns].y = y;
    s[ns].lo = y + 3 * N, s[ns].hi = y + 4 * N, ns++;
    for (i = 0; i < 2; i++) {
        if (!m[i]) continue;
        for (k = 0; k < N; k++) y[(size_t)(i + 1) * N + k] = sm_descriptor_from_cmp(d, m[i]->got[k].cmp[d]);
        s[ns].label = labels[i + 1], s[ns].n = N, s[ns].x = x, s[ns].y = y + (size_t)(i + 1) * N;
        ns++;
    }
    snprintf(ylab, sizeof ylab, "%s (%s)", info->name, info->unit[0] ? info->unit : "flatness");
    snprintf(title, sizeof title, "%s: %s", info->name, info->measure);
    memset(&p, 0, sizeof p);
    p.width = 480;
    p.height = 300;
    p.title = title;
    p.x_label = "step";
    p.y_label = ylab;
    p.log_y = logy;
    p.n_series = ns;
    p.series = s;
    rc = sm_plot_lines_png(&p, &png, &len, &perr);
    if (rc == 0) {
        char *b = sm_base64_encode(png, len, NULL);
        if (!b) rc = SM_ERR_NOMEM;
        else {
            fprintf(f, "<img alt=\"%s over the steps\" src=\"data:image/png;base64,%s\">\n",
                    info->name, b);
            free(b);
        }
    } else if (rc != SM_ERR_NOMEM) {
        fprintf(f, "<p>No plot of %s: ", info->name);
        esc(f, sm_error_text(&perr));
        fputs("</p>\n", f);
        rc = 0;
    }
    free(png);
    free(x);
    free(y);
    return rc ? sm_error_set(err, rc, "morph page: out of memory") : 0;
}

/* The worst and median error of each descriptor over the steps of one mode. */
static void mode_summary(FILE *f, const char *name, const sm_morph_result *m)
{
    int d;
    fprintf(f, "<tr><th>%s</th>", name);
    for (d = 0; d < SM_D_COUNT; d++) {
        double worst = -1;
        size_t k;
        for (k = 0; k < m->n_steps; k++) {
            const double e = m->error[k * SM_D_COUNT + d];
            if (!isnan(e) && e > worst) worst = e;
        }
        if (worst < 0) fputs("<td>-</td>", f);
        else fprintf(f, "<td%s>%.3f</td>", worst <= 0.15 ? "" : " class=\"far\"", worst);
    }
    fprintf(f, "<td>%.1f s</td></tr>\n", m->seconds);
}

int sm_morph_page_write(const char *path, const sm_morph_page *in, sm_error *err)
{
    const sm_morph_result *m[2];
    static const char *const dirs[2] = {"descriptors", "parameters"};
    sm_outfile of;
    size_t N, k;
    int d, i, rc;
    FILE *f;
    if (!path || !in || (!in->by_descriptors && !in->by_parameters))
        return sm_error_set(err, SM_ERR_ARG, "morph page: nothing to show");
    m[0] = in->by_descriptors;
    m[1] = in->by_parameters;
    N = m[0] ? m[0]->n_steps : m[1]->n_steps;
    if (m[0] && m[1] && m[0]->n_steps != m[1]->n_steps)
        return sm_error_set(err, SM_ERR_ARG, "morph page: the modes have different step counts");
    if ((rc = sm_outfile_open(&of, path, err)) != 0) return rc;
    f = of.f;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Morph: ", f);
    esc(f, in->title_a);
    fputs(" to ", f);
    esc(f, in->title_b);
    fputs("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
          "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
          "padding:3px 8px;text-align:right}th{background:#f3f3f3}.far{color:#b00;"
          "font-weight:bold}img{margin:4px}audio{width:150px}</style></head><body>\n", f);
    fputs("<h1>Morph from ", f);
    esc(f, in->title_a);
    fputs(" to ", f);
    esc(f, in->title_b);
    fprintf(f, "</h1>\n<p>%zu steps of the <b>", N);
    esc(f, in->synth);
    fputs("</b> synth. Step k aims at the descriptors (1 - a) A + a B, a = (k - 1) / (N - 1), in"
          " comparison units (levels and flatness in dB, frequencies and rates as ratios, pitch"
          " in semitones). <i>By descriptors</i>: each step is designed for its descriptors. "
          "<i>By parameters</i>: the patches of A and B are interpolated (enumerated parameters"
          " take A's or B's value, whichever sounds nearer the step's descriptors). An error is"
          " |got - wanted| over the descriptor's published spread; errors above 0.15 are in "
          "red. Pitch has no line to follow when one end is pitched and the other is not.</p>\n",
          f);
    fputs("<h2>Worst error of any step</h2>\n<table><tr><th>mode</th>", f);
    for (d = 0; d < SM_D_COUNT; d++) fprintf(f, "<th>%s</th>", sm_descriptor_get(d)->name);
    fputs("<th>time</th></tr>\n", f);
    for (i = 0; i < 2; i++)
        if (m[i]) mode_summary(f, dirs[i], m[i]);
    fputs("</table>\n<p>Spreads:", f);
    for (d = 0; d < SM_D_COUNT && in->scale; d++)
        fprintf(f, " %s %.3g %s;", sm_descriptor_get(d)->name, in->scale[d],
                sm_descriptor_get(d)->cmp_unit);
    fputs("</p>\n<h2>Descriptors over the steps</h2>\n<div>\n", f);
    for (d = 0; d < SM_D_COUNT && !rc; d++) rc = descriptor_plot(f, in, d, N, err);
    if (rc) {
        sm_outfile_abort(&of);
        return rc;
    }
    fputs("</div>\n<h2>Steps</h2>\n<table><tr><th>step</th>", f);
    for (i = 0; i < 2; i++)
        if (m[i]) fprintf(f, "<th>%s</th>", dirs[i]);
    for (d = 0; d < SM_D_COUNT; d++) fprintf(f, "<th>%s wanted</th>", sm_descriptor_get(d)->name);
    fputs("</tr>\n", f);
    for (k = 0; k < N; k++) {
        const sm_morph_result *any = m[0] ? m[0] : m[1];
        fprintf(f, "<tr><th>%zu</th>", k + 1);
        for (i = 0; i < 2; i++)
            if (m[i])
                fprintf(f, "<td><audio controls preload=\"none\" src=\"%s/step_%zu.wav\"></audio>"
                           "</td>", dirs[i], k + 1);
        for (d = 0; d < SM_D_COUNT; d++) {
            const double v = sm_descriptor_from_cmp(d, any->want[k].cmp[d]);
            if (isnan(v)) fputs("<td>none</td>", f);
            else fprintf(f, "<td>%.4g</td>", v);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n</body></html>\n", f);
    return sm_outfile_commit(&of, err);
}
