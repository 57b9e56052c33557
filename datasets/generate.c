/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/generate.c: new DX7 voices drawn from the timbre space (sm_timbre_generate, see
 * datasets/timbre.h).
 *
 * A drawn point is decoded and repaired (sm_timbre_reconstruct), and two repairs follow, both
 * read off the human voices of voices31380.bin:
 * - the transpose goes to the nearest whole octave (0, 12, 24, 36 or 48: 97.4% of the human
 *   voices have one of them; any other shift moves every note off the key's pitch class);
 * - for a pitched kind (pad, keys, bass, lead: the one asked for, or with none asked the
 *   anchor's), every ratio-mode operator goes to the nearest whole ratio (fine 0), as 93% of
 *   the carriers and 88% of the modulators at output level 50 or more of the human voices
 *   named pad, keys, bass or lead are: a decoded point blurs the ratios, and a carrier at
 *   ratio 2.37 makes a tone that is not at the key's pitch;
 * - when a pitched kind is asked for, the pitch envelope's levels 3 (held) and 4 (start and
 *   release) go to 50, no shift, as in 92.6% and 91.9% of all the human voices: a blurred 47
 *   holds the note a fraction of a semitone off. (With no kind asked this repair is left
 *   out: it makes voices steadier in pitch than human voices are, measured by
 *   bench/bench_generate's distance between the two sets' pitch stability.)
 * Measured on 150 human pads in tune, each projected onto the 100 kept components and
 * decoded: 52 of them came back within 50 cents of the key with the first two repairs, 145
 * with all three.
 *
 * Candidates are judged in batches on OpenMP threads (draw, decode, render, measure, classify,
 * compare with the human voices), then taken or rejected one by one in candidate order, so
 * the voices and the counts do not depend on the number of threads or the batch size.
 *
 * Fixed-frequency operators. A DX7 operator in fixed mode ignores the key: right for noises,
 * bells and effects, wrong for a voice played as notes, whose pitch would stay put across the
 * keyboard. Measured on voices31380.bin (`soundmatch timbre`, README section "Making DX7
 * banks"), among voices whose names say their kind, the share with a fixed operator at output
 * level 50 or more:
 *   fixed at 20 Hz or above: pad 5.2%, keys 12.7%, bass 6.6%, lead 1.4%; bell 21.3%,
 *     perc 39.2%, fx 47.8%;
 *   fixed below 20 Hz: pad 38.7%, keys 12.7%, bass 11.3%, lead 20.2%, bell 15.3%, perc 24.7%,
 *     fx 30.9%: the DX7 trick of a near-still carrier whose modulators give it its waveform
 *     and pitch ("WARM PAD 1", "Strings 5"), which follows the key.
 * So with fixed_auto, fixed frequencies of 20 Hz or more are kept only when the kind asked for
 * (or, with no kind asked, the anchor voice's kind) is bell, perc or fx; otherwise such an
 * operator is decoded in ratio mode at the ratio nearest the frequency it had at the model's
 * note, and fixed operators below 20 Hz stay as they are (SM_TIMBRE_FIXED_SUBAUDIO). The
 * effect, measured by bench/bench_generate, is in the README section. */
#include "datasets/timbre_internal.h"
#include "core/rng.h"
#include "synths/fm6.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_BATCH 64

sm_generate_config sm_generate_config_default(void)
{
    sm_generate_config g;
    memset(&g, 0, sizeof g);
    g.kind = SM_KIND_NONE;
    g.count = 32;
    g.seed = 1;
    g.spread = 0.5;
    g.fixed_auto = 1;
    g.min_bytes = 6;
    return g;
}

/* One judged candidate. */
typedef struct {
    double native[SM_FM6_NPARAMS];
    sm_voice_descr descr;
    unsigned garbage;
    int kind, cluster, nearest_bytes, has_fixed; /* has_fixed: at 20 Hz or above */
    size_t anchor;
} candidate;

/* The eligible anchors, grouped by cluster. */
typedef struct {
    size_t *members;   /* eligible voices, cluster by cluster */
    size_t *offset;    /* k + 1: cluster c's members are members[offset[c] .. offset[c+1]) */
    size_t n;
} anchors;

static int fixed_kind(int kind)
{
    return kind == SM_KIND_BELL || kind == SM_KIND_PERC || kind == SM_KIND_FX;
}

/* Fills a with the voices of the algorithm and kind asked (0 / SM_KIND_NONE: any) that are
 * not garbage. Returns 0 or SM_ERR_NOMEM. */
static int find_anchors(const sm_timbre *m, int algorithm, int kind, anchors *a)
{
    size_t i, c, *fill;
    memset(a, 0, sizeof *a);
    a->members = malloc(m->n * sizeof *a->members);
    a->offset = calloc(m->k + 1, sizeof *a->offset);
    fill = calloc(m->k + 1, sizeof *fill);
    if (!a->members || !a->offset || !fill) {
        free(fill);
        return SM_ERR_NOMEM;
    }
    for (i = 0; i < m->n; i++) {
        const double *nat = m->native + i * SM_FM6_NPARAMS;
        if (algorithm && lrint(nat[SM_FM6_ALGORITHM]) != algorithm) continue;
        if (kind != SM_KIND_NONE && m->kind[i] != kind) continue;
        if (sm_garbage_check(&m->descr[i], NULL, sm_kind_pitched(kind))) continue;
        a->offset[m->assign[i] + 1]++;
        a->n++;
    }
    for (c = 0; c < m->k; c++) a->offset[c + 1] += a->offset[c];
    memcpy(fill, a->offset, (m->k + 1) * sizeof *fill);
    for (i = 0; i < m->n; i++) {
        const double *nat = m->native + i * SM_FM6_NPARAMS;
        if (algorithm && lrint(nat[SM_FM6_ALGORITHM]) != algorithm) continue;
        if (kind != SM_KIND_NONE && m->kind[i] != kind) continue;
        if (sm_garbage_check(&m->descr[i], NULL, sm_kind_pitched(kind))) continue;
        a->members[fill[m->assign[i]]++] = i;
    }
    free(fill);
    return 0;
}

static void anchors_free(anchors *a)
{
    free(a->members);
    free(a->offset);
    memset(a, 0, sizeof *a);
}

/* Puts every ratio-mode operator at the whole ratio (0.5, 1, 2, ... 31, fine 0) nearest its
 * frequency. */
static void whole_ratios(double *nat)
{
    int op, c;
    for (op = 1; op <= 6; op++) {
        double *coarse = &nat[SM_FM6_OP(op, SM_FM6_COARSE)];
        double *fine = &nat[SM_FM6_OP(op, SM_FM6_FINE)];
        double l, best = HUGE_VAL;
        int pick = 1;
        if (nat[SM_FM6_OP(op, SM_FM6_OSC_MODE)] > 0 || *fine == 0) continue;
        l = (*coarse == 0 ? -1.0 : log2(*coarse)) + log2(1.0 + 0.01 * *fine);
        for (c = 0; c < 32; c++) {
            double e = fabs((c == 0 ? -1.0 : log2((double)c)) - l);
            if (e < best) {
                best = e;
                pick = c;
            }
        }
        *coarse = pick;
        *fine = 0;
    }
}

/* Draws, decodes and judges candidate number idx. */
static void judge(const sm_timbre *m, const sm_generate_config *g, const anchors *a,
                  sm_voice_analyser *an, size_t idx, candidate *cd)
{
    double z[SM_TIMBRE_DIM], e[SM_TIMBRE_DIM], feat[SM_VOICE_NFEAT];
    const size_t q = m->q;
    size_t pick, c, r, s;
    const double *L;
    int fixed, op;
    sm_rng rng;
    sm_rng_init(&rng, g->seed, idx);
    /* an eligible voice uniformly: its cluster is then drawn in proportion to its eligible
     * voices */
    pick = (size_t)sm_rng_below(&rng, a->n);
    cd->anchor = a->members[pick];
    for (c = 0; c < m->k && a->offset[c + 1] <= pick; c++) {}
    cd->cluster = (int)c;
    L = m->chol + c * q * q;
    for (r = 0; r < q; r++) e[r] = sm_rng_normal(&rng);
    for (r = 0; r < q; r++) {
        double s_ = 0;
        for (s = 0; s <= r; s++) s_ += L[r * q + s] * e[s];
        z[r] = (double)m->scores[cd->anchor * q + r] + g->spread * s_;
    }
    if (!g->fixed_auto)
        fixed = SM_TIMBRE_FIXED_KEEP;
    else if (g->kind != SM_KIND_NONE)
        fixed = fixed_kind(g->kind) ? SM_TIMBRE_FIXED_KEEP : SM_TIMBRE_FIXED_SUBAUDIO;
    else
        fixed = fixed_kind(m->kind[cd->anchor]) ? SM_TIMBRE_FIXED_KEEP : SM_TIMBRE_FIXED_SUBAUDIO;
    sm_timbre_reconstruct(m, z, q, g->algorithm, fixed, cd->native);
    /* transpose in whole octaves, as 97.4% of the human voices have it: any other shift moves
     * every note off the key's pitch class */
    cd->native[SM_FM6_TRANSPOSE] = 12.0 * floor(cd->native[SM_FM6_TRANSPOSE] / 12.0 + 0.5);
    if (g->kind != SM_KIND_NONE ? sm_kind_pitched(g->kind) : sm_kind_pitched(m->kind[cd->anchor]))
        whole_ratios(cd->native);
    if (sm_kind_pitched(g->kind)) {
        cd->native[SM_FM6_PITCH_EG_LEVEL3] = 50;
        cd->native[SM_FM6_PITCH_EG_LEVEL4] = 50;
    }
    cd->has_fixed = 0;
    for (op = 1; op <= 6; op++)
        cd->has_fixed |= cd->native[SM_FM6_OP(op, SM_FM6_OSC_MODE)] > 0 &&
                         ((int)cd->native[SM_FM6_OP(op, SM_FM6_COARSE)] & 3) +
                                 0.01 * cd->native[SM_FM6_OP(op, SM_FM6_FINE)] >= log10(20.0);
    if (sm_voice_analyse(an, cd->native, &cd->descr) != 0) {
        cd->garbage = SM_GARBAGE_SILENT;
        cd->kind = SM_KIND_NONE;
        return;
    }
    sm_voice_features(&cd->descr, feat);
    cd->kind = sm_kind_classify(&m->classifier, feat, NULL);
    cd->garbage = sm_garbage_check(&cd->descr, NULL, sm_kind_pitched(g->kind));
    cd->nearest_bytes = -1;
    if (!cd->garbage && (g->kind == SM_KIND_NONE || cd->kind == g->kind))
        cd->nearest_bytes = sm_timbre_nearest_bytes(m, cd->native, NULL);
}

/* Bytes in which two packed voices (names aside) differ. */
static int packed_diff(const unsigned char *a, const unsigned char *b)
{
    int j, d = 0;
    for (j = 0; j < TIMBRE_PACKED_BYTES; j++) d += a[j] != b[j];
    return d;
}

int sm_timbre_generate(const sm_timbre *m, const sm_generate_config *g, sm_generated *out,
                       size_t *n_out, sm_generate_stats *st, sm_error *err)
{
    const int threads = g && g->threads > 0 ? g->threads : omp_get_max_threads();
    sm_generate_stats stats;
    sm_voice_analyser **an = NULL;
    candidate *batch = NULL;
    unsigned char *taken = NULL;
    anchors a = {0};
    size_t base = 0, n = 0, max_cand, i;
    int t, rc = 0, done = 0;
    char what[96];

    if (n_out) *n_out = 0;
    memset(&stats, 0, sizeof stats);
    if (st) *st = stats;
    if (!m || !g || !out || !n_out) return sm_error_set(err, SM_ERR_ARG, "generate: NULL argument");
    if (g->algorithm < 0 || g->algorithm > 32)
        return sm_error_set(err, SM_ERR_RANGE, "generate: algorithm %d (1 to 32, or 0 for any)",
                            g->algorithm);
    if (g->kind < SM_KIND_NONE || g->kind >= SM_KIND_N)
        return sm_error_set(err, SM_ERR_RANGE, "generate: unknown kind %d", g->kind);
    if (g->count < 1 || g->count > 100000)
        return sm_error_set(err, SM_ERR_RANGE, "generate: count %zu (1 to 100000)", g->count);
    if (!(g->spread >= 0 && g->spread <= 10) || g->min_bytes < 0 ||
        g->min_bytes > TIMBRE_PACKED_BYTES)
        return sm_error_set(err, SM_ERR_RANGE, "generate: spread %g (0 to 10) or min_bytes %d "
                            "(0 to %d)", g->spread, g->min_bytes, TIMBRE_PACKED_BYTES);
    max_cand = g->max_candidates ? g->max_candidates : 200 * g->count;

    /* anchors: the algorithm and kind asked; failing that the kind alone; failing that any */
    if (find_anchors(m, g->algorithm, g->kind, &a)) goto nomem;
    if (a.n == 0 && g->algorithm) {
        anchors_free(&a);
        stats.relaxed = 1;
        if (find_anchors(m, 0, g->kind, &a)) goto nomem;
    }
    if (a.n == 0) {
        anchors_free(&a);
        stats.relaxed = 2;
        if (find_anchors(m, 0, SM_KIND_NONE, &a)) goto nomem;
    }
    if (a.n == 0) {
        anchors_free(&a);
        return sm_error_set(err, SM_ERR_EMPTY, "generate: no human voice to start from");
    }
    stats.anchors = a.n;

    an = calloc((size_t)threads, sizeof *an);
    batch = malloc(GEN_BATCH * sizeof *batch);
    taken = malloc(g->count * TIMBRE_PACKED_BYTES);
    if (!an || !batch || !taken) goto nomem;
    for (t = 0; t < threads && !rc; t++)
        if (!(an[t] = sm_voice_analyser_alloc(&m->cfg.render, err))) rc = err ? err->code : -1;
    if (rc) goto done;

    snprintf(what, sizeof what, "generating %s voices", sm_kind_name(g->kind));
    while (!done && base < max_cand) {
        const size_t nb = max_cand - base < GEN_BATCH ? max_cand - base : GEN_BATCH;
        long long j;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (j = 0; j < (long long)nb; j++)
            judge(m, g, &a, an[omp_get_thread_num()], base + (size_t)j, &batch[j]);
        for (i = 0; i < nb && !done; i++) {
            candidate *cd = &batch[i];
            unsigned char p[TIMBRE_PACKED_BYTES];
            size_t k;
            int b;
            stats.candidates++;
            if (cd->garbage) {
                stats.garbage++;
                for (b = 0; b < SM_GARBAGE_NREASONS; b++)
                    if (cd->garbage & (1u << b)) stats.reasons[b]++;
                continue;
            }
            if (g->kind != SM_KIND_NONE && cd->kind != g->kind) {
                stats.wrong_kind++;
                continue;
            }
            if (cd->nearest_bytes < g->min_bytes) {
                stats.too_close++;
                continue;
            }
            sm_timbre_packed_bytes(cd->native, p);
            for (k = 0; k < n; k++)
                if (packed_diff(p, taken + k * TIMBRE_PACKED_BYTES) < g->min_bytes) break;
            if (k < n) {
                stats.repeated++;
                continue;
            }
            memcpy(taken + n * TIMBRE_PACKED_BYTES, p, TIMBRE_PACKED_BYTES);
            memset(&out[n], 0, sizeof out[n]);
            memcpy(out[n].native, cd->native, sizeof cd->native);
            out[n].descr = cd->descr;
            out[n].kind = cd->kind;
            out[n].candidate = base + i;
            out[n].anchor = cd->anchor;
            out[n].cluster = cd->cluster;
            out[n].nearest_bytes = cd->nearest_bytes;
            stats.with_fixed += (size_t)cd->has_fixed;
            n++;
            if (n == g->count) done = 1;
        }
        base += nb;
        if (g->progress) g->progress(g->progress_ctx, what, n, g->count);
    }
    stats.accepted = n;

    /* names, unique within each bank of 32 */
    {
        sm_voice_name *names = malloc((n ? n : 1) * sizeof *names);
        if (!names) goto nomem;
        for (i = 0; i < n; i++) {
            sm_rng rng;
            sm_rng_init(&rng, g->seed, ((uint64_t)1 << 48) + i);
            sm_kind_random_name(g->kind != SM_KIND_NONE ? g->kind : out[i].kind, &rng, names[i]);
            sm_bank_unique_name(names, i - i % SM_DX7_BANK_VOICES, i);
            sm_dx7_voice_from_native(&out[i].voice, out[i].native, names[i]);
        }
        free(names);
    }
    *n_out = n;
    if (st) *st = stats;
    goto done;
nomem:
    rc = sm_error_set(err, SM_ERR_NOMEM, "generate: out of memory");
done:
    if (an)
        for (t = 0; t < threads; t++) sm_voice_analyser_free(an[t]);
    free(an);
    free(batch);
    free(taken);
    anchors_free(&a);
    return rc;
}
