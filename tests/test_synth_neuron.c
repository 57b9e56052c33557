/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_synth_neuron.c: the neuron backend (synths/neuron.c): its parameter space, exact
 * waveforms of simple networks with the output stage passing through, the activations, the
 * axon delays, bounded and denormal-free output under strong feedback, silence, seeds, the
 * two-stage low-pass against the filter's analytic gain, and an end-to-end recovery of hidden
 * parameters by a small search written here. */
#include "tests/test_util.h"
#include "synths/neuron.h"

#include <float.h>

#define SR 44100.0

/* Sets the parameter called name, failing the test if there is none. */
static void set(double *p, const char *name, double v)
{
    int i = sm_params_find(sm_synth_neuron.space, name);
    if (i < 0) fail_msg("no neuron parameter called %s", name);
    p[i] = v;
}

static double get(const double *p, const char *name)
{
    int i = sm_params_find(sm_synth_neuron.space, name);
    if (i < 0) fail_msg("no neuron parameter called %s", name);
    return p[i];
}

/* The defaults with every weight, bias, mix and cutoff modulation of every neuron at 0. */
static void zero_network(double *p)
{
    static const char *const fields[] = {"bias",  "w_osc1", "w_osc2", "w_osc3", "w_x",
                                         "w_y",   "w_z",    "w_noise", "fb1",   "fb2",
                                         "fb3",   "fb4",    "fb5",    "fb6",    "fb7",
                                         "fb8",   "mix",    "cutmod"};
    char name[32];
    size_t k, f;
    sm_params_defaults(sm_synth_neuron.space, p);
    for (k = 1; k <= SM_NEURON_MAX; k++)
        for (f = 0; f < sizeof fields / sizeof *fields; f++) {
            snprintf(name, sizeof name, "n%zu_%s", k, fields[f]);
            set(p, name, 0);
        }
}

/* Output stage passing through: filter off, fastest attack, full sustain, gate past the end. */
static void pass_through(double *p)
{
    set(p, "filter_type", SM_NEURON_FILTER_OFF);
    set(p, "env_attack_s", 0.0005);
    set(p, "env_sustain", 1);
}

/* One neuron of activation act hearing the sine oscillator at the note's pitch with weight w
 * and bias b, heard alone through the pass-through output stage. */
static void one_sine_neuron(double *p, int act, double w, double b)
{
    zero_network(p);
    pass_through(p);
    set(p, "n_neurons", 1);
    set(p, "n1_act", act);
    set(p, "osc1_wave", SM_NEURON_SINE);
    set(p, "osc1_ratio", 1);
    set(p, "n1_w_osc1", w);
    set(p, "n1_bias", b);
    set(p, "n1_mix", 1);
}

/* The envelope of a pass-through render at sample n: the linear attack (0.5 ms), then 1. */
static double attack_env(size_t n, double sr)
{
    double e = (double)(n + 1) / (0.0005 * sr);
    return e < 1 ? e : 1;
}

static sm_note note_at(double midi, double length_s)
{
    sm_note note;
    note.note = midi;
    note.velocity = 100;
    note.gate_s = length_s + 1;
    note.length_s = length_s;
    note.seed = 1;
    return note;
}

static float *render(void *st, const double *p, const sm_note *note, size_t n)
{
    float *out = malloc(n * sizeof *out);
    assert_non_null(out);
    assert_int_equal(sm_synth_neuron.render(st, p, note, out, n), 0);
    return out;
}

static void *alloc_at(double sr)
{
    sm_error err = {0};
    void *st = sm_synth_neuron.alloc(sr, &err);
    assert_non_null(st);
    return st;
}

static double freq_of(double midi)
{
    return 440.0 * pow(2.0, (midi - 69.0) / 12.0);
}

/* ---------------------------------------------------------------------------------------- */

static void test_space(void **state)
{
    const sm_param_space *s = sm_synth_neuron.space;
    double *p = malloc(s->n * sizeof *p);
    size_t i, j;
    (void)state;
    assert_string_equal(sm_synth_neuron.name, "neuron");
    assert_int_equal(s->n, 22 + 22 * SM_NEURON_MAX);
    for (i = 0; i < s->n; i++) {
        const sm_param *q = &s->p[i];
        assert_true(q->min < q->max);
        assert_true(q->def >= q->min && q->def <= q->max);
        if (q->log_scale) assert_true(q->min > 0 && q->kind == SM_PARAM_REAL);
        if (q->kind == SM_PARAM_ENUM) assert_non_null(q->labels[(size_t)(q->max - q->min)]);
        for (j = 0; j < i; j++) assert_string_not_equal(q->name, s->p[j].name);
    }
    i = (size_t)sm_params_find(s, "n_neurons");
    assert_int_equal(s->p[i].kind, SM_PARAM_INT);
    assert_close(s->p[i].min, 1, 0);
    assert_close(s->p[i].max, 8, 0);
    assert_close(s->p[i].def, 2, 0);
    i = (size_t)sm_params_find(s, "osc1_ratio");
    assert_true(s->p[i].log_scale);
    i = (size_t)sm_params_find(s, "filter_cutoff_hz");
    assert_true(s->p[i].log_scale);
    assert_close(s->p[i].min, 20, 0);
    assert_close(s->p[i].max, 20000, 0);
    assert_true(sm_params_find(s, "n8_fb8") >= 0);
    assert_true(sm_params_find(s, "n8_cutmod") >= 0);
    assert_int_equal(sm_params_find(s, "n9_bias"), -1);
    sm_params_defaults(s, p);
    assert_int_equal(sm_params_check(s, p, NULL), 0);
    assert_close(get(p, "n1_act"), SM_NEURON_ACT_TANH, 0);
    assert_close(get(p, "n2_act"), SM_NEURON_ACT_RECTCOMP, 0);
    free(p);
}

