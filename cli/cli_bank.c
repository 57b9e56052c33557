/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli/cli_bank.c: `soundmatch bank`: 32-voice DX7 banks from the best match per
 * target of `run` and `match` output folders. */
#include "cli/cli.h"
#include "core/fileio.h"
#include "datasets/banks.h"
#include "synths/dx7_sysex.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static const char *const BANK_HELP =
    "usage: soundmatch bank RUN_DIR... -o NAME.syx [--name NAME]\n"
    "\n"
    "Gather the best match of every target of `soundmatch run` or `soundmatch match` output\n"
    "folders (synth fm6) into 32-voice DX7 banks: NAME.syx holds voices 1-32, NAME-2.syx\n"
    "voices 33-64, and so on; the last bank is filled up with INIT VOICE. For each target of\n"
    "each folder the run with the lowest final_cost in DIR/results.csv whose best.syx exists is\n"
    "taken (ties: the first row). Voices are named after their targets: upper-cased, in the DX7's\n"
    "character set, at most 10 characters, unique within a bank (a clash ends in a number:\n"
    "\"PIANO C4\", \"PIANO C4 2\"). A listing of the voices goes to standard output, and a\n"
    "listening page NAME.html beside the banks gives every voice's target, algorithm, kind (once\n"
    "the timbre model is cached: soundmatch timbre), descriptors, spectrogram and player, all\n"
    "rendered at MIDI note 60. Either every bank and the page are written or none is.\n"
    "\n"
    "Options:\n"
    "  -o, --output F     the first bank file (NAME.syx; the next ones are NAME-2.syx, ...)\n"
    "  --name NAME        the voice's name, when there is exactly one voice (10 characters)\n";

typedef struct {
    char *target, *optimizer, *seed, *folder;
    double cost;
    sm_dx7_voice voice;
} bank_entry;

typedef struct {
    bank_entry *e;
    size_t n, cap;
} bank_list;

