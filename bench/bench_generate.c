/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/bench_generate.c: how fast and how good `soundmatch generate` is.
 *
 *   bench_generate VOICES_FILE [OUT_DIR]
 *
 * Opens the timbre model of VOICES_FILE (building it, and timing the build, when the cache is
 * empty), then makes a 32-voice bank for each of 4 algorithms x 4 kinds (seed 1), timing each,
 * writes them into OUT_DIR (default: a temporary folder) and checks every bank as a user's
 * tools would, with code of its own:
 * - the file: 4104 bytes, header F0 43 00 09 20 00, 7-bit data, checksum, F7; every voice loads
 *   (sm_dx7_load) and renders (fm6, sm_synth_render_note);
 * - an independent garbage check at MIDI notes 48, 60 and 72 (time-domain measures written
 *   here, not datasets/voice_sound.c's): silent (peak below -60 dBFS), clipping (peak at
 *   velocity 127 at full scale), DC (over 50 ms windows of the held note within 40 dB of the
 *   loudest, |mean| at least 0.7 of the RMS, weighted by RMS), screaming (above -20 dBFS with more
 * than 30% of the samples crossing zero per sample pair, i.e. noise above 6.6 kHz), and, for
 * pitched kinds, a pitch (normalised autocorrelation peak) more than 50 cents from the note's,
 * octaves aside, in the last 200 ms of the held note that are within 30 dB of its loudest 50 ms;
 * - the kind the classifier learnt from named human voices gives the voice, from the file;
 * - the fewest bytes (of the 118 of a packed voice, name aside) in which it differs from any
 *   voice of VOICES_FILE, compared on the raw bytes of the file;
 * and compares the descriptor distributions of 512 voices generated without kind or algorithm
 * with the human voices' (the two-sample Kolmogorov-Smirnov statistic D per descriptor, beside
 * D between two random halves of the human set and between 512 random human voices and the
 * rest). Prints one line per figure. The machine may be shared: compare ratios from one run. */
#include "core/rng.h"
#include "datasets/banks.h"
#include "datasets/timbre.h"
#include "synths/fm6.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SR 44100.0
#define N_ALG 4
#define N_KIND 4

static const int ALGS[N_ALG] = {1, 5, 16, 32};
static const int KINDS[N_KIND] = {SM_KIND_PAD, SM_KIND_KEYS, SM_KIND_BASS, SM_KIND_BELL};

/* ---- The independent garbage check --------------------------------------------------------- */

static int render(const double *nat, double note, double velocity, float **x, size_t *n)
{
    sm_note nt = sm_note_default();
    sm_error err = {0};
    nt.note = note;
    nt.velocity = velocity;
    nt.gate_s = 1.0;
    nt.length_s = 1.5;
    return sm_synth_render_note(&sm_synth_fm6, SR, nat, &nt, x, n, &err);
}

/* The period (in samples) whose normalised autocorrelation over x[0..n) is highest, among
 * lags for 20 Hz to 2 kHz, refined by a parabola; 0 when no lag correlates above 0.5. */
static double best_period(const float *x, size_t n)
{
    const size_t lo = (size_t)(SR / 2000), hi = (size_t)(SR / 20);
    double best = 0.5, r[2300];
    size_t lag, pick = 0;
    for (lag = lo; lag <= hi + 1 && lag + 1 < n; lag++) {
        double s = 0, e0 = 0, e1 = 0;
        size_t i;
        for (i = 0; i + lag < n; i++) {
            s += (double)x[i] * x[i + lag];
            e0 += (double)x[i] * x[i];
            e1 += (double)x[i + lag] * x[i + lag];
        }
        r[lag] = e0 > 0 && e1 > 0 ? s / sqrt(e0 * e1) : 0;
    }
    /* the first lag within 2% of the highest peak: the fundamental, not a multiple of it */
    for (lag = lo + 1; lag <= hi && lag + 1 < n; lag++)
        if (r[lag] > best) best = r[lag];
    if (best <= 0.5) return 0;
    for (lag = lo + 1; lag <= hi && lag + 1 < n; lag++)
        if (r[lag] >= 0.98 * best && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1]) {
            pick = lag;
            break;
        }
    if (!pick) return 0;
    {
        double a = r[pick - 1], b = r[pick], c = r[pick + 1], den = a - 2 * b + c;
        return (double)pick + (den != 0 ? 0.5 * (a - c) / den : 0);
    }
}

