/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/descr_index.c: the descriptor index (see datasets/descr_index.h). */
#include "datasets/descr_index.h"

#include "core/fileio.h"
#include "core/rng.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DINDEX_MAGIC "SMDI"
#define DINDEX_HEADER 64
#define DINDEX_VALUES (SM_D_COUNT + 2)   /* cmp[7], voiced, voiced_pitch */
#define DINDEX_MAX_PATCHES 10000000u
#define DINDEX_NAME_LEN 48
/* Files with at most this many patches get their patches' own names (one patch_load each). */
#define DINDEX_NAMED_FILE_MAX 256

struct sm_dindex {
    sm_dindex_config cfg;
    char *files[SM_DINDEX_MAX_FILES];
    char *cache_dir;
    size_t n, dim;                  /* patches; parameters a patch */
    size_t n_samples;
    double *native;                 /* n x dim */
    char (*names)[DINDEX_NAME_LEN];
    sm_descr_means *means;          /* n */
    unsigned char *silent;          /* n */
    uint64_t key;
    int from_cache;
};

static const uint64_t FNV_OFFSET = 1469598103934665603ULL;

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static void say(const sm_dindex *idx, const char *what, size_t done, size_t total)
{
    if (idx->cfg.progress) idx->cfg.progress(idx->cfg.progress_ctx, what, done, total);
}

sm_dindex_config sm_dindex_config_default(const sm_synth_type *synth)
{
    sm_dindex_config c;
    memset(&c, 0, sizeof c);
    c.synth = synth;
    c.every = 1;
    c.seed = 1;
    c.sample_rate = 44100.0;
    c.note = sm_note_default();
    return c;
}

int sm_dindex_config_check(const sm_dindex_config *c, sm_error *err)
{
    size_t f;
    if (!c) return sm_error_set(err, SM_ERR_ARG, "no descriptor index configuration given");
    if (!c->synth || !c->synth->space)
        return sm_error_set(err, SM_ERR_CONFIG, "descriptor index: no synth given");
    if (c->n_patch_files > SM_DINDEX_MAX_FILES)
        return sm_error_set(err, SM_ERR_CONFIG, "descriptor index: %zu patch files, at most %d",
                            c->n_patch_files, SM_DINDEX_MAX_FILES);
    for (f = 0; f < c->n_patch_files; f++)
        if (!c->patch_files[f])
            return sm_error_set(err, SM_ERR_CONFIG, "descriptor index: patch file %zu is NULL", f);
    if (c->n_patch_files > 0 && !c->synth->patch_load_all)
        return sm_error_set(err, SM_ERR_CONFIG, "descriptor index: synth %s reads no patch files",
                            c->synth->name);
    if (c->n_patch_files == 0 && c->n_random == 0)
        return sm_error_set(err, SM_ERR_CONFIG,
                            "descriptor index: neither patch files nor random patches");
    if (c->every < 1)
        return sm_error_set(err, SM_ERR_CONFIG, "descriptor index: every must be at least 1");
    if (c->n_random > DINDEX_MAX_PATCHES)
        return sm_error_set(err, SM_ERR_CONFIG, "descriptor index: %zu random patches, at most %u",
                            c->n_random, DINDEX_MAX_PATCHES);
    if (!(c->sample_rate >= 8000 && c->sample_rate <= 384000))
        return sm_error_set(err, SM_ERR_CONFIG,
                            "descriptor index: sample rate %g Hz is outside 8000..384000",
                            c->sample_rate);
    if (!(c->note.note >= 0 && c->note.note <= 127) ||
        !(c->note.velocity >= 1 && c->note.velocity <= 127) ||
        !(c->note.gate_s >= 0 && c->note.gate_s <= 30))
        return sm_error_set(err, SM_ERR_CONFIG,
                            "descriptor index: note %g, velocity %g or gate %g s out of range",
                            c->note.note, c->note.velocity, c->note.gate_s);
    if (!(c->note.length_s >= 0.05 && c->note.length_s <= 30))
        return sm_error_set(err, SM_ERR_CONFIG,
                            "descriptor index: length %g s is outside 0.05..30 s", c->note.length_s);
    if (c->threads < 0 || c->threads > 1024)
        return sm_error_set(err, SM_ERR_CONFIG, "descriptor index: threads %d out of range",
                            c->threads);
    return 0;
}

