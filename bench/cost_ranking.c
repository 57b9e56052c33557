/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/cost_ranking.c: how well does a cost rank candidates the way an independent measure
 * does? For each target recording: its note and onset (features/ analysis), then candidates
 * of the kind a search meets: the 100 human presets the preset index finds nearest, and 200
 * variations of the 20 nearest (each parameter moved with probability 0.15 by a Gaussian step
 * of 0.08 in normalised units). Every candidate is rendered at the target's note and scored
 * by each cost variant and by the log-mel distance of ../shared/MEASURES.md, which no
 * optimizer minimises. Per target and variant it prints Spearman's rank correlation of cost
 * with log-mel distance over all candidates and over the cost's best 50, and the regret:
 * the log-mel distance of the cost's best candidate minus the best log-mel distance among
 * the candidates. Then the medians over targets.
 *
 * usage: cost_ranking VOICES_FILE TARGET.wav...   (e.g. voices31380.bin and a GM set) */
#include "core/audio.h"
#include "core/rng.h"
#include "datasets/presets.h"
#include "features/features.h"
#include "synths/fm6.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_NEAR 100
#define N_PARENTS 20
#define N_KIDS 10
#define N_CAND (N_NEAR + N_PARENTS * N_KIDS)
#define TOP 50

typedef struct {
    const char *name;
    double w_mfcc, w_mss, w_loud;
    int norm;
    double w_logmel;
    int lm_fft, lm_hop, lm_mels;  /* 0: the cost's defaults */
    int lm2_fft, lm2_mels;        /* a second log-mel scale (0: none) */
} variant;

static const variant variants[] = {
    {"mfcc (the old default)", 1, 0, 0, 0, 0, 0, 0, 0},
    {"mfcc, gain-normalised", 1, 0, 0, 1, 0, 0, 0, 0},
    {"mss, gain-normalised", 0, 1, 0, 1, 0, 0, 0, 0},
    {"mfcc + mss, gain-normalised", 1, 1, 0, 1, 0, 0, 0, 0},
    {"mfcc + 3 mss, gain-normalised", 1, 3, 0, 1, 0, 0, 0, 0},
    {"mfcc + 0.3 loudness env, gain-normalised", 1, 0, 0.3, 1, 0, 0, 0, 0},
    {"mfcc + mss + 0.3 loudness env, gain-norm.", 1, 1, 0.3, 1, 0, 0, 0, 0},
    {"logmel 1024/256/96", 0, 0, 0, 1, 1, 0, 0, 0},
    {"logmel 512/128/64", 0, 0, 0, 1, 1, 512, 128, 64},
    {"logmel 1024/256/128", 0, 0, 0, 1, 1, 1024, 256, 128},
    {"mfcc + logmel 1024/256/96", 1, 0, 0, 1, 1, 0, 0, 0},
    {"mfcc + 0.3 logmel 1024/256/96", 1, 0, 0, 1, 0.3, 0, 0, 0},
    {"mfcc + mss + logmel 1024/256/96", 1, 1, 0, 1, 1, 0, 0, 0},
    {"logmel 1024/256/96 + 2048/512/128 (default)", 0, 0, 0, 1, 1, 0, 0, 0, 2048, 128},
    {"judge itself: logmel 2048/512/64 (reference)", 0, 0, 0, 1, 1, 2048, 512, 64},
};
enum { NV = sizeof variants / sizeof *variants };

static void ranks(const double *v, size_t n, double *r)
{
    size_t i, j;
    for (i = 0; i < n; i++) {
        double less = 0, eq = 0;
        for (j = 0; j < n; j++) {
            if (v[j] < v[i]) less++;
            else if (v[j] == v[i]) eq++;
        }
        r[i] = less + (eq + 1) / 2;
    }
}

static double spearman(const double *a, const double *b, size_t n)
{
    double *ra = malloc(n * sizeof *ra), *rb = malloc(n * sizeof *rb), ma = 0, mb = 0, sab = 0,
           saa = 0, sbb = 0;
    size_t i;
    ranks(a, n, ra);
    ranks(b, n, rb);
    for (i = 0; i < n; i++) {
        ma += ra[i] / (double)n;
        mb += rb[i] / (double)n;
    }
    for (i = 0; i < n; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    free(ra);
    free(rb);
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n ? (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])) : NAN;
}