static void test_alloc_and_arguments(void **state)
{
    sm_error err = {0};
    void *st;
    double *p = malloc(sm_synth_neuron.space->n * sizeof *p);
    float out[16];
    sm_note note = note_at(60, 0.1);
    (void)state;
    assert_null(sm_synth_neuron.alloc(10, &err));
    assert_int_equal(err.code, SM_ERR_RANGE);
    assert_null(sm_synth_neuron.alloc(NAN, NULL));
    sm_synth_neuron.free(NULL);
    st = alloc_at(SR);
    sm_params_defaults(sm_synth_neuron.space, p);
    assert_int_equal(sm_synth_neuron.render(NULL, p, &note, out, 16), SM_ERR_ARG);
    assert_int_equal(sm_synth_neuron.render(st, NULL, &note, out, 16), SM_ERR_ARG);
    assert_int_equal(sm_synth_neuron.render(st, p, NULL, out, 16), SM_ERR_ARG);
    assert_int_equal(sm_synth_neuron.render(st, p, &note, NULL, 16), SM_ERR_ARG);
    assert_int_equal(sm_synth_neuron.render(st, p, &note, out, 0), 0);
    sm_synth_neuron.free(st);
    free(p);
}

/* One tanh neuron, one sine, no feedback, output stage passing through:
 * y[n] = tanh(w sin(2 pi f n / sr) + b), times the 0.5 ms attack ramp. Tolerance 1e-4: the
 * fast tanh is within 1e-5, the 32-bit phase accumulator drifts by less than 4e-5 over 1 s. */
static void test_single_tanh_neuron_waveform(void **state)
{
    const size_t n = (size_t)SR;
    const double w = 1.7, b = 0.3, midi = 69, f = freq_of(midi);
    double *p = malloc(sm_synth_neuron.space->n * sizeof *p), max_err = 0;
    void *st = alloc_at(SR);
    sm_note note = note_at(midi, 1.0);
    float *y;
    size_t i;
    (void)state;
    one_sine_neuron(p, SM_NEURON_ACT_TANH, w, b);
    set(p, "n1_fb2", 3); /* neuron 2 is inactive: ignored */
    y = render(st, p, &note, n);
    for (i = 0; i < n; i++) {
        double want = attack_env(i, SR) * tanh(w * sin(2 * M_PI * f * (double)i / SR) + b);
        double e = fabs(y[i] - want);
        if (e > max_err) max_err = e;
        if (e > 1e-4) fail_msg("sample %zu: %.9g, expected %.9g", i, y[i], want);
    }
    print_message("tanh neuron: max error %.3g over %zu samples\n", max_err, n);
    free(y);
    sm_synth_neuron.free(st);
    free(p);
}

static void test_activation_functions(void **state)
{
    float x;
    (void)state;
    /* ReLU: negative gives 0, bounded at 1 */
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RELU, -0.5f, 0, 0), 0, 0);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RELU, -1e9f, 0, 0), 0, 0);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RELU, 0.3f, 0, 0), 0.3, 1e-7);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RELU, 5.0f, 0, 0), 1, 0);
    /* hard clip at +-1 */
    assert_close(sm_neuron_activate(SM_NEURON_ACT_HARDCLIP, 2.0f, 0, 0), 1, 0);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_HARDCLIP, -3.0f, 0, 0), -1, 0);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_HARDCLIP, 0.25f, 0, 0), 0.25, 0);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_HARDCLIP, -0.75f, 0, 0), -0.75, 0);
    /* rectifier and comparator: half-wave rectified, plus `spike` above the threshold */
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RECTCOMP, -1.0f, 0.4f, 0.5f), 0, 0);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RECTCOMP, 0.0f, 0.0f, 0.5f), 0, 0);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RECTCOMP, 0.39f, 0.4f, 0.5f), 0.195, 1e-6);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RECTCOMP, 0.41f, 0.4f, 0.5f), 0.705, 1e-6);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RECTCOMP, 3.0f, 0.4f, 0.5f), 1, 1e-7);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RECTCOMP, 0.6f, 0.4f, 1.0f), 1, 0);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RECTCOMP, 0.3f, 0.4f, 1.0f), 0, 0);
    /* tanh: within 1e-5, exactly +-1 from 7 on, odd */
    for (x = -12.0f; x <= 12.0f; x += 0.001f) {
        float t = sm_neuron_activate(SM_NEURON_ACT_TANH, x, 0, 0);
        assert_close(t, tanh(x), 1e-5);
        assert_true(fabsf(t) <= 1.0f);
        assert_close(sm_neuron_tanh(-x), -sm_neuron_tanh(x), 0);
    }
    assert_close(sm_neuron_tanh(7.0f), 1, 0);
    assert_close(sm_neuron_tanh(-100.0f), -1, 0);
    assert_close(sm_neuron_tanh(0.0f), 0, 0);
    /* NaN and unknown activations give 0 */
    assert_close(sm_neuron_activate(SM_NEURON_ACT_TANH, NAN, 0, 0), 0, 0);
    assert_close(sm_neuron_activate(SM_NEURON_ACT_RECTCOMP, NAN, 0.5f, 0.5f), 0, 0);
    assert_close(sm_neuron_tanh(NAN), 0, 0);
    assert_close(sm_neuron_activate(17, 0.5f, 0, 0), 0, 0);
}