/* ---- patches ----------------------------------------------------------------------------- */

static int grow(sm_dindex *idx, size_t add, sm_error *err)
{
    const size_t n = idx->n + add;
    double *nat;
    char (*names)[DINDEX_NAME_LEN];
    if (n > DINDEX_MAX_PATCHES)
        return sm_error_set(err, SM_ERR_RANGE, "descriptor index: %zu patches, at most %u", n,
                            DINDEX_MAX_PATCHES);
    nat = realloc(idx->native, n * idx->dim * sizeof *nat);
    if (nat) idx->native = nat;
    names = realloc(idx->names, n * sizeof *names);
    if (names) idx->names = names;
    if (!nat || !names) return sm_error_set(err, SM_ERR_NOMEM, "descriptor index: out of memory");
    return 0;
}

/* Appends every `every`-th patch of one file; folds the file's bytes into the key. */
static int load_file(sm_dindex *idx, const char *path, sm_error *err)
{
    const sm_synth_type *s = idx->cfg.synth;
    const char *base = strrchr(path, '/');
    unsigned char *bytes = NULL;
    double *all = NULL;
    size_t nb = 0, n_all = 0, i, kept = 0, n0 = idx->n;
    uint64_t len;
    int rc = sm_read_file(path, 0, &bytes, &nb, err);
    if (rc) return rc;
    len = nb;
    idx->key = fnv(idx->key, &len, sizeof len);
    idx->key = fnv(idx->key, bytes, nb);
    free(bytes);
    if ((rc = s->patch_load_all(path, &all, &n_all, err)) != 0) return rc;
    base = base ? base + 1 : path;
    if ((rc = grow(idx, (n_all + idx->cfg.every - 1) / idx->cfg.every, err)) != 0) {
        free(all);
        return rc;
    }
    for (i = 0; i < n_all; i += idx->cfg.every, kept++) {
        char name[DINDEX_NAME_LEN] = "";
        memcpy(idx->native + (n0 + kept) * idx->dim, all + i * idx->dim, idx->dim * sizeof *all);
        if (n_all <= DINDEX_NAMED_FILE_MAX && s->patch_load) {
            char spec[4200];
            double tmp[1024];
            snprintf(spec, sizeof spec, "%s:%zu", path, i + 1);
            if (idx->dim > 1024 || s->patch_load(spec, tmp, name, sizeof name, NULL) != 0)
                name[0] = '\0';
        }
        if (!name[0]) snprintf(name, sizeof name, "%.24s:%zu", base, i + 1);
        memcpy(idx->names[n0 + kept], name, DINDEX_NAME_LEN);
        idx->names[n0 + kept][DINDEX_NAME_LEN - 1] = '\0';
    }
    idx->n = n0 + kept;
    free(all);
    return 0;
}

static int add_random(sm_dindex *idx, sm_error *err)
{
    const sm_param_space *sp = idx->cfg.synth->space;
    sm_rng rng;
    double *x;
    size_t i, j, n0 = idx->n;
    int rc;
    if (idx->cfg.n_random == 0) return 0;
    if ((rc = grow(idx, idx->cfg.n_random, err)) != 0) return rc;
    if (!(x = malloc(idx->dim * sizeof *x)))
        return sm_error_set(err, SM_ERR_NOMEM, "descriptor index: out of memory");
    sm_rng_init(&rng, idx->cfg.seed, 0x64696e64ULL);   /* "dind" */
    for (i = 0; i < idx->cfg.n_random; i++) {
        for (j = 0; j < idx->dim; j++) x[j] = sm_rng_uniform(&rng);
        sm_params_decode(sp, x, idx->native + (n0 + i) * idx->dim);
        snprintf(idx->names[n0 + i], DINDEX_NAME_LEN, "random %zu", i + 1);
    }
    idx->n = n0 + idx->cfg.n_random;
    free(x);
    return 0;
}

