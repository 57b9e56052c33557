/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/plot.c: line plots and heatmaps drawn with cairo into in-memory PNGs, and the
 * canvas, text and axis helpers every plot shares (see experiments/plot.h and
 * experiments/plot_internal.h; heatmaps are in experiments/plot_heatmap.c, box plots and
 * critical-difference diagrams in experiments/plot_stats.c). */
#include "experiments/plot.h"
#include "experiments/plot_internal.h"

#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PNG to memory ---- */

typedef struct {
    unsigned char *data;
    size_t len, cap;
    int failed;
} png_buffer;

static cairo_status_t png_write_cb(void *closure, const unsigned char *data, unsigned int n)
{
    png_buffer *b = closure;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        unsigned char *p;
        while (cap < b->len + n) cap *= 2;
        p = realloc(b->data, cap);
        if (!p) {
            b->failed = 1;
            return CAIRO_STATUS_WRITE_ERROR;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return CAIRO_STATUS_SUCCESS;
}

/* Finishes drawing on cr/surface and encodes the surface as PNG into *png. Destroys both. */
int sm_plot_finish_png(cairo_t *cr, cairo_surface_t *s, unsigned char **png, size_t *png_len,
                      sm_error *err)
{
    png_buffer b = {NULL, 0, 0, 0};
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS) {
        cairo_surface_flush(s);
        st = cairo_surface_write_to_png_stream(s, png_write_cb, &b);
    }
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS || b.failed) {
        free(b.data);
        return sm_error_set(err, SM_ERR_NOMEM, "cannot draw the plot: %s",
                            b.failed ? "out of memory" : cairo_status_to_string(st));
    }
    *png = b.data;
    *png_len = b.len;
    return 0;
}

/* A new white RGB surface and its context; NULL (err set) on failure. */
cairo_t *sm_plot_new_canvas(int w, int h, cairo_surface_t **surface, sm_error *err)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr;
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        sm_error_set(err, SM_ERR_NOMEM, "cannot make a %d x %d image", w, h);
        return NULL;
    }
    cr = cairo_create(s);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        cairo_destroy(cr);
        cairo_surface_destroy(s);
        sm_error_set(err, SM_ERR_NOMEM, "cannot draw on a %d x %d image", w, h);
        return NULL;
    }
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    *surface = s;
    return cr;
}

/* ---- text ---- */

/* Draws text with its anchor at (x, y): ha 0 left .. 1 right, va 0 top .. 1 bottom. */
void sm_plot_text_at(cairo_t *cr, double x, double y, const char *s, double ha, double va)
{
    cairo_text_extents_t e;
    if (!s || !*s) return;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - e.x_bearing - ha * e.width, y - e.y_bearing - va * e.height);
    cairo_show_text(cr, s);
}

/* Text rotated a quarter turn counter-clockwise, centred on (x, y). */
void sm_plot_text_vertical(cairo_t *cr, double x, double y, const char *s)
{
    if (!s || !*s) return;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -M_PI / 2);
    sm_plot_text_at(cr, 0, 0, s, 0.5, 0.5);
    cairo_restore(cr);
}

double sm_plot_text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    if (!s || !*s) return 0;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* ---- axes ---- */


double sm_plot_axis_map(const sm_plot_axis *a, double v)
{
    double t;
    if (a->log) t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    else t = (v - a->lo) / (a->hi - a->lo);
    return a->p0 + t * (a->p1 - a->p0);
}

/* Whether v can be placed on the axis. */
int sm_plot_axis_ok(const sm_plot_axis *a, double v)
{
    return isfinite(v) && (!a->log || v > 0);
}

/* A "nice" step (1, 2 or 5 times a power of ten) near range / target. */
static double nice_step(double range, int target)
{
    double raw = range / (double)target, mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    if (f < 1.5) return mag;
    if (f < 3.5) return 2 * mag;
    if (f < 7.5) return 5 * mag;
    return 10 * mag;
}

