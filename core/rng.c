/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/rng.c: xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64, one stream
 * per (seed, stream) pair (see core/rng.h). */
#include "core/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t sm_rng_mix(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL);
    uint64_t r = splitmix64(&x);
    return r ^ splitmix64(&x);
}

void sm_rng_init(sm_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = sm_rng_mix(seed, stream);
    int i;
    for (i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1;
    r->has_spare = 0;
    r->spare = 0;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sm_rng_u64(sm_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sm_rng_uniform(sm_rng *r)
{
    return (double)(sm_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t sm_rng_below(sm_rng *r, uint64_t n)
{
    uint64_t lim, x;
    if (n <= 1) return 0;
    lim = UINT64_MAX - UINT64_MAX % n; /* reject the biased tail */
    do {
        x = sm_rng_u64(r);
    } while (x >= lim);
    return x % n;
}

double sm_rng_normal(sm_rng *r)
{
    double u, v, s, f;
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    do {
        u = 2.0 * sm_rng_uniform(r) - 1.0;
        v = 2.0 * sm_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    f = sqrt(-2.0 * log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

void sm_rng_shuffle(sm_rng *r, size_t *idx, size_t n)
{
    size_t i;
    for (i = n; i > 1; i--) {
        size_t j = (size_t)sm_rng_below(r, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
