/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_datasets_presets.c: the rendered-voice index (datasets/presets.h).
 *
 * - The grid: notes every 6 semitones from 24 to 102, ties going down.
 * - Retrieval on the DX7 factory bank rom1a: a rendering of voice 11 (E.PIANO 1) at note 60
 *   finds voice 11 first at distance 0; 20 dB quieter it still does (the distance ignores
 *   gain); at note 63 (grid note 60) voice 11 is still among the first three; an exclude mask
 *   and silent voices are honoured.
 * - The cache: written once, reused by a second open without rendering (counted by
 *   sm_preset_index_stats), rebuilt when the voices file changes and when the file's format
 *   or synth version, payload or length is wrong; an unusable cache folder means working
 *   without a cache, with a warning; the default folder follows $XDG_CACHE_HOME.
 * - Leakage control: differing-parameter counts and exclude_near on rom1a against itself.
 * - Results are identical at 1 and 2 threads. */
#include "tests/test_util.h"
#include "datasets/presets.h"
#include "core/fileio.h"
#include "synths/dx7_sysex.h"
#include "synths/fm6.h"

#define ROM1A "dx7/rom1a.syx"
#define EPIANO 10 /* rom1a voice 11, 0-based */

/* Offsets in a cache file's 128-byte header (datasets/presets.c, header_make). */
#define HDR_FORMAT_VERSION 12
#define HDR_SYNTH_VERSION 16

static char rom1a[4096];

static int setup(void **state)
{
    const char *p = sm_test_shared_path(ROM1A);
    (void)state;
    rom1a[0] = '\0';
    if (p) snprintf(rom1a, sizeof rom1a, "%s", p);
    return 0;
}

/* A rendering of voice v of `path` at note, as the index renders (default note, 44.1 kHz). */
static float *render_voice(const char *path, size_t v, double note, size_t *n)
{
    double *native = NULL;
    size_t count = 0;
    sm_note nt = sm_note_default();
    float *out = NULL;
    sm_error err = {0};
    assert_int_equal(sm_synth_fm6.patch_load_all(path, &native, &count, &err), 0);
    assert_true(v < count);
    nt.note = note;
    assert_int_equal(sm_synth_render_note(&sm_synth_fm6, 44100, native + v * SM_FM6_NPARAMS, &nt,
                                          &out, n, &err),
                     0);
    assert_int_equal(*n, 66150);
    free(native);
    return out;
}

static sm_preset_index_config config_for(const char *voices, const char *cache_dir)
{
    sm_preset_index_config c = sm_preset_index_config_default();
    c.voice_files[0] = voices;
    c.n_voice_files = 1;
    c.cache_dir = cache_dir;
    return c;
}

static void copy_file(const char *from, const char *to)
{
    unsigned char *d = NULL;
    size_t n = 0;
    sm_error err = {0};
    assert_int_equal(sm_read_file(from, 0, &d, &n, &err), 0);
    assert_int_equal(sm_write_file(to, d, n, &err), 0);
    free(d);
}

