/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_cli.c: the soundmatch program as a user meets it: help, version, exit codes
 * (0 success, 1 bad input, 2 bad usage), messages that name the file, and no partial output
 * for bad input: missing, empty, text-as-WAV, 0-sample, silent and stereo 96 kHz FLAC files,
 * garbled sysex, NaN parameters, malformed experiment files; and `run` killed with SIGKILL
 * in the middle of an experiment, then resumed. */
#include "tests/test_cli_util.h"
#include "core/audio.h"
#include "core/fileio.h"

#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <signal.h>
#include <sndfile.h>
#include <sys/wait.h>
#include <time.h>

/* Command lines and paths here are short temporary-folder paths; truncation cannot happen. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static sm_test_cli cli;

/* Runs "soundmatch ARGS" in the test folder, capturing stdout and stderr; returns the exit
 * code. */
static int run(const char *args)
{
    return sm_test_cli_sh(&cli, NULL, args, 1);
}

static void expect_out(const char *needle)
{
    char *s = sm_test_slurp(cli.out);
    if (!strstr(s, needle)) print_error("stdout lacks '%s':\n%s\n", needle, s);
    assert_non_null(strstr(s, needle));
    free(s);
}

static void expect_err(const char *needle)
{
    char *s = sm_test_slurp(cli.err);
    if (!strstr(s, needle)) print_error("stderr lacks '%s':\n%s\n", needle, s);
    assert_non_null(strstr(s, needle));
    free(s);
}

static int exists(const char *name)
{
    char p[8192];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", cli.dir, name);
    return stat(p, &st) == 0;
}

/* No temporary file is left behind in the folder. */
static void expect_no_tmp(void)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '\\.tmp\\.'", cli.dir);
    assert_int_not_equal(system(cmd), 0);
}

