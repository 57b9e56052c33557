/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli/cli_patch.c: `soundmatch render`, `sysex`, `list`, and `info` on patch files. */
#include "cli/cli.h"
#include "core/audio.h"
#include "core/fileio.h"
#include "experiments/experiment.h"
#include "search/optimizer.h"
#include "synths/dx7_sysex.h"
#include "synths/synth.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The synth whose patch files end like path ("rom1a.syx:3" -> fm6), or NULL. */
static const sm_synth_type *synth_for_patch(const char *spec)
{
    size_t i;
    for (i = 0; i < sm_synth_count(); i++) {
        const sm_synth_type *s = sm_synth_at(i);
        const char *ext = s->patch_ext, *hit;
        if (!ext) continue;
        hit = strcasestr(spec, ext);
        if (hit && (hit[strlen(ext)] == '\0' || hit[strlen(ext)] == ':')) return s;
    }
    if (strcasestr(spec, ".bin")) return sm_synth_find("fm6"); /* a stream of DX7 voices */
    return NULL;
}

static const char *const RENDER_HELP =
    "usage: soundmatch render [--synth NAME] [--patch FILE[:N|:NAME]] [OPTIONS] -o OUT.wav\n"
    "\n"
    "Render one note of a synth patch to a WAV file.\n"
    "\n"
    "Options:\n"
    "  --synth NAME       one of {synths} (default: from the patch file's type)\n"
    "  --patch SPEC       FILE, FILE:N (voices numbered from 1) or FILE:NAME; without it,\n"
    "                     the synth's default patch\n"
    "  --set LIST         change parameters: 'name=value, name=value' (see soundmatch list)\n"
    "  --note N           MIDI note (default 60; fractional allowed)\n"
    "  --velocity V       1..127 (default 100)\n"
    "  --gate S           seconds the key is held (default 1.0)\n"
    "  --length S         seconds rendered (default 2.0)\n"
    "  --sr HZ            sample rate (default 44100)\n"
    "  --seed N           seed for noise and random modulation (default 1)\n"
    "  --format F         16, 24 or float (default 16)\n"
    "  -o, --output F     the WAV file to write (all-or-nothing)\n";

/* Applies "name=value, ..." to native values of synth s. */
static int apply_set(const sm_synth_type *s, double *native, const char *list, sm_error *err)
{
    char *copy = strdup(list), *save = NULL, *tok;
    int rc = 0;
    if (!copy) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    for (tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *name = tok, *e;
        int idx;
        while (*name == ' ') name++;
        if (!eq) {
            rc = sm_error_set(err, SM_ERR_FORMAT, "--set: '%s' is not name=value", name);
            break;
        }
        *eq = '\0';
        e = eq;
        while (e > name && e[-1] == ' ') *--e = '\0';
        idx = sm_params_find(s->space, name);
        if (idx < 0) {
            rc = sm_error_set(err, SM_ERR_NOTFOUND,
                              "--set: %s has no parameter '%s' (see soundmatch list %s)", s->name,
                              name, s->name);
            break;
        }
        rc = sm_param_parse(&s->space->p[idx], eq + 1, &native[idx], err);
    }
    free(copy);
    return rc;
}

