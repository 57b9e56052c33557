/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/checkpoint.c: the files that let an experiment resume (see runner.h): each
 * run's trace.csv and result.txt (its checkpoint, written last), the folder's fingerprint, and
 * results.csv. */
#include "experiments/runner_internal.h"
#include "core/fileio.h"
#include "experiments/report_load.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int sm_ckpt_write_trace(const char *path, const run_record *r, sm_error *err)
{
    sm_outfile of;
    size_t i;
    int rc = sm_outfile_open(&of, path, err);
    if (rc) return rc;
    fprintf(of.f, "evals,best_cost,seconds\n");
    for (i = 0; i < r->n_trace; i++)
        fprintf(of.f, "%zu,%.17g,%.6f\n", r->trace_evals[i], r->trace_cost[i],
                r->trace_secs ? r->trace_secs[i] : NAN);
    return sm_outfile_commit(&of, err);
}

int sm_ckpt_read_trace(const char *path, run_record *r)
{
    size_t *e, n, i;
    double *c, *secs;
    int rc = sm_report_read_trace_csv(path, &e, &c, &secs, &n);
    if (rc == 0 && n && !secs) { /* a file of an older version: its seconds are not known */
        if ((secs = malloc(n * sizeof *secs)) != NULL)
            for (i = 0; i < n; i++) secs[i] = NAN;
        else rc = SM_ERR_NOMEM;
    }
    if (rc) {
        free(e);
        free(c);
        free(secs);
        return rc;
    }
    free(r->trace_evals);
    free(r->trace_cost);
    free(r->trace_secs);
    r->trace_evals = e;
    r->trace_cost = c;
    r->trace_secs = secs;
    r->n_trace = n;
    return 0;
}

int sm_ckpt_write_result(const char *path, const sm_experiment *e, const run_record *r,
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

int sm_ckpt_read_result(const char *path, run_record *r)
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

/* Refuses to mix results of two different experiments in one folder. */
int sm_ckpt_check_fingerprint(const sm_experiment *e, const char *dir, int fresh, sm_error *err)
{
    char *p = sm_runner_path("%s/fingerprint.txt", dir), buf[64];
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
        char *copy = sm_runner_path("%s/experiment.ini", dir);
        if (!copy) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        rc = sm_write_file(copy, e->text, strlen(e->text), err);
        free(copy);
    }
    return rc;
}

int sm_ckpt_write_results_csv(const sm_experiment *e, const char *dir, const run_record *recs,
                             size_t n, const prepared_target *pts, sm_error *err)
{
    char *p = sm_runner_path("%s/results.csv", dir);
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
