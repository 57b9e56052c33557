/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/bench_mfcc.c: MFCC throughput, in process, on one thread.
 *
 * Signal: 10 s at 44.1 kHz, mono, a deterministic chirp (50 Hz to 10 kHz, exponential) plus
 * white noise at -26 dB (sm_rng seed 1). Settings: n_fft 2048, hop 512, 128 mels, 20
 * coefficients (librosa's defaults), 862 frames per pass. The pass is repeated for about 2 s
 * and the best pass is reported, together with the share of it taken by the windowed
 * 2048-point FFT alone.
 *
 * usage: bench_mfcc [OUT.wav]   (OUT.wav: also write the test signal, 16-bit PCM, so the
 * bench script can time `soundmatch features` and aubiomfcc on the same file)
 *
 * Prints "bench_mfcc: frames_per_s=NNN" for bench/run.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/audio.h"
#include "core/rng.h"
#include "features/features.h"
#include "features/stft.h"

#define BENCH_SR 44100.0
#define BENCH_SECONDS 10
#define BENCH_BUDGET_S 2.0

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void make_signal(float *x, size_t n)
{
    const double f0 = 50.0, f1 = 10000.0, dur = (double)n / BENCH_SR;
    const double k = log(f1 / f0) / dur;
    sm_rng rng;
    size_t i;
    sm_rng_init(&rng, 1, 0);
    for (i = 0; i < n; i++) {
        double t = (double)i / BENCH_SR;
        /* phase of an exponential sweep: 2 pi f0 (e^{kt} - 1) / k */
        double ph = 2.0 * M_PI * f0 * (exp(k * t) - 1.0) / k;
        x[i] = (float)(0.5 * sin(ph) + 0.05 * sm_rng_normal(&rng));
    }
}

int main(int argc, char **argv)
{
    const size_t n = (size_t)(BENCH_SR * BENCH_SECONDS);
    sm_mfcc_config cfg = sm_mfcc_config_default(BENCH_SR);
    sm_error err = {0};
    float *x = malloc(n * sizeof *x);
    double *out, best = 1e30, best_fft = 1e30, t0, spent, sink = 0;
    size_t frames = sm_mfcc_n_frames(&cfg, n), got = 0, t;
    sm_mfcc *m;
    sm_stft *s;
    int runs = 0;

    if (argc > 2) {
        fprintf(stderr, "usage: bench_mfcc [OUT.wav]\n");
        return 2;
    }
    out = malloc(frames * (size_t)cfg.n_mfcc * sizeof *out);
    if (!x || !out) {
        fprintf(stderr, "bench_mfcc: out of memory\n");
        return 1;
    }
    make_signal(x, n);
    if (argc == 2 && sm_audio_write_wav(argv[1], x, n, BENCH_SR, SM_WAV_PCM16, &err) != 0) {
        fprintf(stderr, "bench_mfcc: %s\n", sm_error_text(&err));
        return 1;
    }
    m = sm_mfcc_alloc(&cfg, n, &err);
    s = sm_stft_alloc(cfg.n_fft, SM_WINDOW_HANN, &err);
    if (!m || !s) {
        fprintf(stderr, "bench_mfcc: %s\n", sm_error_text(&err));
        return 1;
    }

    /* Whole MFCC passes. */
    sm_mfcc_compute(m, x, n, out, &got);   /* warm-up */
    t0 = now_s();
    do {
        double a = now_s();
        if (sm_mfcc_compute(m, x, n, out, &got) != 0 || got != frames) {
            fprintf(stderr, "bench_mfcc: MFCC failed\n");
            return 1;
        }
        a = now_s() - a;
        if (a < best) best = a;
        sink += out[got * (size_t)cfg.n_mfcc / 2];
        runs++;
        spent = now_s() - t0;
    } while (spent < BENCH_BUDGET_S || runs < 3);

    /* The windowed FFT alone, frame for frame as the MFCC does it. */
    t0 = now_s();
    do {
        double a = now_s();
        for (t = 0; t < frames; t++) {
            sm_stft_frame(s, x, n, sm_stft_frame_start(t, cfg.n_fft, cfg.hop, 1));
            sink += s->out[t % (size_t)s->n_bins][0];
        }
        a = now_s() - a;
        if (a < best_fft) best_fft = a;
        spent = now_s() - t0;
    } while (spent < BENCH_BUDGET_S / 4);

    printf("bench_mfcc: %zu frames (10 s at 44.1 kHz, n_fft 2048, hop 512, 128 mels, 20 "
           "coefficients), best of %d passes %.3f ms, %.2f us per frame\n",
           frames, runs, 1e3 * best, 1e6 * best / (double)frames);
    printf("bench_mfcc: windowed 2048-point r2c FFT alone: %.2f us per frame (%.0f%% of the "
           "MFCC), %.0f frames/s\n",
           1e6 * best_fft / (double)frames, 100.0 * best_fft / best, (double)frames / best_fft);
    printf("bench_mfcc: frames_per_s=%.0f\n", (double)frames / best);
    if (sink == 12345.678) printf(" \n");   /* keeps the loops from being optimised away */
    sm_stft_free(s);
    sm_mfcc_free(m);
    free(out);
    free(x);
    return 0;
}
