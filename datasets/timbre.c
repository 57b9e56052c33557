/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/timbre.c: the timbre space of human DX7 voices (see datasets/timbre.h): the
 * encoding, the model's build (PCA, k-means, rendered descriptors, kinds), its cache file and
 * projections. New voices are drawn in datasets/generate.c.
 *
 * Cache file: a 256-byte header, then the payload, native byte order (an endianness marker in
 * the header makes a file from another machine a mismatch):
 *   header: "SMTIMBRE", endianness, SM_TIMBRE_FORMAT_VERSION, SM_FM6_RENDER_VERSION,
 *     SM_TIMBRE_DIM, SM_VOICE_SOUND_VERSION, the voices file's hash and voice count, the render
 *     settings, var_frac, components, clusters, seed, kind_alpha, then q and k as built and
 *     the payload's FNV-1a hash (the file name's key hashes the part before q);
 *   payload: mean, eig (SM_TIMBRE_DIM each), total, comp (DIM x DIM), sd (DIM), centroids
 *     (k x q), chol (k x q x q) as doubles (comp and sd hold every component, kept or not);
 *     scores (n x q floats); assign (n int32); descr (n).
 * The header also holds a hash of the encoding and the descriptors of a reference voice, a
 * second guard (beside the versions) against a file made by other code. The kinds, the
 * garbage flags and the classifier are not cached: they are remade from the descriptors at
 * every open (in milliseconds), so they always follow the code. */
#include "datasets/timbre_internal.h"
#include "core/fileio.h"
#include "core/pca.h"
#include "features/features.h"
#include "synths/fm6.h"

#include <errno.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OP_DIM 23                 /* encoded values per operator */
#define GLOBAL_AT (6 * OP_DIM)    /* 138: first global value */
#define ALG_AT (GLOBAL_AT + 8)    /* 146: algorithm one-hot, 32 values */
#define WAVE_AT (ALG_AT + 39)     /* 185: LFO wave one-hot, 6 values */
/* log2 of an operator's frequency over the note's: the encoded range, -9 to +7 octaves (at
 * MIDI 60 fixed frequencies span -8.0 to +5.2, ratios -1 to +6) */
#define FREQ_LO (-9.0)
#define FREQ_SPAN 16.0
#define HEADER_SIZE 256
#define HEADER_KEYED 200          /* header bytes the file name's key hashes */
#define MAGIC "SMTIMBRE"
#define ENDIAN 0x01020304u
#define MIN_NAMED 8               /* named voices of each kind needed to fit the classifier */

/* Weights: an encoded value spans 0..its weight. Continuous values weigh 1 (their whole
 * range); the others by how much they change the sound, by judgment: a change of algorithm
 * weighs as a full-range change of one continuous value (one-hot values of 1/sqrt(2), at
 * distance 1 from each other); an operator's frequency spans 2 over its 16 octaves, so an
 * octave weighs 0.125, as a change of 12 in a 0..99 level; keyboard curves (heard only with a
 * scaling depth), whether fine is 0, key syncs and the LFO wave (heard only with an LFO depth)
 * weigh less than a continuous value. Without these weights the flags (variance up to 1/4
 * each, against 1/12 for a uniform continuous value) took the first components. */
static const double W_ALG = 0.70710678118654752;
static const double W_WAVE = 0.5;
static const double W_FREQ = 2.0;
static const double W_CURVE = 0.35;
static const double W_FINE = 0.5;
static const double W_SYNC = 0.5;

/* ---- Encoding ----------------------------------------------------------------------------- */

static int clampi(double v, int lo, int hi)
{
    long r;
    if (!(v == v)) return lo;
    r = lrint(v < lo ? lo : v > hi ? hi : v);
    return (int)r;
}

static double note_hz(double note)
{
    return 440.0 * pow(2.0, (note - 69.0) / 12.0);
}

/* log2 of an operator's frequency over the note's (detune aside). */
static double op_log2_ratio(int mode, int coarse, int fine, double note)
{
    if (mode == 0) return (coarse == 0 ? -1.0 : log2((double)coarse)) + log2(1.0 + 0.01 * fine);
    return ((coarse & 3) + 0.01 * fine) * log2(10.0) - log2(note_hz(note));
}

void sm_timbre_encode(const double *native, double note, double *x)
{
    int op, i;
    for (op = 0; op < 6; op++) {
        const double *o = native + op * SM_FM6_OP_NPARAMS;
        double *e = x + op * OP_DIM;
        int lc = clampi(o[SM_FM6_KBD_LEFT_CURVE], 0, 3),
            rc = clampi(o[SM_FM6_KBD_RIGHT_CURVE], 0, 3);
        int mode = clampi(o[SM_FM6_OSC_MODE], 0, 1), coarse = clampi(o[SM_FM6_COARSE], 0, 31);
        int fine = clampi(o[SM_FM6_FINE], 0, 99);
        for (i = 0; i < 8; i++) e[i] = clampi(o[SM_FM6_EG_RATE1 + i], 0, 99) / 99.0;
        e[8] = clampi(o[SM_FM6_KBD_BREAK_POINT], 0, 99) / 99.0;
        e[9] = clampi(o[SM_FM6_KBD_LEFT_DEPTH], 0, 99) / 99.0;
        e[10] = clampi(o[SM_FM6_KBD_RIGHT_DEPTH], 0, 99) / 99.0;
        e[11] = W_CURVE * (lc >= 2);            /* + curves */
        e[12] = W_CURVE * (lc == 1 || lc == 2); /* exponential curves */
        e[13] = W_CURVE * (rc >= 2);
        e[14] = W_CURVE * (rc == 1 || rc == 2);
        e[15] = clampi(o[SM_FM6_KBD_RATE_SCALING], 0, 7) / 7.0;
        e[16] = clampi(o[SM_FM6_AMP_MOD_SENS], 0, 3) / 3.0;
        e[17] = clampi(o[SM_FM6_KEY_VEL_SENS], 0, 7) / 7.0;
        e[18] = clampi(o[SM_FM6_OUTPUT_LEVEL], 0, 99) / 99.0;
        e[19] = mode;
        e[20] = W_FREQ * (op_log2_ratio(mode, coarse, fine, note) - FREQ_LO) / FREQ_SPAN;
        e[21] = W_FINE * (fine != 0);
        e[22] = clampi(o[SM_FM6_DETUNE], 0, 14) / 14.0;
    }
    for (i = 0; i < 8; i++)
        x[GLOBAL_AT + i] = clampi(native[SM_FM6_PITCH_EG_RATE1 + i], 0, 99) / 99.0;
    for (i = 0; i < 32; i++) x[ALG_AT + i] = 0;
    x[ALG_AT + clampi(native[SM_FM6_ALGORITHM], 1, 32) - 1] = W_ALG;
    x[ALG_AT + 32] = clampi(native[SM_FM6_FEEDBACK], 0, 7) / 7.0;
    x[ALG_AT + 33] = W_SYNC * clampi(native[SM_FM6_OSC_KEY_SYNC], 0, 1);
    x[ALG_AT + 34] = clampi(native[SM_FM6_LFO_SPEED], 0, 99) / 99.0;
    x[ALG_AT + 35] = clampi(native[SM_FM6_LFO_DELAY], 0, 99) / 99.0;
    x[ALG_AT + 36] = clampi(native[SM_FM6_LFO_PITCH_MOD_DEPTH], 0, 99) / 99.0;
    x[ALG_AT + 37] = clampi(native[SM_FM6_LFO_AMP_MOD_DEPTH], 0, 99) / 99.0;
    x[ALG_AT + 38] = W_SYNC * clampi(native[SM_FM6_LFO_KEY_SYNC], 0, 1);
    for (i = 0; i < 6; i++) x[WAVE_AT + i] = 0;
    x[WAVE_AT + clampi(native[SM_FM6_LFO_WAVE], 0, 5)] = W_WAVE;
    x[WAVE_AT + 6] = clampi(native[SM_FM6_PITCH_MOD_SENS], 0, 7) / 7.0;
    x[WAVE_AT + 7] = clampi(native[SM_FM6_TRANSPOSE], 0, 48) / 48.0;
}

