/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/results_read.c: the small readers the report needs for its run folders (see
 * experiments/report_internal.h): a CSV reader for results.csv (its fields hold no commas or
 * quotes, as the runner writes them) and a JSON parser (RFC 8259) for results.json, with the
 * JSON string writer both directions share. */
#include "experiments/report_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

#define CSV_MAX_BYTES (256u << 20)
#define JSON_MAX_DEPTH 64

/* ---- CSV ---- */

void sm_csv_free(sm_csv *c)
{
    size_t r;
    if (!c) return;
    for (r = 0; r < c->n_rows; r++) {
        free(c->cell[r]);
        free(c->line[r]);
    }
    free(c->cell);
    free(c->line);
    free(c->col);
    free(c->header);
    free(c->text);
    memset(c, 0, sizeof *c);
}

/* Splits line (NUL-terminated, modified) at commas into at most max fields. */
static size_t split_fields(char *line, char **field, size_t max)
{
    size_t k = 0;
    char *p = line;
    while (k < max) {
        char *comma = strchr(p, ',');
        field[k++] = p;
        if (!comma) break;
        *comma = '\0';
        p = comma + 1;
    }
    return k;
}

int sm_csv_read(const char *path, sm_csv *c, sm_error *err)
{
    unsigned char *data = NULL;
    size_t n = 0;
    int rc;
    memset(c, 0, sizeof *c);
    if ((rc = sm_read_file(path, CSV_MAX_BYTES, &data, &n, err)) != 0) return rc;
    return sm_csv_parse((char *)data, path, c, err);
}

int sm_csv_parse(char *text, const char *path, sm_csv *c, sm_error *err)
{
    size_t n = strlen(text), lines = 0, i, r;
    const unsigned char *data = (const unsigned char *)text;
    char *p, *next;
    memset(c, 0, sizeof *c);
    c->text = text;
    for (i = 0; i < n; i++) lines += data[i] == '\n';
    lines++;
    c->cell = calloc(lines, sizeof *c->cell);
    c->line = calloc(lines, sizeof *c->line);
    if (!c->cell || !c->line) goto nomem;
    /* the header */
    p = c->text;
    next = strchr(p, '\n');
    if (next) *next++ = '\0';
    if (!*p) {
        sm_csv_free(c);
        return sm_error_set(err, SM_ERR_FORMAT, "%s: empty, no header line", path);
    }
    p[strcspn(p, "\r")] = '\0';
    {
        size_t commas = 1;
        char *q;
        for (q = p; *q; q++) commas += *q == ',';
        c->col = calloc(commas, sizeof *c->col);
        c->header = strdup(p);
        if (!c->col || !c->header) goto nomem;
        c->n_cols = split_fields(p, c->col, commas);
    }
    for (r = 0, p = next; p && *p; p = next) {
        next = strchr(p, '\n');
        if (next) *next++ = '\0';
        p[strcspn(p, "\r")] = '\0';
        if (!*p) continue;
        c->cell[r] = calloc(c->n_cols, sizeof **c->cell);
        if (!c->cell[r]) goto nomem;
        c->line[r] = strdup(p);
        if (!c->line[r]) {
            free(c->cell[r]);
            c->cell[r] = NULL;
            goto nomem;
        }
        {
            size_t k = split_fields(p, c->cell[r], c->n_cols), j;
            for (j = k; j < c->n_cols; j++) c->cell[r][j] = "";
        }
        r++;
        c->n_rows = r;
    }
    return 0;
nomem:
    sm_csv_free(c);
    return sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", path);
}

int sm_csv_col(const sm_csv *c, const char *name)
{
    size_t j;
    for (j = 0; j < c->n_cols; j++)
        if (strcmp(c->col[j], name) == 0) return (int)j;
    return -1;
}

/* ---- JSON ---- */

typedef struct {
    const char *s, *start, *name;
    sm_error *err;
    int failed;
} json_parser;

static void json_fail(json_parser *jp, const char *what)
{
    if (!jp->failed)
        sm_error_set(jp->err, SM_ERR_FORMAT, "%s: %s at byte %zu", jp->name, what,
                     (size_t)(jp->s - jp->start));
    jp->failed = 1;
}

static void json_skip_ws(json_parser *jp)
{
    while (*jp->s == ' ' || *jp->s == '\t' || *jp->s == '\n' || *jp->s == '\r') jp->s++;
}

static void json_clear(sm_json *j)
{
    size_t i;
    if (!j) return;
    for (i = 0; i < j->n; i++) {
        json_clear(&j->item[i]);
        if (j->key) free(j->key[i]);
    }
    free(j->item);
    free(j->key);
    free(j->string);
    memset(j, 0, sizeof *j);
}

void sm_json_free(sm_json *j)
{
    json_clear(j);
    free(j);
}

static int hex4(const char *s, unsigned *v)
{
    int i;
    *v = 0;
    for (i = 0; i < 4; i++) {
        char c = s[i];
        *v <<= 4;
        if (c >= '0' && c <= '9') *v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') *v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') *v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 63));
        o[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 63));
    o[2] = (char)(0x80 | (cp >> 6 & 63));
    o[3] = (char)(0x80 | (cp & 63));
    return 4;
}

