/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/params_file.c: parameter files (core/params_file.h), read through core/ini. */
#include "core/params_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/fileio.h"
#include "core/ini.h"

int sm_params_file_save(const char *synth, const sm_param_space *sp, const char *path,
                        const double *native, const char *name, sm_error *err)
{
    sm_outfile of;
    size_t i;
    int rc;
    if (!synth || !sp || !path || !native)
        return sm_error_set(err, SM_ERR_ARG, "params save: NULL argument");
    for (i = 0; i < sp->n; i++)
        if (!isfinite(native[i]))
            return sm_error_set(err, SM_ERR_ARG, "%s: %s is not finite; nothing written", path,
                                sp->p[i].name);
    if ((rc = sm_outfile_open(&of, path, err)) != 0) return rc;
    fprintf(of.f, "; a %s patch written by soundmatch: one parameter a line, in native units\n"
                  "; (names, units and ranges: soundmatch list %s); play it with\n"
                  "; soundmatch render --patch FILE -o out.wav\n[patch]\nsynth = %s\nname = ",
            synth, synth, synth);
    /* the name on one line, without what INI would take for a comment or a new line */
    for (i = 0; name && name[i] && i < 63; i++)
        fputc(name[i] == ';' || name[i] == '#' || (unsigned char)name[i] < 32 ? '_' : name[i],
              of.f);
    fputs("\n[params]\n", of.f);
    for (i = 0; i < sp->n; i++) {
        const sm_param *p = &sp->p[i];
        const long k = lround(native[i] - p->min);
        if (p->kind == SM_PARAM_ENUM && p->labels && k >= 0 && (double)k <= p->max - p->min &&
            p->labels[k])
            fprintf(of.f, "%s = %s\n", p->name, p->labels[k]);
        else
            fprintf(of.f, "%s = %.17g\n", p->name, native[i]);
    }
    return sm_outfile_commit(&of, err);
}

int sm_params_file_load(const char *synth, const sm_param_space *sp, const char *spec,
                        double *native, char *name, size_t name_len, sm_error *err)
{
    const char *colon, *v;
    char *path = NULL;
    double *vals = NULL;
    sm_ini *ini = NULL;
    size_t i;
    int line, rc = 0;
    if (!synth || !sp || !spec || !native)
        return sm_error_set(err, SM_ERR_ARG, "params load: NULL argument");
    colon = strrchr(spec, ':');
    if (colon && strchr(colon, '/')) colon = NULL; /* a colon inside a folder's name */
    if (colon && strcmp(colon + 1, "1") != 0)
        return sm_error_set(err, SM_ERR_NOTFOUND, "%s: a parameter file holds one patch, not '%s'",
                            spec, colon + 1);
    path = colon ? strndup(spec, (size_t)(colon - spec)) : strdup(spec);
    vals = malloc(sp->n * sizeof *vals);
    if (!path || !vals) {
        rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!(ini = sm_ini_load(path, err))) {
        rc = err && err->code ? err->code : SM_ERR_CONFIG;
        goto out;
    }
    for (i = 0; i < ini->n_sections; i++)
        if (strcmp(ini->sections[i], "patch") != 0 && strcmp(ini->sections[i], "params") != 0) {
            rc = sm_error_set(err, SM_ERR_CONFIG, "%s:%d: unknown section [%s] (a parameter file "
                              "holds [patch] and [params])", path, ini->section_lines[i],
                              ini->sections[i]);
            goto out;
        }
    v = sm_ini_get(ini, "patch", "synth", &line);
    if (!v || strcmp(v, synth) != 0) {
        rc = v ? sm_error_set(err, SM_ERR_CONFIG, "%s:%d: a patch of '%s', not of %s", path, line,
                              v, synth)
               : sm_error_set(err, SM_ERR_CONFIG, "%s: [patch] needs 'synth = %s'", path,
                              synth);
        goto out;
    }
    v = sm_ini_get(ini, "patch", "name", NULL);
    sm_params_defaults(sp, vals);
    for (i = 0; i < sp->n; i++) {
        const char *t = sm_ini_get(ini, "params", sp->p[i].name, &line);
        sm_error pe = {0, ""};
        if (t && (rc = sm_param_parse(&sp->p[i], t, &vals[i], &pe)) != 0) {
            sm_error_set(err, rc, "%s:%d: %s", path, line, sm_error_text(&pe));
            goto out;
        }
    }
    for (i = 0; i < ini->n; i++) {
        const sm_ini_entry *e = &ini->e[i];
        if (e->used) continue;
        rc = strcmp(e->section, "params") == 0
                 ? sm_error_set(err, SM_ERR_CONFIG, "%s:%d: %s has no parameter '%s' (soundmatch "
                                "list %s)", path, e->line, synth, e->key, synth)
                 : sm_error_set(err, SM_ERR_CONFIG, "%s:%d: '%s' is not a setting of [%s]", path,
                                e->line, e->key, e->section);
        goto out;
    }
    memcpy(native, vals, sp->n * sizeof *vals);
    if (name && name_len) snprintf(name, name_len, "%s", v ? v : "");
out:
    sm_ini_free(ini);
    free(vals);
    free(path);
    return rc;
}
