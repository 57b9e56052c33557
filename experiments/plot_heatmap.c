/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/plot_heatmap.c: heatmaps (one or more panels sharing a colour scale and a colour
 * bar, e.g. spectrograms) drawn with cairo into in-memory PNGs, and the colour map they use
 * (see experiments/plot.h; canvas, text and axes come from experiments/plot.c). */
#include "experiments/plot.h"
#include "experiments/plot_internal.h"

#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sm_plot_colormap(double t, double *r, double *g, double *b)
{
    /* matplotlib's magma sampled at 11 points (t = 0, 0.1, ..., 1). */
    static const double m[11][3] = {
        {0.001, 0.000, 0.014}, {0.077, 0.042, 0.206}, {0.232, 0.060, 0.438},
        {0.390, 0.100, 0.502}, {0.550, 0.161, 0.506}, {0.716, 0.215, 0.475},
        {0.868, 0.288, 0.409}, {0.967, 0.440, 0.360}, {0.994, 0.624, 0.427},
        {0.997, 0.800, 0.550}, {0.987, 0.991, 0.750}};
    double f;
    int i;
    if (!(t > 0)) t = 0;
    if (t > 1) t = 1;
    f = t * 10;
    i = (int)f;
    if (i >= 10) i = 9;
    f -= i;
    *r = m[i][0] + f * (m[i + 1][0] - m[i][0]);
    *g = m[i][1] + f * (m[i + 1][1] - m[i][1]);
    *b = m[i][2] + f * (m[i + 1][2] - m[i][2]);
}

/* ---- heatmaps ---- */

/* Value of panel column c at fractional row fr (linear interpolation between rows). */
static double panel_value(const sm_heatmap_panel *pn, size_t c, double fr)
{
    const float *col = pn->v + c * pn->n_rows;
    size_t r;
    double f, a, b;
    if (fr <= 0) return col[0];
    if (fr >= (double)(pn->n_rows - 1)) return col[pn->n_rows - 1];
    r = (size_t)fr;
    f = fr - (double)r;
    a = col[r];
    b = col[r + 1];
    if (!isfinite(a)) return b;
    if (!isfinite(b)) return a;
    return a + f * (b - a);
}

/* Paints one panel's pixels into an image surface of pw x ph placed at (x, y). */
static int paint_panel(cairo_t *cr, const sm_heatmap_plot *h, const sm_heatmap_panel *pn,
                       const sm_plot_axis *ay, double x, double y, int pw, int ph)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph);
    unsigned char *data;
    int stride, px, py;
    double span = h->vmax - h->vmin;
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return SM_ERR_NOMEM;
    }
    cairo_surface_flush(img);
    data = cairo_image_surface_get_data(img);
    stride = cairo_image_surface_get_stride(img);
    for (py = 0; py < ph; py++) {
        /* the y value at this pixel row's centre, then its fractional row index */
        double t = 1.0 - ((double)py + 0.5) / (double)ph, yv, fr;
        if (ay->log) yv = ay->lo * pow(ay->hi / ay->lo, t);
        else yv = ay->lo + t * (ay->hi - ay->lo);
        fr = (yv - pn->y0) / (pn->y1 - pn->y0) * (double)(pn->n_rows - 1);
        for (px = 0; px < pw; px++) {
            size_t c = (size_t)(((double)px + 0.5) / (double)pw * (double)pn->n_cols);
            double v, r, g, b;
            uint32_t *pix = (uint32_t *)(void *)(data + (size_t)py * (size_t)stride) + px;
            if (c >= pn->n_cols) c = pn->n_cols - 1;
            if (fr < -0.5 || fr > (double)(pn->n_rows - 1) + 0.5) v = NAN; /* outside the data */
            else v = panel_value(pn, c, fr);
            sm_plot_colormap(isfinite(v) && span > 0 ? (v - h->vmin) / span : 0, &r, &g, &b);
            *pix = ((uint32_t)lround(r * 255) << 16) | ((uint32_t)lround(g * 255) << 8) |
                   (uint32_t)lround(b * 255);
        }
    }
    cairo_surface_mark_dirty(img);
    cairo_set_source_surface(cr, img, x, y);
    cairo_paint(cr);
    cairo_surface_destroy(img);
    return 0;
}

