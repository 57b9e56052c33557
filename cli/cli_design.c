/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli/cli_design.c: `soundmatch describe`, `design` and `morph`: sound design by the seven
 * sound descriptors (features/features.h; the search in experiments/design.h, the index of
 * rendered patches in datasets/descr_index.h, the morph page in experiments/morph_page.h).
 * Each command parses, calls the library and prints. */
#include "cli/cli.h"
#include "core/audio.h"
#include "core/fileio.h"
#include "core/params_file.h"
#include "datasets/descr_index.h"
#include "experiments/design.h"
#include "experiments/morph_page.h"
#include "features/features.h"
#include "synths/synth.h"

#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define SR 44100.0
#define MAX_TARGET_S 3.0      /* a recording is designed for over at most its first 3 s */
#define DRUM_RANDOM 4000      /* random drum patches in the index, beside the presets */
#define FM6_EVERY 8           /* every 8th human voice in the fm6 index */
#define OTHER_RANDOM 2000     /* random patches for a synth without human presets */

/* ---- shared pieces ------------------------------------------------------------------------ */

/* The synth whose patch files end like spec's file part ("kit.mtpreset:3" -> drum), or NULL
 * for anything else (an audio file). */
static const sm_synth_type *patch_synth(const char *spec)
{
    char file[4096];
    const char *colon = strrchr(spec, ':');
    size_t i, len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len >= sizeof file) return NULL;
    memcpy(file, spec, len);
    file[len] = '\0';
    for (i = 0; i < sm_synth_count(); i++) {
        const sm_synth_type *s = sm_synth_at(i);
        size_t el = s->patch_ext ? strlen(s->patch_ext) : 0;
        if (el && len > el && strcasecmp(file + len - el, s->patch_ext) == 0) return s;
        if (el && colon && strlen(spec) > el && strcasecmp(spec + strlen(spec) - el, s->patch_ext) == 0)
            return s;   /* no ":N" after all */
    }
    return NULL;
}

/* A sound to describe, design like or morph: a recording or a rendered patch. */
typedef struct {
    const char *spec;
    const sm_synth_type *synth;   /* set for a patch */
    double *native;               /* a patch's values (owned) */
    float *x;                     /* the sound (owned) */
    size_t n;
    sm_descr_means means;
} sound;

static void sound_free(sound *s)
{
    free(s->native);
    free(s->x);
    memset(s, 0, sizeof *s);
}

/* Loads spec: a patch (rendered with sm_design_note, or `note` when given) or a recording
 * (its DC removed unless raw; trimmed before its onset and after 3 s when trim is set), and
 * describes it. Prints the error and returns the exit code on failure. */
static int sound_load(const char *cmd, const char *spec, int trim, int raw, const sm_note *note,
                      sound *s)
{
    sm_error err = {0, ""};
    int rc;
    memset(s, 0, sizeof *s);
    s->spec = spec;
    s->synth = patch_synth(spec);
    if (s->synth) {
        const sm_note nt = note ? *note : sm_design_note(s->synth);
        if (!(s->native = malloc(s->synth->space->n * sizeof *s->native))) return SM_EXIT_INPUT;
        rc = s->synth->patch_load(spec, s->native, NULL, 0, &err);
        if (rc == 0) rc = sm_synth_render_note(s->synth, SR, s->native, &nt, &s->x, &s->n, &err);
    } else if (trim) {
        rc = sm_design_read_target(spec, SR, MAX_TARGET_S, &s->x, &s->n, NULL, &err);
    } else {
        sm_audio a;
        rc = sm_audio_read(spec, SR, &a, NULL, &err);
        s->x = a.data;
        s->n = a.n;
        if (rc == 0 && !raw) sm_design_remove_dc(s->x, s->n, SR);
    }
    if (rc == 0) rc = sm_describe(s->x, s->n, SR, &s->means, NULL, NULL, NULL, &err);
    if (rc == SM_ERR_EMPTY)
        fprintf(stderr, "soundmatch %s: %s is silent: it has no descriptors\n", cmd, spec);
    else if (rc)
        fprintf(stderr, "soundmatch %s: %s: %s\n", cmd, spec, sm_error_text(&err));
    if (rc) sound_free(s);
    return rc ? SM_EXIT_INPUT : 0;
}

/* A value in value units, printed in a short fixed form. */
static void fmt_value(int d, double cmp, char *buf, size_t len)
{
    const double v = sm_descriptor_from_cmp(d, cmp);
    if (isnan(v)) snprintf(buf, len, "none");
    else if (d == SM_D_LOUDNESS) snprintf(buf, len, "%.2f", v);
    else if (d == SM_D_PERCUSSIVITY || d == SM_D_NOISINESS) snprintf(buf, len, "%.4g", v);
    else snprintf(buf, len, "%.1f", v);
}

static const char *short_unit(int d)
{
    return d == SM_D_LOUDNESS ? "dBFS" : d == SM_D_PERCUSSIVITY ? "1/smp"
                                       : d == SM_D_NOISINESS ? "" : "Hz";
}

