/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/design.h: sound design by descriptors: find a synth patch whose sound has the
 * seven sound descriptors asked for (features/features.h), and morph between two sounds.
 *
 * Design: the patches of a descriptor index (datasets/descr_index.h) nearest the goal are the
 * start points of a short search (successive halving over them, each refined by a separable
 * CMA-ES: search/halving.c) whose cost is the descriptor term of features/descr_cost.c: each
 * descriptor's error over its published spread, weighted. The search stops when its budget is
 * spent or when every weighted descriptor lies within `stop_error` of the goal.
 *
 * Morph: N steps from sound A to sound B. By descriptors, step k is designed for the goal
 * (1 - a) A + a B in comparison units, a = k / (N - 1), starting from the index and from the
 * step before (Neurorack's merge of two impacts). By parameters, the patches of A and B are
 * interpolated: every continuous and integer parameter linearly in the synth's normalized
 * coordinates (so geometrically where the synth's scale is logarithmic; integers rounded),
 * every enumerated or structural parameter on which they differ set, at each step, to the
 * value of A or of B whose sound lies nearer that step's interpolated descriptors (each such
 * parameter in turn, in parameter order). A recording has no patch: by parameters it is first
 * designed by descriptors. */
#ifndef SM_DESIGN_H
#define SM_DESIGN_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "datasets/descr_index.h"
#include "features/features.h"
#include "synths/synth.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const sm_synth_type *synth;     /* required */
    const sm_dindex *index;         /* required: the start points' source */
    double sample_rate;             /* Hz (default 44100) */
    sm_note note;                   /* what the patch plays; length_s is the render length
                                       (default: sm_design_note(synth)) */
    double weight[SM_D_COUNT];      /* of each descriptor (default 1 each) */
    double traj_weight;             /* of the trajectories when a recording is given (0) */
    double scale[SM_D_COUNT];       /* spreads (default sm_descr_scales(synth->name)) */
    size_t budget;                  /* evaluations at most (default 3000 for drum, 10000
                                       for others) */
    size_t starts;                  /* index patches the search starts from (default 16) */
    double sigma;                   /* the search's first step, in [0,1] units (default 0.1) */
    double stop_error;              /* stop when every weighted error is below (0.05) */
    uint64_t seed;                  /* of the search (default 1) */
    int threads;                    /* evaluator threads (0: OpenMP's default) */
    /* Called after each batch: evaluations done of the budget and the best cost. NULL: none. */
    void (*progress)(void *ctx, size_t done, size_t budget, double best);
    void *progress_ctx;
} sm_design_config;

/* The note a synth is designed with: drum velocity 127 and 1 s (as ../shared/MEASURES.md
 * plays drum patches), other synths MIDI 60, velocity 100, key held 1 s of 1.5 s. */
sm_note sm_design_note(const sm_synth_type *synth);
/* The defaults above for synth and index. Cannot fail. */
sm_design_config sm_design_config_default(const sm_synth_type *synth, const sm_dindex *index);
/* Returns 0, SM_ERR_ARG (NULL c) or SM_ERR_CONFIG naming the field (no synth or index, an
 * index of another synth, a bad rate or note, a weight or scale out of range, budget 0,
 * starts 0, stop_error negative). */
int sm_design_config_check(const sm_design_config *c, sm_error *err);

typedef struct {
    double *native;                 /* synth->space->n values (owned) */
    sm_descr_means got;             /* the design's descriptors */
    double error[SM_D_COUNT];       /* normalised errors against the goal; NAN if not asked */
    double cost;                    /* the search's best cost */
    size_t evals;                   /* evaluations spent */
    double seconds;                 /* wall time of the search */
    char start[64];                 /* the index patch the best point's arm started from */
    float *audio;                   /* the design rendered (owned), n samples */
    size_t n;
} sm_design_result;