/* ---- rendering --------------------------------------------------------------------------- */

typedef struct {
    void *synth;
    float *out;
    sm_descr_plan *plan;
    sm_descr d;
} dworker;

static void dworker_free(const sm_synth_type *s, dworker *w)
{
    if (w->synth) s->free(w->synth);
    free(w->out);
    sm_descr_plan_free(w->plan);
    sm_descr_free(&w->d);
    memset(w, 0, sizeof *w);
}

static int dworker_make(const sm_synth_type *s, double sr, size_t n, dworker *w, sm_error *err)
{
    sm_descr_config dc = sm_descr_config_default(sr);
    memset(w, 0, sizeof *w);
    if (!(w->synth = s->alloc(sr, err))) return err && err->code ? err->code : SM_ERR_NOMEM;
    if (!(w->plan = sm_descr_plan_alloc(&dc, n, err))) {
        dworker_free(s, w);
        return err && err->code ? err->code : SM_ERR_NOMEM;
    }
    w->out = malloc(n * sizeof *w->out);
    if (!w->out || sm_descr_alloc(&w->d, sm_descr_n_frames(&dc, n)) != 0) {
        dworker_free(s, w);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* Renders and describes one patch with w. Returns 0, or nonzero for silence or a failure. */
static int dworker_run(const sm_synth_type *s, dworker *w, const sm_note *note, size_t n,
                       const double *native, sm_descr_means *m)
{
    if (s->render(w->synth, native, note, w->out, n) != 0) return -1;
    if (sm_descr_compute_some(w->plan, w->out, n, &w->d, SM_DESCR_SEVEN | SM_DESCR_SKIP_QUIET))
        return -1;
    return sm_descr_pool(&w->d, m, NULL, NULL, NULL);
}

/* Patches rendered between two progress calls (which come from the calling thread). */
#define DINDEX_CHUNK 256

static int render_all(sm_dindex *idx, sm_error *err)
{
    const sm_synth_type *s = idx->cfg.synth;
    const int threads = idx->cfg.threads > 0 ? idx->cfg.threads : omp_get_max_threads();
    dworker *w = calloc((size_t)threads, sizeof *w);
    size_t n_ok = 0, from;
    int t, rc = 0;
    if (!w) return sm_error_set(err, SM_ERR_NOMEM, "descriptor index: out of memory");
    for (t = 0; t < threads && !rc; t++)
        rc = dworker_make(s, idx->cfg.sample_rate, idx->n_samples, &w[t], err);
    for (from = 0; !rc && from < idx->n; from += DINDEX_CHUNK) {
        const long long to = (long long)(from + DINDEX_CHUNK < idx->n ? from + DINDEX_CHUNK : idx->n);
        long long i;
        say(idx, "rendering patches", from, idx->n);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 8) reduction(+ : n_ok)
        for (i = (long long)from; i < to; i++) {
            const int bad = dworker_run(s, &w[omp_get_thread_num()], &idx->cfg.note,
                                        idx->n_samples, idx->native + (size_t)i * idx->dim,
                                        &idx->means[i]);
            idx->silent[i] = bad != 0;
            n_ok += !bad;
        }
    }
    if (!rc) {
        say(idx, "rendering patches", idx->n, idx->n);
        if (n_ok == 0)
            rc = sm_error_set(err, SM_ERR_EMPTY, "descriptor index: no patch of %zu sounds", idx->n);
    }
    for (t = 0; t < threads; t++) dworker_free(s, &w[t]);
    free(w);
    return rc;
}

/* ---- cache ------------------------------------------------------------------------------- */

static char *cache_path(const sm_dindex *idx)
{
    char name[128];
    if (!idx->cache_dir) return NULL;
    snprintf(name, sizeof name, "descr-%s-%016llx.smdi", idx->cfg.synth->name,
             (unsigned long long)idx->key);
    return sm_path_join(idx->cache_dir, name);
}

static uint64_t payload_hash(const sm_dindex *idx)
{
    uint64_t h = fnv(FNV_OFFSET, idx->means, idx->n * sizeof *idx->means);
    return fnv(h, idx->silent, idx->n);
}

static void header_make(const sm_dindex *idx, unsigned char h[DINDEX_HEADER])
{
    const uint32_t version = SM_DINDEX_FORMAT_VERSION, endian = 0x01020304u;
    const uint64_t n = idx->n;
    memset(h, 0, DINDEX_HEADER);
    memcpy(h, DINDEX_MAGIC, 4);
    memcpy(h + 4, &version, 4);
    memcpy(h + 8, &endian, 4);
    memcpy(h + 16, &idx->key, 8);
    memcpy(h + 24, &n, 8);
}

/* Loads the cache file: 1 loaded, 0 none or not to be trusted. */
static int cache_load(sm_dindex *idx)
{
    unsigned char want[DINDEX_HEADER], *data = NULL;
    const size_t need = DINDEX_HEADER + idx->n * (sizeof *idx->means + 1);
    size_t nb = 0, i;
    uint64_t stored;
    char *path = cache_path(idx);
    struct stat st;
    int ok = 0;
    if (!path) return 0;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == need &&
        sm_read_file(path, need + 1, &data, &nb, NULL) == 0 && nb == need) {
        header_make(idx, want);
        memcpy(&stored, data + 32, 8);
        if (memcmp(want, data, 32) == 0) {
            memcpy(idx->means, data + DINDEX_HEADER, idx->n * sizeof *idx->means);
            memcpy(idx->silent, data + DINDEX_HEADER + idx->n * sizeof *idx->means, idx->n);
            ok = payload_hash(idx) == stored;
            for (i = 0; ok && i < idx->n; i++) ok = idx->silent[i] <= 1;
        }
    }
    free(data);
    free(path);
    return ok;
}

