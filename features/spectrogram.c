/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/spectrogram.c: a magnitude spectrogram for figures (see features/features.h).
 *
 * The frames come from features/stft.c, so the FFTW plan is made and destroyed under the
 * process-wide planner lock, and any thread may draw spectrograms while others score. Whole
 * frames only (no centring padding): a zero-padded last frame would draw a broadband edge. */
#include "features/features.h"
#include "features/stft.h"

#include <math.h>
#include <stdlib.h>

int sm_spectrogram(const float *x, size_t n, int n_fft, int hop, float **mag, size_t *n_frames,
                   sm_error *err)
{
    sm_stft *s;
    size_t frames, t;
    int k;
    float *m;
    if (mag) *mag = NULL;
    if (n_frames) *n_frames = 0;
    if (!x || !mag || !n_frames || n == 0 || n_fft < 2 || hop < 1)
        return sm_error_set(err, SM_ERR_ARG, "spectrogram: no samples, or FFT size %d or hop "
                                             "%d out of range", n_fft, hop);
    frames = n <= (size_t)n_fft ? 1 : sm_stft_n_frames(n, n_fft, hop, 0);
    s = sm_stft_alloc(n_fft, SM_WINDOW_HANN, err);
    if (!s) return err && err->code ? err->code : SM_ERR_NOMEM;
    m = malloc(frames * (size_t)s->n_bins * sizeof *m);
    if (!m) {
        sm_stft_free(s);
        return sm_error_set(err, SM_ERR_NOMEM, "spectrogram: out of memory");
    }
    for (t = 0; t < frames; t++) {
        float *col = m + t * (size_t)s->n_bins;
        sm_stft_frame(s, x, n, sm_stft_frame_start(t, n_fft, hop, 0));
        for (k = 0; k < s->n_bins; k++) col[k] = (float)hypot(s->out[k][0], s->out[k][1]);
    }
    sm_stft_free(s);
    *mag = m;
    *n_frames = frames;
    return 0;
}