int sm_cmd_render(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"synth", required_argument, 0, 'y'},   {"patch", required_argument, 0, 'P'},
        {"set", required_argument, 0, 'S'},     {"note", required_argument, 0, 'n'},
        {"velocity", required_argument, 0, 'v'}, {"gate", required_argument, 0, 'g'},
        {"length", required_argument, 0, 'l'},  {"sr", required_argument, 0, 'r'},
        {"seed", required_argument, 0, 'e'},    {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},  {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *synth_name = NULL, *patch = NULL, *set = NULL, *out = NULL;
    sm_note note = sm_note_default();
    double sr = 44100, v;
    sm_wav_format fmt = SM_WAV_PCM16;
    const sm_synth_type *s;
    double *native;
    float *buf;
    size_t n;
    sm_error err = {0};
    int c, rc;
    note.length_s = 2.0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': return sm_cli_help(RENDER_HELP);
        case 'y': synth_name = optarg; break;
        case 'P': patch = optarg; break;
        case 'S': set = optarg; break;
        case 'n': if ((rc = sm_cli_number("render", "--note", optarg, 0, 127, &note.note))) return rc; break;
        case 'v': if ((rc = sm_cli_number("render", "--velocity", optarg, 1, 127, &note.velocity))) return rc; break;
        case 'g': if ((rc = sm_cli_number("render", "--gate", optarg, 0, 600, &note.gate_s))) return rc; break;
        case 'l': if ((rc = sm_cli_number("render", "--length", optarg, 0.001, 600, &note.length_s))) return rc; break;
        case 'r': if ((rc = sm_cli_number("render", "--sr", optarg, 8000, 192000, &sr))) return rc; break;
        case 'e': if ((rc = sm_cli_number("render", "--seed", optarg, 0, 1e15, &v))) return rc; note.seed = (uint64_t)v; break;
        case 'f':
            if (strcmp(optarg, "16") == 0) fmt = SM_WAV_PCM16;
            else if (strcmp(optarg, "24") == 0) fmt = SM_WAV_PCM24;
            else if (strcmp(optarg, "float") == 0) fmt = SM_WAV_FLOAT;
            else return sm_cli_usage("render", "--format: '%s' is not 16, 24 or float", optarg);
            break;
        case 'o': out = optarg; break;
        default: return sm_cli_usage("render", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) return sm_cli_usage("render", "unexpected argument '%s'", argv[optind]);
    if (!out) return sm_cli_usage("render", "no output file: give -o OUT.wav");
    if (synth_name) {
        s = sm_synth_find(synth_name);
        if (!s) {
            char names[256];
            return sm_cli_usage("render", "unknown synth '%s' (known: %s)", synth_name,
                                sm_synth_names(names, sizeof names));
        }
    } else if (patch) {
        s = synth_for_patch(patch);
        if (!s) return sm_cli_usage("render", "cannot tell the synth from '%s': give --synth", patch);
    } else {
        return sm_cli_usage("render", "give --synth NAME or --patch FILE");
    }
    native = malloc(s->space->n * sizeof *native);
    if (!native) return SM_EXIT_INPUT;
    sm_params_defaults(s->space, native);
    if (patch) {
        if (!s->patch_load) {
            free(native);
            return sm_cli_usage("render", "synth %s has no patch files", s->name);
        }
        if (s->patch_load(patch, native, NULL, 0, &err) != 0) {
            free(native);
            return sm_cli_fail("render", &err);
        }
    }
    if (set && apply_set(s, native, set, &err) != 0) {
        free(native);
        return sm_cli_fail("render", &err);
    }
    rc = sm_synth_render_note(s, sr, native, &note, &buf, &n, &err);
    free(native);
    if (rc) return sm_cli_fail("render", &err);
    rc = sm_audio_write_wav(out, buf, n, sr, fmt, &err);
    free(buf);
    if (rc) return sm_cli_fail("render", &err);
    return SM_EXIT_OK;
}

/* Lists the patches of a file through its synth's patch_load ("FILE:1", "FILE:2", ...). */
static int generic_patch_info(const sm_synth_type *s, const char *path)
{
    double *native = malloc(s->space->n * sizeof *native);
    char spec[4096], name[64];
    sm_error err = {0};
    int k;
    if (!native) return SM_EXIT_INPUT;
    for (k = 1; k < 100000; k++) {
        snprintf(spec, sizeof spec, "%s:%d", path, k);
        if (s->patch_load(spec, native, name, sizeof name, &err) != 0) break;
        if (k == 1) printf("%s: %s patches\n", path, s->name);
        printf("%3d  %s\n", k, name);
    }
    free(native);
    if (k == 1) return sm_cli_fail("info", &err);
    return SM_EXIT_OK;
}