/* Progress of an index build or a search: a line on a terminal only. */
static int progress_tty;
static void index_progress(void *ctx, const char *what, size_t done, size_t total)
{
    const char *cmd = ctx;
    if (strncmp(what, "warning:", 8) == 0) {
        fprintf(stderr, "soundmatch %s: %s\n", cmd, what);
        return;
    }
    if (!progress_tty || total == 0) return;
    fprintf(stderr, "\rsoundmatch %s: %s %zu of %zu%s", cmd, what, done, total,
            done == total ? "\n" : "");
}

static void search_progress(void *ctx, size_t done, size_t budget, double best)
{
    const char *cmd = ctx;
    if (!progress_tty) return;
    fprintf(stderr, "\rsoundmatch %s: %zu of %zu evaluations, cost %.4f   ", cmd, done, budget,
            best);
}

static void end_line(void)
{
    if (progress_tty) fprintf(stderr, "\r%79s\r", "");
}

/* Index options shared by design and morph. */
typedef struct {
    const char *presets;    /* comma-separated patch files, or NULL: the shared ones */
    long random;            /* -1: the synth's default */
    int no_cache;
} index_opts;

/* Opens the descriptor index of synth at MIDI note `note` (the synth's design note
 * otherwise, whatever length is designed: one index serves every target): human patches
 * (--presets, else the shared data folder's) and random ones. Prints the error on failure. */
static sm_dindex *index_open(const char *cmd, const sm_synth_type *synth, double note,
                             int threads, const index_opts *o)
{
    sm_dindex_config c = sm_dindex_config_default(synth);
    sm_error err = {0, ""};
    sm_dindex *idx;
    char *list = NULL, *files[SM_DINDEX_MAX_FILES] = {0}, *tok, *save = NULL;
    size_t i;
    c.note = sm_design_note(synth);
    c.note.note = note;
    c.threads = threads;
    c.no_cache = o->no_cache;
    c.progress = index_progress;
    c.progress_ctx = (void *)cmd;
    if (o->presets) {
        list = strdup(o->presets);
        for (tok = strtok_r(list, ",", &save); tok && c.n_patch_files < SM_DINDEX_MAX_FILES;
             tok = strtok_r(NULL, ",", &save)) {
            while (isspace((unsigned char)*tok)) tok++;
            if (*tok) c.patch_files[c.n_patch_files++] = tok;
        }
    } else {
        const char *rel[2] = {NULL, NULL};
        if (strcmp(synth->name, "drum") == 0) {
            rel[0] = "microtonic/default.mtpreset";
            rel[1] = "microtonic/supertonic_default.mtpreset";
        } else if (strcmp(synth->name, "fm6") == 0) {
            rel[0] = "dx7/voices31380.bin";
        }
        for (i = 0; i < 2 && rel[i]; i++) {
            files[i] = sm_cli_shared_file(rel[i]);
            if (files[i]) c.patch_files[c.n_patch_files++] = files[i];
        }
    }
    if (strcmp(synth->name, "fm6") == 0 && c.n_patch_files > 0) c.every = FM6_EVERY;
    c.n_random = o->random >= 0 ? (size_t)o->random
                 : strcmp(synth->name, "drum") == 0 ? DRUM_RANDOM
                 : c.n_patch_files > 0              ? 0
                                                    : OTHER_RANDOM;
    if (c.n_patch_files == 0 && c.n_random == 0) c.n_random = OTHER_RANDOM;
    idx = sm_dindex_open(&c, &err);
    if (!idx) fprintf(stderr, "soundmatch %s: %s\n", cmd, sm_error_text(&err));
    free(list);
    for (i = 0; i < 2; i++) free(files[i]);
    return idx;
}

/* Writes a patch as DIR/STEM plus the synth's patch extension; a synth without a patch format
 * gets STEM.params, a parameter file (core/params_file.h). *written receives the path. */
static int save_patch(const sm_synth_type *s, const char *dir, const char *stem,
                      const double *native, const char *name, char *written, size_t len,
                      sm_error *err)
{
    snprintf(written, len, "%s/%s%s", dir, stem, s->patch_save ? s->patch_ext : ".params");
    if (s->patch_save) return s->patch_save(written, native, name, err);
    return sm_params_file_save(s->name, s->space, written, native, name, err);
}

/* ---- describe ----------------------------------------------------------------------------- */

