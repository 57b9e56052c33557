/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/mtpreset.c: reading Microtonic .mtpreset files, and the drum synth's patch hooks
 * (see synths/mtpreset.h; writing is in mtpreset_write.c).
 *
 * Reading has two layers. A tokenizer and recursive-descent parser turn the brace-nested text
 * (Sonic Charge's "Numbstrict"-style format: `Key: value`, `"1": { ... }`, `{ "Off", "On" }`,
 * quoted strings, bare words and numbers, // and block comments) into a small tree of nodes,
 * each remembering its line. The second layer walks the tree: the root must be
 * MicrotonicPresetV*, DrumPatches holds the patches, and each patch key is converted from its
 * unit-carrying string into the drum voice's native value. Everything is checked; problems
 * that Microtonic itself would shrug off (unknown keys, out-of-range values, missing keys)
 * become warnings, and broken syntax becomes an error naming the line. */
#include "synths/mtpreset.h"
#include "synths/mtpreset_internal.h"

#include "core/fileio.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_DEPTH 64

/* ------------------------------------------------------------------------------------------ */
/* Parse tree                                                                                 */

typedef struct node {
    char *key;            /* NULL for list items */
    char *value;          /* scalar text; NULL for an object */
    int is_object;
    int line;
    struct node *child;   /* object members in order */
    struct node *next;
} node;

static void node_free(node *n)
{
    while (n) {
        node *next = n->next;
        node_free(n->child);
        free(n->key);
        free(n->value);
        free(n);
        n = next;
    }
}

typedef enum {
    TOK_EOF, TOK_LBRACE, TOK_RBRACE, TOK_COLON, TOK_COMMA, TOK_STRING, TOK_BARE
} tok_kind;

typedef struct {
    const char *p, *end, *name;
    int line;
    tok_kind kind;        /* the current token */
    int tok_line;
    char *text;           /* its text (STRING, BARE), owned until taken */
    sm_error *err;
    int failed;
} parser;

static int parse_fail(parser *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int parse_fail(parser *ps, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!ps->failed) sm_error_set(ps->err, SM_ERR_FORMAT, "%s:%d: %s", ps->name, line, msg);
    ps->failed = 1;
    return SM_ERR_FORMAT;
}

static int parse_nomem(parser *ps)
{
    if (!ps->failed) sm_error_set(ps->err, SM_ERR_NOMEM, "%s: out of memory", ps->name);
    ps->failed = 1;
    return SM_ERR_NOMEM;
}

static int is_bare_char(int c)
{
    return c > ' ' && c != '{' && c != '}' && c != ':' && c != ',' && c != '"' && c != 0x7f;
}

/* Reads the next token into ps (kind, tok_line, text). Returns 0 or an sm_err. */
static int next_token(parser *ps)
{
    free(ps->text);
    ps->text = NULL;
    for (;;) {
        while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' ||
                                   *ps->p == '\n' || *ps->p == '\f' || *ps->p == '\v')) {
            if (*ps->p == '\n') ps->line++;
            ps->p++;
        }
        if (ps->end - ps->p >= 2 && ps->p[0] == '/' && ps->p[1] == '/') {
            while (ps->p < ps->end && *ps->p != '\n') ps->p++;
            continue;
        }
        if (ps->end - ps->p >= 2 && ps->p[0] == '/' && ps->p[1] == '*') {
            int start = ps->line;
            ps->p += 2;
            while (ps->end - ps->p >= 2 && !(ps->p[0] == '*' && ps->p[1] == '/')) {
                if (*ps->p == '\n') ps->line++;
                ps->p++;
            }
            if (ps->end - ps->p < 2) return parse_fail(ps, start, "unterminated /* comment");
            ps->p += 2;
            continue;
        }
        break;
    }
    ps->tok_line = ps->line;
    if (ps->p >= ps->end) {
        ps->kind = TOK_EOF;
        return 0;
    }
    switch (*ps->p) {
    case '{': ps->kind = TOK_LBRACE; ps->p++; return 0;
    case '}': ps->kind = TOK_RBRACE; ps->p++; return 0;
    case ':': ps->kind = TOK_COLON; ps->p++; return 0;
    case ',': ps->kind = TOK_COMMA; ps->p++; return 0;
    case '"': {
        const char *q = ps->p + 1;
        size_t n = 0;
        char *out;
        /* first pass: find the end and the length */
        while (q < ps->end && *q != '"' && *q != '\n') {
            if (*q == '\\' && q + 1 < ps->end && q[1] != '\n') q++;
            q++;
            n++;
        }
        if (q >= ps->end || *q != '"') return parse_fail(ps, ps->line, "unterminated string");
        out = malloc(n + 1);
        if (!out) return parse_nomem(ps);
        n = 0;
        for (q = ps->p + 1; *q != '"'; q++) {
            char c = *q;
            if (c == '\\') {
                c = *++q;
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
            }
            out[n++] = c;
        }
        out[n] = '\0';
        ps->p = q + 1;
        ps->kind = TOK_STRING;
        ps->text = out;
        return 0;
    }
    default: {
        const char *q = ps->p;
        size_t n;
        if (!is_bare_char((unsigned char)*q))
            return parse_fail(ps, ps->line, "unexpected character 0x%02x",
                              (unsigned)(unsigned char)*q);
        while (q < ps->end && is_bare_char((unsigned char)*q)) q++;
        n = (size_t)(q - ps->p);
        ps->text = malloc(n + 1);
        if (!ps->text) return parse_nomem(ps);
        memcpy(ps->text, ps->p, n);
        ps->text[n] = '\0';
        ps->p = q;
        ps->kind = TOK_BARE;
        return 0;
    }
    }
}

