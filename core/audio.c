/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/audio.c: reading audio through libsndfile (mix to mono, resample with libsamplerate)
 * and writing WAV files all-or-nothing (see core/audio.h). */
#include "core/audio.h"
#include "core/fileio.h"

#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens path for reading, telling a missing file from one libsndfile cannot parse. */
static SNDFILE *open_read(const char *path, SF_INFO *si, sm_error *err, int *rc)
{
    struct stat st;
    SNDFILE *sf;
    memset(si, 0, sizeof *si);
    if (stat(path, &st) != 0) {
        *rc = sm_error_set(err, SM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        *rc = sm_error_set(err, SM_ERR_IO, "%s: is a folder, not an audio file", path);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        *rc = sm_check_input_file(path, err);
        return NULL;
    }
    if (st.st_size == 0) {
        *rc = sm_error_set(err, SM_ERR_EMPTY, "%s: the file is empty (0 bytes)", path);
        return NULL;
    }
    sf = sf_open(path, SFM_READ, si);
    if (!sf) {
        *rc = sm_error_set(err, SM_ERR_FORMAT, "%s: not a readable audio file: %s", path,
                           sf_strerror(NULL));
        return NULL;
    }
    if (si->channels < 1 || si->samplerate < 1) {
        sf_close(sf);
        *rc = sm_error_set(err, SM_ERR_FORMAT, "%s: invalid header (%d channels, %d Hz)", path,
                           si->channels, si->samplerate);
        return NULL;
    }
    *rc = 0;
    return sf;
}

static void describe(SNDFILE *sf, const SF_INFO *si, const char *path, sm_audio_info *info)
{
    SF_FORMAT_INFO fi;
    const char *major = "unknown", *sub = "unknown";
    (void)sf;
    (void)path;
    memset(info, 0, sizeof *info);
    fi.format = si->format & SF_FORMAT_TYPEMASK;
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.name) major = fi.name;
    fi.format = si->format & SF_FORMAT_SUBMASK;
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.name) sub = fi.name;
    snprintf(info->format, sizeof info->format, "%s, %s", major, sub);
    info->channels = si->channels;
    info->sample_rate = si->samplerate;
    info->frames = si->frames > 0 ? (size_t)si->frames : 0;
}

int sm_audio_probe(const char *path, sm_audio_info *info, sm_error *err)
{
    SF_INFO si;
    int rc;
    SNDFILE *sf = open_read(path, &si, err, &rc);
    if (!sf) return rc;
    describe(sf, &si, path, info);
    sf_close(sf);
    return 0;
}

/* 1 if libsndfile's log of the header says the data chunk claims more bytes than the file
 * holds ("data : 88200 (should be 20000)" for WAV, "SSND : ..." for AIFF): libsndfile then
 * quietly reads what is there, and its frame count is already the shorter one. */
static int header_claims_more(SNDFILE *sf)
{
    char log[8192];
    const char *line = log;
    log[0] = '\0';
    sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
    log[sizeof log - 1] = '\0';
    while (*line) {
        const char *nl = strchr(line, '\n'), *l = line;
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        while (*l == ' ') l++;
        if ((strncmp(l, "data", 4) == 0 || strncmp(l, "SSND", 4) == 0) &&
            memmem(line, len, "(should be", 10))
            return 1;
        if (!nl) break;
        line = nl + 1;
    }
    return 0;
}

/* Samples in each chunk read from the file: memory grows with the data actually read,
 * never with what the header claims. */
#define SM_AUDIO_CHUNK_SAMPLES 65536

