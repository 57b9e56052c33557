/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/experiment.c: reading and checking experiment files (see experiment.h). */
#include "experiments/experiment.h"
#include "core/fileio.h"
#include "core/ini.h"
#include "core/rng.h"

#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_TARGETS 10000

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Reads one seed (a whole number 0..SM_MAX_SEED, digits only) from *p; advances *p past it.
 * Returns 0, SM_ERR_FORMAT (no digits) or SM_ERR_RANGE (above SM_MAX_SEED). */
static int parse_seed(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (!isdigit((unsigned char)*s)) return SM_ERR_FORMAT;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (SM_MAX_SEED - d) / 10) return SM_ERR_RANGE; /* before it could overflow */
        v = v * 10 + d;
    }
    *out = v;
    *p = s;
    return 0;
}

int sm_parse_seed_list(const char *text, uint64_t **seeds, size_t *n)
{
    const char *p = text;
    uint64_t *out = NULL;
    size_t count = 0;
    int rc = SM_ERR_FORMAT;
    *seeds = NULL;
    *n = 0;
    if (!text) return SM_ERR_FORMAT;
    /* First pass: check the syntax and the ranges and count the seeds, so that nothing is
     * allocated for a list that names too many. */
    for (;;) {
        uint64_t a, b;
        while (isspace((unsigned char)*p)) p++;
        if (*p == ',') { p++; continue; } /* empty items are allowed, as before */
        if (!*p) break;
        if ((rc = parse_seed(&p, &a)) != 0) return rc;
        b = a;
        while (isspace((unsigned char)*p)) p++;
        if (*p == '-') {
            p++;
            while (isspace((unsigned char)*p)) p++;
            if ((rc = parse_seed(&p, &b)) != 0) return rc;
            if (b < a) return SM_ERR_FORMAT;
            while (isspace((unsigned char)*p)) p++;
        }
        if (*p && *p != ',') return SM_ERR_FORMAT;
        if (b - a >= SM_MAX_SEEDS || count + (size_t)(b - a) + 1 > SM_MAX_SEEDS)
            return SM_ERR_RANGE;
        count += (size_t)(b - a) + 1;
    }
    if (!count) return SM_ERR_FORMAT;
    out = malloc(count * sizeof *out);
    if (!out) return SM_ERR_NOMEM;
    /* Second pass: the list is known to be valid. */
    for (p = text; *p;) {
        uint64_t a, b, v;
        if (!isdigit((unsigned char)*p)) { p++; continue; }
        parse_seed(&p, &a);
        b = a;
        while (isspace((unsigned char)*p)) p++;
        if (*p == '-') {
            p++;
            while (isspace((unsigned char)*p)) p++;
            parse_seed(&p, &b);
        }
        for (v = a;; v++) { /* not v <= b: that never ends if b is the largest uint64_t */
            out[(*n)++] = v;
            if (v == b) break;
        }
    }
    *seeds = out;
    return 0;
}

static int fnmatch_name(const char *pattern, const char *name)
{
    return fnmatch(pattern, name, 0) == 0;
}

/* "glob" or "glob=value": value NAN when absent. The value is parsed for the first match. */
static int apply_item(sm_param_view *v, char *item, int freeze, sm_error *err)
{
    char *eq = strchr(item, '=');
    double value = NAN;
    int matched;
    if (eq) {
        char *val = eq + 1, *e = eq;
        size_t i;
        int found = -1;
        while (e > item && isspace((unsigned char)e[-1])) e--;
        *e = '\0';
        while (isspace((unsigned char)*val)) val++;
        for (i = 0; i < v->full->n; i++) {
            if (fnmatch_name(item, v->full->p[i].name)) {
                found = (int)i;
                break;
            }
        }
        if (found < 0)
            return sm_error_set(err, SM_ERR_NOTFOUND, "no parameter matches '%s'", item);
        if (sm_param_parse(&v->full->p[found], val, &value, err) != 0) return SM_ERR_CONFIG;
    }
    if (freeze) {
        matched = sm_param_view_freeze(v, item, value, err);
        if (matched < 0) return matched;
    } else {
        matched = sm_param_view_thaw(v, item);
    }
    if (matched == 0)
        return sm_error_set(err, SM_ERR_NOTFOUND, "no parameter matches '%s'", item);
    return 0;
}

static int apply_list(sm_param_view *v, const char *list, int freeze, sm_error *err)
{
    char *copy = strdup(list), *items[512];
    size_t n, i;
    int rc = 0;
    if (!copy) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    n = sm_split_list(copy, items, 512);
    for (i = 0; i < n && !rc; i++) rc = apply_item(v, items[i], freeze, err);
    free(copy);
    return rc;
}

int sm_view_apply_free(sm_param_view *v, const char *list, sm_error *err)
{
    sm_param_view_freeze(v, "*", NAN, err);
    return apply_list(v, list, 0, err);
}

int sm_view_apply_freeze(sm_param_view *v, const char *list, sm_error *err)
{
    return apply_list(v, list, 1, err);
}

static char *resolve(const char *dir, const char *p)
{
    if (p[0] == '/' || !dir || !*dir || strcmp(dir, ".") == 0) return strdup(p);
    return sm_path_join(dir, p);
}

/* A file-name-safe, unique target name from a path's stem. */
static char *target_name(const char *path, const sm_experiment *e)
{
    const char *b = strrchr(path, '/');
    char buf[128], *dot;
    size_t i, k, j;
    b = b ? b + 1 : path;
    snprintf(buf, sizeof buf, "%s", b);
    dot = strrchr(buf, '.');
    if (dot && dot != buf) *dot = '\0';
    for (i = 0; buf[i]; i++)
        if (!isalnum((unsigned char)buf[i]) && buf[i] != '-' && buf[i] != '_' && buf[i] != '.')
            buf[i] = '_';
    {
        char cand[160];
        snprintf(cand, sizeof cand, "%s", buf);
        for (k = 2;; k++) {
            int clash = 0;
            for (j = 0; j < e->n_targets; j++)
                if (strcmp(e->targets[j].name, cand) == 0) clash = 1;
            if (!clash) break;
            snprintf(cand, sizeof cand, "%.120s-%zu", buf, k);
        }
        return strdup(cand);
    }
}

