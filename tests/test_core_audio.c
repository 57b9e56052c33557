/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_core_audio.c: audio reading (formats, mono mix-down, resampling, bad files),
 * all-or-nothing writing, and the removal of what an interrupted write leaves. */
#include "tests/test_util.h"
#include "core/audio.h"
#include "core/fileio.h"

#include <sndfile.h>
#include <sys/resource.h>
#include <sys/wait.h>

static char *tmp_file(const char *name)
{
    static const char *dir;
    if (!dir) dir = sm_test_tmpdir();
    assert_non_null(dir);
    return sm_path_join(dir, name);
}

/* Writes a multi-channel file of a given format with libsndfile directly. */
static void write_raw(const char *path, int format, int channels, int rate, const float *x,
                      size_t frames)
{
    SF_INFO si = {0};
    SNDFILE *sf;
    si.samplerate = rate;
    si.channels = channels;
    si.format = format;
    sf = sf_open(path, SFM_WRITE, &si);
    assert_non_null(sf);
    if (frames) assert_int_equal(sf_writef_float(sf, x, (sf_count_t)frames), (sf_count_t)frames);
    sf_close(sf);
}

static void test_wav_round_trip(void **state)
{
    float x[1000];
    sm_audio a;
    sm_audio_info info;
    sm_error err = {0};
    char *p16 = tmp_file("a16.wav"), *p24 = tmp_file("a24.wav"), *pf = tmp_file("af.wav");
    size_t i;
    (void)state;
    for (i = 0; i < 1000; i++) x[i] = (float)(0.5 * sin(2 * M_PI * 440 * i / 8000.0));
    assert_int_equal(sm_audio_write_wav(p16, x, 1000, 8000, SM_WAV_PCM16, &err), 0);
    assert_int_equal(sm_audio_write_wav(p24, x, 1000, 8000, SM_WAV_PCM24, &err), 0);
    assert_int_equal(sm_audio_write_wav(pf, x, 1000, 8000, SM_WAV_FLOAT, &err), 0);

    assert_int_equal(sm_audio_read(p16, 0, &a, &info, &err), 0);
    assert_int_equal(a.n, 1000);
    assert_close(a.sample_rate, 8000, 0);
    assert_int_equal(info.channels, 1);
    assert_non_null(strstr(info.format, "WAV"));
    for (i = 0; i < 1000; i++) assert_close(a.data[i], x[i], 1.0 / 32768 + 1e-7);
    sm_audio_free(&a);

    assert_int_equal(sm_audio_read(p24, 0, &a, NULL, &err), 0);
    for (i = 0; i < 1000; i++) assert_close(a.data[i], x[i], 1.0 / 8388608 + 1e-7);
    sm_audio_free(&a);

    assert_int_equal(sm_audio_read(pf, 0, &a, NULL, &err), 0);
    for (i = 0; i < 1000; i++) assert_close(a.data[i], x[i], 0);
    sm_audio_free(&a);
    free(p16);
    free(p24);
    free(pf);
}

static void test_stereo_96k_flac_mixed_and_resampled(void **state)
{
    const size_t frames = 96000 / 2; /* 0.5 s */
    float *st = malloc(frames * 2 * sizeof *st);
    char *path = tmp_file("st96.flac");
    sm_audio a;
    sm_audio_info info;
    sm_error err = {0};
    size_t i;
    double peak;
    (void)state;
    /* left: 1 kHz sine at 0.8, right: its negative plus 0.2 DC-free 3 kHz; mean = 0.1*sin(3k) */
    for (i = 0; i < frames; i++) {
        double t = (double)i / 96000.0;
        st[2 * i] = (float)(0.8 * sin(2 * M_PI * 1000 * t));
        st[2 * i + 1] = (float)(-0.8 * sin(2 * M_PI * 1000 * t) + 0.2 * sin(2 * M_PI * 3000 * t));
    }
    write_raw(path, SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 2, 96000, st, frames);
    assert_int_equal(sm_audio_read(path, 44100, &a, &info, &err), 0);
    assert_int_equal(info.channels, 2);
    assert_close(info.sample_rate, 96000, 0);
    assert_non_null(strstr(info.format, "FLAC"));
    assert_close(a.sample_rate, 44100, 0);
    /* 0.5 s at 44.1 kHz, within a few samples of the ideal length */
    assert_close((double)a.n, 22050, 2);
    /* the 1 kHz parts cancel; what is left is 0.1 * sin(3 kHz) */
    peak = sm_audio_peak(a.data + 1000, a.n - 2000);
    assert_close(peak, 0.1, 0.002);
    assert_close(sm_audio_rms(a.data + 1000, a.n - 2000), 0.1 / sqrt(2), 0.002);
    sm_audio_free(&a);
    free(st);
    free(path);
}

