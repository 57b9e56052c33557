/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_util.h: what the libFuzzer harnesses share (see tests/fuzz/build.sh).
 *
 * Some parsers take a path, not bytes: sm_fuzz_file writes the input to one temporary file of
 * the process (in /dev/shm when there is one, so that it stays in memory) and returns its
 * path. The file is removed when the process exits. */
#ifndef SM_FUZZ_UTIL_H
#define SM_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sm_fuzz_path[4096];

static void sm_fuzz_remove(void)
{
    if (sm_fuzz_path[0]) unlink(sm_fuzz_path);
}

/* Writes data to this process's temporary file (its name ends in suffix, e.g. ".syx", which
 * some loaders look at) and returns its path; aborts if it cannot. */
static const char *sm_fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
    FILE *f;
    if (!sm_fuzz_path[0]) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
        int fd;
        snprintf(sm_fuzz_path, sizeof sm_fuzz_path, "%s/smfuzz.XXXXXX%s", dir ? dir : "/tmp",
                 suffix);
        fd = mkstemps(sm_fuzz_path, (int)strlen(suffix));
        if (fd < 0) abort();
        close(fd);
        atexit(sm_fuzz_remove);
    }
    f = fopen(sm_fuzz_path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
    return sm_fuzz_path;
}

/* data as a NUL-terminated string (the caller frees it). */
static char *sm_fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