/* 1 when the first sounding patch renders to its stored values exactly (the synth and the
 * descriptors are as they were when the file was written). */
static int cache_canary(sm_dindex *idx)
{
    sm_descr_means m;
    dworker w;
    size_t i;
    int ok = 0;
    for (i = 0; i < idx->n && idx->silent[i]; i++) {}
    if (i == idx->n) return 0;
    if (dworker_make(idx->cfg.synth, idx->cfg.sample_rate, idx->n_samples, &w, NULL) != 0) return 0;
    if (dworker_run(idx->cfg.synth, &w, &idx->cfg.note, idx->n_samples,
                    idx->native + i * idx->dim, &m) == 0)
        ok = memcmp(&m, &idx->means[i], sizeof m) == 0;
    dworker_free(idx->cfg.synth, &w);
    return ok;
}

static void cache_write(const sm_dindex *idx)
{
    unsigned char h[DINDEX_HEADER];
    const uint64_t ph = payload_hash(idx);
    char *path = cache_path(idx), msg[600];
    sm_outfile of;
    sm_error e = {0};
    if (!path) return;
    header_make(idx, h);
    memcpy(h + 32, &ph, 8);
    if (sm_outfile_open(&of, path, &e) == 0) {
        if (fwrite(h, 1, sizeof h, of.f) != sizeof h ||
            fwrite(idx->means, sizeof *idx->means, idx->n, of.f) != idx->n ||
            fwrite(idx->silent, 1, idx->n, of.f) != idx->n) {
            sm_error_set(&e, SM_ERR_IO, "%s: %s", path, strerror(errno));
            sm_outfile_abort(&of);
        } else {
            sm_outfile_commit(&of, &e);
        }
    }
    if (e.code) {
        snprintf(msg, sizeof msg, "warning: descriptor index cache not written: %s",
                 sm_error_text(&e));
        say(idx, msg, 0, 0);
    }
    free(path);
}