static int add_target(sm_experiment *e, const char *name, const char *path, const double *truth,
                      size_t variant, sm_error *err);

/* [target] descriptors = name:value, ... (features/features.h, value units): values that
 * replace the targets' own, or with no other target one target of these values alone,
 * named "descriptors". Targets added later (synthetic ones) take the goal through add_target. */
static int parse_descriptor_goal(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    sm_error perr = {0, ""};
    size_t i;
    int line = 0;
    const char *v = sm_ini_get(ini, "target", "descriptors", &line);
    if (!v) return 0;
    if (!(e->goal = malloc(sizeof *e->goal))) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    if (sm_descr_goal_parse(v, e->goal, e->sample_rate, &perr) != 0)
        return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [target] descriptors: %s", e->path, line,
                            sm_error_text(&perr));
    for (i = 0; i < e->n_targets; i++) e->targets[i].goal = e->goal;
    return 0;
}

/* [cost] descriptors = all | name[:weight], ..., descriptors_trajectory = W: the seven sound
 * descriptors' term (features/descr_cost.c), its spreads those of the synth's reference set.
 * With `descriptors` given the MFCC weight defaults to 0 (unless a preset sets it). */
static int parse_descriptor_cost(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    sm_error perr = {0, ""};
    int line = 0;
    const char *v = sm_ini_get(ini, "cost", "descriptors", &line);
    sm_descr_scales(e->synth->name, e->cost.descr_scale);
    if (v) {
        if (sm_descr_weights_parse(v, e->cost.w_descr, &perr) != 0)
            return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [cost] descriptors: %s", e->path,
                                line, sm_error_text(&perr));
        if (!sm_ini_get(ini, "cost", "preset", NULL)) e->cost.w_mfcc = 0.0;
    } else if (e->goal) {
        sm_ini_get(ini, "target", "descriptors", &line);
        return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [target] descriptors needs [cost] "
                            "descriptors = ... (the weights, or all)", e->path, line);
    }
    return sm_ini_get_double(ini, "cost", "descriptors_trajectory", 0, 0, 1000,
                             &e->cost.w_descr_traj, err);
}

/* A target of descriptor values alone has nothing to hear: only the descriptors' means can
 * score it, and no preset can be found near it by sound. */
static int check_values_target(const sm_experiment *e, sm_error *err)
{
    const sm_cost_config *c = &e->cost;
    size_t i;
    for (i = 0; i < e->n_targets; i++)
        if (!e->targets[i].path && !e->targets[i].truth) break;
    if (i == e->n_targets) return 0;
    if (c->w_mfcc > 0 || c->w_mss > 0 || c->w_loudness > 0 || c->w_centroid > 0 ||
        c->w_pitch > 0 || c->w_level > 0 || c->w_logmel > 0 || c->w_descr_traj > 0)
        return sm_error_set(err, SM_ERR_CONFIG,
                            "%s: the target of [target] descriptors alone has no sound: only "
                            "[cost] descriptors can score it (set the other cost weights and "
                            "descriptors_trajectory to 0)", e->path);
    if (e->prior_dataset)
        return sm_error_set(err, SM_ERR_CONFIG,
                            "%s: the target of [target] descriptors alone has no sound to find "
                            "presets near ([prior]); soundmatch design starts from an index of "
                            "patches by their descriptors", e->path);
    return 0;
}

