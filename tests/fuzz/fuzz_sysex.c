/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_sysex.c: libFuzzer harness for DX7 sysex and voice files (sm_dx7_load).
 * Seed corpus: tests/fuzz/corpus/sysex and ../shared/data/dx7. */
#include "tests/fuzz/fuzz_util.h"
#include "synths/dx7_sysex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sm_error err = {0};
    sm_dx7_bank bank;
    int rc = sm_dx7_load(sm_fuzz_file(data, size, ".syx"), &bank, &err);
    if (rc != 0 && err.code == 0) abort(); /* a failure must say why */
    sm_dx7_bank_free(&bank);
    return 0;
}
