/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/timbre_internal.h: the timbre model's layout, shared by datasets/timbre.c (build,
 * cache, projection) and datasets/generate.c (new voices). Not installed. */
#ifndef SM_DATASETS_TIMBRE_INTERNAL_H
#define SM_DATASETS_TIMBRE_INTERNAL_H

#include "datasets/timbre.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TIMBRE_PACKED_BYTES 118   /* the packed voice without its name */

struct sm_timbre {
    sm_timbre_config cfg;
    char *voices_file;
    char *cache_dir;              /* NULL without a cache */
    uint64_t voices_hash;
    uint64_t code_hash;           /* the encoding and descriptors of a reference voice */
    size_t n, q, k;
    double *native;               /* n x SM_FM6_NPARAMS */
    sm_voice_name *names;         /* n */
    unsigned char *packed;        /* n x TIMBRE_PACKED_BYTES */
    /* PCA */
    double mean[SM_TIMBRE_DIM];
    double eig[SM_TIMBRE_DIM];    /* every eigenvalue, largest first */
    double total;                 /* total variance */
    double *comp;                 /* DIM x DIM, row-major (value, component): every component,
                                     the first q of them kept for sampling */
    double *sd;                   /* DIM: spread of the voices along each component */
    /* clusters */
    double *centroids;            /* k x q */
    double *chol;                 /* k x q x q: lower Cholesky factor of each covariance */
    float *scores;                /* n x q */
    int32_t *assign;              /* n */
    /* sounds and kinds */
    sm_voice_descr *descr;        /* n */
    signed char *name_kind;       /* n */
    signed char *kind;            /* n */
    unsigned char *garbage;       /* n */
    sm_kind_classifier classifier;
    sm_timbre_info info;
};

/* The packed bytes of native (names aside) into out (TIMBRE_PACKED_BYTES). */
void sm_timbre_packed_bytes(const double *native, unsigned char *out);

#ifdef __cplusplus
}
#endif

#endif
