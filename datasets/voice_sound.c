/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/voice_sound.c: descriptors of one rendered DX7 voice and the garbage filter (see
 * datasets/voice_sound.h).
 *
 * Two views of the render:
 * - the loudness envelope: RMS over blocks of 256 samples (5.8 ms at 44.1 kHz) over the whole
 *   render, in dB; attack, decay, sustain and release are read from it;
 * - per-frame descriptors (features/features.h: RMS, spectral centroid, flatness, YIN pitch;
 *   2048-point frames, hop 2048, YIN from 50 to 2000 Hz with threshold 0.1) over the held part
 *   only, where the
 *   note is sounding as played; brightness, noisiness and pitch are read from them, over the
 *   "loud" frames, those within 40 dB of the loudest.
 * Times that are not reached inside the render (a decay slower than the gate, a release longer
 * than the rendered tail) are extrapolated from the envelope's slope in dB and capped at 10 s,
 * so slow and very slow stay apart instead of both reading as "the whole gate". */
#include "datasets/voice_sound.h"
#include "core/audio.h"
#include "features/features.h"
#include "synths/fm6.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VS_BLOCK 256
#define VS_DC_BLOCKS 8          /* DC frames: 8 blocks, 2048 samples */
#define VS_N_FFT 2048
#define VS_HOP 2048
#define VS_LOUD_DB 40.0         /* loud frames: within this of the loudest */
#define VS_STABLE_CENTS 50.0    /* pitch stability: within this of the median */
#define VS_SETTLE_SHARE 0.4     /* pitch error: over this last share of the loud frames */
#define VS_ATTACK_DB 3.0
#define VS_DECAY_DB 20.0
#define VS_RELEASE_DB 30.0
#define VS_DEAD_DB 40.0         /* no release: already this far down at the release */
#define VS_TAIL_S 0.1           /* sustain: the envelope over the gate's last 100 ms */
#define VS_MAX_TIME_S 10.0
/* The peak at velocity 127 is measured only when the peak at velocity 100 is at least this
 * share of full scale. In the DX7's velocity curve (synths/fm6.c, scale_velocity) velocity 127
 * raises an operator over velocity 100 by at most 208 microsteps of 0.0235 dB, 4.9 dB (a factor
 * of 1.76) at sensitivity 7; the sum of several carriers can peak higher still: over the 31,380
 * voices of voices31380.bin the largest ratio of the two peaks is 2.23 (measured with every
 * voice rendered at both velocities). 0.44 x 2.25 < 1. */
#define VS_HARD_CHECK_PEAK 0.44

struct sm_voice_analyser {
    sm_voice_render_config cfg;
    void *synth;
    size_t n, n_gate, n_blocks;
    float *out, *hard;
    double *env;               /* n_blocks, dB */
    double *bsum, *bsq;        /* n_blocks: sum and sum of squares of each block */
    sm_descr_plan *plan;
    sm_descr descr;
    double *tmp;               /* frames: scratch for medians */
};

sm_voice_render_config sm_voice_render_config_default(void)
{
    sm_voice_render_config c;
    c.note = 60;
    c.velocity = 100;
    c.gate_s = 1.0;
    c.length_s = 2.0;
    c.sample_rate = 44100;
    return c;
}

int sm_voice_render_config_check(const sm_voice_render_config *c, sm_error *err)
{
    if (!c) return sm_error_set(err, SM_ERR_ARG, "voice render: no config");
    if (!(c->note >= 12 && c->note <= 108))
        return sm_error_set(err, SM_ERR_CONFIG, "voice render: note %g (12 to 108)", c->note);
    if (!(c->velocity >= 1 && c->velocity <= 127))
        return sm_error_set(err, SM_ERR_CONFIG, "voice render: velocity %g (1 to 127)",
                            c->velocity);
    if (!(c->sample_rate >= 16000 && c->sample_rate <= 192000))
        return sm_error_set(err, SM_ERR_CONFIG, "voice render: sample rate %g Hz (16000 to "
                            "192000)", c->sample_rate);
    if (!(c->gate_s >= 0.2 && c->gate_s <= 29.8))
        return sm_error_set(err, SM_ERR_CONFIG, "voice render: gate %g s (0.2 to 29.8)",
                            c->gate_s);
    if (!(c->length_s >= c->gate_s + 0.2 && c->length_s <= 30))
        return sm_error_set(err, SM_ERR_CONFIG, "voice render: length %g s (the gate + 0.2 s "
                            "to 30 s)", c->length_s);
    return 0;
}