/* A string literal at jp->s (the opening quote) as a new string. */
static char *json_string(json_parser *jp)
{
    const char *p = jp->s + 1;
    size_t len = 0, k = 0;
    char *out;
    while (*p && *p != '"') { /* an upper bound of the decoded length */
        if (*p == '\\' && p[1]) p++;
        p++;
        len += 4;
    }
    if (*p != '"') {
        json_fail(jp, "unterminated string");
        return NULL;
    }
    out = malloc(len + 1);
    if (!out) {
        json_fail(jp, "out of memory");
        return NULL;
    }
    for (p = jp->s + 1; *p != '"'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20) {
            jp->s = p;
            json_fail(jp, "control character in a string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            out[k++] = (char)c;
            continue;
        }
        p++;
        switch (*p) {
        case '"': out[k++] = '"'; break;
        case '\\': out[k++] = '\\'; break;
        case '/': out[k++] = '/'; break;
        case 'b': out[k++] = '\b'; break;
        case 'f': out[k++] = '\f'; break;
        case 'n': out[k++] = '\n'; break;
        case 'r': out[k++] = '\r'; break;
        case 't': out[k++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(p + 1, &cp) != 0) goto bad;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u' &&
                hex4(p + 3, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            } else if (cp >= 0xD800 && cp < 0xE000) {
                cp = 0xFFFD; /* a lone surrogate */
            }
            k += put_utf8(out + k, cp);
            break;
        }
        default:
        bad:
            jp->s = p;
            json_fail(jp, "bad escape in a string");
            free(out);
            return NULL;
        }
    }
    out[k] = '\0';
    jp->s = p + 1;
    return out;
}

static int json_value(json_parser *jp, sm_json *j, int depth);

/* Appends a value (and key) to an array or object. */
static sm_json *json_push(json_parser *jp, sm_json *j, char *key)
{
    sm_json *items = realloc(j->item, (j->n + 1) * sizeof *items);
    if (!items) {
        free(key);
        json_fail(jp, "out of memory");
        return NULL;
    }
    j->item = items;
    memset(&j->item[j->n], 0, sizeof *j->item);
    if (j->type == SM_JSON_OBJECT) {
        char **keys = realloc(j->key, (j->n + 1) * sizeof *keys);
        if (!keys) {
            free(key);
            json_fail(jp, "out of memory");
            return NULL;
        }
        j->key = keys;
        j->key[j->n] = key;
    }
    return &j->item[j->n++];
}

static int json_container(json_parser *jp, sm_json *j, int depth)
{
    const char close = j->type == SM_JSON_OBJECT ? '}' : ']';
    jp->s++;
    json_skip_ws(jp);
    if (*jp->s == close) {
        jp->s++;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        sm_json *v;
        json_skip_ws(jp);
        if (j->type == SM_JSON_OBJECT) {
            if (*jp->s != '"') {
                json_fail(jp, "expected a key");
                return -1;
            }
            if (!(key = json_string(jp))) return -1;
            json_skip_ws(jp);
            if (*jp->s != ':') {
                free(key);
                json_fail(jp, "expected ':'");
                return -1;
            }
            jp->s++;
        }
        if (!(v = json_push(jp, j, key))) return -1;
        if (json_value(jp, v, depth + 1) != 0) return -1;
        json_skip_ws(jp);
        if (*jp->s == ',') {
            jp->s++;
            continue;
        }
        if (*jp->s == close) {
            jp->s++;
            return 0;
        }
        json_fail(jp, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        return -1;
    }
}

static int json_value(json_parser *jp, sm_json *j, int depth)
{
    json_skip_ws(jp);
    if (depth > JSON_MAX_DEPTH) {
        json_fail(jp, "nested too deeply");
        return -1;
    }
    switch (*jp->s) {
    case '{': j->type = SM_JSON_OBJECT; return json_container(jp, j, depth);
    case '[': j->type = SM_JSON_ARRAY; return json_container(jp, j, depth);
    case '"':
        j->type = SM_JSON_STRING;
        j->string = json_string(jp);
        return j->string ? 0 : -1;
    case 't':
        if (strncmp(jp->s, "true", 4) != 0) break;
        j->type = SM_JSON_BOOL;
        j->number = 1;
        jp->s += 4;
        return 0;
    case 'f':
        if (strncmp(jp->s, "false", 5) != 0) break;
        j->type = SM_JSON_BOOL;
        jp->s += 5;
        return 0;
    case 'n':
        if (strncmp(jp->s, "null", 4) != 0) break;
        j->type = SM_JSON_NULL;
        jp->s += 4;
        return 0;
    default:
        if (*jp->s == '-' || (*jp->s >= '0' && *jp->s <= '9')) {
            char *end;
            j->type = SM_JSON_NUMBER;
            j->number = strtod(jp->s, &end);
            if (end == jp->s) break;
            jp->s = end;
            return 0;
        }
    }
    json_fail(jp, "unexpected character");
    return -1;
}

sm_json *sm_json_parse(const char *text, const char *name, sm_error *err)
{
    json_parser jp;
    sm_json *j = calloc(1, sizeof *j);
    if (!j) {
        sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    jp.s = jp.start = text;
    jp.name = name;
    jp.err = err;
    jp.failed = 0;
    if (json_value(&jp, j, 0) == 0) {
        json_skip_ws(&jp);
        if (*jp.s) json_fail(&jp, "text after the value");
    }
    if (jp.failed) {
        sm_json_free(j);
        return NULL;
    }
    return j;
}

const sm_json *sm_json_get(const sm_json *j, const char *key)
{
    size_t i;
    if (!j || j->type != SM_JSON_OBJECT) return NULL;
    for (i = 0; i < j->n; i++)
        if (strcmp(j->key[i], key) == 0) return &j->item[i];
    return NULL;
}

const char *sm_json_str(const sm_json *j)
{
    return j && j->type == SM_JSON_STRING ? j->string : NULL;
}

double sm_json_num(const sm_json *j)
{
    return j && j->type == SM_JSON_NUMBER ? j->number : NAN;
}

void sm_json_put_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

