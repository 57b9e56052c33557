/* SPDX-License-Identifier: GPL-3.0-or-later */
/* features/descr_summary.c: the seven sound descriptors of a whole sound (Neurorack's
 * controls), their units, ranges, published spreads, errors and the goals a user asks for.
 *
 * Per frame (features/descriptors.c, librosa's definitions on 2048-sample frames, hop 512,
 * centred), each descriptor is read in its COMPARISON units:
 *
 *   descriptor     measure                 value units             comparison units (floor)
 *   loudness       RMS                     dBFS, 20 log10 RMS      dB (-100 dB)
 *   percussivity   zero-crossing rate      crossings per sample    octaves: log2 zcr (1e-4)
 *   brightness     spectral centroid       Hz                      octaves: log2 Hz (10 Hz)
 *   tone-likeness  spectral roll-off 85%   Hz                      octaves: log2 Hz (10 Hz)
 *   richness       spectral bandwidth p=2  Hz                      octaves: log2 Hz (10 Hz)
 *   noisiness      spectral flatness       0..1                    dB: 10 log10 (1e-6, -60 dB)
 *   pitch          YIN f0                  Hz                      semitones: MIDI note number
 *
 * Frequencies and rates are compared as ratios (an error of 100 Hz is large for a kick and
 * nothing for a cymbal), levels and flatness in dB, pitch in semitones.
 *
 * Pooling. Frame t's weight is w_t = clamp((L_t - (L_max - 40 dB)) / 10 dB, 0, 1), L_t the
 * frame's RMS in dB and L_max the loudest frame's: frames within 30 dB of the loudest count
 * fully, frames 30 to 40 dB below it count less and less, quieter frames (and silence) not at
 * all. So silence before or after a sound changes nothing, and a frame crossing the line
 * moves the means continuously. The pooled value of each descriptor is the w-weighted mean of
 * its frames in comparison units (a geometric mean of the frequencies and rates). Pitch: the
 * mean over voiced frames only (librosa.yin found a trough below its threshold); `voiced` is
 * their share of the weight, and the sound is unpitched (pitch NAN) when that share is below
 * one half. The trajectory is the per-frame values in comparison units; frames of weight 0
 * read as silence there (brightness, tone-likeness and richness at their floor, noisiness
 * 0 dB, pitch NAN) while loudness and percussivity keep their measured values.
 *
 * Spreads. A descriptor's error is |target - got| in comparison units divided by its spread
 * over a reference set (sm_descr_scales), so that weights and errors of different descriptors
 * are comparable; pitch counts an error of 1 where one sound is pitched and the other not.
 * The spreads are robust standard deviations (the interquartile range / 1.349) measured by
 * bench/descr_scales: for drum over the 16 shared Microtonic patches and 4,000 random drum
 * patches (velocity 127, 1 s), for fm6 over every 8th of the 31,380 human DX7 voices of
 * voices31380.bin (MIDI 60, velocity 100, key held 1 s, 1.5 s rendered). Pitch spreads are
 * over the pitched sounds. */
#include "features/features.h"
#include "features/stft.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOUD_FLOOR_RMS 1e-5    /* -100 dB */
#define ZCR_FLOOR 1e-4
#define HZ_FLOOR 10.0
#define FLAT_FLOOR 1e-6        /* -60 dB */
#define PITCHED_SHARE 0.5      /* pitched when this share of the weight is voiced */

static const sm_descriptor_info infos[SM_D_COUNT] = {
    {"loudness", "rms", "dBFS", "dB", -100.0, 0.0},
    {"percussivity", "zcr", "crossings/sample", "octaves", 0.0, 1.0},
    {"brightness", "centroid", "Hz", "octaves", HZ_FLOOR, 96000.0},
    {"tone-likeness", "rolloff", "Hz", "octaves", HZ_FLOOR, 96000.0},
    {"richness", "bandwidth", "Hz", "octaves", HZ_FLOOR, 96000.0},
    {"noisiness", "flatness", "", "dB", 0.0, 1.0},
    {"pitch", "f0", "Hz", "semitones", 45.0, 2000.0},
};

/* The published spreads, comparison units, in descriptor order, as bench/descr_scales
 * measured them (drum: 4,016 patches, all sounding, 1,157 of them pitched; fm6: 3,923 voices,
 * 3,899 sounding, 3,548 pitched). */
static const double scales_drum[SM_D_COUNT] = {27.23, 2.879, 1.703, 1.878, 0.948, 18.87, 23.64};
static const double scales_fm6[SM_D_COUNT] = {5.221, 1.102, 1.234, 1.387, 1.410, 2.586, 8.900};

