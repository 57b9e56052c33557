/* tests/test_cli.c: the soundmatch program as a user meets it: help, version, exit codes
 * (0 success, 1 bad input, 2 bad usage), messages that name the file, and no partial output
 * for bad input: missing, empty, text-as-WAV, 0-sample, silent and stereo 96 kHz FLAC files,
 * garbled sysex, NaN parameters, malformed experiment files. */
#include "tests/test_util.h"
#include "core/audio.h"
#include "core/fileio.h"

#include <sndfile.h>
#include <sys/wait.h>

/* Command lines and paths here are short temporary-folder paths; truncation cannot happen. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static char prog[4096];
static char dir[4096];
static char out_path[4096], err_path[4096];

/* Runs "soundmatch ARGS", capturing stdout and stderr; returns the exit code. */
static int run(const char *args)
{
    char cmd[16384];
    int st;
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >'%s' 2>'%s' </dev/null", dir, prog, args,
             out_path, err_path);
    st = system(cmd);
    if (st == -1 || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

static char *slurp(const char *path)
{
    unsigned char *d = NULL;
    size_t n;
    sm_error err = {0};
    if (sm_read_file(path, 0, &d, &n, &err) != 0) return strdup("");
    return (char *)d;
}

static void expect_out(const char *needle)
{
    char *s = slurp(out_path);
    if (!strstr(s, needle)) print_error("stdout lacks '%s':\n%s\n", needle, s);
    assert_non_null(strstr(s, needle));
    free(s);
}

static void expect_err(const char *needle)
{
    char *s = slurp(err_path);
    if (!strstr(s, needle)) print_error("stderr lacks '%s':\n%s\n", needle, s);
    assert_non_null(strstr(s, needle));
    free(s);
}

static int exists(const char *name)
{
    char p[8192];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

/* No temporary file is left behind in the folder. */
static void expect_no_tmp(void)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '\\.tmp\\.'", dir);
    assert_int_not_equal(system(cmd), 0);
}

static void write_file(const char *name, const char *text, size_t n)
{
    char p[8192];
    FILE *f;
    snprintf(p, sizeof p, "%s/%s", dir, name);
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
    snprintf(p, sizeof p, "%s/%s", dir, name);
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
    const char *b = getenv("SM_TOP_BUILDDIR");
    const char *t = sm_test_tmpdir();
    (void)state;
    snprintf(prog, sizeof prog, "%s/soundmatch", b ? b : ".");
    if (prog[0] != '/') {
        char cwd[2048];
        if (getcwd(cwd, sizeof cwd)) {
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s/%s", cwd, prog);
            snprintf(prog, sizeof prog, "%s", tmp);
        }
    }
    if (!t) return -1;
    snprintf(dir, sizeof dir, "%s", t);
    snprintf(out_path, sizeof out_path, "%s/.stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/.stderr", dir);
    return 0;
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
        static const char *const cmds[] = {"features", "info", "render", "sysex", "match", "run",
                                           "list"};
        size_t i;
        for (i = 0; i < sizeof cmds / sizeof *cmds; i++) {
            char a[64];
            snprintf(a, sizeof a, "%s --help", cmds[i]);
            assert_int_equal(run(a), 0);
            expect_out("usage: soundmatch");
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
        snprintf(path, sizeof path, "%s/silence.csv", dir);
        s = slurp(path);
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
    s = slurp(out_path);
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
    assert_int_equal(system("true"), 0);
    {
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/nothing'", dir);
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
                         "--budget 60 --threads 1 -q -o m"), 0);
    snprintf(p, sizeof p, "%s/m/best.syx", dir);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 163); /* a DX7 single-voice dump */
    assert_true(exists("m/best.wav"));
    assert_true(exists("m/trace.csv"));
    assert_true(exists("m/index.html"));
    assert_int_equal(run("info m/best.syx"), 0);
    expect_out("SOUNDMATCH");
    assert_int_equal(run("match a440.wav --budget 0 -o m2"), 2);
    assert_int_equal(run("match nothere.wav -o m3"), 1);
    expect_err("nothere.wav");
}

/* cairo's fontconfig cache (the report) lives until exit: not a leak of ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_version_usage),
        cmocka_unit_test(test_bad_audio_files),
        cmocka_unit_test(test_silence_and_flac),
        cmocka_unit_test(test_patch_commands),
        cmocka_unit_test(test_bad_experiment_files),
        cmocka_unit_test(test_match_writes_patch_audio_trace),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
