/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/pcakm.c: the PCA + k-means model of a patch dataset (build, query, save, load) and
 * the `pcakm` optimizer that asks the nearest cluster's members and then refines the best of
 * them with gd (see search/pcakm.h).
 *
 * Model file format (all integers unsigned 64-bit and doubles IEEE-754, little-endian):
 *   "SMPCAKM" 0, version (u64, 1), n, d, m, q (components), k (clusters),
 *   points n*d, feature mean m, feature scale m, components m*q (row-major: feature, comp),
 *   eigenvalues q, total variance 1, scores n*q, centroids k*q, assignment n (u64),
 *   FNV-1a 64 checksum of every byte before it. */
#include "search/pcakm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/fileio.h"
#include "core/pca.h"
#include "core/rng.h"
#include "search/batch.h"
#include "search/optimizer.h"

struct sm_pcakm_model {
    size_t n, d, m, q, k;
    double *points;     /* n x d */
    double *mean;       /* m */
    double *scale;      /* m: standard deviations (1 where a feature is constant) */
    double *comp;       /* m x q */
    double *eig;        /* q: variance along each kept component */
    double total;       /* total variance of the standardized features */
    double *scores;     /* n x q */
    double *centroids;  /* k x q */
    size_t *assign;     /* n */
};

static const char pcakm_magic[8] = {'S', 'M', 'P', 'C', 'A', 'K', 'M', 0};
#define PCAKM_VERSION SM_PCAKM_FORMAT_VERSION
#define PCAKM_HEADER (8 + 6 * 8)

sm_pcakm_params sm_pcakm_params_default(void)
{
    sm_pcakm_params p;
    p.k = 16;
    p.var_frac = 0.95;
    p.components = 0;
    p.max_iter = 100;
    return p;
}

void sm_pcakm_model_free(sm_pcakm_model *model)
{
    if (!model) return;
    free(model->points);
    free(model->mean);
    free(model->scale);
    free(model->comp);
    free(model->eig);
    free(model->scores);
    free(model->centroids);
    free(model->assign);
    free(model);
}

/* A model with every array allocated for the given sizes, or NULL. */
static sm_pcakm_model *model_new(size_t n, size_t d, size_t m, size_t q, size_t k)
{
    sm_pcakm_model *md = calloc(1, sizeof *md);
    if (!md) return NULL;
    md->n = n;
    md->d = d;
    md->m = m;
    md->q = q;
    md->k = k;
    md->points = malloc(n * d * sizeof *md->points);
    md->mean = malloc(m * sizeof *md->mean);
    md->scale = malloc(m * sizeof *md->scale);
    md->comp = malloc(m * q * sizeof *md->comp);
    md->eig = malloc(q * sizeof *md->eig);
    md->scores = malloc(n * q * sizeof *md->scores);
    md->centroids = malloc(k * q * sizeof *md->centroids);
    md->assign = malloc(n * sizeof *md->assign);
    if (!md->points || !md->mean || !md->scale || !md->comp || !md->eig || !md->scores ||
        !md->centroids || !md->assign) {
        sm_pcakm_model_free(md);
        return NULL;
    }
    return md;
}

void sm_pcakm_model_project(const sm_pcakm_model *md, const double *features, double *out)
{
    size_t c, j;
    for (c = 0; c < md->q; c++) out[c] = 0;
    for (j = 0; j < md->m; j++) {
        double z = (features[j] - md->mean[j]) / md->scale[j];
        for (c = 0; c < md->q; c++) out[c] += z * md->comp[j * md->q + c];
    }
}