/* The index of the largest of x[0..n) (the first on ties). */
static int arg_max(const double *x, int n)
{
    int i, best = 0;
    for (i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* Coarse and fine of a ratio-mode operator nearest log2 ratio l; with fine 0 when nonzero_fine
 * is 0. */
static void ratio_decode(double l, int nonzero_fine, int *coarse, int *fine)
{
    double best = HUGE_VAL;
    int c;
    *coarse = 1;
    *fine = 0;
    for (c = 0; c < 32; c++) {
        double base = c == 0 ? -1.0 : log2((double)c), err;
        int f = 0;
        if (nonzero_fine) {
            f = clampi((pow(2.0, l - base) - 1.0) * 100.0, 1, 99);
            err = fabs(base + log2(1.0 + 0.01 * f) - l);
        } else {
            err = fabs(base - l);
        }
        if (err < best - 1e-12) {
            best = err;
            *coarse = c;
            *fine = f;
        }
    }
}

/* A keyboard curve from its two flags: sign (+) and shape (exponential). */
static int curve_decode(double plus, double expo)
{
    const int p = plus >= 0.5 * W_CURVE, e = expo >= 0.5 * W_CURVE;
    return p ? (e ? 2 : 3) : (e ? 1 : 0);
}

void sm_timbre_decode(const double *x, double note, int algorithm, int fixed, double *native)
{
    int op, i;
    for (op = 0; op < 6; op++) {
        double *o = native + op * SM_FM6_OP_NPARAMS;
        const double *e = x + op * OP_DIM;
        double l = e[20] / W_FREQ * FREQ_SPAN + FREQ_LO;
        int mode = e[19] >= 0.5 && fixed != SM_TIMBRE_FIXED_NEVER, coarse, fine;
        for (i = 0; i < 8; i++) o[SM_FM6_EG_RATE1 + i] = clampi(e[i] * 99.0, 0, 99);
        o[SM_FM6_KBD_BREAK_POINT] = clampi(e[8] * 99.0, 0, 99);
        o[SM_FM6_KBD_LEFT_DEPTH] = clampi(e[9] * 99.0, 0, 99);
        o[SM_FM6_KBD_RIGHT_DEPTH] = clampi(e[10] * 99.0, 0, 99);
        o[SM_FM6_KBD_LEFT_CURVE] = curve_decode(e[11], e[12]);
        o[SM_FM6_KBD_RIGHT_CURVE] = curve_decode(e[13], e[14]);
        o[SM_FM6_KBD_RATE_SCALING] = clampi(e[15] * 7.0, 0, 7);
        o[SM_FM6_AMP_MOD_SENS] = clampi(e[16] * 3.0, 0, 3);
        o[SM_FM6_KEY_VEL_SENS] = clampi(e[17] * 7.0, 0, 7);
        o[SM_FM6_OUTPUT_LEVEL] = clampi(e[18] * 99.0, 0, 99);
        if (mode) {
            /* 10^(coarse mod 4 + fine / 100) Hz: 1 Hz to 9,772 Hz */
            double steps = (l + log2(note_hz(note))) / log2(10.0) * 100.0;
            int s = clampi(steps, 0, 399);
            coarse = s / 100;
            fine = s % 100;
            if (fixed == SM_TIMBRE_FIXED_SUBAUDIO && pow(10.0, coarse + 0.01 * fine) >= 20.0) {
                mode = 0;
                ratio_decode(l, e[21] >= 0.5 * W_FINE, &coarse, &fine);
            }
        } else {
            ratio_decode(l, e[21] >= 0.5 * W_FINE, &coarse, &fine);
        }
        o[SM_FM6_OSC_MODE] = mode;
        o[SM_FM6_COARSE] = coarse;
        o[SM_FM6_FINE] = fine;
        o[SM_FM6_DETUNE] = clampi(e[22] * 14.0, 0, 14);
    }
    for (i = 0; i < 8; i++)
        native[SM_FM6_PITCH_EG_RATE1 + i] = clampi(x[GLOBAL_AT + i] * 99.0, 0, 99);
    native[SM_FM6_ALGORITHM] = algorithm >= 1 && algorithm <= 32 ? algorithm
                                                                 : 1 + arg_max(x + ALG_AT, 32);
    native[SM_FM6_FEEDBACK] = clampi(x[ALG_AT + 32] * 7.0, 0, 7);
    native[SM_FM6_OSC_KEY_SYNC] = x[ALG_AT + 33] >= 0.5 * W_SYNC;
    native[SM_FM6_LFO_SPEED] = clampi(x[ALG_AT + 34] * 99.0, 0, 99);
    native[SM_FM6_LFO_DELAY] = clampi(x[ALG_AT + 35] * 99.0, 0, 99);
    native[SM_FM6_LFO_PITCH_MOD_DEPTH] = clampi(x[ALG_AT + 36] * 99.0, 0, 99);
    native[SM_FM6_LFO_AMP_MOD_DEPTH] = clampi(x[ALG_AT + 37] * 99.0, 0, 99);
    native[SM_FM6_LFO_KEY_SYNC] = x[ALG_AT + 38] >= 0.5 * W_SYNC;
    native[SM_FM6_LFO_WAVE] = arg_max(x + WAVE_AT, 6);
    native[SM_FM6_PITCH_MOD_SENS] = clampi(x[WAVE_AT + 6] * 7.0, 0, 7);
    native[SM_FM6_TRANSPOSE] = clampi(x[WAVE_AT + 7] * 48.0, 0, 48);
}

void sm_timbre_dim_name(int j, char *buf, size_t len)
{
    static const char *const OPF[OP_DIM] = {
        "eg rate 1", "eg rate 2", "eg rate 3", "eg rate 4", "eg level 1", "eg level 2",
        "eg level 3", "eg level 4", "break point", "left depth", "right depth", "left curve +",
        "left curve exp", "right curve +", "right curve exp", "rate scaling", "amp mod sens",
        "velocity sens", "output level", "fixed mode", "frequency", "fine not 0", "detune"};
    static const char *const GLOB[] = {
        "feedback", "osc key sync", "lfo speed", "lfo delay", "lfo pitch depth", "lfo amp depth",
        "lfo key sync"};
    static const char *const WAVE[] = {"triangle", "saw down", "saw up", "square", "sine", "s&h"};
    if (!buf || !len) return;
    if (j < 0 || j >= SM_TIMBRE_DIM) snprintf(buf, len, "?");
    else if (j < GLOBAL_AT) snprintf(buf, len, "op%d %s", 6 - j / OP_DIM, OPF[j % OP_DIM]);
    else if (j < GLOBAL_AT + 4) snprintf(buf, len, "pitch eg rate %d", j - GLOBAL_AT + 1);
    else if (j < ALG_AT) snprintf(buf, len, "pitch eg level %d", j - GLOBAL_AT - 3);
    else if (j < ALG_AT + 32) snprintf(buf, len, "algorithm %d", j - ALG_AT + 1);
    else if (j < WAVE_AT) snprintf(buf, len, "%s", GLOB[j - ALG_AT - 32]);
    else if (j < WAVE_AT + 6) snprintf(buf, len, "lfo wave %s", WAVE[j - WAVE_AT]);
    else snprintf(buf, len, "%s", j == WAVE_AT + 6 ? "pitch mod sens" : "transpose");
}

double sm_timbre_loading(const sm_timbre *m, int j, size_t c)
{
    return m && j >= 0 && j < SM_TIMBRE_DIM && c < SM_TIMBRE_DIM ? m->comp[j * SM_TIMBRE_DIM + c]
                                                                  : 0;
}

/* ---- Config ------------------------------------------------------------------------------- */

sm_timbre_config sm_timbre_config_default(void)
{
    sm_timbre_config c;
    memset(&c, 0, sizeof c);
    c.render = sm_voice_render_config_default();
    c.var_frac = 0.9;
    c.clusters = 64;
    c.seed = 1;
    c.kind_alpha = 0.5;
    return c;
}

int sm_timbre_config_check(const sm_timbre_config *c, sm_error *err)
{
    if (!c) return sm_error_set(err, SM_ERR_ARG, "timbre model: no config");
    if (!c->voices_file || !*c->voices_file)
        return sm_error_set(err, SM_ERR_CONFIG, "timbre model: no voices file");
    if (sm_voice_render_config_check(&c->render, err)) return SM_ERR_CONFIG;
    if (!(c->var_frac > 0 && c->var_frac <= 1))
        return sm_error_set(err, SM_ERR_CONFIG, "timbre model: var_frac %g (above 0, at most 1)",
                            c->var_frac);
    if (c->components > SM_TIMBRE_DIM)
        return sm_error_set(err, SM_ERR_CONFIG, "timbre model: %zu components (at most %d)",
                            c->components, SM_TIMBRE_DIM);
    if (c->clusters < 1 || c->clusters > 4096)
        return sm_error_set(err, SM_ERR_CONFIG, "timbre model: %zu clusters (1 to 4096)",
                            c->clusters);
    if (!(c->kind_alpha >= 0 && c->kind_alpha <= 1))
        return sm_error_set(err, SM_ERR_CONFIG, "timbre model: kind_alpha %g (0 to 1)",
                            c->kind_alpha);
    if (c->threads < 0 || c->threads > 1024)
        return sm_error_set(err, SM_ERR_CONFIG, "timbre model: threads %d (0 to 1024)",
                            c->threads);
    if (c->cache_only && c->no_cache)
        return sm_error_set(err, SM_ERR_CONFIG, "timbre model: cache_only without a cache");
    return 0;
}

/* ---- Small helpers ------------------------------------------------------------------------ */

static uint64_t fnv_step(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    while (n--) h = (h ^ *p++) * 0x100000001b3ull;
    return h;
}
#define FNV_START 0xcbf29ce484222325ull

static int cmp_dbl(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

static void progress(const sm_timbre *m, const char *what, size_t done, size_t total)
{
    if (m->cfg.progress) m->cfg.progress(m->cfg.progress_ctx, what, done, total);
}

void sm_timbre_packed_bytes(const double *native, unsigned char *out)
{
    sm_dx7_voice v;
    unsigned char p[SM_DX7_VMEM_SIZE];
    sm_dx7_voice_from_native(&v, native, NULL);
    sm_dx7_pack_voice(&v, p);
    memcpy(out, p, TIMBRE_PACKED_BYTES);
}

/* ---- The model's arrays ------------------------------------------------------------------- */

/* Frees the arrays alloc_model makes and sets them to NULL. */
static void free_model(sm_timbre *m)
{
    free(m->comp);
    free(m->sd);
    free(m->centroids);
    free(m->chol);
    free(m->scores);
    free(m->assign);
    free(m->descr);
    free(m->name_kind);
    free(m->kind);
    free(m->garbage);
    m->comp = m->sd = m->centroids = m->chol = NULL;
    m->scores = NULL;
    m->assign = NULL;
    m->descr = NULL;
    m->name_kind = m->kind = NULL;
    m->garbage = NULL;
}

void sm_timbre_free(sm_timbre *m)
{
    if (!m) return;
    free(m->voices_file);
    free(m->cache_dir);
    free(m->native);
    free(m->names);
    free(m->packed);
    free_model(m);
    free(m);
}

/* Allocates the arrays that depend on q and k (n is set). Returns 0 or SM_ERR_NOMEM. */
static int alloc_model(sm_timbre *m)
{
    const size_t n = m->n, q = m->q, k = m->k;
    m->comp = malloc(SM_TIMBRE_DIM * SM_TIMBRE_DIM * sizeof *m->comp);
    m->sd = malloc(SM_TIMBRE_DIM * sizeof *m->sd);
    m->centroids = malloc(k * q * sizeof *m->centroids);
    m->chol = calloc(k * q * q, sizeof *m->chol);
    m->scores = malloc(n * q * sizeof *m->scores);
    m->assign = malloc(n * sizeof *m->assign);
    m->descr = calloc(n, sizeof *m->descr);
    m->name_kind = malloc(n);
    m->kind = malloc(n);
    m->garbage = malloc(n);
    if (!m->comp || !m->sd || !m->centroids || !m->chol || !m->scores || !m->assign ||
        !m->descr || !m->name_kind || !m->kind || !m->garbage)
        return SM_ERR_NOMEM;
    return 0;
}

/* ---- Cache file --------------------------------------------------------------------------- */

static void header_make(const sm_timbre *m, unsigned char h[HEADER_SIZE])
{
    const sm_timbre_config *c = &m->cfg;
    size_t o = 0;
    memset(h, 0, HEADER_SIZE);
#define PUT(x)                                                                                 \
    do {                                                                                       \
        __typeof__(x) v_ = (x);                                                                \
        memcpy(h + o, &v_, sizeof v_);                                                         \
        o += sizeof v_;                                                                        \
    } while (0)
    memcpy(h, MAGIC, 8);
    o = 8;
    PUT((uint32_t)ENDIAN);
    PUT((uint32_t)SM_TIMBRE_FORMAT_VERSION);
    PUT((uint32_t)SM_FM6_RENDER_VERSION);
    PUT((uint32_t)SM_TIMBRE_DIM);
    PUT((uint32_t)SM_VOICE_SOUND_VERSION);
    PUT((uint64_t)m->voices_hash);
    PUT((uint64_t)m->n);
    PUT(c->render.note);
    PUT(c->render.velocity);
    PUT(c->render.gate_s);
    PUT(c->render.length_s);
    PUT(c->render.sample_rate);
    PUT(c->var_frac);
    PUT((uint64_t)c->components);
    PUT((uint64_t)c->clusters);
    PUT((uint64_t)c->seed);
    PUT(c->kind_alpha);
    PUT((uint64_t)sizeof(sm_voice_descr));
    PUT((uint64_t)m->code_hash);
    o = HEADER_KEYED;
    PUT((uint64_t)m->q);
    PUT((uint64_t)m->k);
#undef PUT
}

static char *cache_path(const sm_timbre *m)
{
    unsigned char h[HEADER_SIZE];
    char name[64];
    header_make(m, h);
    snprintf(name, sizeof name, "timbre-%016llx.smtm",
             (unsigned long long)fnv_step(FNV_START, h, HEADER_KEYED));
    return sm_path_join(m->cache_dir, name);
}

/* The payload's pieces, in file order. */
typedef struct {
    void *p;
    size_t bytes;
} piece;

static size_t pieces(sm_timbre *m, piece *pc)
{
    const size_t n = m->n, q = m->q, k = m->k;
    size_t i = 0;
#define PIECE(ptr, b) (pc[i].p = (void *)(ptr), pc[i].bytes = (b), i++)
    PIECE(m->mean, sizeof m->mean);
    PIECE(m->eig, sizeof m->eig);
    PIECE(&m->total, sizeof m->total);
    PIECE(m->comp, SM_TIMBRE_DIM * SM_TIMBRE_DIM * sizeof *m->comp);
    PIECE(m->sd, SM_TIMBRE_DIM * sizeof *m->sd);
    PIECE(m->centroids, k * q * sizeof *m->centroids);
    PIECE(m->chol, k * q * q * sizeof *m->chol);
    PIECE(m->scores, n * q * sizeof *m->scores);
    PIECE(m->assign, n * sizeof *m->assign);
    PIECE(m->descr, n * sizeof *m->descr);
#undef PIECE
    return i;
}

static int cache_write(sm_timbre *m, sm_error *e)
{
    unsigned char h[HEADER_SIZE];
    piece pc[16];
    size_t np = pieces(m, pc), i;
    uint64_t ph = FNV_START;
    sm_outfile of;
    char *path = cache_path(m);
    int rc;
    if (!path) return sm_error_set(e, SM_ERR_NOMEM, "out of memory");
    header_make(m, h);
    for (i = 0; i < np; i++) ph = fnv_step(ph, pc[i].p, pc[i].bytes);
    memcpy(h + HEADER_SIZE - 8, &ph, 8);
    rc = sm_outfile_open(&of, path, e);
    if (!rc) {
        int bad = fwrite(h, 1, HEADER_SIZE, of.f) != HEADER_SIZE;
        for (i = 0; i < np && !bad; i++) bad = fwrite(pc[i].p, 1, pc[i].bytes, of.f) != pc[i].bytes;
        if (bad) {
            rc = sm_error_set(e, SM_ERR_IO, "%s: %s", of.tmp_path, strerror(errno));
            sm_outfile_abort(&of);
        } else {
            rc = sm_outfile_commit(&of, e);
        }
    }
    if (!rc) snprintf(m->info.cache_file, sizeof m->info.cache_file, "%s", path);
    free(path);
    return rc;
}

/* Reads the model from its cache file. Returns 1 if loaded, 0 if there is no file, -1 if a
 * file is there but is not to be trusted. m->n is set; q, k come from the file. */
static int cache_load(sm_timbre *m)
{
    unsigned char want[HEADER_SIZE], *data = NULL;
    piece pc[16];
    size_t len = 0, np, i, off = HEADER_SIZE, need = HEADER_SIZE;
    uint64_t q, k, ph = FNV_START, stored;
    char *path = cache_path(m);
    struct stat st;
    sm_error e = {0};
    if (!path) return -1;
    if (stat(path, &st) != 0) {
        free(path);
        return 0;
    }
    if (!S_ISREG(st.st_mode) || sm_read_file(path, 0, &data, &len, &e) != 0 ||
        len < HEADER_SIZE) {
        free(data);
        free(path);
        return -1;
    }
    header_make(m, want);
    memcpy(&q, data + HEADER_KEYED, 8);
    memcpy(&k, data + HEADER_KEYED + 8, 8);
    if (memcmp(want, data, HEADER_KEYED) != 0 || q < 1 || q > SM_TIMBRE_DIM || k < 1 ||
        k > m->cfg.clusters || k > m->n) {
        free(data);
        free(path);
        return -1;
    }
    m->q = (size_t)q;
    m->k = (size_t)k;
    if (alloc_model(m) != 0) {
        free(data);
        free(path);
        return -1;
    }
    np = pieces(m, pc);
    for (i = 0; i < np; i++) need += pc[i].bytes;
    if (len != need) {
        free(data);
        free(path);
        return -1;
    }
    for (i = 0; i < np; i++) {
        memcpy(pc[i].p, data + off, pc[i].bytes);
        ph = fnv_step(ph, pc[i].p, pc[i].bytes);
        off += pc[i].bytes;
    }
    memcpy(&stored, data + HEADER_SIZE - 8, 8);
    free(data);
    if (ph != stored) {
        free(path);
        return -1;
    }
    /* values a valid writer cannot have made are corruption too */
    for (i = 0; i < m->n; i++)
        if (m->assign[i] < 0 || (size_t)m->assign[i] >= m->k) {
            free(path);
            return -1;
        }
    snprintf(m->info.cache_file, sizeof m->info.cache_file, "%s", path);
    free(path);
    return 1;
}

/* The cache folder: the config's, $XDG_CACHE_HOME/soundmatch or $HOME/.cache/soundmatch,
 * created if missing; NULL (with a warning) when none is usable. */
static char *cache_folder(const sm_timbre *m)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char *dir = NULL, *parent = NULL, msg[1200];
    sm_error e = {0};
    if (m->cfg.cache_dir && *m->cfg.cache_dir) dir = strdup(m->cfg.cache_dir);
    else if (xdg && *xdg) dir = sm_path_join(xdg, "soundmatch");
    else if (home && *home && (parent = sm_path_join(home, ".cache")) != NULL)
        dir = sm_path_join(parent, "soundmatch");
    free(parent);
    if (!dir) {
        progress(m, "warning: no cache folder (neither XDG_CACHE_HOME nor HOME is set); "
                    "working without a cache", 0, 0);
        return NULL;
    }
    if (sm_mkdir_p(dir, &e) != 0 || access(dir, W_OK) != 0) {
        snprintf(msg, sizeof msg, "warning: cannot use the cache folder %s (%s); working "
                 "without a cache", dir, e.code ? sm_error_text(&e) : "not writable");
        progress(m, msg, 0, 0);
        free(dir);
        return NULL;
    }
    return dir;
}

/* ---- Building ----------------------------------------------------------------------------- */

/* Loads the voices: native values, names, packed bytes, and the file's hash. */
static int load_voices(sm_timbre *m, sm_error *err)
{
    unsigned char *bytes = NULL;
    size_t nb = 0, i;
    uint64_t len;
    sm_dx7_bank bank;
    int rc = sm_read_file(m->voices_file, 0, &bytes, &nb, err);
    if (rc) return rc;
    len = nb;
    m->voices_hash = fnv_step(fnv_step(FNV_START, &len, sizeof len), bytes, nb);
    free(bytes);
    rc = sm_dx7_load(m->voices_file, &bank, err);
    if (rc) return rc;
    m->n = bank.n;
    m->native = malloc(bank.n * SM_FM6_NPARAMS * sizeof *m->native);
    m->names = malloc(bank.n * sizeof *m->names);
    m->packed = malloc(bank.n * TIMBRE_PACKED_BYTES);
    if (!m->native || !m->names || !m->packed) {
        sm_dx7_bank_free(&bank);
        return sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory for %zu voices",
                            m->voices_file, bank.n);
    }
    for (i = 0; i < bank.n; i++) {
        unsigned char p[SM_DX7_VMEM_SIZE];
        sm_dx7_voice_to_native(&bank.voices[i], m->native + i * SM_FM6_NPARAMS);
        sm_dx7_voice_name(&bank.voices[i], m->names[i]);
        sm_dx7_pack_voice(&bank.voices[i], p);
        memcpy(m->packed + i * TIMBRE_PACKED_BYTES, p, TIMBRE_PACKED_BYTES);
    }
    sm_dx7_bank_free(&bank);
    return 0;
}

/* PCA of the encoded voices: mean, eigenvalues, the kept components, scores and spreads. */
static int build_pca(sm_timbre *m, sm_error *err)
{
    const size_t n = m->n, D = SM_TIMBRE_DIM;
    double *x = malloc(n * D * sizeof *x), *vec = malloc(D * D * sizeof *vec), cum = 0;
    size_t i, j, c, q;
    int rc;
    if (!x || !vec) {
        free(x);
        free(vec);
        return sm_error_set(err, SM_ERR_NOMEM, "timbre model: out of memory");
    }
    memset(m->mean, 0, sizeof m->mean);
    for (i = 0; i < n; i++) {
        sm_timbre_encode(m->native + i * SM_FM6_NPARAMS, m->cfg.render.note, x + i * D);
        for (j = 0; j < D; j++) m->mean[j] += x[i * D + j];
    }
    for (j = 0; j < D; j++) m->mean[j] /= (double)n;
    for (i = 0; i < n; i++)
        for (j = 0; j < D; j++) x[i * D + j] -= m->mean[j];
    rc = sm_pca_axes(x, n, D, vec, m->eig, err);
    if (rc) {
        free(x);
        free(vec);
        return rc;
    }
    m->total = 0;
    for (j = 0; j < D; j++) {
        if (m->eig[j] < 0) m->eig[j] = 0;
        m->total += m->eig[j];
    }
    if (m->cfg.components > 0) {
        q = m->cfg.components;
    } else {
        for (q = 0; q < D;) {
            cum += m->eig[q++];
            if (cum >= m->cfg.var_frac * m->total * (1 - 1e-12)) break;
        }
    }
    m->q = q;
    m->k = m->cfg.clusters < n ? m->cfg.clusters : n;
    if (alloc_model(m) != 0) {
        free(x);
        free(vec);
        return sm_error_set(err, SM_ERR_NOMEM, "timbre model: out of memory");
    }
    memcpy(m->comp, vec, D * D * sizeof *vec);
    for (c = 0; c < D; c++) m->sd[c] = sqrt(m->eig[c]);
    for (i = 0; i < n; i++)
        for (c = 0; c < q; c++) {
            double s = 0;
            for (j = 0; j < D; j++) s += x[i * D + j] * m->comp[j * D + c];
            m->scores[i * q + c] = (float)s;
        }
    free(x);
    free(vec);
    return 0;
}

/* k-means in the kept components, and each cluster's covariance factor. */
static int build_clusters(sm_timbre *m, sm_error *err)
{
    const size_t n = m->n, q = m->q, k = m->k;
    double *z = malloc(n * q * sizeof *z);
    size_t *assign = malloc(n * sizeof *assign), *count = calloc(k, sizeof *count), i, c, a, b;
    sm_rng rng;
    int rc = 0;
    if (!z || !assign || !count) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "timbre model: out of memory");
        goto done;
    }
    for (i = 0; i < n * q; i++) z[i] = m->scores[i];
    sm_rng_init(&rng, m->cfg.seed, 0x7157);
    rc = sm_kmeans(z, n, q, k, 100, &rng, m->centroids, assign);
    if (rc) {
        rc = sm_error_set(err, rc, "timbre model: k-means failed (%s)", sm_strerror(rc));
        goto done;
    }
    memset(m->chol, 0, k * q * q * sizeof *m->chol);
    for (i = 0; i < n; i++) {
        double *s = m->chol + assign[i] * q * q;
        const double *ce = m->centroids + assign[i] * q, *zi = z + i * q;
        m->assign[i] = (int32_t)assign[i];
        count[assign[i]]++;
        for (a = 0; a < q; a++)
            for (b = 0; b <= a; b++) s[a * q + b] += (zi[a] - ce[a]) * (zi[b] - ce[b]);
    }
    for (c = 0; c < k; c++) {
        double *s = m->chol + c * q * q;
        for (a = 0; a < q; a++) {
            for (b = 0; b <= a; b++) s[a * q + b] /= (double)(count[c] > 1 ? count[c] - 1 : 1);
            /* a ridge of 1% of the component's global variance: a cluster of a few voices
             * still spreads a little along every component */
            s[a * q + a] += 0.01 * m->eig[a] + 1e-12;
            for (b = a + 1; b < q; b++) s[a * q + b] = 0;
        }
        if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)q, s, (lapack_int)q) != 0) {
            rc = sm_error_set(err, SM_ERR_UNSUPPORTED, "timbre model: the covariance of "
                              "cluster %zu is not positive definite", c + 1);
            goto done;
        }
    }
