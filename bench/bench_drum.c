/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/bench_drum.c: render throughput of the drum voice (sm_synth_drum), in seconds of
 * audio per CPU second on one core at 44.1 kHz, over the 8 patches of Microtonic's
 * default.mtpreset, 1 s each (velocity 100). Each patch is rendered repeatedly for at least
 * 0.2 CPU seconds; the figure is the total audio time over the total CPU time.
 * Usage: bench_drum [default.mtpreset] (default: $SM_SHARED_DATA/microtonic/default.mtpreset).
 * Prints `bench_drum: realtime_factor=N slowest_patch=N`. */
#include "synths/drum.h"
#include "synths/mtpreset.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const double sr = 44100;
    const size_t n = 44100;
    const sm_synth_type *s = &sm_synth_drum;
    char path[4096];
    sm_mtpreset pre;
    sm_error err = {0};
    sm_note note;
    float *buf = malloc(n * sizeof *buf);
    void *st;
    double audio = 0, cpu = 0, slowest = 1e300, sink = 0;
    size_t i;
    if (argc > 1) {
        snprintf(path, sizeof path, "%s", argv[1]);
    } else {
        const char *d = getenv("SM_SHARED_DATA");
        snprintf(path, sizeof path, "%s/microtonic/default.mtpreset",
                 d && *d ? d : "../shared/data");
    }
    if (!buf || sm_mtpreset_read(path, &pre, &err) != 0) {
        fprintf(stderr, "bench_drum: %s\n", buf ? err.msg : "out of memory");
        free(buf);
        return 1;
    }
    st = s->alloc(sr, &err);
    if (!st) {
        fprintf(stderr, "bench_drum: %s\n", err.msg);
        return 1;
    }
    note.note = 60;
    note.velocity = 100;
    note.gate_s = 0.75;
    note.length_s = 1;
    for (i = 0; i < pre.n; i++) {
        double t0 = cpu_s(), t, a = 0;
        unsigned long long reps = 0;
        do {
            note.seed = reps + 1;
            s->render(st, pre.patches[i].native, &note, buf, n);
            sink += buf[n / 2];
            reps++;
            a += (double)n / sr;
            t = cpu_s() - t0;
        } while (t < 0.2);
        audio += a;
        cpu += t;
        if (a / t < slowest) slowest = a / t;
    }
    printf("bench_drum: realtime_factor=%.0f slowest_patch=%.0f\n", audio / cpu, slowest);
    if (sink == 12345.678) printf("\n"); /* keeps the renders from being optimized away */
    s->free(st);
    sm_mtpreset_free(&pre);
    free(buf);
    return 0;
}
