/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/timbre.h: a timbre space of human DX7 voices, and new voices sampled from it.
 *
 * The model is built from a voices file (voices31380.bin: 31,380 human voices):
 * - every voice is encoded as SM_TIMBRE_DIM values (sm_timbre_encode): continuous parameters
 *   divided by their range (0..1); each operator's frequency as one value (the log2 of its
 *   frequency at the model's note over the note's, in either mode) with its mode, and whether
 *   its fine value is 0, as flags of their own; keyboard curves as two flags (sign,
 *   exponential); the algorithm and the LFO wave one-hot. Values that are not continuous are
 *   weighted by how much they change the sound (the weights and why are in datasets/timbre.c);
 * - PCA (core/pca.h, LAPACKE) of the encoded voices, centred, not standardised (every value
 *   already shares the 0..1 scale); the first components that explain var_frac of the
 *   variance are kept;
 * - k-means in the kept components, with each cluster's covariance there;
 * - every voice rendered and measured (datasets/voice_sound.h), its kind from its name and
 *   from the classifier (datasets/voice_kinds.h, fitted on the named voices), and its garbage
 *   reasons.
 * Building from voices31380.bin takes about 85 s of CPU (so about 45 s on two free cores; most
 * of it rendering the voices; README section "Making DX7 banks"). The
 * model is cached in the cache folder ($XDG_CACHE_HOME/soundmatch, else
 * $HOME/.cache/soundmatch, as datasets/presets.h), in one file "timbre-KEY.smtm" whose header
 * repeats everything the model depends on (format version, SM_FM6_RENDER_VERSION, a hash of
 * the voices file, the settings); a mismatch, a truncated or corrupt file is rebuilt and
 * rewritten all-or-nothing.
 *
 * Decoding (sm_timbre_decode) maps SM_TIMBRE_DIM values back to a voice and repairs the
 * discrete parameters: each rounded to its nearest allowed value, flags at 0.5, categories by
 * their largest value, frequencies to the nearest coarse and fine the DX7 has.
 *
 * A model is read-only once open: any number of threads may use it at once. */
#ifndef SM_DATASETS_TIMBRE_H
#define SM_DATASETS_TIMBRE_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "datasets/banks.h"
#include "datasets/voice_kinds.h"
#include "datasets/voice_sound.h"
#include "synths/dx7_sysex.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Values of one encoded voice. */
#define SM_TIMBRE_DIM 193
/* Version of the encoding, the model and its cache file. */
#define SM_TIMBRE_FORMAT_VERSION 1

/* ---- Encoding (no model needed) --------------------------------------------------------- */
/* Encodes SM_FM6_NPARAMS native values (synths/fm6.h) into x (SM_TIMBRE_DIM values, each in
 * 0..its weight, at most 2, for notes near MIDI 60); note is the MIDI note at which fixed
 * frequencies are read as ratios. */
void sm_timbre_encode(const double *native, double note, double *x);

/* What encoded value j (0..SM_TIMBRE_DIM-1) stands for: "op1 output level", "algorithm 5",
 * "lfo wave sine", ...; "?" out of range. Always NUL-terminates buf (len > 0). */
void sm_timbre_dim_name(int j, char *buf, size_t len);

/* How decoding treats fixed-frequency operators. */
enum {
    SM_TIMBRE_FIXED_KEEP = 0,  /* as the encoded mode flag says */
    SM_TIMBRE_FIXED_NEVER = 1, /* every operator in ratio mode, at the ratio nearest the
                                  frequency it had at the model's note */
    SM_TIMBRE_FIXED_SUBAUDIO = 2 /* fixed mode kept only below 20 Hz (a near-still operator
                                    shaped by its modulators: the key still sets the pitch);
                                    higher fixed frequencies become ratios as for NEVER */
};
/* Decodes x (SM_TIMBRE_DIM values, any real numbers) into native values, repairing every
 * discrete parameter (flags at half their weight). algorithm 1..32 forces the algorithm (0: the
 * largest of its one-hot values); fixed is SM_TIMBRE_FIXED_*. Decoding an encoded valid voice
 * gives it back, but for operators whose (coarse, fine) has another spelling of the same
 * frequency (ratio 4.2 is (3, 40) and (4, 5); a fixed coarse counts modulo 4). */
void sm_timbre_decode(const double *x, double note, int algorithm, int fixed, double *native);