done:
    free(z);
    free(assign);
    free(count);
    return rc;
}

/* Renders and measures every voice on OpenMP threads. */
static int build_sounds(sm_timbre *m, sm_error *err)
{
    const int threads = m->cfg.threads > 0 ? m->cfg.threads : omp_get_max_threads();
    sm_voice_analyser **an = calloc((size_t)threads, sizeof *an);
    size_t done = 0, next = 0;
    long long i;
    int t, rc = 0;
    if (!an) return sm_error_set(err, SM_ERR_NOMEM, "timbre model: out of memory");
    for (t = 0; t < threads && !rc; t++)
        if (!(an[t] = sm_voice_analyser_alloc(&m->cfg.render, err))) rc = err ? err->code : -1;
    if (!rc) {
        progress(m, "rendering the human voices", 0, m->n);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 16)
        for (i = 0; i < (long long)m->n; i++) {
            sm_voice_analyser *a = an[omp_get_thread_num()];
            sm_voice_analyse(a, m->native + (size_t)i * SM_FM6_NPARAMS, &m->descr[i]);
#pragma omp atomic update
            done++;
            if (omp_get_thread_num() == 0 && m->cfg.progress) {
                size_t now;
#pragma omp atomic read
                now = done;
                if (now >= next) {
                    progress(m, "rendering the human voices", now, m->n);
                    next = now + m->n / 100 + 1;
                }
            }
        }
        progress(m, "rendering the human voices", m->n, m->n);
    }
    for (t = 0; t < threads; t++) sm_voice_analyser_free(an[t]);
    free(an);
    return rc;
}

