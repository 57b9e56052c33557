/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/plot.h: small cairo plots rendered to PNG bytes in memory, for the HTML report.
 *
 * Line plots (several series, optional shaded bands, linear or logarithmic axes with ticks,
 * labels and a legend), heatmaps (one or more panels side by side sharing a colour scale and a
 * colour bar, e.g. the spectrograms of a target and its best match), box plots and
 * critical-difference diagrams.
 * Text uses cairo's toy font API with the "sans" face. Each call returns a new PNG buffer the
 * caller frees with free(); nothing is written to disk. */
#ifndef SM_PLOT_H
#define SM_PLOT_H

#include <stddef.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One line of a line plot. Points with a non-finite x or y (or <= 0 on a log axis) break the
 * line. The band, if given, is shaded between lo[i] and hi[i] under the line. */
typedef struct {
    const char *label;        /* legend text; NULL or "" keeps the series out of the legend */
    size_t n;
    const double *x, *y;
    const double *lo, *hi;    /* both NULL, or both n values */
    int step;                 /* 1: draw as a step function (y holds until the next x) */
    /* Added later (zero gives the defaults): */
    int dashed;               /* 1: a dashed line */
    int color;                /* 0: the palette colour of the series' index; k > 0: palette
                                 colour k - 1; -1: grey */
} sm_plot_series;

typedef struct {
    int width, height;        /* pixels; 0 means 720 x 420 */
    const char *title;        /* may be NULL */
    const char *x_label, *y_label;
    int log_x, log_y;         /* 1: logarithmic axis (decade ticks) */
    size_t n_series;
    const sm_plot_series *series;
    double y_lo, y_hi;        /* both 0: the y range of the data; else the range shown */
    int legend_left;          /* 1: the legend in the top left corner (default: top right) */
} sm_line_plot;

/* Draws p into a new PNG. *png (free() it) and *png_len are set on success, zeroed on failure.
 * Returns 0, SM_ERR_ARG (NULL pointers, size out of 16..8192, a series without x or y),
 * SM_ERR_EMPTY (no drawable point) or SM_ERR_NOMEM (cairo or memory failure). */
int sm_plot_lines_png(const sm_line_plot *p, unsigned char **png, size_t *png_len,
                      sm_error *err);

/* One heatmap panel: a grid of n_cols x n_rows values, stored column after column
 * (v[c * n_rows + r]); column c is centred at x0 + (c + 0.5) * (x1 - x0) / n_cols and row r
 * at y0 + r * (y1 - y0) / (n_rows - 1) (row 0 at the bottom). Between rows values are
 * interpolated linearly. Non-finite values are drawn in the lowest colour. */
typedef struct {
    const char *title;        /* may be NULL */
    size_t n_cols, n_rows;    /* both >= 1 (n_rows >= 2) */
    const float *v;
    double x0, x1;            /* x range the columns cover (e.g. seconds) */
    double y0, y1;            /* y of the first and last row (e.g. 0 Hz and Nyquist) */
} sm_heatmap_panel;

typedef struct {
    int panel_width, height;  /* pixels of one panel's plotting area and of the image;
                                 0 means 420 x 330 */
    const char *x_label, *y_label, *value_label;
    double vmin, vmax;        /* colour scale; values are clamped into it */
    double y_min, y_max;      /* y range shown; NaN (or y_max <= y_min): the panel's own
                                 y0 / y1 */
    int log_y;                /* 1: logarithmic y axis (needs y_min > 0) */
    size_t n_panels;          /* 1 .. 8 */
    const sm_heatmap_panel *panels;
} sm_heatmap_plot;

/* Draws the panels side by side with one colour bar into a new PNG (see sm_plot_lines_png for
 * ownership). Returns 0, SM_ERR_ARG or SM_ERR_NOMEM. */
int sm_plot_heatmap_png(const sm_heatmap_plot *h, unsigned char **png, size_t *png_len,
                        sm_error *err);

/* ---- Statistical figures (experiments/plot_stats.c) ---- */

/* One box of a box plot: the values of one group (NaN and infinite values are left out). */
typedef struct {
    const char *label;
    size_t n;
    const double *v;
    size_t color;             /* palette colour (sm_plot_palette) */
} sm_plot_box;

typedef struct {
    int width, height;        /* pixels; 0 means 720 x 420 */
    const char *title, *y_label;
    int log_y;                /* 1: logarithmic axis (values <= 0 are left out) */
    size_t n_boxes;
    const sm_plot_box *boxes;
} sm_box_plot;

/* Tukey box plots side by side: a box from Q1 to Q3 (type-7 quantiles) with a line at the
 * median, whiskers to the furthest value within 1.5 IQR of the box, each value beyond as a dot,
 * and a diamond at the mean with a bar of one standard deviation either side. Labels are
 * written under the boxes (turned when they are long). Ownership as for sm_plot_lines_png.
 * Returns 0, SM_ERR_ARG (NULL pointers, no box, a box without values pointer, bad size),
 * SM_ERR_EMPTY (no value to draw) or SM_ERR_NOMEM. */
int sm_plot_boxes_png(const sm_box_plot *p, unsigned char **png, size_t *png_len,
                      sm_error *err);

/* A critical-difference diagram (Demsar 2006, figure 1): the treatments' average ranks on
 * an axis from 1 (the best, on the left) to k, each name linked to its rank, the critical
 * difference drawn as a bar, and a thick line joining every largest set of treatments whose
 * ranks lie within one critical difference of each other (not significantly different). */
typedef struct {
    int width;                /* pixels; 0 means 720 (the height follows from k) */
    const char *title;        /* may be NULL */
    size_t k;                 /* 2 .. 64 treatments */
    const char *const *labels;
    const double *avg_rank;   /* k values in [1, k] */
    const size_t *color;      /* k palette colours, or NULL for black */
    double cd;                /* the critical difference; NaN: no bar and no joining lines */
} sm_cd_plot;

/* Draws p into a new PNG (ownership as for sm_plot_lines_png). Returns 0, SM_ERR_ARG (NULL
 * pointers, k out of 2..64, a rank outside [1, k], bad size) or SM_ERR_NOMEM. */
int sm_plot_cd_png(const sm_cd_plot *p, unsigned char **png, size_t *png_len, sm_error *err);

/* The colour of t in [0, 1] (clamped) on a perceptually ordered dark-to-bright map (magma). */
void sm_plot_colormap(double t, double *r, double *g, double *b);

/* The i-th colour of the line palette (Okabe-Ito, colour-blind safe), cycling after 8,
 * as 0xRRGGBB (the report uses it to colour text to match the plot). */
unsigned sm_plot_palette(size_t i);

#ifdef __cplusplus
}
#endif

#endif
