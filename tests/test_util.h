/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_util.h: helpers shared by the cmocka test programs.
 *
 * - assert_close(a, b, tol): doubles agree within an absolute tolerance (cmocka 1.1.5 has no
 *   double comparison; its assert_float_equal casts to float).
 * - sm_test_shared(): the folder ../shared/data (from $SM_SHARED_DATA, set by make check), or
 *   NULL; tests that need it call SM_TEST_NEED_SHARED() to skip with a clear message.
 * - sm_test_tmpdir(): a fresh temporary folder for files a test writes, removed with all it
 *   holds when the test program exits (kept when SM_TEST_KEEP is set, to look at). */
#ifndef SM_TEST_UTIL_H
#define SM_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define assert_close(a, b, tol) sm_test_assert_close((double)(a), (double)(b), (double)(tol), \
                                                     #a, #b, __FILE__, __LINE__)

static inline void sm_test_assert_close(double a, double b, double tol, const char *ea,
                                        const char *eb, const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%s = %.9g and %s = %.9g differ by %.3g, more than %.3g\n", ea, a, eb, b,
                    fabs(a - b), tol);
        _fail(file, line);
    }
}

/* The linear loss r . out of n samples: what the gradient tests differentiate (its gradient
 * with respect to out is r). */
static inline double sm_test_dot_loss(const double *out, const double *r, size_t n)
{
    double s = 0;
    size_t t;
    for (t = 0; t < n; t++) s += r[t] * out[t];
    return s;
}

/* The shared data folder, or NULL if it is absent. */
static inline const char *sm_test_shared(void)
{
    static char buf[4096];
    const char *d = getenv("SM_SHARED_DATA");
    struct stat st;
    if (!d || !*d) d = "../shared/data";
    if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    if (snprintf(buf, sizeof buf, "%s", d) >= (int)sizeof buf) return NULL;
    return buf;
}

/* path of a file in the shared data folder (static buffer, one at a time). */
static inline const char *sm_test_shared_path(const char *rel)
{
    static char buf[4096];
    const char *d = sm_test_shared();
    if (!d) return NULL;
    if (snprintf(buf, sizeof buf, "%s/%s", d, rel) >= (int)sizeof buf) return NULL;
    return buf;
}

#define SM_TEST_NEED_SHARED()                                                                \
    do {                                                                                     \
        if (!sm_test_shared()) {                                                             \
            print_message("SKIP: shared data folder ../shared/data is absent "               \
                          "(set SM_SHARED_DATA)\n");                                         \
            skip();                                                                          \
        }                                                                                    \
    } while (0)

/* The folders sm_test_tmpdir made, removed at exit. */
#define SM_TEST_MAX_TMPDIRS 64
static char sm_test_tmpdirs[SM_TEST_MAX_TMPDIRS][4096];
static int sm_test_n_tmpdirs;

static inline int sm_test_remove_entry(const char *path, const struct stat *sb, int type,
                                       struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path) != 0;
}

static inline void sm_test_remove_tmpdirs(void)
{
    int i;
    const char *keep = getenv("SM_TEST_KEEP");
    if (keep && *keep) return;
    for (i = 0; i < sm_test_n_tmpdirs; i++)
        nftw(sm_test_tmpdirs[i], sm_test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh folder under $TMPDIR (or /tmp); returns a static path. */
static inline const char *sm_test_tmpdir(void)
{
    static char buf[4096];
    const char *t = getenv("TMPDIR");
    if (snprintf(buf, sizeof buf, "%s/smtest.XXXXXX", (t && *t) ? t : "/tmp") >= (int)sizeof buf)
        return NULL;
    if (!mkdtemp(buf)) return NULL;
    if (sm_test_n_tmpdirs < SM_TEST_MAX_TMPDIRS) {
        if (sm_test_n_tmpdirs == 0) atexit(sm_test_remove_tmpdirs);
        memcpy(sm_test_tmpdirs[sm_test_n_tmpdirs++], buf, sizeof buf);
    }
    return buf;
}

/* Reads a CSV of doubles (rows of comma-separated numbers). Returns rows; *cols set from the
 * first row; *out allocated (caller frees). Returns 0 on failure. */
static inline size_t sm_test_read_csv(const char *path, double **out, size_t *cols)
{
    FILE *f = fopen(path, "r");
    char line[65536];
    size_t rows = 0, cap = 0, c0 = 0;
    double *v = NULL;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        size_t c = 0;
        char *p = line, *end;
        if (line[0] == '#' || line[0] == '\n') continue;
        for (;;) {
            double x = strtod(p, &end);
            if (end == p) break;
            if (rows * (c0 ? c0 : 1024) + c >= cap) {
                cap = cap ? cap * 2 : 4096;
                v = realloc(v, cap * sizeof *v);
            }
            v[rows * (c0 ? c0 : 1024) + c] = x;
            c++;
            p = end;
            while (*p == ',' || *p == ' ') p++;
        }
        if (c == 0) continue;
        if (!c0) {
            c0 = c;
        } else if (c != c0) {
            break;
        }
        rows++;
    }
    fclose(f);
    *out = v;
    *cols = c0;
    return rows;
}

/* trace.csv's text without its seconds column (the third), in place: what two runs of the same
 * seed must agree on. Fails the test if a row has no seconds. Returns text. */
static inline char *sm_test_trace_drop_secs(char *text)
{
    char *r = text, *w = text;
    assert_non_null(text);
    while (*r) {
        const char *c1 = strchr(r, ','), *nl = strchr(r, '\n');
        const char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        size_t keep;
        if (!nl) nl = r + strlen(r);
        if (!c2 || c2 > nl) fail_msg("trace row without seconds: %.*s", (int)(nl - r), r);
        keep = (size_t)(c2 - r);
        memmove(w, r, keep);
        w += keep;
        r = (char *)nl;
        if (*r) *w++ = *r++;
    }
    *w = '\0';
    return text;
}

#endif