int main(int argc, char **argv)
{
    const double sr = 44100;
    sm_preset_index_config ic = sm_preset_index_config_default();
    sm_preset_index *idx;
    sm_error err = {0};
    double *rho_all = calloc((size_t)argc * NV, sizeof *rho_all);
    double *rho_top = calloc((size_t)argc * NV, sizeof *rho_top);
    double *regret = calloc((size_t)argc * NV, sizeof *regret);
    size_t nt = 0;
    int a, v;
    void *st;
    if (argc < 3) {
        fprintf(stderr, "usage: cost_ranking VOICES_FILE TARGET.wav...\n");
        return 2;
    }
    ic.voice_files[0] = argv[1];
    ic.n_voice_files = 1;
    idx = sm_preset_index_open(&ic, &err);
    st = sm_synth_fm6.alloc(sr, &err);
    if (!idx || !st) {
        fprintf(stderr, "cost_ranking: %s\n", err.msg);
        return 1;
    }
    printf("%-22s %-44s %8s %8s %8s\n", "target", "cost", "rho_all", "rho_top", "regret");
    for (a = 2; a < argc; a++) {
        sm_audio t;
        sm_target_info info;
        sm_note note = sm_note_default();
        size_t ids[N_NEAR], nf = 0, n, i, k;
        double *x = malloc(N_CAND * SM_FM6_NPARAMS * sizeof *x), *native = malloc(SM_FM6_NPARAMS * sizeof *native);
        double *lm = malloc(N_CAND * sizeof *lm), *cost = malloc(N_CAND * sizeof *cost);
        float *y;
        sm_logmel_plan *lp;
        sm_rng rng;
        size_t nc = 0;
        if (sm_audio_read(argv[a], sr, &t, NULL, &err) || sm_target_analyse(t.data, t.n, sr, &info, &err)) {
            fprintf(stderr, "cost_ranking: %s: %s\n", argv[a], err.msg);
            continue;
        }
        memmove(t.data, t.data + info.onset, (t.n - info.onset) * sizeof *t.data);
        n = info.end > info.onset ? info.end - info.onset + (size_t)(0.05 * sr) : t.n - info.onset;
        if (n > (size_t)(3 * sr)) n = (size_t)(3 * sr);
        if (n > t.n - info.onset) n = t.n - info.onset;
        t.n -= info.onset;
        sm_audio_fit(&t, n);
        note.note = isfinite(info.note) ? round(info.note) : 60;
        note.length_s = (double)n / sr;
        note.gate_s = 0.75 * note.length_s;
        if (sm_preset_index_query(idx, t.data, n, note.note, N_NEAR, NULL, ids, NULL, &nf, &err)) {
            fprintf(stderr, "cost_ranking: %s\n", err.msg);
            return 1;
        }
        sm_rng_init(&rng, 7, (uint64_t)a);
        for (i = 0; i < nf; i++, nc++)
            sm_params_encode(&sm_fm6_space, sm_preset_index_native(idx, ids[i]), x + nc * SM_FM6_NPARAMS);
        for (i = 0; i < N_PARENTS && i < nf; i++)
            for (k = 0; k < N_KIDS; k++, nc++) {
                double *row = x + nc * SM_FM6_NPARAMS;
                size_t j;
                memcpy(row, x + i * SM_FM6_NPARAMS, SM_FM6_NPARAMS * sizeof *row);
                for (j = 0; j < SM_FM6_NPARAMS; j++)
                    if (sm_rng_uniform(&rng) < 0.15 && !sm_param_is_structural(&sm_fm6_space.p[j])) {
                        double u = row[j] + 0.08 * sm_rng_normal(&rng);
                        row[j] = u < 0 ? 0 : u > 1 ? 1 : u;
                    }
            }
        y = malloc(n * nc * sizeof *y);
        lp = sm_logmel_plan_alloc(t.data, n, sr, &err);
        for (i = 0; i < nc; i++) {
            sm_params_decode(&sm_fm6_space, x + i * SM_FM6_NPARAMS, native);
            sm_synth_fm6.render(st, native, &note, y + i * n, n);
            if (sm_logmel_plan_distance(lp, y + i * n, n, &lm[i], NULL)) lm[i] = 200;
        }
        for (v = 0; v < NV; v++) {
            sm_cost_config cc = sm_cost_config_default(sr);
            sm_cost_target *ct;
            sm_cost *c;
            double best = INFINITY, lm_best = INFINITY, lm_of_best = NAN, *top_c, *top_l;
            size_t *ord = malloc(nc * sizeof *ord);
            cc.w_mfcc = variants[v].w_mfcc;
            cc.w_mss = variants[v].w_mss;
            cc.w_loudness = variants[v].w_loud;
            cc.normalize_gain = variants[v].norm;
            cc.w_logmel = variants[v].w_logmel;
            cc.logmel2.n_fft = variants[v].lm2_fft;
            cc.logmel2.hop = variants[v].lm2_fft / 4;
            cc.logmel2.n_mels = variants[v].lm2_fft ? variants[v].lm2_mels : cc.logmel2.n_mels;
            cc.w_level = 0;
            if (variants[v].lm_fft) {
                cc.logmel.n_fft = variants[v].lm_fft;
                cc.logmel.hop = variants[v].lm_hop;
                cc.logmel.n_mels = variants[v].lm_mels;
            }
            ct = sm_cost_target_alloc(&cc, t.data, n, &err);
            c = ct ? sm_cost_alloc(ct, &err) : NULL;
            if (!c) {
                fprintf(stderr, "cost_ranking: %s\n", err.msg);
                return 1;
            }
            for (i = 0; i < nc; i++) {
                cost[i] = sm_cost_eval(c, y + i * n, n);
                if (!isfinite(cost[i])) cost[i] = 1e6;
                if (cost[i] < best) {
                    best = cost[i];
                    lm_of_best = lm[i];
                }
                if (lm[i] < lm_best) lm_best = lm[i];
                ord[i] = i;
            }
            /* the cost's best TOP candidates */
            for (i = 1; i < nc; i++) {
                size_t w = ord[i], j = i;
                while (j > 0 && cost[ord[j - 1]] > cost[w]) {
                    ord[j] = ord[j - 1];
                    j--;
                }
                ord[j] = w;
            }
            top_c = malloc(TOP * sizeof *top_c);
            top_l = malloc(TOP * sizeof *top_l);
            for (i = 0; i < TOP && i < nc; i++) {
                top_c[i] = cost[ord[i]];
                top_l[i] = lm[ord[i]];
            }
            rho_all[nt * NV + (size_t)v] = spearman(cost, lm, nc);
            rho_top[nt * NV + (size_t)v] = spearman(top_c, top_l, i);
            regret[nt * NV + (size_t)v] = lm_of_best - lm_best;
            printf("%-22.22s %-44s %8.3f %8.3f %8.2f\n", strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a],
                   variants[v].name, rho_all[nt * NV + (size_t)v], rho_top[nt * NV + (size_t)v],
                   regret[nt * NV + (size_t)v]);
            free(top_c);
            free(top_l);
            free(ord);
            sm_cost_free(c);
            sm_cost_target_free(ct);
        }
        nt++;
        sm_logmel_plan_free(lp);
        free(y);
        free(x);
        free(native);
        free(lm);
        free(cost);
        sm_audio_free(&t);
    }
    printf("\nmedians over %zu targets\n%-44s %8s %8s %8s\n", nt, "cost", "rho_all", "rho_top", "regret");
    for (v = 0; v < NV; v++) {
        double *ra = malloc(nt * sizeof *ra), *rt = malloc(nt * sizeof *rt), *rg = malloc(nt * sizeof *rg);
        size_t i;
        for (i = 0; i < nt; i++) {
            ra[i] = rho_all[i * NV + (size_t)v];
            rt[i] = rho_top[i * NV + (size_t)v];
            rg[i] = regret[i * NV + (size_t)v];
        }
        printf("%-44s %8.3f %8.3f %8.2f\n", variants[v].name, median(ra, nt), median(rt, nt), median(rg, nt));
        free(ra);
        free(rt);
        free(rg);
    }
    sm_synth_fm6.free(st);
    sm_preset_index_free(idx);
    free(rho_all);
    free(rho_top);
    free(regret);
    return 0;
}