const sm_descriptor_info *sm_descriptor_get(int d)
{
    return d >= 0 && d < SM_D_COUNT ? &infos[d] : NULL;
}

int sm_descriptor_find(const char *name)
{
    int d;
    if (!name) return -1;
    for (d = 0; d < SM_D_COUNT; d++)
        if (strcasecmp(name, infos[d].name) == 0 || strcasecmp(name, infos[d].measure) == 0)
            return d;
    if (strcasecmp(name, "tone") == 0 || strcasecmp(name, "tonelikeness") == 0 ||
        strcasecmp(name, "tone_likeness") == 0)
        return SM_D_TONE;
    return -1;
}

double sm_descriptor_to_cmp(int d, double v)
{
    if (isnan(v)) return NAN;
    switch (d) {
    case SM_D_LOUDNESS: return v < -100.0 ? -100.0 : v;
    case SM_D_PERCUSSIVITY: return log2(v > ZCR_FLOOR ? v : ZCR_FLOOR);
    case SM_D_BRIGHTNESS:
    case SM_D_TONE:
    case SM_D_RICHNESS: return log2(v > HZ_FLOOR ? v : HZ_FLOOR);
    case SM_D_NOISINESS: return 10.0 * log10(v > FLAT_FLOOR ? v : FLAT_FLOOR);
    case SM_D_PITCH: return v > 0 ? 69.0 + 12.0 * log2(v / 440.0) : NAN;
    default: return NAN;
    }
}

double sm_descriptor_from_cmp(int d, double c)
{
    if (isnan(c)) return NAN;
    switch (d) {
    case SM_D_LOUDNESS: return c;
    case SM_D_PERCUSSIVITY:
    case SM_D_BRIGHTNESS:
    case SM_D_TONE:
    case SM_D_RICHNESS: return exp2(c);
    case SM_D_NOISINESS: return pow(10.0, c / 10.0);
    case SM_D_PITCH: return 440.0 * exp2((c - 69.0) / 12.0);
    default: return NAN;
    }
}

/* Frame t's values in comparison units into v[SM_D_COUNT] (active: computed; else silence). */
static void frame_values(const sm_descr *d, size_t t, int active, double *v)
{
    const double rms = d->rms[t];
    v[SM_D_LOUDNESS] = 20.0 * log10(rms > LOUD_FLOOR_RMS ? rms : LOUD_FLOOR_RMS);
    v[SM_D_PERCUSSIVITY] = sm_descriptor_to_cmp(SM_D_PERCUSSIVITY, d->zcr[t]);
    if (!active) {
        v[SM_D_BRIGHTNESS] = v[SM_D_TONE] = v[SM_D_RICHNESS] = log2(HZ_FLOOR);
        v[SM_D_NOISINESS] = 0.0;
        v[SM_D_PITCH] = NAN;
        return;
    }
    v[SM_D_BRIGHTNESS] = sm_descriptor_to_cmp(SM_D_BRIGHTNESS, d->centroid_hz[t]);
    v[SM_D_TONE] = sm_descriptor_to_cmp(SM_D_TONE, d->rolloff_hz[t]);
    v[SM_D_RICHNESS] = sm_descriptor_to_cmp(SM_D_RICHNESS, d->bandwidth_hz[t]);
    v[SM_D_NOISINESS] = sm_descriptor_to_cmp(SM_D_NOISINESS, d->flatness[t]);
    v[SM_D_PITCH] = d->voiced[t] && d->f0_hz[t] > 0 ? sm_descriptor_to_cmp(SM_D_PITCH, d->f0_hz[t])
                                                    : NAN;
}

