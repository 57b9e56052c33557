/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_synth_registry.c: conformance of every registered synth: a sane parameter space,
 * finite and bounded output for random and NaN parameters, and seed-deterministic renders. */
#include "tests/test_util.h"
#include "core/rng.h"
#include "synths/synth.h"

#define SR 22050.0
#define N 11025 /* 0.5 s */

static void test_registry_lookup(void **state)
{
    /* the registry list (synths/synths.def): a new synth is tested here by its line */
    const sm_synth_type *const listed[] = {
#define SM_SYNTH(name) &sm_synth_##name,
#include "synths/synths.def"
#undef SM_SYNTH
    };
    const size_t n_listed = sizeof listed / sizeof *listed;
    char names[256], expect[256] = "";
    size_t i;
    (void)state;
    assert_int_equal(sm_synth_count(), n_listed);
    for (i = 0; i < n_listed; i++) {
        assert_ptr_equal(sm_synth_find(listed[i]->name), listed[i]);
        assert_true(listed[i]->render_version >= 1);
        if (i) strcat(expect, ", ");
        strcat(expect, listed[i]->name);
    }
    assert_string_equal(sm_synth_names(names, sizeof names), expect);
    assert_int_equal(sm_synth_count(), 3);
    assert_ptr_equal(sm_synth_find("fm6"), &sm_synth_fm6);
    assert_ptr_equal(sm_synth_find("drum"), &sm_synth_drum);
    assert_ptr_equal(sm_synth_find("neuron"), &sm_synth_neuron);
    assert_null(sm_synth_find("moog"));
    assert_null(sm_synth_find(NULL));
    for (i = 0; i < sm_synth_count(); i++) assert_ptr_equal(sm_synth_find(sm_synth_at(i)->name), sm_synth_at(i));
    assert_null(sm_synth_at(3));
}

static void test_spaces_are_sane(void **state)
{
    size_t i, j, k;
    (void)state;
    for (i = 0; i < sm_synth_count(); i++) {
        const sm_synth_type *s = sm_synth_at(i);
        assert_non_null(s->description);
        assert_true(s->space->n > 0);
        for (j = 0; j < s->space->n; j++) {
            const sm_param *p = &s->space->p[j];
            assert_non_null(p->name);
            assert_non_null(p->unit);
            assert_true(p->min <= p->max);
            assert_true(p->def >= p->min && p->def <= p->max);
            if (p->log_scale) assert_true(p->min > 0 && p->kind == SM_PARAM_REAL);
            if (p->kind != SM_PARAM_REAL) assert_close(p->def, floor(p->def), 0);
            if (p->kind == SM_PARAM_ENUM) {
                assert_non_null(p->labels);
                for (k = 0; k <= (size_t)(p->max - p->min); k++) assert_non_null(p->labels[k]);
            }
            for (k = 0; k < j; k++) assert_string_not_equal(p->name, s->space->p[k].name);
        }
    }
}

static void render(const sm_synth_type *s, void *st, const double *native, uint64_t seed, float *out)
{
    sm_note note = sm_note_default();
    note.seed = seed;
    note.gate_s = 0.3;
    note.length_s = (double)N / SR;
    assert_int_equal(s->render(st, native, &note, out, N), 0);
}

static void test_finite_bounded_deterministic(void **state)
{
    size_t i, j, k;
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    (void)state;
    for (i = 0; i < sm_synth_count(); i++) {
        const sm_synth_type *s = sm_synth_at(i);
        sm_error err = {0};
        void *st = s->alloc(SR, &err);
        double *x = malloc(s->space->n * sizeof *x), *native = malloc(s->space->n * sizeof *native);
        sm_rng r;
        assert_non_null(st);
        sm_rng_init(&r, 99, i);
        /* defaults: not silent, deterministic */
        sm_params_defaults(s->space, native);
        render(s, st, native, 5, a);
        render(s, st, native, 5, b);
        assert_memory_equal(a, b, N * sizeof *a);
        {
            double peak = 0;
            for (j = 0; j < N; j++) peak = fmax(peak, fabs(a[j]));
            print_message("%s: default patch peaks at %.3f\n", s->name, peak);
            if (!(peak > 1e-2)) fail_msg("%s: the default patch is silent (peak %g)", s->name, peak);
        }
        for (k = 0; k < 40; k++) {
            double peak = 0;
            for (j = 0; j < s->space->n; j++) x[j] = sm_rng_uniform(&r);
            sm_params_decode(s->space, x, native);
            render(s, st, native, k, a);
            for (j = 0; j < N; j++) {
                if (!isfinite(a[j])) fail_msg("%s: sample %zu of random patch %zu is not finite", s->name, j, k);
                if (fabs(a[j]) > peak) peak = fabs(a[j]);
            }
            if (peak > 1.0) fail_msg("%s: random patch %zu peaks at %g, beyond [-1, 1]", s->name, k, peak);
            render(s, st, native, k, b);
            assert_memory_equal(a, b, N * sizeof *a);
        }
        /* NaN parameters never give NaN audio */
        for (j = 0; j < s->space->n; j++) native[j] = NAN;
        render(s, st, native, 1, a);
        for (j = 0; j < N; j++) assert_true(isfinite(a[j]));
        s->free(st);
        s->free(NULL);
        free(x);
        free(native);
    }
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_lookup),
        cmocka_unit_test(test_spaces_are_sane),
        cmocka_unit_test(test_finite_bounded_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
