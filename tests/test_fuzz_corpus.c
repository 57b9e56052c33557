/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_fuzz_corpus.c: the fuzz regression corpus, replayed through every parser.
 *
 * tests/fuzz/corpus/KIND/ holds inputs that once made a parser misbehave (the fuzzers' finds,
 * copied from ../shared/data/crashes/, and small reproducers written by hand), one folder per
 * parser:
 *   ini/       sm_experiment_load
 *   sysex/     sm_dx7_load
 *   mtpreset/  sm_mtpreset_read
 *   audio/     sm_audio_read (at the file's rate and resampled to 44.1 kHz)
 *   results/   what `soundmatch report` reads back from run folders: *.json through
 *              sm_json_parse, every other file through sm_csv_read
 * Each file is parsed in a child process with a time limit (and, without AddressSanitizer, a
 * 2 GB address-space limit), so a crash, a hang or a runaway allocation fails this test
 * instead of ending it. A file whose name begins "ok_" must load; every other one must fail
 * with an sm_err code other than SM_ERR_NOMEM (no corpus file is large enough to need the
 * memory) and a message that names the file. Under ASan and UBSan (CI's sanitizer
 * run) the same replay also catches memory errors and undefined behaviour.
 *
 * A new crash: copy the input into the folder of its parser, fix the parser, and run this. */
#include "tests/test_util.h"
#include "core/audio.h"
#include "core/fileio.h"
#include "experiments/experiment.h"
#include "experiments/report_internal.h"
#include "synths/dx7_sysex.h"
#include "synths/mtpreset.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

/* Paths here are a source folder, a kind and a file name: truncation cannot happen. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* Seconds a single file may take (generous: sanitizer builds are several times slower). */
#define CORPUS_SECONDS 20

#if defined(__SANITIZE_ADDRESS__)
#define CORPUS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORPUS_ASAN 1
#endif
#endif

static int parse_ini(const char *path, sm_error *err)
{
    sm_experiment *e = sm_experiment_load(path, err);
    if (!e) return err->code ? err->code : SM_ERR_CONFIG;
    sm_experiment_free(e);
    return 0;
}

static int parse_sysex(const char *path, sm_error *err)
{
    sm_dx7_bank b;
    int rc = sm_dx7_load(path, &b, err);
    sm_dx7_bank_free(&b);
    return rc;
}

static int parse_mtpreset(const char *path, sm_error *err)
{
    sm_mtpreset p;
    int rc = sm_mtpreset_read(path, &p, err);
    sm_mtpreset_free(&p);
    return rc;
}

static int parse_audio(const char *path, sm_error *err)
{
    sm_audio a;
    sm_audio_info info;
    int rc = sm_audio_read(path, 0, &a, &info, err);
    sm_audio_free(&a);
    if (rc) return rc;
    rc = sm_audio_read(path, 44100, &a, &info, err);
    sm_audio_free(&a);
    return rc;
}

static int parse_results(const char *path, sm_error *err)
{
    size_t len = strlen(path);
    if (len > 5 && strcmp(path + len - 5, ".json") == 0) {
        FILE *f = fopen(path, "rb");
        char *text;
        long size;
        sm_json *j;
        if (!f) return sm_error_set(err, SM_ERR_IO, "%s: cannot open", path);
        if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
            !(text = malloc((size_t)size + 1))) {
            fclose(f);
            return sm_error_set(err, SM_ERR_IO, "%s: cannot read", path);
        }
        text[fread(text, 1, (size_t)size, f)] = '\0';
        fclose(f);
        j = sm_json_parse(text, path, err);
        free(text);
        if (!j) return err->code ? err->code : SM_ERR_FORMAT;
        sm_json_free(j);
        return 0;
    } else {
        sm_csv c;
        int rc;
        memset(&c, 0, sizeof c);
        rc = sm_csv_read(path, &c, err);
        sm_csv_free(&c);
        return rc;
    }
}

typedef struct {
    const char *kind;
    int (*parse)(const char *path, sm_error *err);
} corpus_kind;

static const corpus_kind KINDS[] = {
    {"ini", parse_ini},
    {"sysex", parse_sysex},
    {"mtpreset", parse_mtpreset},
    {"audio", parse_audio},
    {"results", parse_results},
};

/* The child's exit codes. */
enum { CHILD_OK = 0, CHILD_SHOULD_LOAD = 10, CHILD_SHOULD_FAIL = 11, CHILD_BAD_MESSAGE = 12,
       CHILD_BAD_CODE = 13, CHILD_SETUP = 14, CHILD_NOMEM = 15 };

static const char *corpus_dir(void)
{
    static char buf[4096];
    const char *top = getenv("SM_TOP_SRCDIR");
    snprintf(buf, sizeof buf, "%s/tests/fuzz/corpus", top && *top ? top : ".");
    return buf;
}

