/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/voice_kinds.c: kinds from voice names, the kind classifier and random names (see
 * datasets/voice_kinds.h). */
#include "datasets/voice_kinds.h"

#include <ctype.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const KIND_NAMES[SM_KIND_N] = {"pad",  "keys", "bass", "lead",
                                                  "bell", "perc", "fx"};

const char *sm_kind_name(int kind)
{
    if (kind == SM_KIND_NONE) return "any";
    return kind >= 0 && kind < SM_KIND_N ? KIND_NAMES[kind] : "?";
}

int sm_kind_find(const char *name)
{
    int k;
    if (!name) return SM_KIND_NONE;
    for (k = 0; k < SM_KIND_N; k++)
        if (strcasecmp(name, KIND_NAMES[k]) == 0) return k;
    return SM_KIND_NONE;
}

int sm_kind_pitched(int kind)
{
    return kind == SM_KIND_PAD || kind == SM_KIND_KEYS || kind == SM_KIND_BASS ||
           kind == SM_KIND_LEAD;
}

/* ---- Kinds from names --------------------------------------------------------------------
 * A name is cut into words at every character that is not a letter. A rule matches a word
 * that starts with its key; keys of 5 letters or more, and those marked ANY, match anywhere in
 * a word ("SYNBASS", "ELEPIANO", "TUBEBELL"); those marked WHOLE only the whole word ("TOM"
 * must not match "BOTTOM"). The first rule that matches a word decides it, so exceptions come
 * first: "BASSOON" is no bass, "COWBELL" is a percussion sound, "CLAVES" no clavinet. The
 * lists were read off the most frequent words of the 31,380 names of voices31380.bin. */
enum { PREFIX = 0, WHOLE = 1, ANY = 2 };
typedef struct {
    const char *key;
    int kind;      /* SM_KIND_NONE: the word says nothing (an exception) */
    int exact;     /* PREFIX, WHOLE or ANY */
} name_rule;