sm_pcakm_model *sm_pcakm_model_build(const double *points, size_t n, size_t d,
                                     const double *features, size_t m,
                                     const sm_pcakm_params *p, uint64_t seed, sm_error *err)
{
    sm_pcakm_model *md = NULL;
    double *z = NULL, *cov = NULL, *w = NULL, total = 0, cum = 0;
    size_t i, j, c, q, k;
    sm_rng rng;
    if (!points || !features || !p || n == 0 || d == 0 || m == 0) {
        sm_error_set(err, SM_ERR_ARG, "pcakm: the dataset is empty (n=%zu, d=%zu, m=%zu) or "
                                      "an argument is NULL", n, d, m);
        return NULL;
    }
    if (p->k == 0 || !(p->var_frac > 0 && p->var_frac <= 1)) {
        sm_error_set(err, SM_ERR_RANGE, "pcakm: clusters must be at least 1 (got %zu) and "
                                        "var_frac in (0,1] (got %g)", p->k, p->var_frac);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        for (j = 0; j < d; j++)
            if (!(points[i * d + j] >= 0 && points[i * d + j] <= 1)) {
                sm_error_set(err, isfinite(points[i * d + j]) ? SM_ERR_RANGE : SM_ERR_NONFINITE,
                             "pcakm: item %zu: point value %zu is %g, outside [0,1]", i, j,
                             points[i * d + j]);
                return NULL;
            }
        for (j = 0; j < m; j++)
            if (!isfinite(features[i * m + j])) {
                sm_error_set(err, SM_ERR_NONFINITE, "pcakm: item %zu: feature %zu is not finite",
                             i, j);
                return NULL;
            }
    }
    z = malloc(n * m * sizeof *z);
    cov = calloc(m * m, sizeof *cov);
    w = malloc(m * sizeof *w);
    md = model_new(n, d, m, m, 1); /* q and k are fixed below; arrays resized then */
    if (!z || !cov || !w || !md) goto nomem;
    memcpy(md->points, points, n * d * sizeof *points);
    /* standardize */
    for (j = 0; j < m; j++) {
        double mu = 0, var = 0;
        for (i = 0; i < n; i++) mu += features[i * m + j];
        mu /= (double)n;
        for (i = 0; i < n; i++) var += (features[i * m + j] - mu) * (features[i * m + j] - mu);
        var /= (double)(n > 1 ? n - 1 : 1);
        md->mean[j] = mu;
        md->scale[j] = var > 1e-24 * (1 + mu * mu) ? sqrt(var) : 1;
        for (i = 0; i < n; i++) z[i * m + j] = (features[i * m + j] - mu) / md->scale[j];
    }
    /* the principal axes of the standardized features, largest first (core/pca.h) */
    if (sm_pca_axes(z, n, m, cov, w, err) != 0) {
        if (err && err->code == SM_ERR_NOMEM) goto nomem;
        sm_error_set(err, SM_ERR_UNSUPPORTED, "pcakm: LAPACKE_dsyev failed on the %zu x %zu "
                                              "feature covariance", m, m);
        goto fail;
    }
    for (j = m; j-- > 0;) total += w[j] > 0 ? w[j] : 0;
    if (p->components > 0) {
        q = p->components < m ? p->components : m;
    } else if (total <= 0) {
        q = 1;
    } else {
        for (q = 0; q < m;) {
            double e = w[q];
            cum += e > 0 ? e : 0;
            q++;
            if (cum >= p->var_frac * total * (1 - 1e-12)) break;
        }
    }
    k = p->k < n ? p->k : n;
    md->q = q;
    md->k = k;
    md->total = total;
    /* keep the q largest */
    for (c = 0; c < q; c++) {
        for (j = 0; j < m; j++) md->comp[j * q + c] = cov[j * m + c];
        md->eig[c] = w[c] > 0 ? w[c] : 0;
    }
    for (i = 0; i < n; i++)
        for (c = 0; c < q; c++) {
            double sc = 0;
            for (j = 0; j < m; j++) sc += z[i * m + j] * md->comp[j * q + c];
            md->scores[i * q + c] = sc;
        }
    free(md->centroids);
    md->centroids = malloc(k * q * sizeof *md->centroids);
    if (!md->centroids) goto nomem;
    sm_rng_init(&rng, seed, 0x9ca);
    if (sm_kmeans(md->scores, n, q, k, p->max_iter, &rng, md->centroids, md->assign) != 0)
        goto nomem;
    free(z);
    free(cov);
    free(w);
    return md;
nomem:
    sm_error_set(err, SM_ERR_NOMEM, "pcakm: out of memory building a model of %zu items", n);
fail:
    free(z);
    free(cov);
    free(w);
    sm_pcakm_model_free(md);
    return NULL;
}