/* ---- The model ---------------------------------------------------------------------------- */
typedef struct {
    const char *voices_file;  /* DX7 voices (a stream, bank or single voice file); required */
    sm_voice_render_config render;  /* how voices are rendered and measured */
    double var_frac;          /* keep the components explaining this share (default 0.9) */
    size_t components;        /* if > 0: keep exactly this many (default 0) */
    size_t clusters;          /* k-means clusters (default 64) */
    uint64_t seed;            /* k-means seeding (default 1) */
    double kind_alpha;        /* the kind classifier's shrinkage (default 0.5) */
    /* Cache folder; NULL: $XDG_CACHE_HOME/soundmatch, else $HOME/.cache/soundmatch. */
    const char *cache_dir;
    int no_cache;             /* 1: neither read nor write the cache */
    int cache_only;           /* 1: only load a cached model; open fails with SM_ERR_NOTFOUND
                                 when there is none (it builds nothing) */
    int threads;              /* OpenMP threads for the build; 0: OpenMP's default */
    /* Progress of a build, called on the calling thread (as sm_preset_index_config's):
     * what names the work, done of total; warnings as "warning: ..." with done = total = 0. */
    void (*progress)(void *ctx, const char *what, size_t done, size_t total);
    void *progress_ctx;
} sm_timbre_config;

/* The defaults above (no voices file). Cannot fail. */
sm_timbre_config sm_timbre_config_default(void);
/* Returns 0, SM_ERR_ARG or SM_ERR_CONFIG naming the field. */
int sm_timbre_config_check(const sm_timbre_config *c, sm_error *err);

typedef struct sm_timbre sm_timbre;

/* Loads the model from the cache, or builds it (and writes the cache). The caller owns it
 * (sm_timbre_free). NULL with err set: SM_ERR_CONFIG, SM_ERR_IO or SM_ERR_FORMAT (the voices
 * file), SM_ERR_EMPTY (too few voices: at least the clusters and 8 named voices of every kind),
 * SM_ERR_NOMEM, SM_ERR_UNSUPPORTED (LAPACK), SM_ERR_NOTFOUND (cache_only, and no valid cache
 * file). A cache that cannot be written is a warning. */
sm_timbre *sm_timbre_open(const sm_timbre_config *c, sm_error *err);
void sm_timbre_free(sm_timbre *m);

/* What open did. */
typedef struct {
    int loaded;          /* 1: from the cache; 0: built */
    int cache_enabled;
    double build_s;      /* wall seconds of the build (0 when loaded) */
    double pca_s;        /* of which the PCA */
    double cluster_s;    /* of which k-means and the clusters' covariances */
    double render_s;     /* of which rendering and measuring the voices */
    char cache_file[1024];  /* "" without a cache */
} sm_timbre_info;
void sm_timbre_get_info(const sm_timbre *m, sm_timbre_info *info);

/* Sizes and settings. */
size_t sm_timbre_count(const sm_timbre *m);        /* voices */
size_t sm_timbre_components(const sm_timbre *m);   /* kept components q */
size_t sm_timbre_clusters(const sm_timbre *m);
const sm_voice_render_config *sm_timbre_render_config(const sm_timbre *m);
/* Variance along component c (0..SM_TIMBRE_DIM-1, kept or not), and the total. */
double sm_timbre_variance(const sm_timbre *m, size_t c);
double sm_timbre_total_variance(const sm_timbre *m);
/* The weight of encoded value j in component c (the components are unit vectors). */
double sm_timbre_loading(const sm_timbre *m, int j, size_t c);
/* Spread (standard deviation) of the voices along component c. */
double sm_timbre_sd(const sm_timbre *m, size_t c);

/* Voice i (< count): native values, name, its sound's descriptors, cluster, the kind its name
 * says (or SM_KIND_NONE / SM_KIND_MANY), the classifier's kind, its garbage reasons (the pitch
 * test applied to voices whose name says a pitched kind). Out of range: NULL or -1 / 0. */
const double *sm_timbre_native(const sm_timbre *m, size_t i);
const char *sm_timbre_name(const sm_timbre *m, size_t i);
const sm_voice_descr *sm_timbre_descr(const sm_timbre *m, size_t i);
int sm_timbre_cluster_of(const sm_timbre *m, size_t i);
int sm_timbre_name_kind(const sm_timbre *m, size_t i);
int sm_timbre_kind(const sm_timbre *m, size_t i);
unsigned sm_timbre_garbage(const sm_timbre *m, size_t i);
/* The fitted kind classifier. */
const sm_kind_classifier *sm_timbre_classifier(const sm_timbre *m);

/* Projects a voice (native values) onto the first q_used components (0 or more than
 * SM_TIMBRE_DIM: the kept ones) into z (q_used values). */
void sm_timbre_project(const sm_timbre *m, const double *native, size_t q_used, double *z);
/* The voice at z (the first q_used component values, as for project): mean + components * z,
 * decoded as by sm_timbre_decode at the model's note. */
void sm_timbre_reconstruct(const sm_timbre *m, const double *z, size_t q_used, int algorithm,
                           int fixed, double *native);
/* The smallest number of the 118 voice bytes (names aside) of the packed form of native in
 * which it differs from any voice of the model, and that voice's index into *nearest (may be
 * NULL). */