static void poke_byte(const char *path, long off, int xor_with)
{
    FILE *f = fopen(path, "r+b");
    int c;
    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    c = fgetc(f);
    assert_true(c != EOF);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    assert_int_equal(fputc(c ^ xor_with, f), c ^ xor_with);
    assert_int_equal(fclose(f), 0);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_grid(void **state)
{
    (void)state;
    assert_int_equal(sm_preset_grid_note(60), 60);
    assert_int_equal(sm_preset_grid_note(63), 60);
    assert_int_equal(sm_preset_grid_note(63.01), 66);
    assert_int_equal(sm_preset_grid_note(62.9), 60);
    assert_int_equal(sm_preset_grid_note(27), 24);
    assert_int_equal(sm_preset_grid_note(-5), 24);
    assert_int_equal(sm_preset_grid_note(102), 102);
    assert_int_equal(sm_preset_grid_note(140), 102);
    assert_int_equal(sm_preset_grid_note(100.5), 102);
}

static void test_config(void **state)
{
    sm_preset_index_config c = sm_preset_index_config_default();
    sm_error err = {0};
    (void)state;
    assert_close(c.sample_rate, 44100, 0);
    assert_close(c.velocity, 100, 0);
    assert_close(c.gate_s, 1.0, 0);
    assert_close(c.length_s, 1.5, 0);
    assert_int_equal(c.random_phase, sm_note_default().random_phase);
    assert_int_equal(c.random_phase, 0);
    assert_int_equal(c.n_mels, 32);
    assert_int_equal(c.n_slices, 12);
    assert_null(c.cache_dir);
    /* no voices file */
    assert_int_equal(sm_preset_index_config_check(&c, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "voices files"));
    assert_null(sm_preset_index_open(&c, &err));
    c.voice_files[0] = "x.syx";
    c.n_voice_files = 1;
    assert_int_equal(sm_preset_index_config_check(&c, &err), 0);
    c.length_s = 0.05; /* under two 2048-point frames */
    assert_int_equal(sm_preset_index_config_check(&c, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "length"));
    c.length_s = 1.5;
    c.gate_s = 2;
    assert_int_equal(sm_preset_index_config_check(&c, &err), SM_ERR_CONFIG);
    c.gate_s = 1;
    c.n_mels = 100;
    assert_int_equal(sm_preset_index_config_check(&c, &err), SM_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "n_mels"));
    c.n_mels = 32;
    c.velocity = 0;
    assert_int_equal(sm_preset_index_config_check(&c, &err), SM_ERR_CONFIG);
    assert_int_equal(sm_preset_index_config_check(NULL, &err), SM_ERR_ARG);
    /* a missing voices file names itself */
    c = config_for("/nonexistent/voices.bin", NULL);
    c.no_cache = 1;
    assert_null(sm_preset_index_open(&c, &err));
    assert_int_equal(err.code, SM_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/voices.bin"));
    /* NULL-safety */
    sm_preset_index_free(NULL);
    assert_int_equal(sm_preset_index_count(NULL), 0);
    assert_null(sm_preset_index_native(NULL, 0));
    assert_null(sm_preset_index_name(NULL, 0));
    assert_int_equal(sm_preset_differing(NULL, NULL, 145), 0);
}

static void test_query_rom1a(void **state)
{
    const char *dir;
    sm_preset_index_config c;
    sm_preset_index *idx;
    sm_preset_stats st;
    sm_error err = {0};
    size_t ids[32], n_found = 99, n, i;
    double dist[32];
    float *x, *y;
    unsigned char exclude[32] = {0};
    int pos;
    (void)state;
    SM_TEST_NEED_SHARED();
    dir = sm_test_tmpdir();
    assert_non_null(dir);
    c = config_for(rom1a, dir);
    idx = sm_preset_index_open(&c, &err);
    assert_non_null(idx);
    assert_int_equal(sm_preset_index_count(idx), 32);
    assert_string_equal(sm_preset_index_name(idx, 0), "BRASS   1");
    assert_string_equal(sm_preset_index_name(idx, EPIANO), "E.PIANO 1");
    assert_null(sm_preset_index_name(idx, 32));
    assert_close(sm_preset_index_native(idx, EPIANO)[SM_FM6_ALGORITHM], 5, 0);
    assert_close(sm_preset_index_native(idx, EPIANO)[SM_FM6_FEEDBACK], 6, 0);
    assert_close(sm_preset_index_native(idx, 0)[SM_FM6_ALGORITHM], 22, 0);
    assert_null(sm_preset_index_native(idx, 32));
    sm_preset_index_stats(idx, &st);
    assert_int_equal(st.renders, 0); /* lazy: nothing rendered at open */
    assert_int_equal(st.cache_enabled, 1);

    x = render_voice(rom1a, EPIANO, 60, &n);
    assert_int_equal(sm_preset_index_query(idx, x, n, 60, 5, NULL, ids, dist, &n_found, &err),
                     0);
    assert_int_equal(n_found, 5);
    assert_int_equal(ids[0], EPIANO);
    assert_true(dist[0] < 0.5);
    assert_close(dist[0], 0, 0); /* rendered exactly as the index rendered it */
    for (i = 1; i < 5; i++) assert_true(dist[i] >= dist[i - 1] && dist[i] > 0.5);
    sm_preset_index_stats(idx, &st);
    assert_int_equal(st.renders, 32);
    assert_int_equal(st.notes_built, 1);
    assert_int_equal(st.cache_writes, 1);
    assert_int_equal(st.n_silent, 0);
    assert_true(sm_preset_index_rms(idx, EPIANO, 60) > 0.01);
    assert_close(sm_preset_index_rms(idx, EPIANO, 66), -1, 0); /* grid note 66 not built */

    /* 20 dB quieter: the same answer (the distance ignores gain) */
    y = malloc(n * sizeof *y);
    for (i = 0; i < n; i++) y[i] = 0.1f * x[i];
    assert_int_equal(sm_preset_index_query(idx, y, n, 60, 3, NULL, ids, dist, &n_found, &err),
                     0);
    assert_int_equal(ids[0], EPIANO);
    assert_true(dist[0] < 0.5);
    /* shorter than the render: read as zero-padded, still first */
    assert_int_equal(sm_preset_index_query(idx, x, n / 2, 60, 3, NULL, ids, dist, &n_found,
                                           &err),
                     0);
    assert_int_equal(ids[0], EPIANO);

    /* exclude mask: voice 11 never comes back, every other voice does */
    exclude[EPIANO] = 1;
    exclude[3] = 1;
    assert_int_equal(sm_preset_index_query(idx, x, n, 60, 32, exclude, ids, dist, &n_found,
                                           &err),
                     0);
    assert_int_equal(n_found, 30);
    for (i = 0; i < n_found; i++) assert_true(ids[i] != EPIANO && ids[i] != 3);
    assert_true(dist[0] > 0.5);
    free(x);

    /* note 63 uses grid note 60: nothing new is rendered and voice 11 is in the top 3 */
    x = render_voice(rom1a, EPIANO, 63, &n);
    assert_int_equal(sm_preset_index_query(idx, x, n, 63, 3, NULL, ids, dist, &n_found, &err),
                     0);
    assert_int_equal(n_found, 3);
    for (pos = -1, i = 0; i < 3; i++)
        if (ids[i] == EPIANO) pos = (int)i;
    assert_true(pos >= 0);
    sm_preset_index_stats(idx, &st);
    assert_int_equal(st.renders, 32);

    /* bad input */
    assert_int_equal(sm_preset_index_query(idx, x, 0, 60, 3, NULL, ids, dist, &n_found, &err),
                     SM_ERR_ARG);
    assert_int_equal(sm_preset_index_query(idx, x, n, NAN, 3, NULL, ids, dist, &n_found, &err),
                     SM_ERR_NONFINITE);
    memset(y, 0, n * sizeof *y);
    assert_int_equal(sm_preset_index_query(idx, y, n, 60, 3, NULL, ids, dist, &n_found, &err),
                     SM_ERR_EMPTY);
    assert_int_equal(n_found, 0);
    y[100] = NAN;
    assert_int_equal(sm_preset_index_query(idx, y, n, 60, 3, NULL, ids, dist, &n_found, &err),
                     SM_ERR_NONFINITE);
    free(x);
    free(y);
    sm_preset_index_free(idx);
}

/* Opens an index on voices with cache dir, queries voice 11's rendering at note 60, and
 * returns its stats; the first result must be voice 11. */
static sm_preset_stats open_and_query(const char *voices, const char *dir, const float *x,
                                      size_t n)
{
    sm_preset_index_config c = config_for(voices, dir);
    sm_preset_index *idx;
    sm_preset_stats st;
    sm_error err = {0};
    size_t ids[3], n_found = 0;
    double dist[3];
    idx = sm_preset_index_open(&c, &err);
    assert_non_null(idx);
    assert_int_equal(sm_preset_index_query(idx, x, n, 60, 3, NULL, ids, dist, &n_found, &err),
                     0);
    assert_int_equal(ids[0], EPIANO);
    assert_close(dist[0], 0, 0);
    sm_preset_index_stats(idx, &st);
    sm_preset_index_free(idx);
    return st;
}

static void cache_path_of(const char *voices, const char *dir, char *buf, size_t len)
{
    sm_preset_index_config c = config_for(voices, dir);
    sm_preset_index *idx;
    sm_error err = {0};
    idx = sm_preset_index_open(&c, &err);
    assert_non_null(idx);
    assert_int_equal(sm_preset_index_cache_file(idx, 61, buf, len, &err), 0);
    assert_int_equal(sm_preset_index_cache_file(idx, 61, buf, 8, &err), SM_ERR_RANGE);
    assert_int_equal(sm_preset_index_cache_file(idx, 61, buf, len, &err), 0);
    sm_preset_index_free(idx);
}

static void test_cache(void **state)
{
    const char *t;
    char dir[4200], voices[4200], cache[4096];
    sm_preset_stats st;
    size_t n;
    float *x;
    long size;
    (void)state;
    SM_TEST_NEED_SHARED();
    t = sm_test_tmpdir();
    assert_non_null(t);
    snprintf(dir, sizeof dir, "%s/cache/deeper", t); /* made by open */
    snprintf(voices, sizeof voices, "%s/bank.syx", t);
    copy_file(rom1a, voices);
    x = render_voice(voices, EPIANO, 60, &n);

    /* first open renders and writes; the second reads */
    st = open_and_query(voices, dir, x, n);
    assert_int_equal(st.renders, 32);
    assert_int_equal(st.cache_writes, 1);
    assert_int_equal(st.notes_loaded, 0);
    cache_path_of(voices, dir, cache, sizeof cache);
    assert_non_null(strstr(cache, "-n060.smpi"));
    size = file_size(cache);
    /* 128-byte header, then 32 x (384 cells + a float RMS + a silent flag) */
    assert_int_equal(size, 128 + 32 * (384 + 4 + 1));
    st = open_and_query(voices, dir, x, n);
    assert_int_equal(st.renders, 0);
    assert_int_equal(st.notes_loaded, 1);
    assert_int_equal(st.cache_writes, 0);
    assert_int_equal(st.cache_rejected, 0);

    /* truncated: rejected, rebuilt, rewritten whole */
    assert_int_equal(truncate(cache, size - 100), 0);
    st = open_and_query(voices, dir, x, n);
    assert_int_equal(st.renders, 32);
    assert_int_equal(st.cache_rejected, 1);
    assert_int_equal(st.cache_writes, 1);
    assert_int_equal(file_size(cache), size);
    assert_int_equal(open_and_query(voices, dir, x, n).renders, 0);

    /* a corrupted payload byte (one summary cell of voice 11) */
    poke_byte(cache, 128 + EPIANO * 384 + 7, 0x01);
    st = open_and_query(voices, dir, x, n);
    assert_int_equal(st.renders, 32);
    assert_int_equal(st.cache_rejected, 1);
    assert_int_equal(open_and_query(voices, dir, x, n).renders, 0);

    /* another format version, another synth version */
    poke_byte(cache, HDR_FORMAT_VERSION, 0x40);
    st = open_and_query(voices, dir, x, n);
    assert_int_equal(st.renders, 32);
    assert_int_equal(st.cache_rejected, 1);
    poke_byte(cache, HDR_SYNTH_VERSION, 0x40);
    st = open_and_query(voices, dir, x, n);
    assert_int_equal(st.renders, 32);
    assert_int_equal(st.cache_rejected, 1);
    assert_int_equal(open_and_query(voices, dir, x, n).renders, 0);

    /* garbage of the right size */
    {
        unsigned char *junk = calloc(1, (size_t)size);
        sm_error err = {0};
        assert_int_equal(sm_write_file(cache, junk, (size_t)size, &err), 0);
        free(junk);
    }
    st = open_and_query(voices, dir, x, n);
    assert_int_equal(st.renders, 32);
    assert_int_equal(st.cache_rejected, 1);

    /* the voices file changes (voice 1's op1 output level: byte 14 of op1's 17 packed bytes,
     * which follow the five other operators'): a new key, so a new cache file, and everything is rendered */
    {
        char cache2[4096];
        poke_byte(voices, 6 + 0 * 128 + 5 * 17 + 14, 0x01);
        cache_path_of(voices, dir, cache2, sizeof cache2);
        assert_string_not_equal(cache, cache2);
        st = open_and_query(voices, dir, x, n);
        assert_int_equal(st.renders, 32);
        assert_int_equal(st.notes_loaded, 0);
        assert_int_equal(st.cache_writes, 1);
        assert_int_equal(open_and_query(voices, dir, x, n).renders, 0);
    }
    free(x);
}

static int n_warnings, n_progress;
static size_t last_done, last_total;
static void on_progress(void *ctx, const char *what, size_t done, size_t total)
{
    (void)ctx;
    if (strncmp(what, "warning:", 8) == 0) {
        n_warnings++;
        return;
    }
    n_progress++;
    if (strstr(what, "rendering")) {
        assert_true(done <= total);
        last_done = done;
        last_total = total;
    }
}

static void test_no_cache_folder(void **state)
{
    sm_preset_index_config c;
    sm_preset_index *idx;
    sm_preset_stats st;
    sm_error err = {0};
    size_t ids[3], n_found = 0, n;
    double dist[3];
    char buf[256];
    float *x;
    (void)state;
    SM_TEST_NEED_SHARED();
    c = config_for(rom1a, "/proc/soundmatch-cannot-be-made");
    c.progress = on_progress;
    n_warnings = n_progress = 0;
    idx = sm_preset_index_open(&c, &err);
    assert_non_null(idx);
    assert_int_equal(n_warnings, 1);
    sm_preset_index_stats(idx, &st);
    assert_int_equal(st.cache_enabled, 0);
    assert_int_equal(sm_preset_index_cache_file(idx, 60, buf, sizeof buf, &err),
                     SM_ERR_UNSUPPORTED);
    x = render_voice(rom1a, EPIANO, 60, &n);
    assert_int_equal(sm_preset_index_query(idx, x, n, 60, 3, NULL, ids, dist, &n_found, &err),
                     0);
    assert_int_equal(ids[0], EPIANO);
    assert_true(n_progress >= 3);
    assert_int_equal(last_done, 32);
    assert_int_equal(last_total, 32);
    sm_preset_index_stats(idx, &st);
    assert_int_equal(st.renders, 32);
    assert_int_equal(st.cache_writes, 0);
    sm_preset_index_free(idx);
    free(x);
}

static void test_default_cache_folder(void **state)
{
    const char *t;
    char want[4200], buf[4200], *old = getenv("XDG_CACHE_HOME");
    char saved[4096] = "";
    sm_preset_index_config c;
    sm_preset_index *idx;
    sm_error err = {0};
    (void)state;
    SM_TEST_NEED_SHARED();
    if (old) snprintf(saved, sizeof saved, "%s", old);
    t = sm_test_tmpdir();
    assert_non_null(t);
    setenv("XDG_CACHE_HOME", t, 1);
    c = config_for(rom1a, NULL);
    idx = sm_preset_index_open(&c, &err);
    if (old) setenv("XDG_CACHE_HOME", saved, 1); else unsetenv("XDG_CACHE_HOME");
    assert_non_null(idx);
    assert_int_equal(sm_preset_index_cache_file(idx, 60, buf, sizeof buf, &err), 0);
    snprintf(want, sizeof want, "%s/soundmatch/presets-", t);
    assert_memory_equal(buf, want, strlen(want));
    sm_preset_index_free(idx);
}

/* A voice that makes no sound is flagged and never returned. */
static void test_silent_voice(void **state)
{
    const char *t;
    char path[4200];
    sm_dx7_voice v[3];
    sm_dx7_bank bank;
    sm_preset_index_config c;
    sm_preset_index *idx;
    sm_preset_stats st;
    sm_error err = {0};
    size_t ids[3], n_found = 0, n;
    double dist[3];
    float *x;
    (void)state;
    SM_TEST_NEED_SHARED();
    t = sm_test_tmpdir();
    assert_non_null(t);
    assert_int_equal(sm_dx7_load(rom1a, &bank, &err), 0);
    v[0] = bank.voices[EPIANO];
    sm_dx7_voice_init(&v[1]);
    v[1].vced[5 * SM_DX7_OP_STRIDE + 16] = 0; /* op1 output level 0: nothing sounds */
    sm_dx7_voice_init(&v[2]);
    sm_dx7_bank_free(&bank);
    snprintf(path, sizeof path, "%s/three.syx", t);
    assert_int_equal(sm_dx7_write_bank(path, v, 3, &err), 0);
    c = config_for(path, NULL);
    c.no_cache = 1;
    idx = sm_preset_index_open(&c, &err);
    assert_non_null(idx);
    assert_int_equal(sm_preset_index_count(idx), 32); /* a bulk dump pads with init voices */
    x = render_voice(path, 0, 60, &n);
    assert_int_equal(sm_preset_index_query(idx, x, n, 60, 3, NULL, ids, dist, &n_found, &err),
                     0);
    sm_preset_index_stats(idx, &st);
    assert_int_equal(st.n_silent, 1);
    assert_int_equal(st.cache_enabled, 0);
    assert_int_equal(ids[0], 0);
    /* 30 init voices (identical, ties by id) follow; voice 1 (silent) never shows up */
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], 3);
    assert_close(dist[1], dist[2], 0);
    assert_close(sm_preset_index_rms(idx, 1, 60), 0, 0);
    sm_preset_index_free(idx);
    free(x);
}