int sm_descr_pool(const sm_descr *d, sm_descr_means *out, double *traj, double *weight,
                  sm_error *err)
{
    double top = 0.0, line, wsum = 0.0, vsum = 0.0, psum = 0.0, sum[SM_D_COUNT] = {0};
    size_t t;
    int k;
    if (out) {
        for (k = 0; k < SM_D_COUNT; k++) out->cmp[k] = NAN;
        out->voiced = 0.0;
        out->voiced_pitch = NAN;
    }
    if (!d || !out) return sm_error_set(err, SM_ERR_ARG, "no descriptors to pool");
    for (t = 0; t < d->n_frames; t++)
        if (d->rms[t] > top) top = d->rms[t];
    if (!(top > 0))
        return sm_error_set(err, SM_ERR_EMPTY, "the sound is silent: it has no descriptors");
    line = 20.0 * log10(top) - SM_DESCR_ACTIVE_DB;
    for (t = 0; t < d->n_frames; t++) {
        double v[SM_D_COUNT], w = 0.0;
        if (d->rms[t] > 0) {
            w = (20.0 * log10(d->rms[t]) - line) / SM_DESCR_RAMP_DB;
            w = w < 0 ? 0 : w > 1 ? 1 : w;
        }
        frame_values(d, t, w > 0, v);
        if (traj) memcpy(traj + t * SM_D_COUNT, v, sizeof v);
        if (weight) weight[t] = w;
        if (!(w > 0)) continue;
        wsum += w;
        for (k = 0; k < SM_D_PITCH; k++) sum[k] += w * v[k];
        if (!isnan(v[SM_D_PITCH])) {
            vsum += w;
            psum += w * v[SM_D_PITCH];
        }
    }
    for (k = 0; k < SM_D_PITCH; k++) out->cmp[k] = sum[k] / wsum;
    out->voiced = vsum / wsum;
    out->voiced_pitch = vsum > 0 ? psum / vsum : NAN;
    out->cmp[SM_D_PITCH] = out->voiced >= PITCHED_SHARE ? out->voiced_pitch : NAN;
    return 0;
}

int sm_describe(const float *x, size_t n, double sample_rate, sm_descr_means *out,
                double **traj, double **weight, size_t *n_frames, sm_error *err)
{
    sm_descr_config c;
    sm_descr_plan *p = NULL;
    sm_descr d;
    double *tr = NULL, *wt = NULL;
    size_t frames;
    int rc, k;
    memset(&d, 0, sizeof d);
    if (traj) *traj = NULL;
    if (weight) *weight = NULL;
    if (n_frames) *n_frames = 0;
    if (out) {
        for (k = 0; k < SM_D_COUNT; k++) out->cmp[k] = NAN;
        out->voiced = 0.0;
        out->voiced_pitch = NAN;
    }
    if (!x || n == 0 || !out) return sm_error_set(err, SM_ERR_ARG, "no sound to describe");
    if (!sm_all_finite(x, n))
        return sm_error_set(err, SM_ERR_NONFINITE, "the sound holds a NaN or infinite sample");
    c = sm_descr_config_default(sample_rate);
    if ((rc = sm_descr_config_check(&c, err)) != 0) return rc;
    frames = sm_descr_n_frames(&c, n);
    if (!(p = sm_descr_plan_alloc(&c, n, err))) return err && err->code ? err->code : SM_ERR_NOMEM;
    if (sm_descr_alloc(&d, frames) != 0 || (traj && !(tr = malloc(frames * SM_D_COUNT * sizeof *tr))) ||
        (weight && !(wt = malloc(frames * sizeof *wt)))) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory describing %zu samples", n);
        goto done;
    }
    rc = sm_descr_compute_some(p, x, n, &d, SM_DESCR_SEVEN | SM_DESCR_SKIP_QUIET);
    if (rc) {
        sm_error_set(err, rc, "descriptor computation failed");
        goto done;
    }
    if ((rc = sm_descr_pool(&d, out, tr, wt, err)) != 0) goto done;
    if (traj) *traj = tr, tr = NULL;
    if (weight) *weight = wt, wt = NULL;
    if (n_frames) *n_frames = frames;
done:
    free(tr);
    free(wt);
    sm_descr_free(&d);
    sm_descr_plan_free(p);
    return rc;
}

int sm_descr_scales(const char *reference, double scale[SM_D_COUNT])
{
    const int drum = reference && strcmp(reference, "drum") == 0;
    if (!scale) return -1;
    memcpy(scale, drum ? scales_drum : scales_fm6, SM_D_COUNT * sizeof *scale);
    return drum || (reference && strcmp(reference, "fm6") == 0) ? 0 : 1;
}

double sm_descr_error(int d, const sm_descr_means *target, const sm_descr_means *got,
                      const double scale[SM_D_COUNT])
{
    double a, b;
    if (!target || !got || !scale || d < 0 || d >= SM_D_COUNT || !(scale[d] > 0)) return NAN;
    a = target->cmp[d];
    b = got->cmp[d];
    if (d == SM_D_PITCH && (isnan(a) || isnan(b))) return isnan(a) && isnan(b) ? 0.0 : 1.0;
    return fabs(a - b) / scale[d];
}

/* ---- goals ------------------------------------------------------------------------------ */

