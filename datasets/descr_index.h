/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/descr_index.h: an index of rendered patches by their seven sound descriptors
 * (features/features.h), to find in milliseconds the patches whose descriptors lie nearest
 * the ones a user asks for: the start points of `soundmatch design` and `morph`.
 *
 * An index holds the patches of some patch files (Microtonic presets for drum, DX7 banks or
 * voices31380.bin for fm6: whatever the synth's patch_load_all reads), every `every`-th of
 * them, plus n_random patches drawn uniformly in the synth's normalized coordinates from
 * `seed`. Each is rendered once with the config's note (on OpenMP threads, one synth state and
 * one descriptor plan a thread) and its pooled descriptors kept; a patch whose render is
 * silent or fails is SILENT and never returned.
 *
 * The cache: one file per configuration, "descr-SYNTH-KEY.smdi" in the cache folder (the
 * config's, else $XDG_CACHE_HOME/soundmatch, else $HOME/.cache/soundmatch), whose header
 * holds a magic, the format version, a 64-bit key hashed from everything the values depend
 * on (the synth's name and parameters, the patch files' bytes, every, n_random, seed, the note
 * and rate) and a hash of the payload. On load, the first patch that sounds is rendered again
 * and must give the stored values exactly (so a changed synth rebuilds the file). A file that
 * does not match, is truncated or corrupt is rebuilt and rewritten all-or-nothing; without a
 * usable folder the index works without a cache and says so through its progress callback
 * (`what` starting with "warning:").
 *
 * Threads: an index is read-only once opened, so queries may run concurrently. */
#ifndef SM_DATASETS_DESCR_INDEX_H
#define SM_DATASETS_DESCR_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "features/features.h"
#include "synths/synth.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SM_DINDEX_MAX_FILES 8
#define SM_DINDEX_FORMAT_VERSION 1

typedef struct {
    const sm_synth_type *synth;                      /* required */
    const char *patch_files[SM_DINDEX_MAX_FILES];    /* copied at open; default none */
    size_t n_patch_files;
    size_t every;          /* keep every every-th patch of the files (default 1) */
    size_t n_random;       /* random patches added (default 0) */
    uint64_t seed;         /* of the random patches (default 1) */
    double sample_rate;    /* Hz (default 44100) */
    sm_note note;          /* what each patch plays (default sm_note_default(); length_s is
                              the render length) */
    const char *cache_dir; /* NULL: $XDG_CACHE_HOME/soundmatch, else $HOME/.cache/soundmatch */
    int no_cache;          /* 1: neither read nor write a cache (default 0) */
    int threads;           /* OpenMP threads for a build; 0 (default): OpenMP's default */
    /* Progress of a build, on the calling thread; warnings as "warning: ..." with done =
     * total = 0. NULL: silent. */
    void (*progress)(void *ctx, const char *what, size_t done, size_t total);
    void *progress_ctx;
} sm_dindex_config;

/* The defaults above for synth. Cannot fail. */
sm_dindex_config sm_dindex_config_default(const sm_synth_type *synth);
/* Returns 0, SM_ERR_ARG (c NULL) or SM_ERR_CONFIG naming the field: no synth, a NULL or
 * too many patch files, files for a synth without patch_load_all, neither files nor random
 * patches, every 0, more than 10 million patches, a bad rate, note, velocity, gate or length
 * (0.05 to 30 s), threads out of range. */
int sm_dindex_config_check(const sm_dindex_config *c, sm_error *err);

typedef struct sm_dindex sm_dindex;

/* Loads the patches, then loads the index from its cache or renders it (and writes the
 * cache). The caller owns the result (sm_dindex_free). Returns NULL with err set:
 * SM_ERR_CONFIG, SM_ERR_IO / SM_ERR_FORMAT (a patch file), SM_ERR_EMPTY (no patch sounds),
 * SM_ERR_NOMEM; nothing is leaked. */
sm_dindex *sm_dindex_open(const sm_dindex_config *c, sm_error *err);
/* Releases idx. NULL is a no-op. */
void sm_dindex_free(sm_dindex *idx);

/* Patches in the index, silent ones included (0 for NULL). */
size_t sm_dindex_count(const sm_dindex *idx);
/* Patch id's native values (synth->space->n, owned by idx), or NULL out of range. */
const double *sm_dindex_native(const sm_dindex *idx, size_t id);
/* Patch id's name: the patch's own ("SC BD Schmack") or "random N"; NULL out of range. */
const char *sm_dindex_name(const sm_dindex *idx, size_t id);
/* Patch id's descriptors (owned by idx), or NULL if it is silent or out of range. */
const sm_descr_means *sm_dindex_means(const sm_dindex *idx, size_t id);
/* 1 when the index was read from its cache file, 0 when it was rendered. */
int sm_dindex_from_cache(const sm_dindex *idx);

/* The k patches nearest goal: by sum over the given descriptors of weight[d] x
 * sm_descr_error(d) (scale: the spreads), nearest first, ties by id. ids[0..*n_found)
 * receive patch ids and dist (may be NULL) the distances. Returns 0, or SM_ERR_ARG (a NULL
 * argument, k 0, no descriptor both given and weighted). */
int sm_dindex_query(const sm_dindex *idx, const sm_descr_goal *goal,
                    const double weight[SM_D_COUNT], const double scale[SM_D_COUNT], size_t k,
                    size_t *ids, double *dist, size_t *n_found, sm_error *err);

/* The descriptors of one patch rendered as the index renders (a helper for callers that
 * need the same measurement): renders native with synth at sample_rate, note, and describes
 * it. *audio (may be NULL) receives the render (free()), *n its samples. Returns 0, an
 * error of the render, SM_ERR_EMPTY for silence, SM_ERR_NOMEM. */
int sm_dindex_describe_patch(const sm_synth_type *synth, double sample_rate,
                             const sm_note *note, const double *native, sm_descr_means *out,
                             float **audio, size_t *n, sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
