/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_ini.c: libFuzzer harness for experiment files (sm_experiment_parse).
 * Seed corpus: tests/fuzz/corpus/ini and the example experiments (experiments/NAME.ini). */
#include "tests/fuzz/fuzz_util.h"
#include "experiments/experiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sm_error err = {0};
    char *text;
    sm_experiment *e;
    if (size > 65536) return 0; /* experiment files are small; longer inputs only slow it */
    text = sm_fuzz_text(data, size);
    e = sm_experiment_parse(text, "fuzz.ini", &err);
    if (!e && err.code == 0) abort(); /* a failure must say why */
    sm_experiment_free(e);
    free(text);
    return 0;
}