int sm_audio_read(const char *path, double target_rate, sm_audio *out, sm_audio_info *info,
                  sm_error *err)
{
    SF_INFO si;
    SNDFILE *sf;
    float *inter = NULL, *mono = NULL;
    size_t got = 0, cap = 0, max_frames, chunk, header_frames;
    int rc, ch, truncated;
    memset(out, 0, sizeof *out);
    if (info) memset(info, 0, sizeof *info);
    sf = open_read(path, &si, err, &rc);
    if (!sf) return rc;
    if (info) describe(sf, &si, path, info);
    if (si.frames <= 0) {
        sf_close(sf);
        return sm_error_set(err, SM_ERR_EMPTY, "%s: the file holds no audio (0 samples)", path);
    }
    if (target_rate < 0 || !isfinite(target_rate)) {
        sf_close(sf);
        return sm_error_set(err, SM_ERR_ARG, "%s: invalid target sample rate", path);
    }
    ch = si.channels;
    header_frames = (size_t)si.frames;
    max_frames = (size_t)SM_AUDIO_MAX_SECONDS * (size_t)si.samplerate;
    chunk = SM_AUDIO_CHUNK_SAMPLES / (size_t)ch ? SM_AUDIO_CHUNK_SAMPLES / (size_t)ch : 1;
    inter = malloc(chunk * (size_t)ch * sizeof *inter);
    if (!inter) {
        sf_close(sf);
        return sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        size_t k, i;
        sf_count_t n = sf_readf_float(sf, inter, (sf_count_t)chunk);
        if (n <= 0) break;
        k = (size_t)n;
        if (got + k > max_frames) {
            free(inter);
            free(mono);
            sf_close(sf);
            return sm_error_set(err, SM_ERR_RANGE,
                                "%s: longer than %d minutes (%zu samples at %d Hz); a target may "
                                "last at most that long", path, SM_AUDIO_MAX_SECONDS / 60,
                                max_frames, si.samplerate);
        }
        if (got + k > cap) {
            size_t ncap = cap ? 2 * cap : (header_frames < chunk ? header_frames : chunk);
            float *nm;
            if (ncap < got + k) ncap = got + k;
            if (ncap > max_frames) ncap = max_frames;
            nm = realloc(mono, ncap * sizeof *nm);
            if (!nm) {
                free(inter);
                free(mono);
                sf_close(sf);
                return sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", path);
            }
            mono = nm;
            cap = ncap;
        }
        for (i = 0; i < k; i++) {
            double s = 0;
            int c;
            for (c = 0; c < ch; c++) s += inter[i * (size_t)ch + (size_t)c];
            s /= ch;
            if (!isfinite(s)) {
                free(inter);
                free(mono);
                sf_close(sf);
                return sm_error_set(err, SM_ERR_NONFINITE,
                                    "%s: sample %zu is NaN or infinite", path, got + i);
            }
            mono[got + i] = (float)s;
        }
        got += k;
    }
    free(inter);
    truncated = got < header_frames || header_claims_more(sf);
    if (got == 0) {
        const char *why = sf_error(sf) ? sf_strerror(sf) : "the data ends before the first sample";
        free(mono);
        sf_close(sf);
        return sm_error_set(err, SM_ERR_FORMAT, "%s: no samples could be read (%s)", path, why);
    }
    sf_close(sf);
    if (info) {
        info->frames_read = got;
        info->truncated = truncated;
        if (truncated)
            snprintf(info->warning, sizeof info->warning,
                     "%s: the file is truncated: its header promises more audio than it holds; "
                     "read %zu samples (%.3f s)", path, got, (double)got / si.samplerate);
    }
    out->data = mono;
    out->n = got;
    out->sample_rate = si.samplerate;
    if (target_rate > 0 && fabs(target_rate - si.samplerate) > 1e-9) {
        float *res;
        size_t nres;
        rc = sm_audio_resample(mono, got, si.samplerate, target_rate, &res, &nres, err);
        if (rc) {
            sm_audio_free(out);
            return rc;
        }
        free(mono);
        out->data = res;
        out->n = nres;
        out->sample_rate = target_rate;
    }
    return 0;
}