/* ReLU and comparator neurons inside a render, driven by a sine. */
static void test_activations_in_render(void **state)
{
    const size_t n = 22050;
    const double midi = 57, f = freq_of(midi), thr = 0.4, spk = 0.5;
    double *p = malloc(sm_synth_neuron.space->n * sizeof *p);
    void *st = alloc_at(SR);
    sm_note note = note_at(midi, 0.5);
    float *y;
    size_t i, jumps = 0, cycles;
    (void)state;
    zero_network(p);
    pass_through(p);
    set(p, "n_neurons", 1);
    set(p, "n1_mix", 1);
    set(p, "n1_w_osc1", 0.8);
    set(p, "n1_act", SM_NEURON_ACT_RELU);
    y = render(st, p, &note, n);
    for (i = 0; i < n; i++) {
        double s = 0.8 * sin(2 * M_PI * f * (double)i / SR);
        if (s < 0) assert_close(y[i], 0, 0);             /* ReLU of negative = 0 */
        else assert_close(y[i], attack_env(i, SR) * s, 1e-4);
    }
    free(y);
    /* comparator: the output jumps by `spike` each time the rectified input crosses the
     * threshold upwards, once a cycle, and falls by it on the way down */
    set(p, "n1_act", SM_NEURON_ACT_RECTCOMP);
    set(p, "n1_thresh", thr);
    set(p, "n1_spike", spk);
    y = render(st, p, &note, n);
    for (i = 64; i < n; i++) {
        double s = 0.8 * sin(2 * M_PI * f * (double)i / SR);
        double r = s < 0 ? 0 : s, want = (1 - spk) * r + (r > thr ? spk : 0);
        if (fabs(r - thr) > 1e-3) assert_close(y[i], want, 1e-4);
        if (y[i] - y[i - 1] > 0.9 * spk) jumps++;
        assert_true(y[i] - y[i - 1] < 0.9 * spk || r > thr); /* jumps only at crossings */
    }
    cycles = (size_t)floor((double)(n - 64) * f / SR);
    assert_true(jumps >= cycles && jumps <= cycles + 1);
    free(y);
    sm_synth_neuron.free(st);
    free(p);
}

/* Neuron 2 hears neuron 1 through its axon delay: y2[t] = y1[t - D], linearly interpolated for
 * a fractional D. Hard clips, kept in their linear range, make it exact. */
static void test_axon_delay(void **state)
{
    const size_t n = 4096;
    const double midi = 60, f = freq_of(midi);
    const double delays[] = {1, 10, 10.25, 64};
    double *p = malloc(sm_synth_neuron.space->n * sizeof *p);
    void *st = alloc_at(SR);
    sm_note note = note_at(midi, (double)n / SR);
    size_t i, k;
    (void)state;
    zero_network(p);
    pass_through(p);
    set(p, "n1_act", SM_NEURON_ACT_HARDCLIP);
    set(p, "n2_act", SM_NEURON_ACT_HARDCLIP);
    set(p, "n1_w_osc1", 0.5);
    set(p, "n2_fb1", 1);
    set(p, "n2_mix", 1);
    for (k = 0; k < sizeof delays / sizeof *delays; k++) {
        const double d = delays[k], whole = floor(d), frac = d - whole;
        float *y;
        set(p, "n1_delay", d);
        y = render(st, p, &note, n);
        for (i = 0; i < n; i++) {
            double a = (double)i - whole, b = a - 1, want;
            double ya = a < 0 ? 0 : 0.5 * sin(2 * M_PI * f * a / SR);
            double yb = b < 0 ? 0 : 0.5 * sin(2 * M_PI * f * b / SR);
            want = attack_env(i, SR) * ((1 - frac) * ya + frac * yb);
            if (fabs(y[i] - want) > 1e-5)
                fail_msg("delay %g, sample %zu: %.9g, expected %.9g", d, i, y[i], want);
        }
        free(y);
    }
    sm_synth_neuron.free(st);
    free(p);
}

/* Checks that every sample is finite, within [-1, 1] and 0 or a normal float; returns rms. */
static double check_samples(const float *y, size_t n, const char *what)
{
    double sum = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (!isfinite(y[i])) fail_msg("%s: sample %zu is not finite", what, i);
        if (fabsf(y[i]) > 1.0f) fail_msg("%s: sample %zu = %g is beyond [-1, 1]", what, i, y[i]);
        if (y[i] != 0 && fabsf(y[i]) < FLT_MIN)
            fail_msg("%s: sample %zu = %g is denormal", what, i, y[i]);
        sum += (double)y[i] * y[i];
    }
    return sqrt(sum / (double)n);
}

/* Eight neurons, every feedback weight at its maximum (or minimum), 10 s: bounded, finite, no
 * denormal, and alive, through lowpass and (the second) lowpass24. Then the same network
 * silenced by its release: exact zeros. */