int sm_plot_heatmap_png(const sm_heatmap_plot *h, unsigned char **png, size_t *png_len,
                        sm_error *err)
{
    int pw, height, ph, w, rc;
    const double left = 64, gap = 58, top = 30, cb_gap = 18, cb_w = 14, cb_right = 62;
    double bottom;
    size_t i;
    cairo_surface_t *s;
    cairo_t *cr;
    if (png) *png = NULL;
    if (png_len) *png_len = 0;
    if (!h || !png || !png_len || !h->panels || h->n_panels < 1 || h->n_panels > 8)
        return sm_error_set(err, SM_ERR_ARG, "heatmap: missing argument or bad panel count");
    if (!(h->vmax > h->vmin))
        return sm_error_set(err, SM_ERR_ARG, "heatmap: the colour range is empty");
    for (i = 0; i < h->n_panels; i++) {
        const sm_heatmap_panel *pn = &h->panels[i];
        if (!pn->v || pn->n_cols < 1 || pn->n_rows < 2 || !(pn->x1 > pn->x0) ||
            !(pn->y1 > pn->y0))
            return sm_error_set(err, SM_ERR_ARG, "heatmap: panel %zu has no data or range", i);
    }
    pw = h->panel_width ? h->panel_width : 420;
    height = h->height ? h->height : 330;
    ph = height - (int)top - 46;
    w = (int)(left + (double)h->n_panels * pw + (double)(h->n_panels - 1) * gap + cb_gap + cb_w +
              cb_right);
    if (pw < 16 || ph < 16 || w > 8192 || height > 8192)
        return sm_error_set(err, SM_ERR_ARG, "heatmap: size out of range");
    bottom = top + ph;
    cr = sm_plot_new_canvas(w, height, &s, err);
    if (!cr) return SM_ERR_NOMEM;
    for (i = 0; i < h->n_panels; i++) {
        const sm_heatmap_panel *pn = &h->panels[i];
        double x = left + (double)i * (pw + gap);
        sm_plot_axis ax = {pn->x0, pn->x1, 0, x, x + pw};
        sm_plot_axis ay = {pn->y0, pn->y1, h->log_y != 0, bottom, top};
        if (isfinite(h->y_min)) ay.lo = h->y_min;
        if (isfinite(h->y_max) && h->y_max > ay.lo) ay.hi = h->y_max;
        if (ay.log && !(ay.lo > 0)) ay.lo = ay.hi / 1000;
        if (!(ay.hi > ay.lo)) ay.hi = ay.lo + (ay.log ? ay.lo : 1);
        rc = paint_panel(cr, h, pn, &ay, x, top, pw, ph);
        if (rc) {
            cairo_destroy(cr);
            cairo_surface_destroy(s);
            return sm_error_set(err, rc, "heatmap: cannot make the panel image");
        }
        sm_plot_draw_axes(cr, &ax, &ay, 0);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_set_font_size(cr, 12);
        sm_plot_text_at(cr, x + pw / 2.0, height - 6, h->x_label, 0.5, 1);
        if (i == 0) sm_plot_text_vertical(cr, 12, (top + bottom) / 2, h->y_label);
        if (pn->title && *pn->title) {
            cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
            cairo_set_font_size(cr, 12);
            sm_plot_text_at(cr, x + pw / 2.0, top - 8, pn->title, 0.5, 1);
            cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL,
                                   CAIRO_FONT_WEIGHT_NORMAL);
        }
    }
    { /* the colour bar */
        double cx = left + (double)h->n_panels * pw + (double)(h->n_panels - 1) * gap + cb_gap;
        cairo_pattern_t *g = cairo_pattern_create_linear(0, bottom, 0, top);
        sm_plot_axis av = {h->vmin, h->vmax, 0, bottom, top};
        double t[32];
        size_t n, k;
        char buf[32];
        for (k = 0; k <= 20; k++) {
            double r, gg, b;
            sm_plot_colormap(k / 20.0, &r, &gg, &b);
            cairo_pattern_add_color_stop_rgb(g, k / 20.0, r, gg, b);
        }
        cairo_rectangle(cr, cx, top, cb_w, ph);
        cairo_set_source(cr, g);
        cairo_fill(cr);
        cairo_pattern_destroy(g);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_set_line_width(cr, 1);
        cairo_rectangle(cr, floor(cx) + 0.5, floor(top) + 0.5, cb_w, ph);
        cairo_stroke(cr);
        cairo_set_font_size(cr, 11);
        n = sm_plot_axis_ticks(&av, t, 32, 5);
        for (k = 0; k < n; k++) {
            double py = floor(sm_plot_axis_map(&av, t[k])) + 0.5;
            cairo_move_to(cr, cx + cb_w, py);
            cairo_line_to(cr, cx + cb_w + 4, py);
            cairo_stroke(cr);
            sm_plot_format_tick(buf, sizeof buf, t[k], 0);
            sm_plot_text_at(cr, cx + cb_w + 7, py, buf, 0, 0.5);
        }
        cairo_set_font_size(cr, 12);
        sm_plot_text_vertical(cr, w - 12, (top + bottom) / 2, h->value_label);
    }
    return sm_plot_finish_png(cr, s, png, png_len, err);
}