static const char *tok_name(const parser *ps)
{
    switch (ps->kind) {
    case TOK_EOF: return "the end of the file";
    case TOK_LBRACE: return "'{'";
    case TOK_RBRACE: return "'}'";
    case TOK_COLON: return "':'";
    case TOK_COMMA: return "','";
    default: return ps->text ? ps->text : "?";
    }
}

static int parse_value(parser *ps, node *dst, int depth);

/* Parses the members of an object after its '{' up to and including its '}'. */
static int parse_members(parser *ps, node *obj, int depth)
{
    node **tail = &obj->child;
    int open_line = obj->line;
    int rc = next_token(ps);
    if (depth > MAX_DEPTH) return parse_fail(ps, ps->tok_line, "braces nested too deeply");
    while (!rc) {
        node *item;
        if (ps->kind == TOK_RBRACE) return next_token(ps);
        if (ps->kind == TOK_EOF)
            return parse_fail(ps, ps->tok_line, "unexpected end of file: the '{' on line %d is "
                              "never closed", open_line);
        if (ps->kind == TOK_COMMA) {
            rc = next_token(ps);
            continue;
        }
        if (ps->kind == TOK_COLON) return parse_fail(ps, ps->tok_line, "unexpected ':'");
        item = calloc(1, sizeof *item);
        if (!item) return parse_nomem(ps);
        *tail = item;
        tail = &item->next;
        item->line = ps->tok_line;
        if (ps->kind == TOK_LBRACE) {
            rc = parse_value(ps, item, depth + 1);
            continue;
        }
        /* a scalar: a key if ':' follows, else a list item */
        item->value = ps->text;
        ps->text = NULL;
        rc = next_token(ps);
        if (rc) break;
        if (ps->kind == TOK_COLON) {
            item->key = item->value;
            item->value = NULL;
            rc = next_token(ps);
            if (rc) break;
            if (ps->kind != TOK_LBRACE && ps->kind != TOK_STRING && ps->kind != TOK_BARE)
                return parse_fail(ps, ps->tok_line, "expected a value after '%s:', found %s",
                                  item->key, tok_name(ps));
            rc = parse_value(ps, item, depth + 1);
        }
    }
    return rc;
}

/* Parses the value starting at the current token into dst (an object or a scalar). */
static int parse_value(parser *ps, node *dst, int depth)
{
    if (ps->kind == TOK_LBRACE) {
        dst->is_object = 1;
        dst->line = ps->tok_line;
        return parse_members(ps, dst, depth);
    }
    if (ps->kind == TOK_STRING || ps->kind == TOK_BARE) {
        dst->value = ps->text;
        ps->text = NULL;
        return next_token(ps);
    }
    return parse_fail(ps, ps->tok_line, "expected a value, found %s", tok_name(ps));
}