/* Widens a degenerate range and pads a linear one slightly. */
void sm_plot_axis_finish_range(sm_plot_axis *a, double pad)
{
    if (a->log) {
        if (!(a->hi > a->lo)) {
            a->lo /= 2;
            a->hi *= 2;
        } else if (pad > 0) {
            double r = log10(a->hi / a->lo) * pad;
            a->lo /= pow(10, r);
            a->hi *= pow(10, r);
        }
    } else {
        if (!(a->hi > a->lo)) {
            double d = a->lo != 0 ? fabs(a->lo) * 0.1 : 1.0;
            a->lo -= d;
            a->hi += d;
        } else if (pad > 0) {
            double r = (a->hi - a->lo) * pad;
            a->lo -= r;
            a->hi += r;
        }
    }
}

void sm_plot_format_tick(char *buf, size_t n, double v, int log)
{
    if (log) {
        int k = (int)lround(log10(v));
        if (fabs(v - pow(10, k)) < 1e-9 * v && (k < -3 || k > 4)) {
            snprintf(buf, n, "1e%d", k);
            return;
        }
    }
    if (fabs(v) < 1e-12) v = 0;
    snprintf(buf, n, "%g", v);
}

static int in_range(const sm_plot_axis *a, double v)
{
    return v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9);
}

/* Labelled tick values of an axis into t[] (at most max); returns the count. Log axes get
 * decades, or 1-2-5 steps when they span little more than two decades. */
size_t sm_plot_axis_ticks(const sm_plot_axis *a, double *t, size_t max, int target)
{
    size_t n = 0;
    if (a->log) {
        int k0 = (int)floor(log10(a->lo)), k1 = (int)ceil(log10(a->hi)), k, step = 1;
        if (log10(a->hi / a->lo) <= 2.6) {
            static const double m[] = {1, 2, 5};
            for (k = k0; k <= k1 && n < max; k++) {
                size_t j;
                for (j = 0; j < 3 && n < max; j++) {
                    double v = m[j] * pow(10, k);
                    if (in_range(a, v)) t[n++] = v;
                }
            }
            if (n < 2) { /* a very narrow range: fall back to linear ticks */
                sm_plot_axis lin = *a;
                lin.log = 0;
                return sm_plot_axis_ticks(&lin, t, max, target);
            }
        } else {
            while ((k1 - k0) / step > target) step++;
            for (k = k0; k <= k1 && n < max; k += step) {
                double v = pow(10, k);
                if (in_range(a, v)) t[n++] = v;
            }
        }
    } else {
        double step = nice_step(a->hi - a->lo, target), v = ceil(a->lo / step - 1e-9) * step;
        for (; v <= a->hi + step * 1e-9 && n < max; v += step) t[n++] = v;
    }
    return n;
}

/* Unlabelled minor ticks of a log axis (2..9 times each decade) when it spans at most six
 * decades; returns the count (0 for linear axes). */
static size_t axis_minor_ticks(const sm_plot_axis *a, double *t, size_t max)
{
    size_t n = 0;
    int k, m;
    if (!a->log || log10(a->hi / a->lo) > 6) return 0;
    for (k = (int)floor(log10(a->lo)); k <= (int)ceil(log10(a->hi)); k++)
        for (m = 2; m <= 9 && n < max; m++) {
            double v = m * pow(10, k);
            if (in_range(a, v)) t[n++] = v;
        }
    return n;
}

