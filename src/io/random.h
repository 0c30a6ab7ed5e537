/* random.h - the pseudo-random generators every module uses (internal):
 * tiny, seeded, and the same sequence on every machine, which rand() is
 * not. Inline: shuffles and the generator call them per row.
 *
 *   splitmix64 (Steele, Lea and Flood 2014; Vigna's splitmix64.c): the
 *     logistic learner's shuffle, the calibration hold-out, seeding gen's
 *     xoshiro256** streams; its finalizer mixes describe's hashes.
 *   xorshift64 (Marsaglia 2003, shifts 13, 7, 17): eval's stratified folds
 *     and the random suffix of temporary files. Its state must not be 0. */
#ifndef VIRAL_IO_RANDOM_H
#define VIRAL_IO_RANDOM_H

#include <stdint.h>

/* splitmix64's output function: every bit of z mixed into every bit. */
static inline uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Advance *state and return the next output. */
static inline uint64_t splitmix64_next(uint64_t *state) {
  return splitmix64_mix(*state += 0x9e3779b97f4a7c15ull);
}

/* Advance *state (not 0) and return it. */
static inline uint64_t xorshift64_next(uint64_t *state) {
  uint64_t x = *state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *state = x;
}

#endif