/* Parses a whole document: one or more `Key: value` pairs at the top level. */
static int parse_document(parser *ps, node **root)
{
    node **tail = root;
    int rc;
    *root = NULL;
    if (ps->end - ps->p >= 3 && memcmp(ps->p, "\xEF\xBB\xBF", 3) == 0) ps->p += 3; /* BOM */
    rc = next_token(ps);
    while (!rc && ps->kind != TOK_EOF) {
        node *item;
        if (ps->kind != TOK_STRING && ps->kind != TOK_BARE)
            return parse_fail(ps, ps->tok_line, "expected a key (such as MicrotonicPresetV3), "
                              "found %s", tok_name(ps));
        item = calloc(1, sizeof *item);
        if (!item) return parse_nomem(ps);
        *tail = item;
        tail = &item->next;
        item->line = ps->tok_line;
        item->key = ps->text;
        ps->text = NULL;
        rc = next_token(ps);
        if (rc) break;
        if (ps->kind != TOK_COLON)
            return parse_fail(ps, ps->tok_line, "expected ':' after '%s', found %s", item->key,
                              tok_name(ps));
        rc = next_token(ps);
        if (!rc) rc = parse_value(ps, item, 1);
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Warnings                                                                                   */

static int add_warning(sm_mtpreset *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add_warning(sm_mtpreset *p, const char *fmt, ...)
{
    char buf[512], **w;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    w = realloc(p->warnings, (p->n_warnings + 1) * sizeof *w);
    if (!w) return SM_ERR_NOMEM;
    p->warnings = w;
    if (!(w[p->n_warnings] = strdup(buf))) return SM_ERR_NOMEM;
    p->n_warnings++;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Patch keys                                                                                 */

typedef enum {
    K_NAME, K_PATH, K_IGNORE, K_PAN, K_OUTPUT, K_CHOKE, K_ENUM, K_NUMBER, K_MODRATE, K_MIX
} key_kind;

typedef struct {
    const char *key;
    key_kind kind;
    int param;               /* SM_DRUM_* for K_ENUM, K_NUMBER */
    const char *unit;        /* K_NUMBER: the unit after the number ("" for none) */
} key_info;

static const key_info patch_keys[] = {
    {"Name", K_NAME, -1, NULL},
    {"Modified", K_IGNORE, -1, NULL},
    {"Path", K_PATH, -1, NULL},
    {"OscWave", K_ENUM, SM_DRUM_OSC_WAVE, NULL},
    {"OscFreq", K_NUMBER, SM_DRUM_OSC_FREQ_HZ, "Hz"},
    {"OscAtk", K_NUMBER, SM_DRUM_OSC_ATK_MS, "ms"},
    {"OscDcy", K_NUMBER, SM_DRUM_OSC_DCY_MS, "ms"},
    {"ModMode", K_ENUM, SM_DRUM_MOD_MODE, NULL},
    {"ModRate", K_MODRATE, SM_DRUM_MOD_RATE, NULL},
    {"ModAmt", K_NUMBER, SM_DRUM_MOD_AMT_ST, "sm"},
    {"NFilMod", K_ENUM, SM_DRUM_NFIL_MODE, NULL},
    {"NFilFrq", K_NUMBER, SM_DRUM_NFIL_FREQ_HZ, "Hz"},
    {"NFilQ", K_NUMBER, SM_DRUM_NFIL_Q, ""},
    {"NStereo", K_ENUM, SM_DRUM_NSTEREO, NULL},
    {"NEnvMod", K_ENUM, SM_DRUM_NENV_MODE, NULL},
    {"NEnvAtk", K_NUMBER, SM_DRUM_NENV_ATK_MS, "ms"},
    {"NEnvDcy", K_NUMBER, SM_DRUM_NENV_DCY_MS, "ms"},
    {"Mix", K_MIX, SM_DRUM_MIX_OSC_PCT, NULL},
    {"DistAmt", K_NUMBER, SM_DRUM_DIST_AMT, ""},
    {"EQFreq", K_NUMBER, SM_DRUM_EQ_FREQ_HZ, "Hz"},
    {"EQGain", K_NUMBER, SM_DRUM_EQ_GAIN_DB, "dB"},
    {"Level", K_NUMBER, SM_DRUM_LEVEL_DB, "dB"},
    {"Pan", K_PAN, -1, ""},
    {"Output", K_OUTPUT, -1, NULL},
    {"Choke", K_CHOKE, -1, NULL},
    {"OscVel", K_NUMBER, SM_DRUM_OSC_VEL_PCT, "%"},
    {"NVel", K_NUMBER, SM_DRUM_NOISE_VEL_PCT, "%"},
    {"ModVel", K_NUMBER, SM_DRUM_MOD_VEL_PCT, "%"},
};
#define N_PATCH_KEYS (sizeof patch_keys / sizeof *patch_keys)

/* Keys of the preset itself that we know and skip. */
static const char *const global_keys[] = {"Pattern", "StepRate", "Swing", "FillRate", "MastVol",
                                          "Mutes", "Patterns", "DrumPatches", "Tempo", "Morph"};

/* The labels Microtonic writes (first) and the aliases we also accept (mtpreset_internal.h). */
const sm_mtp_label sm_mtp_wave_names[] = {{"Sine", 0}, {"Triangle", 1}, {"Saw", 2},
                                          {"Sawtooth", 2}, {NULL, 0}};
const sm_mtp_label sm_mtp_mod_names[] = {{"Decay", 0}, {"Sine", 1}, {"Noise", 2},
                                         {"Decaying", 0}, {"Random", 2}, {NULL, 0}};
const sm_mtp_label sm_mtp_filter_names[] = {{"LP", 0}, {"BP", 1}, {"HP", 2}, {NULL, 0}};
const sm_mtp_label sm_mtp_onoff_names[] = {{"Off", 0}, {"On", 1}, {NULL, 0}};
const sm_mtp_label sm_mtp_nenv_names[] = {{"Exp", 0}, {"Linear", 1}, {"Mod", 2},
                                          {"Exponential", 0}, {"Modulated", 2}, {NULL, 0}};
const sm_mtp_label sm_mtp_output_names[] = {{"A", 0}, {"B", 1}, {NULL, 0}};

static const sm_mtp_label *enum_names(int param)
{
    switch (param) {
    case SM_DRUM_OSC_WAVE: return sm_mtp_wave_names;
    case SM_DRUM_MOD_MODE: return sm_mtp_mod_names;
    case SM_DRUM_NFIL_MODE: return sm_mtp_filter_names;
    case SM_DRUM_NSTEREO: return sm_mtp_onoff_names;
    default: return sm_mtp_nenv_names;
    }
}

static int enum_lookup(const sm_mtp_label *names, const char *text, int *value)
{
    for (; names->label; names++)
        if (strcasecmp(names->label, text) == 0) {
            *value = names->value;
            return 0;
        }
    return -1;
}

static void enum_list(const sm_mtp_label *names, char *buf, size_t len)
{
    buf[0] = '\0';
    for (; names->label; names++) {
        if (buf[0]) strncat(buf, ", ", len - strlen(buf) - 1);
        strncat(buf, names->label, len - strlen(buf) - 1);
    }
}

/* Parses "NUMBER [UNIT]" from text. *unit receives what follows the number (spaces skipped).
 * Accepts inf and -inf. Returns 0, or -1 if text does not start with a number. */
static int parse_number(const char *text, double *v, const char **unit)
{
    char *end;
    while (*text == ' ' || *text == '\t') text++;
    *v = strtod(text, &end);
    if (end == text || isnan(*v)) return -1;
    while (*end == ' ' || *end == '\t') end++;
    *unit = end;
    return 0;
}

/* State of one patch while its keys are read. */
typedef struct {
    sm_mtpreset_patch patch;
    int seen[N_PATCH_KEYS];
    double rate_value;       /* ModRate as written */
    int rate_hz, rate_line;  /* its unit (1: Hz, 0: ms) and line */
} patch_reader;

/* Sets native parameter i from a parsed value, clamping with a warning. */
static int set_native(sm_mtpreset *pre, patch_reader *r, int i, double v, const char *key,
                      const char *shown, int line)
{
    const sm_param *p = &sm_synth_drum.space->p[i];
    double c = v < p->min ? p->min : v > p->max ? p->max : v;
    /* 0 ms attack is Microtonic's minimum and our SM_DRUM_ATK_MIN_MS: no warning */
    int silent = (i == SM_DRUM_OSC_ATK_MS || i == SM_DRUM_NENV_ATK_MS) && v == 0;
    if (c != v && !silent && (isinf(v) || fabs(c - v) > 1e-9 * fabs(v))) {
        if (add_warning(pre, "%s:%d: drum patch %d: %s \"%s\" is outside %g..%g %s; %g used",
                        pre->path, line, r->patch.channel, key, shown, p->min, p->max, p->unit,
                        c))
            return SM_ERR_NOMEM;
    }
    r->patch.native[i] = c;
    return 0;
}

/* Reads one key of a patch. Returns 0 or an sm_err (err set). */
static int read_patch_key(sm_mtpreset *pre, patch_reader *r, const node *kv, sm_error *err)
{
    size_t k;
    const key_info *ki = NULL;
    const char *text = kv->value, *unit;
    double v;
    int e;
    char list[128];
    for (k = 0; k < N_PATCH_KEYS; k++)
        if (strcmp(patch_keys[k].key, kv->key) == 0) {
            ki = &patch_keys[k];
            break;
        }
    if (!ki) {
        if (add_warning(pre, "%s:%d: drum patch %d: unknown key '%s' ignored", pre->path, kv->line,
                        r->patch.channel, kv->key))
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return 0;
    }
    if (r->seen[k])
        return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: drum patch %d: %s appears twice",
                            pre->path, kv->line, r->patch.channel, kv->key);
    r->seen[k] = 1;
    if (kv->is_object)
        return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: drum patch %d: %s holds { ... }, "
                            "expected a value", pre->path, kv->line, r->patch.channel, kv->key);
    switch (ki->kind) {
    case K_NAME:
        snprintf(r->patch.name, sizeof r->patch.name, "%s", text);
        return 0;
    case K_PATH:
        snprintf(r->patch.path, sizeof r->patch.path, "%s", text);
        return 0;
    case K_IGNORE:
        return 0;
    case K_ENUM:
    case K_OUTPUT:
    case K_CHOKE: {
        const sm_mtp_label *names = ki->kind == K_OUTPUT ? sm_mtp_output_names
                                  : ki->kind == K_CHOKE ? sm_mtp_onoff_names
                                                        : enum_names(ki->param);
        if (enum_lookup(names, text, &e) != 0) {
            enum_list(names, list, sizeof list);
            return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: drum patch %d: %s \"%s\" is not "
                                "one of %s", pre->path, kv->line, r->patch.channel, kv->key, text,
                                list);
        }
        if (ki->kind == K_OUTPUT)
            r->patch.output_b = e;
        else if (ki->kind == K_CHOKE)
            r->patch.choke = e;
        else
            r->patch.native[ki->param] = e;
        return 0;
    }
    case K_MIX: {
        /* "OSC / NOISE" in percent */
        double noise;
        const char *rest;
        if (parse_number(text, &v, &unit) != 0 || *unit != '/' ||
            parse_number(unit + 1, &noise, &rest) != 0 || *rest || v < 0 || noise < 0 ||
            !(v + noise > 0) || isinf(v + noise))
            return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: drum patch %d: Mix \"%s\" is not "
                                "\"OSC / NOISE\" (two percentages)", pre->path, kv->line,
                                r->patch.channel, text);
        if (fabs(v + noise - 100) > 0.01 &&
            add_warning(pre, "%s:%d: drum patch %d: Mix \"%s\" does not add up to 100; "
                        "scaled", pre->path, kv->line, r->patch.channel, text))
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        if (fabs(v + noise - 100) > 0.01) v = 100 * v / (v + noise);
        if (set_native(pre, r, ki->param, v, kv->key, text, kv->line))
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return 0;
    }
    case K_MODRATE:
        if (parse_number(text, &v, &unit) != 0 || (strcmp(unit, "ms") && strcmp(unit, "Hz")) ||
            v < 0)
            return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: drum patch %d: ModRate \"%s\" is "
                                "not a rate in ms or Hz", pre->path, kv->line, r->patch.channel,
                                text);
        r->rate_value = v;
        r->rate_hz = unit[0] == 'H';
        r->rate_line = kv->line;
        return 0;
    case K_PAN:
    case K_NUMBER:
        if (parse_number(text, &v, &unit) != 0 || (*unit && strcmp(unit, ki->unit) != 0)) {
            if (ki->unit[0])
                return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: drum patch %d: %s \"%s\" is not "
                                    "a number in %s", pre->path, kv->line, r->patch.channel,
                                    kv->key, text, ki->unit);
            return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: drum patch %d: %s \"%s\" is not a "
                                "number", pre->path, kv->line, r->patch.channel, kv->key, text);
        }
        if (ki->kind == K_PAN) {
            double c = v < -100 ? -100 : v > 100 ? 100 : v;
            if (c != v && add_warning(pre, "%s:%d: drum patch %d: Pan \"%s\" is outside "
                                      "-100..100; %g used", pre->path, kv->line,
                                      r->patch.channel, text, c))
                return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            r->patch.pan = c;
            return 0;
        }
        if (set_native(pre, r, ki->param, v, kv->key, text, kv->line))
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return 0;
    }
    return 0;
}