static const char *const DESCRIBE_HELP =
    "usage: soundmatch describe FILE... [--csv | --json] [--trajectory]\n"
    "       soundmatch describe --against TARGET FILE... [--scales drum|fm6]\n"
    "\n"
    "Print the seven sound descriptors of each file, Neurorack's controls:\n"
    "  loudness       RMS, dBFS\n"
    "  percussivity   zero-crossing rate, crossings per sample (0..1)\n"
    "  brightness     spectral centroid, Hz\n"
    "  tone-likeness  spectral roll-off (85% of the magnitude), Hz\n"
    "  richness       spectral bandwidth, Hz\n"
    "  noisiness      spectral flatness (0: a pure tone; white noise about 0.56)\n"
    "  pitch          YIN f0, Hz, or none when fewer than half the frames are voiced\n"
    "Each is librosa's measure on frames of 2048 samples, hop 512, at 44.1 kHz, pooled over the\n"
    "sound: frames within 30 dB of the loudest count fully, 30 to 40 dB below less, quieter\n"
    "ones not at all; levels and flatness are averaged in dB, frequencies and rates as\n"
    "ratios (geometric means), pitch in semitones over the voiced frames.\n"
    "A FILE is an audio file (WAV, FLAC, AIFF, OGG: read as mono at 44.1 kHz, its DC offset\n"
    "and infrasonic drift removed by a 20 Hz DC blocker, as design and morph read them) or a\n"
    "patch,\n"
    "rendered as design renders it: kit.mtpreset:3 (drum, velocity 127, 1 s), bank.syx:5\n"
    "(fm6, MIDI 60, velocity 100, key held 1 s of 1.5 s).\n"
    "\n"
    "Options:\n"
    "  --csv            CSV, one row a file, value units\n"
    "  --json           JSON, an array of one object a file (pitch null when none)\n"
    "  --trajectory     CSV of every frame: file, time, pooling weight and the seven values\n"
    "  --against FILE   each FILE's errors against this one: |difference| over the\n"
    "                   descriptor's published spread (1 for pitch when one is pitched and the\n"
    "                   other not)\n"
    "  --raw            keep the DC offset: librosa's values of the file as it is\n"
    "  --scales NAME    the spreads: drum (Microtonic presets and random drum patches) or fm6\n"
    "                   (human DX7 voices; the default)\n"
    "  -h, --help       this help\n"
    "\n"
    "Exit status: 0, 1 if a file cannot be read or is silent (the message names it; the other\n"
    "files are still printed), 2 for bad usage.\n";

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", (unsigned char)*s);
        else putchar(*s);
    }
    putchar('"');
}

static void describe_row(const sound *s, int csv, int json, int first)
{
    char v[SM_D_COUNT][32];
    int d;
    for (d = 0; d < SM_D_COUNT; d++) fmt_value(d, s->means.cmp[d], v[d], sizeof v[d]);
    if (json) {
        printf("%s\n  {\"file\": ", first ? "[" : ",");
        print_json_string(s->spec);
        for (d = 0; d < SM_D_COUNT; d++) {
            const double x = sm_descriptor_from_cmp(d, s->means.cmp[d]);
            printf(", \"%s\": ", sm_descriptor_get(d)->name);
            if (isnan(x)) printf("null");
            else printf("%.9g", x);
        }
        printf(", \"voiced\": %.4f}", s->means.voiced);
    } else if (csv) {
        printf("\"%s\"", s->spec);
        for (d = 0; d < SM_D_COUNT; d++) printf(",%s", strcmp(v[d], "none") ? v[d] : "");
        printf(",%.4f\n", s->means.voiced);
    } else {
        printf("%-28.28s", s->spec);
        for (d = 0; d < SM_D_COUNT; d++) printf(" %12s", v[d]);
        printf("   %3.0f%%\n", 100 * s->means.voiced);
    }
}

static void describe_header(int csv)
{
    int d;
    if (csv) {
        printf("file,loudness_dbfs,percussivity,brightness_hz,tone_likeness_hz,richness_hz,"
               "noisiness,pitch_hz,voiced\n");
        return;
    }
    printf("%-28s", "file");
    for (d = 0; d < SM_D_COUNT; d++) printf(" %12.12s", sm_descriptor_get(d)->name);
    printf("   voiced\n%-28s", "");
    for (d = 0; d < SM_D_COUNT; d++) printf(" %12s", short_unit(d));
    printf("\n");
}

/* The per-frame values of one sound as CSV rows. */
static int describe_trajectory(const sound *s)
{
    double *traj = NULL, *w = NULL;
    size_t frames = 0, t;
    sm_descr_means m;
    sm_error err = {0, ""};
    int d;
    if (sm_describe(s->x, s->n, SR, &m, &traj, &w, &frames, &err) != 0) return SM_EXIT_INPUT;
    for (t = 0; t < frames; t++) {
        printf("\"%s\",%.4f,%.3f", s->spec, (double)t * 512 / SR, w[t]);
        for (d = 0; d < SM_D_COUNT; d++) {
            const double x = sm_descriptor_from_cmp(d, traj[t * SM_D_COUNT + d]);
            if (isnan(x)) printf(",");
            else printf(",%.6g", x);
        }
        printf("\n");
    }
    free(traj);
    free(w);
    return 0;
}

