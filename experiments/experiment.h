/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/experiment.h: experiment files (INI) and what they describe.
 *
 * An experiment names targets (audio files, a folder, patches, or a synthetic set rendered by
 * the synth from random parameters so the truth is known), a synth with its frozen
 * parameters and note, a cost, one section per optimizer, the budget, seeds and threads, and
 * the report folder. Loading checks everything up front, so a bad file fails in a second
 * with file:line and what is wrong. The format is documented in experiments/README.md. */
#ifndef SM_EXPERIMENT_H
#define SM_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "core/params.h"
#include "features/features.h"
#include "search/optimizer.h"
#include "synths/synth.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An experiment, as loaded and checked from its file. Library users hold it opaque: load it,
 * run it (runner.h), ask what it holds, free it. */
typedef struct sm_experiment sm_experiment;

/* Loads and checks an experiment file. NULL with err naming file:line on failure. */
sm_experiment *sm_experiment_load(const char *path, sm_error *err);
/* The same from text; path names it in messages and anchors relative paths. */
sm_experiment *sm_experiment_parse(const char *text, const char *path, sm_error *err);
void sm_experiment_free(sm_experiment *e);

/* The experiment's name ([experiment] name, else the file's name without .ini). */
const char *sm_experiment_name(const sm_experiment *e);
/* The runs it makes: targets x optimizers x seeds. */
size_t sm_experiment_n_runs(const sm_experiment *e);
/* Where its results go unless the caller says otherwise ([report] dir, else report/NAME). */
const char *sm_experiment_report_dir(const sm_experiment *e);

/* The most seeds (runs of each optimizer on each target) a seed list may name, and the
 * largest seed: 2^53 - 1, so that results.csv reads back exactly in tools that hold every
 * number as a double (R, spreadsheets, JavaScript). */
#define SM_MAX_SEEDS 10000
#define SM_MAX_SEED 9007199254740991ULL

/* Parses "1,2,5-7" (whole numbers 0..SM_MAX_SEED) into a new array. Returns 0, SM_ERR_FORMAT
 * (not such a list, or a range that runs backwards), SM_ERR_RANGE (a number above
 * SM_MAX_SEED, or more than SM_MAX_SEEDS seeds in all) or SM_ERR_NOMEM. */
int sm_parse_seed_list(const char *text, uint64_t **seeds, size_t *n);

#ifdef SM_INTERNAL
/* The experiment's contents, for the runner, the report and the program (the project builds
 * with SM_INTERNAL; the installed header leaves this part out). */

typedef struct {
    char *name;                     /* the section's name: "ga" in [optimizer ga] */
    const sm_optimizer_type *type;  /* from `type =`, else the name */
    sm_opt_setting *settings;       /* owned; the side-data keys below removed */
    size_t n_settings;
    /* Side data (type->side, search/optimizer.h), else unused: */
    sm_opt_setting *side_settings;  /* owned; the model's keys (pcakm: clusters) */
    size_t n_side_settings;
    size_t dataset_size;            /* patches rendered for the model (`dataset_size`, 2000) */
    char *dataset;                  /* `dataset`: a patch file, or NULL for random points */
} sm_exp_optimizer;

typedef struct {
    char *name;       /* unique, file-name safe */
    char *path;       /* audio file, or NULL when rendered from truth */
    double *truth;    /* native values of the full space (rendered targets), or NULL */
    size_t variant;   /* which variant's free parameters are searched for it */
    unsigned redraws; /* synthetic targets: silent patches drawn and replaced before this one */
    const sm_descr_goal *goal;  /* [target] descriptors: values that replace the target's own
                                   (or, without path and truth, the whole target); NULL: none.
                                   Owned by the experiment (its `goal`). */
} sm_exp_target;

/* A variant: the same synth with other parameters free ([variant NAME] sections). Without
 * such sections there is one variant, named "", whose view is the experiment's. */
typedef struct {
    char *name;
    sm_param_view *view;   /* owned, except for the implicit variant (the experiment's view) */
} sm_exp_variant;

/* [run] distribute: how the ranks of an MPI job share the work (README, "Running on a
 * cluster"). Results do not depend on it. */
typedef enum {
    SM_DISTRIBUTE_RUNS = 0,       /* each rank does whole runs, handed out as ranks finish */
    SM_DISTRIBUTE_POPULATION = 1  /* runs one after another, each batch spread over the ranks */
} sm_distribute;

struct sm_experiment {
    char *path;                 /* the .ini file */
    char *dir;                  /* its folder: relative paths in it start here */
    char *name;
    char *description;
    uint64_t fingerprint;       /* hash of the file's text, to refuse resuming another experiment */
    char *text;                 /* the file's text, copied into the output folder */
    /* [target] */
    sm_exp_target *targets;
    size_t n_targets;
    double sample_rate;
    /* [synth] */
    const sm_synth_type *synth;
    sm_param_view *view;        /* [synth]'s free parameters (variant 0 without variants) */
    sm_exp_variant *variants;   /* at least one */
    size_t n_variants;
    sm_note note;
    int note_auto;              /* note = auto: each target's own pitch (features/ analysis) */
    int length_auto;            /* length_s = auto: each target's own length, onset to end */
    int gate_given;             /* gate_s was set (else 0.75 x each target's length) */
    double max_length_s;        /* length_s = auto stops here (default 3 s) */
    int align_onset;            /* align = onset: drop what comes before the target's onset
                                   (default: on with length_s = auto) */
    int fit_level;              /* fit_level: after the search, fit the patch's output level
                                   to the target's (default: on with a gain-normalised cost) */
    /* [prior]: human presets as start points */
    char *prior_dataset;        /* the first patch file (voices31380.bin, a bank, .mtpreset),
                                   or NULL for no prior */
    char **prior_files;         /* every file of `dataset = A, B, ...` (at most 8) */
    size_t n_prior_files;
    size_t prior_starts;        /* start points given to each optimizer (default 32) */
    size_t prior_candidates;    /* index shortlist re-scored with the cost (default 256) */
    long exclude_near;          /* >= 0: leave out presets within that many differing
                                   parameters of a target whose patch is known; -1: off */
    /* [cost] */
    sm_cost_config cost;
    sm_descr_goal *goal;        /* [target] descriptors (owned), or NULL */
    /* [optimizer NAME] */
    sm_exp_optimizer *opt;
    size_t n_opt;
    /* [run] */
    size_t budget;
    uint64_t *seeds;
    size_t n_seeds;
    int threads;                /* 0: all cores */
    size_t batch;               /* points scored per evaluator call (not a result-changing knob) */
    sm_distribute distribute;   /* how an MPI job shares the work (one process: ignored) */
    /* [report] */
    char *report_dir;
    char *cache_dir;            /* pcakm models (default datasets/cache) */
};

/* Makes an sm_exp_optimizer for `type` with no settings (for `soundmatch match`). */
int sm_experiment_add_optimizer(sm_experiment *e, const char *name, sm_error *err);

/* Applies "glob[=value], ..." freezes and "glob, ..." frees to a view (see README). */
int sm_view_apply_free(sm_param_view *v, const char *list, sm_error *err);
int sm_view_apply_freeze(sm_param_view *v, const char *list, sm_error *err);
#endif /* SM_INTERNAL */

#ifdef __cplusplus
}
#endif

#endif
