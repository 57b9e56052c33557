/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_results.c: libFuzzer harness for the readers `soundmatch report` uses on run
 * folders: results.json (sm_json_parse) and results.csv (sm_csv_parse). The first byte picks
 * the reader. Seed corpus: tests/fuzz/corpus/results and any run folder's results files. */
#include "tests/fuzz/fuzz_util.h"
#include "experiments/report_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sm_error err = {0};
    char *text;
    if (size < 1) return 0;
    text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (data[0] & 1) {
        sm_json *j = sm_json_parse(text, "results.json", &err);
        if (!j && err.code == 0) abort(); /* a failure must say why */
        if (j) {
            const sm_json *v = sm_json_get(j, "soundmatch");
            (void)sm_json_str(v);
            (void)sm_json_num(sm_json_get(j, "threads"));
        }
        sm_json_free(j);
        free(text);
    } else {
        sm_csv c; /* takes text over, even on failure */
        memset(&c, 0, sizeof c);
        if (sm_csv_parse(text, "results.csv", &c, &err) != 0) {
            if (err.code == 0) abort();
        } else {
            (void)sm_csv_col(&c, "final_cost");
        }
        sm_csv_free(&c);
    }
    return 0;
}
