/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/objective.c: render -> MFCC -> cost workers for core/eval (see objective.h). */
#include "experiments/objective.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const sm_objective *obj;
    void *synth_state;
    float *buf, *buf2;     /* buf2: the second note of a pair (synths with render2) */
    double *native, *native2;
    sm_cost *cost;         /* NULL without a target */
    sm_mfcc *mfcc;         /* for summaries, made on first need */
    double *mfcc_out;
    size_t mfcc_frames_max;
} obj_worker;

static void obj_free(void *wp)
{
    obj_worker *w = wp;
    if (!w) return;
    if (w->synth_state) w->obj->synth->free(w->synth_state);
    sm_cost_free(w->cost);
    sm_mfcc_free(w->mfcc);
    free(w->mfcc_out);
    free(w->buf);
    free(w->buf2);
    free(w->native);
    free(w->native2);
    free(w);
}

static void *obj_alloc(const void *shared, sm_error *err)
{
    const sm_objective *obj = shared;
    obj_worker *w = calloc(1, sizeof *w);
    if (!w) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->obj = obj;
    w->buf = calloc(obj->n_samples ? obj->n_samples : 1, sizeof *w->buf);
    w->native = calloc(obj->synth->space->n, sizeof *w->native);
    if (obj->synth->render2) {
        w->buf2 = calloc(obj->n_samples ? obj->n_samples : 1, sizeof *w->buf2);
        w->native2 = calloc(obj->synth->space->n, sizeof *w->native2);
    }
    if (!w->buf || !w->native || (obj->synth->render2 && (!w->buf2 || !w->native2))) {
        obj_free(w);
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->synth_state = obj->synth->alloc(obj->sample_rate, err);
    if (!w->synth_state) {
        obj_free(w);
        return NULL;
    }
    if (obj->target) {
        w->cost = sm_cost_alloc(obj->target, err);
        if (!w->cost) {
            obj_free(w);
            return NULL;
        }
    }
    if (obj->mfcc) {
        w->mfcc = sm_mfcc_alloc(obj->mfcc, obj->n_samples, err);
        if (!w->mfcc) {
            obj_free(w);
            return NULL;
        }
        w->mfcc_frames_max = sm_mfcc_n_frames(obj->mfcc, obj->n_samples);
        w->mfcc_out = malloc(w->mfcc_frames_max * (size_t)obj->mfcc->n_mfcc * sizeof(double));
        if (!w->mfcc_out) {
            obj_free(w);
            sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            return NULL;
        }
    }
    return w;
}

const float *sm_objective_render(void *wp, const double *x01)
{
    obj_worker *w = wp;
    const sm_objective *obj = w->obj;
    sm_param_view_expand(obj->view, x01, w->native);
    if (obj->synth->render(w->synth_state, w->native, &obj->note, w->buf, obj->n_samples) != 0)
        return NULL;
    return w->buf;
}

double sm_objective_eval_native(void *wp, const double *native, const float **out)
{
    obj_worker *w = wp;
    const sm_objective *obj = w->obj;
    if (out) *out = NULL;
    if (obj->synth->render(w->synth_state, native, &obj->note, w->buf, obj->n_samples) != 0)
        return NAN;
    if (out) *out = w->buf;
    return w->cost ? sm_cost_eval(w->cost, w->buf, obj->n_samples) : NAN;
}

static double obj_eval(void *wp, const double *x, size_t d)
{
    obj_worker *w = wp;
    const float *y;
    (void)d;
    if (!w->cost) return NAN;
    y = sm_objective_render(w, x);
    if (!y) return NAN;
    return sm_cost_eval(w->cost, y, w->obj->n_samples);
}

int sm_objective_summary(void *wp, const double *x01, double *summary)
{
    obj_worker *w = wp;
    const float *y;
    size_t frames = 0, i;
    int rc;
    if (!w->mfcc) return SM_ERR_ARG;
    y = sm_objective_render(w, x01);
    if (!y) return SM_ERR_NONFINITE;
    rc = sm_mfcc_compute(w->mfcc, y, w->obj->n_samples, w->mfcc_out, &frames);
    if (rc) return rc;
    sm_mfcc_summary(w->mfcc_out, frames, w->obj->mfcc->n_mfcc, summary);
    for (i = 0; i < 2 * (size_t)w->obj->mfcc->n_mfcc; i++)
        if (!isfinite(summary[i])) return SM_ERR_NONFINITE;
    return 0;
}

/* Two points: with the synth's render2 both notes are rendered together (each exactly as
 * alone), then scored one after the other. */
static void obj_eval2(void *wp, const double *xa, const double *xb, size_t d, double *ca,
                      double *cb)
{
    obj_worker *w = wp;
    const sm_objective *obj = w->obj;
    if (!obj->synth->render2 || !w->cost) {
        *ca = obj_eval(wp, xa, d);
        *cb = obj_eval(wp, xb, d);
        return;
    }
    sm_param_view_expand(obj->view, xa, w->native);
    sm_param_view_expand(obj->view, xb, w->native2);
    if (obj->synth->render2(w->synth_state, w->native, w->native2, &obj->note, w->buf, w->buf2,
                            obj->n_samples) != 0) {
        *ca = *cb = NAN;
        return;
    }
    *ca = sm_cost_eval(w->cost, w->buf, obj->n_samples);
    *cb = sm_cost_eval(w->cost, w->buf2, obj->n_samples);
}

const sm_worker_type sm_objective_worker = {obj_alloc, obj_eval, obj_free, obj_eval2};
