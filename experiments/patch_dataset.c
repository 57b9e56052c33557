/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/patch_dataset.c: the dataset of rendered patches an optimizer's side data is
 * built from (search/optimizer.h, sm_opt_side_type; pcakm's PCA + k-means model): random points
 * of the free space, or the voices of a patch file, minus the experiment's own target patches;
 * their MFCC summaries, the model, and the model's cache file. */
#include "experiments/runner_internal.h"
#include "core/fileio.h"

#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/eval.h"
#include "core/rng.h"
#include "experiments/objective.h"
#include "synths/dx7_sysex.h"

/* ---- the side model -------------------------------------------------------------- */

/* 1 if the patch `native` (full space) is, on the free parameters of `view`, the patch of one
 * of variant v's targets made from known values: such a patch must not be in the dataset,
 * or the optimizer (pcakm) would start from the answer (voices31380.bin holds a copy of each of rom1a's 32
 * voices, dx7_factory's targets, 12 of them under other names). */
static int is_target_patch(const sm_experiment *e, size_t v, const sm_param_view *view,
                           const double *native, double *a, double *b)
{
    size_t t, j, d = view->space.n;
    sm_param_view_project(view, native, a);
    for (t = 0; t < e->n_targets; t++) {
        if (e->targets[t].variant != v || !e->targets[t].truth) continue;
        sm_param_view_project(view, e->targets[t].truth, b);
        for (j = 0; j < d && a[j] == b[j]; j++) continue;
        if (j == d) return 1;
    }
    return 0;
}

/* The cache key of optimizer o's side model for variant v: a hash of everything that shapes
 * the dataset and the model, so a changed experiment never reuses a stale model. */
static uint64_t side_cache_key(const sm_experiment *e, size_t v, const sm_exp_optimizer *o)
{
    const sm_param_view *view = e->variants[v].view;
    uint64_t h = 1469598103934665603ULL;
    size_t i;
#define MIX(x) h = sm_rng_mix(h, (uint64_t)(x))
#define MIX_STR(str)                                       \
    do {                                                   \
        const char *c_;                                    \
        for (c_ = (str); *c_; c_++) MIX((unsigned char)*c_); \
        MIX(0);                                            \
    } while (0)
#define MIX_DOUBLE(x)                                      \
    do {                                                   \
        uint64_t bits_;                                    \
        double x_ = (x);                                   \
        memcpy(&bits_, &x_, sizeof bits_);                 \
        MIX(bits_);                                        \
    } while (0)
    /* the model's kind and version, the synth and its render: a new build never loads an old
     * model */
    MIX_STR(o->type->name);
    MIX(o->type->side->version);
    MIX(e->synth->render_version);
    MIX_STR(e->synth->name);
    for (i = 0; i < e->synth->space->n; i++) {
        MIX_DOUBLE(view->base[i]);
        MIX(view->frozen[i]);
    }
    MIX(llround(e->note.note * 1000));
    MIX(llround(e->note.velocity * 1000));
    MIX(llround(e->note.gate_s * 1e6));
    MIX(e->note.seed);          /* [synth] seed: noise and random phases of every render */
    MIX(e->note.random_phase);
    MIX(llround(e->note.length_s * e->sample_rate));
    MIX(llround(e->sample_rate));
    MIX(e->cost.mfcc.n_mfcc);
    MIX(e->cost.mfcc.n_fft);
    MIX(e->cost.mfcc.hop);
    MIX(e->cost.mfcc.n_mels);
    MIX(e->cost.mfcc.htk);
    MIX(o->dataset_size);
    for (i = 0; i < o->n_side_settings; i++) {   /* the model's settings, in file order */
        MIX_STR(o->side_settings[i].key);
        MIX_STR(o->side_settings[i].value);
    }
    if (o->dataset) {
        MIX_STR(o->dataset);
        /* the targets whose patches are left out of the dataset */
        for (i = 0; i < e->n_targets; i++) {
            size_t j;
            if (e->targets[i].variant != v || !e->targets[i].truth) continue;
            for (j = 0; j < e->synth->space->n; j++) MIX_DOUBLE(e->targets[i].truth[j]);
        }
    }
#undef MIX_DOUBLE
#undef MIX_STR
#undef MIX
    return h;
}

/* The dataset's points (rows of the variant's d free values in [0,1]): with o->dataset, up to
 * *n human-made patches of that file drawn without replacement (the frozen parameters keep the
 * experiment's values), none of them a target's own patch; else *n random points. *n receives
 * how many were drawn. Returns 0 or an sm_err with err set. */
static int draw_points(const sm_experiment *e, size_t v, const sm_exp_optimizer *o,
                       double *points, size_t *n, sm_error *err)
{
    const sm_param_view *view = e->variants[v].view;
    size_t d = view->space.n, count = 0, taken = 0, i, *idx = NULL;
    double *all = NULL, *tb = NULL;
    sm_rng r;
    int rc = 0;
    sm_rng_init(&r, 0x5ca1ab1e, 7);
    if (!o->dataset) {
        for (i = 0; i < *n * d; i++) points[i] = sm_rng_uniform(&r);
        return 0;
    }
    if (!e->synth->patch_load_all)
        return sm_error_set(err, SM_ERR_CONFIG, "%s: synth %s cannot read a dataset file (%s)",
                            o->name, e->synth->name, o->dataset);
    if ((rc = e->synth->patch_load_all(o->dataset, &all, &count, err)) != 0) return rc;
    idx = malloc((count ? count : 1) * sizeof *idx);
    tb = malloc((d ? d : 1) * sizeof *tb);
    if (!idx || !tb || count == 0) {
        rc = sm_error_set(err, count ? SM_ERR_NOMEM : SM_ERR_EMPTY,
                          count ? "out of memory" : "%s: %s holds no patch", o->name, o->dataset);
        goto out;
    }
    for (i = 0; i < count; i++) idx[i] = i;
    sm_rng_shuffle(&r, idx, count);
    /* the first n in the shuffled order that are no target's own patch */
    for (i = 0; i < count && taken < *n; i++)
        if (!is_target_patch(e, v, view, all + idx[i] * e->synth->space->n, points + taken * d,
                             tb))
            taken++;
    *n = taken;
    if (taken == 0)
        rc = sm_error_set(err, SM_ERR_EMPTY, "%s: every patch of %s is a target's own patch",
                          o->name, o->dataset);
out:
    free(all);
    free(idx);
    free(tb);
    return rc;
}

/* Renders the n points of variant v and writes each one's MFCC summary (m values) to feats;
 * a failed render gets all zeros. Returns 0 or an sm_err with err set. */
static int render_features(const sm_experiment *e, size_t v, const double *points, size_t n,
                           double *feats, size_t m, int threads, sm_error *err)
{
    const sm_param_view *view = e->variants[v].view;
    const size_t d = view->space.n;
    sm_objective obj;
    sm_eval *ev;
    memset(&obj, 0, sizeof obj);
    obj.synth = e->synth;
    obj.view = view;
    obj.note = e->note;
    obj.sample_rate = e->sample_rate;
    obj.n_samples = (size_t)llround(e->note.length_s * e->sample_rate);
    obj.mfcc = &e->cost.mfcc;
    ev = sm_eval_alloc(&sm_objective_worker, &obj, threads, err);
    if (!ev) return err && err->code ? err->code : SM_ERR_NOMEM;
#pragma omp parallel for num_threads(sm_eval_threads(ev)) schedule(dynamic, 8)
    for (long j = 0; j < (long)n; j++) {
        void *w = sm_eval_worker(ev, omp_get_thread_num());
        if (sm_objective_summary(w, points + (size_t)j * d, feats + (size_t)j * m) != 0) {
            size_t q;
            for (q = 0; q < m; q++) feats[(size_t)j * m + q] = 0;
        }
    }
    sm_eval_free(ev);
    return 0;
}

/* Builds (or loads from the cache) optimizer o's side model over rendered patches of the
 * experiment's free space, for variant v. */
void *sm_runner_side_model(const sm_experiment *e, size_t v, const sm_exp_optimizer *o,
                           int threads, sm_error *err)
{
    const sm_opt_side_type *side = o->type->side;
    size_t d = e->variants[v].view->space.n, n = o->dataset_size;
    size_t m = 2 * (size_t)e->cost.mfcc.n_mfcc;
    char *path = NULL;
    double *points = NULL, *feats = NULL;
    void *model = NULL;
    sm_opt_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.settings = o->side_settings;
    cfg.n_settings = o->n_side_settings;
    cfg.source = e->path;
    if (sm_mkdir_p(e->cache_dir, err) != 0) return NULL;
    path = sm_runner_path("%s/%s-%s-%016" PRIx64 ".model", e->cache_dir, o->type->name,
                          e->synth->name, side_cache_key(e, v, o));
    if (!path) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (sm_runner_file_exists(path)) {
        model = side->load(path, err);
        if (model) {
            free(path);
            return model;
        }
        /* a corrupt cache file is rebuilt */
    }
    points = malloc(n * d * sizeof *points);
    feats = malloc(n * m * sizeof *feats);
    if (!points || !feats) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (draw_points(e, v, o, points, &n, err) != 0 ||
        render_features(e, v, points, n, feats, m, threads, err) != 0)
        goto out;
    model = side->build(points, n, d, feats, m, &cfg, 0x9e3779b9, err);
    if (model && side->save(path, model, err) != 0) {
        side->free(model);
        model = NULL;
    }
out:
    free(points);
    free(feats);
    free(path);
    return model;
}

void sm_runner_side_models_free(const sm_experiment *e, void **models)
{
    size_t i;
    if (!models) return;
    for (i = 0; i < e->n_opt * e->n_variants; i++)
        if (models[i]) e->opt[i / e->n_variants].type->side->free(models[i]);
}

/* MFCC summary of a prepared target, for the side model's query. */
int sm_runner_target_summary(const sm_experiment *e, const prepared_target *pt, double *summary,
                          sm_error *err)
{
    sm_mfcc *m = sm_mfcc_alloc(&e->cost.mfcc, pt->n, err);
    size_t frames = sm_mfcc_n_frames(&e->cost.mfcc, pt->n);
    double *out = malloc(frames * (size_t)e->cost.mfcc.n_mfcc * sizeof *out);
    int rc;
    if (!m || !out) {
        sm_mfcc_free(m);
        free(out);
        return err && err->code ? err->code : SM_ERR_NOMEM;
    }
    rc = sm_mfcc_compute(m, pt->audio, pt->n, out, &frames);
    if (!rc) sm_mfcc_summary(out, frames, e->cost.mfcc.n_mfcc, summary);
    sm_mfcc_free(m);
    free(out);
    return rc;
}