/* Kinds from names, the classifier fitted on them, every voice's kind and garbage. */
static int build_kinds(sm_timbre *m, sm_error *err)
{
    const size_t n = m->n;
    double *feat = calloc(n * SM_VOICE_NFEAT, sizeof *feat);
    int *label = calloc(n, sizeof *label);
    size_t i;
    int rc;
    if (!feat || !label) {
        free(feat);
        free(label);
        return sm_error_set(err, SM_ERR_NOMEM, "timbre model: out of memory");
    }
    for (i = 0; i < n; i++) {
        int nk = sm_kind_of_name(m->names[i]);
        m->name_kind[i] = (signed char)nk;
        sm_voice_features(&m->descr[i], feat + i * SM_VOICE_NFEAT);
        m->garbage[i] = (unsigned char)sm_garbage_check(&m->descr[i], NULL, sm_kind_pitched(nk));
        /* the classifier learns from named voices that are not garbage */
        label[i] = nk >= 0 && !m->garbage[i] ? nk : SM_KIND_NONE;
    }
    rc = sm_kind_classifier_fit(&m->classifier, feat, label, n, m->cfg.kind_alpha, err);
    if (rc == SM_ERR_EMPTY)
        sm_error_set(err, SM_ERR_EMPTY, "timbre model: %s: too few voices named by their kind "
                     "to learn the kinds (at least %d of each of pad, keys, bass, lead, bell, "
                     "perc and fx)", m->voices_file, SM_VOICE_NFEAT + 1);
    for (i = 0; i < n && !rc; i++)
        m->kind[i] = (signed char)sm_kind_classify(&m->classifier, feat + i * SM_VOICE_NFEAT,
                                                   NULL);
    free(feat);
    free(label);
    return rc;
}

