/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/mtpreset_write.c: writing Microtonic .mtpreset files (see synths/mtpreset.h).
 *
 * Writing prints a complete preset in the layout Microtonic itself writes, each number in the
 * shortest fixed-point form that reads back to the same double. */
#include "synths/mtpreset.h"
#include "synths/mtpreset_internal.h"

#include "core/fileio.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Writing                                                                                    */

typedef struct {
    char *buf;
    size_t len, cap;
    int nomem;
} strbuf;

static void sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (sb->nomem) return;
    for (;;) {
        size_t room = sb->cap - sb->len;
        va_start(ap, fmt);
        n = vsnprintf(sb->buf ? sb->buf + sb->len : NULL, sb->buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            sb->nomem = 1;
            return;
        }
        if (sb->buf && (size_t)n < room) {
            sb->len += (size_t)n;
            return;
        }
        {
            size_t cap = sb->cap ? sb->cap * 2 : 16384;
            char *b;
            while (cap < sb->len + (size_t)n + 1) cap *= 2;
            b = realloc(sb->buf, cap);
            if (!b) {
                sb->nomem = 1;
                return;
            }
            sb->buf = b;
            sb->cap = cap;
        }
    }
}

/* The shortest fixed-point text of v that reads back as v, always with a decimal point
 * ("0.0", "48.06096133732516", "0.00000762939453125"), as Microtonic writes numbers. */
static void fmt_number(double v, char *out, size_t len)
{
    int d;
    if (v == 0) v = 0; /* no "-0.0" */
    for (d = 1; d <= 30; d++) {
        snprintf(out, len, "%.*f", d, v);
        if (strtod(out, NULL) == v) break;
    }
    if (d > 30) snprintf(out, len, "%.17g", v);
}

/* A string with quotes and backslashes escaped (at most SM_MTPRESET_NAME_MAX chars kept). */
static void fmt_string(const char *s, char *out, size_t len)
{
    size_t n = 0;
    for (; s && *s && n + 3 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') out[n++] = '\\';
        out[n++] = c < ' ' ? ' ' : (char)c;
    }
    out[n] = '\0';
}

static int is_attack_zero(double v)
{
    return v <= SM_DRUM_ATK_MIN_MS * (1 + 1e-9);
}