size_t sm_pcakm_query(const sm_pcakm_model *md, const double *target, size_t k, size_t *out)
{
    double *t, *dd;
    size_t c, i, best = 0, cnt = 0, *idx, *members;
    double bd = INFINITY;
    if (!md || !target || !out || k == 0) return 0;
    t = malloc(md->q * sizeof *t);
    dd = malloc(md->n * sizeof *dd);
    idx = malloc(md->n * sizeof *idx);
    members = calloc(md->k, sizeof *members);
    if (!t || !dd || !idx || !members) {
        free(t);
        free(dd);
        free(idx);
        free(members);
        return 0;
    }
    sm_pcakm_model_project(md, target, t);
    for (i = 0; i < md->n; i++) members[md->assign[i]]++;
    for (c = 0; c < md->k; c++) { /* the nearest cluster that has members */
        double e = sm_dist2(t, md->centroids + c * md->q, md->q);
        if (members[c] && e < bd) {
            bd = e;
            best = c;
        }
    }
    for (i = 0; i < md->n; i++) {
        dd[i] = sm_dist2(t, md->scores + i * md->q, md->q);
        if (md->assign[i] == best) idx[cnt++] = i;
    }
    qsort_r(idx, cnt, sizeof *idx, sm_cmp_index_by_cost, dd);
    if (cnt > k) cnt = k;
    memcpy(out, idx, cnt * sizeof *out);
    free(members);
    free(t);
    free(dd);
    free(idx);
    return cnt;
}

size_t sm_pcakm_model_n(const sm_pcakm_model *md) { return md ? md->n : 0; }
size_t sm_pcakm_model_d(const sm_pcakm_model *md) { return md ? md->d : 0; }
size_t sm_pcakm_model_m(const sm_pcakm_model *md) { return md ? md->m : 0; }
size_t sm_pcakm_model_components(const sm_pcakm_model *md) { return md ? md->q : 0; }
size_t sm_pcakm_model_clusters(const sm_pcakm_model *md) { return md ? md->k : 0; }

double sm_pcakm_model_explained(const sm_pcakm_model *md)
{
    double s = 0;
    size_t c;
    if (!md || md->total <= 0) return md ? 1 : 0;
    for (c = 0; c < md->q; c++) s += md->eig[c];
    return s / md->total > 1 ? 1 : s / md->total;
}

const double *sm_pcakm_model_point(const sm_pcakm_model *md, size_t i)
{
    return md && i < md->n ? md->points + i * md->d : NULL;
}

size_t sm_pcakm_model_cluster_of(const sm_pcakm_model *md, size_t i)
{
    return md && i < md->n ? md->assign[i] : (size_t)-1;
}

const double *sm_pcakm_model_centroid(const sm_pcakm_model *md, size_t c)
{
    return md && c < md->k ? md->centroids + c * md->q : NULL;
}

/* ---- file format ---------------------------------------------------------------------- */

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_f64s(unsigned char **p, const double *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, &x[i], sizeof b);
        put_u64(*p, b);
        *p += 8;
    }
}

/* Values stored after the header, in doubles and u64s. */
static size_t payload_words(size_t n, size_t d, size_t m, size_t q, size_t k)
{
    return n * d + 2 * m + m * q + q + 1 + n * q + k * q + n;
}

