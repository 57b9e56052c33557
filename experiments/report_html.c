/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_html.c: HTML output helpers of the report and base64 (see
 * experiments/report_internal.h). Everything written into the page goes through these: text
 * is escaped, URLs percent-encoded, numbers formatted one way everywhere. */
#include "experiments/report_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/plot.h"

char *sm_base64_encode(const void *data, size_t n, size_t *out_len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    size_t i, o = 0, len;
    char *s;
    if (out_len) *out_len = 0;
    if (n > (SIZE_MAX - 1) / 4 * 3 - 3) return NULL;
    len = (n + 2) / 3 * 4;
    s = malloc(len + 1);
    if (!s) return NULL;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        s[o++] = tab[v >> 18 & 63];
        s[o++] = tab[v >> 12 & 63];
        s[o++] = tab[v >> 6 & 63];
        s[o++] = tab[v & 63];
    }
    if (i < n) { /* one or two bytes left */
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        s[o++] = tab[v >> 18 & 63];
        s[o++] = tab[v >> 12 & 63];
        s[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        s[o++] = '=';
    }
    s[o] = '\0';
    if (out_len) *out_len = o;
    return s;
}

void sm_html_esc(FILE *f, const char *s)
{
    if (!s) return;
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

void sm_html_url(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '/' || c == '.' || c == '-' || c == '_' || c == '~')
            fputc(c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}

void sm_html_num(FILE *f, double v)
{
    if (isnan(v)) fputs("&mdash;", f);
    else if (isinf(v)) fputs(v > 0 ? "&infin;" : "&minus;&infin;", f);
    else if (fabs(v) >= 1e4 && fabs(v) < 1e12) fprintf(f, "%.0f", v); /* 30000, not 3e+04 */
    else fprintf(f, "%.4g", v);
}

void sm_html_p(FILE *f, double p)
{
    if (isnan(p)) fputs("&mdash;", f);
    else if (p < 0.0001) fputs("&lt;&nbsp;0.0001", f);
    else fprintf(f, "%.4f", p);
}

void sm_html_duration(FILE *f, double s)
{
    if (!isfinite(s) || s < 0) fputs("&mdash;", f);
    else if (s < 1) fprintf(f, "%.0f&nbsp;ms", s * 1000);
    else if (s < 60) fprintf(f, "%.1f&nbsp;s", s);
    else if (s < 3600) fprintf(f, "%dm&nbsp;%02ds", (int)(s / 60), (int)fmod(s, 60));
    else fprintf(f, "%dh&nbsp;%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

void sm_html_opt(FILE *f, const report *R, size_t o)
{
    fprintf(f, "<span class=\"on\"><span class=\"sw\" style=\"background:#%06X\"></span>",
            sm_plot_palette(o));
    sm_html_esc(f, R->opt[o]);
    fputs("</span>", f);
}

int sm_html_png(FILE *f, const unsigned char *png, size_t n, const char *alt)
{
    char *b = sm_base64_encode(png, n, NULL);
    if (!b) return SM_ERR_NOMEM;
    fputs("<img class=\"plot\" alt=\"", f);
    sm_html_esc(f, alt);
    fputs("\" src=\"data:image/png;base64,", f);
    fputs(b, f);
    fputs("\">", f);
    free(b);
    return 0;
}

int sm_html_plot_or_note(FILE *f, int rc, unsigned char *png, size_t len, const char *alt,
                         const sm_error *perr, sm_error *err)
{
    if (rc == 0) {
        rc = sm_html_png(f, png, len, alt);
        free(png);
        if (rc) return sm_error_set(err, rc, "report: out of memory");
        return 0;
    }
    if (rc == SM_ERR_NOMEM) return sm_error_set(err, rc, "report: %s", sm_error_text(perr));
    fputs("<p class=\"note\">No plot: ", f);
    sm_html_esc(f, sm_error_text(perr));
    fputs("</p>\n", f);
    return 0;
}

int sm_html_audio(FILE *f, const unsigned char *wav, size_t n)
{
    char *b = sm_base64_encode(wav, n, NULL);
    if (!b) return SM_ERR_NOMEM;
    fputs("<audio controls preload=\"none\" src=\"data:audio/wav;base64,", f);
    fputs(b, f);
    fputs("\"></audio>", f);
    free(b);
    return 0;
}

int sm_html_download(FILE *f, const void *data, size_t n, const char *mime, const char *name,
                     const char *text)
{
    char *b = sm_base64_encode(data, n, NULL);
    if (!b) return SM_ERR_NOMEM;
    fputs("<a class=\"dl\" download=\"", f);
    sm_html_esc(f, name);
    fprintf(f, "\" href=\"data:%s;base64,", mime);
    fputs(b, f);
    fputs("\">", f);
    sm_html_esc(f, text);
    fputs("</a>", f);
    free(b);
    return 0;
}
