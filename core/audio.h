/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/audio.h: mono audio buffers, reading any format libsndfile reads, and WAV output.
 *
 * Reading mixes all channels down to mono (their mean) and resamples with libsamplerate
 * (SRC_SINC_BEST_QUALITY) when a rate is asked for. Writing goes through a temporary file. */
#ifndef SM_AUDIO_H
#define SM_AUDIO_H

#include <stddef.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A mono buffer. The struct owns data; free it with sm_audio_free. */
typedef struct {
    float *data;
    size_t n;            /* samples */
    double sample_rate;  /* Hz */
} sm_audio;

/* What a file is, as libsndfile reports it before any conversion. */
typedef struct {
    char format[96];     /* e.g. "WAV (Microsoft), Signed 16 bit PCM" */
    int channels;
    double sample_rate;
    size_t frames;       /* as the header says */
    /* Filled by sm_audio_read only: */
    size_t frames_read;  /* frames actually read (before resampling) */
    int truncated;       /* 1: the file holds less audio than its header says */
    char warning[512];   /* a sentence naming the file when truncated, else "": print it */
} sm_audio_info;

/* The longest audio sm_audio_read accepts, in seconds at the file's own rate: far more than
 * matching needs, and it bounds the memory a file can make the reader take. */
#define SM_AUDIO_MAX_SECONDS 600

typedef enum { SM_WAV_PCM16, SM_WAV_PCM24, SM_WAV_FLOAT } sm_wav_format;

/* Reads path into out (mono; resampled to target_rate unless it is 0). info may be NULL.
 * A file with zero frames is SM_ERR_EMPTY; an unreadable or non-audio file is SM_ERR_FORMAT
 * (SM_ERR_IO if it cannot be opened); samples that are NaN or infinite give SM_ERR_NONFINITE;
 * audio longer than SM_AUDIO_MAX_SECONDS is SM_ERR_RANGE. The header's length is not trusted:
 * the file is read in chunks and memory grows only with the samples really there. A file
 * that holds less than its header says is read as far as it goes and sets info->truncated
 * and info->warning (the library does not print; the caller should show the warning).
 * On failure out is zeroed. */
int sm_audio_read(const char *path, double target_rate, sm_audio *out, sm_audio_info *info,
                  sm_error *err);

/* Reads only the header facts of path. Same errors as sm_audio_read. */
int sm_audio_probe(const char *path, sm_audio_info *info, sm_error *err);

/* Writes n mono samples as a WAV file, all-or-nothing. Samples are clipped to [-1, 1] for the
 * integer formats. Returns 0, SM_ERR_ARG, SM_ERR_NONFINITE or SM_ERR_IO. */
int sm_audio_write_wav(const char *path, const float *x, size_t n, double sample_rate,
                       sm_wav_format fmt, sm_error *err);

/* The same WAV file in memory (for pages that embed their audio): *out (*len bytes) is a new
 * buffer the caller frees. `what` names the sound in messages. Returns 0, SM_ERR_ARG,
 * SM_ERR_NONFINITE, SM_ERR_NOMEM or SM_ERR_IO (libsndfile refused). */
int sm_audio_wav_bytes(const float *x, size_t n, double sample_rate, sm_wav_format fmt,
                       const char *what, unsigned char **out, size_t *len, sm_error *err);

/* Resamples in (n samples at from_hz) to a new buffer at to_hz. *out is owned by the caller
 * (free()). Returns 0, SM_ERR_ARG or SM_ERR_NOMEM. */
int sm_audio_resample(const float *in, size_t n, double from_hz, double to_hz, float **out,
                      size_t *n_out, sm_error *err);

/* Trims or zero-pads a to exactly n samples. Returns 0 or SM_ERR_NOMEM. */
int sm_audio_fit(sm_audio *a, size_t n);

/* Peak absolute value and root-mean-square of x (0 for n == 0). */
double sm_audio_peak(const float *x, size_t n);
double sm_audio_rms(const float *x, size_t n);

/* Releases a's buffer and zeroes it. NULL is allowed. */
void sm_audio_free(sm_audio *a);

#ifdef __cplusplus
}
#endif

#endif
