/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli/cli_analyse.c: `soundmatch compare` and `soundmatch baseline`, the judging side
 * of the program.
 *
 * compare prints MEASURES.md's two measures (features/measure.c) between a target and each of
 * several matches. baseline is the honest "best preset" a musician would get by browsing a
 * bank: it renders every patch of the given files (or every K-th) at the target's note and
 * prints the closest by log-mel distance. Rendering runs in parallel with OpenMP; every thread
 * has its own synth state, log-mel plan and buffers, results are stored by patch position and
 * ranked by (distance, position), so the output does not depend on the thread count. */
#include "cli/cli.h"
#include "core/audio.h"
#include "features/features.h"
#include "synths/synth.h"

#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SR 44100.0   /* MEASURES.md: both signals mono at 44.1 kHz */

/* Reads path as mono at 44.1 kHz; on failure prints the message (which names the file). */
static int read_audio(const char *cmd, const char *path, sm_audio *a)
{
    sm_error err = {0, ""};
    if (sm_audio_read(path, SR, a, NULL, &err) != 0) return sm_cli_fail(cmd, &err);
    return 0;
}

/* Prints "soundmatch CMD: PATH: what is wrong" for a failed measure and returns 1. */
static int measure_fail(const char *cmd, const char *path, const sm_error *e)
{
    const char *m = sm_error_text(e);
    const char *colon = strstr(m, "distance: ");
    fprintf(stderr, "soundmatch %s: %s: %s\n", cmd, path, colon ? colon + 10 : m);
    return SM_EXIT_INPUT;
}

/* ---- compare ----------------------------------------------------------------------------- */

static const char *const COMPARE_HELP =
    "usage: soundmatch compare TARGET.wav MATCH.wav... [--csv]\n"
    "\n"
    "Print, for each match, the two measures by which matches are judged (MEASURES.md):\n"
    "  log-mel dB    mean |difference| of the 64-band log-mel spectrograms, each sound\n"
    "                divided by its own RMS first (0: the same sound; a semitone of detune is\n"
    "                a few dB; two different DX7 voices are about 18 dB apart)\n"
    "  loudness dB   20 log10(RMS(match) / RMS(target)) (within 3 dB is loud enough)\n"
    "Both over the target's length: a longer match is cut, a shorter one zero-padded. Files\n"
    "are read as mono at 44.1 kHz (channels mixed, resampled).\n"
    "\n"
    "Options:\n"
    "  --csv        CSV: target,match,logmel_db,loudness_db\n"
    "  -h, --help   this help\n"
    "\n"
    "Exit status: 0, 1 if a file cannot be read or is silent (the message names it; the other\n"
    "matches are still printed), 2 for bad usage.\n";

int sm_cmd_compare(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"csv", no_argument, 0, 'c'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c, csv = 0, i, status = SM_EXIT_OK;
    sm_audio t;
    sm_logmel_plan *plan;
    sm_error err = {0, ""};
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(COMPARE_HELP, stdout); return SM_EXIT_OK;
        case 'c': csv = 1; break;
        default:
            return sm_cli_usage("compare", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind < 2)
        return sm_cli_usage("compare", argc == optind ? "no target given"
                                                      : "no match given after the target");
    if (read_audio("compare", argv[optind], &t)) return SM_EXIT_INPUT;
    plan = sm_logmel_plan_alloc(t.data, t.n, SR, &err);
    if (!plan) {
        sm_audio_free(&t);
        if (err.code == SM_ERR_EMPTY) {
            fprintf(stderr, "soundmatch compare: %s: the target is silent (all samples are "
                            "zero): nothing to compare with\n", argv[optind]);
            return SM_EXIT_INPUT;
        }
        return measure_fail("compare", argv[optind], &err);
    }
    if (csv) printf("target,match,logmel_db,loudness_db\n");
    else printf("target %s (%.2f s)\n%11s %12s  %s\n", argv[optind], t.n / SR, "log-mel dB",
                "loudness dB", "match");
    for (i = optind + 1; i < argc; i++) {
        sm_audio m;
        double d, l;
        if (read_audio("compare", argv[i], &m)) {
            status = SM_EXIT_INPUT;
            continue;
        }
        sm_error_clear(&err);
        if (sm_logmel_plan_distance(plan, m.data, m.n, &d, &err) != 0) {
            if (err.code == SM_ERR_EMPTY)
                fprintf(stderr, "soundmatch compare: %s: the match is silent over the target's "
                                "%.2f s: nothing to compare\n", argv[i], t.n / SR);
            else
                measure_fail("compare", argv[i], &err);
            status = SM_EXIT_INPUT;
            sm_audio_free(&m);
            continue;
        }
        l = sm_logmel_plan_loudness_db(plan, m.data, m.n);
        if (csv) printf("%s,%s,%.4f,%.4f\n", argv[optind], argv[i], d, l);
        else printf("%11.2f %+12.2f  %s\n", d, l, argv[i]);
        sm_audio_free(&m);
    }
    sm_logmel_plan_free(plan);
    sm_audio_free(&t);
    if (fflush(stdout) != 0) return SM_EXIT_INPUT;
    return status;
}