/* A hash of what the code makes of a reference voice (INIT VOICE with a modulator, a fixed
 * operator and an LFO): its encoding and its descriptors. */
static int code_hash(sm_timbre *m, sm_error *err)
{
    sm_dx7_voice v;
    double nat[SM_FM6_NPARAMS], x[SM_TIMBRE_DIM];
    sm_voice_descr d;
    sm_voice_analyser *an = sm_voice_analyser_alloc(&m->cfg.render, err);
    if (!an) return err ? err->code : SM_ERR_NOMEM;
    sm_dx7_voice_init(&v);
    sm_dx7_voice_to_native(&v, nat);
    nat[SM_FM6_OP(2, SM_FM6_OUTPUT_LEVEL)] = 70;
    nat[SM_FM6_OP(2, SM_FM6_COARSE)] = 3;
    nat[SM_FM6_OP(2, SM_FM6_FINE)] = 7;
    nat[SM_FM6_OP(3, SM_FM6_OSC_MODE)] = 1;
    nat[SM_FM6_OP(1, SM_FM6_KBD_LEFT_CURVE)] = 2;
    nat[SM_FM6_LFO_PITCH_MOD_DEPTH] = 20;
    nat[SM_FM6_FEEDBACK] = 5;
    sm_timbre_encode(nat, m->cfg.render.note, x);
    sm_voice_analyse(an, nat, &d);
    sm_voice_analyser_free(an);
    m->code_hash = fnv_step(fnv_step(FNV_START, x, sizeof x), &d, sizeof d);
    return 0;
}

