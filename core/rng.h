/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/rng.h: seeded, splittable random numbers (xoshiro256** seeded through splitmix64).
 *
 * sm_rng_init(r, seed, stream) gives an independent stream for every (seed, stream) pair, so a
 * task numbered i draws the same numbers whichever thread runs it and however many threads
 * there are. A generator is a plain value: no global state. */
#ifndef SM_RNG_H
#define SM_RNG_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t s[4];
    double spare;     /* cached second normal deviate */
    int has_spare;
} sm_rng;

void sm_rng_init(sm_rng *r, uint64_t seed, uint64_t stream);
uint64_t sm_rng_u64(sm_rng *r);
/* Uniform in [0, 1), 53 bits. */
double sm_rng_uniform(sm_rng *r);
/* Uniform integer in [0, n); n > 0. Unbiased. */
uint64_t sm_rng_below(sm_rng *r, uint64_t n);
/* Standard normal deviate (polar method). */
double sm_rng_normal(sm_rng *r);
/* Mixes several 64-bit values into one seed (for deriving per-task seeds). */
uint64_t sm_rng_mix(uint64_t a, uint64_t b);
/* Shuffles idx[0..n) in place (Fisher-Yates). */
void sm_rng_shuffle(sm_rng *r, size_t *idx, size_t n);

#ifdef __cplusplus
}
#endif

#endif
