/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_runfiles.c: the files of the runs of a run folder, for the report (see
 * experiments/report_load.h): a run's checkpoint result.txt and its trace.csv, and, for a
 * folder whose run is still going (no results.csv yet), rows made from the checkpoints of the
 * runs finished so far. */
#include "experiments/report_load.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"

void sm_report_read_result_txt(const char *path, sm_run_result *r)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "final_cost=%lf", &r->final_cost);
        sscanf(line, "evals=%zu", &r->evals);
        sscanf(line, "wall_s=%lf", &r->wall_s);
        sscanf(line, "n_nonfinite=%zu", &r->n_nonfinite);
        sscanf(line, "param_error=%lf", &r->param_error);
        sscanf(line, "logmel_db=%lf", &r->logmel_db);
        sscanf(line, "loudness_db=%lf", &r->loudness_db);
    }
    fclose(f);
}

/* trace.csv ("evals,best_cost,seconds" rows) into new arrays; 0 points if it cannot be read,
 * no seconds if a row lacks them. */
int sm_report_read_trace_csv(const char *path, size_t **e, double **c, double **s, size_t *n)
{
    FILE *f = fopen(path, "r");
    char line[256];
    size_t cap = 0;
    int timed = 1;
    *e = NULL;
    *c = NULL;
    *s = NULL;
    *n = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        size_t ev;
        double cost, secs = NAN;
        int got = sscanf(line, "%zu,%lf,%lf", &ev, &cost, &secs);
        if (got < 2) continue;
        if (got < 3 || !(secs >= 0)) timed = 0;
        if (*n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            size_t *ne = realloc(*e, nc * sizeof *ne);
            double *ncost, *nsecs;
            if (ne) *e = ne;
            ncost = ne ? realloc(*c, nc * sizeof *ncost) : NULL;
            if (ncost) *c = ncost;
            nsecs = ncost ? realloc(*s, nc * sizeof *nsecs) : NULL;
            if (!nsecs) {
                fclose(f);
                return SM_ERR_NOMEM;
            }
            *s = nsecs;
            cap = nc;
        }
        (*e)[*n] = ev;
        (*c)[*n] = cost;
        (*s)[*n] = secs;
        (*n)++;
    }
    fclose(f);
    if (!timed || !*n) {
        free(*s);
        *s = NULL;
    }
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    /* "seed10" after "seed9": shorter names first, then by text */
    if (strlen(x) != strlen(y)) return strlen(x) < strlen(y) ? -1 : 1;
    return strcmp(x, y);
}

/* The entries of folder path that are folders, sorted (names a new array of new strings). */
static size_t sub_folders(const char *path, char ***names)
{
    DIR *d = opendir(path);
    struct dirent *e;
    size_t n = 0, cap = 0;
    *names = NULL;
    if (!d) return 0;
    while ((e = readdir(d))) {
        char *full;
        int empty;
        if (e->d_name[0] == '.') continue;
        if (asprintf(&full, "%s/%s", path, e->d_name) < 0) continue;
        if (sm_dir_exists(full, &empty)) {
            if (n == cap) {
                char **nn = realloc(*names, (cap = cap ? 2 * cap : 16) * sizeof *nn);
                if (!nn) {
                    free(full);
                    break;
                }
                *names = nn;
            }
            (*names)[n] = strdup(e->d_name);
            if ((*names)[n]) n++;
        }
        free(full);
    }
    closedir(d);
    if (n) qsort(*names, n, sizeof **names, cmp_name);
    return n;
}

static void free_names(char **names, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* A run folder whose runs are still going (or were stopped) has no results.csv yet: its rows
 * are made from the checkpoints of the runs finished so far (runs/T/O/seedN/result.txt), in
 * the order of the folders' names. */
int sm_report_rows_from_checkpoints(source *s, sm_error *err)
{
    char *runs = sm_path_join(s->dir, "runs"), **t = NULL, *text = NULL;
    size_t nt = sub_folders(runs, &t), i, j, k, len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!runs || !mem) {
        free(runs);
        free_names(t, nt);
        if (mem) fclose(mem);
        free(text);
        return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    }
    fputs("target,optimizer,seed,final_cost,evals,wall_s,n_nonfinite,param_error,logmel_db,"
          "loudness_db\n", mem);
    for (i = 0; i < nt; i++) {
        char *tp, **o = NULL;
        size_t no = 0;
        if (asprintf(&tp, "%s/%s", runs, t[i]) < 0) continue;
        no = sub_folders(tp, &o);
        for (j = 0; j < no; j++) {
            char *op, **sd = NULL;
            size_t ns = 0;
            if (asprintf(&op, "%s/%s", tp, o[j]) < 0) continue;
            ns = sub_folders(op, &sd);
            for (k = 0; k < ns; k++) {
                sm_run_result r;
                char *rp;
                if (strncmp(sd[k], "seed", 4) != 0) continue;
                if (asprintf(&rp, "%s/%s/result.txt", op, sd[k]) < 0) continue;
                memset(&r, 0, sizeof r);
                r.final_cost = r.wall_s = r.param_error = r.logmel_db = r.loudness_db = NAN;
                if (access(rp, R_OK) == 0) {
                    sm_report_read_result_txt(rp, &r);
                    fprintf(mem, "%s,%s,%s,%.17g,%zu,%.6f,%zu,%.17g,%.17g,%.17g\n", t[i], o[j],
                            sd[k] + 4, r.final_cost, r.evals, r.wall_s, r.n_nonfinite,
                            r.param_error, r.logmel_db, r.loudness_db);
                    s->partial++;
                }
                free(rp);
            }
            free_names(sd, ns);
            free(op);
        }
        free_names(o, no);
        free(tp);
    }
    free_names(t, nt);
    free(runs);
    if (fclose(mem) != 0 || !text) {
        free(text);
        return sm_error_set(err, SM_ERR_NOMEM, "report: out of memory");
    }
    if (!s->partial) {
        free(text);
        return sm_error_set(err, SM_ERR_IO, "%s has no results.csv and no finished run: is it "
                                            "the output folder of soundmatch run?", s->dir);
    }
    return sm_csv_parse(text, s->dir, &s->csv, err);
}

