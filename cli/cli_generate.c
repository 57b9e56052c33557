/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli/cli_generate.c: `soundmatch generate` (new DX7 voices drawn from the timbre space of
 * human voices, as 32-voice banks with a listening page) and `soundmatch timbre` (what that
 * space is: variance per component, what the first components do to the sound, round trips,
 * the kinds and how well they agree with voice names, the garbage among human voices). */
#include "cli/cli.h"
#include "core/fileio.h"
#include "datasets/banks.h"
#include "datasets/timbre.h"
#include "experiments/listen.h"
#include "synths/fm6.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    int tty, quiet, shown;
} gen_progress;

static void show_progress(void *ctx, const char *what, size_t done, size_t total)
{
    gen_progress *ps = ctx;
    if (strncmp(what, "warning:", 8) == 0) {
        if (ps->shown) fputs("\r\033[K", stderr);
        fprintf(stderr, "soundmatch: %s\n", what);
        return;
    }
    if (!ps->tty || ps->quiet) return;
    fprintf(stderr, "\r\033[K%s: %zu/%zu", what, done, total);
    ps->shown = 1;
    if (done >= total) {
        fputs("\r\033[K", stderr);
        ps->shown = 0;
    }
    fflush(stderr);
}

/* The human voices: FILE, else $SOUNDMATCH_PRESETS, else the shared data's
 * dx7/voices31380.bin (sm_cli_shared_file). A new string, or NULL. */
static char *voices_file(const char *given)
{
    const char *env = getenv("SOUNDMATCH_PRESETS");
    if (given) return strdup(given);
    if (env && *env) return strdup(env);
    return sm_cli_shared_file("dx7/voices31380.bin");
}

/* Parses a whole number option into *out. Returns 0 or 2 (usage printed). */
static int whole(const char *cmd, const char *opt, const char *text, double lo, double hi,
                 double *out)
{
    int rc = sm_cli_number(cmd, opt, text, lo, hi, out);
    if (!rc && *out != floor(*out))
        return sm_cli_usage(cmd, "%s: '%s' must be a whole number", opt, text);
    return rc;
}

/* Options shared by both commands: the voices file, cache and threads. */
typedef struct {
    const char *presets;
    int threads, quiet, rebuild;
} model_opts;

/* Handles argv[*a] if it is a model option. Returns 1 (taken), 0 (not one) or -2 (usage
 * error, printed). */
static int model_option(const char *cmd, int argc, char **argv, int *a, model_opts *mo)
{
    double v;
    if (strcmp(argv[*a], "--presets") == 0) {
        if (++*a >= argc || !*argv[*a])
            return sm_cli_usage(cmd, "--presets needs a file") ? -2 : -2;
        mo->presets = argv[*a];
        return 1;
    }
    if (strcmp(argv[*a], "--threads") == 0) {
        if (whole(cmd, "--threads", ++*a < argc ? argv[*a] : NULL, 0, 256, &v)) return -2;
        mo->threads = (int)v;
        return 1;
    }
    if (strcmp(argv[*a], "-q") == 0 || strcmp(argv[*a], "--quiet") == 0) {
        mo->quiet = 1;
        return 1;
    }
    if (strcmp(argv[*a], "--rebuild") == 0) {
        mo->rebuild = 1;
        return 1;
    }
    return 0;
}

/* Opens the model; prints the error and returns NULL on failure. */
static sm_timbre *open_model(const char *cmd, const model_opts *mo, gen_progress *ps)
{
    sm_timbre_config c = sm_timbre_config_default();
    sm_error err = {0};
    sm_timbre *m;
    char *file = voices_file(mo->presets);
    if (!file) {
        fprintf(stderr, "soundmatch %s: no human voices found: give --presets FILE (e.g. "
                "../shared/data/dx7/voices31380.bin) or set SOUNDMATCH_PRESETS\n", cmd);
        return NULL;
    }
    c.voices_file = file;
    c.threads = mo->threads;
    c.no_cache = mo->rebuild;
    c.progress = show_progress;
    c.progress_ctx = ps;
    m = sm_timbre_open(&c, &err);
    if (!m) sm_cli_fail(cmd, &err);
    free(file);
    return m;
}

static const char *render_desc(const sm_timbre *m, char *buf, size_t len)
{
    const sm_voice_render_config *r = sm_timbre_render_config(m);
    snprintf(buf, len, "fm6 at MIDI note %g, velocity %g, key held %g s of %g s, %g Hz", r->note,
             r->velocity, r->gate_s, r->length_s, r->sample_rate);
    return buf;
}

/* The file name of path, without its folders (the page sits beside the banks). */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* NAME.syx -> NAME.html (a new string). */
static char *page_path(const char *out)
{
    size_t n = strlen(out);
    char *p = malloc(n + 8);
    if (!p) return NULL;
    memcpy(p, out, n + 1);
    if (n > 4 && strcasecmp(p + n - 4, ".syx") == 0) p[n - 4] = '\0';
    strcat(p, ".html");
    return p;
}

/* 1 if the folder that would hold file path exists. */
static int folder_exists(const char *path)
{
    struct stat st;
    const char *slash = strrchr(path, '/');
    char *d;
    int ok;
    if (!slash) return 1;
    if (!(d = strndup(path, (size_t)(slash - path) + (slash == path)))) return 0;
    ok = stat(d, &st) == 0 && S_ISDIR(st.st_mode);
    free(d);
    return ok;
}

/* Renders the voices again for their players and writes the listening page beside the banks.
 * Returns 0 or 1 (the error printed). */
