/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/fm6_kernel.c: the fm6 operator kernel without feedback, the hot path of the voice.
 *
 * One operator over one 64-sample block: y[i] = sin(2 pi (phase + i inc + in[i] << 8) / 2^32)
 * * (gain + (i + 1) dgain), in Q24, stored into or added to out (see fm6_internal.h for the
 * fixed-point conventions and msfa's FmOpKernel::compute / compute_pure for the model).
 *
 * The samples of a block do not depend on each other, so the kernel works on 8 samples at a
 * time with GCC vector extensions. The sine is not the table lookup of the feedback kernels
 * (fm6.c), which a gather would make slow, but an odd polynomial of degree 9 on the folded
 * quarter cycle: the phase is folded in 32-bit integers to r in [0, 1/2] cycle (sin(pi r) is
 * symmetric about r = 1/2 and odd), and sin(pi r) is evaluated with minimax coefficients that
 * we fitted by the Remez exchange algorithm (absolute error 3.3e-9 in exact arithmetic). In
 * single precision, with the gain's product and the rounding to Q24, an output is within about
 * 2.5e-7 of the gain of the exact value (tests/test_synth_fm6 measures it against libm); the
 * 4096-point interpolating table's error is about 3e-7.
 *
 * Every lane does the same IEEE single-precision multiplies and adds, never a fused
 * multiply-add, so the AVX2 build, the baseline SSE2 build and any other target give
 * bit-identical output. */
#include "core/simd.h"
#include "synths/fm6_internal.h"

#include <string.h>

/* The 32-byte vectors only pass between always-inlined static functions of this file, so no
 * call crosses an ABI boundary with them; GCC's note about their ABI does not apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

typedef int32_t v8i __attribute__((vector_size(32)));
typedef uint32_t v8u __attribute__((vector_size(32)));
typedef float v8f __attribute__((vector_size(32)));

/* sin(pi r) = r (c1 + c3 r^2 + c5 r^4 + c7 r^6 + c9 r^8) on [0, 1/2]: our Remez fit. */
#define C1 3.1415925800447417f
#define C3 -5.167706878927201f
#define C5 2.550031377291908f
#define C7 -0.5980451741823831f
#define C9 0.0772201290594693f

static inline __attribute__((always_inline)) v8f sine8(v8u phase)
{
    const v8i p = (v8i)phase;
    const v8i neg = p >> 31;                    /* all ones in the second half-cycle */
    const v8i a = p ^ neg;                      /* |p| within one unit: [0, 2^31) */
    const v8i d = a - (1 << 30);
    const v8i r_i = (1 << 30) - (d ^ (d >> 31)); /* folded about a quarter: [0, 2^30] */
    const v8f r = __builtin_convertvector(r_i, v8f) * 0x1p-31f;
    const v8f r2 = r * r;
    const v8f s = r * (C1 + r2 * (C3 + r2 * (C5 + r2 * (C7 + r2 * C9))));
    return (v8f)((v8i)s ^ (neg & INT32_MIN));   /* odd: negate in the second half */
}

static inline __attribute__((always_inline)) void
kernel(uint32_t phase, uint32_t inc, int32_t gain, int32_t dgain, const int32_t *in,
       int32_t *out, int add)
{
    const v8u lane = {0, 1, 2, 3, 4, 5, 6, 7};
    v8u ph = phase + lane * inc;
    v8i g = gain + ((v8i)lane + 1) * dgain;
    const uint32_t ph_step = inc * 8u;
    const int32_t g_step = dgain * 8;
    int i;
    for (i = 0; i < SM_FM6_N; i += 8) {
        v8u p = ph;
        v8i y, o;
        if (in) {
            v8u m;
            memcpy(&m, in + i, sizeof m);
            p += m << 8;
        }
        y = __builtin_convertvector(sine8(p) * __builtin_convertvector(g, v8f), v8i);
        if (add) {
            memcpy(&o, out + i, sizeof o);
            y += o;
        }
        memcpy(out + i, &y, sizeof y);
        ph += ph_step;
        g += g_step;
    }
}

/* The AVX2 build (core/simd.h) does a block in half the instructions of the baseline. */
SM_SIMD_CLONES
void sm_fm6_op_block(uint32_t phase, uint32_t inc, int32_t gain, int32_t dgain,
                     const int32_t *in, int32_t *out, int add)
{
    /* four specialisations, so that no test is left inside the loop */
    if (in) {
        if (add)
            kernel(phase, inc, gain, dgain, in, out, 1);
        else
            kernel(phase, inc, gain, dgain, in, out, 0);
    } else {
        if (add)
            kernel(phase, inc, gain, dgain, NULL, out, 1);
        else
            kernel(phase, inc, gain, dgain, NULL, out, 0);
    }
}
