/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/runner.c: the experiment loop (see runner.h). The runner owns the loop: it asks
 * the optimizer for a batch, scores it on the evaluator's threads, tells the costs back,
 * records the best-so-far trace, and writes every output all-or-nothing. */
#include "experiments/runner.h"
#include "experiments/runner_internal.h"
#include "core/audio.h"
#include "core/eval.h"
#include "core/fileio.h"
#include "core/rng.h"
#include "experiments/objective.h"
#include "experiments/objective_grad.h"
#include "experiments/report.h"
#include "experiments/results_meta.h"
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

char *sm_runner_path(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    return s;
}

int sm_runner_file_exists(const char *p)
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
        /* without a truth: descriptor values alone ([target] descriptors), silent here */
        rc = t->truth ? render_truth(e, t->truth, pt->audio, n, err) : 0;
        if (rc) return rc;
        if (t->redraws)
            target_note(opt, t, pt, 1, "drawn again %u time%s: the first random patch%s silent",
                        t->redraws, t->redraws > 1 ? "s" : "", t->redraws > 1 ? "es were" : " was");
    }
    pt->n = n;
    if ((t->path || t->truth) && sm_audio_peak(pt->audio, n) < 1e-5)
        return sm_error_set(err, SM_ERR_EMPTY,
                            "target %s%s%s is silent (peak below -100 dBFS) in its first %.2f s: "
                            "nothing to match",
                            t->name, t->path ? " from " : "", t->path ? t->path : "",
                            pt->note.length_s);
    pt->ct = sm_cost_target_alloc_goal(&e->cost, t->path || t->truth ? pt->audio : NULL, n,
                                       t->goal, err);
    if (!pt->ct) return err && err->code ? err->code : SM_ERR_NOMEM;
    if (t->truth) {
        pt->truth_x = malloc(view->space.n * sizeof *pt->truth_x);
        if (!pt->truth_x) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        sm_param_view_project(view, t->truth, pt->truth_x);
        pt->threshold = detune_threshold(e, view, t->truth, pt->ct, n);
    }
    if (!dir) return 0;   /* prepared for runs done on behalf of another process */
    pt->wav_path = sm_runner_path("%s/targets/%s.wav", dir, t->name);
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

/* ---- one run ------------------------------------------------------------------------- */

/* Appends (evals, best, secs) to a run's best-so-far trace, growing it as needed. */
static int trace_push(run_record *rec, size_t *cap, size_t evals, double best, double secs)
{
    if (rec->n_trace == *cap) {
        size_t ncap = *cap ? 2 * *cap : 64;
        size_t *te = realloc(rec->trace_evals, ncap * sizeof *te);
        double *tc, *ts;
        if (!te) return SM_ERR_NOMEM;
        rec->trace_evals = te;
        tc = realloc(rec->trace_cost, ncap * sizeof *tc);
        if (!tc) return SM_ERR_NOMEM;
        rec->trace_cost = tc;
        ts = realloc(rec->trace_secs, ncap * sizeof *ts);
        if (!ts) return SM_ERR_NOMEM;
        rec->trace_secs = ts;
        *cap = ncap;
    }
    rec->trace_evals[rec->n_trace] = evals;
    rec->trace_cost[rec->n_trace] = best;
    rec->trace_secs[rec->n_trace] = secs;
    rec->n_trace++;
    return 0;
}

typedef struct {
    const sm_experiment *e;
    const sm_run_options *opt;
    sm_progress prog;
    int grad_said;        /* the fall-back to finite differences has been reported */
} run_ctx;

/* Scores k points for target ti with the key held gate_s: through the dispatcher's eval if it
 * has one, else on ev's threads. Adds the NaN/Inf count to *n_bad. */
