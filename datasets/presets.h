/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/presets.h: an index of rendered human-made DX7 voices, for finding the voices that
 * sound nearest a target before matching starts.
 *
 * An index holds the voices of one or more DX7 voice files (the 31,380 voices of
 * voices31380.bin, a 32-voice .syx bank, ...) as fm6 native vectors and, per GRID NOTE, a
 * compact rendered summary of every voice. Grid notes lie every 6 semitones from 24 to 102 (14
 * notes); a query at note 63.0 uses grid note 60 (ties go down), at 63.1 grid note 66. A grid
 * note is built lazily, on the first query or sm_preset_index_build that needs it: every voice
 * is rendered once by fm6 (sm_note_default()'s note with the config's velocity, gate, length,
 * seed and oscillator phase, Dexed's phase 0 by default) on OpenMP threads, one fm6 state and
 * one FFT plan per thread, two voices at a time (render2).
 *
 * The summary of one sound (a voice's render or a query's target), measured choices:
 * - 12 time slices: 2048-point periodic-Hann frames starting at
 *   t_i = T ((1 + 64)^(i/11) - 1) / 64, T = length - 2048 samples, i.e. at 0, 10, 26, 48, 81,
 *   128, 198, 300, 448, 664, 981 and 1453 ms for 1.5 s notes at 44.1 kHz: five frames start in
 *   the first 100 ms, so the attack is weighted by the spacing itself, and the last two see the
 *   release after the 1 s gate;
 * - 32 Slaney mel bands (librosa's scale and area normalisation) from 0 Hz to half the rate,
 *   of the power spectrum;
 * - in dB relative to the sound's own maximum over all slices and bands, floored at -80 dB,
 *   stored as uint8 in 0.5 dB steps (0 = the maximum, 160 = -80 dB or below): 384 bytes a
 *   voice, 12 MB a grid note of voices31380.bin;
 * - the voice's RMS over the whole render (a float, kept for the caller: the distance ignores
 *   level);
 * - a voice whose render has RMS below 1e-5 (-100 dBFS), or that failed to render, is SILENT
 *   at that grid note and is never returned.
 * The distance is the mean |dB difference| over the 384 cells, so it ignores the overall gain
 * (a target 20 dB quieter than a voice is at distance 0 from it).
 *
 * Measured on voices31380.bin (2-core KVM Xeon, -O2; bench/bench_presets.c, datasets/README.md):
 * building one grid note costs about 25 s of CPU (0.8 ms a voice, nearly all of it fm6's
 * render; the summary takes under 0.1 ms), so about 12.5 s on 2 idle cores (CPU time / 2;
 * the wall time grows with the machine's load: 51 to 72 s at load average 7 to 11); 225 are
 * silent at note 60. Opening (loading and hashing the voices) takes 0.2 to 0.35 s, loading a
 * grid note back from its 12 MB cache file under 0.1 s, and a query with k = 300 11 to 14 ms.
 *
 * The cache: one file per (grid note, key) in the cache folder, "presets-KEY-nNNN.smpi",
 * whose 128-byte header repeats everything the features depend on: a magic, the format
 * version, SM_FM6_RENDER_VERSION, a 64-bit hash of the voices files' bytes, the voice count,
 * the render settings, the feature settings and a hash of the payload. Any mismatch, a
 * truncated or corrupted file, is rebuilt and rewritten (all-or-nothing, core/fileio.h); a
 * cache file is never trusted blindly and never crashes the reader. The folder is the
 * config's, or $XDG_CACHE_HOME/soundmatch, or $HOME/.cache/soundmatch; it is created if
 * missing. If it cannot be created or written the index works without a cache and says so
 * (sm_preset_stats.cache_enabled, and a progress call whose `what` starts with "warning:").
 *
 * Threads: an index serves one thread at a time (a query may build a grid note). The native
 * vectors and names are read-only after open. */
#ifndef SM_DATASETS_PRESETS_H
#define SM_DATASETS_PRESETS_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Grid notes: 24, 30, ..., 102. */
#define SM_PRESET_GRID_LO 24
#define SM_PRESET_GRID_STEP 6
#define SM_PRESET_GRID_N 14
/* At most this many voices files in one index. */
#define SM_PRESET_MAX_FILES 8
/* Version of the cache file layout and of the summary's definition. */
#define SM_PRESET_FORMAT_VERSION 1

typedef struct {
    /* DX7 voice files, in order (ids count through them): 32-voice banks, single voices or
     * streams of packed voices (synths/dx7_sysex.h). Copied at open. Default: none. */
    const char *voice_files[SM_PRESET_MAX_FILES];
    size_t n_voice_files;
    double sample_rate;  /* Hz (default 44100); query targets are at this rate */
    double velocity;     /* 1..127 (default 100) */
    double gate_s;       /* seconds the key is held (default 1.0) */
    double length_s;     /* seconds rendered (default 1.5); at least two FFT frames */
    uint64_t seed;       /* note seed (default sm_note_default()'s) */
    int random_phase;    /* oscillator phase (default sm_note_default()'s: 0, Dexed's) */
    int n_mels;          /* mel bands, 8..64 (default 32) */
    int n_slices;        /* time slices, 4..32 (default 12) */
    /* Cache folder; NULL: $XDG_CACHE_HOME/soundmatch, else $HOME/.cache/soundmatch. */
    const char *cache_dir;
    int no_cache;        /* 1: neither read nor write a cache (default 0) */
    int threads;         /* OpenMP threads for a build; 0 (default): OpenMP's default */
    /* Progress of long work (loading voices, building a grid note), called on the calling
     * thread: what names the work, done of total. Warnings come as what = "warning: ..." with
     * done = total = 0. NULL: silent. */
    void (*progress)(void *ctx, const char *what, size_t done, size_t total);
    void *progress_ctx;
} sm_preset_index_config;

/* The defaults above (no voices file). Cannot fail. */
sm_preset_index_config sm_preset_index_config_default(void);
/* Checks every field. Returns 0, SM_ERR_ARG (c NULL) or SM_ERR_CONFIG with a sentence naming
 * the field (no or too many voices files, a NULL path, a bad rate, velocity, gate or length,
 * n_mels, n_slices or threads out of range). */
int sm_preset_index_config_check(const sm_preset_index_config *c, sm_error *err);

typedef struct sm_preset_index sm_preset_index;

/* Loads the voices of c's files (clamped as DX7 editors do, synths/dx7_sysex.h), hashes their
 * bytes and settles the cache folder. Renders nothing yet. The caller owns the result
 * (sm_preset_index_free). Returns NULL with err set: SM_ERR_CONFIG, SM_ERR_IO,
 * SM_ERR_FORMAT (a voices file), SM_ERR_EMPTY (no voices), SM_ERR_NOMEM; nothing is leaked. */
sm_preset_index *sm_preset_index_open(const sm_preset_index_config *c, sm_error *err);
/* Releases idx. NULL is a no-op. */
void sm_preset_index_free(sm_preset_index *idx);

/* The grid note a query at `note` uses: the nearest of 24, 30, ..., 102 (ties go down). */
int sm_preset_grid_note(double note);

/* Makes sure the grid note nearest `note` is built: loads it from the cache, or renders every
 * voice and writes the cache. Returns 0, SM_ERR_ARG, SM_ERR_NONFINITE (note) or
 * SM_ERR_NOMEM. A cache that cannot be written is a warning, not an error. */
int sm_preset_index_build(sm_preset_index *idx, double note, sm_error *err);

/* The k nearest voices to target (n samples at the index's rate; cut or zero-padded to the
 * render length, so it should start at its onset) at the grid note nearest `note`, building
 * that grid note if needed. exclude (NULL, or one flag per voice): voices flagged nonzero are
 * skipped, as are silent ones. ids[0..*n_found) receive voice ids (0-based, counting through
 * the files in order) nearest first, ties by id; dist (may be NULL) the distances in dB (mean
 * |dB difference| of the summaries). *n_found = min(k, eligible voices). Returns 0,
 * SM_ERR_ARG (NULL idx, target, ids or n_found; n 0), SM_ERR_NONFINITE (a NaN or Inf in
 * target, or note), SM_ERR_EMPTY (a silent target) or an error of sm_preset_index_build. */
int sm_preset_index_query(sm_preset_index *idx, const float *target, size_t n, double note,
                          size_t k, const unsigned char *exclude, size_t *ids, double *dist,
                          size_t *n_found, sm_error *err);

/* Number of voices (0 for NULL). */
size_t sm_preset_index_count(const sm_preset_index *idx);
/* The SM_FM6_NPARAMS native values of voice id (owned by idx), or NULL if id is out of range. */
const double *sm_preset_index_native(const sm_preset_index *idx, size_t id);
/* Voice id's name, at most 10 characters, trailing spaces trimmed ("E.PIANO 1"; owned by
 * idx), or NULL if id is out of range. */
const char *sm_preset_index_name(const sm_preset_index *idx, size_t id);
/* Voice id's RMS at the grid note nearest `note`, or -1 if id is out of range or that grid
 * note is not built yet. */
double sm_preset_index_rms(const sm_preset_index *idx, size_t id, double note);

/* What an index has done since it was opened. */
typedef struct {
    size_t n_voices;
    size_t renders;        /* voices rendered */
    size_t notes_built;    /* grid notes rendered */
    size_t notes_loaded;   /* grid notes read from a valid cache file */
    size_t cache_writes;   /* cache files written */
    size_t cache_rejected; /* cache files found but not used: stale, truncated or corrupt */
    size_t n_silent;       /* silent voices at the last grid note built or loaded */
    int cache_enabled;     /* 0 when working without a cache (no_cache, or no usable folder) */
    double last_build_s;   /* wall seconds of the last grid note built (render + summary) */
} sm_preset_stats;
/* Fills *st (zeroes it for a NULL idx). */
void sm_preset_index_stats(const sm_preset_index *idx, sm_preset_stats *st);

/* The cache file of the grid note nearest `note` into buf (whether or not it exists yet).
 * Returns 0, SM_ERR_ARG, SM_ERR_UNSUPPORTED (working without a cache) or SM_ERR_RANGE (buf
 * too small). */
int sm_preset_index_cache_file(const sm_preset_index *idx, double note, char *buf, size_t len,
                               sm_error *err);

/* ---- Leakage control --------------------------------------------------------------------- */
/* How many of the n native values differ between a and b (the DX7 parameters; names are not
 * native values). 0 for NULL input. */
size_t sm_preset_differing(const double *a, const double *b, size_t n);
/* Sets exclude[id] = 1 for every voice within max_diff differing parameters of truth_native
 * (SM_FM6_NPARAMS values), leaving other flags as they are, so calls for several targets
 * accumulate. Exact copies alone are not enough: voices31380.bin holds near-copies of most
 * published banks. Returns how many voices lie within max_diff, or SM_ERR_ARG (NULL input). */
int sm_preset_index_exclude_near(const sm_preset_index *idx, const double *truth_native,
                                 size_t max_diff, unsigned char *exclude);

#ifdef __cplusplus
}
#endif

#endif
