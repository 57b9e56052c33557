/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_load.c: the report of run folders (sm_report_from_dirs, see
 * experiments/report.h). The runner calls it on its own folder once results.csv and
 * results.json are written; `soundmatch report` calls it on one folder (to re-render old runs
 * with new code) or on several (shards, or runs made on different machines) to merge them.
 *
 * A folder's runs are the rows of its results.csv; each row's exact numbers come from the
 * run's checkpoint (runs/TARGET/OPTIMIZER/seedN/result.txt, written with 17 digits), its
 * trace from trace.csv there, its sound from best.wav and its patch from best.EXT. What the
 * rows do not hold (the experiment's name, synth and cost, what was done to each target, which
 * optimizer is the closest-preset baseline, how the runs were made) comes from results.json.
 * Runs are put in the experiment's order (targets, optimizers, seeds, as listed in the first
 * folder's results.json), so that merging the halves of an experiment gives the page of the
 * whole. */
#include "experiments/report_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "experiments/stats.h"

#define TEXT_MAX_BYTES (4u << 20)

#include "experiments/report_load.h"

static int nomem(sm_error *err)
{
    return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
}

/* The index of s in the list, appended if new; SIZE_MAX on out of memory. */
static size_t list_index(name_list *l, const char *s)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (strcmp(l->names[i], s) == 0) return i;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        const char **p = realloc(l->names, cap * sizeof *p);
        if (!p) return SIZE_MAX;
        l->names = p;
        l->cap = cap;
    }
    l->names[l->n] = s;
    return l->n++;
}

static char *read_text(const char *dir, const char *name, sm_error *err, int required)
{
    char *p = sm_path_join(dir, name);
    unsigned char *d = NULL;
    size_t n;
    int rc;
    if (!p) {
        nomem(err);
        return NULL;
    }
    if (!required && access(p, F_OK) != 0) {
        free(p);
        return NULL;
    }
    rc = sm_read_file(p, TEXT_MAX_BYTES, &d, &n, err);
    free(p);
    return rc ? NULL : (char *)d;
}

static int source_load(source *s, const char *dir, sm_error *err)
{
    char *p, *fp;
    int rc;
    memset(s, 0, sizeof *s);
    s->dir = dir;
    p = sm_path_join(dir, "results.csv");
    if (!p) return nomem(err);
    rc = access(p, F_OK) == 0 ? sm_csv_read(p, &s->csv, err) : sm_report_rows_from_checkpoints(s, err);
    free(p);
    if (rc) return rc;
    s->c_target = sm_csv_col(&s->csv, "target");
    s->c_opt = sm_csv_col(&s->csv, "optimizer");
    s->c_seed = sm_csv_col(&s->csv, "seed");
    if (s->c_target < 0 || s->c_opt < 0 || s->c_seed < 0)
        return sm_error_set(err, SM_ERR_FORMAT, "%s/results.csv: no target, optimizer or seed "
                                                "column", dir);
    s->c_variant = sm_csv_col(&s->csv, "variant");
    s->c_cost = sm_csv_col(&s->csv, "final_cost");
    s->c_evals = sm_csv_col(&s->csv, "evals");
    s->c_wall = sm_csv_col(&s->csv, "wall_s");
    s->c_nonfin = sm_csv_col(&s->csv, "n_nonfinite");
    s->c_perr = sm_csv_col(&s->csv, "param_error");
    s->c_thresh = sm_csv_col(&s->csv, "inaudible_threshold");
    s->c_logmel = sm_csv_col(&s->csv, "logmel_db");
    s->c_loud = sm_csv_col(&s->csv, "loudness_db");
    sm_error_clear(err);
    fp = read_text(dir, "fingerprint.txt", err, 0);
    if (fp) {
        fp[strcspn(fp, "\r\n")] = '\0';
        if (asprintf(&s->fingerprint, "fnv1a64:%s", fp) < 0) s->fingerprint = NULL;
        free(fp);
        if (!s->fingerprint) return nomem(err);
    } else {
        if (err && err->code) return err->code;
        s->fingerprint = strdup("");
        if (!s->fingerprint) return nomem(err);
    }
    {
        char *js = read_text(dir, "results.json", err, 0), *name;
        if (!js && err && err->code) return err->code;
        if (js) {
            if (asprintf(&name, "%s/results.json", dir) < 0) name = NULL;
            s->json = sm_json_parse(js, name ? name : "results.json", err);
            free(js);
            free(name);
            if (!s->json) return err && err->code ? err->code : SM_ERR_FORMAT;
        }
    }
    s->ini = read_text(dir, "experiment.ini", err, 0);
    if (!s->ini && err && err->code) return err->code;
    return 0;
}