static int write_page(const sm_timbre *m, const sm_generate_config *g, const sm_generated *voices,
                      size_t n, char **files, const char *out)
{
    const sm_voice_render_config *rc = sm_timbre_render_config(m);
    sm_error err = {0};
    sm_voice_analyser *an = sm_voice_analyser_alloc(rc, &err);
    size_t nm = n < SM_LISTEN_MAX_MEDIA ? n : SM_LISTEN_MAX_MEDIA, ns = 0, i;
    sm_listen_voice *lv = calloc(n, sizeof *lv);
    sm_voice_name *names = calloc(n, sizeof *names);
    char *page = page_path(out), intro[512], alg[32] = "", rd[160];
    float *audio = NULL;
    sm_listen_page pg;
    int fail = 0;
    if (an) {
        ns = sm_voice_analyser_samples(an);
        audio = malloc(nm * ns * sizeof *audio);
    }
    if (!an || !lv || !names || !page || !audio) {
        if (an) sm_error_set(&err, SM_ERR_NOMEM, "out of memory for the listening page");
        sm_cli_fail("generate", &err);
        fail = 1;
        goto done;
    }
    for (i = 0; i < n; i++) {
        sm_voice_descr d;
        sm_dx7_voice_name(&voices[i].voice, names[i]);
        lv[i].bank_file = base_name(files[i / SM_DX7_BANK_VOICES]);
        lv[i].slot = (int)(i % SM_DX7_BANK_VOICES + 1);
        lv[i].name = names[i];
        lv[i].algorithm = (int)voices[i].native[SM_FM6_ALGORITHM];
        lv[i].kind = sm_kind_name(voices[i].kind);
        lv[i].descr = &voices[i].descr;
        if (i < nm && sm_voice_analyse(an, voices[i].native, &d) == 0) {
            memcpy(audio + i * ns, sm_voice_analyser_audio(an), ns * sizeof *audio);
            lv[i].audio = audio + i * ns;
            lv[i].n = ns;
            lv[i].sample_rate = rc->sample_rate;
        }
    }
    if (g->algorithm) snprintf(alg, sizeof alg, ", algorithm %d", g->algorithm);
    snprintf(intro, sizeof intro, "%zu new voices of kind %s%s (seed %llu), drawn from the "
             "timbre space of %zu human DX7 voices by soundmatch generate.", n,
             sm_kind_name(g->kind), alg, (unsigned long long)g->seed, sm_timbre_count(m));
    memset(&pg, 0, sizeof pg);
    pg.title = base_name(files[0]);
    pg.intro = intro;
    pg.render_desc = render_desc(m, rd, sizeof rd);
    pg.n_voices = n;
    pg.voices = lv;
    if (sm_listen_write(page, &pg, &err) != 0) {
        sm_cli_fail("generate", &err);
        fail = 1;
    } else {
        fprintf(stderr, "soundmatch generate: listening page %s\n", page);
    }
done:
    sm_voice_analyser_free(an);
    free(lv);
    free(names);
    free(audio);
    free(page);
    return fail;
}

int sm_cli_bank_page(const char *out, const sm_dx7_voice *voices, size_t n, char **files,
                     const char *const *notes, const char *intro)
{
    sm_timbre_config c = sm_timbre_config_default();
    const sm_voice_render_config rc = c.render;
    sm_error err = {0};
    sm_timbre *m = NULL;
    sm_voice_analyser *an = sm_voice_analyser_alloc(&rc, &err);
    size_t nm = n < SM_LISTEN_MAX_MEDIA ? n : SM_LISTEN_MAX_MEDIA, ns = 0, i;
    sm_listen_voice *lv = calloc(n ? n : 1, sizeof *lv);
    sm_voice_name *names = calloc(n ? n : 1, sizeof *names);
    sm_voice_descr *d = calloc(n ? n : 1, sizeof *d);
    char *page = page_path(out), *vf = voices_file(NULL), rd[200];
    float *audio = NULL;
    sm_listen_page pg;
    int fail = 0;
    if (an) {
        ns = sm_voice_analyser_samples(an);
        audio = malloc((nm ? nm : 1) * ns * sizeof *audio);
    }
    if (!an || !lv || !names || !d || !page || !audio) {
        if (an) sm_error_set(&err, SM_ERR_NOMEM, "out of memory for the listening page");
        fail = sm_cli_fail("bank", &err);
        goto done;
    }
    /* the kinds come from the timbre model if it is cached already (soundmatch timbre or
     * generate builds it); without it the page leaves them out */
    if (vf) {
        sm_error e2 = {0};
        c.voices_file = vf;
        c.cache_only = 1;
        m = sm_timbre_open(&c, &e2);
    }
    for (i = 0; i < n; i++) {
        double nat[SM_FM6_NPARAMS];
        sm_dx7_voice_to_native(&voices[i], nat);
        sm_dx7_voice_name(&voices[i], names[i]);
        lv[i].bank_file = base_name(files[i / SM_DX7_BANK_VOICES]);
        lv[i].slot = (int)(i % SM_DX7_BANK_VOICES + 1);
        lv[i].name = names[i];
        lv[i].algorithm = (int)nat[SM_FM6_ALGORITHM];
        lv[i].notes = notes ? notes[i] : NULL;
        if (sm_voice_analyse(an, nat, &d[i]) != 0) continue;
        lv[i].descr = &d[i];
        if (m) {
            double f[SM_VOICE_NFEAT];
            sm_voice_features(&d[i], f);
            lv[i].kind = sm_kind_name(sm_kind_classify(sm_timbre_classifier(m), f, NULL));
        }
        if (i < nm) {
            memcpy(audio + i * ns, sm_voice_analyser_audio(an), ns * sizeof *audio);
            lv[i].audio = audio + i * ns;
            lv[i].n = ns;
            lv[i].sample_rate = rc.sample_rate;
        }
    }
    snprintf(rd, sizeof rd, "fm6 at MIDI note %g, velocity %g, key held %g s of %g s, %g Hz%s",
             rc.note, rc.velocity, rc.gate_s, rc.length_s, rc.sample_rate,
             m ? ""
               : "; no kinds: the timbre model is not cached yet (run soundmatch timbre once)");
    memset(&pg, 0, sizeof pg);
    pg.title = base_name(files[0]);
    pg.intro = intro;
    pg.render_desc = rd;
    pg.n_voices = n;
    pg.voices = lv;
    if (sm_listen_write(page, &pg, &err) != 0) fail = sm_cli_fail("bank", &err);
    else fprintf(stderr, "soundmatch bank: listening page %s\n", page);
done:
    sm_timbre_free(m);
    sm_voice_analyser_free(an);
    free(lv);
    free(names);
    free(d);
    free(audio);
    free(page);
    free(vf);
    return fail ? SM_EXIT_INPUT : 0;
}