/* Reasons as a string ("" when the voice passes) at one note. */
static void check_note(const double *nat, double note, int pitched, char *why, size_t len)
{
    float *x = NULL, *h = NULL;
    size_t n = 0, nh = 0, i, w = (size_t)(0.05 * SR), gate = (size_t)SR;
    double peak = 0, ss = 0, top = 0;
    why[0] = '\0';
    if (render(nat, note, 100, &x, &n) != 0) {
        snprintf(why, len, "render");
        return;
    }
    for (i = 0; i < n; i++) peak = fmax(peak, fabs(x[i]));
    if (peak < 0.001) {
        snprintf(why, len, "silent");
        free(x);
        return;
    }
    if (peak > 0.4 && render(nat, note, 127, &h, &nh) == 0) {
        for (i = 0; i < nh; i++)
            if (fabs(h[i]) >= 1.0) {
                strncat(why, "clip ", len - strlen(why) - 1);
                break;
            }
    }
    free(h);
    /* DC: 50 ms windows of the held note within 40 dB of the loudest: the mean of |mean| / RMS
     * weighted by RMS */
    for (i = 0; i + w <= gate; i += w) {
        double e = 0;
        size_t j;
        for (j = i; j < i + w; j++) e += (double)x[j] * x[j];
        top = fmax(top, e);
    }
    {
        double wsum = 0, dsum = 0;
        for (i = 0; i + w <= gate; i += w) {
            double e = 0, s = 0, rms;
            size_t j;
            for (j = i; j < i + w; j++) {
                e += (double)x[j] * x[j];
                s += x[j];
            }
            if (!(e > 0) || e < top * 1e-4) continue;
            rms = sqrt(e / (double)w);
            wsum += rms;
            dsum += fabs(s / (double)w);
        }
        if (wsum > 0 && dsum / wsum >= 0.7) strncat(why, "dc ", len - strlen(why) - 1);
    }
    /* screaming: loud, and crossing zero like noise above 6.6 kHz */
    {
        size_t zc = 0;
        for (i = 1; i < gate; i++) {
            ss += (double)x[i] * x[i];
            zc += (x[i] >= 0) != (x[i - 1] >= 0);
        }
        if (10 * log10(ss / (double)gate + 1e-30) > -20 && (double)zc / (double)gate > 0.3)
            strncat(why, "scream ", len - strlen(why) - 1);
    }
    /* in tune: the last 200 ms of the held note that are within 30 dB of its loudest 50 ms */
    if (pitched) {
        const size_t m = (size_t)(0.2 * SR);
        size_t end = m;
        double p, cents;
        for (i = 0; i + w <= gate; i += w) {
            double e = 0;
            size_t j;
            for (j = i; j < i + w; j++) e += (double)x[j] * x[j];
            if (e >= top / 1000 && i + w > end) end = i + w;
        }
        p = best_period(x + end - m, m);
        if (!(p > 0)) {
            strncat(why, "unpitched ", len - strlen(why) - 1);
        } else {
            cents = 1200 * log2((SR / p) / (440.0 * pow(2.0, (note - 69) / 12.0)));
            cents -= 1200 * floor(cents / 1200 + 0.5);
            if (fabs(cents) > 50) strncat(why, "pitch ", len - strlen(why) - 1);
        }
    }
    free(x);
}

/* ---- Bank files, read back ---------------------------------------------------------------- */

static int bank_ok(const char *path)
{
    static const unsigned char head[6] = {0xF0, 0x43, 0x00, 0x09, 0x20, 0x00};
    unsigned char b[4200];
    unsigned sum = 0;
    FILE *f = fopen(path, "rb");
    size_t n, i;
    if (!f) return 0;
    n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n != 4104 || memcmp(b, head, 6) != 0 || b[4103] != 0xF7) return 0;
    for (i = 6; i < 4103; i++) {
        if (b[i] > 127) return 0;
        sum += b[i];
    }
    return (sum & 0x7F) == 0;
}