/* Parses path in a child process and checks what it returned against its name. */
static void replay_one(const corpus_kind *k, const char *path, const char *base, double *secs)
{
    struct timeval t0, t1;
    pid_t pid;
    int status;
    fflush(NULL);
    gettimeofday(&t0, NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sm_error err = {0};
        int rc, ok = strncmp(base, "ok_", 3) == 0;
#ifndef CORPUS_ASAN
        struct rlimit rl = {(rlim_t)2 << 30, (rlim_t)2 << 30};
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(CHILD_SETUP);
#endif
        alarm(CORPUS_SECONDS);
        rc = k->parse(path, &err);
        if (ok && rc != 0) {
            fprintf(stderr, "%s: should load, but: %s\n", path, sm_error_text(&err));
            _exit(CHILD_SHOULD_LOAD);
        }
        if (ok) _exit(CHILD_OK);
        if (rc == 0) _exit(CHILD_SHOULD_FAIL);
        if (rc > 0 || rc < SM_ERR_INTERRUPTED) _exit(CHILD_BAD_CODE);
        if (rc == SM_ERR_NOMEM) _exit(CHILD_NOMEM); /* a small file asked for gigabytes */
        if (!strstr(err.msg, base)) {
            fprintf(stderr, "%s: the message does not name the file: '%s'\n", path, err.msg);
            _exit(CHILD_BAD_MESSAGE);
        }
        _exit(CHILD_OK);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    gettimeofday(&t1, NULL);
    *secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-6 * (double)(t1.tv_usec - t0.tv_usec);
    if (WIFSIGNALED(status))
        fail_msg("%s/%s: the parser died of signal %d%s", k->kind, base, WTERMSIG(status),
                 WTERMSIG(status) == SIGALRM ? " (took longer than the time limit)" : "");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != CHILD_OK)
        fail_msg("%s/%s: exit %d (10: should load, 11: should fail, 12: the message does not "
                 "name the file, 13: not an sm_err code, 15: out of memory; sanitizers exit 1)", k->kind, base,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Every file of every kind: loads or fails cleanly, in bounded time and memory. */
static void test_replay_corpus(void **state)
{
    size_t k;
    int total = 0;
    double slowest = 0;
    char slowest_name[512] = "";
    (void)state;
    for (k = 0; k < sizeof KINDS / sizeof *KINDS; k++) {
        char dir[4096];
        struct dirent **names;
        int n, i, n_ok = 0;
        snprintf(dir, sizeof dir, "%s/%s", corpus_dir(), KINDS[k].kind);
        n = scandir(dir, &names, not_hidden, by_name);
        if (n < 0) fail_msg("%s: cannot read the corpus folder (is SM_TOP_SRCDIR set?)", dir);
        if (n < 3) fail_msg("%s: only %d files; the corpus has at least 3 of each kind", dir, n);
        for (i = 0; i < n; i++) {
            char path[8192];
            double secs;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            replay_one(&KINDS[k], path, names[i]->d_name, &secs);
            n_ok += strncmp(names[i]->d_name, "ok_", 3) == 0;
            if (secs > slowest) {
                slowest = secs;
                snprintf(slowest_name, sizeof slowest_name, "%s/%s", KINDS[k].kind,
                         names[i]->d_name);
            }
            free(names[i]);
        }
        free(names);
        print_message("corpus %-8s %2d files (%d that load)\n", KINDS[k].kind, n, n_ok);
        total += n;
    }
    print_message("corpus: %d files replayed; the slowest, %s, took %.3f s\n", total,
                  slowest_name, slowest);
}

/* Every input in ../shared/data/crashes/ is in the corpus, byte for byte, in its parser's
 * folder (named by its prefix: ini_, audio_, sysex_, mtpreset_). */
static void test_corpus_holds_shared_crashes(void **state)
{
    const char *crashes;
    struct dirent **names;
    int n, i;
    (void)state;
    SM_TEST_NEED_SHARED();
    crashes = sm_test_shared_path("crashes");
    assert_non_null(crashes);
    {
        static char cdir[4096];
        snprintf(cdir, sizeof cdir, "%s", crashes);
        crashes = cdir;
    }
    n = scandir(crashes, &names, not_hidden, by_name);
    assert_true(n > 0);
    for (i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t k;
        const char *kind = NULL;
        char a[8192], b[8192];
        unsigned char *da, *db;
        size_t na, nb;
        sm_error err = {0};
        for (k = 0; k < sizeof KINDS / sizeof *KINDS; k++) {
            size_t len = strlen(KINDS[k].kind);
            if (strncmp(name, KINDS[k].kind, len) == 0 && name[len] == '_') kind = KINDS[k].kind;
        }
        if (!kind) fail_msg("crashes/%s: no parser for this name's prefix", name);
        snprintf(a, sizeof a, "%s/%s", crashes, name);
        snprintf(b, sizeof b, "%s/%s/%s", corpus_dir(), kind, name);
        assert_int_equal(sm_read_file(a, 0, &da, &na, &err), 0);
        if (sm_read_file(b, 0, &db, &nb, &err) != 0)
            fail_msg("crashes/%s is not in the corpus as %s", name, b);
        assert_int_equal(na, nb);
        assert_memory_equal(da, db, na);
        free(da);
        free(db);
        free(names[i]);
    }
    free(names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_corpus),
        cmocka_unit_test(test_corpus_holds_shared_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