static int add_target(sm_experiment *e, const char *name, const char *path, const double *truth,
                      size_t variant, sm_error *err)
{
    sm_exp_target *t;
    if (e->n_targets >= MAX_TARGETS)
        return sm_error_set(err, SM_ERR_CONFIG, "%s: more than %d targets", e->path, MAX_TARGETS);
    t = realloc(e->targets, (e->n_targets + 1) * sizeof *t);
    if (!t) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    e->targets = t;
    t = &e->targets[e->n_targets];
    memset(t, 0, sizeof *t);
    t->variant = variant;
    t->goal = e->goal;
    t->name = name ? strdup(name) : target_name(path, e);
    t->path = path ? strdup(path) : NULL;
    if (truth) {
        t->truth = malloc(e->synth->space->n * sizeof *t->truth);
        if (t->truth) memcpy(t->truth, truth, e->synth->space->n * sizeof *t->truth);
    }
    if (!t->name || (path && !t->path) || (truth && !t->truth)) {
        free(t->name);
        free(t->path);
        free(t->truth);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    e->n_targets++;
    return 0;
}

static int is_audio_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    static const char *const ext[] = {".wav", ".flac", ".aif", ".aiff", ".ogg", ".au", NULL};
    int i;
    if (!dot) return 0;
    for (i = 0; ext[i]; i++)
        if (strcasecmp(dot, ext[i]) == 0) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_folder(sm_experiment *e, const char *folder, int line, sm_error *err)
{
    DIR *d = opendir(folder);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, i;
    int rc = 0;
    if (!d)
        return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [target] folder '%s' cannot be opened",
                            e->path, line, folder);
    while ((de = readdir(d))) {
        char **t;
        if (de->d_name[0] == '.' || !is_audio_name(de->d_name)) continue;
        t = realloc(names, (n + 1) * sizeof *t);
        if (!t || !(t[n] = sm_path_join(folder, de->d_name))) {
            free(t ? t : names);
            closedir(d);
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        }
        names = t;
        n++;
    }
    closedir(d);
    if (!n) {
        free(names);
        return sm_error_set(err, SM_ERR_CONFIG,
                            "%s:%d: [target] folder '%s' holds no audio (.wav .flac .aiff .ogg)",
                            e->path, line, folder);
    }
    qsort(names, n, sizeof *names, cmp_str);
    for (i = 0; i < n && !rc; i++) rc = add_target(e, NULL, names[i], NULL, 0, err);
    for (i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

/* "FILE:N", "FILE:A-B", "FILE:NAME", "FILE:*" (every voice: only "1-32" style is expanded
 * here; "*" means 1-32 for banks). Renders each as a target with known truth. */
static int add_patches(sm_experiment *e, const char *list, int line, sm_error *err)
{
    char *copy = strdup(list), *items[512];
    size_t n, i;
    int rc = 0;
    double *native = malloc(e->synth->space->n * sizeof *native);
    if (!copy || !native) {
        free(copy);
        free(native);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    if (!e->synth->patch_load) {
        rc = sm_error_set(err, SM_ERR_CONFIG, "%s:%d: synth %s has no patch files", e->path, line,
                          e->synth->name);
        goto done;
    }
    n = sm_split_list(copy, items, 512);
    for (i = 0; i < n && !rc; i++) {
        char *colon = strrchr(items[i], ':'), *file, spec[4096], pname[64], stem[160];
        long a = 0, b = 0, v;
        size_t j;
        if (colon) {
            char *end;
            if (strcmp(colon + 1, "*") == 0) {
                a = 1;
                b = 32;
            } else {
                a = strtol(colon + 1, &end, 10);
                b = a;
                if (end != colon + 1 && *end == '-') b = strtol(end + 1, &end, 10);
                if (end == colon + 1 || *end || a < 1 || b < a || b - a > 1000) a = b = 0;
            }
            if (a > 0) *colon = '\0'; /* FILE:N or FILE:A-B; otherwise FILE:NAME stays whole */
        }
        file = resolve(e->dir, items[i]);
        if (!file) {
            rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            break;
        }
        {
            const char *base = strrchr(file, '/');
            char *dot;
            snprintf(stem, sizeof stem, "%s", base ? base + 1 : file);
            dot = strrchr(stem, '.');
            if (dot) *dot = a > 0 ? '\0' : '_';
            for (j = 0; stem[j]; j++)
                if (!isalnum((unsigned char)stem[j]) && stem[j] != '-' && stem[j] != '_')
                    stem[j] = '_';
        }
        for (v = a; v <= b && !rc; v++) {
            char tname[200];
            if (v > 0) {
                snprintf(spec, sizeof spec, "%s:%ld", file, v);
                snprintf(tname, sizeof tname, "%s_%02ld", stem, v);
            } else {
                snprintf(spec, sizeof spec, "%s", file);
                snprintf(tname, sizeof tname, "%s", stem);
            }
            rc = e->synth->patch_load(spec, native, pname, sizeof pname, err);
            if (rc) {
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
                rc = sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [target] patches: %s", e->path,
                                  line, msg);
                break;
            }
            rc = add_target(e, tname, NULL, native, 0, err);
        }
        free(file);
    }
done:
    free(copy);
    free(native);
    return rc;
}

#define SYNTHETIC_MAX_DRAWS 100

/* *silent = 1 when the patch renders, for the experiment's note, a peak below -100 dBFS (the
 * runner's test for a silent target) in its first second at most: a patch silent there is drawn
 * again even if it would sound later, which keeps parsing fast and never lets a silent target
 * through. */
static int synthetic_is_silent(const sm_experiment *e, const double *native, int *silent,
                               sm_error *err)
{
    size_t n = (size_t)llround(fmin(e->note.length_s, 1.0) * e->sample_rate), i;
    float *buf = malloc((n ? n : 1) * sizeof *buf), peak = 0;
    void *st = buf ? e->synth->alloc(e->sample_rate, err) : NULL;
    int rc;
    *silent = 0;
    if (!st) {
        free(buf);
        return err && err->code ? err->code : sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    rc = e->synth->render(st, native, &e->note, buf, n);
    e->synth->free(st);
    if (rc) {
        free(buf);
        return sm_error_set(err, rc, "%s: rendering a synthetic target failed", e->synth->name);
    }
    for (i = 0; i < n; i++) {
        float a = fabsf(buf[i]);
        if (a > peak || a != a) peak = a != a ? 1.0f : a;
    }
    free(buf);
    *silent = peak < 1e-5f;
    return 0;
}

static int add_synthetic(sm_experiment *e, size_t variant, long count, uint64_t seed,
                         sm_error *err)
{
    const sm_param_view *view = e->variants[variant].view;
    size_t d = view->space.n, k, i;
    double *x = malloc((d ? d : 1) * sizeof *x);
    double *native = malloc(e->synth->space->n * sizeof *native);
    sm_rng r;
    int rc = 0;
    if (!x || !native) {
        free(x);
        free(native);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    sm_rng_init(&r, seed, 0x7a7);
    for (k = 0; k < (size_t)count && !rc; k++) {
        char name[32];
        unsigned draws = 0;
        int silent;
        /* A draw that renders silence cannot be matched (frozen levels, a fast decay, an
         * operator off): draw again, a bounded number of times. */
        do {
            for (i = 0; i < d; i++) x[i] = sm_rng_uniform(&r);
            sm_param_view_expand(view, x, native);
            rc = synthetic_is_silent(e, native, &silent, err);
            draws++;
        } while (!rc && silent && draws < SYNTHETIC_MAX_DRAWS);
        if (rc) break;
        snprintf(name, sizeof name, "synth%02zu", k + 1);
        if (silent) {
            rc = sm_error_set(err, SM_ERR_CONFIG,
                              "%s: [target] synthetic: %u random patches of %s%s%s were all "
                              "silent; free parameters that make sound (operator levels, "
                              "envelope levels)", e->path, draws, e->synth->name,
                              e->variants[variant].name[0] ? " in variant " : "",
                              e->variants[variant].name);
            break;
        }
        rc = add_target(e, name, NULL, native, variant, err);
        if (!rc) e->targets[e->n_targets - 1].redraws = draws - 1;
    }
    free(x);
    free(native);
    return rc;
}

/* [variant NAME] sections: copies of [synth]'s parameter view with their own free/freeze. */
static int parse_variants(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    size_t s;
    for (s = 0; s < ini->n_sections; s++) {
        const char *sec = ini->sections[s], *v;
        sm_exp_variant *nv;
        size_t i;
        int line;
        if (strncmp(sec, "variant", 7) != 0) continue;
        if (sec[7] != ' ' || !sec[8])
            return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: name the variant: [variant NAME]",
                                e->path, ini->section_lines[s]);
        for (i = 0; sec[8 + i]; i++)
            if (!isalnum((unsigned char)sec[8 + i]) && sec[8 + i] != '-' && sec[8 + i] != '_')
                return sm_error_set(err, SM_ERR_CONFIG,
                                    "%s:%d: a variant's name may hold only letters, digits, - and _",
                                    e->path, ini->section_lines[s]);
        nv = realloc(e->variants, (e->n_variants + 1) * sizeof *nv);
        if (!nv) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        e->variants = nv;
        nv = &e->variants[e->n_variants];
        nv->name = strdup(sec + 8);
        nv->view = sm_param_view_copy(e->view);
        if (!nv->name || !nv->view) {
            free(nv->name);
            sm_param_view_free(nv->view);
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        }
        e->n_variants++;
        for (i = 0; i + 1 < e->n_variants; i++)
            if (strcmp(e->variants[i].name, nv->name) == 0)
                return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [variant %s] appears twice",
                                    e->path, ini->section_lines[s], nv->name);
        if ((v = sm_ini_get(ini, sec, "free", &line)) && sm_view_apply_free(nv->view, v, err)) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [%s] free: %s", e->path, line, sec, msg);
        }
        if ((v = sm_ini_get(ini, sec, "freeze", &line)) && sm_view_apply_freeze(nv->view, v, err)) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [%s] freeze: %s", e->path, line, sec,
                                msg);
        }
        if (nv->view->space.n == 0)
            return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [%s] leaves no parameter free",
                                e->path, ini->section_lines[s], sec);
        if (sm_ini_check_unused(ini, sec, err) != 0) return SM_ERR_CONFIG;
    }
    if (!e->n_variants) {
        e->variants = calloc(1, sizeof *e->variants);
        if (!e->variants || !(e->variants[0].name = strdup("")))
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        e->variants[0].view = e->view; /* not owned */
        e->n_variants = 1;
    }
    return 0;
}