int sm_cli_patch_info(const char *path)
{
    const char *dot = strrchr(path, '.');
    sm_dx7_bank bank;
    sm_error err = {0};
    size_t i;
    if (!dot) return -1;
    if (strcasecmp(dot, ".syx") == 0 || strcasecmp(dot, ".bin") == 0) {
        if (sm_dx7_load(path, &bank, &err) != 0) return sm_cli_fail("info", &err);
        printf("%s: %s, %zu voice%s%s\n", path, sm_dx7_kind_name(bank.kind), bank.n,
               bank.n == 1 ? "" : "s", bank.checksum_ok ? "" : " (WARNING: wrong checksum)");
        printf("  #  name        algorithm  feedback\n");
        for (i = 0; i < bank.n; i++) {
            char name[11];
            double nat[SM_FM6_NPARAMS];
            sm_dx7_voice_name(&bank.voices[i], name);
            sm_dx7_voice_to_native(&bank.voices[i], nat);
            printf("%3zu  %-10s  %9d  %8d\n", i + 1, name,
                   (int)nat[sm_params_find(sm_synth_fm6.space, "algorithm")],
                   (int)nat[sm_params_find(sm_synth_fm6.space, "feedback")]);
        }
        if (bank.n_clamped) {
            printf("clamped on loading (%zu field%s):\n", bank.n_clamped,
                   bank.n_clamped == 1 ? "" : "s");
            for (i = 0; i < bank.n_clamped && i < 200; i++)
                printf("  voice %zu: %s = %d, used %d\n", bank.clamps[i].voice + 1,
                       bank.clamps[i].field, bank.clamps[i].raw, bank.clamps[i].value);
            if (bank.n_clamped > 200) printf("  ... and %zu more\n", bank.n_clamped - 200);
        }
        sm_dx7_bank_free(&bank);
        return SM_EXIT_OK;
    }
    for (i = 0; i < sm_synth_count(); i++) {
        const sm_synth_type *s = sm_synth_at(i);
        if (s->patch_ext && s->patch_load && strcasecmp(dot, s->patch_ext) == 0)
            return generic_patch_info(s, path);
    }
    return -1;
}

static const char *const SYSEX_HELP =
    "usage: soundmatch sysex --extract FILE[:N|:NAME] -o VOICE.syx\n"
    "       soundmatch sysex --bank VOICE.syx|FILE:N ... -o BANK.syx\n"
    "\n"
    "--extract writes one voice of a bank (voices numbered from 1, or picked by name) as a DX7\n"
    "single-voice dump (163 bytes). --bank gathers up to 32 voices (single-voice files, or\n"
    "FILE:N picks from banks) into a 32-voice bulk dump (4104 bytes); empty slots hold the\n"
    "DX7's INIT VOICE. Output is written all-or-nothing.\n";

int sm_cmd_sysex(int argc, char **argv)
{
    const char *extract = NULL, *out = NULL;
    const char *bank_items[64];
    size_t n_bank = 0, i;
    int mode = 0, a;
    sm_error err = {0};
    for (a = 1; a < argc; a++) {
        if (sm_cli_is_help(argv[a])) {
            fputs(SYSEX_HELP, stdout);
            return SM_EXIT_OK;
        } else if (strcmp(argv[a], "--extract") == 0) {
            if (mode == 2) return sm_cli_usage("sysex", "give --extract or --bank, not both");
            if (extract) return sm_cli_usage("sysex", "--extract takes one voice");
            if (++a >= argc) return sm_cli_usage("sysex", "--extract needs FILE:N");
            extract = argv[a];
            mode = 1;
        } else if (strcmp(argv[a], "--bank") == 0) {
            if (mode == 1) return sm_cli_usage("sysex", "give --extract or --bank, not both");
            mode = 2;
        } else if (strcmp(argv[a], "-o") == 0 || strcmp(argv[a], "--output") == 0) {
            if (++a >= argc) return sm_cli_usage("sysex", "-o needs a file name");
            out = argv[a];
        } else if (argv[a][0] == '-') {
            return sm_cli_usage("sysex", "unknown option '%s'", argv[a]);
        } else if (mode == 2) {
            if (n_bank == 32) return sm_cli_usage("sysex", "a bank holds at most 32 voices");
            bank_items[n_bank++] = argv[a];
        } else {
            return sm_cli_usage("sysex", "unexpected argument '%s'", argv[a]);
        }
    }
    if (!mode) return sm_cli_usage("sysex", "give --extract or --bank");
    if (!out) return sm_cli_usage("sysex", "no output file: give -o FILE.syx");
    if (mode == 1) {
        sm_dx7_voice v;
        if (sm_dx7_load_voice(extract, &v, &err) != 0) return sm_cli_fail("sysex", &err);
        if (sm_dx7_write_single(out, &v, &err) != 0) return sm_cli_fail("sysex", &err);
        return SM_EXIT_OK;
    }
    if (!n_bank) return sm_cli_usage("sysex", "--bank needs at least one voice");
    {
        sm_dx7_voice voices[32];
        for (i = 0; i < n_bank; i++)
            if (sm_dx7_load_voice(bank_items[i], &voices[i], &err) != 0)
                return sm_cli_fail("sysex", &err);
        if (sm_dx7_write_bank(out, voices, n_bank, &err) != 0) return sm_cli_fail("sysex", &err);
    }
    return SM_EXIT_OK;
}

