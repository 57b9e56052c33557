/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/stft.c: windowed FFTW r2c frames, planned once and executed many times.
 *
 * FFTW's manual ("Thread safety", section 5.4) says only fftw_execute and its new-array
 * variants are thread-safe; the planner (plan creation and fftw_destroy_plan) shares global
 * state. fftw_make_planner_thread_safe() would make it safe, but it lives in libfftw3_threads,
 * which this build does not link, so every plan is made and destroyed under one pthread mutex
 * instead: the only global mutable state of features/. Plans use FFTW_ESTIMATE, which is
 * deterministic (no timing measurements) and takes microseconds to plan. */
#include "core/simd.h"
#include "features/stft.h"

#include <math.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t sm_fftw_planner_mutex = PTHREAD_MUTEX_INITIALIZER;

void sm_fftw_lock(void)
{
    pthread_mutex_lock(&sm_fftw_planner_mutex);
}

void sm_fftw_unlock(void)
{
    pthread_mutex_unlock(&sm_fftw_planner_mutex);
}

sm_stft *sm_stft_alloc(int n_fft, sm_window_kind window, sm_error *err)
{
    sm_stft *s;
    int i;
    if (n_fft < 2) {
        sm_error_set(err, SM_ERR_ARG, "FFT size %d is too small (at least 2)", n_fft);
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (!s) goto nomem;
    s->n_fft = n_fft;
    s->n_bins = n_fft / 2 + 1;
    s->window = malloc((size_t)n_fft * sizeof *s->window);
    s->in = fftw_malloc((size_t)n_fft * sizeof *s->in);
    s->out = fftw_malloc((size_t)s->n_bins * sizeof *s->out);
    if (!s->window || !s->in || !s->out) goto nomem;
    /* Periodic Hann: w[i] = 0.5 - 0.5 cos(2 pi i / N), i.e. a symmetric window of N + 1
     * points without its last one (scipy.signal.get_window with fftbins=True, which librosa's
     * stft uses for window='hann'). */
    for (i = 0; i < n_fft; i++)
        s->window[i] = window == SM_WINDOW_HANN ? 0.5 - 0.5 * cos(2.0 * M_PI * i / n_fft) : 1.0;
    memset(s->in, 0, (size_t)n_fft * sizeof *s->in);
    sm_fftw_lock();
    s->plan = fftw_plan_dft_r2c_1d(n_fft, s->in, s->out, FFTW_ESTIMATE);
    sm_fftw_unlock();
    if (!s->plan) goto nomem;
    return s;
nomem:
    sm_stft_free(s);
    sm_error_set(err, SM_ERR_NOMEM, "out of memory making an FFT plan of size %d", n_fft);
    return NULL;
}

void sm_stft_free(sm_stft *s)
{
    if (!s) return;
    if (s->plan) {
        sm_fftw_lock();
        fftw_destroy_plan(s->plan);
        sm_fftw_unlock();
    }
    fftw_free(s->in);
    fftw_free(s->out);
    free(s->window);
    free(s);
}

size_t sm_stft_n_frames(size_t n, int n_fft, int hop, int center)
{
    if (hop <= 0 || n_fft <= 0) return 0;
    if (center) return 1 + n / (size_t)hop;
    if (n < (size_t)n_fft) return 0;
    return 1 + (n - (size_t)n_fft) / (size_t)hop;
}

SM_SIMD_CLONES
void sm_stft_frame(sm_stft *s, const float *x, size_t n, long long start)
{
    const int N = s->n_fft;
    const double *restrict w = s->window;
    double *restrict in = s->in;
    /* The samples of x that the frame covers are [lo, hi) of the frame; the rest is zero
     * (the centring padding, or past the end). Each loop is branch-free and vectorises. */
    long long lo = start < 0 ? -start : 0, hi = (long long)n - start, i;
    if (hi > N) hi = N;
    if (hi < lo) hi = lo;
    if (lo > N) lo = hi = N;
    for (i = 0; i < lo; i++) in[i] = 0.0;
    for (i = lo; i < hi; i++) in[i] = w[i] * x[start + i];
    for (i = hi; i < N; i++) in[i] = 0.0;
    fftw_execute(s->plan);
}

SM_SIMD_CLONES
void sm_stft_power(const sm_stft *s, double *restrict power)
{
    const double *restrict X = &s->out[0][0];   /* interleaved re, im */
    const int nb = s->n_bins;
    int k;
    for (k = 0; k < nb; k++) power[k] = X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1];
}

SM_SIMD_CLONES
int sm_all_finite(const float *x, size_t n)
{
    /* A float is NaN or infinite when its exponent bits are all ones. OR-ing a flag per
     * sample, with no early exit, lets the loop vectorise. */
    const uint32_t exp_mask = 0x7f800000u;
    uint32_t bad = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        bad |= (u & exp_mask) == exp_mask;
    }
    return !bad;
}
