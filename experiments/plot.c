/* experiments/plot.c: line plots and heatmaps drawn with cairo into in-memory PNGs
 * (see experiments/plot.h). Only the report uses it. */
#include "experiments/plot.h"

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
static int finish_png(cairo_t *cr, cairo_surface_t *s, unsigned char **png, size_t *png_len,
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
static cairo_t *new_canvas(int w, int h, cairo_surface_t **surface, sm_error *err)
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
static void text_at(cairo_t *cr, double x, double y, const char *s, double ha, double va)
{
    cairo_text_extents_t e;
    if (!s || !*s) return;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - e.x_bearing - ha * e.width, y - e.y_bearing - va * e.height);
    cairo_show_text(cr, s);
}

/* Text rotated a quarter turn counter-clockwise, centred on (x, y). */
static void text_vertical(cairo_t *cr, double x, double y, const char *s)
{
    if (!s || !*s) return;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -M_PI / 2);
    text_at(cr, 0, 0, s, 0.5, 0.5);
    cairo_restore(cr);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    if (!s || !*s) return 0;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* ---- axes ---- */

typedef struct {
    double lo, hi;    /* data range (log axes: positive) */
    int log;
    double p0, p1;    /* pixel positions of lo and hi */
} axis;

static double axis_map(const axis *a, double v)
{
    double t;
    if (a->log) t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    else t = (v - a->lo) / (a->hi - a->lo);
    return a->p0 + t * (a->p1 - a->p0);
}

/* Whether v can be placed on the axis. */
static int axis_ok(const axis *a, double v)
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
static void axis_finish_range(axis *a, double pad)
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

static void format_tick(char *buf, size_t n, double v, int log)
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

static int in_range(const axis *a, double v)
{
    return v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9);
}

/* Labelled tick values of an axis into t[] (at most max); returns the count. Log axes get
 * decades, or 1-2-5 steps when they span little more than two decades. */
