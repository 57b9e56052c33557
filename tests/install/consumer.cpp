/* SPDX-License-Identifier: GPL-3.0-or-later */
// A C++ program that uses the installed library, as a plugin (Dexed, JUCE) would: every public
// header through the umbrella <soundmatch.h>, linked through pkg-config. CI builds and runs it
// against `make install` into a fresh prefix (tests/install/check.sh).
#include <soundmatch.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

int main()
{
    if (std::strcmp(sm_version(), SM_VERSION_STRING) != 0 || sm_version_number() != SM_VERSION_NUMBER) {
        std::fprintf(stderr, "header %s, library %s\n", SM_VERSION_STRING, sm_version());
        return 1;
    }
    const sm_synth_type *fm6 = sm_synth_find("fm6");
    if (!fm6) return 1;
    sm_error err = {};
    void *st = fm6->alloc(44100, &err);
    if (!st) {
        std::fprintf(stderr, "%s\n", sm_error_text(&err));
        return 1;
    }
    std::vector<double> patch(fm6->space->n);
    sm_params_defaults(fm6->space, patch.data());
    sm_note note = sm_note_default();
    std::vector<float> out(22050);
    int rc = fm6->render(st, patch.data(), &note, out.data(), out.size());
    fm6->free(st);
    double peak = 0;
    for (float v : out) peak = std::fmax(peak, std::fabs(v));
    if (rc != 0 || !(peak > 0.01)) {
        std::fprintf(stderr, "render: %d, peak %g\n", rc, peak);
        return 1;
    }
    std::printf("soundmatch %s from C++: fm6 renders its init voice, peak %.3f; %zu optimizers\n",
                sm_version(), peak, sm_optimizer_count());
    return 0;
}
