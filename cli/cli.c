/* cli/cli.c: the soundmatch program: subcommand dispatch, help and version. */
#include "config.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const USAGE =
    "usage: soundmatch COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Find the parameters of a synthesizer that reproduce a target sound.\n"
    "\n"
    "Commands:\n"
    "  run EXPERIMENT.ini     run an experiment: every target x optimizer x seed, then a report\n"
    "  match TARGET.wav       match one recording with one synth and optimizer\n"
    "  compare TARGET MATCH.. the judging measures: log-mel distance and loudness difference\n"
    "  baseline TARGET BANK.. the closest preset of patch banks, played at the target's note\n"
    "  render                 render a note of a synth patch to a WAV file\n"
    "  features FILE          print or write the MFCC matrix of an audio file\n"
    "  info FILE              describe an audio file, a DX7 .syx bank or a .mtpreset file\n"
    "  sysex                  extract single DX7 voices or gather them into a bank\n"
    "  bank RUN_DIR...        DX7 banks of the best match per target of run/match folders\n"
    "  list                   list the synths, their parameters, and the optimizers\n"
    "\n"
    "Options:\n"
    "  -h, --help             this help; 'soundmatch COMMAND --help' for a command's help\n"
    "  --version              the version\n"
    "\n"
    "Exit status: 0 success, 1 bad input (the message names the file and the problem),\n"
    "2 bad usage.\n";

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
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"features", sm_cmd_features}, {"info", sm_cmd_info},
                {"render", sm_cmd_render},     {"sysex", sm_cmd_sysex},
                {"match", sm_cmd_match},       {"run", sm_cmd_run},
                {"list", sm_cmd_list},         {"compare", sm_cmd_compare},
                {"baseline", sm_cmd_baseline}, {"bank", sm_cmd_bank}};
    size_t i;
    if (argc < 2) {
        fputs(USAGE, stderr);
        return SM_EXIT_USAGE;
    }
    if (sm_cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        fputs(USAGE, stdout);
        return SM_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("soundmatch %s\n", PACKAGE_VERSION);
        return SM_EXIT_OK;
    }
    for (i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return sm_cli_close_stdout(cmds[i].name, cmds[i].fn(argc - 1, argv + 1));
    fprintf(stderr, "soundmatch: unknown command '%s'\n\n%s", argv[1], USAGE);
    return SM_EXIT_USAGE;
}