/* 1 if a ModRate value (ms in Decay mode, else Hz) is representable by mod_rate. */
static int rate_in_range(int mode, double v)
{
    const double tol = 1 + 1e-12;
    if (mode == SM_DRUM_MOD_DECAY)
        return isinf(v) || (v * tol >= SM_DRUM_MOD_DECAY_MIN_MS &&
                            v <= SM_DRUM_MOD_DECAY_MIN_MS * 1e4 * tol);
    {
        double top = mode == SM_DRUM_MOD_SINE ? SM_DRUM_MOD_SINE_MAX_HZ : SM_DRUM_MOD_NOISE_MAX_HZ;
        return v == 0 || (v * tol >= top * 1e-5 && v <= top * tol);
    }
}

/* Finishes a patch: ModRate in the patch's mode, and warnings for missing keys. */
static int finish_patch(sm_mtpreset *pre, patch_reader *r, sm_error *err)
{
    size_t k;
    int mode = (int)r->patch.native[SM_DRUM_MOD_MODE];
    for (k = 0; k < N_PATCH_KEYS; k++) {
        const key_info *ki = &patch_keys[k];
        if (r->seen[k] || ki->kind == K_IGNORE || ki->kind == K_NAME || ki->kind == K_PATH)
            continue;
        if (add_warning(pre, "%s:%d: drum patch %d has no %s; the default is used", pre->path,
                        r->patch.line, r->patch.channel, ki->key))
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    for (k = 0; k < N_PATCH_KEYS; k++)
        if (patch_keys[k].kind == K_MODRATE && r->seen[k]) {
            double v = r->rate_value, rr, back;
            int want_hz = mode != SM_DRUM_MOD_DECAY;
            if (r->rate_hz != want_hz) {
                /* a rate in the other unit: convert (ms <-> Hz as a period) and say so */
                if (add_warning(pre, "%s:%d: drum patch %d: ModRate is in %s but ModMode %s "
                                "takes %s; converted", pre->path, r->rate_line, r->patch.channel,
                                r->rate_hz ? "Hz" : "ms", sm_mtp_mod_names[mode].label,
                                want_hz ? "Hz" : "ms"))
                    return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
                v = v > 0 ? 1000 / v : INFINITY;
                if (want_hz && isinf(r->rate_value)) v = 0;
            }
            rr = sm_drum_mod_rate_from_value(mode, v);
            back = sm_drum_mod_rate_value(mode, rr);
            if (!rate_in_range(mode, v) &&
                add_warning(pre, "%s:%d: drum patch %d: ModRate %g %s is outside the range of "
                            "ModMode %s; %g %s used", pre->path, r->rate_line, r->patch.channel,
                            v, want_hz ? "Hz" : "ms", sm_mtp_mod_names[mode].label, back,
                            want_hz ? "Hz" : "ms"))
                return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            r->patch.native[SM_DRUM_MOD_RATE] = rr;
        }
    return 0;
}

void sm_mtpreset_patch_init(sm_mtpreset_patch *patch, int channel, const char *name)
{
    memset(patch, 0, sizeof *patch);
    patch->channel = channel;
    snprintf(patch->name, sizeof patch->name, "%s", name ? name : "");
    sm_params_defaults(sm_synth_drum.space, patch->native);
}

/* Reads one drum patch object (key "N") into a new entry of pre->patches. */
static int read_patch(sm_mtpreset *pre, const node *pn, int channel, sm_error *err)
{
    patch_reader r;
    const node *kv;
    sm_mtpreset_patch *grown;
    int rc;
    memset(&r, 0, sizeof r);
    sm_mtpreset_patch_init(&r.patch, channel, "");
    r.patch.line = pn->line;
    for (kv = pn->child; kv; kv = kv->next) {
        if (!kv->key)
            return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: drum patch %d: expected Key: value",
                                pre->path, kv->line, channel);
        rc = read_patch_key(pre, &r, kv, err);
        if (rc) return rc;
    }
    rc = finish_patch(pre, &r, err);
    if (rc) return rc;
    grown = realloc(pre->patches, (pre->n + 1) * sizeof *grown);
    if (!grown) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    pre->patches = grown;
    pre->patches[pre->n++] = r.patch;
    return 0;
}