/* ---- generate ------------------------------------------------------------------------------ */

static const char *const GENERATE_HELP =
    "usage: soundmatch generate -o NAME.syx [--count N] [--kind KIND] [--algorithm N]\n"
    "                           [--seed S] [OPTIONS]\n"
    "\n"
    "Make new DX7 voices: draw them from a timbre space of 31,380 human voices (PCA and k-means\n"
    "of their parameters), repair their discrete parameters, render each one and keep those that\n"
    "are not garbage (silent, clipping, DC, screaming, or out of tune for a pitched kind), are\n"
    "of the kind asked for, and differ from every human voice in at least 6 of the 118 bytes of\n"
    "a packed voice. They are written as 32-voice banks NAME.syx, NAME-2.syx, ... with random\n"
    "names unique within each bank, and a listening page NAME.html beside them (every voice's\n"
    "name, algorithm, kind, descriptors, spectrogram and player). A listing goes to standard\n"
    "output and the counts of rejected candidates, by reason, to standard error. The model is\n"
    "built once (about a minute) and cached in $XDG_CACHE_HOME/soundmatch (~/.cache/soundmatch).\n"
    "The same seed gives the same banks at any thread count.\n"
    "\n"
    "Options:\n"
    "  -o, --output F     the first bank file (NAME.syx)\n"
    "  --count N          voices to make, 1..4096 (default 32)\n"
    "  --kind KIND        pad, keys, bass, lead, bell, perc or fx (default: any), judged from\n"
    "                     the rendered sound by a classifier learnt on named human voices\n"
    "  --algorithm N      DX7 algorithm 1..32 for every voice (default: as drawn)\n"
    "  --seed S           random seed, 0..2^53 (default 1)\n"
    "  --spread X         how far from the human voice a draw starts at, in units of its\n"
    "                     cluster's spread, 0..3 (default 0.5)\n"
    "  --fixed auto|keep  fixed-frequency operators only for bell, perc and fx (auto, the\n"
    "                     default) or wherever the model puts them (keep)\n"
    "  --presets FILE     the human voices (default: $SOUNDMATCH_PRESETS, else\n"
    "                     ../shared/data/dx7/voices31380.bin beside the project)\n"
    "  --threads N        threads (default: all cores)\n"
    "  --no-page          no listening page\n"
    "  --rebuild          build the model again, ignoring (and not writing) the cache\n"
    "  -q, --quiet        no progress line\n";