static void source_free(source *s)
{
    free(s->fingerprint);
    sm_json_free(s->json);
    sm_csv_free(&s->csv);
    free(s->ini);
}

const char *sm_report_load_cell(const source *s, size_t row, int col)
{
    return col >= 0 ? s->csv.cell[row][col] : "";
}

static double cell_num(const source *s, size_t row, int col)
{
    const char *c = sm_report_load_cell(s, row, col);
    char *end;
    double v;
    if (!*c) return NAN;
    v = strtod(c, &end);
    return end == c ? NAN : v;
}

/* A count from a field: 0 where it is empty, not a number or negative. */
static size_t cell_count(const source *s, size_t row, int col)
{
    double v = cell_num(s, row, col);
    return v >= 0 && v < 1e18 ? (size_t)v : 0;
}

/* The string j.a.b, or NULL. */
static const char *json_member_str(const sm_json *j, const char *a, const char *b)
{
    return sm_json_str(sm_json_get(sm_json_get(j, a), b));
}

/* The experiment's order from the first folder's results.json: targets, optimizers, seeds. */
static int seed_orders(loader *L, sm_error *err)
{
    const sm_json *j = L->src[0].json, *a;
    size_t i;
    if (!j) return 0;
    a = sm_json_get(j, "targets");
    for (i = 0; a && a->type == SM_JSON_ARRAY && i < a->n; i++) {
        const char *name = sm_json_str(sm_json_get(&a->item[i], "name"));
        if (name && list_index(&L->targets, name) == SIZE_MAX) return nomem(err);
    }
    a = sm_json_get(j, "optimizers");
    for (i = 0; a && a->type == SM_JSON_ARRAY && i < a->n; i++) {
        const char *name = sm_json_str(sm_json_get(&a->item[i], "name"));
        if (name && list_index(&L->opts, name) == SIZE_MAX) return nomem(err);
    }
    return 0;
}

/* The position of a seed in the experiment's seed list (first folder's results.json), or
 * after them all in numeric order. */
static double seed_key(const loader *L, const char *seed)
{
    const sm_json *a = sm_json_get(sm_json_get(L->src[0].json, "experiment"), "seeds");
    double v = strtod(seed, NULL);
    size_t i;
    for (i = 0; a && a->type == SM_JSON_ARRAY && i < a->n; i++)
        if (sm_json_num(&a->item[i]) == v) return (double)i;
    return 1e6 + v;
}