static int by_channel(const void *a, const void *b)
{
    const sm_mtpreset_patch *x = a, *y = b;
    return (x->channel > y->channel) - (x->channel < y->channel);
}

/* Walks the tree of a whole preset. */
static int read_preset(sm_mtpreset *pre, const node *root, sm_error *err)
{
    const node *top, *kv, *patches = NULL;
    size_t k;
    int rc;
    if (!root)
        return sm_error_set(err, SM_ERR_EMPTY, "%s: the file is empty (expected "
                            "MicrotonicPresetV3: { ... })", pre->path);
    top = root;
    if (strncmp(top->key, "MicrotonicPreset", 16) != 0 || !top->is_object)
        return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: not a Microtonic preset: expected "
                            "MicrotonicPresetV3: { ... }, found '%s'", pre->path, top->line,
                            top->key);
    if (top->next)
        return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: unexpected '%s' after the preset",
                            pre->path, top->next->line, top->next->key);
    for (kv = top->child; kv; kv = kv->next) {
        int known = 0;
        if (!kv->key)
            return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: expected Key: value in the preset",
                                pre->path, kv->line);
        for (k = 0; k < sizeof global_keys / sizeof *global_keys; k++)
            if (strcmp(kv->key, global_keys[k]) == 0) known = 1;
        if (!known && add_warning(pre, "%s:%d: unknown key '%s' ignored", pre->path, kv->line,
                                  kv->key))
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        if (strcmp(kv->key, "DrumPatches") == 0) {
            if (patches)
                return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: DrumPatches appears twice",
                                    pre->path, kv->line);
            if (!kv->is_object)
                return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: DrumPatches must hold { ... }",
                                    pre->path, kv->line);
            patches = kv;
        }
    }
    if (!patches)
        return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: the preset has no DrumPatches",
                            pre->path, top->line);
    for (kv = patches->child; kv; kv = kv->next) {
        char *end;
        long ch;
        size_t i;
        if (!kv->key || !kv->is_object)
            return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: DrumPatches holds \"N\": { ... } "
                                "entries only", pre->path, kv->line);
        ch = strtol(kv->key, &end, 10);
        if (end == kv->key || *end || ch < 1 || ch > 99)
            return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: drum patch key \"%s\" is not a "
                                "channel number", pre->path, kv->line, kv->key);
        for (i = 0; i < pre->n; i++)
            if (pre->patches[i].channel == ch)
                return sm_error_set(err, SM_ERR_FORMAT, "%s:%d: drum patch %ld appears twice",
                                    pre->path, kv->line, ch);
        rc = read_patch(pre, kv, (int)ch, err);
        if (rc) return rc;
    }
    if (!pre->n)
        return sm_error_set(err, SM_ERR_EMPTY, "%s:%d: DrumPatches holds no drum patch",
                            pre->path, patches->line);
    qsort(pre->patches, pre->n, sizeof *pre->patches, by_channel);
    return 0;
}