int sm_timbre_nearest_bytes(const sm_timbre *m, const double *native, size_t *nearest);

/* How far voices move when projected onto the first q_used components and back: every
 * stride-th voice that is not silent, rendered and measured before and after. */
typedef struct {
    size_t n;                /* voices measured */
    double param_error;      /* mean |difference| over the 145 parameters, each over its
                                range, over the voices */
    double params_exact;     /* share of parameters restored exactly */
    double voices_exact;     /* share of voices restored exactly */
    double logmel_median_db; /* log-mel distance (features/features.h, MEASURES.md) between the
                                two renders: median and mean over the voices */
    double logmel_mean_db;
} sm_timbre_roundtrip;
/* Measures the round trip at q_used components on `threads` OpenMP threads (0: OpenMP's
 * default). Returns 0, SM_ERR_ARG, SM_ERR_NOMEM. */
int sm_timbre_round_trip(const sm_timbre *m, size_t stride, size_t q_used, int threads,
                         sm_timbre_roundtrip *out, sm_error *err);
/* The round trip of one voice (native values, any patch) at q_used components (0: the kept
 * ones): out gets n = 1 and that voice's figures (the log-mel distance in both median and
 * mean; NaN when a render is silent); back (may be NULL) the voice that comes back. Returns 0,
 * SM_ERR_ARG or SM_ERR_NOMEM. */
int sm_timbre_round_trip_voice(const sm_timbre *m, const double *native, size_t q_used,
                               sm_timbre_roundtrip *out, double *back, sm_error *err);

/* ---- New voices ---------------------------------------------------------------------------- */
typedef struct {
    int algorithm;        /* 1..32, or 0: any (default 0) */
    int kind;             /* SM_KIND_*, or SM_KIND_NONE: any (default) */
    size_t count;         /* voices wanted (default 32) */
    uint64_t seed;        /* default 1 */
    double spread;        /* the point's distance from its anchor voice, in units of the
                             cluster's spread (default 0.5) */
    int fixed_auto;       /* 1 (default): fixed frequencies of 20 Hz or more only for bell,
                             perc and fx (see datasets/generate.c); 0: as decoded */
    int min_bytes;        /* a voice must differ from every human voice in at least this many
                             of its 118 bytes (default 6) */
    size_t max_candidates;  /* give up after this many (default 200 x count) */
    int threads;          /* 0: OpenMP's default */
    void (*progress)(void *ctx, const char *what, size_t done, size_t total);
    void *progress_ctx;
} sm_generate_config;

sm_generate_config sm_generate_config_default(void);

/* One new voice. */
typedef struct {
    sm_dx7_voice voice;   /* named (sm_kind_random_name, unique within its bank of 32) */
    double native[SM_FM6_NPARAMS];
    sm_voice_descr descr;
    int kind;             /* the classifier's */
    size_t candidate;     /* which candidate it was */
    size_t anchor;        /* the human voice it was drawn near */
    int cluster;
    int nearest_bytes;    /* bytes it differs from the nearest human voice */
} sm_generated;

typedef struct {
    size_t candidates;                     /* drawn and judged */
    size_t accepted;
    size_t garbage;                        /* rejected as garbage (any reason) */
    size_t reasons[SM_GARBAGE_NREASONS];   /* garbage reasons (a voice may have several) */
    size_t wrong_kind;                     /* not garbage, but not of the kind asked */
    size_t too_close;                      /* within min_bytes of a human voice */
    size_t repeated;                       /* within min_bytes of a voice already taken */
    size_t with_fixed;                     /* accepted voices with an operator fixed at 20 Hz
                                              or more */
    size_t anchors;                        /* human voices the draws started from */
    int relaxed;                           /* 1: no human voice had both the algorithm and
                                              the kind, so anchors of the kind in any
                                              algorithm were used (forced to the algorithm);
                                              2: no voice of the kind at all: any voice */
} sm_generate_stats;

/* Draws candidates (candidate i from rng stream (seed, i), so the result is the same at any
 * thread count): a cluster with probability proportional to its eligible voices (those of the
 * algorithm and kind asked, not garbage), an anchor voice among them, a point
 * z = anchor + spread * L_c e (L_c the cluster's covariance factor, e standard normal), decoded
 * and repaired; each is rendered, measured and kept when it is not garbage (the pitch test
 * for pitched kinds), of the kind asked, far enough from every human voice and every voice
 * already kept. out (room for g->count) receives *n_out voices, in candidate order, named.
 * Returns 0 (also when max_candidates ran out first: *n_out < count), SM_ERR_ARG, SM_ERR_RANGE
 * (a bad algorithm, kind or count), SM_ERR_EMPTY (no eligible voice at all) or SM_ERR_NOMEM. */
int sm_timbre_generate(const sm_timbre *m, const sm_generate_config *g, sm_generated *out,
                       size_t *n_out, sm_generate_stats *st, sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
