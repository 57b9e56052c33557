/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/params.h: parameter spaces, the only thing an optimizer knows of a synth.
 *
 * A synth describes each parameter (name, unit, kind, native range, default, scale). Optimizers
 * work in normalized coordinates x in [0,1]; decode maps them to native values and encode maps
 * back. Integer and enum parameters with k values divide [0,1] into k equal bins, and encode
 * returns the bin's centre, so encode followed by decode gives back every value exactly.
 *
 * A view (sm_param_view) freezes any subset of a space at given values and presents the rest as
 * a smaller space, so "operators 1-2 free, everything else fixed" is a few lines of config. */
#ifndef SM_PARAMS_H
#define SM_PARAMS_H

#include <stddef.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SM_PARAM_REAL, SM_PARAM_INT, SM_PARAM_ENUM } sm_param_kind;

typedef struct {
    const char *name;            /* unique within its space, e.g. "op1_level" */
    const char *unit;            /* "Hz", "ms", "dB", "" ... */
    sm_param_kind kind;
    double min, max, def;        /* native range and default */
    int log_scale;               /* map [0,1] geometrically (REAL only; needs min > 0) */
    const char *const *labels;   /* SM_PARAM_ENUM only: max-min+1 names */
    int structural;              /* a discrete choice that changes what other parameters mean
                                  * (an algorithm, a mode, a sync switch): local search keeps
                                  * it at its start value. A trailing field, so positional
                                  * initialisers that stop at labels leave it 0. */
    int relaxed;                 /* SM_PARAM_INT only: the synth's render_grad accepts any real
                                  * value within [min, max] for it (a continuous relaxation of
                                  * the integer, whole values sounding as render plays them)
                                  * and gives its derivative, so exact-gradient optimizers may
                                  * descend on it as if it were continuous; render itself and
                                  * every other optimizer still see whole values (decode rounds).
                                  * Trailing, like structural: positional initialisers leave it
                                  * 0. See sm_param_decode_relaxed. */
} sm_param;

typedef struct {
    size_t n;
    const sm_param *p;
} sm_param_space;

/* Native value of parameter p at normalized coordinate x (clamped to [0,1]; NaN gives def). */
double sm_param_decode1(const sm_param *p, double x01);
/* Normalized coordinate of native value v (clamped to the range). */
double sm_param_encode1(const sm_param *p, double v);
void sm_params_decode(const sm_param_space *s, const double *x01, double *native);
void sm_params_encode(const sm_param_space *s, const double *native, double *x01);
/* d native / d x01 of parameter p at normalized coordinate x (clamped to [0,1]): the chain
 * rule factor from a gradient in native units to one in normalized coordinates. Linear
 * parameters: max - min; log-scaled ones: native(x) ln(max / min); discrete ones: 0 (they
 * have no derivative). */
double sm_param_dnative_dx(const sm_param *p, double x01);
/* 1 if p is an SM_PARAM_INT whose `relaxed` flag is set. */
int sm_param_is_relaxed(const sm_param *p);
/* The relaxed native value of p at x01 (clamped to [0,1]; NaN gives def): for a relaxed
 * parameter with k = max - min + 1 values, min - 1/2 + k x clamped to [min, max], so the
 * centre of every bin gives its whole value exactly and rounding the result (halves up) gives
 * what sm_param_decode1 gives anywhere in the bin. Any other parameter: sm_param_decode1. */
double sm_param_decode_relaxed(const sm_param *p, double x01);
/* d sm_param_decode_relaxed / d x01: k inside [min, max] (bounds included, so a parameter at
 * its first or last value keeps a derivative), 0 where the clamp holds; for a parameter that
 * is not relaxed, sm_param_dnative_dx. */
double sm_param_dnative_dx_relaxed(const sm_param *p, double x01);
/* Fills native with every parameter's default. */
void sm_params_defaults(const sm_param_space *s, double *native);
/* Index of the parameter called name, or -1. */
int sm_params_find(const sm_param_space *s, const char *name);
/* 1 if p takes only discrete values (INT or ENUM). */
int sm_param_is_discrete(const sm_param *p);
/* 1 if p is structural: every ENUM, and any parameter whose `structural` flag is set. Local
 * search (halving's refinement) holds structural parameters at their start values. */
int sm_param_is_structural(const sm_param *p);
/* Checks native values: every one finite, in range, and whole for INT/ENUM. Returns 0,
 * SM_ERR_NONFINITE or SM_ERR_RANGE, naming the parameter. */
int sm_params_check(const sm_param_space *s, const double *native, sm_error *err);
/* Clamps native values into range and rounds discrete ones; NaN becomes the default.
 * Returns how many values changed. */
size_t sm_params_clamp(const sm_param_space *s, double *native);
/* Parses a native value for p from text: a number, or an enum label (case-insensitive).
 * Returns 0, SM_ERR_FORMAT or SM_ERR_RANGE. */
int sm_param_parse(const sm_param *p, const char *text, double *value, sm_error *err);

/* A space with some parameters frozen. Owns its arrays; `space` lists the free parameters. */
typedef struct {
    const sm_param_space *full;
    sm_param_space space;       /* the free parameters, in the full space's order */
    size_t *free_idx;           /* space.n indices into full */
    double *base;               /* full->n native values; frozen ones are used as they are */
    unsigned char *frozen;      /* full->n flags */
    sm_param *free_params;      /* storage behind space.p */
} sm_param_view;

/* A view with every parameter free and base values at the defaults. NULL on out of memory. */
sm_param_view *sm_param_view_alloc(const sm_param_space *full);
/* Freezes every parameter whose name matches pattern (fnmatch-style glob, e.g. "op[3-6]_*")
 * at its current base value (value NaN) or at value. Returns the number matched (0 is not an
 * error), or SM_ERR_RANGE / SM_ERR_NONFINITE for a bad value. */
int sm_param_view_freeze(sm_param_view *v, const char *pattern, double value, sm_error *err);
/* A copy of v (same base values and frozen set). NULL on out of memory. */
sm_param_view *sm_param_view_copy(const sm_param_view *v);
/* Unfreezes every parameter matching pattern. Returns the number matched. */
int sm_param_view_thaw(sm_param_view *v, const char *pattern);
/* Sets the base (native) values of the whole space, e.g. from a loaded patch. */
void sm_param_view_set_base(sm_param_view *v, const double *native_full);
/* Native values of the full space: base values, with the free ones decoded from x01. */
void sm_param_view_expand(const sm_param_view *v, const double *x01_free, double *native_full);
/* Normalized free coordinates of a full native vector. */
void sm_param_view_project(const sm_param_view *v, const double *native_full, double *x01_free);
void sm_param_view_free(sm_param_view *v);

#ifdef __cplusplus
}
#endif

#endif