static const char *const LIST_HELP =
    "usage: soundmatch list [synths | optimizers | SYNTH]\n"
    "\n"
    "Without an argument, lists the synths and the optimizers. With a synth's name, lists its\n"
    "parameters: name, unit, range, default and scale, as experiment files and --set use them.\n";

static void print_params(const sm_synth_type *s)
{
    size_t i;
    printf("%s: %s\n%zu parameters\n", s->name, s->description, s->space->n);
    printf("%-24s %-6s %-6s %12s %12s %12s  %s\n", "name", "kind", "unit", "min", "max", "default",
           "scale/values");
    for (i = 0; i < s->space->n; i++) {
        const sm_param *p = &s->space->p[i];
        printf("%-24s %-6s %-6s %12g %12g %12g  ", p->name,
               p->kind == SM_PARAM_REAL ? "real" : p->kind == SM_PARAM_INT ? "int" : "enum",
               p->unit && *p->unit ? p->unit : "-", p->min, p->max, p->def);
        if (p->kind == SM_PARAM_ENUM && p->labels) {
            int k, n = (int)(p->max - p->min + 1);
            for (k = 0; k < n; k++) printf("%s%s", k ? "|" : "", p->labels[k]);
        } else {
            printf("%s", p->log_scale ? "log" : "linear");
        }
        putchar('\n');
    }
}

int sm_cmd_list(int argc, char **argv)
{
    size_t i;
    int k;
    if (argc > 2) return sm_cli_usage("list", "give at most one argument");
    if (argc == 2 && sm_cli_is_help(argv[1])) {
        fputs(LIST_HELP, stdout);
        return SM_EXIT_OK;
    }
    if (argc == 2 && strcmp(argv[1], "synths") && strcmp(argv[1], "optimizers")) {
        const sm_synth_type *s = sm_synth_find(argv[1]);
        if (!s) return sm_cli_usage("list", "unknown synth '%s'", argv[1]);
        print_params(s);
        return SM_EXIT_OK;
    }
    if (argc == 1 || strcmp(argv[1], "synths") == 0) {
        printf("synths:\n");
        for (i = 0; i < sm_synth_count(); i++) {
            const sm_synth_type *s = sm_synth_at(i);
            printf("  %-8s %3zu parameters  %s%s%s\n", s->name, s->space->n, s->description,
                   s->patch_ext ? "; patches: " : "", s->patch_ext ? s->patch_ext : "");
        }
    }
    if (argc == 1 || strcmp(argv[1], "optimizers") == 0) {
        printf("optimizers:\n");
        for (i = 0; i < sm_optimizer_count(); i++) {
            const sm_optimizer_type *o = sm_optimizer_at(i);
            printf("  %-8s %s\n", o->name, o->description);
            for (k = 0; o->key_help && o->key_help[k]; k++) printf("           %s\n", o->key_help[k]);
            if (o->side) {
                /* the dataset its model learns from (experiments/patch_dataset.c) */
                printf("           dataset: a patch file the model learns from, or random (random)\n");
                printf("           dataset_size: patches rendered for the model (2000)\n");
                for (k = 0; o->side->key_help && o->side->key_help[k]; k++)
                    printf("           %s\n", o->side->key_help[k]);
            }
        }
    }
    return SM_EXIT_OK;
}
