/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/ini.c: INI files through libinih, kept in memory with line numbers (see core/ini.h).
 *
 * libinih as Debian builds it does not pass line numbers to the handler, so the text is fed
 * through our own reader, which counts lines; the handler runs right after its line is read.
 * libinih reads at most INI_MAX_LINE (200) bytes a line; longer lines are reported as errors. */
#include "core/ini.h"
#include "core/fileio.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *pos;     /* next unread byte */
    int line;            /* line number of the last line handed to libinih */
    int long_line;       /* first line longer than libinih's buffer, or 0 */
    sm_ini *ini;
    int nomem;
    int orphan_line;     /* first key that stands before any [section], or 0 */
} reader_state;

static char *reader(char *str, int num, void *stream)
{
    reader_state *rs = stream;
    const char *p = rs->pos;
    int k = 0;
    if (!*p) return NULL;
    while (p[k] && p[k] != '\n' && k < num - 1) k++;
    if (p[k] == '\n' && k < num - 1) k++;
    else if (p[k] && p[k] != '\n' && !rs->long_line) rs->long_line = rs->line + 1;
    memcpy(str, p, (size_t)k);
    str[k] = '\0';
    rs->pos = p + k;
    /* skip the rest of an over-long line */
    if (k && str[k - 1] != '\n') {
        while (*rs->pos && *rs->pos != '\n') rs->pos++;
        if (*rs->pos == '\n') rs->pos++;
    }
    rs->line++;
    return str;
}

static int add_section(sm_ini *ini, const char *section, int line)
{
    size_t i;
    char **ns;
    int *nl;
    for (i = 0; i < ini->n_sections; i++)
        if (strcmp(ini->sections[i], section) == 0) return 0;
    ns = realloc(ini->sections, (ini->n_sections + 1) * sizeof *ns);
    if (!ns) return -1;
    ini->sections = ns;
    nl = realloc(ini->section_lines, (ini->n_sections + 1) * sizeof *nl);
    if (!nl) return -1;
    ini->section_lines = nl;
    ns[ini->n_sections] = strdup(section);
    if (!ns[ini->n_sections]) return -1;
    nl[ini->n_sections] = line;
    ini->n_sections++;
    return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    reader_state *rs = user;
    sm_ini *ini = rs->ini;
    sm_ini_entry *e;
    if (!section[0]) {
        if (!rs->orphan_line) rs->orphan_line = rs->line;
        return 0;
    }
    if (add_section(ini, section, rs->line) != 0) {
        rs->nomem = 1;
        return 0;
    }
    if (!name) return 1; /* a section header alone (INI_CALL_HANDLER_ON_NEW_SECTION) */
    e = realloc(ini->e, (ini->n + 1) * sizeof *e);
    if (!e) {
        rs->nomem = 1;
        return 0;
    }
    ini->e = e;
    e = &ini->e[ini->n];
    memset(e, 0, sizeof *e);
    e->section = strdup(section);
    e->key = strdup(name);
    e->value = strdup(value ? value : "");
    e->line = rs->line;
    if (!e->section || !e->key || !e->value) {
        free(e->section);
        free(e->key);
        free(e->value);
        rs->nomem = 1;
        return 0;
    }
    ini->n++;
    return 1;
}

/* Records the sections, with those that have no keys, which libinih does not report. A header
 * written twice would merge two sections silently (two [optimizer cmaes] sections become one):
 * its second line goes to *dup_line and the first to *dup_first. */
static int scan_sections(sm_ini *ini, const char *text, int *dup_line, int *dup_first)
{
    int line = 1;
    const char *p = text;
    while (*p) {
        const char *q = p;
        while (*q == ' ' || *q == '\t') q++;
        if (*q == '[') {
            const char *end = strchr(q, ']');
            const char *nl = strchr(q, '\n');
            if (end && (!nl || end < nl)) {
                char buf[256];
                size_t len = (size_t)(end - q - 1);
                if (len >= sizeof buf) len = sizeof buf - 1;
                memcpy(buf, q + 1, len);
                buf[len] = '\0';
                if (!*dup_line) {
                    size_t i;
                    for (i = 0; i < ini->n_sections; i++)
                        if (strcmp(ini->sections[i], buf) == 0) {
                            *dup_line = line;
                            *dup_first = ini->section_lines[i];
                        }
                }
                if (add_section(ini, buf, line) != 0) return -1;
            }
        }
        p = strchr(p, '\n');
        if (!p) break;
        p++;
        line++;
    }
    return 0;
}