/* The cache folder in use, created if needed; NULL (with a warning) when there is none. */
static char *cache_folder(const sm_dindex *idx)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char *dir = NULL, *base = NULL, msg[600];
    sm_error e = {0};
    if (idx->cfg.no_cache) return NULL;
    if (idx->cfg.cache_dir && *idx->cfg.cache_dir)
        dir = strdup(idx->cfg.cache_dir);
    else if ((base = (xdg && *xdg) ? strdup(xdg) : (home && *home) ? sm_path_join(home, ".cache")
                                                                    : NULL) != NULL)
        dir = sm_path_join(base, "soundmatch");
    free(base);
    if (dir && sm_mkdir_p(dir, &e) == 0 && access(dir, W_OK) == 0) return dir;
    snprintf(msg, sizeof msg, "warning: descriptor index: no usable cache folder%s%s; working "
             "without a cache", dir ? " " : "", dir ? dir : "");
    say(idx, msg, 0, 0);
    free(dir);
    return NULL;
}

/* ---- opening and queries ----------------------------------------------------------------- */

sm_dindex *sm_dindex_open(const sm_dindex_config *c, sm_error *err)
{
    sm_dindex *idx;
    size_t f;
    double v[4];
    if (sm_dindex_config_check(c, err)) return NULL;
    if (!(idx = calloc(1, sizeof *idx))) goto nomem;
    idx->cfg = *c;
    idx->dim = c->synth->space->n;
    idx->n_samples = (size_t)llround(c->note.length_s * c->sample_rate);
    idx->key = fnv(FNV_OFFSET, "descr-index", 11);
    idx->key = fnv(idx->key, c->synth->name, strlen(c->synth->name));
    idx->key = fnv(idx->key, &idx->dim, sizeof idx->dim);
    for (f = 0; f < idx->dim; f++) {
        const sm_param *p = &c->synth->space->p[f];
        const double r[3] = {p->min, p->max, (double)p->kind};
        idx->key = fnv(idx->key, p->name, strlen(p->name));
        idx->key = fnv(idx->key, r, sizeof r);
    }
    v[0] = c->sample_rate, v[1] = c->note.note, v[2] = c->note.velocity, v[3] = c->note.gate_s;
    idx->key = fnv(idx->key, v, sizeof v);
    idx->key = fnv(idx->key, &c->note.length_s, sizeof c->note.length_s);
    idx->key = fnv(idx->key, &c->note.seed, sizeof c->note.seed);
    idx->key = fnv(idx->key, &c->note.random_phase, sizeof c->note.random_phase);
    idx->key = fnv(idx->key, &c->every, sizeof c->every);
    idx->key = fnv(idx->key, &c->n_random, sizeof c->n_random);
    idx->key = fnv(idx->key, &c->seed, sizeof c->seed);
    for (f = 0; f < c->n_patch_files; f++) {
        if (!(idx->files[f] = strdup(c->patch_files[f]))) goto nomem;
        idx->cfg.patch_files[f] = idx->files[f];
        say(idx, "loading patches", f, c->n_patch_files);
        if (load_file(idx, idx->files[f], err)) goto fail;
    }
    if (add_random(idx, err)) goto fail;
    if (idx->n == 0) {
        sm_error_set(err, SM_ERR_EMPTY, "descriptor index: the patch files hold no patch");
        goto fail;
    }
    idx->means = calloc(idx->n, sizeof *idx->means);
    idx->silent = calloc(idx->n, 1);
    if (!idx->means || !idx->silent) goto nomem;
    idx->cache_dir = cache_folder(idx);
    idx->cfg.cache_dir = idx->cache_dir;
    if (cache_load(idx) && cache_canary(idx)) {
        idx->from_cache = 1;
        return idx;
    }
    if (render_all(idx, err)) goto fail;
    cache_write(idx);
    return idx;
nomem:
    sm_error_set(err, SM_ERR_NOMEM, "descriptor index: out of memory");
fail:
    sm_dindex_free(idx);
    return NULL;
}

