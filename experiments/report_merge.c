/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_merge.c: the run folder a merge writes (see experiments/report_load.h):
 * the merged results.csv (the rows as each folder wrote them, in the experiment's order),
 * results.json (the first folder's description of the experiment, every run, and each
 * folder's metadata under "sources"), the experiment file and its fingerprint, and the runs'
 * and targets' files, hard-linked where the file system allows, else copied. */
#include "experiments/report_load.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"

/* Links (or copies) file `from` to `to`, replacing `to`. A missing `from` is skipped. */
static int link_or_copy(const char *from, const char *to, sm_error *err)
{
    unsigned char *d = NULL;
    size_t n = 0;
    int rc;
    if (access(from, F_OK) != 0) return 0;
    if (unlink(to) != 0 && errno != ENOENT)
        return sm_error_set(err, SM_ERR_IO, "%s: cannot replace it: %s", to, strerror(errno));
    if (link(from, to) == 0) return 0;
    if ((rc = sm_read_file(from, 0, &d, &n, err)) != 0) return rc;
    rc = sm_write_file(to, d, n, err);
    free(d);
    return rc;
}

static void json_write(FILE *f, const sm_json *j, int indent);

static void json_write_items(FILE *f, const sm_json *j, int indent)
{
    size_t i;
    const int obj = j->type == SM_JSON_OBJECT;
    fputc(obj ? '{' : '[', f);
    for (i = 0; i < j->n; i++) {
        fprintf(f, "%s\n%*s", i ? "," : "", indent + 2, "");
        if (obj) {
            sm_json_put_string(f, j->key[i]);
            fputs(": ", f);
        }
        json_write(f, &j->item[i], indent + 2);
    }
    if (j->n) fprintf(f, "\n%*s", indent, "");
    fputc(obj ? '}' : ']', f);
}

static void json_write(FILE *f, const sm_json *j, int indent)
{
    switch (j->type) {
    case SM_JSON_NULL: fputs("null", f); break;
    case SM_JSON_BOOL: fputs(j->number ? "true" : "false", f); break;
    case SM_JSON_NUMBER:
        if (isfinite(j->number)) fprintf(f, "%.15g", j->number);
        else fputs("null", f);
        break;
    case SM_JSON_STRING: sm_json_put_string(f, j->string); break;
    default: json_write_items(f, j, indent);
    }
}

/* results.json of the merge: the first folder's description of the experiment, the runs in
 * order, and each folder's metadata under "sources". */
static int write_merged_json(const loader *L, const char *out, sm_error *err)
{
    char *path = sm_path_join(out, "results.json");
    const sm_json *first = L->src[0].json;
    static const char *const per_source[] = {"soundmatch", "host", "threads", "date", "wall_s",
                                             NULL};
    sm_outfile of;
    FILE *f;
    size_t i, k;
    int rc;
    if (!path) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    rc = sm_outfile_open(&of, path, err);
    free(path);
    if (rc) return rc;
    f = of.f;
    fputs("{\n  \"format\": \"soundmatch results 1\"", f);
    for (i = 0; first && first->type == SM_JSON_OBJECT && i < first->n; i++) {
        const char *key = first->key[i];
        int skip = strcmp(key, "format") == 0 || strcmp(key, "runs") == 0 ||
                   strcmp(key, "n_runs") == 0 || strcmp(key, "sources") == 0;
        for (k = 0; per_source[k] && !skip; k++) skip = strcmp(key, per_source[k]) == 0;
        if (skip) continue;
        fputs(",\n  ", f);
        sm_json_put_string(f, key);
        fputs(": ", f);
        json_write(f, &first->item[i], 2);
    }
    fprintf(f, ",\n  \"n_runs\": %zu,\n  \"sources\": [", L->n_ref);
    for (i = 0; i < L->n_src; i++) {
        const source *s = &L->src[i];
        fputs(i ? ",\n    {\"folder\": " : "\n    {\"folder\": ", f);
        sm_json_put_string(f, s->dir);
        fputs(", \"fingerprint\": ", f);
        sm_json_put_string(f, L->meta[i].fingerprint);
        fprintf(f, ", \"n_runs\": %zu", s->csv.n_rows);
        for (k = 0; per_source[k]; k++) {
            const sm_json *v = sm_json_get(s->json, per_source[k]);
            if (!v) continue;
            fprintf(f, ", \"%s\": ", per_source[k]);
            json_write(f, v, 4);
        }
        fputs("}", f);
    }
    fputs("\n  ],\n  \"runs\": [", f);
    for (k = 0; k < L->n_ref; k++) {
        const run_ref *x = &L->ref[k];
        const source *s = &L->src[x->src];
        fputs(k ? ",\n    {\"target\": " : "\n    {\"target\": ", f);
        sm_json_put_string(f, sm_report_load_cell(s, x->row, s->c_target));
        fputs(", \"optimizer\": ", f);
        sm_json_put_string(f, sm_report_load_cell(s, x->row, s->c_opt));
        fprintf(f, ", \"seed\": %s, \"evals\": %s, \"wall_s\": %s, \"source\": %zu}",
                sm_report_load_cell(s, x->row, s->c_seed),
                *sm_report_load_cell(s, x->row, s->c_evals) ? sm_report_load_cell(s, x->row, s->c_evals) : "null",
                *sm_report_load_cell(s, x->row, s->c_wall) ? sm_report_load_cell(s, x->row, s->c_wall) : "null", x->src);
    }
    fputs("\n  ]\n}\n", f);
    return sm_outfile_commit(&of, err);
}

/* Makes out a run folder of the merged runs: results.csv, results.json, experiment.ini,
 * fingerprint.txt, targets/ and runs/ (hard links where the file system allows). */
int sm_report_write_merged(const loader *L, const char *out, sm_error *err)
{
    const source *s0 = &L->src[0];
    char *p = NULL, *q = NULL;
    sm_outfile of;
    size_t k, s;
    int rc;
    static const char *const run_files[] = {"result.txt", "trace.csv", "best.wav", NULL};
    for (s = 1; s < L->n_src; s++)
        if (strcmp(L->src[s].csv.header, s0->csv.header) != 0)
            return sm_error_set(err, SM_ERR_FORMAT, "%s/results.csv and %s/results.csv have "
                                "different columns", s0->dir, L->src[s].dir);
    if (!(p = sm_path_join(out, "results.csv"))) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    rc = sm_outfile_open(&of, p, err);
    free(p);
    if (rc) return rc;
    fprintf(of.f, "%s\n", s0->csv.header);
    for (k = 0; k < L->n_ref; k++)
        fprintf(of.f, "%s\n", L->src[L->ref[k].src].csv.line[L->ref[k].row]);
    if ((rc = sm_outfile_commit(&of, err)) != 0) return rc;
    if ((rc = write_merged_json(L, out, err)) != 0) return rc;
    if (s0->ini) {
        if (!(p = sm_path_join(out, "experiment.ini"))) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
        rc = sm_write_file(p, s0->ini, strlen(s0->ini), err);
        free(p);
        if (rc) return rc;
    }
    if (*s0->fingerprint) {
        if (!(p = sm_path_join(out, "fingerprint.txt"))) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
        if (asprintf(&q, "%s\n", s0->fingerprint + strlen("fnv1a64:")) < 0) q = NULL;
        rc = q ? sm_write_file(p, q, strlen(q), err) : sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
        free(p);
        free(q);
        if (rc) return rc;
    }
    for (k = 0; k < L->n_ref && !rc; k++) {
        const run_ref *x = &L->ref[k];
        const source *src = &L->src[x->src];
        const sm_run_result *r = &L->runs[k];
        const char *target = sm_report_load_cell(src, x->row, src->c_target);
        const char *opt = sm_report_load_cell(src, x->row, src->c_opt), *seed = sm_report_load_cell(src, x->row, src->c_seed);
        size_t f;
        char *dir = NULL;
        if (asprintf(&dir, "%s/targets", out) < 0) return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
        rc = sm_mkdir_p(dir, err);
        free(dir);
        if (!rc && asprintf(&p, "%s/targets/%s.wav", out, target) >= 0) {
            rc = link_or_copy(r->target_wav, p, err);
            free(p);
        }
        if (rc || asprintf(&dir, "%s/runs/%s/%s/seed%s", out, target, opt, seed) < 0) break;
        rc = sm_mkdir_p(dir, err);
        for (f = 0; run_files[f] && !rc; f++) {
            char *from = NULL, *to = NULL;
            if (asprintf(&from, "%s/runs/%s/%s/seed%s/%s", src->dir, target, opt, seed,
                         run_files[f]) < 0 || asprintf(&to, "%s/%s", dir, run_files[f]) < 0)
                rc = sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
            else
                rc = link_or_copy(from, to, err);
            free(from);
            free(to);
        }
        if (!rc && r->patch_path) {
            const char *dot = strrchr(r->patch_path, '.');
            if (asprintf(&p, "%s/best%s", dir, dot ? dot : "") >= 0) {
                rc = link_or_copy(r->patch_path, p, err);
                free(p);
            }
        }
        free(dir);
    }
    return rc;
}