int sm_cmd_generate(int argc, char **argv)
{
    model_opts mo = {NULL, 0, 0, 0};
    sm_generate_config g = sm_generate_config_default();
    sm_generate_stats st;
    gen_progress ps = {0, 0, 0};
    const char *out = NULL;
    sm_generated *voices = NULL;
    sm_dx7_voice *dx = NULL;
    sm_timbre *m = NULL;
    sm_error err = {0};
    char **files = NULL;
    size_t n = 0, i;
    int a, rc = SM_EXIT_OK, no_page = 0;
    double v;
    for (a = 1; a < argc; a++) {
        int t;
        if (sm_cli_is_help(argv[a])) {
            fputs(GENERATE_HELP, stdout);
            return SM_EXIT_OK;
        }
        t = model_option("generate", argc, argv, &a, &mo);
        if (t < 0) return SM_EXIT_USAGE;
        if (t) continue;
        if (strcmp(argv[a], "-o") == 0 || strcmp(argv[a], "--output") == 0) {
            if (++a >= argc || !*argv[a]) return sm_cli_usage("generate", "-o needs a file name");
            out = argv[a];
        } else if (strcmp(argv[a], "--count") == 0) {
            if (whole("generate", "--count", ++a < argc ? argv[a] : NULL, 1, 4096, &v))
                return SM_EXIT_USAGE;
            g.count = (size_t)v;
        } else if (strcmp(argv[a], "--algorithm") == 0) {
            if (whole("generate", "--algorithm", ++a < argc ? argv[a] : NULL, 1, 32, &v))
                return SM_EXIT_USAGE;
            g.algorithm = (int)v;
        } else if (strcmp(argv[a], "--seed") == 0) {
            if (whole("generate", "--seed", ++a < argc ? argv[a] : NULL, 0, 9007199254740992.0, &v))
                return SM_EXIT_USAGE;
            g.seed = (uint64_t)v;
        } else if (strcmp(argv[a], "--spread") == 0) {
            if (sm_cli_number("generate", "--spread", ++a < argc ? argv[a] : NULL, 0, 3, &v))
                return SM_EXIT_USAGE;
            g.spread = v;
        } else if (strcmp(argv[a], "--kind") == 0) {
            if (++a >= argc) return sm_cli_usage("generate", "--kind needs a kind");
            g.kind = sm_kind_find(argv[a]);
            if (g.kind == SM_KIND_NONE && strcmp(argv[a], "any") != 0)
                return sm_cli_usage("generate", "--kind: '%s' is not one of pad, keys, bass, "
                                    "lead, bell, perc, fx, any", argv[a]);
        } else if (strcmp(argv[a], "--fixed") == 0) {
            if (++a >= argc || (strcmp(argv[a], "auto") != 0 && strcmp(argv[a], "keep") != 0))
                return sm_cli_usage("generate", "--fixed takes auto or keep");
            g.fixed_auto = strcmp(argv[a], "auto") == 0;
        } else if (strcmp(argv[a], "--no-page") == 0) {
            no_page = 1;
        } else {
            return sm_cli_usage("generate", "unknown argument '%s'", argv[a]);
        }
    }
    if (!out) return sm_cli_usage("generate", "no output file: give -o NAME.syx");
    if (!folder_exists(out)) {
        fprintf(stderr, "soundmatch generate: %s: the folder does not exist\n", out);
        return SM_EXIT_INPUT;
    }
    ps.tty = sm_cli_tty();
    ps.quiet = mo.quiet;
    if (!(m = open_model("generate", &mo, &ps))) return SM_EXIT_INPUT;
    g.threads = mo.threads;
    g.progress = show_progress;
    g.progress_ctx = &ps;
    voices = calloc(g.count, sizeof *voices);
    dx = calloc(g.count, sizeof *dx);
    if (!voices || !dx) {
        fprintf(stderr, "soundmatch generate: out of memory\n");
        rc = SM_EXIT_INPUT;
        goto done;
    }
    if (sm_timbre_generate(m, &g, voices, &n, &st, &err) != 0) {
        rc = sm_cli_fail("generate", &err);
        goto done;
    }
    if (st.relaxed)
        fprintf(stderr, "soundmatch generate: no human voice is of kind %s in algorithm %d; "
                "starting from %s\n", sm_kind_name(g.kind), g.algorithm,
                st.relaxed == 1 ? "voices of the kind in other algorithms" : "any voice");
    fprintf(stderr, "soundmatch generate: %zu of %zu candidates kept; rejected: %zu garbage "
            "(silent %zu, clip %zu, dc %zu, scream %zu, pitch %zu), %zu of another kind, %zu "
            "too close to a human voice, %zu repeats; %zu kept voices have an operator fixed at "
            "20 Hz or more\n", st.accepted, st.candidates, st.garbage, st.reasons[0], st.reasons[1],
            st.reasons[2], st.reasons[3], st.reasons[4], st.wrong_kind, st.too_close, st.repeated,
            st.with_fixed);
    if (n < g.count) {
        fprintf(stderr, "soundmatch generate: only %zu of %zu voices after %zu candidates; "
                "nothing written (try another --algorithm or --kind, or a larger --spread)\n", n,
                g.count, st.candidates);
        rc = SM_EXIT_INPUT;
        goto done;
    }
    for (i = 0; i < n; i++) dx[i] = voices[i].voice;
    if (sm_bank_write_all(out, dx, n, &files, &err) != 0) {
        rc = sm_cli_fail("generate", &err);
        goto done;
    }
    if (!no_page && write_page(m, &g, voices, n, files, out) != 0) {
        for (i = 0; i < sm_bank_count(n); i++) unlink(files[i]); /* all or nothing */
        rc = SM_EXIT_INPUT;
        goto done;
    }
    printf("%-24s %5s  %-10s %9s  %-5s %8s %8s %8s %8s %8s %6s\n", "bank", "voice", "name",
           "algorithm", "kind", "attack_s", "decay_s", "sus_dB", "rel_s", "bright", "bytes");
    for (i = 0; i < n; i++) {
        const sm_voice_descr *d = &voices[i].descr;
        char name[SM_DX7_NAME_LEN + 1];
        sm_dx7_voice_name(&voices[i].voice, name);
        printf("%-24s %5zu  %-10s %9d  %-5s %8.3f %8.2f %8.1f %8.2f %8.2f %6d\n",
               files[i / SM_DX7_BANK_VOICES], i % SM_DX7_BANK_VOICES + 1, name,
               (int)voices[i].native[SM_FM6_ALGORITHM], sm_kind_name(voices[i].kind), d->attack_s,
               d->decay_s, d->sustain_db, d->release_s, d->brightness, voices[i].nearest_bytes);
    }
    fprintf(stderr, "soundmatch generate: wrote %zu voice%s in %zu bank%s\n", n, n == 1 ? "" : "s",
            sm_bank_count(n), sm_bank_count(n) == 1 ? "" : "s");
done:
    sm_bank_files_free(files, sm_bank_count(n));
    free(voices);
    free(dx);
    sm_timbre_free(m);
    return rc;
}

/* ---- timbre -------------------------------------------------------------------------------- */

static const char *const TIMBRE_HELP =
    "usage: soundmatch timbre [-o DIR] [--stride N] [--patch FILE[:N]] [OPTIONS]\n"
    "\n"
    "Describe the timbre space that `soundmatch generate` draws from (building and caching it\n"
    "first if needed): the variance each principal component explains; what the first four\n"
    "components do to the sound (voices rendered at -2 to +2 standard deviations along each,\n"
    "with their brightness, attack and decay); how far voices move when projected into the space\n"
    "and back (parameter error and log-mel distance, every Nth voice); the kinds, learnt from\n"
    "human voices whose names say them, and how well the kinds the sound gives agree with the\n"
    "names (two-fold cross-validation); the human voices the garbage filter flags; and where\n"
    "human voices use fixed-frequency operators. A summary goes to standard output; with -o,\n"
    "DIR receives variance.csv, axes.csv, roundtrip.csv, kinds.csv, flagged.csv and a listening\n"
    "page axes.html of the axis voices.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR   write the tables and the page there\n"
    "  --stride N         round trips over every Nth voice (default 50)\n"
    "  --patch FILE[:N]   instead of the report: one DX7 voice (a .syx file, voice N of a\n"
    "                     bank, or a name) in the space: its kind, descriptors, garbage,\n"
    "                     coordinates and round trip\n"
    "  --presets FILE     the human voices (default as for generate)\n"
    "  --threads N        threads (default: all cores)\n"
    "  --rebuild          build the model again, ignoring (and not writing) the cache\n"
    "  -q, --quiet        no progress line\n";

/* Opens DIR/name for writing through *of; returns its FILE or NULL (error printed). */
static FILE *table_open(sm_outfile *of, const char *dir, const char *name)
{
    sm_error err = {0};
    char *p = sm_path_join(dir, name);
    int rc = p ? sm_outfile_open(of, p, &err) : sm_error_set(&err, SM_ERR_NOMEM, "out of memory");
    free(p);
    if (rc) {
        sm_cli_fail("timbre", &err);
        return NULL;
    }
    return of->f;
}

static int table_close(sm_outfile *of)
{
    sm_error err = {0};
    if (sm_outfile_commit(of, &err) != 0) return sm_cli_fail("timbre", &err);
    return 0;
}