static void format_patch(strbuf *sb, const sm_mtpreset_patch *pt, int channel)
{
    const double *x = pt->native;
    char a[64], b[64], name[2 * SM_MTPRESET_NAME_MAX + 4], path[2 * sizeof pt->path + 4];
    int mode = (int)x[SM_DRUM_MOD_MODE];
    double amt = x[SM_DRUM_MOD_AMT_ST];
#define NUM(v) (fmt_number((v), a, sizeof a), a)
    fmt_string(pt->name, name, sizeof name);
    sb_printf(sb, "\t\t\"%d\": {\n", channel);
    sb_printf(sb, "\t\t\tName: \"%s\"\n", name);
    sb_printf(sb, "\t\t\tModified: true\n");
    if (pt->path[0]) {
        fmt_string(pt->path, path, sizeof path);
        sb_printf(sb, "\t\t\tPath: \"%s\"\n", path);
    }
    sb_printf(sb, "\t\t\tOscWave: \"%s\"\n", sm_mtp_wave_names[(int)x[SM_DRUM_OSC_WAVE]].label);
    sb_printf(sb, "\t\t\tOscFreq: \"%s Hz\"\n", NUM(x[SM_DRUM_OSC_FREQ_HZ]));
    sb_printf(sb, "\t\t\tOscAtk: \"%s ms\"\n",
              is_attack_zero(x[SM_DRUM_OSC_ATK_MS]) ? "0.0" : NUM(x[SM_DRUM_OSC_ATK_MS]));
    sb_printf(sb, "\t\t\tOscDcy: \"%s ms\"\n", NUM(x[SM_DRUM_OSC_DCY_MS]));
    sb_printf(sb, "\t\t\tModMode: \"%s\"\n", sm_mtp_mod_names[mode].label);
    if (mode == SM_DRUM_MOD_DECAY) {
        double t = sm_drum_mod_rate_value(mode, x[SM_DRUM_MOD_RATE]);
        sb_printf(sb, "\t\t\tModRate: \"%s ms\"\n", isinf(t) ? "inf" : NUM(t));
    } else {
        sb_printf(sb, "\t\t\tModRate: \"%s Hz\"\n",
                  NUM(sm_drum_mod_rate_value(mode, x[SM_DRUM_MOD_RATE])));
        /* Microtonic's sine and random amounts span -48..48 semitones (the voice clamps too) */
        amt = amt < -48 ? -48 : amt > 48 ? 48 : amt;
    }
    sb_printf(sb, "\t\t\tModAmt: \"%s sm\"\n", NUM(amt));
    sb_printf(sb, "\t\t\tNFilMod: \"%s\"\n", sm_mtp_filter_names[(int)x[SM_DRUM_NFIL_MODE]].label);
    sb_printf(sb, "\t\t\tNFilFrq: \"%s Hz\"\n", NUM(x[SM_DRUM_NFIL_FREQ_HZ]));
    sb_printf(sb, "\t\t\tNFilQ: \"%s\"\n", NUM(x[SM_DRUM_NFIL_Q]));
    sb_printf(sb, "\t\t\tNStereo: \"%s\"\n", sm_mtp_onoff_names[(int)x[SM_DRUM_NSTEREO]].label);
    sb_printf(sb, "\t\t\tNEnvMod: \"%s\"\n", sm_mtp_nenv_names[(int)x[SM_DRUM_NENV_MODE]].label);
    sb_printf(sb, "\t\t\tNEnvAtk: \"%s ms\"\n",
              is_attack_zero(x[SM_DRUM_NENV_ATK_MS]) ? "0.0" : NUM(x[SM_DRUM_NENV_ATK_MS]));
    sb_printf(sb, "\t\t\tNEnvDcy: \"%s ms\"\n", NUM(x[SM_DRUM_NENV_DCY_MS]));
    fmt_number(100 - x[SM_DRUM_MIX_OSC_PCT], b, sizeof b);
    sb_printf(sb, "\t\t\tMix: \"%s / %s\"\n", NUM(x[SM_DRUM_MIX_OSC_PCT]), b);
    sb_printf(sb, "\t\t\tDistAmt: \"%s\"\n", NUM(x[SM_DRUM_DIST_AMT]));
    sb_printf(sb, "\t\t\tEQFreq: \"%s Hz\"\n", NUM(x[SM_DRUM_EQ_FREQ_HZ]));
    sb_printf(sb, "\t\t\tEQGain: \"%s dB\"\n", NUM(x[SM_DRUM_EQ_GAIN_DB]));
    sb_printf(sb, "\t\t\tLevel: \"%s dB\"\n", NUM(x[SM_DRUM_LEVEL_DB]));
    sb_printf(sb, "\t\t\tPan: \"%s\"\n", NUM(pt->pan));
    sb_printf(sb, "\t\t\tOutput: \"%s\"\n", pt->output_b ? "B" : "A");
    sb_printf(sb, "\t\t\tChoke: \"%s\"\n", pt->choke ? "On" : "Off");
    sb_printf(sb, "\t\t\tOscVel: \"%s%%\"\n", NUM(x[SM_DRUM_OSC_VEL_PCT]));
    sb_printf(sb, "\t\t\tNVel: \"%s%%\"\n", NUM(x[SM_DRUM_NOISE_VEL_PCT]));
    sb_printf(sb, "\t\t\tModVel: \"%s%%\"\n", NUM(x[SM_DRUM_MOD_VEL_PCT]));
    sb_printf(sb, "\t\t}\n");
#undef NUM
}