void sm_voice_features(const sm_voice_descr *d, double out[SM_VOICE_NFEAT])
{
    out[0] = log10(d->attack_s + 0.005);
    out[1] = log10(d->decay_s + 0.01);
    out[2] = d->sustain_db / 20.0;
    out[3] = log10(d->release_s + 0.01);
    out[4] = d->brightness;
    out[5] = d->pitch_stability;
    out[6] = log10(d->noisiness + 0.001);
}

const char *sm_voice_feature_name(int i)
{
    static const char *const names[SM_VOICE_NFEAT] = {
        "attack", "decay", "sustain", "release", "brightness", "pitch stability", "noisiness"};
    return i >= 0 && i < SM_VOICE_NFEAT ? names[i] : "?";
}

void sm_voice_analyser_free(sm_voice_analyser *a)
{
    if (!a) return;
    if (a->synth) sm_synth_fm6.free(a->synth);
    free(a->out);
    free(a->hard);
    free(a->env);
    free(a->bsum);
    free(a->bsq);
    free(a->tmp);
    sm_descr_plan_free(a->plan);
    sm_descr_free(&a->descr);
    free(a);
}

sm_voice_analyser *sm_voice_analyser_alloc(const sm_voice_render_config *c, sm_error *err)
{
    sm_voice_analyser *a;
    sm_descr_config dc;
    size_t frames;
    if (sm_voice_render_config_check(c, err)) return NULL;
    if (!(a = calloc(1, sizeof *a))) goto nomem;
    a->cfg = *c;
    a->n = (size_t)lrint(c->length_s * c->sample_rate);
    a->n_gate = (size_t)lrint(c->gate_s * c->sample_rate);
    a->n_blocks = (a->n + VS_BLOCK - 1) / VS_BLOCK;
    a->synth = sm_synth_fm6.alloc(c->sample_rate, err);
    if (!a->synth) {
        sm_voice_analyser_free(a);
        return NULL;
    }
    dc = sm_descr_config_default(c->sample_rate);
    dc.n_fft = VS_N_FFT;
    dc.hop = VS_HOP;
    dc.fmin_hz = 50;
    dc.fmax_hz = 2000;
    /* the YIN paper's threshold 0.1: a laxer 0.2 takes the dip of a strong upper partial
     * for the period (a voice with carriers at 2 and 3 times F2 read as C4) */
    a->plan = sm_descr_plan_alloc(&dc, a->n_gate, err);
    if (!a->plan) {
        sm_voice_analyser_free(a);
        return NULL;
    }
    frames = sm_descr_n_frames(&dc, a->n_gate);
    a->out = malloc(a->n * sizeof *a->out);
    a->hard = malloc(a->n_gate * sizeof *a->hard);
    a->env = malloc(a->n_blocks * sizeof *a->env);
    a->bsum = malloc(a->n_blocks * sizeof *a->bsum);
    a->bsq = malloc(a->n_blocks * sizeof *a->bsq);
    a->tmp = malloc(frames * sizeof *a->tmp);
    if (!a->out || !a->hard || !a->env || !a->bsum || !a->bsq || !a->tmp ||
        sm_descr_alloc(&a->descr, frames) != 0) {
        sm_voice_analyser_free(a);
        goto nomem;
    }
    return a;
nomem:
    sm_error_set(err, SM_ERR_NOMEM, "voice analyser: out of memory");
    return NULL;
}