static void test_strong_feedback_bounded(void **state)
{
    const size_t n = (size_t)(10 * SR);
    double *p = malloc(sm_synth_neuron.space->n * sizeof *p);
    void *st = alloc_at(SR);
    sm_note note = note_at(45, 10.0);
    char name[32];
    float *y;
    int sign, k, j;
    (void)state;
    for (sign = 1; sign >= -1; sign -= 2) {
        double rms;
        sm_params_defaults(sm_synth_neuron.space, p);
        set(p, "n_neurons", 8);
        set(p, "filter_type", SM_NEURON_FILTER_LOWPASS);
        set(p, "filter_res", 1);
        set(p, "filter_cutoff_hz", 20000);
        set(p, "env_sustain", 1);
        for (k = 1; k <= 8; k++) {
            snprintf(name, sizeof name, "n%d_act", k);
            set(p, name, sign > 0 ? SM_NEURON_ACT_TANH : (k - 1) % 4);
            snprintf(name, sizeof name, "n%d_w_osc%d", k, 1 + k % 3);
            set(p, name, 4.0 * sign);
            snprintf(name, sizeof name, "n%d_w_noise", k);
            set(p, name, 2);
            snprintf(name, sizeof name, "n%d_bias", k);
            set(p, name, 2);
            snprintf(name, sizeof name, "n%d_mix", k);
            set(p, name, 1);
            snprintf(name, sizeof name, "n%d_cutmod", k);
            set(p, name, 4 * sign);
            snprintf(name, sizeof name, "n%d_delay", k);
            set(p, name, 1);
            for (j = 1; j <= 8; j++) {
                snprintf(name, sizeof name, "n%d_fb%d", k, j);
                set(p, name, 4.0 * sign);
            }
        }
        y = render(st, p, &note, n);
        rms = check_samples(y, n, sign > 0 ? "feedback +4" : "feedback -4");
        print_message("feedback %+d: rms %.3f over 10 s\n", 4 * sign, rms);
        assert_true(rms > 1e-3);
        free(y);
    }
    /* the second network through lowpass24 at full resonance: the second stage hears the
     * first's resonant peak, and the output is still bounded, finite and without denormals */
    set(p, "filter_type", SM_NEURON_FILTER_LOWPASS24);
    y = render(st, p, &note, n);
    assert_true(check_samples(y, n, "feedback -4, lowpass24") > 1e-3);
    free(y);
    /* a release much shorter than the note: the tail is exactly 0 */
    note.gate_s = 0.2;
    set(p, "env_release_s", 0.01);
    y = render(st, p, &note, 44100);
    check_samples(y, 44100, "released");
    for (k = 22050; k < 44100; k++) assert_close(y[k], 0, 0);
    free(y);
    sm_synth_neuron.free(st);
    free(p);
}

/* NaN and random parameter vectors: finite, bounded, no denormals (as the registry's conformance
 * test asks of every synth, here with more patches and at two rates). */
static void test_random_and_nan_parameters(void **state)
{
    const sm_param_space *s = sm_synth_neuron.space;
    const size_t n = 8192;
    double *x = malloc(s->n * sizeof *x), *p = malloc(s->n * sizeof *p);
    double rates[] = {22050, 48000};
    size_t r, k, i;
    uint64_t u = 12345;
    (void)state;
    for (r = 0; r < 2; r++) {
        void *st = alloc_at(rates[r]);
        sm_note note = note_at(60, 0.2);
        note.gate_s = 0.1;
        for (k = 0; k < 60; k++) {
            float *y;
            for (i = 0; i < s->n; i++) {
                u = u * 6364136223846793005ULL + 1442695040888963407ULL;
                x[i] = (double)(u >> 11) * 0x1.0p-53;
            }
            sm_params_decode(s, x, p);
            note.seed = k;
            y = render(st, p, &note, n);
            check_samples(y, n, "random patch");
            free(y);
        }
        for (i = 0; i < s->n; i++) p[i] = NAN;
        note.note = NAN;
        note.gate_s = NAN;
        {
            float *y = render(st, p, &note, n);
            check_samples(y, n, "NaN patch");
            free(y);
        }
        sm_synth_neuron.free(st);
    }
    free(x);
    free(p);
}

static void test_seeds(void **state)
{
    const size_t n = 11025;
    double *p = malloc(sm_synth_neuron.space->n * sizeof *p);
    void *st = alloc_at(SR);
    sm_note note = note_at(57, 0.25);
    float *a, *b;
    (void)state;
    sm_params_defaults(sm_synth_neuron.space, p);
    /* no noise: the seed does not matter */
    a = render(st, p, &note, n);
    note.seed = 2;
    b = render(st, p, &note, n);
    assert_memory_equal(a, b, n * sizeof *a);
    free(a);
    free(b);
    /* noise: the same seed gives the same output, another seed another one */
    set(p, "n1_w_noise", 0.5);
    note.seed = 7;
    a = render(st, p, &note, n);
    b = render(st, p, &note, n);
    assert_memory_equal(a, b, n * sizeof *a);
    free(b);
    note.seed = 8;
    b = render(st, p, &note, n);
    assert_memory_not_equal(a, b, n * sizeof *a);
    free(a);
    free(b);
    /* a fresh state renders the same as a used one */
    {
        void *st2 = alloc_at(SR);
        a = render(st, p, &note, n);
        b = render(st2, p, &note, n);
        assert_memory_equal(a, b, n * sizeof *a);
        free(a);
        free(b);
        sm_synth_neuron.free(st2);
    }
    sm_synth_neuron.free(st);
    free(p);
}

/* All input weights and biases 0: exact silence whatever the feedback, activation, joystick,
 * filter or noise level. */
static void test_silence(void **state)
{
    const size_t n = 22050;
    double *p = malloc(sm_synth_neuron.space->n * sizeof *p);
    void *st = alloc_at(SR);
    sm_note note = note_at(57, 0.5);
    char name[32];
    int act, k, j;
    (void)state;
    for (act = 0; act < 4; act++) {
        float *y;
        size_t i;
        zero_network(p);
        set(p, "n_neurons", 8);
        set(p, "joy_x", 0.7);
        set(p, "joy_move", 0.5);
        set(p, "filter_res", 1);
        for (k = 1; k <= 8; k++) {
            snprintf(name, sizeof name, "n%d_act", k);
            set(p, name, act);
            snprintf(name, sizeof name, "n%d_mix", k);
            set(p, name, 1);
            snprintf(name, sizeof name, "n%d_cutmod", k);
            set(p, name, 2);
            for (j = 1; j <= 8; j++) {
                snprintf(name, sizeof name, "n%d_fb%d", k, j);
                set(p, name, 3.5);
            }
        }
        y = render(st, p, &note, n);
        for (i = 0; i < n; i++)
            if (y[i] != 0) fail_msg("activation %d: sample %zu = %g, not silent", act, i, y[i]);
        free(y);
    }
    sm_synth_neuron.free(st);
    free(p);
}