int sm_mtpreset_parse(const char *text, size_t len, const char *name, sm_mtpreset *out,
                      sm_error *err)
{
    parser ps;
    node *root = NULL;
    int rc;
    if (!out) return sm_error_set(err, SM_ERR_ARG, "sm_mtpreset_parse: no output");
    memset(out, 0, sizeof *out);
    if (!text) return sm_error_set(err, SM_ERR_ARG, "sm_mtpreset_parse: no text");
    if (!(out->path = strdup(name ? name : "(preset)")))
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    memset(&ps, 0, sizeof ps);
    ps.p = text;
    ps.end = text + len;
    ps.name = out->path;
    ps.line = 1;
    ps.err = err;
    rc = parse_document(&ps, &root);
    free(ps.text);
    if (!rc) rc = read_preset(out, root, err);
    node_free(root);
    if (rc) sm_mtpreset_free(out);
    return rc;
}

int sm_mtpreset_read(const char *path, sm_mtpreset *out, sm_error *err)
{
    unsigned char *data;
    size_t n;
    int rc;
    if (!out) return sm_error_set(err, SM_ERR_ARG, "sm_mtpreset_read: no output");
    memset(out, 0, sizeof *out);
    if (!path) return sm_error_set(err, SM_ERR_ARG, "sm_mtpreset_read: no path");
    rc = sm_read_file(path, 64u << 20, &data, &n, err);
    if (rc) return rc;
    rc = sm_mtpreset_parse((const char *)data, n, path, out, err);
    free(data);
    return rc;
}