sm_timbre *sm_timbre_open(const sm_timbre_config *c, sm_error *err)
{
    sm_timbre *m;
    double t0;
    int got = 0;
    if (sm_timbre_config_check(c, err)) return NULL;
    if (!(m = calloc(1, sizeof *m)) || !(m->voices_file = strdup(c->voices_file))) {
        free(m);
        sm_error_set(err, SM_ERR_NOMEM, "timbre model: out of memory");
        return NULL;
    }
    m->cfg = *c;
    m->cfg.voices_file = m->voices_file;
    m->cfg.cache_dir = NULL;
    progress(m, "loading voices", 0, 1);
    if (load_voices(m, err)) goto fail;
    if (m->n < m->cfg.clusters || m->n < 2) {
        sm_error_set(err, SM_ERR_EMPTY, "timbre model: %s holds %zu voices, fewer than the %zu "
                     "clusters", m->voices_file, m->n, m->cfg.clusters);
        goto fail;
    }
    if (!c->no_cache) {
        m->cfg.cache_dir = c->cache_dir; /* read by cache_folder only */
        m->cache_dir = cache_folder(m);
        m->cfg.cache_dir = m->cache_dir;
    }
    m->info.cache_enabled = m->cache_dir != NULL;
    if (m->cache_dir) {
        if (code_hash(m, err)) goto fail;
        got = cache_load(m);
        if (got == 1) {
            m->info.loaded = 1;
            if (build_kinds(m, err)) goto fail;
            return m;
        }
        if (c->cache_only) {
            sm_error_set(err, SM_ERR_NOTFOUND, "timbre model: no cached model of %s in %s",
                         m->voices_file, m->cache_dir);
            goto fail;
        }
        /* a stale or corrupt file: rebuild from scratch */
        free_model(m);
    }
    if (c->cache_only && !m->cache_dir) {
        sm_error_set(err, SM_ERR_NOTFOUND, "timbre model: no cache folder to load it from");
        goto fail;
    }
    t0 = omp_get_wtime();
    progress(m, "building the timbre model", 0, 1);
    if (build_pca(m, err)) goto fail;
    m->info.pca_s = omp_get_wtime() - t0;
    if (build_clusters(m, err)) goto fail;
    m->info.cluster_s = omp_get_wtime() - t0 - m->info.pca_s;
    {
        double t1 = omp_get_wtime();
        if (build_sounds(m, err)) goto fail;
        m->info.render_s = omp_get_wtime() - t1;
    }
    if (build_kinds(m, err)) goto fail;
    m->info.build_s = omp_get_wtime() - t0;
    if (m->cache_dir) {
        sm_error e = {0};
        char msg[sizeof e.msg + 64];
        if (cache_write(m, &e) != 0) {
            snprintf(msg, sizeof msg, "warning: cannot write the timbre model's cache: %s",
                     sm_error_text(&e));
            progress(m, msg, 0, 0);
        }
    }
    return m;
fail:
    sm_timbre_free(m);
    return NULL;
}