/* ---- Two-sample Kolmogorov-Smirnov ---------------------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* D = sup |F_a - F_b| (a and b sorted in place). */
static double ks(double *a, size_t na, double *b, size_t nb)
{
    size_t i = 0, j = 0;
    double d = 0;
    qsort(a, na, sizeof *a, cmp_d);
    qsort(b, nb, sizeof *b, cmp_d);
    while (i < na && j < nb) {
        double v = a[i] < b[j] ? a[i] : b[j];
        while (i < na && a[i] <= v) i++;
        while (j < nb && b[j] <= v) j++;
        d = fmax(d, fabs((double)i / (double)na - (double)j / (double)nb));
    }
    return d;
}

/* The independent check and the model's filter over every 20th human voice at note 60 (the
 * pitch test for voices whose name says a pitched kind): how strict each is on human voices. */
static void human_baseline(const sm_timbre *m)
{
    size_t i, n = 0, indep = 0, filt = 0, both = 0;
    for (i = 0; i < sm_timbre_count(m); i += 20) {
        char why[96];
        int pitched = sm_kind_pitched(sm_timbre_name_kind(m, i)), f, g;
        check_note(sm_timbre_native(m, i), 60, pitched, why, sizeof why);
        f = why[0] != '\0';
        g = sm_timbre_garbage(m, i) != 0;
        n++;
        indep += (size_t)f;
        filt += (size_t)g;
        both += (size_t)(f && g);
    }
    printf("human_baseline: voices=%zu independent_check_fails=%zu (%.1f%%) filter_flags=%zu "
           "(%.1f%%) both=%zu\n", n, indep, 100.0 * indep / n, filt, 100.0 * filt / n, both);
}

/* The fixed-frequency heuristic's effect: 32 voices of each pitched kind with and without it. */
static void fixed_effect(const sm_timbre *m)
{
    static const int kinds[4] = {SM_KIND_PAD, SM_KIND_KEYS, SM_KIND_BASS, SM_KIND_LEAD};
    int k, f;
    printf("| kind | fixed | candidates for 32 | rejected: pitch | rejected: other garbage | "
           "voices with an operator fixed at 20 Hz or more |\n");
    printf("| --- | --- | --- | --- | --- | --- |\n");
    for (k = 0; k < 4; k++)
        for (f = 1; f >= 0; f--) {
            sm_generate_config g = sm_generate_config_default();
            sm_generated v[32];
            sm_generate_stats st;
            sm_error err = {0};
            size_t n = 0;
            g.kind = kinds[k];
            g.fixed_auto = f;
            g.seed = 5;
            if (sm_timbre_generate(m, &g, v, &n, &st, &err) != 0) continue;
            printf("| %s | %s | %zu | %zu | %zu | %zu / %zu |\n", sm_kind_name(kinds[k]),
                   f ? "auto" : "keep", st.candidates, st.reasons[4], st.garbage - st.reasons[4],
                   st.with_fixed, n);
        }
}