/* Draws the frame, grid lines, ticks and tick labels of a plot area. */
void sm_plot_draw_axes(cairo_t *cr, const sm_plot_axis *ax, const sm_plot_axis *ay, int grid)
{
    double t[64];
    size_t n, i;
    char buf[32];
    double x0 = ax->p0, x1 = ax->p1, y0 = ay->p0, y1 = ay->p1; /* y0 bottom, y1 top */
    const int x_ticks = ax->hi > ax->lo;
    cairo_set_font_size(cr, 11);
    cairo_set_line_width(cr, 1);
    n = x_ticks ? axis_minor_ticks(ax, t, 64) : 0;
    for (i = 0; i < n; i++) {
        double px = floor(sm_plot_axis_map(ax, t[i])) + 0.5;
        cairo_set_source_rgb(cr, grid ? 0.95 : 0.2, grid ? 0.95 : 0.2, grid ? 0.95 : 0.2);
        cairo_move_to(cr, px, grid ? y1 : y0);
        cairo_line_to(cr, px, y0 + 2);
        cairo_stroke(cr);
    }
    n = axis_minor_ticks(ay, t, 64);
    for (i = 0; i < n; i++) {
        double py = floor(sm_plot_axis_map(ay, t[i])) + 0.5;
        cairo_set_source_rgb(cr, grid ? 0.95 : 0.2, grid ? 0.95 : 0.2, grid ? 0.95 : 0.2);
        cairo_move_to(cr, x0 - 2, py);
        cairo_line_to(cr, grid ? x1 : x0, py);
        cairo_stroke(cr);
    }
    n = x_ticks ? sm_plot_axis_ticks(ax, t, 64, 6) : 0;
    for (i = 0; i < n; i++) {
        double px = floor(sm_plot_axis_map(ax, t[i])) + 0.5;
        if (grid) {
            cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
            cairo_move_to(cr, px, y1);
            cairo_line_to(cr, px, y0);
            cairo_stroke(cr);
        }
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, px, y0);
        cairo_line_to(cr, px, y0 + 4);
        cairo_stroke(cr);
        sm_plot_format_tick(buf, sizeof buf, t[i], ax->log);
        sm_plot_text_at(cr, px, y0 + 7, buf, 0.5, 0);
    }
    n = sm_plot_axis_ticks(ay, t, 64, 5);
    for (i = 0; i < n; i++) {
        double py = floor(sm_plot_axis_map(ay, t[i])) + 0.5;
        if (grid) {
            cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
            cairo_move_to(cr, x0, py);
            cairo_line_to(cr, x1, py);
            cairo_stroke(cr);
        }
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, x0 - 4, py);
        cairo_line_to(cr, x0, py);
        cairo_stroke(cr);
        sm_plot_format_tick(buf, sizeof buf, t[i], ay->log);
        sm_plot_text_at(cr, x0 - 7, py, buf, 1, 0.5);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_rectangle(cr, floor(x0) + 0.5, floor(y1) + 0.5, floor(x1) - floor(x0),
                    floor(y0) - floor(y1));
    cairo_stroke(cr);
}

/* ---- colours ---- */

unsigned sm_plot_palette(size_t i)
{
    /* Okabe & Ito (2008), ordered for contrast on white; yellow last. */
    static const unsigned c[] = {0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7,
                                 0xE69F00, 0x56B4E9, 0x000000, 0xF0E442};
    return c[i % 8];
}

void sm_plot_set_palette(cairo_t *cr, size_t i, double alpha)
{
    unsigned c = sm_plot_palette(i);
    cairo_set_source_rgba(cr, ((c >> 16) & 255) / 255.0, ((c >> 8) & 255) / 255.0,
                          (c & 255) / 255.0, alpha);
}

/* ---- line plots ---- */

/* Adds the path of one run of valid points [a, b) of series s (band edge e: y itself if NULL). */
static void trace_run(cairo_t *cr, const sm_plot_series *s, const double *e, size_t a, size_t b,
                      const sm_plot_axis *ax, const sm_plot_axis *ay, int move_first)
{
    size_t i;
    for (i = a; i < b; i++) {
        double px = sm_plot_axis_map(ax, s->x[i]), py = sm_plot_axis_map(ay, e[i]);
        if (i == a && move_first) cairo_move_to(cr, px, py);
        else {
            if (s->step && i > a) cairo_line_to(cr, px, sm_plot_axis_map(ay, e[i - 1]));
            cairo_line_to(cr, px, py);
        }
    }
}

/* The same path backwards (for closing a band polygon). */
static void trace_run_back(cairo_t *cr, const sm_plot_series *s, const double *e, size_t a,
                           size_t b, const sm_plot_axis *ax, const sm_plot_axis *ay)
{
    size_t i = b;
    while (i-- > a) {
        double px = sm_plot_axis_map(ax, s->x[i]), py = sm_plot_axis_map(ay, e[i]);
        cairo_line_to(cr, px, py);
        if (s->step && i > a) cairo_line_to(cr, sm_plot_axis_map(ax, s->x[i]), sm_plot_axis_map(ay, e[i - 1]));
    }
}