static void print_variance(const sm_timbre *m, FILE *csv)
{
    const double total = sm_timbre_total_variance(m);
    double cum = 0;
    size_t c, marks[5] = {0, 0, 0, 0, 0};
    const double want[5] = {0.5, 0.8, 0.9, 0.95, 0.99};
    int k;
    if (csv) fprintf(csv, "component,variance,share,cumulative\n");
    printf("\nvariance explained per component (total variance %.4f):\n", total);
    for (c = 0; c < SM_TIMBRE_DIM; c++) {
        double v = sm_timbre_variance(m, c);
        cum += v;
        if (csv) fprintf(csv, "%zu,%.6g,%.6f,%.6f\n", c + 1, v, v / total, cum / total);
        if (c < 12)
            printf("  component %2zu: %5.2f%%  (cumulative %5.1f%%)\n", c + 1, 100 * v / total,
                   100 * cum / total);
        for (k = 0; k < 5; k++)
            if (!marks[k] && cum >= want[k] * total) marks[k] = c + 1;
    }
    printf("  components for 50%% / 80%% / 90%% / 95%% / 99%% of the variance: %zu / %zu / %zu / "
           "%zu / %zu; the model keeps %zu\n", marks[0], marks[1], marks[2], marks[3], marks[4],
           sm_timbre_components(m));
}

/* Voices along the first components: rendered, described, and put on a page. */
static int print_axes(const sm_timbre *m, FILE *csv, const char *dir)
{
    enum { AXES = 4, STEPS = 5 };
    const double t[STEPS] = {-2, -1, 0, 1, 2};
    const sm_voice_render_config *r = sm_timbre_render_config(m);
    sm_error err = {0};
    sm_voice_analyser *an = sm_voice_analyser_alloc(r, &err);
    sm_listen_voice lv[AXES * STEPS];
    sm_voice_descr d[AXES * STEPS];
    char notes[AXES * STEPS][256], names[AXES * STEPS][32];
    float *audio = NULL;
    size_t ns, i;
    int c, s, rc = 0;
    if (!an) return sm_cli_fail("timbre", &err);
    ns = sm_voice_analyser_samples(an);
    if (!(audio = malloc(AXES * STEPS * ns * sizeof *audio))) {
        sm_voice_analyser_free(an);
        fprintf(stderr, "soundmatch timbre: out of memory\n");
        return SM_EXIT_INPUT;
    }
    memset(lv, 0, sizeof lv);
    if (csv) fprintf(csv, "component,sd,algorithm,kind,attack_s,decay_s,sustain_db,release_s,"
                          "brightness,pitch_stability,noisiness\n");
    printf("\nwhat the first components do (voices at -2..+2 standard deviations along each):\n");
    for (c = 0; c < AXES; c++) {
        int order[SM_TIMBRE_DIM], j, a;
        char top[400] = "", nm[48];
        /* the encoded values with the largest weights */
        for (j = 0; j < SM_TIMBRE_DIM; j++) order[j] = j;
        for (j = 0; j < 4; j++)
            for (a = j + 1; a < SM_TIMBRE_DIM; a++)
                if (fabs(sm_timbre_loading(m, order[a], (size_t)c)) >
                    fabs(sm_timbre_loading(m, order[j], (size_t)c))) {
                    int tmp = order[j];
                    order[j] = order[a];
                    order[a] = tmp;
                }
        for (j = 0; j < 4; j++) {
            size_t l = strlen(top);
            sm_timbre_dim_name(order[j], nm, sizeof nm);
            snprintf(top + l, sizeof top - l, "%s%s %+.2f", j ? ", " : "", nm,
                     sm_timbre_loading(m, order[j], (size_t)c));
        }
        printf("  component %d (%s):\n", c + 1, top);
        printf("    %5s %4s %-5s %9s %8s %8s %9s %11s\n", "sd", "alg", "kind", "attack_s",
               "decay_s", "sus_dB", "release_s", "brightness");
        for (s = 0; s < STEPS; s++) {
            double z[SM_TIMBRE_DIM] = {0}, nat[SM_FM6_NPARAMS], f[SM_VOICE_NFEAT];
            int kind;
            i = (size_t)(c * STEPS + s);
            z[c] = t[s] * sm_timbre_sd(m, (size_t)c);
            sm_timbre_reconstruct(m, z, (size_t)c + 1, 0, SM_TIMBRE_FIXED_KEEP, nat);
            sm_voice_analyse(an, nat, &d[i]);
            memcpy(audio + i * ns, sm_voice_analyser_audio(an), ns * sizeof *audio);
            sm_voice_features(&d[i], f);
            kind = sm_kind_classify(sm_timbre_classifier(m), f, NULL);
            printf("    %+5.0f %4d %-5s %9.3f %8.2f %8.1f %9.2f %11.2f\n", t[s],
                   (int)nat[SM_FM6_ALGORITHM], sm_kind_name(kind), d[i].attack_s, d[i].decay_s,
                   d[i].sustain_db, d[i].release_s, d[i].brightness);
            if (csv)
                fprintf(csv, "%d,%g,%d,%s,%.4f,%.4f,%.2f,%.4f,%.4f,%.4f,%.4f\n", c + 1, t[s],
                        (int)nat[SM_FM6_ALGORITHM], sm_kind_name(kind), d[i].attack_s,
                        d[i].decay_s, d[i].sustain_db, d[i].release_s, d[i].brightness,
                        d[i].pitch_stability, d[i].noisiness);
            snprintf(names[i], sizeof names[i], "PC%d %+gSD", c + 1, t[s]);
            snprintf(notes[i], sizeof notes[i], "component %d at %+g standard deviations; "
                     "largest weights: %.120s", c + 1, t[s], top);
            lv[i].name = names[i];
            lv[i].notes = notes[i];
            lv[i].algorithm = (int)nat[SM_FM6_ALGORITHM];
            lv[i].kind = sm_kind_name(kind);
            lv[i].descr = &d[i];
            lv[i].audio = audio + i * ns;
            lv[i].n = ns;
            lv[i].sample_rate = r->sample_rate;
        }
    }
    if (dir) {
        sm_listen_page pg;
        char rd[160], *path = sm_path_join(dir, "axes.html");
        memset(&pg, 0, sizeof pg);
        pg.title = "The first components of the timbre space";
        pg.intro = "Voices decoded from points along the first four principal components of the "
                   "encoded human DX7 voices, at -2 to +2 standard deviations from the mean voice "
                   "(the other components at 0).";
        pg.render_desc = render_desc(m, rd, sizeof rd);
        pg.n_voices = AXES * STEPS;
        pg.voices = lv;
        if (!path || sm_listen_write(path, &pg, &err) != 0) rc = sm_cli_fail("timbre", &err);
        free(path);
    }
    free(audio);
    sm_voice_analyser_free(an);
    return rc;
}

