/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/cost_grad.c: value and gradient with respect to the samples of the matching
 * cost's differentiable terms (see features/cost_grad.h; the terms are defined in
 * features/cost.c and, for the log-mel distance, in features/measure.c and MEASURES.md).
 *
 * Every spectral term is a function of the STFT frames X_t = FFT(w . x[t hop - N/2 ...]). Its
 * gradient comes back through the adjoint of the real FFT: for a loss of the half spectrum
 * X_0 .. X_{N/2} with adjoint Xbar_k = dL/dRe X_k + i dL/dIm X_k, the adjoint of the frame is
 *     fbar_j = sum_{k=0}^{N/2} Re(Xbar_k e^{+2 pi i k j / N}),
 * which is FFTW's c2r transform (the unnormalised backward DFT of the Hermitian extension) of
 * Y_0 = Re Xbar_0, Y_k = Xbar_k / 2 (0 < k < N/2), Y_{N/2} = Re Xbar_{N/2}; then
 * xbar[t hop - N/2 + j] += w_j fbar_j for the samples inside the signal. A magnitude C = |X|
 * has Xbar = Cbar X / C, a power P = |X|^2 has Xbar = 2 Pbar X. Each term runs its STFT twice:
 * once for its value (whose global parts, norms and the matrix maximum, every frame's adjoint
 * needs) and once for the adjoint; no spectrogram is stored.
 *
 * Subgradients at the nonsmooth points (each exact almost everywhere):
 *   - |a - b| (MSS's log term, LOUD, LOGMEL, MFCC, LEVEL): sign(a - b), 0 at equality;
 *   - a magnitude at 0 (C = |X| = 0): 0; the spectral convergence with S = C everywhere
 *     (||S - C|| = 0): 0;
 *   - LOGMEL's and MFCC's power floor max(power, 1e-10): 0 below the floor;
 *   - LOGMEL's and MFCC's top_db floor max(db, max(db) - 80): an entry on the floor depends
 *     on the matrix's maximum only, so its adjoint goes to the entry holding the maximum (the
 *     first one, if several tie); entries above the floor keep their own;
 *   - LOUD's frame floor max(rms, 1e-5): 0 below; LEVEL's cap at 100 dB and its free zone
 *     (level_free_db): 0 there;
 *   - the gain normalisation's clamp (a factor within 1/1000..1000): the factor's derivative
 *     is 0 when clamped.
 * A candidate silent over the target's length has a constant cost (LOGMEL: top_db; MFCC: the
 * distance to a matrix at the power floor; LEVEL: the cap), so its gradient is 0 there: no
 * descent can leave exact silence, as no finite difference could. */
#include "features/cost_grad.h"
#include "features/stft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const int mss_sizes[] = SM_MSS_SIZES;
enum { MSS_SCALES = sizeof mss_sizes / sizeof *mss_sizes };
#define LM_AMIN 1e-10         /* measure.c's power floor */
#define LM_MAX_MELS 256       /* also the MFCC term's mels at most */
#define DB_PER_NEPER 4.342944819032518  /* 10 / ln 10 */
#define DB20_PER_NEPER 8.685889638065036 /* 20 / ln 10 */

/* An STFT size with the adjoint's plan. */
typedef struct {
    sm_stft *fw;            /* r2c plan, window, buffers */
    fftw_plan inv;          /* c2r, Y -> y */
    fftw_complex *Y;
    double *y;
} fft_pair;

typedef struct {
    sm_logmel_settings set;
    fft_pair f;
    sm_mfcc *bank;          /* for its filterbank only */
    const double *w[LM_MAX_MELS];
    int ws[LM_MAX_MELS], wl[LM_MAX_MELS];
    size_t frames;
    double *db_t;           /* frames x mels, the target's floored matrix */
    double *db_m;           /* the candidate's, before the floor; then the raw powers' adjoints */
    double *raw;            /* the candidate's band powers before the RMS scaling */
    double *power;          /* one frame's |X|^2 */
    double *adj;            /* frames x mels: the loss's adjoints of the floored entries */
    int center;             /* frames centred (sm_stft_frame_start) */
    int n_mfcc;             /* 0: a LOGMEL scale; else the MFCC term's coefficients */
    const double *dct;      /* MFCC: n_mfcc x mels, the bank's orthonormal DCT-II */
    double *c_t;            /* MFCC: frames x n_mfcc, the target's coefficients */
    double *c_m;            /* MFCC: one frame's coefficients of the candidate */
} lm_scale;