/* ---- baseline ---------------------------------------------------------------------------- */

static const char *const BASELINE_HELP =
    "usage: soundmatch baseline TARGET.wav [OPTIONS] PATCHFILE...\n"
    "\n"
    "The best-preset baseline of MEASURES.md: render every patch of the patch files (DX7 .syx\n"
    "banks and .bin voice streams for fm6, Microtonic .mtpreset files for drum) at the\n"
    "target's note and print the closest by log-mel distance, with its loudness difference.\n"
    "That is what a musician gets by browsing presets; a matcher must end closer.\n"
    "\n"
    "Options:\n"
    "  --synth NAME     fm6 or drum (default: from the first patch file's extension)\n"
    "  --note N|auto    MIDI note to play (default auto: the target's analysed note rounded\n"
    "                   to the nearest integer, 60 if the target is unpitched)\n"
    "  --every K        render every K-th patch of each file only (default 1: all)\n"
    "  --velocity V     1..127 (default 100; drum 127)\n"
    "  --gate S         seconds the key is held (default 1)\n"
    "  --length S       seconds rendered (default 1.5; drum 1); the measures cut or pad the\n"
    "                   render to the target's length\n"
    "  --top N          list the N closest patches (default 1)\n"
    "  --threads N      render threads (default: all cores, or OMP_NUM_THREADS)\n"
    "  --csv            CSV: rank,file,index,name,logmel_db,loudness_db\n"
    "  -h, --help       this help\n"
    "\n"
    "The index is the patch's 1-based position in its file, so FILE:INDEX loads it in\n"
    "`soundmatch render --patch`. The result does not depend on the thread count.\n"
    "Exit status: 0, 1 for an unreadable or silent target or patch file, 2 for bad usage.\n";

typedef struct {
    int file;             /* index into the patch file list */
    size_t index;         /* 0-based position in its file */
    const double *native; /* the patch's values (owned by the file's array) */
    double logmel_db;     /* NaN if the render was silent */
    double loudness_db;
} baseline_job;

/* The synth of a patch file, by extension (.syx and .bin: fm6; .mtpreset: drum; else any
 * synth whose patch_ext the name ends with). NULL if none. */
static const sm_synth_type *synth_of_file(const char *path)
{
    const char *dot = strrchr(path, '.');
    size_t i;
    if (!dot) return NULL;
    if (strcasecmp(dot, ".bin") == 0 || strcasecmp(dot, ".syx") == 0) return sm_synth_find("fm6");
    for (i = 0; i < sm_synth_count(); i++) {
        const sm_synth_type *s = sm_synth_at(i);
        if (s->patch_ext && strcasecmp(dot, s->patch_ext) == 0) return s;
    }
    return NULL;
}