/* One hard-clip neuron passing a 3.5 kHz sine (16 x 220 Hz at note 57, amplitude 0.5) to the
 * mix, through the filter (off); the rest of the network silent. */
static void high_sine_voice(double *p)
{
    zero_network(p);
    pass_through(p);
    set(p, "n_neurons", 1);
    set(p, "n1_act", SM_NEURON_ACT_HARDCLIP);
    set(p, "n1_w_osc1", 0.5);
    set(p, "n1_mix", 1);
    set(p, "osc1_ratio", 16); /* 16 x 220 Hz */
}

/* filter_env_oct: the envelope opens the filter. A 3.5 kHz sine through a 200 Hz low-pass
 * passes while the envelope holds the cutoff 5 octaves up (6.4 kHz), and is held back again
 * once the envelope has decayed to a low sustain (the cutoff back near 200 Hz). */
static void test_filter_envelope(void **state)
{
    const size_t n = 44100;
    double *p = malloc(sm_synth_neuron.space->n * sizeof *p);
    void *st = alloc_at(SR);
    sm_note note = note_at(57, (double)n / SR);
    float *a, *b;
    double early_a = 0, early_b = 0, late_a = 0, late_b = 0;
    size_t t;
    (void)state;
    assert_non_null(p);
    sm_params_defaults(sm_synth_neuron.space, p);
    assert_true(get(p, "filter_env_oct") == 0.0);
    high_sine_voice(p);
    set(p, "filter_type", SM_NEURON_FILTER_LOWPASS);
    set(p, "filter_cutoff_hz", 200);
    set(p, "filter_res", 0);
    set(p, "env_attack_s", 0.0005);
    set(p, "env_decay_s", 0.1);
    set(p, "env_sustain", 0.02);
    a = render(st, p, &note, n);
    set(p, "filter_env_oct", 5);
    b = render(st, p, &note, n);
    for (t = 200; t < 1200; t++) { /* the envelope above 0.8: cutoff above 3.3 kHz */
        early_a += (double)a[t] * a[t];
        early_b += (double)b[t] * b[t];
    }
    for (t = 30000; t < 31000; t++) { /* at the sustain: cutoff 215 Hz */
        late_a += (double)a[t] * a[t];
        late_b += (double)b[t] * b[t];
    }
    print_message("early rms %.5f -> %.5f, late %.6f -> %.6f\n", sqrt(early_a / 1000),
                  sqrt(early_b / 1000), sqrt(late_a / 1000), sqrt(late_b / 1000));
    assert_true(early_b > 100 * early_a);  /* 20 dB louder: the filter is open */
    /* closed again: 0.02 x 5 = 0.1 octave above 200 Hz, which a 12 dB/octave slope turns
     * into 1.2 dB more of the sine (a power ratio of 2^0.4 = 1.32) */
    assert_true(late_b > 1.15 * late_a);
    assert_true(late_b < 1.5 * late_a);
    free(a);
    free(b);
    sm_synth_neuron.free(st);
    free(p);
}

/* Parameters of neurons beyond n_neurons change nothing; the filter does what it says. */
static void test_inactive_neurons_and_filter(void **state)
{
    const size_t n = 8192;
    double *p = malloc(sm_synth_neuron.space->n * sizeof *p);
    void *st = alloc_at(SR);
    sm_note note = note_at(57, (double)n / SR);
    float *a, *b;
    double rms_off, rms_lp;
    (void)state;
    sm_params_defaults(sm_synth_neuron.space, p);
    a = render(st, p, &note, n);
    set(p, "n3_w_osc1", 3);
    set(p, "n3_mix", -1);
    set(p, "n1_fb3", 4);
    set(p, "n8_act", SM_NEURON_ACT_RELU);
    b = render(st, p, &note, n);
    assert_memory_equal(a, b, n * sizeof *a);
    free(a);
    free(b);
    /* a 3.5 kHz sine through a 200 Hz low-pass loses most of its energy */
    high_sine_voice(p);
    a = render(st, p, &note, n);
    rms_off = check_samples(a, n, "filter off");
    set(p, "filter_type", SM_NEURON_FILTER_LOWPASS);
    set(p, "filter_cutoff_hz", 200);
    set(p, "filter_res", 0);
    b = render(st, p, &note, n);
    rms_lp = check_samples(b, n, "low-pass");
    print_message("3.5 kHz through 200 Hz low-pass: rms %.4f -> %.4f\n", rms_off, rms_lp);
    assert_close(rms_off, 0.5 / sqrt(2), 0.01);
    assert_true(rms_lp < 0.02 * rms_off);
    free(a);
    free(b);
    sm_synth_neuron.free(st);
    free(p);
}

/* The level in dB of a steady sine of ratio x 220 Hz (note 57, amplitude 0.4, one hard-clip
 * neuron, as high_sine_voice) through filter type `type` at cutoff fc and resonance res,
 * relative to the same sine with the filter off: RMS over samples 4096..36864, long after
 * the filter's transient (a time constant of a few samples) and about a thousand cycles, so a
 * partial cycle moves the RMS by less than 1e-3 dB. */
static double sine_gain_db(void *st, double *p, double ratio, int type, double fc, double res)
{
    const size_t n = 36864, t0 = 4096;
    sm_note note = note_at(57, (double)n / SR);
    double e_off = 0, e_f = 0;
    float *a, *b;
    size_t t;
    high_sine_voice(p);
    set(p, "n1_w_osc1", 0.4); /* below the soft limiter's knee (0.5): it passes unchanged */
    set(p, "osc1_ratio", ratio);
    a = render(st, p, &note, n);
    set(p, "filter_type", type);
    set(p, "filter_cutoff_hz", fc);
    set(p, "filter_res", res);
    b = render(st, p, &note, n);
    check_samples(b, n, "filtered sine");
    for (t = t0; t < n; t++) {
        e_off += (double)a[t] * a[t];
        e_f += (double)b[t] * b[t];
    }
    free(a);
    free(b);
    return 10.0 * log10(e_f / e_off);
}

