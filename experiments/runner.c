/* experiments/runner.c: the experiment loop (see runner.h). The runner owns the loop: it asks
 * the optimizer for a batch, scores it on the evaluator's threads, tells the costs back,
 * records the best-so-far trace, and writes every output all-or-nothing. */
#include "experiments/runner.h"
#include "core/audio.h"
#include "core/eval.h"
#include "core/fileio.h"
#include "core/rng.h"
#include "experiments/objective.h"
#include "experiments/report.h"
#include "search/pcakm.h"
#include "datasets/presets.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* One target, prepared: its audio at the experiment's rate and length, and its features. */
typedef struct {
    float *audio;
    size_t n;
    sm_note note;          /* the experiment's, with this target's note, length and gate */
    sm_cost_target *ct;
    double threshold;      /* cost of the truth detuned by fine +/-1 (NaN if not defined) */
    double *truth_x;       /* free coordinates of the truth, or NULL */
    char *wav_path;
    double f0_hz;          /* pitch found (NaN: unpitched or not analysed) */
    double onset_s;        /* seconds dropped before the onset */
    double file_s;         /* the recording's length in seconds (NaN for rendered targets) */
    float *orig;           /* the recording as read (at the experiment's rate), or NULL */
    size_t n_orig;
    size_t onset;          /* samples dropped before the onset */
    char notes[512];       /* what was done to the target: note found, trimming, padding */
    double *starts;        /* prior: start points (n_starts x free parameters), best first */
    double *start_costs;
    size_t n_starts;
    char start_name[32];   /* the best start's patch name */
} prepared_target;