static int print_round_trips(const sm_timbre *m, FILE *csv, size_t stride, int threads)
{
    size_t qs[9] = {4, 8, 16, 32, 64, 128, SM_TIMBRE_DIM}, n_q = 7, i, kept;
    sm_error err = {0};
    if (csv) fprintf(csv, "components,voices,param_error,params_exact,voices_exact,"
                          "logmel_median_db,logmel_mean_db\n");
    printf("\nround trip into the space and back (every %zu-th voice; parameter error: mean "
           "|difference| over each parameter's range; log-mel distance of the renders, dB):\n",
           stride);
    printf("  %10s %6s %11s %13s %13s %14s %12s\n", "components", "voices", "param_error",
           "params_exact", "voices_exact", "logmel_median", "logmel_mean");
    /* the kept count in its place among the others */
    kept = sm_timbre_components(m);
    for (i = 0; i < n_q && qs[i] < kept; i++) {}
    if (i == n_q || qs[i] != kept) {
        memmove(qs + i + 1, qs + i, (n_q - i) * sizeof *qs);
        qs[i] = kept;
        n_q++;
    }
    for (i = 0; i < n_q; i++) {
        sm_timbre_roundtrip rt;
        size_t q = qs[i];
        if (sm_timbre_round_trip(m, stride, q, threads, &rt, &err) != 0)
            return sm_cli_fail("timbre", &err);
        printf("  %10zu %6zu %11.4f %12.1f%% %12.1f%% %14.2f %12.2f%s\n", q, rt.n, rt.param_error,
               100 * rt.params_exact, 100 * rt.voices_exact, rt.logmel_median_db,
               rt.logmel_mean_db, q == kept ? "  (kept)" : "");
        if (csv)
            fprintf(csv, "%zu,%zu,%.6f,%.6f,%.6f,%.4f,%.4f\n", q, rt.n, rt.param_error,
                    rt.params_exact, rt.voices_exact, rt.logmel_median_db, rt.logmel_mean_db);
    }
    return 0;
}

static int print_kinds(const sm_timbre *m, FILE *csv)
{
    const size_t n = sm_timbre_count(m);
    const double alphas[] = {0, 0.25, 0.5, 0.75, 1};
    double *feat = malloc(n * SM_VOICE_NFEAT * sizeof *feat);
    int *label = malloc(n * sizeof *label), k, p;
    size_t conf[SM_KIND_N * SM_KIND_N], named[SM_KIND_N] = {0}, classified[SM_KIND_N] = {0};
    size_t i, n_many = 0, right = 0, total = 0;
    sm_error err = {0};
    if (!feat || !label) {
        free(feat);
        free(label);
        fprintf(stderr, "soundmatch timbre: out of memory\n");
        return SM_EXIT_INPUT;
    }
    for (i = 0; i < n; i++) {
        int nk = sm_timbre_name_kind(m, i);
        sm_voice_features(sm_timbre_descr(m, i), feat + i * SM_VOICE_NFEAT);
        label[i] = nk >= 0 && !sm_timbre_garbage(m, i) ? nk : SM_KIND_NONE;
        if (nk >= 0) named[nk]++;
        n_many += nk == SM_KIND_MANY;
        classified[sm_timbre_kind(m, i)]++;
    }
    printf("\nkinds: voices named by their kind (not garbage, for learning) and the kinds the "
           "classifier gives all %zu voices; %zu names say several kinds:\n", n, n_many);
    for (k = 0; k < SM_KIND_N; k++)
        printf("  %-5s named %5zu, classified %5zu\n", sm_kind_name(k), named[k], classified[k]);
    printf("  two-fold cross-validated agreement with the names, by shrinkage alpha:");
    for (i = 0; i < sizeof alphas / sizeof *alphas; i++) {
        size_t r = 0, t = 0;
        if (sm_kind_cross_validate(feat, label, n, alphas[i], conf, &err) != 0) {
            free(feat);
            free(label);
            return sm_cli_fail("timbre", &err);
        }
        for (k = 0; k < SM_KIND_N; k++)
            for (p = 0; p < SM_KIND_N; p++) {
                t += conf[k * SM_KIND_N + p];
                r += k == p ? conf[k * SM_KIND_N + p] : 0;
            }
        printf(" %g: %.1f%%", alphas[i], 100.0 * (double)r / (double)t);
    }
    printf("\n");
    if (sm_kind_cross_validate(feat, label, n, sm_timbre_classifier(m)->alpha, conf, &err) != 0) {
        free(feat);
        free(label);
        return sm_cli_fail("timbre", &err);
    }
    printf("  confusion at alpha %g (rows: the name's kind, columns: the sound's):\n        ",
           sm_timbre_classifier(m)->alpha);
    for (p = 0; p < SM_KIND_N; p++) printf(" %5s", sm_kind_name(p));
    printf("  agreement\n");
    if (csv) {
        fprintf(csv, "name_kind");
        for (p = 0; p < SM_KIND_N; p++) fprintf(csv, ",%s", sm_kind_name(p));
        fprintf(csv, ",agreement\n");
    }
    for (k = 0; k < SM_KIND_N; k++) {
        size_t row = 0;
        for (p = 0; p < SM_KIND_N; p++) row += conf[k * SM_KIND_N + p];
        printf("  %-5s ", sm_kind_name(k));
        if (csv) fprintf(csv, "%s", sm_kind_name(k));
        for (p = 0; p < SM_KIND_N; p++) {
            printf(" %5zu", conf[k * SM_KIND_N + p]);
            if (csv) fprintf(csv, ",%zu", conf[k * SM_KIND_N + p]);
        }
        printf("  %5.1f%%\n", row ? 100.0 * (double)conf[k * SM_KIND_N + k] / (double)row : 0);
        if (csv) fprintf(csv, ",%.4f\n", row ? (double)conf[k * SM_KIND_N + k] / (double)row : 0);
        right += conf[k * SM_KIND_N + k];
        total += row;
    }
    printf("  overall %.1f%% of %zu named voices (chance: %.1f%%)\n",
           100.0 * (double)right / (double)total, total, 100.0 / SM_KIND_N);
    free(feat);
    free(label);
    return 0;
}