static int point_ok(const sm_plot_series *s, size_t i, const sm_plot_axis *ax, const sm_plot_axis *ay, int band)
{
    if (!sm_plot_axis_ok(ax, s->x[i]) || !sm_plot_axis_ok(ay, s->y[i])) return 0;
    if (band && (!sm_plot_axis_ok(ay, s->lo[i]) || !sm_plot_axis_ok(ay, s->hi[i]))) return 0;
    return 1;
}

/* The colour of series s (drawn i-th) at the given alpha. */
static void series_colour(cairo_t *cr, const sm_plot_series *s, size_t i, double alpha)
{
    if (s->color < 0) cairo_set_source_rgba(cr, 0.45, 0.45, 0.45, alpha);
    else sm_plot_set_palette(cr, s->color > 0 ? (size_t)(s->color - 1) : i, alpha);
}

static void series_dash(cairo_t *cr, const sm_plot_series *s)
{
    static const double dash[2] = {7, 4};
    cairo_set_dash(cr, dash, s->dashed ? 2 : 0, 0);
}

static void draw_series(cairo_t *cr, const sm_plot_series *s, size_t idx, const sm_plot_axis *ax,
                        const sm_plot_axis *ay)
{
    size_t a = 0, b;
    int band = s->lo && s->hi;
    while (a < s->n) {
        while (a < s->n && !point_ok(s, a, ax, ay, 0)) a++;
        b = a;
        while (b < s->n && point_ok(s, b, ax, ay, 0)) b++;
        if (b > a) {
            if (band) {
                size_t c = a, d;
                while (c < b) { /* the band may have its own gaps */
                    while (c < b && !point_ok(s, c, ax, ay, 1)) c++;
                    d = c;
                    while (d < b && point_ok(s, d, ax, ay, 1)) d++;
                    if (d > c) {
                        trace_run(cr, s, s->hi, c, d, ax, ay, 1);
                        trace_run_back(cr, s, s->lo, c, d, ax, ay);
                        cairo_close_path(cr);
                        series_colour(cr, s, idx, 0.18);
                        cairo_fill(cr);
                    }
                    c = d;
                }
            }
            trace_run(cr, s, s->y, a, b, ax, ay, 1);
            series_colour(cr, s, idx, 1.0);
            cairo_set_line_width(cr, 2);
            series_dash(cr, s);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
            if (b - a == 1) { /* a lone point: mark it */
                cairo_arc(cr, sm_plot_axis_map(ax, s->x[a]), sm_plot_axis_map(ay, s->y[a]), 2.5, 0, 2 * M_PI);
                cairo_fill(cr);
            }
        }
        a = b;
    }
}

static void draw_legend(cairo_t *cr, const sm_line_plot *p, double left, double right,
                        double top)
{
    size_t i, n = 0;
    double w = 0, row = 17, x, y;
    cairo_set_font_size(cr, 11);
    for (i = 0; i < p->n_series; i++) {
        const char *l = p->series[i].label;
        if (l && *l) {
            double tw = sm_plot_text_width(cr, l);
            if (tw > w) w = tw;
            n++;
        }
    }
    if (!n) return;
    w += 40;
    x = p->legend_left ? left + 8 : right - w - 8;
    y = top + 8;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, x, y, w, row * (double)n + 8);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    y += 4;
    for (i = 0; i < p->n_series; i++) {
        const char *l = p->series[i].label;
        if (!l || !*l) continue;
        if (p->series[i].lo) {
            series_colour(cr, &p->series[i], i, 0.18);
            cairo_rectangle(cr, x + 6, y + row / 2 - 5, 22, 10);
            cairo_fill(cr);
        }
        series_colour(cr, &p->series[i], i, 1.0);
        cairo_set_line_width(cr, 2);
        series_dash(cr, &p->series[i]);
        cairo_move_to(cr, x + 6, y + row / 2);
        cairo_line_to(cr, x + 28, y + row / 2);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        sm_plot_text_at(cr, x + 34, y + row / 2, l, 0, 0.5);
        y += row;
    }
}