/* The highest value of descriptor d at sample_rate (frequencies stop at Nyquist). */
static double value_hi(int d, double sample_rate)
{
    double hi = infos[d].hi;
    if ((d == SM_D_BRIGHTNESS || d == SM_D_TONE || d == SM_D_RICHNESS) && sample_rate > 0 &&
        sample_rate / 2 < hi)
        hi = sample_rate / 2;
    return hi;
}

/* The shift unit of descriptor d's comparison units in edits: "dB", "oct" or "st". */
static const char *shift_unit(int d)
{
    return d == SM_D_LOUDNESS || d == SM_D_NOISINESS ? "dB" : d == SM_D_PITCH ? "st" : "oct";
}

int sm_descr_goal_set(sm_descr_goal *goal, int d, const char *text, double sample_rate,
                      sm_error *err)
{
    const char *name;
    char *end;
    double x, value, cmp;
    size_t len;
    if (!goal || !text || d < 0 || d >= SM_D_COUNT)
        return sm_error_set(err, SM_ERR_ARG, "no descriptor goal or value given");
    name = infos[d].name;
    while (isspace((unsigned char)*text)) text++;
    len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1])) len--;
    if (len == 0) return sm_error_set(err, SM_ERR_FORMAT, "%s: no value given", name);
    if (len == 4 && strncasecmp(text, "none", 4) == 0) {
        if (d != SM_D_PITCH)
            return sm_error_set(err, SM_ERR_FORMAT,
                                "%s: 'none' is only for pitch (an unpitched sound)", name);
        goal->means.cmp[d] = goal->means.voiced_pitch = NAN;
        goal->means.voiced = 0.0;
        goal->given[d] = 1;
        return 0;
    }
    errno = 0;
    x = strtod(text, &end);
    if (end == text || !isfinite(x) || errno == ERANGE)
        return sm_error_set(err, SM_ERR_FORMAT, "%s: '%.*s' is not a number", name, (int)len,
                            text);
    if ((size_t)(end - text) == len) {   /* a plain value */
        if (!(x >= infos[d].lo && x <= value_hi(d, sample_rate)))
            return sm_error_set(err, SM_ERR_RANGE, "%s: %g %s is outside its range, %g to %g %s",
                                name, x, infos[d].unit, infos[d].lo, value_hi(d, sample_rate),
                                infos[d].unit);
        goal->means.cmp[d] = sm_descriptor_to_cmp(d, x);
        if (d == SM_D_PITCH) {
            goal->means.voiced = 1.0;
            goal->means.voiced_pitch = goal->means.cmp[d];
        }
        goal->given[d] = 1;
        return 0;
    }
    /* an edit of the value held */
    if (text[0] != '+' && text[0] != '-')
        return sm_error_set(err, SM_ERR_FORMAT,
                            "%s: '%.*s' is neither a value nor an edit (+20%%, -3%s)", name,
                            (int)len, text, shift_unit(d));
    if (!goal->given[d] || isnan(goal->means.cmp[d]))
        return sm_error_set(err, SM_ERR_FORMAT,
                            "%s: the edit '%.*s' needs a value to change (give --like FILE or "
                            "a value)", name, (int)len, text);
    cmp = goal->means.cmp[d];
    if ((size_t)(end - text) + 1 == len && *end == '%') {
        const double f = 1.0 + x / 100.0;
        if (!(f > 0))
            return sm_error_set(err, SM_ERR_RANGE, "%s: %.*s would leave nothing", name,
                                (int)len, text);
        switch (d) {
        case SM_D_LOUDNESS: cmp += 20.0 * log10(f); break;
        case SM_D_NOISINESS: cmp += 10.0 * log10(f); break;
        case SM_D_PITCH: cmp += 12.0 * log2(f); break;
        default: cmp += log2(f); break;
        }
    } else if (strncasecmp(end, shift_unit(d), strlen(shift_unit(d))) == 0 &&
               (size_t)(end - text) + strlen(shift_unit(d)) == len) {
        cmp += x;
    } else {
        return sm_error_set(err, SM_ERR_FORMAT,
                            "%s: '%.*s': an edit is a percentage (+20%%) or a shift in %s "
                            "(+1%s)", name, (int)len, text, infos[d].cmp_unit, shift_unit(d));
    }
    value = sm_descriptor_from_cmp(d, cmp);
    if (!(value >= infos[d].lo && value <= value_hi(d, sample_rate)))
        return sm_error_set(err, SM_ERR_RANGE, "%s: %.*s gives %g %s, outside its range, %g to "
                            "%g %s", name, (int)len, text, value, infos[d].unit, infos[d].lo,
                            value_hi(d, sample_rate), infos[d].unit);
    goal->means.cmp[d] = cmp;
    if (d == SM_D_PITCH) goal->means.voiced_pitch = cmp;
    return 0;
}