static void print_garbage(const sm_timbre *m, FILE *csv)
{
    const size_t n = sm_timbre_count(m);
    size_t counts[SM_GARBAGE_NREASONS] = {0}, flagged = 0, pitched = 0, i, shown = 0;
    int b;
    if (csv) fprintf(csv, "index,name,reasons,peak,peak_vel127,dc,level_db,brightness,noisiness,"
                          "pitch_error_cents\n");
    for (i = 0; i < n; i++) {
        unsigned g = sm_timbre_garbage(m, i);
        pitched += sm_kind_pitched(sm_timbre_name_kind(m, i));
        if (!g) continue;
        flagged++;
        for (b = 0; b < SM_GARBAGE_NREASONS; b++) counts[b] += (g >> b) & 1;
        if (csv) {
            const sm_voice_descr *d = sm_timbre_descr(m, i);
            char reasons[64] = "";
            for (b = 0; b < SM_GARBAGE_NREASONS; b++)
                if (g & (1u << b)) {
                    if (*reasons) strcat(reasons, "+");
                    strcat(reasons, sm_garbage_reason_name(b));
                }
            const char *nm = sm_timbre_name(m, i);
            fprintf(csv, "%zu,\"", i + 1);
            for (; *nm; nm++) { /* a quote doubled, as RFC 4180 has it */
                if (*nm == '"') fputc('"', csv);
                fputc(*nm, csv);
            }
            fprintf(csv, "\",%s,%.5f,%.5f,%.4f,%.2f,%.3f,%.4f,%.1f\n", reasons, d->peak,
                    d->peak_hard, d->dc, d->level_db, d->brightness, d->noisiness,
                    d->pitch_error_cents);
        }
    }
    printf("\ngarbage among the %zu human voices: %zu flagged (%.2f%%): silent %zu, clip %zu, "
           "dc %zu, scream %zu, pitch %zu (the pitch test only for the %zu voices whose name says "
           "pad, keys, bass or lead)\n", n, flagged, 100.0 * (double)flagged / (double)n,
           counts[0], counts[1], counts[2], counts[3], counts[4], pitched);
    for (i = 0; i < n && shown < 12; i++) {
        unsigned g = sm_timbre_garbage(m, i);
        if (!g || (g & SM_GARBAGE_SILENT) || g == SM_GARBAGE_PITCH) continue;
        printf("  voice %5zu %-10s", i + 1, sm_timbre_name(m, i));
        for (b = 0; b < SM_GARBAGE_NREASONS; b++)
            if (g & (1u << b)) printf(" %s", sm_garbage_reason_name(b));
        printf("\n");
        shown++;
    }
}

/* Where human voices use fixed-frequency operators that are heard (output level 50 or more),
 * below 20 Hz and at 20 Hz or above. */
static void print_fixed(const sm_timbre *m)
{
    size_t sub[SM_KIND_N + 1] = {0}, aud[SM_KIND_N + 1] = {0}, all[SM_KIND_N + 1] = {0}, i;
    int k, op;
    for (i = 0; i < sm_timbre_count(m); i++) {
        const double *nat = sm_timbre_native(m, i);
        int nk = sm_timbre_name_kind(m, i), s = 0, a = 0;
        for (op = 1; op <= 6; op++) {
            double hz;
            if (!(nat[SM_FM6_OP(op, SM_FM6_OSC_MODE)] > 0 &&
                  nat[SM_FM6_OP(op, SM_FM6_OUTPUT_LEVEL)] >= 50))
                continue;
            hz = pow(10.0, ((int)nat[SM_FM6_OP(op, SM_FM6_COARSE)] & 3) +
                               0.01 * nat[SM_FM6_OP(op, SM_FM6_FINE)]);
            if (hz < 20) s = 1;
            else a = 1;
        }
        for (k = 0; k <= SM_KIND_N; k++)
            if (k == SM_KIND_N || k == nk) {
                all[k]++;
                sub[k] += (size_t)s;
                aud[k] += (size_t)a;
            }
    }
    printf("\nhuman voices with a fixed-frequency operator at output level 50 or more, by the "
           "kind their name says (at 20 Hz or above / below 20 Hz):\n");
    for (k = 0; k <= SM_KIND_N; k++)
        printf("  %-10s %5zu voices: %5.1f%% / %5.1f%%\n", k < SM_KIND_N ? sm_kind_name(k) : "all",
               all[k], all[k] ? 100.0 * (double)aud[k] / (double)all[k] : 0,
               all[k] ? 100.0 * (double)sub[k] / (double)all[k] : 0);
}