void sm_mtpreset_free(sm_mtpreset *p)
{
    size_t i;
    if (!p) return;
    for (i = 0; i < p->n_warnings; i++) free(p->warnings[i]);
    free(p->warnings);
    free(p->patches);
    free(p->path);
    memset(p, 0, sizeof *p);
}

int sm_mtpreset_select(const sm_mtpreset *p, const char *sel, size_t *index, sm_error *err)
{
    size_t i, k;
    char list[400] = "";
    if (!p || !sel || !index) return sm_error_set(err, SM_ERR_ARG, "sm_mtpreset_select: NULL");
    for (k = 0; sel[k] && isdigit((unsigned char)sel[k]); k++) continue;
    if (k > 0 && !sel[k]) {
        long ch = strtol(sel, NULL, 10);
        for (i = 0; i < p->n; i++)
            if (p->patches[i].channel == ch) {
                *index = i;
                return 0;
            }
        return sm_error_set(err, SM_ERR_NOTFOUND, "%s has no drum patch %s (it holds channels "
                            "%d..%d)", p->path, sel, p->n ? p->patches[0].channel : 0,
                            p->n ? p->patches[p->n - 1].channel : 0);
    }
    for (i = 0; i < p->n; i++)
        if (strcmp(p->patches[i].name, sel) == 0) {
            *index = i;
            return 0;
        }
    for (i = 0; i < p->n; i++)
        if (strcasecmp(p->patches[i].name, sel) == 0) {
            *index = i;
            return 0;
        }
    for (i = 0; i < p->n; i++) {
        if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, "\"", sizeof list - strlen(list) - 1);
        strncat(list, p->patches[i].name, sizeof list - strlen(list) - 1);
        strncat(list, "\"", sizeof list - strlen(list) - 1);
    }
    return sm_error_set(err, SM_ERR_NOTFOUND, "%s has no drum patch named \"%s\" (it holds %s)",
                        p->path, sel, list);
}