static int cmp_ref(const void *pa, const void *pb)
{
    const run_ref *a = pa, *b = pb;
    if (a->ti != b->ti) return a->ti < b->ti ? -1 : 1;
    if (a->oi != b->oi) return a->oi < b->oi ? -1 : 1;
    if (a->si != b->si) return a->si < b->si ? -1 : 1;
    if (a->src != b->src) return a->src < b->src ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

/* 1 if s can name a folder inside a run folder: not empty, no '/', not "." or "..". */
static int safe_component(const char *s)
{
    return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Every row of every folder, in the experiment's order; a run in two folders is refused. */
static int collect_runs(loader *L, sm_error *err)
{
    size_t total = 0, s, r, k = 0;
    int rc;
    if ((rc = seed_orders(L, err)) != 0) return rc;
    for (s = 0; s < L->n_src; s++) total += L->src[s].csv.n_rows;
    if (!total) return sm_error_set(err, SM_ERR_FORMAT, "%s/results.csv lists no run",
                                    L->src[0].dir);
    L->ref = calloc(total, sizeof *L->ref);
    if (!L->ref) return nomem(err);
    for (s = 0; s < L->n_src; s++)
        for (r = 0; r < L->src[s].csv.n_rows; r++) {
            const source *src = &L->src[s];
            run_ref *x = &L->ref[k];
            if (!safe_component(sm_report_load_cell(src, r, src->c_target)) ||
                !safe_component(sm_report_load_cell(src, r, src->c_opt)) ||
                !safe_component(sm_report_load_cell(src, r, src->c_seed)))
                return sm_error_set(err, SM_ERR_FORMAT, "%s/results.csv, row %zu: the target, "
                                    "optimizer or seed cannot name a run folder", src->dir, r + 2);
            x->src = s;
            x->row = r;
            x->ti = list_index(&L->targets, sm_report_load_cell(src, r, src->c_target));
            x->oi = list_index(&L->opts, sm_report_load_cell(src, r, src->c_opt));
            if (x->ti == SIZE_MAX || x->oi == SIZE_MAX) return nomem(err);
            x->si = seed_key(L, sm_report_load_cell(src, r, src->c_seed));
            k++;
        }
    L->n_ref = total;
    qsort(L->ref, total, sizeof *L->ref, cmp_ref);
    for (k = 1; k < total; k++) {
        const run_ref *a = &L->ref[k - 1], *b = &L->ref[k];
        if (a->ti == b->ti && a->oi == b->oi && a->si == b->si)
            return sm_error_set(err, SM_ERR_CONFIG, "run %s / %s / seed %s is in both %s and %s",
                                L->targets.names[a->ti], L->opts.names[a->oi],
                                sm_report_load_cell(&L->src[a->src], a->row, L->src[a->src].c_seed),
                                L->src[a->src].dir, L->src[b->src].dir);
    }
    return 0;
}

/* Keeps a new string for the runs to point to. */
static const char *keep(loader *L, char *s)
{
    if (!s) return NULL;
    L->paths[L->n_paths++] = s;
    return s;
}

/* The patch extension of a folder's runs: results.json's, else the first that exists. */
static const char *patch_ext(const source *s, const char *rundir)
{
    static const char *known[] = {".syx", ".mtpreset", ".neuron", NULL};
    const char *ext = json_member_str(s->json, "experiment", "patch_ext");
    size_t i;
    if (ext && ext[0] == '.' && ext[1] && strlen(ext) < 16 && !strpbrk(ext + 1, "./\\"))
        return ext;
    for (i = 0; known[i]; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/best%s", rundir, known[i]);
        if (access(p, R_OK) == 0) return known[i];
    }
    return NULL;
}

/* What results.json says was done to target `name`, or NULL. */
static const char *target_notes(const source *s, const char *name)
{
    const sm_json *a = sm_json_get(s->json, "targets");
    size_t i;
    for (i = 0; a && a->type == SM_JSON_ARRAY && i < a->n; i++)
        if (sm_json_str(sm_json_get(&a->item[i], "name")) &&
            strcmp(sm_json_str(sm_json_get(&a->item[i], "name")), name) == 0)
            return sm_json_str(sm_json_get(&a->item[i], "notes"));
    return NULL;
}

static int build_runs(loader *L, sm_error *err)
{
    size_t k;
    L->runs = calloc(L->n_ref, sizeof *L->runs);
    L->labels = calloc(L->n_ref, sizeof *L->labels);
    L->paths = calloc(4 * L->n_ref + 1, sizeof *L->paths);
    L->trace_e = calloc(L->n_ref, sizeof *L->trace_e);
    L->trace_c = calloc(L->n_ref, sizeof *L->trace_c);
    L->trace_s = calloc(L->n_ref, sizeof *L->trace_s);
    if (!L->runs || !L->labels || !L->paths || !L->trace_e || !L->trace_c || !L->trace_s)
        return nomem(err);
    for (k = 0; k < L->n_ref; k++) {
        const run_ref *x = &L->ref[k];
        const source *s = &L->src[x->src];
        sm_run_result *r = &L->runs[k];
        const char *target = sm_report_load_cell(s, x->row, s->c_target), *opt = sm_report_load_cell(s, x->row, s->c_opt);
        const char *variant = sm_report_load_cell(s, x->row, s->c_variant), *seed = sm_report_load_cell(s, x->row, s->c_seed);
        const char *ext;
        char *rundir, *p;
        if (asprintf(&rundir, "%s/runs/%s/%s/seed%s", s->dir, target, opt, seed) < 0)
            return nomem(err);
        r->target = target;
        r->optimizer = opt;
        if (*variant) {
            if (asprintf(&L->labels[k], "%s @ %s", opt, variant) < 0) {
                L->labels[k] = NULL;
                free(rundir);
                return nomem(err);
            }
            r->optimizer = L->labels[k];
        }
        r->seed = strtoull(seed, NULL, 10);
        r->final_cost = cell_num(s, x->row, s->c_cost);
        r->evals = cell_count(s, x->row, s->c_evals);
        r->wall_s = cell_num(s, x->row, s->c_wall);
        r->n_nonfinite = cell_count(s, x->row, s->c_nonfin);
        r->param_error = cell_num(s, x->row, s->c_perr);
        r->inaudible_cost = cell_num(s, x->row, s->c_thresh);
        r->has_measures = s->c_logmel >= 0;
        r->logmel_db = cell_num(s, x->row, s->c_logmel);
        r->loudness_db = cell_num(s, x->row, s->c_loud);
        r->target_notes = target_notes(s, target);
        if (asprintf(&p, "%s/result.txt", rundir) >= 0) {
            sm_report_read_result_txt(p, r); /* the exact numbers, where the checkpoint is there */
            free(p);
        }
        if (asprintf(&p, "%s/trace.csv", rundir) >= 0) {
            int rc = sm_report_read_trace_csv(p, &L->trace_e[k], &L->trace_c[k], &L->trace_s[k],
                                              &r->n_trace);
            free(p);
            if (rc) {
                free(rundir);
                return nomem(err);
            }
            r->trace_evals = L->trace_e[k];
            r->trace_cost = L->trace_c[k];
            r->trace_secs = L->trace_s[k];
        }
        if (asprintf(&p, "%s/targets/%s.wav", s->dir, target) >= 0) r->target_wav = keep(L, p);
        if (asprintf(&p, "%s/best.wav", rundir) >= 0) r->best_wav = keep(L, p);
        ext = patch_ext(s, rundir);
        if (ext && asprintf(&p, "%s/best%s", rundir, ext) >= 0) r->patch_path = keep(L, p);
        free(rundir);
        if (!r->target_wav || !r->best_wav) return nomem(err);
    }
    return 0;
}

/* The metadata of one folder for the page. */
static void meta_of(const source *s, sm_report_meta *m)
{
    const sm_json *j = s->json;
    double v;
    size_t r;
    memset(m, 0, sizeof *m);
    m->source = s->dir;
    m->version = json_member_str(j, "soundmatch", "version");
    m->commit = json_member_str(j, "soundmatch", "commit");
    m->cpu_model = json_member_str(j, "host", "cpu_model");
    v = sm_json_num(sm_json_get(sm_json_get(j, "host"), "cpus"));
    m->n_cpus = isfinite(v) ? (int)v : 0;
    v = sm_json_num(sm_json_get(j, "threads"));
    m->threads = isfinite(v) ? (int)v : 0;
    m->date = sm_json_str(sm_json_get(j, "date"));
    m->elapsed_s = sm_json_num(sm_json_get(sm_json_get(j, "wall_s"), "command"));
    m->n_runs = s->csv.n_rows;
    m->runs_wall_s = 0;
    for (r = 0; r < s->csv.n_rows; r++) {
        double w = cell_num(s, r, s->c_wall);
        if (isfinite(w)) m->runs_wall_s += w;
    }
    m->fingerprint = *s->fingerprint ? s->fingerprint
                                     : json_member_str(j, "experiment", "fingerprint");
}

/* ---- the entry point ---- */

static int same_folder(const char *a, const char *b)
{
    char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
    int same = ra && rb && strcmp(ra, rb) == 0;
    free(ra);
    free(rb);
    return same;
}

static void loader_free(loader *L)
{
    size_t i;
    for (i = 0; i < L->n_src; i++) source_free(&L->src[i]);
    free(L->src);
    free(L->ref);
    free(L->targets.names);
    free(L->opts.names);
    if (L->labels)
        for (i = 0; i < L->n_ref; i++) free(L->labels[i]);
    free(L->labels);
    for (i = 0; i < L->n_paths; i++) free(L->paths[i]);
    free(L->paths);
    if (L->trace_e)
        for (i = 0; i < L->n_ref; i++) {
            free(L->trace_e[i]);
            free(L->trace_c[i]);
            if (L->trace_s) free(L->trace_s[i]);
        }
    free(L->trace_e);
    free(L->trace_c);
    free(L->trace_s);
    free(L->runs);
    free(L->meta);
}

/* The median of the runs' per-target thresholds (one per target), or NaN. */
static double median_threshold(const loader *L)
{
    double *v = malloc((L->targets.n + 1) * sizeof *v), m;
    size_t k, n = 0, t;
    if (!v) return NAN;
    for (t = 0; t < L->targets.n; t++)
        for (k = 0; k < L->n_ref; k++)
            if (L->ref[k].ti == t) {
                if (isfinite(L->runs[k].inaudible_cost)) v[n++] = L->runs[k].inaudible_cost;
                break;
            }
    m = sm_median(v, n);
    free(v);
    return m;
}

/* The experiment's retrieve optimizer (the closest preset), or NULL. */
static const char *find_baseline(const source *s)
{
    const sm_json *a = sm_json_get(s->json, "optimizers");
    size_t i;
    for (i = 0; a && a->type == SM_JSON_ARRAY && i < a->n; i++) {
        const char *type = sm_json_str(sm_json_get(&a->item[i], "type"));
        if (type && strcmp(type, "retrieve") == 0)
            return sm_json_str(sm_json_get(&a->item[i], "name"));
    }
    return NULL;
}

int sm_report_from_dirs(const char *const *dirs, size_t n_dirs, const char *out_dir,
                        const sm_report_options *opt, sm_error *err)
{
    loader L;
    sm_report_input in;
    size_t i;
    int rc = 0, in_place;
    const char *title;
    char *partial_note = NULL;
    memset(&L, 0, sizeof L);
    if (!dirs || n_dirs == 0 || !out_dir || !*out_dir)
        return sm_error_set(err, SM_ERR_ARG, "report: no run folder or no output folder");
    for (i = 0; i < n_dirs; i++)
        if (!dirs[i] || !*dirs[i]) return sm_error_set(err, SM_ERR_ARG, "report: empty folder name");
    in_place = n_dirs == 1 && same_folder(dirs[0], out_dir);
    for (i = 0; i < n_dirs && !in_place; i++)
        if (same_folder(dirs[i], out_dir))
            return sm_error_set(err, SM_ERR_ARG, "report: the output folder %s is one of the "
                                "folders merged; write the merge into a new folder", out_dir);
    L.src = calloc(n_dirs, sizeof *L.src);
    L.meta = calloc(n_dirs, sizeof *L.meta);
    if (!L.src || !L.meta) {
        rc = nomem(err);
        goto out;
    }
    for (i = 0; i < n_dirs; i++) {
        L.n_src = i + 1;
        if ((rc = source_load(&L.src[i], dirs[i], err)) != 0) goto out;
    }
    for (i = 1; i < n_dirs; i++)
        if (strcmp(L.src[i].fingerprint, L.src[0].fingerprint) != 0 && !(opt && opt->force)) {
            rc = sm_error_set(err, SM_ERR_CONFIG,
                              "%s (experiment %s) and %s (experiment %s) hold results of "
                              "different experiment files; give --force to merge them anyway",
                              dirs[0], *L.src[0].fingerprint ? L.src[0].fingerprint : "unknown",
                              dirs[i], *L.src[i].fingerprint ? L.src[i].fingerprint : "unknown");
            goto out;
        }
    if ((rc = collect_runs(&L, err)) != 0) goto out;
    if ((rc = build_runs(&L, err)) != 0) goto out;
    for (i = 0; i < n_dirs; i++) meta_of(&L.src[i], &L.meta[i]);
    if (!in_place) {
        char *old_fp = read_text(out_dir, "fingerprint.txt", err, 0);
        if (!old_fp && err && err->code) {
            rc = err->code;
            goto out;
        }
        if (old_fp && *L.src[0].fingerprint && !(opt && opt->force) &&
            strncmp(old_fp, L.src[0].fingerprint + strlen("fnv1a64:"), 16) != 0) {
            free(old_fp);
            rc = sm_error_set(err, SM_ERR_CONFIG, "%s holds results of another experiment; write "
                              "the merge into a new folder, or give --force", out_dir);
            goto out;
        }
        free(old_fp);
        if ((rc = sm_mkdir_p(out_dir, err)) != 0) goto out;
        if ((rc = sm_report_write_merged(&L, out_dir, err)) != 0) goto out;
    }
    title = json_member_str(L.src[0].json, "experiment", "name");
    memset(&in, 0, sizeof in);
    in.title = title ? title : "Experiment";
    in.synth = json_member_str(L.src[0].json, "experiment", "synth");
    in.cost_desc = json_member_str(L.src[0].json, "experiment", "cost");
    in.n_runs = L.n_ref;
    in.runs = L.runs;
    in.inaudible_cost = median_threshold(&L);
    in.baseline = find_baseline(&L.src[0]);
    in.experiment_text = L.src[0].ini;
    in.n_meta = n_dirs;
    in.meta = L.meta;
    in.match_page = opt && opt->match_page;
    for (i = 0; i < n_dirs && !partial_note; i++)
        if (L.src[i].partial) {
            size_t len = 0;
            FILE *mem = open_memstream(&partial_note, &len);
            if (!mem) break;
            fputs("<p class=\"note\"><code>", mem);
            sm_html_esc(mem, dirs[i]);
            fprintf(mem, "</code> holds no results.csv yet: this page shows the %zu runs "
                         "finished so far, from their checkpoints, without the targets&rsquo; "
                         "inaudible thresholds and notes. Write it again when the run has "
                         "finished.</p>", L.src[i].partial);
            if (fclose(mem) != 0) {
                free(partial_note);
                partial_note = NULL;
            }
        }
    in.notes_html = partial_note;
    rc = sm_report_write(out_dir, &in, err);
out:
    loader_free(&L);
    free(partial_note);
    return rc;
}