/* One run's outcome, kept for results.csv and the report. */
typedef struct {
    size_t target, opt;
    uint64_t seed;
    double final_cost, wall_s, param_error;
    size_t evals, n_nonfinite;
    int inaudible;
    double logmel_db;      /* independent measures of best.wav against the target (NaN: none) */
    double loudness_db;
    double wav_gain_db;    /* gain in best.wav beyond what the patch's level reaches */
    size_t n_trace;
    size_t *trace_evals;
    double *trace_cost;
    char *best_wav, *patch_path;
} run_record;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *fmt_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_path(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    return s;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* ---- targets ------------------------------------------------------------------------- */

static int render_truth(const sm_experiment *e, const double *native, float *out, size_t n,
                        sm_error *err)
{
    void *st = e->synth->alloc(e->sample_rate, err);
    int rc;
    if (!st) return err && err->code ? err->code : SM_ERR_NOMEM;
    rc = e->synth->render(st, native, &e->note, out, n);
    e->synth->free(st);
    if (rc) return sm_error_set(err, rc, "%s: rendering a target failed", e->synth->name);
    return 0;
}

/* The cost of the truth with every free "*fine" parameter moved by one step up and down:
 * the threshold below which a match is taken as not audibly different. NaN if the synth
 * has no free fine-tuning parameter. */
static double detune_threshold(const sm_experiment *e, const sm_param_view *view,
                               const double *truth, const sm_cost_target *ct, size_t n)
{
    size_t i, k = 0;
    double total = 0;
    double *p = malloc(e->synth->space->n * sizeof *p);
    float *buf = malloc(n * sizeof *buf);
    sm_cost *c = sm_cost_alloc(ct, NULL);
    int dir;
    if (!p || !buf || !c) goto out;
    for (dir = -1; dir <= 1; dir += 2) {
        int moved = 0;
        memcpy(p, truth, e->synth->space->n * sizeof *p);
        for (i = 0; i < view->space.n; i++) {
            size_t j = view->free_idx[i];
            const sm_param *q = &e->synth->space->p[j];
            size_t len = strlen(q->name);
            if (len >= 4 && strcmp(q->name + len - 4, "fine") == 0) {
                double v = p[j] + dir;
                if (v < q->min) v = q->min + 1;
                if (v > q->max) v = q->max - 1;
                p[j] = v;
                moved = 1;
            }
        }
        if (!moved) goto out;
        if (render_truth(e, p, buf, n, NULL) != 0) goto out;
        total += sm_cost_eval(c, buf, n);
        k++;
    }
out:
    free(p);
    free(buf);
    sm_cost_free(c);
    return k ? total / (double)k : NAN;
}

/* Appends a sentence to a target's notes and hands it to the caller's warn callback. */
static void target_note(const sm_run_options *opt, const sm_exp_target *t, prepared_target *pt,
                        int warn, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void target_note(const sm_run_options *opt, const sm_exp_target *t, prepared_target *pt,
                        int warn, const char *fmt, ...)
{
    char msg[256];
    size_t len = strlen(pt->notes);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(pt->notes + len, sizeof pt->notes - len, "%s%s", len ? "; " : "", msg);
    if ((warn || (opt && opt->all_notes)) && opt && opt->warn) {
        char line[512];
        snprintf(line, sizeof line, "target %s: %s", t->name, msg);
        opt->warn(opt->warn_ctx, line);
    }
}

static const char *const note_names[12] = {"C", "C#", "D", "D#", "E", "F",
                                           "F#", "G", "G#", "A", "A#", "B"};

/* A recording as a target: read at the experiment's rate; with note = auto its pitch
 * gives the note, with align_onset what comes before its onset is dropped, and with
 * length_s = auto it is matched from the onset to where it has died away (at most
 * max_length_s). Every change to the recording is said in pt->notes and, where it cuts
 * sound or adds silence, through opt->warn. */
static int read_target(const sm_experiment *e, const sm_exp_target *t, const sm_run_options *opt,
                       prepared_target *pt, sm_error *err)
{
    const double sr = e->sample_rate;
    double length_s = e->note.length_s;
    sm_audio a;
    sm_audio_info ai;
    size_t n;
    int rc = sm_audio_read(t->path, sr, &a, &ai, err);
    if (rc) return rc;
    if (ai.warning[0]) target_note(opt, t, pt, 1, "%s", ai.warning);
    pt->file_s = (double)a.n / sr;
    pt->orig = malloc(a.n * sizeof *pt->orig);
    if (!pt->orig) {
        sm_audio_free(&a);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    memcpy(pt->orig, a.data, a.n * sizeof *a.data);
    pt->n_orig = a.n;
    if (e->note_auto || e->length_auto || e->align_onset) {
        sm_target_info info;
        rc = sm_target_analyse(a.data, a.n, sr, &info, err);
        if (rc) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            sm_audio_free(&a);
            return sm_error_set(err, rc, "target %s (%s): %s", t->name, t->path, msg);
        }
        if (e->note_auto) {
            if (isfinite(info.note)) {
                int k = (int)lround(info.note);
                if (k < 0) k = 0;
                if (k > 127) k = 127;
                pt->note.note = k;
                pt->f0_hz = info.f0_hz;
                target_note(opt, t, pt, 0, "note %s%d (MIDI %d) from its pitch, %.1f Hz (%+.0f cents)",
                            note_names[k % 12], k / 12 - 1, k, info.f0_hz,
                            100.0 * (info.note - k));
            } else {
                target_note(opt, t, pt, 1, "no steady pitch found; matched at MIDI note %g",
                            pt->note.note);
            }
        }
        if (e->align_onset && info.onset > 0) {
            memmove(a.data, a.data + info.onset, (a.n - info.onset) * sizeof *a.data);
            a.n -= info.onset;
            pt->onset = info.onset;
            pt->onset_s = (double)info.onset / sr;
            target_note(opt, t, pt, pt->onset_s >= 0.005, "%.3f s before the onset dropped",
                        pt->onset_s);
        }
        if (e->length_auto) {
            /* the whole recording from its onset: a judge of the match hears its tail too */
            const size_t end = info.end > info.onset ? info.end - info.onset : a.n;
            length_s = (double)a.n / sr;
            if (length_s < 0.1) length_s = 0.1;
            if (length_s > e->max_length_s) {
                target_note(opt, t, pt, (double)end / sr > e->max_length_s,
                            "%.2f s long from its onset (sounding for %.2f s); matched over its "
                            "first %.2f s (max_length_s)", (double)a.n / sr, (double)end / sr,
                            e->max_length_s);
                length_s = e->max_length_s;
            }
        }
    }
    n = (size_t)llround(length_s * sr);
    if (n < 1) n = 1;
    if (a.n < n)
        target_note(opt, t, pt, 1, "%.2f s long; padded with %.2f s of silence to length_s",
                    (double)a.n / sr, (double)(n - a.n) / sr);
    else if (!e->length_auto && a.n > n && sm_audio_peak(a.data + n, a.n - n) >= 1e-3)
        target_note(opt, t, pt, 1, "%.2f s long; cut to length_s = %.2f s", (double)a.n / sr,
                    (double)n / sr);
    if (sm_audio_fit(&a, n) != 0) {
        sm_audio_free(&a);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    pt->audio = a.data;
    pt->n = n;
    pt->note.length_s = (double)n / sr;
    if (!e->gate_given) pt->note.gate_s = 0.75 * pt->note.length_s;
    return 0;
}

static int prepare_target(const sm_experiment *e, size_t ti, const char *dir,
                          const sm_run_options *opt, prepared_target *pt, sm_error *err)
{
    const sm_exp_target *t = &e->targets[ti];
    const sm_param_view *view = e->variants[t->variant].view;
    size_t n = (size_t)llround(e->note.length_s * e->sample_rate);
    int rc;
    memset(pt, 0, sizeof *pt);
    pt->threshold = NAN;
    pt->f0_hz = NAN;
    pt->file_s = NAN;
    pt->note = e->note;
    if (t->path) {
        if ((rc = read_target(e, t, opt, pt, err)) != 0) return rc;
        n = pt->n;
    } else {
        pt->audio = calloc(n, sizeof *pt->audio);
        if (!pt->audio) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        rc = render_truth(e, t->truth, pt->audio, n, err);
        if (rc) return rc;
    }
    pt->n = n;
    if (sm_audio_peak(pt->audio, n) < 1e-5)
        return sm_error_set(err, SM_ERR_EMPTY,
                            "target %s%s%s is silent (peak below -100 dBFS) in its first %.2f s: "
                            "nothing to match",
                            t->name, t->path ? " from " : "", t->path ? t->path : "",
                            pt->note.length_s);
    pt->ct = sm_cost_target_alloc(&e->cost, pt->audio, n, err);
    if (!pt->ct) return err && err->code ? err->code : SM_ERR_NOMEM;
    if (t->truth) {
        pt->truth_x = malloc(view->space.n * sizeof *pt->truth_x);
        if (!pt->truth_x) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        sm_param_view_project(view, t->truth, pt->truth_x);
        pt->threshold = detune_threshold(e, view, t->truth, pt->ct, n);
    }
    pt->wav_path = fmt_path("%s/targets/%s.wav", dir, t->name);
    if (!pt->wav_path) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    /* the recording as it is (the matches line up with it), or the rendered target */
    return pt->orig ? sm_audio_write_wav(pt->wav_path, pt->orig, pt->n_orig, e->sample_rate,
                                         SM_WAV_FLOAT, err)
                    : sm_audio_write_wav(pt->wav_path, pt->audio, n, e->sample_rate,
                                         SM_WAV_FLOAT, err);
}

static void free_target(prepared_target *pt)
{
    free(pt->starts);
    free(pt->start_costs);
    free(pt->orig);
    free(pt->audio);
    sm_cost_target_free(pt->ct);
    free(pt->truth_x);
    free(pt->wav_path);
}

/* ---- pcakm's model ------------------------------------------------------------------- */

/* 1 if the patch `native` (full space) is, on the free parameters of `view`, the patch of one
 * of variant v's targets made from known values: such a patch must not be in pcakm's dataset,
 * or pcakm would start from the answer (voices31380.bin holds a copy of each of rom1a's 32
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

/* Builds (or loads from the cache) the PCA + k-means model over rendered random patches of
 * the experiment's free space, for variant v. The cache file's name is a hash of everything
 * that shapes the dataset, so a changed experiment never reuses a stale model. */
static sm_pcakm_model *pcakm_model(const sm_experiment *e, size_t v, const sm_exp_optimizer *o,
                                   int threads, sm_error *err)
{
    const sm_param_view *view = e->variants[v].view;
    size_t d = view->space.n, n = o->dataset_size, m = 2 * (size_t)e->cost.mfcc.n_mfcc, i;
    size_t ns = (size_t)llround(e->note.length_s * e->sample_rate);
    uint64_t h = 1469598103934665603ULL;
    char *path = NULL;
    double *points = NULL, *feats = NULL;
    sm_pcakm_model *model = NULL;
    sm_objective obj;
    sm_eval *ev = NULL;
    sm_rng r;
    sm_pcakm_params pp = sm_pcakm_params_default();
#define MIX(v) h = sm_rng_mix(h, (uint64_t)(v))
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
    MIX(ns);
    MIX(llround(e->sample_rate));
    MIX(e->cost.mfcc.n_mfcc);
    MIX(e->cost.mfcc.n_fft);
    MIX(e->cost.mfcc.hop);
    MIX(e->cost.mfcc.n_mels);
    MIX(e->cost.mfcc.htk);
    MIX(n);
    MIX(o->clusters);
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
    pp.k = (size_t)o->clusters;
    if (sm_mkdir_p(e->cache_dir, err) != 0) return NULL;
    path = fmt_path("%s/pcakm-%s-%016" PRIx64 ".model", e->cache_dir, e->synth->name, h);
    if (!path) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (file_exists(path)) {
        model = sm_pcakm_model_load(path, err);
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
            sm_error_set(err, SM_ERR_CONFIG, "pcakm: synth %s cannot read a dataset file (%s)",
                         e->synth->name, o->dataset);
            goto out;
        }
        if (e->synth->patch_load_all(o->dataset, &all, &count, err) != 0) goto out;
        idx = malloc((count ? count : 1) * sizeof *idx);
        if (!idx || count == 0) {
            free(all);
            free(idx);
            sm_error_set(err, count ? SM_ERR_NOMEM : SM_ERR_EMPTY, "pcakm: %s holds no patch",
                         o->dataset);
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
            sm_error_set(err, SM_ERR_EMPTY, "pcakm: every patch of %s is a target's own patch",
                         o->dataset);
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
    model = sm_pcakm_model_build(points, n, d, feats, m, &pp, 0x9e3779b9, err);
    if (model && sm_pcakm_model_save(path, model, err) != 0) {
        sm_pcakm_model_free(model);
        model = NULL;
    }
out:
    sm_eval_free(ev);
    free(points);
    free(feats);
    free(path);
    return model;
}

/* MFCC summary of a prepared target, for pcakm's query. */
static int target_summary(const sm_experiment *e, const prepared_target *pt, double *summary,
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

/* ---- one run ------------------------------------------------------------------------- */

static int write_trace(const char *path, const run_record *r, sm_error *err)
{
    sm_outfile of;
    size_t i;
    int rc = sm_outfile_open(&of, path, err);
    if (rc) return rc;
    fprintf(of.f, "evals,best_cost\n");
    for (i = 0; i < r->n_trace; i++)
        fprintf(of.f, "%zu,%.17g\n", r->trace_evals[i], r->trace_cost[i]);
    return sm_outfile_commit(&of, err);
}

static int read_trace(const char *path, run_record *r)
{
    FILE *f = fopen(path, "r");
    char line[256];
    size_t cap = 0;
    if (!f) return SM_ERR_IO;
    while (fgets(line, sizeof line, f)) {
        size_t ev;
        double c;
        if (sscanf(line, "%zu,%lf", &ev, &c) != 2) continue;
        if (r->n_trace == cap) {
            size_t *te;
            double *tc;
            cap = cap ? 2 * cap : 64;
            te = realloc(r->trace_evals, cap * sizeof *te);
            if (te) r->trace_evals = te;
            tc = realloc(r->trace_cost, cap * sizeof *tc);
            if (tc) r->trace_cost = tc;
            if (!te || !tc) {
                fclose(f);
                return SM_ERR_NOMEM;
            }
        }
        r->trace_evals[r->n_trace] = ev;
        r->trace_cost[r->n_trace] = c;
        r->n_trace++;
    }
    fclose(f);
    return 0;
}

static int write_result(const char *path, const sm_experiment *e, const run_record *r,
                        sm_error *err)
{
    sm_outfile of;
    int rc = sm_outfile_open(&of, path, err);
    if (rc) return rc;
    fprintf(of.f, "target=%s\noptimizer=%s\nseed=%" PRIu64 "\nfinal_cost=%.17g\nevals=%zu\n"
                  "wall_s=%.6f\nn_nonfinite=%zu\nparam_error=%.17g\ninaudible=%d\n"
                  "logmel_db=%.17g\nloudness_db=%.17g\nwav_gain_db=%.17g\n",
            e->targets[r->target].name, e->opt[r->opt].name, r->seed, r->final_cost, r->evals,
            r->wall_s, r->n_nonfinite, r->param_error, r->inaudible, r->logmel_db,
            r->loudness_db, r->wav_gain_db);
    return sm_outfile_commit(&of, err);
}

static int read_result(const char *path, run_record *r)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int have = 0;
    if (!f) return SM_ERR_IO;
    r->logmel_db = r->loudness_db = NAN;
    r->wav_gain_db = 0.0;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "logmel_db=%lf", &r->logmel_db);
        sscanf(line, "loudness_db=%lf", &r->loudness_db);
        sscanf(line, "wav_gain_db=%lf", &r->wav_gain_db);
        have |= (sscanf(line, "final_cost=%lf", &r->final_cost) == 1) << 0;
        have |= (sscanf(line, "evals=%zu", &r->evals) == 1) << 1;
        have |= (sscanf(line, "wall_s=%lf", &r->wall_s) == 1) << 2;
        have |= (sscanf(line, "n_nonfinite=%zu", &r->n_nonfinite) == 1) << 3;
        have |= (sscanf(line, "param_error=%lf", &r->param_error) == 1) << 4;
        have |= (sscanf(line, "inaudible=%d", &r->inaudible) == 1) << 5;
    }
    fclose(f);
    return have == 63 ? 0 : SM_ERR_FORMAT;
}

/* Appends (evals, best) to a run's best-so-far trace, growing it as needed. */
static int trace_push(run_record *rec, size_t *cap, size_t evals, double best)
{
    if (rec->n_trace == *cap) {
        size_t ncap = *cap ? 2 * *cap : 64;
        size_t *te = realloc(rec->trace_evals, ncap * sizeof *te);
        double *tc;
        if (!te) return SM_ERR_NOMEM;
        rec->trace_evals = te;
        tc = realloc(rec->trace_cost, ncap * sizeof *tc);
        if (!tc) return SM_ERR_NOMEM;
        rec->trace_cost = tc;
        *cap = ncap;
    }
    rec->trace_evals[rec->n_trace] = evals;
    rec->trace_cost[rec->n_trace] = best;
    rec->n_trace++;
    return 0;
}

typedef struct {
    const sm_experiment *e;
    const sm_run_options *opt;
    sm_progress prog;
} run_ctx;

/* ---- the prior: human presets as start points ----------------------------------------- */

/* The key-held time of a recording is unknown; it decides where every envelope's release
 * starts. Gate fractions tried, of the matched length (0.75 is the default). */
static const double gate_fractions[] = {0.4, 0.55, 0.67, 0.75, 0.85, 0.95};
enum { N_GATES = sizeof gate_fractions / sizeof *gate_fractions, GATE_STARTS = 8 };

/* Datasets above this many patches are shortlisted by the preset index (fm6 only) before
 * they are scored; smaller ones are scored whole. */
#define SM_PRIOR_INDEX_MIN 1000

typedef struct {
    sm_preset_index *idx;   /* large fm6 datasets */
    double *native;         /* otherwise: n x synth->space->n values */
    size_t n;
} prior_data;

static void prior_free(prior_data *pd)
{
    sm_preset_index_free(pd->idx);
    free(pd->native);
    memset(pd, 0, sizeof *pd);
}

static int prior_open(const sm_experiment *e, const sm_run_options *opt, int threads,
                      prior_data *pd, sm_error *err)
{
    const size_t np = e->synth->space->n;
    size_t f;
    int rc;
    memset(pd, 0, sizeof *pd);
    for (f = 0; f < e->n_prior_files; f++) {
        double *more = NULL, *grown;
        size_t k = 0;
        rc = e->synth->patch_load_all(e->prior_files[f], &more, &k, err);
        if (rc) return rc;
        grown = realloc(pd->native, (pd->n + k) * np * sizeof *grown);
        if (!grown) {
            free(more);
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        }
        memcpy(grown + pd->n * np, more, k * np * sizeof *more);
        free(more);
        pd->native = grown;
        pd->n += k;
    }
    if (pd->n > SM_PRIOR_INDEX_MIN && e->synth == &sm_synth_fm6 &&
        e->n_prior_files <= SM_PRESET_MAX_FILES) {
        sm_preset_index_config c = sm_preset_index_config_default();
        for (f = 0; f < e->n_prior_files; f++) c.voice_files[f] = e->prior_files[f];
        c.n_voice_files = e->n_prior_files;
        c.sample_rate = e->sample_rate;
        c.velocity = e->note.velocity;
        c.random_phase = e->note.random_phase;
        c.seed = e->note.seed;
        c.threads = threads;
        if (opt) {
            c.progress = opt->prep_progress;
            c.progress_ctx = opt->progress_ctx;
        }
        pd->idx = sm_preset_index_open(&c, err);
        if (!pd->idx) return err && err->code ? err->code : SM_ERR_NOMEM;
        free(pd->native);
        pd->native = NULL;
        pd->n = sm_preset_index_count(pd->idx);
    }
    return 0;
}

static const double *prior_native(const prior_data *pd, size_t id, size_t np)
{
    return pd->idx ? sm_preset_index_native(pd->idx, id) : pd->native + id * np;
}

/* Start points for one target: the dataset's presets (the index's `candidates` nearest ones
 * for a large dataset), less those within exclude_near differing parameters of the target's
 * known patch, less duplicates on the free parameters, scored by the cost at the target's
 * note; the best `starts` of them, best first (ties by dataset order). */
static int prior_starts(const sm_experiment *e, prior_data *pd, size_t ti,
                        const sm_param_view *view, const sm_run_options *opt,
                        prepared_target *pt, sm_objective *obj, sm_eval *ev, sm_error *err)
{
    const sm_exp_target *t = &e->targets[ti];
    const size_t np = e->synth->space->n, d = view->space.n;
    unsigned char *exclude = calloc(pd->n ? pd->n : 1, 1);
    size_t *ids = malloc((pd->n ? pd->n : 1) * sizeof *ids), *order = NULL;
    double *x = NULL, *cost = NULL;
    size_t n_ids = 0, m = 0, i, j, n_excluded = 0;
    int rc = 0;
    if (!exclude || !ids) goto nomem;
    if (t->truth && e->exclude_near >= 0) {
        for (i = 0; i < pd->n; i++)
            if (sm_preset_differing(prior_native(pd, i, np), t->truth, np) <=
                (size_t)e->exclude_near) {
                exclude[i] = 1;
                n_excluded++;
            }
        target_note(opt, t, pt, 0, "%zu presets within %ld differing parameters of its patch left "
                    "out of the prior", n_excluded, e->exclude_near);
    }
    if (pd->idx) {
        rc = sm_preset_index_query(pd->idx, pt->audio, pt->n, pt->note.note, e->prior_candidates,
                                   exclude, ids, NULL, &n_ids, err);
        if (rc) goto out;
    } else {
        for (i = 0; i < pd->n; i++)
            if (!exclude[i]) ids[n_ids++] = i;
    }
    x = malloc((n_ids ? n_ids : 1) * d * sizeof *x);
    cost = malloc((n_ids ? n_ids : 1) * sizeof *cost);
    order = malloc((n_ids ? n_ids : 1) * sizeof *order);
    if (!x || !cost || !order) goto nomem;
    for (i = 0; i < n_ids; i++) {
        double *row = x + m * d;
        sm_param_view_project(view, prior_native(pd, ids[i], np), row);
        for (j = 0; j < m; j++)
            if (memcmp(x + j * d, row, d * sizeof *row) == 0) break;
        if (j == m) ids[m++] = ids[i];
    }
    if (m == 0) {
        target_note(opt, t, pt, 1, "the prior dataset leaves no preset to start from");
        goto out;
    }
    if (e->gate_given) {
        if ((rc = sm_eval_batch(ev, x, m, d, cost)) != 0) {
            rc = sm_error_set(err, rc, "scoring the prior's presets failed");
            goto out;
        }
    } else {
        /* The key-held time is unknown: score the presets under each gate length and keep
         * the gate under which the best of them scores lowest. */
        double best = INFINITY, best_gate = pt->note.gate_s, *c = malloc(m * sizeof *c);
        size_t g;
        if (!c) goto nomem;
        for (g = 0; g < N_GATES; g++) {
            double lo = INFINITY;
            obj->note.gate_s = gate_fractions[g] * pt->note.length_s;
            if ((rc = sm_eval_batch(ev, x, m, d, c)) != 0) {
                free(c);
                rc = sm_error_set(err, rc, "scoring the prior's presets failed");
                goto out;
            }
            for (i = 0; i < m; i++)
                if (c[i] < lo) lo = c[i];
            if (lo < best) {
                best = lo;
                best_gate = obj->note.gate_s;
                memcpy(cost, c, m * sizeof *c);
            }
        }
        free(c);
        obj->note.gate_s = pt->note.gate_s = best_gate;
        target_note(opt, t, pt, 0, "key held %.2f s of %.2f s (the gate under which the presets "
                    "sound closest, of %d tried)", best_gate, pt->note.length_s, (int)N_GATES);
    }
    for (i = 0; i < m; i++) order[i] = i;
    for (i = 1; i < m; i++) {   /* insertion sort by cost, stable */
        size_t v = order[i];
        j = i;
        while (j > 0 && cost[order[j - 1]] > cost[v]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    pt->n_starts = m < e->prior_starts ? m : e->prior_starts;
    pt->starts = malloc(pt->n_starts * d * sizeof *pt->starts);
    pt->start_costs = malloc(pt->n_starts * sizeof *pt->start_costs);
    if (!pt->starts || !pt->start_costs) goto nomem;
    for (i = 0; i < pt->n_starts; i++) {
        memcpy(pt->starts + i * d, x + order[i] * d, d * sizeof *x);
        pt->start_costs[i] = cost[order[i]];
    }
    if (pd->idx)
        snprintf(pt->start_name, sizeof pt->start_name, "%s",
                 sm_preset_index_name(pd->idx, ids[order[0]]));
    else
        snprintf(pt->start_name, sizeof pt->start_name, "preset %zu", ids[order[0]] + 1);
    target_note(opt, t, pt, 0, "closest of %zu presets: %s, cost %.4g", m, pt->start_name,
                pt->start_costs[0]);
    goto out;
nomem:
    rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
out:
    free(exclude);
    free(ids);
    free(order);
    free(x);
    free(cost);
    return rc;
}

/* Level fit, after the search of a gain-normalised cost: moves the patch's output level
 * (the synth's adjust_gain) towards the target's RMS, a measured step at a time, keeping a
 * step only when it brings the level closer without raising the cost by more than 2% (a
 * level control can change the timbre, e.g. a carrier inside a feedback loop). Returns the
 * gain in dB still missing (|x| > 1 dB, at most 40 dB either way), which the caller applies
 * to best.wav; 0 when the patch itself is within 1 dB. */
static double fit_level(const sm_experiment *e, void *worker, const prepared_target *pt,
                        double *native)
{
    const double rms_t = sm_audio_rms(pt->audio, pt->n);
    double *trial = malloc(e->synth->space->n * sizeof *trial);
    const float *y;
    double cost = sm_objective_eval_native(worker, native, &y), rest;
    double rms = y ? sm_audio_rms(y, pt->n) : 0.0;
    int iter;
    if (!trial || !y || !(rms_t > 0)) {
        free(trial);
        return 0.0;
    }
    for (iter = 0; iter < 8 && rms > 0; iter++) {
        const double d = 20.0 * log10(rms_t / rms);
        double c2, rms2;
        if (fabs(d) < 0.4) break;
        memcpy(trial, native, e->synth->space->n * sizeof *trial);
        if (e->synth->adjust_gain(trial, d) == 0.0) break;
        c2 = sm_objective_eval_native(worker, trial, &y);
        rms2 = y ? sm_audio_rms(y, pt->n) : 0.0;
        if (!y || !(rms2 > 0) || !(c2 <= cost * 1.02 + 1e-12) ||
            fabs(20.0 * log10(rms_t / rms2)) >= fabs(d))
            break;
        memcpy(native, trial, e->synth->space->n * sizeof *native);
        cost = c2;
        rms = rms2;
    }
    free(trial);
    if (!(rms > 0)) return 0.0;
    rest = 20.0 * log10(rms_t / rms);
    if (fabs(rest) <= 1.0) return 0.0;
    return rest > 40.0 ? 40.0 : rest < -40.0 ? -40.0 : rest;
}

/* The measures no optimizer minimises (../shared/MEASURES.md): log-mel distance and
 * loudness difference of the match as written to best.wav. NaN where undefined (a silent
 * match has no log-mel distance; its loudness difference is -inf). */
static void measure_match(const sm_experiment *e, const prepared_target *pt, const float *wav,
                          size_t n_wav, run_record *rec)
{
    const float *t = pt->orig ? pt->orig : pt->audio;
    const size_t nt = pt->orig ? pt->n_orig : pt->n;
    double d = NAN;
    if (sm_logmel_distance(t, nt, wav, n_wav, e->sample_rate, &d, NULL) != 0) d = NAN;
    rec->logmel_db = d;
    rec->loudness_db = sm_loudness_diff_db(t, nt, wav, n_wav);
}

/* A patch name from a target's name: upper case (factory DX7 names have none in lower case),
 * '_' as a space; the synth's patch_save keeps what its format holds (fm6: 10 characters of
 * the DX7's set), as `soundmatch bank` names voices. */
static void patch_name(const char *target, char *name, size_t size)
{
    size_t k;
    for (k = 0; target[k] && k + 1 < size; k++) {
        const unsigned char ch = (unsigned char)target[k];
        name[k] = ch == '_' ? ' ' : (char)toupper(ch);
    }
    name[k] = '\0';
}

static int do_run(run_ctx *rc_, const sm_exp_optimizer *o, const sm_param_view *view,
                  const prepared_target *pt, sm_eval *ev, const void *aux, const char *rundir,
                  run_record *rec, sm_error *err)
{
    const sm_experiment *e = rc_->e;
    size_t d = view->space.n, used = 0, batch = e->batch, i;
    double *x = malloc(batch * d * sizeof *x), *cost = malloc(batch * sizeof *cost);
    double *best_x = malloc(d * sizeof *best_x), *native = NULL;
    double best = INFINITY, t0 = now_s();
    sm_eval_stats s0 = sm_eval_get_stats(ev), s1;
    sm_opt_config cfg;
    void *st = NULL;
    size_t cap = 0;
    int rc = 0;
    char *p;
    memset(&cfg, 0, sizeof cfg);
    cfg.budget = e->budget;
    cfg.settings = o->settings;
    cfg.n_settings = o->n_settings;
    cfg.source = e->path;
    cfg.aux = aux;
    cfg.starts = pt->n_starts ? pt->starts : NULL;
    cfg.n_starts = pt->n_starts;
    cfg.start_costs = pt->n_starts ? pt->start_costs : NULL;
    if (!x || !cost || !best_x) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = o->type->alloc(&view->space, &cfg,
                        sm_rng_mix(rec->seed, (uint64_t)rec->target * 0x100000001b3ULL), err);
    if (!st) {
        rc = err && err->code ? err->code : SM_ERR_CONFIG;
        goto out;
    }
    while (used < e->budget) {
        size_t want = e->budget - used < batch ? e->budget - used : batch;
        size_t k = o->type->ask(st, x, want);
        if (k == 0) break;
        if (k > want) {
            rc = sm_error_set(err, SM_ERR_ARG, "optimizer %s asked %zu points, more than %zu",
                              o->type->name, k, want);
            goto out;
        }
        sm_eval_batch(ev, x, k, d, cost);
        o->type->tell(st, x, cost, k);
        for (i = 0; i < k; i++) {
            used++;
            if (cost[i] < best) {
                best = cost[i];
                memcpy(best_x, x + i * d, d * sizeof *best_x);
                if (trace_push(rec, &cap, used, best) != 0) {
                    rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
                    goto out;
                }
            }
        }
        if (rc_->opt && rc_->opt->progress) {
            rc_->prog.evals = used;
            rc_->prog.best = best;
            rc_->opt->progress(rc_->opt->progress_ctx, &rc_->prog);
        }
        if (rc_->opt && rc_->opt->stop && *rc_->opt->stop) {
            rc = sm_error_set(err, SM_ERR_INTERRUPTED, "interrupted");
            goto out;
        }
        if (o->type->converged && o->type->converged(st)) break;
    }
    if (used == 0) {
        rc = sm_error_set(err, SM_ERR_ARG, "optimizer %s asked for no point at all", o->type->name);
        goto out;
    }
    /* the last point of the trace is the end of the run */
    if (rec->trace_evals[rec->n_trace - 1] != used && trace_push(rec, &cap, used, best) != 0) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto out;
    }
    s1 = sm_eval_get_stats(ev);
    rec->wall_s = now_s() - t0;
    rec->evals = used;
    rec->final_cost = best;
    rec->n_nonfinite = (size_t)(s1.n_nonfinite - s0.n_nonfinite);
    rec->param_error = NAN;
    if (pt->truth_x) {
        double s = 0;
        for (i = 0; i < d; i++) s += fabs(best_x[i] - pt->truth_x[i]);
        rec->param_error = s / (double)d;
    }
    rec->inaudible = isfinite(pt->threshold) ? best <= pt->threshold : -1;

    /* outputs: best.wav, the patch, trace.csv, and last the checkpoint result.txt */
    if ((rc = sm_mkdir_p(rundir, err)) != 0) goto out;
    native = malloc(e->synth->space->n * sizeof *native);
    if (!native) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto out;
    }
    sm_param_view_expand(view, best_x, native);
    {
        /* A recording's match lines up with it: silence until its onset, then the note for
         * the rest of the recording's length (past what was scored, if it was cut). */
        const size_t n_wav = pt->orig ? pt->n_orig : pt->n, onset = pt->orig ? pt->onset : 0;
        sm_note nt = pt->note;
        float *wav = NULL, *r = NULL;
        size_t nr = 0;
        const double gain_db = e->fit_level ? fit_level(e, sm_eval_worker(ev, 0), pt, native) : 0.0;
        rec->best_wav = fmt_path("%s/best.wav", rundir);
        wav = calloc(n_wav ? n_wav : 1, sizeof *wav);
        if (!wav || !rec->best_wav) {
            free(wav);
            rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            goto out;
        }
        nt.length_s = (double)(n_wav - onset) / e->sample_rate;
        rc = sm_synth_render_note(e->synth, e->sample_rate, native, &nt, &r, &nr, err);
        if (rc) {
            free(wav);
            goto out;
        }
        memcpy(wav + onset, r, (nr < n_wav - onset ? nr : n_wav - onset) * sizeof *r);
        free(r);
        rec->wav_gain_db = gain_db;
        if (gain_db != 0.0) {
            const float g = (float)pow(10.0, gain_db / 20.0);
            for (i = 0; i < n_wav; i++) wav[i] *= g;
        }
        measure_match(e, pt, wav, n_wav, rec);
        rc = sm_audio_write_wav(rec->best_wav, wav, n_wav, e->sample_rate, SM_WAV_FLOAT, err);
        free(wav);
        if (rc) goto out;
    }
    if (e->synth->patch_save && e->synth->patch_ext) {
        char name[64];
        patch_name(e->targets[rec->target].name, name, sizeof name);
        rec->patch_path = fmt_path("%s/best%s", rundir, e->synth->patch_ext);
        if (!rec->patch_path) {
            rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            goto out;
        }
        rc = e->synth->patch_save(rec->patch_path, native, name, err);
        if (rc) goto out;
    }
    p = fmt_path("%s/trace.csv", rundir);
    rc = p ? write_trace(p, rec, err) : sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    free(p);
    if (rc) goto out;
    p = fmt_path("%s/result.txt", rundir);
    rc = p ? write_result(p, e, rec, err) : sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    free(p);
out:
    if (st) o->type->free(st);
    free(x);
    free(cost);
    free(best_x);
    free(native);
    return rc;
}

/* ---- the experiment ------------------------------------------------------------------ */

/* Refuses to mix results of two different experiments in one folder. */
static int check_fingerprint(const sm_experiment *e, const char *dir, int fresh, sm_error *err)
{
    char *p = fmt_path("%s/fingerprint.txt", dir), buf[64];
    FILE *f;
    int rc = 0;
    if (!p) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    snprintf(buf, sizeof buf, "%016" PRIx64 "\n", e->fingerprint);
    f = fopen(p, "r");
    if (f) {
        char old[64] = "";
        if (!fgets(old, sizeof old, f)) old[0] = '\0';
        fclose(f);
        if (strcmp(old, buf) != 0 && !fresh)
            rc = sm_error_set(err, SM_ERR_CONFIG,
                              "%s holds results of a different experiment file; choose another "
                              "folder with -o, or start over with --fresh", dir);
    }
    if (!rc && (!f || fresh)) rc = sm_write_file(p, buf, strlen(buf), err);
    free(p);
    if (!rc) {
        char *copy = fmt_path("%s/experiment.ini", dir);
        if (!copy) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        rc = sm_write_file(copy, e->text, strlen(e->text), err);
        free(copy);
    }
    return rc;
}

static int write_results_csv(const sm_experiment *e, const char *dir, const run_record *recs,
                             size_t n, const prepared_target *pts, sm_error *err)
{
    char *p = fmt_path("%s/results.csv", dir);
    sm_outfile of;
    size_t i;
    int rc;
    if (!p) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    rc = sm_outfile_open(&of, p, err);
    free(p);
    if (rc) return rc;
    fprintf(of.f, "target,optimizer,seed,final_cost,evals,wall_s,evals_per_s,n_nonfinite,"
                  "param_error,inaudible_threshold,inaudible,variant,logmel_db,loudness_db,"
                  "wav_gain_db,note\n");
    for (i = 0; i < n; i++) {
        const run_record *r = &recs[i];
        char inaud[16] = "";
        if (r->inaudible >= 0) snprintf(inaud, sizeof inaud, "%d", r->inaudible);
        fprintf(of.f, "%s,%s,%" PRIu64 ",%.9g,%zu,%.3f,%.1f,%zu,%.6g,%.6g,%s,%s,%.4g,%.4g,%.4g,%g\n",
                e->targets[r->target].name, e->opt[r->opt].name, r->seed, r->final_cost,
                r->evals, r->wall_s, r->wall_s > 0 ? (double)r->evals / r->wall_s : 0.0,
                r->n_nonfinite, r->param_error, pts[r->target].threshold, inaud,
                e->variants[e->targets[r->target].variant].name, r->logmel_db, r->loudness_db,
                r->wav_gain_db, pts[r->target].note.note);
    }
    return sm_outfile_commit(&of, err);
}

/* The cost's terms in words, for the report. */
static void describe_cost(const sm_cost_config *c, char *out, size_t size)
{
    size_t k = 0;
    out[0] = '\0';
#define SM_ADD(...) (k += (size_t)snprintf(out + k, k < size ? size - k : 0, __VA_ARGS__))
    if (c->w_mfcc > 0)
        SM_ADD("MFCC distance x %g (%d coefficients, FFT %d, hop %d, %d mels)", c->w_mfcc,
               c->mfcc.n_mfcc, c->mfcc.n_fft, c->mfcc.hop, c->mfcc.n_mels);
    if (c->w_logmel > 0)
        SM_ADD("%slog-mel distance x %g (FFT %d, hop %d, %d mels)", k ? " + " : "", c->w_logmel,
               c->logmel.n_fft, c->logmel.hop, c->logmel.n_mels);
    if (c->w_mss > 0) SM_ADD("%smulti-resolution spectral distance x %g", k ? " + " : "", c->w_mss);
    if (c->w_loudness > 0) SM_ADD("%sloudness envelope x %g", k ? " + " : "", c->w_loudness);
    if (c->w_centroid > 0) SM_ADD("%scentroid x %g", k ? " + " : "", c->w_centroid);
    if (c->w_pitch > 0) SM_ADD("%spitch x %g", k ? " + " : "", c->w_pitch);
    if (c->w_level > 0) SM_ADD("%slevel difference x %g per dB", k ? " + " : "", c->w_level);
    if (c->normalize_gain) SM_ADD(", each candidate first scaled to the target's RMS");
#undef SM_ADD
    if (k >= size && size > 4) strcpy(out + size - 4, "...");
}

static int write_report(const sm_experiment *e, const char *dir, const run_record *recs,
                        size_t n, const prepared_target *pts, sm_error *err)
{
    sm_run_result *rr = calloc(n ? n : 1, sizeof *rr);
    char **labels = calloc(n ? n : 1, sizeof *labels);
    sm_report_input in;
    double *th = malloc((e->n_targets ? e->n_targets : 1) * sizeof *th);
    size_t i, k = 0;
    char cost_desc[256];
    int rc;
    if (!rr || !th || !labels) {
        free(rr);
        free(th);
        free(labels);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    for (i = 0; i < n; i++) {
        const run_record *r = &recs[i];
        rr[i].target = e->targets[r->target].name;
        rr[i].optimizer = e->opt[r->opt].name;
        if (e->n_variants > 1 &&
            asprintf(&labels[i], "%s @ %s", e->opt[r->opt].name,
                     e->variants[e->targets[r->target].variant].name) >= 0)
            rr[i].optimizer = labels[i];
        rr[i].seed = r->seed;
        rr[i].final_cost = r->final_cost;
        rr[i].evals = r->evals;
        rr[i].wall_s = r->wall_s;
        rr[i].n_nonfinite = r->n_nonfinite;
        rr[i].param_error = r->param_error;
        rr[i].n_trace = r->n_trace;
        rr[i].trace_evals = r->trace_evals;
        rr[i].trace_cost = r->trace_cost;
        rr[i].target_wav = pts[r->target].wav_path;
        rr[i].best_wav = r->best_wav;
        rr[i].patch_path = r->patch_path;
        rr[i].has_measures = 1;
        rr[i].logmel_db = r->logmel_db;
        rr[i].loudness_db = r->loudness_db;
        rr[i].target_notes = pts[r->target].notes;
    }
    for (i = 0; i < e->n_targets; i++)
        if (isfinite(pts[i].threshold)) th[k++] = pts[i].threshold;
    /* the median of the per-target thresholds */
    for (i = 1; i < k; i++) {
        double v = th[i];
        size_t j = i;
        while (j > 0 && th[j - 1] > v) {
            th[j] = th[j - 1];
            j--;
        }
        th[j] = v;
    }
    describe_cost(&e->cost, cost_desc, sizeof cost_desc);
    memset(&in, 0, sizeof in);
    in.title = e->name;
    in.experiment_file = e->path;
    in.synth = e->synth->name;
    in.cost_desc = cost_desc;
    in.n_runs = n;
    in.runs = rr;
    in.inaudible_cost = k ? (k % 2 ? th[k / 2] : 0.5 * (th[k / 2 - 1] + th[k / 2])) : NAN;
    in.notes_html = NULL;
    rc = sm_report_write(dir, &in, err);
    for (i = 0; i < n; i++) free(labels[i]);
    free(labels);
    free(rr);
    free(th);
    return rc;
}

int sm_experiment_run(const sm_experiment *e, const sm_run_options *opt, sm_error *err)
{
    const char *dir = opt && opt->out_dir ? opt->out_dir : e->report_dir;
    int threads = opt && opt->threads > 0 ? opt->threads : e->threads;
    size_t n_runs = e->n_targets * e->n_opt * e->n_seeds, nrec = 0, ti, oi, si, new_runs = 0;
    prepared_target *pts = calloc(e->n_targets, sizeof *pts);
    run_record *recs = calloc(n_runs ? n_runs : 1, sizeof *recs);
    sm_pcakm_model **models = calloc(e->n_opt * e->n_variants, sizeof *models);
    double *summary = malloc(2 * (size_t)e->cost.mfcc.n_mfcc * sizeof *summary);
    run_ctx ctx;
    prior_data prior;
    int rc = 0, prior_ready = 0;
    char *p;
    memset(&prior, 0, sizeof prior);
    if (!pts || !recs || !models || !summary) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (ti = 0; ti < e->n_targets; ti++) pts[ti].threshold = NAN;
    if ((rc = sm_mkdir_p(dir, err)) != 0) goto out;
    p = fmt_path("%s/targets", dir);
    rc = p ? sm_mkdir_p(p, err) : SM_ERR_NOMEM;
    free(p);
    if (rc) goto out;
    if ((rc = check_fingerprint(e, dir, opt ? opt->fresh : 0, err)) != 0) goto out;
    /* A run killed mid-write leaves the temporary file of that write: remove them before
     * resuming (finished runs are known by their result.txt, never by a temporary file). */
    if ((rc = sm_remove_stale_tmp(dir, NULL, err)) != 0) goto out;
    memset(&ctx, 0, sizeof ctx);
    ctx.e = e;
    ctx.opt = opt;
    ctx.prog.n_runs = n_runs;
    ctx.prog.budget = e->budget;
    for (oi = 0; oi < e->n_opt; oi++) {
        size_t v;
        if (strcmp(e->opt[oi].type->name, "pcakm") != 0) continue;
        for (v = 0; v < e->n_variants; v++) {
            models[oi * e->n_variants + v] =
                pcakm_model(e, v, &e->opt[oi], threads, err);
            if (!models[oi * e->n_variants + v]) {
                rc = err && err->code ? err->code : SM_ERR_NOMEM;
                goto out;
            }
        }
    }
    for (ti = 0; ti < e->n_targets && !rc; ti++) {
        sm_objective obj;
        sm_eval *ev = NULL;
        const size_t var = e->targets[ti].variant;
        const sm_param_view *view = e->variants[var].view;
        if ((rc = prepare_target(e, ti, dir, opt, &pts[ti], err)) != 0) break;
        memset(&obj, 0, sizeof obj);
        obj.synth = e->synth;
        obj.view = view;
        obj.note = pts[ti].note;
        obj.sample_rate = e->sample_rate;
        obj.n_samples = pts[ti].n;
        obj.target = pts[ti].ct;
        for (oi = 0; oi < e->n_opt && !rc; oi++) {
            sm_pcakm_input pin;
            const void *aux = NULL;
            if (models[oi * e->n_variants + var]) {
                if ((rc = target_summary(e, &pts[ti], summary, err)) != 0) break;
                pin.model = models[oi * e->n_variants + var];
                pin.target_features = summary;
                aux = &pin;
            }
            for (si = 0; si < e->n_seeds && !rc; si++) {
                run_record *r = &recs[nrec];
                char *rundir = fmt_path("%s/runs/%s/%s/seed%" PRIu64, dir, e->targets[ti].name,
                                        e->opt[oi].name, e->seeds[si]);
                char *resf = rundir ? fmt_path("%s/result.txt", rundir) : NULL;
                memset(r, 0, sizeof *r);
                r->target = ti;
                r->opt = oi;
                r->seed = e->seeds[si];
                ctx.prog.run = nrec + 1;
                ctx.prog.target = e->targets[ti].name;
                ctx.prog.optimizer = e->opt[oi].name;
                ctx.prog.seed = e->seeds[si];
                ctx.prog.evals = 0;
                ctx.prog.best = INFINITY;
                ctx.prog.skipped = 0;
                if (!rundir || !resf) {
                    free(rundir);
                    free(resf);
                    rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
                    break;
                }
                if (!(opt && opt->fresh) && read_result(resf, r) == 0) {
                    char *tp = fmt_path("%s/trace.csv", rundir);
                    if (tp) read_trace(tp, r);
                    free(tp);
                    r->best_wav = fmt_path("%s/best.wav", rundir);
                    if (e->synth->patch_ext)
                        r->patch_path = fmt_path("%s/best%s", rundir, e->synth->patch_ext);
                    ctx.prog.skipped = 1;
                    ctx.prog.evals = r->evals;
                    ctx.prog.best = r->final_cost;
                    if (opt && opt->progress) opt->progress(opt->progress_ctx, &ctx.prog);
                    nrec++;
                } else if (opt && opt->max_runs && new_runs >= opt->max_runs) {
                    rc = sm_error_set(err, SM_ERR_INTERRUPTED, "stopped after %zu runs", new_runs);
                } else {
                    if (!ev) {
                        ev = sm_eval_alloc(&sm_objective_worker, &obj, threads, err);
                        if (!ev) {
                            rc = err && err->code ? err->code : SM_ERR_NOMEM;
                            free(rundir);
                            free(resf);
                            break;
                        }
                        if (e->prior_dataset && !prior_ready) {
                            rc = prior_open(e, opt, threads, &prior, err);
                            prior_ready = 1;
                        }
                        if (!rc && e->prior_dataset)
                            rc = prior_starts(e, &prior, ti, view, opt, &pts[ti], &obj, ev, err);

                        if (rc) {
                            free(rundir);
                            free(resf);
                            break;
                        }
                    }
                    rc = do_run(&ctx, &e->opt[oi], view, &pts[ti], ev, aux, rundir, r, err);
                    nrec++;
                    new_runs++;
                }
                free(rundir);
                free(resf);
            }
        }
        sm_eval_free(ev);
    }
    if (rc) goto out;
    if ((rc = write_results_csv(e, dir, recs, nrec, pts, err)) != 0) goto out;
    if (!(opt && opt->no_report)) rc = write_report(e, dir, recs, nrec, pts, err);
out:
    if (pts)
        for (ti = 0; ti < e->n_targets; ti++) free_target(&pts[ti]);
    if (recs)
        for (si = 0; si < n_runs; si++) {
            free(recs[si].trace_evals);
            free(recs[si].trace_cost);
            free(recs[si].best_wav);
            free(recs[si].patch_path);
        }
    if (models)
        for (oi = 0; oi < e->n_opt * e->n_variants; oi++) sm_pcakm_model_free(models[oi]);
    free(models);
    free(pts);
    free(recs);
    free(summary);
    prior_free(&prior);
    return rc;
}