/* With variants, every file and patch target is matched by each variant, and each variant has
 * its own synthetic targets; names are prefixed with the variant's. */
static int replicate_for_variants(sm_experiment *e, long synthetic, uint64_t seed, sm_error *err)
{
    size_t n0 = e->n_targets, v, i;
    if (e->variants[0].view == e->view && e->n_variants == 1) {
        return synthetic > 0 ? add_synthetic(e, 0, synthetic, seed, err) : 0;
    }
    for (v = 0; v < e->n_variants; v++) {
        size_t first = e->n_targets;
        for (i = 0; i < n0; i++) {
            const sm_exp_target *t = &e->targets[i];
            if (add_target(e, t->name, t->path, t->truth, v, err) != 0) return SM_ERR_NOMEM;
        }
        if (synthetic > 0 && add_synthetic(e, v, synthetic, seed, err) != 0) return SM_ERR_NOMEM;
        for (i = first; i < e->n_targets; i++) {
            char *nn = NULL;
            if (asprintf(&nn, "%s_%s", e->variants[v].name, e->targets[i].name) < 0)
                return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            free(e->targets[i].name);
            e->targets[i].name = nn;
        }
    }
    /* drop the unassigned originals */
    for (i = 0; i < n0; i++) {
        free(e->targets[i].name);
        free(e->targets[i].path);
        free(e->targets[i].truth);
    }
    /* with no target at all e->targets is NULL, and memmove on NULL is undefined even for 0 */
    if (n0) memmove(e->targets, e->targets + n0, (e->n_targets - n0) * sizeof *e->targets);
    e->n_targets -= n0;
    return 0;
}

/* Appends a copy of entry en to the settings *set (*n of them). Returns 0 or SM_ERR_NOMEM. */
static int add_setting(sm_opt_setting **set, size_t *n, const sm_ini_entry *en, sm_error *err)
{
    sm_opt_setting *st = realloc(*set, (*n + 1) * sizeof *st);
    if (!st) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    *set = st;
    st[*n].key = strdup(en->key);
    st[*n].value = strdup(en->value);
    st[*n].line = en->line;
    (*n)++;
    if (!st[*n - 1].key || !st[*n - 1].value) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    return 0;
}

static int parse_optimizers(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    size_t s, i;
    for (s = 0; s < ini->n_sections; s++) {
        const char *sec = ini->sections[s];
        const char *tname;
        sm_exp_optimizer *o;
        sm_opt_config cfg;
        if (strncmp(sec, "optimizer", 9) != 0) continue;
        if (sec[9] != ' ' || !sec[10])
            return sm_error_set(err, SM_ERR_CONFIG,
                                "%s:%d: write the optimizer's name in the section: [optimizer ga]",
                                e->path, ini->section_lines[s]);
        o = realloc(e->opt, (e->n_opt + 1) * sizeof *o);
        if (!o) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        e->opt = o;
        o = &e->opt[e->n_opt++];
        memset(o, 0, sizeof *o);
        o->name = strdup(sec + 10);
        if (!o->name) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        for (i = 0; i < e->n_opt - 1; i++)
            if (strcmp(e->opt[i].name, o->name) == 0)
                return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [optimizer %s] appears twice",
                                    e->path, ini->section_lines[s], o->name);
        tname = sm_ini_get(ini, sec, "type", NULL);
        if (!tname) tname = o->name;
        o->type = sm_optimizer_find(tname);
        if (!o->type) {
            char list[256] = "";
            size_t k;
            for (k = 0; k < sm_optimizer_count(); k++) {
                strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, sm_optimizer_at(k)->name, sizeof list - strlen(list) - 1);
            }
            return sm_error_set(err, SM_ERR_CONFIG,
                                "%s:%d: unknown optimizer '%s' (known: %s)", e->path,
                                ini->section_lines[s], tname, list);
        }
        o->dataset_size = 2000;
        for (i = 0; i < ini->n; i++) {
            sm_ini_entry *en = &ini->e[i];
            int rc;
            if (strcmp(en->section, sec) != 0 || strcmp(en->key, "type") == 0) continue;
            en->used = 1;
            if (o->type->side) {
                /* the dataset is the runner's; the model's own keys go to its build */
                size_t k;
                if (strcmp(en->key, "dataset") == 0) {
                    free(o->dataset);
                    o->dataset = strcmp(en->value, "random") == 0 ? NULL : resolve(e->dir, en->value);
                    continue;
                }
                if (strcmp(en->key, "dataset_size") == 0) {
                    char *end;
                    long v = strtol(en->value, &end, 10);
                    if (end == en->value || *end || v < 2 || v > 1000000)
                        return sm_error_set(err, SM_ERR_CONFIG,
                                            "%s:%d: [%s] %s: '%s' must be a whole number 2..1000000",
                                            e->path, en->line, sec, en->key, en->value);
                    o->dataset_size = (size_t)v;
                    continue;
                }
                for (k = 0; o->type->side->keys[k] && strcmp(o->type->side->keys[k], en->key); k++)
                    continue;
                if (o->type->side->keys[k]) {
                    if ((rc = add_setting(&o->side_settings, &o->n_side_settings, en, err)) != 0)
                        return rc;
                    continue;
                }
            }
            if ((rc = add_setting(&o->settings, &o->n_settings, en, err)) != 0) return rc;
        }
        /* Check the settings now rather than an hour into the run. */
        memset(&cfg, 0, sizeof cfg);
        cfg.budget = e->budget;
        cfg.settings = o->settings;
        cfg.n_settings = o->n_settings;
        cfg.source = e->path;
        if (sm_opt_check_keys(&cfg, o->type->keys, o->name, err) != 0) return SM_ERR_CONFIG;
        if (o->type->side) {
            cfg.settings = o->side_settings;
            cfg.n_settings = o->n_side_settings;
            if (o->type->side->check(&cfg, err) != 0) return SM_ERR_CONFIG;
        } else if (e->view->space.n > 0) {
            /* with a [prior], runs get start points: check with one (the base patch) */
            double *start = e->prior_dataset ? malloc(e->view->space.n * sizeof *start) : NULL;
            void *st;
            if (start) {
                sm_param_view_project(e->view, e->view->base, start);
                cfg.starts = start;
                cfg.n_starts = 1;
            }
            st = o->type->alloc(&e->view->space, &cfg, 1, err);
            free(start);
            if (!st) return SM_ERR_CONFIG;
            o->type->free(st);
        }
    }
    if (!e->n_opt)
        return sm_error_set(err, SM_ERR_CONFIG,
                            "%s: no [optimizer NAME] section: name at least one optimizer", e->path);
    return 0;
}