size_t sm_voice_analyser_samples(const sm_voice_analyser *a)
{
    return a ? a->n : 0;
}

const float *sm_voice_analyser_audio(const sm_voice_analyser *a)
{
    return a ? a->out : NULL;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

/* The median of x[0..n) (sorted in place); NaN for n 0. */
static double median(double *x, size_t n)
{
    if (n == 0) return NAN;
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* Mean power of envelope blocks [b0, b1) in dB (env holds dB). */
static double env_mean_db(const double *env, size_t b0, size_t b1)
{
    double s = 0;
    size_t b;
    if (b1 <= b0) return env[b0];
    for (b = b0; b < b1; b++) s += pow(10.0, env[b] / 10.0);
    return 10.0 * log10(s / (double)(b1 - b0));
}

/* Time for the envelope to fall drop_db below ref_db, counted from block b0, looking at
 * blocks [b0, b1): measured if it gets there, otherwise extrapolated from the slope between
 * block b0 and the mean of the last tail blocks before b1; capped at VS_MAX_TIME_S. */
static double fall_time(const sm_voice_analyser *a, size_t b0, size_t b1, double ref_db,
                        double drop_db, size_t tail)
{
    const double block_s = VS_BLOCK / a->cfg.sample_rate;
    double end_db, dt, slope;
    size_t b;
    for (b = b0; b < b1; b++)
        if (a->env[b] <= ref_db - drop_db) return (double)(b - b0) * block_s;
    if (tail > b1 - b0) tail = b1 - b0;
    end_db = env_mean_db(a->env, b1 - tail, b1);
    dt = ((double)(b1 - tail / 2) - (double)b0) * block_s;
    slope = (ref_db - end_db) / (dt > block_s ? dt : block_s); /* dB per second, falling */
    if (!(slope > drop_db / VS_MAX_TIME_S)) return VS_MAX_TIME_S;
    return drop_db / slope;
}

/* DC: over frames of VS_DC_BLOCKS blocks while the key is held, |mean| / RMS of each frame
 * within VS_LOUD_DB of the loudest, their mean weighted by RMS. A frame short enough (46 ms)
 * sees sub-audio movement (a carrier fixed at 1 Hz) as the offset it is to a listener, where
 * a mean over the whole gate would see a slow wave average out. */
static double dc_share(const sm_voice_analyser *a, size_t gate_blocks)
{
    const size_t frames = gate_blocks / VS_DC_BLOCKS;
    double top = 0, wsum = 0, dsum = 0;
    size_t f, b;
    for (f = 0; f < frames; f++) {
        double e = 0;
        for (b = f * VS_DC_BLOCKS; b < (f + 1) * VS_DC_BLOCKS; b++) e += a->bsq[b];
        if (e > top) top = e;
    }
    for (f = 0; f < frames; f++) {
        double s1 = 0, e = 0, rms;
        for (b = f * VS_DC_BLOCKS; b < (f + 1) * VS_DC_BLOCKS; b++) {
            s1 += a->bsum[b];
            e += a->bsq[b];
        }
        if (!(e > 0) || 10.0 * log10(e / top) < -VS_LOUD_DB) continue;
        rms = sqrt(e / (VS_DC_BLOCKS * VS_BLOCK));
        wsum += rms;
        dsum += rms * fabs(s1 / (VS_DC_BLOCKS * VS_BLOCK)) / rms;
    }
    return wsum > 0 ? dsum / wsum : 0;
}

static int measure(sm_voice_analyser *a, const float *x, size_t n, sm_voice_descr *d)
{
    const sm_voice_render_config *c = &a->cfg;
    const double block_s = VS_BLOCK / c->sample_rate;
    const double f_note = 440.0 * pow(2.0, (c->note - 69.0) / 12.0);
    const size_t gate_blocks = a->n_gate / VS_BLOCK;
    const size_t tail_blocks = (size_t)lrint(VS_TAIL_S / block_s);
    double top = -HUGE_VAL, ss = 0, peak = 0, frame_top = 0;
    size_t b, i, bmax = 0, n_loud = 0, n_voiced = 0, first_settle;
    int rc;

    memset(d, 0, sizeof *d);
    d->pitch_error_cents = NAN;
    d->sustain_db = -80;
    /* envelope and level over the render; samples past n read as zero */
    for (b = 0; b < a->n_blocks; b++) {
        double e = 0, s1 = 0;
        size_t i0 = b * VS_BLOCK, i1 = i0 + VS_BLOCK;
        if (i1 > a->n) i1 = a->n;
        for (i = i0; i < i1 && i < n; i++) {
            double v = x[i];
            if (!isfinite(v)) return SM_ERR_NONFINITE;
            e += v * v;
            s1 += v;
            if (fabs(v) > peak) peak = fabs(v);
            if (i < a->n_gate) ss += v * v;
        }
        a->bsum[b] = s1;
        a->bsq[b] = e;
        a->env[b] = 10.0 * log10(e / (double)(i1 - i0) + 1e-24);
        if (a->env[b] > top) {
            top = a->env[b];
            bmax = b;
        }
    }
    d->peak = d->peak_hard = peak;
    d->level_db = 10.0 * log10(ss / (double)a->n_gate + 1e-24);
    d->dc = dc_share(a, gate_blocks);
    if (!(peak > 0)) {
        d->decay_s = d->release_s = 0;
        return 0;
    }
    /* attack, decay, sustain, release */
    for (b = 0; b <= bmax; b++)
        if (a->env[b] >= top - VS_ATTACK_DB) break;
    d->attack_s = (double)b * block_s;
    {
        double sus = env_mean_db(a->env, gate_blocks - tail_blocks, gate_blocks);
        d->sustain_db = sus - top < -80 ? -80 : sus - top;
        if (bmax < gate_blocks)
            d->decay_s = fall_time(a, bmax, gate_blocks, top, VS_DECAY_DB, tail_blocks);
        else
            d->decay_s = VS_MAX_TIME_S; /* still rising at the release */
        if (d->sustain_db < -VS_DEAD_DB)
            d->release_s = 0;
        else
            d->release_s = fall_time(a, gate_blocks, a->n_blocks, sus, VS_RELEASE_DB,
                                     tail_blocks);
    }

    /* spectral descriptors over the held part */
    rc = sm_descr_compute(a->plan, x, n < a->n_gate ? n : a->n_gate, &a->descr);
    if (rc) return rc;
    {
        const sm_descr *f = &a->descr;
        double wsum = 0, bsum = 0, nsum = 0, med;
        size_t t, stable = 0;
        for (t = 0; t < f->n_frames; t++)
            if (f->rms[t] > frame_top) frame_top = f->rms[t];
        for (t = 0; t < f->n_frames; t++) {
            double w = f->rms[t];
            if (!(w > 0) || 20.0 * log10(w / frame_top) < -VS_LOUD_DB) continue;
            n_loud++;
            wsum += w;
            bsum += w * log2((f->centroid_hz[t] > 1 ? f->centroid_hz[t] : 1) / f_note);
            nsum += w * f->flatness[t];
            if (f->pitch_hz[t] > 0) a->tmp[n_voiced++] = f->pitch_hz[t];
        }
        d->brightness = wsum > 0 ? bsum / wsum : 0;
        d->noisiness = wsum > 0 ? nsum / wsum : 1;
        med = median(a->tmp, n_voiced);
        for (t = 0; t < f->n_frames && n_voiced; t++) {
            double w = f->rms[t];
            if (!(w > 0) || 20.0 * log10(w / frame_top) < -VS_LOUD_DB) continue;
            if (f->pitch_hz[t] > 0 && fabs(1200.0 * log2(f->pitch_hz[t] / med)) <= VS_STABLE_CENTS)
                stable++;
        }
        d->pitch_stability = n_loud ? (double)stable / (double)n_loud : 0;
        /* the last VS_SETTLE_SHARE of the loud frames (at least 3 of them) */
        first_settle = n_loud - (size_t)ceil(VS_SETTLE_SHARE * (double)n_loud);
        if (n_loud - first_settle < 3) first_settle = n_loud > 3 ? n_loud - 3 : 0;
        {
            size_t k = 0, nv = 0;
            for (t = 0; t < f->n_frames; t++) {
                double w = f->rms[t];
                if (!(w > 0) || 20.0 * log10(w / frame_top) < -VS_LOUD_DB) continue;
                if (k++ < first_settle) continue;
                if (f->pitch_hz[t] > 0) a->tmp[nv++] = f->pitch_hz[t];
            }
            if (nv >= 3) {
                double cents = 1200.0 * log2(median(a->tmp, nv) / f_note);
                d->pitch_error_cents = cents - 1200.0 * floor(cents / 1200.0 + 0.5);
            }
        }
    }
    return 0;
}

int sm_voice_measure(sm_voice_analyser *a, const float *x, size_t n, sm_voice_descr *d)
{
    if (!a || !x || !d || n == 0) return SM_ERR_ARG;
    return measure(a, x, n, d);
}

int sm_voice_analyse(sm_voice_analyser *a, const double *native, sm_voice_descr *d)
{
    sm_note note = sm_note_default();
    int rc;
    if (!a || !native || !d) return SM_ERR_ARG;
    note.note = a->cfg.note;
    note.velocity = a->cfg.velocity;
    note.gate_s = a->cfg.gate_s;
    note.length_s = a->cfg.length_s;
    rc = sm_synth_fm6.render(a->synth, native, &note, a->out, a->n);
    if (rc) {
        memset(a->out, 0, a->n * sizeof *a->out);
        measure(a, a->out, a->n, d);
        return rc;
    }
    rc = measure(a, a->out, a->n, d);
    if (rc) return rc;
    if (d->peak >= VS_HARD_CHECK_PEAK && a->cfg.velocity < 127) {
        note.velocity = 127;
        if (sm_synth_fm6.render(a->synth, native, &note, a->hard, a->n_gate) == 0)
            d->peak_hard = fmax(d->peak, sm_audio_peak(a->hard, a->n_gate));
    }
    return 0;
}

/* ---- Garbage ------------------------------------------------------------------------------ */

sm_garbage_limits sm_garbage_limits_default(void)
{
    sm_garbage_limits g;
    g.silent_peak = 0.001;
    g.clip_peak = 1.0;
    g.dc = 0.7;
    g.scream_level_db = -20;
    g.scream_brightness = 4.0;
    g.scream_noisiness = 0.25;
    g.pitch_cents = 50;
    return g;
}

unsigned sm_garbage_check(const sm_voice_descr *d, const sm_garbage_limits *limits, int pitched)
{
    sm_garbage_limits def = sm_garbage_limits_default();
    const sm_garbage_limits *g = limits ? limits : &def;
    unsigned r = 0;
    if (!d || !(d->peak >= g->silent_peak)) return SM_GARBAGE_SILENT;
    if (d->peak_hard >= g->clip_peak) r |= SM_GARBAGE_CLIP;
    if (d->dc >= g->dc) r |= SM_GARBAGE_DC;
    if (d->level_db >= g->scream_level_db && d->brightness >= g->scream_brightness &&
        d->noisiness >= g->scream_noisiness)
        r |= SM_GARBAGE_SCREAM;
    if (pitched && !(fabs(d->pitch_error_cents) <= g->pitch_cents)) r |= SM_GARBAGE_PITCH;
    return r;
}

const char *sm_garbage_reason_name(int i)
{
    static const char *const names[SM_GARBAGE_NREASONS] = {"silent", "clip", "dc", "scream",
                                                           "pitch"};
    return i >= 0 && i < SM_GARBAGE_NREASONS ? names[i] : "?";
}