static void test_exclude_near(void **state)
{
    sm_preset_index_config c;
    sm_preset_index *idx;
    sm_error err = {0};
    unsigned char exclude[32];
    size_t v, j, marked, within[4] = {0, 0, 0, 0};
    const size_t max_diff[4] = {0, 2, 5, 10};
    int k;
    (void)state;
    SM_TEST_NEED_SHARED();
    c = config_for(rom1a, NULL);
    c.no_cache = 1;
    idx = sm_preset_index_open(&c, &err);
    assert_non_null(idx);
    /* BRASS 1 and E.PIANO 1 differ in most parameters; a voice differs from itself in none */
    assert_int_equal(sm_preset_differing(sm_preset_index_native(idx, 0),
                                         sm_preset_index_native(idx, 0), SM_FM6_NPARAMS), 0);
    assert_true(sm_preset_differing(sm_preset_index_native(idx, 0),
                                    sm_preset_index_native(idx, EPIANO), SM_FM6_NPARAMS) > 60);
    {
        double a[SM_FM6_NPARAMS];
        memcpy(a, sm_preset_index_native(idx, EPIANO), sizeof a);
        a[SM_FM6_FEEDBACK] = 0;
        a[SM_FM6_OP(1, SM_FM6_OUTPUT_LEVEL)] += 1;
        assert_int_equal(sm_preset_differing(a, sm_preset_index_native(idx, EPIANO),
                                             SM_FM6_NPARAMS), 2);
        memset(exclude, 0, sizeof exclude);
        assert_int_equal(sm_preset_index_exclude_near(idx, a, 1, exclude), 0);
        assert_int_equal(sm_preset_index_exclude_near(idx, a, 2, exclude), 1);
        assert_int_equal(exclude[EPIANO], 1);
    }
    /* rom1a against itself: each voice is within 0 of itself and of nothing else, and the
     * factory voices stay far apart (counted over the 32 voices, self included) */
    for (k = 0; k < 4; k++) {
        for (v = 0; v < 32; v++) {
            int got;
            memset(exclude, 0, sizeof exclude);
            got = sm_preset_index_exclude_near(idx, sm_preset_index_native(idx, v), max_diff[k],
                                               exclude);
            assert_true(got >= 1);
            assert_int_equal(exclude[v], 1);
            for (marked = 0, j = 0; j < 32; j++) marked += exclude[j];
            assert_int_equal(marked, (size_t)got);
            within[k] += (size_t)got;
        }
    }
    assert_int_equal(within[0], 32);
    assert_int_equal(within[1], 32);
    assert_int_equal(within[2], 32);
    assert_int_equal(within[3], 32);
    /* flags accumulate: marking never clears */
    memset(exclude, 0, sizeof exclude);
    exclude[5] = 1;
    assert_int_equal(sm_preset_index_exclude_near(idx, sm_preset_index_native(idx, 0), 0,
                                                  exclude), 1);
    assert_int_equal(exclude[5], 1);
    assert_int_equal(exclude[0], 1);
    assert_int_equal(sm_preset_index_exclude_near(idx, NULL, 0, exclude), SM_ERR_ARG);
    sm_preset_index_free(idx);
}

