/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/results_meta.c: results.json, the metadata beside results.csv (see
 * experiments/results_meta.h); experiments/results_read.c reads it back. */
#include "config.h"
#include "experiments/results_meta.h"
#include "experiments/report_internal.h"

#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"
#include "experiments/sm_git_commit.h"
#include "experiments/stats.h"


/* A number, or null for NaN and infinities (JSON has neither). */
static void put_json_num(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.10g", v);
    else fputs("null", f);
}

/* ---- results.json ---- */

void sm_results_cpu_model(char *out, size_t size)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(out, size, "unknown");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model", 5) == 0 ||
            strncmp(line, "cpu model", 9) == 0 || strncmp(line, "Hardware", 8) == 0) {
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t') v++;
            v[strcspn(v, "\n")] = '\0';
            if (*v) {
                snprintf(out, size, "%s", v);
                break;
            }
        }
    }
    fclose(f);
}

void sm_results_describe_cost(const sm_cost_config *c, char *out, size_t size)
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

/* Wall-time summary of the runs listed in results.csv (the "wall_s" column). */
static void run_walls(const sm_csv *c, double *sum, double *mn, double *med, double *mx)
{
    int col = sm_csv_col(c, "wall_s");
    double *v = malloc((c->n_rows + 1) * sizeof *v);
    size_t r, k = 0;
    *sum = 0;
    *mn = *med = *mx = NAN;
    if (col < 0 || !v) {
        free(v);
        return;
    }
    for (r = 0; r < c->n_rows; r++) {
        double w = strtod(c->cell[r][col], NULL);
        if (!isfinite(w)) continue;
        v[k++] = w;
        *sum += w;
        if (!(*mn <= w)) *mn = w;
        if (!(*mx >= w)) *mx = w;
    }
    *med = sm_median(v, k);
    free(v);
}

int sm_results_json_write(const sm_experiment *e, const char *dir, const sm_results_meta *m,
                          sm_error *err)
{
    char *csv_path = sm_path_join(dir, "results.csv"), *path = sm_path_join(dir, "results.json");
    char cpu[256], date[64] = "", cost[512];
    sm_csv c;
    sm_outfile of;
    FILE *f;
    size_t i, r;
    double sum, mn, med, mx;
    int rc, threads = m && m->threads > 0 ? m->threads : omp_get_max_threads();
    int ct = -1, co = -1, cs = -1, cw = -1, ce = -1;
    time_t now = time(NULL);
    struct tm tmv;
    memset(&c, 0, sizeof c);
    if (!csv_path || !path) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = sm_csv_read(csv_path, &c, err)) != 0) goto out;
    ct = sm_csv_col(&c, "target");
    co = sm_csv_col(&c, "optimizer");
    cs = sm_csv_col(&c, "seed");
    cw = sm_csv_col(&c, "wall_s");
    ce = sm_csv_col(&c, "evals");
    run_walls(&c, &sum, &mn, &med, &mx);
    sm_results_cpu_model(cpu, sizeof cpu);
    sm_results_describe_cost(&e->cost, cost, sizeof cost);
    if (gmtime_r(&now, &tmv)) strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    if ((rc = sm_outfile_open(&of, path, err)) != 0) goto out;
    f = of.f;
    fputs("{\n  \"format\": \"soundmatch results 1\",\n  \"soundmatch\": {\"version\": ", f);
    sm_json_put_string(f, PACKAGE_VERSION);
    fputs(", \"commit\": ", f);
    sm_json_put_string(f, SM_GIT_COMMIT[0] ? SM_GIT_COMMIT : NULL);
    fputs("},\n  \"host\": {\"cpu_model\": ", f);
    sm_json_put_string(f, cpu);
    fprintf(f, ", \"cpus\": %ld},\n  \"threads\": %d,\n  \"date\": ",
            sysconf(_SC_NPROCESSORS_ONLN), threads);
    sm_json_put_string(f, date);
    fputs(",\n  \"wall_s\": {\"command\": ", f);
    put_json_num(f, m ? m->elapsed_s : NAN);
    fputs(", \"runs_total\": ", f);
    put_json_num(f, sum);
    fputs(", \"run_min\": ", f);
    put_json_num(f, mn);
    fputs(", \"run_median\": ", f);
    put_json_num(f, med);
    fputs(", \"run_max\": ", f);
    put_json_num(f, mx);
    fprintf(f, "},\n  \"n_runs\": %zu,\n  \"experiment\": {\"name\": ", c.n_rows);
    sm_json_put_string(f, e->name);
    fputs(", \"description\": ", f);
    sm_json_put_string(f, e->description);
    fputs(", \"file\": \"experiment.ini\", \"source\": ", f);
    sm_json_put_string(f, e->path);
    fprintf(f, ", \"fingerprint\": \"fnv1a64:%016" PRIx64 "\", \"synth\": ", e->fingerprint);
    sm_json_put_string(f, e->synth->name);
    fputs(", \"patch_ext\": ", f);
    sm_json_put_string(f, e->synth->patch_ext);
    fputs(", \"cost\": ", f);
    sm_json_put_string(f, cost);
    fprintf(f, ", \"budget\": %zu, \"seeds\": [", e->budget);
    for (i = 0; i < e->n_seeds; i++) fprintf(f, "%s%" PRIu64, i ? ", " : "", e->seeds[i]);
    fputs("]},\n  \"targets\": [", f);
    for (i = 0; i < e->n_targets; i++) {
        fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
        sm_json_put_string(f, e->targets[i].name);
        fputs(", \"variant\": ", f);
        sm_json_put_string(f, e->variants[e->targets[i].variant].name);
        fputs(", \"notes\": ", f);
        sm_json_put_string(f, m && m->target_notes && m->target_notes[i] &&
                                      *m->target_notes[i] ? m->target_notes[i] : NULL);
        fputs("}", f);
    }
    fputs("\n  ],\n  \"optimizers\": [", f);
    for (i = 0; i < e->n_opt; i++) {
        fputs(i ? ", {\"name\": " : "{\"name\": ", f);
        sm_json_put_string(f, e->opt[i].name);
        fputs(", \"type\": ", f);
        sm_json_put_string(f, e->opt[i].type->name);
        fputs("}", f);
    }
    fputs("],\n  \"runs\": [", f);
    for (r = 0; r < c.n_rows && ct >= 0 && co >= 0 && cs >= 0; r++) {
        fputs(r ? ",\n    {\"target\": " : "\n    {\"target\": ", f);
        sm_json_put_string(f, c.cell[r][ct]);
        fputs(", \"optimizer\": ", f);
        sm_json_put_string(f, c.cell[r][co]);
        fprintf(f, ", \"seed\": %s, \"evals\": %s, \"wall_s\": %s}", c.cell[r][cs],
                ce >= 0 && *c.cell[r][ce] ? c.cell[r][ce] : "null",
                cw >= 0 && *c.cell[r][cw] ? c.cell[r][cw] : "null");
    }
    fputs(c.n_rows ? "\n  ]\n}\n" : "]\n}\n", f);
    rc = sm_outfile_commit(&of, err);
out:
    sm_csv_free(&c);
    free(csv_path);
    free(path);
    return rc;
}