/* ---- Accessors ---------------------------------------------------------------------------- */

void sm_timbre_get_info(const sm_timbre *m, sm_timbre_info *info)
{
    if (!info) return;
    if (!m) memset(info, 0, sizeof *info);
    else *info = m->info;
}

size_t sm_timbre_count(const sm_timbre *m) { return m ? m->n : 0; }
size_t sm_timbre_components(const sm_timbre *m) { return m ? m->q : 0; }
size_t sm_timbre_clusters(const sm_timbre *m) { return m ? m->k : 0; }

const sm_voice_render_config *sm_timbre_render_config(const sm_timbre *m)
{
    return m ? &m->cfg.render : NULL;
}

double sm_timbre_variance(const sm_timbre *m, size_t c)
{
    return m && c < SM_TIMBRE_DIM ? m->eig[c] : 0;
}

double sm_timbre_total_variance(const sm_timbre *m) { return m ? m->total : 0; }

double sm_timbre_sd(const sm_timbre *m, size_t c) { return m && c < SM_TIMBRE_DIM ? m->sd[c] : 0; }

const double *sm_timbre_native(const sm_timbre *m, size_t i)
{
    return m && i < m->n ? m->native + i * SM_FM6_NPARAMS : NULL;
}

const char *sm_timbre_name(const sm_timbre *m, size_t i)
{
    return m && i < m->n ? m->names[i] : NULL;
}

const sm_voice_descr *sm_timbre_descr(const sm_timbre *m, size_t i)
{
    return m && i < m->n ? &m->descr[i] : NULL;
}

int sm_timbre_cluster_of(const sm_timbre *m, size_t i)
{
    return m && i < m->n ? m->assign[i] : -1;
}

int sm_timbre_name_kind(const sm_timbre *m, size_t i)
{
    return m && i < m->n ? m->name_kind[i] : SM_KIND_NONE;
}

int sm_timbre_kind(const sm_timbre *m, size_t i) { return m && i < m->n ? m->kind[i] : -1; }

unsigned sm_timbre_garbage(const sm_timbre *m, size_t i)
{
    return m && i < m->n ? m->garbage[i] : 0;
}

const sm_kind_classifier *sm_timbre_classifier(const sm_timbre *m)
{
    return m ? &m->classifier : NULL;
}

/* ---- Projection --------------------------------------------------------------------------- */

void sm_timbre_project(const sm_timbre *m, const double *native, size_t q_used, double *z)
{
    double x[SM_TIMBRE_DIM];
    size_t j, c;
    if (!m || !native || !z) return;
    if (q_used == 0 || q_used > SM_TIMBRE_DIM) q_used = m->q;
    sm_timbre_encode(native, m->cfg.render.note, x);
    for (c = 0; c < q_used; c++) z[c] = 0;
    for (j = 0; j < SM_TIMBRE_DIM; j++) {
        const double d = x[j] - m->mean[j];
        for (c = 0; c < q_used; c++) z[c] += d * m->comp[j * SM_TIMBRE_DIM + c];
    }
}

void sm_timbre_reconstruct(const sm_timbre *m, const double *z, size_t q_used, int algorithm,
                           int fixed, double *native)
{
    double x[SM_TIMBRE_DIM];
    size_t j, c;
    if (!m || !z || !native) return;
    if (q_used == 0 || q_used > SM_TIMBRE_DIM) q_used = m->q;
    for (j = 0; j < SM_TIMBRE_DIM; j++) {
        double s = m->mean[j];
        for (c = 0; c < q_used; c++) s += m->comp[j * SM_TIMBRE_DIM + c] * z[c];
        x[j] = s;
    }
    sm_timbre_decode(x, m->cfg.render.note, algorithm, fixed, native);
}