int sm_plot_lines_png(const sm_line_plot *p, unsigned char **png, size_t *png_len,
                      sm_error *err)
{
    int w, h;
    size_t i, j, npts = 0;
    sm_plot_axis ax = {INFINITY, -INFINITY, 0, 0, 0}, ay = {INFINITY, -INFINITY, 0, 0, 0};
    double left = 72, right, top, bottom;
    cairo_surface_t *s;
    cairo_t *cr;
    if (png) *png = NULL;
    if (png_len) *png_len = 0;
    if (!p || !png || !png_len || (p->n_series && !p->series))
        return sm_error_set(err, SM_ERR_ARG, "plot: missing argument");
    w = p->width ? p->width : 720;
    h = p->height ? p->height : 420;
    if (w < 16 || h < 16 || w > 8192 || h > 8192)
        return sm_error_set(err, SM_ERR_ARG, "plot: size %d x %d is out of range", w, h);
    ax.log = p->log_x != 0;
    ay.log = p->log_y != 0;
    for (i = 0; i < p->n_series; i++) {
        const sm_plot_series *sr = &p->series[i];
        if (sr->n && (!sr->x || !sr->y))
            return sm_error_set(err, SM_ERR_ARG, "plot: series %zu has no data", i);
        if ((sr->lo == NULL) != (sr->hi == NULL))
            return sm_error_set(err, SM_ERR_ARG, "plot: series %zu has half a band", i);
        for (j = 0; j < sr->n; j++) {
            double v[3];
            size_t k, nv = 1;
            if (!sm_plot_axis_ok(&ax, sr->x[j]) || !sm_plot_axis_ok(&ay, sr->y[j])) continue;
            v[0] = sr->y[j];
            if (sr->lo) {
                v[nv++] = sr->lo[j];
                v[nv++] = sr->hi[j];
            }
            if (sr->x[j] < ax.lo) ax.lo = sr->x[j];
            if (sr->x[j] > ax.hi) ax.hi = sr->x[j];
            for (k = 0; k < nv; k++) {
                if (!sm_plot_axis_ok(&ay, v[k])) continue;
                if (v[k] < ay.lo) ay.lo = v[k];
                if (v[k] > ay.hi) ay.hi = v[k];
            }
            npts++;
        }
    }
    if (!npts) return sm_error_set(err, SM_ERR_EMPTY, "plot: no point to draw");
    sm_plot_axis_finish_range(&ax, 0.0);
    if (p->y_hi > p->y_lo && (!ay.log || p->y_lo > 0)) {
        ay.lo = p->y_lo;
        ay.hi = p->y_hi;
    } else {
        sm_plot_axis_finish_range(&ay, 0.04);
    }
    top = p->title && *p->title ? 34 : 14;
    bottom = h - 48;
    right = w - 18;
    ax.p0 = left;
    ax.p1 = right;
    ay.p0 = bottom;
    ay.p1 = top;
    cr = sm_plot_new_canvas(w, h, &s, err);
    if (!cr) return SM_ERR_NOMEM;
    sm_plot_draw_axes(cr, &ax, &ay, 1);
    cairo_save(cr);
    cairo_rectangle(cr, left, top, right - left, bottom - top);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (i = 0; i < p->n_series; i++) draw_series(cr, &p->series[i], i, &ax, &ay);
    cairo_restore(cr);
    draw_legend(cr, p, left, right, top);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_font_size(cr, 12);
    sm_plot_text_at(cr, (left + right) / 2, h - 6, p->x_label, 0.5, 1);
    sm_plot_text_vertical(cr, 14, (top + bottom) / 2, p->y_label);
    if (p->title && *p->title) {
        cairo_set_font_size(cr, 13);
        cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        sm_plot_text_at(cr, (left + right) / 2, 10, p->title, 0.5, 0);
    }
    return sm_plot_finish_png(cr, s, png, png_len, err);
}
