/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/params.c: parameter spaces, [0,1] coding, and views with frozen parameters
 * (see core/params.h). */
#include "core/params.h"

#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static double clamp01(double x)
{
    if (!(x > 0)) return 0; /* also NaN */
    if (x > 1) return 1;
    return x;
}

int sm_param_is_discrete(const sm_param *p)
{
    return p->kind == SM_PARAM_INT || p->kind == SM_PARAM_ENUM;
}

int sm_param_is_structural(const sm_param *p)
{
    return p->kind == SM_PARAM_ENUM || p->structural != 0;
}

double sm_param_decode1(const sm_param *p, double x01)
{
    double x;
    if (isnan(x01)) return p->def;
    x = clamp01(x01);
    if (sm_param_is_discrete(p)) {
        double k = p->max - p->min + 1; /* number of values */
        double i = floor(x * k);
        if (i > k - 1) i = k - 1;
        return p->min + i;
    }
    if (p->log_scale && p->min > 0) return p->min * pow(p->max / p->min, x);
    return p->min + x * (p->max - p->min);
}

double sm_param_encode1(const sm_param *p, double v)
{
    if (isnan(v)) v = p->def;
    if (v < p->min) v = p->min;
    if (v > p->max) v = p->max;
    if (sm_param_is_discrete(p)) {
        double k = p->max - p->min + 1;
        double i = floor(v - p->min + 0.5);
        return (i + 0.5) / k;
    }
    if (p->max <= p->min) return 0.5;
    if (p->log_scale && p->min > 0) return clamp01(log(v / p->min) / log(p->max / p->min));
    return clamp01((v - p->min) / (p->max - p->min));
}

double sm_param_dnative_dx(const sm_param *p, double x01)
{
    if (sm_param_is_discrete(p) || p->max <= p->min) return 0.0;
    if (p->log_scale && p->min > 0)
        return sm_param_decode1(p, isnan(x01) ? 0.5 : x01) * log(p->max / p->min);
    return p->max - p->min;
}

int sm_param_is_relaxed(const sm_param *p)
{
    return p->kind == SM_PARAM_INT && p->relaxed != 0;
}

double sm_param_decode_relaxed(const sm_param *p, double x01)
{
    double k, v;
    if (!sm_param_is_relaxed(p)) return sm_param_decode1(p, x01);
    if (isnan(x01)) return p->def;
    k = p->max - p->min + 1;
    v = p->min - 0.5 + k * clamp01(x01);
    /* a bin's centre (i + 0.5) / k gives its whole value exactly, not one rounding off */
    if (fabs(v - floor(v + 0.5)) < 1e-9) v = floor(v + 0.5);
    if (v < p->min) v = p->min;
    if (v > p->max) v = p->max;
    return v;
}

double sm_param_dnative_dx_relaxed(const sm_param *p, double x01)
{
    double k, v;
    if (!sm_param_is_relaxed(p)) return sm_param_dnative_dx(p, x01);
    if (p->max <= p->min) return 0.0;
    k = p->max - p->min + 1;
    v = p->min - 0.5 + k * clamp01(isnan(x01) ? 0.5 : x01);
    return v >= p->min && v <= p->max ? k : 0.0;
}

void sm_params_decode(const sm_param_space *s, const double *x01, double *native)
{
    size_t i;
    for (i = 0; i < s->n; i++) native[i] = sm_param_decode1(&s->p[i], x01[i]);
}

void sm_params_encode(const sm_param_space *s, const double *native, double *x01)
{
    size_t i;
    for (i = 0; i < s->n; i++) x01[i] = sm_param_encode1(&s->p[i], native[i]);
}

void sm_params_defaults(const sm_param_space *s, double *native)
{
    size_t i;
    for (i = 0; i < s->n; i++) native[i] = s->p[i].def;
}

int sm_params_find(const sm_param_space *s, const char *name)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (strcmp(s->p[i].name, name) == 0) return (int)i;
    return -1;
}

int sm_params_check(const sm_param_space *s, const double *native, sm_error *err)
{
    size_t i;
    for (i = 0; i < s->n; i++) {
        const sm_param *p = &s->p[i];
        double v = native[i];
        if (!isfinite(v))
            return sm_error_set(err, SM_ERR_NONFINITE, "parameter %s is %s", p->name,
                                isnan(v) ? "NaN" : "infinite");
        if (v < p->min || v > p->max)
            return sm_error_set(err, SM_ERR_RANGE, "parameter %s = %g is outside %g..%g",
                                p->name, v, p->min, p->max);
        if (sm_param_is_discrete(p) && v != floor(v))
            return sm_error_set(err, SM_ERR_RANGE, "parameter %s = %g must be a whole number",
                                p->name, v);
    }
    return 0;
}

size_t sm_params_clamp(const sm_param_space *s, double *native)
{
    size_t i, changed = 0;
    for (i = 0; i < s->n; i++) {
        const sm_param *p = &s->p[i];
        double v = native[i];
        if (isnan(v)) v = p->def;
        if (v < p->min) v = p->min;
        if (v > p->max) v = p->max;
        if (sm_param_is_discrete(p)) v = floor(v + 0.5);
        if (v != native[i]) {
            native[i] = v;
            changed++;
        }
    }
    return changed;
}