/* Ranking: smaller distance first, silent renders (NaN) last, ties by position. */
static int job_cmp(const void *a, const void *b)
{
    const baseline_job *x = a, *y = b;
    int xn = isnan(x->logmel_db), yn = isnan(y->logmel_db);
    if (xn != yn) return xn - yn;
    if (!xn && x->logmel_db != y->logmel_db) return x->logmel_db < y->logmel_db ? -1 : 1;
    if (x->file != y->file) return x->file - y->file;
    return (x->index > y->index) - (x->index < y->index);
}

/* Renders and scores jobs in parallel. Returns 0, or an sm_err code with err set (a thread
 * could not make its synth state or plan, or a render failed). */
static int baseline_run(const sm_synth_type *s, const sm_audio *t, const sm_note *note,
                        baseline_job *jobs, size_t n_jobs, int threads, sm_error *err)
{
    const size_t n_render = (size_t)lround(note->length_s * SR);
    const long long n_pairs = (long long)((n_jobs + 1) / 2);
    int failed = 0;
    sm_error first = {0, ""};
    if (n_render == 0) return sm_error_set(err, SM_ERR_ARG, "--length gives no samples");
#pragma omp parallel num_threads(threads)
    {
        sm_error e = {0, ""};
        void *st = s->alloc(SR, &e);
        sm_logmel_plan *plan = st ? sm_logmel_plan_alloc(t->data, t->n, SR, &e) : NULL;
        float *buf = malloc(2 * n_render * sizeof *buf);
        long long p;
        if (!st || !plan || !buf) {
            if (!e.code) sm_error_set(&e, SM_ERR_NOMEM, "out of memory for a render thread");
#pragma omp critical(sm_baseline_err)
            if (!failed) {
                failed = 1;
                first = e;
            }
        }
        /* Jobs go in pairs, so a synth with render2 renders two notes at once (each exactly
         * as render alone would, by render2's contract). */
#pragma omp for schedule(dynamic, 4)
        for (p = 0; p < n_pairs; p++) {
            baseline_job *j[2] = {&jobs[2 * p], 2 * p + 1 < (long long)n_jobs ? &jobs[2 * p + 1] : NULL};
            float *out[2] = {buf, buf + n_render};
            int k, rc;
            if (!st || !plan || !buf) continue;
            if (j[1] && s->render2)
                rc = s->render2(st, j[0]->native, j[1]->native, note, out[0], out[1], n_render);
            else {
                rc = s->render(st, j[0]->native, note, out[0], n_render);
                if (!rc && j[1]) rc = s->render(st, j[1]->native, note, out[1], n_render);
            }
            for (k = 0; k < 2 && j[k]; k++) {
                sm_error me = {0, ""};
                j[k]->logmel_db = NAN;
                j[k]->loudness_db = NAN;
                if (rc) continue;
                if (sm_logmel_plan_distance(plan, out[k], n_render, &j[k]->logmel_db, &me) == 0)
                    j[k]->loudness_db = sm_logmel_plan_loudness_db(plan, out[k], n_render);
            }
            if (rc) {
#pragma omp critical(sm_baseline_err)
                if (!failed) {
                    failed = 1;
                    sm_error_set(&first, rc, "%s: rendering failed: %s", s->name,
                                 sm_strerror(rc));
                }
            }
        }
        free(buf);
        sm_logmel_plan_free(plan);
        if (st) s->free(st);
    }
    if (failed) {
        if (err) *err = first;
        return first.code ? first.code : SM_ERR_NOMEM;
    }
    return 0;
}

static void csv_field(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    putchar('"');
}

/* Prints the top n of the ranked jobs, their names read back with patch_load("FILE:N"). */
static void baseline_print(const sm_synth_type *s, char **files, const baseline_job *jobs,
                           size_t n, int csv)
{
    double *native = malloc(s->space->n * sizeof *native);
    size_t r;
    if (csv) printf("rank,file,index,name,logmel_db,loudness_db\n");
    else printf("%4s %11s %12s %6s  %-10s  %s\n", "rank", "log-mel dB", "loudness dB", "index",
                "name", "file");
    for (r = 0; r < n; r++) {
        char spec[4200], name[64] = "";
        const baseline_job *j = &jobs[r];
        snprintf(spec, sizeof spec, "%s:%zu", files[j->file], j->index + 1);
        if (native && s->patch_load) s->patch_load(spec, native, name, sizeof name, NULL);
        if (csv) {
            printf("%zu,", r + 1);
            csv_field(files[j->file]);
            printf(",%zu,", j->index + 1);
            csv_field(name);
            printf(",%.4f,%.4f\n", j->logmel_db, j->loudness_db);
        } else {
            printf("%4zu %11.2f %+12.2f %6zu  %-10s  %s\n", r + 1, j->logmel_db, j->loudness_db,
                   j->index + 1, name, files[j->file]);
        }
    }
    free(native);
}