int sm_mtpreset_format(const sm_mtpreset_patch *patches, size_t n, char **text, size_t *len,
                       sm_error *err)
{
    strbuf sb = {NULL, 0, 0, 0};
    size_t i;
    int ch, rc;
    if (text) *text = NULL;
    if (len) *len = 0;
    if (!text || (!patches && n) || n > SM_MTPRESET_MAX_PATCHES)
        return sm_error_set(err, SM_ERR_ARG, "sm_mtpreset_format: %zu patches (0..8 allowed)",
                            n);
    for (i = 0; i < n; i++) {
        rc = sm_params_check(sm_synth_drum.space, patches[i].native, err);
        if (rc) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            return sm_error_set(err, rc, "drum patch %zu: %s", i + 1, msg);
        }
        if (!(fabs(patches[i].pan) <= 100))
            return sm_error_set(err, SM_ERR_RANGE, "drum patch %zu: pan %g is outside -100..100",
                                i + 1, patches[i].pan);
    }
    sb_printf(&sb, "MicrotonicPresetV3: {\n");
    sb_printf(&sb, "\tPattern: \"a\"\n\tStepRate: \"1/16\"\n\tSwing: \"0.0%%\"\n");
    sb_printf(&sb, "\tFillRate: \"2.0x\"\n\tMastVol: \"0.0 dB\"\n");
    sb_printf(&sb, "\tMutes: { \"Off\", \"Off\", \"Off\", \"Off\", \"Off\", \"Off\", \"Off\", "
              "\"Off\" }\n");
    sb_printf(&sb, "\tDrumPatches: {\n");
    for (ch = 1; ch <= SM_MTPRESET_MAX_PATCHES; ch++) {
        if ((size_t)ch <= n) {
            format_patch(&sb, &patches[ch - 1], ch);
        } else {
            sm_mtpreset_patch init;
            sm_mtpreset_patch_init(&init, ch, "");
            format_patch(&sb, &init, ch);
        }
    }
    sb_printf(&sb, "\t}\n\tPatterns: {\n");
    for (i = 0; i < 12; i++) {
        sb_printf(&sb, "\t\t%c: {\n\t\t\tLength: 16\n", (char)('a' + i));
        if (i < 11) sb_printf(&sb, "\t\t\tChained: false\n");
        for (ch = 1; ch <= 8; ch++)
            sb_printf(&sb, "\t\t\t\"%d\": {\n\t\t\t\tTriggers: \"----------------\"\n"
                      "\t\t\t\tAccents:  \"----------------\"\n"
                      "\t\t\t\tFills:    \"----------------\"\n\t\t\t}\n", ch);
        sb_printf(&sb, "\t\t}\n");
    }
    sb_printf(&sb, "\t}\n}\n");
    if (sb.nomem) {
        free(sb.buf);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    *text = sb.buf;
    if (len) *len = sb.len;
    return 0;
}

int sm_mtpreset_write(const char *path, const sm_mtpreset_patch *patches, size_t n,
                      sm_error *err)
{
    char *text;
    size_t len;
    int rc;
    if (!path) return sm_error_set(err, SM_ERR_ARG, "sm_mtpreset_write: no path");
    rc = sm_mtpreset_format(patches, n, &text, &len, err);
    if (rc) return rc;
    rc = sm_write_file(path, text, len, err);
    free(text);
    return rc;
}

int sm_mtpreset_patch_save(const char *path, const double *native, const char *name,
                           sm_error *err)
{
    sm_mtpreset_patch pt;
    if (!path || !native) return sm_error_set(err, SM_ERR_ARG, "drum patch_save: NULL argument");
    sm_mtpreset_patch_init(&pt, 1, name ? name : "soundmatch");
    memcpy(pt.native, native, sizeof pt.native);
    return sm_mtpreset_write(path, &pt, 1, err);
}