/* The magnitude in dB of one stage of the low-pass at f for cutoff fc and resonance res:
 * Simper's SVF is the analogue 1 / (s^2 + k s + 1) under the bilinear transform with the
 * cutoff prewarped (g = tan(pi fc / sr)), so at W = tan(pi f / sr) / g its gain is
 * 1 / sqrt((1 - W^2)^2 + k^2 W^2), with neuron.c's damping k = 2 - 1.94 res. */
static double svf_lowpass_db(double f, double fc, double res)
{
    const double W = tan(M_PI * f / SR) / tan(M_PI * fc / SR), k = 2.0 - 1.94 * res;
    return -10.0 * log10((1 - W * W) * (1 - W * W) + k * k * W * W);
}

/* lowpass24, a known answer: a steady sine at 880 Hz cutoff, one and two octaves above it
 * (1760 and 3520 Hz) and one below (440 Hz), without resonance. Each lowpass level is within
 * 0.02 dB of one stage's analytic gain, each lowpass24 level within 0.02 dB of twice it (two
 * identical stages in cascade) and within 0.03 dB of twice the measured lowpass level (the
 * levels: -14.0 and -28.1 dB an octave above, -24.9 and -49.9 two octaves above). Then an
 * octave below with res 0.3 (k = 1.418, near Butterworth's sqrt 2): within 1 dB of unity, and
 * of the analytic two-stage gain within 0.02 dB. Float rounding in render is far below these
 * (measured: the largest difference printed). */
static void test_lowpass24_known_answer(void **state)
{
    const double fc = 880, ratios[3] = {8, 16, 2};
    double *p = malloc(sm_synth_neuron.space->n * sizeof *p);
    void *st = alloc_at(SR);
    double worst = 0, lp, lp24, want, g12[3], g24[3];
    size_t i;
    (void)state;
    assert_non_null(p);
    for (i = 0; i < 3; i++) {
        const double f = 220 * ratios[i], one = svf_lowpass_db(f, fc, 0);
        lp = sine_gain_db(st, p, ratios[i], SM_NEURON_FILTER_LOWPASS, fc, 0);
        lp24 = sine_gain_db(st, p, ratios[i], SM_NEURON_FILTER_LOWPASS24, fc, 0);
        print_message("%.0f Hz through %.0f Hz: lowpass %.4f dB (analytic %.4f), lowpass24 "
                      "%.4f dB (analytic %.4f)\n", f, fc, lp, one, lp24, 2 * one);
        worst = fmax(worst, fmax(fabs(lp - one), fabs(lp24 - 2 * one)));
        assert_close(lp, one, 0.02);
        assert_close(lp24, 2 * one, 0.02);
        assert_close(lp24, 2 * lp, 0.03);
        g12[i] = lp;
        g24[i] = lp24;
    }
    /* the slope from the first octave above the cutoff to the second: 10.9 dB for lowpass
     * (on its way to 12 dB an octave), twice that for lowpass24 (analytic) */
    assert_close(g24[1] - g24[0], 2 * (g12[1] - g12[0]), 0.03);
    assert_true(g24[1] - g24[0] < -21 && g24[1] - g24[0] > -23);
    want = 2 * svf_lowpass_db(440, fc, 0.3);
    lp24 = sine_gain_db(st, p, 2, SM_NEURON_FILTER_LOWPASS24, fc, 0.3);
    print_message("440 Hz through %.0f Hz, res 0.3: lowpass24 %.4f dB (analytic %.4f); "
                  "largest difference from the analytic gains %.2g dB\n", fc, lp24, want, worst);
    assert_close(lp24, want, 0.02);
    assert_close(lp24, 0, 1);
    sm_synth_neuron.free(st);
    free(p);
}

/* ---------------------------------------------------------------------------------------- */
/* End-to-end learning: a small spectral error and a coordinate search, written here.        */

#define LN_SR 22050.0
#define LN_N 8192
#define LN_FFT 1024
#define LN_HOP 512

/* In-place iterative radix-2 FFT of re/im, n = LN_FFT. */
static void fft(double *re, double *im, size_t n)
{
    static double twr[LN_FFT / 2], twi[LN_FFT / 2];
    static int ready;
    size_t i, j = 0, len, k;
    if (!ready) {
        for (i = 0; i < LN_FFT / 2; i++) {
            twr[i] = cos(-2 * M_PI * (double)i / LN_FFT);
            twi[i] = sin(-2 * M_PI * (double)i / LN_FFT);
        }
        ready = 1;
    }
    for (i = 1; i < n; i++) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (len = 2; len <= n; len <<= 1) {
        const size_t stride = n / len;
        for (i = 0; i < n; i += len)
            for (k = 0; k < len / 2; k++) {
                double wr = twr[k * stride], wi = twi[k * stride];
                double ur = re[i + k], ui = im[i + k];
                double vr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
                double vi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
                re[i + k] = ur + vr;
                im[i + k] = ui + vi;
                re[i + k + len / 2] = ur - vr;
                im[i + k + len / 2] = ui - vi;
            }
    }
}

#define LN_FRAMES ((LN_N - LN_FFT) / LN_HOP + 1)
#define LN_BINS (LN_FFT / 2 + 1)

/* Log of the long-term average power spectrum (Hann-windowed frames of LN_FFT, hop LN_HOP)
 * of y[0..LN_N), floored 60 dB below its peak, into spec[LN_BINS]. Averaging over frames makes
 * the error blind to where in its cycle a chaotic network happens to be. */