sm_ini *sm_ini_parse_string(const char *text, const char *name, sm_error *err)
{
    reader_state rs;
    sm_ini *ini = calloc(1, sizeof *ini);
    int rc, dup_line = 0, dup_first = 0;
    if (!ini || !(ini->path = strdup(name ? name : "(string)"))) {
        free(ini);
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memset(&rs, 0, sizeof rs);
    rs.pos = text;
    rs.ini = ini;
    /* sections first, in file order and with their own lines (libinih reports only keys) */
    if (scan_sections(ini, text, &dup_line, &dup_first) != 0) rs.nomem = 1;
    rc = rs.nomem ? 0 : ini_parse_stream(reader, &rs, handler, &rs);
    if (rs.nomem) {
        sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", ini->path);
        sm_ini_free(ini);
        return NULL;
    }
    if (rs.long_line) {
        sm_error_set(err, SM_ERR_CONFIG, "%s:%d: line longer than %d characters", ini->path,
                     rs.long_line, INI_MAX_LINE - 1);
        sm_ini_free(ini);
        return NULL;
    }
    if (rc > 0) {
        sm_error_set(err, SM_ERR_CONFIG,
                     "%s:%d: cannot parse this line (expected [section], key = value, or a "
                     "comment starting with ; or #)", ini->path, rc);
        sm_ini_free(ini);
        return NULL;
    }
    if (dup_line) {
        size_t i;
        const char *name_dup = "";
        for (i = 0; i < ini->n_sections; i++)
            if (ini->section_lines[i] == dup_first) name_dup = ini->sections[i];
        sm_error_set(err, SM_ERR_CONFIG,
                     "%s:%d: [%s] appears a second time (first at line %d); write each section "
                     "once", ini->path, dup_line, name_dup, dup_first);
        sm_ini_free(ini);
        return NULL;
    }
    if (rs.orphan_line) {
        sm_error_set(err, SM_ERR_CONFIG, "%s:%d: setting outside any [section]", ini->path,
                     rs.orphan_line);
        sm_ini_free(ini);
        return NULL;
    }
    if (rc < 0) {
        sm_error_set(err, SM_ERR_CONFIG, "%s: cannot be parsed", ini->path);
        sm_ini_free(ini);
        return NULL;
    }
    if (ini->n_sections == 0) {
        sm_error_set(err, SM_ERR_CONFIG, "%s: holds no [section]", ini->path);
        sm_ini_free(ini);
        return NULL;
    }
    return ini;
}

sm_ini *sm_ini_load(const char *path, sm_error *err)
{
    unsigned char *data;
    size_t n;
    sm_ini *ini;
    if (sm_read_file(path, 1 << 24, &data, &n, err) != 0) return NULL;
    if (memchr(data, 0, n)) {
        free(data);
        sm_error_set(err, SM_ERR_CONFIG, "%s: not a text file (holds a NUL byte)", path);
        return NULL;
    }
    ini = sm_ini_parse_string((const char *)data, path, err);
    free(data);
    return ini;
}

void sm_ini_free(sm_ini *ini)
{
    size_t i;
    if (!ini) return;
    for (i = 0; i < ini->n; i++) {
        free(ini->e[i].section);
        free(ini->e[i].key);
        free(ini->e[i].value);
    }
    for (i = 0; i < ini->n_sections; i++) free(ini->sections[i]);
    free(ini->e);
    free(ini->sections);
    free(ini->section_lines);
    free(ini->path);
    free(ini);
}

int sm_ini_has_section(const sm_ini *ini, const char *section)
{
    size_t i;
    for (i = 0; i < ini->n_sections; i++)
        if (strcmp(ini->sections[i], section) == 0) return 1;
    return 0;
}

const char *sm_ini_get(sm_ini *ini, const char *section, const char *key, int *line)
{
    size_t i;
    sm_ini_entry *found = NULL;
    for (i = 0; i < ini->n; i++) {
        sm_ini_entry *e = &ini->e[i];
        if (strcmp(e->section, section) == 0 && strcmp(e->key, key) == 0) {
            e->used = 1;
            found = e;
        }
    }
    if (line) *line = found ? found->line : 0;
    return found ? found->value : NULL;
}

int sm_ini_get_double(sm_ini *ini, const char *section, const char *key, double def,
                      double lo, double hi, double *out, sm_error *err)
{
    int line;
    const char *v = sm_ini_get(ini, section, key, &line);
    char *end;
    double x;
    *out = def;
    if (!v) return 0;
    errno = 0;
    x = strtod(v, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (end == v || *end || errno == ERANGE)
        return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [%s] %s: '%s' is not a number",
                            ini->path, line, section, key, v);
    if (!isfinite(x))
        return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [%s] %s: '%s' is not finite",
                            ini->path, line, section, key, v);
    if (x < lo || x > hi)
        return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [%s] %s: %g is outside %g..%g",
                            ini->path, line, section, key, x, lo, hi);
    *out = x;
    return 0;
}

