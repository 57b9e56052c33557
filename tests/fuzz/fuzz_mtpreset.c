/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_mtpreset.c: libFuzzer harness for Microtonic presets (sm_mtpreset_parse).
 * Seed corpus: tests/fuzz/corpus/mtpreset and ../shared/data/microtonic. */
#include "tests/fuzz/fuzz_util.h"
#include "synths/mtpreset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sm_error err = {0};
    sm_mtpreset p;
    int rc = sm_mtpreset_parse((const char *)data, size, "fuzz.mtpreset", &p, &err);
    if (rc != 0 && err.code == 0) abort(); /* a failure must say why */
    sm_mtpreset_free(&p);
    return 0;
}