static void average_spectrum(const float *y, double *spec)
{
    static double re[LN_FFT], im[LN_FFT];
    double peak = 0;
    size_t fr, i;
    for (i = 0; i < LN_BINS; i++) spec[i] = 0;
    for (fr = 0; fr < LN_FRAMES; fr++) {
        for (i = 0; i < LN_FFT; i++) {
            double w = 0.5 - 0.5 * cos(2 * M_PI * (double)i / LN_FFT);
            re[i] = w * y[fr * LN_HOP + i];
            im[i] = 0;
        }
        fft(re, im, LN_FFT);
        for (i = 0; i < LN_BINS; i++) spec[i] += re[i] * re[i] + im[i] * im[i];
    }
    for (i = 0; i < LN_BINS; i++)
        if (spec[i] > peak) peak = spec[i];
    for (i = 0; i < LN_BINS; i++) spec[i] = log(spec[i] + 1e-6 * peak + 1e-30);
}

typedef struct {
    void *st;
    double *p;              /* full native vector; the free entries are overwritten */
    int idx[3];             /* free parameters */
    double target_spec[LN_BINS];
    double spec[LN_BINS];
    float *y;
    size_t evals;
} learn_ctx;

/* Mean squared difference of log spectra between the target and the network with the free
 * parameters at free_values. */
static double learn_cost(learn_ctx *c, const double *free_values, size_t n_free)
{
    sm_note note = note_at(57, LN_N / LN_SR);
    double sum = 0;
    size_t i;
    for (i = 0; i < n_free; i++) c->p[c->idx[i]] = free_values[i];
    assert_int_equal(sm_synth_neuron.render(c->st, c->p, &note, c->y, LN_N), 0);
    average_spectrum(c->y, c->spec);
    for (i = 0; i < LN_BINS; i++) {
        double d = c->spec[i] - c->target_spec[i];
        sum += d * d;
    }
    c->evals++;
    return sum / LN_BINS;
}

/* A two-neuron target: the default network (neuron 1 tanh, neuron 2 rectifier and comparator,
 * each hearing the other's axon, neuron 2 driving the filter's cutoff) fed by one sine, with
 * hidden values of three parameters: the sine's frequency ratio, neuron 1's weight for it and
 * the filter's cutoff. The search starts far from them. Coordinate search: for each coordinate
 * in turn, scan a grid over its range (log-spaced for the ratio, 1/24 octave, and the cutoff),
 * keep the best point, then narrow the grid around it four times; two more rounds do the same
 * from a window of +-8 grid steps around the current point. The weight is
 * searched over [0, 4]: w and -w differ by half a period of the sine, a time shift that no
 * spectral error sees. (With a feedback weight free instead of the cutoff, the error has
 * valleys of near-equal sounds, w against feedback, where a coordinate search stalls.)
 * Tolerances: ratio within 0.5 %, weight within 0.05, cutoff within 2 %. */
static void test_learning_recovers_hidden_parameters(void **state)
{
    const sm_param_space *s = sm_synth_neuron.space;
    const char *names[3] = {"osc1_ratio", "n1_w_osc1", "filter_cutoff_hz"};
    const double truth[3] = {1.5, 1.3, 1200};
    const double start[3] = {0.7, 3.0, 8000};
    const double lo0[3] = {0.0625, 0, 20}, hi0[3] = {16, 4, 20000};
    const int steps0[3] = {192, 80, 120};
    double cur[3], best_cost;
    learn_ctx c;
    const int order[3] = {0, 1, 2};
    int round, dim, zoom, g;
    (void)state;
    memset(&c, 0, sizeof c);
    c.st = alloc_at(LN_SR);
    c.p = malloc(s->n * sizeof *c.p);
    c.y = malloc(LN_N * sizeof *c.y);
    sm_params_defaults(s, c.p);
    set(c.p, "n2_w_osc2", 0);        /* one oscillator: the sine */
    set(c.p, "env_attack_s", 0.002); /* hold the note: the sound is all network */
    set(c.p, "env_sustain", 1);
    for (dim = 0; dim < 3; dim++) c.idx[dim] = sm_params_find(s, names[dim]);
    /* the target */
    learn_cost(&c, truth, 3);
    memcpy(c.target_spec, c.spec, sizeof c.spec);
    memcpy(cur, start, sizeof cur);
    best_cost = learn_cost(&c, cur, 3);
    print_message("learning: start cost %.4f\n", best_cost);
    for (round = 0; round < 3; round++) {
        int d;
        for (d = 0; d < 3; d++) {
            const int dim = order[d];
            const int logs = s->p[c.idx[dim]].log_scale;
            double lo = logs ? log(lo0[dim]) : lo0[dim], hi = logs ? log(hi0[dim]) : hi0[dim];
            double step = (hi - lo) / steps0[dim];
            int steps = steps0[dim];
            if (round > 0) { /* later rounds: +-8 coarse steps around the current value */
                const double c0 = logs ? log(cur[dim]) : cur[dim];
                lo = c0 - 8 * step;
                hi = c0 + 8 * step;
                steps = 16;
            }
            for (zoom = 0; zoom < 5; zoom++) {
                double best_v = logs ? log(cur[dim]) : cur[dim];
                for (g = 0; g <= steps; g++) {
                    double v = lo + step * g, trial[3], cost;
                    memcpy(trial, cur, sizeof trial);
                    trial[dim] = logs ? exp(v) : v;
                    if (trial[dim] < lo0[dim] || trial[dim] > hi0[dim]) continue;
                    cost = learn_cost(&c, trial, 3);
                    if (cost < best_cost) {
                        best_cost = cost;
                        best_v = v;
                    }
                }
                cur[dim] = logs ? exp(best_v) : best_v;
                lo = best_v - 2 * step; /* narrow: +-2 old steps in 16 new ones */
                hi = best_v + 2 * step;
                steps = 16;
                step = (hi - lo) / steps;
            }
        }
        print_message("learning: round %d: ratio %.4f, w %.4f, cutoff %.1f Hz, cost %.3g "
                      "(%zu renders)\n",
                      round + 1, cur[0], cur[1], cur[2], best_cost, c.evals);
    }
    assert_close(cur[0], truth[0], 0.005 * truth[0]);
    assert_close(cur[1], truth[1], 0.05);
    assert_close(cur[2], truth[2], 0.02 * truth[2]);
    sm_synth_neuron.free(c.st);
    free(c.p);
    free(c.y);
}