int sm_ini_get_long(sm_ini *ini, const char *section, const char *key, long def, long lo,
                    long hi, long *out, sm_error *err)
{
    int line;
    const char *v = sm_ini_get(ini, section, key, &line);
    char *end;
    long x;
    *out = def;
    if (!v) return 0;
    errno = 0;
    x = strtol(v, &end, 10);
    while (*end == ' ' || *end == '\t') end++;
    if (end == v || *end || errno == ERANGE)
        return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [%s] %s: '%s' is not a whole number",
                            ini->path, line, section, key, v);
    if (x < lo || x > hi)
        return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [%s] %s: %ld is outside %ld..%ld",
                            ini->path, line, section, key, x, lo, hi);
    *out = x;
    return 0;
}

int sm_ini_get_bool(sm_ini *ini, const char *section, const char *key, int def, int *out,
                    sm_error *err)
{
    int line;
    const char *v = sm_ini_get(ini, section, key, &line);
    *out = def;
    if (!v) return 0;
    if (!strcasecmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
        !strcasecmp(v, "on")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "false") ||
        !strcasecmp(v, "off")) {
        *out = 0;
        return 0;
    }
    return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [%s] %s: '%s' is not yes/no/true/false/1/0",
                        ini->path, line, section, key, v);
}

int sm_ini_require(sm_ini *ini, const char *section, const char *key, const char **out,
                   sm_error *err)
{
    int line;
    const char *v = sm_ini_get(ini, section, key, &line);
    *out = v;
    if (!v || !*v)
        return sm_error_set(err, SM_ERR_CONFIG, "%s: [%s] needs '%s = ...'", ini->path, section,
                            key);
    return 0;
}

int sm_ini_check_unused(const sm_ini *ini, const char *section, sm_error *err)
{
    size_t i;
    for (i = 0; i < ini->n; i++) {
        const sm_ini_entry *e = &ini->e[i];
        if (!e->used && strcmp(e->section, section) == 0)
            return sm_error_set(err, SM_ERR_CONFIG, "%s:%d: [%s] has no setting '%s'", ini->path,
                                e->line, section, e->key);
    }
    return 0;
}

size_t sm_split_list(char *s, char **items, size_t max)
{
    size_t n = 0;
    char *save = NULL, *tok;
    for (tok = strtok_r(s, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save)) {
        char *e;
        while (isspace((unsigned char)*tok)) tok++;
        e = tok + strlen(tok);
        while (e > tok && isspace((unsigned char)e[-1])) *--e = '\0';
        if (*tok) items[n++] = tok;
    }
    return n;
}