int sm_cmd_describe(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"csv", no_argument, 0, 'c'},           {"json", no_argument, 0, 'j'},
        {"trajectory", no_argument, 0, 't'},    {"against", required_argument, 0, 'a'},
        {"scales", required_argument, 0, 's'},  {"help", no_argument, 0, 'h'},
        {"raw", no_argument, 0, 'r'},           {0, 0, 0, 0}};
    const char *against = NULL, *scales = "fm6";
    double scale[SM_D_COUNT];
    int c, csv = 0, json = 0, traj = 0, raw = 0, i, status = SM_EXIT_OK, first = 1, d;
    sound ref;
    memset(&ref, 0, sizeof ref);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(DESCRIBE_HELP, stdout); return SM_EXIT_OK;
        case 'c': csv = 1; break;
        case 'j': json = 1; break;
        case 't': traj = 1; break;
        case 'a': against = optarg; break;
        case 's': scales = optarg; break;
        case 'r': raw = 1; break;
        default:
            return sm_cli_usage("describe", "unknown option or missing value: '%s'",
                                argv[optind - 1]);
        }
    }
    if (optind >= argc) return sm_cli_usage("describe", "no file given");
    if (csv + json + traj > 1)
        return sm_cli_usage("describe", "--csv, --json and --trajectory exclude each other");
    if (strcmp(scales, "drum") != 0 && strcmp(scales, "fm6") != 0)
        return sm_cli_usage("describe", "--scales '%s': give drum or fm6", scales);
    if (against && (csv || json || traj))
        return sm_cli_usage("describe", "--against prints a table of its own");
    sm_descr_scales(scales, scale);
    if (against) {
        if ((status = sound_load("describe", against, 0, raw, NULL, &ref)) != 0) return status;
        printf("errors against %s, over the %s spreads (0.1: a tenth of a spread)\n%-28s",
               against, scales, "file");
        for (d = 0; d < SM_D_COUNT; d++) printf(" %12.12s", sm_descriptor_get(d)->name);
        printf("\n");
    } else if (traj) {
        printf("file,time_s,weight,loudness_dbfs,percussivity,brightness_hz,tone_likeness_hz,"
               "richness_hz,noisiness,pitch_hz\n");
    } else if (!json) {
        describe_header(csv);
    }
    for (i = optind; i < argc; i++) {
        sound s;
        if (sound_load("describe", argv[i], 0, raw, NULL, &s) != 0) {
            status = SM_EXIT_INPUT;
            continue;
        }
        if (against) {
            printf("%-28.28s", argv[i]);
            for (d = 0; d < SM_D_COUNT; d++)
                printf(" %12.3f", sm_descr_error(d, &ref.means, &s.means, scale));
            printf("\n");
        } else if (traj) {
            if (describe_trajectory(&s) != 0) status = SM_EXIT_INPUT;
        } else {
            describe_row(&s, csv, json, first);
            first = 0;
        }
        sound_free(&s);
    }
    if (json) printf(first ? "[]\n" : "\n]\n");
    sound_free(&ref);
    return status;
}

/* ---- design ------------------------------------------------------------------------------- */

static const char *const DESIGN_HELP =
    "usage: soundmatch design --synth drum|fm6|neuron [--like FILE] [DESCRIPTOR VALUE]... -o DIR\n"
    "\n"
    "Find a patch whose sound has the seven descriptors asked for (see soundmatch describe\n"
    "--help), and write it: DIR/design.mtpreset (drum), DIR/design.syx (fm6) or\n"
    "DIR/design.params (neuron: a parameter file that --patch options read), with\n"
    "DIR/design.wav and DIR/descriptors.csv (each descriptor asked, got, and its error:\n"
    "|difference| over the descriptor's published spread).\n"
    "\n"
    "Descriptors (a value in its units; with --like, also an edit of the recording's value):\n"
    "  --loudness V        dBFS, -100..0; edits: +3dB, -50% (of the RMS)\n"
    "  --percussivity V    crossings per sample, 0..1; edits: +20%, +0.5oct\n"
    "  --brightness V      Hz, 10 Hz to half the rate; edits: +20%, -1oct\n"
    "  --tone-likeness V   Hz, 10 Hz to half the rate\n"
    "  --richness V        Hz, 10 Hz to half the rate\n"
    "  --noisiness V       spectral flatness, 0..1; edits: +3dB, +50%\n"
    "  --pitch V           Hz, 45..2000, or none (unpitched); edits: +2st, +10%\n"
    "  --like FILE         start from a recording's (or a patch's) seven descriptors; edits\n"
    "                      move the ones named and hold the others\n"
    "Without --like only the descriptors named are asked for; the others are free.\n"
    "\n"
    "Search (an index of rendered patches, then a short search from the nearest):\n"
    "  --weights LIST      descriptor weights: all, or name:w, ... (default all 1)\n"
    "  --trajectory W      with --like: also follow the recording's descriptors over time,\n"
    "                      weighted W (default 0: the means only)\n"
    "  --budget N          evaluations at most (default 3000 for drum, 10000 for others)\n"
    "  --length S          seconds rendered (default: the recording's from its onset, at most\n"
    "                      3 s; else 1 s for drum, 1.5 s for others)\n"
    "  --note N            MIDI note played (fm6, neuron; default: the pitch asked for, else 60)\n"
    "  --presets FILES     human patches for the index, comma-separated (default: the shared\n"
    "                      data folder's Microtonic presets for drum, every 8th voice of\n"
    "                      voices31380.bin for fm6)\n"
    "  --random N          random patches in the index (default 4000 for drum, else 0, or 2000\n"
    "                      without human patches)\n"
    "  --no-cache          do not read or write the index cache ($XDG_CACHE_HOME/soundmatch)\n"
    "  --seed N            seed of the search (default 1); --threads N (default: all cores)\n"
    "  -q, --quiet         print nothing but errors\n"
    "  -h, --help          this help\n"
    "\n"
    "The index is rendered the first time a setting is used (drum: about 25 s on two cores)\n"
    "and cached; a design then takes a few seconds.\n"
    "\n"
    "Exit status: 0, 1 for bad input (an unreadable or silent file, a value outside its\n"
    "range), 2 for bad usage (an unknown option or descriptor).\n";

/* Parses the seven descriptor options and --like into a goal. */
typedef struct {
    const char *value[SM_D_COUNT];
} descr_args;