/* One patch in the space: where it lies, what it sounds like, and its round trip. */
static int print_patch(const sm_timbre *m, const char *spec)
{
    sm_dx7_voice v;
    sm_error err = {0};
    sm_voice_analyser *an;
    sm_voice_descr d;
    double nat[SM_FM6_NPARAMS], z[SM_TIMBRE_DIM], f[SM_VOICE_NFEAT];
    char name[SM_DX7_NAME_LEN + 1];
    size_t c, qs[2] = {0, SM_TIMBRE_DIM}, i;
    unsigned g;
    int b;
    if (sm_dx7_load_voice(spec, &v, &err) != 0) return sm_cli_fail("timbre", &err);
    sm_dx7_voice_to_native(&v, nat);
    sm_dx7_voice_name(&v, name);
    if (!(an = sm_voice_analyser_alloc(sm_timbre_render_config(m), &err)))
        return sm_cli_fail("timbre", &err);
    sm_voice_analyse(an, nat, &d);
    sm_voice_analyser_free(an);
    sm_voice_features(&d, f);
    g = sm_garbage_check(&d, NULL, sm_kind_pitched(sm_kind_of_name(name)));
    printf("\n%s (\"%s\", algorithm %d): sounds like %s (the name says %s); attack %.3f s, "
           "decay %.2f s, sustain %.1f dB, release %.2f s, brightness %.2f octaves; garbage:",
           spec, name, (int)nat[SM_FM6_ALGORITHM],
           sm_kind_name(sm_kind_classify(sm_timbre_classifier(m), f, NULL)),
           sm_kind_of_name(name) >= 0 ? sm_kind_name(sm_kind_of_name(name)) : "nothing",
           d.attack_s, d.decay_s, d.sustain_db, d.release_s, d.brightness);
    for (b = 0; b < SM_GARBAGE_NREASONS; b++)
        if (g & (1u << b)) printf(" %s", sm_garbage_reason_name(b));
    printf("%s\n  coordinates on the first 8 components, in standard deviations:", g ? "" : " no");
    sm_timbre_project(m, nat, 8, z);
    for (c = 0; c < 8; c++) printf(" %+.2f", z[c] / sm_timbre_sd(m, c));
    printf("\n");
    for (i = 0; i < 2; i++) {
        sm_timbre_roundtrip rt;
        if (sm_timbre_round_trip_voice(m, nat, qs[i], &rt, NULL, &err) != 0)
            return sm_cli_fail("timbre", &err);
        printf("  round trip through %zu components: parameter error %.4f, %.1f%% of the "
               "parameters exact, log-mel distance %.2f dB\n",
               qs[i] ? qs[i] : sm_timbre_components(m), rt.param_error, 100 * rt.params_exact,
               rt.logmel_median_db);
    }
    return 0;
}

int sm_cmd_timbre(int argc, char **argv)
{
    model_opts mo = {NULL, 0, 0, 0};
    gen_progress ps = {0, 0, 0};
    const char *dir = NULL, *patch = NULL;
    size_t stride = 50;
    sm_timbre *m;
    sm_timbre_info info;
    sm_outfile of[5];
    FILE *f[5] = {NULL, NULL, NULL, NULL, NULL};
    static const char *const files[5] = {"variance.csv", "axes.csv", "roundtrip.csv",
                                         "kinds.csv", "flagged.csv"};
    int a, rc = 0, i;
    double v;
    for (a = 1; a < argc; a++) {
        int t;
        if (sm_cli_is_help(argv[a])) {
            fputs(TIMBRE_HELP, stdout);
            return SM_EXIT_OK;
        }
        t = model_option("timbre", argc, argv, &a, &mo);
        if (t < 0) return SM_EXIT_USAGE;
        if (t) continue;
        if (strcmp(argv[a], "-o") == 0 || strcmp(argv[a], "--output") == 0) {
            if (++a >= argc || !*argv[a]) return sm_cli_usage("timbre", "-o needs a folder");
            dir = argv[a];
        } else if (strcmp(argv[a], "--patch") == 0) {
            if (++a >= argc || !*argv[a]) return sm_cli_usage("timbre", "--patch needs a voice");
            patch = argv[a];
        } else if (strcmp(argv[a], "--stride") == 0) {
            if (whole("timbre", "--stride", ++a < argc ? argv[a] : NULL, 1, 1e6, &v))
                return SM_EXIT_USAGE;
            stride = (size_t)v;
        } else {
            return sm_cli_usage("timbre", "unknown argument '%s'", argv[a]);
        }
    }
    ps.tty = sm_cli_tty();
    ps.quiet = mo.quiet;
    if (dir) {
        sm_error err = {0};
        if (sm_mkdir_p(dir, &err) != 0) return sm_cli_fail("timbre", &err);
    }
    if (!(m = open_model("timbre", &mo, &ps))) return SM_EXIT_INPUT;
    sm_timbre_get_info(m, &info);
    printf("timbre space of %zu human voices: %zu components kept of %d, %zu clusters; %s",
           sm_timbre_count(m), sm_timbre_components(m), SM_TIMBRE_DIM, sm_timbre_clusters(m),
           info.loaded ? "loaded from " : "built");
    if (info.loaded) printf("%s\n", info.cache_file);
    else printf(" in %.1f s (PCA %.1f s, clusters %.1f s, rendering the voices %.1f s)%s%s\n",
                info.build_s, info.pca_s, info.cluster_s, info.render_s,
                info.cache_file[0] ? ", cached in " : "", info.cache_file);
    if (patch) {
        rc = print_patch(m, patch);
        sm_timbre_free(m);
        return rc;
    }
    for (i = 0; i < 5 && dir && !rc; i++)
        if (!(f[i] = table_open(&of[i], dir, files[i]))) rc = SM_EXIT_INPUT;
    if (!rc) {
        print_variance(m, f[0]);
        rc = print_axes(m, f[1], dir);
    }
    if (!rc) rc = print_round_trips(m, f[2], stride, mo.threads);
    if (!rc) rc = print_kinds(m, f[3]);
    if (!rc) {
        print_garbage(m, f[4]);
        print_fixed(m);
    }
    for (i = 0; i < 5; i++) {
        if (!f[i]) continue;
        if (rc) sm_outfile_abort(&of[i]);
        else if (table_close(&of[i])) rc = SM_EXIT_INPUT;
    }
    sm_timbre_free(m);
    return rc;
}
