/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/bench_presets.c: the rendered-voice index (datasets/presets.h) on the 31,380 human-made
 * DX7 voices: wall time to build one grid note (note 60) without a cache (in a fresh temporary
 * cache folder, threads from OMP_NUM_THREADS or the machine), to load it back from the cache it
 * wrote, and of one query (a rendering of rom1a's E.PIANO 1, k = 300). It also counts the
 * near-copies of rom1a's 32 voices in voices31380.bin: entries within 0, 2, 5 and 10 differing
 * parameters of some rom1a voice, and rom1a voices with at least one such entry.
 * Usage: bench_presets [voices31380.bin [rom1a.syx]] (default $SM_SHARED_DATA/dx7/...).
 * Prints `bench_presets_build: wall_s=...`, `..._load`, `..._query` and `..._near` lines. */
#include "datasets/presets.h"
#include "synths/fm6.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void on_progress(void *ctx, const char *what, size_t done, size_t total)
{
    (void)ctx;
    if (strncmp(what, "warning:", 8) == 0) fprintf(stderr, "bench_presets: %s\n", what);
    (void)done;
    (void)total;
}

/* CPU seconds of the whole process (all threads): a figure a busy machine disturbs less
 * than the wall time. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const sm_error *err)
{
    fprintf(stderr, "bench_presets: %s\n", sm_error_text(err));
    return 1;
}

int main(int argc, char **argv)
{
    const char *d = getenv("SM_SHARED_DATA");
    char voices[4096], rom[4096], tmpl[] = "/tmp/bench_presets.XXXXXX", cmd[4200];
    sm_preset_index_config c = sm_preset_index_config_default(), cr;
    sm_preset_index *idx, *rom_idx;
    sm_preset_stats st;
    sm_error err = {0};
    const size_t k = 300, max_diff[4] = {0, 2, 5, 10};
    size_t *ids = malloc(k * sizeof *ids), n_found = 0, n = 0, i, v;
    double *dist = malloc(k * sizeof *dist), t0, c0;
    float *x = NULL;
    sm_note note = sm_note_default();
    unsigned char *near;
    int j;

    if (!d || !*d) d = "../shared/data";
    snprintf(voices, sizeof voices, "%s", argc > 1 ? argv[1] : "");
    snprintf(rom, sizeof rom, "%s", argc > 2 ? argv[2] : "");
    if (!*voices) snprintf(voices, sizeof voices, "%s/dx7/voices31380.bin", d);
    if (!*rom) snprintf(rom, sizeof rom, "%s/dx7/rom1a.syx", d);
    if (!ids || !dist || !mkdtemp(tmpl)) return 1;

    c.voice_files[0] = voices;
    c.n_voice_files = 1;
    c.cache_dir = tmpl;
    c.progress = on_progress;
    cr = c;
    cr.voice_files[0] = rom;
    cr.no_cache = 1;
    rom_idx = sm_preset_index_open(&cr, &err);
    if (!rom_idx) return fail(&err);
    note.note = 60;
    if (sm_synth_render_note(&sm_synth_fm6, c.sample_rate, sm_preset_index_native(rom_idx, 10),
                             &note, &x, &n, &err))
        return fail(&err);

    t0 = omp_get_wtime();
    idx = sm_preset_index_open(&c, &err);
    if (!idx) return fail(&err);
    printf("bench_presets_open: voices=%zu wall_s=%.3f\n", sm_preset_index_count(idx),
           omp_get_wtime() - t0);
    t0 = omp_get_wtime();
    c0 = cpu_s();
    if (sm_preset_index_build(idx, 60, &err)) return fail(&err);
    sm_preset_index_stats(idx, &st);
    printf("bench_presets_build: note=60 threads=%d voices=%zu silent=%zu wall_s=%.2f "
           "cpu_s=%.2f (render+summary %.2f s, %.0f voices/s)\n",
           c.threads > 0 ? c.threads : omp_get_max_threads(), st.n_voices, st.n_silent,
           omp_get_wtime() - t0, cpu_s() - c0, st.last_build_s, st.n_voices / st.last_build_s);
    t0 = omp_get_wtime();
    if (sm_preset_index_query(idx, x, n, 60, k, NULL, ids, dist, &n_found, &err))
        return fail(&err);
    printf("bench_presets_query: k=%zu wall_s=%.4f first=%zu \"%s\" dist_db=%.2f "
           "(E.PIANO 1 of rom1a at note 60)\n",
           k, omp_get_wtime() - t0, ids[0], sm_preset_index_name(idx, ids[0]), dist[0]);
    sm_preset_index_free(idx);

    t0 = omp_get_wtime();
    idx = sm_preset_index_open(&c, &err);
    if (!idx || sm_preset_index_build(idx, 60, &err)) return fail(&err);
    sm_preset_index_stats(idx, &st);
    printf("bench_presets_load: from_cache=%zu wall_s=%.3f (open + load)\n", st.notes_loaded,
           omp_get_wtime() - t0);

    /* Near-copies of rom1a in the corpus. */
    near = malloc(sm_preset_index_count(idx));
    if (!near) return 1;
    for (j = 0; j < 4; j++) {
        size_t entries = 0, covered = 0;
        memset(near, 0, sm_preset_index_count(idx));
        for (v = 0; v < sm_preset_index_count(rom_idx); v++) {
            unsigned char *one = calloc(sm_preset_index_count(idx), 1);
            int got;
            if (!one) return 1;
            got = sm_preset_index_exclude_near(idx, sm_preset_index_native(rom_idx, v),
                                               max_diff[j], one);
            if (got > 0) covered++;
            for (i = 0; i < sm_preset_index_count(idx); i++) near[i] |= one[i];
            free(one);
        }
        for (i = 0; i < sm_preset_index_count(idx); i++) entries += near[i];
        printf("bench_presets_near: max_diff=%zu entries=%zu rom1a_voices_with_one=%zu/32\n",
               max_diff[j], entries, covered);
    }
    free(near);
    sm_preset_index_free(idx);
    sm_preset_index_free(rom_idx);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    if (system(cmd) != 0) fprintf(stderr, "bench_presets: could not remove %s\n", tmpl);
    free(x);
    free(ids);
    free(dist);
    return 0;
}