static void print_design(const sm_descr_goal *goal, const sm_design_result *r)
{
    int d;
    printf("%-14s %12s %12s %8s\n", "descriptor", "asked", "got", "error");
    for (d = 0; d < SM_D_COUNT; d++) {
        char a[32] = "-", g[32];
        if (goal->given[d]) fmt_value(d, goal->means.cmp[d], a, sizeof a);
        fmt_value(d, r->got.cmp[d], g, sizeof g);
        if (goal->given[d])
            printf("%-14s %12s %12s %8.3f  %s\n", sm_descriptor_get(d)->name, a, g, r->error[d],
                   short_unit(d));
        else
            printf("%-14s %12s %12s %8s  %s\n", sm_descriptor_get(d)->name, a, g, "-",
                   short_unit(d));
    }
}

static int write_design_csv(const char *path, const sm_descr_goal *goal,
                            const sm_design_result *r, sm_error *err)
{
    sm_outfile of;
    int d, rc;
    if ((rc = sm_outfile_open(&of, path, err)) != 0) return rc;
    fprintf(of.f, "descriptor,units,asked,got,error\n");
    for (d = 0; d < SM_D_COUNT; d++) {
        char a[32] = "", g[32];
        if (goal->given[d]) fmt_value(d, goal->means.cmp[d], a, sizeof a);
        fmt_value(d, r->got.cmp[d], g, sizeof g);
        fprintf(of.f, "%s,%s,%s,%s,", sm_descriptor_get(d)->name, sm_descriptor_get(d)->unit,
                a, g);
        if (goal->given[d]) fprintf(of.f, "%.6f", r->error[d]);
        fprintf(of.f, "\n");
    }
    fprintf(of.f, "# evaluations %zu, seconds %.2f, cost %.6f, nearest indexed patch \"%s\"\n",
            r->evals, r->seconds, r->cost, r->start);
    return sm_outfile_commit(&of, err);
}

