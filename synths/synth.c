/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/synth.c: the synth registry (from synths/synths.def) and a one-shot render helper. */
#include "synths/synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sm_synth_type *const registry[] = {
#define SM_SYNTH(name) &sm_synth_##name,
#include "synths/synths.def"
#undef SM_SYNTH
};

sm_note sm_note_default(void)
{
    sm_note n;
    n.note = 60;
    n.velocity = 100;
    n.gate_s = 1.0;
    n.length_s = 1.5;
    n.seed = 1;
    n.random_phase = 0;
    return n;
}

const sm_synth_type *sm_synth_find(const char *name)
{
    size_t i;
    if (!name) return NULL;
    for (i = 0; i < sizeof registry / sizeof *registry; i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

size_t sm_synth_count(void)
{
    return sizeof registry / sizeof *registry;
}

const sm_synth_type *sm_synth_at(size_t i)
{
    return i < sm_synth_count() ? registry[i] : NULL;
}

char *sm_synth_names(char *buf, size_t len)
{
    size_t i, used = 0;
    if (!buf || !len) return buf;
    buf[0] = '\0';
    for (i = 0; i < sm_synth_count() && used < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", registry[i]->name);
        if (k < 0) break;
        used += (size_t)k;
    }
    return buf;
}

int sm_synth_render_note(const sm_synth_type *synth, double sample_rate, const double *native,
                         const sm_note *note, float **out, size_t *n, sm_error *err)
{
    void *st;
    float *buf;
    size_t len;
    double *p;
    int rc;
    *out = NULL;
    *n = 0;
    if (!(sample_rate >= 1000 && sample_rate <= 384000))
        return sm_error_set(err, SM_ERR_RANGE, "sample rate %g Hz is outside 1000..384000",
                            sample_rate);
    if (!(note->length_s > 0 && note->length_s <= 600))
        return sm_error_set(err, SM_ERR_RANGE, "length %g s is outside 0..600", note->length_s);
    if (!isfinite(note->note) || !isfinite(note->velocity) || !isfinite(note->gate_s))
        return sm_error_set(err, SM_ERR_NONFINITE, "note, velocity or gate is not finite");
    p = malloc(synth->space->n * sizeof *p);
    if (!p) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    memcpy(p, native, synth->space->n * sizeof *p);
    rc = sm_params_check(synth->space, p, err);
    if (rc) {
        free(p);
        return rc;
    }
    len = (size_t)llround(note->length_s * sample_rate);
    if (len == 0) len = 1;
    buf = calloc(len, sizeof *buf);
    st = buf ? synth->alloc(sample_rate, err) : NULL;
    if (!buf || !st) {
        free(buf);
        free(p);
        if (!buf) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return err && err->code ? err->code : SM_ERR_NOMEM;
    }
    rc = synth->render(st, p, note, buf, len);
    synth->free(st);
    free(p);
    if (rc) {
        free(buf);
        return sm_error_set(err, rc, "%s: render failed: %s", synth->name, sm_strerror(rc));
    }
    *out = buf;
    *n = len;
    return 0;
}
