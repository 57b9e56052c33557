/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/ini.h: INI files read through libinih, kept in memory with line numbers.
 *
 * Sections may carry a name after a space ("[optimizer ga]"). Every getter that fails writes a
 * sentence naming the file, the line and what was wrong ("exp.ini:12: budget: '0' must be at
 * least 1"). */
#ifndef SM_INI_H
#define SM_INI_H

#include <stddef.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *section;  /* full section text, e.g. "optimizer ga" */
    char *key;
    char *value;
    int line;
    int used;       /* set by the getters, so unknown keys can be reported */
} sm_ini_entry;

typedef struct {
    char *path;
    size_t n;
    sm_ini_entry *e;
    size_t n_sections;
    char **sections;     /* in file order, each once */
    int *section_lines;
} sm_ini;

/* Parses path. Returns NULL on failure with err naming the file and line (SM_ERR_IO,
 * SM_ERR_CONFIG). A file that holds no section at all is SM_ERR_CONFIG. */
sm_ini *sm_ini_load(const char *path, sm_error *err);
/* Parses INI text held in memory; name is used in messages. */
sm_ini *sm_ini_parse_string(const char *text, const char *name, sm_error *err);
void sm_ini_free(sm_ini *ini);

/* 1 if the section exists. */
int sm_ini_has_section(const sm_ini *ini, const char *section);
/* The value (last one wins) or NULL; marks the entry used. line may be NULL. */
const char *sm_ini_get(sm_ini *ini, const char *section, const char *key, int *line);
/* Typed getters: if the key is absent, *out = def and 0 is returned. A present but malformed
 * or out-of-range value is SM_ERR_CONFIG with file:line in err. */
int sm_ini_get_double(sm_ini *ini, const char *section, const char *key, double def,
                      double lo, double hi, double *out, sm_error *err);
int sm_ini_get_long(sm_ini *ini, const char *section, const char *key, long def, long lo,
                    long hi, long *out, sm_error *err);
int sm_ini_get_bool(sm_ini *ini, const char *section, const char *key, int def, int *out,
                    sm_error *err);
/* A required string: absent is SM_ERR_CONFIG ("exp.ini: [synth] needs 'name'"). */
int sm_ini_require(sm_ini *ini, const char *section, const char *key, const char **out,
                   sm_error *err);
/* SM_ERR_CONFIG naming the first key of section that no getter has read, if any. */
int sm_ini_check_unused(const sm_ini *ini, const char *section, sm_error *err);
/* Splits a comma-separated value ("a, b=1, c") in place: items point into s, each trimmed of
 * white space, empty ones left out, at most max of them. Returns how many. Cannot fail. */
size_t sm_split_list(char *s, char **items, size_t max);

#ifdef __cplusplus
}
#endif

#endif