static const struct option design_longopts[] = {
    {"synth", required_argument, 0, 's'},    {"like", required_argument, 0, 'l'},
    {"weights", required_argument, 0, 'w'},  {"trajectory", required_argument, 0, 't'},
    {"budget", required_argument, 0, 'b'},   {"length", required_argument, 0, 'L'},
    {"note", required_argument, 0, 'n'},     {"presets", required_argument, 0, 'p'},
    {"random", required_argument, 0, 'r'},   {"no-cache", no_argument, 0, 'C'},
    {"seed", required_argument, 0, 'S'},     {"threads", required_argument, 0, 'T'},
    {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
    {"output", required_argument, 0, 'o'},   {"steps", required_argument, 0, 'N'},
    {"by", required_argument, 0, 'B'},
    {"loudness", required_argument, 0, 1000 + SM_D_LOUDNESS},
    {"percussivity", required_argument, 0, 1000 + SM_D_PERCUSSIVITY},
    {"brightness", required_argument, 0, 1000 + SM_D_BRIGHTNESS},
    {"tone-likeness", required_argument, 0, 1000 + SM_D_TONE},
    {"tone", required_argument, 0, 1000 + SM_D_TONE},
    {"richness", required_argument, 0, 1000 + SM_D_RICHNESS},
    {"noisiness", required_argument, 0, 1000 + SM_D_NOISINESS},
    {"pitch", required_argument, 0, 1000 + SM_D_PITCH},
    {0, 0, 0, 0}};

/* Options of design and morph. */
typedef struct {
    const char *synth, *like, *weights, *out, *by;
    double traj, length, note, budget, seed, threads, steps;
    index_opts io;
    int quiet;
    descr_args da;
} design_opts;

/* Parses the options of cmd; returns -1 to go on, else the exit code (help: 0). */
static int parse_design(const char *cmd, const char *help, int argc, char **argv, design_opts *o)
{
    int c, rc;
    memset(o, 0, sizeof *o);
    o->synth = NULL;
    o->traj = 0;
    o->length = o->note = o->seed = o->threads = -1;
    o->budget = 0;   /* 0: the design's default for the synth */
    o->steps = 8;
    o->io.random = -1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:q", design_longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(help, stdout); return SM_EXIT_OK;
        case 's': o->synth = optarg; break;
        case 'l': o->like = optarg; break;
        case 'w': o->weights = optarg; break;
        case 'o': o->out = optarg; break;
        case 'B': o->by = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'C': o->io.no_cache = 1; break;
        case 'p': o->io.presets = optarg; break;
        case 't': if ((rc = sm_cli_number(cmd, "--trajectory", optarg, 0, 1000, &o->traj))) return rc; break;
        case 'b': if ((rc = sm_cli_number(cmd, "--budget", optarg, 1, 1e8, &o->budget))) return rc; break;   /* >= 1 */
        case 'L': if ((rc = sm_cli_number(cmd, "--length", optarg, 0.05, 30, &o->length))) return rc; break;
        case 'n': if ((rc = sm_cli_number(cmd, "--note", optarg, 0, 127, &o->note))) return rc; break;
        case 'S': if ((rc = sm_cli_number(cmd, "--seed", optarg, 0, 9007199254740991.0, &o->seed))) return rc; break;
        case 'T': if ((rc = sm_cli_number(cmd, "--threads", optarg, 1, 1024, &o->threads))) return rc; break;
        case 'N': if ((rc = sm_cli_number(cmd, "--steps", optarg, 2, 64, &o->steps))) return rc; break;
        case 'r': {
            double r;
            if ((rc = sm_cli_number(cmd, "--random", optarg, 0, 1e6, &r))) return rc;
            o->io.random = (long)r;
            break;
        }
        default:
            if (c >= 1000 && c < 1000 + SM_D_COUNT) {
                o->da.value[c - 1000] = optarg;
                break;
            }
            return sm_cli_usage(cmd, "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (!o->synth) return sm_cli_usage(cmd, "no synth given (--synth drum, fm6 or neuron)");
    if (!sm_synth_find(o->synth))
        return sm_cli_usage(cmd, "unknown synth '%s' (soundmatch list synths)", o->synth);
    if (!o->out) return sm_cli_usage(cmd, "no output folder given (-o DIR)");
    return -1;
}

/* Applies the weights option to c; returns 0 or a usage exit code. */
static int apply_weights(const char *cmd, const design_opts *o, sm_design_config *c)
{
    sm_error err = {0, ""};
    if (o->weights && sm_descr_weights_parse(o->weights, c->weight, &err) != 0)
        return sm_cli_usage(cmd, "--weights '%s': %s", o->weights, sm_error_text(&err));
    return 0;
}

int sm_cmd_design(int argc, char **argv)
{
    design_opts o;
    const sm_synth_type *synth;
    sm_descr_goal goal;
    sm_design_config c;
    sm_design_result r;
    sm_dindex *idx = NULL;
    sm_note note;
    sm_error err = {0, ""};
    sound like;
    char path[4200];
    int rc, d, any = 0;
    memset(&like, 0, sizeof like);
    memset(&r, 0, sizeof r);
    if ((rc = parse_design("design", DESIGN_HELP, argc, argv, &o)) >= 0) return rc;
    if (optind < argc)
        return sm_cli_usage("design", "unexpected argument '%s' (the recording to start from "
                                      "goes after --like)", argv[optind]);
    synth = sm_synth_find(o.synth);
    progress_tty = !o.quiet && sm_cli_tty();
    memset(&goal, 0, sizeof goal);
    for (d = 0; d < SM_D_COUNT; d++) goal.means.cmp[d] = NAN;
    note = sm_design_note(synth);
    if (o.like) {
        if ((rc = sound_load("design", o.like, 1, 0, NULL, &like)) != 0) return rc;
        goal.means = like.means;
        for (d = 0; d < SM_D_COUNT; d++) goal.given[d] = 1;
        if (!like.synth) {   /* a recording: designed over its length */
            note.length_s = (double)like.n / SR;
            if (note.length_s < 0.1) note.length_s = 0.1;
            note.gate_s = 0.75 * note.length_s;
        }
    }
    for (d = 0; d < SM_D_COUNT; d++) {
        if (!o.da.value[d]) continue;
        any = 1;
        if (sm_descr_goal_set(&goal, d, o.da.value[d], SR, &err) != 0) {
            fprintf(stderr, "soundmatch design: %s\n", sm_error_text(&err));
            sound_free(&like);
            return SM_EXIT_INPUT;
        }
    }
    if (!o.like && !any) {
        sound_free(&like);
        return sm_cli_usage("design", "nothing asked for: give --like FILE or a descriptor "
                                      "value (--brightness 3000, ...)");
    }
    if (o.length > 0) {
        note.length_s = o.length;
        note.gate_s = 0.75 * o.length;
    }
    if (o.note >= 0) note.note = o.note;
    else if (strcmp(synth->name, "drum") != 0 && goal.given[SM_D_PITCH] &&
             !isnan(goal.means.cmp[SM_D_PITCH]))
        note.note = fmin(127, fmax(0, round(goal.means.cmp[SM_D_PITCH])));
    if (!(idx = index_open("design", synth, note.note, o.threads > 0 ? (int)o.threads : 0, &o.io))) {
        sound_free(&like);
        return SM_EXIT_INPUT;
    }
    c = sm_design_config_default(synth, idx);
    c.note = note;
    if (o.budget > 0) c.budget = (size_t)o.budget;
    c.traj_weight = o.traj;
    if (o.seed >= 0) c.seed = (uint64_t)o.seed;
    if (o.threads > 0) c.threads = (int)o.threads;
    c.progress = search_progress;
    c.progress_ctx = "design";
    if ((rc = apply_weights("design", &o, &c)) != 0) goto out;
    /* a patch of this synth to start from is also a start point */
    rc = sm_design_run(&c, &goal, like.x, like.n, like.synth == synth ? like.native : NULL,
                       like.synth == synth ? 1 : 0, &r, &err);
    end_line();
    if (rc) {
        rc = sm_cli_fail("design", &err);
        goto out;
    }
    if (sm_mkdir_p(o.out, &err) != 0 ||
        save_patch(synth, o.out, "design", r.native, "design", path, sizeof path, &err) != 0) {
        rc = sm_cli_fail("design", &err);
        goto out;
    }
    snprintf(path, sizeof path, "%s/design.wav", o.out);
    if (sm_audio_write_wav(path, r.audio, r.n, SR, SM_WAV_FLOAT, &err) != 0) {
        rc = sm_cli_fail("design", &err);
        goto out;
    }
    snprintf(path, sizeof path, "%s/descriptors.csv", o.out);
    if (write_design_csv(path, &goal, &r, &err) != 0) {
        rc = sm_cli_fail("design", &err);
        goto out;
    }
    if (!o.quiet) {
        print_design(&goal, &r);
        fprintf(stderr, "soundmatch design: %zu evaluations in %.1f s from the %s index (%s); "
                        "wrote %s/design%s\n",
                r.evals, r.seconds, synth->name,
                sm_dindex_from_cache(idx) ? "cached" : "rendered now", o.out,
                synth->patch_save ? synth->patch_ext : ".params");
    }
    rc = SM_EXIT_OK;
out:
    sm_design_result_free(&r);
    sm_dindex_free(idx);
    sound_free(&like);
    return rc;
}

/* ---- morph -------------------------------------------------------------------------------- */

static const char *const MORPH_HELP =
    "usage: soundmatch morph A B --synth drum|fm6|neuron [--steps N] [--by MODE] -o DIR\n"
    "\n"
    "Make N patches whose sounds go evenly from A to B, Neurorack's merge of two sounds. A and\n"
    "B are recordings (trimmed before their onsets, at most 3 s) or patches of the synth\n"
    "(kit.mtpreset:3, bank.syx:5). Each step k (1..N) aims at the descriptors (1 - a) A + a B,\n"
    "a = (k - 1) / (N - 1), in comparison units (dB, octaves, semitones; see soundmatch\n"
    "describe --help). Two modes:\n"
    "  descriptors   design each step for its interpolated descriptors\n"
    "  parameters    interpolate the patches of A and B (a recording's patch is designed\n"
    "                first): continuous and integer parameters along the synth's normalized\n"
    "                scale (logarithmic where the synth's is), and at each step every\n"
    "                enumerated parameter on which A and B differ set to A's or B's value,\n"
    "                whichever sounds nearer the step's interpolated descriptors\n"
    "DIR/MODE/step_K.wav and step_K.mtpreset (.syx, .params) for each step, DIR/morph.csv\n"
    "(mode, step, descriptors wanted and got, errors over the published spreads) and\n"
    "DIR/index.html, a page with the descriptor trajectories of both modes and players.\n"
    "\n"
    "Options:\n"
    "  --steps N       steps, A and B included, 2..64 (default 8)\n"
    "  --by MODE       descriptors, parameters or both (default both)\n"
    "  --budget N      evaluations per designed step (default: as for design)\n"
    "  --weights LIST, --presets FILES, --random N, --no-cache, --seed N, --threads N: as\n"
    "                  for design\n"
    "  -q, --quiet     print nothing but errors\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status: 0, 1 for bad input (an unreadable or silent file), 2 for bad usage.\n";

/* Writes one mode's steps into DIR/SUB and its rows of morph.csv; prints its worst errors. */
static int write_morph_mode(const char *dir, const char *sub, const sm_synth_type *synth,
                            const sm_morph_result *m, FILE *csv, int quiet, sm_error *err)
{
    char folder[4200], path[4400], stem[32];
    double worst[SM_D_COUNT];
    size_t k;
    int d, rc;
    for (d = 0; d < SM_D_COUNT; d++) worst[d] = -1;   /* -1: no line to follow */
    snprintf(folder, sizeof folder, "%s/%s", dir, sub);
    if ((rc = sm_mkdir_p(folder, err)) != 0) return rc;
    for (k = 0; k < m->n_steps; k++) {
        snprintf(stem, sizeof stem, "step_%zu", k + 1);
        if ((rc = save_patch(synth, folder, stem, m->native + k * synth->space->n, stem, path,
                             sizeof path, err)) != 0)
            return rc;
        snprintf(path, sizeof path, "%s/%s.wav", folder, stem);
        if ((rc = sm_audio_write_wav(path, m->audio[k], m->n, SR, SM_WAV_FLOAT, err)) != 0)
            return rc;
        fprintf(csv, "%s,%zu", sub, k + 1);
        for (d = 0; d < SM_D_COUNT; d++) {
            char w[32], g[32];
            fmt_value(d, m->want[k].cmp[d], w, sizeof w);
            fmt_value(d, m->got[k].cmp[d], g, sizeof g);
            fprintf(csv, ",%s,%s,", w, g);
            if (!isnan(m->error[k * SM_D_COUNT + d])) {
                fprintf(csv, "%.4f", m->error[k * SM_D_COUNT + d]);
                worst[d] = fmax(worst[d], m->error[k * SM_D_COUNT + d]);
            }
        }
        fprintf(csv, "\n");
    }
    if (!quiet) {
        printf("%-12s worst error of any step:", sub);
        for (d = 0; d < SM_D_COUNT; d++)
            if (worst[d] < 0) printf(" %s -", sm_descriptor_get(d)->name);
            else printf(" %s %.3f", sm_descriptor_get(d)->name, worst[d]);
        printf(" (%.1f s)\n", m->seconds);
    }
    return 0;
}

int sm_cmd_morph(int argc, char **argv)
{
    design_opts o;
    const sm_synth_type *synth;
    sm_design_config c;
    sm_morph_result res[2];
    sm_morph_end ea, eb;
    sm_dindex *idx = NULL;
    sm_error err = {0, ""};
    sm_note note;
    sound a, b;
    sm_outfile of;
    char path[4200];
    int rc, modes, k, d;
    memset(res, 0, sizeof res);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if ((rc = parse_design("morph", MORPH_HELP, argc, argv, &o)) >= 0) return rc;
    if (argc - optind != 2)
        return sm_cli_usage("morph", argc - optind < 2 ? "give two sounds, A and B"
                                                       : "more than two sounds given");
    if (o.like) return sm_cli_usage("morph", "--like is for design");
    for (d = 0; d < SM_D_COUNT; d++)
        if (o.da.value[d])
            return sm_cli_usage("morph", "--%s is for design", sm_descriptor_get(d)->name);
    if (!o.by || strcmp(o.by, "both") == 0) modes = 3;
    else if (strcmp(o.by, "descriptors") == 0) modes = 1;
    else if (strcmp(o.by, "parameters") == 0) modes = 2;
    else return sm_cli_usage("morph", "--by '%s': give descriptors, parameters or both", o.by);
    synth = sm_synth_find(o.synth);
    progress_tty = !o.quiet && sm_cli_tty();
    note = sm_design_note(synth);
    if ((rc = sound_load("morph", argv[optind], 1, 0, NULL, &a)) != 0) return rc;
    if ((rc = sound_load("morph", argv[optind + 1], 1, 0, NULL, &b)) != 0) goto out;
    if ((a.synth && a.synth != synth) || (b.synth && b.synth != synth)) {
        rc = sm_cli_usage("morph", "a patch of another synth than --synth %s", synth->name);
        goto out;
    }
    if (!a.synth || !b.synth) {   /* recordings: designed over the longer one's length */
        double len = fmax(a.synth ? 0 : (double)a.n / SR, b.synth ? 0 : (double)b.n / SR);
        note.length_s = fmax(0.1, len);
        note.gate_s = 0.75 * note.length_s;
    }
    if (o.length > 0) {
        note.length_s = o.length;
        note.gate_s = 0.75 * o.length;
    }
    if (o.note >= 0) note.note = o.note;
    if (!(idx = index_open("morph", synth, note.note, o.threads > 0 ? (int)o.threads : 0, &o.io))) {
        rc = SM_EXIT_INPUT;
        goto out;
    }
    c = sm_design_config_default(synth, idx);
    c.note = note;
    if (o.budget > 0) c.budget = (size_t)o.budget;
    if (o.seed >= 0) c.seed = (uint64_t)o.seed;
    if (o.threads > 0) c.threads = (int)o.threads;
    c.progress = search_progress;
    c.progress_ctx = "morph";
    if ((rc = apply_weights("morph", &o, &c)) != 0) goto out;
    ea.means = a.means, ea.native = a.native, ea.audio = a.x, ea.n = a.n;
    eb.means = b.means, eb.native = b.native, eb.audio = b.x, eb.n = b.n;
    for (k = 0; k < 2; k++) {
        if (!(modes & (1 << k))) continue;
        rc = sm_morph_run(&c, &ea, &eb, (size_t)o.steps,
                          k == 0 ? SM_MORPH_DESCRIPTORS : SM_MORPH_PARAMETERS, &res[k], &err);
        end_line();
        if (rc) {
            rc = sm_cli_fail("morph", &err);
            goto out;
        }
    }
    snprintf(path, sizeof path, "%s/morph.csv", o.out);
    if (sm_mkdir_p(o.out, &err) != 0 || sm_outfile_open(&of, path, &err) != 0) {
        rc = sm_cli_fail("morph", &err);
        goto out;
    }
    fprintf(of.f, "mode,step");
    for (d = 0; d < SM_D_COUNT; d++) {
        const char *nm = sm_descriptor_get(d)->name;
        fprintf(of.f, ",%s_wanted,%s_got,%s_error", nm, nm, nm);
    }
    fprintf(of.f, "\n");
    for (k = 0; k < 2; k++)
        if ((modes & (1 << k)) &&
            write_morph_mode(o.out, k == 0 ? "descriptors" : "parameters", synth, &res[k], of.f,
                             o.quiet, &err) != 0) {
            sm_outfile_abort(&of);
            rc = sm_cli_fail("morph", &err);
            goto out;
        }
    if (sm_outfile_commit(&of, &err) != 0) {
        rc = sm_cli_fail("morph", &err);
        goto out;
    }
    {
        sm_morph_page in;
        memset(&in, 0, sizeof in);
        in.title_a = argv[optind];
        in.title_b = argv[optind + 1];
        in.synth = synth->name;
        in.sample_rate = SR;
        in.scale = c.scale;
        in.by_descriptors = (modes & 1) ? &res[0] : NULL;
        in.by_parameters = (modes & 2) ? &res[1] : NULL;
        snprintf(path, sizeof path, "%s/index.html", o.out);
        if (sm_morph_page_write(path, &in, &err) != 0) {
            rc = sm_cli_fail("morph", &err);
            goto out;
        }
    }
    if (!o.quiet) fprintf(stderr, "soundmatch morph: wrote %s/index.html\n", o.out);
    rc = SM_EXIT_OK;
out:
    sm_morph_result_free(&res[0]);
    sm_morph_result_free(&res[1]);
    sm_dindex_free(idx);
    sound_free(&a);
    sound_free(&b);
    return rc;
}