int sm_timbre_nearest_bytes(const sm_timbre *m, const double *native, size_t *nearest)
{
    unsigned char p[TIMBRE_PACKED_BYTES];
    size_t i, best_i = 0;
    int best = TIMBRE_PACKED_BYTES + 1;
    if (!m || !native) return -1;
    sm_timbre_packed_bytes(native, p);
    for (i = 0; i < m->n && best > 0; i++) {
        const unsigned char *h = m->packed + i * TIMBRE_PACKED_BYTES;
        int d = 0, j;
        for (j = 0; j < TIMBRE_PACKED_BYTES; j++) d += h[j] != p[j];
        if (d < best) {
            best = d;
            best_i = i;
        }
    }
    if (nearest) *nearest = best_i;
    return best;
}

/* ---- Round trips -------------------------------------------------------------------------- */

/* One voice a there and back at q_used components: its parameter error, share of exact
 * parameters and log-mel distance (NaN if a render is silent); the voice that comes back into
 * back (may be NULL). orig holds a render's samples. */
static void round_trip_one(const sm_timbre *m, sm_voice_analyser *an, float *orig,
                           const double *a, size_t q_used, double *back, double *perr,
                           double *exact, double *db)
{
    const size_t n_audio = sm_voice_analyser_samples(an);
    double z[SM_TIMBRE_DIM], b[SM_FM6_NPARAMS], e = 0;
    sm_voice_descr d;
    size_t p, same = 0;
    sm_timbre_project(m, a, q_used, z);
    sm_timbre_reconstruct(m, z, q_used, 0, SM_TIMBRE_FIXED_KEEP, b);
    for (p = 0; p < SM_FM6_NPARAMS; p++) {
        e += fabs(a[p] - b[p]) / sm_dx7_param_max((int)p); /* native p is VCED p */
        same += a[p] == b[p];
    }
    *perr = e / SM_FM6_NPARAMS;
    *exact = (double)same / SM_FM6_NPARAMS;
    sm_voice_analyse(an, a, &d);
    memcpy(orig, sm_voice_analyser_audio(an), n_audio * sizeof *orig);
    sm_voice_analyse(an, b, &d);
    *db = NAN;
    sm_logmel_distance(orig, n_audio, sm_voice_analyser_audio(an), n_audio,
                       m->cfg.render.sample_rate, db, NULL);
    if (back) memcpy(back, b, sizeof b);
}

int sm_timbre_round_trip_voice(const sm_timbre *m, const double *native, size_t q_used,
                               sm_timbre_roundtrip *out, double *back, sm_error *err)
{
    sm_voice_analyser *an;
    float *orig;
    double perr, exact, db;
    if (out) memset(out, 0, sizeof *out);
    if (!m || !native || !out)
        return sm_error_set(err, SM_ERR_ARG, "timbre round trip: NULL model or voice");
    if (!(an = sm_voice_analyser_alloc(&m->cfg.render, err))) return err ? err->code : -1;
    if (!(orig = malloc(sm_voice_analyser_samples(an) * sizeof *orig))) {
        sm_voice_analyser_free(an);
        return sm_error_set(err, SM_ERR_NOMEM, "timbre round trip: out of memory");
    }
    round_trip_one(m, an, orig, native, q_used, back, &perr, &exact, &db);
    out->n = 1;
    out->param_error = perr;
    out->params_exact = exact;
    out->voices_exact = exact == 1.0;
    out->logmel_median_db = out->logmel_mean_db = db;
    free(orig);
    sm_voice_analyser_free(an);
    return 0;
}

int sm_timbre_round_trip(const sm_timbre *m, size_t stride, size_t q_used, int threads,
                         sm_timbre_roundtrip *out, sm_error *err)
{
    size_t *ids = NULL, n_ids = 0, i, n_audio;
    double *perr = NULL, *db = NULL, *exact = NULL;
    sm_voice_analyser **an = NULL;
    float **orig = NULL;
    int t, rc = 0;
    long long j;
    if (out) memset(out, 0, sizeof *out);
    if (!m || !out || stride == 0)
        return sm_error_set(err, SM_ERR_ARG, "timbre round trip: NULL model or stride 0");
    if (threads <= 0) threads = omp_get_max_threads();
    ids = malloc(m->n * sizeof *ids);
    perr = malloc(m->n * sizeof *perr);
    db = malloc(m->n * sizeof *db);
    exact = malloc(m->n * sizeof *exact);
    an = calloc((size_t)threads, sizeof *an);
    orig = calloc((size_t)threads, sizeof *orig);
    if (!ids || !perr || !db || !exact || !an || !orig) goto nomem;
    for (i = 0; i < m->n; i += stride)
        if (m->descr[i].peak >= 0.001) ids[n_ids++] = i;
    for (t = 0; t < threads && !rc; t++)
        if (!(an[t] = sm_voice_analyser_alloc(&m->cfg.render, err))) rc = err ? err->code : -1;
    if (rc) goto done;
    n_audio = sm_voice_analyser_samples(an[0]);
    for (t = 0; t < threads; t++)
        if (!(orig[t] = malloc(n_audio * sizeof *orig[t]))) goto nomem;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 4)
    for (j = 0; j < (long long)n_ids; j++) {
        const int th = omp_get_thread_num();
        round_trip_one(m, an[th], orig[th], m->native + ids[j] * SM_FM6_NPARAMS, q_used, NULL,
                       &perr[j], &exact[j], &db[j]);
    }
    {
        size_t n_db = 0, n_same = 0;
        for (i = 0; i < n_ids; i++) {
            out->param_error += perr[i];
            out->params_exact += exact[i];
            n_same += exact[i] == 1.0;
            if (isfinite(db[i])) {
                db[n_db++] = db[i];
                out->logmel_mean_db += db[i];
            }
        }
        out->n = n_ids;
        if (n_ids) {
            out->param_error /= (double)n_ids;
            out->params_exact /= (double)n_ids;
            out->voices_exact = (double)n_same / (double)n_ids;
        }
        if (n_db) {
            out->logmel_mean_db /= (double)n_db;
            qsort(db, n_db, sizeof *db, cmp_dbl);
            out->logmel_median_db =
                n_db % 2 ? db[n_db / 2] : 0.5 * (db[n_db / 2 - 1] + db[n_db / 2]);
        }
    }
    goto done;
nomem:
    rc = sm_error_set(err, SM_ERR_NOMEM, "timbre round trip: out of memory");
done:
    if (an)
        for (t = 0; t < threads; t++) sm_voice_analyser_free(an[t]);
    if (orig)
        for (t = 0; t < threads; t++) free(orig[t]);
    free(an);
    free(orig);
    free(ids);
    free(perr);
    free(db);
    free(exact);
    return rc;
}