/* The same answers at 1 and 2 threads, bit for bit, on every voice's RMS and every distance. */
static void test_threads(void **state)
{
    sm_preset_index *idx[2];
    sm_error err = {0};
    size_t ids[2][32], n_found[2], n, v;
    double dist[2][32];
    float *x;
    int t;
    (void)state;
    SM_TEST_NEED_SHARED();
    x = render_voice(rom1a, 0, 48, &n);
    for (t = 0; t < 2; t++) {
        sm_preset_index_config c = config_for(rom1a, NULL);
        c.no_cache = 1;
        c.threads = t + 1;
        idx[t] = sm_preset_index_open(&c, &err);
        assert_non_null(idx[t]);
        assert_int_equal(sm_preset_index_query(idx[t], x, n, 48, 32, NULL, ids[t], dist[t],
                                               &n_found[t], &err),
                         0);
        assert_int_equal(n_found[t], 32);
        assert_int_equal(ids[t][0], 0);
    }
    for (v = 0; v < 32; v++) {
        assert_int_equal(ids[0][v], ids[1][v]);
        assert_close(dist[0][v], dist[1][v], 0);
        assert_close(sm_preset_index_rms(idx[0], v, 48), sm_preset_index_rms(idx[1], v, 48), 0);
    }
    sm_preset_index_free(idx[0]);
    sm_preset_index_free(idx[1]);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_query_rom1a),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_no_cache_folder),
        cmocka_unit_test(test_default_cache_folder),
        cmocka_unit_test(test_silent_voice),
        cmocka_unit_test(test_exclude_near),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
