/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/plot_stats.c: box plots and critical-difference diagrams drawn with cairo into
 * in-memory PNGs (see experiments/plot.h); canvas, text and axes come from
 * experiments/plot.c (experiments/plot_internal.h). */
#include "experiments/plot.h"
#include "experiments/plot_internal.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/stats.h"

/* ---- box plots ---- */

typedef struct {
    double q1, med, q3, lo, hi, mean, sd;
    size_t n;
} box_stats;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The values of box b that the axis can show, sorted, into v; returns their count. */
static size_t box_values(const sm_plot_box *b, int log_y, double *v)
{
    size_t i, k = 0;
    for (i = 0; i < b->n; i++)
        if (isfinite(b->v[i]) && (!log_y || b->v[i] > 0)) v[k++] = b->v[i];
    qsort(v, k, sizeof *v, cmp_double);
    return k;
}

static void box_compute(const double *v, size_t k, box_stats *s)
{
    double iqr, sum = 0, ss = 0;
    size_t i;
    memset(s, 0, sizeof *s);
    s->n = k;
    if (!k) return;
    s->q1 = sm_quantile(v, k, 0.25);
    s->med = sm_quantile(v, k, 0.5);
    s->q3 = sm_quantile(v, k, 0.75);
    iqr = s->q3 - s->q1;
    s->lo = s->q1;
    s->hi = s->q3;
    for (i = 0; i < k; i++) {
        if (v[i] >= s->q1 - 1.5 * iqr && v[i] < s->lo) s->lo = v[i];
        if (v[i] <= s->q3 + 1.5 * iqr && v[i] > s->hi) s->hi = v[i];
        sum += v[i];
    }
    s->mean = sum / (double)k;
    for (i = 0; i < k; i++) ss += (v[i] - s->mean) * (v[i] - s->mean);
    s->sd = k > 1 ? sqrt(ss / (double)(k - 1)) : 0.0;
}