#define TRY(x)                   \
    do {                         \
        if ((x) != 0) goto fail; \
    } while (0)

/* Every section is one this format knows, and the required ones are there. */
static int check_sections(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    const char *path = e->path;
    size_t s;
    static const char *const sections[] = {"experiment", "target", "synth", "cost", "run",
                                           "report", "prior", NULL};
    for (s = 0; s < ini->n_sections; s++) {
        const char *sec = ini->sections[s];
        int known = strncmp(sec, "optimizer", 9) == 0 || strncmp(sec, "variant", 7) == 0, k;
        for (k = 0; sections[k]; k++) known |= strcmp(sec, sections[k]) == 0;
        if (!known) {
            sm_error_set(err, SM_ERR_CONFIG,
                         "%s:%d: unknown section [%s] (expected [experiment], [target], [synth], "
                         "[cost], [prior], [optimizer NAME], [variant NAME], [run], [report])",
                         path, ini->section_lines[s], sec);
            goto fail;
        }
    }
    {
        static const char *const required[] = {"target", "synth", "run", NULL};
        int k;
        for (k = 0; required[k]; k++)
            if (!sm_ini_has_section(ini, required[k])) {
                sm_error_set(err, SM_ERR_CONFIG, "%s: the [%s] section is missing", path,
                             required[k]);
                goto fail;
            }
    }
    return 0;
fail:
    return err && err->code ? err->code : SM_ERR_CONFIG;
}

/* [experiment]: name and description. */
static int parse_experiment_section(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    const char *path = e->path;
    const char *v;
    v = sm_ini_get(ini, "experiment", "name", NULL);
    if (!v) {
        const char *b = strrchr(path, '/');
        char buf[256], *dot;
        snprintf(buf, sizeof buf, "%s", b ? b + 1 : path);
        dot = strrchr(buf, '.');
        if (dot) *dot = '\0';
        e->name = strdup(buf);
    } else {
        e->name = strdup(v);
    }
    v = sm_ini_get(ini, "experiment", "description", NULL);
    e->description = strdup(v ? v : "");
    TRY(sm_ini_check_unused(ini, "experiment", err));
    return 0;
fail:
    return err && err->code ? err->code : SM_ERR_CONFIG;
}

/* [synth]: the synth, its note, its base patch and the free and frozen parameters. */
static int parse_synth(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    const char *path = e->path;
    const char *v, *synth_name;
    long lv;
    int line;
    TRY(sm_ini_require(ini, "synth", "name", &synth_name, err));
    e->synth = sm_synth_find(synth_name);
    if (!e->synth) {
        char names[256];
        sm_ini_get(ini, "synth", "name", &line);
        sm_error_set(err, SM_ERR_CONFIG, "%s:%d: unknown synth '%s' (known: %s)", path, line,
                     synth_name, sm_synth_names(names, sizeof names));
        goto fail;
    }
    e->view = sm_param_view_alloc(e->synth->space);
    if (!e->view) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    e->note = sm_note_default();
    v = sm_ini_get(ini, "synth", "note", NULL);
    e->note_auto = v && strcasecmp(v, "auto") == 0;
    if (!e->note_auto) TRY(sm_ini_get_double(ini, "synth", "note", 60, 0, 127, &e->note.note, err));
    TRY(sm_ini_get_double(ini, "synth", "velocity", 100, 1, 127, &e->note.velocity, err));
    v = sm_ini_get(ini, "synth", "length_s", NULL);
    e->length_auto = v && strcasecmp(v, "auto") == 0;
    e->note.length_s = 1.0;
    if (!e->length_auto)
        TRY(sm_ini_get_double(ini, "synth", "length_s", 1.0, 0.01, 60, &e->note.length_s, err));
    TRY(sm_ini_get_double(ini, "synth", "max_length_s", 3.0, 0.05, 60, &e->max_length_s, err));
    if (e->length_auto) e->note.length_s = e->max_length_s;
    e->gate_given = sm_ini_get(ini, "synth", "gate_s", NULL) != NULL;
    TRY(sm_ini_get_double(ini, "synth", "gate_s", e->note.length_s * 0.75, 0, 60, &e->note.gate_s,
                          err));
    TRY(sm_ini_get_bool(ini, "synth", "align_onset", e->length_auto, &e->align_onset, err));
    if ((v = sm_ini_get(ini, "synth", "phase", &line))) {
        if (strcasecmp(v, "zero") == 0) e->note.random_phase = 0;
        else if (strcasecmp(v, "random") == 0) e->note.random_phase = 1;
        else {
            sm_error_set(err, SM_ERR_CONFIG,
                         "%s:%d: [synth] phase = '%s': say zero (free-running oscillators start "
                         "at phase 0, as in Dexed) or random", path, line, v);
            goto fail;
        }
    }
    TRY(sm_ini_get_long(ini, "synth", "seed", 1, 0, 1L << 40, &lv, err));
    e->note.seed = (uint64_t)lv;
    /* fit_level is read with [cost], whose gain normalisation sets its default */
    if ((v = sm_ini_get(ini, "synth", "patch", &line))) {
        double *native = malloc(e->synth->space->n * sizeof *native);
        char *spec = resolve(e->dir, v);
        int rc;
        if (!e->synth->patch_load) {
            free(native);
            free(spec);
            sm_error_set(err, SM_ERR_CONFIG, "%s:%d: synth %s has no patch files", path, line,
                         e->synth->name);
            goto fail;
        }
        rc = (native && spec) ? e->synth->patch_load(spec, native, NULL, 0, err) : SM_ERR_NOMEM;
        free(spec);
        if (rc) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            free(native);
            sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [synth] patch: %s", path, line, msg);
            goto fail;
        }
        sm_param_view_set_base(e->view, native);
        free(native);
    }
    if ((v = sm_ini_get(ini, "synth", "free", &line))) {
        if (sm_view_apply_free(e->view, v, err) != 0) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [synth] free: %s", path, line, msg);
            goto fail;
        }
    }
    if ((v = sm_ini_get(ini, "synth", "freeze", &line))) {
        if (sm_view_apply_freeze(e->view, v, err) != 0) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [synth] freeze: %s", path, line, msg);
            goto fail;
        }
    }
    if (e->view->space.n == 0) {
        sm_error_set(err, SM_ERR_CONFIG, "%s: [synth] leaves no parameter free to search", path);
        goto fail;
    }
    return 0;