int sm_audio_resample(const float *in, size_t n, double from_hz, double to_hz, float **out,
                      size_t *n_out, sm_error *err)
{
    SRC_DATA d;
    double ratio;
    size_t cap;
    float *buf;
    int e;
    *out = NULL;
    *n_out = 0;
    if (!in || n == 0 || !(from_hz > 0) || !(to_hz > 0))
        return sm_error_set(err, SM_ERR_ARG, "resample: invalid input (%zu samples, %g -> %g Hz)",
                            n, from_hz, to_hz);
    ratio = to_hz / from_hz;
    if (ratio > 256.0 || ratio < 1.0 / 256.0)
        return sm_error_set(err, SM_ERR_RANGE, "resample: ratio %g outside 1/256..256", ratio);
    cap = (size_t)ceil((double)n * ratio) + 16;
    buf = calloc(cap, sizeof *buf);
    if (!buf) return sm_error_set(err, SM_ERR_NOMEM, "resample: out of memory");
    memset(&d, 0, sizeof d);
    d.data_in = in;
    d.input_frames = (long)n;
    d.data_out = buf;
    d.output_frames = (long)cap;
    d.src_ratio = ratio;
    d.end_of_input = 1;
    e = src_simple(&d, SRC_SINC_BEST_QUALITY, 1);
    if (e) {
        free(buf);
        return sm_error_set(err, SM_ERR_ARG, "resample: %s", src_strerror(e));
    }
    *out = buf;
    *n_out = (size_t)d.output_frames_gen;
    return 0;
}

/* A mono WAV of format fmt at sample_rate, for sf_open_*. */
static void wav_info(SF_INFO *si, double sample_rate, sm_wav_format fmt)
{
    memset(si, 0, sizeof *si);
    si->samplerate = (int)lround(sample_rate);
    si->channels = 1;
    si->format = SF_FORMAT_WAV | (fmt == SM_WAV_PCM24   ? SF_FORMAT_PCM_24
                                  : fmt == SM_WAV_FLOAT ? SF_FORMAT_FLOAT
                                                        : SF_FORMAT_PCM_16);
}