int sm_plot_boxes_png(const sm_box_plot *p, unsigned char **png, size_t *png_len,
                      sm_error *err)
{
    int w, h;
    size_t i, j, total = 0, max_n = 0;
    double *v = NULL, left = 72, right, top, bottom, slot, label_w = 0, angle = 0;
    box_stats *st = NULL;
    sm_plot_axis ax = {0, 0, 0, 0, 0}, ay = {INFINITY, -INFINITY, 0, 0, 0};
    cairo_surface_t *s;
    cairo_t *cr;
    int rc;
    if (png) *png = NULL;
    if (png_len) *png_len = 0;
    if (!p || !png || !png_len || !p->boxes || p->n_boxes == 0)
        return sm_error_set(err, SM_ERR_ARG, "box plot: missing argument");
    w = p->width ? p->width : 720;
    h = p->height ? p->height : 420;
    if (w < 64 || h < 64 || w > 8192 || h > 8192)
        return sm_error_set(err, SM_ERR_ARG, "box plot: size %d x %d is out of range", w, h);
    for (i = 0; i < p->n_boxes; i++) {
        if (p->boxes[i].n && !p->boxes[i].v)
            return sm_error_set(err, SM_ERR_ARG, "box plot: box %zu has no values", i);
        if (p->boxes[i].n > max_n) max_n = p->boxes[i].n;
    }
    ay.log = p->log_y != 0;
    v = malloc((max_n ? max_n : 1) * sizeof *v);
    st = calloc(p->n_boxes, sizeof *st);
    if (!v || !st) {
        free(v);
        free(st);
        return sm_error_set(err, SM_ERR_NOMEM, "box plot: out of memory");
    }
    for (i = 0; i < p->n_boxes; i++) {
        size_t k = box_values(&p->boxes[i], ay.log, v);
        double ext[4];
        box_compute(v, k, &st[i]);
        total += k;
        if (!k) continue;
        ext[0] = v[0];
        ext[1] = v[k - 1];
        ext[2] = st[i].mean - st[i].sd;
        ext[3] = st[i].mean + st[i].sd;
        for (j = 0; j < 4; j++) {
            if (!sm_plot_axis_ok(&ay, ext[j])) continue;
            if (ext[j] < ay.lo) ay.lo = ext[j];
            if (ext[j] > ay.hi) ay.hi = ext[j];
        }
    }
    if (!total) {
        free(v);
        free(st);
        return sm_error_set(err, SM_ERR_EMPTY, "box plot: no value to draw");
    }
    sm_plot_axis_finish_range(&ay, 0.05);
    cr = sm_plot_new_canvas(w, h, &s, err);
    if (!cr) {
        free(v);
        free(st);
        return SM_ERR_NOMEM;
    }
    right = w - 18;
    top = p->title && *p->title ? 34 : 14;
    slot = (right - left) / (double)p->n_boxes;
    cairo_set_font_size(cr, 12);
    for (i = 0; i < p->n_boxes; i++) {
        double tw = sm_plot_text_width(cr, p->boxes[i].label);
        if (tw > label_w) label_w = tw;
    }
    if (label_w > slot - 8) angle = M_PI / 5; /* turned 36 degrees */
    bottom = h - 30 - (angle > 0 ? fmin(label_w * sin(angle) + 6, h / 3.0) : 14);
    ax.p0 = left;
    ax.p1 = right;
    ay.p0 = bottom;
    ay.p1 = top;
    ax.lo = ax.hi = 0; /* the frame and the y axis; the boxes are the x axis */
    sm_plot_draw_axes(cr, &ax, &ay, 1);
    for (i = 0; i < p->n_boxes; i++) {
        const box_stats *b = &st[i];
        const sm_plot_box *bx = &p->boxes[i];
        double cx = left + ((double)i + 0.5) * slot, bw = fmin(slot * 0.45, 56), k2;
        size_t k = box_values(bx, ay.log, v);
        if (b->n) {
            double y1 = sm_plot_axis_map(&ay, b->q3), y0 = sm_plot_axis_map(&ay, b->q1);
            sm_plot_set_palette(cr, bx->color, 0.22);
            cairo_rectangle(cr, cx - bw / 2, y1, bw, y0 - y1);
            cairo_fill_preserve(cr);
            sm_plot_set_palette(cr, bx->color, 1.0);
            cairo_set_line_width(cr, 1.5);
            cairo_stroke(cr);
            cairo_set_line_width(cr, 2.5);
            cairo_move_to(cr, cx - bw / 2, sm_plot_axis_map(&ay, b->med));
            cairo_line_to(cr, cx + bw / 2, sm_plot_axis_map(&ay, b->med));
            cairo_stroke(cr);
            cairo_set_line_width(cr, 1.2);
            cairo_move_to(cr, cx, y1);
            cairo_line_to(cr, cx, sm_plot_axis_map(&ay, b->hi));
            cairo_move_to(cr, cx - bw / 4, sm_plot_axis_map(&ay, b->hi));
            cairo_line_to(cr, cx + bw / 4, sm_plot_axis_map(&ay, b->hi));
            cairo_move_to(cr, cx, y0);
            cairo_line_to(cr, cx, sm_plot_axis_map(&ay, b->lo));
            cairo_move_to(cr, cx - bw / 4, sm_plot_axis_map(&ay, b->lo));
            cairo_line_to(cr, cx + bw / 4, sm_plot_axis_map(&ay, b->lo));
            cairo_stroke(cr);
            for (j = 0; j < k; j++) /* values beyond the whiskers */
                if (v[j] < b->lo || v[j] > b->hi) {
                    cairo_arc(cr, cx, sm_plot_axis_map(&ay, v[j]), 2.6, 0, 2 * M_PI);
                    cairo_fill(cr);
                }
            /* mean +- sd, beside the box */
            k2 = cx + bw / 2 + 9;
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
            cairo_set_line_width(cr, 1.2);
            {
                double a = b->mean - b->sd, c = b->mean + b->sd;
                if (!sm_plot_axis_ok(&ay, a)) a = ay.lo;
                if (sm_plot_axis_ok(&ay, c) && b->sd > 0) {
                    cairo_move_to(cr, k2, sm_plot_axis_map(&ay, a));
                    cairo_line_to(cr, k2, sm_plot_axis_map(&ay, c));
                    cairo_stroke(cr);
                }
            }
            if (sm_plot_axis_ok(&ay, b->mean)) {
                double my = sm_plot_axis_map(&ay, b->mean);
                cairo_move_to(cr, k2, my - 5);
                cairo_line_to(cr, k2 + 4, my);
                cairo_line_to(cr, k2, my + 5);
                cairo_line_to(cr, k2 - 4, my);
                cairo_close_path(cr);
                cairo_fill(cr);
            }
        }
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_set_font_size(cr, 12);
        if (angle > 0) {
            cairo_save(cr);
            cairo_translate(cr, cx + 4, bottom + 8);
            cairo_rotate(cr, -angle);
            sm_plot_text_at(cr, 0, 0, bx->label, 1, 0.5);
            cairo_restore(cr);
        } else {
            sm_plot_text_at(cr, cx, bottom + 8, bx->label, 0.5, 0);
        }
    }
    free(v);
    free(st);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_font_size(cr, 12);
    sm_plot_text_vertical(cr, 14, (top + bottom) / 2, p->y_label);
    if (p->title && *p->title) {
        cairo_set_font_size(cr, 13);
        cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        sm_plot_text_at(cr, (left + right) / 2, 10, p->title, 0.5, 0);
    }
    rc = sm_plot_finish_png(cr, s, png, png_len, err);
    return rc;
}

