/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_load.h: what reading run folders (experiments/report_load.c) and writing
 * their merge (experiments/report_merge.c) share; internal to the report. */
#ifndef SM_REPORT_LOAD_H
#define SM_REPORT_LOAD_H

#include <stddef.h>
#include "experiments/report_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One run folder, read. */
typedef struct {
    const char *dir;
    char *fingerprint;     /* "fnv1a64:..." or "" */
    size_t partial;        /* without results.csv: the runs found finished (else 0) */
    sm_json *json;         /* results.json, or NULL for folders made before it existed */
    sm_csv csv;
    char *ini;             /* experiment.ini's text, or NULL */
    int c_target, c_opt, c_seed, c_variant, c_cost, c_evals, c_wall, c_nonfin, c_perr,
        c_thresh, c_logmel, c_loud;
} source;

/* One run, placed in the experiment's order. */
typedef struct {
    size_t src, row, ti, oi;
    double si;             /* the seed's place in the experiment's seed list */
} run_ref;

typedef struct {
    const char **names;
    size_t n, cap;
} name_list;

typedef struct {
    source *src;
    size_t n_src;
    run_ref *ref;
    size_t n_ref;
    name_list targets, opts;
    sm_run_result *runs;
    char **labels, **paths;        /* owned strings the runs point to */
    size_t n_paths;
    size_t **trace_e;
    double **trace_c;
    double **trace_s;
    sm_report_meta *meta;
} loader;

/* Field col of row `row` of a folder's results.csv ("" for a missing column). */
const char *sm_report_load_cell(const source *s, size_t row, int col);

/* ---- report_runfiles.c ---- */
/* Reads a run's result.txt (key=value lines, 17 digits) into r's numbers; fields it lacks
 * stay as they were. A file that cannot be read changes nothing. */
void sm_report_read_result_txt(const char *path, sm_run_result *r);
/* trace.csv ("evals,best_cost,seconds" rows) into new arrays *e, *c, *s of *n points (0 points
 * if it cannot be read; *s NULL when a row has no seconds, as in files of older versions).
 * Returns 0 or SM_ERR_NOMEM. */
int sm_report_read_trace_csv(const char *path, size_t **e, double **c, double **s, size_t *n);
/* The rows of a folder without results.csv, from the checkpoints under runs/ (s->partial
 * receives their count). Returns 0, SM_ERR_IO (no finished run) or SM_ERR_NOMEM. */
int sm_report_rows_from_checkpoints(source *s, sm_error *err);

/* ---- report_merge.c ---- */
/* Makes out a run folder of the merged runs: results.csv, results.json, experiment.ini,
 * fingerprint.txt, targets/ and runs/. Returns 0, SM_ERR_FORMAT (the folders' results.csv
 * have different columns), SM_ERR_IO or SM_ERR_NOMEM. */
int sm_report_write_merged(const loader *L, const char *out, sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