int main(int argc, char **argv)
{
    sm_timbre_config c = sm_timbre_config_default();
    sm_timbre_info info;
    sm_error err = {0};
    sm_timbre *m;
    unsigned char *raw = NULL;
    size_t n_raw = 0;
    char out[4096];
    double t0;
    int a, k, rc = 0;
    size_t total = 0, loaded = 0, garbage = 0, garbage_other = 0, right_kind = 0;
    size_t min_bytes = 1000, too_close = 0;
    double gen_s_max = 0, gen_s_sum = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_generate VOICES_FILE [OUT_DIR]\n");
        return 2;
    }
    if (argc > 2) snprintf(out, sizeof out, "%s", argv[2]);
    else snprintf(out, sizeof out, "/tmp/bench_generate.%d", (int)getpid());
    mkdir(out, 0755);
    c.voices_file = argv[1];
    t0 = omp_get_wtime();
    m = sm_timbre_open(&c, &err);
    if (!m) {
        fprintf(stderr, "bench_generate: %s\n", err.msg);
        return 1;
    }
    sm_timbre_get_info(m, &info);
    printf("timbre_model: %s in %.2f s (PCA %.2f s, clusters %.2f s, render %.2f s), %zu voices, "
           "%zu components, threads %d\n", info.loaded ? "loaded" : "built",
           omp_get_wtime() - t0, info.pca_s, info.cluster_s, info.render_s, sm_timbre_count(m),
           sm_timbre_components(m), omp_get_max_threads());
    {
        FILE *f = fopen(argv[1], "rb");
        if (f) {
            fseek(f, 0, SEEK_END);
            n_raw = (size_t)ftell(f) / 128;
            rewind(f);
            raw = malloc(n_raw * 128);
            if (!raw || fread(raw, 128, n_raw, f) != n_raw) n_raw = 0;
            fclose(f);
        }
    }

    printf("| algorithm | kind | seconds | candidates | voices loaded and rendered | independent "
           "garbage check, note 60 | the same at note 48 or 72 | classified as asked | fewest "
           "differing bytes | failures (48/60/72) |\n");
    printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (a = 0; a < N_ALG; a++)
        for (k = 0; k < N_KIND; k++) {
            sm_generate_config g = sm_generate_config_default();
            sm_generated v[32];
            sm_dx7_voice dx[32];
            sm_generate_stats st;
            sm_dx7_bank bank;
            char path[4300], **files = NULL, bad_list[512] = "";
            size_t n = 0, i, bad = 0, other = 0, kind_ok = 0, nb_min = 1000, ok_load = 0;
            double s;
            g.algorithm = ALGS[a];
            g.kind = KINDS[k];
            g.count = 32;
            t0 = omp_get_wtime();
            if (sm_timbre_generate(m, &g, v, &n, &st, &err) != 0 || n < 32) {
                printf("| %d | %s | failed: %zu voices | %zu | | | | |\n", ALGS[a],
                       sm_kind_name(KINDS[k]), n, st.candidates);
                rc = 1;
                continue;
            }
            s = omp_get_wtime() - t0;
            gen_s_sum += s;
            gen_s_max = fmax(gen_s_max, s);
            for (i = 0; i < n; i++) dx[i] = v[i].voice;
            snprintf(path, sizeof path, "%s/alg%02d-%s.syx", out, ALGS[a], sm_kind_name(KINDS[k]));
            if (sm_bank_write_all(path, dx, n, &files, &err) != 0 || !bank_ok(path) ||
                sm_dx7_load(path, &bank, &err) != 0) {
                printf("| %d | %s | bank file failed: %s |\n", ALGS[a], sm_kind_name(KINDS[k]),
                       err.msg);
                rc = 1;
                sm_bank_files_free(files, 1);
                continue;
            }
            sm_bank_files_free(files, 1);
            for (i = 0; i < 32; i++) {
                double nat[SM_FM6_NPARAMS], f[SM_VOICE_NFEAT];
                const double notes[3] = {48, 60, 72};
                sm_voice_analyser *an = sm_voice_analyser_alloc(sm_timbre_render_config(m), &err);
                sm_voice_descr d;
                char why[3][96];
                int q, failed = 0;
                size_t h, nb = 1000;
                unsigned char p[128];
                sm_dx7_voice_to_native(&bank.voices[i], nat);
                if (an && sm_voice_analyse(an, nat, &d) == 0) {
                    ok_load++;
                    sm_voice_features(&d, f);
                    kind_ok += sm_kind_classify(sm_timbre_classifier(m), f, NULL) == KINDS[k];
                }
                sm_voice_analyser_free(an);
                for (q = 0; q < 3; q++)
                    check_note(nat, notes[q], sm_kind_pitched(KINDS[k]), why[q], sizeof why[q]);
                failed = why[1][0] != '\0';
                other += why[0][0] != '\0' || why[2][0] != '\0';
                if (failed || why[0][0] || why[2][0]) {
                    bad += (size_t)failed;
                    if (strlen(bad_list) < 400) {
                        size_t l = strlen(bad_list);
                        snprintf(bad_list + l, sizeof bad_list - l, " [%zu: %s/%s/%s]", i + 1,
                                 why[0], why[1], why[2]);
                    }
                }
                sm_dx7_pack_voice(&bank.voices[i], p);
                for (h = 0; h < n_raw; h++) {
                    const unsigned char *r = raw + h * 128;
                    size_t j, d2 = 0;
                    for (j = 0; j < 118 && d2 < nb; j++) d2 += r[j] != p[j];
                    if (d2 < nb) nb = d2;
                }
                if (nb < nb_min) nb_min = nb;
                too_close += nb < 6;
            }
            sm_dx7_bank_free(&bank);
            total += 32;
            loaded += ok_load;
            garbage += bad;
            garbage_other += other;
            right_kind += kind_ok;
            if (nb_min < min_bytes) min_bytes = nb_min;
            printf("| %d | %s | %.2f | %zu | %zu / 32 | %zu / 32 | %zu / 32 | %zu / 32 | %zu |%s\n",
                   ALGS[a], sm_kind_name(KINDS[k]), s, st.candidates, ok_load, bad, other, kind_ok,
                   nb_min, bad_list);
            fflush(stdout);
        }
    printf("banks_total: voices=%zu loaded_rendered=%zu independent_garbage_note60=%zu (%.2f%%) "
           "at_note_48_or_72=%zu (%.2f%%) classified_as_asked=%zu (%.1f%%) "
           "fewest_differing_bytes=%zu within_5_bytes=%zu\n",
           total, loaded, garbage, total ? 100.0 * garbage / total : 0, garbage_other,
           total ? 100.0 * garbage_other / total : 0, right_kind,
           total ? 100.0 * right_kind / total : 0, min_bytes, too_close);
    human_baseline(m);
    fixed_effect(m);
    printf("generate_32_voices: mean_s=%.2f max_s=%.2f (in-process, model loaded)\n",
           gen_s_sum / (N_ALG * N_KIND), gen_s_max);

    /* descriptor distributions: 512 voices of any kind and algorithm against the human set */
    {
        enum { NG = 512 };
        sm_generate_config g = sm_generate_config_default();
        sm_generated *v = malloc(NG * sizeof *v);
        sm_generate_stats st;
        const size_t nh = sm_timbre_count(m);
        double *ga = malloc(NG * sizeof *ga), *ha = malloc(nh * sizeof *ha);
        double *h1 = malloc(nh * sizeof *h1), *h2 = malloc(nh * sizeof *h2);
        size_t *perm = malloc(nh * sizeof *perm), n = 0, i;
        sm_rng rng;
        int f;
        g.count = NG;
        g.seed = 2;
        if (!v || !ga || !ha || !h1 || !h2 || !perm ||
            sm_timbre_generate(m, &g, v, &n, &st, &err) != 0 || n < NG) {
            printf("distributions: failed\n");
            return 1;
        }
        for (i = 0; i < nh; i++) perm[i] = i;
        sm_rng_init(&rng, 99, 0);
        sm_rng_shuffle(&rng, perm, nh);
        printf("| descriptor | KS D, 512 generated vs 31,380 human | KS D, 512 random human vs the "
               "other human | KS D, two random halves of the human set | 5%% critical D (512 vs "
               "rest) |\n");
        printf("| --- | --- | --- | --- | --- |\n");
        for (f = 0; f < SM_VOICE_NFEAT; f++) {
            double x[SM_VOICE_NFEAT], d_gen, d_sub, d_half, crit;
            size_t j;
            for (i = 0; i < NG; i++) {
                sm_voice_features(&v[i].descr, x);
                ga[i] = x[f];
            }
            for (i = 0; i < nh; i++) {
                sm_voice_features(sm_timbre_descr(m, i), x);
                ha[i] = x[f];
            }
            for (i = 0; i < nh; i++) {
                sm_voice_features(sm_timbre_descr(m, perm[i]), x);
                if (i < nh / 2) h1[i] = x[f];
                else h2[i - nh / 2] = x[f];
            }
            d_half = ks(h1, nh / 2, h2, nh - nh / 2);
            for (i = 0, j = 0; i < nh; i++) {
                sm_voice_features(sm_timbre_descr(m, perm[i]), x);
                if (i < NG) h1[i] = x[f];
                else h2[j++] = x[f];
            }
            d_sub = ks(h1, NG, h2, nh - NG);
            d_gen = ks(ga, NG, ha, nh);
            /* 1.358 sqrt((n + m) / (n m)): the asymptotic 5% critical value */
            crit = 1.358 * sqrt((double)(NG + nh - NG) / ((double)NG * (double)(nh - NG)));
            printf("| %s | %.3f | %.3f | %.3f | %.3f |\n", sm_voice_feature_name(f), d_gen,
                   d_sub, d_half, crit);
        }
        printf("distributions: %zu candidates for %d voices\n", st.candidates, NG);
        free(v);
        free(ga);
        free(ha);
        free(h1);
        free(h2);
        free(perm);
    }
    free(raw);
    sm_timbre_free(m);
    return rc;
}