fail:
    return err && err->code ? err->code : SM_ERR_CONFIG;
}

/* [run] (read before the targets and optimizers, which use the budget). */
static int parse_run(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    const char *path = e->path;
    const char *v;
    long lv;
    int line;
    TRY(sm_ini_get_long(ini, "run", "budget", 0, 1, 100000000, &lv, err));
    if (!sm_ini_get(ini, "run", "budget", NULL)) {
        sm_error_set(err, SM_ERR_CONFIG, "%s: [run] needs 'budget = N' (evaluations per run)",
                     path);
        goto fail;
    }
    e->budget = (size_t)lv;
    v = sm_ini_get(ini, "run", "seeds", &line);
    {
        int src = sm_parse_seed_list(v ? v : "1", &e->seeds, &e->n_seeds);
        if (src == SM_ERR_RANGE) {
            sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [run] seeds: '%.200s' is out of range (seeds "
                         "are whole numbers from 0 to %llu, at most %d of them)", path, line,
                         v ? v : "", SM_MAX_SEED, SM_MAX_SEEDS);
            goto fail;
        }
        if (src == SM_ERR_NOMEM) {
            sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", path);
            goto fail;
        }
        if (src != 0) {
            sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [run] seeds: '%.200s' is not a list like "
                         "1,2,3 or 1-5", path, line, v ? v : "");
            goto fail;
        }
    }
    TRY(sm_ini_get_long(ini, "run", "threads", 0, 0, 256, &lv, err));
    e->threads = (int)lv;
    TRY(sm_ini_get_long(ini, "run", "batch", 64, 1, 100000, &lv, err));
    e->batch = (size_t)lv;
    if ((v = sm_ini_get(ini, "run", "distribute", &line))) {
        if (strcasecmp(v, "runs") == 0) e->distribute = SM_DISTRIBUTE_RUNS;
        else if (strcasecmp(v, "population") == 0) e->distribute = SM_DISTRIBUTE_POPULATION;
        else {
            sm_error_set(err, SM_ERR_CONFIG,
                         "%s:%d: [run] distribute = '%s': say runs (each MPI rank does whole "
                         "runs) or population (each run's batches spread over the ranks)",
                         path, line, v);
            goto fail;
        }
    }
    TRY(sm_ini_check_unused(ini, "run", err));
    return 0;
fail:
    return err && err->code ? err->code : SM_ERR_CONFIG;
}

/* [target]: files, a folder, patches, descriptors and synthetic targets. */
static int parse_targets(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    const char *path = e->path;
    const char *v;
    int line;
    TRY(sm_ini_get_double(ini, "target", "sample_rate", 44100, 8000, 192000, &e->sample_rate, err));
    if ((v = sm_ini_get(ini, "target", "files", &line))) {
        char *copy = strdup(v), *items[4096];
        size_t n = copy ? sm_split_list(copy, items, 4096) : 0, i;
        for (i = 0; i < n; i++) {
            char *p = resolve(e->dir, items[i]);
            struct stat st;
            if (!p || stat(p, &st) != 0) {
                sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [target] files: '%s' does not exist",
                             path, line, p ? p : items[i]);
                free(p);
                free(copy);
                goto fail;
            }
            if (add_target(e, NULL, p, NULL, 0, err) != 0) {
                free(p);
                free(copy);
                goto fail;
            }
            free(p);
        }
        free(copy);
    }
    if ((v = sm_ini_get(ini, "target", "folder", &line))) {
        char *p = resolve(e->dir, v);
        int rc = p ? add_folder(e, p, line, err) : SM_ERR_NOMEM;
        free(p);
        if (rc) goto fail;
    }
    if ((v = sm_ini_get(ini, "target", "patches", &line)))
        TRY(add_patches(e, v, line, err));
    TRY(parse_descriptor_goal(e, ini, err));
    {
        long count, seed;
        TRY(sm_ini_get_long(ini, "target", "synthetic", 0, 0, MAX_TARGETS, &count, err));
        TRY(sm_ini_get_long(ini, "target", "synthetic_seed", 12345, 0, 1L << 40, &seed, err));
        TRY(replicate_for_variants(e, count, (uint64_t)seed, err));
    }
    if (!e->n_targets && e->goal) TRY(add_target(e, "descriptors", NULL, NULL, 0, err));
    if (!e->n_targets) {
        sm_error_set(err, SM_ERR_CONFIG,
                     "%s: [target] names no target (use files =, folder =, patches =, "
                     "synthetic = N or descriptors =)", path);
        goto fail;
    }
    TRY(sm_ini_check_unused(ini, "target", err));
    return 0;