static const name_rule RULES[] = {
    /* exceptions first */
    {"BASSOON", SM_KIND_NONE, PREFIX},
    {"COWBELL", SM_KIND_PERC, PREFIX},
    {"CLAVES", SM_KIND_PERC, PREFIX},
    {"PADDLE", SM_KIND_NONE, PREFIX},
    /* pad */
    {"PAD", SM_KIND_PAD, ANY},
    {"STRING", SM_KIND_PAD, PREFIX},
    {"STRNG", SM_KIND_PAD, PREFIX},
    {"STRG", SM_KIND_PAD, PREFIX},
    {"STRGS", SM_KIND_PAD, PREFIX},
    {"STRS", SM_KIND_PAD, WHOLE},
    {"CHOIR", SM_KIND_PAD, PREFIX},
    {"VOX", SM_KIND_PAD, WHOLE},
    {"SWELL", SM_KIND_PAD, PREFIX},
    {"ENSEMBLE", SM_KIND_PAD, PREFIX},
    {"STR", SM_KIND_PAD, WHOLE},
    /* keys */
    {"PIANO", SM_KIND_KEYS, PREFIX},
    {"PNO", SM_KIND_KEYS, PREFIX},
    {"RHODES", SM_KIND_KEYS, PREFIX},
    {"ROADS", SM_KIND_KEYS, PREFIX},
    {"WURLI", SM_KIND_KEYS, PREFIX},
    {"CLAV", SM_KIND_KEYS, PREFIX},
    {"HARPSI", SM_KIND_KEYS, PREFIX},
    {"HRPSCD", SM_KIND_KEYS, PREFIX},
    {"KEYS", SM_KIND_KEYS, WHOLE},
    {"EP", SM_KIND_KEYS, WHOLE},
    {"EPIANO", SM_KIND_KEYS, PREFIX},
    {"STEINWAY", SM_KIND_KEYS, PREFIX},
    {"GRAND", SM_KIND_KEYS, WHOLE},
    /* bass */
    {"BASS", SM_KIND_BASS, ANY},
    /* lead */
    {"LEAD", SM_KIND_LEAD, ANY},
    {"SOLO", SM_KIND_LEAD, WHOLE},
    {"LD", SM_KIND_LEAD, WHOLE},
    /* bell */
    {"BELL", SM_KIND_BELL, ANY},
    {"CHIME", SM_KIND_BELL, PREFIX},
    {"GLOCK", SM_KIND_BELL, PREFIX},
    {"CELEST", SM_KIND_BELL, PREFIX},
    {"VIBE", SM_KIND_BELL, PREFIX},
    {"VIBES", SM_KIND_BELL, WHOLE},
    {"VIBRAPH", SM_KIND_BELL, PREFIX},
    {"TUBULAR", SM_KIND_BELL, PREFIX},
    {"GONG", SM_KIND_BELL, WHOLE},
    {"CARILLON", SM_KIND_BELL, PREFIX},
    /* perc */
    {"PERC", SM_KIND_PERC, ANY},
    {"DRUM", SM_KIND_PERC, ANY},
    {"SNARE", SM_KIND_PERC, PREFIX},
    {"KICK", SM_KIND_PERC, WHOLE},
    {"TOM", SM_KIND_PERC, WHOLE},
    {"TOMS", SM_KIND_PERC, WHOLE},
    {"HIHAT", SM_KIND_PERC, PREFIX},
    {"CYMBAL", SM_KIND_PERC, PREFIX},
    {"CLAP", SM_KIND_PERC, WHOLE},
    {"CONGA", SM_KIND_PERC, PREFIX},
    {"TIMP", SM_KIND_PERC, PREFIX},
    {"BONGO", SM_KIND_PERC, PREFIX},
    {"TABLA", SM_KIND_PERC, PREFIX},
    {"SIMMONS", SM_KIND_PERC, PREFIX},
    {"MARIMBA", SM_KIND_PERC, PREFIX},
    {"MARIM", SM_KIND_PERC, WHOLE},
    {"XYLO", SM_KIND_PERC, PREFIX},
    {"SHAKER", SM_KIND_PERC, PREFIX},
    {"RIMSHOT", SM_KIND_PERC, PREFIX},
    {"PRC", SM_KIND_PERC, WHOLE},
    /* fx */
    {"FX", SM_KIND_FX, WHOLE},
    {"EFX", SM_KIND_FX, WHOLE},
    {"SFX", SM_KIND_FX, WHOLE},
    {"EFFECT", SM_KIND_FX, PREFIX},
    {"NOISE", SM_KIND_FX, PREFIX},
    {"WIND", SM_KIND_FX, WHOLE},
    {"ZAP", SM_KIND_FX, WHOLE},
    {"LASER", SM_KIND_FX, PREFIX},
    {"UFO", SM_KIND_FX, WHOLE},
    {"SIREN", SM_KIND_FX, PREFIX},
    {"RAIN", SM_KIND_FX, WHOLE},
    {"THUNDER", SM_KIND_FX, PREFIX},
    {"EXPLOS", SM_KIND_FX, PREFIX},
    {"HELICOP", SM_KIND_FX, PREFIX},
    {"SURF", SM_KIND_FX, WHOLE},
    {"WAVES", SM_KIND_FX, WHOLE},
    {"STORM", SM_KIND_FX, PREFIX},
    {"ALIEN", SM_KIND_FX, PREFIX},
    {"ROBOT", SM_KIND_FX, PREFIX},
};

/* The rule a word obeys, or -1. */
static int word_rule(const char *w, size_t len)
{
    size_t r;
    for (r = 0; r < sizeof RULES / sizeof *RULES; r++) {
        size_t kl = strlen(RULES[r].key);
        if (kl > len) continue;
        if (RULES[r].exact == WHOLE) {
            if (kl == len && memcmp(w, RULES[r].key, kl) == 0) return (int)r;
        } else if (kl >= 5 || RULES[r].exact == ANY) {
            size_t i;
            for (i = 0; i + kl <= len; i++)
                if (memcmp(w + i, RULES[r].key, kl) == 0) return (int)r;
        } else if (memcmp(w, RULES[r].key, kl) == 0) {
            return (int)r;
        }
    }
    return -1;
}

int sm_kind_of_name(const char *voice_name)
{
    char up[64];
    size_t i, n, start;
    int kind = SM_KIND_NONE;
    if (!voice_name) return SM_KIND_NONE;
    n = strlen(voice_name);
    if (n >= sizeof up) n = sizeof up - 1;
    for (i = 0; i < n; i++) up[i] = (char)toupper((unsigned char)voice_name[i]);
    up[n] = '\0';
    for (i = 0; i <= n;) {
        while (i < n && !isalpha((unsigned char)up[i])) i++;
        start = i;
        while (i < n && isalpha((unsigned char)up[i])) i++;
        if (i > start) {
            int r = word_rule(up + start, i - start);
            if (r >= 0 && RULES[r].kind != SM_KIND_NONE) {
                if (kind == SM_KIND_NONE) kind = RULES[r].kind;
                else if (kind != RULES[r].kind) return SM_KIND_MANY;
            }
        }
        if (i >= n) break;
    }
    return kind;
}