static void test_bad_files(void **state)
{
    sm_audio a;
    sm_error err = {0};
    char *empty = tmp_file("empty.wav"), *text = tmp_file("text.wav"), *zero = tmp_file("zero.wav");
    FILE *f;
    (void)state;
    /* missing */
    assert_int_equal(sm_audio_read("/nonexistent/x.wav", 0, &a, NULL, &err), SM_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.wav"));
    assert_null(a.data);
    /* empty */
    f = fopen(empty, "wb");
    fclose(f);
    assert_int_equal(sm_audio_read(empty, 0, &a, NULL, &err), SM_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "empty"));
    /* text renamed .wav */
    f = fopen(text, "wb");
    fputs("this is not audio, just some text\n", f);
    fclose(f);
    assert_int_equal(sm_audio_read(text, 0, &a, NULL, &err), SM_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "text.wav"));
    /* a valid WAV with zero samples */
    write_raw(zero, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, NULL, 0);
    assert_int_equal(sm_audio_read(zero, 0, &a, NULL, &err), SM_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "0 samples"));
    free(empty);
    free(text);
    free(zero);
}

static void test_write_is_all_or_nothing(void **state)
{
    float x[4] = {0, 0.5f, NAN, 0};
    sm_error err = {0};
    char *p = tmp_file("nan.wav");
    struct stat st;
    (void)state;
    assert_int_equal(sm_audio_write_wav(p, x, 4, 44100, SM_WAV_PCM16, &err), SM_ERR_NONFINITE);
    assert_int_not_equal(stat(p, &st), 0);
    assert_int_equal(sm_audio_write_wav("/nonexistent/dir/x.wav", x, 2, 44100, SM_WAV_PCM16, &err),
                     SM_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.wav"));
    free(p);
}

/* The temporary files a killed writer leaves (NAME.tmp.XXXXXX) are removed, in subfolders
 * too; files that only look similar, and the folders, stay. */
static void test_remove_stale_tmp(void **state)
{
    static const char *const stale[] = {"a/index.html.tmp.Ab3xZ9", "a/b/result.txt.tmp.000000"};
    static const char *const kept[] = {"a/index.html", "a/b/x.tmp.abc", "a/b/y.tmp.abcdefg",
                                       "a/b/z.tmp.ab_def", "a/.tmp.abcdef"};
    sm_error err = {0};
    char *top = tmp_file("stale"), *d;
    struct stat st;
    size_t i, n = 99;
    (void)state;
    d = sm_path_join(top, "a/b");
    assert_int_equal(sm_mkdir_p(d, &err), 0);
    free(d);
    for (i = 0; i < 2; i++) {
        d = sm_path_join(top, stale[i]);
        assert_int_equal(sm_write_file(d, "x", 1, &err), 0);
        free(d);
    }
    for (i = 0; i < 5; i++) {
        d = sm_path_join(top, kept[i]);
        assert_int_equal(sm_write_file(d, "x", 1, &err), 0);
        free(d);
    }
    assert_int_equal(sm_remove_stale_tmp(top, &n, &err), 0);
    assert_int_equal(n, 2);
    for (i = 0; i < 2; i++) {
        d = sm_path_join(top, stale[i]);
        assert_int_not_equal(stat(d, &st), 0);
        free(d);
    }
    for (i = 0; i < 5; i++) {
        d = sm_path_join(top, kept[i]);
        assert_int_equal(stat(d, &st), 0);
        free(d);
    }
    /* again: nothing left to remove; a folder that does not exist is not an error */
    assert_int_equal(sm_remove_stale_tmp(top, &n, &err), 0);
    assert_int_equal(n, 0);
    d = sm_path_join(top, "missing");
    assert_int_equal(sm_remove_stale_tmp(d, &n, &err), 0);
    assert_int_equal(n, 0);
    free(d);
    free(top);
}

static void test_silence_and_fit(void **state)
{
    float z[100] = {0};
    sm_audio a;
    sm_error err = {0};
    char *p = tmp_file("silence.wav");
    (void)state;
    assert_int_equal(sm_audio_write_wav(p, z, 100, 22050, SM_WAV_PCM16, &err), 0);
    assert_int_equal(sm_audio_read(p, 0, &a, NULL, &err), 0);
    assert_close(sm_audio_peak(a.data, a.n), 0, 0);
    assert_close(sm_audio_rms(a.data, a.n), 0, 0);
    assert_int_equal(sm_audio_fit(&a, 150), 0);
    assert_int_equal(a.n, 150);
    assert_close(a.data[149], 0, 0);
    assert_int_equal(sm_audio_fit(&a, 10), 0);
    assert_int_equal(a.n, 10);
    sm_audio_free(&a);
    sm_audio_free(NULL);
    free(p);
}

static void test_shared_reference_files(void **state)
{
    sm_audio a;
    sm_audio_info info;
    sm_error err = {0};
    (void)state;
    SM_TEST_NEED_SHARED();
    assert_int_equal(sm_audio_read(sm_test_shared_path("reference/tone_22k.wav"), 0, &a, &info, &err), 0);
    assert_close(a.sample_rate, 22050, 0);
    assert_close((double)a.n, 22050, 0); /* 1 s */
    sm_audio_free(&a);
    /* resampled to 44.1 kHz it doubles in length */
    assert_int_equal(sm_audio_read(sm_test_shared_path("reference/tone_22k.wav"), 44100, &a, NULL, &err), 0);
    assert_close((double)a.n, 44100, 2);
    sm_audio_free(&a);
}

/* A WAV made in memory is byte for byte the file sm_audio_write_wav writes, and reads back;
 * NaN and bad rates are refused with the sound's name. */
static void test_wav_bytes_in_memory(void **state)
{
    const size_t n = 5000;
    float *x = malloc(n * sizeof *x);
    unsigned char *mem = NULL, *file = NULL;
    size_t mem_len = 0, file_len = 0, i;
    sm_audio a;
    sm_audio_info info;
    sm_error err = {0};
    sm_wav_format fmts[] = {SM_WAV_PCM16, SM_WAV_PCM24, SM_WAV_FLOAT};
    size_t f;
    (void)state;
    assert_non_null(x);
    for (i = 0; i < n; i++) x[i] = (float)(0.8 * sin(2 * M_PI * 440.0 * (double)i / 44100.0));
    for (f = 0; f < 3; f++) {
        char *path = tmp_file("mem.wav");
        assert_non_null(path);
        assert_int_equal(sm_audio_wav_bytes(x, n, 44100, fmts[f], "sine", &mem, &mem_len, &err), 0);
        assert_int_equal(sm_audio_write_wav(path, x, n, 44100, fmts[f], &err), 0);
        assert_int_equal(sm_read_file(path, 1 << 20, &file, &file_len, &err), 0);
        assert_int_equal(mem_len, file_len);
        assert_memory_equal(mem, file, mem_len);
        assert_int_equal(sm_audio_read(path, 0, &a, &info, &err), 0);
        assert_int_equal(a.n, n);
        for (i = 0; i < n; i++) assert_true(fabs(a.data[i] - x[i]) <= 1.0 / 32767 + 1e-6);
        sm_audio_free(&a);
        free(mem);
        free(file);
        free(path);
    }
    x[7] = NAN;
    assert_int_equal(sm_audio_wav_bytes(x, n, 44100, SM_WAV_PCM16, "voice 3", &mem, &mem_len, &err),
                     SM_ERR_NONFINITE);
    assert_non_null(strstr(err.msg, "voice 3"));
    assert_null(mem);
    assert_int_equal(sm_audio_wav_bytes(x, n, 0, SM_WAV_PCM16, "voice 3", &mem, &mem_len, &err),
                     SM_ERR_ARG);
    free(x);
}

/* A WAV whose header promises more samples than the file holds is read as far as it goes,
 * and info says so in a sentence naming the file; a whole file sets no warning. */
static void test_truncated_wav_warns(void **state)
{
    float x[1000];
    sm_audio a;
    sm_audio_info info;
    sm_error err = {0};
    char *p = tmp_file("cut.wav");
    size_t i;
    (void)state;
    for (i = 0; i < 1000; i++) x[i] = (float)(0.5 * sin(0.01 * (double)i));
    assert_int_equal(sm_audio_write_wav(p, x, 1000, 8000, SM_WAV_PCM16, &err), 0);
    assert_int_equal(sm_audio_read(p, 0, &a, &info, &err), 0);
    assert_int_equal(info.truncated, 0);
    assert_int_equal(info.frames_read, 1000);
    assert_string_equal(info.warning, "");
    sm_audio_free(&a);
    /* the 44-byte header still says 2000 bytes of data; 600 remain (300 samples) */
    assert_int_equal(truncate(p, 44 + 600), 0);
    assert_int_equal(sm_audio_read(p, 0, &a, &info, &err), 0);
    assert_int_equal(a.n, 300);
    assert_close(a.data[299], 0.5 * sin(2.99), 1.0 / 32768);
    assert_int_equal(info.truncated, 1);
    assert_int_equal(info.frames_read, 300);
    assert_non_null(strstr(info.warning, p));
    assert_non_null(strstr(info.warning, "truncated"));
    assert_non_null(strstr(info.warning, "read 300 samples (0.037 s)"));
    sm_audio_free(&a);
    free(p);
}

/* The path of a file in the fuzz regression corpus (static buffer), or NULL. */
static const char *corpus_path(const char *rel)
{
    static char buf[4096];
    const char *top = getenv("SM_TOP_SRCDIR");
    snprintf(buf, sizeof buf, "%s/tests/fuzz/corpus/%s", top && *top ? top : ".", rel);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

#if defined(__SANITIZE_ADDRESS__)
#define SM_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SM_TEST_ASAN 1
#endif
#endif

/* Reads path in a child process limited to 256 MB of address space (unless AddressSanitizer,
 * which reserves terabytes, is on); returns the child's sm_audio_read code (0 or negative), or
 * 1 if the child died. */
static int read_in_bounded_child(const char *path)
{
    pid_t pid = fork();
    int status;
    assert_true(pid >= 0);
    if (pid == 0) {
        sm_audio a;
        sm_error err = {0};
        int rc;
#ifndef SM_TEST_ASAN
        struct rlimit rl = {256u << 20, 256u << 20};
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(100);
#endif
        alarm(20);
        rc = sm_audio_read(path, 0, &a, NULL, &err);
        sm_audio_free(&a);
        _exit(-rc); /* 0..11 */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) > 20) return 1;
    return -WEXITSTATUS(status);
}

/* A 76-byte FLAC whose header claims billions of samples (found by fuzzing) fails at once
 * as malformed, in bounded memory: the reader allocates for the samples that arrive, not for
 * the header's count. */
static void test_header_length_not_trusted(void **state)
{
    static const char *const files[] = {"audio/audio_flac_76B_header_claims_3GB_alloc.flac",
                                        "audio/audio_flac_76B_header_claims_8GB_alloc.flac"};
    size_t i;
    (void)state;
    for (i = 0; i < 2; i++) {
        const char *p = corpus_path(files[i]);
        sm_audio a;
        sm_error err = {0};
        if (!p) fail_msg("%s is missing from tests/fuzz/corpus", files[i]);
        assert_int_equal(read_in_bounded_child(p), SM_ERR_FORMAT);
        assert_int_equal(sm_audio_read(p, 0, &a, NULL, &err), SM_ERR_FORMAT);
        assert_non_null(strstr(err.msg, "no samples could be read"));
        assert_non_null(strstr(err.msg, files[i] + 6));
        assert_null(a.data);
    }
}

/* Audio longer than SM_AUDIO_MAX_SECONDS is refused with a message naming the file; exactly
 * that long is accepted. At 100 Hz the limit is 60000 samples. */
static void test_length_cap(void **state)
{
    size_t n = (size_t)SM_AUDIO_MAX_SECONDS * 100 + 1;
    float *x = calloc(n, sizeof *x);
    char *p = tmp_file("long.wav");
    sm_audio a;
    sm_error err = {0};
    (void)state;
    assert_non_null(x);
    x[0] = 0.5f;
    assert_int_equal(sm_audio_write_wav(p, x, n - 1, 100, SM_WAV_PCM16, &err), 0);
    assert_int_equal(sm_audio_read(p, 0, &a, NULL, &err), 0);
    assert_int_equal(a.n, n - 1);
    sm_audio_free(&a);
    assert_int_equal(sm_audio_write_wav(p, x, n, 100, SM_WAV_PCM16, &err), 0);
    assert_int_equal(sm_audio_read(p, 0, &a, NULL, &err), SM_ERR_RANGE);
    assert_non_null(strstr(err.msg, p));
    assert_non_null(strstr(err.msg, "longer than 10 minutes (60000 samples at 100 Hz)"));
    assert_null(a.data);
    free(x);
    free(p);
}

/* Outputs never replace a FIFO or a folder (nor open the FIFO, which would block). */
static void test_outputs_refuse_non_regular(void **state)
{
    const char *d = sm_test_tmpdir();
    char *fifo, *folder;
    sm_error err = {0};
    sm_outfile of;
    struct stat st;
    float x[10] = {0};
    (void)state;
    assert_non_null(d);
    fifo = sm_path_join(d, "pipe");
    folder = sm_path_join(d, "folder.wav");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkdir(folder, 0700), 0);
    assert_int_equal(sm_write_file(fifo, "abc", 3, &err), SM_ERR_IO);
    assert_non_null(strstr(err.msg, "pipe: is a FIFO (named pipe); soundmatch writes only "
                                    "regular files and will not replace it"));
    assert_int_equal(sm_audio_write_wav(fifo, x, 10, 8000, SM_WAV_PCM16, &err), SM_ERR_IO);
    assert_non_null(strstr(err.msg, "is a FIFO"));
    assert_int_equal(sm_audio_write_wav(folder, x, 10, 8000, SM_WAV_PCM16, &err), SM_ERR_IO);
    assert_non_null(strstr(err.msg, "folder.wav: is a folder"));
    assert_int_equal(sm_outfile_open(&of, folder, &err), SM_ERR_IO);
    assert_null(of.f);
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(stat(folder, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    /* a FIFO made while the file was being written is not replaced either */
    {
        char *late = sm_path_join(d, "late");
        assert_int_equal(sm_outfile_open(&of, late, &err), 0);
        fputs("data", of.f);
        assert_int_equal(mkfifo(late, 0600), 0);
        assert_int_equal(sm_outfile_commit(&of, &err), SM_ERR_IO);
        assert_int_equal(stat(late, &st), 0);
        assert_true(S_ISFIFO(st.st_mode));
        free(late);
    }
    /* a regular file is still replaced */
    {
        char *reg = sm_path_join(d, "regular.txt");
        unsigned char *back;
        size_t n;
        assert_int_equal(sm_write_file(reg, "old", 3, &err), 0);
        assert_int_equal(sm_write_file(reg, "new!", 4, &err), 0);
        assert_int_equal(sm_read_file(reg, 0, &back, &n, &err), 0);
        assert_int_equal(n, 4);
        assert_memory_equal(back, "new!", 4);
        free(back);
        free(reg);
    }
    free(fifo);
    free(folder);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wav_round_trip),
        cmocka_unit_test(test_stereo_96k_flac_mixed_and_resampled),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_write_is_all_or_nothing),
        cmocka_unit_test(test_remove_stale_tmp),
        cmocka_unit_test(test_silence_and_fit),
        cmocka_unit_test(test_shared_reference_files),
        cmocka_unit_test(test_wav_bytes_in_memory),
        cmocka_unit_test(test_truncated_wav_warns),
        cmocka_unit_test(test_header_length_not_trusted),
        cmocka_unit_test(test_length_cap),
        cmocka_unit_test(test_outputs_refuse_non_regular),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