fail:
    return err && err->code ? err->code : SM_ERR_CONFIG;
}

/* [cost], and [synth] fit_level, whose default follows the cost's gain normalisation. */
static int parse_cost(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    const char *path = e->path;
    const char *v;
    long lv;
    int line;
    e->cost = sm_cost_config_default(e->sample_rate);
    if ((v = sm_ini_get(ini, "cost", "preset", &line))) {
        if (strcmp(v, "match") == 0) e->cost = sm_cost_config_match(e->sample_rate);
        else if (strcmp(v, "mfcc") != 0) {
            sm_error_set(err, SM_ERR_CONFIG,
                         "%s:%d: [cost] preset = '%s': say match (gain-normalised, for "
                         "recordings) or mfcc (the MFCC distance alone)", path, line, v);
            goto fail;
        }
    }
    {
        int ng;
        TRY(sm_ini_get_bool(ini, "cost", "normalize_gain", e->cost.normalize_gain, &ng, err));
        e->cost.normalize_gain = ng;
    }
    TRY(sm_ini_get_double(ini, "cost", "level", e->cost.w_level, 0, 1e6, &e->cost.w_level, err));
    TRY(sm_ini_get_double(ini, "cost", "logmel", e->cost.w_logmel, 0, 1e6, &e->cost.w_logmel, err));
    TRY(sm_ini_get_double(ini, "cost", "level_free_db", e->cost.level_free_db, 0, 100,
                          &e->cost.level_free_db, err));
    TRY(sm_ini_get_long(ini, "cost", "logmel_fft", e->cost.logmel.n_fft, 16, 65536, &lv, err));
    e->cost.logmel.n_fft = (int)lv;
    TRY(sm_ini_get_long(ini, "cost", "logmel_hop", e->cost.logmel.n_fft / 4, 1, 65536, &lv, err));
    e->cost.logmel.hop = (int)lv;
    TRY(sm_ini_get_long(ini, "cost", "logmel_mels", e->cost.logmel.n_mels, 1, 256, &lv, err));
    e->cost.logmel.n_mels = (int)lv;
    TRY(sm_ini_get_long(ini, "cost", "logmel2_fft", e->cost.logmel2.n_fft, 0, 65536, &lv, err));
    e->cost.logmel2.n_fft = (int)lv;
    e->cost.logmel2.hop = (int)lv / 4 > 0 ? (int)lv / 4 : 1;
    TRY(sm_ini_get_long(ini, "cost", "logmel2_mels", e->cost.logmel2.n_mels, 1, 256, &lv, err));
    e->cost.logmel2.n_mels = (int)lv;
    TRY(parse_descriptor_cost(e, ini, err));
    TRY(sm_ini_get_double(ini, "cost", "mfcc", e->cost.w_mfcc, 0, 1e6, &e->cost.w_mfcc, err));
    TRY(sm_ini_get_double(ini, "cost", "mss", e->cost.w_mss, 0, 1e6, &e->cost.w_mss, err));
    TRY(sm_ini_get_double(ini, "cost", "loudness", 0, 0, 1e6, &e->cost.w_loudness, err));
    TRY(sm_ini_get_double(ini, "cost", "centroid", 0, 0, 1e6, &e->cost.w_centroid, err));
    TRY(sm_ini_get_double(ini, "cost", "pitch", 0, 0, 1e6, &e->cost.w_pitch, err));
    TRY(sm_ini_get_long(ini, "cost", "n_mfcc", e->cost.mfcc.n_mfcc, 1, 128, &lv, err));
    e->cost.mfcc.n_mfcc = (int)lv;
    TRY(sm_ini_get_long(ini, "cost", "n_fft", e->cost.mfcc.n_fft, 16, 65536, &lv, err));
    e->cost.mfcc.n_fft = (int)lv;
    TRY(sm_ini_get_long(ini, "cost", "hop", e->cost.mfcc.hop, 1, 65536, &lv, err));
    e->cost.mfcc.hop = (int)lv;
    TRY(sm_ini_get_long(ini, "cost", "n_mels", e->cost.mfcc.n_mels, 1, 512, &lv, err));
    e->cost.mfcc.n_mels = (int)lv;
    {
        int htk;
        TRY(sm_ini_get_bool(ini, "cost", "htk", 0, &htk, err));
        e->cost.mfcc.htk = htk;
    }
    TRY(sm_ini_check_unused(ini, "cost", err));
    /* a synth without an output level (neuron) gets the whole gain in best.wav */
    TRY(sm_ini_get_bool(ini, "synth", "fit_level", e->cost.normalize_gain, &e->fit_level, err));
    TRY(sm_ini_check_unused(ini, "synth", err));
    return 0;
fail:
    return err && err->code ? err->code : SM_ERR_CONFIG;
}

/* [prior]: human presets as start points. */
static int parse_prior(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    const char *path = e->path;
    const char *v;
    long lv;
    int line;
    e->exclude_near = -1;
    e->prior_starts = 32;
    e->prior_candidates = 256;
    if ((v = sm_ini_get(ini, "prior", "dataset", &line))) {
        char *copy = strdup(v), *items[8];
        size_t n = copy ? sm_split_list(copy, items, 8) : 0, i;
        e->prior_files = calloc(n ? n : 1, sizeof *e->prior_files);
        if (!copy || !e->prior_files) {
            free(copy);
            sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            goto fail;
        }
        for (i = 0; i < n; i++) {
            struct stat st;
            char *f = resolve(e->dir, items[i]);
            if (!f || stat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
                sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [prior] dataset: '%s' is not a file",
                             path, line, f ? f : items[i]);
                free(f);
                free(copy);
                goto fail;
            }
            e->prior_files[e->n_prior_files++] = f;
        }
        free(copy);
        if (!e->n_prior_files) {
            sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [prior] dataset names no file", path, line);
            goto fail;
        }
        e->prior_dataset = e->prior_files[0];
        if (!e->synth->patch_load_all) {
            sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [prior] dataset: synth %s reads no patch "
                         "files", path, line, e->synth->name);
            goto fail;
        }
    }
    TRY(sm_ini_get_long(ini, "prior", "starts", 32, 1, 4096, &lv, err));
    e->prior_starts = (size_t)lv;
    TRY(sm_ini_get_long(ini, "prior", "candidates", 256, 1, 100000, &lv, err));
    e->prior_candidates = (size_t)lv;
    if (e->prior_candidates < e->prior_starts) e->prior_candidates = e->prior_starts;
    TRY(sm_ini_get_long(ini, "prior", "exclude_near", -1, -1, 1000, &e->exclude_near, err));
    TRY(sm_ini_check_unused(ini, "prior", err));
    TRY(check_values_target(e, err));
    if (sm_cost_config_check(&e->cost, err) != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        sm_error_set(err, SM_ERR_CONFIG, "%s: [cost] %s", path, msg);
        goto fail;
    }
    return 0;