int sm_cmd_baseline(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"synth", required_argument, 0, 'y'},    {"note", required_argument, 0, 'n'},
        {"every", required_argument, 0, 'e'},    {"velocity", required_argument, 0, 'v'},
        {"gate", required_argument, 0, 'g'},     {"length", required_argument, 0, 'l'},
        {"top", required_argument, 0, 't'},      {"threads", required_argument, 0, 'j'},
        {"csv", no_argument, 0, 'c'},            {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *synth_name = NULL, *note_text = "auto", *target;
    const sm_synth_type *s;
    double v = 60, every = 1, top = 1, velocity = NAN, gate = 1.0, length = NAN, threads = 0;
    int c, rc, csv = 0, n_files, f, status = SM_EXIT_INPUT;
    char **files;
    double **natives = NULL;
    size_t *counts = NULL, n_jobs = 0, i, n_silent = 0, n_top;
    baseline_job *jobs = NULL;
    sm_note note = sm_note_default();
    sm_target_info ti;
    sm_audio t = {0};
    sm_error err = {0, ""};
    double t0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(BASELINE_HELP, stdout); return SM_EXIT_OK;
        case 'y': synth_name = optarg; break;
        case 'n': note_text = optarg; break;
        case 'e': if ((rc = sm_cli_number("baseline", "--every", optarg, 1, 1e9, &every))) return rc; break;
        case 'v': if ((rc = sm_cli_number("baseline", "--velocity", optarg, 1, 127, &velocity))) return rc; break;
        case 'g': if ((rc = sm_cli_number("baseline", "--gate", optarg, 0, 600, &gate))) return rc; break;
        case 'l': if ((rc = sm_cli_number("baseline", "--length", optarg, 0.01, 600, &length))) return rc; break;
        case 't': if ((rc = sm_cli_number("baseline", "--top", optarg, 1, 1e9, &top))) return rc; break;
        case 'j': if ((rc = sm_cli_number("baseline", "--threads", optarg, 1, 1024, &threads))) return rc; break;
        case 'c': csv = 1; break;
        default:
            return sm_cli_usage("baseline", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind < 2)
        return sm_cli_usage("baseline", argc == optind ? "no target given"
                                                       : "no patch file given after the target");
    if (every != floor(every) || top != floor(top) || threads != floor(threads))
        return sm_cli_usage("baseline", "--every, --top and --threads take whole numbers");
    target = argv[optind];
    files = argv + optind + 1;
    n_files = argc - optind - 1;
    if (synth_name) {
        s = sm_synth_find(synth_name);
        if (!s) return sm_cli_usage("baseline", "unknown synth '%s' (fm6 or drum)", synth_name);
    } else {
        s = synth_of_file(files[0]);
        if (!s)
            return sm_cli_usage("baseline", "cannot tell the synth from '%s': give --synth",
                                files[0]);
    }
    if (!s->patch_load_all)
        return sm_cli_usage("baseline", "synth %s has no patch files", s->name);
    if (strcmp(note_text, "auto") != 0 &&
        (rc = sm_cli_number("baseline", "--note", note_text, 0, 127, &v)))
        return rc;
    note.velocity = !isnan(velocity) ? velocity : strcmp(s->name, "drum") == 0 ? 127 : 100;
    note.gate_s = gate;
    note.length_s = !isnan(length) ? length : strcmp(s->name, "drum") == 0 ? 1.0 : 1.5;

    if (read_audio("baseline", target, &t)) return SM_EXIT_INPUT;
    if (sm_target_analyse(t.data, t.n, SR, &ti, &err) != 0) {
        if (err.code == SM_ERR_EMPTY)
            fprintf(stderr, "soundmatch baseline: %s: the target is silent (all samples are "
                            "zero): nothing to match\n", target);
        else
            fprintf(stderr, "soundmatch baseline: %s: %s\n", target, sm_error_text(&err));
        goto done;
    }
    if (strcmp(note_text, "auto") == 0) note.note = isnan(ti.note) ? 60 : floor(ti.note + 0.5);
    else note.note = v;

    natives = calloc((size_t)n_files, sizeof *natives);
    counts = calloc((size_t)n_files, sizeof *counts);
    if (!natives || !counts) goto nomem;
    for (f = 0; f < n_files; f++) {
        sm_error_clear(&err);
        if (s->patch_load_all(files[f], &natives[f], &counts[f], &err) != 0) {
            sm_cli_fail("baseline", &err);
            goto done;
        }
        if (counts[f] == 0) {
            fprintf(stderr, "soundmatch baseline: %s: holds no patches\n", files[f]);
            goto done;
        }
        n_jobs += (counts[f] + (size_t)every - 1) / (size_t)every;
    }
    jobs = calloc(n_jobs, sizeof *jobs);
    if (!jobs) goto nomem;
    n_jobs = 0;
    for (f = 0; f < n_files; f++)
        for (i = 0; i < counts[f]; i += (size_t)every) {
            jobs[n_jobs].file = f;
            jobs[n_jobs].index = i;
            jobs[n_jobs].native = natives[f] + i * s->space->n;
            n_jobs++;
        }

    t0 = omp_get_wtime();
    if (baseline_run(s, &t, &note, jobs, n_jobs, threads > 0 ? (int)threads : omp_get_max_threads(),
                     &err) != 0) {
        sm_cli_fail("baseline", &err);
        goto done;
    }
    for (i = 0; i < n_jobs; i++) n_silent += isnan(jobs[i].logmel_db);
    fprintf(stderr, "soundmatch baseline: %zu patches rendered and scored in %.2f s (%d threads)\n",
            n_jobs, omp_get_wtime() - t0, threads > 0 ? (int)threads : omp_get_max_threads());
    qsort(jobs, n_jobs, sizeof *jobs, job_cmp);
    n_top = (size_t)top < n_jobs - n_silent ? (size_t)top : n_jobs - n_silent;
    if (n_top == 0) {
        fprintf(stderr, "soundmatch baseline: every one of the %zu patches rendered silence at "
                        "note %g\n", n_jobs, note.note);
        goto done;
    }
    if (!csv) {
        char pitch[64];
        if (isnan(ti.note)) snprintf(pitch, sizeof pitch, "unpitched");
        else snprintf(pitch, sizeof pitch, "note %.2f, %.1f Hz", ti.note, ti.f0_hz);
        printf("target %s (%.2f s, %s)\n", target, t.n / SR, pitch);
        printf("%s: %zu patch%s of %d file%s, note %g%s, velocity %g, gate %g s, length %g s",
               s->name, n_jobs, n_jobs == 1 ? "" : "es", n_files, n_files == 1 ? "" : "s",
               note.note, strcmp(note_text, "auto") == 0 ? " (auto)" : "", note.velocity,
               note.gate_s, note.length_s);
        if (every > 1) printf(", one patch in %g", every);
        if (n_silent) printf(", %zu silent", n_silent);
        printf("\n");
    }
    baseline_print(s, files, jobs, n_top, csv);
    status = fflush(stdout) == 0 ? SM_EXIT_OK : SM_EXIT_INPUT;
    goto done;
nomem:
    fprintf(stderr, "soundmatch baseline: out of memory\n");
done:
    for (f = 0; natives && f < n_files; f++) free(natives[f]);
    free(natives);
    free(counts);
    free(jobs);
    sm_audio_free(&t);
    return status;
}