void sm_dindex_free(sm_dindex *idx)
{
    size_t f;
    if (!idx) return;
    for (f = 0; f < SM_DINDEX_MAX_FILES; f++) free(idx->files[f]);
    free(idx->cache_dir);
    free(idx->native);
    free(idx->names);
    free(idx->means);
    free(idx->silent);
    free(idx);
}

size_t sm_dindex_count(const sm_dindex *idx)
{
    return idx ? idx->n : 0;
}

const double *sm_dindex_native(const sm_dindex *idx, size_t id)
{
    return idx && id < idx->n ? idx->native + id * idx->dim : NULL;
}

const char *sm_dindex_name(const sm_dindex *idx, size_t id)
{
    return idx && id < idx->n ? idx->names[id] : NULL;
}

const sm_descr_means *sm_dindex_means(const sm_dindex *idx, size_t id)
{
    return idx && id < idx->n && !idx->silent[id] ? &idx->means[id] : NULL;
}

int sm_dindex_from_cache(const sm_dindex *idx)
{
    return idx ? idx->from_cache : 0;
}

typedef struct {
    double dist;
    size_t id;
} dhit;

static int dhit_cmp(const void *pa, const void *pb)
{
    const dhit *a = pa, *b = pb;
    if (a->dist != b->dist) return a->dist < b->dist ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

int sm_dindex_query(const sm_dindex *idx, const sm_descr_goal *goal,
                    const double weight[SM_D_COUNT], const double scale[SM_D_COUNT], size_t k,
                    size_t *ids, double *dist, size_t *n_found, sm_error *err)
{
    dhit *hits;
    size_t i, m = 0;
    int d, any = 0;
    if (n_found) *n_found = 0;
    if (!idx || !goal || !weight || !scale || !ids || !n_found || k == 0)
        return sm_error_set(err, SM_ERR_ARG, "descriptor index query: a NULL argument or k 0");
    for (d = 0; d < SM_D_COUNT; d++) any |= goal->given[d] && weight[d] > 0;
    if (!any)
        return sm_error_set(err, SM_ERR_ARG, "descriptor index query: no descriptor is asked for");
    if (!(hits = malloc(idx->n * sizeof *hits)))
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    for (i = 0; i < idx->n; i++) {
        double s = 0.0;
        if (idx->silent[i]) continue;
        for (d = 0; d < SM_D_COUNT; d++)
            if (goal->given[d] && weight[d] > 0)
                s += weight[d] * sm_descr_error(d, &goal->means, &idx->means[i], scale);
        hits[m].dist = s;
        hits[m++].id = i;
    }
    qsort(hits, m, sizeof *hits, dhit_cmp);
    if (k > m) k = m;
    for (i = 0; i < k; i++) {
        ids[i] = hits[i].id;
        if (dist) dist[i] = hits[i].dist;
    }
    *n_found = k;
    free(hits);
    return 0;
}

int sm_dindex_describe_patch(const sm_synth_type *synth, double sample_rate,
                             const sm_note *note, const double *native, sm_descr_means *out,
                             float **audio, size_t *n, sm_error *err)
{
    float *x = NULL;
    size_t len = 0;
    int rc;
    if (audio) *audio = NULL;
    if (n) *n = 0;
    if ((rc = sm_synth_render_note(synth, sample_rate, native, note, &x, &len, err)) != 0)
        return rc;
    rc = sm_describe(x, len, sample_rate, out, NULL, NULL, NULL, err);
    if (rc == 0 && audio) {
        *audio = x;
        x = NULL;
        if (n) *n = len;
    }
    free(x);
    return rc;
}