/* Designs a patch for goal (the descriptors it gives; a recording's trajectories, when rec is
 * given and c->traj_weight > 0, rec_n samples from its onset at c->sample_rate). The length
 * rendered is c->note.length_s. A goal without loudness holds it at -20 dBFS with a quarter
 * of its weight (left free, a search turns sounds down: a near-silent sound reads as noisy
 * and unpitched by librosa's floors); its error is not reported. Fills *out (zeroed first; free with sm_design_result_free).
 * extra_starts (may be NULL): n_extra native vectors tried before the index's. Returns 0,
 * SM_ERR_CONFIG, SM_ERR_ARG (no descriptor both given and weighted), SM_ERR_EMPTY (a silent
 * recording), SM_ERR_NOMEM, with a sentence in err. Same seed, same result at any thread
 * count. */
int sm_design_run(const sm_design_config *c, const sm_descr_goal *goal, const float *rec,
                  size_t rec_n, const double *extra_starts, size_t n_extra,
                  sm_design_result *out, sm_error *err);
void sm_design_result_free(sm_design_result *r);

/* Removes DC and infrasonic drift from x in place: the one-pole DC blocker y[i] = x[i] -
 * x[i-1] + R y[i-1], R = exp(-2 pi 20 Hz / sample_rate), -3 dB at about 20 Hz (J. O. Smith,
 * "Introduction to Digital Filters", section "DC Blocker"). Recordings often carry an offset
 * that no speaker plays but that RMS and the zero-crossing rate read: the TR-808 samples of
 * Debian's hydrogen-data carry up to 0.1 (a cymbal whose crossings stop once it decays below
 * its offset); the drum voice has such a blocker of its own. */
void sm_design_remove_dc(float *x, size_t n, double sample_rate);

/* A recording prepared as a design or morph target: read at sample_rate, mixed to mono,
 * its DC removed (sm_design_remove_dc), what comes before its onset (features/analysis.c)
 * dropped, and cut at max_s. *x (free()) and *n receive it, *onset_s (may be NULL) the
 * seconds dropped. Returns 0, or an error of the audio reader or the analysis (SM_ERR_EMPTY
 * for a silent file), naming the file. */
int sm_design_read_target(const char *path, double sample_rate, double max_s, float **x,
                          size_t *n, double *onset_s, sm_error *err);

/* ---- Morph ---------------------------------------------------------------------------- */
typedef enum { SM_MORPH_DESCRIPTORS = 1, SM_MORPH_PARAMETERS = 2 } sm_morph_mode;

/* One end of a morph: a sound's descriptors and, for a patch, its native values. */
typedef struct {
    sm_descr_means means;
    const double *native;           /* synth->space->n values, or NULL for a recording */
    const float *audio;             /* the end's sound (for its trajectories), or NULL */
    size_t n;
} sm_morph_end;

typedef struct {
    double *native;                 /* n_steps x synth->space->n */
    sm_descr_means *got;            /* n_steps */
    sm_descr_means *want;           /* n_steps: the linear interpolation of the ends */
    double *error;                  /* n_steps x SM_D_COUNT: |got - want| / spread; NAN
                                       where the pitch of `want` is undefined */
    float **audio;                  /* n_steps renders of n samples each */
    size_t n, n_steps;
    double seconds;
    size_t evals;
} sm_morph_result;

/* Interpolated descriptors a of the way from a to b (comparison units): pitch interpolates
 * when both are pitched; otherwise it is a's below a = 0.5 and b's from there. */
void sm_morph_interpolate(const sm_descr_means *a, const sm_descr_means *b, double t,
                          sm_descr_means *out);
/* Runs a morph of n_steps (2..64) in one mode with c's search settings (each step's design
 * gets c->budget). Fills *out (free with sm_morph_result_free). Returns 0, SM_ERR_ARG (bad
 * steps or mode), or an error of sm_design_run, with a sentence in err. */
int sm_morph_run(const sm_design_config *c, const sm_morph_end *a, const sm_morph_end *b,
                 size_t n_steps, sm_morph_mode mode, sm_morph_result *out, sm_error *err);
void sm_morph_result_free(sm_morph_result *r);

#ifdef __cplusplus
}
#endif

#endif
