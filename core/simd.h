/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/simd.h: how the hot loops ask for a second, AVX2 build of themselves. Internal: not
 * installed.
 *
 * SM_SIMD_CLONES before a function makes GCC compile it twice, for the x86-64 baseline (SSE2)
 * and for AVX2, and pick one when the program loads (an ifunc), so one binary runs on every
 * x86-64 machine and uses the wider vectors where they exist. AVX2 alone does not enable FMA,
 * so no multiply-add is fused: both builds do the same IEEE operations in the same order and
 * give bit-identical results, so the choice adds no difference between machines. (FFTW picks
 * its own codelets by CPU, so spectra can still differ in the last bits between machines; on
 * one machine every run and every thread count gives the same answer.) Elsewhere (other CPUs,
 * other compilers) it is empty and the baseline build is used. */
#ifndef SM_CORE_SIMD_H
#define SM_CORE_SIMD_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(SM_NO_TARGET_CLONES)
#define SM_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SM_SIMD_CLONES
#endif

#ifdef __cplusplus
}
#endif

#endif