static int score(const sm_run_options *opt, sm_eval *ev, size_t ti, double gate_s,
                 const double *x, size_t k, size_t d, double *cost, uint64_t *n_bad,
                 sm_error *err)
{
    const sm_dispatch *dp = opt ? opt->dispatch : NULL;
    uint64_t before;
    int rc;
    if (dp && dp->eval) return dp->eval(dp->ctx, ev, ti, gate_s, x, k, d, cost, n_bad, err);
    before = sm_eval_get_stats(ev).n_nonfinite;
    if ((rc = sm_eval_batch(ev, x, k, d, cost)) != 0)
        return sm_error_set(err, rc, "scoring a batch of %zu points failed", k);
    *n_bad += sm_eval_get_stats(ev).n_nonfinite - before;
    return 0;
}

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
    uint64_t n_bad = 0;   /* (broken presets simply score worst) */
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
        if ((rc = score(opt, ev, ti, obj->note.gate_s, x, m, d, cost, &n_bad, err)) != 0)
            goto out;
    } else {
        /* The key-held time is unknown: score the presets under each gate length and keep
         * the gate under which the best of them scores lowest. */
        double best = INFINITY, best_gate = pt->note.gate_s, *c = malloc(m * sizeof *c);
        size_t g;
        if (!c) goto nomem;
        for (g = 0; g < N_GATES; g++) {
            double lo = INFINITY;
            obj->note.gate_s = gate_fractions[g] * pt->note.length_s;
            if ((rc = score(opt, ev, ti, obj->note.gate_s, x, m, d, c, &n_bad, err)) != 0) {
                free(c);
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
 * to best.wav; 0 when the patch itself is within 1 dB. A synth without a level control
 * (no adjust_gain) keeps its patch, and all the gain goes to best.wav. */
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
    for (iter = 0; iter < 8 && rms > 0 && e->synth->adjust_gain; iter++) {
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

/* Exact gradients for a run of optimizer o, if it takes them (tell_grad), its `gradient`
 * setting does not say `differences`, the synth has render_grad and every weighted cost term
 * has a gradient (experiments/objective_grad.h). NULL (and 0) otherwise: the run uses costs
 * only, and the first time an optimizer that takes gradients cannot have them the reason is
 * reported once. Returns 0 or an sm_err code with err set (a real failure). */
static int run_grad_open(run_ctx *rc_, const sm_exp_optimizer *o, const sm_opt_config *cfg,
                         const sm_param_view *view, const prepared_target *pt,
                         sm_objective_grad **out, sm_error *err)
{
    const sm_experiment *e = rc_->e;
    char why[128];
    sm_error e2 = {0, ""};
    *out = NULL;
    if (!o->type->tell_grad || sm_opt_gradient_setting(cfg, o->name, NULL) != 1) return 0;
    *out = sm_objective_grad_alloc(e->synth, view, &pt->note, e->sample_rate, pt->audio, pt->n,
                                   &e->cost, why, sizeof why, &e2);
    if (*out) return 0;
    if (e2.code) {
        if (err) *err = e2;
        return e2.code;
    }
    if (!rc_->grad_said && rc_->opt && rc_->opt->warn) {
        char line[256];
        snprintf(line, sizeof line, "optimizer %s: %s: finite differences instead", o->name, why);
        rc_->opt->warn(rc_->opt->warn_ctx, line);
    }
    rc_->grad_said = 1;
    return 0;
}

/* Gradient workers for a run's batches: og[0] from run_grad_open, the others made (once a
 * run, when a batch of more than one point is first asked) up to the evaluator's thread
 * count, so that a batch is scored on as many threads as the costs-only batches are. */
typedef struct {
    sm_objective_grad *og[256];
    int n;          /* workers made */
    int want;       /* workers wanted: the evaluator's threads (at least 1) */
} grad_workers;

static void grad_workers_free(grad_workers *gw)
{
    int i;
    for (i = 0; i < gw->n; i++) sm_objective_grad_free(gw->og[i]);
    gw->n = 0;
}

/* Scores k points (rows of d) with their exact gradients, one worker a thread. A point's cost
 * and gradient depend on the point only (each worker renders and scores it from scratch), so
 * the results are the same at any thread count. Adds the NaN/Inf count to *n_bad. Returns 0
 * or an sm_err code with err set (out of memory for a worker). */
static int grad_batch(const sm_experiment *e, const sm_param_view *view,
                      const prepared_target *pt, grad_workers *gw, const double *x, size_t k,
                      size_t d, double *cost, double *grad, uint64_t *n_bad, sm_error *err)
{
    unsigned long long bad = 0;
    long i;
    int nw;
    if (k > 1) /* more workers, once a run (FFTW's planning is not thread-safe: made here) */
        while (gw->n < gw->want && (size_t)gw->n < k) {
            char why[128];
            sm_objective_grad *g =
                sm_objective_grad_alloc(e->synth, view, &pt->note, e->sample_rate, pt->audio,
                                        pt->n, &e->cost, why, sizeof why, err);
            if (!g) {
                if (err && err->code) return err->code;
                return sm_error_set(err, SM_ERR_NOMEM, "an exact gradient worker: %s", why);
            }
            gw->og[gw->n++] = g;
        }
    nw = gw->n < (int)k ? gw->n : (int)k;
#pragma omp parallel for num_threads(nw) schedule(dynamic, 1) reduction(+ : bad) if (nw > 1)
    for (i = 0; i < (long)k; i++) {
        sm_objective_grad *g = gw->og[omp_get_thread_num()];
        cost[i] = sm_objective_grad_eval(g, x + (size_t)i * d, grad + (size_t)i * d);
        if (!isfinite(cost[i])) bad++;
    }
    *n_bad += bad;
    return 0;
}

static int do_run(run_ctx *rc_, const sm_exp_optimizer *o, const sm_param_view *view,
                  const prepared_target *pt, sm_eval *ev, const void *side_model,
                  const double *target_features, const char *rundir, run_record *rec,
                  sm_error *err)
{
    const sm_experiment *e = rc_->e;
    size_t d = view->space.n, used = 0, batch = e->batch, i;
    double *x = malloc(batch * d * sizeof *x), *cost = malloc(batch * sizeof *cost);
    double *best_x = malloc(d * sizeof *best_x), *native = NULL, *grad = NULL;
    grad_workers gw;                /* exact gradients (run_grad_open), or none */
    double best = INFINITY, t0 = now_s(), secs;
    uint64_t n_bad = 0;
    sm_opt_config cfg;
    void *st = NULL;
    size_t cap = 0;
    int rc = 0;
    char *p;
    memset(&cfg, 0, sizeof cfg);
    memset(&gw, 0, sizeof gw);
    cfg.budget = e->budget;
    cfg.settings = o->settings;
    cfg.n_settings = o->n_settings;
    cfg.source = e->path;
    cfg.side_model = side_model;
    cfg.target_features = target_features;
    cfg.starts = pt->n_starts ? pt->starts : NULL;
    cfg.n_starts = pt->n_starts;
    cfg.start_costs = pt->n_starts ? pt->start_costs : NULL;
    if (!x || !cost || !best_x) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = run_grad_open(rc_, o, &cfg, view, pt, &gw.og[0], err)) != 0) goto out;
    if (gw.og[0]) {
        gw.n = 1;
        gw.want = ev ? sm_eval_threads(ev) : 1;
        if (gw.want < 1) gw.want = 1;
        if (gw.want > 256) gw.want = 256;
        if (!(grad = malloc(batch * d * sizeof *grad))) {
            rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    cfg.exact_grad = gw.n > 0;
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
        if (gw.n && (!o->type->wants_grad || o->type->wants_grad(st))) {
            if ((rc = grad_batch(e, view, pt, &gw, x, k, d, cost, grad, &n_bad, err)) != 0)
                goto out;
            for (i = 0; i < k; i++) /* the contract: finite costs, at most the worst */
                if (!isfinite(cost[i]) || cost[i] > SM_EVAL_WORST_COST)
                    cost[i] = SM_EVAL_WORST_COST;
            o->type->tell_grad(st, x, cost, grad, k);
        } else {
            if ((rc = score(rc_->opt, ev, rec->target, pt->note.gate_s, x, k, d, cost, &n_bad,
                            err)) != 0)
                goto out;
            o->type->tell(st, x, cost, k);
        }
        /* a batch's points are known together, when it has been scored */
        secs = now_s() - t0;
        for (i = 0; i < k; i++) {
            used++;
            if (cost[i] < best) {
                best = cost[i];
                memcpy(best_x, x + i * d, d * sizeof *best_x);
                if (trace_push(rec, &cap, used, best, secs) != 0) {
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
        if ((rc_->opt && rc_->opt->stop && *rc_->opt->stop) ||
            (rc_->opt && rc_->opt->dispatch && rc_->opt->dispatch->poll &&
             rc_->opt->dispatch->poll(rc_->opt->dispatch->ctx))) {
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
    rec->wall_s = now_s() - t0;
    if (rec->trace_evals[rec->n_trace - 1] != used &&
        trace_push(rec, &cap, used, best, rec->wall_s) != 0) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto out;
    }
    rec->evals = used;
    rec->final_cost = best;
    rec->n_nonfinite = (size_t)n_bad;
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
        rec->best_wav = sm_runner_path("%s/best.wav", rundir);
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
        rec->patch_path = sm_runner_path("%s/best%s", rundir, e->synth->patch_ext);
        if (!rec->patch_path) {
            rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            goto out;
        }
        rc = e->synth->patch_save(rec->patch_path, native, name, err);
        if (rc) goto out;
    }
    p = sm_runner_path("%s/trace.csv", rundir);
    rc = p ? sm_ckpt_write_trace(p, rec, err) : sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    free(p);
    if (rc) goto out;
    p = sm_runner_path("%s/result.txt", rundir);
    rc = p ? sm_ckpt_write_result(p, e, rec, err) : sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    free(p);
out:
    if (st) o->type->free(st);
    grad_workers_free(&gw);
    free(grad);
    free(x);
    free(cost);
    free(best_x);
    free(native);
    return rc;
}

/* ---- the runs, wherever they are done (runner.h, "Dispatchers") ----------------------- */

struct sm_run_set {
    const sm_experiment *e;
    const sm_run_options *opt;
    const char *dir;
    int threads;
    int owns;                 /* 1: made by sm_run_set_new, which owns the arrays below */
    size_t n_runs, n_done;
    prepared_target *pts;
    unsigned char *state;     /* per target: 0 not prepared, 1 prepared, 2 with start points */
    size_t *notes_len;        /* per target: length of its notes once prepared */
    run_record *recs;
    unsigned char *done;      /* per run: recs[r] holds its result */
    void **models;            /* side data per optimizer and variant (type->side); made when needed */
    double *summary;
    prior_data *prior;
    int prior_ready;
    size_t ev_target;         /* the target that ev and obj score (SIZE_MAX: none) */
    sm_eval *ev;
    sm_objective obj;
    run_ctx ctx;
};

static void record_clear(run_record *r)
{
    free(r->trace_evals);
    free(r->trace_cost);
    free(r->trace_secs);
    free(r->best_wav);
    free(r->patch_path);
    memset(r, 0, sizeof *r);
}

/* A set over the given arrays (borrowed; the caller has prepared every target), or over its
 * own (pts NULL). */
static sm_run_set *set_make(const sm_experiment *e, const sm_run_options *opt, const char *dir,
                            int threads, prepared_target *pts, run_record *recs,
                            void **models, double *summary, prior_data *prior,
                            sm_error *err)
{
    sm_run_set *s = calloc(1, sizeof *s);
    size_t i, nt = e->n_targets ? e->n_targets : 1;
    if (!s) goto nomem;
    s->e = e;
    s->opt = opt;
    s->dir = dir;
    s->threads = threads;
    s->n_runs = e->n_targets * e->n_opt * e->n_seeds;
    s->ev_target = SIZE_MAX;
    s->ctx.e = e;
    s->ctx.opt = opt;
    s->ctx.prog.n_runs = s->n_runs;
    s->ctx.prog.budget = e->budget;
    s->state = calloc(nt, 1);
    s->notes_len = calloc(nt, sizeof *s->notes_len);
    s->done = calloc(s->n_runs ? s->n_runs : 1, 1);
    if (!s->state || !s->notes_len || !s->done) goto nomem;
    if (pts) {
        s->pts = pts;
        s->recs = recs;
        s->models = models;
        s->summary = summary;
        s->prior = prior;
        for (i = 0; i < e->n_targets; i++) {
            s->state[i] = 1;
            s->notes_len[i] = strlen(pts[i].notes);
        }
        return s;
    }
    s->owns = 1;
    s->pts = calloc(nt, sizeof *s->pts);
    s->recs = calloc(s->n_runs ? s->n_runs : 1, sizeof *s->recs);
    s->models = calloc(e->n_opt * e->n_variants + 1, sizeof *s->models);
    s->summary = malloc(2 * (size_t)e->cost.mfcc.n_mfcc * sizeof *s->summary);
    s->prior = calloc(1, sizeof *s->prior);
    if (!s->pts || !s->recs || !s->models || !s->summary || !s->prior) goto nomem;
    for (i = 0; i < e->n_targets; i++) s->pts[i].threshold = NAN;
    return s;
nomem:
    sm_run_set_free(s);
    sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    return NULL;
}

sm_run_set *sm_run_set_new(const sm_experiment *e, const sm_run_options *opt, sm_error *err)
{
    if (!e) {
        sm_error_set(err, SM_ERR_ARG, "sm_run_set_new: no experiment");
        return NULL;
    }
    return set_make(e, opt, opt && opt->out_dir ? opt->out_dir : e->report_dir,
                    opt && opt->threads > 0 ? opt->threads : e->threads, NULL, NULL, NULL, NULL,
                    NULL, err);
}

void sm_run_set_free(sm_run_set *s)
{
    size_t i;
    if (!s) return;
    sm_eval_free(s->ev);
    if (s->owns) {
        if (s->pts)
            for (i = 0; i < s->e->n_targets; i++) free_target(&s->pts[i]);
        if (s->recs)
            for (i = 0; i < s->n_runs; i++) record_clear(&s->recs[i]);
        sm_runner_side_models_free(s->e, s->models);
        if (s->prior) prior_free(s->prior);
        free(s->pts);
        free(s->recs);
        free(s->models);
        free(s->summary);
        free(s->prior);
    }
    free(s->state);
    free(s->notes_len);
    free(s->done);
    free(s);
}

size_t sm_run_set_size(const sm_run_set *s)
{
    return s ? s->n_runs : 0;
}

/* Target ti read and checked (a process that writes no target folder prepares on demand). */
static int set_prepare(sm_run_set *s, size_t ti, sm_error *err)
{
    int rc;
    if (s->state[ti]) return 0;
    if ((rc = prepare_target(s->e, ti, NULL, s->opt, &s->pts[ti], err)) != 0) return rc;
    s->state[ti] = 1;
    s->notes_len[ti] = strlen(s->pts[ti].notes);
    return 0;
}

/* The evaluator of target ti: one target's at a time, made anew when the target changes. */
static sm_eval *set_evaluator(sm_run_set *s, size_t ti, sm_error *err)
{
    const sm_experiment *e = s->e;
    if (s->ev && s->ev_target == ti) return s->ev;
    sm_eval_free(s->ev);
    s->ev = NULL;
    s->ev_target = SIZE_MAX;
    memset(&s->obj, 0, sizeof s->obj);
    s->obj.synth = e->synth;
    s->obj.view = e->variants[e->targets[ti].variant].view;
    s->obj.note = s->pts[ti].note;
    s->obj.sample_rate = e->sample_rate;
    s->obj.n_samples = s->pts[ti].n;
    s->obj.target = s->pts[ti].ct;
    s->ev = sm_eval_alloc(&sm_objective_worker, &s->obj, s->threads, err);
    if (s->ev) s->ev_target = ti;
    return s->ev;
}

/* Run r's folder, a new string (NULL: out of memory). */
static char *run_dir(const sm_run_set *s, size_t r)
{
    const sm_experiment *e = s->e;
    const size_t per_target = e->n_opt * e->n_seeds;
    return sm_runner_path("%s/runs/%s/%s/seed%" PRIu64, s->dir, e->targets[r / per_target].name,
                    e->opt[r % per_target / e->n_seeds].name, e->seeds[r % e->n_seeds]);
}

/* Run r's record, emptied and labelled. */
static run_record *set_record(sm_run_set *s, size_t r)
{
    const size_t per_target = s->e->n_opt * s->e->n_seeds;
    run_record *rec = &s->recs[r];
    record_clear(rec);
    rec->target = r / per_target;
    rec->opt = r % per_target / s->e->n_seeds;
    rec->seed = s->e->seeds[r % s->e->n_seeds];
    return rec;
}

static void set_progress(sm_run_set *s, sm_progress *p, const run_record *rec, size_t r)
{
    p->run = r + 1;
    p->n_runs = s->n_runs;
    p->target = s->e->targets[rec->target].name;
    p->optimizer = s->e->opt[rec->opt].name;
    p->seed = rec->seed;
    p->budget = s->e->budget;
    p->n_done = s->n_done;
}

/* The paths of a finished run's outputs, as written by do_run. */
static void record_paths(const sm_run_set *s, run_record *rec, const char *rundir)
{
    rec->best_wav = sm_runner_path("%s/best.wav", rundir);
    if (s->e->synth->patch_ext)
        rec->patch_path = sm_runner_path("%s/best%s", rundir, s->e->synth->patch_ext);
}

static void mark_done(sm_run_set *s, size_t r)
{
    s->done[r] = 1;
    s->n_done++;
    s->ctx.prog.n_done = s->n_done;
}

/* Run r from its checkpoint, if it finished earlier: 0, else nonzero. */
static int set_read_checkpoint(sm_run_set *s, size_t r)
{
    char *rundir = run_dir(s, r), *resf = rundir ? sm_runner_path("%s/result.txt", rundir) : NULL;
    run_record *rec = set_record(s, r);
    int rc = resf ? sm_ckpt_read_result(resf, rec) : SM_ERR_NOMEM;
    if (rc == 0) {
        char *tp = sm_runner_path("%s/trace.csv", rundir);
        sm_progress p;
        if (tp) sm_ckpt_read_trace(tp, rec);
        free(tp);
        record_paths(s, rec, rundir);
        mark_done(s, r);
        memset(&p, 0, sizeof p);
        set_progress(s, &p, rec, r);
        p.skipped = 1;
        p.evals = rec->evals;
        p.best = rec->final_cost;
        if (s->opt && s->opt->progress) s->opt->progress(s->opt->progress_ctx, &p);
    }
    free(rundir);
    free(resf);
    return rc;
}

/* Does run r here: its target prepared and its start points found first (once per target),
 * the optimizer's side data (pcakm's model) made or loaded if needed, then the run. */
static int set_do(sm_run_set *s, size_t r, sm_error *err)
{
    const sm_experiment *e = s->e;
    run_record *rec = set_record(s, r);
    const size_t ti = rec->target, oi = rec->opt, var = e->targets[ti].variant;
    const sm_param_view *view = e->variants[var].view;
    const void *side_model = NULL;
    const double *target_features = NULL;
    sm_eval *ev;
    char *rundir;
    int rc;
    if ((rc = set_prepare(s, ti, err)) != 0) return rc;
    if (!(ev = set_evaluator(s, ti, err))) return err && err->code ? err->code : SM_ERR_NOMEM;
    if (e->prior_dataset && s->state[ti] < 2) {
        if (!s->prior_ready) {
            s->prior_ready = 1;
            if ((rc = prior_open(e, s->opt, s->threads, s->prior, err)) != 0) return rc;
        }
        s->pts[ti].notes[s->notes_len[ti]] = '\0';   /* notes taken from another process */
        rc = prior_starts(e, s->prior, ti, view, s->opt, &s->pts[ti], &s->obj, ev, err);
        if (rc) return rc;
        s->state[ti] = 2;
    }
    if (e->opt[oi].type->side) {
        void **m = &s->models[oi * e->n_variants + var];
        if (!*m && !(*m = sm_runner_side_model(e, var, &e->opt[oi], s->threads, err)))
            return err && err->code ? err->code : SM_ERR_NOMEM;
        if ((rc = sm_runner_target_summary(e, &s->pts[ti], s->summary, err)) != 0) return rc;
        side_model = *m;
        target_features = s->summary;
    }
    if (!(rundir = run_dir(s, r))) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    set_progress(s, &s->ctx.prog, rec, r);
    s->ctx.prog.evals = 0;
    s->ctx.prog.best = INFINITY;
    s->ctx.prog.skipped = 0;
    rc = do_run(&s->ctx, &e->opt[oi], view, &s->pts[ti], ev, side_model, target_features, rundir,
                rec, err);
    free(rundir);
    return rc;
}

/* A run's result as bytes: counts (uint64), then values (double), then the trace (evaluations,
 * costs, seconds), then the target's notes (which hold what its start points said). */
#define PACK_MAGIC 0x736d7232u   /* "smr2" */
#define PACK_TRACE_POINT (sizeof(uint64_t) + 2 * sizeof(double))
enum { PACK_NU = 6, PACK_NF = 6 };

static int pack_record(const sm_run_set *s, size_t r, void **out, size_t *size, sm_error *err)
{
    const run_record *rec = &s->recs[r];
    const char *notes = s->pts[rec->target].notes;
    const size_t nn = strlen(notes), nt = rec->n_trace;
    uint64_t u[PACK_NU] = {PACK_MAGIC, r, rec->evals, rec->n_nonfinite, nt, nn};
    double f[PACK_NF] = {rec->final_cost, rec->wall_s, rec->param_error,
                         rec->logmel_db, rec->loudness_db, rec->wav_gain_db};
    int64_t inaud = rec->inaudible;
    const size_t n = sizeof u + sizeof f + sizeof inaud + nt * PACK_TRACE_POINT + nn;
    unsigned char *b = malloc(n), *p = b;
    size_t i;
    if (!b) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    memcpy(p, u, sizeof u);
    p += sizeof u;
    memcpy(p, f, sizeof f);
    p += sizeof f;
    memcpy(p, &inaud, sizeof inaud);
    p += sizeof inaud;
    for (i = 0; i < nt; i++, p += sizeof(uint64_t)) {
        const uint64_t v = rec->trace_evals[i];
        memcpy(p, &v, sizeof v);
    }
    memcpy(p, rec->trace_cost, nt * sizeof(double));
    p += nt * sizeof(double);
    memcpy(p, rec->trace_secs, nt * sizeof(double));
    p += nt * sizeof(double);
    memcpy(p, notes, nn);
    *out = b;
    *size = n;
    return 0;
}

int sm_run_set_do(sm_run_set *s, size_t run, void **result, size_t *size, sm_error *err)
{
    int rc;
    if (!s || run >= s->n_runs || (result && !size))
        return sm_error_set(err, SM_ERR_ARG, "sm_run_set_do: no run %zu", run);
    if ((rc = set_do(s, run, err)) != 0) return rc;
    if (!result) {
        mark_done(s, run);
        return 0;
    }
    rc = pack_record(s, run, result, size, err);
    /* the process that writes results.csv keeps the record; this one needs it no more */
    record_clear(&s->recs[run]);
    return rc;
}

int sm_run_set_accept(sm_run_set *s, size_t run, const void *result, size_t size, sm_error *err)
{
    const unsigned char *p = result;
    uint64_t u[PACK_NU];
    double f[PACK_NF];
    int64_t inaud;
    run_record *rec;
    char *rundir;
    sm_progress pr;
    size_t i, head = sizeof u + sizeof f + sizeof inaud;
    if (!s || run >= s->n_runs || !p || size < head)
        return sm_error_set(err, SM_ERR_FORMAT, "run %zu: no result", run + 1);
    memcpy(u, p, sizeof u);
    memcpy(f, p + sizeof u, sizeof f);
    memcpy(&inaud, p + sizeof u + sizeof f, sizeof inaud);
    if (u[0] != PACK_MAGIC || u[1] != run || u[4] > size || u[5] >= sizeof s->pts[0].notes ||
        size != head + u[4] * PACK_TRACE_POINT + u[5])
        return sm_error_set(err, SM_ERR_FORMAT, "run %zu: its result is garbled (%zu bytes)",
                            run + 1, size);
    if (s->done[run]) return 0;   /* already taken (a checkpoint, or twice) */
    rec = set_record(s, run);
    rec->evals = (size_t)u[2];
    rec->n_nonfinite = (size_t)u[3];
    rec->final_cost = f[0];
    rec->wall_s = f[1];
    rec->param_error = f[2];
    rec->logmel_db = f[3];
    rec->loudness_db = f[4];
    rec->wav_gain_db = f[5];
    rec->inaudible = (int)inaud;
    rec->n_trace = (size_t)u[4];
    rec->trace_evals = malloc((rec->n_trace ? rec->n_trace : 1) * sizeof *rec->trace_evals);
    rec->trace_cost = malloc((rec->n_trace ? rec->n_trace : 1) * sizeof *rec->trace_cost);
    rec->trace_secs = malloc((rec->n_trace ? rec->n_trace : 1) * sizeof *rec->trace_secs);
    rundir = run_dir(s, run);
    if (!rec->trace_evals || !rec->trace_cost || !rec->trace_secs || !rundir) {
        free(rundir);
        record_clear(rec);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    p += head;
    for (i = 0; i < rec->n_trace; i++, p += sizeof(uint64_t)) {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        rec->trace_evals[i] = (size_t)v;
    }
    memcpy(rec->trace_cost, p, rec->n_trace * sizeof(double));
    p += rec->n_trace * sizeof(double);
    memcpy(rec->trace_secs, p, rec->n_trace * sizeof(double));
    p += rec->n_trace * sizeof(double);
    if (s->state[rec->target] < 2) {
        /* the notes of the process that found the target's start points */
        memcpy(s->pts[rec->target].notes, p, (size_t)u[5]);
        s->pts[rec->target].notes[u[5]] = '\0';
    }
    record_paths(s, rec, rundir);
    free(rundir);
    mark_done(s, run);
    memset(&pr, 0, sizeof pr);
    set_progress(s, &pr, rec, run);
    pr.evals = rec->evals;
    pr.best = rec->final_cost;
    if (s->opt && s->opt->progress) s->opt->progress(s->opt->progress_ctx, &pr);
    return 0;
}

int sm_run_set_eval(sm_run_set *s, size_t target, double gate_s, const double *x, size_t k,
                    size_t d, double *cost, uint64_t *n_bad, sm_error *err)
{
    sm_eval *ev;
    uint64_t before;
    int rc;
    if (!s || target >= s->e->n_targets || !n_bad ||
        d != s->e->variants[s->e->targets[target].variant].view->space.n)
        return sm_error_set(err, SM_ERR_ARG, "sm_run_set_eval: no target %zu of %zu values",
                            target, d);
    if ((rc = set_prepare(s, target, err)) != 0) return rc;
    if (!(ev = set_evaluator(s, target, err))) return err && err->code ? err->code : SM_ERR_NOMEM;
    s->obj.note.gate_s = gate_s;
    before = sm_eval_get_stats(ev).n_nonfinite;
    if ((rc = sm_eval_batch(ev, x, k, d, cost)) != 0)
        return sm_error_set(err, rc, "scoring a batch of %zu points failed", k);
    *n_bad += sm_eval_get_stats(ev).n_nonfinite - before;
    return 0;
}

/* Every run of the list: those finished earlier from their checkpoints, the others by the
 * dispatcher, or here in order. */
static int run_list(sm_run_set *s, sm_error *err)
{
    const sm_run_options *opt = s->opt;
    const sm_dispatch *dp = opt ? opt->dispatch : NULL;
    size_t *todo = malloc((s->n_runs ? s->n_runs : 1) * sizeof *todo), n_todo = 0, r, i;
    int rc = 0;
    if (!todo) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    for (r = 0; r < s->n_runs; r++)
        if ((opt && opt->fresh) || set_read_checkpoint(s, r) != 0) todo[n_todo++] = r;
    if (dp && dp->run) {
        if (n_todo) rc = dp->run(dp->ctx, s, todo, n_todo, err);
    } else {
        for (i = 0; i < n_todo && !rc; i++)
            rc = opt && opt->max_runs && i >= opt->max_runs
                     ? sm_error_set(err, SM_ERR_INTERRUPTED, "stopped after %zu runs", i)
                     : sm_run_set_do(s, todo[i], NULL, NULL, err);
    }
    if (!rc && s->n_done != s->n_runs)
        rc = sm_error_set(err, SM_ERR_ARG, "%zu of %zu runs were not done", s->n_runs - s->n_done,
                          s->n_runs);
    free(todo);
    return rc;
}

/* ---- the experiment ------------------------------------------------------------------ */

/* results.json beside results.csv (experiments/results_meta.h), then the report, made from
 * the folder as `soundmatch report` makes it (experiments/report.h). */
static int write_meta_and_report(const sm_experiment *e, const char *dir, int threads,
                                 double t_start, const prepared_target *pts, int report,
                                 sm_error *err)
{
    const char **notes = calloc(e->n_targets ? e->n_targets : 1, sizeof *notes);
    sm_results_meta m;
    size_t i;
    int rc;
    if (!notes) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    for (i = 0; i < e->n_targets; i++) notes[i] = pts[i].notes;
    m.threads = threads;
    m.elapsed_s = now_s() - t_start;
    m.target_notes = notes;
    rc = sm_results_json_write(e, dir, &m, err);
    free(notes);
    if (rc || !report) return rc;
    return sm_report_from_dirs(&dir, 1, dir, NULL, err);
}

int sm_experiment_run(const sm_experiment *e, const sm_run_options *opt, sm_error *err)
{
    const char *dir = opt && opt->out_dir ? opt->out_dir : e->report_dir;
    const double t_start = now_s();
    int threads = opt && opt->threads > 0 ? opt->threads : e->threads;
    size_t n_runs = e->n_targets * e->n_opt * e->n_seeds, nrec = 0, ti, oi, si;
    prepared_target *pts = calloc(e->n_targets, sizeof *pts);
    run_record *recs = calloc(n_runs ? n_runs : 1, sizeof *recs);
    void **models = calloc(e->n_opt * e->n_variants, sizeof *models);
    double *summary = malloc(2 * (size_t)e->cost.mfcc.n_mfcc * sizeof *summary);
    sm_run_set *set = NULL;
    prior_data prior;
    int rc = 0, existed = 1, was_empty = 0;
    sm_dir_lock *lock = NULL;
    char *p;
    memset(&prior, 0, sizeof prior);
    if (!pts || !recs || !models || !summary) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (ti = 0; ti < e->n_targets; ti++) pts[ti].threshold = NAN;
    /* What the folder held before: a run that fails before it finishes any run leaves the
     * folder as it found it (removed if this run made it, emptied if it was empty). */
    existed = sm_dir_exists(dir, &was_empty);
    if ((rc = sm_mkdir_p(dir, err)) != 0) goto out;
    if ((rc = sm_dir_lock_take(dir, "soundmatch run", &lock, err)) != 0) goto out;
    p = sm_runner_path("%s/targets", dir);
    rc = p ? sm_mkdir_p(p, err) : SM_ERR_NOMEM;
    free(p);
    if (rc) goto out;
    if ((rc = sm_ckpt_check_fingerprint(e, dir, opt ? opt->fresh : 0, err)) != 0) goto out;
    /* A run killed mid-write leaves the temporary file of that write: remove them before
     * resuming (finished runs are known by their result.txt, never by a temporary file). */
    if ((rc = sm_remove_stale_tmp(dir, NULL, err)) != 0) goto out;
    /* Every target is read and checked before the first run, so that a silent or broken
     * target fails the experiment at once rather than after the runs of the others. */
    for (ti = 0; ti < e->n_targets && !rc; ti++) rc = prepare_target(e, ti, dir, opt, &pts[ti], err);
    if (rc) goto out;
    for (oi = 0; oi < e->n_opt; oi++) {
        size_t v;
        if (!e->opt[oi].type->side) continue;
        for (v = 0; v < e->n_variants; v++) {
            models[oi * e->n_variants + v] =
                sm_runner_side_model(e, v, &e->opt[oi], threads, err);
            if (!models[oi * e->n_variants + v]) {
                rc = err && err->code ? err->code : SM_ERR_NOMEM;
                goto out;
            }
        }
    }
    /* every run: from its checkpoint, by the dispatcher, or here (runner.h, "Dispatchers") */
    set = set_make(e, opt, dir, threads, pts, recs, models, summary, &prior, err);
    if (!set) {
        rc = err && err->code ? err->code : SM_ERR_NOMEM;
        goto out;
    }
    rc = run_list(set, err);
    nrec = set->n_done;
    if (rc) goto out;
    if ((rc = sm_ckpt_write_results_csv(e, dir, recs, nrec, pts, err)) != 0) goto out;
    rc = write_meta_and_report(e, dir, threads, t_start, pts, !(opt && opt->no_report), err);
out:
    sm_run_set_free(set);
    if (rc && lock && nrec == 0 && !(existed && !was_empty)) {
        /* nothing finished and nothing was there before: no partial output */
        sm_error keep = err ? *err : (sm_error){0};
        sm_dir_lock_release(lock);
        lock = NULL;
        sm_remove_tree(dir, existed, NULL);
        if (err) *err = keep;
    }
    sm_dir_lock_release(lock);
    if (pts)
        for (ti = 0; ti < e->n_targets; ti++) free_target(&pts[ti]);
    if (recs)
        for (si = 0; si < n_runs; si++) {
            free(recs[si].trace_evals);
            free(recs[si].trace_cost);
            free(recs[si].trace_secs);
            free(recs[si].best_wav);
            free(recs[si].patch_path);
        }
    sm_runner_side_models_free(e, models);
    free(models);
    free(pts);
    free(recs);
    free(summary);
    prior_free(&prior);
    return rc;
}