int sm_pcakm_model_save(const char *path, const sm_pcakm_model *md, sm_error *err)
{
    size_t words, bytes, i;
    unsigned char *buf, *p;
    sm_outfile of;
    int rc;
    if (!path || !md) return sm_error_set(err, SM_ERR_ARG, "pcakm: no model or no file name");
    words = payload_words(md->n, md->d, md->m, md->q, md->k);
    bytes = PCAKM_HEADER + 8 * words + 8;
    buf = malloc(bytes);
    if (!buf) return sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", path);
    memcpy(buf, pcakm_magic, 8);
    put_u64(buf + 8, PCAKM_VERSION);
    put_u64(buf + 16, md->n);
    put_u64(buf + 24, md->d);
    put_u64(buf + 32, md->m);
    put_u64(buf + 40, md->q);
    put_u64(buf + 48, md->k);
    p = buf + PCAKM_HEADER;
    put_f64s(&p, md->points, md->n * md->d);
    put_f64s(&p, md->mean, md->m);
    put_f64s(&p, md->scale, md->m);
    put_f64s(&p, md->comp, md->m * md->q);
    put_f64s(&p, md->eig, md->q);
    put_f64s(&p, &md->total, 1);
    put_f64s(&p, md->scores, md->n * md->q);
    put_f64s(&p, md->centroids, md->k * md->q);
    for (i = 0; i < md->n; i++, p += 8) put_u64(p, md->assign[i]);
    put_u64(p, fnv1a(buf, (size_t)(p - buf)));
    rc = sm_outfile_open(&of, path, err);
    if (rc == 0) {
        if (fwrite(buf, 1, bytes, of.f) != bytes) {
            sm_outfile_abort(&of);
            rc = sm_error_set(err, SM_ERR_IO, "%s: write failed", path);
        } else {
            rc = sm_outfile_commit(&of, err);
        }
    }
    free(buf);
    return rc;
}

/* Reads n doubles, checking each is finite. Returns 0 or the index of the first bad one + 1. */
static size_t get_f64s(const unsigned char **p, double *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint64_t b = get_u64(*p);
        memcpy(&x[i], &b, sizeof b);
        *p += 8;
        if (!isfinite(x[i])) return i + 1;
    }
    return 0;
}