static size_t axis_ticks(const axis *a, double *t, size_t max, int target)
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
                axis lin = *a;
                lin.log = 0;
                return axis_ticks(&lin, t, max, target);
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
static size_t axis_minor_ticks(const axis *a, double *t, size_t max)
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
static void draw_axes(cairo_t *cr, const axis *ax, const axis *ay, int grid)
{
    double t[64];
    size_t n, i;
    char buf[32];
    double x0 = ax->p0, x1 = ax->p1, y0 = ay->p0, y1 = ay->p1; /* y0 bottom, y1 top */
    cairo_set_font_size(cr, 11);
    cairo_set_line_width(cr, 1);
    n = axis_minor_ticks(ax, t, 64);
    for (i = 0; i < n; i++) {
        double px = floor(axis_map(ax, t[i])) + 0.5;
        cairo_set_source_rgb(cr, grid ? 0.95 : 0.2, grid ? 0.95 : 0.2, grid ? 0.95 : 0.2);
        cairo_move_to(cr, px, grid ? y1 : y0);
        cairo_line_to(cr, px, y0 + 2);
        cairo_stroke(cr);
    }
    n = axis_minor_ticks(ay, t, 64);
    for (i = 0; i < n; i++) {
        double py = floor(axis_map(ay, t[i])) + 0.5;
        cairo_set_source_rgb(cr, grid ? 0.95 : 0.2, grid ? 0.95 : 0.2, grid ? 0.95 : 0.2);
        cairo_move_to(cr, x0 - 2, py);
        cairo_line_to(cr, grid ? x1 : x0, py);
        cairo_stroke(cr);
    }
    n = axis_ticks(ax, t, 64, 6);
    for (i = 0; i < n; i++) {
        double px = floor(axis_map(ax, t[i])) + 0.5;
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
        format_tick(buf, sizeof buf, t[i], ax->log);
        text_at(cr, px, y0 + 7, buf, 0.5, 0);
    }
    n = axis_ticks(ay, t, 64, 5);
    for (i = 0; i < n; i++) {
        double py = floor(axis_map(ay, t[i])) + 0.5;
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
        format_tick(buf, sizeof buf, t[i], ay->log);
        text_at(cr, x0 - 7, py, buf, 1, 0.5);
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

static void set_palette(cairo_t *cr, size_t i, double alpha)
{
    unsigned c = sm_plot_palette(i);
    cairo_set_source_rgba(cr, ((c >> 16) & 255) / 255.0, ((c >> 8) & 255) / 255.0,
                          (c & 255) / 255.0, alpha);
}

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

/* ---- line plots ---- */

/* Adds the path of one run of valid points [a, b) of series s (band edge e: y itself if NULL). */
static void trace_run(cairo_t *cr, const sm_plot_series *s, const double *e, size_t a, size_t b,
                      const axis *ax, const axis *ay, int move_first)
{
    size_t i;
    for (i = a; i < b; i++) {
        double px = axis_map(ax, s->x[i]), py = axis_map(ay, e[i]);
        if (i == a && move_first) cairo_move_to(cr, px, py);
        else {
            if (s->step && i > a) cairo_line_to(cr, px, axis_map(ay, e[i - 1]));
            cairo_line_to(cr, px, py);
        }
    }
}

/* The same path backwards (for closing a band polygon). */
static void trace_run_back(cairo_t *cr, const sm_plot_series *s, const double *e, size_t a,
                           size_t b, const axis *ax, const axis *ay)
{
    size_t i = b;
    while (i-- > a) {
        double px = axis_map(ax, s->x[i]), py = axis_map(ay, e[i]);
        cairo_line_to(cr, px, py);
        if (s->step && i > a) cairo_line_to(cr, axis_map(ax, s->x[i]), axis_map(ay, e[i - 1]));
    }
}

static int point_ok(const sm_plot_series *s, size_t i, const axis *ax, const axis *ay, int band)
{
    if (!axis_ok(ax, s->x[i]) || !axis_ok(ay, s->y[i])) return 0;
    if (band && (!axis_ok(ay, s->lo[i]) || !axis_ok(ay, s->hi[i]))) return 0;
    return 1;
}

static void draw_series(cairo_t *cr, const sm_plot_series *s, size_t idx, const axis *ax,
                        const axis *ay)
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
                        set_palette(cr, idx, 0.18);
                        cairo_fill(cr);
                    }
                    c = d;
                }
            }
            trace_run(cr, s, s->y, a, b, ax, ay, 1);
            set_palette(cr, idx, 1.0);
            cairo_set_line_width(cr, 2);
            cairo_stroke(cr);
            if (b - a == 1) { /* a lone point: mark it */
                cairo_arc(cr, axis_map(ax, s->x[a]), axis_map(ay, s->y[a]), 2.5, 0, 2 * M_PI);
                cairo_fill(cr);
            }
        }
        a = b;
    }
}

static void draw_legend(cairo_t *cr, const sm_line_plot *p, double right, double top)
{
    size_t i, n = 0;
    double w = 0, row = 17, x, y;
    cairo_set_font_size(cr, 11);
    for (i = 0; i < p->n_series; i++) {
        const char *l = p->series[i].label;
        if (l && *l) {
            double tw = text_width(cr, l);
            if (tw > w) w = tw;
            n++;
        }
    }
    if (!n) return;
    w += 40;
    x = right - w - 8;
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
        set_palette(cr, i, 0.18);
        cairo_rectangle(cr, x + 6, y + row / 2 - 5, 22, 10);
        cairo_fill(cr);
        set_palette(cr, i, 1.0);
        cairo_set_line_width(cr, 2);
        cairo_move_to(cr, x + 6, y + row / 2);
        cairo_line_to(cr, x + 28, y + row / 2);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, x + 34, y + row / 2, l, 0, 0.5);
        y += row;
    }
}