/* ---- The classifier ----------------------------------------------------------------------- */

/* Inverts the symmetric positive definite a (m x m) in place; *logdet gets log det a.
 * Returns 0 or -1 (not positive definite). */
static int spd_inverse(double *a, int m, double *logdet)
{
    int i, j;
    double ld = 0;
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', m, a, m) != 0) return -1;
    for (i = 0; i < m; i++) ld += 2.0 * log(a[i * m + i]);
    if (LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', m, a, m) != 0) return -1;
    for (i = 0; i < m; i++)
        for (j = i + 1; j < m; j++) a[i * m + j] = a[j * m + i];
    *logdet = ld;
    return 0;
}

int sm_kind_classifier_fit(sm_kind_classifier *c, const double *feat, const int *label,
                           size_t n, double alpha, sm_error *err)
{
    enum { M = SM_VOICE_NFEAT };
    double cov[SM_KIND_N][M * M], pooled[M * M];
    size_t i, total = 0;
    int k, a, b;
    if (!c || !feat || !label) return sm_error_set(err, SM_ERR_ARG, "kind classifier: NULL input");
    if (!(alpha >= 0 && alpha <= 1))
        return sm_error_set(err, SM_ERR_RANGE, "kind classifier: alpha %g (0 to 1)", alpha);
    memset(c, 0, sizeof *c);
    memset(cov, 0, sizeof cov);
    memset(pooled, 0, sizeof pooled);
    c->alpha = alpha;
    for (i = 0; i < n; i++) {
        k = label[i];
        if (k < 0 || k >= SM_KIND_N) continue;
        for (a = 0; a < M; a++) {
            if (!isfinite(feat[i * M + a]))
                return sm_error_set(err, SM_ERR_NONFINITE, "kind classifier: voice %zu: "
                                    "feature %s is not finite", i, sm_voice_feature_name(a));
            c->mean[k][a] += feat[i * M + a];
        }
        c->n_train[k]++;
    }
    for (k = 0; k < SM_KIND_N; k++) {
        if (c->n_train[k] < M + 1)
            return sm_error_set(err, SM_ERR_EMPTY, "kind classifier: %zu voices of kind %s (at "
                                "least %d)", c->n_train[k], KIND_NAMES[k], M + 1);
        for (a = 0; a < M; a++) c->mean[k][a] /= (double)c->n_train[k];
        total += c->n_train[k];
    }
    for (i = 0; i < n; i++) {
        k = label[i];
        if (k < 0 || k >= SM_KIND_N) continue;
        for (a = 0; a < M; a++)
            for (b = 0; b < M; b++)
                cov[k][a * M + b] += (feat[i * M + a] - c->mean[k][a]) *
                                     (feat[i * M + b] - c->mean[k][b]);
    }
    for (k = 0; k < SM_KIND_N; k++)
        for (a = 0; a < M * M; a++) pooled[a] += cov[k][a] / (double)(total - SM_KIND_N);
    for (k = 0; k < SM_KIND_N; k++) {
        for (a = 0; a < M * M; a++)
            c->prec[k][a] = (1 - alpha) * cov[k][a] / (double)(c->n_train[k] - 1) +
                            alpha * pooled[a];
        /* a tiny ridge keeps a constant feature (every voice of a kind equally stable)
         * invertible */
        for (a = 0; a < M; a++) c->prec[k][a * M + a] += 1e-6;
        if (spd_inverse(c->prec[k], M, &c->logdet[k]) != 0)
            return sm_error_set(err, SM_ERR_UNSUPPORTED, "kind classifier: the covariance of "
                                "kind %s is not positive definite", KIND_NAMES[k]);
    }
    return 0;
}

int sm_kind_classify(const sm_kind_classifier *c, const double feat[SM_VOICE_NFEAT],
                     double *posterior)
{
    enum { M = SM_VOICE_NFEAT };
    double ll[SM_KIND_N], top = -HUGE_VAL, sum = 0;
    int k, a, b, best = 0;
    for (k = 0; k < SM_KIND_N; k++) {
        double d[M], q = 0;
        for (a = 0; a < M; a++) d[a] = feat[a] - c->mean[k][a];
        for (a = 0; a < M; a++)
            for (b = 0; b < M; b++) q += d[a] * c->prec[k][a * M + b] * d[b];
        ll[k] = -0.5 * (q + c->logdet[k]);
        if (!isfinite(ll[k])) ll[k] = -HUGE_VAL;
        if (ll[k] > top) {
            top = ll[k];
            best = k;
        }
    }
    if (posterior) {
        for (k = 0; k < SM_KIND_N; k++) sum += (posterior[k] = exp(ll[k] - top));
        for (k = 0; k < SM_KIND_N; k++) posterior[k] /= sum;
    }
    return best;
}

int sm_kind_cross_validate(const double *feat, const int *label, size_t n, double alpha,
                           size_t confusion[SM_KIND_N * SM_KIND_N], sm_error *err)
{
    sm_kind_classifier c;
    int *fold;
    size_t i;
    int f, rc = 0;
    if (!feat || !label || !confusion)
        return sm_error_set(err, SM_ERR_ARG, "kind cross-validation: NULL input");
    memset(confusion, 0, SM_KIND_N * SM_KIND_N * sizeof *confusion);
    if (!(fold = malloc((n ? n : 1) * sizeof *fold)))
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    for (f = 0; f < 2 && !rc; f++) {
        for (i = 0; i < n; i++) fold[i] = (int)(i % 2) == f ? label[i] : SM_KIND_NONE;
        rc = sm_kind_classifier_fit(&c, feat, fold, n, alpha, err);
        for (i = 0; i < n && !rc; i++) {
            if ((int)(i % 2) == f || label[i] < 0 || label[i] >= SM_KIND_N) continue;
            confusion[label[i] * SM_KIND_N + sm_kind_classify(&c, feat + i * SM_VOICE_NFEAT,
                                                              NULL)]++;
        }
    }
    free(fold);
    return rc;
}

/* ---- Random names ---------------------------------------------------------------------------
 * Words for the kind (as they stand in human voice names) and words for the sound, our own
 * list in the style of the DX7's cartridges. */
static const char *const KIND_WORDS[SM_KIND_N][6] = {
    {"PAD", "STRINGS", "CHOIR", "SWELL", "VOX", "STRINGS"},
    {"PIANO", "E.PIANO", "CLAV", "KEYS", "TINE", "HARPSI"},
    {"BASS", "BASS", "SYNBASS", "LOWEND", "BASS", "SUB"},
    {"LEAD", "SOLO", "SYNLEAD", "LEAD", "SOLO", "LINE"},
    {"BELL", "BELLS", "CHIME", "GLOCK", "GONG", "TUBES"},
    {"PERC", "DRUM", "HIT", "BLOCK", "TOM", "MALLET"},
    {"FX", "SWEEP", "ZAP", "SPACE", "NOISE", "WIND"},
};

static const char *const SOUND_WORDS[] = {
    "WARM",  "SOFT",  "HARD",  "FAT",   "THIN",  "DARK",  "BRITE", "GLASS", "METAL", "WOOD",
    "SILK",  "ICE",   "DEEP",  "AIRY",  "DIGI",  "ANALOG", "VINTAGE", "FM", "SYN", "CLEAR",
    "HOLLOW", "REEDY", "BRASSY", "FUZZ", "GLOW", "CRYSTAL", "STEEL", "VELVET", "DUSTY", "SHINY",
    "MELLOW", "PUNCHY", "LUSH",  "COLD",  "HOT",  "TWANG", "BOWED", "BLOWN", "PLUCK", "BIG",
};

void sm_kind_random_name(int kind, sm_rng *rng, sm_voice_name out)
{
    const size_t n_sound = sizeof SOUND_WORDS / sizeof *SOUND_WORDS;
    const char *kw;
    char buf[64];
    int k = kind >= 0 && kind < SM_KIND_N ? kind : (int)sm_rng_below(rng, SM_KIND_N);
    int tries;
    kw = KIND_WORDS[k][sm_rng_below(rng, 6)];
    if (sm_rng_below(rng, 5) == 0) { /* one in five: the kind's word and a number */
        snprintf(buf, sizeof buf, "%s %u", kw, (unsigned)(1 + sm_rng_below(rng, 9)));
        if (strlen(buf) <= SM_DX7_NAME_LEN) {
            sm_bank_name_from_text(buf, 1, out);
            return;
        }
    }
    for (tries = 0; tries < 16; tries++) {
        const char *sw = SOUND_WORDS[sm_rng_below(rng, n_sound)];
        snprintf(buf, sizeof buf, "%s %s", sw, kw);
        if (strlen(buf) <= SM_DX7_NAME_LEN) break;
    }
    if (strlen(buf) > SM_DX7_NAME_LEN) snprintf(buf, sizeof buf, "%s", kw);
    sm_bank_name_from_text(buf, 1, out);
}