/* ------------------------------------------------------------------------------------------ */
/* The synth's patch hooks                                                                    */

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Splits spec into a file and a selector: the whole spec if it names a file, else the first
 * prefix before a ':' that names one. *sel is NULL when there is none. */
static int split_spec(const char *spec, char **file, const char **sel, sm_error *err)
{
    const char *c;
    *file = NULL;
    *sel = NULL;
    if (is_file(spec)) {
        *file = strdup(spec);
        return *file ? 0 : sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    for (c = strchr(spec, ':'); c; c = strchr(c + 1, ':')) {
        char *f = strndup(spec, (size_t)(c - spec));
        if (!f) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        if (is_file(f)) {
            *file = f;
            *sel = c + 1;
            return 0;
        }
        free(f);
    }
    return sm_error_set(err, SM_ERR_IO, "%s: no such preset file (give FILE, FILE:N or "
                        "FILE:NAME)", spec);
}

int sm_mtpreset_patch_load(const char *spec, double *native, char *name, size_t name_len,
                           sm_error *err)
{
    sm_mtpreset pre;
    char *file;
    const char *sel;
    size_t idx = 0;
    int rc;
    if (name && name_len) name[0] = '\0';
    if (!spec || !native) return sm_error_set(err, SM_ERR_ARG, "drum patch_load: NULL argument");
    rc = split_spec(spec, &file, &sel, err);
    if (rc) return rc;
    rc = sm_mtpreset_read(file, &pre, err);
    if (!rc && sel && *sel) rc = sm_mtpreset_select(&pre, sel, &idx, err);
    if (!rc) {
        memcpy(native, pre.patches[idx].native, sizeof pre.patches[idx].native);
        if (name && name_len) snprintf(name, name_len, "%s", pre.patches[idx].name);
    }
    sm_mtpreset_free(&pre);
    free(file);
    return rc;
}

int sm_mtpreset_patch_load_all(const char *path, double **native, size_t *n, sm_error *err)
{
    sm_mtpreset pre;
    size_t i;
    int rc;
    if (native) *native = NULL;
    if (n) *n = 0;
    if (!path || !native || !n)
        return sm_error_set(err, SM_ERR_ARG, "drum patch_load_all: NULL argument");
    rc = sm_mtpreset_read(path, &pre, err);
    if (!rc) {
        *native = malloc(pre.n * SM_DRUM_NPARAMS * sizeof **native);
        if (!*native) {
            rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        } else {
            for (i = 0; i < pre.n; i++)
                memcpy(*native + i * SM_DRUM_NPARAMS, pre.patches[i].native,
                       sizeof pre.patches[i].native);
            *n = pre.n;
        }
    }
    sm_mtpreset_free(&pre);
    return rc;
}