fail:
    return err && err->code ? err->code : SM_ERR_CONFIG;
}

/* [report]: where the results go. */
static int parse_report(sm_experiment *e, sm_ini *ini, sm_error *err)
{
    const char *v;
    v = sm_ini_get(ini, "report", "dir", NULL);
    if (v) {
        e->report_dir = strdup(v);
    } else {
        e->report_dir = sm_path_join("report", e->name);
    }
    v = sm_ini_get(ini, "report", "cache_dir", NULL);
    e->cache_dir = strdup(v ? v : "datasets/cache");
    TRY(sm_ini_check_unused(ini, "report", err));
    if (!e->report_dir || !e->cache_dir || !e->name || !e->description) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    return 0;
fail:
    return err && err->code ? err->code : SM_ERR_CONFIG;
}

sm_experiment *sm_experiment_parse(const char *text, const char *path, sm_error *err)
{
    sm_ini *ini = sm_ini_parse_string(text, path, err);
    sm_experiment *e;
    char *pathcopy;
    if (!ini) return NULL;
    e = calloc(1, sizeof *e);
    if (!e) {
        sm_ini_free(ini);
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    e->path = strdup(path);
    pathcopy = strdup(path);
    e->dir = pathcopy ? strdup(dirname(pathcopy)) : NULL;
    free(pathcopy);
    e->fingerprint = fnv1a(text);
    e->text = strdup(text);
    if (!e->path || !e->dir || !e->text) {
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* section by section, in the order their values are needed */
    TRY(check_sections(e, ini, err));
    TRY(parse_experiment_section(e, ini, err));
    TRY(parse_synth(e, ini, err));
    TRY(parse_run(e, ini, err));
    TRY(parse_variants(e, ini, err));
    TRY(parse_targets(e, ini, err));
    TRY(parse_cost(e, ini, err));
    TRY(parse_prior(e, ini, err));
    TRY(parse_optimizers(e, ini, err));
    TRY(parse_report(e, ini, err));
    sm_ini_free(ini);
    return e;
fail:
    if (err && !err->code) sm_error_set(err, SM_ERR_CONFIG, "%s: invalid experiment", path);
    sm_ini_free(ini);
    sm_experiment_free(e);
    return NULL;
}

sm_experiment *sm_experiment_load(const char *path, sm_error *err)
{
    unsigned char *data;
    size_t n;
    sm_experiment *e;
    if (sm_read_file(path, 1 << 24, &data, &n, err) != 0) return NULL;
    if (memchr(data, 0, n)) {
        free(data);
        sm_error_set(err, SM_ERR_CONFIG, "%s: not a text file (holds a NUL byte)", path);
        return NULL;
    }
    e = sm_experiment_parse((const char *)data, path, err);
    free(data);
    return e;
}

int sm_experiment_add_optimizer(sm_experiment *e, const char *name, sm_error *err)
{
    sm_exp_optimizer *o;
    const sm_optimizer_type *t = sm_optimizer_find(name);
    if (!t) return sm_error_set(err, SM_ERR_NOTFOUND, "unknown optimizer '%s'", name);
    o = realloc(e->opt, (e->n_opt + 1) * sizeof *o);
    if (!o) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    e->opt = o;
    o = &e->opt[e->n_opt];
    memset(o, 0, sizeof *o);
    o->name = strdup(name);
    o->type = t;
    o->dataset_size = 2000;
    if (!o->name) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    e->n_opt++;
    return 0;
}

void sm_experiment_free(sm_experiment *e)
{
    size_t i, k;
    if (!e) return;
    for (i = 0; i < e->n_targets; i++) {
        free(e->targets[i].name);
        free(e->targets[i].path);
        free(e->targets[i].truth);
    }
    free(e->targets);
    free(e->goal);
    for (i = 0; i < e->n_opt; i++) {
        for (k = 0; k < e->opt[i].n_settings; k++) {
            free((char *)e->opt[i].settings[k].key);
            free((char *)e->opt[i].settings[k].value);
        }
        for (k = 0; k < e->opt[i].n_side_settings; k++) {
            free((char *)e->opt[i].side_settings[k].key);
            free((char *)e->opt[i].side_settings[k].value);
        }
        free(e->opt[i].settings);
        free(e->opt[i].side_settings);
        free(e->opt[i].name);
        free(e->opt[i].dataset);
    }
    free(e->opt);
    for (i = 0; i < e->n_variants; i++) {
        if (e->variants[i].view != e->view) sm_param_view_free(e->variants[i].view);
        free(e->variants[i].name);
    }
    free(e->variants);
    sm_param_view_free(e->view);
    free(e->seeds);
    free(e->path);
    free(e->text);
    free(e->dir);
    free(e->name);
    free(e->description);
    free(e->report_dir);
    free(e->cache_dir);
    for (i = 0; i < e->n_prior_files; i++) free(e->prior_files[i]);
    free(e->prior_files);
    free(e);
}

const char *sm_experiment_name(const sm_experiment *e)
{
    return e ? e->name : NULL;
}

size_t sm_experiment_n_runs(const sm_experiment *e)
{
    return e ? e->n_targets * e->n_opt * e->n_seeds : 0;
}

const char *sm_experiment_report_dir(const sm_experiment *e)
{
    return e ? e->report_dir : NULL;
}