static void write_file(const char *name, const char *text, size_t n)
{
    char p[8192];
    FILE *f;
    snprintf(p, sizeof p, "%s/%s", cli.dir, name);
    f = fopen(p, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
}

static void write_text(const char *name, const char *text)
{
    write_file(name, text, strlen(text));
}

static void write_sf(const char *name, int format, int ch, int rate, size_t frames, int silent)
{
    char p[8192];
    SF_INFO si = {0};
    SNDFILE *sf;
    float *x = calloc(frames * (size_t)ch + 1, sizeof *x);
    size_t i;
    snprintf(p, sizeof p, "%s/%s", cli.dir, name);
    for (i = 0; i < frames * (size_t)ch && !silent; i++)
        x[i] = (float)(0.5 * sin(2 * M_PI * 440.0 * (double)(i / (size_t)ch) / rate));
    si.samplerate = rate;
    si.channels = ch;
    si.format = format;
    sf = sf_open(p, SFM_WRITE, &si);
    assert_non_null(sf);
    if (frames) sf_writef_float(sf, x, (sf_count_t)frames);
    sf_close(sf);
    free(x);
}

static int setup(void **state)
{
    (void)state;
    return sm_test_cli_setup(&cli);
}

static void test_help_version_usage(void **state)
{
    (void)state;
    assert_int_equal(run("--help"), 0);
    expect_out("usage: soundmatch COMMAND");
    assert_int_equal(run("--version"), 0);
    expect_out("soundmatch 0.");
    assert_int_equal(run(""), 2);
    assert_int_equal(run("frobnicate"), 2);
    expect_err("unknown command 'frobnicate'");
    {
        /* every command of the program's list has a help text, and is in `soundmatch --help` */
        static const char *const cmds[] = {
#define SM_COMMAND(name, args, summary) #name,
#include "cli/commands.def"
#undef SM_COMMAND
        };
        size_t i;
        for (i = 0; i < sizeof cmds / sizeof *cmds; i++) {
            char a[64];
            assert_int_equal(run("--help"), 0);
            snprintf(a, sizeof a, "\n  %s ", cmds[i]);
            expect_out(a);
            snprintf(a, sizeof a, "%s --help", cmds[i]);
            assert_int_equal(run(a), 0);
            expect_out("usage: soundmatch");
            snprintf(a, sizeof a, "%s --no-such-option", cmds[i]);
            assert_int_equal(run(a), 2);
        }
    }
    assert_int_equal(run("features"), 2);
    expect_err("no audio file given");
    assert_int_equal(run("features --n-fft banana x.wav"), 2);
    expect_err("--n-fft");
    assert_int_equal(run("features --bogus x.wav"), 2);
}

static void test_bad_audio_files(void **state)
{
    (void)state;
    assert_int_equal(run("features missing.wav"), 1);
    expect_err("missing.wav");
    write_file("empty.wav", "", 0);
    assert_int_equal(run("features empty.wav"), 1);
    expect_err("empty.wav: the file is empty");
    write_text("text.wav", "hello, I am text\n");
    assert_int_equal(run("info text.wav"), 1);
    expect_err("text.wav: not a readable audio file");
    write_sf("zero.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, 0, 0);
    assert_int_equal(run("features zero.wav"), 1);
    expect_err("zero.wav: the file holds no audio (0 samples)");
    /* a failed command writes no output file, not even a partial one */
    assert_int_equal(run("features empty.wav -o empty.csv"), 1);
    assert_false(exists("empty.csv"));
    expect_no_tmp();
}

/* Outputs never replace what is not a regular file, a full standard output is reported, and
 * a truncated WAV is read with a warning naming it. */
static void test_outputs_and_truncated_input(void **state)
{
    char p[8192], cmd[16384];
    struct stat st;
    int status;
    (void)state;
    /* -o naming a FIFO or a folder: refused, and the FIFO stays a FIFO (opening it would hang) */
    snprintf(p, sizeof p, "%s/out.fifo", cli.dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(run("render --synth drum -o out.fifo"), 1);
    expect_err("out.fifo: is a FIFO (named pipe); soundmatch writes only regular files");
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    snprintf(p, sizeof p, "%s/out_dir.wav", cli.dir);
    assert_int_equal(mkdir(p, 0700), 0);
    assert_int_equal(run("render --synth drum -o out_dir.wav"), 1);
    expect_err("out_dir.wav: is a folder; soundmatch writes only regular files");
    write_sf("tone.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, 4410, 0);
    assert_int_equal(run("features tone.wav -o out.fifo"), 1);
    expect_err("out.fifo: is a FIFO");
    expect_no_tmp();
    /* standard output on a full disk: a message with the reason, not a bare exit 1 */
    if (stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode)) {
        snprintf(cmd, sizeof cmd, "cd '%s' && '%s' features tone.wav >/dev/full 2>'%s'", cli.dir,
                 cli.prog, cli.err);
        status = system(cmd);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 1);
        expect_err("soundmatch features: writing standard output failed: No space left on device");
    }
    /* a WAV whose header promises 4410 samples but holds 1000: read, with a warning */
    snprintf(p, sizeof p, "%s/tone.wav", cli.dir);
    assert_int_equal(truncate(p, 44 + 2 * 1000), 0);
    assert_int_equal(run("info tone.wav"), 0);
    expect_err("soundmatch info: warning: tone.wav: the file is truncated");
    expect_out("length:      1000 samples");
    assert_int_equal(run("features tone.wav"), 0);
    expect_err("soundmatch features: warning: tone.wav: the file is truncated");
}

static void test_silence_and_flac(void **state)
{
    char *s;
    size_t lines = 0;
    const char *p;
    (void)state;
    /* all-zero audio: valid, MFCCs are finite (the dB floor), info says it is silent */
    write_sf("silence.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 22050, 22050, 1);
    assert_int_equal(run("info silence.wav"), 0);
    expect_out("the file is silent");
    assert_int_equal(run("features silence.wav -o silence.csv"), 0);
    assert_true(exists("silence.csv"));
    {
        char path[8192];
        snprintf(path, sizeof path, "%s/silence.csv", cli.dir);
        s = sm_test_slurp(path);
    }
    for (p = s; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 1 + 22050 / 512); /* centred frames */
    assert_null(strstr(s, "nan"));
    assert_null(strstr(s, "inf"));
    free(s);
    /* stereo 96 kHz FLAC: mixed to mono; --sr resamples before analysis */
    write_sf("st96.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 2, 96000, 48000, 0);
    assert_int_equal(run("info st96.flac"), 0);
    expect_out("FLAC");
    expect_out("channels:    2");
    expect_out("96000 Hz");
    expect_out("0.500 s");
    assert_int_equal(run("features st96.flac --sr 44100 --n-mfcc 13"), 0);
    s = sm_test_slurp(cli.out);
    lines = 0;
    for (p = s; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 1 + 22050 / 512);
    free(s);
}

static void test_patch_commands(void **state)
{
    char buf[256];
    (void)state;
    SM_TEST_NEED_SHARED();
    snprintf(buf, sizeof buf, "info '%s'", sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_equal(run(buf), 0);
    expect_out("BRASS   1");
    expect_out("E.PIANO 1");
    snprintf(buf, sizeof buf, "sysex --extract '%s:11' -o epiano.syx", sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_equal(run(buf), 0);
    assert_int_equal(run("info epiano.syx"), 0);
    expect_out("E.PIANO 1");
    assert_int_equal(run("sysex --bank epiano.syx epiano.syx -o bank.syx"), 0);
    assert_int_equal(run("info bank.syx"), 0);
    expect_out("32 voices");
    /* render by number and by name */
    snprintf(buf, sizeof buf, "render --synth fm6 --patch '%s:1' --note 60 --velocity 100 "
             "--gate 0.5 --length 1.0 -o brass.wav", sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_equal(run(buf), 0);
    assert_int_equal(run("info brass.wav"), 0);
    expect_out("1.000 s");
    snprintf(buf, sizeof buf, "render --patch '%s:E.PIANO 1' --length 0.5 -o ep.wav",
             sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_equal(run(buf), 0);
    /* a garbled sysex: a clear message with the byte offset, no output */
    write_file("garbled.syx", "\xF0\x43\x00\x09\x20\x00\x01\x02", 8);
    assert_int_equal(run("info garbled.syx"), 1);
    expect_err("garbled.syx");
    expect_err("byte");
    assert_int_equal(run("sysex --extract garbled.syx:1 -o g.syx"), 1);
    assert_false(exists("g.syx"));
    /* NaN and out-of-range parameters are refused, naming the parameter */
    assert_int_equal(run("render --synth fm6 --set 'feedback=nan' -o nan.wav"), 1);
    expect_err("feedback");
    assert_false(exists("nan.wav"));
    assert_int_equal(run("render --synth fm6 --set 'algorithm=33' -o x.wav"), 1);
    expect_err("algorithm");
    expect_no_tmp();
}

static void test_bad_experiment_files(void **state)
{
    (void)state;
    write_file("t.wav", "", 0);
    write_sf("tone.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, 44100, 0);
    write_text("nosynth.ini", "[target]\nfiles = tone.wav\n[run]\nbudget = 10\n[optimizer random]\n");
    assert_int_equal(run("run nosynth.ini"), 1);
    expect_err("nosynth.ini: the [synth] section is missing");
    write_text("badopt.ini", "[target]\nfiles = tone.wav\n[synth]\nname = fm6\n[run]\nbudget = 10\n"
               "[optimizer simulated-annealing]\n");
    assert_int_equal(run("run badopt.ini"), 1);
    expect_err("badopt.ini:7: unknown optimizer 'simulated-annealing'");
    write_text("budget0.ini", "[target]\nfiles = tone.wav\n[synth]\nname = fm6\n[run]\nbudget = 0\n"
               "[optimizer random]\n");
    assert_int_equal(run("run budget0.ini"), 1);
    expect_err("budget0.ini:6: [run] budget: 0 is outside 1..");
    {
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/nothing'", cli.dir);
        assert_int_equal(system(cmd), 0);
    }
    write_text("emptydir.ini", "[target]\nfolder = nothing\n[synth]\nname = fm6\n[run]\nbudget = 10\n"
               "[optimizer random]\n");
    assert_int_equal(run("run emptydir.ini"), 1);
    expect_err("holds no audio");
    write_text("garbage.ini", "this is not an ini file\n");
    assert_int_equal(run("run garbage.ini"), 1);
    expect_err("garbage.ini:1");
    write_text("silent.ini", "[target]\nfiles = silence.wav\n[synth]\nname = fm6\n[run]\nbudget = 10\n"
               "[optimizer random]\n[report]\ndir = silent_out\n");
    write_sf("silence.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, 44100, 1);
    assert_int_equal(run("run -q silent.ini"), 1);
    expect_err("is silent");
    assert_false(exists("silent_out")); /* a failed run leaves no folder behind */
    assert_int_equal(run("run missing.ini"), 1);
    expect_err("missing.ini");
}

static void test_match_writes_patch_audio_trace(void **state)
{
    char p[8192];
    struct stat st;
    (void)state;
    write_sf("a440.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 22050, 11025, 0);
    assert_int_equal(run("match a440.wav --note 69 --length 0.4 --sr 22050 --free 'op1_coarse, op1_fine' "
                         "--budget 60 --threads 1 --no-prior -q -o m"), 0);
    snprintf(p, sizeof p, "%s/m/best.syx", cli.dir);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 163); /* a DX7 single-voice dump */
    assert_true(exists("m/best.wav"));
    assert_true(exists("m/trace.csv"));
    assert_true(exists("m/index.html"));
    assert_int_equal(run("info m/best.syx"), 0);
    expect_out("A440");   /* the voice is named after the target */
    /* the same voice as a bank Dexed's file loader opens: 4,104 bytes, voice 1 the match */
    snprintf(p, sizeof p, "%s/m/best-bank.syx", cli.dir);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 4104);
    assert_int_equal(run("info m/best-bank.syx"), 0);
    expect_out("A440");
    expect_out("INIT VOICE");
    assert_int_equal(run("sysex --extract m/best-bank.syx:1 -o one.syx"), 0);
    /* an earlier match is kept unless --fresh */
    assert_int_equal(run("match a440.wav --note 69 --length 0.4 --sr 22050 --free 'op1_coarse' "
                         "--budget 20 --threads 1 --no-prior -q -o m"), 1);
    expect_err("already holds a match");
    assert_int_equal(run("match a440.wav --note 69 --length 0.4 --sr 22050 --free 'op1_coarse' "
                         "--budget 20 --threads 1 --no-prior -q --fresh -o m"), 0);
    assert_int_equal(run("match a440.wav --budget 0 -o m2"), 2);
    assert_int_equal(run("match nothere.wav -o m3"), 1);
    expect_err("nothere.wav");
}

/* ---- failures leave nothing behind; folders, FIFOs and locks -------------------------- */

static const char *const TINY_INI =
    "[target]\nsynthetic = 1\n[synth]\nname = fm6\nlength_s = 0.2\nfree = op1_*\n"
    "[run]\nbudget = 20\nthreads = 1\n[optimizer random]\n";

static void test_safe_outputs_and_inputs(void **state)
{
    char p[8192];
    sm_dir_lock *lock = NULL;
    sm_error err = {0};
    (void)state;
    /* match: a silent, a NaN and a folder target fail and leave no output folder */
    write_sf("quiet.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 22050, 22050, 1);
    assert_int_equal(run("match quiet.wav --no-prior -q -o mq"), 1);
    expect_err("quiet.wav");
    assert_false(exists("mq"));
    {
        float x[2048];
        size_t i;
        for (i = 0; i < 2048; i++) x[i] = (float)sin((double)i * 0.1);
        SF_INFO si = {0};
        SNDFILE *sf;
        x[700] = NAN;
        snprintf(p, sizeof p, "%s/nan.wav", cli.dir);
        si.samplerate = 22050;
        si.channels = 1;
        si.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
        sf = sf_open(p, SFM_WRITE, &si);
        assert_non_null(sf);
        assert_int_equal(sf_writef_float(sf, x, 2048), 2048);
        sf_close(sf);
    }
    assert_int_equal(run("match nan.wav --no-prior -q -o mn"), 1);
    expect_err("nan.wav");
    assert_false(exists("mn"));
    snprintf(p, sizeof p, "mkdir -p '%s/adir'", cli.dir);
    assert_int_equal(system(p), 0);
    assert_int_equal(run("match adir --no-prior -q -o md"), 1);
    expect_err("adir: is a folder");
    assert_false(exists("md"));
    /* --free names the option, not a line of the experiment built in memory */
    write_sf("tone2.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 22050, 8820, 0);
    assert_int_equal(run("match tone2.wav --free 'zz*' -q -o mf"), 2);
    expect_err("--free 'zz*': no parameter matches");
    assert_false(exists("mf"));
    /* --threads 0 means all cores, as threads = 0 does in experiment files */
    write_text("tiny.ini", TINY_INI);
    assert_int_equal(run("run tiny.ini --threads 0 --no-report -q -o tiny_out"), 0);
    assert_true(exists("tiny_out/results.csv"));

    /* two runs on one folder: the second is refused and names the holder */
    snprintf(p, sizeof p, "%s/locked_out", cli.dir);
    assert_int_equal(sm_mkdir_p(p, &err), 0);
    assert_int_equal(sm_dir_lock_take(p, "soundmatch run other.ini", &lock, &err), 0);
    assert_int_equal(run("run tiny.ini -q -o locked_out"), 1);
    expect_err("is in use by another soundmatch (soundmatch run other.ini, process");
    assert_false(exists("locked_out/results.csv"));
    sm_dir_lock_release(lock);
    assert_int_equal(run("run tiny.ini --no-report -q -o locked_out"), 0);
    assert_true(exists("locked_out/results.csv"));

    /* FIFOs are refused at once rather than waited on */
    snprintf(p, sizeof p, "%s/pipe.syx", cli.dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(run("info pipe.syx"), 1);
    expect_err("pipe.syx: is a FIFO");
    assert_int_equal(run("render --synth fm6 --patch pipe.syx -o fifo.wav"), 1);
    expect_err("pipe.syx: is a FIFO");
    assert_false(exists("fifo.wav"));

    /* sysex: --extract and --bank together is a usage error, not a silent choice */
    assert_int_equal(run("sysex --extract a.syx:1 --bank b.syx -o c.syx"), 2);
    expect_err("not both");
    assert_false(exists("c.syx"));

    /* a section written twice is refused, not merged */
    write_text("twice.ini", "[target]\nsynthetic = 1\n[synth]\nname = fm6\n[run]\nbudget = 10\n"
               "[optimizer cmaes]\nsigma = 0.2\n[optimizer cmaes]\nsigma = 0.3\n");
    assert_int_equal(run("run --check twice.ini"), 1);
    expect_err("twice.ini:9: [optimizer cmaes] appears a second time (first at line 7)");

    /* synthetic targets that render silence are drawn again, and the run says so */
    write_text("redraw.ini", "[target]\nsynthetic = 3\n[synth]\nname = fm6\nlength_s = 0.3\n"
               "free = op1_*, op2_*\nfreeze = algorithm=1\n[run]\nbudget = 10\nthreads = 1\n"
               "[optimizer random]\n");
    assert_int_equal(run("run redraw.ini --no-report -o redraw_out"), 0);
    expect_err("drawn again");
    assert_true(exists("redraw_out/results.csv"));
}

/* ---- `run` killed in the middle of an experiment, then resumed ---------------------- */

/* 2 synthetic fm6 targets x 2 optimizers x 3 seeds = 12 runs of 300 evaluations, one after
 * the other: about half a second in an optimized build (some 40 ms a run), 2-3 s under
 * AddressSanitizer. The test runs it about twice. */
static const char *const KILL_INI =
    "[experiment]\n"
    "name = killed\n"
    "[target]\n"
    "synthetic = 2\n"
    "synthetic_seed = 11\n"
    "sample_rate = 22050\n"
    "[synth]\n"
    "name = fm6\n"
    "note = 57\n"
    "length_s = 0.3\n"
    "gate_s = 0.2\n"
    "free = op2_output_level, op2_fine\n"
    "freeze = algorithm=1, op2_coarse=1\n"
    "[cost]\n"
    "n_fft = 1024\n"
    "hop = 256\n"
    "n_mels = 64\n"
    "[optimizer rnd]\n"
    "type = random\n"
    "[optimizer cmaes]\n"
    "[run]\n"
    "budget = 300\n"
    "seeds = 1-3\n"
    "threads = 2\n"
    "batch = 16\n";
static const char *const KILL_TARGETS[] = {"synth01", "synth02"};
static const char *const KILL_OPTS[] = {"rnd", "cmaes"};
#define KILL_SEEDS 3
#define KILL_RUNS (2 * 2 * KILL_SEEDS)

/* How many runs of the output folder `out` (under dir) have their checkpoint result.txt. */
static size_t count_checkpoints(const char *out)
{
    char pat[8192];
    glob_t g;
    size_t n = 0;
    snprintf(pat, sizeof pat, "%s/%s/runs/*/*/seed*/result.txt", cli.dir, out);
    if (glob(pat, 0, NULL, &g) == 0) n = g.gl_pathc;
    globfree(&g);
    return n;
}

/* The temporary files of sm_outfile (NAME.tmp.XXXXXX) anywhere under a folder, one path a
 * line. nftw's callback has no context argument, hence the static list. */
static char *tmp_list;
static size_t tmp_list_len;

static int note_tmp(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    size_t n = strlen(path);
    char *grown;
    (void)sb;
    if (type != FTW_F || !strstr(path + ftw->base, ".tmp.")) return 0;
    grown = realloc(tmp_list, tmp_list_len + n + 2);
    if (!grown) return -1;
    tmp_list = grown;
    memcpy(tmp_list + tmp_list_len, path, n);
    tmp_list_len += n;
    tmp_list[tmp_list_len++] = '\n';
    tmp_list[tmp_list_len] = '\0';
    return 0;
}

static char *tmp_files(const char *out)
{
    char top[8192];
    char *list;
    snprintf(top, sizeof top, "%s/%s", cli.dir, out);
    tmp_list = strdup("");
    tmp_list_len = 0;
    assert_non_null(tmp_list);
    assert_int_equal(nftw(top, note_tmp, 16, FTW_PHYS), 0);
    list = tmp_list;
    tmp_list = NULL;
    return list;
}

/* A results.csv without its timing columns, wall_s and evals_per_s (found by their names in
 * the header), which differ from one run to the next; *rows gets the number of data rows. */
static char *drop_timing(const char *csv, size_t *rows)
{
    char *out = malloc(strlen(csv) + 2), *o = out;
    int skip[64] = {0}, header = 1, n_skip = 0;
    const char *line = csv;
    assert_non_null(out);
    *rows = 0;
    while (*line) {
        const char *end = strchr(line, '\n'), *f = line;
        int col = 0, first = 1;
        if (!end) end = line + strlen(line);
        for (;;) {
            const char *c = memchr(f, ',', (size_t)(end - f));
            size_t len;
            if (!c) c = end;
            len = (size_t)(c - f);
            if (header && col < 64 && ((len == 6 && !strncmp(f, "wall_s", 6)) ||
                                       (len == 11 && !strncmp(f, "evals_per_s", 11)))) {
                skip[col] = 1;
                n_skip++;
            }
            if (col >= 64 || !skip[col]) {
                if (!first) *o++ = ',';
                memcpy(o, f, len);
                o += len;
                first = 0;
            }
            col++;
            if (c == end) break;
            f = c + 1;
        }
        *o++ = '\n';
        if (!header) (*rows)++;
        header = 0;
        line = *end ? end + 1 : end;
    }
    *o = '\0';
    if (n_skip != 2) fail_msg("results.csv header lacks wall_s or evals_per_s:\n%s", csv);
    return out;
}

/* If the run (t, o, seed s) in the output folder `out` has its checkpoint result.txt, checks
 * that it is whole: one key=value line for each of the twelve keys the runner writes, numbers
 * that parse, naming this run, with the final cost and evaluations of the uninterrupted run's
 * row in `ref` (its results.csv); and that the outputs written before it (best.wav, best.syx,
 * trace.csv) are there. Returns the checkpoint's text (caller frees), or NULL if it is absent. */
static char *check_checkpoint(const char *out, const char *t, const char *o, int s, const char *ref)
{
    static const char *const keys[] = {"target", "optimizer", "seed", "final_cost", "evals",
                                       "wall_s", "n_nonfinite", "param_error", "inaudible",
                                       "logmel_db", "loudness_db", "wav_gain_db"};
    enum { NK = sizeof keys / sizeof *keys };
    const char *val[NK] = {0};
    char rel[1024], p[8192], row[512], *text, *copy, *line, *save = NULL;
    double cost;
    long evals;
    size_t k, len;
    snprintf(rel, sizeof rel, "%s/runs/%s/%s/seed%d", out, t, o, s);
    snprintf(p, sizeof p, "%s/result.txt", rel);
    if (!exists(p)) return NULL;
    snprintf(p, sizeof p, "%s/%s/result.txt", cli.dir, rel);
    text = sm_test_slurp(p);
    copy = strdup(text);
    assert_non_null(copy);
    len = strlen(text);
    if (len == 0 || text[len - 1] != '\n') fail_msg("%s/result.txt is cut off:\n%s", rel, text);
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq || !eq[1]) fail_msg("%s/result.txt: line '%s' is not KEY=VALUE", rel, line);
        *eq = '\0';
        for (k = 0; k < NK && strcmp(line, keys[k]) != 0; k++) continue;
        if (k == NK || val[k]) fail_msg("%s/result.txt: unexpected or repeated key '%s'", rel, line);
        val[k] = eq + 1;
    }
    for (k = 0; k < NK; k++) {
        char *end;
        if (!val[k]) fail_msg("%s/result.txt lacks %s=:\n%s", rel, keys[k], text);
        if (k < 2) continue;
        if (k == 3 || k == 5 || k == 7 || k >= 9) (void)strtod(val[k], &end);
        else (void)strtol(val[k], &end, 10);
        if (end == val[k] || *end)
            fail_msg("%s/result.txt: %s=%s is not a number", rel, keys[k], val[k]);
    }
    assert_string_equal(val[0], t);
    assert_string_equal(val[1], o);
    assert_int_equal(strtol(val[2], NULL, 10), s);
    cost = strtod(val[3], NULL);
    evals = strtol(val[4], NULL, 10);
    snprintf(row, sizeof row, "\n%s,%s,%d,%.9g,%ld,", t, o, s, cost, evals);
    if (!strstr(ref, row))
        fail_msg("%s/result.txt: cost %.9g after %ld evaluations, not the uninterrupted run's", rel,
                 cost, evals);
    {
        static const char *const before[] = {"best.wav", "best.syx", "trace.csv"};
        for (k = 0; k < 3; k++) {
            snprintf(p, sizeof p, "%s/%s", rel, before[k]);
            if (!exists(p)) fail_msg("%s has result.txt but no %s", rel, before[k]);
        }
    }
    free(copy);
    return text;
}

/* `soundmatch run EXPERIMENT.ini -o DIR` killed with SIGKILL partway through, then the same
 * command again: the results are those of an uninterrupted run (timing aside). */
static void test_run_killed_then_resumed(void **state)
{
    static const char planted[] = "kill_b/runs/synth02/cmaes/seed3/result.txt.tmp.Kil1ed";
    char p[8192], *ref, *ref_s, *res, *res_s, *left_killed, *left_after, *before[KILL_RUNS] = {0};
    char a_run[] = "run", a_ini[] = "kill.ini", a_o[] = "-o", a_dir[] = "kill_b";
    char a0[] = "soundmatch", *const argv[] = {a0, a_run, a_ini, a_o, a_dir, NULL};
    size_t rows, n_done = 0, k, n;
    int status = 0, reaped = 0, polls, t, o, s;
    sm_error err = {0};
    pid_t pid;
    (void)state;
    write_text("kill.ini", KILL_INI);

    /* A: uninterrupted, the reference; a clean run leaves no temporary file */
    assert_int_equal(run("run kill.ini -o kill_a"), 0);
    snprintf(p, sizeof p, "%s/kill_a/results.csv", cli.dir);
    ref = sm_test_slurp(p);
    ref_s = drop_timing(ref, &rows);
    assert_int_equal(rows, KILL_RUNS);
    left_after = tmp_files("kill_a");
    if (*left_after) fail_msg("an uninterrupted run left temporary files:\n%s", left_after);
    free(left_after);

    /* B: the same command, killed once a quarter of the runs are checkpointed */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0 || chdir(cli.dir) != 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(127);
        execv(cli.prog, argv);
        _exit(127);
    }
    for (polls = 0; polls < 6000; polls++) { /* every 10 ms, for at most 60 s */
        const struct timespec ten_ms = {0, 10 * 1000 * 1000};
        n_done = count_checkpoints("kill_b");
        if (n_done >= KILL_RUNS / 4) break;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            reaped = 1;
            break;
        }
        nanosleep(&ten_ms, NULL);
    }
    if (!reaped) {
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
    }
    n_done = count_checkpoints("kill_b");
    if (reaped)
        fail_msg("soundmatch run ended by itself (%s %d) with %zu of %d runs done, before it could "
                 "be killed%s", WIFEXITED(status) ? "exit code" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), n_done, KILL_RUNS,
                 WIFEXITED(status) && !WEXITSTATUS(status) ? ": the experiment is too short" : "");
    if (polls == 6000) fail_msg("no run of the experiment finished within 60 s");
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    if (n_done >= KILL_RUNS || exists("kill_b/results.csv"))
        fail_msg("the kill came after the last run (%zu of %d runs done): the experiment is too "
                 "short for this test", n_done, KILL_RUNS);
    assert_true(n_done >= 1);
    assert_false(exists("kill_b/index.html"));
    print_message("killed soundmatch run with %zu of %d runs checkpointed\n", n_done, KILL_RUNS);

    /* every checkpoint the killed process left is whole and right; the last run, not reached,
     * has none */
    n = 0;
    for (t = 0; t < 2; t++)
        for (o = 0; o < 2; o++)
            for (s = 1; s <= KILL_SEEDS; s++) {
                k = (size_t)((t * 2 + o) * KILL_SEEDS + s - 1);
                before[k] = check_checkpoint("kill_b", KILL_TARGETS[t], KILL_OPTS[o], s, ref);
                n += before[k] != NULL;
            }
    assert_int_equal(n, n_done);
    assert_null(before[KILL_RUNS - 1]);
    /* a kill may leave a temporary file of sm_outfile behind (the write it cut short); it is
     * never taken for a result, and the resume removes it. Add one on purpose: a checkpoint
     * cut off mid-write. */
    left_killed = tmp_files("kill_b");
    if (*left_killed) print_message("temporary files left by the killed process:\n%s", left_killed);
    snprintf(p, sizeof p, "%s/kill_b/runs/synth02/cmaes/seed3", cli.dir);
    assert_int_equal(sm_mkdir_p(p, &err), 0);
    write_text(planted, "target=synth02\noptimizer=cmaes\nseed=3\nfinal_cost=-1\nevals=4");

    /* resume: the same command, not --fresh */
    assert_int_equal(run("run kill.ini -o kill_b"), 0);
    snprintf(p, sizeof p, "%s/kill_b/results.csv", cli.dir);
    res = sm_test_slurp(p);
    res_s = drop_timing(res, &rows);
    assert_int_equal(rows, KILL_RUNS);
    assert_string_equal(res_s, ref_s);
    assert_true(exists("kill_b/index.html"));
    assert_int_equal(count_checkpoints("kill_b"), KILL_RUNS);
    for (t = 0; t < 2; t++)
        for (o = 0; o < 2; o++)
            for (s = 1; s <= KILL_SEEDS; s++) {
                char *now, *ta, *tb;
                k = (size_t)((t * 2 + o) * KILL_SEEDS + s - 1);
                now = check_checkpoint("kill_b", KILL_TARGETS[t], KILL_OPTS[o], s, ref);
                if (!now) fail_msg("run %s/%s/seed%d has no checkpoint after the resume",
                                   KILL_TARGETS[t], KILL_OPTS[o], s);
                /* a run finished before the kill is kept, not run again (same wall_s) */
                if (before[k]) assert_string_equal(now, before[k]);
                snprintf(p, sizeof p, "%s/kill_a/runs/%s/%s/seed%d/trace.csv", cli.dir,
                         KILL_TARGETS[t], KILL_OPTS[o], s);
                ta = sm_test_slurp(p);
                snprintf(p, sizeof p, "%s/kill_b/runs/%s/%s/seed%d/trace.csv", cli.dir,
                         KILL_TARGETS[t], KILL_OPTS[o], s);
                tb = sm_test_slurp(p);
                assert_true(*ta);
                /* a run that was run again agrees on everything but its seconds */
                assert_string_equal(sm_test_trace_drop_secs(ta), sm_test_trace_drop_secs(tb));
                free(ta);
                free(tb);
                free(now);
                free(before[k]);
            }
    /* the resume removed what the kill left, the planted cut-off checkpoint included, and
     * added no temporary file of its own */
    left_after = tmp_files("kill_b");
    if (*left_after) fail_msg("temporary files are left after the resume:\n%s", left_after);
    free(left_after);
    free(left_killed);
    free(ref);
    free(ref_s);
    free(res);
    free(res_s);
}

/* cairo's fontconfig cache (the report) lives until exit: not a leak of ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

/* `compare` and `baseline` (cli/cli_analyse.c): a file against itself is 0.00 dB
 * apart at equal loudness; silence is refused naming the file (exit 1); a rom1a voice
 * rendered by `soundmatch render` is found again in rom1a.syx at about 0 dB (the render is a
 * 16-bit WAV, so not exactly 0), whatever the thread count. */
static void test_compare_and_baseline(void **state)
{
    char buf[1024], *s, *line;
    double d;
    (void)state;
    assert_int_equal(run("compare --help"), 0);
    expect_out("usage: soundmatch compare");
    assert_int_equal(run("baseline --help"), 0);
    expect_out("usage: soundmatch baseline");
    write_sf("a440.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, 22050, 0);
    write_sf("quiet.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, 22050, 1);
    assert_int_equal(run("compare a440.wav a440.wav"), 0);
    expect_out("       0.00        +0.00  a440.wav");
    assert_int_equal(run("compare --csv a440.wav a440.wav"), 0);
    expect_out("target,match,logmel_db,loudness_db\na440.wav,a440.wav,0.0000,0.0000\n");
    assert_int_equal(run("compare a440.wav quiet.wav a440.wav"), 1);
    expect_err("soundmatch compare: quiet.wav: the match is silent");
    expect_out("0.00        +0.00  a440.wav");   /* the other match is still measured */
    assert_int_equal(run("compare quiet.wav a440.wav"), 1);
    expect_err("soundmatch compare: quiet.wav: the target is silent");
    assert_int_equal(run("compare a440.wav missing.wav"), 1);
    expect_err("missing.wav");
    assert_int_equal(run("compare a440.wav"), 2);
    expect_err("no match given");
    assert_int_equal(run("baseline a440.wav"), 2);
    assert_int_equal(run("baseline a440.wav --every 0 x.syx"), 2);
    expect_err("--every");

    SM_TEST_NEED_SHARED();
    snprintf(buf, sizeof buf, "baseline quiet.wav '%s'", sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_equal(run(buf), 1);
    expect_err("quiet.wav: the target is silent");
    /* E.PIANO 1 at note 60, as the baselines play presets: found by its analysed note. */
    snprintf(buf, sizeof buf, "render --patch '%s:11' --note 60 --velocity 100 --gate 1 "
             "--length 1.5 -o ep.wav", sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_equal(run(buf), 0);
    snprintf(buf, sizeof buf, "baseline ep.wav '%s' --top 3 --csv --threads 1",
             sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_equal(run(buf), 0);
    s = sm_test_slurp(cli.out);
    line = strstr(s, "\n1,");
    assert_non_null(line);
    assert_non_null(strstr(line, ",11,\"E.PIANO 1\","));
    assert_int_equal(sscanf(strstr(line, "\"E.PIANO 1\",") + 12, "%lf", &d), 1);
    assert_true(d >= 0.0 && d < 0.05);
    {   /* the same output with two threads */
        char *s1 = s;
        snprintf(buf, sizeof buf, "baseline ep.wav '%s' --top 3 --csv --threads 2",
                 sm_test_shared_path("dx7/rom1a.syx"));
        assert_int_equal(run(buf), 0);
        s = sm_test_slurp(cli.out);
        assert_string_equal(s, s1);
        free(s1);
    }
    free(s);
    /* BRASS 1 with --note 60. (Its analysed note is 48: operators 1 and 2 run at ratio 0.5,
     * so the waveform repeats at 130.8 Hz, and auto would play the presets an octave down.) */
    snprintf(buf, sizeof buf, "render --patch '%s:1' --note 60 --velocity 100 --gate 1 "
             "--length 1.5 -o brass.wav", sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_equal(run(buf), 0);
    snprintf(buf, sizeof buf, "baseline brass.wav '%s' --note 60",
             sm_test_shared_path("dx7/rom1a.syx"));
    assert_int_equal(run(buf), 0);
    expect_out("   1        0.0");
    expect_out("      1  BRASS   1");
    /* drum presets: the patch a drum hit was rendered from is found among the 16 */
    snprintf(buf, sizeof buf, "render --patch '%s:3' --velocity 127 --length 1 -o hit.wav",
             sm_test_shared_path("microtonic/default.mtpreset"));
    assert_int_equal(run(buf), 0);
    snprintf(buf, sizeof buf, "baseline hit.wav '%s' '%s' --csv",
             sm_test_shared_path("microtonic/supertonic_default.mtpreset"),
             sm_test_shared_path("microtonic/default.mtpreset"));
    assert_int_equal(run(buf), 0);
    s = sm_test_slurp(cli.out);
    assert_non_null(strstr(s, "default.mtpreset\",3,"));
    assert_non_null(strstr(s, "\n1,"));
    free(s);
}

/* ---- `bank`: DX7 banks from run folders --------------------------------------------- */

/* Reads a whole file of the test folder into buf (at most cap bytes); returns its size. */
static size_t read_bytes(const char *name, unsigned char *buf, size_t cap)
{
    char p[8192];
    FILE *f;
    size_t n;
    snprintf(p, sizeof p, "%s/%s", cli.dir, name);
    f = fopen(p, "rb");
    if (!f) return 0;
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* An independent check of a 32-voice bulk dump: header F0 43 00 09 20 00, 4096 7-bit data
 * bytes, checksum (-(sum)) & 0x7F, F7. Copies the 32 packed voices to voices. */
static void check_bulk(const char *name, unsigned char voices[32][128])
{
    unsigned char d[5000];
    static const unsigned char head[6] = {0xF0, 0x43, 0x00, 0x09, 0x20, 0x00};
    unsigned sum = 0;
    size_t i, n = read_bytes(name, d, sizeof d);
    assert_int_equal(n, 4104);
    assert_memory_equal(d, head, 6);
    for (i = 6; i < 6 + 4096; i++) {
        assert_true(d[i] < 0x80);
        sum += d[i];
    }
    assert_int_equal(d[4102], (0u - sum) & 0x7F);
    assert_int_equal(d[4103], 0xF7);
    for (i = 0; i < 32; i++) memcpy(voices[i], d + 6 + 128 * i, 128);
}

/* FOLDER/runs/TARGET/OPT/seed1/best.syx made from voice n of rom1a.syx. */
static void fake_run(const char *folder, const char *target, const char *opt, int n)
{
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s/runs/%s/%s/seed1'", cli.dir, folder, target, opt);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "sysex --extract '%s:%d' -o '%s/runs/%s/%s/seed1/best.syx'",
             sm_test_shared_path("dx7/rom1a.syx"), n, folder, target, opt);
    assert_int_equal(run(cmd), 0);
}

static void bank_target_name(int i, char *out, size_t size)
{
    if (i == 3) snprintf(out, size, "string_pad_a"); /* same 10-character prefix */
    else if (i == 4) snprintf(out, size, "string_pad_b");
    else snprintf(out, size, "tone_%02d", i);
}

static void test_bank_from_runs(void **state)
{
    unsigned char rom[4104], b1[32][128], b2[32][128];
    char csv[2][8192], t[64], names[64][11];
    size_t k[2] = {0, 0};
    int i, j;
    (void)state;
    SM_TEST_NEED_SHARED();
    {
        FILE *f = fopen(sm_test_shared_path("dx7/rom1a.syx"), "rb");
        assert_non_null(f);
        assert_int_equal(fread(rom, 1, sizeof rom, f), 4104);
        fclose(f);
    }
    /* 40 targets: 24 in folder fa, 16 in fb; voice (i % 32) + 1 of rom1a for target i */
    for (j = 0; j < 2; j++)
        k[j] = (size_t)snprintf(csv[j], sizeof csv[j], "target,optimizer,seed,final_cost,evals\n");
    for (i = 0; i < 40; i++) {
        const char *folder = i < 24 ? "fa" : "fb";
        j = i < 24 ? 0 : 1;
        bank_target_name(i, t, sizeof t);
        fake_run(folder, t, "cmaes", i % 32 + 1);
        k[j] += (size_t)snprintf(csv[j] + k[j], sizeof csv[j] - k[j], "%s,cmaes,1,%d.5,100\n", t,
                                 i == 0 ? 9 : i == 2 ? 4 : 3);
    }
    /* tone_00: a better run (voice 30) after a worse one; tone_01: a tie, the first row wins;
     * tone_02: a lower cost without a patch (the closest preset of `match`) is passed over */
    fake_run("fa", "tone_00", "rnd", 30);
    fake_run("fa", "tone_01", "rnd", 31);
    k[0] += (size_t)snprintf(csv[0] + k[0], sizeof csv[0] - k[0],
                             "tone_00,rnd,1,1.25,100\ntone_01,rnd,1,3.5,100\n"
                             "tone_02,preset,1,0.5,1\n");
    write_text("fa/results.csv", csv[0]);
    write_text("fb/results.csv", csv[1]);

    assert_int_equal(run("bank fa fb -o mybank.syx"), 0);
    assert_false(exists("mybank-3.syx"));
    check_bulk("mybank.syx", b1);
    check_bulk("mybank-2.syx", b2);
    expect_out("mybank-2.syx");
    expect_out("TONE 39");
    expect_out("fb");
    for (i = 0; i < 64; i++) {
        const unsigned char *v = i < 32 ? b1[i] : b2[i - 32];
        memcpy(names[i], v + 118, 10);
        names[i][10] = '\0';
        if (i >= 40) {
            assert_string_equal(names[i], "INIT VOICE");
            continue;
        }
        /* the voice data (everything but the name) is the chosen run's */
        {
            int src = i == 0 ? 30 : i % 32 + 1;
            assert_memory_equal(v, rom + 6 + 128 * (src - 1), 118);
        }
        if (i == 3) assert_string_equal(names[i], "STRING PAD");
        else if (i == 4) assert_string_equal(names[i], "STRING P 2");
        else {
            char want[11];
            snprintf(want, sizeof want, "TONE %02d   ", i);
            assert_string_equal(names[i], want);
        }
    }
    for (i = 0; i < 64; i++)
        for (j = i + 1; j < 64 && j / 32 == i / 32; j++)
            if (j < 40) assert_string_not_equal(names[i], names[j]);
    expect_out("rnd"); /* tone_00's best run */

    /* --name: only with exactly one voice */
    fake_run("fc", "lead", "cmaes", 12);
    write_text("fc/results.csv", "target,optimizer,seed,final_cost\nlead,cmaes,1,2\n");
    assert_int_equal(run("bank fc --name 'My Lead' -o one.syx"), 0);
    check_bulk("one.syx", b1);
    assert_memory_equal(b1[0] + 118, "My Lead   ", 10);
    assert_memory_equal(b1[1] + 118, "INIT VOICE", 10);
    assert_false(exists("one-2.syx"));
    assert_int_equal(run("bank fa --name 'My Lead' -o two.syx"), 2);
    assert_false(exists("two.syx"));

    /* bad input: a missing folder, a folder without DX7 patches; nothing is written */
    assert_int_equal(run("bank fa nothere -o bad.syx"), 1);
    expect_err("nothere");
    assert_false(exists("bad.syx"));
    {
        char p[8192];
        snprintf(p, sizeof p, "%s/fd", cli.dir);
        assert_int_equal(mkdir(p, 0700), 0);
    }
    write_text("fd/results.csv", "target,optimizer,seed,final_cost\nkick,cmaes,1,2\n");
    assert_int_equal(run("bank fd -o bad.syx"), 1);
    expect_err("fd");
    assert_false(exists("bad.syx"));
    assert_int_equal(run("bank --help"), 0);
    expect_out("usage: soundmatch bank");
    assert_int_equal(run("bank fa"), 2);
    assert_int_equal(run("bank -o x.syx"), 2);
    expect_no_tmp();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_version_usage),
        cmocka_unit_test(test_bad_audio_files),
        cmocka_unit_test(test_outputs_and_truncated_input),
        cmocka_unit_test(test_silence_and_flac),
        cmocka_unit_test(test_patch_commands),
        cmocka_unit_test(test_bad_experiment_files),
        cmocka_unit_test(test_match_writes_patch_audio_trace),
        cmocka_unit_test(test_safe_outputs_and_inputs),
        cmocka_unit_test(test_run_killed_then_resumed),
        cmocka_unit_test(test_compare_and_baseline),
        cmocka_unit_test(test_bank_from_runs),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
