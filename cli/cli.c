/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli/cli.c: the soundmatch program: subcommand dispatch, help and version. */
#include "config.h"
#include "cli/cli.h"
#include "search/optimizer.h"
#include "synths/synth.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The commands, from cli/commands.def. */
static const struct {
    const char *name, *args, *summary;
    int (*fn)(int, char **);
} commands[] = {
#define SM_COMMAND(name, args, summary) {#name, args, summary, sm_cmd_##name},
#include "cli/commands.def"
#undef SM_COMMAND
};

/* The program's help, with the command list made from the table above. */
static void usage(FILE *f)
{
    size_t i;
    fputs("usage: soundmatch COMMAND [OPTIONS] [ARGS]\n"
          "\n"
          "Find the parameters of a synthesizer that reproduce a target sound.\n"
          "\n"
          "Commands:\n", f);
    for (i = 0; i < sizeof commands / sizeof *commands; i++) {
        char head[64];
        snprintf(head, sizeof head, "%s%s%s", commands[i].name, commands[i].args[0] ? " " : "",
                 commands[i].args);
        if (strlen(head) <= 22) fprintf(f, "  %-22s %s\n", head, commands[i].summary);
        else fprintf(f, "  %s\n  %-22s %s\n", head, "", commands[i].summary);
    }
    fputs("\n"
          "Options:\n"
          "  -h, --help             this help; 'soundmatch COMMAND --help' for a command's help\n"
          "  --version              the version\n"
          "\n"
          "Exit status: 0 success, 1 bad input (the message names the file and the problem),\n"
          "2 bad usage.\n", f);
}

int sm_cli_fail(const char *cmd, const sm_error *err)
{
    fprintf(stderr, "soundmatch %s: %s\n", cmd, sm_error_text(err));
    return SM_EXIT_INPUT;
}

void sm_cli_warn(const char *cmd, const char *msg)
{
    fprintf(stderr, "soundmatch %s: warning: %s\n", cmd, msg);
}

int sm_cli_close_stdout(const char *cmd, int rc)
{
    int bad = ferror(stdout) != 0, e = 0;
    errno = 0;
    if (fflush(stdout) != 0) {
        bad = 1;
        e = errno;
    }
    errno = 0;
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (!bad) return rc;
    fprintf(stderr, "soundmatch %s: writing standard output failed: %s\n", cmd,
            e ? strerror(e) : "a write error");
    return rc ? rc : SM_EXIT_INPUT;
}

int sm_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "soundmatch %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nsee 'soundmatch %s --help'\n", cmd);
    return SM_EXIT_USAGE;
}

char *sm_cli_shared_file(const char *rel)
{
    const char *env = getenv("SM_SHARED_DATA");
    char dirs[2][4096], path[8400];
    ssize_t k;
    int d, up;
    if (!rel) return NULL;
    if (env && *env) {
        snprintf(path, sizeof path, "%s/%s", env, rel);
        return access(path, R_OK) == 0 ? realpath(path, NULL) : NULL;
    }
    if (!getcwd(dirs[0], sizeof dirs[0])) dirs[0][0] = '\0';
    k = readlink("/proc/self/exe", dirs[1], sizeof dirs[1] - 1);
    dirs[1][k > 0 ? k : 0] = '\0';
    if (strrchr(dirs[1], '/')) *strrchr(dirs[1], '/') = '\0';
    for (d = 0; d < 2; d++) {
        char ups[16] = "";
        if (!dirs[d][0]) continue;
        for (up = 0; up <= 4; up++) {
            snprintf(path, sizeof path, "%s/%sshared/data/%s", dirs[d], ups, rel);
            if (access(path, R_OK) == 0) return realpath(path, NULL);
            strcat(ups, "../");
        }
    }
    return NULL;
}

int sm_cli_number(const char *cmd, const char *opt, const char *text, double lo, double hi,
                  double *out)
{
    char *end;
    double v;
    if (!text) return sm_cli_usage(cmd, "%s needs a value", opt);
    v = strtod(text, &end);
    if (end == text || *end || !(v >= lo && v <= hi))
        return sm_cli_usage(cmd, "%s: '%s' must be a number from %g to %g", opt, text, lo, hi);
    *out = v;
    return 0;
}

int sm_cli_help(const char *text)
{
    char synths[256], opts[512];
    sm_synth_names(synths, sizeof synths);
    sm_optimizer_names(opts, sizeof opts);
    while (*text) {
        if (strncmp(text, "{synths}", 8) == 0) {
            fputs(synths, stdout);
            text += 8;
        } else if (strncmp(text, "{optimizers}", 12) == 0) {
            fputs(opts, stdout);
            text += 12;
        } else {
            putchar(*text++);
        }
    }
    return SM_EXIT_OK;
}

int sm_cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int sm_cli_tty(void)
{
    return isatty(STDERR_FILENO);
}

/* Reports draw text with cairo, whose fontconfig cache lives until the process exits. In a
 * LeakSanitizer build that cache would be reported as a leak; it is not ours to free. This
 * function is read only by LeakSanitizer. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

int main(int argc, char **argv)
{
    size_t i;
    if (argc < 2) {
        usage(stderr);
        return SM_EXIT_USAGE;
    }
    if (sm_cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return SM_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("soundmatch %s\n", PACKAGE_VERSION);
        return SM_EXIT_OK;
    }
    for (i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return sm_cli_close_stdout(commands[i].name, commands[i].fn(argc - 1, argv + 1));
    fprintf(stderr, "soundmatch: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return SM_EXIT_USAGE;
}
