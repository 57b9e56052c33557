/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_audio.c: libFuzzer harness for audio files (sm_audio_read, through
 * libsndfile, at the file's rate and resampled). Seed corpus: tests/fuzz/corpus/audio and
 * ../shared/data/reference. Run it with -rss_limit_mb (libFuzzer's default is 2048) so that an
 * input making the reader allocate by its header's word is reported. */
#include "tests/fuzz/fuzz_util.h"
#include "core/audio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sm_error err = {0};
    sm_audio a;
    sm_audio_info info;
    const char *path = sm_fuzz_file(data, size, ".audio");
    int rc = sm_audio_read(path, 0, &a, &info, &err);
    if (rc != 0 && err.code == 0) abort(); /* a failure must say why */
    if (rc == 0 && a.n < 1000000) { /* resampling a long input only slows the fuzzer */
        sm_audio_free(&a);
        rc = sm_audio_read(path, 22050, &a, NULL, &err);
    }
    sm_audio_free(&a);
    return 0;
}