int sm_plot_lines_png(const sm_line_plot *p, unsigned char **png, size_t *png_len,
                      sm_error *err)
{
    int w, h;
    size_t i, j, npts = 0;
    axis ax = {INFINITY, -INFINITY, 0, 0, 0}, ay = {INFINITY, -INFINITY, 0, 0, 0};
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
            if (!axis_ok(&ax, sr->x[j]) || !axis_ok(&ay, sr->y[j])) continue;
            v[0] = sr->y[j];
            if (sr->lo) {
                v[nv++] = sr->lo[j];
                v[nv++] = sr->hi[j];
            }
            if (sr->x[j] < ax.lo) ax.lo = sr->x[j];
            if (sr->x[j] > ax.hi) ax.hi = sr->x[j];
            for (k = 0; k < nv; k++) {
                if (!axis_ok(&ay, v[k])) continue;
                if (v[k] < ay.lo) ay.lo = v[k];
                if (v[k] > ay.hi) ay.hi = v[k];
            }
            npts++;
        }
    }
    if (!npts) return sm_error_set(err, SM_ERR_EMPTY, "plot: no point to draw");
    axis_finish_range(&ax, 0.0);
    axis_finish_range(&ay, 0.04);
    top = p->title && *p->title ? 34 : 14;
    bottom = h - 48;
    right = w - 18;
    ax.p0 = left;
    ax.p1 = right;
    ay.p0 = bottom;
    ay.p1 = top;
    cr = new_canvas(w, h, &s, err);
    if (!cr) return SM_ERR_NOMEM;
    draw_axes(cr, &ax, &ay, 1);
    cairo_save(cr);
    cairo_rectangle(cr, left, top, right - left, bottom - top);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (i = 0; i < p->n_series; i++) draw_series(cr, &p->series[i], i, &ax, &ay);
    cairo_restore(cr);
    draw_legend(cr, p, right, top);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_font_size(cr, 12);
    text_at(cr, (left + right) / 2, h - 6, p->x_label, 0.5, 1);
    text_vertical(cr, 14, (top + bottom) / 2, p->y_label);
    if (p->title && *p->title) {
        cairo_set_font_size(cr, 13);
        cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        text_at(cr, (left + right) / 2, 10, p->title, 0.5, 0);
    }
    return finish_png(cr, s, png, png_len, err);
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
                       const axis *ay, double x, double y, int pw, int ph)
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
    cr = new_canvas(w, height, &s, err);
    if (!cr) return SM_ERR_NOMEM;
    for (i = 0; i < h->n_panels; i++) {
        const sm_heatmap_panel *pn = &h->panels[i];
        double x = left + (double)i * (pw + gap);
        axis ax = {pn->x0, pn->x1, 0, x, x + pw};
        axis ay = {pn->y0, pn->y1, h->log_y != 0, bottom, top};
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
        draw_axes(cr, &ax, &ay, 0);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_set_font_size(cr, 12);
        text_at(cr, x + pw / 2.0, height - 6, h->x_label, 0.5, 1);
        if (i == 0) text_vertical(cr, 12, (top + bottom) / 2, h->y_label);
        if (pn->title && *pn->title) {
            cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
            cairo_set_font_size(cr, 12);
            text_at(cr, x + pw / 2.0, top - 8, pn->title, 0.5, 1);
            cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL,
                                   CAIRO_FONT_WEIGHT_NORMAL);
        }
    }
    { /* the colour bar */
        double cx = left + (double)h->n_panels * pw + (double)(h->n_panels - 1) * gap + cb_gap;
        cairo_pattern_t *g = cairo_pattern_create_linear(0, bottom, 0, top);
        axis av = {h->vmin, h->vmax, 0, bottom, top};
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
        n = axis_ticks(&av, t, 32, 5);
        for (k = 0; k < n; k++) {
            double py = floor(axis_map(&av, t[k])) + 0.5;
            cairo_move_to(cr, cx + cb_w, py);
            cairo_line_to(cr, cx + cb_w + 4, py);
            cairo_stroke(cr);
            format_tick(buf, sizeof buf, t[k], 0);
            text_at(cr, cx + cb_w + 7, py, buf, 0, 0.5);
        }
        cairo_set_font_size(cr, 12);
        text_vertical(cr, w - 12, (top + bottom) / 2, h->value_label);
    }
    return finish_png(cr, s, png, png_len, err);
}