int sm_param_parse(const sm_param *p, const char *text, double *value, sm_error *err)
{
    char *end;
    double v;
    while (*text == ' ' || *text == '\t') text++;
    if (p->kind == SM_PARAM_ENUM && p->labels) {
        int k, n = (int)(p->max - p->min + 1);
        for (k = 0; k < n; k++) {
            if (p->labels[k] && strcasecmp(p->labels[k], text) == 0) {
                *value = p->min + k;
                return 0;
            }
        }
    }
    v = strtod(text, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (end == text || *end) {
        if (p->kind == SM_PARAM_ENUM && p->labels) {
            char list[256] = "";
            int k, n = (int)(p->max - p->min + 1);
            for (k = 0; k < n && p->labels[k]; k++) {
                strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, p->labels[k], sizeof list - strlen(list) - 1);
            }
            return sm_error_set(err, SM_ERR_FORMAT, "%s: '%s' is not one of %s", p->name, text,
                                list);
        }
        return sm_error_set(err, SM_ERR_FORMAT, "%s: '%s' is not a number", p->name, text);
    }
    if (!isfinite(v)) return sm_error_set(err, SM_ERR_NONFINITE, "%s: '%s' is not finite", p->name, text);
    if (v < p->min || v > p->max)
        return sm_error_set(err, SM_ERR_RANGE, "%s: %g is outside %g..%g", p->name, v, p->min,
                            p->max);
    if (sm_param_is_discrete(p) && v != floor(v))
        return sm_error_set(err, SM_ERR_RANGE, "%s: %g must be a whole number", p->name, v);
    *value = v;
    return 0;
}

/* ---- views ----------------------------------------------------------------------------- */

static void view_rebuild(sm_param_view *v)
{
    size_t i, k = 0;
    for (i = 0; i < v->full->n; i++) {
        if (!v->frozen[i]) {
            v->free_idx[k] = i;
            v->free_params[k] = v->full->p[i];
            k++;
        }
    }
    v->space.n = k;
    v->space.p = v->free_params;
}

sm_param_view *sm_param_view_alloc(const sm_param_space *full)
{
    sm_param_view *v = calloc(1, sizeof *v);
    size_t n = full->n ? full->n : 1;
    if (!v) return NULL;
    v->full = full;
    v->free_idx = calloc(n, sizeof *v->free_idx);
    v->base = calloc(n, sizeof *v->base);
    v->frozen = calloc(n, 1);
    v->free_params = calloc(n, sizeof *v->free_params);
    if (!v->free_idx || !v->base || !v->frozen || !v->free_params) {
        sm_param_view_free(v);
        return NULL;
    }
    sm_params_defaults(full, v->base);
    view_rebuild(v);
    return v;
}

int sm_param_view_freeze(sm_param_view *v, const char *pattern, double value, sm_error *err)
{
    size_t i;
    int matched = 0;
    for (i = 0; i < v->full->n; i++) {
        const sm_param *p = &v->full->p[i];
        if (fnmatch(pattern, p->name, 0) != 0) continue;
        if (!isnan(value)) {
            if (!isfinite(value))
                return sm_error_set(err, SM_ERR_NONFINITE, "%s: value is not finite", p->name);
            if (value < p->min || value > p->max)
                return sm_error_set(err, SM_ERR_RANGE, "%s = %g is outside %g..%g", p->name,
                                    value, p->min, p->max);
            v->base[i] = sm_param_is_discrete(p) ? floor(value + 0.5) : value;
        }
        v->frozen[i] = 1;
        matched++;
    }
    view_rebuild(v);
    return matched;
}

sm_param_view *sm_param_view_copy(const sm_param_view *v)
{
    sm_param_view *c = sm_param_view_alloc(v->full);
    if (!c) return NULL;
    memcpy(c->base, v->base, v->full->n * sizeof *c->base);
    memcpy(c->frozen, v->frozen, v->full->n);
    view_rebuild(c);
    return c;
}

int sm_param_view_thaw(sm_param_view *v, const char *pattern)
{
    size_t i;
    int matched = 0;
    for (i = 0; i < v->full->n; i++) {
        if (fnmatch(pattern, v->full->p[i].name, 0) != 0) continue;
        v->frozen[i] = 0;
        matched++;
    }
    view_rebuild(v);
    return matched;
}

void sm_param_view_set_base(sm_param_view *v, const double *native_full)
{
    memcpy(v->base, native_full, v->full->n * sizeof *v->base);
    sm_params_clamp(v->full, v->base);
}

void sm_param_view_expand(const sm_param_view *v, const double *x01_free, double *native_full)
{
    size_t k;
    memcpy(native_full, v->base, v->full->n * sizeof *native_full);
    for (k = 0; k < v->space.n; k++)
        native_full[v->free_idx[k]] = sm_param_decode1(&v->space.p[k], x01_free[k]);
}

void sm_param_view_project(const sm_param_view *v, const double *native_full, double *x01_free)
{
    size_t k;
    for (k = 0; k < v->space.n; k++)
        x01_free[k] = sm_param_encode1(&v->space.p[k], native_full[v->free_idx[k]]);
}

void sm_param_view_free(sm_param_view *v)
{
    if (!v) return;
    free(v->free_idx);
    free(v->base);
    free(v->frozen);
    free(v->free_params);
    free(v);
}