sm_pcakm_model *sm_pcakm_model_load(const char *path, sm_error *err)
{
    unsigned char *data = NULL;
    const unsigned char *p;
    size_t len = 0, i, words, bad;
    uint64_t n, d, m, q, k, ver;
    sm_pcakm_model *md = NULL;
    const char *what = NULL;
    if (!path) {
        sm_error_set(err, SM_ERR_ARG, "pcakm: no model file name");
        return NULL;
    }
    if (sm_read_file(path, 0, &data, &len, err) != 0) return NULL;
    if (len < PCAKM_HEADER + 8 || memcmp(data, pcakm_magic, 8) != 0) {
        sm_error_set(err, SM_ERR_FORMAT, "%s: not a soundmatch pcakm model (%s)", path,
                     len < PCAKM_HEADER + 8 ? "too short" : "bad magic bytes");
        goto out;
    }
    ver = get_u64(data + 8);
    if (ver != PCAKM_VERSION) {
        sm_error_set(err, SM_ERR_FORMAT, "%s: pcakm model version %llu, this build reads %d",
                     path, (unsigned long long)ver, PCAKM_VERSION);
        goto out;
    }
    n = get_u64(data + 16);
    d = get_u64(data + 24);
    m = get_u64(data + 32);
    q = get_u64(data + 40);
    k = get_u64(data + 48);
    /* sizes bounded so that the products below cannot overflow */
    if (n == 0 || d == 0 || m == 0 || q == 0 || k == 0 || n > (1u << 26) || d > (1u << 16) ||
        m > (1u << 16) || q > m || k > n) {
        sm_error_set(err, SM_ERR_FORMAT, "%s: bad sizes in the header (n=%llu d=%llu m=%llu "
                     "components=%llu clusters=%llu)", path, (unsigned long long)n,
                     (unsigned long long)d, (unsigned long long)m, (unsigned long long)q,
                     (unsigned long long)k);
        goto out;
    }
    words = payload_words(n, d, m, q, k);
    if (len != PCAKM_HEADER + 8 * words + 8) {
        sm_error_set(err, SM_ERR_FORMAT, "%s: %s: %zu bytes where the header promises %zu",
                     path, len < PCAKM_HEADER + 8 * words + 8 ? "truncated" : "trailing bytes",
                     len, PCAKM_HEADER + 8 * words + 8);
        goto out;
    }
    if (get_u64(data + len - 8) != fnv1a(data, len - 8)) {
        sm_error_set(err, SM_ERR_FORMAT, "%s: checksum mismatch: the file is corrupt", path);
        goto out;
    }
    md = model_new(n, d, m, q, k);
    if (!md) {
        sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    p = data + PCAKM_HEADER;
#define GET(arr, cnt, name)                                 \
    if ((bad = get_f64s(&p, (arr), (cnt))) != 0) {          \
        what = name;                                        \
        goto bad_value;                                     \
    }
    GET(md->points, n * d, "points");
    GET(md->mean, m, "feature means");
    GET(md->scale, m, "feature scales");
    GET(md->comp, m * q, "components");
    GET(md->eig, q, "eigenvalues");
    GET(&md->total, 1, "total variance");
    GET(md->scores, n * q, "scores");
    GET(md->centroids, k * q, "centroids");
#undef GET
    for (i = 0; i < n * d; i++)
        if (md->points[i] < 0 || md->points[i] > 1) {
            sm_error_set(err, SM_ERR_FORMAT, "%s: point %zu value %zu is %g, outside [0,1]",
                         path, i / d, i % d, md->points[i]);
            goto fail;
        }
    for (i = 0; i < m; i++)
        if (!(md->scale[i] > 0)) {
            sm_error_set(err, SM_ERR_FORMAT, "%s: feature scale %zu is %g, not positive", path,
                         i, md->scale[i]);
            goto fail;
        }
    for (i = 0; i < n; i++, p += 8) {
        md->assign[i] = (size_t)get_u64(p);
        if (md->assign[i] >= k) {
            sm_error_set(err, SM_ERR_FORMAT, "%s: item %zu is in cluster %zu of only %llu",
                         path, i, md->assign[i], (unsigned long long)k);
            goto fail;
        }
    }
    free(data);
    return md;
bad_value:
    sm_error_set(err, SM_ERR_FORMAT, "%s: %s: value %zu is not finite", path, what, bad - 1);
fail:
    sm_pcakm_model_free(md);
    md = NULL;
out:
    free(data);
    return NULL;
}

/* ---- the pcakm optimizer -------------------------------------------------------------- */

/* Phase 0 asks up to `starts` members of the cluster nearest the target (sm_pcakm_query,
 * snapped to bin centres, cut to the budget) as one batch. Phase 1 runs gd (through its type,
 * sm_optimizer_gd) from the best of them with the remaining budget and our settings minus
 * `starts`. cfg->x0 and cfg->starts are not used: the model chooses the starts. */

typedef struct {
    const sm_param_space *s;
    size_t d;
    size_t budget, planned;
    uint64_t seed;
    int phase;               /* 0: asking the starts, 1: gd, 2: done */
    sm_pending q;            /* the starts */
    sm_opt_config gcfg;      /* gd's configuration: our settings without `starts` */
    sm_opt_setting *gset;    /* owned array behind gcfg.settings */
    double *x0;              /* the best start */
    void *gd;
} pcakm_state;

/* `starts` plus gd's keys, which are passed on (test_search_pcakm checks they match). */
static const char *const pcakm_keys[] = {"starts", "lr", "h", "beta1", "beta2", "eps",
                                         "patience", "perturb", "decay", "gradient",
                                         "chains", "repair", "screen", "screen_by",
                                         "keep", "halve_after", "lr_scale", NULL};
static const char *const pcakm_help[] = {
    "starts: members of the nearest cluster asked before the descent (8)",
    "lr: gd's Adam learning rate for the descent (0.05)",
    "h: gd's finite-difference step (1e-3)",
    "beta1: gd's first-moment decay (0.9)",
    "beta2: gd's second-moment decay (0.999)",
    "eps: gd's Adam guard (1e-8)",
    "patience: gd's iterations without progress before a restart (10)",
    "perturb: gd's restart perturbation (0.05)",
    "decay: gd's factor on lr and perturb at each restart (0.5)",
    "gradient: gd's; pcakm takes no exact gradients, so its descent uses differences (exact)",
    "chains: gd's independent descents (1)",
    "repair: gd's evaluations kept for the discrete repair search at the end (0)",
    "screen: gd's evaluations on a random sample whose best points start its chains (0)",
    "screen_by: random or the optimizer that draws gd's sample (random)",
    "keep: gd's chains that halving keeps descending (1)",
    "halve_after: gd's iterations before halving its chains, doubling each round (0: never)",
    "lr_scale: gd's learning-rate factors of some parameters, glob=factor, ... (none)",
    NULL};

static void pcakm_free(void *p)
{
    pcakm_state *st = p;
    if (!st) return;
    if (st->gd) sm_optimizer_gd.free(st->gd);
    sm_pending_free(&st->q);
    free(st->gset);
    free(st->x0);
    free(st);
}

static void *pcakm_alloc(const sm_param_space *s, const sm_opt_config *cfg, uint64_t seed,
                         sm_error *err)
{
    pcakm_state *st = NULL;
    const sm_pcakm_model *model;
    long starts;
    size_t i, n, *idx = NULL;
    void *probe;
    if (!s || !cfg || s->n == 0) {
        sm_error_set(err, SM_ERR_ARG, "pcakm: empty parameter space");
        return NULL;
    }
    model = cfg->side_model;
    if (!model || !cfg->target_features) {
        sm_error_set(err, SM_ERR_ARG, "pcakm needs a model: pass a model from "
                                      "sm_pcakm_model_build and the target's features as "
                                      "cfg->side_model and cfg->target_features");
        return NULL;
    }
    if (sm_opt_check_keys(cfg, pcakm_keys, "pcakm", err) != 0 ||
        sm_opt_get_long(cfg, "starts", 8, 1, 1000000, &starts, err) != 0)
        return NULL;
    if (model->d != s->n) {
        sm_error_set(err, SM_ERR_CONFIG, "pcakm: the model's points have %zu values but the "
                     "parameter space has %zu parameters", model->d, s->n);
        return NULL;
    }
    st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->s = s;
    st->d = s->n;
    st->budget = cfg->budget;
    st->seed = seed;
    st->x0 = malloc(st->d * sizeof *st->x0);
    st->gset = malloc((cfg->n_settings ? cfg->n_settings : 1) * sizeof *st->gset);
    idx = malloc((size_t)starts * sizeof *idx);
    if (!st->x0 || !st->gset || !idx || sm_pending_init(&st->q, st->d, (size_t)starts) != 0)
        goto nomem;
    st->gcfg = *cfg;
    st->gcfg.side_model = NULL;
    st->gcfg.target_features = NULL;
    st->gcfg.x0 = NULL;
    st->gcfg.starts = NULL; /* the model chooses our starts */
    st->gcfg.n_starts = 0;
    st->gcfg.start_costs = NULL;
    st->gcfg.settings = st->gset;
    st->gcfg.n_settings = 0;
    for (i = 0; i < cfg->n_settings; i++)
        if (strcmp(cfg->settings[i].key, "starts") != 0)
            st->gset[st->gcfg.n_settings++] = cfg->settings[i];
    /* check gd's settings now rather than after the starts */
    st->gcfg.budget = 1;
    probe = sm_optimizer_gd.alloc(s, &st->gcfg, seed, err);
    if (!probe) {
        free(idx);
        pcakm_free(st);
        return NULL;
    }
    sm_optimizer_gd.free(probe);
    n = sm_pcakm_query(model, cfg->target_features, (size_t)starts, idx);
    for (i = 0; i < n; i++) {
        double *r = sm_pending_row(&st->q, i);
        size_t j;
        const double *pt = sm_pcakm_model_point(model, idx[i]);
        for (j = 0; j < st->d; j++) r[j] = sm_clamp01(pt[j]);
        sm_snap_discrete(s, r);
    }
    free(idx);
    idx = NULL;
    if (n == 0) { /* cannot happen with a valid model; descend from the centre */
        for (i = 0; i < st->d; i++) st->x0[i] = 0.5;
        sm_snap_discrete(s, st->x0);
        st->phase = 1;
    } else {
        if (n > st->budget) n = st->budget;
        sm_pending_start(&st->q, n);
        st->planned = n;
    }
    if (st->phase == 1) {
        st->gcfg.budget = st->budget;
        st->gcfg.x0 = st->x0;
        st->gd = sm_optimizer_gd.alloc(s, &st->gcfg, sm_rng_mix(seed, 6), err);
        if (!st->gd) {
            pcakm_free(st);
            return NULL;
        }
    }
    return st;
nomem:
    free(idx);
    pcakm_free(st);
    sm_error_set(err, SM_ERR_NOMEM, "pcakm: out of memory");
    return NULL;
}

static size_t pcakm_ask(void *p, double *x, size_t max_batch)
{
    pcakm_state *st = p;
    if (st->phase == 0) return sm_pending_ask(&st->q, x, max_batch);
    if (st->phase == 1) return sm_optimizer_gd.ask(st->gd, x, max_batch);
    return 0;
}

static void pcakm_tell(void *p, const double *x, const double *cost, size_t k)
{
    pcakm_state *st = p;
    size_t i, best = 0;
    if (st->phase == 1) {
        sm_optimizer_gd.tell(st->gd, x, cost, k);
        return;
    }
    if (st->phase != 0 || !sm_pending_tell(&st->q, cost, k)) return;
    for (i = 1; i < st->q.n; i++)
        if (st->q.cost[i] < st->q.cost[best]) best = i;
    memcpy(st->x0, sm_pending_row(&st->q, best), st->d * sizeof *st->x0);
    if (st->planned >= st->budget) {
        st->phase = 2;
        return;
    }
    st->gcfg.budget = st->budget - st->planned;
    st->gcfg.x0 = st->x0;
    st->gd = sm_optimizer_gd.alloc(st->s, &st->gcfg, sm_rng_mix(st->seed, 6), NULL);
    st->phase = st->gd ? 1 : 2; /* only out of memory can fail here (settings were checked) */
}

static int pcakm_converged(const void *p)
{
    const pcakm_state *st = p;
    if (st->phase == 2) return 1;
    if (st->phase == 1) return sm_optimizer_gd.converged(st->gd);
    return 0;
}

/* ---- side data: the model, built by the caller's dataset (search/optimizer.h) ---- */

static const char *const pcakm_model_keys[] = {"clusters", NULL};
static const char *const pcakm_model_help[] = {
    "clusters: k-means clusters of the model (16)", NULL};

static int pcakm_side_clusters(const sm_opt_config *cfg, long *k, sm_error *err)
{
    return sm_opt_get_long(cfg, "clusters", 16, 2, 1000000, k, err);
}

static int pcakm_side_check(const sm_opt_config *cfg, sm_error *err)
{
    long k;
    if (sm_opt_check_keys(cfg, pcakm_model_keys, "pcakm's model", err) != 0) return SM_ERR_CONFIG;
    return pcakm_side_clusters(cfg, &k, err) != 0 ? SM_ERR_CONFIG : 0;
}

static void *pcakm_side_build(const double *points, size_t n, size_t d, const double *features,
                              size_t m, const sm_opt_config *cfg, uint64_t seed, sm_error *err)
{
    sm_pcakm_params pp = sm_pcakm_params_default();
    long k;
    if (pcakm_side_check(cfg, err) != 0 || pcakm_side_clusters(cfg, &k, err) != 0) return NULL;
    pp.k = (size_t)k;
    return sm_pcakm_model_build(points, n, d, features, m, &pp, seed, err);
}

static int pcakm_side_save(const char *path, const void *model, sm_error *err)
{
    return sm_pcakm_model_save(path, model, err);
}

static void *pcakm_side_load(const char *path, sm_error *err)
{
    return sm_pcakm_model_load(path, err);
}

static void pcakm_side_free(void *model)
{
    sm_pcakm_model_free(model);
}

static const sm_opt_side_type pcakm_side = {
    pcakm_model_keys, pcakm_model_help, SM_PCAKM_FORMAT_VERSION, pcakm_side_check,
    pcakm_side_build, pcakm_side_save, pcakm_side_load, pcakm_side_free,
};

const sm_optimizer_type sm_optimizer_pcakm = {
    "pcakm",
    "PCA + k-means over a patch dataset: the nearest cluster's members, then gd from the best",
    pcakm_keys,
    pcakm_help,
    pcakm_alloc,
    pcakm_ask,
    pcakm_tell,
    pcakm_converged,
    pcakm_free,
    &pcakm_side,
};