/* Copies the next comma-separated item of *s (trimmed) into buf; 0 at the end of the list. */
static int next_item(const char **s, char *buf, size_t size)
{
    const char *p = *s, *e;
    size_t len;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return 0;
    e = strchr(p, ',');
    if (!e) e = p + strlen(p);
    len = (size_t)(e - p);
    while (len > 0 && isspace((unsigned char)p[len - 1])) len--;
    if (len >= size) len = size - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    *s = *e ? e + 1 : e;
    return 1;
}

/* Splits "name:rest" in place; *rest is NULL without a colon. Returns the descriptor or -1. */
static int split_name(char *item, char **rest)
{
    char *colon = strchr(item, ':');
    size_t len;
    *rest = NULL;
    if (colon) {
        *colon = '\0';
        *rest = colon + 1;
    }
    len = strlen(item);
    while (len > 0 && isspace((unsigned char)item[len - 1])) item[--len] = '\0';
    return sm_descriptor_find(item);
}

static int unknown_name(const char *item, sm_error *err)
{
    return sm_error_set(err, SM_ERR_FORMAT,
                        "unknown descriptor '%s' (known: loudness, percussivity, brightness, "
                        "tone-likeness, richness, noisiness, pitch)", item);
}

int sm_descr_goal_parse(const char *list, sm_descr_goal *goal, double sample_rate,
                        sm_error *err)
{
    char item[128];
    const char *s = list;
    int n = 0, rc, k;
    if (goal) {
        memset(goal, 0, sizeof *goal);
        for (k = 0; k < SM_D_COUNT; k++) goal->means.cmp[k] = NAN;
        goal->means.voiced_pitch = NAN;
    }
    if (!list || !goal) return sm_error_set(err, SM_ERR_ARG, "no descriptor list given");
    while (next_item(&s, item, sizeof item)) {
        char *rest;
        int d = split_name(item, &rest);
        if (d < 0) return unknown_name(item, err);
        if (!rest)
            return sm_error_set(err, SM_ERR_FORMAT, "%s: give a value as %s:VALUE", item, item);
        if (goal->given[d])
            return sm_error_set(err, SM_ERR_FORMAT, "%s is given twice", infos[d].name);
        if ((rc = sm_descr_goal_set(goal, d, rest, sample_rate, err)) != 0) return rc;
        n++;
    }
    if (n == 0) return sm_error_set(err, SM_ERR_FORMAT, "no descriptor values given");
    return 0;
}

int sm_descr_weights_parse(const char *list, double w[SM_D_COUNT], sm_error *err)
{
    char item[128];
    const char *s = list;
    unsigned char seen[SM_D_COUNT] = {0};
    int k, n = 0;
    if (w)
        for (k = 0; k < SM_D_COUNT; k++) w[k] = 0.0;
    if (!list || !w) return sm_error_set(err, SM_ERR_ARG, "no descriptor weights given");
    while (isspace((unsigned char)*s)) s++;
    if (strcasecmp(s, "all") == 0) {
        for (k = 0; k < SM_D_COUNT; k++) w[k] = 1.0;
        return 0;
    }
    while (next_item(&s, item, sizeof item)) {
        char *rest, *end;
        int d = split_name(item, &rest);
        if (d < 0) return unknown_name(item, err);
        if (seen[d]) return sm_error_set(err, SM_ERR_FORMAT, "%s is weighted twice", infos[d].name);
        seen[d] = 1;
        w[d] = 1.0;
        if (rest) {
            errno = 0;
            w[d] = strtod(rest, &end);
            while (isspace((unsigned char)*end)) end++;
            if (end == rest || *end || errno == ERANGE)
                return sm_error_set(err, SM_ERR_FORMAT, "%s: weight '%s' is not a number",
                                    infos[d].name, rest);
            if (!(w[d] >= 0 && w[d] <= 1000))
                return sm_error_set(err, SM_ERR_RANGE, "%s: weight %g is outside 0..1000",
                                    infos[d].name, w[d]);
        }
        n++;
    }
    if (n == 0) return sm_error_set(err, SM_ERR_FORMAT, "no descriptor weights given");
    return 0;
}
