/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/plot_internal.h: the drawing helpers the plot files share (not installed).
 * experiments/plot.c defines them; experiments/plot_stats.c uses them too. */
#ifndef SM_PLOT_INTERNAL_H
#define SM_PLOT_INTERNAL_H

#include <cairo.h>
#include <stddef.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One axis: a data range mapped onto a pixel range. */
typedef struct {
    double lo, hi;    /* data range (log axes: positive) */
    int log;
    double p0, p1;    /* pixel positions of lo and hi */
} sm_plot_axis;

/* A new white RGB surface and its context; NULL (err set) on failure. */
cairo_t *sm_plot_new_canvas(int w, int h, cairo_surface_t **surface, sm_error *err);
/* Finishes drawing and encodes the surface as PNG into *png. Destroys cr and s. */
int sm_plot_finish_png(cairo_t *cr, cairo_surface_t *s, unsigned char **png, size_t *png_len,
                       sm_error *err);
/* Text anchored at (x, y): ha 0 left .. 1 right, va 0 top .. 1 bottom. */
void sm_plot_text_at(cairo_t *cr, double x, double y, const char *s, double ha, double va);
/* Text turned a quarter counter-clockwise, centred on (x, y). */
void sm_plot_text_vertical(cairo_t *cr, double x, double y, const char *s);
double sm_plot_text_width(cairo_t *cr, const char *s);
double sm_plot_axis_map(const sm_plot_axis *a, double v);
/* Whether v can be placed on the axis (finite; positive on a log axis). */
int sm_plot_axis_ok(const sm_plot_axis *a, double v);
/* Widens a degenerate range and pads a range by the fraction pad. */
void sm_plot_axis_finish_range(sm_plot_axis *a, double pad);
/* Labelled tick values of an axis into t[] (at most max, about `target` of them); returns the
 * count. Log axes get decades, or 1-2-5 steps over little more than two decades. */
size_t sm_plot_axis_ticks(const sm_plot_axis *a, double *t, size_t max, int target);
/* A tick label ("1e-5" for far decades of a log axis, else %g). */
void sm_plot_format_tick(char *buf, size_t n, double v, int log);
/* Frame, grid lines, ticks and tick labels of the plot area of ax x ay (an ax with hi <= lo
 * gets no x ticks: only its pixel range is used). */
void sm_plot_draw_axes(cairo_t *cr, const sm_plot_axis *ax, const sm_plot_axis *ay, int grid);
/* Sets the source to palette colour i with the given alpha. */
void sm_plot_set_palette(cairo_t *cr, size_t i, double alpha);

#ifdef __cplusplus
}
#endif

#endif
