/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_cli_util.h: running the soundmatch program from the command-line tests.
 *
 * sm_test_cli_setup finds the program under test ($SM_TOP_BUILDDIR/soundmatch, made absolute)
 * and gives it a fresh temporary folder (sm_test_tmpdir) to run in; sm_test_cli_sh runs one
 * command line there with stdin from /dev/null and stdout and stderr captured in the folder's
 * .stdout and .stderr. */
#ifndef SM_TEST_CLI_UTIL_H
#define SM_TEST_CLI_UTIL_H

#include "tests/test_util.h"
#include "core/fileio.h"

#include <sys/wait.h>

typedef struct {
    char prog[4096];   /* the program, an absolute path */
    char dir[4096];    /* the folder commands run in */
    char out[4200];    /* dir/.stdout and dir/.stderr: what the last command printed */
    char err[4200];
} sm_test_cli;

/* Fills c. Returns 0, or -1 when no temporary folder could be made. */
static inline int sm_test_cli_setup(sm_test_cli *c)
{
    const char *b = getenv("SM_TOP_BUILDDIR"), *t = sm_test_tmpdir();
    char cwd[2048];
    if (!t || !getcwd(cwd, sizeof cwd)) return -1;
    if (b && b[0] == '/') snprintf(c->prog, sizeof c->prog, "%s/soundmatch", b);
    else snprintf(c->prog, sizeof c->prog, "%s/%s/soundmatch", cwd, b ? b : ".");
    snprintf(c->dir, sizeof c->dir, "%s", t);
    snprintf(c->out, sizeof c->out, "%s/.stdout", c->dir);
    snprintf(c->err, sizeof c->err, "%s/.stderr", c->dir);
    return 0;
}

/* Runs "ENV soundmatch LINE" (with prog_too 0: the shell line "ENV LINE") in c->dir, env being
 * NULL or variable assignments ("XDG_CACHE_HOME=x"). Returns the exit code, or -1 when the
 * command line is too long or the command did not exit normally. */
static inline int sm_test_cli_sh(const sm_test_cli *c, const char *env, const char *line,
                                 int prog_too)
{
    char cmd[32768];
    int st, len;
    len = snprintf(cmd, sizeof cmd, "cd '%s' && ( %s %s%s%s %s ) >'%s' 2>'%s' </dev/null", c->dir,
                   env ? env : "", prog_too ? "'" : "", prog_too ? c->prog : "",
                   prog_too ? "'" : "", line, c->out, c->err);
    if (len < 0 || (size_t)len >= sizeof cmd) return -1;   /* too long to run as given */
    st = system(cmd);
    if (st == -1 || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

/* A file's contents as a new string (free()); "" when it cannot be read. */
static inline char *sm_test_slurp(const char *path)
{
    unsigned char *d = NULL;
    size_t n;
    sm_error err = {0};
    if (sm_read_file(path, 0, &d, &n, &err) != 0) return strdup("");
    return (char *)d;
}

#endif