/* ---- critical-difference diagrams ---- */

int sm_plot_cd_png(const sm_cd_plot *p, unsigned char **png, size_t *png_len, sm_error *err)
{
    const double row = 21, text_space = 190, axis_y_notitle = 58;
    size_t order[64], clique_lo[64], clique_hi[64], n_cl = 0, i, j, k, half;
    double x0, x1, axis_y, lines_y, height, w;
    sm_plot_axis ax;
    cairo_surface_t *s;
    cairo_t *cr;
    char buf[160];
    if (png) *png = NULL;
    if (png_len) *png_len = 0;
    if (!p || !png || !png_len || !p->labels || !p->avg_rank || p->k < 2 || p->k > 64)
        return sm_error_set(err, SM_ERR_ARG, "CD diagram: missing argument or k out of 2..64");
    k = p->k;
    for (i = 0; i < k; i++)
        if (!(p->avg_rank[i] >= 1.0 - 1e-9 && p->avg_rank[i] <= (double)k + 1e-9))
            return sm_error_set(err, SM_ERR_ARG, "CD diagram: rank %g is outside 1..%zu",
                                p->avg_rank[i], k);
    w = p->width ? p->width : 720;
    if (w < 2 * text_space + 100 || w > 8192)
        return sm_error_set(err, SM_ERR_ARG, "CD diagram: width %g is out of range", w);
    /* treatments by rank, best first (ties by index, so the figure is deterministic) */
    for (i = 0; i < k; i++) order[i] = i;
    for (i = 1; i < k; i++) {
        size_t v = order[i];
        j = i;
        while (j > 0 && p->avg_rank[order[j - 1]] > p->avg_rank[v]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    /* the largest runs of treatments within one CD of each other, none inside another */
    if (isfinite(p->cd) && p->cd > 0)
        for (i = 0; i < k; i++) {
            j = i;
            while (j + 1 < k && p->avg_rank[order[j + 1]] - p->avg_rank[order[i]] < p->cd) j++;
            if (j > i && (n_cl == 0 || j > clique_hi[n_cl - 1])) {
                clique_lo[n_cl] = i;
                clique_hi[n_cl++] = j;
            }
        }
    half = (k + 1) / 2;
    axis_y = axis_y_notitle + (p->title && *p->title ? 22 : 0);
    lines_y = axis_y + 16 + 8.0 * (double)n_cl;
    height = lines_y + row * (double)half + 14;
    cr = sm_plot_new_canvas((int)w, (int)height, &s, err);
    if (!cr) return SM_ERR_NOMEM;
    x0 = text_space;
    x1 = w - text_space;
    ax.lo = 1;
    ax.hi = (double)k;
    ax.log = 0;
    ax.p0 = x0;
    ax.p1 = x1;
    if (p->title && *p->title) {
        cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr, 13);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        sm_plot_text_at(cr, w / 2, 8, p->title, 0.5, 0);
        cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    }
    /* the axis, ticks at whole and half ranks */
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_line_width(cr, 1.5);
    cairo_move_to(cr, x0, axis_y);
    cairo_line_to(cr, x1, axis_y);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 12);
    for (i = 2; i <= 2 * k; i++) {
        double x = sm_plot_axis_map(&ax, (double)i / 2.0);
        int whole = i % 2 == 0;
        cairo_set_line_width(cr, 1.2);
        cairo_move_to(cr, x, axis_y);
        cairo_line_to(cr, x, axis_y - (whole ? 7 : 4));
        cairo_stroke(cr);
        if (whole) {
            snprintf(buf, sizeof buf, "%zu", i / 2);
            sm_plot_text_at(cr, x, axis_y - 10, buf, 0.5, 1);
        }
    }
    cairo_set_font_size(cr, 11);
    sm_plot_text_at(cr, x0 - 8, axis_y, "better (rank 1)", 1, 0.5);
    /* the critical difference, above the axis from rank 1 */
    if (isfinite(p->cd) && p->cd > 0) {
        double cx0 = x0, cx1 = sm_plot_axis_map(&ax, 1.0 + p->cd), cy = axis_y - 34;
        if (cx1 > x1) cx1 = x1;
        cairo_set_line_width(cr, 1.5);
        cairo_move_to(cr, cx0, cy);
        cairo_line_to(cr, cx1, cy);
        cairo_move_to(cr, cx0, cy - 4);
        cairo_line_to(cr, cx0, cy + 4);
        cairo_move_to(cr, cx1, cy - 4);
        cairo_line_to(cr, cx1, cy + 4);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "CD = %.3g", p->cd);
        sm_plot_text_at(cr, cx1 + 6, cy, buf, 0, 0.5);
    }
    /* names: the better half on the left, the rest on the right */
    cairo_set_font_size(cr, 12);
    for (i = 0; i < k; i++) {
        size_t t = order[i];
        int on_left = i < half;
        size_t line = on_left ? i : k - 1 - i;
        double x = sm_plot_axis_map(&ax, p->avg_rank[t]);
        double y = lines_y + row * (double)line + row / 2;
        double xe = on_left ? x0 - 10 : x1 + 10;
        if (p->color) sm_plot_set_palette(cr, p->color[t], 1.0);
        else cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_set_line_width(cr, 1.2);
        cairo_move_to(cr, x, axis_y);
        cairo_line_to(cr, x, y);
        cairo_line_to(cr, xe, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        if (on_left) snprintf(buf, sizeof buf, "%s  %.2f", p->labels[t], p->avg_rank[t]);
        else snprintf(buf, sizeof buf, "%.2f  %s", p->avg_rank[t], p->labels[t]);
        sm_plot_text_at(cr, on_left ? xe - 4 : xe + 4, y, buf, on_left ? 1 : 0, 0.5);
    }
    /* the runs of treatments not significantly different */
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_line_width(cr, 3.5);
    for (i = 0; i < n_cl; i++) {
        double y = axis_y + 12 + 8.0 * (double)i;
        cairo_move_to(cr, sm_plot_axis_map(&ax, p->avg_rank[order[clique_lo[i]]]) - 4, y);
        cairo_line_to(cr, sm_plot_axis_map(&ax, p->avg_rank[order[clique_hi[i]]]) + 4, y);
        cairo_stroke(cr);
    }
    return sm_plot_finish_png(cr, s, png, png_len, err);
}
