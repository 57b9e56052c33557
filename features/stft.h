/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/stft.h: short-time Fourier transform frames on FFTW, internal to features/.
 *
 * An sm_stft owns one FFTW r2c plan of one size, its aligned buffers and a window. It is made
 * once (sm_stft_alloc, which plans under the process-wide FFTW planner lock) and then executed
 * for any number of frames (sm_stft_frame) with no allocation and no planning. Different
 * sm_stft objects may be executed concurrently from different threads: FFTW documents
 * fftw_execute as the only thread-safe FFTW call, and planning and destroying plans are
 * serialised here by sm_fftw_lock.
 *
 * Frames follow librosa's convention: with center=1 the signal is padded with n_fft/2 zeros
 * on both sides ('constant' padding), so frame t covers samples [t*hop - n_fft/2,
 * t*hop - n_fft/2 + n_fft) of the signal, and samples outside [0, n) read as zero.
 *
 * The struct is visible to features/ so the hot loops can read the spectrum in place; other
 * folders use features/features.h only. */
#ifndef SM_FEATURES_STFT_H
#define SM_FEATURES_STFT_H

#include <stddef.h>
#include <fftw3.h>
#include "core/error.h"
#include "features/features.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The process-wide lock around FFTW's planner (planning and destroying plans are not
 * thread-safe in FFTW; executing is). The only global mutable state in features/. */
void sm_fftw_lock(void);
void sm_fftw_unlock(void);

typedef enum {
    SM_WINDOW_HANN = 0,   /* periodic Hann, as scipy.signal.get_window('hann', n, fftbins=True) */
    SM_WINDOW_NONE = 1    /* rectangular */
} sm_window_kind;

typedef struct {
    int n_fft;
    int n_bins;           /* n_fft/2 + 1 */
    double *window;       /* n_fft coefficients (owned) */
    double *in;           /* n_fft real samples (fftw_malloc, owned) */
    fftw_complex *out;    /* n_bins complex bins (fftw_malloc, owned): the last frame's spectrum */
    fftw_plan plan;       /* r2c, FFTW_ESTIMATE, in -> out */
} sm_stft;

/* A plan, buffers and window for frames of n_fft samples. Returns NULL with err set
 * (SM_ERR_ARG for n_fft < 2, SM_ERR_NOMEM); frees what it took on failure. */
sm_stft *sm_stft_alloc(int n_fft, sm_window_kind window, sm_error *err);
/* Releases everything s owns (destroying the plan under the planner lock). NULL is a no-op. */
void sm_stft_free(sm_stft *s);

/* Frames of a signal of n samples (center: 1 + n/hop; otherwise 1 + (n - n_fft)/hop, or 0
 * when n < n_fft). */
size_t sm_stft_n_frames(size_t n, int n_fft, int hop, int center);

/* Loads the windowed frame whose first sample is x[start] (start may be negative or run past
 * n: those samples are zero) and transforms it into s->out. Allocates nothing. */
void sm_stft_frame(sm_stft *s, const float *x, size_t n, long long start);

/* First sample of frame t (may be negative with center). */
static inline long long sm_stft_frame_start(size_t t, int n_fft, int hop, int center)
{
    return (long long)t * hop - (center ? n_fft / 2 : 0);
}

/* |X_k|^2 of the last frame into power[0..n_bins). */
void sm_stft_power(const sm_stft *s, double *power);

/* 1 if all n samples are finite. */
int sm_all_finite(const float *x, size_t n);
/* The checks every cost target passes: samples there (SM_ERR_EMPTY) and all finite
 * (SM_ERR_NONFINITE), err saying which. Returns 0 or that code. */
int sm_cost_target_samples_ok(const float *x, size_t n, sm_error *err);

/* ---- Internal entry points shared by mfcc.c, descriptors.c and cost.c ------------------ */

/* Like sm_mfcc_compute, but analyses x as a signal of n_len samples: x holds the first n of
 * them (n <= n_len) and the rest are zero. n_len <= the plan's max_samples. Does not check x
 * for NaN or Inf: the caller has (sm_mfcc_compute, sm_cost_eval, sm_cost_target_alloc). */
int sm_mfcc_compute_len(sm_mfcc *m, const float *x, size_t n, size_t n_len, double *out,
                        size_t *n_frames);

/* The filterbank of m, band i (0-based): its non-zero weights, *len of them, which apply to
 * FFT bins *start .. *start + *len - 1. Owned by m. NULL with *start = *len = 0 for an empty
 * band, a NULL m or i out of range. measure.c uses it for the log-mel distance, which needs
 * the MFCC's filterbank without its DCT. */
const double *sm_mfcc_band(const sm_mfcc *m, int i, int *start, int *len);

/* Weight of c0 in the MFCC distance (features/cost.c's sm_mfcc_distance and, for its
 * gradient, features/cost_grad.c). With the orthonormal DCT, c0 = sqrt(n_mels) x the mean
 * band level in dB (11.3 x with 128 mels), so a 1 dB change of overall level moves c0 by
 * 11.3 while leaving every other coefficient alone; at full weight loudness would dominate
 * the spectral shape. At 0.1 a 1 dB level difference costs about as much as a 1.1 dB
 * difference in one shape coefficient, so the loudness envelope still counts (it matters
 * for drums and plucks) without drowning the timbre. */
#define SM_MFCC_C0_WEIGHT 0.1

/* The matching cost's constants (features/cost.c), shared with its gradient
 * (features/cost_grad.c) so that both judge a candidate alike. */
#define SM_MSS_SIZES {2048, 1024, 512, 256, 128, 64} /* the MSS term's FFT sizes */
#define SM_MSS_EPS 1e-5f           /* DDSP safe_log epsilon */
#define SM_LOUD_RMS_FLOOR 1e-5     /* -100 dB */
/* Gain normalisation scales a candidate by at most this factor either way (60 dB): a
 * candidate quieter than that is judged as it is, near-silence and all. */
#define SM_GAIN_MAX 1000.0
/* The level term's ceiling in dB (a silent candidate against a sounding target). */
#define SM_LEVEL_MAX_DB 100.0

/* The orthonormal DCT-II of m, n_mfcc x n_mels row-major (coefficient k's row at
 * k * n_mels), owned by m; NULL for a NULL m. features/cost_grad.c uses it for the MFCC
 * distance's gradient. */
const double *sm_mfcc_dct(const sm_mfcc *m);

/* Like sm_descr_compute with the same zero-extension to n_len samples, filling only the
 * descriptors named in `what`. Does not check x for NaN or Inf. */
int sm_descr_compute_len(sm_descr_plan *p, const float *x, size_t n, size_t n_len,
                         sm_descr *d, int what);

#ifdef __cplusplus
}
#endif

#endif
