/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/voice_kinds.h: kinds of voices (pad, keys, bass, lead, bell, perc, fx): what a
 * voice's name says it is, a classifier that tells the kind from the sound's descriptors
 * (datasets/voice_sound.h), and DX7-style random names for a kind.
 *
 * The classifier is regularised discriminant analysis (Friedman, "Regularized discriminant
 * analysis", JASA 84(405), 1989): each kind is a Gaussian over the SM_VOICE_NFEAT features,
 * with its own mean and a covariance shrunk toward the pooled one,
 * S_k(alpha) = (1 - alpha) S_k + alpha S_pooled; equal priors; a voice goes to the kind of
 * highest likelihood. It is fitted on human voices whose names say their kind. */
#ifndef SM_DATASETS_VOICE_KINDS_H
#define SM_DATASETS_VOICE_KINDS_H

#include <stddef.h>
#include "core/error.h"
#include "core/rng.h"
#include "datasets/banks.h"
#include "datasets/voice_sound.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SM_KIND_PAD = 0,
    SM_KIND_KEYS,
    SM_KIND_BASS,
    SM_KIND_LEAD,
    SM_KIND_BELL,
    SM_KIND_PERC,
    SM_KIND_FX,
    SM_KIND_N
};
#define SM_KIND_NONE (-1)   /* a name that says no kind */
#define SM_KIND_MANY (-2)   /* a name that says several ("BASS+PAD") */

/* "pad", "keys", "bass", "lead", "bell", "perc", "fx"; "any" for SM_KIND_NONE; "?" else. */
const char *sm_kind_name(int kind);
/* The kind called name (case-insensitive), or SM_KIND_NONE. */
int sm_kind_find(const char *name);
/* 1 for the kinds played as notes of a pitch (pad, keys, bass, lead), else 0. */
int sm_kind_pitched(int kind);

/* The kind a voice name says, from the words in it (rules in datasets/voice_kinds.c:
 * "STRINGS" and "PAD" say pad, "E.PIANO" and "CLAV" keys, "SYNBASS" bass, "COWBELL" perc, ...):
 * a kind, SM_KIND_NONE or SM_KIND_MANY. NULL gives SM_KIND_NONE. */
int sm_kind_of_name(const char *voice_name);

typedef struct {
    double alpha;                                        /* shrinkage toward the pooled S */
    size_t n_train[SM_KIND_N];
    double mean[SM_KIND_N][SM_VOICE_NFEAT];
    double prec[SM_KIND_N][SM_VOICE_NFEAT * SM_VOICE_NFEAT];  /* inverse covariance */
    double logdet[SM_KIND_N];                            /* log det of the covariance */
} sm_kind_classifier;

/* Fits c to n voices: feat (n rows of SM_VOICE_NFEAT, from sm_voice_features) and label (a
 * kind, or anything else for a voice left out). alpha in [0, 1]. Every kind needs at least
 * SM_VOICE_NFEAT + 1 voices. Returns 0, SM_ERR_ARG, SM_ERR_RANGE (alpha), SM_ERR_EMPTY (a
 * kind with too few voices, named), SM_ERR_NONFINITE or SM_ERR_UNSUPPORTED (a covariance
 * that is not positive definite). */
int sm_kind_classifier_fit(sm_kind_classifier *c, const double *feat, const int *label,
                           size_t n, double alpha, sm_error *err);
/* The kind of the voice with features feat; posterior (may be NULL: SM_KIND_N values)
 * receives the kinds' posterior probabilities under equal priors. */
int sm_kind_classify(const sm_kind_classifier *c, const double feat[SM_VOICE_NFEAT],
                     double *posterior);

/* Two-fold cross-validation of the classifier on labelled voices (as for fit): voices with an
 * even index train it to classify those with an odd one and the other way round.
 * confusion[true * SM_KIND_N + predicted] receives the counts over both folds. Returns 0 or
 * an error of sm_kind_classifier_fit. */
int sm_kind_cross_validate(const double *feat, const int *label, size_t n, double alpha,
                           size_t confusion[SM_KIND_N * SM_KIND_N], sm_error *err);

/* A DX7-style name for a voice of the kind (SM_KIND_NONE: any): a word for the sound and a
 * word for the kind ("GLASS BELL", "FAT BASS", "SOFT PAD"), or the kind's word and a
 * number ("E.PIANO 7"), at most 10 characters, drawn from rng. Unique within a bank only with
 * sm_bank_unique_name. */
void sm_kind_random_name(int kind, sm_rng *rng, sm_voice_name out);

#ifdef __cplusplus
}
#endif

#endif