struct sm_cost_grad {
    sm_cost_config cfg;
    size_t n;
    double ss_t;                    /* the target's sum of squares */
    fft_pair mss[MSS_SCALES];
    size_t mss_frames[MSS_SCALES];
    double *mss_t[MSS_SCALES];      /* the target's magnitudes, frames x bins */
    double mss_norm_t[MSS_SCALES];
    double *cmag;                   /* one frame's magnitudes (largest size) */
    size_t loud_frames;
    double *loud_t;                 /* the target's frame loudness in dB */
    lm_scale lm[2];
    int n_lm;
    lm_scale mf;                    /* the MFCC term (w_mfcc > 0) */
    double *gs;                     /* MSS and LOUD's gradient under gain normalisation */
};

/* ---- small helpers ---------------------------------------------------------------------- */

static double sgn(double v)
{
    return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0;
}

static double sum_sq(const float *x, size_t n)
{
    double s = 0;
    size_t i;
    for (i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

static void pair_free(fft_pair *p)
{
    sm_stft_free(p->fw);
    if (p->inv) {
        sm_fftw_lock();
        fftw_destroy_plan(p->inv);
        sm_fftw_unlock();
    }
    fftw_free(p->Y);
    fftw_free(p->y);
    memset(p, 0, sizeof *p);
}

static int pair_alloc(fft_pair *p, int N, sm_error *err)
{
    memset(p, 0, sizeof *p);
    p->fw = sm_stft_alloc(N, SM_WINDOW_HANN, err);
    if (!p->fw) return err ? err->code : SM_ERR_NOMEM;
    p->Y = fftw_malloc((size_t)(N / 2 + 1) * sizeof *p->Y);
    p->y = fftw_malloc((size_t)N * sizeof *p->y);
    if (p->Y && p->y) {
        sm_fftw_lock();
        p->inv = fftw_plan_dft_c2r_1d(N, p->Y, p->y, FFTW_ESTIMATE);
        sm_fftw_unlock();
    }
    if (!p->inv) {
        pair_free(p);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory making an FFT plan of size %d", N);
    }
    return 0;
}

/* Y holds Xbar (the adjoint of the last frame's half spectrum) as given; turns it into the
 * c2r input, runs the adjoint and adds the frame's adjoint, windowed, to grad[0..n). */
static void frame_adjoint(fft_pair *p, long long start, double *grad, size_t n)
{
    const int N = p->fw->n_fft, nb = N / 2 + 1;
    int k, j;
    p->Y[0][1] = 0;
    p->Y[nb - 1][1] = 0;
    for (k = 1; k < nb - 1; k++) {
        p->Y[k][0] *= 0.5;
        p->Y[k][1] *= 0.5;
    }
    fftw_execute(p->inv);
    for (j = 0; j < N; j++) {
        const long long i = start + j;
        if (i >= 0 && (size_t)i < n) grad[i] += p->fw->window[j] * p->y[j];
    }
}

/* ---- configuration -------------------------------------------------------------------------- */

int sm_cost_grad_supported(const sm_cost_config *c, char *why, size_t len)
{
    const char *bad = NULL;
    int d;
    if (!c) return 0;
    if (c->w_mfcc > 0 && c->mfcc.n_mels > LM_MAX_MELS) bad = "mfcc";
    else if (c->w_centroid > 0) bad = "centroid";
    else if (c->w_pitch > 0) bad = "pitch";
    else if (c->w_descr_traj > 0) bad = "descriptors";
    for (d = 0; !bad && d < SM_D_COUNT; d++)
        if (c->w_descr[d] > 0) bad = "descriptors";
    if (bad && why && len) snprintf(why, len, "%s", bad);
    return bad == NULL;
}

/* Gain normalisation acts (cost.c's cost_scales): on MSS and LOUD here. */
static int scales(const sm_cost_config *c)
{
    return c->normalize_gain && (c->w_mss > 0 || c->w_loudness > 0);
}

void sm_cost_grad_free(sm_cost_grad *g)
{
    int s;
    if (!g) return;
    for (s = 0; s < MSS_SCALES; s++) {
        pair_free(&g->mss[s]);
        free(g->mss_t[s]);
    }
    for (s = 0; s < 3; s++) {
        lm_scale *L = s < 2 ? &g->lm[s] : &g->mf;
        pair_free(&L->f);
        sm_mfcc_free(L->bank);
        free(L->db_t);
        free(L->db_m);
        free(L->raw);
        free(L->power);
        free(L->adj);
        free(L->c_t);
        free(L->c_m);
    }
    free(g->cmag);
    free(g->loud_t);
    free(g->gs);
    free(g);
}

size_t sm_cost_grad_samples(const sm_cost_grad *g)
{
    return g ? g->n : 0;
}

/* ---- LOGMEL and MFCC ------------------------------------------------------------------------ */

/* Both are functions of a floored dB mel matrix: LOGMEL of the RMS-normalised signal's (its
 * mean |difference| from the target's), MFCC of the signal as it is, or gain-normalised (the
 * weighted L1 distance of its orthonormal DCT-II, frame by frame, cost.c's
 * sm_mfcc_distance; the candidate is always as long as the target, so no frame is missing). */

static double band_power(const lm_scale *L, int b)
{
    double s = 0;
    int k;
    for (k = 0; k < L->wl[b]; k++) s += L->w[b][k] * L->power[L->ws[b] + k];
    return s;
}

/* The unfloored dB matrix of x (n_use samples of a signal of n) times scale into db, the raw
 * band powers into raw; returns the index of the (first) maximum. */
static size_t lm_matrix(lm_scale *L, const float *x, size_t n_use, double scale, double *db,
                        double *raw)
{
    const int nm = L->set.n_mels, N = L->set.n_fft;
    size_t t, arg = 0;
    double top = -HUGE_VAL;
    int b, k;
    for (t = 0; t < L->frames; t++) {
        const long long start = sm_stft_frame_start(t, N, L->set.hop, L->center);
        sm_stft_frame(L->f.fw, x, n_use, start);
        for (k = 0; k < L->f.fw->n_bins; k++)
            L->power[k] = L->f.fw->out[k][0] * L->f.fw->out[k][0] +
                          L->f.fw->out[k][1] * L->f.fw->out[k][1];
        for (b = 0; b < nm; b++) {
            const size_t i = t * (size_t)nm + (size_t)b;
            const double r = band_power(L, b), s = r * scale;
            if (raw) raw[i] = r;
            db[i] = DB_PER_NEPER * log(s > LM_AMIN ? s : LM_AMIN);
            if (db[i] > top) {
                top = db[i];
                arg = i;
            }
        }
    }
    return arg;
}

/* cost.c's gain normalisation of a candidate whose sum of squares is ss > 0 towards the
 * target's ss_t > 0: sqrt(ss_t / ss) clamped to 1/SM_GAIN_MAX..SM_GAIN_MAX. *live is 1 when
 * it is not clamped (its derivative with respect to x_i is then -gain x_i / ss), else 0. */
static double norm_gain(double ss_t, double ss, int *live)
{
    const double gain = sqrt(ss_t / ss);
    *live = gain <= SM_GAIN_MAX && gain >= 1.0 / SM_GAIN_MAX;
    return gain > SM_GAIN_MAX         ? SM_GAIN_MAX
           : gain < 1.0 / SM_GAIN_MAX ? 1.0 / SM_GAIN_MAX
                                      : gain;
}

/* The top_db floor of a matrix whose maximum is top (none for top_db <= 0). */
static double lm_floor(const lm_scale *L, double top)
{
    return L->set.top_db > 0 ? top - L->set.top_db : -HUGE_VAL;
}

/* Frame t's MFCC (row t of the floored matrix db, floor_db) into out (n_mfcc values). */
static void mf_frame(const lm_scale *L, const double *db, size_t t, double floor_db, double *out)
{
    const int nm = L->set.n_mels;
    const double *row = db + t * (size_t)nm;
    int k, b;
    for (k = 0; k < L->n_mfcc; k++) {
        const double *d = L->dct + (size_t)k * (size_t)nm;
        double s = 0;
        for (b = 0; b < nm; b++) s += d[b] * (row[b] < floor_db ? floor_db : row[b]);
        out[k] = s;
    }
}

/* The matrix's settings, plans and buffers, for a mel filterbank made from mc (whose n_fft,
 * hop, n_mels, top_db and center it takes), then the target's floored matrix (scaled by
 * n / sum x^2 for LOGMEL) and, for MFCC (L->n_mfcc > 0), its coefficients. */
static int lm_alloc_with(lm_scale *L, const sm_mfcc_config *mc, const float *x, size_t n,
                         sm_error *err)
{
    size_t i, t, cells, arg;
    double floor_db;
    int b, rc;
    L->set.n_fft = mc->n_fft;
    L->set.hop = mc->hop;
    L->set.n_mels = mc->n_mels;
    L->set.top_db = mc->top_db;
    L->center = mc->center;
    /* only the filterbank and the DCT are used: the smallest plan, which uncentred frames
     * (whose plan refuses fewer samples than one frame, with cost.c's message) make n long */
    if (!(L->bank = sm_mfcc_alloc(mc, mc->center ? 1 : n, err)))
        return err ? err->code : SM_ERR_NOMEM;
    if ((rc = pair_alloc(&L->f, mc->n_fft, err)) != 0) return rc;
    L->frames = sm_stft_n_frames(n, mc->n_fft, mc->hop, mc->center);
    cells = L->frames * (size_t)mc->n_mels;
    L->db_t = malloc(cells * sizeof *L->db_t);
    L->db_m = malloc(cells * sizeof *L->db_m);
    L->raw = malloc(cells * sizeof *L->raw);
    L->adj = malloc(cells * sizeof *L->adj);
    L->power = malloc((size_t)(mc->n_fft / 2 + 1) * sizeof *L->power);
    if (!L->db_t || !L->db_m || !L->raw || !L->adj || !L->power)
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory for a log-mel gradient");
    for (b = 0; b < mc->n_mels; b++) L->w[b] = sm_mfcc_band(L->bank, b, &L->ws[b], &L->wl[b]);
    arg = lm_matrix(L, x, n, L->n_mfcc ? 1.0 : (double)n / sum_sq(x, n), L->db_t, NULL);
    floor_db = lm_floor(L, L->db_t[arg]);
    for (i = 0; i < cells; i++)
        if (L->db_t[i] < floor_db) L->db_t[i] = floor_db;
    if (L->n_mfcc) {
        L->dct = sm_mfcc_dct(L->bank);
        L->c_t = malloc(L->frames * (size_t)L->n_mfcc * sizeof *L->c_t);
        L->c_m = malloc((size_t)L->n_mfcc * sizeof *L->c_m);
        if (!L->c_t || !L->c_m)
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory for an MFCC gradient");
        for (t = 0; t < L->frames; t++)
            mf_frame(L, L->db_t, t, -HUGE_VAL, L->c_t + t * (size_t)L->n_mfcc);
    }
    return 0;
}

/* A log-mel scale (features/measure.c's definition at set). */
static int lm_alloc(lm_scale *L, const sm_logmel_settings *set, const float *x, size_t n,
                    double sr, sm_error *err)
{
    sm_mfcc_config mc = sm_mfcc_config_default(sr);
    mc.n_mels = set->n_mels;
    mc.n_fft = set->n_fft;
    mc.hop = set->hop;
    mc.top_db = set->top_db;
    mc.n_mfcc = 1;
    return lm_alloc_with(L, &mc, x, n, err);
}

/* LOGMEL's value (times weight) on the matrix db_m floored at floor_db; with adj, the
 * adjoint of each floored entry. */
static double lm_loss(lm_scale *L, double floor_db, double weight, double *adj)
{
    const size_t cells = L->frames * (size_t)L->set.n_mels;
    const double inv_cells = 1.0 / (double)cells;
    double sum = 0;
    size_t i;
    for (i = 0; i < cells; i++) {
        const double m = L->db_m[i] < floor_db ? floor_db : L->db_m[i];
        sum += fabs(L->db_t[i] - m);
        if (adj) adj[i] = weight * inv_cells * sgn(m - L->db_t[i]);
    }
    return weight * sum * inv_cells;
}

/* MFCC's value (times weight): frame t costs sum_k w_k |c_tk - c'_tk| / sum_k w_k (w_0 =
 * SM_MFCC_C0_WEIGHT, else 1), averaged over the frames; with adj, the adjoint of each floored
 * entry, sum_k DCT_kb d cost / d c_tk. */
static double mf_loss(lm_scale *L, double floor_db, double weight, double *adj)
{
    const int nm = L->set.n_mels, nc = L->n_mfcc;
    const double wsum = SM_MFCC_C0_WEIGHT + (nc - 1), per = weight / (wsum * (double)L->frames);
    double total = 0;
    size_t t;
    int k, b;
    for (t = 0; t < L->frames; t++) {
        const double *ct = L->c_t + t * (size_t)nc;
        double e = 0, *a = adj ? adj + t * (size_t)nm : NULL;
        mf_frame(L, L->db_m, t, floor_db, L->c_m);
        for (k = 0; k < nc; k++) e += (k ? 1.0 : SM_MFCC_C0_WEIGHT) * fabs(L->c_m[k] - ct[k]);
        total += e / wsum;
        if (!a) continue;
        for (b = 0; b < nm; b++) a[b] = 0;
        for (k = 0; k < nc; k++) {
            const double s = per * (k ? 1.0 : SM_MFCC_C0_WEIGHT) * sgn(L->c_m[k] - ct[k]);
            const double *d = L->dct + (size_t)k * (size_t)nm;
            if (s != 0)
                for (b = 0; b < nm; b++) a[b] += s * d[b];
        }
    }
    return weight * total / (double)L->frames;
}

/* The term of L on x (n_use samples, as a signal of n, whose sum of squares is ss) times
 * weight: LOGMEL, or MFCC (gain normalised when gain_norm, towards the target's sum of squares
 * ss_t); with grad, adds weight x its gradient. */
static double lm_term(lm_scale *L, const float *x, size_t n_use, size_t n, double ss,
                      double weight, double *grad, int gain_norm, double ss_t)
{
    const int nm = L->set.n_mels, N = L->set.n_fft;
    const size_t cells = L->frames * (size_t)nm;
    double scale = 1, floor_db, value, topbar = 0, lnscalebar = 0;
    int scale_dep = 0;
    size_t i, t, arg;
    int b, k;
    if (!L->n_mfcc) {
        if (!(ss > 0)) return weight * L->set.top_db; /* silent: as far as the floor allows */
        scale = (double)n / ss;
        scale_dep = 1;
    } else if (gain_norm && ss > 0 && ss_t > 0) {
        const double gn = norm_gain(ss_t, ss, &scale_dep);
        scale = gn * gn;
    }
    arg = lm_matrix(L, x, n_use, scale, L->db_m, L->raw);
    floor_db = lm_floor(L, L->db_m[arg]);
    value = L->n_mfcc ? mf_loss(L, floor_db, weight, grad ? L->adj : NULL)
                      : lm_loss(L, floor_db, weight, grad ? L->adj : NULL);
    if (!grad) return value;
    /* the adjoints of the raw band powers, into db_m */
    for (i = 0; i < cells; i++) {
        const double s = L->adj[i];
        if (L->db_m[i] < floor_db) {
            topbar += s;
            L->db_m[i] = 0;
        } else if (L->raw[i] * scale > LM_AMIN) {
            L->db_m[i] = s * DB_PER_NEPER / L->raw[i];
            lnscalebar += s * DB_PER_NEPER;
        } else {
            L->db_m[i] = 0;
        }
    }
    if (L->raw[arg] * scale > LM_AMIN) {
        L->db_m[arg] += topbar * DB_PER_NEPER / L->raw[arg];
        lnscalebar += topbar * DB_PER_NEPER;
    }
    for (t = 0; t < L->frames; t++) {
        const long long start = sm_stft_frame_start(t, N, L->set.hop, L->center);
        const double *rb = L->db_m + t * (size_t)nm;
        int any = 0;
        for (b = 0; b < nm; b++) any |= rb[b] != 0;
        if (!any) continue;
        sm_stft_frame(L->f.fw, x, n_use, start);
        for (k = 0; k < L->f.fw->n_bins; k++) L->power[k] = 0; /* Pbar */
        for (b = 0; b < nm; b++)
            for (k = 0; k < L->wl[b]; k++) L->power[L->ws[b] + k] += L->w[b][k] * rb[b];
        for (k = 0; k < L->f.fw->n_bins; k++) {
            L->f.Y[k][0] = 2.0 * L->power[k] * L->f.fw->out[k][0];
            L->f.Y[k][1] = 2.0 * L->power[k] * L->f.fw->out[k][1];
        }
        frame_adjoint(&L->f, start, grad, n_use);
    }
    /* ln scale = ln n - ln sum x^2 (LOGMEL) or ln ss_t - ln sum x^2 (MFCC's gain) */
    if (scale_dep)
        for (i = 0; i < n_use; i++) grad[i] += lnscalebar * (-2.0 * x[i] / ss);
    return value;
}

/* ---- MSS ---------------------------------------------------------------------------------- */

/* sm_stft_frame for the samples gain x[i], in double (the gain normalisation's scaled signal
 * is never rounded to float, so its derivative is smooth). */
static void frame_scaled(sm_stft *st, const float *x, double gain, size_t n, long long start)
{
    int j;
    for (j = 0; j < st->n_fft; j++) {
        const long long i = start + j;
        st->in[j] = i >= 0 && (size_t)i < n ? st->window[j] * gain * (double)x[i] : 0.0;
    }
    fftw_execute(st->plan);
}

/* Magnitudes of the last frame of scale s into g->cmag. */
static void mss_mags(sm_cost_grad *g, int s)
{
    const sm_stft *st = g->mss[s].fw;
    int k;
    for (k = 0; k < st->n_bins; k++)
        g->cmag[k] = sqrt(st->out[k][0] * st->out[k][0] + st->out[k][1] * st->out[k][1]);
}

static double mss_term(sm_cost_grad *g, const float *x, double gain, size_t n_use,
                       double weight, double *grad)
{
    double total = 0;
    int s;
    for (s = 0; s < MSS_SCALES; s++) {
        fft_pair *p = &g->mss[s];
        const int N = mss_sizes[s], hop = N / 4, nb = N / 2 + 1;
        const size_t frames = g->mss_frames[s];
        const double cnt = (double)frames * nb, A = g->mss_norm_t[s];
        double diff2 = 0, cand2 = 0, logsum = 0, D, B, den;
        size_t t;
        int k;
        for (t = 0; t < frames; t++) {
            const double *S = g->mss_t[s] + t * (size_t)nb;
            frame_scaled(p->fw, x, gain, n_use, sm_stft_frame_start(t, N, hop, 1));
            mss_mags(g, s);
            for (k = 0; k < nb; k++) {
                const double C = g->cmag[k], dm = S[k] - C;
                diff2 += dm * dm;
                cand2 += C * C;
                logsum += fabs(log(S[k] + SM_MSS_EPS) - log(C + SM_MSS_EPS));
            }
        }
        D = sqrt(diff2);
        B = sqrt(cand2);
        den = A + B;
        total += (den > 0 ? D / den : 0.0) + logsum / cnt;
        if (!grad) continue;
        for (t = 0; t < frames; t++) {
            const double *S = g->mss_t[s] + t * (size_t)nb;
            const long long start = sm_stft_frame_start(t, N, hop, 1);
            frame_scaled(p->fw, x, gain, n_use, start);
            mss_mags(g, s);
            for (k = 0; k < nb; k++) {
                const double C = g->cmag[k];
                double cbar = weight * sgn(log(C + SM_MSS_EPS) - log(S[k] + SM_MSS_EPS)) /
                              ((C + SM_MSS_EPS) * cnt);
                if (den > 0 && D > 0) cbar += weight * (C - S[k]) / (D * den);
                if (den > 0 && B > 0) cbar -= weight * D / (den * den) * C / B;
                if (C > 0) {
                    p->Y[k][0] = cbar * p->fw->out[k][0] / C;
                    p->Y[k][1] = cbar * p->fw->out[k][1] / C;
                } else {
                    p->Y[k][0] = p->Y[k][1] = 0;
                }
            }
            frame_adjoint(p, start, grad, n_use);
        }
    }
    return weight * total;
}

/* ---- LOUD ------------------------------------------------------------------------------------ */

/* Frame t's sum of squares over [start, start + n_fft) of gain x (n_use samples). */
static double frame_ss(const float *x, double gain, size_t n_use, long long start, int nfft)
{
    long long i, lo = start < 0 ? 0 : start, hi = start + nfft;
    double s = 0;
    if (hi > (long long)n_use) hi = (long long)n_use;
    for (i = lo; i < hi; i++) s += (double)x[i] * x[i];
    return s * gain * gain;
}

static double loud_db_of(double rms)
{
    return 20.0 * log10(rms > SM_LOUD_RMS_FLOOR ? rms : SM_LOUD_RMS_FLOOR);
}

static double loud_term(sm_cost_grad *g, const float *x, double gain, size_t n_use,
                        double weight, double *grad)
{
    const int nfft = g->cfg.mfcc.n_fft, hop = g->cfg.mfcc.hop;
    double sum = 0;
    size_t t;
    for (t = 0; t < g->loud_frames; t++) {
        const long long start = sm_stft_frame_start(t, nfft, hop, 1);
        const double rms = sqrt(frame_ss(x, gain, n_use, start, nfft) / nfft);
        const double L = loud_db_of(rms);
        sum += fabs(L - g->loud_t[t]);
        if (grad && rms > SM_LOUD_RMS_FLOOR) {
            /* d L / d x_i = (20 / ln 10) x_i / (n_fft rms^2) */
            const double c = weight * sgn(L - g->loud_t[t]) / (double)g->loud_frames *
                             DB20_PER_NEPER / (nfft * rms * rms);
            long long i, lo = start < 0 ? 0 : start, hi = start + nfft;
            if (hi > (long long)n_use) hi = (long long)n_use;
            for (i = lo; i < hi; i++) grad[i] += c * gain * x[i];
        }
    }
    return weight * sum / (double)g->loud_frames;
}

/* ---- the whole cost -------------------------------------------------------------------------- */

sm_cost_grad *sm_cost_grad_alloc(const sm_cost_config *c, const float *x, size_t n,
                                 sm_error *err)
{
    sm_cost_grad *g;
    char why[32];
    int s;
    size_t t;
    if (sm_cost_config_check(c, err) != 0) return NULL;
    if (!sm_cost_grad_supported(c, why, sizeof why)) {
        sm_error_set(err, SM_ERR_CONFIG, "the cost's %s term has no exact gradient", why);
        return NULL;
    }
    if (sm_cost_target_samples_ok(x, n, err) != 0) return NULL;
    g = calloc(1, sizeof *g);
    if (!g) goto nomem;
    g->cfg = *c;
    g->n = n;
    g->ss_t = sum_sq(x, n);
    if (c->w_logmel > 0 && !(g->ss_t > 0)) {
        sm_error_set(err, SM_ERR_EMPTY, "the cost target is silent: its log-mel distance is "
                                        "undefined");
        goto fail;
    }
    if (scales(c) || c->w_level > 0) {
        g->gs = malloc(n * sizeof *g->gs);
        if (!g->gs) goto nomem;
    }
    if (c->w_mss > 0) {
        if (!(g->cmag = malloc((size_t)(mss_sizes[0] / 2 + 1) * sizeof *g->cmag))) goto nomem;
        for (s = 0; s < MSS_SCALES; s++) {
            const int N = mss_sizes[s], nb = N / 2 + 1;
            double norm2 = 0;
            int k;
            if (pair_alloc(&g->mss[s], N, err) != 0) goto fail;
            g->mss_frames[s] = sm_stft_n_frames(n, N, N / 4, 1);
            g->mss_t[s] = malloc(g->mss_frames[s] * (size_t)nb * sizeof *g->mss_t[s]);
            if (!g->mss_t[s]) goto nomem;
            for (t = 0; t < g->mss_frames[s]; t++) {
                frame_scaled(g->mss[s].fw, x, 1.0, n, sm_stft_frame_start(t, N, N / 4, 1));
                mss_mags(g, s);
                for (k = 0; k < nb; k++) {
                    const double m = g->cmag[k];
                    g->mss_t[s][t * (size_t)nb + (size_t)k] = m;
                    norm2 += m * m;
                }
            }
            g->mss_norm_t[s] = sqrt(norm2);
        }
    }
    if (c->w_loudness > 0) {
        const int nfft = c->mfcc.n_fft, hop = c->mfcc.hop;
        g->loud_frames = sm_stft_n_frames(n, nfft, hop, 1);
        if (!(g->loud_t = malloc(g->loud_frames * sizeof *g->loud_t))) goto nomem;
        for (t = 0; t < g->loud_frames; t++)
            g->loud_t[t] = loud_db_of(
                sqrt(frame_ss(x, 1.0, n, sm_stft_frame_start(t, nfft, hop, 1), nfft) / nfft));
    }
    if (c->w_logmel > 0) {
        if (lm_alloc(&g->lm[0], &c->logmel, x, n, c->mfcc.sample_rate, err) != 0) goto fail;
        g->n_lm = 1;
        if (c->logmel2.n_fft > 0) {
            if (lm_alloc(&g->lm[1], &c->logmel2, x, n, c->mfcc.sample_rate, err) != 0)
                goto fail;
            g->n_lm = 2;
        }
    }
    if (c->w_mfcc > 0) {
        g->mf.n_mfcc = c->mfcc.n_mfcc;
        if (lm_alloc_with(&g->mf, &c->mfcc, x, n, err) != 0) goto fail;
    }
    return g;
nomem:
    sm_error_set(err, SM_ERR_NOMEM, "out of memory for the cost's gradient (%zu samples)", n);
fail:
    sm_cost_grad_free(g);
    return NULL;
}

double sm_cost_grad_eval(sm_cost_grad *g, const float *x, size_t n, double *grad)
{
    const sm_cost_config *c;
    size_t n_use, i;
    double cost = 0, ss;
    if (grad && n) memset(grad, 0, n * sizeof *grad);
    if (!g || !x) return NAN;
    if (!sm_all_finite(x, n)) return NAN;
    c = &g->cfg;
    n_use = n < g->n ? n : g->n;
    ss = sum_sq(x, n_use);
    if (c->w_level > 0) {
        double d = ss > 0 && g->ss_t > 0 ? 10.0 * log10(ss / g->ss_t) : SM_LEVEL_MAX_DB;
        const double a = fabs(d), capped = a < SM_LEVEL_MAX_DB ? a : SM_LEVEL_MAX_DB;
        const double over = capped - c->level_free_db;
        cost += c->w_level * (over > 0 ? over : 0.0);
        if (grad && over > 0 && a < SM_LEVEL_MAX_DB && ss > 0 && g->ss_t > 0) {
            /* d |20 log10(rms_c / rms_t)| / d x_i = sign (20 / ln 10) x_i / sum x^2 */
            const double k = c->w_level * sgn(d) * DB20_PER_NEPER / ss;
            for (i = 0; i < n_use; i++) grad[i] += k * x[i];
        }
    }
    if (c->w_logmel > 0) {
        const double w = g->n_lm == 2 ? 0.5 * c->w_logmel : c->w_logmel;
        int s;
        for (s = 0; s < g->n_lm; s++)
            cost += lm_term(&g->lm[s], x, n_use, g->n, ss, w, grad, 0, 0);
    }
    if (c->w_mfcc > 0)
        cost += lm_term(&g->mf, x, n_use, g->n, ss, c->w_mfcc, grad, c->normalize_gain, g->ss_t);
    if (c->w_mss > 0 || c->w_loudness > 0) {
        double gain = 1, dgain_factor = 0; /* d gain / d x_i = dgain_factor x_i */
        double *gt = grad;
        if (scales(c) && ss > 0 && g->ss_t > 0) {
            int live;
            gain = norm_gain(g->ss_t, ss, &live);
            dgain_factor = live ? -gain / ss : 0;
            if (grad) {
                memset(g->gs, 0, n_use * sizeof *g->gs);
                gt = g->gs;
            }
        }
        if (c->w_mss > 0) cost += mss_term(g, x, gain, n_use, c->w_mss, gt);
        if (c->w_loudness > 0) cost += loud_term(g, x, gain, n_use, c->w_loudness, gt);
        if (grad && gt != grad) {
            /* gs = dL/dx' for x' = gain(x) x: dL/dx_i = gain gs_i + (gs . x) d gain / d x_i */
            double dot = 0;
            for (i = 0; i < n_use; i++) dot += g->gs[i] * x[i];
            for (i = 0; i < n_use; i++) grad[i] += gain * g->gs[i] + dot * dgain_factor * x[i];
        }
    }
    return cost;
}
