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

/* Builds (or loads from the cache) optimizer o's side model over rendered patches of the
 * experiment's free space, for variant v. The cache file's name is a hash of everything that
 * shapes the dataset and the model, so a changed experiment never reuses a stale model. */
void *sm_runner_side_model(const sm_experiment *e, size_t v, const sm_exp_optimizer *o,
                           int threads, sm_error *err)
{
    const sm_opt_side_type *side = o->type->side;
    const sm_param_view *view = e->variants[v].view;
    size_t d = view->space.n, n = o->dataset_size, m = 2 * (size_t)e->cost.mfcc.n_mfcc, i;
    size_t ns = (size_t)llround(e->note.length_s * e->sample_rate);
    uint64_t h = 1469598103934665603ULL;
    char *path = NULL;
    double *points = NULL, *feats = NULL;
    void *model = NULL;
    sm_opt_config cfg;
    sm_objective obj;
    sm_eval *ev = NULL;
    sm_rng r;
#define MIX(v) h = sm_rng_mix(h, (uint64_t)(v))
    /* the file format and the synth's render: a new build never loads an old model */
    for (i = 0; o->type->name[i]; i++) MIX(o->type->name[i]);
    MIX(side->version);
    MIX(e->synth->render_version);
    for (i = 0; e->synth->name[i]; i++) MIX(e->synth->name[i]);
    for (i = 0; i < e->synth->space->n; i++) {
        double b = view->base[i];
        uint64_t bits;
        memcpy(&bits, &b, sizeof bits);
        MIX(bits);
        MIX(view->frozen[i]);
    }
    MIX(llround(e->note.note * 1000));
    MIX(llround(e->note.velocity * 1000));
    MIX(llround(e->note.gate_s * 1e6));
    MIX(e->note.seed);          /* [synth] seed: noise and random phases of every render */
    MIX(e->note.random_phase);
    MIX(ns);
    MIX(llround(e->sample_rate));
    MIX(e->cost.mfcc.n_mfcc);
    MIX(e->cost.mfcc.n_fft);
    MIX(e->cost.mfcc.hop);
    MIX(e->cost.mfcc.n_mels);
    MIX(e->cost.mfcc.htk);
    MIX(n);
    for (i = 0; i < o->n_side_settings; i++) {   /* the model's settings, in file order */
        const char *c;
        for (c = o->side_settings[i].key; *c; c++) MIX(*c);
        MIX('=');
        for (c = o->side_settings[i].value; *c; c++) MIX(*c);
        MIX(';');
    }
    if (o->dataset) {
        for (i = 0; o->dataset[i]; i++) MIX(o->dataset[i]);
        /* the targets whose patches are left out of the dataset */
        for (i = 0; i < e->n_targets; i++) {
            size_t j;
            if (e->targets[i].variant != v || !e->targets[i].truth) continue;
            for (j = 0; j < e->synth->space->n; j++) {
                uint64_t bits;
                memcpy(&bits, &e->targets[i].truth[j], sizeof bits);
                MIX(bits);
            }
        }
    }
#undef MIX
    memset(&cfg, 0, sizeof cfg);
    cfg.settings = o->side_settings;
    cfg.n_settings = o->n_side_settings;
    cfg.source = e->path;
    if (sm_mkdir_p(e->cache_dir, err) != 0) return NULL;
    path = sm_runner_path("%s/%s-%s-%016" PRIx64 ".model", e->cache_dir, o->type->name,
                          e->synth->name, h);
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
    sm_rng_init(&r, 0x5ca1ab1e, 7);
    if (o->dataset) {
        /* human-made patches: n of them, drawn without replacement, projected on the free
         * parameters (the frozen ones keep the experiment's values) */
        double *all = NULL;
        size_t count = 0, *idx;
        if (!e->synth->patch_load_all) {
            sm_error_set(err, SM_ERR_CONFIG, "%s: synth %s cannot read a dataset file (%s)",
                         o->name, e->synth->name, o->dataset);
            goto out;
        }
        if (e->synth->patch_load_all(o->dataset, &all, &count, err) != 0) goto out;
        idx = malloc((count ? count : 1) * sizeof *idx);
        if (!idx || count == 0) {
            free(all);
            free(idx);
            sm_error_set(err, count ? SM_ERR_NOMEM : SM_ERR_EMPTY, "%s: %s holds no patch",
                         o->name, o->dataset);
            goto out;
        }
        for (i = 0; i < count; i++) idx[i] = i;
        sm_rng_shuffle(&r, idx, count);
        {
            /* the first n in the shuffled order that are no target's own patch */
            size_t taken = 0;
            double *tb = malloc((d ? d : 1) * sizeof *tb);
            if (!tb) {
                free(all);
                free(idx);
                sm_error_set(err, SM_ERR_NOMEM, "out of memory");
                goto out;
            }
            for (i = 0; i < count && taken < n; i++)
                if (!is_target_patch(e, v, view, all + idx[i] * e->synth->space->n,
                                     points + taken * d, tb))
                    taken++;
            n = taken;
            free(tb);
        }
        free(all);
        free(idx);
        if (n == 0) {
            sm_error_set(err, SM_ERR_EMPTY, "%s: every patch of %s is a target's own patch",
                         o->name, o->dataset);
            goto out;
        }
    } else {
        for (i = 0; i < n * d; i++) points[i] = sm_rng_uniform(&r);
    }
    memset(&obj, 0, sizeof obj);
    obj.synth = e->synth;
    obj.view = view;
    obj.note = e->note;
    obj.sample_rate = e->sample_rate;
    obj.n_samples = ns;
    obj.mfcc = &e->cost.mfcc;
    ev = sm_eval_alloc(&sm_objective_worker, &obj, threads, err);
    if (!ev) goto out;
#pragma omp parallel for num_threads(sm_eval_threads(ev)) schedule(dynamic, 8)
    for (long j = 0; j < (long)n; j++) {
        void *w = sm_eval_worker(ev, omp_get_thread_num());
        if (sm_objective_summary(w, points + (size_t)j * d, feats + (size_t)j * m) != 0) {
            size_t q;
            for (q = 0; q < m; q++) feats[(size_t)j * m + q] = 0; /* a failed render: all zero */
        }
    }
    model = side->build(points, n, d, feats, m, &cfg, 0x9e3779b9, err);
    if (model && side->save(path, model, err) != 0) {
        side->free(model);
        model = NULL;
    }
out:
    sm_eval_free(ev);
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