int sm_audio_write_wav(const char *path, const float *x, size_t n, double sample_rate,
                       sm_wav_format fmt, sm_error *err)
{
    SF_INFO si;
    SNDFILE *sf;
    sm_outfile of;
    size_t i;
    int rc, fd;
    if (!path || (!x && n) || !(sample_rate >= 1) || sample_rate > 1e7)
        return sm_error_set(err, SM_ERR_ARG, "%s: invalid audio to write (rate %g Hz)",
                            path ? path : "(null)", sample_rate);
    for (i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return sm_error_set(err, SM_ERR_NONFINITE,
                                "%s: sample %zu to write is NaN or infinite", path, i);
    rc = sm_outfile_open(&of, path, err);
    if (rc) return rc;
    wav_info(&si, sample_rate, fmt);
    fd = fileno(of.f);
    fflush(of.f);
    sf = sf_open_fd(fd, SFM_WRITE, &si, 0);
    if (!sf) {
        sm_outfile_abort(&of);
        return sm_error_set(err, SM_ERR_IO, "%s: cannot write WAV: %s", path, sf_strerror(NULL));
    }
    if (fmt != SM_WAV_FLOAT) sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    if (n && sf_writef_float(sf, x, (sf_count_t)n) != (sf_count_t)n) {
        sm_error_set(err, SM_ERR_IO, "%s: write failed: %s", path, sf_strerror(sf));
        sf_close(sf);
        sm_outfile_abort(&of);
        return SM_ERR_IO;
    }
    if (sf_close(sf) != 0) {
        sm_outfile_abort(&of);
        return sm_error_set(err, SM_ERR_IO, "%s: write failed: %s", path, sf_strerror(NULL));
    }
    return sm_outfile_commit(&of, err);
}

/* ---- WAV in memory: libsndfile's virtual I/O over a growing buffer ---- */

typedef struct {
    unsigned char *d;
    size_t len, cap, pos;
    int nomem;
} mem_file;

static sf_count_t mem_len(void *u)
{
    return (sf_count_t)((mem_file *)u)->len;
}

static sf_count_t mem_seek(sf_count_t off, int whence, void *u)
{
    mem_file *m = u;
    sf_count_t base = whence == SEEK_CUR ? (sf_count_t)m->pos
                      : whence == SEEK_END ? (sf_count_t)m->len : 0;
    if (base + off < 0) return -1;
    m->pos = (size_t)(base + off);
    return (sf_count_t)m->pos;
}

static sf_count_t mem_read(void *ptr, sf_count_t count, void *u)
{
    mem_file *m = u;
    size_t k = m->pos < m->len ? m->len - m->pos : 0;
    if ((size_t)count < k) k = (size_t)count;
    memcpy(ptr, m->d + m->pos, k);
    m->pos += k;
    return (sf_count_t)k;
}

static sf_count_t mem_write(const void *ptr, sf_count_t count, void *u)
{
    mem_file *m = u;
    size_t end = m->pos + (size_t)count;
    if (end > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        unsigned char *d;
        while (cap < end) cap *= 2;
        if (!(d = realloc(m->d, cap))) {
            m->nomem = 1;
            return 0;
        }
        m->d = d;
        m->cap = cap;
    }
    if (m->pos > m->len) memset(m->d + m->len, 0, m->pos - m->len);
    memcpy(m->d + m->pos, ptr, (size_t)count);
    m->pos = end;
    if (end > m->len) m->len = end;
    return count;
}

static sf_count_t mem_tell(void *u)
{
    return (sf_count_t)((mem_file *)u)->pos;
}

int sm_audio_wav_bytes(const float *x, size_t n, double sample_rate, sm_wav_format fmt,
                       const char *what, unsigned char **out, size_t *len, sm_error *err)
{
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    mem_file m;
    SF_INFO si;
    SNDFILE *sf;
    size_t i;
    int ok;
    if (!what) what = "audio";
    if (out) *out = NULL;
    if (len) *len = 0;
    if (!out || !len || (!x && n) || !(sample_rate >= 1) || sample_rate > 1e7)
        return sm_error_set(err, SM_ERR_ARG, "%s: invalid audio to encode (rate %g Hz)", what,
                            sample_rate);
    for (i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return sm_error_set(err, SM_ERR_NONFINITE,
                                "%s: sample %zu to encode is NaN or infinite", what, i);
    memset(&m, 0, sizeof m);
    wav_info(&si, sample_rate, fmt);
    sf = sf_open_virtual(&io, SFM_WRITE, &si, &m);
    if (!sf) {
        free(m.d);
        if (m.nomem) return sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", what);
        return sm_error_set(err, SM_ERR_IO, "%s: cannot encode WAV: %s", what, sf_strerror(NULL));
    }
    if (fmt != SM_WAV_FLOAT) sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    ok = !n || sf_writef_float(sf, x, (sf_count_t)n) == (sf_count_t)n;
    if (sf_close(sf) != 0) ok = 0;
    if (!ok || m.nomem) {
        free(m.d);
        if (m.nomem) return sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", what);
        return sm_error_set(err, SM_ERR_IO, "%s: cannot encode WAV", what);
    }
    *out = m.d;
    *len = m.len;
    return 0;
}

int sm_audio_fit(sm_audio *a, size_t n)
{
    float *d;
    if (n == a->n) return 0;
    d = realloc(a->data, (n ? n : 1) * sizeof *d);
    if (!d) return SM_ERR_NOMEM;
    if (n > a->n) memset(d + a->n, 0, (n - a->n) * sizeof *d);
    a->data = d;
    a->n = n;
    return 0;
}

double sm_audio_peak(const float *x, size_t n)
{
    double p = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        double v = fabs(x[i]);
        if (v > p) p = v;
    }
    return p;
}

double sm_audio_rms(const float *x, size_t n)
{
    double s = 0;
    size_t i;
    if (!n) return 0;
    for (i = 0; i < n; i++) s += (double)x[i] * x[i];
    return sqrt(s / (double)n);
}

void sm_audio_free(sm_audio *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}