/* Patches are parameter files: 20 random patches written and read back give the same values
 * bit for bit and render the same samples; the file names the synth. */
static void test_patch_files(void **state)
{
    const sm_param_space *s = sm_synth_neuron.space;
    const char *dir = sm_test_tmpdir();
    const size_t n = 4096;
    double *x = malloc(s->n * sizeof *x), *p = malloc(s->n * sizeof *p),
           *q = malloc(s->n * sizeof *q);
    char path[4200], name[64];
    void *st = alloc_at(44100);
    sm_note note = note_at(57, 0.1);
    uint64_t u = 777;
    size_t k, i;
    sm_error err = {0, ""};
    (void)state;
    assert_string_equal(sm_synth_neuron.patch_ext, ".params");
    snprintf(path, sizeof path, "%s/m.params", dir);
    for (k = 0; k < 20; k++) {
        float *a, *b;
        for (i = 0; i < s->n; i++) {
            u = u * 6364136223846793005ULL + 1442695040888963407ULL;
            x[i] = (double)(u >> 11) * 0x1.0p-53;
        }
        sm_params_decode(s, x, p);
        assert_int_equal(sm_synth_neuron.patch_save(path, p, "pluck 220", &err), 0);
        assert_int_equal(sm_synth_neuron.patch_load(path, q, name, sizeof name, &err), 0);
        assert_string_equal(name, "pluck 220");
        assert_memory_equal(p, q, s->n * sizeof *p);
        a = render(st, p, &note, n);
        b = render(st, q, &note, n);
        assert_memory_equal(a, b, n * sizeof *a);
        free(a);
        free(b);
    }
    /* a drum patch's file is not a neuron patch */
    {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("[patch]\nsynth = drum\n[params]\n", f);
        fclose(f);
    }
    assert_int_equal(sm_synth_neuron.patch_load(path, q, NULL, 0, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(sm_error_text(&err), "m.params:2: a patch of 'drum', not of neuron"));
    sm_synth_neuron.free(st);
    free(x);
    free(p);
    free(q);
}

/* The low cut against the analytic response of the bilinear Butterworth high-pass: a sine of
 * amplitude 0.5 riding on a DC of 0.3 (a hardclip neuron in its linear range) through
 * lowcut_hz = 200 Hz. Over the steady part (0.3-1 s) the DC is gone (mean within 1e-3) and
 * the sine keeps r^2 / sqrt(1 + r^4) of its amplitude, r = tan(pi f / sr) / tan(pi fc / sr):
 * -12.3 dB at 100 Hz, -0.26 dB at 400 Hz, within 0.5%. At its minimum (5 Hz) the low cut is
 * off: the DC stays (0.3 within 1e-3). */
static void test_lowcut_response(void **state)
{
    const size_t n = (size_t)SR, t0 = (size_t)(0.3 * SR);
    const double fc = 200, freqs[] = {100, 400};
    double *p = malloc(sm_synth_neuron.space->n * sizeof *p);
    void *st = alloc_at(SR);
    size_t k, i;
    (void)state;
    one_sine_neuron(p, SM_NEURON_ACT_HARDCLIP, 0.5, 0.3);
    for (k = 0; k < 3; k++) {
        const double f = freqs[k < 2 ? k : 0];
        sm_note note = note_at(69 + 12 * log2(f / 440), 1.0);
        double mean = 0, ss = 0, amp, want;
        float *y;
        set(p, "lowcut_hz", k < 2 ? fc : 5);
        y = render(st, p, &note, n);
        for (i = t0; i < n; i++) mean += y[i];
        mean /= (double)(n - t0);
        for (i = t0; i < n; i++) ss += (y[i] - mean) * (y[i] - mean);
        amp = sqrt(2 * ss / (double)(n - t0));
        if (k < 2) {
            const double r = tan(M_PI * f / SR) / tan(M_PI * fc / SR);
            want = 0.5 * r * r / sqrt(1 + r * r * r * r);
            if (!(fabs(mean) < 1e-3 && fabs(amp / want - 1) < 0.005))
                fail_msg("%g Hz through the 200 Hz low cut: mean %g, amplitude %.6g, expected "
                         "%.6g", f, mean, amp, want);
        } else {
            assert_close(mean, 0.3, 1e-3);
            assert_close(amp, 0.5, 0.0025);
        }
        free(y);
    }
    sm_synth_neuron.free(st);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_space),
        cmocka_unit_test(test_alloc_and_arguments),
        cmocka_unit_test(test_single_tanh_neuron_waveform),
        cmocka_unit_test(test_activation_functions),
        cmocka_unit_test(test_activations_in_render),
        cmocka_unit_test(test_axon_delay),
        cmocka_unit_test(test_strong_feedback_bounded),
        cmocka_unit_test(test_random_and_nan_parameters),
        cmocka_unit_test(test_seeds),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_inactive_neurons_and_filter),
        cmocka_unit_test(test_filter_envelope),
        cmocka_unit_test(test_lowpass24_known_answer),
        cmocka_unit_test(test_lowcut_response),
        cmocka_unit_test(test_learning_recovers_hidden_parameters),
        cmocka_unit_test(test_patch_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