static void list_free(bank_list *l)
{
    size_t i;
    for (i = 0; i < l->n; i++) {
        free(l->e[i].target);
        free(l->e[i].optimizer);
        free(l->e[i].seed);
    }
    free(l->e);
    memset(l, 0, sizeof *l);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* DIR/runs/TARGET/OPT/seedSEED/best.syx in a new string (NULL: out of memory). */
static char *patch_path(const char *folder, const char *target, const char *opt,
                        const char *seed)
{
    size_t n = strlen(folder) + strlen(target) + strlen(opt) + strlen(seed) + 32;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/runs/%s/%s/seed%s/best.syx", folder, target, opt, seed);
    return p;
}

/* Adds the best run of every target of folder's results.csv to l. */
static int read_folder(const char *folder, bank_list *l, sm_error *err)
{
    char *path, *line, *next;
    unsigned char *data = NULL;
    size_t n, first = l->n, lineno = 1, rows = 0, with_patch = 0;
    int rc;
    size_t plen = strlen(folder) + 16;
    if (!(path = malloc(plen))) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    snprintf(path, plen, "%s/results.csv", folder);
    {
        struct stat st;
        if (stat(folder, &st) != 0 || !S_ISDIR(st.st_mode)) {
            rc = sm_error_set(err, SM_ERR_IO, "%s: %s", folder,
                              stat(folder, &st) != 0 ? strerror(errno) : "not a folder");
            free(path);
            return rc;
        }
    }
    rc = sm_read_file(path, 0, &data, &n, err);
    if (rc) {
        if (!file_exists(path))
            rc = sm_error_set(err, SM_ERR_IO,
                              "%s: no such file; %s is not an output folder of `soundmatch run` "
                              "or `soundmatch match`", path, folder);
        free(path);
        return rc;
    }
    line = (char *)data;
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    line[strcspn(line, "\r")] = '\0';
    if (strncmp(line, "target,optimizer,seed,final_cost", 32) != 0) {
        rc = sm_error_set(err, SM_ERR_FORMAT,
                          "%s: line 1: expected the header target,optimizer,seed,final_cost,...",
                          path);
        goto done;
    }
    while ((line = next) != NULL) {
        char *field[4], *rest, *end, *pp;
        double cost;
        size_t k = 0, i;
        lineno++;
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        line[strcspn(line, "\r")] = '\0';
        if (!*line) continue;
        rest = line;
        while (k < 4 && rest) field[k++] = strsep(&rest, ",");
        if (k < 4 || !*field[0] || !*field[1] || !*field[2]) {
            rc = sm_error_set(err, SM_ERR_FORMAT,
                              "%s: line %zu: expected target,optimizer,seed,final_cost,...", path,
                              lineno);
            goto done;
        }
        errno = 0;
        cost = strtod(field[3], &end);
        if (end == field[3] || *end) {
            rc = sm_error_set(err, SM_ERR_FORMAT, "%s: line %zu: final_cost '%s' is not a number",
                              path, lineno, field[3]);
            goto done;
        }
        if (strchr(field[0], '/') || strchr(field[1], '/') || strchr(field[2], '/') ||
            strcmp(field[0], "..") == 0 || strcmp(field[1], "..") == 0) {
            rc = sm_error_set(err, SM_ERR_FORMAT, "%s: line %zu: a name holds '/'", path, lineno);
            goto done;
        }
        rows++;
        if (!(pp = patch_path(folder, field[0], field[1], field[2]))) {
            rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            goto done;
        }
        k = file_exists(pp);
        free(pp);
        if (!k) continue; /* e.g. the closest-preset row of `match`, or not fm6 */
        with_patch++;
        for (i = first; i < l->n; i++)
            if (strcmp(l->e[i].target, field[0]) == 0) break;
        if (i < l->n) {
            bank_entry *b = &l->e[i];
            /* the lowest cost wins, ties the first row; NaN loses to any number */
            if (isnan(cost) || !(cost < b->cost || isnan(b->cost))) continue;
            free(b->optimizer);
            free(b->seed);
            b->optimizer = strdup(field[1]);
            b->seed = strdup(field[2]);
            b->cost = cost;
            if (!b->optimizer || !b->seed) {
                rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
                goto done;
            }
            continue;
        }
        if (l->n == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 64;
            bank_entry *e = realloc(l->e, cap * sizeof *e);
            if (!e) {
                rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
                goto done;
            }
            l->e = e;
            l->cap = cap;
        }
        memset(&l->e[l->n], 0, sizeof l->e[l->n]);
        l->e[l->n].target = strdup(field[0]);
        l->e[l->n].optimizer = strdup(field[1]);
        l->e[l->n].seed = strdup(field[2]);
        l->e[l->n].folder = (char *)folder;
        l->e[l->n].cost = cost;
        l->n++;
        if (!l->e[l->n - 1].target || !l->e[l->n - 1].optimizer || !l->e[l->n - 1].seed) {
            rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    if (!rows) {
        rc = sm_error_set(err, SM_ERR_EMPTY, "%s: no runs", path);
        goto done;
    }
    if (!with_patch) {
        rc = sm_error_set(err, SM_ERR_FORMAT,
                          "%s: no DX7 patches (runs/TARGET/OPTIMIZER/seedN/best.syx); bank takes "
                          "folders of fm6 runs",
                          folder);
        goto done;
    }
    /* load the chosen voices */
    {
        size_t i;
        for (i = first; i < l->n && !rc; i++) {
            bank_entry *b = &l->e[i];
            char *pp = patch_path(folder, b->target, b->optimizer, b->seed);
            if (!pp) {
                rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
                break;
            }
            rc = sm_dx7_load_voice(pp, &b->voice, err);
            free(pp);
        }
    }
done:
    free(data);
    free(path);
    return rc;
}

int sm_cmd_bank(int argc, char **argv)
{
    const char *out = NULL, *name = NULL;
    const char **dirs;
    size_t n_dirs = 0, i, n_banks = 0;
    bank_list l = {0};
    sm_error err = {0};
    sm_voice_name *names = NULL;
    sm_dx7_voice *voices = NULL;
    char **files = NULL;
    int a, rc = SM_EXIT_OK;
    if (!(dirs = calloc((size_t)argc + 1, sizeof *dirs))) {
        fprintf(stderr, "soundmatch bank: out of memory\n");
        return SM_EXIT_INPUT;
    }
    for (a = 1; a < argc; a++) {
        if (sm_cli_is_help(argv[a])) {
            fputs(BANK_HELP, stdout);
            free(dirs);
            return SM_EXIT_OK;
        } else if (strcmp(argv[a], "-o") == 0 || strcmp(argv[a], "--output") == 0) {
            if (++a >= argc || !*argv[a]) {
                free(dirs);
                return sm_cli_usage("bank", "-o needs a file name");
            }
            out = argv[a];
        } else if (strcmp(argv[a], "--name") == 0) {
            if (++a >= argc) {
                free(dirs);
                return sm_cli_usage("bank", "--name needs a voice name");
            }
            name = argv[a];
        } else if (argv[a][0] == '-' && argv[a][1]) {
            free(dirs);
            return sm_cli_usage("bank", "unknown option '%s'", argv[a]);
        } else {
            dirs[n_dirs++] = argv[a];
        }
    }
    if (!n_dirs) rc = sm_cli_usage("bank", "give at least one RUN_DIR");
    else if (!out) rc = sm_cli_usage("bank", "no output file: give -o NAME.syx");
    else if (name && (!*name || strlen(name) > SM_DX7_NAME_LEN))
        rc = sm_cli_usage("bank", "--name takes 1 to %d characters", SM_DX7_NAME_LEN);
    if (rc) {
        free(dirs);
        return rc;
    }
    for (i = 0; i < n_dirs && !rc; i++) {
        size_t j;
        for (j = 0; j < i; j++)
            if (strcmp(dirs[j], dirs[i]) == 0) break;
        if (j < i) rc = sm_cli_usage("bank", "the folder '%s' is given twice", dirs[i]);
        else if (read_folder(dirs[i], &l, &err) != 0) rc = sm_cli_fail("bank", &err);
    }
    if (!rc && name && l.n != 1)
        rc = sm_cli_usage("bank", "--name needs exactly one voice, but there are %zu", l.n);
    if (rc) goto done;

    /* names, unique within each bank */
    names = calloc(l.n, sizeof *names);
    voices = calloc(l.n, sizeof *voices);
    if (!names || !voices) goto nomem;
    for (i = 0; i < l.n; i++) {
        if (name) sm_bank_name_from_text(name, 0, names[i]);
        else sm_bank_name_from_text(l.e[i].target, 1, names[i]);
        sm_bank_unique_name(names, i - i % SM_DX7_BANK_VOICES, i);
        voices[i] = l.e[i].voice;
        sm_bank_set_name(&voices[i], names[i]);
    }
    n_banks = sm_bank_count(l.n);
    if (sm_bank_write_all(out, voices, l.n, &files, &err) != 0) {
        rc = sm_cli_fail("bank", &err);
        goto done;
    }
    {
        /* the listening page beside the banks: each voice's target, run and cost */
        char **notes = calloc(l.n, sizeof *notes), intro[256];
        int page_rc = notes ? 0 : SM_EXIT_INPUT;
        for (i = 0; i < l.n && !page_rc; i++) {
            size_t len = strlen(l.e[i].target) + strlen(l.e[i].optimizer) + strlen(l.e[i].seed) +
                         strlen(l.e[i].folder) + 80;
            if (!(notes[i] = malloc(len))) page_rc = SM_EXIT_INPUT;
            else snprintf(notes[i], len, "target %s: %s, seed %s, cost %.6g (%s)", l.e[i].target,
                          l.e[i].optimizer, l.e[i].seed, l.e[i].cost, l.e[i].folder);
        }
        snprintf(intro, sizeof intro, "The best match of each of %zu targets, gathered by "
                 "soundmatch bank.", l.n);
        if (page_rc) fprintf(stderr, "soundmatch bank: out of memory\n");
        else page_rc = sm_cli_bank_page(out, voices, l.n, files, (const char *const *)notes, intro);
        if (notes)
            for (i = 0; i < l.n; i++) free(notes[i]);
        free(notes);
        if (page_rc) {
            for (i = 0; i < n_banks; i++) unlink(files[i]); /* all or nothing */
            rc = page_rc;
            goto done;
        }
    }
    printf("%-24s %5s  %-10s  %-20s %-10s %12s  %s\n", "bank", "voice", "name", "target",
           "optimizer", "cost", "folder");
    for (i = 0; i < l.n; i++)
        printf("%-24s %5zu  %-10s  %-20s %-10s %12.6g  %s\n", files[i / SM_DX7_BANK_VOICES],
               i % SM_DX7_BANK_VOICES + 1, names[i], l.e[i].target, l.e[i].optimizer,
               l.e[i].cost, l.e[i].folder);
    fprintf(stderr, "soundmatch bank: wrote %zu voice%s in %zu bank%s\n", l.n, l.n == 1 ? "" : "s",
            n_banks, n_banks == 1 ? "" : "s");
    goto done;
nomem:
    fprintf(stderr, "soundmatch bank: out of memory\n");
    rc = SM_EXIT_INPUT;
done:
    sm_bank_files_free(files, n_banks);
    free(names);
    free(voices);
    list_free(&l);
    free(dirs);
    return rc;
}
